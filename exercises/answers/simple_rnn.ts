/**
 * 模範解答: SimpleRNN（スクラッチ RNN の課題、問題 1〜3）。NumPy の課題と同じく float64 で計算する。
 * Model answer: the SimpleRNN exercise (problems 1–3), in float64 as its NumPy code computes.
 *
 *     a_t = x_t·Wx + h_{t−1}·Wh + B,  h_t = tanh(a_t)          x_t: (batch_size, n_features)
 *
 *     ∂h_t/∂a_t = ∂L/∂h_t ⊙ (1 − tanh²(a_t))                  (batch_size, n_nodes)
 *     ∂L/∂B += Σ_rows ∂h_t/∂a_t,  ∂L/∂Wx += x_tᵀ·∂h_t/∂a_t,  ∂L/∂Wh += h_{t−1}ᵀ·∂h_t/∂a_t
 *     ∂L/∂h_{t−1} = ∂h_t/∂a_t·Whᵀ,  ∂L/∂x_t = ∂h_t/∂a_t·Wxᵀ
 *     W' = W − α·∂L/∂W   for Wx, Wh, B
 *
 * @module
 */

import type { Array64 } from "../../mod.ts";

/** The exercise's `SimpleRNN`: `forward(x) → the last h`, `backward(dh) → dx` (and an update). */
export class SimpleRNN {
  /** パラメータ / parameters: `[Wx (n_features, n_nodes), Wh (n_nodes, n_nodes), B (n_nodes)]`. */
  params: Array64[];
  /** 勾配 / gradients `[dWx, dWh, dB]` (before the update). */
  grads: Array64[];
  /** 学習率 α / the learning rate. */
  lr: number;
  /** 逆伝播で使う値 / kept for backward: x and h_{−1} (h0), h_0, …, h_{S−1}. */
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
    const [Wx, Wh, B] = this.params;
    const [batchSize, nSequences, nFeatures] = x.shape;
    const nNodes = Wx.shape[1];
    let h = h0 ? h0.data.slice() : new Float64Array(batchSize * nNodes); // (batch_size, n_nodes)
    const hs = [h];
    for (let s = 0; s < nSequences; s++) { // sequence 回繰り返す
      const a = new Float64Array(batchSize * nNodes); // a_t   (batch_size, n_nodes)
      for (let n = 0; n < batchSize; n++) {
        for (let j = 0; j < nNodes; j++) {
          let v = B.data[j]; //                                                         + B
          for (let i = 0; i < nFeatures; i++) {
            v += x.data[(n * nSequences + s) * nFeatures + i] * Wx.data[i * nNodes + j]; // x_t·Wx
          }
          for (let k = 0; k < nNodes; k++) v += h[n * nNodes + k] * Wh.data[k * nNodes + j]; // h·Wh
          a[n * nNodes + j] = v;
        }
      }
      h = a.map(Math.tanh); // h_t = tanh(a_t)
      hs.push(h);
    }
    this.cache = { x, hs };
    return { data: h.slice(), shape: [batchSize, nNodes] };
  }

  /**
   * 逆伝播 / backward: dh `(batch_size, n_nodes)`, the gradient of the last h → dx
   * `(batch_size, n_sequences, n_features)`; sets `grads`, then updates `Wx`, `Wh`, `B`.
   */
  backward(dh: Array64): Array64 {
    const [Wx, Wh] = this.params;
    const [dWx, dWh, dB] = this.grads.map((g) => g.data.fill(0));
    const { x, hs } = this.cache!;
    const [batchSize, nSequences, nFeatures] = x.shape;
    const nNodes = Wx.shape[1];
    const dx = new Float64Array(batchSize * nSequences * nFeatures);
    let dhT = dh.data.slice(); // ∂L/∂h_t: 出力の誤差と次の時刻からの誤差の合計 (both ways in)
    for (let s = nSequences - 1; s >= 0; s--) {
      const h = hs[s + 1], hPrev = hs[s];
      const dA = dhT.map((d, k) => d * (1 - h[k] * h[k])); // ∂h_t/∂a_t = ∂L/∂h_t × (1 − tanh²(a_t))
      const dhPrev = new Float64Array(batchSize * nNodes);
      for (let n = 0; n < batchSize; n++) {
        for (let j = 0; j < nNodes; j++) {
          const d = dA[n * nNodes + j];
          dB[j] += d; //                                          ∂L/∂B += Σ_rows ∂h_t/∂a_t
          for (let i = 0; i < nFeatures; i++) {
            const xi = (n * nSequences + s) * nFeatures + i;
            dWx[i * nNodes + j] += x.data[xi] * d; //             ∂L/∂Wx += x_tᵀ·∂h_t/∂a_t
            dx[xi] += d * Wx.data[i * nNodes + j]; //             ∂L/∂x_t = ∂h_t/∂a_t·Wxᵀ
          }
          for (let k = 0; k < nNodes; k++) {
            dWh[k * nNodes + j] += hPrev[n * nNodes + k] * d; //  ∂L/∂Wh += h_{t−1}ᵀ·∂h_t/∂a_t
            dhPrev[n * nNodes + k] += d * Wh.data[k * nNodes + j]; // ∂L/∂h_{t−1} = ∂h_t/∂a_t·Whᵀ
          }
        }
      }
      dhT = dhPrev;
    }
    // 更新 (the update): W' = W − α·∂L/∂W
    this.params.forEach((p, i) =>
      p.data.forEach((v, k) => p.data[k] = v - this.lr * this.grads[i].data[k])
    );
    return { data: dx, shape: [batchSize, nSequences, nFeatures] };
  }
}
