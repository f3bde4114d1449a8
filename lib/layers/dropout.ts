/**
 * Dropout: `Dropout` as the reference's `layers.py` (scales at test time) and `TimeDropout` as
 * its `time_layers.py` (inverted: scales at training time).
 *
 *     Dropout, training       mask = (u > ratio),              out = x⊙mask,   dx = dout⊙mask
 *     Dropout, test           out = x·(1 − ratio),             dx = dout·(1 − ratio)
 *     TimeDropout, training   mask = (u > ratio)/(1 − ratio),  out = xs⊙mask,  dxs = dout⊙mask
 *     TimeDropout, test       out = xs,                        dxs = dout
 *
 * with `u` uniform in `[0, 1)`, one draw per value.
 *
 * @module
 */

import { getKernels } from "../engine/kernels.ts";
import { type Vec, vecOf } from "../engine/views.ts";
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

/**
 * The reference's `Dropout`: in training `out = x ⊙ mask` with `mask ~ (rand > ratio)`; at
 * test time `out = x·(1 − ratio)`. Its outputs are buffers it reuses: see
 * {@linkcode Dropout.forward}.
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
  constructor(dropoutRatio?: number, options?: DropoutOptions) {
    dropoutRatio ??= 0.5;
    options ??= {};
    this.dropoutRatio = checkRatio("Dropout", dropoutRatio);
    this.#rng = options.rng ?? new Rng(0);
  }

  /**
   * x: any shape → out of the same shape; `trainFlg` overrides the layer's mode.
   *
   * `out` is a buffer the layer reuses: the next `forward` overwrites it, unless that call's
   * `x` shares its storage (`x = dropout.forward(x)`), which gets a fresh buffer and stays
   * intact. `clone()` it to keep it longer.
   */
  forward(x: Tensor, trainFlg = this.trainFlg): Tensor {
    const out = this.#out = reuse(this.#out, x.shape, x);
    const ratio = this.dropoutRatio, k = getKernels();
    this.#trained = trainFlg;
    if (trainFlg) {
      const mask = this.#mask = reuse(this.#mask, x.shape);
      // mask = (u > ratio),  out = x⊙mask
      k.dropout(x, mask, out, { ratio, keep: 1, state: this.#rng.words() });
    } else {
      k.scale(x, 1 - ratio, out); // out = x·(1 − ratio)
    }
    return out;
  }

  /**
   * dout → dx `= dout ⊙ mask` (or `dout·(1 − ratio)` after a test-mode forward), a reused
   * buffer like `forward`'s.
   */
  backward(dout: Tensor): Tensor {
    const out = this.#out ?? noForward("Dropout.backward");
    if (dout.shape.join() !== out.shape.join()) {
      throw new SaikiError(
        `Dropout.backward: dout has shape [${dout.shape}], expected [${out.shape}]`,
      );
    }
    const dx = this.#dx = reuse(this.#dx, dout.shape, dout);
    const k = getKernels();
    if (this.#trained) k.mul(dout, this.#mask!, dx); // dx = dout⊙mask
    else k.scale(dout, 1 - this.dropoutRatio, dx); //   dx = dout·(1 − ratio)
    return dx;
  }
}

/** Row `r` of a tensor seen as `(rows, n)`: its `n` values from `r·n`. */
function row(t: Tensor, r: number, n: number): Vec {
  return vecOf(t.data, r * n, n);
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
 * Its outputs are buffers it reuses: see {@linkcode TimeDropout.forward}.
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
    dropoutRatio?: number,
    options?: { key?: MaskKey; seed?: number; stream?: number },
  ) {
    dropoutRatio ??= 0.5;
    options ??= {};
    this.dropoutRatio = checkRatio("TimeDropout", dropoutRatio);
    this.#ownKey = options.key === undefined;
    this.key = options.key ?? { seed: options.seed ?? 0, step: 0, rowOffset: 0 };
    this.stream = options.stream ?? 0;
  }

  /**
   * xs: `(N, T, D)` (any shape with rows first) → out of the same shape: `xs` itself at test
   * time; in training a buffer the layer reuses, which the next `forward` overwrites unless
   * that call's `xs` shares its storage (`xs = layer.forward(xs)`): that gets a fresh buffer
   * and stays intact. `clone()` it to keep it longer.
   */
  forward(xs: Tensor): Tensor {
    this.#trained = this.trainFlg;
    this.#shape = xs.shape;
    if (!this.trainFlg) return xs; // out = xs
    const out = this.#out = reuse(this.#out, xs.shape, xs);
    const mask = this.#mask = reuse(this.#mask, xs.shape);
    const { seed, step, rowOffset } = this.key;
    const rows = xs.shape[0], n = xs.size / rows; // xs as (rows, n)
    const ratio = this.dropoutRatio, keep = 1 / (1 - ratio);
    const k = getKernels();
    for (let r = 0; r < rows; r++) {
      // row r of the whole batch draws from a generator of its own (keyed by its place in it):
      // mask = (u > ratio) / (1 − ratio),  out = xs⊙mask
      const state = Rng.keyed(seed, this.stream, step, rowOffset + r).words();
      k.dropout(row(xs, r, n), row(mask, r, n), row(out, r, n), { ratio, keep, state });
    }
    if (this.#ownKey) this.key.step++;
    return out;
  }

  /**
   * dout → dx `= dout ⊙ mask` (or `dout` itself after a test-mode forward), a reused buffer
   * like `forward`'s.
   */
  backward(dout: Tensor): Tensor {
    const shape = this.#shape ?? noForward("TimeDropout.backward");
    if (dout.shape.join() !== shape.join()) {
      throw new SaikiError(
        `TimeDropout.backward: dout has shape [${dout.shape}], expected [${shape}]`,
      );
    }
    if (!this.#trained) return dout; // dxs = dout
    const dx = this.#dx = reuse(this.#dx, dout.shape, dout);
    getKernels().mul(dout, this.#mask!, dx); // dxs = dout⊙mask
    return dx;
  }
}
