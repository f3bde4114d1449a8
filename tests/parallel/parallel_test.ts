/**
 * Data-parallel training: the same numbers for any worker count, resumption across worker
 * counts, and every kind of worker fault reported (test sanitizers on: no worker, timer or
 * promise may outlive a test).
 */

import { getKernels } from "../../lib/engine/kernels.ts";
import { LanguageModel } from "../../lib/models/rnnlm.ts";
import { Momentum, SGD } from "../../lib/train/optimizers.ts";
import { shardRows } from "../../lib/parallel/shards.ts";
import { Rng } from "../../lib/random.ts";
import { PRESETS, type TrainConfig } from "../../lib/train/config.ts";
import { TrainingSession } from "../../lib/train/session.ts";
import { decodeSafetensors, encodeSafetensors } from "../../lib/models/safetensors.ts";
import { assertEquals, assertOk, assertRejects, assertThrows } from "../../lib/std/assert.ts";
import { IntTensor, type Tensor } from "../../lib/tensor.ts";
import { corpus, SHAPES } from "./_shapes.ts";
import { RnnlmTrainer, type TrainerOptions } from "../../lib/train/trainer.ts";

function trainerFor(shape: string, options: TrainerOptions): RnnlmTrainer {
  const model = new LanguageModel(SHAPES[shape], { rng: new Rng(7), maskSeed: 11 });
  return new RnnlmTrainer(model, new Momentum(0.1), options);
}

for (const shape of Object.keys(SHAPES)) {
  Deno.test(`${shape}-shaped model: parameters are bit-identical after every one of 50 steps for 1, 2 and 3 workers, losses match the unsharded trainer`, async () => {
    const ids = corpus(3000, 40);
    const xs = ids.subarray(0, -1), ts = ids.subarray(1);
    const N = 6, T = 5, shards = 3;
    const unsharded = trainerFor(shape, { shards: 1 });
    const runs = [1, 2, 3].map((workers) => trainerFor(shape, { workers, shards }));
    try {
      for (let step = 0; step < 50; step++) {
        const base = unsharded.getBatch(xs, ts, N, T);
        const ref = await unsharded.step(...base, 0.5);
        const out = [];
        for (const r of runs) {
          out.push(await r.step(...r.getBatch(xs, ts, N, T), 0.5));
        }
        const p1 = runs[0].model.paramBuffer.data;
        for (const [i, r] of runs.entries()) {
          const p = r.model.paramBuffer.data;
          const diff = p.findIndex((v, j) => !Object.is(v, p1[j]));
          assertEquals(diff, -1, `step ${step + 1}: ${i + 1} workers differ at float ${diff}`);
          assertEquals(out[i].loss, out[0].loss, `step ${step + 1}: loss with ${i + 1} workers`);
          assertEquals(out[i].gradNorm, out[0].gradNorm);
        }
        const rel = Math.abs(out[0].loss - ref.loss) / ref.loss;
        assertOk(rel < 1e-4, `step ${step + 1}: loss ${out[0].loss} vs unsharded ${ref.loss}`);
      }
      assertEquals(await Promise.all(runs.map((r) => r.threads())), [1, 2, 3]);
      assertEquals(runs.map((r) => r.shards), [3, 3, 3]);
    } finally {
      for (const r of [unsharded, ...runs]) await r.close();
    }
  });
}

Deno.test("shards weight their losses by counted tokens: ignored labels do not count", async () => {
  const make = (options: TrainerOptions) => {
    const model = new LanguageModel(SHAPES.simple, { rng: new Rng(1) });
    return new RnnlmTrainer(model, new SGD(0.1), options);
  };
  const xs = IntTensor.from([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 3, 5]]);
  // the first shard (rows 0-1) has 5 counted labels, the second (rows 2-3) only 2
  const ts = IntTensor.from([[2, 3, 4], [5, -1, 7], [-1, -1, 1], [3, -1, -1]]);
  const one = make({ shards: 1 }), two = make({ shards: 2, workers: 2 });
  try {
    const a = await one.step(xs, ts), b = await two.step(xs, ts);
    assertOk(Math.abs(a.loss - b.loss) / a.loss < 1e-6, `${a.loss} vs ${b.loss}`);
    assertOk(
      Math.abs(a.gradNorm - b.gradNorm) / a.gradNorm < 1e-5,
      `${a.gradNorm} vs ${b.gradNorm}`,
    );
    const pa = one.model.paramBuffer.data, pb = two.model.paramBuffer.data;
    let worst = 0;
    for (let i = 0; i < pa.length; i++) worst = Math.max(worst, Math.abs(pa[i] - pb[i]));
    assertOk(worst < 1e-7, `parameters after one update differ by ${worst}`);
  } finally {
    await one.close();
    await two.close();
  }
});

Deno.test("evaluation through the pool equals evalPerplexity on one thread", async () => {
  const ids = corpus(2000, 40);
  const a = trainerFor("lstm", { shards: 1 }), b = trainerFor("lstm", { workers: 2, shards: 2 });
  try {
    const pa = await a.evaluate(ids, 10, 7), pb = await b.evaluate(ids, 10, 7);
    assertOk(Math.abs(pa - pb) / pa < 1e-5, `${pa} vs ${pb}`);
    assertOk(pa > 20 && pa < 60, `untrained: near the vocabulary size, got ${pa}`);
  } finally {
    await a.close();
    await b.close();
  }
});

/** A small run's configuration (the lstm preset's policy on a tiny model). */
function tinyConfig(): TrainConfig {
  return {
    ...PRESETS.better,
    preset: "better",
    wordvec: 12,
    hidden: 12,
    batch: 6,
    time: 5,
    epochs: 2,
    lr: 5,
    seed: 3,
    saveEvery: 0,
    corpusSize: 0,
    evalInterval: 5,
  };
}

Deno.test("a run saved with 2 workers resumes with 1 or 3 and continues exactly as the uninterrupted run", async () => {
  const ids = corpus(1400, 30);
  const data = {
    train: ids,
    valid: corpus(800, 30, 9),
    words: Array.from({ length: 30 }, (_, i) => `w${i}`),
    notes: [],
  };
  const quiet = { log() {}, metric() {}, save() {} };
  const config = tinyConfig();
  const shards = 3;
  // uninterrupted, 2 workers
  const whole = TrainingSession.create(config, data, { workers: 2, shards });
  await whole.run(quiet);
  const expected = whole.model.paramBuffer.data.slice();
  await whole.close();
  // stopped mid-epoch with 2 workers, saved through the file format, resumed with 1 and 3
  const first = TrainingSession.create(config, data, { workers: 2, shards, stopAfter: 30 });
  assertEquals((await first.run(quiet)).kind, "stopped");
  const bytes = encodeSafetensors(
    (await first.checkpointData()).tensors,
    (await first.checkpointData()).metadata,
  );
  await first.close();
  for (const workers of [1, 3]) {
    const ckpt = decodeSafetensors(bytes);
    const resumed = await TrainingSession.resume(ckpt, config, data, { workers, shards });
    try {
      assertEquals(resumed.trainer.state.step, 30);
      assertEquals((await resumed.run(quiet)).kind, "done");
      const p = resumed.model.paramBuffer.data;
      const diff = p.findIndex((v, j) => !Object.is(v, expected[j]));
      assertEquals(diff, -1, `resumed with ${workers} workers: differs at float ${diff}`);
      assertEquals(await resumed.trainer.threads(), workers);
    } finally {
      await resumed.close();
    }
  }
});

const FAULTS = [
  ["throw", /worker 1 failed \(run\): injected fault in worker 1/],
  ["crash", /worker 1 died: .*injected crash in worker 1/],
  ["garbage", /worker 1 sent an unexpected message: unknown kind "surprise"/],
  ["hang", /worker 1 did not answer a "run" request within 1\.5 s/],
  ["exit", /worker 1 did not answer a "run" request within 1\.5 s/],
] as const;

for (const [kind, message] of FAULTS) {
  Deno.test(`a worker fault (${kind}) rejects the step with a message naming the worker, and the pool stops`, async () => {
    const ids = corpus(600, 40);
    const trainer = trainerFor("simple", {
      workers: 2,
      shards: 2,
      pool: { timeout: 1500, fault: { worker: 1, kind, at: 2 } },
    });
    try {
      const [bx, bt] = trainer.getBatch(ids, ids, 4, 5);
      await trainer.step(bx, bt); // the first request goes through
      const error = await assertRejects(() => trainer.step(bx, bt), message);
      if (kind === "throw") assertOk(error.stack?.includes("[worker 1]"), error.stack);
      // the pool is gone: the next step fails at once with the same error
      await assertRejects(() => trainer.step(bx, bt), message);
    } finally {
      await trainer.close();
    }
  });
}

Deno.test("a worker that fails mid-run stops the run with its message; the last checkpoint saved resumes", async () => {
  const ids = corpus(1400, 30);
  const data = { train: ids, words: Array.from({ length: 30 }, (_, i) => `w${i}`), notes: [] };
  const config = { ...tinyConfig(), saveEvery: 10, decay: false };
  let saved: Uint8Array | undefined;
  const hooks = {
    log() {},
    metric() {},
    save(
      _: string,
      d: { tensors: Record<string, Tensor | IntTensor>; metadata: Record<string, string> },
    ) {
      saved = encodeSafetensors(d.tensors, d.metadata); // as a file on disk would hold it
    },
  };
  const session = TrainingSession.create(config, data, {
    workers: 2,
    shards: 2,
    pool: { fault: { worker: 0, kind: "throw", at: 25 } },
  });
  try {
    await assertRejects(() => session.run(hooks), "worker 0 failed (run): injected fault");
  } finally {
    await session.close();
  }
  const ckpt = decodeSafetensors(saved!);
  assertEquals(ckpt.metadata.step, "20", "the checkpoint of iteration 20 is the last one");
  const resumed = await TrainingSession.resume(ckpt, config, data, { workers: 2, stopAfter: 30 });
  try {
    assertEquals((await resumed.run(hooks)).kind, "stopped");
  } finally {
    await resumed.close();
  }
});

Deno.test("shardRows cuts rows evenly and refuses more shards than rows", () => {
  assertEquals(shardRows(20, 2), [[0, 10], [10, 20]]);
  assertEquals(shardRows(7, 3), [[0, 3], [3, 5], [5, 7]]);
  assertThrows(() => shardRows(2, 3), "shards is 3, expected an integer from 1 to the 2 rows");
});

Deno.test("without SharedArrayBuffer, training runs on one thread, says why, and trains the same numbers", async () => {
  const script = new URL("./_no_shared_memory.ts", import.meta.url).pathname;
  const backend = getKernels().name === "js" ? "js" : "wasm";
  const out = await new Deno.Command("deno", {
    args: ["run", "--allow-read", script, backend],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const report = JSON.parse(text);
  assertEquals(report.threads, 1);
  assertOk(/one thread: SharedArrayBuffer is missing/.test(report.notice), report.notice);
  // the same shards on one thread, in this process with shared memory and 2 workers
  const ids = corpus(600, 40);
  const trainer = trainerFor("lstm", { workers: 2, shards: 2 });
  try {
    for (let i = 0; i < 5; i++) {
      await trainer.step(...trainer.getBatch(ids.subarray(0, -1), ids.subarray(1), 4, 5));
    }
    assertEquals(report.params, Array.from(trainer.model.paramBuffer.data.subarray(0, 50)));
  } finally {
    await trainer.close();
  }
});
