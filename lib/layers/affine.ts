/**
 * Fully connected layers: `Affine` for `(N, D)` inputs and `TimeAffine` for `(N, T, D)`.
 *
 * @module
 */

import { expectShape } from "../errors.ts";
import { getKernels } from "../engine/kernels.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { type Layer, noForward, reuse } from "./layer.ts";

/**
 * `out = x·W + b`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Affine } from "./affine.ts";
 * import { tensor } from "../tensor.ts";
 * const layer = new Affine(tensor([[1, 0, 2], [0, 1, 3]]), tensor([0, 0, 1]));
 * const out = layer.forward(tensor([[1, 1]])); // (1, 2)·(2, 3) + b
 * assert(out.data.join() === "1,1,6");
 * const dx = layer.backward(tensor([[1, 1, 1]]));
 * assert(dx.data.join() === "3,4");
 * ```
 */
export class Affine implements Layer {
  /** `[W (D, M), b (M)]`. */
  readonly params: Tensor[];
  /** `[dW (D, M), db (M)]`. */
  readonly grads: Tensor[];
  #x?: Tensor;
  #out?: Tensor;
  #dx?: Tensor;

  /**
   * Uses the given tensors as the parameters (no copy: updates to them are seen here).
   * @param W weights `(D, M)`
   * @param b bias `(M)`
   */
  constructor(W: Tensor, b: Tensor) {
    const dims = expectShape("Affine", "W", W.shape, ["D", "M"]);
    expectShape("Affine", "b", b.shape, ["M"], dims);
    this.params = [W, b];
    this.grads = [zeros(W.shape), zeros(b.shape)];
  }

  /** x: `(N, D)` → out: `(N, M)`. */
  forward(x: Tensor): Tensor {
    const [W, b] = this.params;
    const [D, M] = W.shape;
    const { N } = expectShape("Affine.forward", "x", x.shape, ["N", D]);
    this.#x = x;
    const out = this.#out = reuse(this.#out, [N, M]);
    const k = getKernels();
    k.gemm(false, false, N, M, D, x.data, 0, D, W.data, 0, M, out.data, 0, M, false);
    k.addBias(N, M, b.data, 0, out.data, 0, M);
    return out;
  }

  /** dout: `(N, M)` → dx: `(N, D)`; sets `grads`. */
  backward(dout: Tensor): Tensor {
    const x = this.#x ?? noForward("Affine.backward");
    const [W] = this.params;
    const [D, M] = W.shape;
    const N = x.shape[0];
    expectShape("Affine.backward", "dout", dout.shape, [N, M]);
    const dx = this.#dx = reuse(this.#dx, [N, D]);
    const k = getKernels();
    k.gemm(false, true, N, D, M, dout.data, 0, M, W.data, 0, M, dx.data, 0, D, false);
    k.gemm(true, false, D, M, N, x.data, 0, D, dout.data, 0, M, this.grads[0].data, 0, M, false);
    k.sumRows(N, M, dout.data, 0, M, this.grads[1].data, 0, false);
    return dx;
  }
}

/** Options of {@linkcode TimeAffine}. */
export interface TimeAffineOptions {
  /**
   * `W` is stored transposed, `(M, D)`, and used as `Wᵀ` without a copy: weight tying, where
   * the output layer shares the embedding matrix `(V, D)`. The gradient `grads[0]` then has
   * `W`'s stored shape `(M, D)` too, so it adds directly to the embedding's gradient.
   */
  transposed?: boolean;
}

/**
 * `Affine` applied at every timestep: `out[:, t] = xs[:, t]·W + b`, computed as one
 * `(N·T, D)·(D, M)` product.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeAffine } from "./affine.ts";
 * import { zeros } from "../tensor.ts";
 * const layer = new TimeAffine(zeros([4, 9]), zeros([9]));
 * const out = layer.forward(zeros([2, 3, 4])); // xs: (N=2, T=3, D=4)
 * assert(out.shape.join() === "2,3,9");
 * // Tied to an embedding matrix E (V=9, D=4): out = xs·Eᵀ + b
 * const tied = new TimeAffine(zeros([9, 4]), zeros([9]), { transposed: true });
 * assert(tied.forward(zeros([2, 3, 4])).shape.join() === "2,3,9");
 * ```
 */
export class TimeAffine implements Layer {
  /** `[W (D, M), b (M)]`; `W` is `(M, D)` when `transposed`. */
  readonly params: Tensor[];
  /** `[dW, db]`, shaped like `params`. */
  readonly grads: Tensor[];
  /** Whether `W` is stored `(M, D)` (see {@linkcode TimeAffineOptions}). */
  readonly transposed: boolean;
  #x?: Tensor;
  #out?: Tensor;
  #dx?: Tensor;

  /**
   * Uses the given tensors as the parameters (no copy: updates to them are seen here).
   * @param W weights `(D, M)`, or `(M, D)` when `transposed`
   * @param b bias `(M)`
   */
  constructor(W: Tensor, b: Tensor, options: TimeAffineOptions = {}) {
    this.transposed = options.transposed ?? false;
    const dims = expectShape("TimeAffine", "W", W.shape, this.transposed ? ["M", "D"] : ["D", "M"]);
    expectShape("TimeAffine", "b", b.shape, ["M"], dims);
    this.params = [W, b];
    this.grads = [zeros(W.shape), zeros(b.shape)];
  }

  /** Input size `D` and output size `M`. */
  #sizes(): [number, number] {
    const [r, c] = this.params[0].shape;
    return this.transposed ? [c, r] : [r, c];
  }

  /** xs: `(N, T, D)` → out: `(N, T, M)`. */
  forward(xs: Tensor): Tensor {
    const [W, b] = this.params;
    const [D, M] = this.#sizes();
    const { N, T } = expectShape("TimeAffine.forward", "x", xs.shape, ["N", "T", D]);
    this.#x = xs;
    const out = this.#out = reuse(this.#out, [N, T, M]);
    const k = getKernels();
    // out (N·T, M) = xs (N·T, D) · W (D, M), or · Wᵀ with W stored (M, D)
    const ldw = this.transposed ? D : M;
    k.gemm(
      false,
      this.transposed,
      N * T,
      M,
      D,
      xs.data,
      0,
      D,
      W.data,
      0,
      ldw,
      out.data,
      0,
      M,
      false,
    );
    k.addBias(N * T, M, b.data, 0, out.data, 0, M);
    return out;
  }

  /** dout: `(N, T, M)` → dxs: `(N, T, D)`; sets `grads`. */
  backward(dout: Tensor): Tensor {
    const xs = this.#x ?? noForward("TimeAffine.backward");
    const [W] = this.params;
    const [dW, db] = this.grads;
    const [D, M] = this.#sizes();
    const [N, T] = xs.shape;
    expectShape("TimeAffine.backward", "dout", dout.shape, [N, T, M]);
    const R = N * T;
    const dx = this.#dx = reuse(this.#dx, [N, T, D]);
    const k = getKernels();
    if (this.transposed) {
      // dx = dout·W (W stored (M, D)); dW (M, D) = doutᵀ·xs
      k.gemm(false, false, R, D, M, dout.data, 0, M, W.data, 0, D, dx.data, 0, D, false);
      k.gemm(true, false, M, D, R, dout.data, 0, M, xs.data, 0, D, dW.data, 0, D, false);
    } else {
      // dx = dout·Wᵀ; dW (D, M) = xsᵀ·dout
      k.gemm(false, true, R, D, M, dout.data, 0, M, W.data, 0, M, dx.data, 0, D, false);
      k.gemm(true, false, D, M, R, xs.data, 0, D, dout.data, 0, M, dW.data, 0, M, false);
    }
    k.sumRows(R, M, dout.data, 0, M, db.data, 0, false);
    return dx;
  }
}
