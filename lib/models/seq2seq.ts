/**
 * Sequence to sequence (chapters 7 and 8), class for class as the reference's
 * `ch07/seq2seq.py`, `ch07/peeky_seq2seq.py` and `ch08/attention_seq2seq.py`:
 *
 * - `Seq2seq`: an {@linkcode Encoder} (`TimeEmbedding → TimeLSTM`) reads the question and hands
 *   its last hidden state `h` to a {@linkcode Decoder} (`TimeEmbedding → TimeLSTM → TimeAffine`)
 *   as its initial state.
 * - `PeekySeq2seq`: the {@linkcode PeekyDecoder} also feeds `h` to every step, beside the
 *   embedding into the LSTM and beside the LSTM's output into the affine layer.
 * - `AttentionSeq2seq`: the {@linkcode AttentionEncoder} hands over all its states `hs`; the
 *   {@linkcode AttentionDecoder} starts from `hs[:, -1]` and, at every step, concatenates the
 *   attention context over `hs` with its LSTM's output.
 *
 * A model's `forward(xs, ts)` reads the question `xs` `(N, T)` and the answer `ts`
 * `(N, Td + 1)`, which starts with the separator `_`: the decoder reads `ts[:, :-1]` and is
 * scored on predicting `ts[:, 1:]`. `generate(xs, startId, sampleSize)` answers one question
 * greedily.
 *
 * @module
 */

import { expectShape, SaikiError } from "../errors.ts";
import { getKernels } from "../engine/kernels.ts";
import { colBlock, timestep } from "../engine/views.ts";
import { TimeAffine } from "../layers/affine.ts";
import { TimeAttention } from "../layers/attention.ts";
import { TimeEmbedding } from "../layers/embedding.ts";
import { type Layer, noForward, reuse } from "../layers/layer.ts";
import { TimeLSTM } from "../layers/lstm.ts";
import { TimeSoftmaxWithLoss } from "../layers/softmax.ts";
import { attachParams, packParams } from "../params.ts";
import { Rng } from "../random.ts";
import { expectIntTensor, IntTensor, type Tensor, zeros } from "../tensor.ts";

/** The three models of chapters 7–8. */
export type Seq2seqKind = "seq2seq" | "peeky" | "attention";

/** Everything that fixes a sequence-to-sequence model's shape. */
export interface Seq2seqConfig {
  /** `"seq2seq"` (7.3), `"peeky"` (7.4.2) or `"attention"` (8.2). */
  model: Seq2seqKind;
  /** Vocabulary size `V` (characters). */
  vocabSize: number;
  /** Embedding size `D`. */
  wordvecSize: number;
  /** Hidden size `H`. */
  hiddenSize: number;
}

/** Options of the encoders, decoders and models. */
export interface Seq2seqOptions {
  /** Initial parameters in the reference's order (else drawn as the reference draws them). */
  params?: Tensor[];
  /** Generator of the initial parameters (default `new Rng(0)`). */
  rng?: Rng;
}

/** Options of the whole models: {@linkcode Seq2seqOptions} and the buffers of a replica. */
export interface Seq2seqModelOptions extends Seq2seqOptions {
  /** Use this flat buffer (laid out as the model's `paramBuffer`) as the parameters' storage. */
  paramBuffer?: Tensor;
  /** Use this flat buffer for the gradients. */
  gradBuffer?: Tensor;
}

/** What turns a question into what the decoder starts from. */
export interface Seq2seqEncoder extends Layer {
  /** xs: `(N, T)` ids → `h` `(N, H)` (or every state `hs` `(N, T, H)` for attention). */
  forward(xs: IntTensor): Tensor;
  /** The gradient of what `forward` returned; sets `grads`. */
  backward(d: Tensor): null;
}

/** What turns the encoder's output into scores over the vocabulary. */
export interface Seq2seqDecoder extends Layer {
  /** xs: `(N, Td)` ids, `enc` the encoder's output → scores `(N, Td, V)`. */
  forward(xs: IntTensor, enc: Tensor): Tensor;
  /** dscore: `(N, Td, V)` → the gradient of `enc`; sets `grads`. */
  backward(dscore: Tensor): Tensor;
  /** Greedy ids for `sampleSize` steps from `startId`, one question (`enc` of one row). */
  generate(enc: Tensor, startId: number, sampleSize: number): number[];
  /** The same for every row of `enc`: `(N, sampleSize)` ids. */
  generateBatch(enc: Tensor, startId: number, sampleSize: number): IntTensor;
}

/** A parameter's name and shape. */
export interface Seq2seqParamSpec {
  /** `encoder.embed_W`, …, `decoder.affine_b`. */
  name: string;
  /** Its shape. */
  shape: number[];
}

/**
 * The parameters the reference draws: `embed_W ~ N(0, 0.01²)`, weights `~ N(0, 1/fan_in)`,
 * biases zero; or `given`, checked against `specs`.
 */
function makeParams(where: string, specs: Seq2seqParamSpec[], options: Seq2seqOptions): Tensor[] {
  const { params, rng = new Rng(0) } = options;
  if (params === undefined) {
    return specs.map(({ name, shape }) => {
      if (shape.length === 1) return zeros(shape);
      return rng.randn(shape, name.endsWith("embed_W") ? 0.01 : 1 / Math.sqrt(shape[0]));
    });
  }
  if (!Array.isArray(params) || params.length !== specs.length) {
    throw new SaikiError(
      `${where}: got ${Array.isArray(params) ? params.length : "no list of"} parameters, ` +
        `expected ${specs.length} (${specs.map((s) => s.name).join(", ")})`,
    );
  }
  params.forEach((p, i) => expectShape(where, specs[i].name, p.shape, specs[i].shape));
  return params;
}

function checkSizes(where: string, sizes: Record<string, number>): void {
  for (const [name, v] of Object.entries(sizes)) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new SaikiError(`${where}: ${name} is ${v}, expected an integer >= 1`);
    }
  }
}

/** `Encoder`'s parameters: `embed_W (V, D)`, `lstm_Wx (D, 4H)`, `lstm_Wh (H, 4H)`, `lstm_b (4H)`. */
function encoderSpecs(V: number, D: number, H: number): Seq2seqParamSpec[] {
  return [
    { name: "embed_W", shape: [V, D] },
    { name: "lstm_Wx", shape: [D, 4 * H] },
    { name: "lstm_Wh", shape: [H, 4 * H] },
    { name: "lstm_b", shape: [4 * H] },
  ];
}

/**
 * A decoder's parameters: `embed_W (V, D)`, `lstm_Wx (D + peek, 4H)`, `lstm_Wh`, `lstm_b`,
 * `affine_W (H + extra, V)`, `affine_b (V)`.
 */
function decoderSpecs(
  V: number,
  D: number,
  H: number,
  lstmIn: number,
  affineIn: number,
): Seq2seqParamSpec[] {
  return [
    { name: "embed_W", shape: [V, D] },
    { name: "lstm_Wx", shape: [lstmIn, 4 * H] },
    { name: "lstm_Wh", shape: [H, 4 * H] },
    { name: "lstm_b", shape: [4 * H] },
    { name: "affine_W", shape: [affineIn, V] },
    { name: "affine_b", shape: [V] },
  ];
}

/**
 * The names and shapes of a model's parameters in the reference's order: the encoder's
 * (`encoder.embed_W`, `encoder.lstm_Wx`, …), then the decoder's (`decoder.embed_W`, …,
 * `decoder.affine_b`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seq2seqParamSpecs } from "./seq2seq.ts";
 * const specs = seq2seqParamSpecs({ model: "peeky", vocabSize: 13, wordvecSize: 16, hiddenSize: 128 });
 * assert.equal(specs.length, 10);
 * assert.deepEqual(specs[5], { name: "decoder.lstm_Wx", shape: [128 + 16, 512] }); // [h, embedding]
 * assert.deepEqual(specs[8], { name: "decoder.affine_W", shape: [256, 13] }); //      [h, LSTM out]
 * ```
 */
export function seq2seqParamSpecs(config: Seq2seqConfig): Seq2seqParamSpec[] {
  const { model, vocabSize: V, wordvecSize: D, hiddenSize: H } = checkSeq2seqConfig(config);
  const decoder = model === "seq2seq"
    ? decoderSpecs(V, D, H, D, H)
    : model === "peeky"
    ? decoderSpecs(V, D, H, H + D, 2 * H)
    : decoderSpecs(V, D, H, D, 2 * H);
  return [
    ...encoderSpecs(V, D, H).map((s) => ({ ...s, name: `encoder.${s.name}` })),
    ...decoder.map((s) => ({ ...s, name: `decoder.${s.name}` })),
  ];
}

/**
 * Checks a configuration; errors name the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSeq2seqConfig } from "./seq2seq.ts";
 * const config = { model: "attention" as const, vocabSize: 59, wordvecSize: 16, hiddenSize: 256 };
 * assert.deepEqual(checkSeq2seqConfig(config), config);
 * assert.throws(() => checkSeq2seqConfig({ ...config, model: "bahdanau" as "attention" }),
 *   /model is "bahdanau", expected "seq2seq", "peeky" or "attention"/);
 * ```
 */
export function checkSeq2seqConfig(config: Seq2seqConfig): Seq2seqConfig {
  if (config === null || typeof config !== "object") {
    throw new SaikiError(
      `Seq2seq: config is ${config}, expected { model, vocabSize, wordvecSize, hiddenSize }`,
    );
  }
  const { model, vocabSize, wordvecSize, hiddenSize } = config;
  if (model !== "seq2seq" && model !== "peeky" && model !== "attention") {
    throw new SaikiError(
      `Seq2seq: model is ${JSON.stringify(model)}, expected "seq2seq", "peeky" or "attention"`,
    );
  }
  checkSizes("Seq2seq", { vocabSize, wordvecSize, hiddenSize });
  return { model, vocabSize, wordvecSize, hiddenSize };
}

/** One id per row as an `(N, 1)` tensor. */
function column(ids: Int32Array): IntTensor {
  return new IntTensor(ids, [ids.length, 1]);
}

/** The index of the largest score of each row of `score` `(N, 1, V)`, into `ids`. */
function argmaxRows(score: Tensor, ids: Int32Array): void {
  const V = score.shape[2];
  for (let n = 0; n < ids.length; n++) {
    let best = 0;
    for (let j = 1; j < V; j++) if (score.data[n * V + j] > score.data[n * V + best]) best = j;
    ids[n] = best;
  }
}

function checkGenerate(where: string, startId: number, sampleSize: number, V: number): void {
  if (!Number.isInteger(startId) || startId < 0 || startId >= V) {
    throw new SaikiError(`${where}: startId is ${startId}, expected an id in [0, ${V})`);
  }
  if (!Number.isSafeInteger(sampleSize) || sampleSize < 0) {
    throw new SaikiError(`${where}: sampleSize is ${sampleSize}, expected an integer >= 0`);
  }
}

/**
 * Greedy decoding shared by the decoders: from `startId`, `sampleSize` times, `step` scores
 * the last ids `(N, 1)` and the best of each row is the next id.
 */
function greedy(
  rows: number,
  startId: number,
  sampleSize: number,
  step: (x: IntTensor) => Tensor,
): IntTensor {
  const out = new Int32Array(rows * sampleSize);
  const ids = new Int32Array(rows).fill(startId);
  for (let t = 0; t < sampleSize; t++) {
    argmaxRows(step(column(ids)), ids);
    for (let n = 0; n < rows; n++) out[n * sampleSize + t] = ids[n];
  }
  return new IntTensor(out, [rows, sampleSize]);
}

/**
 * The encoder of 7.3: `TimeEmbedding → TimeLSTM` (not stateful: every question starts from
 * zeros); `forward` returns the last hidden state `h = hs[:, -1]` `(N, H)`.
 *
 *     hs = TimeLSTM(TimeEmbedding(xs)),  h = hs[:, T − 1]
 *     backward: dhs = 0 except dhs[:, T − 1] = dh
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Encoder } from "./seq2seq.ts";
 * import { IntTensor } from "../tensor.ts";
 * const encoder = new Encoder(13, 16, 8);
 * const h = encoder.forward(IntTensor.from([[1, 2, 3], [4, 5, 6]])); // (N=2, T=3) ids
 * assert.deepEqual(h.shape, [2, 8]);
 * ```
 */
export class Encoder implements Seq2seqEncoder {
  /** `[embed_W (V, D), lstm_Wx (D, 4H), lstm_Wh (H, 4H), lstm_b (4H)]`. */
  readonly params: Tensor[];
  /** Gradients matching `params`. */
  readonly grads: Tensor[];
  /** The character embedding. */
  readonly embed: TimeEmbedding;
  /** The LSTM over the question. */
  readonly lstm: TimeLSTM;
  /** The hidden states of the last forward `(N, T, H)`. */
  hs: Tensor | null = null;
  #h?: Tensor;
  #dhs?: Tensor;

  /** An encoder with the given sizes; parameters from `options.params` or drawn. */
  constructor(
    vocabSize: number,
    wordvecSize: number,
    hiddenSize: number,
    options?: Seq2seqOptions,
  ) {
    checkSizes("Encoder", { vocabSize, wordvecSize, hiddenSize });
    const specs = encoderSpecs(vocabSize, wordvecSize, hiddenSize);
    const [embedW, Wx, Wh, b] = makeParams("Encoder", specs, options ?? {});
    this.embed = new TimeEmbedding(embedW);
    this.lstm = new TimeLSTM(Wx, Wh, b, false);
    this.params = [...this.embed.params, ...this.lstm.params];
    this.grads = [...this.embed.grads, ...this.lstm.grads];
  }

  /** xs: `(N, T)` ids → the last hidden state `h` `(N, H)`, a buffer the encoder reuses. */
  forward(xs: IntTensor): Tensor {
    expectIntTensor("Encoder.forward", "xs", xs);
    const hs = this.hs = this.lstm.forward(this.embed.forward(xs)); // (N, T, H)
    const [N, T, H] = hs.shape;
    const h = this.#h = reuse(this.#h, [N, H], hs);
    getKernels().copyRows(timestep(hs, T - 1), h); // h = hs[:, -1]
    return h;
  }

  /** dh: `(N, H)`, the gradient of `h` → `null`; sets `grads`. */
  backward(dh: Tensor): null {
    const hs = this.hs ?? noForward("Encoder.backward");
    const [N, T, H] = hs.shape;
    expectShape("Encoder.backward", "dh", dh.shape, [N, H]);
    const dhs = this.#dhs = reuse(this.#dhs, [N, T, H], dh).fill(0); // dhs = 0, dhs[:, -1] = dh
    getKernels().copyRows(dh, timestep(dhs, T - 1));
    return this.embed.backward(this.lstm.backward(dhs));
  }
}

/**
 * The encoder of 8.2: as {@linkcode Encoder}, but `forward` returns every hidden state `hs`
 * `(N, T, H)` for the attention to look at, and `backward` takes their gradient.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AttentionEncoder } from "./seq2seq.ts";
 * import { IntTensor } from "../tensor.ts";
 * const hs = new AttentionEncoder(13, 16, 8).forward(IntTensor.from([[1, 2, 3]]));
 * assert.deepEqual(hs.shape, [1, 3, 8]);
 * ```
 */
export class AttentionEncoder implements Seq2seqEncoder {
  /** `[embed_W (V, D), lstm_Wx (D, 4H), lstm_Wh (H, 4H), lstm_b (4H)]`. */
  readonly params: Tensor[];
  /** Gradients matching `params`. */
  readonly grads: Tensor[];
  /** The character embedding. */
  readonly embed: TimeEmbedding;
  /** The LSTM over the question. */
  readonly lstm: TimeLSTM;

  /** An encoder with the given sizes; parameters from `options.params` or drawn. */
  constructor(
    vocabSize: number,
    wordvecSize: number,
    hiddenSize: number,
    options?: Seq2seqOptions,
  ) {
    checkSizes("AttentionEncoder", { vocabSize, wordvecSize, hiddenSize });
    const specs = encoderSpecs(vocabSize, wordvecSize, hiddenSize);
    const [embedW, Wx, Wh, b] = makeParams("AttentionEncoder", specs, options ?? {});
    this.embed = new TimeEmbedding(embedW);
    this.lstm = new TimeLSTM(Wx, Wh, b, false);
    this.params = [...this.embed.params, ...this.lstm.params];
    this.grads = [...this.embed.grads, ...this.lstm.grads];
  }

  /** xs: `(N, T)` ids → hs: `(N, T, H)`, a buffer the LSTM reuses. */
  forward(xs: IntTensor): Tensor {
    expectIntTensor("AttentionEncoder.forward", "xs", xs);
    return this.lstm.forward(this.embed.forward(xs));
  }

  /** dhs: `(N, T, H)` → `null`; sets `grads`. */
  backward(dhs: Tensor): null {
    return this.embed.backward(this.lstm.backward(dhs));
  }
}

/**
 * The decoder of 7.3: `TimeEmbedding → TimeLSTM → TimeAffine`, its LSTM starting from the
 * encoder's `h`; `backward` returns the gradient of `h` (the LSTM's `dh`).
 *
 *     set_state(h);  score = TimeAffine(TimeLSTM(TimeEmbedding(xs)))     (N, Td, V)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Decoder } from "./seq2seq.ts";
 * import { IntTensor, zeros } from "../tensor.ts";
 * const decoder = new Decoder(13, 16, 8);
 * const score = decoder.forward(IntTensor.from([[6, 1], [6, 2]]), zeros([2, 8]));
 * assert.deepEqual(score.shape, [2, 2, 13]);
 * assert.equal(decoder.generate(zeros([1, 8]), 6, 4).length, 4);
 * ```
 */
export class Decoder implements Seq2seqDecoder {
  /** `[embed_W, lstm_Wx (D, 4H), lstm_Wh, lstm_b, affine_W (H, V), affine_b]`. */
  readonly params: Tensor[];
  /** Gradients matching `params`. */
  readonly grads: Tensor[];
  /** The character embedding. */
  readonly embed: TimeEmbedding;
  /** The LSTM, stateful within one `forward` or `generate`. */
  readonly lstm: TimeLSTM;
  /** Scores over the vocabulary. */
  readonly affine: TimeAffine;

  /** A decoder with the given sizes; parameters from `options.params` or drawn. */
  constructor(
    vocabSize: number,
    wordvecSize: number,
    hiddenSize: number,
    options?: Seq2seqOptions,
  ) {
    checkSizes("Decoder", { vocabSize, wordvecSize, hiddenSize });
    const V = vocabSize, D = wordvecSize, H = hiddenSize;
    const specs = decoderSpecs(V, D, H, D, H);
    const [embedW, Wx, Wh, b, affineW, affineB] = makeParams("Decoder", specs, options ?? {});
    this.embed = new TimeEmbedding(embedW);
    this.lstm = new TimeLSTM(Wx, Wh, b, true);
    this.affine = new TimeAffine(affineW, affineB);
    const layers = [this.embed, this.lstm, this.affine];
    this.params = layers.flatMap((l) => l.params);
    this.grads = layers.flatMap((l) => l.grads);
  }

  /** xs: `(N, Td)` ids, h: `(N, H)` → score `(N, Td, V)`. */
  forward(xs: IntTensor, h: Tensor): Tensor {
    expectIntTensor("Decoder.forward", "xs", xs);
    this.lstm.setState(h);
    return this.#step(xs);
  }

  /** embed → LSTM (from its state) → affine. */
  #step(xs: IntTensor): Tensor {
    return this.affine.forward(this.lstm.forward(this.embed.forward(xs)));
  }

  /** dscore: `(N, Td, V)` → dh `(N, H)`, the gradient of the initial state; sets `grads`. */
  backward(dscore: Tensor): Tensor {
    this.embed.backward(this.lstm.backward(this.affine.backward(dscore)));
    return this.lstm.dh!;
  }

  /** Greedy ids for `sampleSize` steps from `startId`, the LSTM starting from `h` `(1, H)`. */
  generate(h: Tensor, startId: number, sampleSize: number): number[] {
    expectShape("Decoder.generate", "h", h.shape, [1, "H"]);
    return [...this.generateBatch(h, startId, sampleSize).data];
  }

  /** Greedy ids for every row of `h` `(N, H)`: `(N, sampleSize)`. */
  generateBatch(h: Tensor, startId: number, sampleSize: number): IntTensor {
    checkGenerate("Decoder.generate", startId, sampleSize, this.params[0].shape[0]);
    this.lstm.setState(h);
    return greedy(h.shape[0], startId, sampleSize, (x) => this.#step(x));
  }
}

/**
 * The Peeky decoder of 7.4.2: the encoder's `h` goes to every step twice, concatenated before
 * the embedding into the LSTM and before the LSTM's output into the affine layer.
 *
 *     hs = repeat(h, Td)                                (N, Td, H)
 *     out = TimeLSTM([hs, TimeEmbedding(xs)])           from h;  Wx: (H + D, 4H)
 *     score = TimeAffine([hs, out])                     W: (2H, V)
 *     backward: dh = lstm.dh + Σ_t (dhs0 + dhs1)[:, t]  (both concatenations' h parts)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PeekyDecoder } from "./seq2seq.ts";
 * import { IntTensor, zeros } from "../tensor.ts";
 * const decoder = new PeekyDecoder(13, 16, 8);
 * assert.deepEqual(decoder.params[1].shape, [8 + 16, 32]);
 * const score = decoder.forward(IntTensor.from([[6, 1, 2]]), zeros([1, 8]));
 * assert.deepEqual(score.shape, [1, 3, 13]);
 * ```
 */
export class PeekyDecoder implements Seq2seqDecoder {
  /** `[embed_W, lstm_Wx (H + D, 4H), lstm_Wh, lstm_b, affine_W (2H, V), affine_b]`. */
  readonly params: Tensor[];
  /** Gradients matching `params`. */
  readonly grads: Tensor[];
  /** The character embedding. */
  readonly embed: TimeEmbedding;
  /** The LSTM, reading `[h, embedding]`. */
  readonly lstm: TimeLSTM;
  /** Scores over the vocabulary from `[h, LSTM output]`. */
  readonly affine: TimeAffine;
  #h?: Tensor;
  #lstmIn?: Tensor;
  #affineIn?: Tensor;
  #dOut?: Tensor;
  #dEmbed?: Tensor;
  #dh?: Tensor;

  /** A decoder with the given sizes; parameters from `options.params` or drawn. */
  constructor(
    vocabSize: number,
    wordvecSize: number,
    hiddenSize: number,
    options?: Seq2seqOptions,
  ) {
    checkSizes("PeekyDecoder", { vocabSize, wordvecSize, hiddenSize });
    const V = vocabSize, D = wordvecSize, H = hiddenSize;
    const specs = decoderSpecs(V, D, H, H + D, 2 * H);
    const [embedW, Wx, Wh, b, affineW, affineB] = makeParams("PeekyDecoder", specs, options ?? {});
    this.embed = new TimeEmbedding(embedW);
    this.lstm = new TimeLSTM(Wx, Wh, b, true);
    this.affine = new TimeAffine(affineW, affineB);
    const layers = [this.embed, this.lstm, this.affine];
    this.params = layers.flatMap((l) => l.params);
    this.grads = layers.flatMap((l) => l.grads);
  }

  /** xs: `(N, Td)` ids, h: `(N, H)` → score `(N, Td, V)`. */
  forward(xs: IntTensor, h: Tensor): Tensor {
    expectIntTensor("PeekyDecoder.forward", "xs", xs);
    this.lstm.setState(h);
    return this.#step(xs, h);
  }

  /** One pass over `xs` from the LSTM's state, peeking at `h`. */
  #step(xs: IntTensor, h: Tensor): Tensor {
    const H = this.lstm.hiddenSize, D = this.params[0].shape[1];
    const dims = expectShape("PeekyDecoder.forward", "xs", xs.shape, ["N", "Td"]);
    expectShape("PeekyDecoder.forward", "h", h.shape, [dims.N, H]);
    const { N, Td } = dims;
    this.#h = h;
    const k = getKernels();
    const embedded = this.embed.forward(xs); //                              (N, Td, D)
    const lstmIn = this.#lstmIn = reuse(this.#lstmIn, [N, Td, H + D], h);
    for (let t = 0; t < Td; t++) k.copyRows(h, colBlock(timestep(lstmIn, t), 0, H)); // [hs, ·]
    k.copyRows(embedded, colBlock(lstmIn, H, D)); //                         [hs, embedded]
    const out = this.lstm.forward(lstmIn); //                                (N, Td, H)
    const affineIn = this.#affineIn = reuse(this.#affineIn, [N, Td, 2 * H], h);
    for (let t = 0; t < Td; t++) k.copyRows(h, colBlock(timestep(affineIn, t), 0, H));
    k.copyRows(out, colBlock(affineIn, H, H)); //                            [hs, out]
    return this.affine.forward(affineIn); //                                 (N, Td, V)
  }

  /** dscore: `(N, Td, V)` → dh `(N, H)`; sets `grads`. */
  backward(dscore: Tensor): Tensor {
    const H = this.lstm.hiddenSize, D = this.params[0].shape[1];
    const dAffineIn = this.affine.backward(dscore); //                       (N, Td, 2H)
    const [N, Td] = dAffineIn.shape;
    const k = getKernels();
    const dOut = this.#dOut = reuse(this.#dOut, [N, Td, H]);
    k.copyRows(colBlock(dAffineIn, H, H), dOut); //                          dout = d[:, :, H:]
    const dLstmIn = this.lstm.backward(dOut); //                             (N, Td, H + D)
    const dEmbed = this.#dEmbed = reuse(this.#dEmbed, [N, Td, D]);
    k.copyRows(colBlock(dLstmIn, H, D), dEmbed); //                          dembed = d[:, :, H:]
    this.embed.backward(dEmbed);
    // dh = lstm.dh + Σ_t (dhs0 + dhs1)[:, t]
    const dh = this.#dh = reuse(this.#dh, [N, H], this.#h!);
    k.copyRows(this.lstm.dh!, dh);
    for (let t = 0; t < Td; t++) {
      k.copyRows(colBlock(timestep(dAffineIn, t), 0, H), dh, { accumulate: true });
      k.copyRows(colBlock(timestep(dLstmIn, t), 0, H), dh, { accumulate: true });
    }
    return dh;
  }

  /** Greedy ids for `sampleSize` steps from `startId`, from the encoder's `h` `(1, H)`. */
  generate(h: Tensor, startId: number, sampleSize: number): number[] {
    expectShape("PeekyDecoder.generate", "h", h.shape, [1, "H"]);
    return [...this.generateBatch(h, startId, sampleSize).data];
  }

  /** Greedy ids for every row of `h` `(N, H)`: `(N, sampleSize)`. */
  generateBatch(h: Tensor, startId: number, sampleSize: number): IntTensor {
    checkGenerate("PeekyDecoder.generate", startId, sampleSize, this.params[0].shape[0]);
    this.lstm.setState(h);
    return greedy(h.shape[0], startId, sampleSize, (x) => this.#step(x, h));
  }
}

/**
 * The decoder of 8.2: its LSTM starts from the encoder's last state `encHs[:, -1]`; at each
 * step the attention's context over `encHs` is concatenated with the LSTM's output.
 *
 *     decHs = TimeLSTM(TimeEmbedding(xs))  from encHs[:, −1]    (N, Td, H)
 *     c = TimeAttention(encHs, decHs)                           (N, Td, H)
 *     score = TimeAffine([c, decHs])                            W: (2H, V)
 *     backward: dencHs = attention's dhsEnc,  dencHs[:, −1] += lstm.dh
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AttentionDecoder } from "./seq2seq.ts";
 * import { IntTensor } from "../tensor.ts";
 * import { Rng } from "../random.ts";
 * const decoder = new AttentionDecoder(13, 16, 8);
 * const encHs = new Rng(0).randn([1, 5, 8]); // five encoder states
 * const score = decoder.forward(IntTensor.from([[6, 1, 2]]), encHs);
 * assert.deepEqual(score.shape, [1, 3, 13]);
 * assert.deepEqual(decoder.attention.attentionWeights!.shape, [1, 3, 5]);
 * ```
 */
export class AttentionDecoder implements Seq2seqDecoder {
  /** `[embed_W, lstm_Wx (D, 4H), lstm_Wh, lstm_b, affine_W (2H, V), affine_b]`. */
  readonly params: Tensor[];
  /** Gradients matching `params`. */
  readonly grads: Tensor[];
  /** The character embedding. */
  readonly embed: TimeEmbedding;
  /** The LSTM. */
  readonly lstm: TimeLSTM;
  /** Attention over the encoder's states; keeps the last forward's weights. */
  readonly attention: TimeAttention;
  /** Scores over the vocabulary from `[context, LSTM output]`. */
  readonly affine: TimeAffine;
  /** The attention weights of the last `generate`, `(N, sampleSize, T)`: answer × question. */
  attentionMaps: Tensor | null = null;
  #affineIn?: Tensor;
  #dc?: Tensor;
  #dDecHs?: Tensor;
  #h0?: Tensor;

  /** A decoder with the given sizes; parameters from `options.params` or drawn. */
  constructor(
    vocabSize: number,
    wordvecSize: number,
    hiddenSize: number,
    options?: Seq2seqOptions,
  ) {
    checkSizes("AttentionDecoder", { vocabSize, wordvecSize, hiddenSize });
    const V = vocabSize, D = wordvecSize, H = hiddenSize;
    const specs = decoderSpecs(V, D, H, D, 2 * H);
    const [embedW, Wx, Wh, b, affineW, affineB] = makeParams(
      "AttentionDecoder",
      specs,
      options ?? {},
    );
    this.embed = new TimeEmbedding(embedW);
    this.lstm = new TimeLSTM(Wx, Wh, b, true);
    this.attention = new TimeAttention();
    this.affine = new TimeAffine(affineW, affineB);
    const layers = [this.embed, this.lstm, this.attention, this.affine];
    this.params = layers.flatMap((l) => l.params);
    this.grads = layers.flatMap((l) => l.grads);
  }

  /** Sets the LSTM's state to `encHs[:, -1]`. */
  #start(where: string, encHs: Tensor): void {
    const H = this.lstm.hiddenSize;
    const { N, T } = expectShape(where, "encHs", encHs.shape, ["N", "T", H]);
    const h0 = this.#h0 = reuse(this.#h0, [N, H], encHs);
    getKernels().copyRows(timestep(encHs, T - 1), h0);
    this.lstm.setState(h0);
  }

  /** xs: `(N, Td)` ids, encHs: `(N, T, H)` → score `(N, Td, V)`. */
  forward(xs: IntTensor, encHs: Tensor): Tensor {
    expectIntTensor("AttentionDecoder.forward", "xs", xs);
    this.#start("AttentionDecoder.forward", encHs);
    return this.#step(xs, encHs);
  }

  /** One pass over `xs` from the LSTM's state, attending to `encHs`. */
  #step(xs: IntTensor, encHs: Tensor): Tensor {
    const H = this.lstm.hiddenSize;
    const decHs = this.lstm.forward(this.embed.forward(xs)); //            (N, Td, H)
    const c = this.attention.forward(encHs, decHs); //                     (N, Td, H)
    const [N, Td] = decHs.shape;
    const affineIn = this.#affineIn = reuse(this.#affineIn, [N, Td, 2 * H], encHs);
    const k = getKernels();
    k.copyRows(c, colBlock(affineIn, 0, H)); //                            [c, decHs]
    k.copyRows(decHs, colBlock(affineIn, H, H));
    return this.affine.forward(affineIn); //                               (N, Td, V)
  }

  /** dscore: `(N, Td, V)` → dencHs `(N, T, H)`; sets `grads`. */
  backward(dscore: Tensor): Tensor {
    const H = this.lstm.hiddenSize;
    const dAffineIn = this.affine.backward(dscore); //                      (N, Td, 2H)
    const [N, Td] = dAffineIn.shape;
    const k = getKernels();
    const dc = this.#dc = reuse(this.#dc, [N, Td, H]);
    k.copyRows(colBlock(dAffineIn, 0, H), dc); //                           dc = d[:, :, :H]
    const [dEncHs, dDecHs1] = this.attention.backward(dc);
    const dDecHs = this.#dDecHs = reuse(this.#dDecHs, [N, Td, H]);
    k.copyRows(colBlock(dAffineIn, H, H), dDecHs); //                       ddec_hs0 = d[:, :, H:]
    k.copyRows(dDecHs1, dDecHs, { accumulate: true }); //                   + ddec_hs1
    this.embed.backward(this.lstm.backward(dDecHs));
    const T = dEncHs.shape[1];
    k.copyRows(this.lstm.dh!, timestep(dEncHs, T - 1), { accumulate: true }); // denc_hs[:, -1] += dh
    return dEncHs;
  }

  /** Greedy ids for `sampleSize` steps from `startId`, attending to `encHs` `(1, T, H)`. */
  generate(encHs: Tensor, startId: number, sampleSize: number): number[] {
    expectShape("AttentionDecoder.generate", "encHs", encHs.shape, [1, "T", "H"]);
    return [...this.generateBatch(encHs, startId, sampleSize).data];
  }

  /**
   * Greedy ids for every row of `encHs` `(N, T, H)`: `(N, sampleSize)`. `attentionMaps` keeps
   * the weights of every generated step `(N, sampleSize, T)` afterwards.
   */
  generateBatch(encHs: Tensor, startId: number, sampleSize: number): IntTensor {
    checkGenerate("AttentionDecoder.generate", startId, sampleSize, this.params[0].shape[0]);
    this.#start("AttentionDecoder.generate", encHs);
    const [N, T] = encHs.shape;
    const maps = zeros([N, sampleSize, T]);
    let t = 0;
    const ids = greedy(N, startId, sampleSize, (x) => {
      const score = this.#step(x, encHs);
      const a = this.attention.attentionWeights!; // (N, 1, T)
      for (let n = 0; n < N; n++) {
        maps.data.set(a.data.subarray(n * T, (n + 1) * T), (n * sampleSize + t) * T);
      }
      t++;
      return score;
    });
    this.attentionMaps = maps;
    return ids;
  }
}

/**
 * What the three models share: an encoder, a decoder, a softmax-with-loss, and their
 * parameters in one block of the engine's memory (encoder's then decoder's, the reference's
 * order), so the trainer, workers and checkpoints treat every model alike.
 */
export abstract class Seq2seqModel {
  /** The model's shape. */
  readonly config: Seq2seqConfig;
  /** The encoder. */
  readonly encoder: Seq2seqEncoder;
  /** The decoder. */
  readonly decoder: Seq2seqDecoder;
  /** The loss over the decoder's predictions. */
  readonly lossLayer: TimeSoftmaxWithLoss = new TimeSoftmaxWithLoss();
  /** The encoder's parameters, then the decoder's. */
  readonly params: Tensor[];
  /** Gradients matching `params`. */
  readonly grads: Tensor[];
  /** Names matching `params` (`encoder.embed_W`, …, `decoder.affine_b`). */
  readonly names: string[];
  /** Every parameter is a view of this block. */
  readonly paramBuffer: Tensor;
  /** Every gradient is a view of this block, laid out as `paramBuffer`. */
  readonly gradBuffer: Tensor;
  #dxs?: IntTensor;
  #dts?: IntTensor;

  /** Assembles a model; `build` makes the encoder and decoder from the split parameters. */
  protected constructor(
    model: Seq2seqKind,
    sizes: [number, number, number],
    options: Seq2seqModelOptions,
    build: (enc: Seq2seqOptions, dec: Seq2seqOptions) => [Seq2seqEncoder, Seq2seqDecoder],
  ) {
    const [vocabSize, wordvecSize, hiddenSize] = sizes;
    this.config = checkSeq2seqConfig({ model, vocabSize, wordvecSize, hiddenSize });
    const specs = seq2seqParamSpecs(this.config);
    const given = options.params !== undefined;
    const params = given ? makeParams(this.constructor.name, specs, options) : undefined;
    const rng = options.rng ?? new Rng(0);
    [this.encoder, this.decoder] = build(
      { params: params?.slice(0, 4), rng },
      { params: params?.slice(4), rng },
    );
    this.params = [...this.encoder.params, ...this.decoder.params];
    this.grads = [...this.encoder.grads, ...this.decoder.grads];
    this.names = specs.map((s) => s.name);
    if (options.paramBuffer !== undefined) {
      attachParams(this.params, options.paramBuffer);
      this.paramBuffer = options.paramBuffer;
    } else this.paramBuffer = packParams(this.params);
    if (options.gradBuffer !== undefined) {
      attachParams(this.grads, options.gradBuffer);
      this.gradBuffer = options.gradBuffer;
    } else this.gradBuffer = packParams(this.grads);
  }

  /**
   * The parameters and their gradients, ready for clipping and an update (a seq2seq model
   * ties none, so these are `params` and `grads`).
   */
  uniqueParams(): { params: Tensor[]; grads: Tensor[] } {
    return { params: this.params, grads: this.grads };
  }

  /** The parameters by name: what a checkpoint stores. */
  namedParams(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this.params.forEach((p, i) => out[this.names[i]] = p);
    return out;
  }

  /**
   * Mean cross-entropy of the answers: xs `(N, T)` questions, ts `(N, Td + 1)` answers; the
   * decoder reads `ts[:, :-1]` and predicts `ts[:, 1:]`.
   */
  forward(xs: IntTensor, ts: IntTensor): number {
    const where = `${this.constructor.name}.forward`;
    expectIntTensor(where, "xs", xs);
    expectIntTensor(where, "ts", ts, "answer ids");
    const dims = expectShape(where, "xs", xs.shape, ["N", "T"]);
    const { Tt } = expectShape(where, "ts", ts.shape, ["N", "Tt"], dims);
    if (Tt < 2) {
      throw new SaikiError(
        `${where}: ts has ${Tt} column(s), expected at least 2 (start id, answer)`,
      );
    }
    const N = dims.N, Td = Tt - 1;
    const dxs = this.#dxs = reuseIds(this.#dxs, [N, Td]),
      dts = this.#dts = reuseIds(this.#dts, [N, Td]);
    for (let n = 0; n < N; n++) {
      dxs.data.set(ts.data.subarray(n * Tt, n * Tt + Td), n * Td); //       ts[:, :-1]
      dts.data.set(ts.data.subarray(n * Tt + 1, (n + 1) * Tt), n * Td); //  ts[:, 1:]
    }
    const enc = this.encoder.forward(xs);
    const score = this.decoder.forward(dxs, enc);
    return this.lossLayer.forward(score, dts);
  }

  /** Back-propagates `dout` (default 1) of the last `forward`; fills `grads`. */
  backward(dout = 1): void {
    const dscore = this.lossLayer.backward(dout);
    this.encoder.backward(this.decoder.backward(dscore));
  }

  /**
   * Greedy answer to one question `xs` `(1, T)`: `sampleSize` ids, the first predicted from
   * `startId` (the separator `_`).
   */
  generate(xs: IntTensor, startId: number, sampleSize: number): number[] {
    const where = `${this.constructor.name}.generate`;
    expectIntTensor(where, "xs", xs);
    expectShape(where, "xs", xs.shape, [1, "T"]);
    return [...this.generateBatch(xs, startId, sampleSize).data];
  }

  /** Greedy answers to every question of `xs` `(N, T)`: `(N, sampleSize)` ids. */
  generateBatch(xs: IntTensor, startId: number, sampleSize: number): IntTensor {
    expectIntTensor(`${this.constructor.name}.generate`, "xs", xs);
    return this.decoder.generateBatch(this.encoder.forward(xs), startId, sampleSize);
  }
}

function reuseIds(buffer: IntTensor | undefined, shape: [number, number]): IntTensor {
  if (buffer !== undefined && buffer.shape[0] === shape[0] && buffer.shape[1] === shape[1]) {
    return buffer;
  }
  return new IntTensor(new Int32Array(shape[0] * shape[1]), shape);
}

/**
 * The seq2seq of 7.3: {@linkcode Encoder} and {@linkcode Decoder}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Seq2seq } from "./seq2seq.ts";
 * import { IntTensor } from "../tensor.ts";
 * const model = new Seq2seq(13, 16, 32);
 * const xs = IntTensor.from([[1, 2, 3, 4]]), ts = IntTensor.from([[6, 5, 7]]);
 * const loss = model.forward(xs, ts); // predicts 5 from 6, 7 from 5
 * assert(Math.abs(loss - Math.log(13)) < 0.1); // untrained: about uniform
 * model.backward();
 * assert.equal(model.generate(xs, 6, 2).length, 2);
 * ```
 */
export class Seq2seq extends Seq2seqModel {
  /** A model with the given sizes; parameters from `options.params` or drawn. */
  constructor(
    vocabSize: number,
    wordvecSize: number,
    hiddenSize: number,
    options?: Seq2seqModelOptions,
  ) {
    super("seq2seq", [vocabSize, wordvecSize, hiddenSize], options ?? {}, (e, d) => [
      new Encoder(vocabSize, wordvecSize, hiddenSize, e),
      new Decoder(vocabSize, wordvecSize, hiddenSize, d),
    ]);
  }
}

/**
 * The seq2seq of 7.4.2: {@linkcode Encoder} and {@linkcode PeekyDecoder}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PeekySeq2seq } from "./seq2seq.ts";
 * const model = new PeekySeq2seq(13, 16, 32);
 * assert.deepEqual(model.params[5].shape, [32 + 16, 128]); // the decoder's lstm_Wx
 * ```
 */
export class PeekySeq2seq extends Seq2seqModel {
  /** A model with the given sizes; parameters from `options.params` or drawn. */
  constructor(
    vocabSize: number,
    wordvecSize: number,
    hiddenSize: number,
    options?: Seq2seqModelOptions,
  ) {
    super("peeky", [vocabSize, wordvecSize, hiddenSize], options ?? {}, (e, d) => [
      new Encoder(vocabSize, wordvecSize, hiddenSize, e),
      new PeekyDecoder(vocabSize, wordvecSize, hiddenSize, d),
    ]);
  }
}

/**
 * The seq2seq with attention of 8.2: {@linkcode AttentionEncoder} and
 * {@linkcode AttentionDecoder}. After `generate`, `decoder.attentionMaps` holds the weights of
 * every answer character over the question's characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AttentionSeq2seq } from "./seq2seq.ts";
 * import { IntTensor } from "../tensor.ts";
 * const model = new AttentionSeq2seq(13, 16, 32);
 * const answer = model.generate(IntTensor.from([[1, 2, 3, 4, 5]]), 6, 3);
 * assert.equal(answer.length, 3);
 * assert.deepEqual(model.decoder.attentionMaps!.shape, [1, 3, 5]); // answer × question
 * ```
 */
export class AttentionSeq2seq extends Seq2seqModel {
  /** The attention decoder (its `attentionMaps` after `generate`). */
  declare readonly decoder: AttentionDecoder;

  /** A model with the given sizes; parameters from `options.params` or drawn. */
  constructor(
    vocabSize: number,
    wordvecSize: number,
    hiddenSize: number,
    options?: Seq2seqModelOptions,
  ) {
    super("attention", [vocabSize, wordvecSize, hiddenSize], options ?? {}, (e, d) => [
      new AttentionEncoder(vocabSize, wordvecSize, hiddenSize, e),
      new AttentionDecoder(vocabSize, wordvecSize, hiddenSize, d),
    ]);
  }
}

/**
 * Builds the model a configuration names.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PeekySeq2seq, seq2seqModel } from "./seq2seq.ts";
 * const model = seq2seqModel({ model: "peeky", vocabSize: 13, wordvecSize: 16, hiddenSize: 8 });
 * assert(model instanceof PeekySeq2seq);
 * ```
 */
export function seq2seqModel(config: Seq2seqConfig, options?: Seq2seqModelOptions): Seq2seqModel {
  const { model, vocabSize: V, wordvecSize: D, hiddenSize: H } = checkSeq2seqConfig(config);
  const Model = model === "seq2seq" ? Seq2seq : model === "peeky" ? PeekySeq2seq : AttentionSeq2seq;
  return new Model(V, D, H, options);
}
