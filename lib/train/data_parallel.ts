/**
 * One data-parallel training step, shared by the language-model trainer and the seq2seq
 * trainer: the batch's rows cut into shards, every shard's forward and backward on a replica
 * (in this thread or in Web Workers), the shards' gradients summed in shard order, clipping,
 * the update. No I/O.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { LanguageModel } from "../models/rnnlm.ts";
import { clipGrads, type Optimizer } from "./optimizers.ts";
import { type PoolOptions, WorkerExecutor, workersUnavailable } from "../parallel/pool.ts";
import {
  defaultShards,
  GradientSum,
  LocalExecutor,
  replica,
  type ShardExecutor,
  type ShardModel,
  ShardRunner,
} from "../parallel/shards.ts";
import { engineTensor, type IntTensor, type Tensor } from "../tensor.ts";

/** How a trainer spreads its work. */
export interface TrainerOptions {
  /**
   * Threads computing the shards (default 1: this thread). More start that many Web Workers
   * (at most one per shard) over the engine's shared memory; where workers cannot share it
   * (no `SharedArrayBuffer`), training runs in this thread and `notice` says why.
   */
  workers?: number;
  /**
   * Shards each batch's rows are cut into (default: {@linkcode defaultShards} of the rows of
   * the first batch the trainer sees — a training batch, or an evaluation batch when
   * `evaluate` comes first; give it to fix it). They define the arithmetic: any `workers`
   * gives bit-identical results.
   */
  shards?: number;
  /** Pool options: a worker's answer timeout, and the fault-injection hook of the tests. */
  pool?: PoolOptions;
}

/**
 * The shards and threads of one model's training: started on the first batch, then every
 * {@linkcode DataParallel.step} runs the shards, sums their gradients in shard order, clips
 * and updates. Call {@linkcode DataParallel.close} to stop the workers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataParallel } from "./data_parallel.ts";
 * import { SGD } from "./optimizers.ts";
 * import { Seq2seq } from "../models/seq2seq.ts";
 * import { IntTensor } from "../tensor.ts";
 * const model = new Seq2seq(10, 4, 8);
 * const parallel = new DataParallel(model, { shards: 2 }, "example");
 * const xs = IntTensor.from([[1, 2], [3, 4]]), ts = IntTensor.from([[0, 5, 6], [0, 7, 8]]);
 * const { loss } = await parallel.step(xs, ts, new SGD(0.1), { step: 0 });
 * assert(Math.abs(loss - Math.log(10)) < 0.1 && parallel.shards === 2);
 * await parallel.close();
 * ```
 */
export class DataParallel {
  /** The model whose parameters the step updates. */
  readonly model: ShardModel;
  /** Why training runs in fewer threads than asked (once workers were asked for), or "". */
  notice = "";
  readonly #options: TrainerOptions;
  readonly #where: string;
  #executor?: Promise<ShardExecutor>;
  #shards = 0;
  /** Each shard's gradient region; shard 0's is the model's `gradBuffer`. */
  #grads: Tensor[] = [];
  /** Their sum into shard 0's, with the norm, done by the executor's threads. */
  #sum?: GradientSum;

  /**
   * The shards and threads of `model`'s training; nothing starts before the first batch.
   * @param model the model trained
   * @param options threads and shards
   * @param where the trainer's name, for messages
   */
  constructor(model: ShardModel, options: TrainerOptions, where: string) {
    const { workers = 1, shards } = options;
    checkCount(where, "workers", workers, 1);
    if (shards !== undefined) checkCount(where, "shards", shards, 1);
    this.model = model;
    this.#options = options;
    this.#where = where;
  }

  /** Shards per batch, fixed by the first batch's rows (0 before it). */
  get shards(): number {
    return this.#shards;
  }

  /** Threads computing shards (1 before the first batch). */
  async threads(): Promise<number> {
    return this.#executor === undefined ? 1 : (await this.#executor).threads;
  }

  /** The executor, started for batches of `rows` rows on first use. */
  start(rows: number): Promise<ShardExecutor> {
    return this.#executor ??= (async () => {
      const { model } = this;
      const S = this.#shards = this.#options.shards ?? defaultShards(rows);
      if (S > rows) {
        throw new SaikiError(`${this.#where}: ${S} shards for batches of ${rows} rows`);
      }
      this.#grads = [model.gradBuffer];
      for (let s = 1; s < S; s++) this.#grads.push(engineTensor([model.gradBuffer.size]));
      const sum = this.#sum = new GradientSum(this.#grads, model.paramBuffer.size);
      const wanted = Math.min(this.#options.workers ?? 1, S);
      const why = wanted > 1 ? workersUnavailable() : undefined;
      if (why !== undefined) this.notice = `training runs on one thread: ${why}`;
      if (wanted > 1 && why === undefined) {
        return await WorkerExecutor.start(model, this.#grads, wanted, sum, this.#options.pool);
      }
      const seed = model instanceof LanguageModel ? model.maskKey.seed : 0;
      const replicas = this.#grads.map((g, s) =>
        [s, s === 0 ? model : replica(model.config, model.paramBuffer, g, seed)] as const
      );
      return new LocalExecutor(new ShardRunner(new Map(replicas)), sum);
    })();
  }

  /** Stops the workers (idempotent); no step can run after. */
  async close(): Promise<void> {
    const executor = this.#executor;
    if (executor === undefined) return;
    try {
      (await executor).close();
    } catch {
      // a pool that failed to start has closed itself
    }
  }

  /**
   * One training iteration on a batch: every shard's forward and backward (dropout masks
   * keyed by `step`), the shards' gradients summed in shard order with their norm (chunk by
   * chunk, shared out among the threads: {@linkcode GradientSum}), clipping to `maxGrad` (none
   * when undefined), the optimizer's update.
   *
   * @returns the batch's mean loss over its counted tokens and the gradients' global norm
   *   before clipping
   */
  async step(
    xs: IntTensor,
    ts: IntTensor,
    optimizer: Optimizer,
    options: { step: number; maxGrad?: number },
  ): Promise<{ loss: number; gradNorm: number }> {
    const { model } = this;
    const executor = await this.start(xs.shape[0]);
    const S = this.#shards;
    const total = countTargets(model, ts);
    // the shards, then g0 += g1, += g2, … (fixed order, whichever threads computed them)
    const results = await executor.run({ train: true, step: options.step, total }, xs, ts, S);
    const { params, grads } = model.uniqueParams();
    const norm = Math.sqrt(this.#sum!.sumSquares());
    const gradNorm = clipGrads(grads, options.maxGrad ?? Infinity, norm);
    optimizer.update(params, grads);
    return { loss: meanLoss(results, total), gradNorm };
  }

  /** The mean loss of a batch, forward only (dropout off), over the shards and threads. */
  async loss(xs: IntTensor, ts: IntTensor): Promise<number> {
    const rows = xs.shape[0];
    const executor = await this.start(rows);
    const S = Math.min(this.#shards, rows);
    const total = countTargets(this.model, ts);
    return meanLoss(await executor.run({ train: false, step: 0, total }, xs, ts, S), total);
  }
}

/**
 * The targets a batch's loss is the mean over: the labels of `ts` not labelled `ignore` — for
 * a seq2seq model only `ts[:, 1:]`, as its first column is the decoder's start id.
 */
function countTargets(model: ShardModel, ts: IntTensor): number {
  const ignore = model.lossLayer.ignoreLabel, d = ts.data;
  const cols = ts.shape[1], skip = model instanceof LanguageModel ? 0 : 1;
  let n = 0;
  for (let i = 0; i < d.length; i++) if (i % cols >= skip && d[i] !== ignore) n++;
  return n;
}

/** The batch's mean loss from its shards' means: each weighted by its token count. */
function meanLoss(results: { loss: number; count: number }[], total: number): number {
  if (results.length === 1) return results[0].loss;
  if (total === 0) return 0;
  let sum = 0;
  for (const r of results) sum += r.loss * r.count;
  return sum / total;
}

/**
 * Throws unless `value` is an integer ≥ `min`, naming the function and the option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkCount } from "./data_parallel.ts";
 * assert.throws(() => checkCount("Trainer.fit", "batchSize", 0, 1),
 *   /Trainer.fit: batchSize is 0, expected an integer ≥ 1/);
 * ```
 */
export function checkCount(where: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new SaikiError(`${where}: ${name} is ${value}, expected an integer ≥ ${min}`);
  }
}
