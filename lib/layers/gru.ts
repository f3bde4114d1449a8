/**
 * Gated recurrent unit as the reference writes it: `GRU` for one step, `TimeGRU` for a
 * sequence. Gates packed `z, r, ĥ`:
 * `z = σ(x·Wxz + h·Whz + bz)`, `r = σ(x·Wxr + h·Whr + br)`,
 * `ĥ = tanh(x·Wxh + (r⊙h)·Whh + bh)`, `h_next = (1 − z)⊙h + z⊙ĥ`
 * (the reset gate acts before the `Whh` product, unlike PyTorch's GRU).
 *
 * @module
 */

import { expectShape } from "../errors.ts";
import { getKernels, type Kernels } from "../kernels.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { initialState, type Layer, noForward, reuse } from "./layer.ts";
import { checkRnnParams, shiftStates } from "./rnn.ts";

/**
 * One GRU step: `forward(x, hPrev) → hNext`, `backward(dhNext) → [dx, dhPrev]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GRU } from "./gru.ts";
 * import { zeros } from "../tensor.ts";
 * const cell = new GRU(zeros([4, 15]), zeros([5, 15]), zeros([15])); // D=4, H=5
 * const h = cell.forward(zeros([3, 4]), zeros([3, 5]));
 * const [dx, dhPrev] = cell.backward(zeros([3, 5]));
 * assert(h.shape.join() === "3,5" && dx.shape.join() === "3,4");
 * assert(dhPrev.shape.join() === "3,5");
 * ```
 */
export class GRU implements Layer {
  /** `[Wx (D, 3H), Wh (H, 3H), b (3H)]`, gate blocks `z, r, ĥ`. */
  readonly params: Tensor[];
  /** `[dWx, dWh, db]`. */
  readonly grads: Tensor[];
  #x?: Tensor;
  #hPrev?: Tensor;
  #gates?: Tensor;
  #rh?: Tensor;
  #h?: Tensor;
  #dGates?: Tensor;
  #dhr?: Tensor;
  #dx?: Tensor;
  #dhPrev?: Tensor;

  /**
   * Uses the given tensors as the parameters (no copy: updates to them are seen here).
   * @param Wx `(D, 3H)`
   * @param Wh `(H, 3H)`
   * @param b `(3H)`
   */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor) {
    this.params = checkRnnParams("GRU", Wx, Wh, b, 3);
    this.grads = this.params.map((p) => zeros(p.shape));
  }

  /** x: `(N, D)`, hPrev: `(N, H)` → hNext: `(N, H)`. */
  forward(x: Tensor, hPrev: Tensor): Tensor {
    const [Wx, Wh, b] = this.params;
    const H = Wh.shape[0], D = Wx.shape[0];
    const dims = expectShape("GRU.forward", "x", x.shape, ["N", D]);
    expectShape("GRU.forward", "hPrev", hPrev.shape, ["N", H], dims);
    const N = dims.N;
    this.#x = x, this.#hPrev = hPrev;
    const A = this.#gates = reuse(this.#gates, [N, 3 * H]);
    const rh = this.#rh = reuse(this.#rh, [N, H]);
    const h = this.#h = reuse(this.#h, [N, H]);
    const k = getKernels();
    k.gemm(false, false, N, 3 * H, D, x.data, 0, D, Wx.data, 0, 3 * H, A.data, 0, 3 * H, false);
    k.addBias(N, 3 * H, b.data, 0, A.data, 0, 3 * H);
    gruStep(k, N, H, A.data, 0, 3 * H, hPrev.data, 0, H, Wh, rh.data, 0, H, h.data, 0);
    return h;
  }

  /** dhNext: `(N, H)` → `[dx (N, D), dhPrev (N, H)]`; sets `grads`. */
  backward(dhNext: Tensor): [Tensor, Tensor] {
    const x = this.#x ?? noForward("GRU.backward");
    const [Wx, Wh] = this.params;
    const [dWx, dWh, db] = this.grads;
    const [N, D] = x.shape;
    const H = Wh.shape[0], G = 3 * H;
    expectShape("GRU.backward", "dhNext", dhNext.shape, [N, H]);
    const dA = this.#dGates = reuse(this.#dGates, [N, G]);
    const dhr = this.#dhr = reuse(this.#dhr, [N, H]);
    const dx = this.#dx = reuse(this.#dx, [N, D]);
    const dhPrev = this.#dhPrev = reuse(this.#dhPrev, [N, H]);
    const k = getKernels();
    const hPrev = this.#hPrev!;
    gruStepBackward(
      k,
      N,
      H,
      this.#gates!.data,
      0,
      G,
      hPrev.data,
      0,
      H,
      Wh,
      dhNext.data,
      dA.data,
      dhr.data,
      dhPrev.data,
    );
    k.gemm(true, false, D, G, N, x.data, 0, D, dA.data, 0, G, dWx.data, 0, G, false);
    k.gemm(true, false, H, 2 * H, N, hPrev.data, 0, H, dA.data, 0, G, dWh.data, 0, G, false);
    k.gemm(
      true,
      false,
      H,
      H,
      N,
      this.#rh!.data,
      0,
      H,
      dA.data,
      2 * H,
      G,
      dWh.data,
      2 * H,
      G,
      false,
    );
    k.sumRows(N, G, dA.data, 0, G, db.data, 0, false);
    k.gemm(false, true, N, D, G, dA.data, 0, G, Wx.data, 0, G, dx.data, 0, D, false);
    return [dx, dhPrev];
  }
}

/**
 * The recurrent part of one GRU step for `N` rows whose gate rows (`x·Wx + b` on entry, the
 * activated `z, r, ĥ` on return) sit at `aOff` with leading dimension `lda`, and whose
 * `hPrev`, `rh`, `hNext` rows have leading dimension `ldh`.
 */
function gruStep(
  k: Kernels,
  N: number,
  H: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  hPrev: Float32Array,
  hPrevOff: number,
  ldhPrev: number,
  Wh: Tensor,
  rh: Float32Array,
  rhOff: number,
  ldh: number,
  hNext: Float32Array,
  hNextOff: number,
): void {
  const G = 3 * H;
  // z, r blocks += h·Wh[:, :2H]
  k.gemm(false, false, N, 2 * H, H, hPrev, hPrevOff, ldhPrev, Wh.data, 0, G, a, aOff, lda, true);
  for (let n = 0; n < N; n++) {
    k.gruGates(1, H, a, aOff + n * lda, hPrev, hPrevOff + n * ldhPrev, rh, rhOff + n * ldh);
  }
  // ĥ block += (r⊙h)·Whh
  k.gemm(false, false, N, H, H, rh, rhOff, ldh, Wh.data, 2 * H, G, a, aOff + 2 * H, lda, true);
  for (let n = 0; n < N; n++) {
    k.gruOutput(1, H, a, aOff + n * lda, hPrev, hPrevOff + n * ldhPrev, hNext, hNextOff + n * ldh);
  }
}

/**
 * Backward of {@linkcode gruStep} for contiguous `dhNext`, `dhr`, `dhPrev` `(N, H)`: writes
 * the gate gradients (rows at `aOff`, leading dimension `lda`, like the gates) and `dhPrev`.
 */
function gruStepBackward(
  k: Kernels,
  N: number,
  H: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  hPrev: Float32Array,
  hPrevOff: number,
  ldhPrev: number,
  Wh: Tensor,
  dhNext: Float32Array,
  dA: Float32Array,
  dhr: Float32Array,
  dhPrev: Float32Array,
): void {
  const G = 3 * H;
  for (let n = 0; n < N; n++) {
    const g = aOff + n * lda, hp = hPrevOff + n * ldhPrev;
    k.gruBackwardZH(1, H, a, g, hPrev, hp, dhNext, n * H, dA, g, dhPrev, n * H);
  }
  // dhr = dĥ·Whhᵀ
  k.gemm(false, true, N, H, H, dA, aOff + 2 * H, lda, Wh.data, 2 * H, G, dhr, 0, H, false);
  for (let n = 0; n < N; n++) {
    const g = aOff + n * lda, hp = hPrevOff + n * ldhPrev;
    k.gruBackwardR(1, H, a, g, hPrev, hp, dhr, n * H, dA, g, dhPrev, n * H);
  }
  // dhPrev += [dz, dr]·[Whz, Whr]ᵀ
  k.gemm(false, true, N, H, 2 * H, dA, aOff, lda, Wh.data, 0, G, dhPrev, 0, H, true);
}

/**
 * `GRU` over `T` timesteps with the reference's state handling (`stateful`, `h`, `dh`,
 * `setState`, `resetState`), laid out like {@linkcode TimeLSTM}: one input product before the
 * loop, two recurrent products per step, one product per weight gradient after it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeGRU } from "./gru.ts";
 * import { Rng } from "../random.ts";
 * const rng = new Rng(1);
 * const layer = new TimeGRU(rng.randn([4, 15], 0.5), rng.randn([5, 15], 0.5), rng.randn([15]));
 * const hs = layer.forward(rng.randn([2, 3, 4])); // xs: (N=2, T=3, D=4) → hs: (N, T, H=5)
 * assert(layer.backward(rng.randn([2, 3, 5])).shape.join() === "2,3,4");
 * assert(hs.shape.join() === "2,3,5");
 * ```
 */
export class TimeGRU implements Layer {
  /** `[Wx (D, 3H), Wh (H, 3H), b (3H)]`. */
  readonly params: Tensor[];
  /** `[dWx, dWh, db]`, overwritten by each `backward`. */
  readonly grads: Tensor[];
  /** Whether `forward` continues from the last state. */
  stateful: boolean;
  /** The last hidden state `(N, H)`, or `null`. */
  h: Tensor | null = null;
  /** Gradient w.r.t. the state the last forward started from, after `backward`. */
  dh: Tensor | null = null;
  #xs?: Tensor;
  #h0?: Tensor;
  #gates?: Tensor; // (N, T, 3H)
  #rh?: Tensor; // (N, T, H)
  #hs?: Tensor; // (N, T, H)
  #hLast?: Tensor;
  #dGates?: Tensor;
  #hPrev?: Tensor;
  #dhCur?: Tensor;
  #dhr?: Tensor;
  #carry?: Tensor;
  #dxs?: Tensor;

  /**
   * Uses the given tensors as the parameters (no copy: updates to them are seen here).
   * @param Wx `(D, 3H)`
   * @param Wh `(H, 3H)`
   * @param b `(3H)`
   */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, stateful = false) {
    this.params = checkRnnParams("TimeGRU", Wx, Wh, b, 3);
    this.grads = this.params.map((p) => zeros(p.shape));
    this.stateful = stateful;
  }

  /** Sets the state the next `forward` starts from (a copy of `h`, `(N, H)`). */
  setState(h: Tensor): void {
    expectShape("TimeGRU.setState", "h", h.shape, ["N", this.params[1].shape[0]]);
    this.h = h.clone();
  }

  /** Forgets the state: the next `forward` starts from zeros. */
  resetState(): void {
    this.h = null;
  }

  /** xs: `(N, T, D)` → hs: `(N, T, H)`. */
  forward(xs: Tensor): Tensor {
    const [Wx, Wh, b] = this.params;
    const H = Wh.shape[0], D = Wx.shape[0], G = 3 * H;
    const { N, T } = expectShape("TimeGRU.forward", "xs", xs.shape, ["N", "T", D]);
    const h0 = this.#h0 = initialState(
      "TimeGRU.forward",
      "h",
      this.stateful,
      this.h,
      N,
      H,
      this.#h0,
    );
    this.#xs = xs;
    const A = this.#gates = reuse(this.#gates, [N, T, G]);
    const rh = this.#rh = reuse(this.#rh, [N, T, H]);
    const hs = this.#hs = reuse(this.#hs, [N, T, H]);
    const k = getKernels();
    const ldg = T * G, ldh = T * H;
    k.gemm(false, false, N * T, G, D, xs.data, 0, D, Wx.data, 0, G, A.data, 0, G, false);
    k.addBias(N * T, G, b.data, 0, A.data, 0, G);
    for (let t = 0; t < T; t++) {
      const hp = t === 0 ? h0.data : hs.data, hpOff = t === 0 ? 0 : (t - 1) * H;
      const ldhp = t === 0 ? H : ldh;
      gruStep(
        k,
        N,
        H,
        A.data,
        t * G,
        ldg,
        hp,
        hpOff,
        ldhp,
        Wh,
        rh.data,
        t * H,
        ldh,
        hs.data,
        t * H,
      );
    }
    const hLast = this.#hLast = reuse(this.#hLast, [N, H]);
    k.copyRows(N, H, hs.data, (T - 1) * H, ldh, hLast.data, 0, H, false);
    this.h = hLast;
    return hs;
  }

  /** dhs: `(N, T, H)` → dxs: `(N, T, D)`; sets `grads` and `dh`. */
  backward(dhs: Tensor): Tensor {
    const xs = this.#xs ?? noForward("TimeGRU.backward");
    const [Wx, Wh] = this.params;
    const [dWx, dWh, db] = this.grads;
    const [N, T, D] = xs.shape;
    const H = Wh.shape[0], G = 3 * H;
    expectShape("TimeGRU.backward", "dhs", dhs.shape, [N, T, H]);
    const dA = this.#dGates = reuse(this.#dGates, [N, T, G]);
    const dhCur = this.#dhCur = reuse(this.#dhCur, [N, H]);
    const dhr = this.#dhr = reuse(this.#dhr, [N, H]);
    // dh carried from step t+1 to t; after the loop, the initial state's gradient
    const carry = this.#carry = reuse(this.#carry, [N, H]).fill(0);
    const a = this.#gates!.data, hs = this.#hs!, h0 = this.#h0!;
    const k = getKernels();
    const ldg = T * G, ldh = T * H;
    for (let t = T - 1; t >= 0; t--) {
      k.copyRows(N, H, dhs.data, t * H, ldh, dhCur.data, 0, H, false);
      k.copyRows(N, H, carry.data, 0, H, dhCur.data, 0, H, true);
      const hp = t === 0 ? h0.data : hs.data, hpOff = t === 0 ? 0 : (t - 1) * H;
      const ldhp = t === 0 ? H : ldh;
      gruStepBackward(
        k,
        N,
        H,
        a,
        t * G,
        ldg,
        hp,
        hpOff,
        ldhp,
        Wh,
        dhCur.data,
        dA.data,
        dhr.data,
        carry.data,
      );
    }
    this.dh = carry;
    const hPrev = this.#hPrev = shiftStates(N, T, H, h0, hs, this.#hPrev);
    const dxs = this.#dxs = reuse(this.#dxs, [N, T, D]);
    const R = N * T, da = dA.data;
    k.gemm(false, true, R, D, G, da, 0, G, Wx.data, 0, G, dxs.data, 0, D, false);
    k.gemm(true, false, D, G, R, xs.data, 0, D, da, 0, G, dWx.data, 0, G, false);
    k.gemm(true, false, H, 2 * H, R, hPrev.data, 0, H, da, 0, G, dWh.data, 0, G, false);
    k.gemm(true, false, H, H, R, this.#rh!.data, 0, H, da, 2 * H, G, dWh.data, 2 * H, G, false);
    k.sumRows(R, G, da, 0, G, db.data, 0, false);
    return dxs;
  }
}
