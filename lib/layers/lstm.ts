/**
 * Long short-term memory, as the reference's `LSTM`, `TimeLSTM` and `TimeBiLSTM`: `LSTM` for
 * one timestep, `TimeLSTM` for a sequence, and `TimeBiLSTM` reading it both ways.
 *
 * Forward, `x` `(N, D)`, `h_prev`, `c_prev` `(N, H)`, the gates packed `f, g, i, o` as in the
 * reference:
 *
 *     A = x·Wx + h_prev·Wh + b                                       (N, 4H)
 *     f = σ(A[:, :H]),  g = tanh(A[:, H:2H]),  i = σ(A[:, 2H:3H]),  o = σ(A[:, 3H:])
 *     c_next = f⊙c_prev + g⊙i,  h_next = o⊙tanh(c_next)              (N, H)
 *
 * Backward, from `dh_next`, `dc_next` `(N, H)`:
 *
 *     ds = dc_next + dh_next⊙o⊙(1 − tanh²(c_next)),  dc_prev = ds⊙f
 *     df = ds⊙c_prev⊙f(1 − f),  dg = ds⊙i⊙(1 − g²),  di = ds⊙g⊙i(1 − i),
 *     do = dh_next⊙tanh(c_next)⊙o(1 − o),  dA = [df, dg, di, do]     (N, 4H)
 *     dWx = xᵀ·dA,  dWh = h_prevᵀ·dA,  db = Σ_rows dA,  dx = dA·Wxᵀ,  dh_prev = dA·Whᵀ
 *
 * @module
 */

import { expectShape } from "../errors.ts";
import { getKernels, type Kernels } from "../engine/kernels.ts";
import { colBlock, type Mat, timestep } from "../engine/views.ts";
import { engineTensor, type Tensor, zeros } from "../tensor.ts";
import { cellInput, type Layer, noForward, reuse } from "./layer.ts";
import { checkRnnParams, TimeRecurrent } from "./recurrent.ts";

/**
 * One LSTM step: `forward(x, hPrev, cPrev) → [hNext, cNext]`,
 * `backward(dhNext, dcNext) → [dx, dhPrev, dcPrev]`.
 *
 * Every `forward` and `backward` returns new tensors, so the cell can be looped by hand the
 * way the book does it, `[h, c] = cell.forward(x, h, c)`. It keeps the last call's inputs for
 * `backward`, which goes back through that call only; `TimeLSTM` runs (and differentiates) a
 * whole sequence, faster.
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
  #c?: Tensor;
  #dGates?: Tensor;

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

  /** x: `(N, D)` (a tensor, or a view such as `timestep(xs, t)`), hPrev, cPrev: `(N, H)` → `[hNext (N, H), cNext (N, H)]`, new tensors. */
  forward(input: Tensor | Mat, hPrev: Tensor, cPrev: Tensor): [Tensor, Tensor] {
    const x = cellInput(input); // a view such as timestep(xs, t) is copied
    const [Wx, Wh, b] = this.params;
    const H = Wh.shape[0], D = Wx.shape[0], G = 4 * H;
    const dims = expectShape("LSTM.forward", "x", x.shape, ["N", D]);
    expectShape("LSTM.forward", "hPrev", hPrev.shape, ["N", H], dims);
    expectShape("LSTM.forward", "cPrev", cPrev.shape, ["N", H], dims);
    const N = dims.N;
    this.#x = x, this.#hPrev = hPrev, this.#cPrev = cPrev;
    const A = this.#gates = reuse(this.#gates, [N, G]);
    const hNext = engineTensor([N, H]), cNext = this.#c = engineTensor([N, H]);
    const k = getKernels();
    // A = x·Wx + h_prev·Wh + b   (N, 4H), gates packed f, g, i, o
    k.gemm(x, Wx, A);
    k.gemm(hPrev, Wh, A, { accumulate: true });
    k.addBias(b, A);
    // f = σ(A_f),  g = tanh(A_g),  i = σ(A_i),  o = σ(A_o)   (in place in A, for backward)
    // c_next = f⊙c_prev + g⊙i,  h_next = o⊙tanh(c_next)      (N, H)
    k.lstmForward(A, cPrev, cNext, hNext);
    return [hNext, cNext];
  }

  /**
   * dhNext, dcNext: `(N, H)` → `[dx (N, D), dhPrev (N, H), dcPrev (N, H)]`, new tensors; sets
   * `grads`.
   */
  backward(dhNext: Tensor, dcNext: Tensor): [Tensor, Tensor, Tensor] {
    const x = this.#x ?? noForward("LSTM.backward");
    const hPrev = this.#hPrev!, cPrev = this.#cPrev!, A = this.#gates!, cNext = this.#c!;
    const [Wx, Wh] = this.params;
    const [dWx, dWh, db] = this.grads;
    const [N, D] = x.shape;
    const H = Wh.shape[0], G = 4 * H;
    expectShape("LSTM.backward", "dhNext", dhNext.shape, [N, H]);
    expectShape("LSTM.backward", "dcNext", dcNext.shape, [N, H]);
    const dA = this.#dGates = reuse(this.#dGates, [N, G]);
    const dx = engineTensor([N, D]), dhPrev = engineTensor([N, H]), dcPrev = engineTensor([N, H]);
    const k = getKernels();
    // ds = dc_next + dh_next⊙o⊙(1 − tanh²(c_next)),  dc_prev = ds⊙f
    // df = ds⊙c_prev⊙f(1 − f),  dg = ds⊙i⊙(1 − g²),  di = ds⊙g⊙i(1 − i),
    // do = dh_next⊙tanh(c_next)⊙o(1 − o),  dA = [df, dg, di, do]   (N, 4H)
    dcPrev.copyFrom(dcNext); // dc goes through the kernel in place: dc_prev starts as dc_next
    k.lstmBackward(A, cPrev, cNext, dhNext, dcPrev, dA);
    k.gemm(x, dA, dWx, { transA: true }); //     dWx = xᵀ·dA           (D, 4H)
    k.gemm(hPrev, dA, dWh, { transA: true }); // dWh = h_prevᵀ·dA      (H, 4H)
    k.sumRows(dA, db); //                        db = Σ_rows dA        (4H)
    k.gemm(dA, Wx, dx, { transB: true }); //     dx = dA·Wxᵀ           (N, D)
    k.gemm(dA, Wh, dhPrev, { transB: true }); // dh_prev = dA·Whᵀ      (N, H)
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
 * `forward`'s `hs` and `backward`'s `dxs` are buffers the layer reuses (see
 * {@linkcode TimeRecurrent.forward}).
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
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, stateful?: boolean) {
    stateful ??= false;
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
    const At = timestep(this.A, t), ct = timestep(this.cs, t), ht = timestep(this.hs, t);
    // A_t = x_t·Wx + b + h_{t−1}·Wh   (N, 4H)
    k.gemmPacked(this.hPrev(t), this.#wh!, At, { accumulate: true });
    // c_t = f⊙c_{t−1} + g⊙i,  h_t = o⊙tanh(c_t)
    k.lstmForward(At, this.cPrev(t), ct, ht);
  }

  /** The gates' gradients from `dh_t` and `dc`; carry `dA[:, t]·Whᵀ` (and `dc` in place). */
  protected stepBackward(k: Kernels, t: number): void {
    const At = timestep(this.A, t), ct = timestep(this.cs, t), dAt = timestep(this.dA, t);
    // dA_t = [df, dg, di, do] from dh_t and dc (see LSTM.backward); dc ← dc_{t−1} = ds⊙f
    k.lstmBackward(At, this.cPrev(t), ct, this.dhCur, this.dc, dAt);
    // dh_{t−1} = dA_t·Whᵀ
    k.gemmPacked(dAt, this.#whT!, this.carry);
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

  /**
   * xs: `(N, T, D)` → out: `(N, T, 2H)`, `[forward hs, backward hs]` along the last axis.
   * `out` is a buffer the layer reuses: the next `forward` overwrites it, unless that call's
   * `xs` shares its storage, which gets a fresh buffer. `clone()` it to keep it longer.
   */
  forward(xs: Tensor): Tensor {
    const D = this.params[0].shape[0], H = this.params[1].shape[0];
    const { N, T } = expectShape("TimeBiLSTM.forward", "xs", xs.shape, ["N", "T", D]);
    const rev = this.#rev = reverseTime(xs, this.#rev); // xs[:, ::-1]
    const o1 = this.forwardLstm.forward(xs); //            o1 = forward reader's hs     (N, T, H)
    const o2 = this.backwardLstm.forward(rev); //          o2 = hs over xs[:, ::-1]     (N, T, H)
    const out = this.#out = reuse(this.#out, [N, T, 2 * H], xs);
    const k = getKernels();
    // out = concatenate(o1, o2[:, ::-1]) along the last axis   (N, T, 2H)
    k.copyRows(o1, colBlock(out, 0, H));
    for (let t = 0; t < T; t++) {
      k.copyRows(timestep(o2, T - 1 - t), colBlock(timestep(out, t), H, H));
    }
    return out;
  }

  /** dout: `(N, T, 2H)` → dxs: `(N, T, D)`, a reused buffer like `forward`'s; sets `grads`. */
  backward(dout: Tensor): Tensor {
    const rev = this.#rev ?? noForward("TimeBiLSTM.backward");
    const [N, T, D] = rev.shape;
    const H = this.params[1].shape[0];
    expectShape("TimeBiLSTM.backward", "dout", dout.shape, [N, T, 2 * H]);
    const dRev = this.#dRev = reuse(this.#dRev, [N, T, H]);
    const k = getKernels();
    // do1 = dout[:, :, :H], copied to be contiguous;  dxs1 = forward reader's backward(do1)
    k.copyRows(colBlock(dout, 0, H), dRev);
    const dxs1 = this.forwardLstm.backward(dRev);
    const dxs = this.#dxs = reuse(this.#dxs, [N, T, D], dout);
    dxs.data.set(dxs1.data);
    // do2 = dout[:, ::-1, H:];  dxs2 = backward reader's backward(do2)
    for (let t = 0; t < T; t++) {
      k.copyRows(colBlock(timestep(dout, t), H, H), timestep(dRev, T - 1 - t));
    }
    const dxs2 = this.backwardLstm.backward(dRev);
    // dxs = dxs1 + dxs2[:, ::-1]
    for (let t = 0; t < T; t++) {
      k.copyRows(timestep(dxs2, T - 1 - t), timestep(dxs, t), { accumulate: true });
    }
    return dxs;
  }
}

/** `xs[:, ::-1]` into a reused buffer. */
function reverseTime(xs: Tensor, buffer: Tensor | undefined): Tensor {
  const T = xs.shape[1];
  const out = reuse(buffer, xs.shape);
  const k = getKernels();
  for (let t = 0; t < T; t++) k.copyRows(timestep(xs, t), timestep(out, T - 1 - t));
  return out;
}
