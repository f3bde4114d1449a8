/**
 * The checks of the LSTM exercises: `lstm`, the cell (the book's 6.3, fixture `lstm_cell`),
 * and `time_lstm`, the time layer (fixture `time_lstm`; its checks are in `time.ts`).
 *
 * @module
 */

import { LSTM } from "../layers/lstm.ts";
import type { Tensor } from "../tensor.ts";
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
import { GATE_ORDERS, permuteGates, timeExercise } from "./time.ts";

/**
 * `lstm`: the learner's `LSTM` against `lstm_cell` — `forward(x, hPrev, cPrev) →
 * [hNext, cNext]`, `backward(dhNext, dcNext) → [dx, dhPrev, dcPrev]` with `grads` — and
 * central differences.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lstmExercise } from "./lstm.ts";
 * assert.equal(lstmExercise.className, "LSTM");
 * ```
 */
export const lstmExercise: Exercise = {
  name: "lstm",
  className: "LSTM",
  section: "6.3",
  fixtures: ["lstm_cell"],
  check(cls: LearnerClass, fixtures: Record<string, Fixture>, file: string): CheckResult[] {
    const f = fixtures.lstm_cell;
    const T = (path: string) => fixtureTensor(f, path);
    const params = () => [T("inputs.Wx"), T("inputs.Wh"), T("inputs.b")];
    const state = () => [T("inputs.x"), T("inputs.h_prev"), T("inputs.c_prev")];
    const made = construct(cls, params(), file);
    if (!made.ok) return [failed("LSTM.constructor", made.problem)];
    const layer = made.value;

    let forward: CheckResult;
    const fwd = call(layer, "forward", state(), file);
    const fout = fwd.ok ? unpack(fwd.value, ["h_next", "c_next"]) : fwd;
    if (!fout.ok) forward = failed("LSTM.forward", fout.problem);
    else {
      forward = compareResults("LSTM.forward", [
        { name: "h_next", actual: fout.value[0], expected: T("forward.h_next") },
        { name: "c_next", actual: fout.value[1], expected: T("forward.c_next") },
      ], {
        hint: "lstmForward",
        mistakes: () =>
          GATE_ORDERS.map((perm): Mistake => {
            const [Wx, Wh, b] = params().map((p) => permuteGates(p, perm));
            const [x, h, c] = state();
            const [hNext, cNext] = new LSTM(Wx, Wh, b).forward(x, h, c);
            return { hint: "gateOrder", values: { h_next: hNext, c_next: cNext } };
          }),
      });
    }
    if (!ran(forward)) {
      return [
        forward,
        todoOrSkipped(
          "LSTM.backward",
          layer,
          "backward",
          [T("upstream.dh_next"), T("upstream.dc_next")],
          file,
          "LSTM.forward",
        ),
        skipped("LSTM", "gradients", "LSTM.forward"),
      ];
    }

    let backward: CheckResult;
    const before = gradsOf(layer);
    const bwd = call(layer, "backward", [T("upstream.dh_next"), T("upstream.dc_next")], file);
    const bout = bwd.ok ? unpack(bwd.value, ["dx", "dh_prev", "dc_prev"]) : bwd;
    if (!bout.ok) backward = failed("LSTM.backward", bout.problem);
    else {
      const grads = gradsOf(layer);
      const names = ["dWx", "dWh", "db"];
      backward = keptInPlace(
        compareResults("LSTM.backward", [
          { name: "dx", actual: bout.value[0], expected: T("backward.dx") },
          { name: "dh_prev", actual: bout.value[1], expected: T("backward.dh_prev") },
          { name: "dc_prev", actual: bout.value[2], expected: T("backward.dc_prev") },
          ...names.map((name, i) => ({ name, actual: grads[i], expected: T(`grads.${name}`) })),
        ], {
          hint: "lstmBackward",
          // dA = [df, dg, di, do] in another order: the weight gradients' blocks permuted
          mistakes: () =>
            GATE_ORDERS.map((perm): Mistake => ({
              hint: "gateOrder",
              values: Object.fromEntries(
                names.map((name) => [name, permuteGates(T(`grads.${name}`), perm)]),
              ),
            })),
        }),
        layer,
        before,
        names,
      );
    }
    if (!ran(backward)) return [forward, backward, skipped("LSTM", "gradients", "LSTM.backward")];

    // central differences of L = Σ h_next ⊙ dh_next + Σ c_next ⊙ dc_next on a new LSTM
    const [Wx, Wh, b] = params();
    const [x, hPrev, cPrev] = state();
    const dh = T("upstream.dh_next"), dc = T("upstream.dc_next");
    const fresh = construct(cls, [Wx, Wh, b], file);
    if (!fresh.ok) return [forward, backward, failed("LSTM", fresh.problem, "gradients")];
    const cell = fresh.value;
    const loss = () => {
      const out = bound(cell, "forward")(x, hPrev, cPrev);
      const [h, c] = Array.isArray(out) ? out : [];
      return dotLoss(h, dh) + dotLoss(c, dc);
    };
    const run = attempt(() => {
      loss();
      return bound(cell, "backward")(dh, dc);
    }, file);
    const back = run.ok ? unpack(run.value, ["dx", "dh_prev", "dc_prev"]) : run;
    if (!back.ok) return [forward, backward, failed("LSTM", back.problem, "gradients")];
    const grads = gradsOf(cell);
    const targets: [string, Tensor, unknown][] = [
      ["dx", x, back.value[0]],
      ["dh_prev", hPrev, back.value[1]],
      ["dc_prev", cPrev, back.value[2]],
      ["dWx", Wx, grads[0]],
      ["dWh", Wh, grads[1]],
      ["db", b, grads[2]],
    ];
    const gradients = gradientResult(
      "LSTM",
      loss,
      targets.map(([name, value, grad]) => ({ name, value, grad })),
      file,
    );
    return [forward, backward, gradients];
  },
};

/**
 * `time_lstm`: the learner's `TimeLSTM` against `time_lstm`, as `time_rnn` is checked, with
 * the cell state `c` carried too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeLstmExercise } from "./lstm.ts";
 * assert.equal(timeLstmExercise.className, "TimeLSTM");
 * ```
 */
export const timeLstmExercise: Exercise = timeExercise({
  name: "time_lstm",
  className: "TimeLSTM",
  section: "6.3",
  fixture: "time_lstm",
  gates: 4,
  forwardHint: "lstmForward",
});
