/**
 * The checks of the RNN exercises: `rnn`, the cell (the book's 5.3.1, fixture `rnn_cell`), and
 * `time_rnn`, the time layer (5.3.2, fixture `time_rnn`; its checks are in `time.ts`).
 *
 * @module
 */

import { RNN } from "../layers/rnn.ts";
import { matmul, mul, sub, transpose } from "../ops/mod.ts";
import { type Fixture, fixtureTensor } from "./fixtures.ts";
import {
  attempt,
  bound,
  call,
  compareResults,
  construct,
  dotLoss,
  type Exercise,
  failed,
  gradientResult,
  gradsOf,
  keptInPlace,
  type LearnerClass,
  type Mistake,
  ran,
  skipped,
  todoOrSkipped,
  unpack,
} from "./harness.ts";
import type { CheckResult } from "./report.ts";
import { timeExercise } from "./time.ts";

/**
 * `rnn`: the learner's `RNN` against `rnn_cell` — `forward(x, hPrev) → hNext`,
 * `backward(dhNext) → [dx, dhPrev]` with `grads` `[dWx, dWh, db]` — and central differences.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rnnExercise } from "./rnn.ts";
 * assert.equal(rnnExercise.className, "RNN");
 * assert.deepEqual(rnnExercise.fixtures, ["rnn_cell"]);
 * ```
 */
export const rnnExercise: Exercise = {
  name: "rnn",
  className: "RNN",
  section: "5.3.1",
  fixtures: ["rnn_cell"],
  check(cls: LearnerClass, fixtures: Record<string, Fixture>, file: string): CheckResult[] {
    const f = fixtures.rnn_cell;
    const T = (path: string) => fixtureTensor(f, path);
    const params = () => [T("inputs.Wx"), T("inputs.Wh"), T("inputs.b")];
    const made = construct(cls, params(), file);
    if (!made.ok) return [failed("RNN.constructor", made.problem)];
    const layer = made.value;

    const fwd = call(layer, "forward", [T("inputs.x"), T("inputs.h_prev")], file);
    const forward = !fwd.ok ? failed("RNN.forward", fwd.problem) : compareResults("RNN.forward", [
      { name: "h_next", actual: fwd.value, expected: T("forward.h_next") },
    ], {
      hint: "rnnForward",
      mistakes: () => [{
        hint: "whTransposed",
        values: {
          h_next: new RNN(T("inputs.Wx"), transpose(T("inputs.Wh")), T("inputs.b"))
            .forward(T("inputs.x"), T("inputs.h_prev")),
        },
      }],
    });
    if (!ran(forward)) {
      return [
        forward,
        todoOrSkipped(
          "RNN.backward",
          layer,
          "backward",
          [T("upstream.dh_next")],
          file,
          "RNN.forward",
        ),
        skipped("RNN", "gradients", "RNN.forward"),
      ];
    }

    let backward: CheckResult;
    const before = gradsOf(layer);
    const bwd = call(layer, "backward", [T("upstream.dh_next")], file);
    const out = bwd.ok ? unpack(bwd.value, ["dx", "dh_prev"]) : bwd;
    if (!out.ok) backward = failed("RNN.backward", out.problem);
    else {
      const grads = gradsOf(layer);
      const names = ["dWx", "dWh", "db"];
      backward = keptInPlace(
        compareResults("RNN.backward", [
          { name: "dx", actual: out.value[0], expected: T("backward.dx") },
          { name: "dh_prev", actual: out.value[1], expected: T("backward.dh_prev") },
          ...names.map((name, i) => ({ name, actual: grads[i], expected: T(`grads.${name}`) })),
        ], {
          hint: "rnnBackward",
          mistakes: (): Mistake[] => {
            const hNext = T("forward.h_next");
            const dt = mul(T("upstream.dh_next"), sub(1, mul(hNext, hNext)));
            return [
              { hint: "gradTransposed", values: { dWh: transpose(T("grads.dWh")) } },
              { hint: "whTransposed", values: { dh_prev: matmul(dt, T("inputs.Wh")) } },
            ];
          },
        }),
        layer,
        before,
        names,
      );
    }
    if (!ran(backward)) return [forward, backward, skipped("RNN", "gradients", "RNN.backward")];

    // central differences of L = Σ h_next ⊙ dh_next on a new RNN
    const [Wx, Wh, b] = params();
    const x = T("inputs.x"), hPrev = T("inputs.h_prev"), r = T("upstream.dh_next");
    const fresh = construct(cls, [Wx, Wh, b], file);
    if (!fresh.ok) return [forward, backward, failed("RNN", fresh.problem, "gradients")];
    const cell = fresh.value;
    const loss = () => dotLoss(bound(cell, "forward")(x, hPrev), r);
    const run = attempt(() => {
      loss();
      return bound(cell, "backward")(r);
    }, file);
    const back = run.ok ? unpack(run.value, ["dx", "dh_prev"]) : run;
    if (!back.ok) return [forward, backward, failed("RNN", back.problem, "gradients")];
    const grads = gradsOf(cell);
    const gradients = gradientResult("RNN", loss, [
      { name: "dx", value: x, grad: back.value[0] },
      { name: "dh_prev", value: hPrev, grad: back.value[1] },
      { name: "dWx", value: Wx, grad: grads[0] },
      { name: "dWh", value: Wh, grad: grads[1] },
      { name: "db", value: b, grad: grads[2] },
    ], file);
    return [forward, backward, gradients];
  },
};

/**
 * `time_rnn`: the learner's `TimeRNN` (seed 000's exercise) against `time_rnn` — stateful
 * forwards of `xs1` and `xs2`, `h`, a layer with `stateful = false`, `backward(dhs) → dxs`
 * with `dh` and `grads` — and central differences.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeRnnExercise } from "./rnn.ts";
 * assert.equal(timeRnnExercise.className, "TimeRNN");
 * ```
 */
export const timeRnnExercise: Exercise = timeExercise({
  name: "time_rnn",
  className: "TimeRNN",
  section: "5.3.2",
  fixture: "time_rnn",
  gates: 1,
  forwardHint: "timeForward",
});
