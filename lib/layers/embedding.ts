/**
 * Word embeddings, as the reference's `Embedding` and `TimeEmbedding`: `Embedding` picks rows
 * of `W` `(V, D)` for `(N)` ids, `TimeEmbedding` for `(N, T)`.
 *
 *     out = W[idx]                                                   (N, D)
 *     dW = 0,  then dW[idx[n]] += dout[n] for every n   (np.add.at: repeated ids add up)
 *
 * @module
 */

import { expectIds, expectShape } from "../errors.ts";
import { getKernels } from "../engine/kernels.ts";
import { expectIntTensor, type IntTensor, type Tensor, zeros } from "../tensor.ts";
import { type Layer, noForward, reuse } from "./layer.ts";

/**
 * `dW = 0`, then `dW[ids[r]] += dout[r]` for every row: repeated ids accumulate (the
 * reference's `np.add.at`).
 */
function scatterAdd(ids: IntTensor, dout: Tensor, dW: Tensor): void {
  const k = getKernels();
  k.fill(dW, 0);
  k.scatterAdd(ids, dout, dW);
}

/**
 * `out[r] = W[idx[r]]`. `out` is a buffer the layer reuses: the next `forward` overwrites it;
 * `clone()` it to keep it longer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Embedding } from "./embedding.ts";
 * import { IntTensor, tensor } from "../tensor.ts";
 * const layer = new Embedding(tensor([[0, 1], [2, 3], [4, 5]])); // V=3, D=2
 * const out = layer.forward(IntTensor.from([2, 0, 2]));
 * assert.deepEqual(out.toArray(), [[4, 5], [0, 1], [4, 5]]);
 * layer.backward(tensor([[1, 1], [1, 1], [1, 1]]));
 * assert.deepEqual(layer.grads[0].toArray(), [[1, 1], [0, 0], [2, 2]]);
 * ```
 */
export class Embedding implements Layer {
  /** `[W (V, D)]`. */
  readonly params: Tensor[];
  /** `[dW (V, D)]`. */
  readonly grads: Tensor[];
  #idx?: IntTensor;
  #out?: Tensor;

  /**
   * Uses `W` as the embedding matrix (no copy).
   * @param W `(V, D)`
   */
  constructor(W: Tensor) {
    expectShape("Embedding", "W", W.shape, ["V", "D"]);
    this.params = [W];
    this.grads = [zeros(W.shape)];
  }

  /** idx: `(N)` ids in `[0, V)` → out: `(N, D)`. */
  forward(idx: IntTensor): Tensor {
    expectIntTensor("Embedding.forward", "idx", idx);
    const [W] = this.params;
    const [V, D] = W.shape;
    const { N } = expectShape("Embedding.forward", "idx", idx.shape, ["N"]);
    expectIds("Embedding.forward", "idx", idx.data, V);
    this.#idx = idx;
    const out = this.#out = reuse(this.#out, [N, D]);
    getKernels().gather(idx, W, out); // out = W[idx]
    return out;
  }

  /** dout: `(N, D)` → `null` (ids have no gradient); sets `grads[0]`. */
  backward(dout: Tensor): null {
    const idx = this.#idx ?? noForward("Embedding.backward");
    expectShape("Embedding.backward", "dout", dout.shape, [idx.shape[0], this.params[0].shape[1]]);
    scatterAdd(idx, dout, this.grads[0]); // dW[idx[n]] += dout[n]
    return null;
  }
}

/**
 * `Embedding` for a batch of sequences: xs `(N, T)` ids → `(N, T, D)`, a buffer the layer
 * reuses like {@linkcode Embedding}'s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeEmbedding } from "./embedding.ts";
 * import { IntTensor, tensor } from "../tensor.ts";
 * const layer = new TimeEmbedding(tensor([[0, 1], [2, 3], [4, 5]]));
 * const out = layer.forward(IntTensor.from([[1, 2], [0, 1]])); // (N=2, T=2) → (2, 2, D=2)
 * assert.deepEqual(out.toArray(), [[[2, 3], [4, 5]], [[0, 1], [2, 3]]]);
 * ```
 */
export class TimeEmbedding implements Layer {
  /** `[W (V, D)]`. */
  readonly params: Tensor[];
  /** `[dW (V, D)]`. */
  readonly grads: Tensor[];
  #xs?: IntTensor;
  #out?: Tensor;

  /**
   * Uses `W` as the embedding matrix (no copy).
   * @param W `(V, D)`
   */
  constructor(W: Tensor) {
    expectShape("TimeEmbedding", "W", W.shape, ["V", "D"]);
    this.params = [W];
    this.grads = [zeros(W.shape)];
  }

  /** xs: `(N, T)` ids in `[0, V)` → out: `(N, T, D)`. */
  forward(xs: IntTensor): Tensor {
    expectIntTensor("TimeEmbedding.forward", "xs", xs);
    const [W] = this.params;
    const [V, D] = W.shape;
    const { N, T } = expectShape("TimeEmbedding.forward", "xs", xs.shape, ["N", "T"]);
    expectIds("TimeEmbedding.forward", "xs", xs.data, V);
    this.#xs = xs;
    const out = this.#out = reuse(this.#out, [N, T, D]);
    getKernels().gather(xs, W, out); // out[n, t] = W[xs[n, t]]
    return out;
  }

  /** dout: `(N, T, D)` → `null`; sets `grads[0]`. */
  backward(dout: Tensor): null {
    const xs = this.#xs ?? noForward("TimeEmbedding.backward");
    const [N, T] = xs.shape;
    expectShape("TimeEmbedding.backward", "dout", dout.shape, [N, T, this.params[0].shape[1]]);
    scatterAdd(xs, dout, this.grads[0]); // dW[xs[n, t]] += dout[n, t]
    return null;
  }
}
