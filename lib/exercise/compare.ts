/**
 * Comparing a learner's arrays with the reference's: tolerances, the first element that
 * differs, and its index in the array's own axes.
 *
 * @module
 */

/** An array with a shape: a saiki `Tensor`, an `Array64`, or a fixture's `{shape, data}`. */
export interface Shaped {
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** Values, row-major. */
  readonly data: ArrayLike<number>;
}

/** `|actual − expected| ≤ atol + rtol·|expected|`, elementwise. */
export interface Tolerance {
  /** Relative part. */
  rtol: number;
  /** Absolute floor, for values that cancel to near zero. */
  atol: number;
}

/**
 * float32 against the float32 reference (NumPy's `common/`). Both round every operation to
 * float32 (relative 6e-8 each) but in different orders — a learner's `add` of per-step
 * gradients, NumPy's BLAS sums — so results differ by a few roundings compounded through a
 * few dozen operations: 1e-6 relative at most here. `rtol = 1e-4` leaves two orders of margin
 * and still catches every real mistake (they change values by 1e-2 or more); `atol = 1e-6`
 * covers values that cancel to near zero (a gradient summed over steps), where a relative bound
 * means nothing: the fixtures' values are of order 0.1–1, so 1e-6 is a few roundings of them.
 * The same bounds as the repository's own tests (`tests/_helpers.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FLOAT32_TOLERANCE, withinTolerance } from "./compare.ts";
 * assert(withinTolerance(0.14121, 0.1412, FLOAT32_TOLERANCE));
 * assert(!withinTolerance(0.1412, 0.1398, FLOAT32_TOLERANCE));
 * ```
 */
export const FLOAT32_TOLERANCE: Readonly<Tolerance> = { rtol: 1e-4, atol: 1e-6 };

/**
 * float64 against float64 (the SimpleRNN exercise, whose NumPy code is float64): a few dozen
 * roundings of 1.1e-16 each, so 1e-9 relative is far above the rounding and far below what a
 * float32 computation gives (1e-8–1e-7), which this tolerance must reject: the exercise prints
 * eight decimals that float32 does not reproduce.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FLOAT64_TOLERANCE, withinTolerance } from "./compare.ts";
 * assert(!withinTolerance(Math.fround(0.79494228), 0.79494228, FLOAT64_TOLERANCE));
 * ```
 */
export const FLOAT64_TOLERANCE: Readonly<Tolerance> = { rtol: 1e-9, atol: 1e-12 };

/**
 * Whether `actual` is within `tolerance` of `expected` (NaN never is).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withinTolerance } from "./compare.ts";
 * assert(withinTolerance(1.00005, 1, { rtol: 1e-4, atol: 0 }));
 * assert(!withinTolerance(NaN, 1, { rtol: 1, atol: 1 }));
 * ```
 */
export function withinTolerance(actual: number, expected: number, tolerance: Tolerance): boolean {
  return Math.abs(actual - expected) <= tolerance.atol + tolerance.rtol * Math.abs(expected);
}

/**
 * Whether `x` looks like an array with a shape (`shape` a list of sizes, `data` indexable with
 * as many values).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isShaped } from "./compare.ts";
 * assert(isShaped({ shape: [2], data: new Float32Array(2) }));
 * assert(!isShaped({ rows: 2, cols: 2, data: new Float32Array(4) }) && !isShaped(undefined));
 * ```
 */
export function isShaped(x: unknown): x is Shaped {
  if (x === null || typeof x !== "object") return false;
  const { shape, data } = x as { shape?: unknown; data?: unknown };
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return false;
  if (
    data === null || typeof data !== "object" ||
    typeof (data as ArrayLike<number>).length !== "number"
  ) {
    return false;
  }
  return (data as ArrayLike<number>).length === shape.reduce((a: number, b: number) => a * b, 1);
}

/**
 * The index in `shape`'s axes of flat (row-major) position `flat`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unravel } from "./compare.ts";
 * assert.deepEqual(unravel(13, [5, 5]), [2, 3]);
 * assert.deepEqual(unravel(7, [2, 2, 3]), [1, 0, 1]);
 * ```
 */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    index[axis] = flat % shape[axis];
    flat = Math.floor(flat / shape[axis]);
  }
  return index;
}

/** Where two arrays of the same size first differ. */
export interface Difference {
  /** Flat (row-major) position. */
  flat: number;
  /** The learner's value there. */
  actual: number;
  /** The reference's value there. */
  expected: number;
}

/**
 * The first element where `actual` is not within `tolerance` of `expected` (same sizes), or
 * `null` when every element is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FLOAT32_TOLERANCE, firstDifference } from "./compare.ts";
 * const d = firstDifference([1, 2, 3.5], [1, 2, 3], FLOAT32_TOLERANCE);
 * assert.deepEqual(d, { flat: 2, actual: 3.5, expected: 3 });
 * assert.equal(firstDifference([1], [1], FLOAT32_TOLERANCE), null);
 * ```
 */
export function firstDifference(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance,
): Difference | null {
  for (let i = 0; i < expected.length; i++) {
    if (!withinTolerance(actual[i], expected[i], tolerance)) {
      return { flat: i, actual: actual[i], expected: expected[i] };
    }
  }
  return null;
}

/**
 * Whether `actual` has `expected`'s shape and every value within `tolerance`. A number is an
 * array of shape `[]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allClose, FLOAT32_TOLERANCE } from "./compare.ts";
 * const tol = FLOAT32_TOLERANCE;
 * assert(allClose({ shape: [2], data: [1, 2] }, { shape: [2], data: [1, 2.00001] }, tol));
 * assert(!allClose({ shape: [1, 2], data: [1, 2] }, { shape: [2], data: [1, 2] }, tol));
 * assert(allClose(4.16, 4.16, tol) && !allClose(undefined, 1, tol));
 * ```
 */
export function allClose(
  actual: unknown,
  expected: Shaped | number,
  tolerance: Tolerance,
): boolean {
  const a = asShaped(actual), e = asShaped(expected);
  if (a === null || e === null || !sameShape(a.shape, e.shape)) return false;
  return firstDifference(a.data, e.data, tolerance) === null;
}

/**
 * A number as an array of shape `[]`, an array with a shape as it is, anything else `null`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { asShaped } from "./compare.ts";
 * assert.deepEqual(asShaped(2), { shape: [], data: [2] });
 * assert.equal(asShaped("2"), null);
 * ```
 */
export function asShaped(x: unknown): Shaped | null {
  if (typeof x === "number") return { shape: [], data: [x] };
  return isShaped(x) ? x : null;
}

/**
 * Whether two shapes are equal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sameShape } from "./compare.ts";
 * assert(sameShape([2, 3], [2, 3]) && !sameShape([2, 3], [3, 2]) && !sameShape([5], [1, 5]));
 * ```
 */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * What a value that should have been an array is, for messages: `undefined`, `a number`,
 * `a matrix view without a shape`, `an object with keys a, b`….
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeValue } from "./compare.ts";
 * assert.equal(describeValue(undefined), "undefined");
 * const view = { rows: 2, cols: 3, data: new Float32Array(6) };
 * assert.equal(describeValue(view), "a matrix view (rows 2, cols 3)");
 * assert.equal(describeValue([1, 2]), "a plain array of 2 values");
 * ```
 */
export function describeValue(x: unknown): string {
  if (x === undefined || x === null) return String(x);
  if (typeof x === "number") return `the number ${x}`;
  if (Array.isArray(x)) return `a plain array of ${x.length} values`;
  if (typeof x !== "object") return `a ${typeof x}`;
  const o = x as Record<string, unknown>;
  if (typeof o.rows === "number" && typeof o.cols === "number") {
    return `a matrix view (rows ${o.rows}, cols ${o.cols})`;
  }
  if (Array.isArray(o.shape)) {
    const n = typeof (o.data as ArrayLike<number> | undefined)?.length === "number"
      ? (o.data as ArrayLike<number>).length
      : "no";
    return `an object of shape [${o.shape.join(", ")}] with ${n} values`;
  }
  const name = (x as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== "Object"
    ? `a ${name}`
    : `an object with keys ${Object.keys(o).join(", ")}`;
}

/**
 * A copy of `x`'s values when it is an array with a shape (so a later call of the learner's
 * code that reuses its buffers cannot change what this one returned); anything else as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { snapshot } from "./compare.ts";
 * const a = { shape: [2], data: new Float32Array([1, 2]) };
 * const s = snapshot(a) as { data: Float64Array };
 * a.data[0] = 5;
 * assert.equal(s.data[0], 1);
 * assert.equal(snapshot(undefined), undefined);
 * ```
 */
export function snapshot(x: unknown): unknown {
  const s = asShaped(x);
  if (s === null || typeof x === "number") return x;
  return { shape: [...s.shape], data: Float64Array.from(s.data) };
}
