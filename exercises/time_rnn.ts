/**
 * 【演習】TimeRNN レイヤ（本の 5.3.2）— 以下の TimeRNN レイヤのクラスを完成させましょう。
 * Exercise: the TimeRNN layer (the book's 5.3.2) — complete the class below.
 *
 *     deno task exercise time_rnn     # 確かめる / check this file
 *
 * TimeRNN レイヤは、RNN レイヤを時間方向に T 個つなげたレイヤです。
 * A TimeRNN layer is T RNN cells joined along time:
 *
 *     forward:  h_t = RNN(xs[:, t, :], h_{t−1}),  hs[:, t, :] = h_t          t = 0 … T − 1
 *     backward: dx_t, dh = RNN_t.backward(dhs[:, t, :] + dh)                  t = T − 1 … 0
 *               dWx, dWh, db = the sums of every cell's gradients
 *
 * 使う RNN レイヤは saiki のもの（`../mod.ts` の `RNN`）。自分の RNN を使うなら
 * `import { RNN } from "./rnn.ts";` に替えてもかまいません。
 * The cell is saiki's `RNN`; import your own from `./rnn.ts` instead if you like.
 * `xs[:, t, :]` is `timestep(xs, t)`; `np.stack(list, axis=1)` is `stack(list, 1)`.
 *
 * @module
 */

// The arguments and the imports are yours to use: until then, lint would call them unused.
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax

import { add, RNN, stack, type Tensor, timestep, zeros, zerosLike } from "../mod.ts";

/** The book's `TimeRNN`: `forward(xs) → hs`, `backward(dhs) → dxs`, `stateful` carries `h`. */
export class TimeRNN {
  /** パラメータのリスト / parameters: `[Wx (D, H), Wh (H, H), b (H)]`. */
  params: Tensor[];
  /** 勾配のリスト / gradients: `[dWx, dWh, db]`. */
  grads: Tensor[];
  /** 各時刻の RNN レイヤ / the cell of every timestep. */
  layers: RNN[] = [];
  /** 最後の隠れ状態 / the last hidden state `(N, H)`. */
  h: Tensor | null = null;
  /** 最初の隠れ状態への勾配 / gradient w.r.t. the first hidden state `(N, H)`. */
  dh: Tensor | null = null;
  /** true: 中間層の出力を次のミニバッチに渡す / carry `h` into the next forward. */
  stateful: boolean;

  /**
   * Wx: 入力 x にかかる重み `(D, H)`, Wh: 1 時刻前の h にかかる重み `(H, H)`, b: バイアス `(H)`,
   * stateful: 中間層の出力を次のミニバッチに渡す場合は true.
   */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, stateful = false) {
    this.params = [Wx, Wh, b];
    this.grads = [zerosLike(Wx), zerosLike(Wh), zerosLike(b)];
    this.stateful = stateful;
  }

  /** 順伝播 / forward: xs `(N, T, D)`（バッチサイズ、時間数、前層のノード数）→ hs `(N, T, H)`. */
  forward(xs: Tensor): Tensor {
    // const [N, T] = xs.shape;            バッチサイズ N, 時間数 T
    // const H = this.params[0].shape[1];  中間層のノード数 H
    // 1. this.layers = [];  hs を入れるリスト / a list for the h of every step
    // 2. stateful でない場合、もしくは h に何も値が入っていない場合は this.h = zeros([N, H])
    //    (if not stateful, or h is null, start from zeros; otherwise keep the last h)
    // 3. for t = 0 … T − 1:
    //      const layer = new RNN(this.params[0], this.params[1], this.params[2]);
    //      this.h = layer.forward(timestep(xs, t), this.h);     時刻 t のデータを入力
    //      h をリストに、layer を this.layers に追加 / keep h and the layer
    // 4. return stack(list, 1);           (N, T, H)
    throw new Error("未実装です / not implemented yet");
  }

  /** 逆伝播 / backward: dhs `(N, T, H)` → dxs `(N, T, D)`; sets `grads` and `dh`. */
  backward(dhs: Tensor): Tensor {
    // const T = dhs.shape[1];
    // 1. dxs を入れるリスト、dh = 0（dh の初期値）、grads = [0, 0, 0]（Wx, Wh, b の勾配）
    // 2. for t = T − 1 … 0（時間方向と逆向き / backwards in time）:
    //      RNN レイヤに入力される勾配は 2 方向から来るので、2 つの値を足す
    //      (the gradient comes in two ways: add them)
    //      const [dx, dhPrev] = this.layers[t].backward(add(timestep(dhs, t), dh));
    //      dxs[t] = dx; dh = dhPrev;
    //      Wx, Wh, b の勾配をそれぞれ足し合わせる / sum the cell's gradients into grads
    // 3. this.grads[i].copyFrom(grads[i])  同じメモリ位置に代入 (self.grads[i][...] = grad)
    // 4. this.dh = dh  最初の隠れ状態への勾配を保持 / keep the first state's gradient
    // 5. return stack(dxs, 1);            (N, T, D)
    throw new Error("未実装です / not implemented yet");
  }
}
