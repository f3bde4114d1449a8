import { LanguageModel, paramSpecs, Rnnlm, SimpleRnnlm } from "../../lib/models/rnnlm.ts";
import { removeDuplicate } from "../../lib/params.ts";
import { Rng } from "../../lib/random.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";
import { IntTensor, zeros } from "../../lib/tensor.ts";
import { gradCheck } from "../../lib/layers/gradcheck.ts";
import { assertAllClose, I, loadFixture, T } from "../_helpers.ts";

for (const [name, Model] of [["simple_rnnlm", SimpleRnnlm], ["rnnlm", Rnnlm]] as const) {
  Deno.test(`${name}: loss, every gradient and the stateful second batch match the reference`, () => {
    const f = loadFixture(name);
    const model = new Model(f.vocab_size, f.wordvec_size, f.hidden_size, {
      params: f.params.map(T),
    });
    assertEquals(
      model.names.join(", "),
      f.param_order.replace(/rnn_/g, name === "rnnlm" ? "lstm_" : "rnn_"),
    );
    const loss = model.forward(I(f.xs), I(f.ts));
    assertAllClose(loss, f.loss, `${name} loss`);
    model.backward();
    model.grads.forEach((g, i) => assertAllClose(g, f.grads[i], `${name} grad ${model.names[i]}`));
    assertAllClose(model.forward(I(f.xs2), I(f.ts2)), f.loss2_stateful, `${name} loss2_stateful`);
    model.resetState();
    assertAllClose(model.forward(I(f.xs), I(f.ts)), f.loss, `${name} loss after resetState`);
  });
}

Deno.test("parameters and gradients are views into one contiguous buffer each", () => {
  const model = new Rnnlm(20, 8, 8);
  const n = paramSpecs(model.config).reduce((s, p) => s + p.shape.reduce((a, b) => a * b), 0);
  assertOk(model.paramBuffer.size >= n);
  for (const p of model.params) assertOk(p.block === model.paramBuffer.block);
  for (const g of model.grads) assertOk(g.block === model.gradBuffer.block);
  // gradients sit at the same offsets as their parameters, so one pass updates all
  const base = (t: { data: Float32Array }, flat: { data: Float32Array }) =>
    t.data.byteOffset - flat.data.byteOffset;
  model.params.forEach((p, i) =>
    assertEquals(base(p, model.paramBuffer), base(model.grads[i], model.gradBuffer))
  );
});

Deno.test("a GRU model with two layers, dropout and tied weights passes the gradient check", () => {
  const rng = new Rng(4);
  const model = new LanguageModel({
    vocabSize: 7,
    wordvecSize: 5,
    hiddenSize: 5,
    cell: "gru",
    layers: 2,
    dropout: 0.3,
    tieWeights: true,
  }, { rng });
  // Tied: embed_W is listed twice; its gradient is the sum of both uses.
  assertEquals(model.names.filter((n) => n === "embed_W").length, 2);
  const xs = IntTensor.from([[1, 2, 3], [4, 5, 6]]), ts = IntTensor.from([[2, 3, 4], [5, 6, 0]]);
  const loss = () => {
    model.resetState();
    model.maskKey.step = 0; // the same dropout masks in every forward
    return model.forward(xs, ts);
  };
  loss();
  model.backward();
  const { params, grads } = removeDuplicate(model.params, model.grads);
  const report = gradCheck(
    loss,
    params.map((value, i) => ({ name: `p${i}`, value, grad: grads[i].clone() })),
  );
  for (const r of report) assertOk(r.maxRelError < 1e-2, `${r.name}: ${JSON.stringify(r)}`);
});

Deno.test("models name what is wrong with their configuration, parameters and ids", () => {
  assertThrows(
    () => new SimpleRnnlm(0, 4, 4),
    "LanguageModel: vocabSize is 0, expected an integer >= 1",
  );
  assertThrows(
    () =>
      new LanguageModel({
        vocabSize: 5,
        wordvecSize: 4,
        hiddenSize: 6,
        cell: "lstm",
        layers: 1,
        dropout: 0,
        tieWeights: true,
      }),
    "tieWeights needs wordvecSize == hiddenSize, got 4 and 6",
  );
  assertThrows(
    () => new SimpleRnnlm(5, 4, 4, { params: [zeros([5, 4])] }),
    "LanguageModel: got 1 parameters, expected 6",
  );
  const model = new SimpleRnnlm(5, 4, 4);
  assertThrows(
    () => model.forward(IntTensor.from([[1, 5]]), IntTensor.from([[1, 2]])),
    "id 5",
  );
});
