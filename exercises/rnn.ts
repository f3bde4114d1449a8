/**
 * 【演習】RNN レイヤ（1 時刻分、本の 5.3.1）— forward と backward を完成させましょう。
 * Exercise: the RNN cell, one timestep (the book's 5.3.1) — complete forward and backward.
 *
 *     deno task exercise rnn          # 確かめる / check this file
 *
 * 順伝播 / forward:
 *
 *     h_next = tanh(h_prev·Wh + x·Wx + b)                              (N, H)
 *
 * 逆伝播 / backward:
 *
 *     dt = dh_next ⊙ (1 − h_next²)                                     (N, H)
 *     db = Σ_rows dt,  dWh = h_prevᵀ·dt,  dh_prev = dt·Whᵀ,  dWx = xᵀ·dt,  dx = dt·Wxᵀ
 *
 * NumPy との対応 / from NumPy: `np.dot(a, b)` → `matmul(a, b)`, `np.dot(a.T, b)` →
 * `matmul(a, b, { transA: true })`, `np.dot(a, b.T)` → `matmul(a, b, { transB: true })`,
 * `a + b` → `add(a, b)`, `a * b` → `mul(a, b)`, `1 - a` → `sub(1, a)`, `np.tanh(a)` →
 * `tanh(a)`, `np.sum(a, axis=0)` → `sum(a, 0)`.
 *
 * @module
 */

// The arguments and the imports are yours to use: until then, lint would call them unused.
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax

import { add, matmul, mul, sub, sum, tanh, type Tensor, zerosLike } from "../mod.ts";

/** The book's `RNN`: `forward(x, hPrev) → hNext`, `backward(dhNext) → [dx, dhPrev]`. */
export class RNN {
  /** パラメータ / parameters: `[Wx (D, H), Wh (H, H), b (H)]`. */
  params: Tensor[];
  /** 勾配 / gradients: `[dWx, dWh, db]`, the shapes of `params`. */
  grads: Tensor[];
  /** 逆伝播で使う値を入れておく / keep what backward needs here: `[x, h_prev, h_next]`. */
  cache: Tensor[] | null = null;

  /** Wx: `(D, H)`, Wh: `(H, H)`, b: `(H)`. */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor) {
    this.params = [Wx, Wh, b];
    this.grads = [zerosLike(Wx), zerosLike(Wh), zerosLike(b)];
  }

  /** 順伝播 / forward: x `(N, D)`, hPrev `(N, H)` → hNext `(N, H)`. */
  forward(x: Tensor, hPrev: Tensor): Tensor {
    // const [Wx, Wh, b] = this.params;
    // 1. t = h_prev·Wh + x·Wx + b      (N, H)   線形変換 / the linear part
    // 2. h_next = tanh(t)              (N, H)   非線形変換 / the activation
    // 3. this.cache = [x, hPrev, hNext]          backward のために保存 / keep for backward
    throw new Error("未実装です / not implemented yet");
  }

  /** 逆伝播 / backward: dhNext `(N, H)` → `[dx (N, D), dhPrev (N, H)]`; sets `grads`. */
  backward(dhNext: Tensor): [Tensor, Tensor] {
    // const [Wx, Wh] = this.params;
    // const [x, hPrev, hNext] = this.cache!;
    // 1. dt = dh_next ⊙ (1 − h_next²)      (N, H)   tanh の微分 / tanh's derivative
    // 2. db = Σ_rows dt                     (H)
    //    dWh = h_prevᵀ·dt                   (H, H)
    //    dh_prev = dt·Whᵀ                   (N, H)
    //    dWx = xᵀ·dt                        (D, H)
    //    dx = dt·Wxᵀ                        (N, D)
    // 3. 勾配は grads の配列に書き込む / write the gradients into the arrays of grads:
    //    this.grads[0].copyFrom(dWx) — 本の self.grads[0][...] = dWx (the same array object)
    // 4. return [dx, dhPrev];
    throw new Error("未実装です / not implemented yet");
  }
}
