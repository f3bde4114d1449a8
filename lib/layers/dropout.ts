/**
 * Dropout: `Dropout` as the reference's `layers.py` (scales at test time) and `TimeDropout` as
 * its `time_layers.py` (inverted: scales at training time).
 *
 * @module
 */

import { getKernels } from "../engine/kernels.ts";
import { SaikiError } from "../errors.ts";
import { Rng } from "../random.ts";
import type { Tensor } from "../tensor.ts";
import { type Layer, noForward, reuse } from "./layer.ts";

/** Options of the dropout layers. */
export interface DropoutOptions {
  /** Generator of the masks (default `new Rng(0)`): share one to make a whole model reproducible. */
  rng?: Rng;
}

function checkRatio(where: string, ratio: number): number {
  if (!(ratio >= 0 && ratio < 1)) {
    throw new SaikiError(`${where}: dropout ratio is ${ratio}, expected a number in [0, 1)`);
  }
  return ratio;
}

/** Draws `mask[i] = keep` with probability `1 − ratio`, else 0; returns `out = x ⊙ mask`. */
function drop(x: Tensor, mask: Tensor, out: Tensor, ratio: number, keep: number, rng: Rng) {
  getKernels().dropout(x.size, ratio, keep, rng.words(), x.data, 0, mask.data, 0, out.data, 0);
}

/**
 * The reference's `Dropout`: in training `out = x ⊙ mask` with `mask ~ (rand > ratio)`; at
 * test time `out = x·(1 − ratio)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dropout } from "./dropout.ts";
 * import { tensor } from "../tensor.ts";
 * const layer = new Dropout(0.5);
 * const out = layer.forward(tensor([1, 2, 3, 4]));
 * assert(out.data.every((v, i) => v === 0 || v === i + 1));
 * assert.deepEqual(Array.from(layer.forward(tensor([2, 4]), false).data), [1, 2]);
 * ```
 */
export class Dropout implements Layer {
  /** No parameters. */
  readonly params: Tensor[] = [];
  /** No gradients. */
  readonly grads: Tensor[] = [];
  /** Fraction of values dropped. */
  readonly dropoutRatio: number;
  /** Training mode: draw masks (default); else scale. */
  trainFlg = true;
  readonly #rng: Rng;
  #mask?: Tensor;
  #out?: Tensor;
  #dx?: Tensor;
  #trained = false;

  /**
   * A dropout layer dropping `dropoutRatio` of the values.
   * @param dropoutRatio in `[0, 1)`
   * @param options the mask generator
   */
  constructor(dropoutRatio = 0.5, options: DropoutOptions = {}) {
    this.dropoutRatio = checkRatio("Dropout", dropoutRatio);
    this.#rng = options.rng ?? new Rng(0);
  }

  /** x: any shape → out of the same shape; `trainFlg` overrides the layer's mode. */
  forward(x: Tensor, trainFlg = this.trainFlg): Tensor {
    const out = this.#out = reuse(this.#out, x.shape);
    this.#trained = trainFlg;
    if (trainFlg) {
      const mask = this.#mask = reuse(this.#mask, x.shape);
      drop(x, mask, out, this.dropoutRatio, 1, this.#rng);
    } else {
      getKernels().scale(x.size, 1 - this.dropoutRatio, x.data, 0, out.data, 0);
    }
    return out;
  }

  /** dout → dx `= dout ⊙ mask` (or `dout·(1 − ratio)` after a test-mode forward). */
  backward(dout: Tensor): Tensor {
    const out = this.#out ?? noForward("Dropout.backward");
    if (dout.shape.join() !== out.shape.join()) {
      throw new SaikiError(
        `Dropout.backward: dout has shape [${dout.shape}], expected [${out.shape}]`,
      );
    }
    const dx = this.#dx = reuse(this.#dx, dout.shape);
    const k = getKernels();
    if (this.#trained) k.mul(dout.size, dout.data, 0, this.#mask!.data, 0, dx.data, 0);
    else k.scale(dout.size, 1 - this.dropoutRatio, dout.data, 0, dx.data, 0);
    return dx;
  }
}

/**
 * Which masks a {@linkcode TimeDropout} draws: row `r` of a batch at training step `step` uses
 * the generator `Rng.keyed(seed, stream, step, rowOffset + r)`, so a row's mask depends on
 * where the row is in the whole batch, not on which shard or thread computes it. A model
 * shares one key among its dropout layers (each its own `stream`) and sets `step` and
 * `rowOffset`.
 */
export interface MaskKey {
  /** The run's seed. */
  seed: number;
  /** Training step (iterations done before this one). */
  step: number;
  /** Index in the whole batch of this layer's first row. */
  rowOffset: number;
}

/**
 * The reference's `TimeDropout` (inverted dropout): in training
 * `out = xs ⊙ mask / (1 − ratio)`; at test time `out = xs`. Masks are drawn per row from
 * generators keyed by {@linkcode MaskKey} (the reference draws them from one NumPy stream).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeDropout } from "./dropout.ts";
 * import { tensor } from "../tensor.ts";
 * const layer = new TimeDropout(0.5, { seed: 1 });
 * const out = layer.forward(tensor([[[1, 1, 1, 1]]]));
 * assert(out.data.every((v) => v === 0 || v === 2));
 * layer.trainFlg = false;
 * assert.deepEqual(Array.from(layer.forward(tensor([[[3]]])).data), [3]);
 * ```
 */
export class TimeDropout implements Layer {
  /** No parameters. */
  readonly params: Tensor[] = [];
  /** No gradients. */
  readonly grads: Tensor[] = [];
  /** Fraction of values dropped. */
  readonly dropoutRatio: number;
  /** Training mode: draw masks (default); else pass through. */
  trainFlg = true;
  /** The masks' key: shared with the model that owns the layer, or the layer's own. */
  readonly key: MaskKey;
  /** This layer's stream among those sharing {@linkcode TimeDropout.key}. */
  readonly stream: number;
  readonly #ownKey: boolean;
  #mask?: Tensor;
  #out?: Tensor;
  #dx?: Tensor;
  #shape?: readonly number[];
  #trained = false;

  /**
   * A dropout layer dropping `dropoutRatio` of the values.
   * @param dropoutRatio in `[0, 1)`
   * @param options `key`: a key shared with other layers (its owner advances `step`; without
   *   one the layer keeps its own, seeded by `seed`, and advances it after every training
   *   forward); `stream`: this layer's stream under that key
   */
  constructor(
    dropoutRatio = 0.5,
    options: { key?: MaskKey; seed?: number; stream?: number } = {},
  ) {
    this.dropoutRatio = checkRatio("TimeDropout", dropoutRatio);
    this.#ownKey = options.key === undefined;
    this.key = options.key ?? { seed: options.seed ?? 0, step: 0, rowOffset: 0 };
    this.stream = options.stream ?? 0;
  }

  /** xs: `(N, T, D)` (any shape with rows first) → out of the same shape. */
  forward(xs: Tensor): Tensor {
    this.#trained = this.trainFlg;
    this.#shape = xs.shape;
    if (!this.trainFlg) return xs;
    const out = this.#out = reuse(this.#out, xs.shape);
    const mask = this.#mask = reuse(this.#mask, xs.shape);
    const { seed, step, rowOffset } = this.key;
    const rows = xs.shape[0], n = xs.size / rows, ratio = this.dropoutRatio;
    const k = getKernels();
    for (let r = 0; r < rows; r++) {
      const words = Rng.keyed(seed, this.stream, step, rowOffset + r).words();
      k.dropout(
        n,
        ratio,
        1 / (1 - ratio),
        words,
        xs.data,
        r * n,
        mask.data,
        r * n,
        out.data,
        r * n,
      );
    }
    if (this.#ownKey) this.key.step++;
    return out;
  }

  /** dout → dx `= dout ⊙ mask` (or `dout` after a test-mode forward). */
  backward(dout: Tensor): Tensor {
    const shape = this.#shape ?? noForward("TimeDropout.backward");
    if (dout.shape.join() !== shape.join()) {
      throw new SaikiError(
        `TimeDropout.backward: dout has shape [${dout.shape}], expected [${shape}]`,
      );
    }
    if (!this.#trained) return dout;
    const dx = this.#dx = reuse(this.#dx, dout.shape);
    getKernels().mul(dout.size, dout.data, 0, this.#mask!.data, 0, dx.data, 0);
    return dx;
  }
}
