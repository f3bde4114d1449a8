/**
 * The checks of the `attention` exercise (the book's 8.1, fixture
 * `seq2seq/attention_layers`, its `attention` part): `Attention`, AttentionWeight then
 * WeightSum in one class.
 *
 * @module
 */

import { AttentionWeight, WeightSum } from "../layers/attention.ts";
import { mul, repeat, reshape, sum } from "../ops/mod.ts";
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
  type LearnerClass,
  ran,
  skipped,
  todoOrSkipped,
  unpack,
} from "./harness.ts";
import type { CheckResult } from "./report.ts";

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
export const attentionExercise: Exercise = {
  name: "attention",
  className: "Attention",
  section: "8.1",
  fixtures: [FIXTURE],
  check(cls: LearnerClass, fixtures: Record<string, Fixture>, file: string): CheckResult[] {
    const f = fixtures[FIXTURE];
    const T = (name: string) => fixtureTensor(f, `attention.${name}`);
    const made = construct(cls, [], file);
    if (!made.ok) return [failed("Attention.constructor", made.problem)];
    const layer = made.value;

    const fwd = call(layer, "forward", [T("hs"), T("h")], file);
    const forward = !fwd.ok ? failed("Attention.forward", fwd.problem) : compareResults(
      "Attention.forward",
      [
        { name: "out", actual: fwd.value, expected: T("out") },
        { name: "attentionWeight", actual: layer.attentionWeight, expected: T("attention_weight") },
      ],
      {
        hint: "attentionSoftmax",
        mistakes: () => {
          // the weights without the softmax: a = s
          const hs = T("hs"), h = T("h");
          const [N, Tn, H] = hs.shape;
          const s = sum(mul(hs, repeat(reshape(h, [N, 1, H]), Tn, 1)), 2);
          const out = sum(mul(hs, repeat(reshape(s, [N, Tn, 1]), H, 2)), 1);
          return [{ hint: "attentionSoftmax", values: { out, attentionWeight: s } }];
        },
      },
    );
    if (!ran(forward)) {
      return [
        forward,
        todoOrSkipped(
          "Attention.backward",
          layer,
          "backward",
          [T("dout")],
          file,
          "Attention.forward",
        ),
        skipped("Attention", "gradients", "Attention.forward"),
      ];
    }

    const bwd = call(layer, "backward", [T("dout")], file);
    const out = bwd.ok ? unpack(bwd.value, ["dhs", "dh"]) : bwd;
    const backward = !out.ok ? failed("Attention.backward", out.problem) : compareResults(
      "Attention.backward",
      [
        { name: "dhs", actual: out.value[0], expected: T("dhs") },
        { name: "dh", actual: out.value[1], expected: T("dh") },
      ],
      {
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
      },
    );
    if (!ran(backward)) {
      return [forward, backward, skipped("Attention", "gradients", "Attention.backward")];
    }

    // central differences of L = Σ c ⊙ dout on a new Attention
    const hs = T("hs"), h = T("h"), r = T("dout");
    const fresh = construct(cls, [], file);
    if (!fresh.ok) return [forward, backward, failed("Attention", fresh.problem, "gradients")];
    const loss = () => dotLoss(bound(fresh.value, "forward")(hs, h), r);
    const run = attempt(() => {
      loss();
      return bound(fresh.value, "backward")(r);
    }, file);
    const back = run.ok ? unpack(run.value, ["dhs", "dh"]) : run;
    if (!back.ok) return [forward, backward, failed("Attention", back.problem, "gradients")];
    const gradients = gradientResult("Attention", loss, [
      { name: "dhs", value: hs, grad: back.value[0] },
      { name: "dh", value: h, grad: back.value[1] },
    ], file);
    return [forward, backward, gradients];
  },
};
