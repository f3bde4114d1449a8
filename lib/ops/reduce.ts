/**
 * Reductions, NumPy's way: `sum`, `mean`, `max`, `min` over all values (a number) or over
 * axes (a tensor; negative axes count from the end, `keepdims` keeps them as size 1), and
 * `argmax` / `argmin`. Sums accumulate in float64.
 *
 * @module
 */

import { formatShape, SaikiError } from "../errors.ts";
import { getKernels } from "../engine/kernels.ts";
import { IntTensor, Tensor } from "../tensor.ts";
import { normalizeAxis, type Operand, operand, prod, shapeOf, valuesOf } from "./_operand.ts";

/** An axis, or several (`[0, 2]`), to reduce over. */
export type Axis = number | readonly number[];

/** Options of the reductions. */
export interface ReduceOptions {
  /** Keep the reduced axes with size 1, so the result broadcasts against the input. */
  keepdims?: boolean;
}

type Kind = "sum" | "max" | "min";

/** Reduces axis `axis` of `src` (shape `shape`) into float64 values; empty axes of max/min throw. */
function reduceAxis(
  where: string,
  kind: Kind,
  src: Float32Array | Float64Array,
  shape: readonly number[],
  axis: number,
  original: readonly number[],
): Float64Array {
  const outer = prod(shape, 0, axis), n = shape[axis], inner = prod(shape, axis + 1);
  const out = new Float64Array(outer * inner);
  if (n === 0) {
    if (kind !== "sum" && out.length > 0) {
      throw new SaikiError(
        `${where}: axis ${axis} of shape ${formatShape(original)} is empty, and ${kind} of ` +
          `no values is undefined (it has no identity)`,
      );
    }
    return out;
  }
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner, ob = o * inner;
    for (let i = 0; i < inner; i++) out[ob + i] = src[base + i];
    for (let j = 1; j < n; j++) {
      const s = base + j * inner;
      if (kind === "sum") {
        for (let i = 0; i < inner; i++) out[ob + i] += src[s + i];
      } else if (kind === "max") {
        for (let i = 0; i < inner; i++) {
          const v = src[s + i];
          if (v > out[ob + i] || v !== v) out[ob + i] = v;
        }
      } else {
        for (let i = 0; i < inner; i++) {
          const v = src[s + i];
          if (v < out[ob + i] || v !== v) out[ob + i] = v;
        }
      }
    }
  }
  return out;
}

function axesOf(where: string, axis: Axis | null | undefined, shape: readonly number[]): number[] {
  if (axis === null || axis === undefined) return shape.map((_, i) => i);
  const list = typeof axis === "number" ? [axis] : [...axis];
  const axes = list.map((a) => normalizeAxis(where, a, shape));
  if (new Set(axes).size !== axes.length) {
    throw new SaikiError(`${where}: axis [${list.join(",")}] names an axis twice`);
  }
  return axes.sort((a, b) => a - b);
}

function reduce(
  where: string,
  kind: Kind | "mean",
  x: Operand,
  axis: Axis | null | undefined,
  options: ReduceOptions | undefined,
): number | Tensor {
  const m = operand(where, "x", x);
  const shape = shapeOf(x);
  const scalar = axis === undefined && options === undefined;
  const axes = axesOf(where, axis, shape);
  const keepdims = options?.keepdims ?? false;
  const outShape = keepdims
    ? shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : shape.filter((_, i) => !axes.includes(i));
  const count = axes.reduce((n, a) => n * shape[a], 1);
  const base = kind === "mean" ? "sum" : kind;
  let values: Float64Array | Float32Array;
  if (kind === "sum" && shape.length === 2 && axes.length === 1 && axes[0] === 0) {
    // the bias gradient's sum over rows: the kernels' sumRows, in float64
    values = new Float32Array(shape[1]);
    if (m.rows > 0 && m.cols > 0) getKernels().sumRows(m, { data: values, off: 0, size: m.cols });
  } else {
    let cur: Float32Array | Float64Array = valuesOf(where, "x", x);
    if (axes.length === 0) cur = Float64Array.from(cur); // nothing to reduce: still a copy
    const curShape = [...shape];
    for (let i = axes.length - 1; i >= 0; i--) {
      cur = reduceAxis(where, base, cur, curShape, axes[i], shape);
      curShape[axes[i]] = 1;
    }
    values = cur;
  }
  if (kind === "mean") {
    const mean = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) mean[i] = values[i] / count;
    values = mean;
  }
  if (scalar) {
    if (values.length === 0) {
      throw new SaikiError(
        `${where}: x is empty (shape ${formatShape(shape)}), ${kind} of no values is undefined`,
      );
    }
    return Math.fround(values[0]);
  }
  return new Tensor(values instanceof Float32Array ? values : Float32Array.from(values), outShape);
}

/**
 * The sum of all values (a number), or over `axis` (a tensor): `np.sum`, accumulated in float64.
 * Over axis 0 of a 2-D tensor (the bias gradient) it runs the kernels' `sumRows`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { sum } from "./reduce.ts";
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * assert.equal(sum(x), 21);
 * assert.deepEqual(sum(x, 0).toArray(), [5, 7, 9]);
 * assert.deepEqual(sum(x, -1, { keepdims: true }).toArray(), [[6], [15]]);
 * assert.deepEqual(sum(x, null).shape, []); // every axis, as a 0-d tensor
 * ```
 */
export function sum(x: Operand): number;
/** The sum over `axis` (every axis for `null`), as a tensor. */
export function sum(x: Operand, axis: Axis | null, options?: ReduceOptions): Tensor;
export function sum(x: Operand, axis?: Axis | null, options?: ReduceOptions): number | Tensor {
  return reduce("sum", "sum", x, axis, options);
}

/**
 * The mean of all values (a number), or over `axis` (a tensor): `np.mean`, in float64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { mean } from "./reduce.ts";
 * const x = tensor([[1, 2], [3, 6]]);
 * assert.equal(mean(x), 3);
 * assert.deepEqual(mean(x, 1).toArray(), [1.5, 4.5]);
 * ```
 */
export function mean(x: Operand): number;
/** The mean over `axis` (every axis for `null`), as a tensor. */
export function mean(x: Operand, axis: Axis | null, options?: ReduceOptions): Tensor;
export function mean(x: Operand, axis?: Axis | null, options?: ReduceOptions): number | Tensor {
  return reduce("mean", "mean", x, axis, options);
}

/**
 * The largest value (a number), or the largest over `axis` (a tensor): `np.max`. NaN if a
 * value compared is NaN; throws for an empty axis.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { max } from "./reduce.ts";
 * const x = tensor([[1, 5], [7, 2]]);
 * assert.equal(max(x), 7);
 * assert.deepEqual(max(x, 1).toArray(), [5, 7]);
 * assert.deepEqual(max(x, 0, { keepdims: true }).toArray(), [[7, 5]]);
 * ```
 */
export function max(x: Operand): number;
/** The largest over `axis` (every axis for `null`), as a tensor. */
export function max(x: Operand, axis: Axis | null, options?: ReduceOptions): Tensor;
export function max(x: Operand, axis?: Axis | null, options?: ReduceOptions): number | Tensor {
  return reduce("max", "max", x, axis, options);
}

/**
 * The smallest value (a number), or the smallest over `axis` (a tensor): `np.min`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { min } from "./reduce.ts";
 * const x = tensor([[1, 5], [7, 2]]);
 * assert.equal(min(x), 1);
 * assert.deepEqual(min(x, 0).toArray(), [1, 2]);
 * ```
 */
export function min(x: Operand): number;
/** The smallest over `axis` (every axis for `null`), as a tensor. */
export function min(x: Operand, axis: Axis | null, options?: ReduceOptions): Tensor;
export function min(x: Operand, axis?: Axis | null, options?: ReduceOptions): number | Tensor {
  return reduce("min", "min", x, axis, options);
}

function argReduce(
  where: string,
  largest: boolean,
  x: Operand,
  axis: number | undefined,
  options: ReduceOptions | undefined,
): number | IntTensor {
  operand(where, "x", x);
  const shape = shapeOf(x);
  const data = valuesOf(where, "x", x);
  const flat = axis === undefined;
  const sh = flat ? [data.length] : shape;
  const ax = flat ? 0 : normalizeAxis(where, axis, shape);
  const outer = prod(sh, 0, ax), n = sh[ax], inner = prod(sh, ax + 1);
  if (n === 0 && (flat || outer * inner > 0)) {
    throw new SaikiError(
      `${where}: ${flat ? "x" : `axis ${ax} of x`} is empty (shape ${formatShape(shape)}), ` +
        `it has no ${largest ? "largest" : "smallest"} value`,
    );
  }
  const out = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = data[base], at = 0;
      for (let j = 1; j < n && best === best; j++) {
        const v = data[base + j * inner];
        // the first NaN wins, as in NumPy; else the first of equal extremes
        if (v !== v || (largest ? v > best : v < best)) {
          best = v;
          at = j;
        }
      }
      out[o * inner + i] = at;
    }
  }
  if (flat) return out[0];
  const keep = options?.keepdims ?? false;
  const outShape = keep
    ? shape.map((d, i) => (i === ax ? 1 : d))
    : shape.filter((_, i) => i !== ax);
  return new IntTensor(out, outShape);
}

/**
 * The index of the largest value: over all values (the flat index, a number), or along `axis`
 * (an {@linkcode IntTensor}): `np.argmax`. The first one wins a tie; a NaN counts as largest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { argmax } from "./reduce.ts";
 * const scores = tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]]);
 * assert.equal(argmax(scores), 1);
 * assert.deepEqual(argmax(scores, 1).toArray(), [1, 0]); // the predicted class of each row
 * ```
 */
export function argmax(x: Operand): number;
/** The indices of the largest values along `axis`. */
export function argmax(x: Operand, axis: number, options?: ReduceOptions): IntTensor;
export function argmax(x: Operand, axis?: number, options?: ReduceOptions): number | IntTensor {
  return argReduce("argmax", true, x, axis, options);
}

/**
 * The index of the smallest value: over all values (a number), or along `axis` (an
 * {@linkcode IntTensor}): `np.argmin`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { argmin } from "./reduce.ts";
 * const x = tensor([[3, 1], [0, 4]]);
 * assert.equal(argmin(x), 2);
 * assert.deepEqual(argmin(x, 0).toArray(), [1, 0]);
 * ```
 */
export function argmin(x: Operand): number;
/** The indices of the smallest values along `axis`. */
export function argmin(x: Operand, axis: number, options?: ReduceOptions): IntTensor;
export function argmin(x: Operand, axis?: number, options?: ReduceOptions): number | IntTensor {
  return argReduce("argmin", false, x, axis, options);
}
