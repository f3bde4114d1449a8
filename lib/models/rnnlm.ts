/**
 * Recurrent language models: embedding → recurrent layers → affine → softmax loss.
 *
 * `SimpleRnnlm` (chapter 5), `Rnnlm` and `BetterRnnlm` (chapter 6) are the reference's three
 * models; all three are configurations of {@linkcode LanguageModel}, which also builds other
 * shapes (`cell: "gru"`, more layers) from the same parts.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { TimeAffine } from "../layers/affine.ts";
import { type MaskKey, TimeDropout } from "../layers/dropout.ts";
import { TimeEmbedding } from "../layers/embedding.ts";
import { TimeGRU } from "../layers/gru.ts";
import type { Layer, SequenceLayer } from "../layers/layer.ts";
import type { TimeRecurrent } from "../layers/recurrent.ts";
import { TimeLSTM } from "../layers/lstm.ts";
import { TimeRNN } from "../layers/rnn.ts";
import { TimeSoftmaxWithLoss } from "../layers/softmax.ts";
import { getKernels } from "../engine/kernels.ts";
import { attachParams, packParams } from "../params.ts";
import { Rng } from "../random.ts";
import { describeValue, expectIntTensor, type IntTensor, type Tensor, zeros } from "../tensor.ts";

/** The recurrent cell of a model. */
export type CellKind = "rnn" | "lstm" | "gru";

/**
 * Gates per cell: the width of its packed weights is `gates · H`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CELL_GATES, paramSpecs } from "./rnnlm.ts";
 * const sizes = { vocabSize: 10, wordvecSize: 3, hiddenSize: 5, layers: 1 };
 * for (const cell of ["rnn", "lstm", "gru"] as const) {
 *   const [, Wx, Wh, b] = paramSpecs({ ...sizes, cell, dropout: 0, tieWeights: false });
 *   const G = CELL_GATES[cell] * 5; // an LSTM's f, g, i, o side by side: 4H columns
 *   assert.deepEqual([Wx.shape, Wh.shape, b.shape], [[3, G], [5, G], [G]]);
 * }
 * ```
 */
export const CELL_GATES: Readonly<Record<CellKind, number>> = { rnn: 1, lstm: 4, gru: 3 };

/** Everything that fixes a model's shape. */
export interface LanguageModelConfig {
  /** Vocabulary size `V`. */
  vocabSize: number;
  /** Embedding size `D`. */
  wordvecSize: number;
  /** Hidden size `H` of every recurrent layer. */
  hiddenSize: number;
  /** Recurrent cell. */
  cell: CellKind;
  /** Number of stacked recurrent layers (1 or more). */
  layers: number;
  /** Dropout ratio after the embedding and after every recurrent layer (0: none). */
  dropout: number;
  /** Share the embedding matrix with the output layer (needs `wordvecSize === hiddenSize`). */
  tieWeights: boolean;
}

/** A recurrent time layer of a model: any cell on the shared time loop and state protocol. */
export type Recurrent = TimeRecurrent;

/**
 * The most bytes saiki's engine can hold: one WebAssembly memory addresses 4 GiB. A model whose
 * parameters and gradients alone exceed it is refused before anything is allocated
 * ({@linkcode checkConfig}); the command line compares a whole run's estimate with it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ENGINE_MAX_BYTES } from "./rnnlm.ts";
 * assert.equal(ENGINE_MAX_BYTES, 2 ** 32);
 * ```
 */
export const ENGINE_MAX_BYTES = 4 * 2 ** 30;

function checkFields(config: LanguageModelConfig): void {
  if (config === null || typeof config !== "object") {
    throw new SaikiError(
      `LanguageModel: config is ${describeValue(config)}, expected an object { vocabSize, ` +
        `wordvecSize, hiddenSize, cell, layers, dropout, tieWeights }`,
    );
  }
  const { vocabSize, wordvecSize, hiddenSize, cell, layers, dropout, tieWeights } = config;
  for (const [name, v] of Object.entries({ vocabSize, wordvecSize, hiddenSize, layers })) {
    if (!Number.isSafeInteger(v) || v < 1) {
      const shown = typeof v === "string" ? JSON.stringify(v) : v;
      const below = Number.isInteger(v) && v >= 1 ? " and below 2^53" : "";
      throw new SaikiError(`LanguageModel: ${name} is ${shown}, expected an integer >= 1${below}`);
    }
  }
  if (!Object.hasOwn(CELL_GATES, cell)) {
    throw new SaikiError(`LanguageModel: cell is "${cell}", expected "rnn", "lstm" or "gru"`);
  }
  if (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1)) {
    throw new SaikiError(`LanguageModel: dropout is ${dropout}, expected a ratio in [0, 1)`);
  }
  if (typeof tieWeights !== "boolean") {
    throw new SaikiError(`LanguageModel: tieWeights is ${tieWeights}, expected true or false`);
  }
  if (tieWeights && wordvecSize !== hiddenSize) {
    throw new SaikiError(
      `LanguageModel: tieWeights needs wordvecSize == hiddenSize, got ${wordvecSize} and ${hiddenSize}`,
    );
  }
}

/**
 * How many floats a model's distinct parameters hold (a tied matrix counted once): the sum of
 * the sizes of {@linkcode paramSpecs}, computed without building anything. The one count both
 * the model's size check and the command line's run estimate use.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paramCount } from "./rnnlm.ts";
 * // V 10, D 4, H 5, one LSTM: embed 10·4, Wx 4·20, Wh 5·20, b 20, affine 5·10 + 10
 * const config = { vocabSize: 10, wordvecSize: 4, hiddenSize: 5, cell: "lstm" as const,
 *   layers: 1, dropout: 0, tieWeights: false };
 * assert.equal(paramCount(config), 40 + 80 + 100 + 20 + 50 + 10);
 * ```
 */
export function paramCount(config: LanguageModelConfig): number {
  checkFields(config);
  const { vocabSize: V, wordvecSize: D, hiddenSize: H, cell, layers, tieWeights } = config;
  const G = CELL_GATES[cell] * H;
  // embedding, output layer, then each recurrent layer's Wx, Wh and b (closed form: a loop
  // over a huge layer count would hang before the size check could refuse it)
  return V * D + V + (tieWeights ? 0 : H * V) + (D + H + 1) * G + (layers - 1) * (2 * H + 1) * G;
}

/**
 * Bytes a model's parameters and gradients take in the engine's memory (float32; a tied
 * matrix has one value block and two gradients, as {@linkcode LanguageModel.gradBuffer} lays
 * them out; the few bytes that align each tensor in its block aside). A floor of what the
 * model needs: activations come on top.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelBytes, paramCount } from "./rnnlm.ts";
 * const config = { vocabSize: 10000, wordvecSize: 100, hiddenSize: 100, cell: "lstm" as const,
 *   layers: 1, dropout: 0, tieWeights: false };
 * assert.equal(modelBytes(config), 2 * 4 * paramCount(config)); // 16 MB for the lstm preset
 * ```
 */
export function modelBytes(config: LanguageModelConfig): number {
  const n = paramCount(config);
  return 4 * (2 * n + (config.tieWeights ? config.vocabSize * config.wordvecSize : 0));
}

function formatCount(n: number): string {
  return Number.isSafeInteger(n) ? `${n}` : `about ${n.toExponential(2)}`;
}

function formatGiB(bytes: number): string {
  const gib = bytes / 2 ** 30;
  return gib >= 1e6 ? `${gib.toExponential(2)} GiB` : `${gib.toFixed(1)} GiB`;
}

/**
 * Checks a configuration and returns it complete; errors name the field. Sizes must be safe
 * integers >= 1, and the model's parameters and gradients ({@linkcode modelBytes}) must fit in
 * the engine's memory ({@linkcode ENGINE_MAX_BYTES}): too large a model is refused here, with
 * its sizes named, before anything is allocated.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkConfig, type LanguageModelConfig } from "./rnnlm.ts";
 * const config: LanguageModelConfig = { vocabSize: 100, wordvecSize: 8, hiddenSize: 8,
 *   cell: "gru", layers: 2, dropout: 0.5, tieWeights: true };
 * assert.deepEqual(checkConfig(config), config);
 * assert.throws(() => checkConfig({ ...config, hiddenSize: 16 }),
 *   /tieWeights needs wordvecSize == hiddenSize, got 8 and 16/);
 * assert.throws(() => checkConfig({ ...config, dropout: 1 }), /dropout is 1, expected a ratio/);
 * assert.throws(() => checkConfig({ ...config, vocabSize: 2 ** 27 }),
 *   /needs 13\.0 GiB of parameters and gradients; the engine's memory holds at most 4 GiB/);
 * ```
 */
export function checkConfig(config: LanguageModelConfig): LanguageModelConfig {
  checkFields(config);
  const bytes = modelBytes(config);
  if (bytes > ENGINE_MAX_BYTES) {
    const { vocabSize: V, wordvecSize: D, hiddenSize: H, cell, layers, tieWeights } = config;
    const output = tieWeights
      ? "(embedding, tied to the output)"
      : `(embedding), hiddenSize ${H} × vocabSize ${V} (output)`;
    const count = formatCount(paramCount(config));
    const rnn = `${layers} ${cell} layer${layers === 1 ? "" : "s"} of hiddenSize ${H}`;
    throw new SaikiError(
      `LanguageModel: vocabSize ${V} × wordvecSize ${D} ${output} and ${rnn} make ${count} ` +
        `parameters; the model needs ${formatGiB(bytes)} of parameters and gradients; the ` +
        `engine's memory holds at most ${ENGINE_MAX_BYTES / 2 ** 30} GiB (lower vocabSize, ` +
        `wordvecSize, hiddenSize or layers)`,
    );
  }
  return { ...config };
}

/**
 * The names and shapes of a configuration's parameters, in the reference's order
 * (`embed_W`, then each recurrent layer's `Wx, Wh, b`, then `affine_W` unless tied, `affine_b`).
 * Names follow the reference's variables: `rnn_Wx` / `lstm_Wx` for one layer, `lstm_Wx1`,
 * `lstm_Wx2`, … for several.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paramSpecs } from "./rnnlm.ts";
 * const specs = paramSpecs({ vocabSize: 10, wordvecSize: 4, hiddenSize: 5, cell: "lstm",
 *   layers: 1, dropout: 0, tieWeights: false });
 * assert(specs.map((s) => s.name).join() ===
 *   "embed_W,lstm_Wx,lstm_Wh,lstm_b,affine_W,affine_b");
 * assert(specs[1].shape.join() === "4,20");
 * ```
 */
export function paramSpecs(config: LanguageModelConfig): { name: string; shape: number[] }[] {
  const { vocabSize: V, wordvecSize: D, hiddenSize: H, cell, layers, tieWeights } = checkConfig(
    config,
  );
  const G = CELL_GATES[cell] * H;
  const specs = [{ name: "embed_W", shape: [V, D] }];
  for (let l = 0; l < layers; l++) {
    const suffix = layers === 1 ? "" : `${l + 1}`;
    specs.push(
      { name: `${cell}_Wx${suffix}`, shape: [l === 0 ? D : H, G] },
      { name: `${cell}_Wh${suffix}`, shape: [H, G] },
      { name: `${cell}_b${suffix}`, shape: [G] },
    );
  }
  if (!tieWeights) specs.push({ name: "affine_W", shape: [H, V] });
  specs.push({ name: "affine_b", shape: [V] });
  return specs;
}

/**
 * Initial parameters as the reference draws them: `embed_W ~ N(0, 0.01²)`, recurrent and
 * output weights `~ N(0, 1/fan_in)` (`randn(·) / sqrt(fan_in)`), biases zero.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initParams } from "./rnnlm.ts";
 * import { Rng } from "../random.ts";
 * const params = initParams({ vocabSize: 10, wordvecSize: 4, hiddenSize: 4, cell: "rnn",
 *   layers: 1, dropout: 0, tieWeights: false }, new Rng(0));
 * assert(params.length === 6 && params[3].data.every((v) => v === 0));
 * ```
 */
export function initParams(config: LanguageModelConfig, rng: Rng): Tensor[] {
  return paramSpecs(config).map(({ name, shape }) => {
    if (shape.length === 1) return zeros(shape);
    const scale = name === "embed_W" ? 0.01 : 1 / Math.sqrt(shape[0]);
    return rng.randn(shape, scale);
  });
}

/** Options when building a model. */
export interface LanguageModelOptions {
  /** Initial parameters in {@linkcode paramSpecs} order (else drawn by {@linkcode initParams}). */
  params?: Tensor[];
  /** Generator for the initial parameters (default `new Rng(0)`). */
  rng?: Rng;
  /** Seed of the dropout masks (default 0; see {@linkcode MaskKey}). */
  maskSeed?: number;
  /**
   * Use this flat buffer as the parameters' storage, values as they are (a replica of another
   * model: a view of its {@linkcode LanguageModel.paramBuffer}, e.g. in another thread).
   */
  paramBuffer?: Tensor;
  /** Use this flat buffer, laid out as {@linkcode LanguageModel.gradBuffer}, for the gradients. */
  gradBuffer?: Tensor;
}

/**
 * A recurrent language model: `TimeEmbedding → [TimeDropout] → (recurrent layer
 * [→ TimeDropout]) × layers → TimeAffine → TimeSoftmaxWithLoss`, recurrent layers stateful
 * (truncated BPTT), as in the reference.
 *
 * `params` and `grads` list every layer's tensors in order; with tied weights the embedding
 * matrix appears twice in `params` (as in the reference), and {@linkcode removeDuplicate}
 * sums the two gradients before an update.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LanguageModel } from "./rnnlm.ts";
 * import { IntTensor } from "../tensor.ts";
 * const model = new LanguageModel({ vocabSize: 10, wordvecSize: 8, hiddenSize: 8, cell: "gru",
 *   layers: 2, dropout: 0.5, tieWeights: true });
 * const xs = IntTensor.from([[1, 2, 3], [4, 5, 6]]), ts = IntTensor.from([[2, 3, 4], [5, 6, 7]]);
 * const loss = model.forward(xs, ts); // mean cross-entropy over N·T = 6 words
 * model.backward();
 * assert(loss > 0 && model.grads.length === model.params.length);
 * ```
 */
export class LanguageModel {
  /** The model's shape. */
  readonly config: LanguageModelConfig;
  /** Layers in order, loss layer excluded: `embed`, then `body`. */
  readonly layers: Layer[];
  /** The word embedding, the first layer. */
  readonly embed: TimeEmbedding;
  /** The layers after the embedding: dropout, recurrent layers, the output `TimeAffine`. */
  readonly body: SequenceLayer[];
  /** The softmax-with-loss layer. */
  readonly lossLayer: TimeSoftmaxWithLoss;
  /** The recurrent layers. */
  readonly rnnLayers: Recurrent[];
  /** The dropout layers. */
  readonly dropLayers: TimeDropout[];
  /** Every layer's parameters in order (a tied matrix appears twice). */
  readonly params: Tensor[];
  /** Every layer's gradients, matching `params`. */
  readonly grads: Tensor[];
  /**
   * The distinct parameters' values in one block of the engine's memory: each of `params` is
   * a view of it (llm.c's `malloc_and_point_parameters`).
   */
  readonly paramBuffer: Tensor;
  /**
   * The gradients in one block: first those of the distinct parameters, laid out exactly as
   * `paramBuffer` (so an optimizer and clipping run over both in one pass), then the
   * gradients of repeated (tied) parameters, which {@linkcode LanguageModel.mergeTiedGrads}
   * adds into the first ones.
   */
  readonly gradBuffer: Tensor;
  /** Parameter names matching `params` (a tied matrix is named `embed_W` both times). */
  readonly names: string[];
  /**
   * The key of every dropout layer's masks: the trainer sets `step` before each iteration, a
   * shard sets `rowOffset` to its first row's index in the whole batch.
   */
  readonly maskKey: MaskKey;
  #unique: { params: Tensor[]; grads: Tensor[] };
  #ties: [Tensor, Tensor][];

  /** Builds the layers, from `options.params` or freshly initialised ones. */
  constructor(config: LanguageModelConfig, options?: LanguageModelOptions) {
    options ??= {};
    this.config = checkConfig(config);
    const specs = paramSpecs(this.config);
    const params = options.params ??
      (options.paramBuffer !== undefined
        ? specs.map((s) => zeros(s.shape))
        : initParams(this.config, options.rng ?? new Rng(0)));
    if (params.length !== specs.length) {
      throw new SaikiError(
        `LanguageModel: got ${params.length} parameters, expected ${specs.length} (${
          specs.map((s) => s.name).join(", ")
        })`,
      );
    }
    params.forEach((p, i) => {
      if (p.shape.join() !== specs[i].shape.join()) {
        throw new SaikiError(
          `LanguageModel: parameter ${specs[i].name} has shape [${p.shape}], expected [${
            specs[i].shape
          }]`,
        );
      }
    });
    const { cell, layers: L, dropout, tieWeights } = this.config;
    const embedW = params[0];
    this.maskKey = { seed: options.maskSeed ?? 0, step: 0, rowOffset: 0 };
    const dropLayer = () => {
      const d = new TimeDropout(dropout, { key: this.maskKey, stream: this.dropLayers.length });
      this.dropLayers.push(d);
      return d;
    };
    this.embed = new TimeEmbedding(embedW);
    this.rnnLayers = [];
    this.dropLayers = [];
    const body: SequenceLayer[] = [];
    if (dropout > 0) body.push(dropLayer());
    for (let l = 0; l < L; l++) {
      const [Wx, Wh, b] = params.slice(1 + 3 * l, 4 + 3 * l);
      const rnn = cell === "lstm"
        ? new TimeLSTM(Wx, Wh, b, true)
        : cell === "gru"
        ? new TimeGRU(Wx, Wh, b, true)
        : new TimeRNN(Wx, Wh, b, true);
      this.rnnLayers.push(rnn);
      body.push(rnn);
      if (dropout > 0) body.push(dropLayer());
    }
    const affineB = params[params.length - 1];
    body.push(
      tieWeights
        ? new TimeAffine(embedW, affineB, { transposed: true })
        : new TimeAffine(params[params.length - 2], affineB),
    );
    this.body = body;
    this.layers = [this.embed, ...body];
    // the scores are read by nothing after the loss: softmax and gradient overwrite them
    this.lossLayer = new TimeSoftmaxWithLoss(undefined, { inPlace: true });
    this.params = this.layers.flatMap((l) => l.params);
    this.grads = this.layers.flatMap((l) => l.grads);
    // llm.c-style: every parameter (and gradient) is a view into one contiguous block.
    if (options.paramBuffer !== undefined) {
      attachParams(this.params, options.paramBuffer);
      this.paramBuffer = options.paramBuffer;
    } else {
      this.paramBuffer = packParams(this.params);
    }
    const first = this.params.map((p) => this.params.indexOf(p));
    this.#unique = {
      params: this.params.filter((_, i) => first[i] === i),
      grads: this.grads.filter((_, i) => first[i] === i),
    };
    this.#ties = first.flatMap((f, i) => f === i ? [] : [[this.grads[i], this.grads[f]]]);
    const gradList = [...this.#unique.grads, ...this.#ties.map(([dup]) => dup)];
    if (options.gradBuffer !== undefined) {
      attachParams(gradList, options.gradBuffer);
      this.gradBuffer = options.gradBuffer;
    } else {
      this.gradBuffer = packParams(gradList);
    }
    const names = specs.map((s) => s.name);
    this.names = this.params.map((p) => names[params.indexOf(p)]);
  }

  /** The class name errors start with: `Rnnlm`, `BetterRnnlm`, … */
  #name(): string {
    const name = this.constructor.name;
    return name === "" ? "LanguageModel" : name;
  }

  /** The distinct parameters with their names: what a checkpoint stores. */
  namedParams(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this.params.forEach((p, i) => out[this.names[i]] = p);
    return out;
  }

  /** xs: `(N, T)` word ids → scores `(N, T, V)`; dropout only when `trainFlg`. */
  predict(xs: IntTensor, trainFlg = false): Tensor {
    expectIntTensor(`${this.#name()}.predict`, "xs", xs);
    for (const d of this.dropLayers) d.trainFlg = trainFlg;
    let h = this.embed.forward(xs);
    for (const layer of this.body) h = layer.forward(h);
    return h;
  }

  /**
   * Mean cross-entropy of predicting `ts` `(N, T)` from `xs` `(N, T)`. A training forward
   * draws its dropout masks at `maskKey.step`, then advances it.
   */
  forward(xs: IntTensor, ts: IntTensor, trainFlg?: boolean): number {
    expectIntTensor(`${this.#name()}.forward`, "xs", xs);
    expectIntTensor(`${this.#name()}.forward`, "ts", ts, "target word ids");
    trainFlg ??= true;
    const loss = this.lossLayer.forward(this.predict(xs, trainFlg), ts);
    if (trainFlg) this.maskKey.step++;
    return loss;
  }

  /** Back-propagates `dout` (default 1) of the last `forward`; fills `grads`. */
  backward(dout = 1): void {
    let d = this.lossLayer.backward(dout);
    for (let i = this.body.length - 1; i >= 0; i--) d = this.body[i].backward(d);
    this.embed.backward(d);
  }

  /**
   * The reference's `remove_duplicate` without allocating: adds the gradient of every repeated
   * (tied) parameter into its first occurrence's, and returns the distinct parameters and their
   * gradients (the same arrays every call), ready for clipping and an update.
   */
  mergeTiedGrads(): { params: Tensor[]; grads: Tensor[] } {
    const k = getKernels();
    for (const [dup, into] of this.#ties) k.axpy(1, dup, into);
    return this.#unique;
  }

  /**
   * The distinct parameters and their gradients (the first `paramBuffer.size` floats of
   * `gradBuffer`), without merging tied gradients: what clipping and an update run over.
   */
  uniqueParams(): { params: Tensor[]; grads: Tensor[] } {
    return this.#unique;
  }

  /** Forgets the recurrent state: the next batch starts from zeros. */
  resetState(): void {
    for (const r of this.rnnLayers) r.resetState();
  }
}

/**
 * The chapter-5 model: `TimeEmbedding → TimeRNN → TimeAffine`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SimpleRnnlm } from "./rnnlm.ts";
 * const model = new SimpleRnnlm(100, 16, 16);
 * assert(model.params.length === 6);
 * ```
 */
export class SimpleRnnlm extends LanguageModel {
  /**
   * A model with the given sizes; parameters from `options.params` or freshly initialised.
   * @param vocabSize V
   * @param wordvecSize D
   * @param hiddenSize H
   */
  constructor(
    vocabSize: number,
    wordvecSize: number,
    hiddenSize: number,
    options?: LanguageModelOptions,
  ) {
    options ??= {};
    super(
      { vocabSize, wordvecSize, hiddenSize, cell: "rnn", layers: 1, dropout: 0, tieWeights: false },
      options,
    );
  }
}

/**
 * The chapter-6 model: `TimeEmbedding → TimeLSTM → TimeAffine`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rnnlm } from "./rnnlm.ts";
 * const model = new Rnnlm(100, 16, 16);
 * assert(model.params[1].shape.join() === "16,64"); // lstm_Wx: (D, 4H)
 * ```
 */
export class Rnnlm extends LanguageModel {
  /**
   * A model with the given sizes; parameters from `options.params` or freshly initialised.
   * @param vocabSize V
   * @param wordvecSize D
   * @param hiddenSize H
   */
  constructor(
    vocabSize?: number,
    wordvecSize?: number,
    hiddenSize?: number,
    options?: LanguageModelOptions,
  ) {
    vocabSize ??= 10000;
    wordvecSize ??= 100;
    hiddenSize ??= 100;
    options ??= {};
    super(
      {
        vocabSize,
        wordvecSize,
        hiddenSize,
        cell: "lstm",
        layers: 1,
        dropout: 0,
        tieWeights: false,
      },
      options,
    );
  }
}

/**
 * The chapter-6 improved model: two LSTM layers, dropout after the embedding and after each
 * LSTM, and the output layer tied to the embedding.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BetterRnnlm } from "./rnnlm.ts";
 * const model = new BetterRnnlm(50, 16, 16, 0.5);
 * assert(model.params[0] === model.params[7]); // embed_W tied to the affine layer
 * ```
 */
export class BetterRnnlm extends LanguageModel {
  /**
   * A model with the given sizes; parameters from `options.params` or freshly initialised.
   * @param vocabSize V
   * @param wordvecSize D
   * @param hiddenSize H
   * @param dropoutRatio p
   */
  constructor(
    vocabSize?: number,
    wordvecSize?: number,
    hiddenSize?: number,
    dropoutRatio?: number,
    options?: LanguageModelOptions,
  ) {
    vocabSize ??= 10000;
    wordvecSize ??= 650;
    hiddenSize ??= 650;
    dropoutRatio ??= 0.5;
    options ??= {};
    super(
      {
        vocabSize,
        wordvecSize,
        hiddenSize,
        cell: "lstm",
        layers: 2,
        dropout: dropoutRatio,
        tieWeights: true,
      },
      options,
    );
  }
}
