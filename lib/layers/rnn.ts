/**
 * The plain (Elman) recurrent layer: `RNN` for one timestep and `TimeRNN` for a whole
 * sequence, `h_t = tanh(x_t·Wx + h_{t−1}·Wh + b)`.
 *
 * @module
 */

import { expectShape, formatShape, SaikiError } from "../errors.ts";
import { getKernels } from "../kernels.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { initialState, type Layer, noForward, reuse } from "./layer.ts";

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
    k.tanhForward(N * H, h.data, 0, h.data, 0);
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
    k.tanhBackward(N * H, hNext.data, 0, dhNext.data, 0, dt.data, 0);
    k.sumRows(N, H, dt.data, 0, H, db.data, 0, false);
    k.gemm(true, false, H, H, N, hPrev.data, 0, H, dt.data, 0, H, dWh.data, 0, H, false);
    k.gemm(false, true, N, H, H, dt.data, 0, H, Wh.data, 0, H, dhPrev.data, 0, H, false);
    k.gemm(true, false, D, H, N, x.data, 0, D, dt.data, 0, H, dWx.data, 0, H, false);
    k.gemm(false, true, N, D, H, dt.data, 0, H, Wx.data, 0, H, dx.data, 0, D, false);
    return [dx, dhPrev];
  }
}

/**
 * Checks `Wx (D, G·H)`, `Wh (H, G·H)`, `b (G·H)` for a recurrent layer with `G` gates.
 * @internal
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
 * `RNN` over `T` timesteps, with the reference's truncated-BPTT state handling: a `stateful`
 * layer starts each `forward` from the last `h` of the previous one; otherwise from zeros.
 *
 * The input projection `xs·Wx + b` is one `(N·T, D)·(D, H)` product before the time loop, and
 * the weight gradients are single products after it; only `h_{t−1}·Wh` and the pointwise
 * `tanh` run per step, on strided rows of preallocated buffers.
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
export class TimeRNN implements Layer {
  /** `[Wx (D, H), Wh (H, H), b (H)]`. */
  readonly params: Tensor[];
  /** `[dWx, dWh, db]`, overwritten by each `backward`. */
  readonly grads: Tensor[];
  /** Whether `forward` continues from the last state. */
  stateful: boolean;
  /** The last hidden state `(N, H)`, or `null` before the first forward / after `resetState`. */
  h: Tensor | null = null;
  /** Gradient w.r.t. the state the last forward started from, `(N, H)`, after `backward`. */
  dh: Tensor | null = null;
  #xs?: Tensor;
  #h0?: Tensor;
  #hs?: Tensor; // output, also the cache of every h_t: (N, T, H)
  #hLast?: Tensor;
  #dt?: Tensor; // (N, T, H)
  #hPrev?: Tensor; // (N, T, H): h_{t−1} for every t
  #dhCur?: Tensor; // (N, H)
  #dh?: Tensor;
  #dxs?: Tensor;

  /**
   * Uses the given tensors as the parameters (no copy: updates to them are seen here).
   * @param Wx `(D, H)`
   * @param Wh `(H, H)`
   * @param b `(H)`
   */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, stateful = false) {
    this.params = checkRnnParams("TimeRNN", Wx, Wh, b, 1);
    this.grads = this.params.map((p) => zeros(p.shape));
    this.stateful = stateful;
  }

  /** Sets the state the next `forward` starts from (a copy of `h`, `(N, H)`). */
  setState(h: Tensor): void {
    expectShape("TimeRNN.setState", "h", h.shape, ["N", this.params[1].shape[0]]);
    this.h = h.clone();
  }

  /** Forgets the state: the next `forward` starts from zeros. */
  resetState(): void {
    this.h = null;
  }

  /** xs: `(N, T, D)` → hs: `(N, T, H)`. */
  forward(xs: Tensor): Tensor {
    const [Wx, Wh, b] = this.params;
    const [D, H] = Wx.shape;
    const { N, T } = expectShape("TimeRNN.forward", "xs", xs.shape, ["N", "T", D]);
    const h0 = this.#h0 = initialState(
      "TimeRNN.forward",
      "h",
      this.stateful,
      this.h,
      N,
      H,
      this.#h0,
    );
    this.#xs = xs;
    const hs = this.#hs = reuse(this.#hs, [N, T, H]);
    const k = getKernels();
    const ld = T * H;
    // hs (N·T, H) = xs·Wx + b, then step by step hs[:, t] += h_{t−1}·Wh and tanh.
    k.gemm(false, false, N * T, H, D, xs.data, 0, D, Wx.data, 0, H, hs.data, 0, H, false);
    k.addBias(N * T, H, b.data, 0, hs.data, 0, H);
    for (let t = 0; t < T; t++) {
      if (t === 0) {
        k.gemm(false, false, N, H, H, h0.data, 0, H, Wh.data, 0, H, hs.data, 0, ld, true);
      } else {
        k.gemm(
          false,
          false,
          N,
          H,
          H,
          hs.data,
          (t - 1) * H,
          ld,
          Wh.data,
          0,
          H,
          hs.data,
          t * H,
          ld,
          true,
        );
      }
      for (let n = 0; n < N; n++) {
        const at = n * ld + t * H;
        k.tanhForward(H, hs.data, at, hs.data, at);
      }
    }
    const hLast = this.#hLast = reuse(this.#hLast, [N, H]);
    k.copyRows(N, H, hs.data, (T - 1) * H, ld, hLast.data, 0, H, false);
    this.h = hLast;
    return hs;
  }

  /** dhs: `(N, T, H)` → dxs: `(N, T, D)`; sets `grads` and `dh`. */
  backward(dhs: Tensor): Tensor {
    const xs = this.#xs ?? noForward("TimeRNN.backward");
    const hs = this.#hs!, h0 = this.#h0!;
    const [Wx, Wh] = this.params;
    const [dWx, dWh, db] = this.grads;
    const [N, T, D] = xs.shape;
    const H = Wh.shape[0];
    expectShape("TimeRNN.backward", "dhs", dhs.shape, [N, T, H]);
    const dt = this.#dt = reuse(this.#dt, [N, T, H]);
    const dhCur = this.#dhCur = reuse(this.#dhCur, [N, H]);
    const k = getKernels();
    const ld = T * H;
    for (let t = T - 1; t >= 0; t--) {
      // dh_t = dhs[:, t] + dt_{t+1}·Whᵀ (the reference starts from dh = 0 after the last step)
      k.copyRows(N, H, dhs.data, t * H, ld, dhCur.data, 0, H, false);
      if (t < T - 1) {
        k.gemm(
          false,
          true,
          N,
          H,
          H,
          dt.data,
          (t + 1) * H,
          ld,
          Wh.data,
          0,
          H,
          dhCur.data,
          0,
          H,
          true,
        );
      }
      for (let n = 0; n < N; n++) {
        const at = n * ld + t * H;
        k.tanhBackward(H, hs.data, at, dhCur.data, n * H, dt.data, at);
      }
    }
    const dh = this.#dh = reuse(this.#dh, [N, H]);
    k.gemm(false, true, N, H, H, dt.data, 0, ld, Wh.data, 0, H, dh.data, 0, H, false);
    this.dh = dh;
    const hPrev = this.#hPrev = shiftStates(N, T, H, h0, hs, this.#hPrev);
    const dxs = this.#dxs = reuse(this.#dxs, [N, T, D]);
    const R = N * T;
    k.gemm(false, true, R, D, H, dt.data, 0, H, Wx.data, 0, H, dxs.data, 0, D, false);
    k.gemm(true, false, D, H, R, xs.data, 0, D, dt.data, 0, H, dWx.data, 0, H, false);
    k.gemm(true, false, H, H, R, hPrev.data, 0, H, dt.data, 0, H, dWh.data, 0, H, false);
    k.sumRows(R, H, dt.data, 0, H, db.data, 0, false);
    return dxs;
  }
}

/**
 * `(N, T, H)` holding `h_{t−1}` at `[:, t]`: `h0` then `hs` shifted by one step, so the
 * recurrent weight's gradient `Σ_t h_{t−1}ᵀ·dt_t` is one `(H, N·T)·(N·T, ·)` product.
 * @internal
 */
export function shiftStates(
  N: number,
  T: number,
  H: number,
  h0: Tensor,
  hs: Tensor,
  buffer: Tensor | undefined,
): Tensor {
  const out = reuse(buffer, [N, T, H]);
  const k = getKernels();
  k.copyRows(N, H, h0.data, 0, H, out.data, 0, T * H, false);
  if (T > 1) k.copyRows(N, (T - 1) * H, hs.data, 0, T * H, out.data, H, T * H, false);
  return out;
}
