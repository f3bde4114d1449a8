/**
 * Gated recurrent unit as the reference writes it (`GRU`, `TimeGRU` of its `time_layers.py`):
 * `GRU` for one step, `TimeGRU` for a sequence.
 *
 * Forward, `x` `(N, D)`, `h_prev` `(N, H)`, the weights packed `z, r, ĥ`
 * (`Wx = [Wxz, Wxr, Wxh]`, `Wh = [Whz, Whr, Whh]`, `b = [bz, br, bh]`); the reset gate acts
 * before the `Whh` product, unlike PyTorch's GRU:
 *
 *     z = σ(x·Wxz + h_prev·Whz + bz),  r = σ(x·Wxr + h_prev·Whr + br)          (N, H)
 *     ĥ = tanh(x·Wxh + (r⊙h_prev)·Whh + bh)
 *     h_next = (1 − z)⊙h_prev + z⊙ĥ
 *
 * Backward, from `dh_next` `(N, H)`, as pre-activation gradients `dA = [dz, dr, dĥ]`:
 *
 *     dĥ = dh_next⊙z⊙(1 − ĥ²),  dz = dh_next⊙(ĥ − h_prev)⊙z(1 − z)
 *     dhr = dĥ·Whhᵀ,  dr = dhr⊙h_prev⊙r(1 − r)
 *     dh_prev = dh_next⊙(1 − z) + r⊙dhr + [dz, dr]·[Whz, Whr]ᵀ
 *     dWx = xᵀ·dA,  dWh = [h_prevᵀ·[dz, dr], (r⊙h_prev)ᵀ·dĥ],  db = Σ_rows dA,  dx = dA·Wxᵀ
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
 * One GRU step: `forward(x, hPrev) → hNext`, `backward(dhNext) → [dx, dhPrev]`.
 *
 * Every `forward` and `backward` returns new tensors, so the cell can be looped by hand the
 * way the book does it, `h = cell.forward(x, h)`. It keeps the last call's inputs for
 * `backward`, which goes back through that call only; `TimeGRU` runs (and differentiates) a
 * whole sequence, faster.
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
  #dGates?: Tensor;
  #dhr?: Tensor;

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

  /** x: `(N, D)` (a tensor, or a view such as `timestep(xs, t)`), hPrev: `(N, H)` → hNext: `(N, H)`, a new tensor. */
  forward(input: Tensor | Mat, hPrev: Tensor): Tensor {
    const x = cellInput(input); // a view such as timestep(xs, t) is copied
    const [Wx, Wh, b] = this.params;
    const H = Wh.shape[0], D = Wx.shape[0];
    const dims = expectShape("GRU.forward", "x", x.shape, ["N", D]);
    expectShape("GRU.forward", "hPrev", hPrev.shape, ["N", H], dims);
    const N = dims.N;
    this.#x = x, this.#hPrev = hPrev;
    const A = this.#gates = reuse(this.#gates, [N, 3 * H]);
    const rh = this.#rh = reuse(this.#rh, [N, H]);
    const hNext = engineTensor([N, H]);
    const k = getKernels();
    const Whzr = colBlock(Wh, 0, 2 * H), Whh = colBlock(Wh, 2 * H, H);
    const Azr = colBlock(A, 0, 2 * H), Ah = colBlock(A, 2 * H, H);
    // A = x·Wx + b   (N, 3H): the input parts of z, r and ĥ
    k.gemm(x, Wx, A);
    k.addBias(b, A);
    k.gemm(hPrev, Whzr, Azr, { accumulate: true }); // [A_z, A_r] += h_prev·[Whz, Whr]
    k.gruGates(A, hPrev, rh); //                       z = σ(A_z),  r = σ(A_r),  rh = r⊙h_prev
    k.gemm(rh, Whh, Ah, { accumulate: true }); //      A_ĥ += (r⊙h_prev)·Whh
    k.gruOutput(A, hPrev, hNext); //                   ĥ = tanh(A_ĥ),  h_next = (1 − z)⊙h_prev + z⊙ĥ
    return hNext;
  }

  /** dhNext: `(N, H)` → `[dx (N, D), dhPrev (N, H)]`, new tensors; sets `grads`. */
  backward(dhNext: Tensor): [Tensor, Tensor] {
    const x = this.#x ?? noForward("GRU.backward");
    const hPrev = this.#hPrev!, A = this.#gates!, rh = this.#rh!;
    const [Wx, Wh] = this.params;
    const [dWx, dWh, db] = this.grads;
    const [N, D] = x.shape;
    const H = Wh.shape[0], G = 3 * H;
    expectShape("GRU.backward", "dhNext", dhNext.shape, [N, H]);
    const dA = this.#dGates = reuse(this.#dGates, [N, G]);
    const dhr = this.#dhr = reuse(this.#dhr, [N, H]);
    const dx = engineTensor([N, D]), dhPrev = engineTensor([N, H]);
    const k = getKernels();
    const Whzr = colBlock(Wh, 0, 2 * H), Whh = colBlock(Wh, 2 * H, H);
    const dAzr = colBlock(dA, 0, 2 * H), dAh = colBlock(dA, 2 * H, H);
    const dWhzr = colBlock(dWh, 0, 2 * H), dWhh = colBlock(dWh, 2 * H, H);
    // dĥ = dh_next⊙z⊙(1 − ĥ²),  dz = dh_next⊙(ĥ − h_prev)⊙z(1 − z),  dh_prev = dh_next⊙(1 − z)
    k.gruBackwardZH(A, hPrev, dhNext, dA, dhPrev);
    // dhr = dĥ·Whhᵀ   (N, H),  then dh_prev += r⊙dhr,  dr = dhr⊙h_prev⊙r(1 − r)
    k.gemm(dAh, Whh, dhr, { transB: true });
    k.gruBackwardR(A, hPrev, dhr, dA, dhPrev);
    // dh_prev += [dz, dr]·[Whz, Whr]ᵀ
    k.gemm(dAzr, Whzr, dhPrev, { transB: true, accumulate: true });
    k.gemm(x, dA, dWx, { transA: true }); //         dWx = xᵀ·dA                        (D, 3H)
    k.gemm(hPrev, dAzr, dWhzr, { transA: true }); // [dWhz, dWhr] = h_prevᵀ·[dz, dr]   (H, 2H)
    k.gemm(rh, dAh, dWhh, { transA: true }); //      dWhh = (r⊙h_prev)ᵀ·dĥ             (H, H)
    k.sumRows(dA, db); //                            db = Σ_rows dA                     (3H)
    k.gemm(dA, Wx, dx, { transB: true }); //         dx = dA·Wxᵀ                        (N, D)
    return [dx, dhPrev];
  }
}

/**
 * `GRU` over `T` timesteps with the reference's state handling (`stateful`, `h`, `dh`,
 * `setState`, `resetState`) and {@linkcode TimeRecurrent}'s time loop: one input product
 * before the loop, two recurrent products per step (`h·[Whz, Whr]`, then `(r⊙h)·Whh`), one
 * product per weight gradient after it. `forward`'s `hs` and `backward`'s `dxs` are buffers
 * the layer reuses (see {@linkcode TimeRecurrent.forward}).
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
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, stateful?: boolean) {
    stateful ??= false;
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
    const H = this.hiddenSize, hPrev = this.hPrev(t), rh = timestep(this.#rh!, t);
    const At = timestep(this.A, t), Azr = colBlock(At, 0, 2 * H), Ah = colBlock(At, 2 * H, H);
    // [A_z, A_r] += h_{t−1}·[Whz, Whr];  z = σ(A_z),  r = σ(A_r),  rh_t = r⊙h_{t−1}
    k.gemmPacked(hPrev, this.#wzr!, Azr, { accumulate: true });
    k.gruGates(At, hPrev, rh);
    // A_ĥ += (r⊙h_{t−1})·Whh;  ĥ = tanh(A_ĥ),  h_t = (1 − z)⊙h_{t−1} + z⊙ĥ
    k.gemmPacked(rh, this.#whh!, Ah, { accumulate: true });
    k.gruOutput(At, hPrev, timestep(this.hs, t));
  }

  /** The gates' gradients from `dh_t`; carry `dh_t⊙(1 − z) + r⊙dhr + [dz, dr]·[Whz, Whr]ᵀ`. */
  protected stepBackward(k: Kernels, t: number): void {
    const H = this.hiddenSize, hPrev = this.hPrev(t), At = timestep(this.A, t);
    const dAt = timestep(this.dA, t), dAzr = colBlock(dAt, 0, 2 * H), dAh = colBlock(dAt, 2 * H, H);
    const carry = this.carry, dhr = this.#dhr!;
    // dĥ = dh_t⊙z⊙(1 − ĥ²),  dz = dh_t⊙(ĥ − h_{t−1})⊙z(1 − z),  carry = dh_t⊙(1 − z)
    k.gruBackwardZH(At, hPrev, this.dhCur, dAt, carry);
    // dhr = dĥ·Whhᵀ;  carry += r⊙dhr,  dr = dhr⊙h_{t−1}⊙r(1 − r)
    k.gemmPacked(dAh, this.#whhT!, dhr);
    k.gruBackwardR(At, hPrev, dhr, dAt, carry);
    // carry += [dz, dr]·[Whz, Whr]ᵀ: now the gradient w.r.t. h_{t−1}
    k.gemmPacked(dAzr, this.#wzrT!, carry, { accumulate: true });
  }

  /** `dWh[:, :2H] = Σ h_{t−1}ᵀ·[dz, dr]_t`, `dWh[:, 2H:] = Σ (r⊙h_{t−1})ᵀ·dĥ_t`. */
  protected override recurrentGrad(k: Kernels, hPrev: Tensor): void {
    const H = this.hiddenSize, dA = this.dA, dWh = this.grads[1];
    const dAzr = colBlock(dA, 0, 2 * H), dAh = colBlock(dA, 2 * H, H);
    const dWhzr = colBlock(dWh, 0, 2 * H), dWhh = colBlock(dWh, 2 * H, H);
    k.gemm(hPrev, dAzr, dWhzr, { transA: true }); //   [dWhz, dWhr] = Σ_t h_{t−1}ᵀ·[dz, dr]_t
    k.gemm(this.#rh!, dAh, dWhh, { transA: true }); // dWhh = Σ_t (r⊙h_{t−1})ᵀ·dĥ_t
  }
}
