/**
 * 模範解答: Attention レイヤ（本の 8.1）。AttentionWeight（重みを求める）と WeightSum
 * （重み付き和）を一つのクラスに書いたもの。
 * Model answer: the Attention layer (the book's 8.1): AttentionWeight (the weights) followed
 * by WeightSum (the weighted sum), written as one class.
 *
 *     s[n, t] = Σ_H hs[n, t]⊙h[n],  a = softmax(s) over t               (N, T)   AttentionWeight
 *     c[n] = Σ_t a[n, t]·hs[n, t]                                      (N, H)   WeightSum
 *
 * Back from `dout` `(N, H)`: `hs` is used twice, so `dhs` is the sum of both paths.
 *
 * @module
 */

import { add, mul, repeat, reshape, softmax, sub, sum, type Tensor } from "../../mod.ts";

/** The book's `Attention`: `forward(hs, h) → c`, `backward(dout) → [dhs, dh]`. */
export class Attention {
  /** パラメータはない / no parameters. */
  params: Tensor[] = [];
  /** 勾配もない / no gradients. */
  grads: Tensor[] = [];
  /** 最後の順伝播の重み / the weights `a` `(N, T)` of the last forward. */
  attentionWeight: Tensor | null = null;
  /** 逆伝播で使う値 / kept for backward: `[hs, hr, a, ar]`. */
  cache: Tensor[] | null = null;

  /** 順伝播 / forward: hs `(N, T, H)`, h `(N, H)` → c `(N, H)`. */
  forward(hs: Tensor, h: Tensor): Tensor {
    const [N, T, H] = hs.shape;
    // AttentionWeight
    const hr = repeat(reshape(h, [N, 1, H]), T, 1); // h.reshape(N, 1, H).repeat(T, axis=1)
    const s = sum(mul(hs, hr), 2); //                  np.sum(hs * hr, axis=2)     (N, T)
    const a = softmax(s); //                           softmax over t              (N, T)
    // WeightSum
    const ar = repeat(reshape(a, [N, T, 1]), H, 2); // a.reshape(N, T, 1).repeat(H, axis=2)
    const c = sum(mul(hs, ar), 1); //                  np.sum(hs * ar, axis=1)     (N, H)
    this.attentionWeight = a;
    this.cache = [hs, hr, a, ar];
    return c;
  }

  /** 逆伝播 / backward: dout `(N, H)` → `[dhs (N, T, H), dh (N, H)]`. */
  backward(dout: Tensor): [Tensor, Tensor] {
    const [hs, hr, a, ar] = this.cache!;
    const [N, T, H] = hs.shape;
    // WeightSum の逆伝播 (WeightSum back)
    const dt = repeat(reshape(dout, [N, 1, H]), T, 1); // dc.reshape(N, 1, H).repeat(T, axis=1)
    const dhs0 = mul(dt, ar); //                          dhs = dt * ar                    (N, T, H)
    const da = sum(mul(dt, hs), 2); //                    da = np.sum(dt * hs, axis=2)     (N, T)
    // AttentionWeight の逆伝播 (AttentionWeight back): Softmax, then the sum over H
    const ds = mul(a, sub(da, sum(mul(da, a), 1, { keepdims: true }))); // Softmax.backward  (N, T)
    const dt2 = repeat(reshape(ds, [N, T, 1]), H, 2); //   ds.reshape(N, T, 1).repeat(H, axis=2)
    const dhs1 = mul(dt2, hr); //                          dhs = dt * hr                  (N, T, H)
    const dh = sum(mul(dt2, hs), 1); //                    dh = np.sum(dt * hs, axis=1)   (N, H)
    return [add(dhs0, dhs1), dh]; // hs は 2 か所で使われる: dhs = dhs0 + dhs1 (both paths)
  }
}
