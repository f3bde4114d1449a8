/**
 * saiki (再帰, "recurrence"): recurrent neural networks — RNN, LSTM, GRU and the language
 * models built from them — with every forward and backward pass written by hand, following
 * "Deep Learning from Scratch 2" class for class.
 *
 * This module runs unchanged in Deno, browsers and Node: it does no I/O and imports only
 * relative paths. Dataset, checkpoint and chart I/O live in modules the scripts import.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng, TimeAffine } from "./mod.ts";
 * const rng = new Rng(0);
 * const affine = new TimeAffine(rng.randn([4, 3], 0.5), rng.randn([3]));
 * const out = affine.forward(rng.randn([2, 5, 4])); // xs: (N=2, T=5, D=4) → (2, 5, 3)
 * const dxs = affine.backward(out); // dout → dxs: (2, 5, 4), grads in affine.grads
 * assert(dxs.shape.join() === "2,5,4");
 * ```
 *
 * @module
 */

export * from "./lib/tensor.ts";
export * from "./lib/errors.ts";
export * from "./lib/random.ts";
export * from "./lib/engine/kernels.ts";
export * from "./lib/engine/memory.ts";
export * from "./lib/params.ts";
export * from "./lib/gradcheck.ts";
export * from "./lib/layers/layer.ts";
export * from "./lib/layers/recurrent.ts";
export * from "./lib/layers/affine.ts";
export * from "./lib/layers/embedding.ts";
export * from "./lib/layers/rnn.ts";
export * from "./lib/layers/lstm.ts";
export * from "./lib/layers/gru.ts";
export * from "./lib/layers/softmax.ts";
export * from "./lib/layers/dropout.ts";
export * from "./lib/layers/simple_rnn.ts";
export * from "./lib/models/rnnlm.ts";
export * from "./lib/models/checkpoint.ts";
export * from "./lib/models/generate.ts";
export * from "./lib/optimizers.ts";
export * from "./lib/trainer.ts";
export * from "./lib/parallel/shards.ts";
export * from "./lib/parallel/pool.ts";
export type { InjectedFault } from "./lib/parallel/_protocol.ts";
export * from "./lib/run/config.ts";
export * from "./lib/run/session.ts";
export * from "./lib/safetensors.ts";
export * from "./lib/data/corpus.ts";
export * from "./lib/plot.ts";
