/**
 * The messages between the main thread and a shard worker, and their checks. Internal.
 *
 * @module
 */

import type { ModelConfig, ShardResult, ShardState, ShardTask } from "./shards.ts";

/** A fault a test makes a worker commit, to see the pool report it. */
export interface InjectedFault {
  /** throw in the handler, throw outside it, close itself, answer nonsense, or never answer */
  kind: "throw" | "crash" | "exit" | "garbage" | "hang";
  /** At which `run` request of the worker (from 1). */
  at: number;
}

/** A span of the shared memory: byte offset and length in floats (or ints). */
export interface Span {
  /** Byte offset. */
  offset: number;
  /** Elements. */
  length: number;
}

/** Main → worker. Every request has an `id` the answer repeats. */
export type Request =
  | {
    id: number;
    kind: "init";
    memory: WebAssembly.Memory;
    backend: string;
    config: ModelConfig;
    maskSeed: number;
    params: Span;
    /** The gradient region of each shard this worker computes. */
    grads: { shard: number; span: Span }[];
    /**
     * The gradient sum the workers share out after a training task (`GradientSum`): every
     * shard's region in shard order, the floats summed, the chunks' norms (float64).
     */
    sum: { grads: Span[]; size: number; norms: Span };
    /**
     * Int32 words: [0] the task counter the main thread publishes, [1 + w] worker w's answer,
     * [1 + workers] the barrier's arrivals, [2 + workers + w] the task worker w last arrived
     * at the barrier with (so a timeout can name the worker the others wait for).
     */
    sync: Span;
    /** Workers in the pool. */
    workers: number;
    worker: number;
    fault?: InjectedFault;
  }
  | {
    id: number;
    kind: "run";
    task: ShardTask;
    /** The batch: inputs `(rows, time)` and targets `(rows, targetTime)`. */
    xs: Span;
    ts: Span;
    rows: number;
    time: number;
    targetTime: number;
    shards: number;
    /** Task counter, published in `sync[0]` before the request is posted. */
    seq: number;
    /**
     * A training task's gradient sum: the arrivals at the barrier to wait for (the count
     * before this task plus the `busy` workers taking part), each then summing its chunks.
     */
    sum?: { barrier: number; busy: number };
  }
  | { id: number; kind: "getState" }
  | { id: number; kind: "setState"; states: [number, ShardState][] }
  | { id: number; kind: "reset" };

/** Worker → main. */
export type Reply =
  | { id: number; kind: "ok"; results?: { shard: number; result: ShardResult }[] }
  | { id: number; kind: "state"; states: [number, ShardState][] }
  | { id: number; kind: "error"; message: string; stack?: string };

/** Why `data` is not a well-formed {@linkcode Reply}, or undefined when it is. */
export function replyProblem(data: unknown): string | undefined {
  if (typeof data !== "object" || data === null) return `a ${typeof data}, not an object`;
  const r = data as Record<string, unknown>;
  if (typeof r.id !== "number") return `no numeric "id" (${JSON.stringify(data).slice(0, 80)})`;
  switch (r.kind) {
    case "ok":
      return r.results === undefined || Array.isArray(r.results)
        ? undefined
        : `"results" is not an array`;
    case "state":
      return Array.isArray(r.states) ? undefined : `"states" is not an array`;
    case "error":
      return typeof r.message === "string" ? undefined : `an error without a message`;
    default:
      return `unknown kind ${JSON.stringify(r.kind)}`;
  }
}
