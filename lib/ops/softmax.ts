/**
 * The softmax over the last axis, the book's `softmax(x)`, by the kernels' `softmax`.
 *
 * @module
 */

import { getKernels } from "../engine/kernels.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { isContiguous, type Operand, operand, shapeOf } from "./_operand.ts";

/**
 * `exp(x − max) / Σ exp(x − max)` over the last axis (each row of a 2-D `x`, each `(n, t)` of
 * an `(N, T, V)` score tensor): the book's `softmax`, returned as a new tensor. `x` may be a
 * matrix view such as `timestep(xs, t)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { softmax } from "./softmax.ts";
 * const y = softmax(tensor([[0, 0], [1000, 1002]])); // no overflow: the max is subtracted
 * assert.deepEqual([y.data[0], y.data[1]], [0.5, 0.5]);
 * const e2 = Math.exp(2);
 * assert(Math.abs(y.data[3] - e2 / (1 + e2)) < 1e-6);
 * ```
 */
export function softmax(x: Operand): Tensor {
  const m = operand("softmax", "x", x);
  const out = zeros(shapeOf(x));
  if (out.size === 0) return out;
  const k = getKernels();
  const y = { data: out.data, off: 0, rows: m.rows, cols: m.cols, ld: m.cols };
  if (isContiguous(m)) k.softmax(m, y);
  else {
    // the kernel reads contiguous rows: gather the view's rows first
    k.copyRows(m, y);
    k.softmax(y, y);
  }
  return out;
}
