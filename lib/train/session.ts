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
import { RnnlmTrainer, type TrainerOptions, type TrainReport } from "./trainer.ts";
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
  /**
   * What identifies the training text (its size and hash, computed by the caller), recorded in
   * checkpoints and compared on resume: a text that changed between the runs is refused.
   */
  corpusId?: string;
  /** The run's id, recorded in checkpoints: a checkpoint of another run is refused on resume. */
  runId?: string;
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
    const { where, corpusId: corpus, runId } = options;
    const { model, run } = restoreRun(ckpt, config, data.words, iters, { where, corpus, runId });
    const go = { ...options, runId: run.runId }; // a rebuilt config.json takes the checkpoint's
    const session = new TrainingSession(config, data, model, run.optimizer, run.rng, go);
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
    const words = this.data.words, corpus = this.#options.corpusId, runId = this.#options.runId;
    return runCheckpoint(model, {
      optimizer,
      trainer: trainer.state,
      rng,
      progress,
      recurrent,
      words,
      config,
      corpus,
      runId,
    });
  }

  /** The run's id (recorded in its checkpoints), when one was given or restored. */
  get runId(): string | undefined {
    return this.#options.runId;
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
    const { stopAfter } = this.#options;
    if (stopAfter !== undefined && this.trainer.state.step >= stopAfter) {
      return { kind: "stopped", step: this.trainer.state.step }; // not one iteration more
    }
    const loop = new RunLoop(this, hooks, this.#options);
    while (this.trainer.state.epoch < this.config.epochs && loop.going) {
      await loop.fitEpoch();
      if (loop.going) await loop.endEpoch();
    }
    return await loop.finish();
  }
}

/**
 * One call of {@linkcode TrainingSession.run}: the epochs' loop, what it reports, when it saves,
 * and why it stops (a diverged loss, non-finite parameters, `stopAfter`).
 */
class RunLoop {
  /** Why the run failed; the last checkpoint saved is then the last good state. */
  failed: string | undefined;
  /** Whether `stopAfter` stopped it. */
  stopped = false;
  readonly #s: TrainingSession;
  readonly #hooks: SessionHooks;
  readonly #stopAfter: number | undefined;
  readonly #name: string;
  readonly #start = performance.now();
  readonly #startStep: number;
  readonly #totalSteps: number;
  /** Whether a checkpoint holds a usable state: a resumed run's does, a new one's not yet. */
  #saved: boolean;
  /** `stopAfter` fell on an epoch's last iteration: stop once the epoch has ended. */
  #stopAtEnd = false;
  #lastTokS = 0;
  #lastPpl = NaN;

  constructor(session: TrainingSession, hooks: SessionHooks, options: SessionOptions) {
    this.#s = session;
    this.#hooks = hooks;
    this.#stopAfter = options.stopAfter;
    this.#name = options.checkpointName ?? "the checkpoint";
    this.#startStep = session.trainer.state.step;
    this.#totalSteps = session.itersPerEpoch * session.config.epochs;
    this.#saved = session.trainer.state.step > 0;
  }

  /** Neither failed nor stopped. */
  get going(): boolean {
    return this.failed === undefined && !this.stopped;
  }

  /** Seconds since this session started. */
  get #seconds(): number {
    return (performance.now() - this.#start) / 1000;
  }

  /** Seconds left, at this session's mean time per iteration. */
  #eta(step: number): number {
    return this.#seconds / Math.max(step - this.#startStep, 1) * (this.#totalSteps - step);
  }

  #kept(): string {
    return this.#saved ? `${this.#name} keeps the last good state` : `no checkpoint was saved yet`;
  }

  /**
   * Saves unless an update has made a parameter non-finite (then the loss of the next
   * iteration would be too): the file on disk always holds a usable state.
   */
  async #checkpoint(): Promise<void> {
    const s = this.#s;
    if (!s.model.paramBuffer.data.every(Number.isFinite)) {
      this.failed ??= `the parameters became non-finite by iteration ${s.trainer.state.step}; ` +
        `stopped, and ${this.#kept()} (lower --lr or set --clip)`;
      return;
    }
    await this.#hooks.save("checkpoint", await s.checkpointData());
    this.#saved = true;
  }

  #evaluate(split: string, ids: Int32Array): Promise<number> {
    const live = this.#hooks.progress;
    if (!live) this.#hooks.log(`evaluating ${split} perplexity …`);
    return this.#s.trainer.evaluate(ids, 10, 35, (done, total) => {
      if (live && (done % 10 === 0 || done === total)) {
        live(`evaluating ${split} perplexity: batch ${done}/${total}`);
      }
    });
  }

  /**
   * One epoch. The validating flow follows train_better_rnnlm.py, which calls fit once per
   * epoch, so each epoch reads the corpus from its start again; otherwise (train_rnnlm.py's
   * single fit call) the read position runs on across epochs. A stopped epoch resumes as it was.
   */
  async fitEpoch(): Promise<void> {
    const { trainer, config, data } = this.#s;
    await trainer.fit(data.train.subarray(0, -1), data.train.subarray(1), {
      maxEpoch: 1,
      resume: !this.#s.validates || trainer.state.iter > 0,
      batchSize: config.batch,
      timeSize: config.time,
      maxGrad: config.clip > 0 ? config.clip : undefined,
      evalInterval: config.evalInterval,
      onReport: (r) => this.#report(r),
      onIteration: (it) => this.#iteration(it),
    });
  }

  /** A report of the trainer's: a metric, and a log line when there is no live line. */
  #report(r: TrainReport): void {
    if (!Number.isFinite(r.ppl)) return; // diverged: #iteration stops the run next
    this.#lastTokS = r.tokensPerSec;
    this.#lastPpl = r.ppl;
    const elapsed = this.#s.elapsedBefore + this.#seconds;
    this.#hooks.metric({
      kind: "train",
      step: r.step,
      epoch: r.epoch,
      iter: r.iter,
      ppl: r.ppl,
      lr: r.lr,
      grad_norm: r.gradNorm,
      tokens_per_sec: Math.round(r.tokensPerSec),
      elapsed: Math.round(elapsed * 10) / 10,
    });
    if (this.#hooks.progress) return;
    this.#hooks.log(
      `| epoch ${r.epoch} | iter ${r.iter} / ${r.maxIters} | time ${
        Math.floor(this.#seconds)
      }[s] | perplexity ${r.ppl.toFixed(2)} | ${Math.round(r.tokensPerSec)} tok/s | ETA ${
        formatDuration(this.#eta(r.step))
      }`,
    );
  }

  /** After every iteration: divergence, the live line, `stopAfter`, `saveEvery`. */
  async #iteration(
    { epoch, iter, step, loss }: { epoch: number; iter: number; step: number; loss: number },
  ): Promise<boolean | void> {
    const { config, progress, itersPerEpoch } = this.#s;
    // diverged: the loss, or its perplexity, is beyond float range
    if (!Number.isFinite(Math.exp(loss))) {
      this.failed = `training diverged: the loss is ${loss} (perplexity ${Math.exp(loss)}) at ` +
        `iteration ${step} (epoch ${epoch}, iter ${iter}); stopped, and ${this.#kept()} ` +
        `(lower --lr or set --clip)`;
      return false;
    }
    progress.epochLoss += loss;
    progress.epochCount++;
    const ppl = Number.isNaN(this.#lastPpl) ? "—" : this.#lastPpl.toFixed(2);
    const tokS = this.#lastTokS === 0 ? "—" : thousands(Math.round(this.#lastTokS));
    this.#hooks.progress?.(
      `epoch ${epoch}/${config.epochs} | iter ${iter}/${itersPerEpoch} | ppl ${ppl} | ` +
        `${tokS} tok/s | ETA ${formatDuration(this.#eta(step))}`,
    );
    if (this.#stopAfter !== undefined && step >= this.#stopAfter) {
      // at an epoch's last iteration the epoch's end (validation, checkpoint) comes first:
      // a checkpoint taken before it would record an epoch that is over but not ended
      if (iter === itersPerEpoch) {
        this.#stopAtEnd = true;
        return;
      }
      this.stopped = true;
      await this.#checkpoint();
      return false;
    }
    if (config.saveEvery > 0 && step % config.saveEvery === 0 && iter < itersPerEpoch) {
      await this.#checkpoint();
      if (this.failed !== undefined) return false;
    }
  }

  /**
   * The end of an epoch: its perplexity; with validation, the best parameters kept or the
   * learning rate divided by 4 (as train_better_rnnlm.py); a checkpoint.
   */
  async endEpoch(): Promise<void> {
    const { trainer, progress, optimizer, config, data } = this.#s;
    const hooks = this.#hooks, epoch = trainer.state.epoch;
    const epochPpl = Math.exp(progress.epochLoss / Math.max(progress.epochCount, 1));
    progress.epochLoss = 0;
    progress.epochCount = 0;
    hooks.metric({ kind: "epoch", step: trainer.state.step, epoch, ppl: epochPpl });
    hooks.log(`| epoch ${epoch} | perplexity ${epochPpl.toFixed(2)} | lr ${optimizer.lr}`);
    if (this.#s.validates) {
      await trainer.resetState(); // as the reference: validate from zeros, train on from zeros
      const ppl = await this.#evaluate("valid", data.valid!);
      hooks.metric({ kind: "valid", step: trainer.state.step, epoch, ppl });
      hooks.log(`| epoch ${epoch} | valid perplexity ${ppl.toFixed(2)}`);
      if (ppl < progress.bestValid) {
        progress.bestValid = ppl;
        await hooks.save("best", await this.#s.checkpointData());
      } else if (config.decay) {
        optimizer.lr /= 4;
        progress.lr = optimizer.lr;
        hooks.log(`| valid perplexity got worse: lr ÷ 4 → ${optimizer.lr}`);
      }
      await trainer.resetState();
    }
    await this.#checkpoint();
    // a stop that fell on this epoch's last iteration (unless the run is done: it then tests)
    if (this.#stopAtEnd && trainer.state.epoch < config.epochs) this.stopped = true;
  }

  /** How the run ended; when it is done, the test perplexity (with the best parameters). */
  async finish(): Promise<RunOutcome> {
    if (this.failed !== undefined) return { kind: "failed", message: this.failed };
    const { trainer, progress, model, data } = this.#s;
    if (this.stopped) return { kind: "stopped", step: trainer.state.step };
    const hooks = this.#hooks, seconds = this.#seconds;
    const iterations = trainer.state.step - this.#startStep;
    const result = hooks.result ?? hooks.log;
    result(`trained ${iterations} iterations in ${formatDuration(seconds)}`);
    let testPpl: number | undefined;
    if (data.test) {
      if (this.#s.validates && Number.isFinite(progress.bestValid) && hooks.loadBest) {
        const best = modelFromCheckpoint(await hooks.loadBest());
        best.params.forEach((p, i) => model.params[i].data.set(p.data));
        result(
          `restored the best parameters (valid perplexity ${progress.bestValid.toFixed(2)})`,
        );
      }
      await trainer.resetState();
      testPpl = await this.#evaluate("test", data.test);
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
