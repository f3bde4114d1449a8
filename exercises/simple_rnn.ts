/**
 * 【演習】SimpleRNN（スクラッチ RNN の課題、問題 1〜3）— forward と backward を完成させましょう。
 * Exercise: the SimpleRNN exercise (problems 1–3) — complete forward and backward.
 *
 *     deno task exercise simple_rnn   # 確かめる / check this file
 *
 * 課題の NumPy と同じく float64（Float64Array）で計算します。配列は `Array64`:
 * `{ data: Float64Array, shape }`、行優先（row-major）。x の軸はバッチサイズ、系列数、特徴量数の順。
 * In float64 (`Float64Array`), as the exercise's NumPy code; arrays are `Array64`,
 * `{ data, shape }`, row-major: `x[n, s, i]` is `x.data[(n * n_sequences + s) * n_features + i]`.
 *
 * 【問題1】順伝播 / forward (tanh):
 *
 *     a_t = x_t·Wx + h_{t−1}·Wh + B,  h_t = tanh(a_t)               (batch_size, n_nodes)
 *
 * 【問題2】小さな配列での実験: `deno task exercise simple_rnn` が、問題 1 が解けると
 * `[0.79494228, 0.81839002, 0.83939649, 0.85584174]` を表示します。
 * Problem 2, the small-array experiment: once forward works, the task prints that line.
 *
 * 【問題3】逆伝播と更新 / backward and the update (∂L/∂h_t は出力からの誤差と次の時刻からの誤差の合計):
 *
 *     ∂h_t/∂a_t = ∂L/∂h_t × (1 − tanh²(a_t))
 *     ∂L/∂B += Σ_rows ∂h_t/∂a_t,  ∂L/∂Wx += x_tᵀ·∂h_t/∂a_t,  ∂L/∂Wh += h_{t−1}ᵀ·∂h_t/∂a_t
 *     ∂L/∂h_{t−1} = ∂h_t/∂a_t·Whᵀ,  ∂L/∂x_t = ∂h_t/∂a_t·Wxᵀ
 *     W' = W − α·∂L/∂W   for Wx, Wh, B
 *
 * @module
 */

// The arguments are yours to use: until then, lint would call them unused.
// deno-lint-ignore-file no-unused-vars

import type { Array64 } from "../mod.ts";

/** The exercise's `SimpleRNN`: `forward(x) → the last h`, `backward(dh) → dx` (and an update). */
export class SimpleRNN {
  /** パラメータ / parameters: `[Wx (n_features, n_nodes), Wh (n_nodes, n_nodes), B (n_nodes)]`. */
  params: Array64[];
  /** 勾配 / gradients `[dWx, dWh, dB]`（更新前の値を入れる / before the update）. */
  grads: Array64[];
  /** 学習率 α / the learning rate. */
  lr: number;
  /** 逆伝播で使う値を入れておく / keep what backward needs here (x, and h of every step). */
  cache: { x: Array64; hs: Float64Array[] } | null = null;

  /** Wx: `(n_features, n_nodes)`, Wh: `(n_nodes, n_nodes)`, B: `(n_nodes)`, lr: α. */
  constructor(Wx: Array64, Wh: Array64, B: Array64, lr = 0.01) {
    this.params = [Wx, Wh, B];
    this.grads = this.params.map((p) => ({
      data: new Float64Array(p.data.length),
      shape: p.shape,
    }));
    this.lr = lr;
  }

  /**
   * 順伝播 / forward: x `(batch_size, n_sequences, n_features)`, h0 `(batch_size, n_nodes)`
   * (default zeros) → the last h `(batch_size, n_nodes)`.
   */
  forward(x: Array64, h0?: Array64): Array64 {
    // const [Wx, Wh, B] = this.params;
    // const [batchSize, nSequences, nFeatures] = x.shape;  const nNodes = Wx.shape[1];
    // 1. h = h0 のコピー、なければゼロ / a copy of h0, or zeros     (batch_size, n_nodes)
    // 2. sequence 回繰り返す / for s = 0 … n_sequences − 1:
    //      a = x[:, s, :]·Wx + h·Wh + B;  h = tanh(a)    (ループで / with loops)
    // 3. this.cache = { x, hs: [h0, h_0, h_1, …] };
    //    return { data: h, shape: [batchSize, nNodes] };
    throw new Error("未実装です / not implemented yet");
  }

  /**
   * 逆伝播 / backward: dh `(batch_size, n_nodes)`, the gradient of the last h → dx
   * `(batch_size, n_sequences, n_features)`; sets `grads`, then updates `Wx`, `Wh`, `B`.
   */
  backward(dh: Array64): Array64 {
    // 1. this.grads の値を 0 に / zero the gradients
    // 2. for s = n_sequences − 1 … 0（上の式 / the formulas above）:
    //      dA = dh ⊙ (1 − h_s²);  dB, dWx, dWh に足す;  dx[:, s, :] = dA·Wxᵀ;  dh = dA·Whᵀ
    // 3. 更新 / the update: p.data[k] -= this.lr * this.grads[i].data[k]
    // 4. return { data: dx, shape: [batchSize, nSequences, nFeatures] };
    throw new Error("未実装です / not implemented yet");
  }
}
