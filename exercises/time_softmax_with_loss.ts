/**
 * 【演習】TimeSoftmaxWithLoss レイヤ（本の 5.4.2）— forward と backward を完成させましょう。
 * Exercise: the TimeSoftmaxWithLoss layer (the book's 5.4.2) — complete forward and backward.
 *
 *     deno task exercise time_softmax_with_loss     # 確かめる / check this file
 *
 * 各時刻の Softmax with Loss の平均です。ラベルが ignoreLabel（−1）の位置は数えません。
 * The mean softmax cross-entropy over every timestep; positions labelled `ignoreLabel` (−1)
 * are not counted:
 *
 *     ys = softmax(xs) over V                                           (N·T, V)
 *     loss = −Σ_{t_n ≠ −1} log ys[n, t_n] / count                       count = #{t_n ≠ −1}
 *     dxs = (ys − onehot(ts))·dout / count,  0 where t_n = −1           (N, T, V)
 *
 * `xs.reshape(N * T, V)` is `reshape(xs, [N * T, V])`; `softmax` works on the last axis;
 * `ys.copy()` is `copy(ys)`. The labels `ts` are an `IntTensor`: `ts.data[n]` is the n-th
 * label of the `N·T` in row-major order; `ys.data[n * V + v]` is `ys[n, v]`.
 *
 * @module
 */

// The arguments and the imports are yours to use: until then, lint would call them unused.
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax

import { copy, type IntTensor, mul, reshape, softmax, type Tensor } from "../mod.ts";

/** The book's `TimeSoftmaxWithLoss`: `forward(xs, ts) → loss`, `backward(dout) → dxs`. */
export class TimeSoftmaxWithLoss {
  /** パラメータはない / no parameters. */
  params: Tensor[] = [];
  /** 勾配もない / no gradients. */
  grads: Tensor[] = [];
  /** 無視するラベル / the label whose positions are left out. */
  ignoreLabel: number;
  /** 逆伝播で使う値を入れておく / keep what backward needs here. */
  cache: { ts: IntTensor; ys: Tensor; count: number; shape: number[] } | null = null;

  /** ignoreLabel: 損失に数えないラベル (default −1). */
  constructor(ignoreLabel = -1) {
    this.ignoreLabel = ignoreLabel;
  }

  /** 順伝播 / forward: xs `(N, T, V)` scores, ts `(N, T)` labels → the mean loss. */
  forward(xs: Tensor, ts: IntTensor): number {
    // const [N, T, V] = xs.shape;
    // 1. ys = softmax(reshape(xs, [N * T, V]))                 (N·T, V)
    // 2. ラベルが ignoreLabel でない位置 n について −log ys[n, t_n] を足し、数を数える
    //    (for every position whose label is not ignoreLabel: add −log ys[n, t_n], count it)
    // 3. this.cache = { ts, ys, count, shape: [N, T, V] };  return loss / count;
    throw new Error("未実装です / not implemented yet");
  }

  /** 逆伝播 / backward: dout (default 1) → dxs `(N, T, V)`. */
  backward(dout = 1): Tensor {
    // const { ts, ys, count, shape } = this.cache!;
    // 1. dx = copy(ys)                                          (N·T, V)
    // 2. 各位置 n: ラベルが ignoreLabel なら行を 0 に、そうでなければ dx[n, t_n] -= 1
    //    (each row: all zeros where the label is ignored, else subtract 1 at the label)
    // 3. return reshape(mul(dx, dout / count), shape);          (N, T, V)
    throw new Error("未実装です / not implemented yet");
  }
}
