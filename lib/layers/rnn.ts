/**
 * The plain (Elman) recurrent layer, as the reference's `RNN` and `TimeRNN`: `RNN` for one
 * timestep and `TimeRNN` for a whole sequence.
 *
 * Forward, `x` `(N, D)`, `h_prev` `(N, H)`:
 *
 *     h_next = tanh(x·Wx + h_prev·Wh + b)                            (N, H)
 *
 * Backward, from `dh_next` `(N, H)`:
 *
 *     dt = dh_next ⊙ (1 − h_next²)                                   (N, H)
 *     db = Σ_rows dt,  dWh = h_prevᵀ·dt,  dh_prev = dt·Whᵀ,  dWx = xᵀ·dt,  dx = dt·Wxᵀ
 *
 * @module
 */

import { expectShape } from "../errors.ts";
import { getKernels, type Kernels } from "../engine/kernels.ts";
import { type Mat, timestep } from "../engine/views.ts";
import { engineTensor, type Tensor, zeros } from "../tensor.ts";
import { cellInput, type Layer, noForward, reuse } from "./layer.ts";
import { checkRnnParams, TimeRecurrent } from "./recurrent.ts";

/**
 * One RNN step: `hNext = tanh(x·Wx + hPrev·Wh + b)`.
 *
 * Every `forward` and `backward` returns new tensors, so the cell can be looped by hand the
 * way the book does it, `h = cell.forward(x, h)`. It keeps the last call's inputs for
 * `backward`, which goes back through that call only; `TimeRNN` runs (and differentiates) a
 * whole sequence, faster.
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

  /** x: `(N, D)` (a tensor, or a view such as `timestep(xs, t)`), hPrev: `(N, H)` → hNext: `(N, H)`, a new tensor. */
  forward(input: Tensor | Mat, hPrev: Tensor): Tensor {
    const x = cellInput(input); // a view such as timestep(xs, t) is copied
    const [Wx, Wh, b] = this.params;
    const [D, H] = Wx.shape;
    const dims = expectShape("RNN.forward", "x", x.shape, ["N", D]);
    expectShape("RNN.forward", "hPrev", hPrev.shape, ["N", H], dims);
    const N = dims.N;
    this.#x = x;
    this.#hPrev = hPrev;
    const hNext = this.#hNext = engineTensor([N, H]);
    const k = getKernels();
    // t = x·Wx + h_prev·Wh + b   (N, H), then h_next = tanh(t)
    k.gemm(x, Wx, hNext);
    k.gemm(hPrev, Wh, hNext, { accumulate: true });
    k.addBias(b, hNext);
    k.tanhForward(hNext, hNext);
    return hNext;
  }

  /** dhNext: `(N, H)` → `[dx (N, D), dhPrev (N, H)]`, new tensors; sets `grads`. */
  backward(dhNext: Tensor): [Tensor, Tensor] {
    const x = this.#x ?? noForward("RNN.backward");
    const hPrev = this.#hPrev!, hNext = this.#hNext!;
    const [Wx, Wh] = this.params;
    const [dWx, dWh, db] = this.grads;
    const [N, D] = x.shape;
    const H = Wh.shape[0];
    expectShape("RNN.backward", "dhNext", dhNext.shape, [N, H]);
    const dt = this.#dt = reuse(this.#dt, [N, H]);
    const dx = engineTensor([N, D]), dhPrev = engineTensor([N, H]);
    const k = getKernels();
    k.tanhBackward(hNext, dhNext, dt); //        dt = dh_next ⊙ (1 − h_next²)   (N, H)
    k.sumRows(dt, db); //                        db = Σ_rows dt                 (H)
    k.gemm(hPrev, dt, dWh, { transA: true }); // dWh = h_prevᵀ·dt               (H, H)
    k.gemm(dt, Wh, dhPrev, { transB: true }); // dh_prev = dt·Whᵀ               (N, H)
    k.gemm(x, dt, dWx, { transA: true }); //     dWx = xᵀ·dt                    (D, H)
    k.gemm(dt, Wx, dx, { transB: true }); //     dx = dt·Wxᵀ                    (N, D)
    return [dx, dhPrev];
  }
}

/**
 * `RNN` over `T` timesteps, with the reference's truncated-BPTT state handling: a `stateful`
 * layer starts each `forward` from the last `h` of the previous one; otherwise from zeros.
 * The time loop is {@linkcode TimeRecurrent}'s (`A = xs·Wx + b` for all steps, then per step
 * `h_t = tanh(A[:, t] + h_{t−1}·Wh)`). `forward`'s `hs` and `backward`'s `dxs` are buffers
 * the layer reuses (see {@linkcode TimeRecurrent.forward}).
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
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, stateful?: boolean) {
    stateful ??= false;
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
    const at = timestep(this.A, t);
    k.gemmPacked(this.hPrev(t), this.#wh!, at, { accumulate: true }); // A[:, t] += h_{t−1}·Wh
    k.tanhForward(at, timestep(this.hs, t)); //                          h_t = tanh(A[:, t])
  }

  /** `dA[:, t] = dh_t ⊙ (1 − h_t²)`; carry `dA[:, t]·Whᵀ`. */
  protected stepBackward(k: Kernels, t: number): void {
    const dt = timestep(this.dA, t);
    k.tanhBackward(timestep(this.hs, t), this.dhCur, dt); // dt = dh_t ⊙ (1 − h_t²)
    k.gemmPacked(dt, this.#whT!, this.carry); //             dh_prev = dt·Whᵀ
  }
}
