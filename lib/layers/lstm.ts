/**
 * Long short-term memory: `LSTM` for one timestep, `TimeLSTM` for a sequence, and
 * `TimeBiLSTM` reading it both ways. Gates are packed `f, g, i, o` as in the reference:
 * `A = x·Wx + h_{t−1}·Wh + b` `(N, 4H)`, `c_t = σ(f)⊙c_{t−1} + tanh(g)⊙σ(i)`,
 * `h_t = σ(o)⊙tanh(c_t)`.
 *
 * @module
 */

import { expectShape } from "../errors.ts";
import { getKernels, type Kernels } from "../engine/kernels.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { type Layer, noForward, reuse } from "./layer.ts";
import { checkRnnParams, TimeRecurrent } from "./recurrent.ts";

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
    k.lstmForward(N, H, A.data, 0, G, cPrev.data, 0, H, c.data, 0, h.data, 0, H);
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
    // dc flows through the kernel in place: dcPrev starts as dcNext
    dcPrev.copyFrom(dcNext);
    const a = this.#gates!.data, c = this.#c!.data;
    k.lstmBackward(
      N,
      H,
      a,
      0,
      dA.data,
      0,
      G,
      this.#cPrev!.data,
      0,
      H,
      c,
      0,
      H,
      dhNext.data,
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
 * The time loop is {@linkcode TimeRecurrent}'s: `xs·Wx + b` for all steps is one
 * `(N·T, D)·(D, 4H)` product; per step only `h_{t−1}·Wh` (accumulated into the step's gate
 * rows) and the fused pointwise kernel run; the weight gradients and `dxs` are single products.
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
export class TimeLSTM extends TimeRecurrent {
  /** An LSTM carries a cell state `c`. */
  readonly hasCellState = true;
  #wh?: Tensor; // Wh packed for the forward loop
  #whT?: Tensor; // Whᵀ packed for the backward loop

  /**
   * Uses the given tensors as the parameters (no copy: updates to them are seen here).
   * @param Wx `(D, 4H)`
   * @param Wh `(H, 4H)`
   * @param b `(4H)`
   */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, stateful = false) {
    super("TimeLSTM", Wx, Wh, b, 4, stateful);
  }

  /** Packs `Wh`. */
  protected prepareForward(k: Kernels): void {
    this.#wh = this.packWh(k, this.#wh, false, 0, 4 * this.hiddenSize);
  }

  /** Packs `Whᵀ`. */
  protected prepareBackward(k: Kernels): void {
    this.#whT = this.packWh(k, this.#whT, true, 0, 4 * this.hiddenSize);
  }

  /** `A[:, t] += h_{t−1}·Wh`, then the gates, `c_t` and `h_t`. */
  protected stepForward(k: Kernels, t: number): void {
    const { N, T } = this, H = this.hiddenSize, G = 4 * H;
    const [hp, hpOff, ldhp] = this.hPrev(t);
    const [cp, cpOff, ldcp] = this.cPrev(t);
    const a = this.A.data;
    k.gemmPacked(false, N, G, H, hp, hpOff, ldhp, this.#wh!.data, 0, a, t * G, T * G, true);
    k.lstmForward(
      N,
      H,
      a,
      t * G,
      T * G,
      cp,
      cpOff,
      ldcp,
      this.cs.data,
      t * H,
      this.hs.data,
      t * H,
      T * H,
    );
  }

  /** The gates' gradients from `dh_t` and `dc`; carry `dA[:, t]·Whᵀ` (and `dc` in place). */
  protected stepBackward(k: Kernels, t: number): void {
    const { N, T } = this, H = this.hiddenSize, G = 4 * H;
    const [cp, cpOff, ldcp] = this.cPrev(t);
    const a = this.A.data, da = this.dA.data;
    k.lstmBackward(
      N,
      H,
      a,
      t * G,
      da,
      t * G,
      T * G,
      cp,
      cpOff,
      ldcp,
      this.cs.data,
      t * H,
      T * H,
      this.dhCur.data,
      0,
      this.dc.data,
      0,
    );
    k.gemmPacked(
      false,
      N,
      H,
      G,
      da,
      t * G,
      T * G,
      this.#whT!.data,
      0,
      this.carry.data,
      0,
      H,
      false,
    );
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
