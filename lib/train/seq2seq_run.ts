/**
 * A chapter-7/8 training run, as the reference's `ch07/train_seq2seq.py` and `ch08/train.py`
 * run it: its configuration ({@linkcode Seq2seqRunConfig}, with the reference's
 * hyper-parameters as defaults), its checkpoint ({@linkcode seq2seqCheckpoint},
 * {@linkcode seq2seqFromCheckpoint}), and its policy ({@linkcode Seq2seqSession}): an epoch of
 * shuffled minibatches, then the exact-match accuracy on the test questions, metrics, a
 * checkpoint, progress with an ETA.
 *
 * Pure (no I/O): `scripts/seq2seq.ts` writes the run folder and the terminal.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { CharVocabulary, type SequenceName } from "../data/sequence.ts";
import {
  checkSeq2seqConfig,
  type Seq2seqConfig,
  type Seq2seqKind,
  type Seq2seqModel,
  seq2seqModel,
  seq2seqParamSpecs,
} from "../models/seq2seq.ts";
import { Rng } from "../random.ts";
import { type IntTensor, Tensor } from "../tensor.ts";
import { type CheckpointData, optimizerFromCheckpoint } from "./checkpoint.ts";
import type { TrainerOptions } from "./data_parallel.ts";
import { formatDuration, thousands } from "./format.ts";
import { createOptimizer, type Optimizer } from "./optimizers.ts";
import {
  evalSeq2seq,
  seq2seqAccuracy,
  type Seq2seqAnswer,
  type Seq2seqTrainerState,
  Trainer,
} from "./seq2seq_trainer.ts";
import type { Metric } from "./session.ts";

/** Everything that fixes a seq2seq run. */
export interface Seq2seqRunConfig {
  /** The data set: `addition` (7.2) or `date` (8.3). */
  data: SequenceName;
  /** `seq2seq`, `peeky` or `attention`. */
  model: Seq2seqKind;
  /** Feed the questions reversed (7.4.1). */
  reverse: boolean;
  /** Embedding size `D`. */
  wordvec: number;
  /** Hidden size `H`. */
  hidden: number;
  /** Questions per batch. */
  batch: number;
  /** Epochs. */
  epochs: number;
  /** Optimizer name. */
  optimizer: string;
  /** Learning rate. */
  lr: number;
  /** Clip gradients to this global L2 norm (0: off). */
  clip: number;
  /** Seed of the initial parameters and the shuffles. */
  seed: number;
  /** Report every this many iterations. */
  evalInterval: number;
  /** Checkpoint every this many iterations as well as after each epoch (0: only then). */
  saveEvery: number;
  /** Test questions whose answers are shown after each epoch. */
  examples: number;
  /** Where the data set's file is read from (else `SAIKI_DATA_DIR`, else the shipped sample). */
  dataDir?: string;
}

/**
 * The reference's settings for a data set: addition as `ch07/train_seq2seq.py` (D 16, H 128,
 * batch 128, 25 epochs, Adam, `max_grad` 5, not reversed), dates as `ch08/train.py` (H 256,
 * 10 epochs, reversed, attention).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seq2seqDefaults } from "./seq2seq_run.ts";
 * const d = seq2seqDefaults("date");
 * assert(d.hidden === 256 && d.epochs === 10 && d.reverse && d.model === "attention");
 * assert.equal(seq2seqDefaults("addition").hidden, 128);
 * ```
 */
export function seq2seqDefaults(data: SequenceName): Seq2seqRunConfig {
  const common = {
    data,
    wordvec: 16,
    batch: 128,
    optimizer: "adam",
    lr: 0.001,
    clip: 5,
    seed: 1,
    evalInterval: 20,
    saveEvery: 0,
    examples: 3,
  };
  return data === "date"
    ? { ...common, model: "attention", reverse: true, hidden: 256, epochs: 10 }
    : { ...common, model: "seq2seq", reverse: false, hidden: 128, epochs: 25 };
}

const posInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1;
const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const num = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0;

/** The fields of a seq2seq run's configuration and what each must be. */
const FIELDS: Record<string, [string, (v: unknown) => boolean]> = {
  data: ['"addition" or "date"', (v) => v === "addition" || v === "date"],
  model: [
    '"seq2seq", "peeky" or "attention"',
    (v) => ["seq2seq", "peeky", "attention"].includes(v as string),
  ],
  reverse: ["true or false", (v) => typeof v === "boolean"],
  wordvec: ["an integer >= 1", posInt],
  hidden: ["an integer >= 1", posInt],
  batch: ["an integer >= 1", posInt],
  epochs: ["an integer >= 1", posInt],
  optimizer: ["an optimizer name", (v) => typeof v === "string"],
  lr: ["a number >= 0", num],
  clip: ["a number >= 0", num],
  seed: ["an integer", (v) => Number.isSafeInteger(v)],
  evalInterval: ["an integer >= 1", posInt],
  saveEvery: ["an integer >= 0", count],
  examples: ["an integer >= 0", count],
  dataDir: ["a path", (v) => v === undefined || typeof v === "string"],
};

/**
 * `value` as a seq2seq run's configuration, every field checked; the error names the first
 * bad one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSeq2seqRunConfig, seq2seqDefaults } from "./seq2seq_run.ts";
 * const config = seq2seqDefaults("addition");
 * assert.deepEqual(checkSeq2seqRunConfig({ ...config }), config);
 * assert.throws(() => checkSeq2seqRunConfig({ ...config, hidden: 0 }),
 *   /"hidden" is 0, expected an integer >= 1/);
 * ```
 */
export function checkSeq2seqRunConfig(value: Record<string, unknown>): Seq2seqRunConfig {
  for (const [key, [expected, ok]] of Object.entries(FIELDS)) {
    if (!ok(value[key])) {
      throw new SaikiError(
        `"${key}" is ${JSON.stringify(value[key]) ?? "missing"}, expected ${expected}`,
      );
    }
  }
  createOptimizer(value.optimizer as string); // names the optimizers when it is not one
  return value as unknown as Seq2seqRunConfig;
}

/** The fields of a run's configuration a resumed run may change. */
export const SEQ2SEQ_RESUMABLE: readonly string[] = ["epochs", "dataDir", "saveEvery", "examples"];

/** The `format` metadata value of a saiki seq2seq checkpoint. */
export const SEQ2SEQ_FORMAT = "saiki-seq2seq/1";

/** The model's configuration for a run on a vocabulary of `vocabSize` characters. */
export function seq2seqModelConfig(config: Seq2seqRunConfig, vocabSize: number): Seq2seqConfig {
  return checkSeq2seqConfig({
    model: config.model,
    vocabSize,
    wordvecSize: config.wordvec,
    hiddenSize: config.hidden,
  });
}

/** What a seq2seq checkpoint holds beside the parameters. */
export interface Seq2seqCheckpointInfo {
  /** The characters, by id. */
  vocab: CharVocabulary;
  /** Question width `T` and answer width `Td + 1` (with the start character). */
  widths: { question: number; answer: number };
  /** Whether questions are fed reversed. */
  reverse: boolean;
  /** The run's configuration, when a run saved it. */
  trainConfig?: Seq2seqRunConfig;
}

/**
 * A seq2seq model as checkpoint contents: its parameters under their names
 * (`encoder.embed_W`, …), and metadata `format`, `config`, `vocab` (the characters by id),
 * `widths` and `reverse`; `extra` adds a run's tensors and metadata.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seq2seqCheckpoint, seq2seqFromCheckpoint } from "./seq2seq_run.ts";
 * import { AttentionSeq2seq } from "../models/seq2seq.ts";
 * import { CharVocabulary } from "../data/sequence.ts";
 * const vocab = CharVocabulary.fromText("0123456789-_ ");
 * const model = new AttentionSeq2seq(vocab.size, 4, 8);
 * const info = { vocab, widths: { question: 5, answer: 3 }, reverse: true };
 * const back = seq2seqFromCheckpoint(seq2seqCheckpoint(model, info));
 * assert(back.model instanceof AttentionSeq2seq && back.reverse);
 * assert.equal(back.vocab.decode([1, 2]), "12");
 * assert.deepEqual(back.model.params[9].data, model.params[9].data);
 * ```
 */
export function seq2seqCheckpoint(
  model: Seq2seqModel,
  info: Seq2seqCheckpointInfo,
  extra?: Partial<CheckpointData>,
): CheckpointData {
  const tensors: Record<string, Tensor | IntTensor> = { ...model.namedParams() };
  for (const [name, t] of Object.entries(extra?.tensors ?? {})) {
    if (name in tensors) throw new SaikiError(`seq2seqCheckpoint: tensor name "${name}" is taken`);
    tensors[name] = t;
  }
  return {
    tensors,
    metadata: {
      ...extra?.metadata,
      format: SEQ2SEQ_FORMAT,
      config: JSON.stringify(model.config),
      vocab: JSON.stringify(info.vocab.idToChar),
      widths: JSON.stringify(info.widths),
      reverse: String(info.reverse),
      ...(info.trainConfig === undefined ? {} : { train_config: JSON.stringify(info.trainConfig) }),
    },
  };
}

function parseJson(text: string | undefined, where: string, field: string): unknown {
  try {
    return JSON.parse(text ?? "");
  } catch {
    throw new SaikiError(
      `${where}: metadata "${field}" is ${text === undefined ? "missing" : "not valid JSON"}`,
    );
  }
}

/**
 * The model and what it needs to answer questions, from a checkpoint {@linkcode seq2seqCheckpoint}
 * wrote; every field is checked and each error names the checkpoint (`where`) and the field.
 * See {@linkcode seq2seqCheckpoint} for an example.
 */
export function seq2seqFromCheckpoint(
  ckpt: CheckpointData,
  where = "checkpoint",
  options?: { paramBuffer?: Tensor },
): Seq2seqCheckpointInfo & { model: Seq2seqModel } {
  const md = ckpt.metadata;
  if (md.format !== SEQ2SEQ_FORMAT) {
    const lm = md.format === "saiki-lm/1" ? " (a language model's: use deno task generate)" : "";
    throw new SaikiError(
      `${where}: metadata "format" is ${
        JSON.stringify(md.format)
      }${lm}, expected "${SEQ2SEQ_FORMAT}"`,
    );
  }
  let config: Seq2seqConfig;
  try {
    config = checkSeq2seqConfig(parseJson(md.config, where, "config") as Seq2seqConfig);
  } catch (e) {
    throw new SaikiError(`${where}: metadata "config" is invalid: ${(e as Error).message}`);
  }
  const chars = parseJson(md.vocab, where, "vocab");
  if (!Array.isArray(chars) || !chars.every((c) => typeof c === "string" && [...c].length === 1)) {
    throw new SaikiError(`${where}: metadata "vocab" is not a list of characters`);
  }
  if (chars.length !== config.vocabSize || new Set(chars).size !== chars.length) {
    throw new SaikiError(
      `${where}: metadata "vocab" holds ${chars.length} characters (${
        new Set(chars).size
      } distinct), ` +
        `expected ${config.vocabSize} distinct`,
    );
  }
  const vocab = new CharVocabulary();
  for (const c of chars) vocab.add(c);
  const widths = parseJson(md.widths, where, "widths") as Record<string, unknown>;
  if (
    !posInt(widths?.question) ||
    !(Number.isSafeInteger(widths?.answer) && (widths.answer as number) >= 2)
  ) {
    throw new SaikiError(`${where}: metadata "widths" is not { question >= 1, answer >= 2 }`);
  }
  if (md.reverse !== "true" && md.reverse !== "false") {
    throw new SaikiError(
      `${where}: metadata "reverse" is ${JSON.stringify(md.reverse)}, expected "true" or "false"`,
    );
  }
  const params = seq2seqParamSpecs(config).map(({ name, shape }) => {
    const t = ckpt.tensors[name];
    if (t === undefined) throw new SaikiError(`${where}: tensor "${name}" is missing`);
    if (!(t instanceof Tensor)) {
      throw new SaikiError(`${where}: tensor "${name}" has dtype I32, expected F32`);
    }
    if (t.shape.join() !== shape.join()) {
      throw new SaikiError(
        `${where}: tensor "${name}" has shape [${t.shape}], expected [${shape}]`,
      );
    }
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new SaikiError(`${where}: tensor "${name}" holds ${t.data[bad]} at index ${bad}`);
    }
    return t;
  });
  let trainConfig: Seq2seqRunConfig | undefined;
  if (md.train_config !== undefined) {
    try {
      trainConfig = checkSeq2seqRunConfig(
        parseJson(md.train_config, where, "train_config") as Record<string, unknown>,
      );
    } catch (e) {
      throw new SaikiError(`${where}: metadata "train_config" is invalid: ${(e as Error).message}`);
    }
  }
  const model = seq2seqModel(config, { params, paramBuffer: options?.paramBuffer });
  return {
    model,
    vocab,
    widths: { question: widths.question as number, answer: widths.answer as number },
    reverse: md.reverse === "true",
    trainConfig,
  };
}

/** A run's data: the splits (questions reversed as configured) and their characters. */
export interface Seq2seqRunData {
  /** Training questions `(n, T)`. */
  xTrain: IntTensor;
  /** Training answers `(n, Td + 1)`. */
  tTrain: IntTensor;
  /** Test questions. */
  xTest: IntTensor;
  /** Test answers. */
  tTest: IntTensor;
  /** The characters. */
  vocab: CharVocabulary;
  /** What the user should know about the data (e.g. the sample was used). */
  notes: string[];
  /** What identifies the data (size and hash), recorded in checkpoints and compared on resume. */
  dataId?: string;
}

/** Where a seq2seq session's output goes. */
export interface Seq2seqHooks {
  /** A line about the run's course. */
  log(line: string): void;
  /** A result line; default `log`. */
  result?(line: string): void;
  /** A live progress line, redrawn in place. */
  progress?(line: string): void;
  /** A metric to record. */
  metric(m: Metric): void;
  /** Saves the run's checkpoint. */
  save(data: CheckpointData): void | Promise<void>;
  /** The answers to the first test questions after an epoch (the reference prints 10). */
  examples?(answers: Seq2seqAnswer[]): void;
}

/** How a {@linkcode Seq2seqSession.run} ended. */
export type Seq2seqOutcome =
  | { kind: "done"; seconds: number; iterations: number; accuracy: number }
  | { kind: "stopped"; step: number }
  | { kind: "failed"; message: string };

/** Options of a {@linkcode Seq2seqSession}. */
export interface Seq2seqSessionOptions extends TrainerOptions {
  /** Stop (with a checkpoint) after this many iterations in all. */
  stopAfter?: number;
  /** The run's id, recorded in checkpoints. */
  runId?: string;
  /** How messages name the checkpoint. */
  checkpointName?: string;
}

/**
 * A seq2seq training run: model, optimizer, trainer, the accuracy of each epoch, and the
 * policy (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Seq2seqSession, seq2seqDefaults } from "./seq2seq_run.ts";
 * import { sequenceSample } from "../data/sequence_sample.ts";
 * const data = { ...sequenceSample("addition"), notes: [] };
 * const config = { ...seq2seqDefaults("addition"), hidden: 16, batch: 100, epochs: 2 };
 * const session = Seq2seqSession.create(config, data);
 * const lines: string[] = [];
 * const outcome = await session.run({ log: (l) => void lines.push(l), metric: () => {}, save: () => {} });
 * await session.close();
 * assert(outcome.kind === "done" && session.accList.length === 2);
 * assert(lines.some((l) => l.startsWith("val acc ")));
 * ```
 */
export class Seq2seqSession {
  /** The run's configuration. */
  readonly config: Seq2seqRunConfig;
  /** The run's data. */
  readonly data: Seq2seqRunData;
  /** The model. */
  readonly model: Seq2seqModel;
  /** Its optimizer. */
  readonly optimizer: Optimizer;
  /** The trainer. */
  readonly trainer: Trainer;
  /** The test accuracy after each epoch. */
  readonly accList: number[] = [];
  /** Seconds the run trained before this session (a resumed run's). */
  elapsedBefore = 0;
  readonly #options: Seq2seqSessionOptions;

  private constructor(
    config: Seq2seqRunConfig,
    data: Seq2seqRunData,
    model: Seq2seqModel,
    optimizer: Optimizer,
    options: Seq2seqSessionOptions,
  ) {
    this.config = config;
    this.data = data;
    this.model = model;
    this.optimizer = optimizer;
    this.#options = options;
    this.trainer = new Trainer(model, optimizer, { ...options, seed: config.seed });
  }

  /** A new run of `config` on `data`. */
  static create(
    config: Seq2seqRunConfig,
    data: Seq2seqRunData,
    options: Seq2seqSessionOptions = {},
  ): Seq2seqSession {
    checkData(config, data);
    const model = seq2seqModel(seq2seqModelConfig(config, data.vocab.size), {
      rng: new Rng(config.seed),
    });
    const optimizer = createOptimizer(config.optimizer, { lr: config.lr });
    return new Seq2seqSession(config, data, model, optimizer, options);
  }

  /** The run a checkpoint saved, to continue where it stopped (with any number of workers). */
  static resume(
    ckpt: CheckpointData,
    config: Seq2seqRunConfig,
    data: Seq2seqRunData,
    options: Seq2seqSessionOptions & { where?: string } = {},
  ): Seq2seqSession {
    const where = options.where ?? "checkpoint";
    checkData(config, data);
    const { model, vocab, trainConfig } = seq2seqFromCheckpoint(ckpt, where);
    const md = ckpt.metadata;
    if (md.run_id !== undefined && options.runId !== undefined && md.run_id !== options.runId) {
      throw new SaikiError(
        `${where}: the checkpoint belongs to another run (run ${md.run_id}), not to this ` +
          `folder's (run ${options.runId}): resume the run it came from`,
      );
    }
    if (trainConfig !== undefined) {
      for (const key of new Set([...Object.keys(trainConfig), ...Object.keys(config)])) {
        if (SEQ2SEQ_RESUMABLE.includes(key)) continue;
        const a = JSON.stringify((config as unknown as Record<string, unknown>)[key]);
        const b = JSON.stringify((trainConfig as unknown as Record<string, unknown>)[key]);
        if (a !== b) {
          throw new SaikiError(
            `${where}: config.json has ${key} = ${a ?? "(none)"}, but the checkpoint was ` +
              `trained with ${key} = ${b ?? "(none)"}: a resumed run keeps its configuration ` +
              `(only ${SEQ2SEQ_RESUMABLE.join(", ")} may change)`,
          );
        }
      }
    }
    if (vocab.idToChar.join("") !== data.vocab.idToChar.join("")) {
      throw new SaikiError(`${where}: the checkpoint's characters differ from the data's`);
    }
    if (md.data !== undefined && data.dataId !== undefined && md.data !== data.dataId) {
      throw new SaikiError(
        `${where}: the data changed since the run began: it was ${md.data}, it is ` +
          `${data.dataId} now; resume on the same data, or start a new run`,
      );
    }
    const optimizer = optimizerFromCheckpoint(ckpt, config.optimizer, config.lr, where);
    const session = new Seq2seqSession(config, data, model, optimizer, {
      ...options,
      runId: options.runId ?? md.run_id,
    });
    session.trainer.state = checkTrainerState(
      parseJson(md.trainer, where, "trainer"),
      where,
      session.itersPerEpoch,
    );
    const acc = parseJson(md.acc_list ?? "[]", where, "acc_list");
    if (!Array.isArray(acc) || !acc.every((a) => typeof a === "number" && a >= 0 && a <= 1)) {
      throw new SaikiError(`${where}: metadata "acc_list" is not a list of accuracies`);
    }
    session.accList.push(...acc);
    return session;
  }

  /** Iterations per epoch. */
  get itersPerEpoch(): number {
    return Math.floor(this.data.xTrain.shape[0] / this.config.batch);
  }

  /** The run's id, when given or restored. */
  get runId(): string | undefined {
    return this.#options.runId;
  }

  /** Everything a resumed run needs, as checkpoint contents. */
  checkpointData(): CheckpointData {
    const { model, optimizer, trainer, data, config } = this;
    const tensors: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(optimizer.stateTensors())) tensors[`optimizer.${k}`] = v;
    const widths = { question: data.xTrain.shape[1], answer: data.tTrain.shape[1] };
    return seq2seqCheckpoint(model, {
      vocab: data.vocab,
      widths,
      reverse: config.reverse,
      trainConfig: config,
    }, {
      tensors,
      metadata: {
        step: String(trainer.state.step),
        epoch: String(trainer.state.epoch),
        optimizer: optimizer.name,
        optimizer_state: JSON.stringify(optimizer.stateMeta()),
        trainer: JSON.stringify(trainer.state),
        acc_list: JSON.stringify(this.accList),
        ...(this.#options.runId === undefined ? {} : { run_id: this.#options.runId }),
        ...(data.dataId === undefined ? {} : { data: data.dataId }),
      },
    });
  }

  /** Stops the trainer's workers (idempotent). */
  close(): Promise<void> {
    return this.trainer.close();
  }

  /**
   * Trains until the configured epochs are done, until `stopAfter`, or until the loss or the
   * parameters turn non-finite (the last checkpoint then keeps the last good state).
   */
  async run(hooks: Seq2seqHooks): Promise<Seq2seqOutcome> {
    const { trainer, config, data } = this;
    const { stopAfter } = this.#options;
    const name = this.#options.checkpointName ?? "the checkpoint";
    const start = performance.now(), startStep = trainer.state.step;
    const total = this.itersPerEpoch * config.epochs;
    const seconds = () => (performance.now() - start) / 1000;
    const eta = (step: number) => seconds() / Math.max(step - startStep, 1) * (total - step);
    let saved = startStep > 0, failed: string | undefined, stopped = false;
    let lastQps = 0, lastLoss = NaN;
    const kept = () => saved ? `${name} keeps the last good state` : "no checkpoint was saved yet";
    const checkpoint = async () => {
      if (!this.model.paramBuffer.data.every(Number.isFinite)) {
        failed ??= `the parameters became non-finite by iteration ${trainer.state.step}; ` +
          `stopped, and ${kept()} (lower --lr)`;
        return;
      }
      await hooks.save(this.checkpointData());
      saved = true;
    };
    if (stopAfter !== undefined && trainer.state.step >= stopAfter) {
      return { kind: "stopped", step: trainer.state.step };
    }
    while (trainer.state.epoch < config.epochs && failed === undefined && !stopped) {
      await trainer.fit(data.xTrain, data.tTrain, {
        maxEpoch: 1,
        resume: trainer.state.iter > 0,
        batchSize: config.batch,
        maxGrad: config.clip > 0 ? config.clip : undefined,
        evalInterval: config.evalInterval,
        onReport: (r) => {
          if (!Number.isFinite(r.loss)) return;
          lastQps = r.questionsPerSec;
          lastLoss = r.loss;
          hooks.metric({
            kind: "train",
            step: r.step,
            epoch: r.epoch,
            iter: r.iter,
            loss: r.loss,
            grad_norm: r.gradNorm,
            questions_per_sec: Math.round(r.questionsPerSec),
            elapsed: Math.round((this.elapsedBefore + seconds()) * 10) / 10,
          });
          if (hooks.progress) return;
          hooks.log(
            `| epoch ${r.epoch} |  iter ${r.iter} / ${r.maxIters} | time ${
              Math.floor(seconds())
            }[s] | ` +
              `loss ${r.loss.toFixed(2)} | ${Math.round(r.questionsPerSec)} q/s | ETA ${
                formatDuration(eta(r.step))
              }`,
          );
        },
        onIteration: async ({ epoch, iter, step, loss }) => {
          if (!Number.isFinite(loss)) {
            failed =
              `training diverged: the loss is ${loss} at iteration ${step} (epoch ${epoch}, ` +
              `iter ${iter}); stopped, and ${kept()} (lower --lr or --clip)`;
            return false;
          }
          const shown = Number.isNaN(lastLoss) ? "—" : lastLoss.toFixed(3);
          const qps = lastQps === 0 ? "—" : thousands(Math.round(lastQps));
          hooks.progress?.(
            `epoch ${epoch}/${config.epochs} | iter ${iter}/${this.itersPerEpoch} | loss ${shown} | ` +
              `${qps} q/s | ETA ${formatDuration(eta(step))}`,
          );
          if (stopAfter !== undefined && step >= stopAfter) {
            stopped = true;
            if (iter === this.itersPerEpoch) return; // the epoch's end measures and saves it
            await checkpoint();
            return false;
          }
          if (config.saveEvery > 0 && step % config.saveEvery === 0 && iter < this.itersPerEpoch) {
            await checkpoint();
            if (failed !== undefined) return false;
          }
        },
      });
      if (failed !== undefined || trainer.state.iter > 0) break; // stopped mid-epoch
      // the epoch's accuracy on the test questions, as train_seq2seq.py measures it
      const epoch = trainer.state.epoch, step = trainer.state.step;
      const { accuracy } = seq2seqAccuracy(this.model, data.xTest, data.tTest, {
        onProgress: (done, n) =>
          hooks.progress?.(`epoch ${epoch} | accuracy: ${done}/${n} questions`),
      });
      this.accList.push(accuracy);
      hooks.metric({ kind: "valid", step, epoch, accuracy });
      hooks.log(`val acc ${(accuracy * 100).toFixed(3)}%`);
      if (hooks.examples && config.examples > 0) {
        const decode = (ids: ArrayLike<number>) => data.vocab.decode(ids);
        const n = Math.min(config.examples, data.xTest.shape[0]);
        hooks.examples(
          Array.from(
            { length: n },
            (_, i) =>
              evalSeq2seq(
                this.model,
                data.xTest.rows(i, i + 1),
                data.tTest.rows(i, i + 1),
                decode,
                {
                  reverse: config.reverse,
                },
              ),
          ),
        );
      }
      await checkpoint();
    }
    if (failed !== undefined) return { kind: "failed", message: failed };
    if (stopped && trainer.state.epoch < config.epochs) {
      return { kind: "stopped", step: trainer.state.step };
    }
    const iterations = trainer.state.step - startStep;
    (hooks.result ?? hooks.log)(`trained ${iterations} iterations in ${formatDuration(seconds())}`);
    return { kind: "done", seconds: seconds(), iterations, accuracy: this.accList.at(-1) ?? 0 };
  }
}

/** The data fits the configuration: a batch of questions, ids within the vocabulary. */
function checkData(config: Seq2seqRunConfig, data: Seq2seqRunData): void {
  const n = data.xTrain.shape[0];
  if (n < config.batch) {
    throw new SaikiError(
      `the ${data.vocab.size}-character ${config.data} data has ${thousands(n)} training ` +
        `questions, fewer than one batch of ${config.batch}: lower --batch`,
    );
  }
}

function checkTrainerState(
  value: unknown,
  where: string,
  itersPerEpoch: number,
): Seq2seqTrainerState {
  const s = value as Record<string, unknown>;
  const fields: [string, boolean][] = [
    ["epoch", count(s?.epoch)],
    ["iter", count(s?.iter) && (s.iter as number) <= itersPerEpoch],
    ["step", count(s?.step)],
    ["totalLoss", num(s?.totalLoss)],
    ["lossCount", count(s?.lossCount)],
  ];
  const bad = fields.find(([, ok]) => !ok);
  if (typeof value !== "object" || value === null || bad !== undefined) {
    throw new SaikiError(
      `${where}: metadata "trainer" ${
        bad ? `has "${bad[0]}" = ${JSON.stringify(s?.[bad[0]])}` : "is not an object"
      }` +
        ` (epoch, iter <= ${itersPerEpoch}, step, totalLoss, lossCount expected)`,
    );
  }
  const { epoch, iter, step, totalLoss, lossCount } = s as unknown as Seq2seqTrainerState;
  return { epoch, iter, step, totalLoss, lossCount };
}
