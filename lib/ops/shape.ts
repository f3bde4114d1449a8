/**
 * Rearranging values, NumPy's way: `concat`, `stack`, `repeat`, `transpose`, `reshape` and
 * `copy` return new tensors; `timestep` (`xs[:, t, :]`), `colBlock` and `rowBlock` are views of
 * the same values, without a copy, that the ops and the kernels read in place.
 *
 * @module
 */

import { formatShape, SaikiError } from "../errors.ts";
import { getKernels } from "../engine/kernels.ts";
import { Tensor, zeros } from "../tensor.ts";
import {
  checkShapeArg,
  normalizeAxis,
  type Operand,
  operand,
  prod,
  shapeOf,
  stridesOf,
  valuesOf,
} from "./_operand.ts";

export { colBlock, rowBlock, timestep } from "../engine/views.ts";

function shapesOf(where: string, list: readonly Operand[]): number[][] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new SaikiError(`${where}: expected a non-empty array of tensors`);
  }
  return list.map((x, i) => {
    operand(where, `tensor ${i}`, x);
    return shapeOf(x);
  });
}

/**
 * Joins tensors along an existing axis (default 0): `np.concatenate(list, axis)`. Every size
 * but the one along `axis` must agree. Along the last axis it runs the kernels' `copyRows`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { concat } from "./shape.ts";
 * const a = tensor([[1, 2], [3, 4]]), b = tensor([[5], [6]]);
 * assert.deepEqual(concat([a, b], 1).toArray(), [[1, 2, 5], [3, 4, 6]]);
 * assert.deepEqual(concat([a, tensor([[7, 8]])]).toArray(), [[1, 2], [3, 4], [7, 8]]);
 * assert.throws(() => concat([a, b]), /sizes but axis 0 must agree/);
 * ```
 */
export function concat(list: readonly Operand[], axis?: number): Tensor {
  axis ??= 0;
  const where = "concat";
  const shapes = shapesOf(where, list);
  const first = shapes[0], nd = first.length;
  if (nd === 0) throw new SaikiError(`${where}: 0-d tensors have no axis to join along`);
  const ax = normalizeAxis(where, axis, first);
  shapes.forEach((s, i) => {
    if (s.length !== nd || s.some((d, j) => j !== ax && d !== first[j])) {
      throw new SaikiError(
        `${where}: tensor ${i} has shape ${formatShape(s)} and tensor 0 ${formatShape(first)}: ` +
          `all sizes but axis ${ax} must agree`,
      );
    }
  });
  const total = shapes.reduce((n, s) => n + s[ax], 0);
  const outShape = first.map((d, j) => (j === ax ? total : d));
  const out = zeros(outShape);
  if (out.size === 0) return out;
  const outer = prod(first, 0, ax), inner = prod(first, ax + 1);
  if (ax === nd - 1) {
    const k = getKernels();
    let col = 0;
    list.forEach((x, i) => {
      const w = shapes[i][ax];
      if (w > 0) {
        const view = { data: out.data, off: col, rows: outer, cols: w, ld: total };
        k.copyRows(operand(where, `tensor ${i}`, x), view);
      }
      col += w;
    });
    return out;
  }
  const outChunk = total * inner;
  let at = 0;
  list.forEach((x, i) => {
    const chunk = shapes[i][ax] * inner, data = valuesOf(where, `tensor ${i}`, x);
    for (let o = 0; o < outer; o++) {
      out.data.set(data.subarray(o * chunk, (o + 1) * chunk), o * outChunk + at);
    }
    at += chunk;
  });
  return out;
}

/**
 * Joins tensors of one shape along a new axis (default 0): `np.stack(list, axis)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { stack } from "./shape.ts";
 * const a = tensor([1, 2]), b = tensor([3, 4]);
 * assert.deepEqual(stack([a, b]).toArray(), [[1, 2], [3, 4]]);
 * assert.deepEqual(stack([a, b], 1).toArray(), [[1, 3], [2, 4]]);
 * ```
 */
export function stack(list: readonly Operand[], axis?: number): Tensor {
  axis ??= 0;
  const where = "stack";
  const shapes = shapesOf(where, list);
  const first = shapes[0];
  shapes.forEach((s, i) => {
    if (s.length !== first.length || s.some((d, j) => d !== first[j])) {
      throw new SaikiError(
        `${where}: tensor ${i} has shape ${formatShape(s)}, expected ${
          formatShape(first)
        } as tensor 0 (stacked tensors must have one shape)`,
      );
    }
  });
  const ax = normalizeAxis(where, axis, first, first.length + 1);
  const count = list.length;
  const outShape = [...first.slice(0, ax), count, ...first.slice(ax)];
  const out = zeros(outShape);
  if (out.size === 0) return out;
  const outer = prod(first, 0, ax), inner = prod(first, ax);
  list.forEach((x, i) => {
    const data = valuesOf(where, `tensor ${i}`, x);
    for (let o = 0; o < outer; o++) {
      out.data.set(data.subarray(o * inner, (o + 1) * inner), (o * count + i) * inner);
    }
  });
  return out;
}

/**
 * Repeats each item `repeats` times along `axis`: `np.repeat(x, repeats, axis)`; without an
 * axis, the values are flattened first. (The book's `h.reshape(N, 1, H).repeat(T, axis=1)`.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { repeat } from "./shape.ts";
 * const x = tensor([[1, 2], [3, 4]]);
 * assert.deepEqual(repeat(x, 2, 0).toArray(), [[1, 2], [1, 2], [3, 4], [3, 4]]);
 * assert.deepEqual(repeat(x, 2, 1).toArray(), [[1, 1, 2, 2], [3, 3, 4, 4]]);
 * assert.deepEqual(repeat(x, 2).toArray(), [1, 1, 2, 2, 3, 3, 4, 4]);
 * ```
 */
export function repeat(x: Operand, repeats: number, axis?: number): Tensor {
  const where = "repeat";
  operand(where, "x", x);
  if (!Number.isInteger(repeats) || repeats < 0) {
    throw new SaikiError(`${where}: repeats ${repeats} must be an integer >= 0`);
  }
  const data = valuesOf(where, "x", x);
  const shape = axis === undefined ? [data.length] : shapeOf(x);
  const ax = axis === undefined ? 0 : normalizeAxis(where, axis, shape);
  const outer = prod(shape, 0, ax), n = shape[ax], inner = prod(shape, ax + 1);
  const out = zeros(shape.map((d, j) => (j === ax ? d * repeats : d)));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const src = data.subarray((o * n + j) * inner, (o * n + j + 1) * inner);
      for (let r = 0; r < repeats; r++, at += inner) out.data.set(src, at);
    }
  }
  return out;
}

/**
 * The axes permuted: `np.transpose(x, axes)`, `x.T` without `axes` (all axes reversed), as a
 * new tensor (NumPy returns a view; here `x.T` is a copy).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { transpose } from "./shape.ts";
 * assert.deepEqual(transpose(tensor([[1, 2, 3], [4, 5, 6]])).toArray(), [[1, 4], [2, 5], [3, 6]]);
 * const x = tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]); // (N, T, D) → (T, N, D)
 * assert.deepEqual(transpose(x, [1, 0, 2]).toArray(), [[[1, 2], [5, 6]], [[3, 4], [7, 8]]]);
 * ```
 */
export function transpose(x: Operand, axes?: readonly number[]): Tensor {
  const where = "transpose";
  operand(where, "x", x);
  const shape = shapeOf(x), nd = shape.length;
  const perm = axes === undefined
    ? shape.map((_, i) => nd - 1 - i)
    : axes.map((a) => normalizeAxis(where, a, shape));
  if (perm.length !== nd || new Set(perm).size !== nd) {
    throw new SaikiError(
      `${where}: axes [${axes?.join(",")}] is not a permutation of the ${nd} axes of shape ${
        formatShape(shape)
      }`,
    );
  }
  const data = valuesOf(where, "x", x);
  const inStrides = stridesOf(shape);
  const outShape = perm.map((a) => shape[a]);
  const strides = perm.map((a) => inStrides[a]); // input stride of each output axis
  const out = zeros(outShape);
  const size = out.size, od = out.data;
  if (size === 0) return out;
  if (nd === 0) {
    od[0] = data[0];
    return out;
  }
  const n = outShape[nd - 1], s = strides[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  let src = 0;
  for (let o = 0; o < size; o += n) {
    for (let j = 0, i = src; j < n; j++, i += s) od[o + j] = data[i];
    for (let a = nd - 2; a >= 0; a--) {
      src += strides[a];
      if (++idx[a] < outShape[a]) break;
      src -= strides[a] * outShape[a];
      idx[a] = 0;
    }
  }
  return out;
}

/**
 * The values in another shape, as a new tensor: `np.reshape(x, shape)` (one size may be -1,
 * inferred from the others). `tensor.reshape(shape)` is the same without a copy (a view).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { reshape } from "./shape.ts";
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * assert.deepEqual(reshape(x, [3, -1]).toArray(), [[1, 2], [3, 4], [5, 6]]);
 * assert.throws(() => reshape(x, [4, 2]), /6 values into shape \[4,2\]/);
 * ```
 */
export function reshape(x: Operand, shape: readonly number[]): Tensor {
  const where = "reshape";
  const data = valuesOf(where, "x", x);
  if (!Array.isArray(shape)) throw new SaikiError(`${where}: expected a shape array, got ${shape}`);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) {
    throw new SaikiError(`${where}: shape ${formatShape(shape)} has more than one -1`);
  }
  const known = checkShapeArg(where, shape.filter((d) => d !== -1));
  const rest = prod(known);
  const inferred = unknown === 1 && rest > 0 ? data.length / rest : 0;
  const target = shape.map((d) => (d === -1 ? inferred : d));
  if (prod(target) !== data.length || !Number.isInteger(inferred)) {
    throw new SaikiError(
      `${where}: cannot reshape ${data.length} values into shape ${formatShape(shape)}` +
        ` (from shape ${formatShape(shapeOf(x))})`,
    );
  }
  return new Tensor(data.slice(), target);
}

/**
 * A copy of `x` in a new tensor: `np.copy`. A matrix view (`timestep(xs, t)`) becomes a
 * contiguous tensor of shape `[rows, cols]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { copy, timestep } from "./shape.ts";
 * const xs = tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]); // (N=2, T=2, D=2)
 * const x1 = copy(timestep(xs, 1)); // xs[:, 1, :]
 * assert.deepEqual(x1.toArray(), [[3, 4], [7, 8]]);
 * x1.data[0] = 0;
 * assert.equal(xs.data[2], 3); // the copy is its own
 * ```
 */
export function copy(x: Operand): Tensor {
  const data = valuesOf("copy", "x", x);
  return new Tensor(data.slice(), shapeOf(x));
}
