/**
 * 模範解答: RNN レイヤ（1 時刻分、本の 5.3.1）。
 * Model answer: the RNN cell, one timestep (the book's 5.3.1).
 *
 *     h_next = tanh(h_prev·Wh + x·Wx + b)                              (N, H)
 *
 *     dt = dh_next ⊙ (1 − h_next²)                                     (N, H)
 *     db = Σ_rows dt,  dWh = h_prevᵀ·dt,  dh_prev = dt·Whᵀ,  dWx = xᵀ·dt,  dx = dt·Wxᵀ
 *
 * @module
 */

import { add, matmul, mul, sub, sum, tanh, type Tensor, zerosLike } from "../../mod.ts";

/** The book's `RNN`: `forward(x, hPrev) → hNext`, `backward(dhNext) → [dx, dhPrev]`. */
export class RNN {
  /** パラメータ / parameters: `[Wx (D, H), Wh (H, H), b (H)]`. */
  params: Tensor[];
  /** 勾配 / gradients: `[dWx, dWh, db]`, the shapes of `params`. */
  grads: Tensor[];
  /** 逆伝播で使う値 / kept for backward: `[x, h_prev, h_next]`. */
  cache: Tensor[] | null = null;

  /** Wx: `(D, H)`, Wh: `(H, H)`, b: `(H)`. */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor) {
    this.params = [Wx, Wh, b];
    this.grads = [zerosLike(Wx), zerosLike(Wh), zerosLike(b)];
  }

  /** 順伝播 / forward: x `(N, D)`, hPrev `(N, H)` → hNext `(N, H)`. */
  forward(x: Tensor, hPrev: Tensor): Tensor {
    const [Wx, Wh, b] = this.params;
    // t = np.dot(h_prev, Wh) + np.dot(x, Wx) + b     (N, H)
    const t = add(add(matmul(hPrev, Wh), matmul(x, Wx)), b);
    const hNext = tanh(t); // h_next = np.tanh(t)      (N, H)
    this.cache = [x, hPrev, hNext];
    return hNext;
  }

  /** 逆伝播 / backward: dhNext `(N, H)` → `[dx (N, D), dhPrev (N, H)]`; sets `grads`. */
  backward(dhNext: Tensor): [Tensor, Tensor] {
    const [Wx, Wh] = this.params;
    const [x, hPrev, hNext] = this.cache!;
    const dt = mul(dhNext, sub(1, mul(hNext, hNext))); // dt = dh_next * (1 - h_next ** 2)  (N, H)
    const db = sum(dt, 0); //                              db = np.sum(dt, axis=0)           (H)
    const dWh = matmul(hPrev, dt, { transA: true }); //    dWh = np.dot(h_prev.T, dt)        (H, H)
    const dhPrev = matmul(dt, Wh, { transB: true }); //    dh_prev = np.dot(dt, Wh.T)        (N, H)
    const dWx = matmul(x, dt, { transA: true }); //        dWx = np.dot(x.T, dt)             (D, H)
    const dx = matmul(dt, Wx, { transB: true }); //        dx = np.dot(dt, Wx.T)             (N, D)
    // 同じメモリ位置に代入 (self.grads[0][...] = dWx): the arrays in grads stay the same objects
    this.grads[0].copyFrom(dWx);
    this.grads[1].copyFrom(dWh);
    this.grads[2].copyFrom(db);
    return [dx, dhPrev];
  }
}
