/**
 * Views: how a kernel is told where its operands are.
 *
 * A kernel reads and writes strided row-major matrices ({@linkcode Mat}: `rows × cols` values
 * of `data`, row `r` starting at `off + r·ld`) and contiguous runs of values ({@linkcode Vec}).
 * A {@linkcode Tensor} is both: as a matrix its last axis is the columns and every other axis
 * is folded into the rows (an `(N, T, D)` tensor is the `(N·T, D)` matrix), as a vector it is all
 * its values. So a layer passes its tensors as they are, `k.gemm(x, Wx, A)`, and builds a view
 * only where it addresses part of one: {@linkcode timestep} (`xs[:, t, :]`, the `N` rows of one
 * step), {@linkcode colBlock} (a gate's columns), {@linkcode rowBlock}, {@linkcode asMat}.
 *
 * Views are plain objects, made at the call and never kept: a tensor in the engine's memory
 * rebuilds its `data` after an unshared memory grows, so a view made earlier may be stale.
 *
 * @module
 */

import { formatShape, SaikiError } from "../errors.ts";

/**
 * A strided matrix: element `(r, c)` is `data[off + r·ld + c]`, for `r < rows`, `c < cols`.
 * Every {@linkcode Tensor} is one (its last axis the columns).
 */
export interface Mat {
  /** The storage. */
  readonly data: Float32Array;
  /** Index of element `(0, 0)` in `data`. */
  readonly off: number;
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** Distance in elements from one row's start to the next's (≥ `cols`). */
  readonly ld: number;
}

/** `size` contiguous floats from `data[off]`. Every {@linkcode Tensor} is one. */
export interface Vec {
  /** The storage. */
  readonly data: Float32Array;
  /** Index of the first value. */
  readonly off: number;
  /** Number of values. */
  readonly size: number;
}

/** `size` contiguous int32 ids or labels from `data[off]`. Every `IntTensor` is one. */
export interface Ids {
  /** The storage. */
  readonly data: Int32Array;
  /** Index of the first id. */
  readonly off: number;
  /** Number of ids. */
  readonly size: number;
}

/** What a tensor offers to be viewed: its values and its shape. */
export interface Shaped {
  /** The values, row-major. */
  readonly data: Float32Array;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
}

/**
 * Elements of `data` a matrix view spans, from its `off` to the end of its last row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { asMat, span, timestep } from "./views.ts";
 * const xs = { data: new Float32Array(2 * 3 * 4), shape: [2, 3, 4] }; // (N, T, D)
 * assert.equal(span(asMat(xs)), 24); // a whole tensor: all its values
 * const x2 = timestep(xs, 2); // rows xs[0, 2] and xs[1, 2]: 4 values each, 12 apart
 * assert.equal(span(x2), 12 + 4);
 * assert(x2.off + span(x2) <= xs.data.length); // the bounds check a kernel's argument passes
 * ```
 */
export function span(m: Mat): number {
  return m.rows === 0 || m.cols === 0 ? 0 : (m.rows - 1) * m.ld + m.cols;
}

/**
 * A tensor (or a flat array) seen as a `rows × cols` matrix; by default its last axis is the
 * columns. Throws when the sizes do not match.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { asMat } from "./views.ts";
 * const m = asMat(new Float32Array(12), 3, 4);
 * assert(m.rows === 3 && m.cols === 4 && m.ld === 4);
 * ```
 */
export function asMat(t: Shaped | Float32Array, rows?: number, cols?: number): Mat {
  const data = t instanceof Float32Array ? t : t.data;
  if (cols === undefined) {
    const shape = t instanceof Float32Array ? [t.length] : t.shape;
    cols = shape.length === 0 ? 1 : shape[shape.length - 1];
  }
  rows ??= cols === 0 ? 0 : data.length / cols;
  if (!Number.isInteger(rows) || rows * cols !== data.length) {
    throw new SaikiError(
      `asMat: ${data.length} values do not make a ${rows} × ${cols} matrix`,
    );
  }
  return { data, off: 0, rows, cols, ld: cols };
}

/**
 * `xs[:, t, :]` of an `(N, T, D)` tensor as an `N × D` matrix view (no copy): row `n` is
 * `xs[n, t]`, `T·D` values after row `n − 1`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timestep } from "./views.ts";
 * const xs = { data: Float32Array.from({ length: 12 }, (_, i) => i), shape: [2, 3, 2] };
 * const x1 = timestep(xs, 1); // rows xs[0, 1] = [2, 3] and xs[1, 1] = [8, 9]
 * assert(x1.data[x1.off] === 2 && x1.data[x1.off + x1.ld] === 8);
 * ```
 */
export function timestep(xs: Shaped, t: number): Mat {
  if (xs.shape.length !== 3) {
    throw new SaikiError(
      `timestep: expected an (N, T, D) tensor, got shape ${formatShape(xs.shape)}`,
    );
  }
  const [N, T, D] = xs.shape;
  if (!Number.isInteger(t) || t < 0 || t >= T) {
    throw new SaikiError(`timestep: t = ${t} is outside [0, ${T})`);
  }
  return { data: xs.data, off: t * D, rows: N, cols: D, ld: T * D };
}

/**
 * Columns `[start, start + width)` of a matrix view: a gate's block of packed gates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { asMat, colBlock } from "./views.ts";
 * const g = colBlock(asMat(new Float32Array(8), 2, 4), 2, 2);
 * assert(g.off === 2 && g.cols === 2 && g.ld === 4);
 * ```
 */
export function colBlock(m: Mat, start: number, width: number): Mat {
  if (
    !(Number.isInteger(start) && Number.isInteger(width) && start >= 0 && width >= 0 &&
      start + width <= m.cols)
  ) {
    throw new SaikiError(`colBlock: columns [${start}, ${start + width}) of ${m.cols}`);
  }
  return { data: m.data, off: m.off + start, rows: m.rows, cols: width, ld: m.ld };
}

/**
 * Rows `[start, start + count)` of a matrix view.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { asMat, rowBlock } from "./views.ts";
 * const r = rowBlock(asMat(new Float32Array(8), 4, 2), 1, 2);
 * assert(r.off === 2 && r.rows === 2);
 * ```
 */
export function rowBlock(m: Mat, start: number, count: number): Mat {
  if (
    !(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 &&
      start + count <= m.rows)
  ) {
    throw new SaikiError(`rowBlock: rows [${start}, ${start + count}) of ${m.rows}`);
  }
  return { data: m.data, off: m.off + start * m.ld, rows: count, cols: m.cols, ld: m.ld };
}

/**
 * A contiguous run of `size` values of a flat array from `off`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { vecOf } from "./views.ts";
 * const v = vecOf(new Float32Array(10), 4, 3);
 * assert(v.off === 4 && v.size === 3);
 * ```
 */
export function vecOf(data: Float32Array, off: number = 0, size: number = data.length - off): Vec {
  if (!(off >= 0 && size >= 0 && off + size <= data.length)) {
    throw new SaikiError(`vecOf: values [${off}, ${off + size}) of an array of ${data.length}`);
  }
  return { data, off, size };
}
