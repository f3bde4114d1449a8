/**
 * Trains 5 steps with `workers: 2` where `SharedArrayBuffer` does not exist (as in a browser
 * page that is not cross-origin isolated); prints the threads used, the notice and the first
 * parameters as JSON. Run by parallel_test.ts in a process of its own.
 */

// deno-lint-ignore no-explicit-any
delete (globalThis as any).SharedArrayBuffer;

const { selectBackend, setKernels } = await import("../../lib/engine/kernels.ts");
setKernels(selectBackend(Deno.args[0] === "js" ? "js" : "wasm"));
const { LanguageModel } = await import("../../lib/models/rnnlm.ts");
const { Momentum } = await import("../../lib/train/optimizers.ts");
const { Rng } = await import("../../lib/random.ts");
const { RnnlmTrainer } = await import("../../lib/train/trainer.ts");

const { corpus, SHAPES } = await import("./_shapes.ts");
const ids = corpus(600, 40);
const model = new LanguageModel(SHAPES.lstm, { rng: new Rng(7), maskSeed: 11 });
const trainer = new RnnlmTrainer(model, new Momentum(0.1), { workers: 2, shards: 2 });
for (let i = 0; i < 5; i++) {
  await trainer.step(...trainer.getBatch(ids.subarray(0, -1), ids.subarray(1), 4, 5));
}
console.log(JSON.stringify({
  threads: await trainer.threads(),
  notice: trainer.notice,
  params: Array.from(model.paramBuffer.data.subarray(0, 50)),
}));
await trainer.close();
