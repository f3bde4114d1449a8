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
import { getKernels, type Kernels } from "../engine/kernels.ts";
import { type Tensor, zeros } from "../tensor.ts";
import { type Layer, noForward, reuse } from "./layer.ts";
import { checkRnnParams, TimeRecurrent } from "./recurrent.ts";

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
    gruStep(k, N, H, A.data, 3 * H, hPrev.data, Wh, rh.data, h.data);
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
    const a = this.#gates!.data;
    gruStepBackward(k, N, H, a, G, hPrev.data, Wh, dhNext.data, dA.data, dhr.data, dhPrev.data);
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
 * `hPrev`, `rh`, `hNext` rows are contiguous `(N, H)`.
 */
function gruStep(
  k: Kernels,
  N: number,
  H: number,
  a: Float32Array,
  lda: number,
  hPrev: Float32Array,
  Wh: Tensor,
  rh: Float32Array,
  hNext: Float32Array,
): void {
  const G = 3 * H;
  // z, r blocks += h·Wh[:, :2H]
  k.gemm(false, false, N, 2 * H, H, hPrev, 0, H, Wh.data, 0, G, a, 0, lda, true);
  k.gruGates(N, H, a, 0, lda, hPrev, 0, H, rh, 0, H);
  // ĥ block += (r⊙h)·Whh
  k.gemm(false, false, N, H, H, rh, 0, H, Wh.data, 2 * H, G, a, 2 * H, lda, true);
  k.gruOutput(N, H, a, 0, lda, hPrev, 0, H, hNext, 0, H);
}

/**
 * Backward of {@linkcode gruStep}: writes the gate gradients (rows like the gates) and
 * `dhPrev`, all `(N, ·)` contiguous.
 */
function gruStepBackward(
  k: Kernels,
  N: number,
  H: number,
  a: Float32Array,
  lda: number,
  hPrev: Float32Array,
  Wh: Tensor,
  dhNext: Float32Array,
  dA: Float32Array,
  dhr: Float32Array,
  dhPrev: Float32Array,
): void {
  const G = 3 * H;
  k.gruBackwardZH(N, H, a, 0, dA, 0, lda, hPrev, 0, H, dhNext, 0, dhPrev, 0);
  // dhr = dĥ·Whhᵀ
  k.gemm(false, true, N, H, H, dA, 2 * H, lda, Wh.data, 2 * H, G, dhr, 0, H, false);
  k.gruBackwardR(N, H, a, 0, dA, 0, lda, hPrev, 0, H, dhr, 0, dhPrev, 0);
  // dhPrev += [dz, dr]·[Whz, Whr]ᵀ
  k.gemm(false, true, N, H, 2 * H, dA, 0, lda, Wh.data, 0, G, dhPrev, 0, H, true);
}

/**
 * `GRU` over `T` timesteps with the reference's state handling (`stateful`, `h`, `dh`,
 * `setState`, `resetState`) and {@linkcode TimeRecurrent}'s time loop: one input product
 * before the loop, two recurrent products per step (`h·[Whz, Whr]`, then `(r⊙h)·Whh`), one
 * product per weight gradient after it.
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
export class TimeGRU extends TimeRecurrent {
  /** A GRU has no cell state. */
  readonly hasCellState = false;
  #rh?: Tensor; // r⊙h_{t−1} of every step: (N, T, H)
  #dhr?: Tensor; // (N, H)
  #wzr?: Tensor; // [Whz, Whr] packed
  #whh?: Tensor; // Whh packed
  #wzrT?: Tensor; // [Whz, Whr]ᵀ packed
  #whhT?: Tensor; // Whhᵀ packed

  /**
   * Uses the given tensors as the parameters (no copy: updates to them are seen here).
   * @param Wx `(D, 3H)`
   * @param Wh `(H, 3H)`
   * @param b `(3H)`
   */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, stateful = false) {
    super("TimeGRU", Wx, Wh, b, 3, stateful);
  }

  /** `r⊙h` for every step. */
  protected override allocate(N: number, T: number): void {
    this.#rh = reuse(this.#rh, [N, T, this.hiddenSize]);
  }

  /** Packs `[Whz, Whr]` and `Whh`. */
  protected prepareForward(k: Kernels): void {
    const H = this.hiddenSize;
    this.#wzr = this.packWh(k, this.#wzr, false, 0, 2 * H);
    this.#whh = this.packWh(k, this.#whh, false, 2 * H, H);
  }

  /** Packs their transposes. */
  protected prepareBackward(k: Kernels): void {
    const H = this.hiddenSize;
    this.#wzrT = this.packWh(k, this.#wzrT, true, 0, 2 * H);
    this.#whhT = this.packWh(k, this.#whhT, true, 2 * H, H);
    this.#dhr = reuse(this.#dhr, [this.N, H]);
  }

  /** `z, r` from `h_{t−1}·[Whz, Whr]`, then `ĥ` from `(r⊙h_{t−1})·Whh`, then `h_t`. */
  protected stepForward(k: Kernels, t: number): void {
    const { N, T } = this, H = this.hiddenSize, G = 3 * H, ldg = T * G, ldh = T * H;
    const [hp, hpOff, ldhp] = this.hPrev(t);
    const a = this.A.data, rh = this.#rh!.data;
    k.gemmPacked(false, N, 2 * H, H, hp, hpOff, ldhp, this.#wzr!.data, 0, a, t * G, ldg, true);
    k.gruGates(N, H, a, t * G, ldg, hp, hpOff, ldhp, rh, t * H, ldh);
    k.gemmPacked(false, N, H, H, rh, t * H, ldh, this.#whh!.data, 0, a, t * G + 2 * H, ldg, true);
    k.gruOutput(N, H, a, t * G, ldg, hp, hpOff, ldhp, this.hs.data, t * H, ldh);
  }

  /** The gates' gradients from `dh_t`; carry `dh_t⊙(1 − z) + r⊙dhr + [dz, dr]·[Whz, Whr]ᵀ`. */
  protected stepBackward(k: Kernels, t: number): void {
    const { N, T } = this, H = this.hiddenSize, G = 3 * H, ldg = T * G;
    const [hp, hpOff, ldhp] = this.hPrev(t);
    const a = this.A.data, da = this.dA.data, carry = this.carry.data, dhr = this.#dhr!.data;
    k.gruBackwardZH(N, H, a, t * G, da, t * G, ldg, hp, hpOff, ldhp, this.dhCur.data, 0, carry, 0);
    // dhr = dĥ·Whhᵀ
    k.gemmPacked(false, N, H, H, da, t * G + 2 * H, ldg, this.#whhT!.data, 0, dhr, 0, H, false);
    k.gruBackwardR(N, H, a, t * G, da, t * G, ldg, hp, hpOff, ldhp, dhr, 0, carry, 0);
    k.gemmPacked(false, N, H, 2 * H, da, t * G, ldg, this.#wzrT!.data, 0, carry, 0, H, true);
  }

  /** `dWh[:, :2H] = Σ h_{t−1}ᵀ·[dz, dr]_t`, `dWh[:, 2H:] = Σ (r⊙h_{t−1})ᵀ·dĥ_t`. */
  protected override recurrentGrad(k: Kernels, hPrev: Tensor): void {
    const H = this.hiddenSize, G = 3 * H, R = this.N * this.T;
    const da = this.dA.data, dWh = this.grads[1].data;
    k.gemm(true, false, H, 2 * H, R, hPrev.data, 0, H, da, 0, G, dWh, 0, G, false);
    k.gemm(true, false, H, H, R, this.#rh!.data, 0, H, da, 2 * H, G, dWh, 2 * H, G, false);
  }
}
