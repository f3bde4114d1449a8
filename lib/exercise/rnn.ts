/**
 * The checks of the RNN exercises: `rnn`, the cell (the book's 5.3.1, fixture `rnn_cell`), and
 * `time_rnn`, the time layer (5.3.2, fixture `time_rnn`; its checks are in `time.ts`).
 *
 * @module
 */

import { RNN } from "../layers/rnn.ts";
import { matmul, mul, sub, transpose } from "../ops/mod.ts";
import { layerExercise, returned } from "./_common.ts";
import { fixtureTensor } from "./fixtures.ts";
import { bound, call, dotLoss, type Exercise, type Mistake } from "./harness.ts";
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
export const rnnExercise: Exercise = layerExercise({
  name: "rnn",
  className: "RNN",
  section: "5.3.1",
  fixtures: ["rnn_cell"],
}, (fixtures, file) => {
  const T = (path: string) => fixtureTensor(fixtures.rnn_cell, path);
  const params = () => [T("inputs.Wx"), T("inputs.Wh"), T("inputs.b")];
  return {
    args: params(),
    forward: {
      call: (layer) => returned(call(layer, "forward", [T("inputs.x"), T("inputs.h_prev")], file)),
      compare: ([hNext]) => ({
        expect: [{ name: "h_next", actual: hNext, expected: T("forward.h_next") }],
        hint: "rnnForward",
        mistakes: () => [{
          hint: "whTransposed",
          values: {
            h_next: new RNN(T("inputs.Wx"), transpose(T("inputs.Wh")), T("inputs.b"))
              .forward(T("inputs.x"), T("inputs.h_prev")),
          },
        }],
      }),
    },
    backward: {
      args: () => [T("upstream.dh_next")],
      returns: ["dx", "dh_prev"],
      compare: ([dx, dhPrev]) => ({
        expect: [
          { name: "dx", actual: dx, expected: T("backward.dx") },
          { name: "dh_prev", actual: dhPrev, expected: T("backward.dh_prev") },
        ],
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
      grads: (name) => T(`grads.${name}`),
    },
    // central differences of L = Σ h_next ⊙ dh_next on a new RNN
    gradients: () => {
      const [Wx, Wh, b] = params();
      const x = T("inputs.x"), hPrev = T("inputs.h_prev"), r = T("upstream.dh_next");
      return {
        args: [Wx, Wh, b],
        loss: (cell) => dotLoss(bound(cell, "forward")(x, hPrev), r),
        backward: [r],
        returns: ["dx", "dh_prev"],
        targets: ([dx, dhPrev]) => [
          { name: "dx", value: x, grad: dx },
          { name: "dh_prev", value: hPrev, grad: dhPrev },
        ],
        weights: [Wx, Wh, b],
      };
    },
  };
});

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
