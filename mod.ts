/**
 * saiki (再帰, "recurrence"): recurrent neural networks — RNN, LSTM, GRU and the language
 * models built from them — with every forward and backward pass written by hand, following
 * "Deep Learning from Scratch 2" class for class.
 *
 * ## Where to start, by chapter of the book
 *
 * | book | in saiki |
 * | --- | --- |
 * | NumPy arrays | {@linkcode tensor}, {@linkcode zeros}, {@linkcode matmul}, {@linkcode add}, {@linkcode tanh}, {@linkcode sum}, {@linkcode softmax}, {@linkcode timestep} (`xs[:, t, :]`); tensors print like NumPy arrays |
 * | 5.3.1 the RNN cell | {@linkcode RNN} (`h = cell.forward(x, h)` is safe) |
 * | 5.3.2 Time RNN | {@linkcode TimeRNN} |
 * | 5.4 time layers | {@linkcode TimeEmbedding}, {@linkcode TimeAffine}, {@linkcode TimeSoftmaxWithLoss} |
 * | 5.5 the RNNLM and its training | {@linkcode SimpleRnnlm}, {@linkcode SGD}, {@linkcode RnnlmTrainer}; PTB's first 1,007 words from {@linkcode ptbHead}, all of it from `loadPtb` in `./lib/io/mod.ts` (Deno), any text with {@linkcode corpusFromText} |
 * | 6.3–6.4 LSTM | {@linkcode LSTM}, {@linkcode TimeLSTM}, {@linkcode Rnnlm}, {@linkcode clipGrads} |
 * | 6.5 a better RNNLM | {@linkcode BetterRnnlm}, {@linkcode TimeDropout}, weight tying |
 * | 6 (appendix) GRU | {@linkcode GRU}, {@linkcode TimeGRU} |
 * | 7.1 generating text | {@linkcode generate} |
 * | 7.2.5 the addition data set, 8.3.1 the dates (7.4.1: reversed questions) | {@linkcode sequenceData} (`reverse: true`), {@linkcode CharVocabulary}; their first lines from {@linkcode sequenceSample}, the whole files from `loadSequence` in `./lib/io/mod.ts` (Deno) |
 * | 7.3 seq2seq | {@linkcode Encoder}, {@linkcode Decoder}, {@linkcode Seq2seq}; {@linkcode Trainer} (the reference's `Trainer`), {@linkcode evalSeq2seq}, {@linkcode seq2seqAccuracy} |
 * | 7.4.2 Peeky | {@linkcode PeekyDecoder}, {@linkcode PeekySeq2seq} |
 * | 8.1 attention | {@linkcode WeightSum}, {@linkcode AttentionWeight}, {@linkcode Attention}, {@linkcode TimeAttention} |
 * | 8.2 seq2seq with attention | {@linkcode AttentionEncoder}, {@linkcode AttentionDecoder}, {@linkcode AttentionSeq2seq}; a whole run as `ch08/train.py`: {@linkcode Seq2seqSession}, {@linkcode seq2seqDefaults} |
 * | 8.3.3 visualising attention | {@linkcode askSeq2seq} (the weights of a typed question), {@linkcode attentionMapSvg} |
 * | checking your own layer | {@linkcode gradCheck} |
 * | saving and loading | {@linkcode modelCheckpoint}, {@linkcode modelFromCheckpoint}, {@linkcode encodeSafetensors} |
 *
 * Every layer keeps the reference's `params` and `grads` lists and `forward`/`backward`
 * methods; its source shows the equations it computes beside the kernel calls that compute
 * them. The kernels, the engine's memory and the worker machinery are behind a second entry,
 * `./lib/engine/mod.ts` (`@saiki/saiki/engine`), for those who extend saiki.
 *
 * This module runs unchanged in Deno, browsers and Node: it does no I/O and imports only
 * relative paths. Dataset and checkpoint files are read by `./lib/io/mod.ts`
 * (`@saiki/saiki/io`, Deno only).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng, TimeRNN } from "./mod.ts";
 * const rng = new Rng(0);
 * const layer = new TimeRNN(rng.randn([3, 4], 0.5), rng.randn([4, 4], 0.5), rng.randn([4]));
 * const hs = layer.forward(rng.randn([2, 5, 3])); // xs: (N=2, T=5, D=3) → hs: (2, 5, 4)
 * const dxs = layer.backward(hs); // dhs → dxs: (2, 5, 3); dWx, dWh, db in layer.grads
 * assert(dxs.shape.join() === "2,5,3" && layer.grads[1].shape.join() === "4,4");
 * ```
 *
 * @module
 */

export {
  type ArrayJSON,
  fromJSON,
  IntTensor,
  type NestedArray,
  sizeOf,
  Tensor,
  tensor,
  zeros,
} from "./lib/tensor.ts";
export * from "./lib/ops/mod.ts";
export { SaikiError } from "./lib/errors.ts";
export { Rng } from "./lib/random.ts";
export {
  availableBackends,
  type BackendName,
  getKernels,
  type Kernels,
  selectBackend,
  setKernels,
} from "./lib/engine/kernels.ts";
export {
  gradCheck,
  type GradCheckOptions,
  type GradCheckResult,
  type GradCheckTarget,
} from "./lib/layers/gradcheck.ts";
export type { Layer, SequenceLayer } from "./lib/layers/layer.ts";
export type { RecurrentState } from "./lib/layers/recurrent.ts";
export * from "./lib/layers/affine.ts";
export * from "./lib/layers/embedding.ts";
export * from "./lib/layers/rnn.ts";
export * from "./lib/layers/lstm.ts";
export * from "./lib/layers/gru.ts";
export * from "./lib/layers/softmax.ts";
export * from "./lib/layers/dropout.ts";
export * from "./lib/layers/simple_rnn.ts";
export * from "./lib/layers/attention.ts";
export {
  BetterRnnlm,
  type CellKind,
  LanguageModel,
  type LanguageModelConfig,
  type LanguageModelOptions,
  type Recurrent,
  Rnnlm,
  SimpleRnnlm,
} from "./lib/models/rnnlm.ts";
export {
  CHECKPOINT_FORMAT,
  checkpointConfig,
  type CheckpointData,
  modelCheckpoint,
  modelFromCheckpoint,
} from "./lib/train/checkpoint.ts";
export * from "./lib/models/generate.ts";
export * from "./lib/models/seq2seq.ts";
export * from "./lib/models/seq2seq_ask.ts";
export * from "./lib/train/optimizers.ts";
export {
  evalPerplexity,
  type FitOptions,
  RnnlmTrainer,
  type TrainerOptions,
  type TrainerState,
  type TrainReport,
} from "./lib/train/trainer.ts";
export * from "./lib/train/seq2seq_trainer.ts";
export * from "./lib/train/seq2seq_run.ts";
export type { Metric } from "./lib/train/session.ts";
export {
  modelConfig,
  type Preset,
  presetModel,
  PRESETS,
  type TrainConfig,
} from "./lib/train/config.ts";
export * from "./lib/models/safetensors.ts";
export {
  type FromTorchOptions,
  fromTorchStateDict,
  TORCH_FORMAT,
  type TorchConfig,
  type TorchImport,
  type TorchStateDict,
  type ToTorchOptions,
  toTorchStateDict,
} from "./lib/models/torch_export.ts";
export {
  ONNX_FORMAT,
  ONNX_OPSET,
  type OnnxInfo,
  readOnnxInfo,
  toOnnx,
  type ToOnnxOptions,
} from "./lib/models/onnx_export.ts";
export * from "./lib/data/corpus.ts";
export { PTB_HEAD_WORDS, ptbHead } from "./lib/data/ptb_head.ts";
export * from "./lib/data/sequence.ts";
export {
  SEQUENCE_SAMPLE_LINES,
  sequenceSample,
  sequenceSampleText,
} from "./lib/data/sequence_sample.ts";
export * from "./lib/train/plot.ts";
