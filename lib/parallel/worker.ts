/**
 * A shard worker: joins the main thread's engine memory, builds replicas of the model over
 * the shared parameters and its shards' gradient regions, and runs {@linkcode ShardRunner}
 * tasks on request. Started by `pool.ts`; not meant to be imported.
 *
 * @module
 */

import { type BackendName, selectBackend, setKernels } from "../engine/kernels.ts";
import { adoptEngineMemory, type EngineHeap } from "../engine/memory.ts";
import { wasmKernelsWith } from "../engine/wasm/backend.ts";
import { IntTensor, Tensor } from "../tensor.ts";
import type { InjectedFault, Reply, Request, Span } from "./_protocol.ts";
import { GradientSum, replica, ShardRunner, type ShardState } from "./shards.ts";

// deno-lint-ignore no-explicit-any
const scope = globalThis as any;

let heap: EngineHeap | undefined;
let runner: ShardRunner | undefined;
let sync: Int32Array | undefined;
let sum: GradientSum | undefined;
let worker = 0;
let workers = 1;
let fault: InjectedFault | undefined;
let runs = 0;

function post(reply: Reply): void {
  scope.postMessage(reply);
}

function floats(span: Span): Tensor {
  return Tensor.view(heap!.foreign(span.offset, 4 * span.length), 0, [span.length]);
}

function ints(span: Span, shape: number[]): IntTensor {
  return IntTensor.view(heap!.foreign(span.offset, 4 * span.length), 0, shape);
}

function installBackend(name: string): void {
  if (name === "js" || name === "auto") setKernels(selectBackend(name as BackendName));
  else {
    const kernels = wasmKernelsWith(name === "wasm-relaxed");
    if (kernels === undefined) throw new Error(`backend ${name} is not available in the worker`);
    setKernels(kernels);
  }
}

/** Commits the injected fault if this is its request; returns true if no answer must follow. */
function injectFault(id: number): boolean {
  if (fault === undefined || runs !== fault.at) return false;
  switch (fault.kind) {
    case "throw":
      throw new Error(`injected fault in worker ${worker}`);
    case "crash":
      setTimeout(() => {
        throw new Error(`injected crash in worker ${worker}`);
      });
      return true;
    case "exit":
      scope.close();
      return true;
    case "garbage":
      scope.postMessage({ id, kind: "surprise" });
      return true;
    case "hang":
      return true;
  }
}

/** Arrives at the workers' barrier with task `seq` and waits until `target` arrivals in all. */
function barrier(target: number, seq: number): void {
  const at = 1 + workers, words = sync!;
  Atomics.store(words, 2 + workers + worker, seq);
  if (Atomics.add(words, at, 1) + 1 >= target) {
    Atomics.notify(words, at);
    return;
  }
  for (let seen = Atomics.load(words, at); seen < target; seen = Atomics.load(words, at)) {
    Atomics.wait(words, at, seen);
  }
}

function handle(req: Request): void {
  switch (req.kind) {
    case "init": {
      heap = adoptEngineMemory(req.memory);
      installBackend(req.backend);
      worker = req.worker;
      workers = req.workers;
      fault = req.fault;
      sync = new Int32Array(heap.buffer, req.sync.offset, req.sync.length);
      sum = new GradientSum(
        req.sum.grads.map(floats),
        req.sum.size,
        heap.foreign(req.sum.norms.offset, 8 * req.sum.norms.length),
      );
      const params = floats(req.params);
      runner = new ShardRunner(
        new Map(req.grads.map(({ shard, span }) => [
          shard,
          replica(req.config, params, floats(span), req.maskSeed),
        ])),
      );
      return post({ id: req.id, kind: "ok" });
    }
    case "run": {
      if (runner === undefined) throw new Error("run before init");
      runs++;
      // Reading the counter the main thread stored before posting orders every write it made
      // before (the parameters' update) before this thread's reads.
      const seen = Atomics.load(sync!, 0);
      if (seen !== req.seq) throw new Error(`task ${req.seq} posted but memory shows ${seen}`);
      if (injectFault(req.id)) return;
      const xs = ints(req.xs, [req.rows, req.time]), ts = ints(req.ts, [req.rows, req.targetTime]);
      const results = runner.run(req.task, xs, ts, req.shards);
      if (req.sum !== undefined) {
        // every shard's gradient is written once all busy workers have arrived: then each
        // sums its run of chunks
        barrier(req.sum.barrier, req.seq);
        sum!.reduce(...sum!.range(worker, req.sum.busy));
      }
      Atomics.store(sync!, 1 + worker, req.seq); // publishes the gradients written
      return post({ id: req.id, kind: "ok", results });
    }
    case "getState": {
      if (runner === undefined) throw new Error("getState before init");
      return post({ id: req.id, kind: "state", states: [...runner.getState()] });
    }
    case "setState": {
      if (runner === undefined) throw new Error("setState before init");
      runner.setState(new Map<number, ShardState>(req.states));
      return post({ id: req.id, kind: "ok" });
    }
    case "reset": {
      runner?.resetState();
      return post({ id: req.id, kind: "ok" });
    }
    default:
      throw new Error(`unexpected request ${JSON.stringify(req).slice(0, 100)}`);
  }
}

scope.onmessage = (e: MessageEvent) => {
  const req = e.data as Request;
  try {
    handle(req);
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    post({ id: req?.id ?? -1, kind: "error", message: error.message, stack: error.stack });
  }
};
