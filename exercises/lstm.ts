/**
 * 【演習】LSTM レイヤ（1 時刻分、本の 6.3）— forward と backward を完成させましょう。
 * Exercise: the LSTM cell, one timestep (the book's 6.3) — complete forward and backward.
 *
 *     deno task exercise lstm         # 確かめる / check this file
 *
 * 4 つのゲートの重みは f, g, i, o の順に横に並べてまとめてあります。
 * The four gates' weights are packed side by side in the order f, g, i, o.
 *
 * 順伝播 / forward:
 *
 *     A = x·Wx + h_prev·Wh + b                                           (N, 4H)
 *     f = σ(A[:, :H]),  g = tanh(A[:, H:2H]),  i = σ(A[:, 2H:3H]),  o = σ(A[:, 3H:])
 *     c_next = f⊙c_prev + g⊙i,  h_next = o⊙tanh(c_next)                  (N, H)
 *
 * 逆伝播 / backward:
 *
 *     ds = dc_next + dh_next⊙o⊙(1 − tanh²(c_next)),  dc_prev = ds⊙f
 *     df = ds⊙c_prev⊙f(1 − f),  dg = ds⊙i⊙(1 − g²),  di = ds⊙g⊙i(1 − i),
 *     do = dh_next⊙tanh(c_next)⊙o(1 − o),  dA = [df, dg, di, do]         (N, 4H)
 *     dWx = xᵀ·dA,  dWh = h_prevᵀ·dA,  db = Σ_rows dA,  dx = dA·Wxᵀ,  dh_prev = dA·Whᵀ
 *
 * `A[:, H:2H]` is `colBlock(A, H, H)`; `np.hstack((df, dg, di, do))` is
 * `concat([df, dg, di, dO], 1)`; `σ` is `sigmoid`; `x²` is `square(x)`.
 *
 * @module
 */

// The arguments and the imports are yours to use: until then, lint would call them unused.
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax

import {
  add,
  colBlock,
  concat,
  matmul,
  mul,
  sigmoid,
  square,
  sub,
  sum,
  tanh,
  type Tensor,
  zerosLike,
} from "../mod.ts";

/** The book's `LSTM`: `forward(x, hPrev, cPrev) → [hNext, cNext]`. */
export class LSTM {
  /** パラメータ / parameters: `[Wx (D, 4H), Wh (H, 4H), b (4H)]`, gates f, g, i, o. */
  params: Tensor[];
  /** 勾配 / gradients: `[dWx, dWh, db]`. */
  grads: Tensor[];
  /** 逆伝播で使う値を入れておく / keep what backward needs here. */
  cache: Tensor[] | null = null;

  /** Wx: `(D, 4H)`, Wh: `(H, 4H)`, b: `(4H)`. */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor) {
    this.params = [Wx, Wh, b];
    this.grads = [zerosLike(Wx), zerosLike(Wh), zerosLike(b)];
  }

  /** 順伝播 / forward: x `(N, D)`, hPrev, cPrev `(N, H)` → `[hNext, cNext]`, each `(N, H)`. */
  forward(x: Tensor, hPrev: Tensor, cPrev: Tensor): [Tensor, Tensor] {
    // const [Wx, Wh, b] = this.params;
    // const H = hPrev.shape[1];
    // 1. A = x·Wx + h_prev·Wh + b                     (N, 4H)   4 つ分をまとめて計算
    // 2. f, g, i, o: A を 4 つに分ける (colBlock(A, 0, H), colBlock(A, H, H), …)   (N, H)
    // 3. c_next = f⊙c_prev + g⊙i,  h_next = o⊙tanh(c_next)
    // 4. this.cache = [x, hPrev, cPrev, i, f, g, o, tanh(c_next)]
    // 5. return [hNext, cNext];
    throw new Error("未実装です / not implemented yet");
  }

  /**
   * 逆伝播 / backward: dhNext, dcNext `(N, H)` → `[dx (N, D), dhPrev (N, H), dcPrev (N, H)]`;
   * sets `grads`.
   */
  backward(dhNext: Tensor, dcNext: Tensor): [Tensor, Tensor, Tensor] {
    // const [Wx, Wh] = this.params;
    // const [x, hPrev, cPrev, i, f, g, o, tanhCNext] = this.cache!;
    // 1. ds = dc_next + dh_next⊙o⊙(1 − tanh²(c_next));  dc_prev = ds⊙f
    // 2. df, dg, di, do（上の式 / the formulas above）, each (N, H)
    // 3. dA = concat([df, dg, di, dO], 1)             (N, 4H)   f, g, i, o の順 / in this order
    // 4. dWx = xᵀ·dA (D, 4H),  dWh = h_prevᵀ·dA (H, 4H),  db = Σ_rows dA (4H)
    //    → this.grads[0].copyFrom(dWx) など (the same array objects)
    // 5. dx = dA·Wxᵀ (N, D),  dh_prev = dA·Whᵀ (N, H);  return [dx, dhPrev, dcPrev];
    throw new Error("未実装です / not implemented yet");
  }
}
