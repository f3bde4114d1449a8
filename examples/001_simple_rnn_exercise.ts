/**
 * Seed 001: the SimpleRNN exercise — forward propagation of a SimpleRNN written with the ops,
 * and the small-array experiment, checked against saiki's `SimpleRNN` (float64).
 * 001: SimpleRNN のフォワードプロパゲーションと、小さな配列での実験。
 *
 *     deno run examples/001_simple_rnn_exercise.ts
 *
 * @module
 */

import {
  abs,
  add,
  array64,
  div,
  matmul,
  max,
  reshape,
  SimpleRNN as SaikiSimpleRNN,
  sub,
  tanh,
  type Tensor,
  tensor,
  zeros,
} from "../mod.ts";

// 【問題1】SimpleRNN のフォワードプロパゲーション実装
// a_t = x_t·Wx + h_{t−1}·Wh + B,  h_t = tanh(a_t)
class SimpleRNN {
  Wx = div(tensor([[1, 3, 5, 7], [3, 5, 7, 8]]), 100); // (n_features, n_nodes)
  Wh = div(tensor([[1, 3, 5, 7], [2, 4, 6, 8], [3, 5, 7, 8], [4, 6, 8, 10]]), 100); // (n_nodes, n_nodes)
  B = tensor([1, 1, 1, 1]); // (n_nodes,)

  /** X: (batch_size, n_sequences, n_features) → the last h: (batch_size, n_nodes) */
  forward(X: Tensor): Tensor {
    const [batchSize, nSequences, nFeatures] = X.shape; // 1, 3, 2
    const nNodes = this.Wx.shape[1]; // 4
    let h = zeros([batchSize, nNodes]); // (batch_size, n_nodes)
    for (let i = 0; i < batchSize; i++) { // batch サイズごとに
      for (let s = 0; s < nSequences; s++) { // sequence 回繰り返す
        const xs = reshape(X.row(i).row(s), [1, nFeatures]); // X[i, s].reshape(1, n_features)
        const AT = add(add(matmul(xs, this.Wx), matmul(h, this.Wh)), this.B); // forward
        h = tanh(AT); // activation 層
      }
    }
    return h;
  }
}

// 【問題2】小さな配列でのフォワードプロパゲーションの実験
const x = div(tensor([[[1, 2], [2, 3], [3, 4]]]), 100); // (batch_size, n_sequences, n_features)
console.log(x.shape); // [1, 3, 2]

const test = new SimpleRNN();
const h = test.forward(x);
console.log(h); // float32: [[0.79494226, 0.8183901 , 0.8393965 , 0.85584176]]

// saiki's SimpleRNN computes in float64, as the exercise's NumPy does: same weights, same x
const ref = new SaikiSimpleRNN(2, 4, {
  Wx: test.Wx.data,
  Wh: test.Wh.data,
  B: test.B.data,
}).forward(array64([1, 2, 2, 3, 3, 4].map((v) => v / 100), [1, 3, 2]));
console.log(`saiki SimpleRNN (float64): [${Array.from(ref.data, (v) => v.toFixed(8)).join(", ")}]`);
console.log("max |h - saiki h| =", max(abs(sub(h, tensor(ref.data, ref.shape)))));
