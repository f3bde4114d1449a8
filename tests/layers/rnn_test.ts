import { RNN, TimeRNN } from "../../lib/layers/rnn.ts";
import { assertThrows } from "../../lib/std/assert.ts";
import { zeros } from "../../lib/tensor.ts";
import { assertAllClose, loadFixture, T } from "../_helpers.ts";
import { checkTimeFixture, gradCheckTime } from "./_recurrent.ts";
import { checkCellFixture, gradCheckOneStateCell } from "../_recurrent_cell.ts";

Deno.test("RNN matches the reference cell forward, backward and grads", () => {
  checkCellFixture("rnn", RNN);
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
  gradCheckOneStateCell(RNN, 1);
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
