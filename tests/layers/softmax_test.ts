import { Softmax, SoftmaxWithLoss, TimeSoftmaxWithLoss } from "../../lib/layers/softmax.ts";
import { dot, gradCheck } from "../../lib/layers/gradcheck.ts";
import { Rng } from "../../lib/random.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";
import { IntTensor, tensor, zeros } from "../../lib/tensor.ts";
import { assertAllClose, I, loadFixture, T } from "../_helpers.ts";

Deno.test("TimeSoftmaxWithLoss matches the reference loss and dxs, ignoring label -1", () => {
  const f = loadFixture("time_softmax_with_loss");
  const ts = I(f.inputs.ts);
  assertOk(ts.data.includes(-1), "the fixture has ignored positions");
  const layer = new TimeSoftmaxWithLoss(f.ignore_label);
  assertAllClose(layer.forward(T(f.inputs.xs), ts), f.forward.loss, "time_softmax loss");
  assertAllClose(layer.backward(), f.backward.dxs, "time_softmax dxs");
});

Deno.test("TimeSoftmaxWithLoss in place: the same loss and dxs bit for bit, in the scores' buffer; backward once per forward", () => {
  const f = loadFixture("time_softmax_with_loss");
  const ts = I(f.inputs.ts);
  const apart = new TimeSoftmaxWithLoss(f.ignore_label);
  const inPlace = new TimeSoftmaxWithLoss(f.ignore_label, { inPlace: true });
  for (const dout of [1, 0.375]) {
    const xs = T(f.inputs.xs), scores = xs.clone();
    assertEquals(inPlace.forward(scores, ts), apart.forward(xs, ts));
    assertEquals(Array.from(xs.data), Array.from(T(f.inputs.xs).data), "apart: xs untouched");
    const dxs = inPlace.backward(dout);
    assertOk(dxs.data === scores.data, "in place: dxs is the scores' buffer");
    assertEquals(Array.from(dxs.data), Array.from(apart.backward(dout).data));
    assertThrows(() => inPlace.backward(dout), "called twice after one forward");
  }
  assertAllClose(inPlace.forward(T(f.inputs.xs), ts), f.forward.loss, "in place loss");
  assertAllClose(inPlace.backward(), f.backward.dxs, "in place dxs");
});

Deno.test("softmax layers pass the numerical gradient check", () => {
  const rng = new Rng(4);
  const xs = rng.randn([2, 3, 5], 2);
  const ts = IntTensor.from([[0, 4, -1], [2, -1, 1]]);
  const time = new TimeSoftmaxWithLoss();
  const timeLoss = () => time.forward(xs, ts);
  timeLoss();
  const x = rng.randn([4, 5], 2), t = IntTensor.from([0, 3, 3, 1]);
  const swl = new SoftmaxWithLoss();
  const swlLoss = () => swl.forward(x, t);
  swlLoss();
  const sm = new Softmax(), r = rng.randn([4, 5]);
  const smLoss = () => dot(sm.forward(x), r);
  smLoss();
  for (
    const [loss, value, grad] of [
      [timeLoss, xs, time.backward().clone()],
      [swlLoss, x, swl.backward().clone()],
      [smLoss, x, sm.backward(r).clone()],
    ] as const
  ) {
    const [res] = gradCheck(loss, [{ name: "x", value, grad }], { eps: 1e-2 });
    assertOk(res.maxRelError < 1e-2, JSON.stringify(res));
  }
});

Deno.test("softmax is stable for large scores; the loss is finite where float32 softmax underflows", () => {
  const y = new Softmax().forward(tensor([[1000, 1001, 1002]]));
  assertOk(y.data.every(Number.isFinite));
  assertAllClose(y.data.reduce((a, b) => a + b), 1, "softmax sums to 1");
  // p(target) = e^-200 underflows float32; log-sum-exp keeps the loss exact
  const loss = new TimeSoftmaxWithLoss().forward(tensor([[[0, 200]]]), IntTensor.from([[0]]));
  assertAllClose(loss, 200, "loss of a very unlikely target", { rtol: 1e-6 });
  // the reference's SoftmaxWithLoss adds 1e-7 inside the log: the loss saturates near 16.1
  const capped = new SoftmaxWithLoss().forward(tensor([[0, 200]]), IntTensor.from([0]));
  assertAllClose(capped, -Math.log(1e-7), "SoftmaxWithLoss with its 1e-7", { rtol: 1e-6 });
});

Deno.test("a batch with every label ignored has loss 0 and zero gradient", () => {
  const layer = new TimeSoftmaxWithLoss();
  assertEquals(layer.forward(tensor([[[1, 2], [3, 4]]]), IntTensor.from([[-1, -1]])), 0);
  assertOk(layer.backward().data.every((v) => v === 0));
});

Deno.test("softmax layers name labels out of range and wrong shapes", () => {
  const layer = new TimeSoftmaxWithLoss();
  assertThrows(
    () => layer.forward(zeros([1, 2, 4]), IntTensor.from([[0, 4]])),
    "TimeSoftmaxWithLoss.forward: ts holds id 4 at flat index 1, expected ids in [0, 4) (or -1 to ignore)",
  );
  assertThrows(
    () => layer.forward(zeros([1, 2, 4]), IntTensor.from([[0, 1, 2]])),
    "TimeSoftmaxWithLoss.forward: ts has shape [1,3], expected [N=1,T=2]",
  );
  assertThrows(
    () => new SoftmaxWithLoss().forward(zeros([2, 3]), IntTensor.from([0, -1])),
    "SoftmaxWithLoss.forward: t holds id -1 at flat index 1, expected ids in [0, 3)",
  );
  assertThrows(() => new TimeSoftmaxWithLoss().backward(), "call forward first");
});
