/**
 * The one time loop of `TimeRNN`, `TimeLSTM` and `TimeGRU`, and the state protocol they share.
 *
 * A recurrent time layer computes, for `xs: (N, T, D)`:
 *
 * 1. the input projection of every step at once, `A = xs·Wx + b` `(N·T, G·H)`, one product;
 * 2. the time loop: at step `t`, the cell's `stepForward` adds `h_{t−1}·Wh` to `A[:, t]` and
 *    applies its pointwise part to the `N` rows of the step (`O(T)` kernel calls in all);
 * 3. backward, from `t = T − 1` down: `dh_t = dhs[:, t] + carry`, then the cell's
 *    `stepBackward` writes `dA[:, t]` and the `carry` into step `t − 1` (after step 0, the
 *    gradient w.r.t. the initial state: `dh`);
 * 4. the weight gradients and `dxs` as single products over all steps.
 *
 * `Wh` is packed once per pass (`Kernels.packB`) for the `T` products of the loop. A subclass
 * (one per cell) writes only the step: {@linkcode TimeRecurrent.stepForward},
 * {@linkcode TimeRecurrent.stepBackward} and the packing of `Wh` they use.
 *
 * @module
 */

import { expectShape, formatShape, SaikiError } from "../errors.ts";
import { getKernels, type Kernels } from "../engine/kernels.ts";
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
   * `op(Wh[:, off : off + n])` packed for {@linkcode Kernels.gemmPacked} into `buffer` (reused
   * when its size fits): `(H, n)` as stored, or its transpose `(n, H)` when `trans`.
   */
  protected packWh(
    k: Kernels,
    buffer: Tensor | undefined,
    trans: boolean,
    off: number,
    n: number,
  ): Tensor {
    const Wh = this.params[1], H = this.hiddenSize, G = Wh.shape[1];
    const [rows, cols] = trans ? [n, H] : [H, n];
    const out = reuse(buffer, [k.packedSize(rows, cols)]);
    k.packB(trans, rows, cols, Wh.data, off, G, out.data, 0);
    return out;
  }

  /** Allocates the cell's own per-shape buffers (GRU: `r⊙h`). */
  protected allocate(_N: number, _T: number): void {}

  /** `h_{t−1}` of step `t`: offset and leading dimension into `hs`, or `h0` at `t = 0`. */
  protected hPrev(t: number): [Float32Array, number, number] {
    const H = this.hiddenSize;
    return t === 0 ? [this.h0.data, 0, H] : [this.hs.data, (t - 1) * H, this.T * H];
  }

  /** `c_{t−1}` of step `t` (LSTM). */
  protected cPrev(t: number): [Float32Array, number, number] {
    const H = this.hiddenSize;
    return t === 0 ? [this.c0.data, 0, H] : [this.cs.data, (t - 1) * H, this.T * H];
  }

  /**
   * `dWh` from all steps: `Σ_t h_{t−1}ᵀ·dA_t` as one `(H, N·T)·(N·T, G·H)` product (GRU
   * overrides it: its `ĥ` block multiplies `r⊙h`).
   */
  protected recurrentGrad(k: Kernels, hPrev: Tensor): void {
    const H = this.hiddenSize, G = this.gates * H, R = this.N * this.T;
    k.gemm(
      true,
      false,
      H,
      G,
      R,
      hPrev.data,
      0,
      H,
      this.dA.data,
      0,
      G,
      this.grads[1].data,
      0,
      G,
      false,
    );
  }

  /** xs: `(N, T, D)` → hs: `(N, T, H)`. */
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
    this.A = reuse(this.A, [N, T, G]);
    this.hs = reuse(this.hs, [N, T, H]);
    this.allocate(N, T);
    const hLast = this.#hLast = reuse(this.#hLast, [N, H]);
    const cLast = this.hasCellState ? this.#cLast = reuse(this.#cLast, [N, H]) : undefined;
    const k = getKernels();
    this.prepareForward(k);
    k.gemm(false, false, N * T, G, D, xs.data, 0, D, Wx.data, 0, G, this.A.data, 0, G, false);
    k.addBias(N * T, G, b.data, 0, this.A.data, 0, G);
    for (let t = 0; t < T; t++) this.stepForward(k, t);
    k.copyRows(N, H, this.hs.data, (T - 1) * H, T * H, hLast.data, 0, H, false);
    this.#h = hLast;
    if (cLast !== undefined) {
      k.copyRows(N, H, this.cs.data, (T - 1) * H, T * H, cLast.data, 0, H, false);
      this.#c = cLast;
    }
    return this.hs;
  }

  /** dhs: `(N, T, H)` → dxs: `(N, T, D)`; sets `grads` and `dh`. */
  backward(dhs: Tensor): Tensor {
    const xs = this.xs ?? noForward(`${this.where}.backward`);
    const [Wx] = this.params;
    const [dWx, , db] = this.grads;
    const { N, T } = this;
    const H = this.hiddenSize, D = Wx.shape[0], G = this.gates * H, R = N * T;
    expectShape(`${this.where}.backward`, "dhs", dhs.shape, [N, T, H]);
    this.dA = reuse(this.dA, [N, T, G]);
    this.dhCur = reuse(this.dhCur, [N, H]);
    this.carry = reuse(this.carry, [N, H]).fill(0);
    if (this.hasCellState) this.dc = reuse(this.dc, [N, H]).fill(0);
    const hPrev = this.#hPrev = reuse(this.#hPrev, [N, T, H]);
    const dxs = this.#dxs = reuse(this.#dxs, [N, T, D]);
    const dh = this.#dh = reuse(this.#dh, [N, H]);
    const k = getKernels();
    this.prepareBackward(k);
    for (let t = T - 1; t >= 0; t--) {
      // dh_t = dhs[:, t] + the gradient carried back from step t + 1
      k.copyRows(N, H, dhs.data, t * H, T * H, this.dhCur.data, 0, H, false);
      k.axpy(N * H, 1, this.carry.data, 0, this.dhCur.data, 0);
      this.stepBackward(k, t);
    }
    k.copyRows(N, H, this.carry.data, 0, H, dh.data, 0, H, false);
    this.dh = dh;
    // h_{t−1} for every t: h0, then hs shifted by one step
    k.copyRows(N, H, this.h0.data, 0, H, hPrev.data, 0, T * H, false);
    if (T > 1) k.copyRows(N, (T - 1) * H, this.hs.data, 0, T * H, hPrev.data, H, T * H, false);
    const da = this.dA.data;
    k.gemm(false, true, R, D, G, da, 0, G, Wx.data, 0, G, dxs.data, 0, D, false);
    k.gemm(true, false, D, G, R, xs.data, 0, D, da, 0, G, dWx.data, 0, G, false);
    this.recurrentGrad(k, hPrev);
    k.sumRows(R, G, da, 0, G, db.data, 0, false);
    return dxs;
  }
}
