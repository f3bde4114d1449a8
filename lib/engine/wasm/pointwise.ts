/**
 * The emitted kernels other than GEMM, all on f32x4 lanes, one file per family:
 *
 * - `rows.ts`: copies, fills and vector arithmetic, the float64 reductions.
 * - `activations.ts`: `exp`, the sigmoid and `tanh` alone, the tanh layer.
 * - `lstm.ts`, `gru.ts`: the fused steps over a whole timestep's rows.
 * - `softmax.ts`: softmax over rows, with cross-entropy.
 * - `embedding.ts`: gather and scatter-add.
 * - `dropout.ts`: the masks, with `Rng`'s generator.
 * - `optimizers.ts`: the updates, in float64.
 *
 * They share the row loop of `loops.ts` and the SIMD `exp`/σ/`tanh` of `math.ts`.
 *
 * @module
 */

import { emitActivations } from "./activations.ts";
import { emitDropout } from "./dropout.ts";
import type { ModuleBuilder } from "./emit.ts";
import { emitEmbedding } from "./embedding.ts";
import { emitGru } from "./gru.ts";
import { emitLstm } from "./lstm.ts";
import { emitOptimizers } from "./optimizers.ts";
import { emitRows } from "./rows.ts";
import { emitSoftmax } from "./softmax.ts";

/**
 * Adds every non-GEMM kernel to `mod`; `relaxed` selects fused multiply-adds (relaxed SIMD).
 * The families, and the kernels within each, come in a fixed order: the function indices and
 * the module's bytes depend on it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ModuleBuilder } from "./emit.ts";
 * import { emitPointwise } from "./pointwise.ts";
 * for (const relaxed of [false, true]) {
 *   const mod = new ModuleBuilder().importMemory({ initial: 1 });
 *   emitPointwise(mod, relaxed);
 *   const bytes = mod.toBytes();
 *   assert(WebAssembly.validate(bytes));
 *   const names = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
 *   assert.deepEqual(names, [
 *     ...["copy_rows", "add_bias", "sum_rows", "fill", "scale", "mul", "axpy", "sum_squares"],
 *     ...["vexp", "vsigmoid", "vtanh", "tanh_fwd", "tanh_bwd"],
 *     ...["lstm_fwd", "lstm_bwd", "gru_gates", "gru_out", "gru_bwd_zh", "gru_bwd_r"],
 *     ...["softmax_rows", "softmax_xent_bwd", "softmax_bwd", "gather", "scatter_add", "dropout"],
 *     ...["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"],
 *   ]);
 * }
 * ```
 */
export function emitPointwise(mod: ModuleBuilder, relaxed: boolean): void {
  emitRows(mod, relaxed);
  emitActivations(mod, relaxed);
  emitLstm(mod, relaxed);
  emitGru(mod, relaxed);
  emitSoftmax(mod, relaxed);
  emitEmbedding(mod);
  emitDropout(mod);
  emitOptimizers(mod);
}
