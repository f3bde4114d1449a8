/**
 * The checks shared by the two time layers, `TimeRNN` and `TimeLSTM`, on the fixtures
 * `time_rnn` and `time_lstm`: a *stateful* layer given `xs1`, then `xs2`, then one backward
 * of `dhs` (see the fixtures' README); the same class with `stateful = false`; and the
 * gradients against central differences. The typical mistakes are computed with saiki's own
 * cells (`RNN`, `LSTM`), made the same way.
 *
 * @module
 */

import { timestep } from "../engine/views.ts";
import { LSTM, TimeLSTM } from "../layers/lstm.ts";
import { RNN, TimeRNN } from "../layers/rnn.ts";
import { add, copy, stack } from "../ops/mod.ts";
import { Rng } from "../random.ts";
import { Tensor, zeros } from "../tensor.ts";
import { layerExercise } from "./_common.ts";
import { snapshot } from "./compare.ts";
import { type Fixture, fixtureTensor } from "./fixtures.ts";
import { bound, call, construct, dotLoss, type Exercise, type Mistake } from "./harness.ts";
import type { Hint } from "./report.ts";

/** One cell of either kind behind one interface: an RNN carries `c` through untouched. */
interface Cell {
  step(x: Tensor, h: Tensor, c: Tensor): [Tensor, Tensor];
  back(dh: Tensor, dc: Tensor): [Tensor, Tensor, Tensor];
  grads: Tensor[];
}

/** saiki's cell with `gates` gates (1: `RNN`, 4: `LSTM`). */
function makeCell(gates: number, Wx: Tensor, Wh: Tensor, b: Tensor): Cell {
  if (gates === 1) {
    const cell = new RNN(Wx, Wh, b);
    return {
      step: (x, h, c) => [cell.forward(x, h), c],
      back: (dh, dc) => {
        const [dx, dhPrev] = cell.backward(dh);
        return [dx, dhPrev, dc];
      },
      grads: cell.grads,
    };
  }
  const cell = new LSTM(Wx, Wh, b);
  return {
    step: (x, h, c) => cell.forward(x, h, c),
    back: (dh, dc) => cell.backward(dh, dc),
    grads: cell.grads,
  };
}

/**
 * The gate blocks of the last axis (width `4H`) reordered: block `k` of the result is block
 * `perm[k]`. What an LSTM computes with its gates read in another order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permuteGates } from "./time.ts";
 * import { tensor } from "../tensor.ts";
 * const b = tensor([0, 1, 2, 3]); // f, g, i, o with H = 1
 * assert.deepEqual(Array.from(permuteGates(b, [2, 0, 1, 3]).data), [2, 0, 1, 3]);
 * ```
 */
export function permuteGates(w: Tensor, perm: readonly number[]): Tensor {
  const G = w.shape[w.shape.length - 1], H = G / perm.length;
  const out = new Tensor(new Float32Array(w.size), w.shape);
  for (let row = 0; row < w.size / G; row++) {
    for (let k = 0; k < perm.length; k++) {
      const from = w.data.subarray(row * G + perm[k] * H, row * G + (perm[k] + 1) * H);
      out.data.set(from, row * G + k * H);
    }
  }
  return out;
}

/**
 * Every order of the four gates but `f, g, i, o` itself (23 of them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GATE_ORDERS } from "./time.ts";
 * assert.equal(GATE_ORDERS.length, 23);
 * assert(GATE_ORDERS.every((p) => p.join() !== "0,1,2,3"));
 * ```
 */
export const GATE_ORDERS: readonly number[][] = (() => {
  const out: number[][] = [];
  const go = (prefix: number[]) => {
    if (prefix.length === 4) {
      if (prefix.join() !== "0,1,2,3") out.push(prefix);
      return;
    }
    for (let k = 0; k < 4; k++) if (!prefix.includes(k)) go([...prefix, k]);
  };
  go([]);
  return out;
})();

/** How a time layer's exercise differs between RNN and LSTM. */
export interface TimeSpec {
  /** The exercise's name. */
  name: string;
  /** The class the learner writes. */
  className: string;
  /** The book's section. */
  section: string;
  /** The fixture, under `tests/fixtures/`. */
  fixture: string;
  /** Gates per cell: 1 for RNN, 4 for LSTM. */
  gates: number;
  /** The hint when the forward check fails and no mistake matches. */
  forwardHint: Hint;
}

/** The fixture's inputs, each a fresh tensor. */
function inputs(f: Fixture) {
  const T = (path: string) => fixtureTensor(f, path);
  return {
    params: () => [T("inputs.Wx"), T("inputs.Wh"), T("inputs.b")] as const,
    xs1: () => T("inputs.xs1"),
    xs2: () => T("inputs.xs2"),
    dhs: () => T("upstream.dhs"),
    T,
  };
}

/** saiki's stateful time layer after `xs1`: the `h` (and `c`) the second forward starts from. */
function stateAfterFirst(spec: TimeSpec, f: Fixture): { h: Tensor; c: Tensor } {
  const { params, xs1 } = inputs(f);
  const layer = spec.gates === 1 ? new TimeRNN(...params(), true) : new TimeLSTM(...params(), true);
  layer.forward(xs1());
  const h = layer.h!.clone();
  return { h, c: layer.c?.clone() ?? zeros(h.shape) };
}

/**
 * The fixture's backward computed with saiki's cells, made with or without the typical
 * mistakes: `carryH` false drops the upstream dh, `carryC` false the dc, `sum` false keeps
 * only the last step's (t = 0) weight gradients.
 */
function timeBackward(
  spec: TimeSpec,
  f: Fixture,
  { carryH = true, carryC = true, sum = true },
): Record<string, Tensor> {
  const { params, xs2, dhs: upstream } = inputs(f);
  const [Wx, Wh, b] = params();
  const xs = xs2(), dhs = upstream();
  const [N, T] = xs.shape, H = Wh.shape[0];
  let { h, c } = stateAfterFirst(spec, f);
  const cells: Cell[] = [];
  for (let t = 0; t < T; t++) {
    const cell = makeCell(spec.gates, Wx, Wh, b);
    [h, c] = cell.step(copy(timestep(xs, t)), h, c);
    cells.push(cell);
  }
  let dh = zeros([N, H]), dc = zeros([N, H]);
  const dxs: Tensor[] = new Array(T);
  let grads = [zeros(Wx.shape), zeros(Wh.shape), zeros(b.shape)];
  for (let t = T - 1; t >= 0; t--) {
    const dht = carryH ? add(timestep(dhs, t), dh) : copy(timestep(dhs, t));
    const [dx, dhPrev, dcPrev] = cells[t].back(dht, carryC ? dc : zeros([N, H]));
    dh = dhPrev, dc = dcPrev, dxs[t] = dx;
    grads = cells[t].grads.map((g, i) => sum ? add(grads[i], g) : g.clone());
  }
  return { dxs: stack(dxs, 1), dh, dWx: grads[0], dWh: grads[1], db: grads[2] };
}

/**
 * A `TimeRNN` / `TimeLSTM` exercise: the time fixture's stateful forwards and backward, a
 * layer with `stateful = false`, and central differences.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeExercise } from "./time.ts";
 * const e = timeExercise({
 *   name: "time_rnn", className: "TimeRNN", section: "5.3.2", fixture: "time_rnn", gates: 1,
 *   forwardHint: "timeForward",
 * });
 * assert.deepEqual(e.fixtures, ["time_rnn"]);
 * ```
 */
export function timeExercise(spec: TimeSpec): Exercise {
  const { className: name, section, fixture } = spec;
  return layerExercise({ name: spec.name, className: name, section, fixtures: [fixture] }, (
    fixtures,
    file,
    cls,
  ) => {
    const f = fixtures[fixture];
    const { params, xs1, xs2, dhs, T } = inputs(f);
    return {
      args: [...params(), true],
      forward: {
        // stateful, xs1 then xs2; then a layer with stateful = false
        call: (layer) => {
          const f1 = call(layer, "forward", [xs1()], file);
          const hs1 = f1.ok ? snapshot(f1.value) : undefined;
          const f2 = f1.ok ? call(layer, "forward", [xs2()], file) : f1;
          const made2 = construct(cls, [...params(), false], file);
          const g1 = made2.ok ? call(made2.value, "forward", [xs1()], file) : made2;
          const g2 = g1.ok && made2.ok ? call(made2.value, "forward", [xs2()], file) : g1;
          if (!f2.ok) return f2;
          return g2.ok ? { ok: true, value: [hs1, f2.value, g2.value] } : g2;
        },
        compare: ([hs1, hs2, stateless], layer) => {
          const lone = spec.gates === 1
            ? new TimeRNN(...params(), false).forward(xs2()).clone()
            : new TimeLSTM(...params(), false).forward(xs2()).clone();
          const notStateful = "hs2 (stateful = false)";
          return {
            expect: [
              { name: "hs1", actual: hs1, expected: T("forward.hs1") },
              { name: "hs2", actual: hs2, expected: T("forward.hs2") },
              { name: "h", actual: layer.h, expected: T("forward.h_after") },
              { name: notStateful, actual: stateless, expected: lone },
            ],
            hint: spec.forwardHint,
            mistakes: () => {
              const list: Mistake[] = [
                { hint: "stateful", values: { hs2: lone } },
                { hint: "notStateful", values: { [notStateful]: T("forward.hs2") } },
              ];
              if (spec.gates === 4) {
                for (const perm of GATE_ORDERS) {
                  const [Wx, Wh, b] = params().map((p) => permuteGates(p, perm));
                  list.push({
                    hint: "gateOrder",
                    values: { hs1: new TimeLSTM(Wx, Wh, b).forward(xs1()).clone() },
                  });
                }
              }
              return list;
            },
          };
        },
      },
      // backward of dhs after the second forward
      backward: {
        args: () => [dhs()],
        compare: ([dxs], layer) => ({
          expect: [
            { name: "dxs", actual: dxs, expected: T("backward.dxs") },
            { name: "dh", actual: layer.dh, expected: T("backward.dh") },
          ],
          hint: "upstreamDh",
          mistakes: () => [
            { hint: "upstreamDh", values: timeBackward(spec, f, { carryH: false }) },
            ...(spec.gates === 4
              ? [{ hint: "dcCarry" as const, values: timeBackward(spec, f, { carryC: false }) }]
              : []),
            { hint: "gradsSummed", values: timeBackward(spec, f, { sum: false }) },
          ],
        }),
        grads: (name) => T(`grads.${name}`),
      },
      // the gradients of Σ hs ⊙ dhs for a stateful layer started from a given h (and c): dxs,
      // dh and the weights'
      gradients: () => {
        const [Wx, Wh, b] = params();
        const xs = xs2(), r = dhs();
        const [N] = xs.shape, H = Wh.shape[0];
        const rng = new Rng(7);
        const h0 = rng.randn([N, H], 0.5), c0 = rng.randn([N, H], 0.5);
        return {
          args: [Wx, Wh, b, true],
          loss: (layer) => {
            layer.h = h0.clone(); // the state this forward starts from
            if (spec.gates === 4) layer.c = c0.clone();
            return dotLoss(bound(layer, "forward")(xs), r);
          },
          backward: [r],
          targets: ([dxs], layer) => [
            { name: "dxs", value: xs, grad: dxs },
            { name: "dh", value: h0, grad: layer.dh },
          ],
          weights: [Wx, Wh, b],
        };
      },
    };
  });
}
