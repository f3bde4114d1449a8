/**
 * The checks of the `time_softmax_with_loss` exercise (the book's 5.4.2, fixture
 * `time_softmax_with_loss`): the mean cross-entropy over the positions not labelled −1, and
 * its gradient.
 *
 * @module
 */

import { mul, softmax } from "../ops/mod.ts";
import { layerExercise, returned } from "./_common.ts";
import { asShaped } from "./compare.ts";
import { fixtureInts, fixtureNumber, fixtureTensor } from "./fixtures.ts";
import { bound, call, type Exercise } from "./harness.ts";

/** A learner's loss as a number (a 0-d array counts), else NaN. */
function asNumber(x: unknown): number {
  const s = asShaped(x);
  return s !== null && s.data.length === 1 ? s.data[0] : NaN;
}

/**
 * `time_softmax_with_loss`: the learner's `TimeSoftmaxWithLoss` against the fixture —
 * `forward(xs, ts) → loss`, `backward() → dxs` — and central differences of the loss.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeSoftmaxWithLossExercise } from "./softmax.ts";
 * assert.equal(timeSoftmaxWithLossExercise.className, "TimeSoftmaxWithLoss");
 * ```
 */
export const timeSoftmaxWithLossExercise: Exercise = layerExercise({
  name: "time_softmax_with_loss",
  className: "TimeSoftmaxWithLoss",
  section: "5.4.2",
  fixtures: ["time_softmax_with_loss"],
}, (fixtures, file) => {
  const f = fixtures.time_softmax_with_loss;
  const xs = () => fixtureTensor(f, "inputs.xs"), ts = () => fixtureInts(f, "inputs.ts");
  const ignore = fixtureNumber(f, "ignore_label");
  const loss = fixtureNumber(f, "forward.loss");
  const labels = ts();
  const [N, T, V] = xs().shape;
  let count = 0;
  for (const t of labels.data) if (t !== ignore) count++;
  return {
    args: [ignore],
    forward: {
      call: (layer) => returned(call(layer, "forward", [xs(), ts()], file)),
      compare: ([actual]) => ({
        expect: [{ name: "loss", actual, expected: loss }],
        hint: "countedMean",
        mistakes: () => [
          { hint: "countedMean", values: { loss: loss * count / (N * T) } },
          { hint: "notMean", values: { loss: loss * count } },
        ],
      }),
    },
    backward: {
      args: () => [],
      compare: ([actual]) => ({
        expect: [{ name: "dxs", actual, expected: fixtureTensor(f, "backward.dxs") }],
        hint: "ignoredZero",
        mistakes: () => {
          const dxs = fixtureTensor(f, "backward.dxs");
          const ys = softmax(xs());
          // ignored rows left as the softmax (y − onehot(−1) is y), or with y[−1] − 1 (NumPy's
          // ys[n, −1] is the last column)
          const kept = dxs.clone(), last = dxs.clone();
          labels.data.forEach((t, n) => {
            if (t !== ignore) return;
            for (let v = 0; v < V; v++) {
              kept.data[n * V + v] = ys.data[n * V + v] / count;
              last.data[n * V + v] = (ys.data[n * V + v] - (v === V - 1 ? 1 : 0)) / count;
            }
          });
          return [
            { hint: "countedMean", values: { dxs: mul(dxs, count / (N * T)) } },
            { hint: "ignoredZero", values: { dxs: kept } },
            { hint: "ignoredZero", values: { dxs: last } },
          ];
        },
      }),
    },
    // central differences of the loss itself (dout = 1)
    gradients: () => {
      const x = xs(), t = ts();
      return {
        args: [ignore],
        loss: (layer) => asNumber(bound(layer, "forward")(x, t)),
        backward: [],
        targets: ([dxs]) => [{ name: "dxs", value: x, grad: dxs }],
      };
    },
  };
});
