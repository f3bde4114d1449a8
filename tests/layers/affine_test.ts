import { Affine, TimeAffine } from "../../lib/layers/affine.ts";
import { dot, gradCheck } from "../../lib/layers/gradcheck.ts";
import { Rng } from "../../lib/random.ts";
import { assertOk, assertThrows } from "../../lib/std/assert.ts";
import { tensor, zeros } from "../../lib/tensor.ts";
import { assertAllClose, loadFixture, T } from "../_helpers.ts";

Deno.test("TimeAffine matches the reference forward, backward and grads", () => {
  const f = loadFixture("time_affine");
  const layer = new TimeAffine(T(f.inputs.W), T(f.inputs.b));
  assertAllClose(layer.forward(T(f.inputs.x)), f.forward.out, "time_affine out");
  assertAllClose(layer.backward(T(f.upstream.dout)), f.backward.dx, "time_affine dx");
  assertAllClose(layer.grads[0], f.grads.dW, "time_affine dW");
  assertAllClose(layer.grads[1], f.grads.db, "time_affine db");
});

Deno.test("Affine agrees with TimeAffine on the same rows", () => {
  const f = loadFixture("time_affine");
  const x = T(f.inputs.x), dout = T(f.upstream.dout);
  const layer = new Affine(T(f.inputs.W), T(f.inputs.b));
  const [N, Tn, D] = x.shape;
  assertAllClose(
    layer.forward(x.reshape([N * Tn, D])).reshape([N, Tn, 9]),
    f.forward.out,
    "affine out",
  );
  assertAllClose(
    layer.backward(dout.reshape([N * Tn, 9])).reshape([N, Tn, D]),
    f.backward.dx,
    "affine dx",
  );
  assertAllClose(layer.grads[0], f.grads.dW, "affine dW");
  assertAllClose(layer.grads[1], f.grads.db, "affine db");
});

Deno.test("TimeAffine names the argument and shapes when they are wrong", () => {
  const layer = new TimeAffine(zeros([4, 9]), zeros([9]));
  assertThrows(
    () => layer.forward(zeros([2, 3, 5])),
    "TimeAffine.forward: x has shape [2,3,5], expected [N,T,4]",
  );
  assertThrows(
    () => new TimeAffine(zeros([4, 9]), zeros([8])),
    "TimeAffine: b has shape [8], expected [M=9]",
  );
  assertThrows(
    () => new Affine(zeros([4, 9]), zeros([9])).backward(tensor([[1]])),
    "call forward first",
  );
  layer.forward(zeros([2, 3, 4]));
  assertThrows(
    () => layer.backward(zeros([2, 3, 8])),
    "TimeAffine.backward: dout has shape [2,3,8], expected [2,3,9]",
  );
});

Deno.test("Affine and TimeAffine pass the numerical gradient check", () => {
  const rng = new Rng(3);
  for (const timed of [false, true]) {
    const layer = timed
      ? new TimeAffine(rng.randn([4, 5]), rng.randn([5]))
      : new Affine(rng.randn([4, 5]), rng.randn([5]));
    const x = rng.randn(timed ? [2, 3, 4] : [6, 4]);
    const r = rng.randn(timed ? [2, 3, 5] : [6, 5]);
    const loss = () => dot(layer.forward(x), r);
    loss();
    const dx = layer.backward(r).clone();
    const report = gradCheck(loss, [
      { name: "x", value: x, grad: dx },
      { name: "W", value: layer.params[0], grad: layer.grads[0] },
      { name: "b", value: layer.params[1], grad: layer.grads[1] },
    ]);
    for (const r of report) assertOk(r.maxRelError < 1e-2, `${r.name}: ${JSON.stringify(r)}`);
  }
});

Deno.test("TimeAffine with a transposed W equals the plain layer on Wᵀ", () => {
  const f = loadFixture("time_affine");
  const W = T(f.inputs.W); // (D=4, M=9)
  const Wt = zeros([9, 4]);
  for (let d = 0; d < 4; d++) for (let m = 0; m < 9; m++) Wt.data[m * 4 + d] = W.data[d * 9 + m];
  const layer = new TimeAffine(Wt, T(f.inputs.b), { transposed: true });
  assertAllClose(layer.forward(T(f.inputs.x)), f.forward.out, "tied out");
  assertAllClose(layer.backward(T(f.upstream.dout)), f.backward.dx, "tied dx");
  const dWt = layer.grads[0];
  const dW = zeros([4, 9]);
  for (let d = 0; d < 4; d++) for (let m = 0; m < 9; m++) dW.data[d * 9 + m] = dWt.data[m * 4 + d];
  assertAllClose(dW, f.grads.dW, "tied dW");
  assertAllClose(layer.grads[1], f.grads.db, "tied db");
  assertThrows(
    () => new TimeAffine(Wt, zeros([4]), { transposed: true }),
    "TimeAffine: b has shape [4], expected [M=9]",
  );
});
