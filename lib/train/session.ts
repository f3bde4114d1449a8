/**
 * A training run's policy, as the reference's scripts run it: epochs of truncated BPTT,
 * validation after each epoch with the best parameters kept and the learning rate divided by 4
 * when validation gets worse, periodic checkpoints, a test perplexity at the end, metrics and
 * progress with an ETA. What a run's checkpoint holds is `checkpoint.ts`'s, how numbers are
 * shown `format.ts`'s.
 *
 * Pure (no I/O): files, terminals and signals are the caller's, through
 * {@linkcode SessionHooks}; `lib/io/run_folder.ts` writes a run folder, `scripts/train.ts`
 * wires both to the command line.
 *
 * @module
 */

import {
  type CheckpointData,
  modelFromCheckpoint,
  restoreRun,
  runCheckpoint,
  type RunProgress,
} from "./checkpoint.ts";
import { LanguageModel } from "../models/rnnlm.ts";
import { createOptimizer, type Optimizer } from "./optimizers.ts";
import { Rng } from "../random.ts";
import { RnnlmTrainer, type TrainerOptions } from "./trainer.ts";
import { modelConfig, type TrainConfig } from "./config.ts";
import { formatDuration, thousands } from "./format.ts";

/** One line of a run's `metrics.jsonl`. */
export interface Metric {
  /** What was measured. */
  kind: "train" | "epoch" | "valid" | "test";
  /** Iterations done when it was measured. */
  step: number;
  /** The measurement's fields (perplexity, lr, tokens/s, …). */
  [key: string]: number | string;
}

/** The data of a run: training ids and, where the run has them, validation and test ids. */
export interface RunData {
  /** Training corpus. */
  train: Int32Array;
  /** Validation corpus. */
  valid?: Int32Array;
  /** Test corpus. */
  test?: Int32Array;
  /** The vocabulary, by id. */
  words: string[];
  /** What the user should know about how the data was prepared. */
  notes: string[];
}

/** Where a session's output goes. */
export interface SessionHooks {
  /** A line about the run's course (epoch summaries, validation, learning-rate decay). */
  log(line: string): void;
  /** A result line (iterations done, best parameters restored, test perplexity); default `log`. */
  result?(line: string): void;
  /**
   * A live progress line (a terminal redraws it in place) after every iteration and evaluation
   * batch; without it, each report is logged as a line instead.
   */
  progress?(line: string): void;
  /** A metric to record. */
  metric(m: Metric): void;
  /** Saves checkpoint contents as the run's last (`"checkpoint"`) or best (`"best"`) state. */
  save(which: "checkpoint" | "best", data: CheckpointData): void | Promise<void>;
  /** The best state saved (to test it at the end), when validation kept one. */
  loadBest?(): CheckpointData | Promise<CheckpointData>;
}

/** How a {@linkcode TrainingSession.run} ended. */
export type RunOutcome =
  | { kind: "done"; seconds: number; iterations: number; testPpl?: number }
  | { kind: "stopped"; step: number }
  | { kind: "failed"; message: string };

/** Options of a session. */
export interface SessionOptions extends TrainerOptions {
  /** Stop (with a checkpoint) after this many iterations in all. */
  stopAfter?: number;
  /** How messages name the last checkpoint (default "the checkpoint"), e.g. its path. */
  checkpointName?: string;
}

/**
 * A training run: model, optimizer and trainer, the run's progress, and the policy that
 * drives them (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TrainingSession } from "./session.ts";
 * import { PRESETS } from "./config.ts";
 * const ids = Int32Array.from({ length: 400 }, (_, i) => (i * 3) % 11);
 * const config = { ...PRESETS.simple, preset: "simple", seed: 1, saveEvery: 0, epochs: 2,
 *   wordvec: 8, hidden: 8, corpusSize: 0 };
 * const words = Array.from({ length: 11 }, (_, i) => `w${i}`);
 * const session = TrainingSession.create(config, { train: ids, words, notes: [] });
 * const metrics: string[] = [];
 * const outcome = await session.run({
 *   log: () => {}, metric: (m) => void metrics.push(m.kind), save: () => {},
 * });
 * await session.close();
 * assert(outcome.kind === "done" && metrics.filter((k) => k === "epoch").length === 2);
 * ```
 */
export class TrainingSession {
  /** The run's configuration. */
  readonly config: TrainConfig;
  /** The run's data. */
  readonly data: RunData;
  /** The model. */
  readonly model: LanguageModel;
  /** Its optimizer. */
  readonly optimizer: Optimizer;
  /** The trainer (shards, workers, position in the corpus). */
  readonly trainer: RnnlmTrainer;
  /** Generator of the run (saved and restored with it). */
  readonly rng: Rng;
  /** Progress beside the trainer's state. */
  progress: RunProgress;
  /** Seconds the run trained before this session (a resumed run's), added to `elapsed`. */
  elapsedBefore = 0;
  readonly #options: SessionOptions;

  private constructor(
    config: TrainConfig,
    data: RunData,
    model: LanguageModel,
    optimizer: Optimizer,
    rng: Rng,
    options: SessionOptions,
  ) {
    this.config = config;
    this.data = data;
    this.model = model;
    this.optimizer = optimizer;
    this.rng = rng;
    this.#options = options;
    this.trainer = new RnnlmTrainer(model, optimizer, options);
    this.progress = { bestValid: Infinity, lr: config.lr, epochLoss: 0, epochCount: 0 };
  }

  /** A new run of `config` on `data`. */
  static create(config: TrainConfig, data: RunData, options: SessionOptions = {}): TrainingSession {
    const rng = new Rng(config.seed);
    const model = new LanguageModel(modelConfig(config, data.words.length), {
      rng,
      maskSeed: config.seed,
    });
    const optimizer = createOptimizer(config.optimizer, { lr: config.lr });
    return new TrainingSession(config, data, model, optimizer, rng, options);
  }

  /**
   * The run a checkpoint saved, ready to continue exactly where it stopped (with any number of
   * workers). `where` names the checkpoint in errors.
   */
  static async resume(
    ckpt: CheckpointData,
    config: TrainConfig,
    data: RunData,
    options: SessionOptions & { where?: string } = {},
  ): Promise<TrainingSession> {
    const iters = itersPerEpoch(config, data);
    const { model, run } = restoreRun(ckpt, config, data.words, iters, options.where);
    const session = new TrainingSession(config, data, model, run.optimizer, run.rng, options);
    session.progress = run.progress;
    session.trainer.state = run.trainer;
    await session.trainer.setRecurrentState(run.recurrent, config.batch);
    return session;
  }

  /**
   * Everything a resumed run needs, as checkpoint contents ({@linkcode runCheckpoint}): the
   * parameters, the optimizer's slots, the recurrent state of the whole batch (gathered from
   * the shards), the trainer's position, the generator, the progress, the vocabulary and the
   * configuration.
   */
  async checkpointData(): Promise<CheckpointData> {
    const { model, optimizer, trainer, rng, progress, config } = this;
    const recurrent = await trainer.recurrentState();
    const words = this.data.words;
    return runCheckpoint(model, {
      optimizer,
      trainer: trainer.state,
      rng,
      progress,
      recurrent,
      words,
      config,
    });
  }

  /** Whether each epoch is validated: validation data and `decay`, or a `validCorpus`. */
  get validates(): boolean {
    const { config, data } = this;
    return data.valid !== undefined && (config.decay || config.validCorpus !== undefined);
  }

  /** Iterations per epoch. */
  get itersPerEpoch(): number {
    return itersPerEpoch(this.config, this.data);
  }

  /** Stops the trainer's workers (idempotent). */
  close(): Promise<void> {
    return this.trainer.close();
  }

  /**
   * Trains until the configured epochs are done (then evaluates the test data, with the best
   * parameters when validation kept them), until `stopAfter`, or until the loss or the
   * parameters turn non-finite; the last checkpoint saved is then the last good state.
   */
  async run(hooks: SessionHooks): Promise<RunOutcome> {
    const { config, data, model, optimizer, trainer, progress } = this;
    const validate = this.validates;
    const xs = data.train.subarray(0, -1), ts = data.train.subarray(1);
    const maxIters = this.itersPerEpoch;
    const totalSteps = maxIters * config.epochs;
    const stopAfter = this.#options.stopAfter;
    const sessionStart = performance.now();
    const sessionStartStep = trainer.state.step;
    const elapsedBefore = this.elapsedBefore;
    const sinceStart = () => (performance.now() - sessionStart) / 1000;
    /** Seconds left, at this session's mean time per iteration. */
    const eta = (step: number) =>
      sinceStart() / Math.max(step - sessionStartStep, 1) * (totalSteps - step);
    const name = this.#options.checkpointName ?? "the checkpoint";
    // a resumed run has a checkpoint; a new one has none until its first save
    let saved = trainer.state.step > 0;
    const kept = () => saved ? `${name} keeps the last good state` : `no checkpoint was saved yet`;
    let failed: string | undefined;
    let stopped = false;
    let lastTokS = 0, lastPpl = NaN;
    const live = hooks.progress;

    // Saves unless an update has made a parameter non-finite (then the loss of the next
    // iteration would be too): the file on disk always holds a usable state.
    const checkpoint = async () => {
      if (!model.paramBuffer.data.every(Number.isFinite)) {
        failed ??= `the parameters became non-finite by iteration ${trainer.state.step}; ` +
          `stopped, and ${kept()} (lower --lr or set --clip)`;
        return;
      }
      await hooks.save("checkpoint", await this.checkpointData());
      saved = true;
    };

    const evaluate = (split: string, ids: Int32Array) => {
      if (!live) hooks.log(`evaluating ${split} perplexity …`);
      return trainer.evaluate(ids, 10, 35, (done, total) => {
        if (live && (done % 10 === 0 || done === total)) {
          live(`evaluating ${split} perplexity: batch ${done}/${total}`);
        }
      });
    };

    // One epoch per call. The validating flow follows train_better_rnnlm.py, which calls fit
    // once per epoch, so each epoch reads the corpus from its start again; otherwise
    // (train_rnnlm.py's single fit call) the read position runs on across epochs. A stopped
    // epoch resumes as it was.
    const fitEpoch = () =>
      trainer.fit(xs, ts, {
        maxEpoch: 1,
        resume: !validate || trainer.state.iter > 0,
        batchSize: config.batch,
        timeSize: config.time,
        maxGrad: config.clip > 0 ? config.clip : undefined,
        evalInterval: config.evalInterval,
        onReport(r) {
          if (!Number.isFinite(r.ppl)) return; // diverged: onIteration stops the run next
          lastTokS = r.tokensPerSec;
          lastPpl = r.ppl;
          hooks.metric({
            kind: "train",
            step: r.step,
            epoch: r.epoch,
            iter: r.iter,
            ppl: r.ppl,
            lr: r.lr,
            grad_norm: r.gradNorm,
            tokens_per_sec: Math.round(r.tokensPerSec),
            elapsed: Math.round((elapsedBefore + sinceStart()) * 10) / 10,
          });
          if (!live) {
            hooks.log(
              `| epoch ${r.epoch} | iter ${r.iter} / ${r.maxIters} | time ${
                Math.floor(sinceStart())
              }[s] | perplexity ${r.ppl.toFixed(2)} | ${Math.round(r.tokensPerSec)} tok/s | ETA ${
                formatDuration(eta(r.step))
              }`,
            );
          }
        },
        onIteration: async ({ epoch, iter, step, loss }) => {
          // diverged: the loss, or its perplexity, is beyond float range
          if (!Number.isFinite(Math.exp(loss))) {
            failed = `training diverged: the loss is ${loss} (perplexity ${Math.exp(loss)}) at ` +
              `iteration ${step} (epoch ${epoch}, iter ${iter}); stopped, and ${kept()} ` +
              `(lower --lr or set --clip)`;
            return false;
          }
          progress.epochLoss += loss;
          progress.epochCount++;
          live?.(
            `epoch ${epoch}/${config.epochs} | iter ${iter}/${maxIters} | ppl ${
              Number.isNaN(lastPpl) ? "—" : lastPpl.toFixed(2)
            } | ${lastTokS === 0 ? "—" : thousands(Math.round(lastTokS))} tok/s | ETA ${
              formatDuration(eta(step))
            }`,
          );
          if (stopAfter !== undefined && step >= stopAfter) {
            stopped = true;
            await checkpoint();
            return false;
          }
          if (config.saveEvery > 0 && step % config.saveEvery === 0 && iter < maxIters) {
            await checkpoint();
            if (failed !== undefined) return false;
          }
        },
      });

    while (trainer.state.epoch < config.epochs && failed === undefined && !stopped) {
      await fitEpoch();
      if (failed !== undefined || stopped) break;
      const epoch = trainer.state.epoch;
      const epochPpl = Math.exp(progress.epochLoss / Math.max(progress.epochCount, 1));
      progress.epochLoss = 0;
      progress.epochCount = 0;
      hooks.metric({ kind: "epoch", step: trainer.state.step, epoch, ppl: epochPpl });
      hooks.log(`| epoch ${epoch} | perplexity ${epochPpl.toFixed(2)} | lr ${optimizer.lr}`);
      if (validate) {
        await trainer.resetState(); // as the reference: validate from zeros, train on from zeros
        const ppl = await evaluate("valid", data.valid!);
        hooks.metric({ kind: "valid", step: trainer.state.step, epoch, ppl });
        hooks.log(`| epoch ${epoch} | valid perplexity ${ppl.toFixed(2)}`);
        if (ppl < progress.bestValid) {
          progress.bestValid = ppl;
          await hooks.save("best", await this.checkpointData());
        } else if (config.decay) {
          optimizer.lr /= 4;
          progress.lr = optimizer.lr;
          hooks.log(`| valid perplexity got worse: lr ÷ 4 → ${optimizer.lr}`);
        }
        await trainer.resetState();
      }
      await checkpoint();
    }
    if (failed !== undefined) return { kind: "failed", message: failed };
    if (stopped) return { kind: "stopped", step: trainer.state.step };
    const seconds = sinceStart();
    const iterations = trainer.state.step - sessionStartStep;
    const result = hooks.result ?? hooks.log;
    result(`trained ${iterations} iterations in ${formatDuration(seconds)}`);
    let testPpl: number | undefined;
    if (data.test) {
      if (validate && Number.isFinite(progress.bestValid) && hooks.loadBest) {
        const best = modelFromCheckpoint(await hooks.loadBest());
        best.params.forEach((p, i) => model.params[i].data.set(p.data));
        result(
          `restored the best parameters (valid perplexity ${progress.bestValid.toFixed(2)})`,
        );
      }
      await trainer.resetState();
      testPpl = await evaluate("test", data.test);
      hooks.metric({ kind: "test", step: trainer.state.step, ppl: testPpl });
      result(`test perplexity: ${testPpl.toFixed(2)}`);
      await trainer.resetState();
    }
    return { kind: "done", seconds, iterations, testPpl };
  }
}

/** Iterations per epoch of `config`'s batches over `data`'s training ids. */
function itersPerEpoch(config: TrainConfig, data: RunData): number {
  return Math.floor((data.train.length - 1) / (config.batch * config.time));
}
