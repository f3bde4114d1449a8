import { SimpleRnnlm } from "../../lib/models/rnnlm.ts";
import { SGD } from "../../lib/train/optimizers.ts";
import {
  assertEquals,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "../../lib/std/assert.ts";
import { evalPerplexity, RnnlmTrainer } from "../../lib/train/trainer.ts";
import { assertAllClose, I, loadFixture, T } from "../_helpers.ts";

Deno.test("the trainer reproduces the reference's perplexity at every iteration", async () => {
  const f = loadFixture("train_simple_rnnlm");
  const corpus = I(f.corpus).data;
  const model = new SimpleRnnlm(f.vocab_size, f.wordvec_size, f.hidden_size, {
    params: f.params.map(T),
  });
  const trainer = new RnnlmTrainer(model, new SGD(f.lr));
  const ppl = await trainer.fit(corpus.subarray(0, -1), corpus.subarray(1), {
    maxEpoch: f.max_epoch,
    batchSize: f.batch_size,
    timeSize: f.time_size,
    evalInterval: f.eval_interval,
  });
  assertEquals(ppl.length, f.ppl_list.length);
  // 21 SGD steps compound float32 rounding differences; 1e-3 relative is the bound.
  ppl.forEach((p, i) => assertAllClose(p, f.ppl_list[i], `train ppl[${i}]`, { rtol: 1e-3 }));
});

Deno.test("the trainer resumes exactly from a saved state", async () => {
  const f = loadFixture("train_simple_rnnlm");
  const corpus = I(f.corpus).data;
  const xs = corpus.subarray(0, -1), ts = corpus.subarray(1);
  const opts = { batchSize: 5, timeSize: 5, evalInterval: 1 };
  const make = () =>
    new SimpleRnnlm(f.vocab_size, f.wordvec_size, f.hidden_size, { params: f.params.map(T) });
  const full = new RnnlmTrainer(make(), new SGD(0.1));
  const all = await full.fit(xs, ts, { ...opts, maxEpoch: 3 });
  // Stop after 10 iterations, then continue with a new model and trainer from a copy.
  const first = new RnnlmTrainer(make(), new SGD(0.1));
  await first.fit(xs, ts, { ...opts, maxEpoch: 3, onIteration: ({ step }) => step < 10 });
  const model2 = make();
  model2.paramBuffer.copyFrom(first.model.paramBuffer);
  const h = first.model.rnnLayers[0].h!;
  model2.rnnLayers[0].setState(h);
  const second = new RnnlmTrainer(model2, new SGD(0.1));
  second.state = structuredClone(first.state);
  const rest = await second.fit(xs, ts, {
    ...opts,
    maxEpoch: 3 - second.state.epoch,
    resume: true,
  });
  assertEquals([...first.pplList, ...rest], all);
});

Deno.test("each fit call starts afresh, as the reference's: a per-epoch loop rereads from the start", async () => {
  const f = loadFixture("train_simple_rnnlm");
  const corpus = I(f.corpus).data;
  const xs = corpus.subarray(0, -1), ts = corpus.subarray(1);
  const opts = { batchSize: 5, timeSize: 5, evalInterval: 1, maxEpoch: 1 };
  const make = () =>
    new RnnlmTrainer(
      new SimpleRnnlm(f.vocab_size, f.wordvec_size, f.hidden_size, { params: f.params.map(T) }),
      new SGD(0.1),
    );
  // train_better_rnnlm.py's loop: fit(max_epoch=1) once per epoch
  const loop = make();
  const epoch1 = [...(await loop.fit(xs, ts, opts))];
  const epoch2 = [...(await loop.fit(xs, ts, opts))];
  assertEquals([loop.state.epoch, loop.state.step, epoch2.length], [2, 14, 7]);
  // the same as resuming with timeIdx set back to 0 by hand
  const manual = make();
  await manual.fit(xs, ts, opts);
  manual.state.timeIdx = 0;
  assertEquals((await manual.fit(xs, ts, { ...opts, resume: true })).slice(7), epoch2);
  // and not what one two-epoch call does (its second epoch reads on from timeIdx 35)
  const once = await make().fit(xs, ts, { ...opts, maxEpoch: 2 });
  assertEquals(once.slice(0, 7), epoch1);
  assertNotEquals(once.slice(7), epoch2);
});

Deno.test("fit and evalPerplexity reject sizes that are not positive integers, naming them", async () => {
  const model = new SimpleRnnlm(10, 4, 4);
  const trainer = new RnnlmTrainer(model, new SGD(0.1));
  const data = new Int32Array(100);
  await assertRejects(
    () => trainer.fit(data, data, { batchSize: 0 }),
    "RnnlmTrainer.fit: batchSize is 0, expected an integer ≥ 1",
  );
  await assertRejects(() => trainer.fit(data, data, { timeSize: 2.5 }), "timeSize is 2.5");
  await assertRejects(() => trainer.fit(data, data, { evalInterval: 0 }), "evalInterval is 0");
  await assertRejects(() => trainer.fit(data, data, { maxEpoch: -1 }), "maxEpoch is -1");
  await assertRejects(() => trainer.fit(data, data, { maxGrad: 0 }), "maxGrad is 0");
  assertThrows(
    () => evalPerplexity(model, data, 0, 5),
    "evalPerplexity: batchSize is 0, expected an integer ≥ 1",
  );
});

Deno.test("the trainer and evalPerplexity name a corpus too small for one batch", async () => {
  const model = new SimpleRnnlm(10, 4, 4);
  const trainer = new RnnlmTrainer(model, new SGD(0.1));
  const tiny = new Int32Array(20);
  await assertRejects(
    () => trainer.fit(tiny, tiny, { batchSize: 5, timeSize: 5 }),
    "RnnlmTrainer.fit: the corpus has 20 ids, fewer than one batch of 5×5",
  );
  await assertRejects(() => trainer.fit(tiny, tiny.subarray(1)), "xs has 20 ids but ts has 19");
  assertThrows(() => evalPerplexity(model, tiny, 5, 5), "fewer than one batch of 5×5+1");
});
