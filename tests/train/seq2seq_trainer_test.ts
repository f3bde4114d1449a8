import { PeekySeq2seq, Seq2seq, seq2seqModel } from "../../lib/models/seq2seq.ts";
import { Adam, SGD } from "../../lib/train/optimizers.ts";
import {
  evalSeq2seq,
  permutation,
  seq2seqAccuracy,
  Trainer,
} from "../../lib/train/seq2seq_trainer.ts";
import { Rng } from "../../lib/random.ts";
import { seq2seqDefaults, Seq2seqSession } from "../../lib/train/seq2seq_run.ts";
import { sequenceSample } from "../../lib/data/sequence_sample.ts";
import { assertEquals, assertOk, assertRejects, assertThrows } from "../../lib/std/assert.ts";
import { IntTensor } from "../../lib/tensor.ts";
import { assertAllClose, I, loadFixture, T } from "../_helpers.ts";

Deno.test("Trainer replays the reference's PeekySeq2seq run: every iteration's loss and the final parameters", async () => {
  const f = loadFixture("seq2seq/train_peeky_seq2seq");
  const model = new PeekySeq2seq(f.vocab_size, f.wordvec_size, f.hidden_size, {
    params: f.params.map(T),
  });
  const trainer = new Trainer(model, new Adam(0.01));
  const losses = await trainer.fit(I(f.x_train), I(f.t_train), {
    maxEpoch: 3,
    batchSize: 64,
    maxGrad: 5,
    evalInterval: 1,
    permutation: (epoch) => f.perms[epoch],
  });
  assertEquals(losses.length, f.loss_list.length);
  // rtol 2e-3 (the bound for 30 Adam steps in float32); measured: within 2e-7
  losses.forEach((loss, i) =>
    assertAllClose(loss, f.loss_list[i], `loss of iteration ${i + 1}`, { rtol: 2e-3 })
  );
  model.params.forEach((p, i) =>
    assertAllClose(p, f.params_after[i], `${model.names[i]} after 3 epochs`, {
      rtol: 2e-2,
      atol: 2e-4,
    })
  );
  assertEquals(trainer.state, { epoch: 3, iter: 0, step: 30, totalLoss: 0, lossCount: 0 });
  await trainer.close();
});

Deno.test("the default shuffle is a permutation keyed by the seed and the epoch", () => {
  const a = permutation(100, Rng.keyed(3, 0)), b = permutation(100, Rng.keyed(3, 1));
  assertEquals([...a].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assertOk(a.join() !== b.join());
  assertEquals(permutation(100, Rng.keyed(3, 0)), a);
});

/** A small copy task: the answer is the question. */
function copyTask(n: number, rng: Rng): [IntTensor, IntTensor] {
  const x = new Int32Array(n * 3), t = new Int32Array(n * 4);
  for (let i = 0; i < n; i++) {
    t[i * 4] = 9;
    for (let j = 0; j < 3; j++) x[i * 3 + j] = t[i * 4 + 1 + j] = rng.int(9);
  }
  return [new IntTensor(x, [n, 3]), new IntTensor(t, [n, 4])];
}

Deno.test("a stopped fit resumed from its state ends where an uninterrupted one does", async () => {
  const [x, t] = copyTask(96, new Rng(1));
  const run = async (stopAt?: number) => {
    const model = new Seq2seq(10, 6, 12, { rng: new Rng(2) });
    const trainer = new Trainer(model, new SGD(0.5), { seed: 4 });
    for (let epoch = 0; epoch < 2; epoch++) {
      await trainer.fit(x, t, {
        maxEpoch: 1,
        batchSize: 16,
        onIteration: ({ step }) => step !== stopAt,
      });
      if (trainer.state.iter !== 0) {
        await trainer.fit(x, t, { maxEpoch: 1, batchSize: 16, resume: true });
      }
    }
    await trainer.close();
    return model.paramBuffer.data.slice();
  };
  assertEquals(await run(3), await run());
});

Deno.test("Trainer learns the copy task and seq2seqAccuracy agrees with evalSeq2seq", async () => {
  const [x, t] = copyTask(512, new Rng(5));
  const model = seq2seqModel({ model: "attention", vocabSize: 10, wordvecSize: 8, hiddenSize: 32 });
  const trainer = new Trainer(model, new Adam(0.02), { seed: 1 });
  await trainer.fit(x, t, { maxEpoch: 12, batchSize: 32, maxGrad: 5 });
  await trainer.close();
  const { accuracy, right } = seq2seqAccuracy(model, x, t, { batchSize: 100 });
  assertOk(accuracy > 0.9, `accuracy ${accuracy}`);
  const decode = (ids: ArrayLike<number>) => Array.from(ids, String).join("");
  for (let i = 0; i < 20; i++) {
    const r = evalSeq2seq(model, x.rows(i, i + 1), t.rows(i, i + 1), decode);
    assertEquals(r.ok, right[i] === 1, `question ${i}`);
    assertEquals(r.correct, decode(t.data.subarray(i * 4 + 1, i * 4 + 4)));
  }
  const r = evalSeq2seq(
    model,
    IntTensor.from([[1, 2, 3]]),
    IntTensor.from([[9, 1, 2, 3]]),
    decode,
    {
      reverse: true,
    },
  );
  assertEquals(r.question, "321");
});

Deno.test("Trainer.fit names bad data and options", async () => {
  const trainer = new Trainer(new Seq2seq(10, 4, 4), new SGD(0.1));
  const [x, t] = copyTask(8, new Rng(0));
  await assertRejects(
    () => trainer.fit(x, t, { batchSize: 16 }),
    "8 questions, fewer than one batch of 16",
  );
  await assertRejects(
    () => trainer.fit(x, t.rows(0, 4), { batchSize: 2 }),
    "expected [n,T] and [n,Tt] (the same n)",
  );
  await assertRejects(
    () =>
      trainer.fit(x, IntTensor.from(Array.from({ length: 8 }, () => [9, 10])), { batchSize: 2 }),
    "t holds 10 at 1, expected ids in [0, 10)",
  );
  await assertRejects(
    () => trainer.fit(x, t, { batchSize: 2, permutation: () => [0, 1, 2, 3, 4, 5, 6, 6] }),
    "the permutation's entry 7 is 6, expected each of 0 … 7 once",
  );
  await assertRejects(() => trainer.fit(x, t, { maxGrad: 0 }), "maxGrad is 0");
  assertThrows(
    () => new Trainer(new Seq2seq(10, 4, 4), new SGD(0.1), { workers: 0 }),
    "workers is 0",
  );
  await trainer.close();
});

for (const kind of ["seq2seq", "peeky", "attention"] as const) {
  Deno.test(`${kind}: parameters are bit-identical after every step for 1, 2 and 3 workers over 3 shards`, async () => {
    const [x, t] = copyTask(48, new Rng(8));
    const runs = [1, 2, 3].map((workers) => {
      const model = seq2seqModel({ model: kind, vocabSize: 10, wordvecSize: 6, hiddenSize: 16 }, {
        rng: new Rng(3),
      });
      return new Trainer(model, new Adam(0.01), { workers, shards: 3, seed: 2 });
    });
    const params: Float32Array[][] = runs.map(() => []);
    for (const [i, trainer] of runs.entries()) {
      await trainer.fit(x, t, {
        maxEpoch: 2,
        batchSize: 24,
        maxGrad: 1,
        onIteration: () => void params[i].push(trainer.model.paramBuffer.data.slice()),
      });
      assertEquals(await trainer.threads(), i + 1);
      await trainer.close();
    }
    assertEquals(params[0].length, 4);
    for (let i = 1; i < 3; i++) {
      params[i].forEach((p, step) => {
        const diff = p.findIndex((v, j) => !Object.is(v, params[0][step][j]));
        assertEquals(diff, -1, `step ${step + 1}: ${i + 1} workers differ at float ${diff}`);
      });
    }
  });
}

Deno.test("a worker that fails mid-fit rejects it with a message naming the worker; the next step fails alike", async () => {
  const [x, t] = copyTask(32, new Rng(9));
  const model = seq2seqModel({ model: "peeky", vocabSize: 10, wordvecSize: 4, hiddenSize: 8 });
  const trainer = new Trainer(model, new Adam(0.01), {
    workers: 2,
    shards: 2,
    pool: { timeout: 1500, fault: { worker: 1, kind: "throw", at: 2 } },
  });
  try {
    const message = /worker 1 failed \(run\): injected fault in worker 1/;
    await assertRejects(() => trainer.fit(x, t, { batchSize: 16, maxEpoch: 2 }), message);
    assertEquals(trainer.state.step, 1); // the first step went through
    await assertRejects(() => trainer.step(x.rows(0, 16), t.rows(0, 16)), message);
  } finally {
    await trainer.close();
  }
});

Deno.test("a run checkpointed at an epoch's last iteration, before the epoch ended, resumes as the whole run", async () => {
  const data = { ...sequenceSample("addition", { reverse: true }), notes: [] };
  const config = { ...seq2seqDefaults("addition"), hidden: 8, batch: 300, epochs: 2, examples: 0 };
  const hooks = { log() {}, metric() {}, save() {} };
  const whole = Seq2seqSession.create(config, data);
  await whole.run(hooks);
  await whole.close();
  // what an older saiki saved when --stop-after fell on an epoch's last iteration: iter = 3 of 3
  const part = Seq2seqSession.create(config, data);
  await part.trainer.fit(data.xTrain, data.tTrain, {
    maxEpoch: 1,
    batchSize: 300,
    maxGrad: 5,
    onIteration: ({ iter }) => iter < 3,
  });
  assertEquals(part.trainer.state, { ...part.trainer.state, epoch: 0, iter: 3 });
  const resumed = Seq2seqSession.resume(part.checkpointData(), config, data);
  await part.close();
  await resumed.run(hooks);
  await resumed.close();
  assertEquals(resumed.model.paramBuffer.data, whole.model.paramBuffer.data);
  assertEquals(resumed.accList, whole.accList);
});
