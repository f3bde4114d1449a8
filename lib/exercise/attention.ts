/**
 * The checks of the `attention` exercise (the book's 8.1, fixture
 * `seq2seq/attention_layers`, its `attention` part): `Attention`, AttentionWeight then
 * WeightSum in one class.
 *
 * @module
 */

import { AttentionWeight, WeightSum } from "../layers/attention.ts";
import { mul, repeat, reshape, sum } from "../ops/mod.ts";
import { layerExercise, returned } from "./_common.ts";
import { fixtureTensor } from "./fixtures.ts";
import { bound, call, dotLoss, type Exercise } from "./harness.ts";

const FIXTURE = "seq2seq/attention_layers";

/**
 * `attention`: the learner's `Attention` against the reference's — `forward(hs, h) → c` with
 * `attentionWeight`, `backward(dout) → [dhs, dh]` — and central differences.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attentionExercise } from "./attention.ts";
 * assert.deepEqual(attentionExercise.fixtures, ["seq2seq/attention_layers"]);
 * ```
 */
export const attentionExercise: Exercise = layerExercise({
  name: "attention",
  className: "Attention",
  section: "8.1",
  fixtures: [FIXTURE],
}, (fixtures, file) => {
  const T = (name: string) => fixtureTensor(fixtures[FIXTURE], `attention.${name}`);
  return {
    args: [],
    forward: {
      call: (layer) => returned(call(layer, "forward", [T("hs"), T("h")], file)),
      compare: ([out], layer) => ({
        expect: [
          { name: "out", actual: out, expected: T("out") },
          {
            name: "attentionWeight",
            actual: layer.attentionWeight,
            expected: T("attention_weight"),
          },
        ],
        hint: "attentionSoftmax",
        mistakes: () => {
          // the weights without the softmax: a = s
          const hs = T("hs"), h = T("h");
          const [N, Tn, H] = hs.shape;
          const s = sum(mul(hs, repeat(reshape(h, [N, 1, H]), Tn, 1)), 2);
          const out = sum(mul(hs, repeat(reshape(s, [N, Tn, 1]), H, 2)), 1);
          return [{ hint: "attentionSoftmax", values: { out, attentionWeight: s } }];
        },
      }),
    },
    backward: {
      args: () => [T("dout")],
      returns: ["dhs", "dh"],
      compare: ([dhs, dh]) => ({
        expect: [
          { name: "dhs", actual: dhs, expected: T("dhs") },
          { name: "dh", actual: dh, expected: T("dh") },
        ],
        hint: "attentionPaths",
        mistakes: () => {
          // dhs from one path only: the weighted sum's, or the weights'
          const weightSum = new WeightSum(), weight = new AttentionWeight();
          const hs = T("hs");
          weight.forward(hs, T("h"));
          weightSum.forward(hs, T("attention_weight"));
          const [dhsSum, da] = weightSum.backward(T("dout"));
          const sumOnly = dhsSum.clone();
          const [dhsWeight] = weight.backward(da);
          return [
            { hint: "attentionPaths", values: { dhs: sumOnly } },
            { hint: "attentionPaths", values: { dhs: dhsWeight.clone() } },
          ];
        },
      }),
    },
    // central differences of L = Σ c ⊙ dout on a new Attention
    gradients: () => {
      const hs = T("hs"), h = T("h"), r = T("dout");
      return {
        args: [],
        loss: (layer) => dotLoss(bound(layer, "forward")(hs, h), r),
        backward: [r],
        returns: ["dhs", "dh"],
        targets: ([dhs, dh]) => [
          { name: "dhs", value: hs, grad: dhs },
          { name: "dh", value: h, grad: dh },
        ],
      };
    },
  };
});
