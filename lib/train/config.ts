/**
 * What a training run is configured by, the reference's three runs as presets, and how many
 * worker threads a run gets by default. Pure: no I/O.
 *
 * @module
 */

import {
  CELL_GATES,
  ENGINE_MAX_BYTES,
  type LanguageModelConfig,
  paramCount,
} from "../models/rnnlm.ts";
import { defaultShards } from "../parallel/shards.ts";

/** Everything a run is configured by; saved as `config.json` in the run folder. */
export interface TrainConfig {
  /** The preset the run started from. */
  preset: string;
  /** Recurrent cell. */
  model: "rnn" | "lstm" | "gru";
  /** Stacked recurrent layers. */
  layers: number;
  /** Embedding size D. */
  wordvec: number;
  /** Hidden size H. */
  hidden: number;
  /** Dropout ratio. */
  dropout: number;
  /** Tie the embedding and output weights. */
  tie: boolean;
  /** Batch rows N. */
  batch: number;
  /** Truncated BPTT length T. */
  time: number;
  /** Learning rate. */
  lr: number;
  /** Optimizer name. */
  optimizer: string;
  /** Epochs. */
  epochs: number;
  /** Clip the gradients' global norm to this (0: off). */
  clip: number;
  /** Divide lr by 4 when validation perplexity worsens. */
  decay: boolean;
  /** Report every this many iterations. */
  evalInterval: number;
  /** Train on the first N words only (0: all). */
  corpusSize: number;
  /** Seed of the initial parameters and the dropout masks. */
  seed: number;
  /** A training text instead of PTB. */
  corpus?: string;
  /** With `corpus`: validation text. */
  validCorpus?: string;
  /** With `corpus`: test text. */
  testCorpus?: string;
  /** With `corpus`: keep the most frequent N words. */
  vocabSize?: number;
  /** Folder holding PTB. */
  dataDir?: string;
  /** Also checkpoint every N iterations (0: epoch ends only). */
  saveEvery: number;
}

/** A preset: the configuration fields a reference run fixes. */
export type Preset = Omit<
  TrainConfig,
  | "preset"
  | "seed"
  | "corpus"
  | "validCorpus"
  | "testCorpus"
  | "vocabSize"
  | "dataDir"
  | "saveEvery"
>;

/**
 * The reference's three runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS, type TrainConfig } from "./config.ts";
 * assert.deepEqual(Object.keys(PRESETS), ["simple", "lstm", "better"]);
 * assert(PRESETS.simple.model === "rnn" && PRESETS.simple.corpusSize === 1000);
 * assert(PRESETS.better.tie && PRESETS.better.wordvec === PRESETS.better.hidden);
 * // a run's configuration: a preset, the fields it leaves open, and any overrides
 * const config: TrainConfig = { ...PRESETS.lstm, preset: "lstm", seed: 1, saveEvery: 0 };
 * assert(config.lr === 20 && config.clip === 0.25 && config.epochs === 4);
 * ```
 */
export const PRESETS: Readonly<Record<string, Preset>> = {
  // chapter 5, train_custom_loop.py: the first 1,000 words of PTB, SimpleRnnlm, SGD 0.1
  simple: {
    model: "rnn",
    layers: 1,
    wordvec: 100,
    hidden: 100,
    dropout: 0,
    tie: false,
    batch: 10,
    time: 5,
    lr: 0.1,
    optimizer: "sgd",
    epochs: 100,
    clip: 0,
    decay: false,
    evalInterval: 19,
    corpusSize: 1000,
  },
  // chapter 6, train_rnnlm.py: Rnnlm on all of PTB
  lstm: {
    model: "lstm",
    layers: 1,
    wordvec: 100,
    hidden: 100,
    dropout: 0,
    tie: false,
    batch: 20,
    time: 35,
    lr: 20,
    optimizer: "sgd",
    epochs: 4,
    clip: 0.25,
    decay: false,
    evalInterval: 20,
    corpusSize: 0,
  },
  // chapter 6, train_better_rnnlm.py: BetterRnnlm, validation every epoch, lr ÷ 4 when worse
  better: {
    model: "lstm",
    layers: 2,
    wordvec: 650,
    hidden: 650,
    dropout: 0.5,
    tie: true,
    batch: 20,
    time: 35,
    lr: 20,
    optimizer: "sgd",
    epochs: 40,
    clip: 0.25,
    decay: true,
    evalInterval: 20,
    corpusSize: 0,
  },
};

/**
 * The model configuration of a run over a vocabulary of `vocabSize` words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelConfig, PRESETS } from "./config.ts";
 * const m = modelConfig({ ...PRESETS.lstm, preset: "lstm", seed: 1, saveEvery: 0 }, 10000);
 * assert(m.cell === "lstm" && m.hiddenSize === 100 && m.vocabSize === 10000);
 * ```
 */
export function modelConfig(config: TrainConfig, vocabSize: number): LanguageModelConfig {
  return {
    vocabSize,
    wordvecSize: config.wordvec,
    hiddenSize: config.hidden,
    cell: config.model,
    layers: config.layers,
    dropout: config.dropout,
    tieWeights: config.tie,
  };
}

/**
 * The model of preset `name` over PTB's 10,000 words (what the benchmarks train).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { presetModel } from "./config.ts";
 * assert(presetModel("better").layers === 2 && presetModel("better").tieWeights);
 * ```
 */
export function presetModel(name: string, vocabSize?: number): LanguageModelConfig {
  vocabSize ??= 10000;
  return modelConfig({ ...PRESETS[name], preset: name, seed: 1, saveEvery: 0 }, vocabSize);
}

/**
 * Floating-point operations of one training iteration (forward and backward) of a model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { presetModel, stepFlops } from "./config.ts";
 * // lstm preset (V 10,000, D = H = 100), batch 20 × 35: per token 2·H·V for the output layer
 * // and 2·(D + H)·4H for the LSTM, times 3 for forward and backward
 * const flops = stepFlops(presetModel("lstm"), 20, 35);
 * assert.equal(flops, 3 * (2 * 100 * 10000 + 2 * (100 + 100) * 400) * 20 * 35); // 4.5 GFLOP
 * assert.equal(stepFlops(presetModel("lstm"), 40, 35), 2 * flops); // linear in the batch
 * ```
 */
export function stepFlops(model: LanguageModelConfig, rows: number, time: number): number {
  const { vocabSize: V, wordvecSize: D, hiddenSize: H, cell, layers } = model;
  const G = { rnn: 1, lstm: 4, gru: 3 }[cell] * H;
  let perToken = 2 * H * V; // the output layer
  for (let l = 0; l < layers; l++) perToken += 2 * ((l === 0 ? D : H) + H) * G;
  return 3 * perToken * rows * time; // backward: about twice the forward
}

/**
 * Below this many floating-point operations per iteration, two workers cost more than they
 * save. Measured on the 2-core machine (wasm kernels, one LSTM layer, batch 20×35, 2 shards;
 * time per iteration on one thread → on two workers): V 100 H 8 (6 MFLOP) 0.99 → 1.29 ms;
 * V 200 H 16 (22 MFLOP) 1.51 → 1.58 ms; V 300 H 16 (29 MFLOP) 1.89 → 1.71 ms; V 1000 H 32
 * (169 MFLOP) 1.55× faster; V 5000 H 64 (1.5 GFLOP) 1.86×. Messages and the main thread's
 * gradient sum cost about 0.3 ms per iteration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MIN_PARALLEL_FLOPS, presetModel, stepFlops } from "./config.ts";
 * // the simple preset (418 words, batch 10 × 5) stays on one thread; the lstm preset pays
 * assert(stepFlops(presetModel("simple", 418), 10, 5) < MIN_PARALLEL_FLOPS); // 19 MFLOP
 * assert(stepFlops(presetModel("lstm"), 20, 35) > MIN_PARALLEL_FLOPS); // 4.5 GFLOP
 * ```
 */
export const MIN_PARALLEL_FLOPS = 3e7;

/**
 * The worker count `--workers auto` picks: one per shard, at most one per core, and 1 when the
 * batch has a single shard or a model's iteration is under {@linkcode MIN_PARALLEL_FLOPS}.
 * Returns the count and why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { autoWorkers, modelConfig, PRESETS } from "./config.ts";
 * const lstm = { ...PRESETS.lstm, preset: "lstm", seed: 1, saveEvery: 0 };
 * assert(autoWorkers(lstm, modelConfig(lstm, 10000), 2).workers === 2);
 * const simple = { ...PRESETS.simple, preset: "simple", seed: 1, saveEvery: 0 };
 * assert(autoWorkers(simple, modelConfig(simple, 418), 2).workers === 1);
 * ```
 */
export function autoWorkers(
  config: TrainConfig,
  model: LanguageModelConfig,
  cores: number,
): { workers: number; why: string } {
  const shards = defaultShards(config.batch);
  if (shards === 1) return { workers: 1, why: `a batch of ${config.batch} rows is one shard` };
  const flops = stepFlops(model, config.batch, config.time);
  if (flops < MIN_PARALLEL_FLOPS) {
    return { workers: 1, why: `the model is too small for workers to pay` };
  }
  const workers = Math.max(1, Math.min(cores, shards));
  return { workers, why: `${cores} cores, ${shards} shards` };
}

/**
 * The most memory a run may need: what one WebAssembly memory can address (4 GiB), the
 * engine's limit that a model's own size check uses too ({@linkcode ENGINE_MAX_BYTES}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { estimateRunBytes, MAX_RUN_BYTES, modelConfig, PRESETS } from "./config.ts";
 * assert.equal(MAX_RUN_BYTES, 2 ** 32);
 * const better = { ...PRESETS.better, preset: "better", seed: 1, saveEvery: 0 };
 * assert(estimateRunBytes(better, modelConfig(better, 10000)) < MAX_RUN_BYTES); // 0.4 GiB
 * // 4096 wide instead of 650: about 7.3 GiB, refused before anything is allocated
 * const wide = { ...better, wordvec: 4096, hidden: 4096 };
 * assert(estimateRunBytes(wide, modelConfig(wide, 10000)) > MAX_RUN_BYTES);
 * ```
 */
export const MAX_RUN_BYTES: number = ENGINE_MAX_BYTES;

/**
 * About how many bytes a run of `model` needs: parameters, the shards' gradients and two
 * optimizer slots, plus one batch's activations (scores, probabilities and their gradient
 * dominate for a large vocabulary). A floor, checked before anything is allocated, so that
 * sizes that cannot fit fail at once with their size named. The parameters are counted by
 * {@linkcode paramCount}, as the model's own check counts them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { estimateRunBytes, modelConfig, PRESETS } from "./config.ts";
 * const lstm = { ...PRESETS.lstm, preset: "lstm", seed: 1, saveEvery: 0 };
 * const mb = estimateRunBytes(lstm, modelConfig(lstm, 10000)) / 2 ** 20;
 * assert(mb > 50 && mb < 400);
 * ```
 */
export function estimateRunBytes(config: TrainConfig, model: LanguageModelConfig): number {
  const { vocabSize: V, wordvecSize: D, hiddenSize: H, cell, layers } = model;
  const G = CELL_GATES[cell] * H;
  const params = paramCount(model);
  const shards = defaultShards(config.batch);
  const perToken = 2 * D + layers * (2 * G + 4 * H) + 3 * V;
  return 4 * ((4 + shards) * params + config.batch * config.time * perToken);
}
