/**
 * Fully connected layers, as the reference's `Affine` and `TimeAffine`: `Affine` for `(N, D)`
 * inputs and `TimeAffine` for `(N, T, D)`.
 *
 *     out = x·W + b                                                  (N, M)
 *     dx = dout·Wᵀ,  dW = xᵀ·dout,  db = Σ_rows dout
 *
 * @module
 */

import { expectShape } from "../errors.ts";
import { getKernels } from "../engine/kernels.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { type Layer, noForward, reuse } from "./layer.ts";

/**
 * `out = x·W + b`. Its outputs are buffers it reuses: see {@linkcode Affine.forward}.
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

  /**
   * x: `(N, D)` → out: `(N, M)`.
   *
   * `out` is a buffer the layer reuses: the next `forward` overwrites it, unless that call's
   * `x` shares its storage (`x = affine.forward(x)` with a square `W`), which gets a fresh
   * buffer and stays intact. `clone()` it to keep it longer.
   */
  forward(x: Tensor): Tensor {
    const [W, b] = this.params;
    const [D, M] = W.shape;
    const { N } = expectShape("Affine.forward", "x", x.shape, ["N", D]);
    this.#x = x;
    const out = this.#out = reuse(this.#out, [N, M], x);
    const k = getKernels();
    // out = x·W + b   (N, M)
    k.gemm(x, W, out);
    k.addBias(b, out);
    return out;
  }

  /** dout: `(N, M)` → dx: `(N, D)`, a reused buffer like `forward`'s; sets `grads`. */
  backward(dout: Tensor): Tensor {
    const x = this.#x ?? noForward("Affine.backward");
    const [W] = this.params;
    const [dW, db] = this.grads;
    const [D, M] = W.shape;
    const N = x.shape[0];
    expectShape("Affine.backward", "dout", dout.shape, [N, M]);
    const dx = this.#dx = reuse(this.#dx, [N, D], dout, x);
    const k = getKernels();
    k.gemm(dout, W, dx, { transB: true }); // dx = dout·Wᵀ       (N, D)
    k.gemm(x, dout, dW, { transA: true }); // dW = xᵀ·dout       (D, M)
    k.sumRows(dout, db); //                   db = Σ_rows dout   (M)
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
 * `(N·T, D)·(D, M)` product. Its outputs are buffers it reuses, like {@linkcode Affine}'s.
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
  constructor(W: Tensor, b: Tensor, options?: TimeAffineOptions) {
    options ??= {};
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

  /**
   * xs: `(N, T, D)` → out: `(N, T, M)`, a buffer the layer reuses like
   * {@linkcode Affine.forward}'s (fresh when `xs` shares its storage).
   */
  forward(xs: Tensor): Tensor {
    const [W, b] = this.params;
    const [D, M] = this.#sizes();
    const { N, T } = expectShape("TimeAffine.forward", "x", xs.shape, ["N", "T", D]);
    this.#x = xs;
    const out = this.#out = reuse(this.#out, [N, T, M], xs);
    const k = getKernels();
    // out = xs·W + b   (N·T, M), or xs·Wᵀ + b with W stored (M, D)
    k.gemm(xs, W, out, { transB: this.transposed });
    k.addBias(b, out);
    return out;
  }

  /** dout: `(N, T, M)` → dxs: `(N, T, D)`, a reused buffer like `forward`'s; sets `grads`. */
  backward(dout: Tensor): Tensor {
    const xs = this.#x ?? noForward("TimeAffine.backward");
    const [W] = this.params;
    const [dW, db] = this.grads;
    const [D, M] = this.#sizes();
    const [N, T] = xs.shape;
    expectShape("TimeAffine.backward", "dout", dout.shape, [N, T, M]);
    const dx = this.#dx = reuse(this.#dx, [N, T, D], dout, xs);
    const k = getKernels();
    if (this.transposed) {
      k.gemm(dout, W, dx); //                    dx = dout·W        (N·T, D), W stored (M, D)
      k.gemm(dout, xs, dW, { transA: true }); // dW = doutᵀ·xs      (M, D)
    } else {
      k.gemm(dout, W, dx, { transB: true }); //  dx = dout·Wᵀ       (N·T, D)
      k.gemm(xs, dout, dW, { transA: true }); // dW = xsᵀ·dout      (D, M)
    }
    k.sumRows(dout, db); //                      db = Σ_rows dout   (M)
    return dx;
  }
}
