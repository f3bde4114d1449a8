/**
 * NumPy-like operations on tensors, so a notebook of "Deep Learning from Scratch 2" ports line
 * by line: `np.dot(x, W) + b` is `add(matmul(x, W), b)`, `np.tanh(x)` is `tanh(x)`,
 * `xs[:, t, :]` is `timestep(xs, t)`, `np.sum(dout, axis=0)` is `sum(dout, 0)`.
 *
 * Every op takes {@linkcode Tensor}s (and the elementwise ops, `matmul`, `softmax`, the
 * reductions and the shape ops also matrix views such as `timestep(xs, t)`, as tensors of
 * shape `[rows, cols]`) and returns a new float32 tensor with an array of its own: an op never
 * writes to its inputs, and its result never shares their values. Heavy loops run in the
 * kernels (`matmul` → `gemm`, `tanh` → `tanhForward`, `softmax`, `x + b` → `addBias`,
 * `sum(x, 0)` → `sumRows`, `concat(…, -1)` → `copyRows`), so they are fast on every backend and
 * agree across backends up to float32 rounding.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { add, matmul, softmax, sum, tanh, timestep } from "./mod.ts";
 * const xs = tensor([[[1, 0], [0, 1]], [[1, 1], [0, 0]]]); // (N=2, T=2, D=2)
 * const Wx = tensor([[0.5, -0.5], [0.25, 0.25]]), b = tensor([0, 0.1]);
 * const h = tanh(add(matmul(timestep(xs, 0), Wx), b)); // np.tanh(np.dot(xs[:, 0, :], Wx) + b)
 * assert.deepEqual(h.shape, [2, 2]);
 * assert(Math.abs(sum(softmax(h), -1).data[0] - 1) < 1e-6);
 * ```
 *
 * @module
 */

export type { Operand } from "./_operand.ts";
export type { Mat, Shaped } from "../engine/views.ts";
export * from "./creation.ts";
export * from "./elementwise.ts";
export * from "./reduce.ts";
export * from "./linalg.ts";
export * from "./shape.ts";
export * from "./softmax.ts";
export * from "./compare.ts";
