/**
 * Running a learner's class without letting it crash the checker: constructing it and calling
 * its methods with every exception caught and described ({@linkcode attempt}), comparing what
 * a call returned with the reference ({@linkcode compareResults}), and checking its gradients
 * against central differences ({@linkcode gradientResult}).
 *
 * @module
 */

import { gradCheck } from "../layers/gradcheck.ts";
import { Tensor } from "../tensor.ts";
import {
  allClose,
  asShaped,
  describeValue,
  firstDifference,
  FLOAT32_TOLERANCE,
  sameShape,
  type Shaped,
  type Tolerance,
  unravel,
} from "./compare.ts";
import type { CheckResult, Hint, Problem } from "./report.ts";
import type { Fixture } from "./fixtures.ts";

/** A learner's class, as the module exports it. */
export type LearnerClass = new (...args: never[]) => unknown;

/** A learner's object: its fields and methods by name. */
export type LearnerObject = Record<string, unknown>;

/** What a call of the learner's code gave: its value, or why there is none. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; problem: Problem };

/**
 * Whether `error` is the skeleton's "not implemented" error (its message says
 * `not implemented` or `未実装`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isNotImplemented } from "./harness.ts";
 * assert(isNotImplemented(new Error("未実装です / not implemented yet")));
 * assert(!isNotImplemented(new TypeError("x is undefined")));
 * ```
 */
export function isNotImplemented(error: unknown): boolean {
  return error instanceof Error && /not implemented|未実装/i.test(error.message);
}

/**
 * The line and column of the first stack frame in `file` (a file URL), or `undefined` when
 * the stack does not pass through it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { learnerFrame } from "./harness.ts";
 * const stack = "TypeError: bad\n    at f (file:///repo/lib/ops/x.ts:3:9)\n" +
 *   "    at RNN.forward (file:///repo/exercises/rnn.ts:40:11)\n" +
 *   "    at file:///repo/exercises/rnn.ts:9:1";
 * assert.deepEqual(learnerFrame(stack, "file:///repo/exercises/rnn.ts"), { line: 40, column: 11 });
 * assert.equal(learnerFrame(stack, "file:///elsewhere.ts"), undefined);
 * ```
 */
export function learnerFrame(
  stack: string | undefined,
  file: string,
): { line: number; column: number } | undefined {
  if (stack === undefined) return undefined;
  for (const line of stack.split("\n")) {
    const at = line.indexOf(`${file}:`);
    if (at < 0) continue;
    const m = line.slice(at + file.length).match(/^:(\d+):(\d+)/);
    if (m) return { line: Number(m[1]), column: Number(m[2]) };
  }
  return undefined;
}

/**
 * Runs `fn`; an exception becomes a {@linkcode Problem}: `todo` for the skeleton's "not
 * implemented", else `threw` with the message and the learner's line in `file`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attempt } from "./harness.ts";
 * assert.deepEqual(attempt(() => 1, "file:///x.ts"), { ok: true, value: 1 });
 * const failed = attempt(() => { throw new RangeError("too far"); }, "file:///x.ts");
 * assert(!failed.ok && failed.problem.kind === "threw" && failed.problem.message === "too far");
 * ```
 */
export function attempt<T>(fn: () => T, file: string): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (isNotImplemented(e)) return { ok: false, problem: { kind: "todo" } };
    const error = e instanceof Error ? e : undefined;
    const frame = learnerFrame(error?.stack, file);
    return {
      ok: false,
      problem: {
        kind: "threw",
        name: error?.name ?? "",
        message: error?.message ?? String(e),
        ...frame,
      },
    };
  }
}

/**
 * `new cls(...args)`, caught as {@linkcode attempt} catches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { construct } from "./harness.ts";
 * class A { x = 1; }
 * const made = construct(A, [], "file:///a.ts");
 * assert(made.ok && made.value.x === 1);
 * ```
 */
export function construct(
  cls: LearnerClass,
  args: unknown[],
  file: string,
): Outcome<LearnerObject> {
  return attempt(() => Reflect.construct(cls, args) as LearnerObject, file);
}

/**
 * `obj[method](...args)`, caught as {@linkcode attempt} catches; a missing method is a
 * `noMethod` problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { call } from "./harness.ts";
 * const obj = { twice: (x: number) => 2 * x };
 * assert.deepEqual(call(obj, "twice", [3], "file:///a.ts"), { ok: true, value: 6 });
 * const missing = call(obj, "thrice", [3], "file:///a.ts");
 * assert(!missing.ok && missing.problem.kind === "noMethod");
 * ```
 */
export function call(
  obj: LearnerObject,
  method: string,
  args: unknown[],
  file: string,
): Outcome<unknown> {
  const fn = obj[method];
  if (typeof fn !== "function") return { ok: false, problem: { kind: "noMethod", method } };
  return attempt(() => fn.apply(obj, args), file);
}

/** One array a call must have produced. */
export interface Expectation {
  /** Its name in messages (`"dWh"`). */
  name: string;
  /** What the learner's code gave. */
  actual: unknown;
  /** The reference's value. */
  expected: Shaped | number;
  /** Default {@linkcode FLOAT32_TOLERANCE}. */
  tolerance?: Tolerance;
}

/**
 * A typical mistake: the values a call gives when it is made. When the learner's arrays match
 * them, the failure names it.
 */
export interface Mistake {
  /** The hint that names it. */
  hint: Hint;
  /** The mistaken values, for some of the expectations' names. */
  values: Record<string, Shaped | number>;
  /** How close counts as a match (default: each expectation's tolerance). */
  tolerance?: Tolerance;
}

/** Options of {@linkcode compareResults}. */
export interface CompareOptions {
  /** The hint when no mistake matches. */
  hint?: Hint;
  /** The typical mistakes, computed only when something differs. */
  mistakes?: () => Mistake[];
}

/**
 * Compares every expectation in order. The first that is not an array, has another shape or
 * differs beyond its tolerance fails the check, naming the first differing element and the
 * other arrays that differ; a {@linkcode Mistake} whose values the learner's arrays match gives
 * the hint (it matches when it covers one of the differing arrays and all it covers are close).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareResults } from "./harness.ts";
 * const expected = { shape: [2, 2], data: [1, 2, 3, 4] };
 * const ok = compareResults("RNN.backward", [{ name: "dWh", actual: expected, expected }]);
 * assert.equal(ok.status, "pass");
 * const transposed = { shape: [2, 2], data: [1, 3, 2, 4] };
 * const bad = compareResults("RNN.backward", [{ name: "dWh", actual: transposed, expected }], {
 *   mistakes: () => [{ hint: "gradTransposed", values: { dWh: transposed } }],
 * });
 * assert(bad.problem?.kind === "differs" && bad.problem.hint === "gradTransposed");
 * assert.deepEqual(bad.problem.index, [0, 1]);
 * ```
 */
export function compareResults(
  subject: string,
  expectations: Expectation[],
  options?: CompareOptions,
): CheckResult {
  const arrays = expectations.map((e) => e.name);
  const fail = (problem: Problem): CheckResult => ({
    subject,
    kind: "method",
    status: "fail",
    arrays,
    problem,
  });
  const differing: { e: Expectation; flat: number; actual: number; expected: number }[] = [];
  for (const e of expectations) {
    const actual = asShaped(e.actual), expected = asShaped(e.expected)!;
    if (actual === null) {
      return fail({ kind: "notArray", array: e.name, got: describeValue(e.actual) });
    }
    if (!sameShape(actual.shape, expected.shape)) {
      return fail({
        kind: "shape",
        array: e.name,
        actual: [...actual.shape],
        expected: [...expected.shape],
      });
    }
    const d = firstDifference(actual.data, expected.data, e.tolerance ?? FLOAT32_TOLERANCE);
    if (d !== null) differing.push({ e, ...d });
  }
  if (differing.length === 0) return { subject, kind: "method", status: "pass", arrays };
  const first = differing[0];
  const byName = new Map(expectations.map((e) => [e.name, e]));
  let hint = options?.hint, detected = false;
  let mistakes: Mistake[] = [];
  try {
    mistakes = options?.mistakes?.() ?? [];
  } catch {
    // a mistake that cannot be computed for these inputs is no hint
  }
  for (const m of mistakes) {
    const names = Object.keys(m.values);
    const covers = differing.some((d) => names.includes(d.e.name));
    const matches = names.every((name) => {
      const e = byName.get(name);
      return e !== undefined &&
        allClose(e.actual, m.values[name], m.tolerance ?? e.tolerance ?? FLOAT32_TOLERANCE);
    });
    if (covers && matches) {
      hint = m.hint, detected = true;
      break;
    }
  }
  return fail({
    kind: "differs",
    array: first.e.name,
    index: unravel(first.flat, asShaped(first.e.expected)!.shape),
    actual: first.actual,
    expected: first.expected,
    tolerance: first.e.tolerance ?? FLOAT32_TOLERANCE,
    others: differing.slice(1).map((d) => d.e.name),
    hint,
    detected,
  });
}

/** One tensor of a gradient check: the value the loss depends on and its analytic gradient. */
export interface GradTarget {
  /** The gradient's name in messages (`"dWh"`). */
  name: string;
  /** The tensor perturbed (the learner's parameter, or an input). */
  value: Tensor;
  /** The learner's analytic gradient for it. */
  grad: unknown;
}

/**
 * The largest relative error a gradient check accepts: central differences of a float32
 * forward pass (`eps = 1e-2`) agree with a right analytic gradient to 1e-4–1e-3 relative
 * (`gradCheck`'s documentation); a wrong one is off by far more than 1e-2.
 */
export const GRADCHECK_BOUND = 1e-2;

/**
 * The floor of the relative error's denominator in a gradient check. The step `eps = 1e-2`
 * leaves a truncation error of `eps²·f‴/6`, up to ~3e-5 absolute through the LSTM's sigmoids
 * on the fixtures' weights, which is more than 1e-2 of a gradient near 1e-3: below
 * `|gradient| = 1e-2` the check bounds the absolute error (1e-4) instead. The fixtures'
 * gradients are of order 0.1–1, and a mistake changes them by as much.
 */
export const GRADCHECK_FLOOR = 1e-2;

/**
 * Checks analytic gradients against central differences of `loss` (which must run the
 * learner's forward from scratch), with {@linkcode gradCheck}: fails naming the first target
 * whose worst relative error exceeds {@linkcode GRADCHECK_BOUND}, at that element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gradientResult } from "./harness.ts";
 * import { tensor } from "../tensor.ts";
 * const x = tensor([1, 2, 3]);
 * const loss = () => x.data.reduce((s, v) => s + v * v, 0); // L = Σ x², dL/dx = 2x
 * const check = (grad: number[]) =>
 *   gradientResult("Square", loss, [{ name: "dx", value: x, grad: tensor(grad) }], "file:///a.ts");
 * assert.equal(check([2, 4, 6]).status, "pass");
 * const wrong = check([2, 4, 3]);
 * assert(wrong.problem?.kind === "gradient" && wrong.problem.index[0] === 2);
 * ```
 */
export function gradientResult(
  subject: string,
  loss: () => number,
  targets: GradTarget[],
  file: string,
): CheckResult {
  const arrays = targets.map((t) => t.name);
  const fail = (problem: Problem): CheckResult => ({
    subject,
    kind: "gradients",
    status: "fail",
    arrays,
    problem,
  });
  const checked: { name: string; value: Tensor; grad: Tensor }[] = [];
  for (const t of targets) {
    const grad = asShaped(t.grad);
    if (grad === null) return fail({ kind: "notArray", array: t.name, got: describeValue(t.grad) });
    if (!sameShape(grad.shape, t.value.shape)) {
      return fail({
        kind: "shape",
        array: t.name,
        actual: [...grad.shape],
        expected: [...t.value.shape],
      });
    }
    // a copy: the loss runs the learner's code again, which may overwrite the arrays it returned
    checked.push({
      name: t.name,
      value: t.value,
      grad: new Tensor(Float32Array.from(grad.data), t.value.shape),
    });
  }
  const run = attempt(() => gradCheck(loss, checked, { seed: 0, floor: GRADCHECK_FLOOR }), file);
  if (!run.ok) return fail(run.problem);
  for (const [i, r] of run.value.entries()) {
    if (!(r.maxRelError <= GRADCHECK_BOUND)) {
      return fail({
        kind: "gradient",
        array: r.name,
        index: unravel(r.worstIndex, checked[i].value.shape),
        analytic: r.analytic,
        numeric: r.numeric,
        error: r.maxRelError,
        bound: GRADCHECK_BOUND,
      });
    }
  }
  return { subject, kind: "gradients", status: "pass", arrays };
}

/**
 * `Σ a·b` in float64 over two arrays of the same size: the scalar loss of a gradient check,
 * whose upstream gradient is then `b`. A learner's result that is not such an array gives NaN
 * (the check then fails, rather than the checker).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dotLoss } from "./harness.ts";
 * assert.equal(dotLoss({ shape: [2], data: [1, 2] }, { shape: [2], data: [3, 4] }), 11);
 * assert(Number.isNaN(dotLoss(undefined, { shape: [2], data: [3, 4] })));
 * ```
 */
export function dotLoss(a: unknown, b: Shaped): number {
  const s = asShaped(a);
  if (s === null || s.data.length !== b.data.length) return NaN;
  let sum = 0;
  for (let i = 0; i < b.data.length; i++) sum += s.data[i] * b.data[i];
  return sum;
}

/**
 * A skipped check: it needs `needs` (a method) to work first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { skipped } from "./harness.ts";
 * assert.equal(skipped("RNN", "gradients", "RNN.backward").status, "skip");
 * ```
 */
export function skipped(
  subject: string,
  kind: CheckResult["kind"],
  needs: string,
): CheckResult {
  return { subject, kind, status: "skip", arrays: [], needs };
}

/**
 * A failed check from a problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failed } from "./harness.ts";
 * assert.equal(failed("RNN.forward", { kind: "todo" }).status, "fail");
 * ```
 */
export function failed(
  subject: string,
  problem: Problem,
  kind: CheckResult["kind"] = "method",
): CheckResult {
  return { subject, kind, status: "fail", arrays: [], problem };
}

/**
 * Whether a failed check still let its method run: only its values differ (or `grads` were
 * replaced), so checks after it can use what it returned.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ran } from "./harness.ts";
 * assert(ran({ subject: "RNN.forward", kind: "method", status: "pass", arrays: [] }));
 * const problem = { kind: "todo" } as const;
 * assert(!ran({ subject: "RNN.forward", kind: "method", status: "fail", arrays: [], problem }));
 * ```
 */
export function ran(result: CheckResult): boolean {
  return result.status === "pass" ||
    (result.problem?.kind === "differs" || result.problem?.kind === "replaced");
}

/**
 * A call's result as the list `names` says it returns (`[dx, dh_prev]`), or the problem that
 * it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unpack } from "./harness.ts";
 * assert.deepEqual(unpack([1, 2], ["dx", "dh_prev"]), { ok: true, value: [1, 2] });
 * const single = unpack(3, ["dx", "dh_prev"]);
 * assert(!single.ok && single.problem.kind === "notList");
 * ```
 */
export function unpack(value: unknown, names: string[]): Outcome<unknown[]> {
  if (Array.isArray(value) && value.length === names.length) return { ok: true, value };
  return { ok: false, problem: { kind: "notList", names, got: describeValue(value) } };
}

/**
 * The learner's `grads` list as it is now (the arrays themselves), to see after `backward`
 * whether they were written in place ({@linkcode keptInPlace}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gradsOf } from "./harness.ts";
 * assert.deepEqual(gradsOf({ grads: [1, 2] }), [1, 2]);
 * assert.deepEqual(gradsOf({}), []);
 * ```
 */
export function gradsOf(layer: LearnerObject): unknown[] {
  return Array.isArray(layer.grads) ? [...layer.grads] : [];
}

/**
 * A passing check turned into a failure when `backward` replaced an array of `grads` instead
 * of writing into it (the book's `self.grads[0][...] = dWx`): an optimizer holds the arrays
 * the layer made.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keptInPlace } from "./harness.ts";
 * import type { CheckResult } from "./report.ts";
 * const pass: CheckResult = {
 *   subject: "RNN.backward", kind: "method", status: "pass", arrays: [],
 * };
 * const a = {}, b = {};
 * assert.equal(keptInPlace(pass, { grads: [a] }, [a], ["dWx"]).status, "pass");
 * const r = keptInPlace(pass, { grads: [b] }, [a], ["dWx"]);
 * assert(r.problem?.kind === "replaced" && r.problem.array === "dWx");
 * ```
 */
export function keptInPlace(
  result: CheckResult,
  layer: LearnerObject,
  before: unknown[],
  names: string[],
): CheckResult {
  if (result.status !== "pass") return result;
  const now = gradsOf(layer);
  const i = before.findIndex((g, k) => now[k] !== g);
  if (i < 0) return result;
  return {
    ...result,
    status: "fail",
    problem: { kind: "replaced", index: i, array: names[i] ?? "" },
  };
}

/**
 * The learner's method `name` of `obj`, bound, for a loss function: calls it directly (the
 * gradient check catches what it throws).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bound } from "./harness.ts";
 * const obj = { k: 3, times(x: number) { return this.k * x; } };
 * assert.equal(bound(obj, "times")(2), 6);
 * ```
 */
export function bound(obj: LearnerObject, name: string): (...args: unknown[]) => unknown {
  const fn = obj[name];
  if (typeof fn !== "function") throw new TypeError(`${name} is not a method`);
  return (...args: unknown[]) => fn.apply(obj, args);
}

/** One exercise: the class it asks for and how to check it. */
export interface Exercise {
  /** The name on the command line and of `exercises/<name>.ts`. */
  name: string;
  /** The class the learner's file exports. */
  className: string;
  /** The book's section (`"5.3.2"`), or `""`. */
  section: string;
  /** The fixtures it reads, paths under `tests/fixtures/` without `.json`. */
  fixtures: string[];
  /** Every check of the class, in order. `file`: the learner's module URL, for stack frames. */
  check(cls: LearnerClass, fixtures: Record<string, Fixture>, file: string): CheckResult[];
}

/**
 * For a method that cannot be checked because `needs` does not run: `todo` when it still
 * throws the skeleton's "not implemented" (called with `args` to find out), else skipped — so
 * an untouched skeleton lists every method left to write.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { todoOrSkipped } from "./harness.ts";
 * const probe = (backward: () => never) =>
 *   todoOrSkipped("RNN.backward", { backward }, "backward", [], "file:///a.ts", "RNN.forward");
 * const untouched = probe(() => { throw new Error("not implemented yet"); });
 * assert.equal(untouched.problem?.kind, "todo");
 * const written = probe(() => { throw new TypeError("cache is null"); });
 * assert.equal(written.status, "skip");
 * ```
 */
export function todoOrSkipped(
  subject: string,
  obj: LearnerObject,
  method: string,
  args: unknown[],
  file: string,
  needs: string,
): CheckResult {
  const probe = call(obj, method, args, file);
  return !probe.ok && probe.problem.kind === "todo"
    ? failed(subject, probe.problem)
    : skipped(subject, "method", needs);
}
