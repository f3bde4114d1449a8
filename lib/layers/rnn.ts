/**
 * The plain (Elman) recurrent layer: `RNN` for one timestep and `TimeRNN` for a whole
 * sequence, `h_t = tanh(x_t·Wx + h_{t−1}·Wh + b)`.
 *
 * @module
 */

import { expectShape } from "../errors.ts";
import { getKernels, type Kernels } from "../engine/kernels.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { type Layer, noForward, reuse } from "./layer.ts";
import { checkRnnParams, TimeRecurrent } from "./recurrent.ts";

/**
 * One RNN step: `hNext = tanh(x·Wx + hPrev·Wh + b)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RNN } from "./rnn.ts";
 * import { zeros } from "../tensor.ts";
 * const cell = new RNN(zeros([4, 5]), zeros([5, 5]), zeros([5]));
 * const hNext = cell.forward(zeros([3, 4]), zeros([3, 5])); // x: (N=3, D=4), hPrev: (N, H=5)
 * const [dx, dhPrev] = cell.backward(zeros([3, 5]));
 * assert(hNext.shape.join() === "3,5" && dx.shape.join() === "3,4");
 * assert(dhPrev.shape.join() === "3,5");
 * ```
 */
export class RNN implements Layer {
  /** `[Wx (D, H), Wh (H, H), b (H)]`. */
  readonly params: Tensor[];
  /** `[dWx, dWh, db]`. */
  readonly grads: Tensor[];
  #x?: Tensor;
  #hPrev?: Tensor;
  #hNext?: Tensor;
  #dt?: Tensor;
  #dx?: Tensor;
  #dhPrev?: Tensor;

  /**
   * Uses the given tensors as the parameters (no copy: updates to them are seen here).
   * @param Wx `(D, H)`
   * @param Wh `(H, H)`
   * @param b `(H)`
   */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor) {
    this.params = checkRnnParams("RNN", Wx, Wh, b, 1);
    this.grads = this.params.map((p) => zeros(p.shape));
  }

  /** x: `(N, D)`, hPrev: `(N, H)` → hNext: `(N, H)`. */
  forward(x: Tensor, hPrev: Tensor): Tensor {
    const [Wx, Wh, b] = this.params;
    const [D, H] = Wx.shape;
    const dims = expectShape("RNN.forward", "x", x.shape, ["N", D]);
    expectShape("RNN.forward", "hPrev", hPrev.shape, ["N", H], dims);
    const N = dims.N;
    this.#x = x;
    this.#hPrev = hPrev;
    const h = this.#hNext = reuse(this.#hNext, [N, H]);
    const k = getKernels();
    k.gemm(false, false, N, H, D, x.data, 0, D, Wx.data, 0, H, h.data, 0, H, false);
    k.gemm(false, false, N, H, H, hPrev.data, 0, H, Wh.data, 0, H, h.data, 0, H, true);
    k.addBias(N, H, b.data, 0, h.data, 0, H);
    k.tanhForward(N, H, h.data, 0, H, h.data, 0, H);
    return h;
  }

  /** dhNext: `(N, H)` → `[dx (N, D), dhPrev (N, H)]`; sets `grads`. */
  backward(dhNext: Tensor): [Tensor, Tensor] {
    const x = this.#x ?? noForward("RNN.backward");
    const hPrev = this.#hPrev!, hNext = this.#hNext!;
    const [Wx, Wh] = this.params;
    const [dWx, dWh, db] = this.grads;
    const [N, D] = x.shape;
    const H = Wh.shape[0];
    expectShape("RNN.backward", "dhNext", dhNext.shape, [N, H]);
    const dt = this.#dt = reuse(this.#dt, [N, H]);
    const dx = this.#dx = reuse(this.#dx, [N, D]);
    const dhPrev = this.#dhPrev = reuse(this.#dhPrev, [N, H]);
    const k = getKernels();
    k.tanhBackward(N, H, hNext.data, 0, H, dhNext.data, 0, H, dt.data, 0, H);
    k.sumRows(N, H, dt.data, 0, H, db.data, 0, false);
    k.gemm(true, false, H, H, N, hPrev.data, 0, H, dt.data, 0, H, dWh.data, 0, H, false);
    k.gemm(false, true, N, H, H, dt.data, 0, H, Wh.data, 0, H, dhPrev.data, 0, H, false);
    k.gemm(true, false, D, H, N, x.data, 0, D, dt.data, 0, H, dWx.data, 0, H, false);
    k.gemm(false, true, N, D, H, dt.data, 0, H, Wx.data, 0, H, dx.data, 0, D, false);
    return [dx, dhPrev];
  }
}

/**
 * `RNN` over `T` timesteps, with the reference's truncated-BPTT state handling: a `stateful`
 * layer starts each `forward` from the last `h` of the previous one; otherwise from zeros.
 * The time loop is {@linkcode TimeRecurrent}'s; the step is `h_t = tanh(A_t + h_{t−1}·Wh)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeRNN } from "./rnn.ts";
 * import { Rng } from "../random.ts";
 * const rng = new Rng(1);
 * const layer = new TimeRNN(rng.randn([4, 5], 0.5), rng.randn([5, 5], 0.5), rng.randn([5]), true);
 * const hs = layer.forward(rng.randn([2, 3, 4])); // xs: (N=2, T=3, D=4) → hs: (N, T, H=5)
 * const dxs = layer.backward(rng.randn([2, 3, 5]));
 * assert(hs.shape.join() === "2,3,5" && dxs.shape.join() === "2,3,4");
 * assert(layer.h!.shape.join() === "2,5"); // kept for the next forward
 * ```
 */
export class TimeRNN extends TimeRecurrent {
  /** An RNN has no cell state. */
  readonly hasCellState = false;
  #wh?: Tensor; // Wh packed for the forward loop
  #whT?: Tensor; // Whᵀ packed for the backward loop

  /**
   * Uses the given tensors as the parameters (no copy: updates to them are seen here).
   * @param Wx `(D, H)`
   * @param Wh `(H, H)`
   * @param b `(H)`
   */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, stateful = false) {
    super("TimeRNN", Wx, Wh, b, 1, stateful);
  }

  /** Packs `Wh`. */
  protected prepareForward(k: Kernels): void {
    this.#wh = this.packWh(k, this.#wh, false, 0, this.hiddenSize);
  }

  /** Packs `Whᵀ`. */
  protected prepareBackward(k: Kernels): void {
    this.#whT = this.packWh(k, this.#whT, true, 0, this.hiddenSize);
  }

  /** `hs[:, t] = tanh(A[:, t] + h_{t−1}·Wh)`. */
  protected stepForward(k: Kernels, t: number): void {
    const { N, T } = this, H = this.hiddenSize, ld = T * H;
    const [hp, hpOff, ldhp] = this.hPrev(t);
    const a = this.A.data;
    k.gemmPacked(false, N, H, H, hp, hpOff, ldhp, this.#wh!.data, 0, a, t * H, ld, true);
    k.tanhForward(N, H, a, t * H, ld, this.hs.data, t * H, ld);
  }

  /** `dA[:, t] = dh_t ⊙ (1 − h_t²)`; carry `dA[:, t]·Whᵀ`. */
  protected stepBackward(k: Kernels, t: number): void {
    const { N, T } = this, H = this.hiddenSize, ld = T * H;
    const da = this.dA.data;
    k.tanhBackward(N, H, this.hs.data, t * H, ld, this.dhCur.data, 0, H, da, t * H, ld);
    k.gemmPacked(false, N, H, H, da, t * H, ld, this.#whT!.data, 0, this.carry.data, 0, H, false);
  }
}
