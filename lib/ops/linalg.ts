/**
 * Matrix products: `matmul` (with `transA` / `transB`) and its NumPy alias `dot`, both by the
 * kernels' `gemm`.
 *
 * @module
 */

import { formatShape, SaikiError } from "../errors.ts";
import { getKernels } from "../engine/kernels.ts";
import type { Mat } from "../engine/views.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { type Operand, operand, shapeOf } from "./_operand.ts";

/** Options of {@linkcode matmul}. */
export interface MatmulOptions {
  /** Use `aᵀ` (`a` must be 2-D): `matmul(x, dout, { transA: true })` is `x.T @ dout`. */
  transA?: boolean;
  /** Use `bᵀ` (`b` must be 2-D): `matmul(dout, W, { transB: true })` is `dout @ W.T`. */
  transB?: boolean;
}

/**
 * The matrix product `op(a)·op(b)`: `np.matmul(a, b)`, `a @ b`, by the kernels' `gemm`.
 *
 * - `(M, K)·(K, N)` → `(M, N)`; `op(x)` is `xᵀ` when `transA` / `transB` is set;
 * - `(…, K)·(K, N)` → `(…, N)`: every leading axis of `a` folds into the rows, as the book's
 *   `TimeAffine` does with `x.reshape(N*T, -1)` (so `(N, T, D)·(D, M)` → `(N, T, M)`);
 * - a 1-D `a` is a row and a 1-D `b` a column, and that axis is dropped from the result
 *   (`(K,)·(K, N)` → `(N,)`, `(M, K)·(K,)` → `(M,)`, `(K,)·(K,)` → a 0-d tensor).
 *
 * `a` and `b` may be matrix views (`timestep(xs, t)`, shape `[rows, cols]`); the result is a
 * new tensor. `b` may not have more than 2 axes (NumPy's stacks of matrices are not supported).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { timestep } from "../engine/views.ts";
 * import { matmul } from "./linalg.ts";
 * const a = tensor([[1, 2], [3, 4]]), b = tensor([[5, 6], [7, 8]]);
 * assert.deepEqual(matmul(a, b).toArray(), [[19, 22], [43, 50]]);
 * assert.deepEqual(matmul(a, b, { transA: true }).toArray(), [[26, 30], [38, 44]]);
 * const xs = tensor([[[1, 0], [0, 1]], [[2, 0], [0, 2]]]); // (N=2, T=2, D=2)
 * assert.deepEqual(matmul(xs, b).shape, [2, 2, 2]); // TimeAffine's x·W
 * assert.deepEqual(matmul(timestep(xs, 1), b).toArray(), [[7, 8], [14, 16]]); // xs[:, 1, :] @ b
 * assert.throws(() => matmul(tensor([[1, 2, 3]]), b), /the inner sizes 3 and 2 differ/);
 * ```
 */
export function matmul(a: Operand, b: Operand, options?: MatmulOptions): Tensor {
  options ??= {};
  const where = "matmul";
  const am = operand(where, "a", a), bm = operand(where, "b", b);
  const sa = shapeOf(a), sb = shapeOf(b);
  const transA = options.transA ?? false, transB = options.transB ?? false;
  if (sa.length === 0 || sb.length === 0) {
    throw new SaikiError(
      `${where}: a is ${formatShape(sa)} and b is ${formatShape(sb)}: both need at least 1 ` +
        `axis (multiply by a scalar with mul)`,
    );
  }
  if (sb.length > 2) {
    throw new SaikiError(
      `${where}: b is ${formatShape(sb)}, expected a 2-D matrix or a 1-D vector ` +
        `(stacks of matrices are not supported)`,
    );
  }
  for (const [on, name, s] of [[transA, "a", sa], [transB, "b", sb]] as const) {
    if (on && s.length !== 2) {
      throw new SaikiError(
        `${where}: trans${name.toUpperCase()} needs a 2-D ${name}, got ${name} of shape ` +
          `${formatShape(s)} (fold it to 2-D with reshape first)`,
      );
    }
  }
  const A: Mat = sa.length === 1
    ? { data: am.data, off: am.off, rows: 1, cols: sa[0], ld: sa[0] }
    : am;
  const B: Mat = sb.length === 1 ? { data: bm.data, off: bm.off, rows: sb[0], cols: 1, ld: 1 } : bm;
  const m = transA ? A.cols : A.rows, k = transA ? A.rows : A.cols;
  const kb = transB ? B.cols : B.rows, n = transB ? B.rows : B.cols;
  if (k !== kb) {
    const shown = (name: string, s: number[], t: boolean) =>
      `${name} is ${formatShape(s)}${t ? ` (transposed: ${formatShape([s[1], s[0]])})` : ""}`;
    throw new SaikiError(
      `${where}: ${shown("a", sa, transA)} and ${shown("b", sb, transB)}: the inner sizes ${k} ` +
        `and ${kb} differ`,
    );
  }
  const lead = transA ? [m] : sa.slice(0, -1);
  const out = zeros(sb.length === 1 ? lead : [...lead, n]);
  if (m > 0 && n > 0 && k > 0) {
    getKernels().gemm(A, B, { data: out.data, off: 0, rows: m, cols: n, ld: n }, {
      transA,
      transB,
    });
  }
  return out;
}

/**
 * `np.dot(a, b)` for the cases where it is the matrix product ({@linkcode matmul} without
 * options): 1-D and 2-D operands, and `(…, K)·(K, N)`. The rest of `np.dot` (scalars, stacks
 * of matrices as `b`) throws rather than computing something else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { dot } from "./linalg.ts";
 * assert.equal(dot(tensor([1, 2, 3]), tensor([4, 5, 6])).toArray(), 32);
 * assert.deepEqual(dot(tensor([1, 1]), tensor([[1, 2], [3, 4]])).toArray(), [4, 6]);
 * ```
 */
export function dot(a: Operand, b: Operand): Tensor {
  return matmul(a, b);
}
