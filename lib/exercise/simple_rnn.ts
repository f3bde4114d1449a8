/**
 * The checks of the `simple_rnn` exercise (seed 001, problems 1–3): the learner's float64
 * `SimpleRNN` against the fixture `simple_rnn_exercise` and saiki's own float64 `SimpleRNN`
 * (`lib/layers/simple_rnn.ts`), the small-array experiment of problem 2, which prints
 * `[0.79494228, 0.81839002, 0.83939649, 0.85584174]`, and the gradients against float64
 * central differences.
 *
 * @module
 */

import { type Array64, array64, SimpleRNN } from "../layers/simple_rnn.ts";
import { Rng } from "../random.ts";
import {
  asShaped,
  describeValue,
  FLOAT32_TOLERANCE,
  FLOAT64_TOLERANCE,
  unravel,
} from "./compare.ts";
import { type Fixture, fixture64, fixtureNumbers } from "./fixtures.ts";
import {
  attempt,
  bound,
  call,
  compareResults,
  construct,
  dotLoss,
  type Exercise,
  failed,
  gradsOf,
  keptInPlace,
  type LearnerClass,
  type LearnerObject,
  type Mistake,
  ran,
  skipped,
  todoOrSkipped,
} from "./harness.ts";
import type { CheckResult } from "./report.ts";

/**
 * The experiment's arrays (problem 2): `x (batch_size 1, n_sequences 3, n_features 2)`,
 * `Wx (2, 4)`, `Wh (4, 4)`, `B (4)`, each a new float64 array.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { experimentInputs } from "./simple_rnn.ts";
 * const { x, Wh } = experimentInputs();
 * assert.deepEqual(x.shape, [1, 3, 2]);
 * assert.equal(Wh.data[15], 0.1);
 * ```
 */
export function experimentInputs(): { x: Array64; Wx: Array64; Wh: Array64; B: Array64 } {
  const div100 = (v: number) => v / 100;
  return {
    x: array64([1, 2, 2, 3, 3, 4].map(div100), [1, 3, 2]),
    Wx: array64([1, 3, 5, 7, 3, 5, 7, 8].map(div100), [2, 4]),
    Wh: array64([1, 3, 5, 7, 2, 4, 6, 8, 3, 5, 7, 8, 4, 6, 8, 10].map(div100), [4, 4]),
    B: array64([1, 1, 1, 1], [4]),
  };
}

/**
 * The experiment run with saiki's `SimpleRNN`: the last `h` `(1, 4)` in float64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { experiment, formatRow } from "./simple_rnn.ts";
 * assert.equal(formatRow(experiment()), "[0.79494228, 0.81839002, 0.83939649, 0.85584174]");
 * ```
 */
export function experiment(): Float64Array {
  const { x, Wx, Wh, B } = experimentInputs();
  const rnn = new SimpleRNN(2, 4, { Wx: Wx.data, Wh: Wh.data, B: B.data });
  return rnn.forward(x, array64([0, 0, 0, 0], [1, 4])).data;
}

/**
 * Values as the exercise prints them, eight decimals: `[0.79494228, …]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatRow } from "./simple_rnn.ts";
 * assert.equal(formatRow([0.5, 1 / 3]), "[0.50000000, 0.33333333]");
 * ```
 */
export function formatRow(values: ArrayLike<number>): string {
  return `[${Array.from(values, (v) => v.toFixed(8)).join(", ")}]`;
}

/** A new float64 array of `shape`, drawn `N(0, 0.5²)`. */
function random64(rng: Rng, shape: number[]): Array64 {
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: Float64Array.from({ length: n }, () => 0.5 * rng.normal()), shape };
}

/** A copy. */
function clone64(a: Array64): Array64 {
  return { data: a.data.slice(), shape: [...a.shape] };
}

/** The backward case: sizes, arrays and saiki's results for them. */
function backwardCase() {
  const rng = new Rng(11);
  const [N, S, F, H] = [2, 4, 3, 4], lr = 0.1;
  const x = random64(rng, [N, S, F]), dh = random64(rng, [N, H]);
  const weights = [random64(rng, [F, H]), random64(rng, [H, H]), random64(rng, [H])];
  const reference = (x: Array64, h0?: Array64) => {
    const rnn = new SimpleRNN(F, H, {
      Wx: weights[0].data,
      Wh: weights[1].data,
      B: weights[2].data,
      lr,
    });
    rnn.forward(x, h0);
    const dx = rnn.backward(dh);
    return { dx, grads: rnn.grads, updated: rnn.params };
  };
  return { N, S, F, H, lr, x, dh, weights, reference };
}

/** The names of the backward case's arrays, in order. */
const UPDATED = ["Wx (updated)", "Wh (updated)", "B (updated)"];

/** The backward case's typical mistakes. */
function backwardMistakes(): Mistake[] {
  const { N, S, F, H, lr, x, weights, reference } = backwardCase();
  // the gradient of h_{t−1} not carried back: only the last step contributes, from h_{S−2}
  const head = array64(new Float64Array(N * (S - 1) * F), [N, S - 1, F]);
  const tail = array64(new Float64Array(N * F), [N, 1, F]);
  for (let n = 0; n < N; n++) {
    head.data.set(x.data.subarray(n * S * F, (n * S + S - 1) * F), n * (S - 1) * F);
    tail.data.set(x.data.subarray((n * S + S - 1) * F, (n * S + S) * F), n * F);
  }
  const hLast = new SimpleRNN(F, H, {
    Wx: weights[0].data,
    Wh: weights[1].data,
    B: weights[2].data,
  })
    .forward(head);
  const last = reference(tail, hLast);
  const dx = new Float64Array(N * S * F);
  for (let n = 0; n < N; n++) {
    dx.set(last.dx.data.subarray(n * F, (n + 1) * F), (n * S + S - 1) * F);
  }
  const noCarry: Record<string, Array64> = {
    dx: { data: dx, shape: [N, S, F] },
    dWx: last.grads[0],
    dWh: last.grads[1],
    dB: last.grads[2],
  };
  UPDATED.forEach((name, i) => noCarry[name] = last.updated[i]);
  // no update, or the update's sign turned
  const { grads } = reference(x);
  const none: Record<string, Array64> = {}, plus: Record<string, Array64> = {};
  UPDATED.forEach((name, i) => {
    none[name] = weights[i];
    plus[name] = {
      data: weights[i].data.map((v, k) => v + lr * grads[i].data[k]),
      shape: weights[i].shape,
    };
  });
  return [
    { hint: "simpleCarry", values: noCarry },
    { hint: "simpleUpdate", values: none },
    { hint: "simpleUpdate", values: plus },
  ];
}

/**
 * Central differences in float64 of `L = Σ h_last ⊙ dh` over `x`, `Wx`, `Wh`, `B`, each
 * evaluated on a new instance of the learner's class (its `backward` updates the weights).
 * Step `1e-6`: truncation ~1e-12 and rounding ~1e-10, so `1e-6` relative (plus `1e-8`) is a
 * safe bound that every mistake exceeds by far.
 */
function simpleGradients(cls: LearnerClass, file: string): CheckResult {
  const { lr, x, dh, weights } = backwardCase();
  const made = construct(cls, [...weights.map(clone64), lr], file);
  if (!made.ok) return failed("SimpleRNN", made.problem, "gradients");
  const layer = made.value;
  const run = attempt(() => {
    bound(layer, "forward")(x);
    return bound(layer, "backward")(dh);
  }, file);
  if (!run.ok) return failed("SimpleRNN", run.problem, "gradients");
  const grads = gradsOf(layer);
  const targets: [string, Array64, unknown][] = [
    ["dx", x, run.value],
    ["dWx", weights[0], grads[0]],
    ["dWh", weights[1], grads[1]],
    ["dB", weights[2], grads[2]],
  ];
  const arrays = targets.map(([name]) => name);
  const loss = () => {
    const fresh = Reflect.construct(cls, [...weights.map(clone64), lr]) as LearnerObject;
    return dotLoss(bound(fresh, "forward")(x), dh);
  };
  const eps = 1e-6;
  for (const [name, value, grad] of targets) {
    const g = asShaped(grad);
    if (g === null) {
      return failed(
        "SimpleRNN",
        { kind: "notArray", array: name, got: describeValue(grad) },
        "gradients",
      );
    }
    const analytic = Float64Array.from(g.data); // the next calls may overwrite it
    for (let k = 0; k < value.data.length; k++) {
      const v = value.data[k];
      const numeric = attempt(() => {
        value.data[k] = v + eps;
        const plus = loss();
        value.data[k] = v - eps;
        const minus = loss();
        return (plus - minus) / (2 * eps);
      }, file);
      value.data[k] = v;
      if (!numeric.ok) return failed("SimpleRNN", numeric.problem, "gradients");
      const n = numeric.value, a = analytic[k];
      if (!(Math.abs(a - n) <= 1e-8 + 1e-6 * Math.abs(n))) {
        return {
          subject: "SimpleRNN",
          kind: "gradients",
          status: "fail",
          arrays,
          problem: {
            kind: "gradient",
            array: name,
            index: unravel(k, value.shape),
            analytic: a,
            numeric: n,
            error: Math.abs(a - n) / Math.max(Math.abs(n), 1e-8),
            bound: 1e-6,
          },
        };
      }
    }
  }
  return { subject: "SimpleRNN", kind: "gradients", status: "pass", arrays };
}

/**
 * `simple_rnn`: the learner's `SimpleRNN(Wx, Wh, B, lr)` — `forward(x, h0?) → the last h`,
 * `backward(dh) → dx` with `grads` and the update `W ← W − lr·dW` — all in float64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simpleRnnExercise } from "./simple_rnn.ts";
 * assert.equal(simpleRnnExercise.className, "SimpleRNN");
 * ```
 */
export const simpleRnnExercise: Exercise = {
  name: "simple_rnn",
  className: "SimpleRNN",
  section: "",
  fixtures: ["simple_rnn_exercise"],
  check(cls: LearnerClass, fixtures: Record<string, Fixture>, file: string): CheckResult[] {
    const f = fixtures.simple_rnn_exercise;
    const A = (path: string) => fixture64(f, path);

    // problem 1: forward, on the fixture and on a batch of 2 against saiki's SimpleRNN
    let forward: CheckResult;
    const made = construct(cls, [A("inputs.w_x"), A("inputs.w_h"), A("inputs.b")], file);
    const fwd = made.ok ? call(made.value, "forward", [A("inputs.x"), A("inputs.h0")], file) : made;
    const rng = new Rng(5);
    const x2 = random64(rng, [2, 5, 3]);
    const w2 = [random64(rng, [3, 4]), random64(rng, [4, 4]), random64(rng, [4])];
    const made2 = construct(cls, w2.map(clone64), file);
    const fwd2 = made2.ok ? call(made2.value, "forward", [x2], file) : made2;
    if (!fwd.ok) forward = failed("SimpleRNN.forward", fwd.problem);
    else if (!fwd2.ok) forward = failed("SimpleRNN.forward", fwd2.problem);
    else {
      const expected2 = new SimpleRNN(3, 4, { Wx: w2[0].data, Wh: w2[1].data, B: w2[2].data })
        .forward(x2);
      forward = compareResults("SimpleRNN.forward", [
        { name: "h", actual: fwd.value, expected: A("forward.h"), tolerance: FLOAT64_TOLERANCE },
        {
          name: "h (batch_size 2, n_sequences 5)",
          actual: fwd2.value,
          expected: expected2,
          tolerance: FLOAT64_TOLERANCE,
        },
      ], {
        hint: "simpleForward",
        mistakes: () => [{
          hint: "float32",
          values: { h: A("forward.h") },
          tolerance: FLOAT32_TOLERANCE,
        }],
      });
    }
    if (!ran(forward)) {
      return [
        forward,
        skipped("SimpleRNN", "experiment", "SimpleRNN.forward"),
        made.ok
          ? todoOrSkipped(
            "SimpleRNN.backward",
            made.value,
            "backward",
            [A("forward.h")],
            file,
            "SimpleRNN.forward",
          )
          : skipped("SimpleRNN.backward", "method", "SimpleRNN.forward"),
        skipped("SimpleRNN", "gradients", "SimpleRNN.forward"),
      ];
    }

    // problem 2: the experiment prints the notebook's line
    const expectedLine = formatRow(fixtureNumbers(f, "printed_in_exercise"));
    const { x, Wx, Wh, B } = experimentInputs();
    const test = construct(cls, [Wx, Wh, B], file);
    const h = test.ok ? call(test.value, "forward", [x], file) : test;
    let experimentResult: CheckResult;
    if (!h.ok) experimentResult = failed("SimpleRNN", h.problem, "experiment");
    else {
      const s = asShaped(h.value);
      const line = s === null ? describeValue(h.value) : formatRow(s.data);
      experimentResult = line === expectedLine
        ? { subject: "SimpleRNN", kind: "experiment", status: "pass", arrays: [], output: line }
        : failed(
          "SimpleRNN",
          { kind: "printed", actual: line, expected: expectedLine },
          "experiment",
        );
    }

    // problem 3: backward and the update, against saiki's SimpleRNN
    let backward: CheckResult;
    const { lr, x: xb, dh, weights, reference } = backwardCase();
    const expected = reference(xb);
    const learner = construct(cls, [...weights.map(clone64), lr], file);
    if (!learner.ok) backward = failed("SimpleRNN.backward", learner.problem);
    else {
      const layer = learner.value;
      const run = call(layer, "forward", [xb], file);
      const before = gradsOf(layer);
      const bwd = run.ok ? call(layer, "backward", [dh], file) : run;
      if (!bwd.ok) backward = failed("SimpleRNN.backward", bwd.problem);
      else {
        const grads = gradsOf(layer);
        const params = Array.isArray(layer.params) ? layer.params : [];
        const names = ["dWx", "dWh", "dB"];
        backward = keptInPlace(
          compareResults("SimpleRNN.backward", [
            { name: "dx", actual: bwd.value, expected: expected.dx, tolerance: FLOAT64_TOLERANCE },
            ...names.map((name, i) => ({
              name,
              actual: grads[i],
              expected: expected.grads[i],
              tolerance: FLOAT64_TOLERANCE,
            })),
            ...UPDATED.map((name, i) => ({
              name,
              actual: params[i],
              expected: expected.updated[i],
              tolerance: FLOAT64_TOLERANCE,
            })),
          ], {
            hint: "simpleCarry",
            mistakes: () => [
              {
                hint: "float32",
                values: { dx: expected.dx, dWx: expected.grads[0], dWh: expected.grads[1] },
                tolerance: FLOAT32_TOLERANCE,
              },
              ...backwardMistakes(),
            ],
          }),
          layer,
          before,
          names,
        );
      }
    }
    const gradients = ran(backward)
      ? simpleGradients(cls, file)
      : skipped("SimpleRNN", "gradients", "SimpleRNN.backward");
    return [forward, experimentResult, backward, gradients];
  },
};
