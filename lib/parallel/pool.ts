/**
 * Shards computed in Web Workers over one shared memory.
 *
 * The main thread owns everything shared: the parameters, each shard's gradient region, the
 * batch and a few synchronisation words, all in the engine's shared `WebAssembly.Memory`.
 * Each worker joins that memory (its own allocations come from pages it grows itself),
 * instantiates the kernels over it, and builds replicas of the model for its shards whose
 * parameters and gradients are views of the main thread's blocks: nothing is copied per step.
 * Shard `s` runs on worker `s mod W`, always the same one, so each shard's recurrent state
 * stays with its replica between steps.
 *
 * Between steps the workers wait for a message while the main thread sums the gradients,
 * clips and updates; an atomic counter in the shared memory, stored before each request and
 * read by the worker on arrival (and the reverse for the answer), orders those writes before
 * the other thread's reads.
 *
 * Memory: a worker's heap takes pages by growing the shared memory; they are not given back
 * when the worker stops (a memory never shrinks), so a program that starts many pools in turn
 * keeps their activations' pages. One pool per run, as `deno task train` has, costs nothing.
 *
 * Faults: a worker that throws answers with its message and stack; one that dies (an uncaught
 * error), answers something unexpected or does not answer within `timeout` fails the request
 * with a message naming it. Any failure terminates every worker; later calls fail at once.
 *
 * @module
 */

import { getKernels } from "../engine/kernels.ts";
import { type Block, engineHeap } from "../engine/memory.ts";
import { SaikiError } from "../errors.ts";
import { LanguageModel } from "../models/rnnlm.ts";
import { IntTensor, type Tensor } from "../tensor.ts";
import {
  type InjectedFault,
  type Reply,
  replyProblem,
  type Request,
  type Span,
} from "./_protocol.ts";
import type {
  GradientSum,
  ShardExecutor,
  ShardModel,
  ShardResult,
  ShardState,
  ShardTask,
} from "./shards.ts";

/**
 * Why workers cannot be used here, or undefined when they can.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workersUnavailable } from "./pool.ts";
 * // Deno has Web Workers and SharedArrayBuffer, so the engine's memory is shared
 * assert.equal(workersUnavailable(), undefined);
 * // a page without cross-origin isolation gets "SharedArrayBuffer is missing (…)" instead,
 * // and a trainer asked for workers runs on one thread, saying why
 * ```
 */
export function workersUnavailable(): string | undefined {
  if (typeof Worker !== "function") return "this runtime has no Web Workers";
  if (typeof SharedArrayBuffer !== "function") {
    return "SharedArrayBuffer is missing (a browser page must be cross-origin isolated)";
  }
  if (!engineHeap().shared) return "the engine's memory is not shared";
  return undefined;
}

/** Options of {@linkcode WorkerExecutor.start}. */
export interface PoolOptions {
  /** Milliseconds a worker may take to answer one request (default 300,000). */
  timeout?: number;
  /** Test hook: make worker `worker` commit `fault`. */
  fault?: InjectedFault & { worker: number };
}

function spanOf(t: Tensor | IntTensor): Span {
  const block = t.block;
  if (block === undefined || block.foreign) {
    throw new SaikiError("WorkerExecutor: a shared tensor must live in the engine's memory");
  }
  return { offset: t.data.byteOffset, length: t.size };
}

interface Pending {
  resolve(reply: Reply): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
  worker: number;
  kind: string;
}

/**
 * Computes a model's shards in Web Workers (see the module doc).
 *
 * @example
 * ```ts ignore
 * const pool = await WorkerExecutor.start(model, grads, 2); // grads: one region per shard
 * const results = await pool.run({ train: true, step: 0, total: 700 }, xs, ts, 2);
 * pool.close();
 * ```
 */
export class WorkerExecutor implements ShardExecutor {
  /** Worker threads. */
  readonly threads: number;
  readonly #workers: Worker[];
  readonly #pending = new Map<number, Pending>();
  readonly #timeout: number;
  readonly #sync: Block;
  #next = 1;
  #seq = 0;
  /** Arrivals at the workers' barrier so far (every training task adds its busy workers). */
  #arrivals = 0;
  /** Engine copies of batches given on the JS heap. */
  #batch?: [IntTensor, IntTensor];
  #failure: Error | undefined;
  #closed = false;

  private constructor(workers: Worker[], sync: Block, timeout: number) {
    this.#workers = workers;
    this.threads = workers.length;
    this.#sync = sync;
    this.#timeout = timeout;
    workers.forEach((w, i) => {
      w.onmessage = (e: MessageEvent) => this.#receive(i, e.data);
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.#fail(new SaikiError(`worker ${i} died: ${e.message}`));
      };
      w.onmessageerror = () => this.#fail(new SaikiError(`worker ${i} sent an unreadable message`));
    });
  }

  /**
   * Starts `workers` workers computing `model`'s shards: shard `s` (of `grads.length`) on
   * worker `s mod workers`, with its gradients in `grads[s]`; after a training task they
   * meet at a barrier and share out `sum`, whose regions are `grads`.
   */
  static async start(
    model: ShardModel,
    grads: Tensor[],
    workers: number,
    sum: GradientSum,
    options: PoolOptions = {},
  ): Promise<WorkerExecutor> {
    const why = workersUnavailable();
    if (why !== undefined) throw new SaikiError(`cannot start workers: ${why}`);
    if (!Number.isInteger(workers) || workers < 1 || workers > grads.length) {
      throw new SaikiError(
        `WorkerExecutor: ${workers} workers for ${grads.length} shards; expected 1 to ${grads.length}`,
      );
    }
    const heap = engineHeap();
    const sync = heap.alloc(4 * (2 + 2 * workers));
    // the sources start worker.ts beside this file; the bundle (deno task build) worker.js
    const url = new URL(
      import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js",
      import.meta.url,
    );
    const list = Array.from({ length: workers }, () => new Worker(url, { type: "module" }));
    const pool = new WorkerExecutor(list, sync, options.timeout ?? 300_000);
    try {
      await Promise.all(list.map((_, w) =>
        pool.#request(w, {
          id: 0,
          kind: "init",
          memory: heap.memory!,
          backend: getKernels().name,
          config: model.config,
          maskSeed: model instanceof LanguageModel ? model.maskKey.seed : 0,
          params: spanOf(model.paramBuffer),
          grads: grads.flatMap((g, s) => s % workers === w ? [{ shard: s, span: spanOf(g) }] : []),
          sum: {
            grads: sum.grads.map(spanOf),
            size: sum.size,
            norms: { offset: sum.norms.offset, length: sum.chunks },
          },
          sync: { offset: sync.offset, length: 2 + 2 * workers },
          workers,
          worker: w,
          fault: options.fault?.worker === w ? options.fault : undefined,
        })
      ));
    } catch (e) {
      pool.close();
      throw e;
    }
    return pool;
  }

  #syncWords(): Int32Array {
    return this.#sync.i32(0, 2 + 2 * this.threads);
  }

  /**
   * The worker to blame for `worker`'s silence on a `request`: in a training task, the first
   * busy worker that has not reached the barrier the others wait at; else `worker` itself.
   */
  #culprit(worker: number, request: Request): number {
    if (request.kind !== "run" || request.sum === undefined || this.#closed) return worker;
    const sync = this.#syncWords();
    for (let w = 0; w < request.sum.busy; w++) {
      if (Atomics.load(sync, 2 + this.threads + w) !== request.seq) return w;
    }
    return worker;
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(this.#failure);
    }
    this.#pending.clear();
    this.close();
  }

  #receive(worker: number, data: unknown): void {
    const problem = replyProblem(data);
    if (problem !== undefined) {
      return this.#fail(new SaikiError(`worker ${worker} sent an unexpected message: ${problem}`));
    }
    const reply = data as Reply;
    const pending = this.#pending.get(reply.id);
    if (pending === undefined || pending.worker !== worker) {
      return this.#fail(
        new SaikiError(`worker ${worker} answered request ${reply.id}, which it was not asked`),
      );
    }
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.kind === "error") {
      const error = new SaikiError(`worker ${worker} failed (${pending.kind}): ${reply.message}`);
      if (reply.stack !== undefined) {
        error.stack = `${error.message}\n[worker ${worker}] ${reply.stack}`;
      }
      pending.reject(error);
      return this.#fail(error);
    }
    pending.resolve(reply);
  }

  #request(worker: number, request: Request): Promise<Reply> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new SaikiError("the worker pool is closed"));
    const id = this.#next++;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(
          new SaikiError(
            `worker ${this.#culprit(worker, request)} did not answer a "${request.kind}" ` +
              `request within ${this.#timeout / 1000} s; the workers were stopped`,
          ),
        );
      }, this.#timeout);
      this.#pending.set(id, { resolve, reject, timer, worker, kind: request.kind });
      this.#workers[worker].postMessage({ ...request, id });
    });
  }

  /** Runs `task` on every shard, each on its worker; results in shard order. */
  async run(
    task: ShardTask,
    xs: IntTensor,
    ts: IntTensor,
    shards: number,
  ): Promise<ShardResult[]> {
    if (xs.block === undefined || ts.block === undefined) [xs, ts] = this.#copyBatch(xs, ts);
    const seq = ++this.#seq;
    const sync = this.#syncWords();
    Atomics.store(sync, 0, seq); // orders the main thread's writes before the workers' reads
    const [rows, time] = xs.shape, targetTime = ts.shape[1];
    const busy = Math.min(this.threads, shards);
    const sum = task.train ? { barrier: this.#arrivals += busy, busy } : undefined;
    const replies = await Promise.all(
      Array.from({ length: busy }, (_, w) =>
        this.#request(w, {
          id: 0,
          kind: "run",
          task,
          xs: spanOf(xs),
          ts: spanOf(ts),
          rows,
          time,
          targetTime,
          shards,
          seq,
          sum,
        })),
    );
    const results: ShardResult[] = new Array(shards);
    replies.forEach((reply, w) => {
      if (Atomics.load(sync, 1 + w) !== seq) {
        throw new SaikiError(`worker ${w} answered task ${seq} without publishing it`);
      }
      for (
        const { shard, result } of (reply as { results: { shard: number; result: ShardResult }[] })
          .results
      ) {
        results[shard] = result;
      }
    });
    for (let s = 0; s < shards; s++) {
      if (results[s] === undefined) throw new SaikiError(`no worker computed shard ${s}`);
    }
    return results;
  }

  /** Copies a batch that lives on the JS heap into engine buffers the workers can read. */
  #copyBatch(xs: IntTensor, ts: IntTensor): [IntTensor, IntTensor] {
    if (
      this.#batch === undefined || this.#batch[0].shape.join() !== xs.shape.join() ||
      this.#batch[1].shape.join() !== ts.shape.join()
    ) {
      this.#batch?.forEach((t) => t.block!.free());
      this.#batch = [IntTensor.engine(xs.shape), IntTensor.engine(ts.shape)];
    }
    this.#batch[0].data.set(xs.data);
    this.#batch[1].data.set(ts.data);
    return this.#batch;
  }

  /** Every shard's recurrent state, gathered from the workers. */
  async getState(): Promise<Map<number, ShardState>> {
    const replies = await Promise.all(
      this.#workers.map((_, w) => this.#request(w, { id: 0, kind: "getState" })),
    );
    const out = new Map<number, ShardState>();
    for (const r of replies) {
      for (const [s, state] of (r as { states: [number, ShardState][] }).states) {
        out.set(s, state);
      }
    }
    return out;
  }

  /** Sends each shard's state to the worker computing it. */
  async setState(states: Map<number, ShardState>): Promise<void> {
    await Promise.all(this.#workers.map((_, w) =>
      this.#request(w, {
        id: 0,
        kind: "setState",
        states: [...states].filter(([s]) => s % this.threads === w),
      })
    ));
  }

  /** Resets every shard's state. */
  async resetState(): Promise<void> {
    await Promise.all(this.#workers.map((_, w) => this.#request(w, { id: 0, kind: "reset" })));
  }

  /** Terminates every worker (idempotent); pending requests fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#workers) w.terminate();
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(this.#failure ?? new SaikiError("the worker pool was closed"));
    }
    this.#pending.clear();
    this.#sync.free();
    this.#batch?.forEach((t) => t.block!.free());
  }
}
