/**
 * Comparing tensors as NumPy's tests do: {@linkcode allclose} and {@linkcode arrayEqual}.
 *
 * @module
 */

import { abs, add, mul, sub } from "./elementwise.ts";
import type { Operand } from "./_operand.ts";
import { max } from "./reduce.ts";

/** Tolerances of {@linkcode allclose}. */
export interface CloseOptions {
  /** Relative tolerance, times `|b|` (default `1e-5`, NumPy's). */
  rtol?: number;
  /** Absolute tolerance (default `1e-8`, NumPy's). */
  atol?: number;
}

/**
 * Whether `|a − b| ≤ atol + rtol·|b|` everywhere, `a` and `b` broadcast together:
 * `np.allclose`. NaN is close to nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { allclose } from "./compare.ts";
 * assert(allclose(tensor([1, 2]), tensor([1, 2.000001])));
 * assert(!allclose(tensor([1, 2]), tensor([1, 2.1])));
 * assert(allclose(tensor([[1, 1], [1, 1]]), 1)); // broadcast
 * assert(allclose(tensor([1, 2]), tensor([1, 2.1]), { atol: 0.2 }));
 * ```
 */
export function allclose(
  a: Operand | number,
  b: Operand | number,
  options?: CloseOptions,
): boolean {
  options ??= {};
  const { rtol = 1e-5, atol = 1e-8 } = options;
  const absB = typeof b === "number" ? Math.abs(b) : abs(b);
  const excess = sub(abs(sub(a, b)), add(atol, mul(rtol, absB)));
  const worst = max(excess);
  return worst <= 0; // false for NaN
}

/**
 * Whether `a` and `b` have the same shape and the same values: `np.array_equal`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { arrayEqual } from "./compare.ts";
 * assert(arrayEqual(tensor([[1, 2]]), tensor([[1, 2]])));
 * assert(!arrayEqual(tensor([[1, 2]]), tensor([1, 2]))); // another shape
 * ```
 */
export function arrayEqual(a: Operand, b: Operand): boolean {
  const sa = "shape" in a ? a.shape : [a.rows, a.cols];
  const sb = "shape" in b ? b.shape : [b.rows, b.cols];
  if (sa.length !== sb.length || sa.some((n, i) => n !== sb[i])) return false;
  return sub(a, b).data.every((v) => v === 0);
}
