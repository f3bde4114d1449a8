/**
 * Making tensors, NumPy's way: `zeros`, `ones`, `full`, the `…Like` forms, `arange`,
 * `linspace`, and random `randn` / `rand` drawn from a seeded {@linkcode Rng}.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { Rng } from "../random.ts";
import { Tensor, zeros } from "../tensor.ts";
import { checkShapeArg, type Operand, operand, shapeOf } from "./_operand.ts";

export { zeros };

/**
 * A float32 tensor of ones: `np.ones(shape)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ones } from "./creation.ts";
 * assert.deepEqual(ones([2, 2]).toArray(), [[1, 1], [1, 1]]);
 * ```
 */
export function ones(shape: readonly number[]): Tensor {
  return full(shape, 1);
}

/**
 * A float32 tensor filled with `value`: `np.full(shape, value)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { full } from "./creation.ts";
 * assert.deepEqual(full([3], 0.5).toArray(), [0.5, 0.5, 0.5]);
 * ```
 */
export function full(shape: readonly number[], value: number): Tensor {
  return zeros(checkShapeArg("full", shape)).fill(value);
}

/**
 * Zeros of the shape of `x` (a tensor, or `[rows, cols]` of a matrix view): `np.zeros_like`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ones, zerosLike } from "./creation.ts";
 * assert.deepEqual(zerosLike(ones([2, 3])).shape, [2, 3]);
 * ```
 */
export function zerosLike(x: Operand): Tensor {
  operand("zerosLike", "x", x);
  return zeros(shapeOf(x));
}

/**
 * Ones of the shape of `x`: `np.ones_like`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { onesLike, zeros } from "./creation.ts";
 * assert.deepEqual(onesLike(zeros([2])).toArray(), [1, 1]);
 * ```
 */
export function onesLike(x: Operand): Tensor {
  return fullLike(x, 1);
}

/**
 * `value` in the shape of `x`: `np.full_like`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fullLike, zeros } from "./creation.ts";
 * assert.deepEqual(fullLike(zeros([1, 2]), 7).toArray(), [[7, 7]]);
 * ```
 */
export function fullLike(x: Operand, value: number): Tensor {
  operand("fullLike", "x", x);
  return full(shapeOf(x), value);
}

/**
 * Evenly spaced values in `[start, stop)`: `np.arange(stop)` or `np.arange(start, stop, step)`,
 * `start + i·step` rounded to float32, `ceil((stop − start) / step)` of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { arange } from "./creation.ts";
 * assert.deepEqual(arange(4).toArray(), [0, 1, 2, 3]);
 * assert.deepEqual(arange(1, 2, 0.25).toArray(), [1, 1.25, 1.5, 1.75]);
 * assert.deepEqual(arange(3, 0, -1).toArray(), [3, 2, 1]);
 * ```
 */
export function arange(stop: number): Tensor;
/** `start, start + step, …` while below `stop` (above it for a negative `step`). */
export function arange(start: number, stop: number, step?: number): Tensor;
export function arange(a: number, b?: number, step = 1): Tensor {
  const [start, stop] = b === undefined ? [0, a] : [a, b];
  if (![start, stop, step].every(Number.isFinite) || step === 0) {
    throw new SaikiError(
      `arange: start ${start}, stop ${stop}, step ${step}: expected finite numbers and a step ≠ 0`,
    );
  }
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n]);
}

/** Options of {@linkcode linspace}. */
export interface LinspaceOptions {
  /** Whether `stop` is the last value (the default) or just past it. */
  endpoint?: boolean;
}

/**
 * `num` evenly spaced values from `start` to `stop` (included unless `endpoint` is false):
 * `np.linspace(start, stop, num)`, computed in float64 and rounded to float32.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linspace } from "./creation.ts";
 * assert.deepEqual(linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
 * assert.deepEqual(linspace(0, 1, 4, { endpoint: false }).toArray(), [0, 0.25, 0.5, 0.75]);
 * ```
 */
export function linspace(
  start: number,
  stop: number,
  num?: number,
  options?: LinspaceOptions,
): Tensor {
  num ??= 50;
  options ??= {};
  const endpoint = options.endpoint ?? true;
  if (!Number.isInteger(num) || num < 0) {
    throw new SaikiError(`linspace: num ${num} must be an integer >= 0`);
  }
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  const data = new Float32Array(num);
  for (let i = 0; i < num; i++) data[i] = start + i * step;
  if (endpoint && num > 1) data[num - 1] = stop;
  return new Tensor(data, [num]);
}

let shared: Rng | undefined;

/** The generator `randn` and `rand` use without an `rng`: one for the module, seeded with 0. */
function defaultRng(): Rng {
  return shared ??= new Rng(0);
}

/**
 * Standard normal values: `np.random.randn(*shape)`. Draws from `rng`, or without one from a
 * generator shared by the module and seeded with 0, so a script's draws repeat run to run (as
 * after `np.random.seed(0)`); pass a {@linkcode Rng} of your own for a stream of your own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../random.ts";
 * import { randn } from "./creation.ts";
 * const a = randn([2, 3], new Rng(1)), b = randn([2, 3], new Rng(1));
 * assert.deepEqual(a.toArray(), b.toArray());
 * assert.deepEqual(randn([4]).shape, [4]);
 * ```
 */
export function randn(shape: readonly number[], rng?: Rng): Tensor {
  return (rng ?? defaultRng()).randn(checkShapeArg("randn", shape));
}

/**
 * Uniform values in `[0, 1)`: `np.random.rand(*shape)`, from `rng` or the module's generator
 * (see {@linkcode randn}). A draw that float32 would round up to 1 becomes the float32 just
 * below 1, so every value stays below 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../random.ts";
 * import { rand } from "./creation.ts";
 * const u = rand([1000], new Rng(3));
 * assert(u.data.every((v) => v >= 0 && v < 1));
 * ```
 */
export function rand(shape: readonly number[], rng?: Rng): Tensor {
  const r = rng ?? defaultRng();
  const t = zeros(checkShapeArg("rand", shape));
  const d = t.data;
  const below1 = 1 - 2 ** -24;
  for (let i = 0; i < d.length; i++) d[i] = Math.min(Math.fround(r.uniform()), below1);
  return t;
}
