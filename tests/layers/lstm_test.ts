import { dot } from "../../lib/layers/gradcheck.ts";
import { LSTM, TimeBiLSTM, TimeLSTM } from "../../lib/layers/lstm.ts";
import { Rng } from "../../lib/random.ts";
import { assertOk, assertThrows } from "../../lib/std/assert.ts";
import { zeros } from "../../lib/tensor.ts";
import { gradCheck } from "../../lib/layers/gradcheck.ts";
import { assertAllClose, loadFixture, T } from "../_helpers.ts";
import { checkTimeFixture, gradCheckCell, gradCheckTime } from "./_recurrent.ts";

Deno.test("LSTM matches the reference cell forward, backward and grads", () => {
  const f = loadFixture("lstm_cell");
  const cell = new LSTM(T(f.inputs.Wx), T(f.inputs.Wh), T(f.inputs.b));
  const [h, c] = cell.forward(T(f.inputs.x), T(f.inputs.h_prev), T(f.inputs.c_prev));
  assertAllClose(h, f.forward.h_next, "lstm h_next");
  assertAllClose(c, f.forward.c_next, "lstm c_next");
  const [dx, dhPrev, dcPrev] = cell.backward(T(f.upstream.dh_next), T(f.upstream.dc_next));
  assertAllClose(dx, f.backward.dx, "lstm dx");
  assertAllClose(dhPrev, f.backward.dh_prev, "lstm dh_prev");
  assertAllClose(dcPrev, f.backward.dc_prev, "lstm dc_prev");
  assertAllClose(cell.grads[0], f.grads.dWx, "lstm dWx");
  assertAllClose(cell.grads[1], f.grads.dWh, "lstm dWh");
  assertAllClose(cell.grads[2], f.grads.db, "lstm db");
});

Deno.test("TimeLSTM matches the reference, continuing h and c across forward calls", () => {
  checkTimeFixture("time_lstm", (Wx, Wh, b, stateful) => new TimeLSTM(Wx, Wh, b, stateful));
});

Deno.test("TimeBiLSTM matches the reference forward, backward and all six grads", () => {
  const f = loadFixture("time_bilstm");
  const i = f.inputs;
  const layer = new TimeBiLSTM(T(i.Wx1), T(i.Wh1), T(i.b1), T(i.Wx2), T(i.Wh2), T(i.b2));
  assertAllClose(layer.forward(T(i.xs)), f.forward.out, "bilstm out");
  assertAllClose(layer.backward(T(f.upstream.dout)), f.backward.dxs, "bilstm dxs");
  const names = ["dWx1", "dWh1", "db1", "dWx2", "dWh2", "db2"];
  layer.grads.forEach((g, k) => assertAllClose(g, f.grads[k], `bilstm ${names[k]}`));
});

Deno.test("LSTM, TimeLSTM and TimeBiLSTM pass the numerical gradient check", () => {
  gradCheckCell((rng) => {
    const cell = new LSTM(rng.randn([3, 16], 0.5), rng.randn([4, 16], 0.5), rng.randn([16]));
    const x = rng.randn([2, 3]), hPrev = rng.randn([2, 4]), cPrev = rng.randn([2, 4]);
    const rh = rng.randn([2, 4]), rc = rng.randn([2, 4]);
    return {
      loss: () => {
        const [h, c] = cell.forward(x, hPrev, cPrev);
        return dot(h, rh) + dot(c, rc);
      },
      backward: () => {
        const [dx, dhPrev, dcPrev] = cell.backward(rh, rc).map((t) => t.clone());
        return [
          { name: "x", value: x, grad: dx },
          { name: "hPrev", value: hPrev, grad: dhPrev },
          { name: "cPrev", value: cPrev, grad: dcPrev },
          ...cell.params.map((value, i) => ({ name: `p${i}`, value, grad: cell.grads[i] })),
        ];
      },
    };
  });
  // Starting from a non-zero c0 too, so the cell-state path into dh is exercised.
  const c0 = new Rng(5).randn([2, 4], 0.5);
  gradCheckTime(
    4,
    (Wx, Wh, b) => new TimeLSTM(Wx, Wh, b, true),
    (layer, h0) => (layer as TimeLSTM).setState(h0, c0),
  );
  const rng = new Rng(9);
  const p = () => [rng.randn([3, 16], 0.5), rng.randn([4, 16], 0.5), rng.randn([16])] as const;
  const bi = new TimeBiLSTM(...p(), ...p());
  const xs = rng.randn([2, 3, 3]), r = rng.randn([2, 3, 8]);
  const loss = () => dot(bi.forward(xs), r);
  loss();
  const dxs = bi.backward(r).clone();
  const report = gradCheck(loss, [
    { name: "xs", value: xs, grad: dxs },
    ...bi.params.map((value, i) => ({ name: `p${i}`, value, grad: bi.grads[i] })),
  ]);
  for (const res of report) assertOk(res.maxRelError < 1e-2, `${res.name}: ${JSON.stringify(res)}`);
});

Deno.test("TimeLSTM names wrong shapes and a state of another batch size", () => {
  assertThrows(
    () => new TimeLSTM(zeros([4, 20]), zeros([5, 16]), zeros([20])),
    "TimeLSTM: Wh has shape [5,16], expected [H,4H] (4H = 20)",
  );
  assertThrows(
    () => new TimeLSTM(zeros([4, 16]), zeros([5, 20]), zeros([20])),
    "TimeLSTM: Wx has shape [4,16], expected [D,4H=20]",
  );
  const layer = new TimeLSTM(zeros([4, 20]), zeros([5, 20]), zeros([20]), true);
  assertThrows(() => layer.backward(zeros([2, 3, 5])), "TimeLSTM.backward: no forward pass");
  assertThrows(
    () => layer.forward(zeros([2, 3])),
    "TimeLSTM.forward: xs has shape [2,3], expected [N,T,4]",
  );
  layer.forward(zeros([2, 3, 4]));
  assertThrows(
    () => layer.forward(zeros([1, 3, 4])),
    "TimeLSTM.forward: state h has shape [2,5], expected [N=1,H=5]",
  );
  assertThrows(
    () => layer.setState(zeros([2, 5]), zeros([3, 5])),
    "TimeLSTM.setState: c has shape [3,5], expected [2,5]",
  );
  assertThrows(
    () =>
      new LSTM(zeros([4, 20]), zeros([5, 20]), zeros([20])).forward(
        zeros([2, 4]),
        zeros([2, 5]),
        zeros([2, 4]),
      ),
    "LSTM.forward: cPrev has shape [2,4], expected [N=2,5]",
  );
  const bi = new TimeBiLSTM(
    zeros([4, 20]),
    zeros([5, 20]),
    zeros([20]),
    zeros([4, 20]),
    zeros([5, 20]),
    zeros([20]),
  );
  bi.forward(zeros([2, 3, 4]));
  assertThrows(
    () => bi.backward(zeros([2, 3, 5])),
    "TimeBiLSTM.backward: dout has shape [2,3,5], expected [2,3,10]",
  );
});
