/**
 * 模範解答: TimeRNN レイヤ（本の 5.3.2）。RNN レイヤを T 個つなげる。
 * Model answer: the TimeRNN layer (the book's 5.3.2), T RNN cells in a row.
 *
 *     forward:  h_t = RNN(xs[:, t, :], h_{t−1}),  hs[:, t, :] = h_t          t = 0 … T − 1
 *     backward: dx_t, dh = RNN_t.backward(dhs[:, t, :] + dh)                  t = T − 1 … 0
 *               dWx, dWh, db = the sums of every cell's gradients
 *
 * @module
 */

import { add, RNN, stack, type Tensor, timestep, zeros, zerosLike } from "../../mod.ts";

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

  /** Wx: `(D, H)`, Wh: `(H, H)`, b: `(H)`. */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, stateful = false) {
    this.params = [Wx, Wh, b];
    this.grads = [zerosLike(Wx), zerosLike(Wh), zerosLike(b)];
    this.stateful = stateful;
  }

  /** 順伝播 / forward: xs `(N, T, D)` → hs `(N, T, H)`. */
  forward(xs: Tensor): Tensor {
    const [Wx] = this.params;
    const [N, T] = xs.shape; // バッチサイズ N, 時間数 T
    const H = Wx.shape[1]; //   中間層のノード数 H
    this.layers = [];
    const hs: Tensor[] = []; // hs[:, t, :] = h、最後に axis 1 で積み重ねる (stacked at the end)
    // stateful でない場合、もしくは h に何も値が入っていない場合は初期化する
    if (!this.stateful || this.h === null) this.h = zeros([N, H]);
    for (let t = 0; t < T; t++) { // 時間方向に計算を進める
      const layer = new RNN(this.params[0], this.params[1], this.params[2]);
      this.h = layer.forward(timestep(xs, t), this.h); // xs[:, t, :]
      hs.push(this.h);
      this.layers.push(layer);
    }
    return stack(hs, 1); // (N, T, H)
  }

  /** 逆伝播 / backward: dhs `(N, T, H)` → dxs `(N, T, D)`; sets `grads` and `dh`. */
  backward(dhs: Tensor): Tensor {
    const T = dhs.shape[1];
    const dxs: Tensor[] = new Array(T); // dxs[:, t, :] = dx
    let dh: Tensor | number = 0; // dh の初期値
    const grads: (Tensor | number)[] = [0, 0, 0]; // Wx, Wh, b の勾配
    for (let t = T - 1; t >= 0; t--) { // 時間方向と逆向きに計算を進める
      const layer = this.layers[t];
      // 勾配は 2 方向から来るので、2 つの値を足す (the output's and the next step's)
      const [dx, dhPrev] = layer.backward(add(timestep(dhs, t), dh));
      dh = dhPrev;
      dxs[t] = dx;
      layer.grads.forEach((grad, i) => grads[i] = add(grads[i], grad));
    }
    // 同じメモリ位置に代入 (self.grads[i][...] = grad)
    grads.forEach((grad, i) => this.grads[i].copyFrom(grad as Tensor));
    this.dh = dh as Tensor; // 最初の中間層への dh を保持しておく
    return stack(dxs, 1); // (N, T, D)
  }
}
