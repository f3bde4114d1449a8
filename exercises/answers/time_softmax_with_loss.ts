/**
 * 模範解答: TimeSoftmaxWithLoss レイヤ（本の 5.5.x）。各時刻の Softmax with Loss の平均。
 * Model answer: the TimeSoftmaxWithLoss layer (the book's 5.5.x), the mean of the softmax
 * cross-entropy over every timestep; positions labelled `ignoreLabel` (−1) are left out.
 *
 *     ys = softmax(xs) over V                                           (N·T, V)
 *     loss = −Σ_{t_n ≠ ignore} log ys[n, t_n] / count                   count = #{t_n ≠ ignore}
 *     dxs = (ys − onehot(ts))·dout / count,  0 where t_n = ignore      (N, T, V)
 *
 * @module
 */

import { copy, type IntTensor, mul, reshape, softmax, type Tensor } from "../../mod.ts";

/** The book's `TimeSoftmaxWithLoss`: `forward(xs, ts) → loss`, `backward(dout) → dxs`. */
export class TimeSoftmaxWithLoss {
  /** パラメータはない / no parameters. */
  params: Tensor[] = [];
  /** 勾配もない / no gradients. */
  grads: Tensor[] = [];
  /** 無視するラベル / the label whose positions are left out. */
  ignoreLabel: number;
  /** 逆伝播で使う値 / kept for backward. */
  cache: { ts: IntTensor; ys: Tensor; count: number; shape: number[] } | null = null;

  /** ignoreLabel: 損失に数えないラベル (default −1). */
  constructor(ignoreLabel = -1) {
    this.ignoreLabel = ignoreLabel;
  }

  /** 順伝播 / forward: xs `(N, T, V)` scores, ts `(N, T)` labels → the mean loss. */
  forward(xs: Tensor, ts: IntTensor): number {
    const [N, T, V] = xs.shape;
    const ys = softmax(reshape(xs, [N * T, V])); // xs.reshape(N * T, V) → softmax  (N·T, V)
    const t = ts.data; //                           ts.reshape(N * T)               (N·T)
    let loss = 0, count = 0;
    for (let n = 0; n < N * T; n++) {
      if (t[n] === this.ignoreLabel) continue; // mask = (ts != ignore_label)
      loss -= Math.log(ys.data[n * V + t[n]]); //  ls = np.log(ys[np.arange(N * T), ts])
      count++; //                                  mask.sum()
    }
    this.cache = { ts, ys, count, shape: [N, T, V] };
    return loss / count; // 数えた位置の平均 (the mean over the counted positions)
  }

  /** 逆伝播 / backward: dout (default 1) → dxs `(N, T, V)`. */
  backward(dout = 1): Tensor {
    const { ts, ys, count, shape } = this.cache!;
    const V = shape[2];
    const dx = copy(ys); // dx = ys.copy()   (N·T, V)
    for (let n = 0; n < ts.size; n++) {
      const t = ts.data[n];
      if (t === this.ignoreLabel) dx.data.fill(0, n * V, (n + 1) * V); // dx *= mask[:, None]
      else dx.data[n * V + t] -= 1; // dx[np.arange(N * T), ts] -= 1
    }
    return reshape(mul(dx, dout / count), shape); // dx *= dout; dx /= mask.sum()   (N, T, V)
  }
}
