import { Embedding, TimeEmbedding } from "../../lib/layers/embedding.ts";
import { dot, gradCheck } from "../../lib/layers/gradcheck.ts";
import { Rng } from "../../lib/random.ts";
import { assertOk, assertThrows } from "../../lib/std/assert.ts";
import { IntTensor, zeros } from "../../lib/tensor.ts";
import { assertAllClose, I, loadFixture, T } from "../_helpers.ts";

Deno.test("TimeEmbedding matches the reference forward and dW (repeated ids accumulate)", () => {
  const f = loadFixture("time_embedding");
  const layer = new TimeEmbedding(T(f.inputs.W));
  const ids = I(f.inputs.ids);
  assertOk(new Set(ids.data).size < ids.size, "the fixture repeats ids");
  assertAllClose(layer.forward(ids), f.forward.out, "time_embedding out");
  assertOk(layer.backward(T(f.upstream.dout)) === null, "ids have no gradient");
  assertAllClose(layer.grads[0], f.grads.dW, "time_embedding dW");
});

Deno.test("Embedding agrees with TimeEmbedding on flattened ids", () => {
  const f = loadFixture("time_embedding");
  const ids = I(f.inputs.ids), dout = T(f.upstream.dout);
  const layer = new Embedding(T(f.inputs.W));
  const [N, Tn, D] = dout.shape;
  assertAllClose(
    layer.forward(ids.reshape([N * Tn])).reshape([N, Tn, D]),
    f.forward.out,
    "embedding out",
  );
  layer.backward(dout.reshape([N * Tn, D]));
  assertAllClose(layer.grads[0], f.grads.dW, "embedding dW");
});

Deno.test("Embedding and TimeEmbedding pass the numerical gradient check", () => {
  const rng = new Rng(2);
  const layer = new TimeEmbedding(rng.randn([6, 3]));
  const ids = IntTensor.from([[1, 2, 1], [5, 0, 1]]), r = rng.randn([2, 3, 3]);
  const loss = () => dot(layer.forward(ids), r);
  loss();
  layer.backward(r);
  const [res] = gradCheck(loss, [{ name: "W", value: layer.params[0], grad: layer.grads[0] }]);
  assertOk(res.maxRelError < 1e-2, JSON.stringify(res));
});

Deno.test("embeddings name ids out of range and wrong shapes", () => {
  const layer = new TimeEmbedding(zeros([5, 3]));
  assertThrows(
    () => layer.forward(IntTensor.from([[1, 5]])),
    "TimeEmbedding.forward: xs holds id 5 at flat index 1, expected ids in [0, 5)",
  );
  assertThrows(
    () => new Embedding(zeros([5, 3])).forward(IntTensor.from([-1])),
    "Embedding.forward: idx holds id -1 at flat index 0, expected ids in [0, 5)",
  );
  assertThrows(
    () => layer.forward(IntTensor.from([1, 2])),
    "TimeEmbedding.forward: xs has shape [2], expected [N,T]",
  );
  layer.forward(IntTensor.from([[1, 2]]));
  assertThrows(
    () => layer.backward(zeros([1, 2, 4])),
    "TimeEmbedding.backward: dout has shape [1,2,4], expected [1,2,3]",
  );
});
