/**
 * What a check finds, as data: one {@linkcode CheckResult} per method, gradient check or
 * experiment, with a {@linkcode Problem} when it fails. `messages.ts` turns them into text in
 * Japanese or English; nothing here is text for the learner.
 *
 * @module
 */

import type { Tolerance } from "./compare.ts";

/**
 * A hint for a failure: a typical mistake, named. Its text is in `messages.ts`, one per
 * language.
 */
export type Hint =
  | "rnnForward"
  | "rnnBackward"
  | "whTransposed"
  | "gradTransposed"
  | "timeForward"
  | "upstreamDh"
  | "dcCarry"
  | "gradsSummed"
  | "stateful"
  | "notStateful"
  | "gateOrder"
  | "lstmForward"
  | "lstmBackward"
  | "countedMean"
  | "notMean"
  | "ignoredZero"
  | "attentionSoftmax"
  | "attentionPaths"
  | "float32"
  | "simpleForward"
  | "simpleCarry"
  | "simpleUpdate";

/** Why a check failed. */
export type Problem =
  /** The method still throws the skeleton's "not implemented" error. */
  | { kind: "todo" }
  /** The learner's code threw; `line`, `column`: in the learner's file, when the stack names it. */
  | { kind: "threw"; name: string; message: string; line?: number; column?: number }
  /** The class has no such method. */
  | { kind: "noMethod"; method: string }
  /** The module does not export the class. */
  | { kind: "noClass"; className: string; exported: string[] }
  /** A call that should return a list (`[dx, dh_prev]`) returned something else. */
  | { kind: "notList"; names: string[]; got: string }
  /** A result that should be an array is something else (`got` describes it). */
  | { kind: "notArray"; array: string; got: string }
  /** A result has another shape. */
  | { kind: "shape"; array: string; actual: number[]; expected: number[] }
  /**
   * A value differs: the first element beyond the tolerance, and the other arrays of the same
   * call that differ too. `detected`: the hint names a mistake the values match.
   */
  | {
    kind: "differs";
    array: string;
    index: number[];
    actual: number;
    expected: number;
    tolerance: Tolerance;
    others: string[];
    hint?: Hint;
    detected: boolean;
  }
  /** An analytic gradient disagrees with central differences. */
  | {
    kind: "gradient";
    array: string;
    index: number[];
    analytic: number;
    numeric: number;
    error: number;
    bound: number;
  }
  /** `grads[index]` is a new object after `backward` instead of the array the layer made. */
  | { kind: "replaced"; index: number; array: string }
  /** The experiment printed another line. */
  | { kind: "printed"; actual: string; expected: string };

/** The outcome of one check. */
export interface CheckResult {
  /** What was checked: `"TimeRNN.forward"`, or the class for a gradient check or experiment. */
  subject: string;
  /** A method against the reference, gradients against central differences, an experiment. */
  kind: "method" | "gradients" | "experiment";
  /** `skip`: not run, because a method it needs fails. */
  status: "pass" | "fail" | "skip";
  /** The arrays compared (for the pass line). */
  arrays: readonly string[];
  /** Why it failed. */
  problem?: Problem;
  /** For a skip: the method that has to work first. */
  needs?: string;
  /** What an experiment printed. */
  output?: string;
}

/** The results of one exercise. */
export interface ExerciseReport {
  /** The exercise's name (`"time_rnn"`). */
  exercise: string;
  /** Every check, in order. */
  results: CheckResult[];
}

/**
 * Whether every check passed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allPassed } from "./report.ts";
 * const pass = { subject: "RNN.forward", kind: "method", status: "pass", arrays: [] } as const;
 * assert(allPassed({ exercise: "rnn", results: [pass] }));
 * assert(!allPassed({ exercise: "rnn", results: [] }));
 * ```
 */
export function allPassed(report: ExerciseReport): boolean {
  return report.results.length > 0 && report.results.every((r) => r.status === "pass");
}
