/**
 * The checkpoint schema, written and read in one place: a language model
 * ({@linkcode modelCheckpoint}, {@linkcode modelFromCheckpoint}) and a training run around it
 * ({@linkcode runCheckpoint}, {@linkcode restoreRun}) as checkpoint contents — named tensors
 * plus string metadata, the pieces a safetensors file holds. Pure (no I/O):
 * `lib/io/checkpoint.ts` reads and writes the files.
 *
 * Tensor names: the model's parameters under their reference names (`embed_W`, `lstm_Wx`, …,
 * a tied matrix stored once), so PyTorch and NumPy users find them as they are named in the
 * book; everything else a trainer adds (optimizer slots, recurrent state) under a prefix.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { Rng } from "../random.ts";
import { IntTensor, Tensor } from "../tensor.ts";
import type { TrainConfig } from "./config.ts";
import { createOptimizer, type Optimizer } from "./optimizers.ts";
import type { TrainerState } from "./trainer.ts";
import {
  checkConfig,
  LanguageModel,
  type LanguageModelConfig,
  paramSpecs,
} from "../models/rnnlm.ts";

/**
 * The `format` metadata value of a saiki language-model checkpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CHECKPOINT_FORMAT, checkpointConfig, modelCheckpoint } from "./checkpoint.ts";
 * import { SimpleRnnlm } from "../models/rnnlm.ts";
 * const data = modelCheckpoint(new SimpleRnnlm(10, 3, 3));
 * assert.equal(data.metadata.format, CHECKPOINT_FORMAT); // written on save…
 * data.metadata.format = "saiki-lm/0";
 * assert.throws(() => checkpointConfig(data), /"format" is "saiki-lm\/0", expected "saiki-lm\/1"/);
 * ```
 */
export const CHECKPOINT_FORMAT = "saiki-lm/1";

/** Checkpoint contents: tensors by name and a string→string metadata map. */
export interface CheckpointData {
  /** Named tensors. */
  tensors: Record<string, Tensor | IntTensor>;
  /** Metadata; every value is a string (safetensors' rule). */
  metadata: Record<string, string>;
}

/**
 * The model's parameters and its configuration (`format`, `config`), plus `extra` entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelCheckpoint, modelFromCheckpoint } from "./checkpoint.ts";
 * import { Rnnlm } from "../models/rnnlm.ts";
 * const model = new Rnnlm(12, 4, 5);
 * const data = modelCheckpoint(model, { metadata: { vocab: JSON.stringify([]) } });
 * const copy = modelFromCheckpoint(data);
 * assert(copy.params[1].data[0] === model.params[1].data[0]);
 * ```
 */
export function modelCheckpoint(
  model: LanguageModel,
  extra?: Partial<CheckpointData>,
): CheckpointData {
  extra ??= {};
  const tensors: Record<string, Tensor | IntTensor> = { ...model.namedParams() };
  for (const [name, t] of Object.entries(extra.tensors ?? {})) {
    if (name in tensors) throw new SaikiError(`modelCheckpoint: tensor name "${name}" is taken`);
    tensors[name] = t;
  }
  return {
    tensors,
    metadata: {
      ...extra.metadata,
      format: CHECKPOINT_FORMAT,
      config: JSON.stringify(model.config),
    },
  };
}

/**
 * Reads and checks the `config` metadata of a checkpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkpointConfig, modelCheckpoint } from "./checkpoint.ts";
 * import { Rnnlm } from "../models/rnnlm.ts";
 * const data = modelCheckpoint(new Rnnlm(12, 4, 5));
 * // the model's shape, without building the model
 * const config = checkpointConfig(data);
 * assert(config.cell === "lstm" && config.vocabSize === 12 && config.hiddenSize === 5);
 * data.metadata.config = JSON.stringify({ ...config, layers: 0 });
 * assert.throws(() => checkpointConfig(data, "lm.safetensors"),
 *   /lm.safetensors: metadata "config" is invalid: LanguageModel: layers is 0/);
 * ```
 */
export function checkpointConfig(data: CheckpointData, where?: string): LanguageModelConfig {
  where ??= "checkpoint";
  if (data.metadata.format !== CHECKPOINT_FORMAT) {
    throw new SaikiError(
      `${where}: metadata "format" is ${
        JSON.stringify(data.metadata.format)
      }, expected "${CHECKPOINT_FORMAT}"`,
    );
  }
  let config: LanguageModelConfig;
  try {
    config = JSON.parse(data.metadata.config ?? "");
  } catch {
    throw new SaikiError(`${where}: metadata "config" is not valid JSON`);
  }
  try {
    return checkConfig(config);
  } catch (e) {
    throw new SaikiError(`${where}: metadata "config" is invalid: ${(e as Error).message}`);
  }
}

/**
 * Rebuilds the model a checkpoint holds, checking every parameter's presence, dtype and
 * shape first (errors name the tensor).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelCheckpoint, modelFromCheckpoint } from "./checkpoint.ts";
 * import { SimpleRnnlm } from "../models/rnnlm.ts";
 * const data = modelCheckpoint(new SimpleRnnlm(10, 3, 3));
 * delete data.tensors.rnn_Wh;
 * let message = "";
 * try { modelFromCheckpoint(data); } catch (e) { message = (e as Error).message; }
 * assert(message.includes("rnn_Wh"));
 * ```
 */
export function modelFromCheckpoint(
  data: CheckpointData,
  options?: { rng?: Rng; maskSeed?: number; where?: string },
): LanguageModel {
  options ??= {};
  const where = options.where ?? "checkpoint";
  const config = checkpointConfig(data, where);
  const params = paramSpecs(config).map(({ name, shape }) => {
    const t = data.tensors[name];
    if (t === undefined) throw new SaikiError(`${where}: tensor "${name}" is missing`);
    if (t instanceof IntTensor) {
      throw new SaikiError(`${where}: tensor "${name}" has dtype I32, expected F32`);
    }
    if (t.shape.join() !== shape.join()) {
      throw new SaikiError(
        `${where}: tensor "${name}" has shape [${t.shape}], expected [${shape}] for this model`,
      );
    }
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new SaikiError(
        `${where}: tensor "${name}" holds ${t.data[bad]} at index ${bad}: a model with ` +
          `non-finite parameters cannot be used`,
      );
    }
    return t;
  });
  return new LanguageModel(config, { params, rng: options.rng, maskSeed: options.maskSeed });
}

/** Run state kept in checkpoints beside the trainer's. */
export interface RunProgress {
  /** Best validation perplexity so far. */
  bestValid: number;
  /** Learning rate in use (after decays). */
  lr: number;
  /** Loss sum of the current epoch. */
  epochLoss: number;
  /** Iterations of the current epoch. */
  epochCount: number;
}

/**
 * Everything a run's checkpoint holds beside the model: what {@linkcode runCheckpoint} writes
 * and {@linkcode restoreRun} reads back.
 */
export interface RunState {
  /** The optimizer: its slots (`optimizer.*` tensors) and counters (`optimizer_state`). */
  optimizer: Optimizer;
  /** The trainer's position in the corpus (`trainer`). */
  trainer: TrainerState;
  /** The run's generator (`rng`). */
  rng: Rng;
  /** Progress beside the trainer's state (`progress`). */
  progress: RunProgress;
  /** Each recurrent layer's state over the whole batch (`state.h1`, `state.c1`, …); empty before the first batch. */
  recurrent: { h: Tensor; c: Tensor | null }[];
  /** The vocabulary, by id (`vocab`). */
  words: string[];
  /** What identifies the training text, when the caller gave it (`corpus`). */
  corpus?: string;
  /** The run's id, when the caller gave it (`run_id`). */
  runId?: string;
  /** The run's configuration (`train_config`). */
  config: TrainConfig;
}

/**
 * A training run as checkpoint contents: the model's ({@linkcode modelCheckpoint}) plus the
 * optimizer's slots under `optimizer.*`, the recurrent state under `state.h<i>`/`state.c<i>`,
 * and the run's metadata (`vocab`, `step`, `epoch`, `seed`, `optimizer`, `optimizer_state`,
 * `trainer`, `rng`, `progress`, `train_config`, and `corpus` and `run_id` when given). {@linkcode restoreRun} reads it back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { restoreRun, runCheckpoint } from "./checkpoint.ts";
 * import { LanguageModel } from "../models/rnnlm.ts";
 * import { SGD } from "./optimizers.ts";
 * import { PRESETS, modelConfig } from "./config.ts";
 * import { Rng } from "../random.ts";
 * const config = { ...PRESETS.simple, preset: "simple", seed: 1, saveEvery: 0 };
 * const words = Array.from({ length: 20 }, (_, i) => `w${i}`);
 * const rng = new Rng(1), model = new LanguageModel(modelConfig(config, 20), { rng });
 * const trainer = { timeIdx: 5, epoch: 0, iter: 1, step: 1, totalLoss: 3, lossCount: 1 };
 * const progress = { bestValid: Infinity, lr: 0.1, epochLoss: 3, epochCount: 1 };
 * const ckpt = runCheckpoint(model, {
 *   optimizer: new SGD(0.1), trainer, rng, progress, recurrent: [], words, config,
 * });
 * const back = restoreRun(ckpt, config, words, 10);
 * assert.deepEqual(back.run.trainer, trainer);
 * assert.deepEqual(Array.from(back.model.paramBuffer.data), Array.from(model.paramBuffer.data));
 * ```
 */
export function runCheckpoint(model: LanguageModel, run: RunState): CheckpointData {
  const { optimizer, trainer, config } = run;
  const tensors: Record<string, Tensor | IntTensor> = {};
  for (const [k, v] of Object.entries(optimizer.stateTensors())) tensors[`optimizer.${k}`] = v;
  run.recurrent.forEach(({ h, c }, i) => {
    tensors[`state.h${i + 1}`] = h;
    if (c) tensors[`state.c${i + 1}`] = c;
  });
  return modelCheckpoint(model, {
    tensors,
    metadata: {
      vocab: JSON.stringify(run.words),
      step: String(trainer.step),
      epoch: String(trainer.epoch),
      seed: String(config.seed),
      optimizer: optimizer.name,
      optimizer_state: JSON.stringify(optimizer.stateMeta()),
      trainer: JSON.stringify(trainer),
      rng: JSON.stringify(run.rng.getState()),
      progress: JSON.stringify(run.progress),
      train_config: JSON.stringify(config),
      ...(run.corpus === undefined ? {} : { corpus: run.corpus }),
      ...(run.runId === undefined ? {} : { run_id: run.runId }),
    },
  });
}

/**
 * Reads back what {@linkcode runCheckpoint} wrote, checking every field before use: the model,
 * and the run's state for `config` on a vocabulary of `words` with `itersPerEpoch` iterations
 * per epoch, trained on the text `corpus` identifies, in the run `runId` names (each checked
 * when both it and the checkpoint name one). Each error names the checkpoint (`where`) and the
 * field. See
 * {@linkcode runCheckpoint} for an example.
 */
export function restoreRun(
  ckpt: CheckpointData,
  config: TrainConfig,
  words: readonly string[],
  itersPerEpoch: number,
  options?: { where?: string; corpus?: string; runId?: string },
): { model: LanguageModel; run: RunState } {
  const { where = "checkpoint", corpus, runId } = options ?? {};
  const saved = checkpointConfig(ckpt, where);
  const savedRun = ckpt.metadata.run_id;
  if (runId !== undefined && savedRun !== undefined && runId !== savedRun) {
    throw new SaikiError(
      `${where}: the checkpoint belongs to another run (run ${savedRun}), not to this folder's ` +
        `(run ${runId}): copied in from elsewhere? resume the run it came from`,
    );
  }
  checkSameRun(ckpt, config, where);
  const savedCorpus = ckpt.metadata.corpus;
  if (corpus !== undefined && savedCorpus !== undefined && corpus !== savedCorpus) {
    throw new SaikiError(
      `${where}: the training text changed since the run began: it was ${savedCorpus}, it is ` +
        `${corpus} now; resume on the same text, or start a new run`,
    );
  }
  const savedWords = parseJson(ckpt.metadata.vocab ?? "[]", where, "vocab");
  if (!Array.isArray(savedWords)) throw new SaikiError(`${where}: metadata "vocab" is not a list`);
  if (saved.vocabSize !== words.length || savedWords.some((w, i) => w !== words[i])) {
    throw new SaikiError(`${where}: the checkpoint's vocabulary differs from the data's`);
  }
  const rng = new Rng(config.seed);
  const model = modelFromCheckpoint(ckpt, { rng, maskSeed: config.seed, where });
  const optimizer = optimizerFromCheckpoint(ckpt, config.optimizer, config.lr, where);
  const progress = checkProgress(
    parseJson(ckpt.metadata.progress, where, "progress"),
    `${where}: metadata "progress"`,
  );
  optimizer.lr = progress.lr;
  const trainer = checkTrainerState(
    parseJson(ckpt.metadata.trainer, where, "trainer"),
    `${where}: metadata "trainer"`,
    itersPerEpoch,
  );
  const rngState = parseJson(ckpt.metadata.rng, where, "rng");
  if (
    !Array.isArray(rngState) || rngState.length !== 5 ||
    !rngState.slice(0, 4).every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32) ||
    !(rngState[4] === null || typeof rngState[4] === "number")
  ) {
    throw new SaikiError(`${where}: metadata "rng" is not a generator state (4 words, 1 number)`);
  }
  rng.setState(rngState.map((v) => v ?? NaN));
  const H = model.config.hiddenSize;
  const layers = model.rnnLayers.map((layer, i) => {
    const get = (name: string) => {
      const t = ckpt.tensors[name];
      if (t === undefined) return undefined;
      if (!(t instanceof Tensor)) {
        throw new SaikiError(`${where}: tensor "${name}" is I32, expected F32`);
      }
      if (t.shape.join() !== `${config.batch},${H}`) {
        throw new SaikiError(
          `${where}: tensor "${name}" has shape [${t.shape}], expected [${config.batch},${H}]`,
        );
      }
      if (!t.data.every(Number.isFinite)) {
        throw new SaikiError(`${where}: tensor "${name}" holds non-finite values`);
      }
      return t;
    };
    const h = get(`state.h${i + 1}`), c = get(`state.c${i + 1}`);
    if (layer.hasCellState && h !== undefined && c === undefined) {
      throw new SaikiError(
        `${where}: tensor "state.c${i + 1}" is missing beside state.h${i + 1}`,
      );
    }
    return { h, c: layer.hasCellState ? c ?? null : null };
  });
  const all = layers.every((l) => l.h !== undefined);
  if (!all && layers.some((l) => l.h !== undefined)) {
    throw new SaikiError(`${where}: the recurrent state is there for some layers, not all`);
  }
  const recurrent = all ? layers as { h: Tensor; c: Tensor | null }[] : [];
  return {
    model,
    run: {
      optimizer,
      trainer,
      rng,
      progress,
      recurrent,
      words: [...words],
      config,
      corpus,
      runId: runId ?? savedRun,
    },
  };
}

/**
 * The optimizer `name` with the slots (`optimizer.*` tensors) and counters (`optimizer_state`)
 * a checkpoint saved; each error names the checkpoint (`where`) and what does not fit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optimizerFromCheckpoint } from "./checkpoint.ts";
 * import { Adam } from "./optimizers.ts";
 * import { tensor } from "../tensor.ts";
 * const p = tensor([1, 2]), adam = new Adam(0.1);
 * adam.update([p], [tensor([0.5, -0.5])]);
 * const tensors = Object.fromEntries(
 *   Object.entries(adam.stateTensors()).map(([k, t]) => [`optimizer.${k}`, t]),
 * );
 * const ckpt = { tensors, metadata: { optimizer_state: JSON.stringify(adam.stateMeta()) } };
 * const back = optimizerFromCheckpoint(ckpt, "adam", 0.1, "ckpt");
 * assert.deepEqual(back.stateMeta(), adam.stateMeta());
 * ```
 */
export function optimizerFromCheckpoint(
  ckpt: CheckpointData,
  name: string,
  lr: number,
  where: string,
): Optimizer {
  const optimizer = createOptimizer(name, { lr });
  const slots: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(ckpt.tensors)) {
    if (!k.startsWith("optimizer.")) continue;
    if (!(t instanceof Tensor)) {
      throw new SaikiError(`${where}: tensor "${k}" is I32, expected F32`);
    }
    slots[k.slice("optimizer.".length)] = t;
  }
  const meta = parseJson(ckpt.metadata.optimizer_state ?? "{}", where, "optimizer_state");
  if (!isRecord(meta) || !Object.values(meta).every((v) => typeof v === "number")) {
    throw new SaikiError(`${where}: metadata "optimizer_state" is not a map of numbers`);
  }
  try {
    optimizer.loadState(slots, meta as Record<string, number>);
  } catch (e) {
    throw new SaikiError(`${where}: the optimizer state does not fit: ${(e as Error).message}`);
  }
  return optimizer;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Throws unless every `fields` entry of `value` passes its check; names the first that fails. */
function checkFields(
  where: string,
  value: unknown,
  fields: Record<string, [string, (v: unknown) => boolean]>,
): Record<string, unknown> {
  if (!isRecord(value)) throw new SaikiError(`${where} is not an object`);
  for (const [key, [expected, ok]] of Object.entries(fields)) {
    if (!ok(value[key])) {
      throw new SaikiError(
        `${where}: "${key}" is ${JSON.stringify(value[key])}, expected ${expected}`,
      );
    }
  }
  return value;
}

const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const finite = (v: unknown) => typeof v === "number" && Number.isFinite(v);

function checkTrainerState(value: unknown, where: string, itersPerEpoch: number): TrainerState {
  const s = checkFields(where, value, {
    timeIdx: ["an integer >= 0", count],
    epoch: ["an integer >= 0", count],
    // an epoch's last iteration (iter = itersPerEpoch): saved before that epoch's end, which
    // the resumed run then does first
    iter: [
      `an integer from 0 to ${itersPerEpoch}`,
      (v) => count(v) && (v as number) <= itersPerEpoch,
    ],
    step: ["an integer >= 0", count],
    totalLoss: ["a finite number >= 0", (v) => finite(v) && (v as number) >= 0],
    lossCount: ["an integer >= 0", count],
  });
  const st = s as unknown as TrainerState;
  if (st.step < st.epoch * itersPerEpoch + st.iter) {
    throw new SaikiError(
      `${where}: "step" is ${st.step}, fewer than epoch ${st.epoch} × ${itersPerEpoch} + iter ${st.iter}`,
    );
  }
  return { ...st };
}

function checkProgress(value: unknown, where: string): RunProgress {
  const p = checkFields(where, value, {
    bestValid: ["a number > 0 or null", (v) => v === null || (typeof v === "number" && v > 0)],
    lr: ["a finite number >= 0", (v) => finite(v) && (v as number) >= 0],
    epochLoss: ["a finite number >= 0", (v) => finite(v) && (v as number) >= 0],
    epochCount: ["an integer >= 0", count],
  });
  // JSON has no Infinity: a run saved before any validation stores null
  return {
    ...(p as unknown as RunProgress),
    bestValid: (p.bestValid as number | null) ?? Infinity,
  };
}

function parseJson<T = unknown>(text: string | undefined, where: string, field: string): T {
  try {
    return JSON.parse(text ?? "");
  } catch {
    throw new SaikiError(`${where}: metadata "${field}" is not valid JSON`);
  }
}

/**
 * The fields of a run's configuration that may change when it is resumed: how long it goes on
 * (`epochs`), where its data is read from (`dataDir`), how often it saves (`saveEvery`).
 */
export const RESUMABLE_FIELDS: readonly string[] = ["epochs", "dataDir", "saveEvery"];

/**
 * Refuses to resume a checkpoint under a configuration other than the one it was trained with
 * (an edited `config.json`, or a checkpoint copied in from another run): every field but
 * {@linkcode RESUMABLE_FIELDS} must equal the checkpoint's own `train_config`, and the error
 * names the first that differs with both values. Checkpoints without `train_config` pass.
 */
function checkSameRun(ckpt: CheckpointData, config: TrainConfig, where: string): void {
  if (ckpt.metadata.train_config === undefined) return;
  const saved = parseJson(ckpt.metadata.train_config, where, "train_config");
  if (!isRecord(saved)) throw new SaikiError(`${where}: metadata "train_config" is not an object`);
  const given = config as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(saved), ...Object.keys(given)]);
  for (const key of keys) {
    if (RESUMABLE_FIELDS.includes(key)) continue;
    const a = JSON.stringify(given[key]), b = JSON.stringify(saved[key]);
    if (a !== b) {
      throw new SaikiError(
        `${where}: config.json has ${key} = ${
          a ?? "(none)"
        }, but the checkpoint was trained with ` +
          `${key} = ${b ?? "(none)"}: a resumed run keeps its configuration (only ` +
          `${RESUMABLE_FIELDS.join(", ")} may change); restore config.json, or start a new run`,
      );
    }
  }
}
