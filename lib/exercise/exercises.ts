/**
 * The exercises, in the book's order, and running one on a learner's module.
 *
 * @module
 */

import { attentionExercise } from "./attention.ts";
import type { Fixture } from "./fixtures.ts";
import { attempt, type Exercise, failed, type LearnerClass } from "./harness.ts";
import { lstmExercise, timeLstmExercise } from "./lstm.ts";
import { type Lang, MESSAGES } from "./messages.ts";
import type { ExerciseReport } from "./report.ts";
import { rnnExercise, timeRnnExercise } from "./rnn.ts";
import { simpleRnnExercise } from "./simple_rnn.ts";
import { timeSoftmaxWithLossExercise } from "./softmax.ts";

/**
 * Every exercise: `rnn`, `time_rnn`, `time_softmax_with_loss`, `lstm`, `time_lstm`,
 * `attention` (the book's order), then `simple_rnn` (seed 001's exercise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXERCISES } from "./exercises.ts";
 * assert.deepEqual(EXERCISES.map((e) => e.name), [
 *   "rnn", "time_rnn", "time_softmax_with_loss", "lstm", "time_lstm", "attention", "simple_rnn",
 * ]);
 * ```
 */
export const EXERCISES: readonly Exercise[] = [
  rnnExercise,
  timeRnnExercise,
  timeSoftmaxWithLossExercise,
  lstmExercise,
  timeLstmExercise,
  attentionExercise,
  simpleRnnExercise,
];

/**
 * The exercise called `name`, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findExercise } from "./exercises.ts";
 * assert.equal(findExercise("time_rnn")?.className, "TimeRNN");
 * assert.equal(findExercise("gru"), undefined);
 * ```
 */
export function findExercise(name: string): Exercise | undefined {
  return EXERCISES.find((e) => e.name === name);
}

/**
 * Checks the class the learner's module exports for `exercise` against the parsed
 * `fixtures` (by the names in `exercise.fixtures`). `file` is the module's URL: stack frames
 * in it are the learner's lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findExercise, runExercise } from "./exercises.ts";
 * // a module without the class
 * const report = runExercise(findExercise("rnn")!, { Rnn: class {} }, {}, "file:///rnn.ts");
 * assert.equal(report.results[0].problem?.kind, "noClass");
 * ```
 */
export function runExercise(
  exercise: Exercise,
  module: Record<string, unknown>,
  fixtures: Record<string, Fixture>,
  file: string,
): ExerciseReport {
  const cls = module[exercise.className];
  if (typeof cls !== "function") {
    return {
      exercise: exercise.name,
      results: [failed(exercise.className, {
        kind: "noClass",
        className: exercise.className,
        exported: Object.keys(module),
      })],
    };
  }
  // the checks catch what the learner's calls throw; anything else is reported, not raised
  const results = attempt(() => exercise.check(cls as LearnerClass, fixtures, file), file);
  return {
    exercise: exercise.name,
    results: results.ok ? results.value : [failed(exercise.className, results.problem)],
  };
}

/**
 * The list of exercises, a line each: name, the book's section, what it asks for; then where
 * the model answers are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listExercises } from "./exercises.ts";
 * const lines = listExercises("en");
 * assert(lines.some((l) => l.startsWith("  time_rnn") && l.includes("5.3.2  TimeRNN")));
 * assert(listExercises("ja").some((l) => l.includes("TimeRNN レイヤ")));
 * ```
 */
export function listExercises(lang: Lang): string[] {
  const m = MESSAGES[lang];
  const width = Math.max(...EXERCISES.map((e) => e.name.length)) + 2;
  return [
    m.listHeading,
    ...EXERCISES.map((e) =>
      `  ${e.name.padEnd(width)}${e.section.padEnd(7)}${m.exercises[e.name] ?? ""}`.trimEnd()
    ),
    m.answers,
  ];
}
