/**
 * 【演習】TimeLSTM レイヤ（本の 6.3）— 以下の TimeLSTM レイヤのクラスを完成させましょう。
 * Exercise: the TimeLSTM layer (the book's 6.3) — complete the class below.
 *
 *     deno task exercise time_lstm    # 確かめる / check this file
 *
 * LSTM レイヤを T 個つなげ、隠れ状態 h と記憶セル c を次の時刻に渡します。
 * T LSTM cells in a row, the hidden state h and the cell state c carried from step to step:
 *
 *     forward:  h_t, c_t = LSTM(xs[:, t, :], h_{t−1}, c_{t−1}),  hs[:, t, :] = h_t
 *     backward: dx_t, dh, dc = LSTM_t.backward(dhs[:, t, :] + dh, dc)       t = T − 1 … 0
 *
 * 使う LSTM レイヤは saiki のもの（自分の `./lstm.ts` に替えてもよい）。
 * The cell is saiki's `LSTM` (or import yours from `./lstm.ts`). Its `backward` takes `dc` as
 * an `(N, H)` array: start it at `zeros([N, H])` (the book's `dc = 0`).
 *
 * @module
 */

// The arguments and the imports are yours to use: until then, lint would call them unused.
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax

import { add, LSTM, stack, type Tensor, timestep, zeros, zerosLike } from "../mod.ts";

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
    // const [N, T] = xs.shape;
    // const H = this.params[1].shape[0];   Wh: (H, 4H)
    // 1. stateful でない、または h（c）が null なら zeros([N, H]) から始める
    //    (not stateful, or no state yet: h and c start from zeros)
    // 2. for t = 0 … T − 1:
    //      const layer = new LSTM(this.params[0], this.params[1], this.params[2]);
    //      [this.h, this.c] = layer.forward(timestep(xs, t), this.h, this.c);
    // 3. return stack(list of h, 1);         (N, T, H)
    throw new Error("未実装です / not implemented yet");
  }

  /** 逆伝播 / backward: dhs `(N, T, H)` → dxs `(N, T, D)`; sets `grads` and `dh`. */
  backward(dhs: Tensor): Tensor {
    // const [N, T, H] = dhs.shape;
    // 1. dh = 0, dc = zeros([N, H]), grads = [0, 0, 0]
    // 2. for t = T − 1 … 0:
    //      const [dx, dhPrev, dcPrev] = this.layers[t].backward(add(timestep(dhs, t), dh), dc);
    //      dh と dc を次（ひとつ前の時刻）に渡し、勾配を足し合わせる
    //      (carry dh and dc to the step before; sum the gradients)
    // 3. this.grads[i].copyFrom(grads[i]);  this.dh = dh;  return stack(dxs, 1);
    throw new Error("未実装です / not implemented yet");
  }
}
