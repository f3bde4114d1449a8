import {
  AttentionDecoder,
  AttentionEncoder,
  AttentionSeq2seq,
  Decoder,
  Encoder,
  PeekyDecoder,
  PeekySeq2seq,
  Seq2seq,
  seq2seqModel,
  seq2seqParamSpecs,
} from "../../lib/models/seq2seq.ts";
import { gradCheck } from "../../lib/layers/gradcheck.ts";
import { Rng } from "../../lib/random.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";
import { IntTensor } from "../../lib/tensor.ts";
import { assertAllClose, type Fixture, I, loadFixture, T } from "../_helpers.ts";

const sizes = (f: Fixture) => [f.sizes.V, f.sizes.D, f.sizes.H] as [number, number, number];

Deno.test("Encoder: h, hs and every gradient match the reference", () => {
  const f = loadFixture("seq2seq/encoder");
  const encoder = new Encoder(...sizes(f), { params: f.params.map(T) });
  assertAllClose(encoder.forward(I(f.xs)), f.h, "h");
  assertAllClose(encoder.hs!, f.hs, "hs");
  encoder.backward(T(f.dh));
  encoder.grads.forEach((g, i) => assertAllClose(g, f.grads[i], `grad ${i}`));
});

Deno.test("AttentionEncoder: hs and every gradient match the reference", () => {
  const f = loadFixture("seq2seq/attention_encoder");
  const encoder = new AttentionEncoder(...sizes(f), { params: f.params.map(T) });
  assertAllClose(encoder.forward(I(f.xs)), f.hs, "hs");
  encoder.backward(T(f.dhs));
  encoder.grads.forEach((g, i) => assertAllClose(g, f.grads[i], `grad ${i}`));
});

for (
  const [name, Dec, state, back] of [
    ["decoder", Decoder, "h", "dh"],
    ["peeky_decoder", PeekyDecoder, "h", "dh"],
    ["attention_decoder", AttentionDecoder, "enc_hs", "denc_hs"],
  ] as const
) {
  Deno.test(`${name}: score, what backward returns, every gradient and generate match the reference`, () => {
    const f = loadFixture(`seq2seq/${name}`);
    const decoder = new Dec(...sizes(f), { params: f.params.map(T) });
    assertAllClose(decoder.forward(I(f.xs), T(f[state])), f.score, "score");
    assertAllClose(decoder.backward(T(f.dscore)), f[back], back);
    decoder.grads.forEach((g, i) => assertAllClose(g, f.grads[i], `grad ${i}`));
    const g = f.generate;
    assertEquals(decoder.generate(T(g[state]), g.start_id, g.sample_size), g.sampled);
  });
}

for (
  const [name, Model] of [
    ["seq2seq", Seq2seq],
    ["peeky_seq2seq", PeekySeq2seq],
    ["attention_seq2seq", AttentionSeq2seq],
  ] as const
) {
  Deno.test(`${name}: loss, every gradient and generate match the reference`, () => {
    const f = loadFixture(`seq2seq/${name}`);
    const model = new Model(...sizes(f), { params: f.params.map(T) });
    assertEquals(
      model.params.map((p) => p.shape),
      f.params.map((p: { shape: number[] }) => p.shape),
    );
    assertAllClose(model.forward(I(f.xs), I(f.ts)), f.loss, "loss");
    model.backward();
    model.grads.forEach((g, i) => assertAllClose(g, f.grads[i], `grad ${model.names[i]}`));
    const g = f.generate;
    assertEquals(model.generate(I(g.xs), g.start_id, g.sample_size), g.sampled);
    // a second forward of the same batch gives the same loss: nothing carries over
    assertAllClose(model.forward(I(f.xs), I(f.ts)), f.loss, "loss again");
  });
}

Deno.test("every model's gradients pass the numerical check", () => {
  for (const kind of ["seq2seq", "peeky", "attention"] as const) {
    const model = seq2seqModel({ model: kind, vocabSize: 7, wordvecSize: 3, hiddenSize: 4 }, {
      rng: new Rng(2),
    });
    // embeddings large enough that every gradient is well above rounding
    for (const i of [0, 4]) {
      for (let j = 0; j < model.params[i].size; j++) model.params[i].data[j] *= 50;
    }
    const xs = IntTensor.from([[1, 2, 3, 4], [5, 6, 0, 1]]);
    const ts = IntTensor.from([[6, 2, 3], [6, 4, 5]]);
    model.forward(xs, ts);
    model.backward();
    const targets = model.params.map((p, i) => ({
      name: `${kind} ${model.names[i]}`,
      value: p,
      grad: model.grads[i].clone(),
    }));
    for (const r of gradCheck(() => model.forward(xs, ts), targets, { maxChecks: 12 })) {
      assertOk(r.maxRelError < 2e-2, JSON.stringify(r));
    }
  }
});

Deno.test("batched generation gives each row's single-question answer", () => {
  for (const kind of ["seq2seq", "peeky", "attention"] as const) {
    const model = seq2seqModel({ model: kind, vocabSize: 9, wordvecSize: 4, hiddenSize: 6 }, {
      rng: new Rng(7),
    });
    const xs = IntTensor.from([[1, 2, 3], [4, 5, 6], [7, 8, 0]]);
    const all = model.generateBatch(xs, 3, 5);
    assertEquals(all.shape, [3, 5]);
    for (let n = 0; n < 3; n++) {
      assertEquals(model.generate(xs.rows(n, n + 1), 3, 5), [
        ...all.data.subarray(5 * n, 5 * n + 5),
      ]);
    }
  }
});

Deno.test("parameters and gradients are views of one buffer each, named in the reference's order", () => {
  const model = new AttentionSeq2seq(13, 16, 8);
  for (const p of model.params) assertOk(p.block === model.paramBuffer.block);
  for (const g of model.grads) assertOk(g.block === model.gradBuffer.block);
  assertEquals(model.names, seq2seqParamSpecs(model.config).map((s) => s.name));
  assertEquals(model.names.slice(0, 5), [
    "encoder.embed_W",
    "encoder.lstm_Wx",
    "encoder.lstm_Wh",
    "encoder.lstm_b",
    "decoder.embed_W",
  ]);
});

Deno.test("seq2seq models name bad input", () => {
  const model = new Seq2seq(13, 4, 5);
  const xs = IntTensor.from([[1, 2, 3]]);
  assertThrows(
    () => model.forward(xs, IntTensor.from([[1, 2], [3, 4]])),
    "Seq2seq.forward: ts has shape [2,2], expected [N=1,Tt]",
  );
  assertThrows(
    () => model.forward(xs, IntTensor.from([[1]])),
    "ts has 1 column(s), expected at least 2",
  );
  assertThrows(() => model.forward(xs, IntTensor.from([[1, 13]])), "13");
  assertThrows(
    () => model.generate(IntTensor.from([[1], [2]]), 0, 3),
    "Seq2seq.generate: xs has shape [2,1], expected [1,T]",
  );
  assertThrows(() => model.generate(xs, 13, 3), "startId is 13, expected an id in [0, 13)");
  assertThrows(() => model.generate(xs, 1, -1), "sampleSize is -1");
  assertThrows(() => new Seq2seq(13, 0, 5), "Seq2seq: wordvecSize is 0, expected an integer >= 1");
  assertThrows(
    () => new PeekySeq2seq(13, 4, 5, { params: new Seq2seq(13, 4, 5).params }),
    "PeekySeq2seq: decoder.lstm_Wx has shape [4,20], expected [9,20]",
  );
  assertThrows(() => model.backward.call(new Seq2seq(13, 4, 5)), "no forward pass");
});
