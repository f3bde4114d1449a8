// Bad input to the library's entry points: every case gets a SaikiError whose message names the
// argument, what it was and what was expected — before anything is allocated or read.
import { generate, type GenerateOptions } from "../../lib/models/generate.ts";
import {
  BetterRnnlm,
  checkConfig,
  ENGINE_MAX_BYTES,
  initParams,
  LanguageModel,
  type LanguageModelConfig,
  modelBytes,
  paramCount,
  paramSpecs,
  Rnnlm,
  SimpleRnnlm,
} from "../../lib/models/rnnlm.ts";
import { Embedding, TimeEmbedding } from "../../lib/layers/embedding.ts";
import { SoftmaxWithLoss, TimeSoftmaxWithLoss } from "../../lib/layers/softmax.ts";
import { checkpointConfig, modelCheckpoint } from "../../lib/train/checkpoint.ts";
import { estimateRunBytes, MAX_RUN_BYTES, modelConfig, PRESETS } from "../../lib/train/config.ts";
import { SaikiError } from "../../lib/errors.ts";
import { Rng } from "../../lib/random.ts";
import { IntTensor, sizeOf, Tensor, tensor, zeros } from "../../lib/tensor.ts";
import { assertEquals, assertOk } from "../../lib/std/assert.ts";

/** Runs `fn`, which must throw a SaikiError with exactly `message`. */
function assertSaikiError(fn: () => unknown, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assertOk(caught !== undefined, `expected "${message}", nothing was thrown`);
  assertOk(
    caught instanceof SaikiError,
    `expected a SaikiError "${message}", got ${caught instanceof Error ? caught.stack : caught}`,
  );
  assertEquals(caught.message, message);
}

/** Runs `fn`, which must throw a SaikiError whose message matches `pattern`; returns it. */
function assertSaikiErrorMatching(fn: () => unknown, pattern: RegExp): SaikiError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assertOk(caught instanceof SaikiError, `expected a SaikiError matching ${pattern}: ${caught}`);
  assertOk(pattern.test(caught.message), `expected ${pattern}, got: ${caught.message}`);
  return caught;
}

// deno-lint-ignore no-explicit-any
const anyValue = (v: unknown) => v as any;

// ---------------------------------------------------------------------------------------------
// 1. model sizes are checked before anything is allocated

Deno.test("new Rnnlm(2 ** 27, 16, 16) is refused at once with its sizes and the engine's limit", () => {
  const start = performance.now();
  assertSaikiError(
    () => new Rnnlm(2 ** 27, 16, 16),
    "LanguageModel: vocabSize 134217728 × wordvecSize 16 (embedding), hiddenSize 16 × " +
      "vocabSize 134217728 (output) and 1 lstm layer of hiddenSize 16 make 4429187136 " +
      "parameters; the model needs 33.0 GiB of parameters and gradients; the engine's memory " +
      "holds at most 4 GiB (lower vocabSize, wordvecSize, hiddenSize or layers)",
  );
  const ms = performance.now() - start;
  // a guard against drawing 16 GB of parameters first (that took 316 s), not a benchmark
  assertOk(ms < 2000, `refusing took ${ms.toFixed(0)} ms`);
});

Deno.test("every model class and initParams refuse a model too large for the engine, at once", () => {
  const start = performance.now();
  assertSaikiError(
    () => new BetterRnnlm(2 ** 27),
    "LanguageModel: vocabSize 134217728 × wordvecSize 650 (embedding, tied to the output) and " +
      "2 lstm layers of hiddenSize 650 make 87382506128 parameters; the model needs 976.1 GiB " +
      "of parameters and gradients; the engine's memory holds at most 4 GiB (lower vocabSize, " +
      "wordvecSize, hiddenSize or layers)",
  );
  assertSaikiError(
    () => new SimpleRnnlm(1000, 30000, 30000),
    "LanguageModel: vocabSize 1000 × wordvecSize 30000 (embedding), hiddenSize 30000 × " +
      "vocabSize 1000 (output) and 1 rnn layer of hiddenSize 30000 make 1860031000 parameters; " +
      "the model needs 13.9 GiB of parameters and gradients; the engine's memory holds at most " +
      "4 GiB (lower vocabSize, wordvecSize, hiddenSize or layers)",
  );
  const wide: LanguageModelConfig = {
    vocabSize: 10000,
    wordvecSize: 8,
    hiddenSize: 8,
    cell: "gru",
    layers: 2 ** 24,
    dropout: 0,
    tieWeights: false,
  };
  for (const build of [() => new LanguageModel(wide), () => initParams(wide, new Rng(0))]) {
    assertSaikiError(
      build,
      "LanguageModel: vocabSize 10000 × wordvecSize 8 (embedding), hiddenSize 8 × vocabSize " +
        "10000 (output) and 16777216 gru layers of hiddenSize 8 make 6845274128 parameters; " +
        "the model needs 51.0 GiB of parameters and gradients; the engine's memory holds at " +
        "most 4 GiB (lower vocabSize, wordvecSize, hiddenSize or layers)",
    );
  }
  // a huge layer count is counted in closed form, not layer by layer
  assertSaikiErrorMatching(
    () => new LanguageModel({ ...wide, layers: 2 ** 50 }),
    /and 1125899906842624 gru layers of hiddenSize 8 make about [0-9.e+]+ parameters; the model needs/,
  );
  // sizes that multiply past 2^53 are still refused by size, not by overflow
  const error = assertSaikiErrorMatching(
    () => new Rnnlm(2 ** 52, 2 ** 52, 2 ** 52),
    /^LanguageModel: vocabSize 4503599627370496 × wordvecSize 4503599627370496 \(embedding\)/,
  );
  assertOk(
    error.message.includes(
      "make about 2.03e+32 parameters; the model needs 1.51e+24 GiB of parameters and gradients; the engine's memory holds at " +
        "most 4 GiB",
    ),
    error.message,
  );
  const ms = performance.now() - start;
  assertOk(ms < 2000, `refusing took ${ms.toFixed(0)} ms`);
});

Deno.test("sizes must be safe integers >= 1; other fields are checked by type", () => {
  const base: LanguageModelConfig = {
    vocabSize: 10,
    wordvecSize: 4,
    hiddenSize: 4,
    cell: "lstm",
    layers: 1,
    dropout: 0,
    tieWeights: false,
  };
  const cases: [Partial<Record<keyof LanguageModelConfig, unknown>>, string][] = [
    [{ vocabSize: 0 }, "LanguageModel: vocabSize is 0, expected an integer >= 1"],
    [{ vocabSize: -3 }, "LanguageModel: vocabSize is -3, expected an integer >= 1"],
    [{ wordvecSize: 1.5 }, "LanguageModel: wordvecSize is 1.5, expected an integer >= 1"],
    [{ hiddenSize: NaN }, "LanguageModel: hiddenSize is NaN, expected an integer >= 1"],
    [{ hiddenSize: Infinity }, "LanguageModel: hiddenSize is Infinity, expected an integer >= 1"],
    [{ layers: "2" }, 'LanguageModel: layers is "2", expected an integer >= 1'],
    [
      { vocabSize: 2 ** 53 },
      "LanguageModel: vocabSize is 9007199254740992, expected an integer >= 1 and below 2^53",
    ],
    [{ cell: "cnn" }, 'LanguageModel: cell is "cnn", expected "rnn", "lstm" or "gru"'],
    [{ cell: "toString" }, 'LanguageModel: cell is "toString", expected "rnn", "lstm" or "gru"'],
    [{ dropout: NaN }, "LanguageModel: dropout is NaN, expected a ratio in [0, 1)"],
    [{ dropout: "0.5" }, "LanguageModel: dropout is 0.5, expected a ratio in [0, 1)"],
    [{ tieWeights: "yes" }, "LanguageModel: tieWeights is yes, expected true or false"],
  ];
  for (const [change, message] of cases) {
    const config = anyValue({ ...base, ...change });
    assertSaikiError(() => checkConfig(config), message);
    assertSaikiError(() => new LanguageModel(config), message);
  }
  assertSaikiError(
    () => new LanguageModel(anyValue(undefined)),
    "LanguageModel: config is undefined, expected an object { vocabSize, wordvecSize, " +
      "hiddenSize, cell, layers, dropout, tieWeights }",
  );
  assertSaikiError(
    () => new Rnnlm(anyValue("100")),
    'LanguageModel: vocabSize is "100", expected an integer >= 1',
  );
});

Deno.test("paramCount is paramSpecs' sum, and the CLI's run estimate counts with it", () => {
  const configs: LanguageModelConfig[] = [
    checkConfig({
      ...modelConfig({ ...PRESETS.lstm, preset: "lstm", seed: 1, saveEvery: 0 }, 10000),
    }),
    {
      vocabSize: 7,
      wordvecSize: 3,
      hiddenSize: 5,
      cell: "rnn",
      layers: 1,
      dropout: 0,
      tieWeights: false,
    },
    {
      vocabSize: 9,
      wordvecSize: 4,
      hiddenSize: 4,
      cell: "gru",
      layers: 3,
      dropout: 0.5,
      tieWeights: true,
    },
    {
      vocabSize: 11,
      wordvecSize: 6,
      hiddenSize: 2,
      cell: "lstm",
      layers: 2,
      dropout: 0,
      tieWeights: false,
    },
  ];
  for (const config of configs) {
    const n = paramSpecs(config).reduce((s, p) => s + sizeOf(p.shape), 0);
    assertEquals(paramCount(config), n);
    // what the model allocates: parameters and gradients, a tied matrix's second gradient
    // included, each tensor padded to 64 bytes in its block
    const model = new LanguageModel(config);
    const allocated = 4 * (model.paramBuffer.size + model.gradBuffer.size);
    const padding = allocated - modelBytes(config);
    assertOk(
      padding >= 0 && padding < 64 * (model.params.length + model.grads.length),
      `${padding}`,
    );
  }
  // the lstm preset: (4 + 2 shards) copies of the parameters plus one batch's activations
  const lstm = { ...PRESETS.lstm, preset: "lstm", seed: 1, saveEvery: 0 };
  const m = modelConfig(lstm, 10000);
  const perToken = 2 * 100 + (2 * 400 + 4 * 100) + 3 * 10000;
  assertEquals(estimateRunBytes(lstm, m), 4 * (6 * paramCount(m) + 20 * 35 * perToken));
  assertEquals(paramCount(m), 10000 * 100 + 10000 + 100 * 10000 + (100 + 100 + 1) * 400);
  assertEquals(MAX_RUN_BYTES, ENGINE_MAX_BYTES);
  assertEquals(ENGINE_MAX_BYTES, 4 * 2 ** 30);
});

Deno.test("a checkpoint whose config is too large is refused by its metadata, before its tensors", () => {
  const data = modelCheckpoint(new Rnnlm(10, 4, 4));
  const config = { ...JSON.parse(data.metadata.config), vocabSize: 2 ** 27, wordvecSize: 16 };
  data.metadata.config = JSON.stringify({ ...config, hiddenSize: 16 });
  assertSaikiError(
    () => checkpointConfig(data, "big.safetensors"),
    'big.safetensors: metadata "config" is invalid: LanguageModel: vocabSize 134217728 × ' +
      "wordvecSize 16 (embedding), hiddenSize 16 × vocabSize 134217728 (output) and 1 lstm " +
      "layer of hiddenSize 16 make 4429187136 parameters; the model needs 33.0 GiB of " +
      "parameters and gradients; the engine's memory holds at most 4 GiB (lower vocabSize, " +
      "wordvecSize, hiddenSize or layers)",
  );
});

// ---------------------------------------------------------------------------------------------
// 2. generate checks every option

Deno.test("generate refuses every bad numeric option, naming the option and its value", () => {
  const model = new Rnnlm(10, 4, 4);
  const rng = new Rng(0);
  const cases: [Partial<GenerateOptions> | Record<string, unknown>, string][] = [
    [
      { sampleSize: -5 },
      "generate: sampleSize is -5, expected an integer in [1, 1000000] (the length of the " +
      "result, start word included)",
    ],
    [
      { sampleSize: 0 },
      "generate: sampleSize is 0, expected an integer in [1, 1000000] (the length of the " +
      "result, start word included)",
    ],
    [
      { sampleSize: 2.5 },
      "generate: sampleSize is 2.5, expected an integer in [1, 1000000] (the length of the " +
      "result, start word included)",
    ],
    [
      { sampleSize: NaN },
      "generate: sampleSize is NaN, expected an integer in [1, 1000000] (the length of the " +
      "result, start word included)",
    ],
    [
      { sampleSize: 1e6 + 1 },
      "generate: sampleSize is 1000001, expected an integer in [1, 1000000] (the length of " +
      "the result, start word included)",
    ],
    [
      { sampleSize: "10" },
      'generate: sampleSize is "10", expected an integer in [1, 1000000] (the length of the ' +
      "result, start word included)",
    ],
    [{ temperature: 0 }, "generate: temperature is 0, expected a finite number > 0"],
    [{ temperature: -1 }, "generate: temperature is -1, expected a finite number > 0"],
    [{ temperature: NaN }, "generate: temperature is NaN, expected a finite number > 0"],
    [{ temperature: Infinity }, "generate: temperature is Infinity, expected a finite number > 0"],
    [{ temperature: "1" }, 'generate: temperature is "1", expected a finite number > 0'],
    [{ topK: -1 }, "generate: topK is -1, expected an integer in [0, 10] (0: all words)"],
    [{ topK: 1.5 }, "generate: topK is 1.5, expected an integer in [0, 10] (0: all words)"],
    [{ topK: 11 }, "generate: topK is 11, expected an integer in [0, 10] (0: all words)"],
    [{ topK: NaN }, "generate: topK is NaN, expected an integer in [0, 10] (0: all words)"],
    [{ skipIds: [3, 10] }, "generate: skipIds[1] is 10, expected an id in [0, 10)"],
    [{ skipIds: [-1] }, "generate: skipIds[0] is -1, expected an id in [0, 10)"],
    [{ skipIds: [0, 0.5] }, "generate: skipIds[1] is 0.5, expected an id in [0, 10)"],
    [{ skipIds: ["2"] }, 'generate: skipIds[0] is "2", expected an id in [0, 10)'],
    [{ skipIds: 3 }, "generate: skipIds is 3, expected an array of ids"],
    [{ skipIds: "0,1" }, 'generate: skipIds is "0,1", expected an array of ids'],
    [{ skipIds: null }, "generate: skipIds is null, expected an array of ids"],
    [
      { skipIds: [...Array(10).keys()] },
      "generate: skipIds leave nothing to sample: every word is skipped (all 10 ids)",
    ],
    [{ rng: undefined }, "generate: rng is undefined, expected an Rng (e.g. new Rng(seed))"],
    [{ rng: 42 }, "generate: rng is 42, expected an Rng (e.g. new Rng(seed))"],
  ];
  for (const [change, message] of cases) {
    assertSaikiError(() => generate(model, 1, anyValue({ rng, ...change })), message);
  }
  for (const startId of [-1, 10, 1.5, NaN]) {
    assertSaikiError(
      () => generate(model, startId, { rng }),
      `generate: startId is ${startId}, expected an id in [0, 10)`,
    );
  }
  assertSaikiError(
    () => generate(model, anyValue("1"), { rng }),
    'generate: startId is "1", expected an id in [0, 10)',
  );
  assertSaikiError(
    () => generate(model, 1, anyValue(undefined)),
    "generate: options is undefined, expected an object { rng, sampleSize?, temperature?, " +
      "topK?, skipIds? }",
  );
  assertSaikiError(
    () => generate(anyValue({}), 1, { rng }),
    "generate: model is an object, expected a LanguageModel (e.g. new Rnnlm(V, D, H))",
  );
  assertSaikiError(
    () => generate(anyValue(undefined), 1, { rng }),
    "generate: model is undefined, expected a LanguageModel (e.g. new Rnnlm(V, D, H))",
  );
});

Deno.test("generate's limits are inclusive: sampleSize 1, topK = V, a tiny or large temperature", () => {
  const model = new Rnnlm(10, 4, 4, { rng: new Rng(3) });
  assertEquals(generate(model, 7, { rng: new Rng(0), sampleSize: 1 }), [7]);
  const all = generate(model, 7, { rng: new Rng(5), sampleSize: 20, topK: 10 });
  assertEquals(all, generate(model, 7, { rng: new Rng(5), sampleSize: 20, topK: 0 }));
  // a temperature so small that score / temperature overflows still follows the likeliest word
  const greedy = generate(model, 7, { rng: new Rng(1), sampleSize: 8, topK: 1 });
  assertEquals(
    generate(model, 7, { rng: new Rng(1), sampleSize: 8, temperature: Number.MIN_VALUE }),
    greedy,
  );
  const flat = generate(model, 7, { rng: new Rng(1), sampleSize: 8, temperature: 1e308 });
  assertOk(flat.length === 8 && flat.every((id) => Number.isInteger(id) && id >= 0 && id < 10));
  // a Set of ids is as good as an array
  const skipped = generate(model, 7, {
    rng: new Rng(2),
    sampleSize: 30,
    skipIds: anyValue(new Set([0, 1])),
  });
  assertOk(!skipped.slice(1).includes(0) && !skipped.slice(1).includes(1));
});

Deno.test("generate refuses a model whose scores are NaN instead of emitting the last word", () => {
  const model = new Rnnlm(10, 4, 4);
  model.params[model.params.length - 1].data[3] = NaN; // affine_b: every score of word 3
  assertSaikiError(
    () => generate(model, 1, { rng: new Rng(0), sampleSize: 5 }),
    "generate: the model's scores after 1 word(s) are not finite (largest NaN): its " +
      "parameters hold NaN or infinity",
  );
});

// ---------------------------------------------------------------------------------------------
// 3. ids must be IntTensors

Deno.test("models take ids as IntTensors only, and say so before reading them", () => {
  const xs = IntTensor.from([[1, 2, 3]]), ts = IntTensor.from([[2, 3, 4]]);
  const floats = tensor([[1, 2, 3]]);
  const models: [string, LanguageModel][] = [
    ["Rnnlm", new Rnnlm(10, 4, 4)],
    ["SimpleRnnlm", new SimpleRnnlm(10, 4, 4)],
    ["BetterRnnlm", new BetterRnnlm(10, 4, 4)],
    [
      "LanguageModel",
      new LanguageModel({
        vocabSize: 10,
        wordvecSize: 4,
        hiddenSize: 4,
        cell: "gru",
        layers: 1,
        dropout: 0,
        tieWeights: false,
      }),
    ],
  ];
  for (const [name, model] of models) {
    assertSaikiError(
      () => model.forward(anyValue(floats), ts),
      `${name}.forward: xs must be an IntTensor of word ids, got a Tensor (float32) of shape ` +
        "[1,3] (make one with IntTensor.from(values))",
    );
    assertSaikiError(
      () => model.forward(xs, anyValue(floats)),
      `${name}.forward: ts must be an IntTensor of target word ids, got a Tensor (float32) of ` +
        "shape [1,3] (make one with IntTensor.from(values))",
    );
    assertSaikiError(
      () => model.forward(anyValue([[1, 2, 3]]), ts),
      `${name}.forward: xs must be an IntTensor of word ids, got an Array (make one with ` +
        "IntTensor.from(values))",
    );
    assertSaikiError(
      () => model.predict(anyValue(new Int32Array([1, 2]))),
      `${name}.predict: xs must be an IntTensor of word ids, got an Int32Array (make one with ` +
        "IntTensor.from(values))",
    );
    // the model is untouched: the next good call works
    const loss = model.forward(xs, ts);
    assertOk(Number.isFinite(loss) && loss > 0, `${name}: loss ${loss}`);
  }
});

Deno.test("the embedding and softmax layers take ids and labels as IntTensors only", () => {
  const W = tensor([[0, 1], [2, 3], [4, 5]]);
  assertSaikiError(
    () => new TimeEmbedding(W).forward(anyValue(tensor([[0, 1]]))),
    "TimeEmbedding.forward: xs must be an IntTensor of word ids, got a Tensor (float32) of " +
      "shape [1,2] (make one with IntTensor.from(values))",
  );
  assertSaikiError(
    () => new Embedding(W).forward(anyValue(undefined)),
    "Embedding.forward: idx must be an IntTensor of word ids, got undefined (make one with " +
      "IntTensor.from(values))",
  );
  assertSaikiError(
    () => new TimeSoftmaxWithLoss().forward(zeros([1, 2, 3]), anyValue(tensor([[0, 1]]))),
    "TimeSoftmaxWithLoss.forward: ts must be an IntTensor of labels, got a Tensor (float32) " +
      "of shape [1,2] (make one with IntTensor.from(values))",
  );
  assertSaikiError(
    () => new SoftmaxWithLoss().forward(zeros([2, 3]), anyValue([0, 1])),
    "SoftmaxWithLoss.forward: t must be an IntTensor of labels, got an Array (make one with " +
      "IntTensor.from(values))",
  );
  // and the same layers take IntTensors as before
  assertEquals(new TimeEmbedding(W).forward(IntTensor.from([[2, 0]])).toArray(), [[[4, 5], [
    0,
    1,
  ]]]);
});

// ---------------------------------------------------------------------------------------------
// 4. the tensor constructors check their array type

Deno.test("new Tensor takes a Float32Array only and points plain numbers to tensor()", () => {
  const hint = "expected a Float32Array (for other values use tensor(values) or " +
    "tensor(values, shape), which copy them into float32)";
  assertSaikiError(
    () => new Tensor(anyValue(new Float64Array(4)), [4]),
    `Tensor: data is a Float64Array, ${hint}`,
  );
  assertSaikiError(() => new Tensor(anyValue([1, 2]), [2]), `Tensor: data is an Array, ${hint}`);
  assertSaikiError(
    () => new Tensor(anyValue(new Int32Array(2)), [2]),
    `Tensor: data is an Int32Array, ${hint}`,
  );
  assertSaikiError(
    () => new Tensor(anyValue(undefined), [2]),
    `Tensor: data is undefined, ${hint}`,
  );
  assertSaikiError(() => new Tensor(anyValue(3), [1]), `Tensor: data is the number 3, ${hint}`);
  assertSaikiError(
    () => new Tensor(new Float32Array(2), anyValue(undefined)),
    "Tensor: shape is undefined, expected an array of dimensions like [2, 3]",
  );
  assertSaikiError(
    () => new Tensor(new Float32Array(2), anyValue(2)),
    "Tensor: shape is the number 2, expected an array of dimensions like [2, 3]",
  );
  // what to use instead, and what still works
  assertEquals(tensor([1, 2], [2]).toArray(), [1, 2]);
  const shared = new Float32Array(new SharedArrayBuffer(8));
  assertEquals(new Tensor(shared, [2]).data, shared);
});

Deno.test("new IntTensor takes an Int32Array only and points plain numbers to IntTensor.from", () => {
  const hint = "expected an Int32Array (for other values use IntTensor.from(values), which " +
    "checks that they are int32)";
  assertSaikiError(
    () => new IntTensor(anyValue(new Float32Array(2)), [2]),
    `IntTensor: data is a Float32Array, ${hint}`,
  );
  assertSaikiError(
    () => new IntTensor(anyValue([1, 2]), [2]),
    `IntTensor: data is an Array, ${hint}`,
  );
  assertSaikiError(
    () => new IntTensor(anyValue(new Uint32Array(2)), [2]),
    `IntTensor: data is a Uint32Array, ${hint}`,
  );
  assertSaikiError(
    () => new IntTensor(anyValue(tensor([1, 2])), [2]),
    `IntTensor: data is a Tensor (float32) of shape [2], ${hint}`,
  );
  assertSaikiError(
    () => IntTensor.from(anyValue(new Int32Array([1, 2]))),
    "IntTensor.from: values is an Int32Array, expected a number or nested arrays of numbers " +
      "(Array.from(values) makes one)",
  );
  assertSaikiError(
    () => IntTensor.from(anyValue(tensor([1, 2]))),
    "IntTensor.from: values is a Tensor (float32) of shape [2], expected a number or nested " +
      "arrays of numbers",
  );
  assertEquals(IntTensor.from([1, 2]).toArray(), [1, 2]);
  assertEquals(new IntTensor(new Int32Array([5]), [1]).data[0], 5);
});

Deno.test("the trainer takes word ids as an Int32Array of ids below the vocabulary size", async () => {
  const { RnnlmTrainer } = await import("../../lib/train/trainer.ts");
  const { SGD } = await import("../../lib/train/optimizers.ts");
  const { Rnnlm } = await import("../../lib/models/rnnlm.ts");
  const trainer = new RnnlmTrainer(new Rnnlm(10, 4, 4), new SGD(0.1));
  const ids = Int32Array.from({ length: 200 }, (_, i) => i % 10);
  const refuse = async (xs: unknown, part: string) => {
    let message = "";
    try {
      await trainer.fit(xs as Int32Array, ids, { batchSize: 2, timeSize: 5, maxEpoch: 1 });
    } catch (e) {
      message = (e as Error).message;
    }
    if (!message.includes(part)) throw new Error(`expected "${part}", got "${message}"`);
  };
  await refuse(Float32Array.from(ids), "xs is a Float32Array, expected an Int32Array");
  await refuse(Array.from(ids), "xs is an Array, expected an Int32Array");
  const bad = ids.slice();
  bad[7] = 10;
  await refuse(bad, "xs[7] is 10, expected a word id in [0, 10)");
  await trainer.close();
});
