import { dot } from "../../lib/layers/gradcheck.ts";
import { GRU, TimeGRU } from "../../lib/layers/gru.ts";
import { assertThrows } from "../../lib/std/assert.ts";
import { zeros } from "../../lib/tensor.ts";
import { assertAllClose, loadFixture, T } from "../_helpers.ts";
import { checkTimeFixture, gradCheckCell, gradCheckTime } from "./_recurrent.ts";

Deno.test("GRU matches the reference cell forward, backward and grads", () => {
  const f = loadFixture("gru_cell");
  const cell = new GRU(T(f.inputs.Wx), T(f.inputs.Wh), T(f.inputs.b));
  assertAllClose(cell.forward(T(f.inputs.x), T(f.inputs.h_prev)), f.forward.h_next, "gru h_next");
  const [dx, dhPrev] = cell.backward(T(f.upstream.dh_next));
  assertAllClose(dx, f.backward.dx, "gru dx");
  assertAllClose(dhPrev, f.backward.dh_prev, "gru dh_prev");
  assertAllClose(cell.grads[0], f.grads.dWx, "gru dWx");
  assertAllClose(cell.grads[1], f.grads.dWh, "gru dWh");
  assertAllClose(cell.grads[2], f.grads.db, "gru db");
});

Deno.test("TimeGRU matches the reference, continuing its state across forward calls", () => {
  checkTimeFixture("time_gru", (Wx, Wh, b, stateful) => new TimeGRU(Wx, Wh, b, stateful));
});

Deno.test("GRU and TimeGRU pass the numerical gradient check", () => {
  gradCheckCell((rng) => {
    const cell = new GRU(rng.randn([3, 12], 0.5), rng.randn([4, 12], 0.5), rng.randn([12]));
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
