/**
 * The one time loop of `TimeRNN`, `TimeLSTM` and `TimeGRU`, and the state protocol they share.
 *
 * The reference's `TimeRNN` runs its cell `T` times, `h_t = cell.forward(xs[:, t], h_{t−1})`,
 * and sums the cell's weight gradients over the steps going back. This loop computes the same,
 * for `xs: (N, T, D)` and a cell with `G` gates, with fewer and larger products:
 *
 * 1. the input part of every step at once, `A = xs·Wx + b` `(N·T, G·H)`, one product;
 * 2. the time loop: at step `t`, the cell's `stepForward` adds `h_{t−1}·Wh` to `A[:, t]` and
 *    applies its pointwise part to the `N` rows of the step (`O(T)` kernel calls in all);
 * 3. backward, from `t = T − 1` down: `dh_t = dhs[:, t] + dh_next` (the gradient carried back
 *    from step `t + 1`), then the cell's `stepBackward` writes `dA[:, t]` and the gradient
 *    w.r.t. `h_{t−1}` (after step 0, the gradient w.r.t. the initial state: `dh`);
 * 4. the sums over the steps as single products: `dxs = dA·Wxᵀ`, `dWx = xsᵀ·dA`,
 *    `dWh = Σ_t h_{t−1}ᵀ·dA_t`, `db = Σ_rows dA`.
 *
 * `xs[:, t]` is `timestep(xs, t)`, a view of the step's `N` rows (no copy). `Wh` is packed once
 * per pass (`Kernels.packB`) for the `T` products of the loop. A subclass (one per cell) writes
 * only the step: {@linkcode TimeRecurrent.stepForward}, {@linkcode TimeRecurrent.stepBackward}
 * and the packing of `Wh` they use.
 *
 * @module
 */

import { expectShape, formatShape, SaikiError } from "../errors.ts";
import { getKernels, type Kernels } from "../engine/kernels.ts";
import { asMat, colBlock, type Mat, timestep } from "../engine/views.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { initialState, noForward, reuse, type SequenceLayer } from "./layer.ts";

/**
 * Checks `Wx (D, G·H)`, `Wh (H, G·H)`, `b (G·H)` for a recurrent layer with `G` gates;
 * returns them as a list.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkRnnParams } from "./recurrent.ts";
 * import { zeros } from "../tensor.ts";
 * assert(checkRnnParams("LSTM", zeros([3, 8]), zeros([2, 8]), zeros([8]), 4).length === 3);
 * ```
 */
export function checkRnnParams(
  where: string,
  Wx: Tensor,
  Wh: Tensor,
  b: Tensor,
  gates: number,
): Tensor[] {
  const cols = gates === 1 ? "H" : `${gates}H`;
  const dims = expectShape(where, "Wh", Wh.shape, ["H", cols]);
  if (dims[cols] !== gates * dims.H) {
    throw new SaikiError(
      `${where}: Wh has shape ${formatShape(Wh.shape)}, expected [H,${cols}] (${cols} = ${
        gates * dims.H
      })`,
    );
  }
  expectShape(where, "Wx", Wx.shape, ["D", cols], dims);
  expectShape(where, "b", b.shape, [cols], dims);
  return [Wx, Wh, b];
}

/**
 * The state protocol of every recurrent time layer, as the reference's `TimeRNN` has it:
 * `stateful` layers start each `forward` from the last `h` (and `c`), `setState` sets them,
 * `resetState` forgets them, and after `backward`, `dh` holds the gradient w.r.t. the `h`
 * the last forward started from. Models, the trainer and checkpoints use this interface.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RecurrentState } from "./recurrent.ts";
 * import { TimeLSTM } from "./lstm.ts";
 * import { Rng } from "../random.ts";
 * const rng = new Rng(0);
 * const layer: RecurrentState = new TimeLSTM(rng.randn([3, 8]), rng.randn([2, 8]), rng.randn([8]), true);
 * layer.setState(rng.randn([1, 2]), rng.randn([1, 2]));
 * assert(layer.hasCellState && layer.c !== null);
 * layer.resetState();
 * assert(layer.h === null && layer.c === null);
 * ```
 */
export interface RecurrentState {
  /** Whether `forward` continues from the last state. */
  stateful: boolean;
  /** The last hidden state `(N, H)`, or `null` before the first forward / after `resetState`. */
  readonly h: Tensor | null;
  /** The last cell state `(N, H)` of an LSTM; always `null` for cells without one. */
  readonly c: Tensor | null;
  /** Gradient w.r.t. the hidden state the last forward started from, after `backward`. */
  readonly dh: Tensor | null;
  /** Whether the cell has a cell state `c` (LSTM). */
  readonly hasCellState: boolean;
  /** Sets the state the next `forward` starts from (copies); `c` only for an LSTM. */
  setState(h: Tensor, c?: Tensor | null): void;
  /** Forgets the state: the next `forward` starts from zeros. */
  resetState(): void;
}

/**
 * The time loop shared by the recurrent layers (see the module doc). Buffers are the
 * layer's own, allocated on the first call of each shape and reused after.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeRecurrent } from "./recurrent.ts";
 * import { TimeGRU } from "./gru.ts";
 * import { TimeLSTM } from "./lstm.ts";
 * import { TimeRNN } from "./rnn.ts";
 * import { zeros } from "../tensor.ts";
 * const D = 3, H = 2;
 * const weights = (G: number) => [zeros([D, G * H]), zeros([H, G * H]), zeros([G * H])] as const;
 * const layers: TimeRecurrent[] = [
 *   new TimeRNN(...weights(1)), new TimeLSTM(...weights(4)), new TimeGRU(...weights(3)),
 * ];
 * assert(layers.every((layer) => layer instanceof TimeRecurrent));
 * // one loop, G gates per cell: Wx is (D, G·H), so 1, 4 and 3 gates
 * assert.deepEqual(layers.map((l) => l.params[0].shape[1] / l.hiddenSize), [1, 4, 3]);
 * assert.deepEqual(layers.map((l) => l.hasCellState), [false, true, false]); // only LSTM has c
 * for (const l of layers) assert.deepEqual(l.forward(zeros([4, 5, D])).shape, [4, 5, H]);
 * assert.throws(() => new TimeLSTM(...weights(1)), /Wh has shape \[2,2\], expected \[H,4H\]/);
 * ```
 */
export abstract class TimeRecurrent implements SequenceLayer, RecurrentState {
  /** `[Wx (D, G·H), Wh (H, G·H), b (G·H)]`. */
  readonly params: Tensor[];
  /** `[dWx, dWh, db]`, overwritten by each `backward`. */
  readonly grads: Tensor[];
  /** Whether `forward` continues from the last state. */
  stateful: boolean;
  /** Whether the cell has a cell state `c` (LSTM). */
  abstract readonly hasCellState: boolean;
  /** Gradient w.r.t. the hidden state the last forward started from, after `backward`. */
  dh: Tensor | null = null;
  #h: Tensor | null = null;
  #c: Tensor | null = null;

  /** Class name, for messages. */
  protected readonly where: string;
  /** Gates per cell: the width of `A` is `gates · H`. */
  protected readonly gates: number;
  /** Batch size `N` of the last forward. */
  protected N = 0;
  /** Timesteps `T` of the last forward. */
  protected T = 0;
  /** The input of the last forward, `(N, T, D)`. */
  protected xs?: Tensor;
  /** The gates of every step, `(N, T, G·H)`: pre-activations, then the cell's values. */
  protected A!: Tensor;
  /** The hidden states of every step, `(N, T, H)`: the output. */
  protected hs!: Tensor;
  /** The cell states of every step `(N, T, H)` (LSTM). */
  protected cs!: Tensor;
  /** The initial hidden state `(N, H)`. */
  protected h0!: Tensor;
  /** The initial cell state `(N, H)` (LSTM). */
  protected c0!: Tensor;
  /** Gradient of the gates of every step, `(N, T, G·H)`. */
  protected dA!: Tensor;
  /** `dh_t` of the step being computed, `(N, H)`. */
  protected dhCur!: Tensor;
  /** The gradient carried into the previous step, `(N, H)`. */
  protected carry!: Tensor;
  /** `dc` carried between steps, `(N, H)` (LSTM). */
  protected dc!: Tensor;
  #hLast?: Tensor;
  #cLast?: Tensor;
  #dxs?: Tensor;
  #hPrev?: Tensor;
  #dh?: Tensor;

  /**
   * Checks and keeps the parameters.
   * @param where class name, for messages
   * @param gates gates per cell (1 RNN, 4 LSTM, 3 GRU)
   */
  constructor(where: string, Wx: Tensor, Wh: Tensor, b: Tensor, gates: number, stateful: boolean) {
    this.where = where;
    this.gates = gates;
    this.params = checkRnnParams(where, Wx, Wh, b, gates);
    this.grads = this.params.map((p) => zeros(p.shape));
    this.stateful = stateful;
  }

  /** The last hidden state `(N, H)`, or `null` before the first forward / after `resetState`. */
  get h(): Tensor | null {
    return this.#h;
  }

  /** The last cell state `(N, H)` of an LSTM; `null` otherwise. */
  get c(): Tensor | null {
    return this.#c;
  }

  /** Hidden size `H`. */
  get hiddenSize(): number {
    return this.params[1].shape[0];
  }

  /** Sets the state the next `forward` starts from (copies); `c` only for an LSTM (else zeros). */
  setState(h: Tensor, c: Tensor | null = null): void {
    const where = `${this.where}.setState`;
    const dims = expectShape(where, "h", h.shape, ["N", this.hiddenSize]);
    if (c !== null) {
      if (!this.hasCellState) {
        throw new SaikiError(`${where}: got a cell state c, but a ${this.where} has none`);
      }
      expectShape(where, "c", c.shape, [dims.N, h.shape[1]]);
    }
    this.#h = h.clone();
    this.#c = c === null ? null : c.clone();
  }

  /** Forgets the state: the next `forward` starts from zeros. */
  resetState(): void {
    this.#h = null;
    this.#c = null;
  }

  /** Packs `Wh` for the forward loop (called once per `forward`). */
  protected abstract prepareForward(k: Kernels): void;
  /** Packs `Whᵀ` for the backward loop (called once per `backward`). */
  protected abstract prepareBackward(k: Kernels): void;
  /** Step `t`: `A[:, t]` holds `x_t·Wx + b`; add `h_{t−1}·Wh` and write `hs[:, t]` (and `cs`). */
  protected abstract stepForward(k: Kernels, t: number): void;
  /**
   * Step `t` back: from `dhCur` (`dh_t`, and `dc` for an LSTM) write `dA[:, t]` and the
   * gradient w.r.t. `h_{t−1}` into `carry`.
   */
  protected abstract stepBackward(k: Kernels, t: number): void;

  /**
   * `op(Wh[:, start : start + width])` packed for {@linkcode Kernels.gemmPacked} into `buffer`
   * (reused when its size fits): `(H, width)` as stored, or its transpose `(width, H)` when
   * `trans`.
   */
  protected packWh(
    k: Kernels,
    buffer: Tensor | undefined,
    trans: boolean,
    start: number,
    width: number,
  ): Tensor {
    const H = this.hiddenSize;
    const packed = reuse(buffer, [trans ? k.packedSize(width, H) : k.packedSize(H, width)]);
    // the view after the allocation: a memory that grew may have moved Wh's array
    k.packB(colBlock(this.params[1], start, width), packed, { transB: trans });
    return packed;
  }

  /** Allocates the cell's own per-shape buffers (GRU: `r⊙h`). */
  protected allocate(_N: number, _T: number): void {}

  /** `h_{t−1}` of step `t`: `hs[:, t − 1]` `(N, H)`, or `h0` at `t = 0`. */
  protected hPrev(t: number): Mat {
    return t === 0 ? this.h0 : timestep(this.hs, t - 1);
  }

  /** `c_{t−1}` of step `t` (LSTM): `cs[:, t − 1]` `(N, H)`, or `c0` at `t = 0`. */
  protected cPrev(t: number): Mat {
    return t === 0 ? this.c0 : timestep(this.cs, t - 1);
  }

  /**
   * `dWh` from all steps: `Σ_t h_{t−1}ᵀ·dA_t` as one `(H, N·T)·(N·T, G·H)` product (GRU
   * overrides it: its `ĥ` block multiplies `r⊙h`).
   */
  protected recurrentGrad(k: Kernels, hPrev: Tensor): void {
    k.gemm(hPrev, this.dA, this.grads[1], { transA: true }); // dWh = Σ_t h_{t−1}ᵀ·dA_t
  }

  /**
   * xs: `(N, T, D)` → hs: `(N, T, H)`, `hs[:, t] = h_t`.
   *
   * `hs` is a buffer the layer reuses: the next `forward` overwrites it, unless that call's
   * `xs` shares its storage (`hs = layer.forward(hs)` when `D = H`), which gets a fresh buffer
   * and stays intact. `clone()` it to keep it longer. `h` (and `c`) are kept alike.
   */
  forward(xs: Tensor): Tensor {
    const [Wx, , b] = this.params;
    const H = this.hiddenSize, D = Wx.shape[0], G = this.gates * H;
    const where = `${this.where}.forward`;
    const { N, T } = expectShape(where, "xs", xs.shape, ["N", "T", D]);
    this.h0 = initialState(where, "h", this.stateful, this.#h, N, H, this.h0);
    if (this.hasCellState) {
      this.c0 = initialState(where, "c", this.stateful, this.#c, N, H, this.c0);
      this.cs = reuse(this.cs, [N, T, H]);
    }
    this.N = N, this.T = T, this.xs = xs;
    const A = this.A = reuse(this.A, [N, T, G]);
    // hs and h (and c) are returned: fresh buffers if xs is one of them (hs = layer.forward(hs))
    const hs = this.hs = reuse(this.hs, [N, T, H], xs);
    this.allocate(N, T);
    const hLast = this.#hLast = reuse(this.#hLast, [N, H], xs);
    const cLast = this.hasCellState ? this.#cLast = reuse(this.#cLast, [N, H], xs) : undefined;
    const k = getKernels();
    this.prepareForward(k);
    // A = xs·Wx + b for every step at once   (N·T, G·H)
    k.gemm(xs, Wx, A);
    k.addBias(b, A);
    // h_t = cell(A[:, t], h_{t−1})   for t = 0 … T − 1
    for (let t = 0; t < T; t++) this.stepForward(k, t);
    // h = hs[:, T − 1] (and c = cs[:, T − 1]): the state a stateful layer continues from
    k.copyRows(timestep(hs, T - 1), hLast);
    this.#h = hLast;
    if (cLast !== undefined) {
      k.copyRows(timestep(this.cs, T - 1), cLast);
      this.#c = cLast;
    }
    return hs;
  }

  /**
   * dhs: `(N, T, H)` → dxs: `(N, T, D)`; sets `grads` and `dh`. `dxs` is a buffer the layer
   * reuses, like `forward`'s `hs`.
   */
  backward(dhs: Tensor): Tensor {
    const xs = this.xs ?? noForward(`${this.where}.backward`);
    const [Wx] = this.params;
    const [dWx, , db] = this.grads;
    const { N, T } = this;
    const H = this.hiddenSize, D = Wx.shape[0], G = this.gates * H;
    expectShape(`${this.where}.backward`, "dhs", dhs.shape, [N, T, H]);
    const dA = this.dA = reuse(this.dA, [N, T, G]);
    const dhCur = this.dhCur = reuse(this.dhCur, [N, H]);
    const carry = this.carry = reuse(this.carry, [N, H]).fill(0);
    if (this.hasCellState) this.dc = reuse(this.dc, [N, H]).fill(0);
    const hPrev = this.#hPrev = reuse(this.#hPrev, [N, T, H]);
    // dxs and dh are returned: fresh buffers if dhs or the kept xs is one of them
    const dxs = this.#dxs = reuse(this.#dxs, [N, T, D], dhs, xs);
    const dh = this.#dh = reuse(this.#dh, [N, H], dhs);
    const k = getKernels();
    this.prepareBackward(k);
    for (let t = T - 1; t >= 0; t--) {
      // dh_t = dhs[:, t] + dh_next   (dh_next: the gradient carried back from step t + 1)
      k.copyRows(timestep(dhs, t), dhCur);
      k.axpy(1, carry, dhCur);
      // dA[:, t] from dh_t; carry = dh_prev, the gradient w.r.t. h_{t−1}
      this.stepBackward(k, t);
    }
    // dh = the gradient w.r.t. h0, the state this forward started from
    k.copyRows(carry, dh);
    this.dh = dh;
    // h_prev of every step, (N, T, H): hPrev[:, 0] = h0, hPrev[:, 1:] = hs[:, :T − 1]
    k.copyRows(this.h0, timestep(hPrev, 0));
    if (T > 1) {
      const hsHead = colBlock(asMat(this.hs, N, T * H), 0, (T - 1) * H);
      k.copyRows(hsHead, colBlock(asMat(hPrev, N, T * H), H, (T - 1) * H));
    }
    k.gemm(dA, Wx, dxs, { transB: true }); // dxs = dA·Wxᵀ                (N·T, D)
    k.gemm(xs, dA, dWx, { transA: true }); // dWx = xsᵀ·dA                (D, G·H)
    this.recurrentGrad(k, hPrev); //          dWh = Σ_t h_{t−1}ᵀ·dA_t     (H, G·H)
    k.sumRows(dA, db); //                     db = Σ_rows dA              (G·H)
    return dxs;
  }
}
