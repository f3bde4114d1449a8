/**
 * Long short-term memory: `LSTM` for one timestep, `TimeLSTM` for a sequence, and
 * `TimeBiLSTM` reading it both ways. Gates are packed `f, g, i, o` as in the reference:
 * `A = x·Wx + h_{t−1}·Wh + b` `(N, 4H)`, `c_t = σ(f)⊙c_{t−1} + tanh(g)⊙σ(i)`,
 * `h_t = σ(o)⊙tanh(c_t)`.
 *
 * @module
 */

import { expectShape } from "../errors.ts";
import { getKernels } from "../kernels.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { initialState, type Layer, noForward, reuse } from "./layer.ts";
import { checkRnnParams, shiftStates } from "./rnn.ts";

/**
 * One LSTM step: `forward(x, hPrev, cPrev) → [hNext, cNext]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LSTM } from "./lstm.ts";
 * import { zeros } from "../tensor.ts";
 * const cell = new LSTM(zeros([4, 20]), zeros([5, 20]), zeros([20])); // D=4, H=5
 * const [h, c] = cell.forward(zeros([3, 4]), zeros([3, 5]), zeros([3, 5]));
 * assert(h.data[0] === 0 && c.data[0] === 0);
 * const [dx, dhPrev, dcPrev] = cell.backward(zeros([3, 5]), zeros([3, 5]));
 * assert(dx.shape.join() === "3,4" && dhPrev.shape.join() === dcPrev.shape.join());
 * ```
 */
export class LSTM implements Layer {
  /** `[Wx (D, 4H), Wh (H, 4H), b (4H)]`, gate blocks `f, g, i, o`. */
  readonly params: Tensor[];
  /** `[dWx, dWh, db]`. */
  readonly grads: Tensor[];
  #x?: Tensor;
  #hPrev?: Tensor;
  #cPrev?: Tensor;
  #gates?: Tensor;
  #h?: Tensor;
  #c?: Tensor;
  #dGates?: Tensor;
  #dx?: Tensor;
  #dhPrev?: Tensor;
  #dcPrev?: Tensor;

  /**
   * Uses the given tensors as the parameters (no copy: updates to them are seen here).
   * @param Wx `(D, 4H)`
   * @param Wh `(H, 4H)`
   * @param b `(4H)`
   */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor) {
    this.params = checkRnnParams("LSTM", Wx, Wh, b, 4);
    this.grads = this.params.map((p) => zeros(p.shape));
  }

  /** x: `(N, D)`, hPrev, cPrev: `(N, H)` → `[hNext (N, H), cNext (N, H)]`. */
  forward(x: Tensor, hPrev: Tensor, cPrev: Tensor): [Tensor, Tensor] {
    const [Wx, Wh, b] = this.params;
    const H = Wh.shape[0], D = Wx.shape[0], G = 4 * H;
    const dims = expectShape("LSTM.forward", "x", x.shape, ["N", D]);
    expectShape("LSTM.forward", "hPrev", hPrev.shape, ["N", H], dims);
    expectShape("LSTM.forward", "cPrev", cPrev.shape, ["N", H], dims);
    const N = dims.N;
    this.#x = x, this.#hPrev = hPrev, this.#cPrev = cPrev;
    const A = this.#gates = reuse(this.#gates, [N, G]);
    const h = this.#h = reuse(this.#h, [N, H]);
    const c = this.#c = reuse(this.#c, [N, H]);
    const k = getKernels();
    k.gemm(false, false, N, G, D, x.data, 0, D, Wx.data, 0, G, A.data, 0, G, false);
    k.gemm(false, false, N, G, H, hPrev.data, 0, H, Wh.data, 0, G, A.data, 0, G, true);
    k.addBias(N, G, b.data, 0, A.data, 0, G);
    k.lstmForward(N, H, A.data, 0, cPrev.data, 0, c.data, 0, h.data, 0);
    return [h, c];
  }

  /** dhNext, dcNext: `(N, H)` → `[dx (N, D), dhPrev (N, H), dcPrev (N, H)]`; sets `grads`. */
  backward(dhNext: Tensor, dcNext: Tensor): [Tensor, Tensor, Tensor] {
    const x = this.#x ?? noForward("LSTM.backward");
    const [Wx, Wh] = this.params;
    const [dWx, dWh, db] = this.grads;
    const [N, D] = x.shape;
    const H = Wh.shape[0], G = 4 * H;
    expectShape("LSTM.backward", "dhNext", dhNext.shape, [N, H]);
    expectShape("LSTM.backward", "dcNext", dcNext.shape, [N, H]);
    const dA = this.#dGates = reuse(this.#dGates, [N, G]);
    const dx = this.#dx = reuse(this.#dx, [N, D]);
    const dhPrev = this.#dhPrev = reuse(this.#dhPrev, [N, H]);
    const dcPrev = this.#dcPrev = reuse(this.#dcPrev, [N, H]);
    const k = getKernels();
    k.lstmBackward(
      N,
      H,
      this.#gates!.data,
      0,
      this.#cPrev!.data,
      0,
      this.#c!.data,
      0,
      dhNext.data,
      0,
      dcNext.data,
      0,
      dA.data,
      0,
      dcPrev.data,
      0,
    );
    k.gemm(true, false, D, G, N, x.data, 0, D, dA.data, 0, G, dWx.data, 0, G, false);
    k.gemm(true, false, H, G, N, this.#hPrev!.data, 0, H, dA.data, 0, G, dWh.data, 0, G, false);
    k.sumRows(N, G, dA.data, 0, G, db.data, 0, false);
    k.gemm(false, true, N, D, G, dA.data, 0, G, Wx.data, 0, G, dx.data, 0, D, false);
    k.gemm(false, true, N, H, G, dA.data, 0, G, Wh.data, 0, G, dhPrev.data, 0, H, false);
    return [dx, dhPrev, dcPrev];
  }
}

/**
 * `LSTM` over `T` timesteps with the reference's state handling: a `stateful` layer starts
 * each `forward` from the last `h` and `c`, otherwise from zeros; `backward` starts from
 * `dh = dc = 0` after the last step and leaves the initial state's gradient in `dh`.
 *
 * `xs·Wx + b` for all steps is one `(N·T, D)·(D, 4H)` product; per step only `h_{t−1}·Wh`
 * (strided rows, accumulated into the gate buffer) and the fused pointwise kernel run; the
 * weight gradients and `dxs` are single products after the loop.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeLSTM } from "./lstm.ts";
 * import { Rng } from "../random.ts";
 * const rng = new Rng(1);
 * const layer = new TimeLSTM(rng.randn([4, 20], 0.5), rng.randn([5, 20], 0.5), rng.randn([20]));
 * const hs = layer.forward(rng.randn([2, 3, 4])); // xs: (N=2, T=3, D=4) → hs: (N, T, H=5)
 * const dxs = layer.backward(rng.randn([2, 3, 5]));
 * assert(hs.shape.join() === "2,3,5" && dxs.shape.join() === "2,3,4");
 * ```
 */
export class TimeLSTM implements Layer {
  /** `[Wx (D, 4H), Wh (H, 4H), b (4H)]`. */
  readonly params: Tensor[];
  /** `[dWx, dWh, db]`, overwritten by each `backward`. */
  readonly grads: Tensor[];
  /** Whether `forward` continues from the last state. */
  stateful: boolean;
  /** The last hidden state `(N, H)`, or `null`. */
  h: Tensor | null = null;
  /** The last cell state `(N, H)`, or `null`. */
  c: Tensor | null = null;
  /** Gradient w.r.t. the hidden state the last forward started from, after `backward`. */
  dh: Tensor | null = null;
  #xs?: Tensor;
  #h0?: Tensor;
  #c0?: Tensor;
  #gates?: Tensor; // activated gates of every step: (N, T, 4H)
  #hs?: Tensor; // output and cache: (N, T, H)
  #cs?: Tensor; // (N, T, H)
  #hLast?: Tensor;
  #cLast?: Tensor;
  #dGates?: Tensor; // (N, T, 4H)
  #hPrev?: Tensor;
  #dhCur?: Tensor; // (N, H)
  #dc?: Tensor; // (N, H)
  #dh?: Tensor;
  #dxs?: Tensor;

  /**
   * Uses the given tensors as the parameters (no copy: updates to them are seen here).
   * @param Wx `(D, 4H)`
   * @param Wh `(H, 4H)`
   * @param b `(4H)`
   */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, stateful = false) {
    this.params = checkRnnParams("TimeLSTM", Wx, Wh, b, 4);
    this.grads = this.params.map((p) => zeros(p.shape));
    this.stateful = stateful;
  }

  /** Sets the state the next `forward` starts from (copies); `c` defaults to zeros. */
  setState(h: Tensor, c: Tensor | null = null): void {
    const dims = expectShape("TimeLSTM.setState", "h", h.shape, ["N", this.params[1].shape[0]]);
    if (c !== null) expectShape("TimeLSTM.setState", "c", c.shape, [dims.N, h.shape[1]]);
    this.h = h.clone();
    this.c = c === null ? null : c.clone();
  }

  /** Forgets the state: the next `forward` starts from zeros. */
  resetState(): void {
    this.h = null;
    this.c = null;
  }

  /** xs: `(N, T, D)` → hs: `(N, T, H)`. */
  forward(xs: Tensor): Tensor {
    const [Wx, Wh, b] = this.params;
    const H = Wh.shape[0], D = Wx.shape[0], G = 4 * H;
    const { N, T } = expectShape("TimeLSTM.forward", "xs", xs.shape, ["N", "T", D]);
    const where = "TimeLSTM.forward";
    const h0 = this.#h0 = initialState(where, "h", this.stateful, this.h, N, H, this.#h0);
    const c0 = this.#c0 = initialState(where, "c", this.stateful, this.c, N, H, this.#c0);
    this.#xs = xs;
    const A = this.#gates = reuse(this.#gates, [N, T, G]);
    const hs = this.#hs = reuse(this.#hs, [N, T, H]);
    const cs = this.#cs = reuse(this.#cs, [N, T, H]);
    const a = A.data, hd = hs.data, cd = cs.data;
    const k = getKernels();
    const ldg = T * G, ldh = T * H;
    k.gemm(false, false, N * T, G, D, xs.data, 0, D, Wx.data, 0, G, a, 0, G, false);
    k.addBias(N * T, G, b.data, 0, a, 0, G);
    for (let t = 0; t < T; t++) {
      if (t === 0) k.gemm(false, false, N, G, H, h0.data, 0, H, Wh.data, 0, G, a, 0, ldg, true);
      else k.gemm(false, false, N, G, H, hd, (t - 1) * H, ldh, Wh.data, 0, G, a, t * G, ldg, true);
      for (let n = 0; n < N; n++) {
        const at = n * ldh + t * H;
        if (t === 0) k.lstmForward(1, H, a, n * ldg, c0.data, n * H, cd, at, hd, at);
        else k.lstmForward(1, H, a, n * ldg + t * G, cd, at - H, cd, at, hd, at);
      }
    }
    const hLast = this.#hLast = reuse(this.#hLast, [N, H]);
    const cLast = this.#cLast = reuse(this.#cLast, [N, H]);
    k.copyRows(N, H, hd, (T - 1) * H, ldh, hLast.data, 0, H, false);
    k.copyRows(N, H, cd, (T - 1) * H, ldh, cLast.data, 0, H, false);
    this.h = hLast;
    this.c = cLast;
    return hs;
  }

  /** dhs: `(N, T, H)` → dxs: `(N, T, D)`; sets `grads` and `dh`. */
  backward(dhs: Tensor): Tensor {
    const xs = this.#xs ?? noForward("TimeLSTM.backward");
    const [Wx, Wh] = this.params;
    const [dWx, dWh, db] = this.grads;
    const [N, T, D] = xs.shape;
    const H = Wh.shape[0], G = 4 * H;
    expectShape("TimeLSTM.backward", "dhs", dhs.shape, [N, T, H]);
    const dA = this.#dGates = reuse(this.#dGates, [N, T, G]);
    const dhCur = this.#dhCur = reuse(this.#dhCur, [N, H]);
    const dc = this.#dc = reuse(this.#dc, [N, H]).fill(0);
    const a = this.#gates!.data, cd = this.#cs!.data, c0 = this.#c0!.data;
    const da = dA.data, dh = dhCur.data, dcd = dc.data;
    const k = getKernels();
    const ldg = T * G, ldh = T * H;
    for (let t = T - 1; t >= 0; t--) {
      // dh_t = dhs[:, t] + dA_{t+1}·Whᵀ; dc carries through the kernel (dcPrev aliases dcNext)
      k.copyRows(N, H, dhs.data, t * H, ldh, dh, 0, H, false);
      if (t < T - 1) {
        k.gemm(false, true, N, H, G, da, (t + 1) * G, ldg, Wh.data, 0, G, dh, 0, H, true);
      }
      for (let n = 0; n < N; n++) {
        const at = n * ldh + t * H, g = n * ldg + t * G, s = n * H;
        const cPrev = t === 0 ? c0 : cd, cPrevOff = t === 0 ? s : at - H;
        k.lstmBackward(1, H, a, g, cPrev, cPrevOff, cd, at, dh, s, dcd, s, da, g, dcd, s);
      }
    }
    const dh0 = this.#dh = reuse(this.#dh, [N, H]);
    k.gemm(false, true, N, H, G, da, 0, ldg, Wh.data, 0, G, dh0.data, 0, H, false);
    this.dh = dh0;
    const hPrev = this.#hPrev = shiftStates(N, T, H, this.#h0!, this.#hs!, this.#hPrev);
    const dxs = this.#dxs = reuse(this.#dxs, [N, T, D]);
    const R = N * T;
    k.gemm(false, true, R, D, G, da, 0, G, Wx.data, 0, G, dxs.data, 0, D, false);
    k.gemm(true, false, D, G, R, xs.data, 0, D, da, 0, G, dWx.data, 0, G, false);
    k.gemm(true, false, H, G, R, hPrev.data, 0, H, da, 0, G, dWh.data, 0, G, false);
    k.sumRows(R, G, da, 0, G, db.data, 0, false);
    return dxs;
  }
}

/**
 * Bidirectional LSTM (the reference's `TimeBiLSTM`): one `TimeLSTM` reads `xs` forwards,
 * another reads it backwards; their outputs are concatenated, `(N, T, 2H)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeBiLSTM } from "./lstm.ts";
 * import { zeros } from "../tensor.ts";
 * const p = () => [zeros([4, 20]), zeros([5, 20]), zeros([20])] as const;
 * const layer = new TimeBiLSTM(...p(), ...p());
 * const out = layer.forward(zeros([2, 3, 4])); // (N, T, 2H)
 * assert(out.shape.join() === "2,3,10");
 * assert(layer.backward(zeros([2, 3, 10])).shape.join() === "2,3,4");
 * ```
 */
export class TimeBiLSTM implements Layer {
  /** `[Wx1, Wh1, b1, Wx2, Wh2, b2]`: the forward reader's, then the backward reader's. */
  readonly params: Tensor[];
  /** Gradients in the order of `params`. */
  readonly grads: Tensor[];
  /** The layer reading `xs` from `t = 0`. */
  readonly forwardLstm: TimeLSTM;
  /** The layer reading `xs` from `t = T − 1`. */
  readonly backwardLstm: TimeLSTM;
  #rev?: Tensor;
  #out?: Tensor;
  #dRev?: Tensor;
  #dxs?: Tensor;

  /** Parameters of the two `TimeLSTM`s, each `Wx (D, 4H)`, `Wh (H, 4H)`, `b (4H)`. */
  constructor(
    Wx1: Tensor,
    Wh1: Tensor,
    b1: Tensor,
    Wx2: Tensor,
    Wh2: Tensor,
    b2: Tensor,
    stateful = false,
  ) {
    this.forwardLstm = new TimeLSTM(Wx1, Wh1, b1, stateful);
    this.backwardLstm = new TimeLSTM(Wx2, Wh2, b2, stateful);
    expectShape("TimeBiLSTM", "Wx2", Wx2.shape, Wx1.shape);
    expectShape("TimeBiLSTM", "Wh2", Wh2.shape, Wh1.shape);
    this.params = [...this.forwardLstm.params, ...this.backwardLstm.params];
    this.grads = [...this.forwardLstm.grads, ...this.backwardLstm.grads];
  }

  /** xs: `(N, T, D)` → out: `(N, T, 2H)`, `[forward hs, backward hs]` along the last axis. */
  forward(xs: Tensor): Tensor {
    const D = this.params[0].shape[0], H = this.params[1].shape[0];
    const { N, T } = expectShape("TimeBiLSTM.forward", "xs", xs.shape, ["N", "T", D]);
    const rev = this.#rev = reverseTime(xs, this.#rev);
    const o1 = this.forwardLstm.forward(xs);
    const o2 = this.backwardLstm.forward(rev);
    const out = this.#out = reuse(this.#out, [N, T, 2 * H]);
    const k = getKernels();
    k.copyRows(N * T, H, o1.data, 0, H, out.data, 0, 2 * H, false);
    for (let t = 0; t < T; t++) {
      k.copyRows(N, H, o2.data, (T - 1 - t) * H, T * H, out.data, t * 2 * H + H, T * 2 * H, false);
    }
    return out;
  }

  /** dout: `(N, T, 2H)` → dxs: `(N, T, D)`; sets `grads`. */
  backward(dout: Tensor): Tensor {
    const rev = this.#rev ?? noForward("TimeBiLSTM.backward");
    const [N, T, D] = rev.shape;
    const H = this.params[1].shape[0];
    expectShape("TimeBiLSTM.backward", "dout", dout.shape, [N, T, 2 * H]);
    const dRev = this.#dRev = reuse(this.#dRev, [N, T, H]);
    const k = getKernels();
    // the forward reader's half in place of a strided view; the backward reader's, time-reversed
    k.copyRows(N * T, H, dout.data, 0, 2 * H, dRev.data, 0, H, false);
    const dxs1 = this.forwardLstm.backward(dRev);
    const dxs = this.#dxs = reuse(this.#dxs, [N, T, D]);
    dxs.data.set(dxs1.data);
    for (let t = 0; t < T; t++) {
      k.copyRows(
        N,
        H,
        dout.data,
        t * 2 * H + H,
        T * 2 * H,
        dRev.data,
        (T - 1 - t) * H,
        T * H,
        false,
      );
    }
    const dxs2 = this.backwardLstm.backward(dRev);
    for (let t = 0; t < T; t++) {
      k.copyRows(N, D, dxs2.data, (T - 1 - t) * D, T * D, dxs.data, t * D, T * D, true);
    }
    return dxs;
  }
}

/** `xs[:, ::-1]` into a reused buffer. */
function reverseTime(xs: Tensor, buffer: Tensor | undefined): Tensor {
  const [N, T, D] = xs.shape;
  const out = reuse(buffer, xs.shape);
  const k = getKernels();
  for (let t = 0; t < T; t++) {
    k.copyRows(N, D, xs.data, t * D, T * D, out.data, (T - 1 - t) * D, T * D, false);
  }
  return out;
}
