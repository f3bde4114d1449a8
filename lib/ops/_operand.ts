/**
 * What the ops share: their operand type (a tensor or a matrix view), its shape, its values in
 * row-major order, axis arguments and the checks that name what was wrong.
 *
 * @module
 */

import { formatShape, SaikiError } from "../errors.ts";
import { type Mat, span } from "../engine/views.ts";
import { Tensor } from "../tensor.ts";

/**
 * What the ops take: a {@linkcode Tensor}, or a matrix view of one ({@linkcode Mat}) such as
 * `timestep(xs, t)`, the `N × D` rows of `xs[:, t, :]`, which counts as a tensor of shape
 * `[rows, cols]`. Ops read views in place and always return new tensors.
 */
export type Operand = Tensor | Mat;

/** Checks that `x` is a float32 tensor or a matrix view inside its array; returns it as a Mat. */
export function operand(where: string, name: string, x: Operand): Mat {
  if (x instanceof Tensor) return x;
  const m = x as Partial<Mat> | null | undefined;
  if (m === null || typeof m !== "object" || !(m.data instanceof Float32Array)) {
    const got = m !== null && typeof m === "object" && m.data instanceof Int32Array
      ? "an int32 array (IntTensor)"
      : typeof m === "object" && m !== null
      ? `an object without a Float32Array data`
      : `${typeof m} ${String(m)}`;
    throw new SaikiError(
      `${where}: ${name} must be a float32 Tensor or a matrix view {data, off, rows, cols, ld}, ` +
        `got ${got}`,
    );
  }
  const v = m as Mat;
  if (
    !(Number.isInteger(v.rows) && Number.isInteger(v.cols) && Number.isInteger(v.off) &&
      Number.isInteger(v.ld) && v.rows >= 0 && v.cols >= 0 && v.off >= 0 &&
      (v.rows <= 1 || v.ld >= v.cols) && v.off + span(v) <= v.data.length)
  ) {
    throw new SaikiError(
      `${where}: ${name} is a view of ${v.rows} × ${v.cols} (ld ${v.ld}, from ${v.off}) that ` +
        `does not fit its array of ${v.data.length}`,
    );
  }
  return v;
}

/** The shape of an operand: a tensor's, or `[rows, cols]` for a matrix view. */
export function shapeOf(x: Operand): number[] {
  return x instanceof Tensor ? [...x.shape] : [x.rows, x.cols];
}

/** Whether the rows of a matrix view follow each other in its array. */
export function isContiguous(m: Mat): boolean {
  return m.rows <= 1 || m.ld === m.cols;
}

/**
 * The values of `x` in row-major order: the array itself (or a subarray) when they are
 * contiguous, else a copy. Read only: it may alias `x`.
 */
export function valuesOf(where: string, name: string, x: Operand): Float32Array {
  const m = operand(where, name, x);
  if (x instanceof Tensor) return x.data;
  if (isContiguous(m)) return m.data.subarray(m.off, m.off + m.rows * m.cols);
  const out = new Float32Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    out.set(m.data.subarray(m.off + r * m.ld, m.off + r * m.ld + m.cols), r * m.cols);
  }
  return out;
}

/** Row-major strides of `shape`, in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let a = shape.length - 1, s = 1; a >= 0; a--) {
    strides[a] = s;
    s *= shape[a];
  }
  return strides;
}

/** Product of `shape[from..to)`. */
export function prod(shape: readonly number[], from = 0, to = shape.length): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= shape[i];
  return n;
}

/** `axis` (negative counts from the end) as an index in `[0, ndim)`, or a clear error. */
export function normalizeAxis(
  where: string,
  axis: number,
  shape: readonly number[],
  ndim = shape.length,
): number {
  if (!Number.isInteger(axis)) {
    throw new SaikiError(`${where}: axis ${axis} is not an integer`);
  }
  if (axis < -ndim || axis >= ndim) {
    throw new SaikiError(
      `${where}: axis ${axis} is out of bounds for ${ndim} dimensions ` +
        `(shape ${formatShape(shape)}), expected an axis in [${-ndim}, ${ndim})`,
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Checks a shape argument: integers `>= 0`. */
export function checkShapeArg(where: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new SaikiError(
      `${where}: invalid shape ${
        Array.isArray(shape) ? formatShape(shape) : String(shape)
      }, expected integers >= 0`,
    );
  }
  return [...shape];
}
