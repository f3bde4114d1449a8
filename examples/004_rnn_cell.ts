/**
 * Seed 004: the RNN cell step by step, then an RNN layer over T steps (the book's 5.3).
 * 004: RNN セルを一歩ずつ作り、T 時刻分の RNN レイヤにする。
 *
 *     deno run examples/004_rnn_cell.ts
 *
 * @module
 */

import {
  abs,
  add,
  div,
  matmul,
  max,
  type Operand,
  randn,
  RNN,
  stack,
  sub,
  tanh,
  type Tensor,
  TimeRNN,
  timestep,
  zeros,
} from "../mod.ts";

/** max |a − b|: how far two results are apart. 二つの結果の差の最大値。 */
const maxDiff = (a: Operand, b: Operand) => max(abs(sub(a, b)));

// ### Step1. RNN ユニットを作成 (the cell)
const N = 32, T = 16, D = 100, H = 100;

// バッチサイズ 32, タイムステップ 16, 次元数 100 のテンソルを生成
let xs = randn([N, T, D]);

// 1 時刻分を取り出す (xs[:, 0, :], a view)
const x = timestep(xs, 0);
console.log([x.rows, x.cols]); // x.shape → [32, 100]

// 隠れ状態ベクトルの初期値は 0 とする
const hPrev = zeros([N, H]);

// パラメータ Wh, Wx, b を生成. Scaled by 1/√D as in the book's models: with the notebook's
// std 1, the 16 steps below are chaotic and float32 roundings grow to 1e-2, whatever code
// runs them. b is (H) as in the book (the notebook drew it (N, H)).
const Wh = div(randn([H, H]), Math.sqrt(H));
const Wx = div(randn([D, H]), Math.sqrt(D));
const b = randn([H]);

// tanh(h_{t-1}·Wh + x_t·Wx + b) = h_t, with x·Wx + b added first, the order saiki's TimeRNN
// adds in (float32 sums depend on the order), so the results agree to the last bit
const u = add(matmul(hPrev, Wh), add(matmul(x, Wx), b));
console.log(u.shape); // [32, 100]
const hNext = tanh(u);
console.log(hNext.shape); // [32, 100]
console.log(hNext);

class MyRNN {
  params: Tensor[];
  cache?: [Operand, Tensor, Tensor];
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor) { // 2 つの重みと 1 つのバイアス
    this.params = [Wx, Wh, b];
  }

  forward(x: Operand, hPrev: Tensor): Tensor {
    const [Wx, Wh, b] = this.params;
    const t = add(matmul(hPrev, Wh), add(matmul(x, Wx), b)); // 線形変換
    const hNext = tanh(t); // 非線形変換
    this.cache = [x, hPrev, hNext];
    return hNext;
  }
}

let rnnUnit = new MyRNN(Wx, Wh, b);
const res = rnnUnit.forward(x, hPrev);
console.log("(res == h_next).all():", maxDiff(res, hNext) === 0);
// saiki's own cell takes the view as it is. saiki の RNN セルと比べる
const cell = new RNN(Wx, Wh, b);
console.log("max |MyRNN - saiki RNN| =", maxDiff(res, cell.forward(x, hPrev)));

// ### Step2. RNN レイヤーを作成 (the layer)
xs = randn([N, T, D]);
rnnUnit = new MyRNN(Wx, Wh, b);
const h0 = zeros([N, H]);
const h1 = rnnUnit.forward(timestep(xs, 0), h0);
const h2 = rnnUnit.forward(timestep(xs, 1), h1);
const h3 = rnnUnit.forward(timestep(xs, 2), h2);
console.log(h3.shape);

let h = zeros([N, H]); // 隠れ状態ベクトルの初期値
const hsList: Tensor[] = []; // hs[:, t, :] = h, stacked on axis 1 below
for (let t = 0; t < T; t++) {
  h = rnnUnit.forward(timestep(xs, t), h); // RNN セルで隠れ状態ベクトルを更新
  hsList.push(h);
}
let hs = stack(hsList, 1);
console.log(hs.shape); // [32, 16, 100]

class RNNLayer {
  params: Tensor[];
  rnn: MyRNN;
  h: Tensor | null = null;
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, public stateful = false) {
    this.params = [Wx, Wh, b];
    this.rnn = new MyRNN(Wx, Wh, b);
  }

  forward(xs: Tensor): Tensor {
    const [N, T] = xs.shape;
    const H = this.params[0].shape[1];
    if (!this.stateful || this.h === null) this.h = zeros([N, H]);
    const hs: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      this.h = this.rnn.forward(timestep(xs, t), this.h);
      hs.push(this.h);
    }
    return stack(hs, 1);
  }
}

const rnnLayer = new RNNLayer(Wx, Wh, b, false);
hs = rnnLayer.forward(xs);
console.log(hs.shape); // [32, 16, 100]
console.log("max |RNNLayer - saiki TimeRNN| =", maxDiff(hs, new TimeRNN(Wx, Wh, b).forward(xs)));
