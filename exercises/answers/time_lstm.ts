/**
 * 模範解答: TimeLSTM レイヤ（本の 6.3）。LSTM レイヤを T 個つなげ、h と c を時間方向に渡す。
 * Model answer: the TimeLSTM layer (the book's 6.3), T LSTM cells in a row carrying h and c.
 *
 *     forward:  h_t, c_t = LSTM(xs[:, t, :], h_{t−1}, c_{t−1}),  hs[:, t, :] = h_t
 *     backward: dx_t, dh, dc = LSTM_t.backward(dhs[:, t, :] + dh, dc)       t = T − 1 … 0
 *
 * @module
 */

import { add, LSTM, stack, type Tensor, timestep, zeros, zerosLike } from "../../mod.ts";

/** The book's `TimeLSTM`: `forward(xs) → hs`, `backward(dhs) → dxs`; `stateful` carries h, c. */
export class TimeLSTM {
  /** パラメータ / parameters: `[Wx (D, 4H), Wh (H, 4H), b (4H)]`, gates f, g, i, o. */
  params: Tensor[];
  /** 勾配 / gradients: `[dWx, dWh, db]`. */
  grads: Tensor[];
  /** 各時刻の LSTM レイヤ / the cell of every timestep. */
  layers: LSTM[] = [];
  /** 最後の隠れ状態 / the last hidden state `(N, H)`. */
  h: Tensor | null = null;
  /** 最後の記憶セル / the last cell state `(N, H)`. */
  c: Tensor | null = null;
  /** 最初の隠れ状態への勾配 / gradient w.r.t. the first hidden state `(N, H)`. */
  dh: Tensor | null = null;
  /** true: h と c を次のミニバッチに渡す / carry `h` and `c` into the next forward. */
  stateful: boolean;

  /** Wx: `(D, 4H)`, Wh: `(H, 4H)`, b: `(4H)`. */
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, stateful = false) {
    this.params = [Wx, Wh, b];
    this.grads = [zerosLike(Wx), zerosLike(Wh), zerosLike(b)];
    this.stateful = stateful;
  }

  /** 順伝播 / forward: xs `(N, T, D)` → hs `(N, T, H)`. */
  forward(xs: Tensor): Tensor {
    const [N, T] = xs.shape;
    const H = this.params[1].shape[0]; // Wh: (H, 4H)
    this.layers = [];
    const hs: Tensor[] = [];
    if (!this.stateful || this.h === null) this.h = zeros([N, H]);
    if (!this.stateful || this.c === null) this.c = zeros([N, H]);
    for (let t = 0; t < T; t++) {
      const layer = new LSTM(this.params[0], this.params[1], this.params[2]);
      [this.h, this.c] = layer.forward(timestep(xs, t), this.h, this.c!);
      hs.push(this.h);
      this.layers.push(layer);
    }
    return stack(hs, 1); // (N, T, H)
  }

  /** 逆伝播 / backward: dhs `(N, T, H)` → dxs `(N, T, D)`; sets `grads` and `dh`. */
  backward(dhs: Tensor): Tensor {
    const [N, T, H] = dhs.shape;
    const dxs: Tensor[] = new Array(T);
    let dh: Tensor | number = 0; // dh の初期値 (the book's dh = 0)
    let dc = zeros([N, H]); //      dc の初期値 (the book's dc = 0, as an (N, H) array)
    const grads: (Tensor | number)[] = [0, 0, 0];
    for (let t = T - 1; t >= 0; t--) {
      const layer = this.layers[t];
      // dh は出力からと次の時刻からの和、dc は次の時刻から (dh: both ways in; dc: from t + 1)
      const [dx, dhPrev, dcPrev] = layer.backward(add(timestep(dhs, t), dh), dc);
      dh = dhPrev, dc = dcPrev;
      dxs[t] = dx;
      layer.grads.forEach((grad, i) => grads[i] = add(grads[i], grad));
    }
    grads.forEach((grad, i) => this.grads[i].copyFrom(grad as Tensor));
    this.dh = dh as Tensor;
    return stack(dxs, 1); // (N, T, D)
  }
}
