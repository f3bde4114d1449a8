/**
 * Attention, as the reference's `WeightSum`, `AttentionWeight`, `Attention` and `TimeAttention`
 * (chapter 8): a decoder state `h` looks at every encoder state `hs` and takes their average
 * weighted by how well each matches it.
 *
 * One decoder step, `hs` `(N, T, H)` the encoder's states, `h` `(N, H)` the decoder's:
 *
 *     s[n, t] = hs[n, t]·h[n]                 (N, T)   AttentionWeight: the match of each state
 *     a = softmax(s) over t                   (N, T)
 *     c[n] = Σ_t a[n, t]·hs[n, t]             (N, H)   WeightSum: the context vector
 *
 * and back, from `dc` `(N, H)`:
 *
 *     da[n, t] = dc[n]·hs[n, t],  dhs[n, t] = a[n, t]·dc[n]                  (WeightSum)
 *     ds = a ⊙ (da − Σ_t da·a),  dhs[n, t] += ds[n, t]·h[n],  dh[n] = Σ_t ds[n, t]·hs[n, t]
 *
 * Per `n` these are small matrix products — `s_n = h_n·hs_nᵀ` `(1, H)·(H, T)`,
 * `c_n = a_n·hs_n` `(1, T)·(T, H)` — so every layer here runs them as one batched product
 * over the `N` rows ({@linkcode Kernels.gemmBatched}) and the softmax over `T` as one kernel.
 * `TimeAttention` does the same for all `Td` decoder steps at once: `(Td, H)·(H, T)` per row.
 *
 * @module
 */

import { expectShape } from "../errors.ts";
import { getKernels } from "../engine/kernels.ts";
import type { Tensor } from "../tensor.ts";
import { type Layer, noForward, reuse } from "./layer.ts";

/**
 * The weighted sum of the encoder's states: `c[n] = Σ_t a[n, t]·hs[n, t]`.
 * `forward(hs, a) → c`, `backward(dc) → [dhs, da]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WeightSum } from "./attention.ts";
 * import { tensor } from "../tensor.ts";
 * const hs = tensor([[[1, 2], [3, 4], [5, 6]]]); // (N=1, T=3, H=2)
 * const c = new WeightSum().forward(hs, tensor([[0.5, 0.5, 0]])); // half of hs[0, 0] and hs[0, 1]
 * assert.deepEqual(c.toArray(), [[2, 3]]);
 * ```
 */
export class WeightSum implements Layer {
  /** No parameters. */
  readonly params: Tensor[] = [];
  /** No gradients. */
  readonly grads: Tensor[] = [];
  #hs?: Tensor;
  #a?: Tensor;
  #c?: Tensor;
  #dhs?: Tensor;
  #da?: Tensor;

  /**
   * hs: `(N, T, H)`, a: `(N, T)` → c: `(N, H)`. The layer keeps `hs` and `a` (no copy) for
   * `backward`; `c` is a buffer it reuses.
   */
  forward(hs: Tensor, a: Tensor): Tensor {
    const dims = expectShape("WeightSum.forward", "hs", hs.shape, ["N", "T", "H"]);
    expectShape("WeightSum.forward", "a", a.shape, ["N", "T"], dims);
    this.#hs = hs, this.#a = a;
    const c = this.#c = reuse(this.#c, [dims.N, dims.H], hs, a);
    getKernels().gemmBatched(a, hs, c, { batch: dims.N }); // c_n = a_n·hs_n   (1, T)·(T, H)
    return c;
  }

  /** dc: `(N, H)` → `[dhs (N, T, H), da (N, T)]`, buffers the layer reuses. */
  backward(dc: Tensor): [Tensor, Tensor] {
    const hs = this.#hs ?? noForward("WeightSum.backward"), a = this.#a!;
    const [N, T, H] = hs.shape;
    expectShape("WeightSum.backward", "dc", dc.shape, [N, H]);
    const dhs = this.#dhs = reuse(this.#dhs, [N, T, H], dc, hs, a);
    const da = this.#da = reuse(this.#da, [N, T], dc, hs, a);
    const k = getKernels();
    k.gemmBatched(a, dc, dhs, { batch: N, transA: true }); // dhs_n = a_nᵀ·dc_n   (T, 1)·(1, H)
    k.gemmBatched(dc, hs, da, { batch: N, transB: true }); // da_n = dc_n·hs_nᵀ   (1, H)·(H, T)
    return [dhs, da];
  }
}

/**
 * The attention weights of one decoder state over the encoder's: `s[n, t] = hs[n, t]·h[n]`,
 * `a = softmax(s)` over `t`. `forward(hs, h) → a`, `backward(da) → [dhs, dh]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AttentionWeight } from "./attention.ts";
 * import { tensor } from "../tensor.ts";
 * const hs = tensor([[[1, 0], [0, 1], [1, 0]]]); // (N=1, T=3, H=2)
 * const a = new AttentionWeight().forward(hs, tensor([[5, 0]])); // h matches hs[0, 0] and hs[0, 2]
 * assert(Math.abs(a.data[0] - a.data[2]) < 1e-7 && a.data[1] < 0.01);
 * ```
 */
export class AttentionWeight implements Layer {
  /** No parameters. */
  readonly params: Tensor[] = [];
  /** No gradients. */
  readonly grads: Tensor[] = [];
  #hs?: Tensor;
  #h?: Tensor;
  #a?: Tensor;
  #ds?: Tensor;
  #dhs?: Tensor;
  #dh?: Tensor;

  /**
   * hs: `(N, T, H)`, h: `(N, H)` → a: `(N, T)`, each row summing to 1. The layer keeps `hs`
   * and `h` (no copy) for `backward`; `a` is a buffer it reuses.
   */
  forward(hs: Tensor, h: Tensor): Tensor {
    const dims = expectShape("AttentionWeight.forward", "hs", hs.shape, ["N", "T", "H"]);
    expectShape("AttentionWeight.forward", "h", h.shape, ["N", "H"], dims);
    const { N, T } = dims;
    this.#hs = hs, this.#h = h;
    const a = this.#a = reuse(this.#a, [N, T], hs, h);
    const k = getKernels();
    k.gemmBatched(h, hs, a, { batch: N, transB: true }); // s_n = h_n·hs_nᵀ   (1, H)·(H, T)
    k.softmax(a, a); //                                      a = softmax(s) over t
    return a;
  }

  /** da: `(N, T)` → `[dhs (N, T, H), dh (N, H)]`, buffers the layer reuses. */
  backward(da: Tensor): [Tensor, Tensor] {
    const hs = this.#hs ?? noForward("AttentionWeight.backward"), h = this.#h!, a = this.#a!;
    const [N, T, H] = hs.shape;
    expectShape("AttentionWeight.backward", "da", da.shape, [N, T]);
    const ds = this.#ds = reuse(this.#ds, [N, T]);
    const dhs = this.#dhs = reuse(this.#dhs, [N, T, H], da, hs, h);
    const dh = this.#dh = reuse(this.#dh, [N, H], da, hs, h);
    const k = getKernels();
    k.softmaxBackward(a, da, ds); //                         ds = a ⊙ (da − Σ_t da·a)
    k.gemmBatched(ds, h, dhs, { batch: N, transA: true }); // dhs_n = ds_nᵀ·h_n   (T, 1)·(1, H)
    k.gemmBatched(ds, hs, dh, { batch: N }); //                dh_n = ds_n·hs_n    (1, T)·(T, H)
    return [dhs, dh];
  }
}

/**
 * One decoder step's attention: {@linkcode AttentionWeight} then {@linkcode WeightSum}.
 * `forward(hs, h) → out` (the context vector `c`), `backward(dout) → [dhs, dh]`; the weights
 * of the last forward are kept in `attentionWeight`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Attention } from "./attention.ts";
 * import { Rng } from "../random.ts";
 * const rng = new Rng(0);
 * const layer = new Attention();
 * const out = layer.forward(rng.randn([2, 5, 3]), rng.randn([2, 3])); // (N=2, T=5, H=3), (N, H)
 * assert.deepEqual(out.shape, [2, 3]);
 * assert.deepEqual(layer.attentionWeight!.shape, [2, 5]);
 * const [dhs, dh] = layer.backward(rng.randn([2, 3]));
 * assert.deepEqual([dhs.shape, dh.shape], [[2, 5, 3], [2, 3]]);
 * ```
 */
export class Attention implements Layer {
  /** No parameters. */
  readonly params: Tensor[] = [];
  /** No gradients. */
  readonly grads: Tensor[] = [];
  /** The weights `a` `(N, T)` of the last forward. */
  attentionWeight: Tensor | null = null;
  readonly #weight = new AttentionWeight();
  readonly #sum = new WeightSum();
  #dhs?: Tensor;

  /** hs: `(N, T, H)`, h: `(N, H)` → out: `(N, H)`, `Σ_t a[n, t]·hs[n, t]`. */
  forward(hs: Tensor, h: Tensor): Tensor {
    const a = this.#weight.forward(hs, h);
    this.attentionWeight = a;
    return this.#sum.forward(hs, a);
  }

  /** dout: `(N, H)` → `[dhs (N, T, H), dh (N, H)]`. */
  backward(dout: Tensor): [Tensor, Tensor] {
    if (this.attentionWeight === null) noForward("Attention.backward");
    const [dhs0, da] = this.#sum.backward(dout);
    const [dhs1, dh] = this.#weight.backward(da);
    const dhs = this.#dhs = reuse(this.#dhs, dhs0.shape, dout);
    const k = getKernels();
    k.copyRows(dhs0, dhs); //                 dhs = dhs0 + dhs1
    k.copyRows(dhs1, dhs, { accumulate: true });
    return [dhs, dh];
  }
}

/**
 * Attention for every decoder step: `out[:, t] = Attention(hsEnc, hsDec[:, t])` for
 * `t < Td`, as the reference's `TimeAttention` computes with `Td` `Attention` layers — here
 * all steps at once, per row `n` one `(Td, H)·(H, T)` product for the scores, one softmax over
 * the `N·Td` rows, one `(Td, T)·(T, H)` product for the contexts:
 *
 *     S_n = hsDec_n·hsEnc_nᵀ   (Td, T),   A_n = softmax(S_n) by rows,   out_n = A_n·hsEnc_n   (Td, H)
 *
 * and back from `dout` `(N, Td, H)`:
 *
 *     dA_n = dout_n·hsEnc_nᵀ,  dS = A ⊙ (dA − Σ_t dA·A),
 *     dhsEnc_n = A_nᵀ·dout_n + dS_nᵀ·hsDec_n,  dhsDec_n = dS_n·hsEnc_n
 *
 * `attentionWeights` keeps the last forward's `A` `(N, Td, T)` (the reference's list of `Td`
 * arrays `(N, T)`), for the heat map of `visualize_attention`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeAttention } from "./attention.ts";
 * import { Rng } from "../random.ts";
 * const rng = new Rng(0);
 * const layer = new TimeAttention();
 * const out = layer.forward(rng.randn([2, 5, 3]), rng.randn([2, 4, 3])); // T = 5, Td = 4
 * assert.deepEqual(out.shape, [2, 4, 3]);
 * const a = layer.attentionWeights!; // (N, Td, T), rows summing to 1
 * assert(Math.abs(a.data.slice(0, 5).reduce((x, y) => x + y) - 1) < 1e-6);
 * const [dhsEnc, dhsDec] = layer.backward(rng.randn([2, 4, 3]));
 * assert.deepEqual([dhsEnc.shape, dhsDec.shape], [[2, 5, 3], [2, 4, 3]]);
 * ```
 */
export class TimeAttention implements Layer {
  /** No parameters. */
  readonly params: Tensor[] = [];
  /** No gradients. */
  readonly grads: Tensor[] = [];
  /** The attention weights `(N, Td, T)` of the last forward. */
  attentionWeights: Tensor | null = null;
  #hsEnc?: Tensor;
  #hsDec?: Tensor;
  #out?: Tensor;
  #dA?: Tensor;
  #dS?: Tensor;
  #dhsEnc?: Tensor;
  #dhsDec?: Tensor;
  #a?: Tensor;

  /**
   * hsEnc: `(N, T, H)`, hsDec: `(N, Td, H)` → out: `(N, Td, H)`, the context of each decoder
   * step. Keeps both inputs (no copy) for `backward`; `out` is a buffer the layer reuses.
   */
  forward(hsEnc: Tensor, hsDec: Tensor): Tensor {
    const dims = expectShape("TimeAttention.forward", "hsEnc", hsEnc.shape, ["N", "T", "H"]);
    expectShape("TimeAttention.forward", "hsDec", hsDec.shape, ["N", "Td", "H"], dims);
    const { N, T, H, Td } = dims;
    this.#hsEnc = hsEnc, this.#hsDec = hsDec;
    const a = this.#a = reuse(this.#a, [N, Td, T], hsEnc, hsDec);
    const out = this.#out = reuse(this.#out, [N, Td, H], hsEnc, hsDec);
    const k = getKernels();
    k.gemmBatched(hsDec, hsEnc, a, { batch: N, transB: true }); // S_n = hsDec_n·hsEnc_nᵀ
    k.softmax(a, a); //                                            A = softmax(S) over T
    k.gemmBatched(a, hsEnc, out, { batch: N }); //                 out_n = A_n·hsEnc_n
    this.attentionWeights = a;
    return out;
  }

  /** dout: `(N, Td, H)` → `[dhsEnc (N, T, H), dhsDec (N, Td, H)]`, buffers the layer reuses. */
  backward(dout: Tensor): [Tensor, Tensor] {
    const hsEnc = this.#hsEnc ?? noForward("TimeAttention.backward");
    const hsDec = this.#hsDec!, a = this.#a!;
    const [N, T, H] = hsEnc.shape, Td = hsDec.shape[1];
    expectShape("TimeAttention.backward", "dout", dout.shape, [N, Td, H]);
    const dA = this.#dA = reuse(this.#dA, [N, Td, T]);
    const dS = this.#dS = reuse(this.#dS, [N, Td, T]);
    const dhsEnc = this.#dhsEnc = reuse(this.#dhsEnc, [N, T, H], dout, hsEnc, hsDec);
    const dhsDec = this.#dhsDec = reuse(this.#dhsDec, [N, Td, H], dout, hsEnc, hsDec);
    const k = getKernels();
    k.gemmBatched(dout, hsEnc, dA, { batch: N, transB: true }); // dA_n = dout_n·hsEnc_nᵀ
    k.gemmBatched(a, dout, dhsEnc, { batch: N, transA: true }); // dhsEnc_n = A_nᵀ·dout_n
    k.softmaxBackward(a, dA, dS); //                               dS = A ⊙ (dA − Σ_t dA·A)
    k.gemmBatched(dS, hsEnc, dhsDec, { batch: N }); //             dhsDec_n = dS_n·hsEnc_n
    k.gemmBatched(dS, hsDec, dhsEnc, { batch: N, transA: true, accumulate: true }); // += dS_nᵀ·hsDec_n
    return [dhsEnc, dhsDec];
  }
}
