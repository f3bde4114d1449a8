/**
 * Checks of kernel operands that both backends make before they touch memory: sizes that must
 * agree, views that must be contiguous, spans inside their arrays. Each failure is a
 * `SaikiError` naming the kernel, the operand and what was expected.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import type { GemmOptions } from "./interface.ts";
import { type Ids, type Mat, span, type Vec } from "./views.ts";

/** A matrix view's extent inside its array. */
export function checkMat(where: string, name: string, m: Mat): void {
  const n = span(m);
  if (
    !(Number.isInteger(m.rows) && Number.isInteger(m.cols) && m.rows >= 0 && m.cols >= 0 &&
      (m.rows <= 1 || m.ld >= m.cols) && m.off >= 0 && m.off + n <= m.data.length)
  ) {
    throw new SaikiError(
      `${where}: ${name} (${m.rows} × ${m.cols}, ld ${m.ld}, from ${m.off}) does not fit its ` +
        `array of ${m.data.length}` +
        (m.data.length === 0 ? " (a view detached when an unshared memory grew?)" : ""),
    );
  }
}

/** A vector view's extent inside its array. */
export function checkVec(where: string, name: string, v: Vec | Ids): void {
  if (!(Number.isInteger(v.size) && v.size >= 0 && v.off >= 0 && v.off + v.size <= v.data.length)) {
    throw new SaikiError(
      `${where}: ${name} (${v.size} values from ${v.off}) does not fit its array of ${v.data.length}` +
        (v.data.length === 0 ? " (a view detached when an unshared memory grew?)" : ""),
    );
  }
}

/** `m` is `rows × cols`. */
export function checkDims(where: string, name: string, m: Mat, rows: number, cols: number): void {
  checkMat(where, name, m);
  if (m.rows !== rows || m.cols !== cols) {
    throw new SaikiError(
      `${where}: ${name} is ${m.rows} × ${m.cols}, expected ${rows} × ${cols}`,
    );
  }
}

/** `m`'s rows follow each other (`ld = cols`, or a single row). */
export function checkContiguous(where: string, name: string, m: Mat): void {
  if (m.rows > 1 && m.ld !== m.cols) {
    throw new SaikiError(
      `${where}: ${name} must be contiguous (ld ${m.ld} = cols ${m.cols})`,
    );
  }
}

/** `v` holds `size` values. */
export function checkSize(where: string, name: string, v: Vec | Ids, size: number): void {
  checkVec(where, name, v);
  if (v.size !== size) {
    throw new SaikiError(`${where}: ${name} has ${v.size} values, expected ${size}`);
  }
}

/** Two views that must share their distance between rows (the wasm kernels take one `ld`). */
export function checkSameLd(where: string, a: string, am: Mat, b: string, bm: Mat): void {
  if (am.rows > 1 && bm.rows > 1 && am.ld !== bm.ld) {
    throw new SaikiError(`${where}: ${a} and ${b} must have the same ld (${am.ld} vs ${bm.ld})`);
  }
}

/**
 * The sizes `m, n, k` of `c = op(a)·op(b)`, checked: `op(a)` is `(m, k)`, `op(b)` `(k, n)`, `c`
 * `(m, n)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gemmDims } from "./_check.ts";
 * import { asMat } from "./views.ts";
 * const a = asMat(new Float32Array(6), 3, 2), b = asMat(new Float32Array(8), 2, 4);
 * assert.deepEqual(gemmDims("gemm", a, b, asMat(new Float32Array(12), 3, 4)), { m: 3, n: 4, k: 2 });
 * ```
 */
export function gemmDims(
  where: string,
  a: Mat,
  b: Mat,
  c: Mat,
  options: GemmOptions = {},
): { m: number; n: number; k: number } {
  checkMat(where, "a", a);
  checkMat(where, "b", b);
  checkMat(where, "c", c);
  const m = c.rows, n = c.cols;
  const [am, k] = options.transA ? [a.cols, a.rows] : [a.rows, a.cols];
  const [bk, bn] = options.transB ? [b.cols, b.rows] : [b.rows, b.cols];
  if (am !== m || bk !== k || bn !== n) {
    const t = (name: string, on?: boolean) => on ? `${name}ᵀ` : name;
    throw new SaikiError(
      `${where}: ${t("a", options.transA)} is ${am} × ${k}, ${t("b", options.transB)} is ` +
        `${bk} × ${bn}, c is ${m} × ${n}: expected (m × k)·(k × n) = (m × n)`,
    );
  }
  return { m, n, k };
}

/**
 * The sizes of one product of {@linkcode Kernels.gemmBatched}: each operand's rows must cut into
 * `batch` equal blocks, and the blocks must make `(m × k)·(k × n) = (m × n)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gemmBatchedDims } from "./_check.ts";
 * import { asMat } from "./views.ts";
 * // s_n = h_n·hs_nᵀ for N = 2: h (2, 3), hs (2·4, 3), s (2, 4)
 * const h = asMat(new Float32Array(6), 2, 3), hs = asMat(new Float32Array(24), 8, 3);
 * const s = asMat(new Float32Array(8), 2, 4);
 * assert.deepEqual(gemmBatchedDims("gemmBatched", h, hs, s, { batch: 2, transB: true }),
 *   { m: 1, n: 4, k: 3 });
 * ```
 */
export function gemmBatchedDims(
  where: string,
  a: Mat,
  b: Mat,
  c: Mat,
  options: GemmOptions & { batch: number },
): { m: number; n: number; k: number } {
  const { batch } = options;
  if (!Number.isInteger(batch) || batch < 1) {
    throw new SaikiError(`${where}: batch is ${batch}, expected an integer >= 1`);
  }
  for (const [name, x] of [["a", a], ["b", b], ["c", c]] as const) {
    checkMat(where, name, x);
    if (x.rows % batch !== 0) {
      throw new SaikiError(
        `${where}: ${name} has ${x.rows} rows, expected a multiple of batch ${batch}`,
      );
    }
  }
  const block = (x: Mat): Mat => ({
    data: x.data,
    off: x.off,
    rows: x.rows / batch,
    cols: x.cols,
    ld: x.ld,
  });
  return gemmDims(where, block(a), block(b), block(c), options);
}

/** Labels must be in `[0, cols)` or `ignore`: the kernel addresses the row by them. */
export function checkLabels(where: string, labels: Ids, cols: number, ignore: number): void {
  const { data, off, size } = labels;
  for (let r = 0; r < size; r++) {
    const t = data[off + r];
    if (t !== ignore && !(t >= 0 && t < cols)) {
      throw new SaikiError(`${where}: label ${t} at row ${r} is outside [0, ${cols})`);
    }
  }
}

/** Ids must index rows of the matrix (`vocab` of them). */
export function checkIds(where: string, ids: Ids, vocab: number): void {
  const { data, off, size } = ids;
  for (let r = 0; r < size; r++) {
    const id = data[off + r];
    if (!(id >= 0 && id < vocab)) {
      throw new SaikiError(`${where}: id ${id} at row ${r} is outside [0, ${vocab})`);
    }
  }
}
