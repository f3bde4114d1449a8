/**
 * Exercises that check themselves: a learner completes a class in `exercises/<name>.ts` (the
 * book's `RNN`, `TimeRNN`, `LSTM`, …) and `deno task exercise <name>` compares what it
 * computes with the reference fixtures and with central differences, method by method, and
 * says where it differs and which typical mistake it looks like — in Japanese or English.
 *
 * This folder is the checking, as pure functions of the fixtures (already parsed) and the
 * learner's module (already imported); `scripts/exercise.ts` reads the files and prints.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findExercise, renderReport, runExercise } from "./mod.ts";
 * const exercise = findExercise("rnn")!;
 * // a module whose RNN has not been written yet
 * const skeleton = {
 *   RNN: class {
 *     params = []; grads = [];
 *     forward(): never { throw new Error("未実装です / not implemented yet"); }
 *   },
 * };
 * const array = { shape: [1], data: [0] };
 * const fixture = {
 *   inputs: { Wx: array, Wh: array, b: array, x: array, h_prev: array },
 *   upstream: { dh_next: array },
 * };
 * const file = "file:///exercises/rnn.ts";
 * const report = runExercise(exercise, skeleton, { rnn_cell: fixture }, file);
 * const lines = renderReport(report, exercise.section, "en", "exercises/rnn.ts");
 * assert(lines.includes("  ✗ RNN.forward: not implemented yet"));
 * ```
 *
 * @module
 */

export * from "./compare.ts";
export * from "./exercises.ts";
export * from "./fixtures.ts";
export * from "./harness.ts";
export * from "./messages.ts";
export * from "./report.ts";
export { experiment, experimentInputs, formatRow } from "./simple_rnn.ts";
