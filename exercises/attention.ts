/**
 * 【演習】Attention レイヤ（本の 8.1）— forward と backward を完成させましょう。
 * Exercise: the Attention layer (the book's 8.1) — complete forward and backward.
 *
 *     deno task exercise attention    # 確かめる / check this file
 *
 * 本の AttentionWeight（重みを求める）と WeightSum（重み付き和）を一つのクラスに書きます。
 * The book's AttentionWeight (the weights) and WeightSum (the weighted sum), in one class:
 *
 *     s[n, t] = Σ_H hs[n, t]⊙h[n],  a = softmax(s) over t               (N, T)   AttentionWeight
 *     c[n] = Σ_t a[n, t]·hs[n, t]                                      (N, H)   WeightSum
 *
 * 逆伝播では hs が 2 か所で使われるので、dhs は両方の経路からの勾配の和です。
 * Back from `dout` `(N, H)`: `hs` is used twice, so `dhs` is the sum of both paths. The
 * softmax's backward is `ds = a⊙(da − Σ_t da⊙a)`.
 *
 * `h.reshape(N, 1, H).repeat(T, axis=1)` is `repeat(reshape(h, [N, 1, H]), T, 1)`;
 * `np.sum(x, axis=2)` is `sum(x, 2)` (`sum(x, 1, { keepdims: true })` keeps the axis).
 *
 * @module
 */

// The arguments and the imports are yours to use: until then, lint would call them unused.
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax

import { add, mul, repeat, reshape, softmax, sub, sum, type Tensor } from "../mod.ts";

/** The book's `Attention`: `forward(hs, h) → c`, `backward(dout) → [dhs, dh]`. */
export class Attention {
  /** パラメータはない / no parameters. */
  params: Tensor[] = [];
  /** 勾配もない / no gradients. */
  grads: Tensor[] = [];
  /** 最後の順伝播の重み a を入れる / set to the weights `a` `(N, T)` of the last forward. */
  attentionWeight: Tensor | null = null;
  /** 逆伝播で使う値を入れておく / keep what backward needs here. */
  cache: Tensor[] | null = null;

  /** 順伝播 / forward: hs `(N, T, H)`, h `(N, H)` → c `(N, H)`. */
  forward(hs: Tensor, h: Tensor): Tensor {
    // const [N, T, H] = hs.shape;
    // AttentionWeight:
    // 1. hr = h を T 回繰り返したもの / h repeated T times            (N, T, H)
    // 2. s = sum(mul(hs, hr), 2);  a = softmax(s)                     (N, T)
    // WeightSum:
    // 3. ar = a を H 回繰り返したもの / a repeated H times             (N, T, H)
    // 4. c = sum(mul(hs, ar), 1)                                     (N, H)
    // 5. this.attentionWeight = a;  this.cache = [hs, hr, a, ar];  return c;
    throw new Error("未実装です / not implemented yet");
  }

  /** 逆伝播 / backward: dout `(N, H)` → `[dhs (N, T, H), dh (N, H)]`. */
  backward(dout: Tensor): [Tensor, Tensor] {
    // const [hs, hr, a, ar] = this.cache!;
    // WeightSum の逆伝播 / WeightSum back:
    // 1. dt = dout を T 回繰り返したもの (N, T, H);  dhs0 = dt⊙ar;  da = sum(dt⊙hs, 2)  (N, T)
    // AttentionWeight の逆伝播 / AttentionWeight back:
    // 2. ds = a⊙(da − Σ_t da⊙a)                                       (N, T)   softmax
    // 3. dt2 = ds を H 回繰り返したもの (N, T, H);  dhs1 = dt2⊙hr;  dh = sum(dt2⊙hs, 1)
    // 4. return [add(dhs0, dhs1), dh];                       両方の経路 / both paths
    throw new Error("未実装です / not implemented yet");
  }
}
