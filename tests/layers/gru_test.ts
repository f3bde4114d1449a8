import { GRU, TimeGRU } from "../../lib/layers/gru.ts";
import { assertThrows } from "../../lib/std/assert.ts";
import { zeros } from "../../lib/tensor.ts";
import { checkTimeFixture, gradCheckTime } from "./_recurrent.ts";
import { checkCellFixture, gradCheckOneStateCell } from "../_recurrent_cell.ts";

Deno.test("GRU matches the reference cell forward, backward and grads", () => {
  checkCellFixture("gru", GRU);
});

Deno.test("TimeGRU matches the reference, continuing its state across forward calls", () => {
  checkTimeFixture("time_gru", (Wx, Wh, b, stateful) => new TimeGRU(Wx, Wh, b, stateful));
});

Deno.test("GRU and TimeGRU pass the numerical gradient check", () => {
  gradCheckOneStateCell(GRU, 3);
  gradCheckTime(3, (Wx, Wh, b) => new TimeGRU(Wx, Wh, b, true));
});

Deno.test("TimeGRU names wrong shapes and a state of another batch size", () => {
  assertThrows(
    () => new TimeGRU(zeros([4, 15]), zeros([5, 15]), zeros([20])),
    "TimeGRU: b has shape [20], expected [3H=15]",
  );
  const layer = new TimeGRU(zeros([4, 15]), zeros([5, 15]), zeros([15]), true);
  layer.forward(zeros([2, 3, 4]));
  assertThrows(
    () => layer.forward(zeros([4, 3, 4])),
    "TimeGRU.forward: state h has shape [2,5], expected [N=4,H=5]",
  );
  assertThrows(
    () => layer.backward(zeros([2, 3, 15])),
    "TimeGRU.backward: dhs has shape [2,3,15], expected [2,3,5]",
  );
  assertThrows(
    () => new GRU(zeros([4, 15]), zeros([5, 15]), zeros([15])).backward(zeros([1, 5])),
    "call forward first",
  );
});
