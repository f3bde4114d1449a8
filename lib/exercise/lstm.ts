/**
 * The checks of the LSTM exercises: `lstm`, the cell (the book's 6.3, fixture `lstm_cell`),
 * and `time_lstm`, the time layer (fixture `time_lstm`; its checks are in `time.ts`).
 *
 * @module
 */

import { LSTM } from "../layers/lstm.ts";
import { layerExercise, returned, WEIGHT_GRADS } from "./_common.ts";
import { fixtureTensor } from "./fixtures.ts";
import { bound, call, dotLoss, type Exercise, type Mistake } from "./harness.ts";
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
export const lstmExercise: Exercise = layerExercise({
  name: "lstm",
  className: "LSTM",
  section: "6.3",
  fixtures: ["lstm_cell"],
}, (fixtures, file) => {
  const T = (path: string) => fixtureTensor(fixtures.lstm_cell, path);
  const params = () => [T("inputs.Wx"), T("inputs.Wh"), T("inputs.b")];
  const state = () => [T("inputs.x"), T("inputs.h_prev"), T("inputs.c_prev")];
  const upstream = () => [T("upstream.dh_next"), T("upstream.dc_next")];
  return {
    args: params(),
    forward: {
      call: (layer) => returned(call(layer, "forward", state(), file), ["h_next", "c_next"]),
      compare: ([hNext, cNext]) => ({
        expect: [
          { name: "h_next", actual: hNext, expected: T("forward.h_next") },
          { name: "c_next", actual: cNext, expected: T("forward.c_next") },
        ],
        hint: "lstmForward",
        mistakes: () =>
          GATE_ORDERS.map((perm): Mistake => {
            const [Wx, Wh, b] = params().map((p) => permuteGates(p, perm));
            const [x, h, c] = state();
            const [hNext, cNext] = new LSTM(Wx, Wh, b).forward(x, h, c);
            return { hint: "gateOrder", values: { h_next: hNext, c_next: cNext } };
          }),
      }),
    },
    backward: {
      args: upstream,
      returns: ["dx", "dh_prev", "dc_prev"],
      compare: ([dx, dhPrev, dcPrev]) => ({
        expect: [
          { name: "dx", actual: dx, expected: T("backward.dx") },
          { name: "dh_prev", actual: dhPrev, expected: T("backward.dh_prev") },
          { name: "dc_prev", actual: dcPrev, expected: T("backward.dc_prev") },
        ],
        hint: "lstmBackward",
        // dA = [df, dg, di, do] in another order: the weight gradients' blocks permuted
        mistakes: () =>
          GATE_ORDERS.map((perm): Mistake => ({
            hint: "gateOrder",
            values: Object.fromEntries(
              WEIGHT_GRADS.map((name) => [name, permuteGates(T(`grads.${name}`), perm)]),
            ),
          })),
      }),
      grads: (name) => T(`grads.${name}`),
    },
    // central differences of L = Σ h_next ⊙ dh_next + Σ c_next ⊙ dc_next on a new LSTM
    gradients: () => {
      const [Wx, Wh, b] = params();
      const [x, hPrev, cPrev] = state();
      const [dh, dc] = upstream();
      return {
        args: [Wx, Wh, b],
        loss: (cell) => {
          const out = bound(cell, "forward")(x, hPrev, cPrev);
          const [h, c] = Array.isArray(out) ? out : [];
          return dotLoss(h, dh) + dotLoss(c, dc);
        },
        backward: [dh, dc],
        returns: ["dx", "dh_prev", "dc_prev"],
        targets: ([dx, dhPrev, dcPrev]) => [
          { name: "dx", value: x, grad: dx },
          { name: "dh_prev", value: hPrev, grad: dhPrev },
          { name: "dc_prev", value: cPrev, grad: dcPrev },
        ],
        weights: [Wx, Wh, b],
      };
    },
  };
});

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
