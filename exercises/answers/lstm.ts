/**
 * 模範解答: LSTM レイヤ（1 時刻分、本の 6.3）。
 * Model answer: the LSTM cell, one timestep (the book's 6.3). The four gates' weights are
 * packed side by side in the order f, g, i, o.
 *
 *     A = x·Wx + h_prev·Wh + b                                           (N, 4H)
 *     f = σ(A[:, :H]),  g = tanh(A[:, H:2H]),  i = σ(A[:, 2H:3H]),  o = σ(A[:, 3H:])
 *     c_next = f⊙c_prev + g⊙i,  h_next = o⊙tanh(c_next)                  (N, H)
 *
 *     ds = dc_next + dh_next⊙o⊙(1 − tanh²(c_next)),  dc_prev = ds⊙f
 *     df = ds⊙c_prev⊙f(1 − f),  dg = ds⊙i⊙(1 − g²),  di = ds⊙g⊙i(1 − i),
 *     do = dh_next⊙tanh(c_next)⊙o(1 − o),  dA = [df, dg, di, do]         (N, 4H)
 *
 * @module
 */

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
} from "../../mod.ts";

/** The book's `LSTM`: `forward(x, hPrev, cPrev) → [hNext, cNext]`. */
export class LSTM {
  /** パラメータ / parameters: `[Wx (D, 4H), Wh (H, 4H), b (4H)]`, gates f, g, i, o. */
  params: Tensor[];
  /** 勾配 / gradients: `[dWx, dWh, db]`. */
  grads: Tensor[];
  /** 逆伝播で使う値 / kept for backward: `[x, h_prev, c_prev, i, f, g, o, tanh(c_next)]`. */
  cache: Tensor[] | null = null;

  /** Wx: `(D, 4H)`, Wh: `(H, 4H)`, b: `(4H)`. */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor) {
    this.params = [Wx, Wh, b];
    this.grads = [zerosLike(Wx), zerosLike(Wh), zerosLike(b)];
  }

  /** 順伝播 / forward: x `(N, D)`, hPrev, cPrev `(N, H)` → `[hNext, cNext]`, each `(N, H)`. */
  forward(x: Tensor, hPrev: Tensor, cPrev: Tensor): [Tensor, Tensor] {
    const [Wx, Wh, b] = this.params;
    const H = hPrev.shape[1];
    const A = add(add(matmul(x, Wx), matmul(hPrev, Wh)), b); // (N, 4H)
    // A[:, :H], A[:, H:2H], A[:, 2H:3H], A[:, 3H:] — f, g, i, o の順 (in this order)
    const f = sigmoid(colBlock(A, 0, H)); //     forget gate     (N, H)
    const g = tanh(colBlock(A, H, H)); //        new memory      (N, H)
    const i = sigmoid(colBlock(A, 2 * H, H)); // input gate      (N, H)
    const o = sigmoid(colBlock(A, 3 * H, H)); // output gate     (N, H)
    const cNext = add(mul(f, cPrev), mul(g, i)); //  c_next = f * c_prev + g * i
    const tanhCNext = tanh(cNext);
    const hNext = mul(o, tanhCNext); //              h_next = o * np.tanh(c_next)
    this.cache = [x, hPrev, cPrev, i, f, g, o, tanhCNext];
    return [hNext, cNext];
  }

  /**
   * 逆伝播 / backward: dhNext, dcNext `(N, H)` → `[dx (N, D), dhPrev (N, H), dcPrev (N, H)]`;
   * sets `grads`.
   */
  backward(dhNext: Tensor, dcNext: Tensor): [Tensor, Tensor, Tensor] {
    const [Wx, Wh] = this.params;
    const [x, hPrev, cPrev, i, f, g, o, tanhCNext] = this.cache!;
    // ds = dc_next + (dh_next * o) * (1 - tanh_c_next ** 2)                    (N, H)
    const ds = add(dcNext, mul(mul(dhNext, o), sub(1, square(tanhCNext))));
    const dcPrev = mul(ds, f); //                                 dc_prev = ds * f
    const di = mul(mul(ds, g), mul(i, sub(1, i))); //             di = ds * g * i(1 − i)
    const df = mul(mul(ds, cPrev), mul(f, sub(1, f))); //         df = ds * c_prev * f(1 − f)
    const dO = mul(mul(dhNext, tanhCNext), mul(o, sub(1, o))); // do = dh_next * tanh_c * o(1 − o)
    const dg = mul(mul(ds, i), sub(1, square(g))); //             dg = ds * i * (1 − g²)
    const dA = concat([df, dg, di, dO], 1); // np.hstack((df, dg, di, do))   (N, 4H)
    const dWh = matmul(hPrev, dA, { transA: true }); // np.dot(h_prev.T, dA)   (H, 4H)
    const dWx = matmul(x, dA, { transA: true }); //     np.dot(x.T, dA)        (D, 4H)
    const db = sum(dA, 0); //                           dA.sum(axis=0)         (4H)
    // 同じメモリ位置に代入 (self.grads[0][...] = dWx)
    this.grads[0].copyFrom(dWx);
    this.grads[1].copyFrom(dWh);
    this.grads[2].copyFrom(db);
    const dx = matmul(dA, Wx, { transB: true }); //     np.dot(dA, Wx.T)       (N, D)
    const dhPrev = matmul(dA, Wh, { transB: true }); // np.dot(dA, Wh.T)       (N, H)
    return [dx, dhPrev, dcPrev];
  }
}
