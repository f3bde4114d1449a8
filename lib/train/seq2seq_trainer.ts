/**
 * Training and scoring sequence-to-sequence models (chapter 7), as the reference's `Trainer`
 * (`common/trainer.py`) and `eval_seq2seq` (`common/util.py`). No I/O: progress goes to
 * callbacks, so this runs anywhere.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import type { Seq2seqModel } from "../models/seq2seq.ts";
import { Rng } from "../random.ts";
import { expectIntTensor, IntTensor } from "../tensor.ts";
import { checkCount, DataParallel, type TrainerOptions } from "./data_parallel.ts";
import type { Optimizer } from "./optimizers.ts";

/** What {@linkcode Trainer.fit} reports every `evalInterval` iterations. */
export interface Seq2seqReport {
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
  /** The mean loss since the last report (what the reference prints and keeps in `loss_list`). */
  loss: number;
  /** Questions per second since the last report. */
  questionsPerSec: number;
  /** Global L2 norm of the gradients of the last iteration, before clipping. */
  gradNorm: number;
}

/** Options of {@linkcode Trainer.fit}. */
export interface Seq2seqFitOptions {
  /** Epochs this call trains (default 10); with `resume`, an unfinished epoch counts as the first. */
  maxEpoch?: number;
  /** Questions per batch (default 32). */
  batchSize?: number;
  /** Clip gradients to this global L2 norm (default: no clipping). */
  maxGrad?: number;
  /** Report every this many iterations (default 20), counting from each epoch's first. */
  evalInterval?: number;
  /**
   * The shuffle of epoch `epoch` (from 0): a permutation of `[0, n)`, applied to the order of
   * the previous epoch of this call (the reference's `x = x[idx]`; the first epoch of a call
   * starts from the order `fit` was given). Default: a Fisher–Yates shuffle drawn from
   * `Rng.keyed(seed, epoch)` — give the reference's draws to replay its run.
   */
  permutation?: (epoch: number, n: number) => ArrayLike<number>;
  /**
   * Continue from `state` (a `fit` that `onIteration` stopped, or a restored run) instead of
   * starting afresh: the epoch `state.epoch` is shuffled as before and its first `state.iter`
   * batches are skipped.
   */
  resume?: boolean;
  /** Called with each report. */
  onReport?: (report: Seq2seqReport) => void;
  /**
   * Called after every iteration with its loss; returning `false` stops training after it.
   * Throwing stops it too.
   */
  onIteration?: (
    info: { epoch: number; iter: number; step: number; loss: number },
  ) => boolean | void | Promise<boolean | void>;
}

/** The trainer's position; restore it (with `resume`) to continue a run. */
export interface Seq2seqTrainerState {
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

/** Options of a {@linkcode Trainer}: threads and shards, and the seed of its shuffles. */
export interface Seq2seqTrainerOptions extends TrainerOptions {
  /** Seed of the default shuffles (default 0). */
  seed?: number;
}

/**
 * A permutation of `[0, n)` drawn by Fisher–Yates from `rng`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permutation } from "./seq2seq_trainer.ts";
 * import { Rng } from "../random.ts";
 * const p = permutation(10, new Rng(1));
 * assert.deepEqual([...p].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * ```
 */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j], p[j] = t;
  }
  return p;
}

/**
 * Trains a {@linkcode Seq2seqModel} as the reference's `Trainer` does: each epoch shuffles the
 * questions, takes `floor(n / batchSize)` batches in order, and for each runs forward,
 * backward, clipping and the optimizer's update; `lossList` keeps the mean loss of every
 * report.
 *
 * Each batch's rows are cut into shards computed by replicas of the model, in this thread or
 * in `workers` Web Workers, exactly as {@linkcode RnnlmTrainer} does: the parameters are
 * bit-identical for any worker count. Call {@linkcode Trainer.close} when done.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Trainer } from "./seq2seq_trainer.ts";
 * import { Adam } from "./optimizers.ts";
 * import { PeekySeq2seq } from "../models/seq2seq.ts";
 * import { IntTensor } from "../tensor.ts";
 * // learn to echo a digit: question [d], answer [_, d]
 * const x = IntTensor.from(Array.from({ length: 64 }, (_, i) => [i % 8]));
 * const t = IntTensor.from(Array.from({ length: 64 }, (_, i) => [8, i % 8]));
 * const trainer = new Trainer(new PeekySeq2seq(9, 8, 16), new Adam(0.05));
 * const losses = await trainer.fit(x, t, { maxEpoch: 20, batchSize: 16, evalInterval: 4 });
 * assert(losses.at(-1)! < 0.1 * losses[0]);
 * await trainer.close();
 * ```
 */
export class Trainer {
  /** The model trained. */
  readonly model: Seq2seqModel;
  /** The optimizer. */
  readonly optimizer: Optimizer;
  /** The mean loss of every report, in order (the reference's `loss_list`). */
  readonly lossList: number[] = [];
  /** Position and running sums. */
  state: Seq2seqTrainerState = { epoch: 0, iter: 0, step: 0, totalLoss: 0, lossCount: 0 };
  /** Seed of the default shuffles. */
  readonly seed: number;
  readonly #parallel: DataParallel;
  #bx?: IntTensor;
  #bt?: IntTensor;

  /**
   * A trainer that updates `model` with `optimizer`.
   * @param model the model to train
   * @param optimizer its optimizer
   * @param options threads, shards and the shuffles' seed
   */
  constructor(model: Seq2seqModel, optimizer: Optimizer, options?: Seq2seqTrainerOptions) {
    options ??= {};
    this.model = model;
    this.optimizer = optimizer;
    this.seed = options.seed ?? 0;
    if (!Number.isSafeInteger(this.seed)) {
      throw new SaikiError(`Trainer: seed is ${this.seed}, expected an integer`);
    }
    this.#parallel = new DataParallel(model, options, "Trainer");
  }

  /** Why training runs in fewer threads than asked, or "". */
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

  /** Stops the workers (idempotent); the trainer cannot step after. */
  close(): Promise<void> {
    return this.#parallel.close();
  }

  /**
   * One iteration on a batch of questions `xs` `(N, T)` and answers `ts` `(N, Td + 1)`:
   * forward, backward, the shards' gradients summed, clipping to `maxGrad`, the update; then
   * advances `state.step`.
   */
  async step(
    xs: IntTensor,
    ts: IntTensor,
    maxGrad?: number,
  ): Promise<{ loss: number; gradNorm: number }> {
    const result = await this.#parallel.step(xs, ts, this.optimizer, {
      step: this.state.step,
      maxGrad,
    });
    this.state.step++;
    return result;
  }

  /**
   * Trains on questions `x` `(n, T)` and answers `t` `(n, Td + 1)` for `maxEpoch` epochs.
   *
   * @returns `lossList`
   */
  async fit(x: IntTensor, t: IntTensor, options?: Seq2seqFitOptions): Promise<number[]> {
    options ??= {};
    const {
      maxEpoch = 10,
      batchSize = 32,
      maxGrad,
      evalInterval = 20,
      resume = false,
      onReport,
      onIteration,
    } = options;
    const where = "Trainer.fit";
    checkCount(where, "maxEpoch", maxEpoch, 0);
    checkCount(where, "batchSize", batchSize, 1);
    checkCount(where, "evalInterval", evalInterval, 1);
    if (maxGrad !== undefined && !(maxGrad > 0)) {
      throw new SaikiError(`${where}: maxGrad is ${maxGrad}, expected a number > 0`);
    }
    const [n, T, Tt] = checkData(where, x, t, this.model.config.vocabSize);
    const maxIters = Math.floor(n / batchSize);
    if (maxIters < 1) {
      throw new SaikiError(
        `${where}: ${n} questions, fewer than one batch of ${batchSize}; use a smaller batch`,
      );
    }
    const shuffle = options.permutation ??
      ((epoch: number, size: number) => permutation(size, Rng.keyed(this.seed, epoch)));
    const { state } = this;
    if (!resume) {
      Object.assign(state, { iter: 0, totalLoss: 0, lossCount: 0 });
      this.lossList.length = 0;
    }
    if (this.#bx?.shape.join() !== `${batchSize},${T}` || this.#bt?.shape[1] !== Tt) {
      this.#bx = IntTensor.engine([batchSize, T]);
      this.#bt = IntTensor.engine([batchSize, Tt]);
    }
    const bx = this.#bx, bt = this.#bt!;
    const endEpoch = state.epoch + maxEpoch;
    const start = performance.now();
    let lastReport = start, questions = 0;
    let order: Int32Array = Int32Array.from({ length: n }, (_, i) => i);
    while (state.epoch < endEpoch) {
      order = applyPermutation(order, shuffle(state.epoch, n), where); // x = x[idx]
      while (state.iter < maxIters) {
        const iters = state.iter;
        for (let r = 0; r < batchSize; r++) {
          const row = order[iters * batchSize + r];
          bx.data.set(x.data.subarray(row * T, (row + 1) * T), r * T);
          bt.data.set(t.data.subarray(row * Tt, (row + 1) * Tt), r * Tt);
        }
        const { loss, gradNorm } = await this.step(bx, bt, maxGrad);
        state.totalLoss += loss;
        state.lossCount++;
        questions += batchSize;
        state.iter++;
        if (iters % evalInterval === 0) {
          const now = performance.now();
          const mean = state.totalLoss / state.lossCount;
          this.lossList.push(mean);
          onReport?.({
            epoch: state.epoch + 1,
            iter: iters + 1,
            maxIters,
            step: state.step,
            elapsed: (now - start) / 1000,
            loss: mean,
            questionsPerSec: questions / Math.max((now - lastReport) / 1000, 1e-9),
            gradNorm,
          });
          state.totalLoss = 0;
          state.lossCount = 0;
          lastReport = now;
          questions = 0;
        }
        const go = await onIteration?.({
          epoch: state.epoch + 1,
          iter: iters + 1,
          step: state.step,
          loss,
        });
        if (go === false) return this.lossList;
      }
      state.iter = 0;
      state.epoch++;
    }
    return this.lossList;
  }
}

/** `order[perm]`, after checking that `perm` is a permutation of `[0, n)`. */
function applyPermutation(order: Int32Array, perm: ArrayLike<number>, where: string): Int32Array {
  const n = order.length;
  if (perm.length !== n) {
    throw new SaikiError(`${where}: the permutation has ${perm.length} entries, expected ${n}`);
  }
  const seen = new Uint8Array(n), out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = perm[i];
    if (!Number.isInteger(j) || j < 0 || j >= n || seen[j]) {
      throw new SaikiError(
        `${where}: the permutation's entry ${i} is ${j}, expected each of 0 … ${n - 1} once`,
      );
    }
    seen[j] = 1;
    out[i] = order[j];
  }
  return out;
}

/** Checks questions `x` `(n, T)` and answers `t` `(n, Tt)`; returns `[n, T, Tt]`. */
function checkData(where: string, x: IntTensor, t: IntTensor, V: number): [number, number, number] {
  expectIntTensor(where, "x", x, "question ids");
  expectIntTensor(where, "t", t, "answer ids");
  if (x.shape.length !== 2 || t.shape.length !== 2 || x.shape[0] !== t.shape[0]) {
    throw new SaikiError(
      `${where}: x has shape [${x.shape}] and t [${t.shape}], expected [n,T] and [n,Tt] (the same n)`,
    );
  }
  if (t.shape[1] < 2) {
    throw new SaikiError(
      `${where}: t has ${t.shape[1]} column(s), expected at least 2 (start id, answer)`,
    );
  }
  for (const [name, ids] of [["x", x.data], ["t", t.data]] as const) {
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i] >= 0 && ids[i] < V)) {
        throw new SaikiError(
          `${where}: ${name} holds ${ids[i]} at ${i}, expected ids in [0, ${V})`,
        );
      }
    }
  }
  return [x.shape[0], x.shape[1], t.shape[1]];
}

/** One question scored by {@linkcode evalSeq2seq}, as strings. */
export interface Seq2seqAnswer {
  /** Whether the guess is the answer, character for character. */
  ok: boolean;
  /** The question (the right way round when it was reversed). */
  question: string;
  /** The right answer, without the start character. */
  correct: string;
  /** The model's greedy answer. */
  guess: string;
}

/**
 * The reference's `eval_seq2seq`: answers `question` `(1, T)` greedily from the first id of
 * `correct` `(1, Td + 1)` (the separator `_`) for `Td` characters, and compares with the rest.
 * `reverse` says the question was fed reversed (7.4.1): it is shown the right way round.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evalSeq2seq } from "./seq2seq_trainer.ts";
 * import { Seq2seq } from "../models/seq2seq.ts";
 * import { IntTensor } from "../tensor.ts";
 * const chars = [..."0123456789+_ "];
 * const model = new Seq2seq(chars.length, 8, 16);
 * const q = IntTensor.from([[1, 10, 2]]), a = IntTensor.from([[11, 3, 12]]); // 1+2, _3
 * const r = evalSeq2seq(model, q, a, (ids) => Array.from(ids, (i) => chars[i]).join(""));
 * assert.equal(r.question, "1+2");
 * assert.equal(r.correct, "3 ");
 * assert.equal(r.ok, r.guess === "3 ");
 * ```
 */
export function evalSeq2seq(
  model: Seq2seqModel,
  question: IntTensor,
  correct: IntTensor,
  decode: (ids: ArrayLike<number>) => string,
  options?: { reverse?: boolean },
): Seq2seqAnswer {
  expectIntTensor("evalSeq2seq", "correct", correct, "answer ids");
  const ids = correct.data;
  if (ids.length < 2) {
    throw new SaikiError(`evalSeq2seq: correct has ${ids.length} id(s), expected at least 2`);
  }
  const guess = model.generate(question, ids[0], ids.length - 1);
  const q = decode(question.data);
  return {
    ok: guess.every((g, i) => g === ids[i + 1]),
    question: options?.reverse ? [...q].reverse().join("") : q,
    correct: decode(ids.subarray(1)),
    guess: decode(guess),
  };
}

/**
 * Exact-match accuracy over many questions, as the reference's loop of `eval_seq2seq` over the
 * test split computes it, answering `batchSize` questions at a time (greedy decoding is row by
 * row: the same answers as one at a time). Returns the fraction right and which were.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seq2seqAccuracy } from "./seq2seq_trainer.ts";
 * import { Seq2seq } from "../models/seq2seq.ts";
 * import { IntTensor } from "../tensor.ts";
 * const model = new Seq2seq(5, 4, 8);
 * const x = IntTensor.from([[1, 2], [3, 4], [2, 2]]), t = IntTensor.from([[0, 1], [0, 2], [0, 3]]);
 * const { accuracy, right } = seq2seqAccuracy(model, x, t, { batchSize: 2 });
 * assert(accuracy === right.reduce((s, r) => s + r, 0) / 3);
 * ```
 */
export function seq2seqAccuracy(
  model: Seq2seqModel,
  x: IntTensor,
  t: IntTensor,
  options?: { batchSize?: number; onProgress?: (done: number, total: number) => void },
): { accuracy: number; right: Uint8Array } {
  const { batchSize = 500, onProgress } = options ?? {};
  checkCount("seq2seqAccuracy", "batchSize", batchSize, 1);
  const [n, , Tt] = checkData("seq2seqAccuracy", x, t, model.config.vocabSize);
  const right = new Uint8Array(n);
  for (let r0 = 0; r0 < n; r0 += batchSize) {
    const r1 = Math.min(n, r0 + batchSize);
    const starts = new Set<number>();
    for (let r = r0; r < r1; r++) starts.add(t.data[r * Tt]);
    // rows that start from the same separator are answered together
    for (const start of starts) {
      const rows = [];
      for (let r = r0; r < r1; r++) if (t.data[r * Tt] === start) rows.push(r);
      const T = x.shape[1];
      const xs = new IntTensor(new Int32Array(rows.length * T), [rows.length, T]);
      rows.forEach((r, i) => xs.data.set(x.data.subarray(r * T, (r + 1) * T), i * T));
      const guess = model.generateBatch(xs, start, Tt - 1);
      rows.forEach((r, i) => {
        let ok = 1;
        for (let j = 1; j < Tt; j++) {
          if (guess.data[i * (Tt - 1) + j - 1] !== t.data[r * Tt + j]) ok = 0;
        }
        right[r] = ok;
      });
    }
    onProgress?.(r1, n);
  }
  let sum = 0;
  for (const r of right) sum += r;
  return { accuracy: n === 0 ? 0 : sum / n, right };
}
