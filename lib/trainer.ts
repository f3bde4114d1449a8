/**
 * Truncated-BPTT training of language models, as the reference's `RnnlmTrainer` does it, and
 * `evalPerplexity`. No I/O: progress goes to callbacks, so this runs anywhere.
 *
 * @module
 */

import { SaikiError } from "./errors.ts";
import type { LanguageModel } from "./models/rnnlm.ts";
import { clipGrads, type Optimizer } from "./optimizers.ts";
import { IntTensor } from "./tensor.ts";

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
  ) => boolean | void;
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
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RnnlmTrainer } from "./trainer.ts";
 * import { SimpleRnnlm } from "./models/rnnlm.ts";
 * import { SGD } from "./optimizers.ts";
 * const corpus = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 13);
 * const model = new SimpleRnnlm(13, 8, 8);
 * const trainer = new RnnlmTrainer(model, new SGD(0.1));
 * const ppl = trainer.fit(corpus.subarray(0, -1), corpus.subarray(1), {
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
  #batchX?: IntTensor;
  #batchT?: IntTensor;

  /**
   * A trainer that updates `model` with `optimizer`.
   * @param model the model to train
   * @param optimizer its optimizer
   */
  constructor(model: LanguageModel, optimizer: Optimizer) {
    this.model = model;
    this.optimizer = optimizer;
  }

  /** The next batch `(N, T)` of inputs and targets; advances `timeIdx` by `T`. */
  getBatch(
    xs: Int32Array,
    ts: Int32Array,
    batchSize: number,
    timeSize: number,
  ): [IntTensor, IntTensor] {
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
   * One training iteration on a batch, as the reference's loop body: forward, backward, the
   * tied gradients merged, clipping to `maxGrad` (none when undefined), the optimizer's update.
   * Does not move `state`.
   *
   * @returns the batch's mean loss and the gradients' global norm before clipping
   */
  step(xs: IntTensor, ts: IntTensor, maxGrad?: number): { loss: number; gradNorm: number } {
    const { model, optimizer } = this;
    const loss = model.forward(xs, ts);
    model.backward();
    const { params, grads } = model.mergeTiedGrads();
    const gradNorm = clipGrads(grads, maxGrad ?? Infinity);
    optimizer.update(params, grads);
    return { loss, gradNorm };
  }

  /**
   * Trains on inputs `xs` and targets `ts` (usually `corpus[:-1]` and `corpus[1:]`) for
   * `maxEpoch` epochs, as the reference's `fit`: each call starts reading the corpus from its
   * beginning again, unless `resume` continues from `state`.
   *
   * @returns `pplList`: the perplexity of every report of this call (and of the calls it resumes)
   */
  fit(xs: Int32Array, ts: Int32Array, options: FitOptions = {}): number[] {
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
        const { loss, gradNorm } = this.step(bx, bt, maxGrad);
        state.totalLoss += loss;
        state.lossCount++;
        state.step++;
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
        const go = onIteration?.({
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
 * import { Rnnlm } from "./models/rnnlm.ts";
 * const model = new Rnnlm(20, 8, 8);
 * const corpus = Int32Array.from({ length: 100 }, (_, i) => i % 20);
 * const ppl = evalPerplexity(model, corpus, 2, 10);
 * assert(ppl > 15 && ppl < 25); // untrained: close to the vocabulary size
 * ```
 */
export function evalPerplexity(
  model: LanguageModel,
  corpus: Int32Array,
  batchSize = 10,
  timeSize = 35,
  onProgress?: (done: number, total: number) => void,
): number {
  checkCount("evalPerplexity", "batchSize", batchSize, 1);
  checkCount("evalPerplexity", "timeSize", timeSize, 1);
  const corpusSize = corpus.length;
  const maxIters = Math.floor((corpusSize - 1) / (batchSize * timeSize));
  if (maxIters < 1) {
    throw new SaikiError(
      `evalPerplexity: the corpus has ${corpusSize} ids, fewer than one batch of ${batchSize}×${timeSize}+1`,
    );
  }
  const jump = Math.floor((corpusSize - 1) / batchSize);
  const xs = IntTensor.engine([batchSize, timeSize]);
  const ts = IntTensor.engine([batchSize, timeSize]);
  let totalLoss = 0;
  for (let iters = 0; iters < maxIters; iters++) {
    const timeOffset = iters * timeSize;
    const xd = xs.data, td = ts.data;
    for (let t = 0; t < timeSize; t++) {
      for (let i = 0; i < batchSize; i++) {
        const offset = timeOffset + i * jump;
        xd[i * timeSize + t] = corpus[(offset + t) % corpusSize];
        td[i * timeSize + t] = corpus[(offset + t + 1) % corpusSize];
      }
    }
    totalLoss += model.forward(xs, ts, false);
    onProgress?.(iters + 1, maxIters);
  }
  return Math.exp(totalLoss / maxIters);
}

/** Throws unless `value` is an integer ≥ `min`, naming the function and the option. */
function checkCount(where: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new SaikiError(`${where}: ${name} is ${value}, expected an integer ≥ ${min}`);
  }
}
