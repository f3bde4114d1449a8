/**
 * Layers used the NumPy way, feeding an output back in: `h = cell.forward(x, h)` over the
 * steps of a sequence must give the Time layer's `hs`, and `x = layer.forward(x)` must give
 * two separate applications (an output buffer the layer reuses must not be overwritten while
 * it is the input).
 */

import { Affine, TimeAffine } from "../../lib/layers/affine.ts";
import { Dropout, TimeDropout } from "../../lib/layers/dropout.ts";
import { GRU, TimeGRU } from "../../lib/layers/gru.ts";
import { LSTM, TimeLSTM } from "../../lib/layers/lstm.ts";
import { RNN, TimeRNN } from "../../lib/layers/rnn.ts";
import { Softmax } from "../../lib/layers/softmax.ts";
import { timestep } from "../../lib/engine/views.ts";
import { Rng } from "../../lib/random.ts";
import { type Tensor, zeros } from "../../lib/tensor.ts";
import { assertAllClose } from "../_helpers.ts";

const [N, Tn, D, H] = [2, 9, 3, 4];
const within = { rtol: 0, atol: 1e-6 };

/** `xs[:, t]` as a new `(N, D)` tensor. */
function step(xs: Tensor, t: number): Tensor {
  const [n, T, d] = xs.shape, x = zeros([n, d]);
  for (let i = 0; i < n; i++) {
    x.data.set(xs.data.subarray((i * T + t) * d, (i * T + t + 1) * d), i * d);
  }
  return x;
}

/** Writes `h` `(N, H)` into `hs[:, t]`. */
function put(hs: Tensor, t: number, h: Tensor): void {
  const [n, T, d] = hs.shape;
  for (let i = 0; i < n; i++) hs.data.set(h.data.subarray(i * d, (i + 1) * d), (i * T + t) * d);
}

/** Weights `Wx (D, G·H)`, `Wh (H, G·H)`, `b (G·H)` and inputs `xs (N, T, D)`. */
function setup(gates: number) {
  const rng = new Rng(3);
  const p = [
    rng.randn([D, gates * H], 0.5),
    rng.randn([H, gates * H], 0.5),
    rng.randn([gates * H]),
  ];
  return { p, xs: rng.randn([N, Tn, D]) };
}

Deno.test("h = cell.forward(xs[:, t, :], h) over 9 steps equals TimeRNN (x as a timestep view)", () => {
  const { p: [Wx, Wh, b], xs } = setup(1);
  const cell = new RNN(Wx, Wh, b), hs = zeros([N, Tn, H]);
  let h = zeros([N, H]);
  for (let t = 0; t < Tn; t++) {
    h = cell.forward(timestep(xs, t), h);
    put(hs, t, h);
  }
  assertAllClose(hs, new TimeRNN(Wx, Wh, b).forward(xs).toJSON(), "hand-looped RNN", within);
});

Deno.test("[h, c] = lstm.forward(x, h, c) over 9 steps equals TimeLSTM", () => {
  const { p: [Wx, Wh, b], xs } = setup(4);
  const cell = new LSTM(Wx, Wh, b), hs = zeros([N, Tn, H]);
  let h = zeros([N, H]), c = zeros([N, H]);
  for (let t = 0; t < Tn; t++) {
    [h, c] = cell.forward(step(xs, t), h, c);
    put(hs, t, h);
  }
  const layer = new TimeLSTM(Wx, Wh, b);
  assertAllClose(hs, layer.forward(xs).toJSON(), "hand-looped LSTM", within);
  assertAllClose(c, layer.c!.toJSON(), "hand-looped LSTM c", within);
});

Deno.test("h = gru.forward(x, h) over 9 steps equals TimeGRU", () => {
  const { p: [Wx, Wh, b], xs } = setup(3);
  const cell = new GRU(Wx, Wh, b), hs = zeros([N, Tn, H]);
  let h = zeros([N, H]);
  for (let t = 0; t < Tn; t++) {
    h = cell.forward(step(xs, t), h);
    put(hs, t, h);
  }
  assertAllClose(hs, new TimeGRU(Wx, Wh, b).forward(xs).toJSON(), "hand-looped GRU", within);
});

Deno.test("the cells' outputs stay intact through later calls", () => {
  const { p: [Wx, Wh, b], xs } = setup(1);
  const cell = new RNN(Wx, Wh, b);
  const h1 = cell.forward(step(xs, 0), zeros([N, H])), kept = h1.clone();
  cell.forward(step(xs, 1), h1);
  assertAllClose(h1, kept.toJSON(), "h1 after the next forward", { rtol: 0, atol: 0 });
  const [dx1, dh1] = cell.backward(h1), dx1Kept = dx1.clone(), dh1Kept = dh1.clone();
  cell.backward(dh1);
  assertAllClose(dx1, dx1Kept.toJSON(), "dx after the next backward", { rtol: 0, atol: 0 });
  assertAllClose(dh1, dh1Kept.toJSON(), "dh_prev after the next backward", { rtol: 0, atol: 0 });
});

/**
 * `x = layer.forward(x)` twice equals applying a twin layer (same weights and generator) to
 * `x0` and then to a copy of that result, and leaves the first output intact.
 */
function checkFeedback(name: string, make: () => { forward(x: Tensor): Tensor }, x0: Tensor) {
  const twin = make();
  const once = twin.forward(x0).clone(), twice = twin.forward(once.clone()).clone();
  const layer = make();
  let x = layer.forward(x0);
  const first = x;
  x = layer.forward(x);
  assertAllClose(x, twice.toJSON(), `${name}: x = layer.forward(x)`, within);
  assertAllClose(
    first,
    once.toJSON(),
    `${name}: the first output, the second call's input`,
    within,
  );
}

Deno.test("x = layer.forward(x) equals two separate applications", () => {
  const rng = new Rng(5);
  const W = rng.randn([H, H], 0.5), b = rng.randn([H]), x0 = rng.randn([N, H]);
  const xs0 = rng.randn([N, Tn, H]);
  checkFeedback("Affine", () => new Affine(W, b), x0);
  checkFeedback("TimeAffine", () => new TimeAffine(W, b), xs0);
  checkFeedback("Softmax", () => new Softmax(), x0);
  checkFeedback("Dropout", () => new Dropout(0.5, { rng: new Rng(1) }), x0);
  checkFeedback("TimeDropout", () => new TimeDropout(0.5, { seed: 1 }), xs0);
  // time layers with D = H: hs = layer.forward(hs)
  const rnn = rng.randn([H, H], 0.5), lstm = rng.randn([H, 4 * H], 0.5);
  const gru = rng.randn([H, 3 * H], 0.5);
  checkFeedback("TimeRNN", () => new TimeRNN(rnn, rnn, b), xs0);
  checkFeedback("TimeLSTM", () => new TimeLSTM(lstm, lstm, zeros([4 * H])), xs0);
  checkFeedback("TimeGRU", () => new TimeGRU(gru, gru, zeros([3 * H])), xs0);
});
