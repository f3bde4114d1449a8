/**
 * saiki's engine, for those who extend it: the kernel interface and its two backends, the
 * views kernels take, the engine's WebAssembly memory, parameter packing, the time loop the
 * recurrent layers share, and the machinery that cuts a batch into shards and runs them in
 * Web Workers. A user of the layers, models and trainer needs none of it: start at `mod.ts`.
 *
 * Like `mod.ts`, this module runs in Deno, browsers and Node and does no I/O.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { asMat, getKernels } from "./mod.ts";
 * const a = asMat(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3);
 * const b = asMat(new Float32Array([1, 0, 0, 1, 1, 1]), 3, 2);
 * const c = asMat(new Float32Array(4), 2, 2);
 * getKernels().gemm(a, b, c); // c = a·b
 * assert.deepEqual(Array.from(c.data), [4, 5, 10, 11]);
 * ```
 *
 * @module
 */

export * from "./kernels.ts";
export * from "./views.ts";
export { gemmNaive, jsKernels } from "./js.ts";
export { wasmFeatures, wasmKernels, wasmKernelsWith } from "./wasm/backend.ts";
export type { WasmFeatures } from "./wasm/backend.ts";
export * from "./memory.ts";
export { engineTensor } from "../tensor.ts";
export * from "../params.ts";
export { initialState, noForward, reuse } from "../layers/layer.ts";
export { checkRnnParams, TimeRecurrent } from "../layers/recurrent.ts";
export { CELL_GATES, checkConfig, initParams, paramSpecs } from "../models/rnnlm.ts";
export * from "../parallel/shards.ts";
export * from "../parallel/pool.ts";
export { checkCount, DataParallel } from "../train/data_parallel.ts";
export type { InjectedFault } from "../parallel/_protocol.ts";
export {
  autoWorkers,
  estimateRunBytes,
  MAX_RUN_BYTES,
  MIN_PARALLEL_FLOPS,
  stepFlops,
} from "../train/config.ts";
