/**
 * Seed 003: the LSTM cell exercise (the book's 6.3), checked against saiki's `LSTM`.
 * 003: LSTM レイヤを実装し、saiki の LSTM と比べる。
 *
 *     deno run examples/003_lstm_cell.ts
 *
 * @module
 */

import {
  abs,
  add,
  colBlock,
  concat,
  div,
  LSTM as SaikiLSTM,
  matmul,
  max,
  mul,
  type Operand,
  randn,
  sigmoid,
  square,
  sub,
  sum,
  tanh,
  type Tensor,
  zeros,
  zerosLike,
} from "../mod.ts";

/** max |a − b|: how far two results are apart. 二つの結果の差の最大値。 */
const maxDiff = (a: Operand, b: Operand) => max(abs(sub(a, b)));
/** The same relative to max |b| (gradients, summed in another order: ≈ 1e-7). */
const relDiff = (a: Operand, b: Operand) => maxDiff(a, b) / max(abs(b));

// ## [演習] LSTM レイヤのクラス
class LSTM {
  params: Tensor[];
  grads: Tensor[];
  cache: Tensor[] = [];

  /** Wx, Wh, b: 4 つ分の重み・バイアスをまとめたもの (f, g, i, o) */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor) {
    this.params = [Wx, Wh, b];
    this.grads = [zerosLike(Wx), zerosLike(Wh), zerosLike(b)];
  }

  /** 順伝播計算 */
  forward(x: Tensor, hPrev: Tensor, cPrev: Tensor): [Tensor, Tensor] {
    const [Wx, Wh, b] = this.params;
    const H = hPrev.shape[1];
    const A = add(add(matmul(x, Wx), matmul(hPrev, Wh)), b);
    // A[:, :H], A[:, H:2H], A[:, 2H:3H], A[:, 3H:] (views)
    const f = sigmoid(colBlock(A, 0, H));
    const g = tanh(colBlock(A, H, H));
    const i = sigmoid(colBlock(A, 2 * H, H));
    const o = sigmoid(colBlock(A, 3 * H, H));
    const cNext = add(mul(f, cPrev), mul(g, i));
    const tanhCNext = tanh(cNext);
    const hNext = mul(o, tanhCNext);
    this.cache = [x, hPrev, cPrev, i, f, g, o, tanhCNext];
    return [hNext, cNext];
  }

  /** 逆伝播計算 */
  backward(dhNext: Tensor, dcNext: Tensor): [Tensor, Tensor, Tensor] {
    const [Wx, Wh] = this.params;
    const [x, hPrev, cPrev, i, f, g, o, tanhCNext] = this.cache;
    const A2 = mul(mul(dhNext, o), sub(1, square(tanhCNext)));
    const ds = add(dcNext, A2);
    const dcPrev = mul(ds, f);
    let di = mul(ds, g);
    let df = mul(ds, cPrev);
    let dO = mul(dhNext, tanhCNext);
    let dg = mul(ds, i);
    di = mul(di, mul(i, sub(1, i)));
    df = mul(df, mul(f, sub(1, f)));
    dO = mul(dO, mul(o, sub(1, o)));
    dg = mul(dg, sub(1, square(g)));
    const dA = concat([df, dg, di, dO], 1); // np.hstack
    const dWh = matmul(hPrev, dA, { transA: true }); // h_prev.T @ dA
    const dWx = matmul(x, dA, { transA: true });
    const db = sum(dA, 0);
    // 同じメモリ位置に代入 (self.grads[0][:] = dWx)
    [dWx, dWh, db].forEach((grad, k) => this.grads[k].copyFrom(grad));
    const dx = matmul(dA, Wx, { transB: true }); // dA @ Wx.T
    const dhPrev = matmul(dA, Wh, { transB: true });
    return [dx, dhPrev, dcPrev];
  }
}

const D = 10; // 入力データの次元
const H = 5; // 中間層のノード数
const Wx = div(randn([D, 4 * H]), Math.sqrt(D));
const Wh = div(randn([H, 4 * H]), Math.sqrt(H));
const b = zeros([4 * H]);

// オブジェクトの生成
const lstm = new LSTM(Wx, Wh, b);

// 順伝播計算
const N = 4; // バッチサイズ
const x = randn([N, D]);
const hPrev = randn([N, H]);
const cPrev = zeros([N, H]);
const hNext = lstm.forward(x, hPrev, cPrev); // [h_next, c_next]
console.log("h_next=", hNext);

// 逆伝播計算
const dhNext = randn([N, H]);
const dcNext = randn([N, H]);
const [dx, dhPrev, dcPrev] = lstm.backward(dhNext, dcNext);
console.log("dx=", dx);
console.log("dh_prev=", dhPrev);

// saiki's LSTM cell on the same values: saiki の LSTM と比べる
const ref = new SaikiLSTM(Wx, Wh, b);
const [h, c] = ref.forward(x, hPrev, cPrev);
console.log("max |h_next - saiki h_next| =", maxDiff(hNext[0], h));
console.log("max |c_next - saiki c_next| =", maxDiff(hNext[1], c));
const [rdx, rdhPrev, rdcPrev] = ref.backward(dhNext, dcNext);
console.log("max |dx - saiki dx| =", maxDiff(dx, rdx));
console.log("max |dh_prev - saiki dh_prev| =", maxDiff(dhPrev, rdhPrev));
console.log("max |dc_prev - saiki dc_prev| =", maxDiff(dcPrev, rdcPrev));
["dWx", "dWh", "db"].forEach((name, k) =>
  console.log(
    `max |${name} - saiki ${name}| / max |saiki ${name}| =`,
    relDiff(lstm.grads[k], ref.grads[k]),
  )
);
