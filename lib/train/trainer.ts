/**
 * Truncated-BPTT training of language models, as the reference's `RnnlmTrainer` does it, and
 * `evalPerplexity`. No I/O: progress goes to callbacks, so this runs anywhere.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import type { LanguageModel } from "../models/rnnlm.ts";
import type { Optimizer } from "./optimizers.ts";
import { shardRows, type ShardState } from "../parallel/shards.ts";
import { IntTensor, Tensor } from "../tensor.ts";
import { checkCount, DataParallel, type TrainerOptions } from "./data_parallel.ts";

export type { TrainerOptions } from "./data_parallel.ts";

/** What the trainer reports every `evalInterval` iterations. */
export interface TrainReport {
  /** Epoch, from 1. */
  epoch: number;
  /** Iteration within the epoch, from 1. */
  iter: number;
  /** Iterations per epoch. */
  maxIters: number;
  /** Iterations done since training began (across epochs and resumes). */
  step: number;
  /** Seconds since this `fit` call began. */
  elapsed: number;
  /** `exp` of the mean loss since the last report. */
  ppl: number;
  /** Training tokens per second since the last report. */
  tokensPerSec: number;
  /** Global L2 norm of the gradients of the last iteration, before clipping. */
  gradNorm: number;
  /** Learning rate in use. */
  lr: number;
}

/** Options of {@linkcode RnnlmTrainer.fit}. */
export interface FitOptions {
  /**
   * Epochs this call trains (default 10), as the reference's `max_epoch`; with `resume`, an
   * unfinished epoch counts as the first.
   */
  maxEpoch?: number;
  /**
   * Continue from `state` (a restored checkpoint, or a `fit` that `onIteration` stopped)
   * instead of starting afresh. Without it, `fit` starts as the reference's does: `timeIdx` 0,
   * the loss sums and `pplList` cleared; `epoch` and `step` keep counting.
   */
  resume?: boolean;
  /** Rows per batch `N` (default 20). */
  batchSize?: number;
  /** Timesteps per batch `T` (default 35). */
  timeSize?: number;
  /** Clip gradients to this global L2 norm (default: no clipping). */
  maxGrad?: number;
  /** Report every this many iterations (default 20); iteration 1 of each epoch reports too. */
  evalInterval?: number;
  /** Called with each report. */
  onReport?: (report: TrainReport) => void;
  /**
   * Called after every iteration with its loss; returning `false` stops training after it.
   * Throwing stops it too (e.g. on a non-finite loss).
   */
  onIteration?: (
    info: { epoch: number; iter: number; step: number; loss: number },
  ) => boolean | void | Promise<boolean | void>;
}

/** The trainer's position, saved in checkpoints so a resumed run continues exactly. */
export interface TrainerState {
  /** Next read position along the corpus (keeps counting across iterations and epochs). */
  timeIdx: number;
  /** Completed epochs. */
  epoch: number;
  /** Completed iterations of the current epoch. */
  iter: number;
  /** Iterations done in all. */
  step: number;
  /** Loss sum since the last report. */
  totalLoss: number;
  /** Iterations since the last report. */
  lossCount: number;
}

/**
 * Trains a {@linkcode LanguageModel} with truncated BPTT exactly as the reference trainer:
 * row `i` of every batch reads the corpus from `i * jump + timeIdx` with
 * `jump = floor(dataSize / batchSize)`, `timeIdx` counts on across the iterations and epochs of
 * one `fit` call, the recurrent state carries over from batch to batch; each iteration runs
 * forward, backward, removes tied duplicates, clips, and updates.
 *
 * Each batch's rows are cut into shards (one by default for small batches, two from 16 rows),
 * computed by replicas of the model that view its parameters, in this thread or in `workers`
 * Web Workers; the shards' gradients are summed in shard order, then clipped and applied in
 * this thread. Call {@linkcode RnnlmTrainer.close} when done to stop the workers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RnnlmTrainer } from "./trainer.ts";
 * import { SimpleRnnlm } from "../models/rnnlm.ts";
 * import { SGD } from "./optimizers.ts";
 * const corpus = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 13);
 * const model = new SimpleRnnlm(13, 8, 8);
 * const trainer = new RnnlmTrainer(model, new SGD(0.1));
 * const ppl = await trainer.fit(corpus.subarray(0, -1), corpus.subarray(1), {
 *   maxEpoch: 2, batchSize: 4, timeSize: 5, evalInterval: 1,
 * });
 * assert(ppl.length === 2 * 9 && ppl.every(Number.isFinite));
 * ```
 */
export class RnnlmTrainer {
  /** The model trained. */
  readonly model: LanguageModel;
  /** The optimizer; its `lr` may be changed between epochs (decay). */
  readonly optimizer: Optimizer;
  /** Perplexity of every report, in order. */
  readonly pplList: number[] = [];
  /** Position and running sums; restore it to resume. */
  state: TrainerState = { timeIdx: 0, epoch: 0, iter: 0, step: 0, totalLoss: 0, lossCount: 0 };
  readonly #parallel: DataParallel;
  #started = false;
  #batchX?: IntTensor;
  #batchT?: IntTensor;

  /**
   * A trainer that updates `model` with `optimizer`.
   * @param model the model to train
   * @param optimizer its optimizer
   * @param options threads and shards
   */
  constructor(model: LanguageModel, optimizer: Optimizer, options?: TrainerOptions) {
    this.model = model;
    this.optimizer = optimizer;
    this.#parallel = new DataParallel(model, options ?? {}, "RnnlmTrainer");
  }

  /** Why training runs in fewer threads than asked (once workers were asked for), or "". */
  get notice(): string {
    return this.#parallel.notice;
  }

  /** Shards per batch, fixed by the first batch's rows (0 before it). */
  get shards(): number {
    return this.#parallel.shards;
  }

  /** Threads computing shards (1 before the first batch). */
  threads(): Promise<number> {
    return this.#parallel.threads();
  }

  /** The shards' executor, started for batches of `rows` rows on first use. */
  #start(rows: number) {
    this.#started = true;
    return this.#parallel.start(rows);
  }

  /** Stops the workers (idempotent); the trainer cannot step after. */
  close(): Promise<void> {
    return this.#parallel.close();
  }

  /** The next batch `(N, T)` of inputs and targets; advances `timeIdx` by `T`. */
  getBatch(
    xs: Int32Array,
    ts: Int32Array,
    batchSize: number,
    timeSize: number,
  ): [IntTensor, IntTensor] {
    checkIdArray("RnnlmTrainer.getBatch", "xs", xs);
    checkIdArray("RnnlmTrainer.getBatch", "ts", ts);
    const dataSize = xs.length;
    const jump = Math.floor(dataSize / batchSize);
    if (this.#batchX?.shape[0] !== batchSize || this.#batchX.shape[1] !== timeSize) {
      this.#batchX = IntTensor.engine([batchSize, timeSize]);
      this.#batchT = IntTensor.engine([batchSize, timeSize]);
    }
    const bx = this.#batchX.data, bt = this.#batchT!.data;
    for (let t = 0; t < timeSize; t++) {
      for (let i = 0; i < batchSize; i++) {
        const at = (i * jump + this.state.timeIdx) % dataSize;
        bx[i * timeSize + t] = xs[at];
        bt[i * timeSize + t] = ts[at];
      }
      this.state.timeIdx++;
    }
    return [this.#batchX, this.#batchT!];
  }

  /**
   * One training iteration on a batch, as the reference's loop body: every shard's forward
   * and backward (dropout masks keyed by `state.step`), the tied gradients merged, the
   * shards' gradients summed in shard order, clipping to `maxGrad` (none when undefined), the
   * optimizer's update; then advances `state.step` (and nothing else of `state`: `getBatch`
   * moves `timeIdx`, {@linkcode RnnlmTrainer.fit} the epoch, iteration and loss sums).
   *
   * @returns the batch's mean loss over its counted tokens and the gradients' global norm
   *   before clipping
   */
  async step(
    xs: IntTensor,
    ts: IntTensor,
    maxGrad?: number,
  ): Promise<{ loss: number; gradNorm: number }> {
    this.#started = true;
    const result = await this.#parallel.step(xs, ts, this.optimizer, {
      step: this.state.step,
      maxGrad,
    });
    this.state.step++;
    return result;
  }

  /**
   * Perplexity on `corpus` as {@linkcode evalPerplexity} computes it, with the trainer's
   * shards and threads (the shards' recurrent state carries across batches; reset it before
   * and after, as the reference does).
   */
  async evaluate(
    corpus: Int32Array,
    batchSize?: number,
    timeSize?: number,
    onProgress?: (done: number, total: number) => void,
  ): Promise<number> {
    batchSize ??= 10;
    timeSize ??= 35;
    const maxIters = evalIters(corpus, batchSize, timeSize);
    await this.#start(batchSize);
    const xs = IntTensor.engine([batchSize, timeSize]);
    const ts = IntTensor.engine([batchSize, timeSize]);
    let totalLoss = 0;
    try {
      for (let iters = 0; iters < maxIters; iters++) {
        evalBatch(corpus, iters, xs, ts);
        totalLoss += await this.#parallel.loss(xs, ts);
        onProgress?.(iters + 1, maxIters);
      }
    } finally {
      xs.block?.free();
      ts.block?.free();
    }
    return Math.exp(totalLoss / maxIters);
  }

  /**
   * The recurrent state of the whole batch, gathered from the shards in row order: per
   * recurrent layer `h` `(N, H)` and `c` (or null); an empty list before the first batch
   * or after a reset.
   */
  async recurrentState(): Promise<{ h: Tensor; c: Tensor | null }[]> {
    if (!this.#started) return [];
    const states = await (await this.#start(0)).getState();
    const H = this.model.config.hiddenSize;
    const parts = [...states].sort((a, b) => a[0] - b[0]).map(([, st]) => st);
    return this.model.rnnLayers.flatMap((_, i) => {
      if (parts.some((p) => p.h[i] === null)) return [];
      const join = (pick: (p: ShardState) => Float32Array | null) => {
        const arrays = parts.map(pick) as Float32Array[];
        const data = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
        let at = 0;
        for (const a of arrays) data.set(a, at), at += a.length;
        return new Tensor(data, [data.length / H, H]);
      };
      return [{ h: join((p) => p.h[i]), c: parts[0].c[i] === null ? null : join((p) => p.c[i]) }];
    });
  }

  /**
   * Sets the recurrent state of the whole batch (as {@linkcode RnnlmTrainer.recurrentState}
   * returns it, from a run with any shard count), cut into the shards of `rows` rows; an empty
   * list resets it.
   */
  async setRecurrentState(layers: { h: Tensor; c: Tensor | null }[], rows: number): Promise<void> {
    const executor = await this.#start(rows);
    if (layers.length === 0) return executor.resetState();
    const H = this.model.config.hiddenSize;
    if (layers.length !== this.model.rnnLayers.length) {
      throw new SaikiError(
        `RnnlmTrainer.setRecurrentState: ${layers.length} layers of state, expected ${this.model.rnnLayers.length}`,
      );
    }
    for (const { h, c } of layers) {
      for (const t of c === null ? [h] : [h, c]) {
        if (t.shape.join() !== `${rows},${H}`) {
          throw new SaikiError(
            `RnnlmTrainer.setRecurrentState: a state has shape [${t.shape}], expected [${rows},${H}]`,
          );
        }
      }
    }
    const states = new Map<number, ShardState>();
    shardRows(rows, this.shards).forEach(([r0, r1], s) => {
      const cut = (t: Tensor | null) => t === null ? null : t.data.slice(r0 * H, r1 * H);
      states.set(s, { h: layers.map((l) => cut(l.h)), c: layers.map((l) => cut(l.c)) });
    });
    await executor.setState(states);
  }

  /** Forgets every shard's recurrent state (the model's too). */
  async resetState(): Promise<void> {
    this.model.resetState();
    if (this.#started) await (await this.#start(0)).resetState();
  }

  /**
   * Trains on inputs `xs` and targets `ts` (usually `corpus[:-1]` and `corpus[1:]`) for
   * `maxEpoch` epochs, as the reference's `fit`: each call starts reading the corpus from its
   * beginning again, unless `resume` continues from `state`.
   *
   * @returns `pplList`: the perplexity of every report of this call (and of the calls it resumes)
   */
  async fit(xs: Int32Array, ts: Int32Array, options?: FitOptions): Promise<number[]> {
    options ??= {};
    const {
      maxEpoch = 10,
      batchSize = 20,
      timeSize = 35,
      maxGrad,
      evalInterval = 20,
      resume = false,
      onReport,
      onIteration,
    } = options;
    checkCount("RnnlmTrainer.fit", "maxEpoch", maxEpoch, 0);
    checkCount("RnnlmTrainer.fit", "batchSize", batchSize, 1);
    checkCount("RnnlmTrainer.fit", "timeSize", timeSize, 1);
    checkCount("RnnlmTrainer.fit", "evalInterval", evalInterval, 1);
    if (maxGrad !== undefined && !(maxGrad > 0)) {
      throw new SaikiError(`RnnlmTrainer.fit: maxGrad is ${maxGrad}, expected a number > 0`);
    }
    checkIdArray("RnnlmTrainer.fit", "xs", xs, this.model.config.vocabSize);
    checkIdArray("RnnlmTrainer.fit", "ts", ts, this.model.config.vocabSize);
    if (xs.length !== ts.length) {
      throw new SaikiError(`RnnlmTrainer.fit: xs has ${xs.length} ids but ts has ${ts.length}`);
    }
    const maxIters = Math.floor(xs.length / (batchSize * timeSize));
    if (maxIters < 1) {
      throw new SaikiError(
        `RnnlmTrainer.fit: the corpus has ${xs.length} ids, fewer than one batch of ` +
          `${batchSize}×${timeSize}; use a smaller batch or time size`,
      );
    }
    const { optimizer, state } = this;
    if (!resume) {
      Object.assign(state, { timeIdx: 0, iter: 0, totalLoss: 0, lossCount: 0 });
      this.pplList.length = 0;
    }
    const endEpoch = state.epoch + maxEpoch;
    const start = performance.now();
    let lastReport = start, tokens = 0;
    while (state.epoch < endEpoch) {
      while (state.iter < maxIters) {
        const [bx, bt] = this.getBatch(xs, ts, batchSize, timeSize);
        const { loss, gradNorm } = await this.step(bx, bt, maxGrad);
        state.totalLoss += loss;
        state.lossCount++;
        tokens += batchSize * timeSize;
        const iters = state.iter++;
        if (iters % evalInterval === 0) {
          const now = performance.now();
          const ppl = Math.exp(state.totalLoss / state.lossCount);
          this.pplList.push(ppl);
          onReport?.({
            epoch: state.epoch + 1,
            iter: iters + 1,
            maxIters,
            step: state.step,
            elapsed: (now - start) / 1000,
            ppl,
            tokensPerSec: tokens / Math.max((now - lastReport) / 1000, 1e-9),
            gradNorm,
            lr: optimizer.lr,
          });
          state.totalLoss = 0;
          state.lossCount = 0;
          lastReport = now;
          tokens = 0;
        }
        const go = await onIteration?.({
          epoch: state.epoch + 1,
          iter: iters + 1,
          step: state.step,
          loss,
        });
        if (go === false) return this.pplList;
      }
      state.iter = 0;
      state.epoch++;
    }
    return this.pplList;
  }
}

/** Batches of an evaluation pass (throws when the corpus is too small for one). */
function evalIters(corpus: Int32Array, batchSize: number, timeSize: number): number {
  checkCount("evalPerplexity", "batchSize", batchSize, 1);
  checkCount("evalPerplexity", "timeSize", timeSize, 1);
  const maxIters = Math.floor((corpus.length - 1) / (batchSize * timeSize));
  if (maxIters < 1) {
    throw new SaikiError(
      `evalPerplexity: the corpus has ${corpus.length} ids, fewer than one batch of ${batchSize}×${timeSize}+1`,
    );
  }
  return maxIters;
}

/** Fills batch `iters` of an evaluation pass, as the reference's `eval_perplexity` reads it. */
function evalBatch(corpus: Int32Array, iters: number, xs: IntTensor, ts: IntTensor): void {
  const [batchSize, timeSize] = xs.shape;
  const corpusSize = corpus.length;
  const jump = Math.floor((corpusSize - 1) / batchSize);
  const timeOffset = iters * timeSize;
  const xd = xs.data, td = ts.data;
  for (let t = 0; t < timeSize; t++) {
    for (let i = 0; i < batchSize; i++) {
      const offset = timeOffset + i * jump;
      xd[i * timeSize + t] = corpus[(offset + t) % corpusSize];
      td[i * timeSize + t] = corpus[(offset + t + 1) % corpusSize];
    }
  }
}

/**
 * Perplexity of `model` on `corpus`, computed as the reference's `eval_perplexity`: batches of
 * `batchSize` rows read from offsets `i * jump + iters * timeSize`, dropout off, the recurrent
 * state carried across batches; `exp` of the mean of the batch losses. Reset the model's state
 * before calling it, as the reference scripts do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evalPerplexity } from "./trainer.ts";
 * import { Rnnlm } from "../models/rnnlm.ts";
 * const model = new Rnnlm(20, 8, 8);
 * const corpus = Int32Array.from({ length: 100 }, (_, i) => i % 20);
 * const ppl = evalPerplexity(model, corpus, 2, 10);
 * assert(ppl > 15 && ppl < 25); // untrained: close to the vocabulary size
 * ```
 */
export function evalPerplexity(
  model: LanguageModel,
  corpus: Int32Array,
  batchSize?: number,
  timeSize?: number,
  onProgress?: (done: number, total: number) => void,
): number {
  batchSize ??= 10;
  timeSize ??= 35;
  const maxIters = evalIters(corpus, batchSize, timeSize);
  const xs = IntTensor.engine([batchSize, timeSize]);
  const ts = IntTensor.engine([batchSize, timeSize]);
  let totalLoss = 0;
  for (let iters = 0; iters < maxIters; iters++) {
    evalBatch(corpus, iters, xs, ts);
    totalLoss += model.forward(xs, ts, false);
    onProgress?.(iters + 1, maxIters);
  }
  xs.block?.free();
  ts.block?.free();
  return Math.exp(totalLoss / maxIters);
}

/**
 * `ids` must be an `Int32Array` (of word ids below `vocabSize`, when given): a float array or
 * a plain list would be read as garbage ids by the kernels.
 */
function checkIdArray(where: string, name: string, ids: unknown, vocabSize?: number): void {
  if (!(ids instanceof Int32Array)) {
    const kind = ids === null || typeof ids !== "object"
      ? undefined
      : (ids as object).constructor?.name ?? "object";
    const got = kind === undefined ? String(ids) : `${/^[AEIOU]/.test(kind) ? "an" : "a"} ${kind}`;
    throw new SaikiError(
      `${where}: ${name} is ${got}, expected an Int32Array of word ids (Int32Array.from(ids))`,
    );
  }
  if (vocabSize === undefined) return;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id < 0 || id >= vocabSize) {
      throw new SaikiError(
        `${where}: ${name}[${i}] is ${id}, expected a word id in [0, ${vocabSize})`,
      );
    }
  }
}
