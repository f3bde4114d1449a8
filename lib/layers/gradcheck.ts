/**
 * Numerical gradient checking: central differences against a layer's analytic gradients.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { Rng } from "../random.ts";
import type { Tensor } from "../tensor.ts";

/** One tensor to check: its values, and the analytic gradient `backward` computed for it. */
export interface GradCheckTarget {
  /** Name used in the report, e.g. `"Wx"` or `"dxs"`. */
  name: string;
  /** The tensor the loss depends on; perturbed in place and restored. */
  value: Tensor;
  /** The analytic gradient of the loss with respect to `value` (same size). */
  grad: Tensor;
}

/** Options of {@linkcode gradCheck}. */
export interface GradCheckOptions {
  /** Step of the central difference (default `1e-2`, suited to float32 forward passes). */
  eps?: number;
  /** Elements checked per tensor at most, drawn at random (default 64; all when fewer). */
  maxChecks?: number;
  /** Floor of the relative error's denominator, for gradients near zero (default `1e-3`). */
  floor?: number;
  /** Seed for choosing which elements to check (default 0). */
  seed?: number;
}

/** The outcome for one target. */
export interface GradCheckResult {
  /** The target's name. */
  name: string;
  /** Largest `|analytic − numeric| / max(|analytic|, |numeric|, floor)` seen. */
  maxRelError: number;
  /** Flat index where it was seen. */
  worstIndex: number;
  /** Analytic value there. */
  analytic: number;
  /** Numerical value there. */
  numeric: number;
  /** How many elements were checked. */
  checked: number;
}

/**
 * `Σ a·b` accumulated in float64: the usual scalar loss for checking a layer, whose upstream
 * gradient is then `b`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dot } from "./gradcheck.ts";
 * import { tensor } from "../tensor.ts";
 * assert(dot(tensor([1, 2]), tensor([3, 4])) === 11);
 * ```
 */
export function dot(a: Tensor, b: Tensor): number {
  if (a.size !== b.size) {
    throw new SaikiError(`dot: sizes differ, ${a.size} and ${b.size}`);
  }
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i] * b.data[i];
  return s;
}

/**
 * Compares analytic gradients with central differences `(L(x+ε) − L(x−ε)) / 2ε`.
 *
 * Run forward and backward once first, so each target's `grad` holds the analytic gradient;
 * `loss` must recompute the scalar loss from scratch (a forward pass) every time it is called.
 * The loss is evaluated in float64 (`dot` accumulates in float64); the values themselves stay
 * float32, so expect relative errors near `1e-4`–`1e-3`, and treat `1e-2` as a failure bound.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dot, gradCheck } from "./gradcheck.ts";
 * import { Affine } from "./affine.ts";
 * import { Rng } from "../random.ts";
 * const rng = new Rng(1);
 * const layer = new Affine(rng.randn([3, 2]), rng.randn([2]));
 * const x = rng.randn([4, 3]), r = rng.randn([4, 2]);
 * const loss = () => dot(layer.forward(x), r); // L = Σ out·r, so dL/dout = r
 * loss();
 * const dx = layer.backward(r).clone();
 * const report = gradCheck(loss, [
 *   { name: "x", value: x, grad: dx },
 *   { name: "W", value: layer.params[0], grad: layer.grads[0] },
 *   { name: "b", value: layer.params[1], grad: layer.grads[1] },
 * ]);
 * assert(report.every((r) => r.maxRelError < 1e-2));
 * ```
 */
export function gradCheck(
  loss: () => number,
  targets: readonly GradCheckTarget[],
  options?: GradCheckOptions,
): GradCheckResult[] {
  options ??= {};
  const { eps = 1e-2, maxChecks = 64, floor = 1e-3, seed = 0 } = options;
  const rng = new Rng(seed);
  return targets.map(({ name, value, grad }) => {
    if (grad.size !== value.size) {
      throw new SaikiError(
        `gradCheck: grad of ${name} has ${grad.size} values, expected ${value.size}`,
      );
    }
    const analyticAll = grad.data.slice(); // loss() may run code that overwrites grad
    const n = value.size;
    const indices = n <= maxChecks
      ? Array.from({ length: n }, (_, i) => i)
      : Array.from({ length: maxChecks }, () => rng.int(n));
    const result: GradCheckResult = {
      name,
      maxRelError: 0,
      worstIndex: -1,
      analytic: 0,
      numeric: 0,
      checked: indices.length,
    };
    for (const i of indices) {
      const x = value.data[i];
      value.data[i] = x + eps;
      const plus = loss();
      value.data[i] = x - eps;
      const minus = loss();
      value.data[i] = x;
      // The step actually taken, after float32 rounding of x ± eps.
      const step = Math.fround(x + eps) - Math.fround(x - eps);
      const numeric = (plus - minus) / step;
      const analytic = analyticAll[i];
      const err = Math.abs(analytic - numeric) /
        Math.max(Math.abs(analytic), Math.abs(numeric), floor);
      if (err > result.maxRelError || result.worstIndex < 0) {
        Object.assign(result, { maxRelError: err, worstIndex: i, analytic, numeric });
      }
    }
    loss(); // leave the layer's caches as they were for the unperturbed values
    return result;
  });
}
