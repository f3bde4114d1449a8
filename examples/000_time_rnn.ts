/**
 * Seed 000: the TimeRNN exercise — a TimeRNN layer built from saiki's RNN cell, checked
 * against saiki's own `TimeRNN`.
 * 000: TimeRNN レイヤを RNN セルから組み立て、saiki の TimeRNN と比べる。
 *
 *     deno run examples/000_time_rnn.ts
 *
 * @module
 */

import {
  abs,
  add,
  max,
  type Operand,
  randn,
  RNN,
  stack,
  sub,
  type Tensor,
  TimeRNN as SaikiTimeRNN,
  timestep,
  zeros,
  zerosLike,
} from "../mod.ts";

/** max |a − b|: how far two results are apart. 二つの結果の差の最大値。 */
const maxDiff = (a: Operand, b: Operand) => max(abs(sub(a, b)));
/** The same relative to max |b|, for gradients summed over T steps in float32 (≈ 1e-7). */
const relDiff = (a: Operand, b: Operand) => maxDiff(a, b) / max(abs(b));

// ヒント: ...を変数前につけると、各引数に展開される (Python's *params is JS's ...params)
const test = (a: number, b: number, c: number) => console.log(`a=${a} b=${b} c=${c}`);
const params: [number, number, number] = [1, 2, 3];
test(...params);

// ### [演習] TimeRNN レイヤのクラス
class TimeRNN {
  params: [Tensor, Tensor, Tensor]; // パラメータのリスト
  grads: Tensor[]; // 勾配のリスト
  layers: RNN[] = [];
  h: Tensor | null = null;
  dh: Tensor | number | null = null;

  /** stateful: 中間層の出力を次のミニバッチに渡す場合は true */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, public stateful = false) {
    this.params = [Wx, Wh, b];
    this.grads = [zerosLike(Wx), zerosLike(Wh), zerosLike(b)];
  }

  /** xs: (バッチサイズ N, 時間数 T, 前層のノード数 D) → hs: (N, T, H) */
  forward(xs: Tensor): Tensor {
    const [N, T] = xs.shape;
    const H = this.params[0].shape[1];
    this.layers = [];
    const hs: Tensor[] = []; // hs[:, t, :] = h, stacked along axis 1 at the end
    // stateful でない場合、もしくは h に何も値が入っていない場合は初期化する
    if (!this.stateful || this.h === null) this.h = zeros([N, H]);
    for (let t = 0; t < T; t++) { // 時間方向に計算を進める
      const layer = new RNN(...this.params); // RNN レイヤを定義する
      this.h = layer.forward(timestep(xs, t), this.h); // 時刻 t のデータを入力する
      hs.push(this.h);
      this.layers.push(layer);
    }
    return stack(hs, 1);
  }

  /** dhs: 各時刻の出力層からの勾配 (N, T, H) → dxs: (N, T, D) */
  backward(dhs: Tensor): Tensor {
    const T = dhs.shape[1];
    const dxs: Tensor[] = new Array(T); // dxs[:, t, :] = dx
    let dh: Tensor | number = 0; // dh の初期値
    const grads: (Tensor | number)[] = [0, 0, 0]; // Wx, Wh, b の勾配
    for (let t = T - 1; t >= 0; t--) { // 時間方向と逆向きに計算を進める
      const layer = this.layers[t];
      // 勾配は 2 方向から来るので、2 つの値を足す
      let dx: Tensor;
      [dx, dh] = layer.backward(add(timestep(dhs, t), dh));
      dxs[t] = dx;
      layer.grads.forEach((grad, i) => grads[i] = add(grads[i], grad));
    }
    // 同じメモリ位置に代入 (self.grads[i][:] = grad)
    grads.forEach((grad, i) => this.grads[i].copyFrom(grad as Tensor));
    this.dh = dh; // 最後の中間層の dh を保持しておく
    return stack(dxs, 1);
  }
}

const D = 1, H = 5; // 前層のノード数, 中間層のノード数
const Wx = randn([D, H]);
const Wh = randn([H, H]);
const b = zeros([H]);

// オブジェクトの生成 (Python's id(): the same tensor object is kept in grads[0])
const timeRnn = new TimeRNN(Wx, Wh, b);
const grads0 = timeRnn.grads[0];
console.log("grads[0] before:", grads0);

// 順伝播計算
const N = 4, T = 5; // バッチサイズ, 時間数
const xs = randn([N, T, D]);
const hs = timeRnn.forward(xs);
console.log("hs=", hs);

// 逆伝播計算
const dhs = randn([N, T, H]);
const dxs = timeRnn.backward(dhs);
console.log("dxs=", dxs);
console.log("grads[0] is the same tensor after backward:", timeRnn.grads[0] === grads0);

// saiki's TimeRNN on the same input: saiki の TimeRNN と比べる
const ref = new SaikiTimeRNN(Wx, Wh, b);
console.log("max |hs - saiki hs| =", maxDiff(hs, ref.forward(xs)));
console.log("max |dxs - saiki dxs| =", maxDiff(dxs, ref.backward(dhs)));
["dWx", "dWh", "db"].forEach((name, i) =>
  console.log(
    `max |${name} - saiki ${name}| / max |saiki ${name}| =`,
    relDiff(timeRnn.grads[i], ref.grads[i]),
  )
);
console.log("max |dh - saiki dh| =", maxDiff(timeRnn.dh as Tensor, ref.dh!));
