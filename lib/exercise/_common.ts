/**
 * The course every layer exercise's check takes ({@linkcode layerExercise}): construct the
 * learner's class; check `forward`; check `backward` (its `grads` written in place); then the
 * gradients against central differences on a new instance. A method that does not run leaves
 * the checks after it skipped (or `todo`, while the skeleton's method is untouched).
 *
 * @module
 */

import type { Tensor } from "../tensor.ts";
import type { Fixture } from "./fixtures.ts";
import {
  attempt,
  bound,
  call,
  type CompareOptions,
  compareResults,
  construct,
  type Exercise,
  type Expectation,
  failed,
  gradientResult,
  gradsOf,
  type GradTarget,
  keptInPlace,
  type LearnerClass,
  type LearnerObject,
  type Outcome,
  ran,
  skipped,
  todoOrSkipped,
  unpack,
} from "./harness.ts";
import type { CheckResult } from "./report.ts";

/** What a method returned against the reference, for {@linkcode compareResults}. */
export interface Comparison extends CompareOptions {
  /** The arrays, in order. */
  expect: Expectation[];
}

/** The central differences of a layer exercise, on a new instance of the learner's class. */
export interface GradientCheck {
  /** The new instance's constructor arguments. */
  args: unknown[];
  /** The loss: the instance's forward, run from scratch. */
  loss(layer: LearnerObject): number;
  /** `backward`'s arguments, after one loss. */
  backward: unknown[];
  /** The names of the list `backward` returns; absent: it returns one value. */
  returns?: string[];
  /** The gradients checked: from what `backward` returned and the instance. */
  targets(values: unknown[], layer: LearnerObject): GradTarget[];
  /** The weights `Wx`, `Wh`, `b`, whose gradients in `grads` are checked after the targets. */
  weights?: Tensor[];
}

/** How a layer exercise checks the learner's class, for {@linkcode layerExercise}. */
export interface LayerCheck {
  /** The constructor's arguments. */
  args: unknown[];
  /** The `forward` check. */
  forward: {
    /** Calls the layer's `forward`: what it returned as a list ({@linkcode returned}). */
    call(layer: LearnerObject): Outcome<unknown[]>;
    /** The comparison of those values, the layer as the call left it. */
    compare(values: unknown[], layer: LearnerObject): Comparison;
  };
  /** The `backward` check. */
  backward: {
    /** Its arguments, new each call. */
    args(): unknown[];
    /** The names of the list it returns (`["dx", "dh_prev"]`); absent: it returns one value. */
    returns?: string[];
    /** The comparison of the values it returned, the layer as the call left it. */
    compare(values: unknown[], layer: LearnerObject): Comparison;
    /**
     * The reference's gradients of the weights by name (`dWx`, `dWh`, `db`): compared after the
     * values, and `backward` must write them into `grads` in place. Absent: no weights.
     */
    grads?: (name: string) => Tensor;
  };
  /** The central differences, asked for only when `backward` ran. */
  gradients(): GradientCheck;
}

/**
 * A call's outcome as a list: the list `names` says it returns ({@linkcode unpack}), or its one
 * value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { returned } from "./_common.ts";
 * assert.deepEqual(returned({ ok: true, value: 3 }), { ok: true, value: [3] });
 * assert.equal(returned({ ok: true, value: 3 }, ["dx", "dh_prev"]).ok, false);
 * ```
 */
export function returned(outcome: Outcome<unknown>, names?: string[]): Outcome<unknown[]> {
  if (!outcome.ok) return outcome;
  return names === undefined ? { ok: true, value: [outcome.value] } : unpack(outcome.value, names);
}

/** The names of a layer's weight gradients, in the order of its `grads`. */
export const WEIGHT_GRADS: string[] = ["dWx", "dWh", "db"];

/**
 * A layer exercise: `check` runs the {@linkcode LayerCheck} that `layerCheck` makes for the
 * fixtures — the constructor, `forward`, `backward`, then the gradients (subjects
 * `<className>.forward`, …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { layerExercise, returned } from "./_common.ts";
 * import { call } from "./harness.ts";
 * const todo = (): never => { throw new Error("not implemented yet"); };
 * const none = { args: () => [], compare: () => ({ expect: [] }) };
 * const e = layerExercise({ name: "x", className: "X", section: "", fixtures: [] }, (_, file) => ({
 *   args: [],
 *   forward: { ...none, call: (layer) => returned(call(layer, "forward", [], file)) },
 *   backward: none,
 *   gradients: todo,
 * }));
 * const results = e.check(class { forward = todo; backward = todo; }, {}, "file:///x.ts");
 * assert.deepEqual(results.map((r) => `${r.subject} ${r.status}`), [
 *   "X.forward fail", "X.backward fail", "X skip",
 * ]);
 * ```
 */
export function layerExercise(
  exercise: Omit<Exercise, "check">,
  layerCheck: (fixtures: Record<string, Fixture>, file: string, cls: LearnerClass) => LayerCheck,
): Exercise {
  const name = exercise.className, where = (method: string) => `${name}.${method}`;
  const compare = (method: string, c: Comparison) => compareResults(where(method), c.expect, c);
  return {
    ...exercise,
    check(cls: LearnerClass, fixtures: Record<string, Fixture>, file: string): CheckResult[] {
      const spec = layerCheck(fixtures, file, cls), { backward: bwd } = spec;
      const made = construct(cls, spec.args, file);
      if (!made.ok) return [failed(where("constructor"), made.problem)];
      const layer = made.value;

      const fwd = spec.forward.call(layer);
      const forward = fwd.ok
        ? compare("forward", spec.forward.compare(fwd.value, layer))
        : failed(where("forward"), fwd.problem);
      if (!ran(forward)) {
        return [
          forward,
          todoOrSkipped(where("backward"), layer, "backward", bwd.args(), file, where("forward")),
          skipped(name, "gradients", where("forward")),
        ];
      }

      const before = bwd.grads ? gradsOf(layer) : [];
      const out = returned(call(layer, "backward", bwd.args(), file), bwd.returns);
      let backward: CheckResult;
      if (!out.ok) backward = failed(where("backward"), out.problem);
      else {
        const c = bwd.compare(out.value, layer);
        if (bwd.grads) {
          const grads = gradsOf(layer), expected = bwd.grads;
          c.expect.push(
            ...WEIGHT_GRADS.map((n, i) => ({ name: n, actual: grads[i], expected: expected(n) })),
          );
        }
        backward = compare("backward", c);
        if (bwd.grads) backward = keptInPlace(backward, layer, before, WEIGHT_GRADS);
      }
      if (!ran(backward)) return [forward, backward, skipped(name, "gradients", where("backward"))];
      return [forward, backward, centralDifferences(name, cls, file, spec.gradients())];
    },
  };
}

/** The gradient check `g` on a new instance of `cls`. */
function centralDifferences(
  subject: string,
  cls: LearnerClass,
  file: string,
  g: GradientCheck,
): CheckResult {
  const made = construct(cls, g.args, file);
  if (!made.ok) return failed(subject, made.problem, "gradients");
  const layer = made.value;
  const loss = () => g.loss(layer);
  const run = attempt(() => {
    loss();
    return bound(layer, "backward")(...g.backward);
  }, file);
  const back = returned(run, g.returns);
  if (!back.ok) return failed(subject, back.problem, "gradients");
  const targets = g.targets(back.value, layer), grads = g.weights ? gradsOf(layer) : [];
  g.weights?.forEach((value, i) => targets.push({ name: WEIGHT_GRADS[i], value, grad: grads[i] }));
  return gradientResult(subject, loss, targets, file);
}
