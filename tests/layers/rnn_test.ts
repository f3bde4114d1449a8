import { dot } from "../../lib/layers/gradcheck.ts";
import { RNN, TimeRNN } from "../../lib/layers/rnn.ts";
import { assertThrows } from "../../lib/std/assert.ts";
import { zeros } from "../../lib/tensor.ts";
import { assertAllClose, loadFixture, T } from "../_helpers.ts";
import { checkTimeFixture, gradCheckCell, gradCheckTime } from "./_recurrent.ts";

Deno.test("RNN matches the reference cell forward, backward and grads", () => {
  const f = loadFixture("rnn_cell");
  const cell = new RNN(T(f.inputs.Wx), T(f.inputs.Wh), T(f.inputs.b));
  assertAllClose(cell.forward(T(f.inputs.x), T(f.inputs.h_prev)), f.forward.h_next, "rnn h_next");
  const [dx, dhPrev] = cell.backward(T(f.upstream.dh_next));
  assertAllClose(dx, f.backward.dx, "rnn dx");
  assertAllClose(dhPrev, f.backward.dh_prev, "rnn dh_prev");
  assertAllClose(cell.grads[0], f.grads.dWx, "rnn dWx");
  assertAllClose(cell.grads[1], f.grads.dWh, "rnn dWh");
  assertAllClose(cell.grads[2], f.grads.db, "rnn db");
});

Deno.test("TimeRNN matches the reference, continuing its state across forward calls", () => {
  checkTimeFixture("time_rnn", (Wx, Wh, b, stateful) => new TimeRNN(Wx, Wh, b, stateful));
});

Deno.test("TimeRNN without state starts every forward from zeros", () => {
  const f = loadFixture("time_rnn");
  const layer = new TimeRNN(T(f.inputs.Wx), T(f.inputs.Wh), T(f.inputs.b), false);
  layer.forward(T(f.inputs.xs2));
  assertAllClose(layer.forward(T(f.inputs.xs1)), f.forward.hs1, "stateless hs1");
  const stateful = new TimeRNN(T(f.inputs.Wx), T(f.inputs.Wh), T(f.inputs.b), true);
  stateful.forward(T(f.inputs.xs2));
  stateful.resetState();
  assertAllClose(stateful.forward(T(f.inputs.xs1)), f.forward.hs1, "after resetState hs1");
});

Deno.test("RNN and TimeRNN pass the numerical gradient check", () => {
  gradCheckCell((rng) => {
    const cell = new RNN(rng.randn([3, 4], 0.5), rng.randn([4, 4], 0.5), rng.randn([4]));
    const x = rng.randn([2, 3]), hPrev = rng.randn([2, 4]), r = rng.randn([2, 4]);
    return {
      loss: () => dot(cell.forward(x, hPrev), r),
      backward: () => {
        const [dx, dhPrev] = cell.backward(r).map((t) => t.clone());
        return [
          { name: "x", value: x, grad: dx },
          { name: "hPrev", value: hPrev, grad: dhPrev },
          ...cell.params.map((value, i) => ({ name: `p${i}`, value, grad: cell.grads[i] })),
        ];
      },
    };
  });
  gradCheckTime(1, (Wx, Wh, b) => new TimeRNN(Wx, Wh, b, true));
});

Deno.test("TimeRNN names wrong shapes and a state of another batch size", () => {
  assertThrows(
    () => new TimeRNN(zeros([4, 5]), zeros([5, 6]), zeros([5])),
    "TimeRNN: Wh has shape [5,6], expected [H,H]",
  );
  assertThrows(
    () => new TimeRNN(zeros([4, 5]), zeros([5, 5]), zeros([6])),
    "TimeRNN: b has shape [6], expected [H=5]",
  );
  const layer = new TimeRNN(zeros([4, 5]), zeros([5, 5]), zeros([5]), true);
  assertThrows(() => layer.backward(zeros([2, 3, 5])), "call forward first");
  assertThrows(
    () => layer.forward(zeros([2, 3, 3])),
    "TimeRNN.forward: xs has shape [2,3,3], expected [N,T,4]",
  );
  layer.forward(zeros([2, 3, 4]));
  assertThrows(
    () => layer.forward(zeros([3, 3, 4])),
    "TimeRNN.forward: state h has shape [2,5], expected [N=3,H=5]",
  );
  assertThrows(
    () => layer.backward(zeros([2, 3, 4])),
    "TimeRNN.backward: dhs has shape [2,3,4], expected [2,3,5]",
  );
  assertThrows(
    () => new RNN(zeros([4, 5]), zeros([5, 5]), zeros([5])).forward(zeros([2, 4]), zeros([3, 5])),
    "RNN.forward: hPrev has shape [3,5], expected [N=2,5]",
  );
});
