/**
 * Softmax and cross-entropy, as the reference's `Softmax`, `SoftmaxWithLoss` (for `(N, C)`
 * scores) and `TimeSoftmaxWithLoss` (for `(N, T, V)` scores, with an ignore label):
 *
 *     y = softmax(x) = exp(x − max) / Σ_j exp(x_j − max)     row by row
 *     Softmax           dx = y ⊙ (dout − Σ_j dout_j·y_j)
 *     SoftmaxWithLoss   loss = −(1/N) Σ_n log(y[n, t_n] + 1e-7),  dx = (y − onehot(t))·dout/N
 *
 * `TimeSoftmaxWithLoss` averages over the positions not labelled `ignoreLabel`, which get a
 * zero gradient.
 *
 * @module
 */

import { expectIds, expectShape, SaikiError } from "../errors.ts";
import { getKernels } from "../engine/kernels.ts";
import { expectIntTensor, type IntTensor, type Tensor } from "../tensor.ts";
import { type Layer, noForward, reuse } from "./layer.ts";

/**
 * `y = softmax(x)` over the last axis (row maximum subtracted first, so large scores do not
 * overflow). Its outputs are buffers it reuses: see {@linkcode Softmax.forward}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Softmax } from "./softmax.ts";
 * import { tensor } from "../tensor.ts";
 * const layer = new Softmax();
 * const y = layer.forward(tensor([[0, Math.log(3)], [1000, 1000]]));
 * const close = (a: ArrayLike<number>, b: number[]) => b.every((v, i) => Math.abs(a[i] - v) < 1e-6);
 * assert(close(y.data, [0.25, 0.75, 0.5, 0.5]));
 * const dx = layer.backward(tensor([[1, 1], [2, 0]])); // y·(dout − Σ dout·y)
 * assert(Math.abs(dx.data[0]) < 1e-7 && Math.abs(dx.data[2] - 0.5) < 1e-7);
 * ```
 */
export class Softmax implements Layer {
  /** No parameters. */
  readonly params: Tensor[] = [];
  /** No gradients. */
  readonly grads: Tensor[] = [];
  #y?: Tensor;
  #dx?: Tensor;

  /**
   * x: `(N, C)` → y: `(N, C)`, each row summing to 1.
   *
   * `y` is a buffer the layer reuses: the next `forward` overwrites it, unless that call's `x`
   * shares its storage (`x = softmax.forward(x)`), which gets a fresh buffer and stays intact.
   * `clone()` it to keep it longer.
   */
  forward(x: Tensor): Tensor {
    const { N, C } = expectShape("Softmax.forward", "x", x.shape, ["N", "C"]);
    const y = this.#y = reuse(this.#y, [N, C], x);
    getKernels().softmax(x, y); // y = exp(x − max) / Σ_j exp(x_j − max)
    return y;
  }

  /** dout: `(N, C)` → dx `= y ⊙ (dout − Σ_j dout_j y_j)`, a reused buffer like `forward`'s. */
  backward(dout: Tensor): Tensor {
    const y = this.#y ?? noForward("Softmax.backward");
    const [N, C] = y.shape;
    expectShape("Softmax.backward", "dout", dout.shape, [N, C]);
    const dx = this.#dx = reuse(this.#dx, [N, C], dout);
    getKernels().softmaxBackward(y, dout, dx); // dx = y ⊙ (dout − Σ_j dout_j·y_j)
    return dx;
  }
}

/**
 * Softmax followed by the mean cross-entropy against integer labels, as the reference's
 * `SoftmaxWithLoss`: `loss = −(1/N) Σ log(y[t] + 1e-7)`, `dx = (y − onehot(t))·dout/N`.
 * `backward`'s `dx` is a buffer the layer reuses: the next `backward` overwrites it; `clone()`
 * it to keep it longer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SoftmaxWithLoss } from "./softmax.ts";
 * import { IntTensor, tensor } from "../tensor.ts";
 * const layer = new SoftmaxWithLoss();
 * const loss = layer.forward(tensor([[0, 0], [0, 0]]), IntTensor.from([0, 1]));
 * assert(Math.abs(loss - Math.log(2)) < 1e-6);
 * assert.deepEqual(Array.from(layer.backward().data), [-0.25, 0.25, 0.25, -0.25]);
 * ```
 */
export class SoftmaxWithLoss implements Layer {
  /** No parameters. */
  readonly params: Tensor[] = [];
  /** No gradients. */
  readonly grads: Tensor[] = [];
  #y?: Tensor;
  #t?: IntTensor;
  #dx?: Tensor;

  /** x: `(N, C)` scores, t: `(N)` labels in `[0, C)` → mean cross-entropy. */
  forward(x: Tensor, t: IntTensor): number {
    expectIntTensor("SoftmaxWithLoss.forward", "t", t, "labels");
    const dims = expectShape("SoftmaxWithLoss.forward", "x", x.shape, ["N", "C"]);
    expectShape("SoftmaxWithLoss.forward", "t", t.shape, ["N"], dims);
    const { N, C } = dims;
    expectIds("SoftmaxWithLoss.forward", "t", t.data, C);
    const y = this.#y = reuse(this.#y, [N, C]);
    this.#t = t;
    // y = softmax(x),  loss = −(1/N) Σ_n log(y[n, t_n] + 1e-7)
    const sum = getKernels().softmaxCrossEntropy(x, t, y, { ignore: -1, eps: 1e-7 });
    return sum / N;
  }

  /** dout (default 1) → dx: `(N, C)`. */
  backward(dout = 1): Tensor {
    const y = this.#y ?? noForward("SoftmaxWithLoss.backward");
    const N = y.shape[0];
    const dx = this.#dx = reuse(this.#dx, y.shape);
    // dx = (y − onehot(t))·dout/N
    getKernels().softmaxCrossEntropyBackward(y, this.#t!, dx, { ignore: -1, scale: dout / N });
    return dx;
  }
}

/** Options of {@linkcode TimeSoftmaxWithLoss}. */
export interface TimeSoftmaxWithLossOptions {
  /**
   * Write the softmax over the scores given to `forward`, and `backward`'s gradient over that
   * (default false): no `(N, T, V)` buffer of the layer's own, for a model whose scores are not
   * read after the loss — a language model's are its largest tensors. The scores' owner then
   * sees them changed, and `backward` can run once per `forward`. The numbers are the same.
   */
  inPlace?: boolean;
}

/**
 * Softmax and mean cross-entropy at every timestep, as the reference's `TimeSoftmaxWithLoss`:
 * positions labelled `ignoreLabel` (−1) add no loss, get zero gradient and are not counted in
 * the mean. Softmax, loss and gradient are one fused pass per row (the `(N·T, V)` scores of a
 * language model are its largest tensor). `backward`'s `dxs` is a buffer the layer reuses,
 * like {@linkcode SoftmaxWithLoss}'s `dx`; with `inPlace` (see
 * {@linkcode TimeSoftmaxWithLossOptions}) there is no other buffer: the scores become the
 * softmax, then the gradient.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeSoftmaxWithLoss } from "./softmax.ts";
 * import { IntTensor, zeros } from "../tensor.ts";
 * const layer = new TimeSoftmaxWithLoss();
 * // (N=1, T=2, V=4) uniform scores; the second position is ignored
 * const loss = layer.forward(zeros([1, 2, 4]), IntTensor.from([[3, -1]]));
 * assert(Math.abs(loss - Math.log(4)) < 1e-6);
 * const dxs = layer.backward();
 * assert.deepEqual(Array.from(dxs.data), [0.25, 0.25, 0.25, -0.75, 0, 0, 0, 0]);
 * ```
 */
export class TimeSoftmaxWithLoss implements Layer {
  /** No parameters. */
  readonly params: Tensor[] = [];
  /** No gradients. */
  readonly grads: Tensor[] = [];
  /** Label whose positions are left out (the reference's `ignore_label`). */
  readonly ignoreLabel: number;
  /** Whether `forward` and `backward` overwrite the scores (see {@linkcode TimeSoftmaxWithLossOptions}). */
  readonly inPlace: boolean;
  #ys?: Tensor;
  #ts?: IntTensor;
  #count = 0;
  #dxs?: Tensor;
  /** In place, after `backward`: the softmax is the gradient now. */
  #spent = false;

  /**
   * A loss layer that skips positions labelled `ignoreLabel`.
   * @param ignoreLabel label to leave out (default −1)
   * @param options `inPlace`
   */
  constructor(ignoreLabel?: number, options?: TimeSoftmaxWithLossOptions) {
    this.ignoreLabel = ignoreLabel ?? -1;
    this.inPlace = options?.inPlace ?? false;
  }

  /**
   * xs: `(N, T, V)` scores, ts: `(N, T)` labels in `[0, V)` or `ignoreLabel` → mean
   * cross-entropy over the counted positions (0 when every position is ignored).
   */
  forward(xs: Tensor, ts: IntTensor): number {
    expectIntTensor("TimeSoftmaxWithLoss.forward", "ts", ts, "labels");
    const dims = expectShape("TimeSoftmaxWithLoss.forward", "xs", xs.shape, ["N", "T", "V"]);
    expectShape("TimeSoftmaxWithLoss.forward", "ts", ts.shape, ["N", "T"], dims);
    const { N, T, V } = dims;
    const ignore = this.ignoreLabel;
    expectIds("TimeSoftmaxWithLoss.forward", "ts", ts.data, V, ignore);
    let count = 0;
    for (let i = 0; i < ts.data.length; i++) if (ts.data[i] !== ignore) count++;
    const ys = this.#ys = this.inPlace ? xs : reuse(this.#ys, [N, T, V]);
    this.#ts = ts;
    this.#count = count;
    this.#spent = false;
    // ys = softmax(xs) row by row,  loss = −(1/count) Σ_{t_n ≠ ignore} log ys[n, t_n]
    const sum = getKernels().softmaxCrossEntropy(xs, ts, ys, { ignore, eps: 0 });
    return count === 0 ? 0 : sum / count;
  }

  /** Positions the last `forward` counted (those not labelled `ignoreLabel`). */
  get count(): number {
    return this.#count;
  }

  /** dout (default 1) → dxs: `(N, T, V)` (in place: the scores' buffer). */
  backward(dout = 1): Tensor {
    const ys = this.#ys ?? noForward("TimeSoftmaxWithLoss.backward");
    if (this.#spent) {
      throw new SaikiError(
        "TimeSoftmaxWithLoss.backward: called twice after one forward; in place, the first " +
          "call turned the softmax into the gradient (call forward again)",
      );
    }
    this.#spent = this.inPlace;
    const dxs = this.#dxs = this.inPlace ? ys : reuse(this.#dxs, ys.shape);
    const scale = this.#count === 0 ? 0 : dout / this.#count, ignore = this.ignoreLabel;
    // dxs = (ys − onehot(ts))·dout/count, and 0 where ts = ignore
    getKernels().softmaxCrossEntropyBackward(ys, this.#ts!, dxs, { ignore, scale });
    return dxs;
  }
}
