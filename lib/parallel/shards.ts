/**
 * Data parallelism by shards: a batch's rows are cut into a fixed number of shards, each
 * computed by a replica of the model whose parameters are views of the one parameter buffer
 * and whose gradients go to the shard's own region. Shards, not threads, define the
 * arithmetic: a shard's forward and backward are the same whichever thread runs them, the
 * shards' gradients are summed in shard order, so the update is bit-identical for any number
 * of workers.
 *
 * This module holds what every thread runs ({@linkcode ShardRunner}) and the in-thread
 * executor; `pool.ts` and `worker.ts` run the same runner in Web Workers.
 *
 * @module
 */

import { getKernels } from "../engine/kernels.ts";
import { type Block, engineHeap } from "../engine/memory.ts";
import { vecOf } from "../engine/views.ts";
import { SaikiError } from "../errors.ts";
import { LanguageModel, type LanguageModelConfig } from "../models/rnnlm.ts";
import { type Seq2seqConfig, type Seq2seqModel, seq2seqModel } from "../models/seq2seq.ts";
import type { TimeRecurrent } from "../layers/recurrent.ts";
import { type IntTensor, Tensor } from "../tensor.ts";

/** A model whose batches can be cut into shards: a language model or a seq2seq model. */
export type ShardModel = LanguageModel | Seq2seqModel;

/** The configuration of a {@linkcode ShardModel}: what a worker builds its replicas from. */
export type ModelConfig = LanguageModelConfig | Seq2seqConfig;

/**
 * The recurrent layers whose state carries from one batch to the next: a language model's
 * (truncated BPTT); none for a seq2seq model, whose every question starts from zeros.
 */
function carriedState(model: ShardModel): TimeRecurrent[] {
  return model instanceof LanguageModel ? model.rnnLayers : [];
}

/**
 * The rows `[start, end)` of each of `shards` shards of a batch of `rows` rows: sizes differ by
 * at most one, the larger ones first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shardRows } from "./shards.ts";
 * assert.deepEqual(shardRows(10, 3), [[0, 4], [4, 7], [7, 10]]);
 * ```
 */
export function shardRows(rows: number, shards: number): [number, number][] {
  if (!Number.isInteger(shards) || shards < 1 || shards > rows) {
    throw new SaikiError(`shards is ${shards}, expected an integer from 1 to the ${rows} rows`);
  }
  const base = Math.floor(rows / shards), extra = rows % shards;
  const out: [number, number][] = [];
  let at = 0;
  for (let s = 0; s < shards; s++) {
    const n = base + (s < extra ? 1 : 0);
    out.push([at, at + n]);
    at += n;
  }
  return out;
}

/**
 * Rows a shard should have at least: below it the per-row products get too thin for the
 * GEMM's 4-row tiles to pay for the shard's fixed costs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultShards, MIN_SHARD_ROWS, shardRows } from "./shards.ts";
 * assert.equal(defaultShards(2 * MIN_SHARD_ROWS), 2); // 16 rows: two shards of 8
 * assert.deepEqual(shardRows(2 * MIN_SHARD_ROWS, 2), [[0, 8], [8, 16]]);
 * assert.equal(defaultShards(2 * MIN_SHARD_ROWS - 1), 1); // 15 rows: a shard of 7 is too thin
 * ```
 */
export const MIN_SHARD_ROWS = 8;

/**
 * The shard count of a batch of `rows` rows: 2 (the cores of the machines saiki is measured
 * on) when each shard gets at least {@linkcode MIN_SHARD_ROWS} rows, else 1. It depends on
 * the batch only, never on the worker count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultShards } from "./shards.ts";
 * assert(defaultShards(20) === 2 && defaultShards(10) === 1);
 * ```
 */
export function defaultShards(rows: number): number {
  return rows >= 2 * MIN_SHARD_ROWS ? 2 : 1;
}

/** One unit of work for every shard: a forward (and, in training, a backward) on a batch. */
export interface ShardTask {
  /** Training (dropout on, backward) or evaluation (forward only). */
  train: boolean;
  /** Training step: the dropout masks' key. */
  step: number;
  /** Tokens counted in the whole batch: shard `s`'s loss gradient is scaled by `count_s / total`. */
  total: number;
}

/** What a shard reports: the mean loss over its counted tokens, and their number. */
export interface ShardResult {
  /** Mean cross-entropy over the shard's counted tokens (0 when it has none). */
  loss: number;
  /** Tokens the shard counted (labels not ignored). */
  count: number;
}

/** The recurrent state of one shard's rows: per recurrent layer, `h` and `c` (or null). */
export interface ShardState {
  /** Hidden states, `(rows, H)` each, row-major; null before a forward or after a reset. */
  h: (Float32Array | null)[];
  /** Cell states (LSTM), like `h`; null for cells without one. */
  c: (Float32Array | null)[];
}

/**
 * A replica of a model: parameters viewing `params` (nothing is copied), gradients in `grads`
 * (laid out as the model's `gradBuffer`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { replica } from "./shards.ts";
 * import { Rnnlm } from "../models/rnnlm.ts";
 * import { engineTensor } from "../tensor.ts";
 * const model = new Rnnlm(20, 4, 4);
 * const copy = replica(model.config, model.paramBuffer, engineTensor([model.gradBuffer.size]));
 * assert(copy.params[1].data.buffer === model.params[1].data.buffer);
 * assert(copy.params[1].data[3] === model.params[1].data[3]);
 * ```
 */
export function replica(
  config: ModelConfig,
  params: Tensor,
  grads: Tensor,
  maskSeed = 0,
): ShardModel {
  if ("model" in config) return seq2seqModel(config, { paramBuffer: params, gradBuffer: grads });
  return new LanguageModel(config, { paramBuffer: params, gradBuffer: grads, maskSeed });
}

/**
 * Runs some shards of a batch, in this thread, each on its replica: the same code in the
 * main thread (one thread, or without `SharedArrayBuffer`) and in every worker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { replica, ShardRunner } from "./shards.ts";
 * import { Rnnlm } from "../models/rnnlm.ts";
 * import { engineTensor, IntTensor } from "../tensor.ts";
 * const model = new Rnnlm(10, 4, 4);
 * // one replica per shard: the model's parameters, a gradient region of its own
 * const grads = () => engineTensor([model.gradBuffer.size]);
 * const shard = () => replica(model.config, model.paramBuffer, grads());
 * const runner = new ShardRunner(new Map([[0, shard()], [1, shard()]]));
 * const xs = IntTensor.from([[1, 2], [3, 4], [5, 6], [7, 8]]);
 * const ts = IntTensor.from([[2, 3], [4, 5], [6, 7], [8, 9]]);
 * const out = runner.run({ train: true, step: 0, total: 8 }, xs, ts, 2); // rows 0–1 and 2–3
 * assert.deepEqual(out.map((r) => [r.shard, r.result.count]), [[0, 4], [1, 4]]);
 * // the shards' losses, weighted by their counts, make the whole batch's loss
 * const whole = model.forward(xs, ts, false);
 * assert(Math.abs((out[0].result.loss + out[1].result.loss) / 2 - whole) < 1e-5);
 * ```
 */
export class ShardRunner {
  /** The replicas, by shard index (only the shards this runner computes are present). */
  readonly replicas: Map<number, ShardModel>;

  /** A runner of `replicas`: shard index → the model computing it. */
  constructor(replicas: Map<number, ShardModel>) {
    this.replicas = replicas;
  }

  /**
   * Runs `task` on this runner's shards of the batch `xs`/`ts` `(N, T)`, cut into `shards`
   * shards; returns each shard's result, in shard order.
   */
  run(
    task: ShardTask,
    xs: IntTensor,
    ts: IntTensor,
    shards: number,
  ): { shard: number; result: ShardResult }[] {
    const rows = shardRows(xs.shape[0], shards);
    const out: { shard: number; result: ShardResult }[] = [];
    for (const [s, model] of [...this.replicas].sort((a, b) => a[0] - b[0])) {
      if (s >= shards) continue;
      const [r0, r1] = rows[s];
      let loss: number;
      if (model instanceof LanguageModel) {
        model.maskKey.step = task.step;
        model.maskKey.rowOffset = r0;
        loss = model.forward(xs.rows(r0, r1), ts.rows(r0, r1), task.train);
      } else loss = model.forward(xs.rows(r0, r1), ts.rows(r0, r1));
      const count = model.lossLayer.count;
      if (task.train) {
        model.backward(task.total > 0 ? count / task.total : 0);
        if (model instanceof LanguageModel) model.mergeTiedGrads();
      }
      out.push({ shard: s, result: { loss, count } });
    }
    return out;
  }

  /** Copies of every shard's recurrent state. */
  getState(): Map<number, ShardState> {
    const out = new Map<number, ShardState>();
    for (const [s, model] of this.replicas) {
      const layers = carriedState(model);
      out.set(s, {
        h: layers.map((l) => l.h?.data.slice() ?? null),
        c: layers.map((l) => l.c?.data.slice() ?? null),
      });
    }
    return out;
  }

  /** Sets shards' recurrent states (a shard absent from `states` is left as it is). */
  setState(states: Map<number, ShardState>): void {
    for (const [s, state] of states) {
      const model = this.replicas.get(s);
      if (model === undefined) throw new SaikiError(`ShardRunner.setState: no shard ${s} here`);
      carriedState(model).forEach((layer, i) => {
        const h = state.h[i], c = state.c[i];
        if (h === null) return layer.resetState();
        const H = model.config.hiddenSize, rows = h.length / H;
        const t = (data: Float32Array) => new Tensor(data, [rows, H]);
        layer.setState(t(h), layer.hasCellState && c !== null ? t(c) : null);
      });
    }
  }

  /** Forgets every shard's recurrent state. */
  resetState(): void {
    for (const model of this.replicas.values()) for (const l of carriedState(model)) l.resetState();
  }
}

/**
 * The shards' gradients summed into shard 0's, chunk by chunk: for each chunk of
 * {@linkcode GradientSum.CHUNK} floats of the first `size` (the distinct parameters'), shard
 * 1's gradient is added, then shard 2's, …, and the chunk's sum of squares (float64) is
 * written to `norms`. The chunks are fixed by `size` alone, so threads can share them out in
 * any way — workers each take a run of them after a barrier — and every sum, and the norm
 * summed from `norms` in chunk order, is the same bit for bit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GradientSum } from "./shards.ts";
 * import { engineTensor } from "../tensor.ts";
 * const g = [engineTensor([3]), engineTensor([3])];
 * g[0].data.set([1, 2, 2]), g[1].data.set([1, 0, 2]);
 * const sum = new GradientSum(g, 3);
 * sum.reduce(0, sum.chunks);
 * assert.deepEqual([...g[0].data], [2, 2, 4]);
 * assert.equal(sum.sumSquares(), 24);
 * sum.free();
 * ```
 */
export class GradientSum {
  /** Floats per chunk (256 KiB): a chunk's shards stream through the cache once. */
  static readonly CHUNK = 65536;
  /** Each shard's gradient region, shard 0's first: it receives the sum. */
  readonly grads: readonly Tensor[];
  /** Floats summed from the start of each region: the distinct parameters' gradients. */
  readonly size: number;
  /** Chunks of `size`. */
  readonly chunks: number;
  /** Where each chunk's sum of squares goes (float64), in the engine's memory. */
  readonly norms: Block;

  /**
   * The sum of `grads`' first `size` floats; `norms`, when given, the block (of another
   * thread) the chunks' sums of squares go to, else one allocated here.
   */
  constructor(grads: readonly Tensor[], size: number, norms?: Block) {
    this.grads = grads;
    this.size = size;
    this.chunks = Math.max(1, Math.ceil(size / GradientSum.CHUNK));
    this.norms = norms ?? engineHeap().alloc(8 * this.chunks);
  }

  /** The chunks `[c0, c1)` thread `w` of `W` sums: a contiguous run, about `chunks / W`. */
  range(w: number, W: number): [number, number] {
    return [Math.floor(w * this.chunks / W), Math.floor((w + 1) * this.chunks / W)];
  }

  /** Sums chunks `[c0, c1)` into shard 0's region in shard order and measures each. */
  reduce(c0: number, c1: number): void {
    const k = getKernels(), [into, ...rest] = this.grads, { CHUNK } = GradientSum;
    for (let c = c0; c < c1; c++) {
      const at = c * CHUNK, n = Math.min(CHUNK, this.size - at);
      const sum = vecOf(into.data, at, n);
      for (const g of rest) k.axpy(1, vecOf(g.data, at, n), sum);
      this.norms.f64(c, 1)[0] = k.sumSquares(sum);
    }
  }

  /** The sum of squares of the whole sum: the chunks' in chunk order. */
  sumSquares(): number {
    const norms = this.norms.f64(0, this.chunks);
    let s = 0;
    for (let c = 0; c < this.chunks; c++) s += norms[c];
    return s;
  }

  /** Returns the norms' block to the heap (a foreign one is left to its owner). */
  free(): void {
    if (!this.norms.foreign) this.norms.free();
  }
}

/**
 * Runs every shard of a task somewhere and reports the results in shard order: in this
 * thread ({@linkcode LocalExecutor}) or in Web Workers (`WorkerExecutor` in `pool.ts`). Given
 * a {@linkcode GradientSum}, a training task also sums the shards' gradients into shard 0's
 * and measures them, before `run` resolves.
 */
export interface ShardExecutor {
  /** Threads computing shards. */
  readonly threads: number;
  /** Runs `task` on the batch `xs`/`ts` `(N, T)` cut into `shards` shards. */
  run(task: ShardTask, xs: IntTensor, ts: IntTensor, shards: number): Promise<ShardResult[]>;
  /** Every shard's recurrent state, by shard index. */
  getState(): Promise<Map<number, ShardState>>;
  /** Sets shards' recurrent states. */
  setState(states: Map<number, ShardState>): Promise<void>;
  /** Forgets every shard's recurrent state. */
  resetState(): Promise<void>;
  /** Releases the threads (idempotent). */
  close(): void;
}

/**
 * Runs every shard in this thread, one after the other: what one thread does, and the
 * fallback where `SharedArrayBuffer` (and so a memory workers can share) is missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LocalExecutor, ShardRunner } from "./shards.ts";
 * import { Rnnlm } from "../models/rnnlm.ts";
 * import { IntTensor } from "../tensor.ts";
 * const model = new Rnnlm(10, 4, 4);
 * const local = new LocalExecutor(new ShardRunner(new Map([[0, model]])));
 * const xs = IntTensor.from([[1, 2], [3, 4]]), ts = IntTensor.from([[2, 3], [4, 5]]);
 * const [r] = await local.run({ train: false, step: 0, total: 4 }, xs, ts, 1);
 * assert(r.count === 4 && Math.abs(r.loss - Math.log(10)) < 0.1);
 * ```
 */
export class LocalExecutor implements ShardExecutor {
  /** One thread: this one. */
  readonly threads = 1;
  /** The runner holding every shard's replica. */
  readonly runner: ShardRunner;
  readonly #sum?: GradientSum;

  /** An executor of `runner`'s shards; with `sum`, training tasks sum their gradients. */
  constructor(runner: ShardRunner, sum?: GradientSum) {
    this.runner = runner;
    this.#sum = sum;
  }

  /** Runs every shard in turn (then, training, sums their gradients). */
  run(task: ShardTask, xs: IntTensor, ts: IntTensor, shards: number): Promise<ShardResult[]> {
    const results = this.runner.run(task, xs, ts, shards).map((r) => r.result);
    if (task.train && this.#sum !== undefined) this.#sum.reduce(0, this.#sum.chunks);
    return Promise.resolve(results);
  }

  /** The replicas' states. */
  getState(): Promise<Map<number, ShardState>> {
    return Promise.resolve(this.runner.getState());
  }

  /** Sets the replicas' states. */
  setState(states: Map<number, ShardState>): Promise<void> {
    this.runner.setState(states);
    return Promise.resolve();
  }

  /** Resets the replicas' states. */
  resetState(): Promise<void> {
    this.runner.resetState();
    return Promise.resolve();
  }

  /** Nothing to release. */
  close(): void {}
}
