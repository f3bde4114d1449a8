/**
 * Checks shared by the recurrent layers' tests (RNN, LSTM, GRU): the time-layer fixture
 * (stateful continuation, backward, grads) and the numerical gradient check.
 */

import { dot, gradCheck, type GradCheckTarget } from "../../lib/layers/gradcheck.ts";
import { Rng } from "../../lib/random.ts";
import { assertOk } from "../../lib/std/assert.ts";
import type { Tensor } from "../../lib/tensor.ts";
import { assertAllClose, loadFixture, T } from "../_helpers.ts";

/** What the time-layer checks need of TimeRNN, TimeLSTM and TimeGRU. */
export interface TimeLayer {
  params: Tensor[];
  grads: Tensor[];
  h: Tensor | null;
  dh: Tensor | null;
  forward(xs: Tensor): Tensor;
  backward(dhs: Tensor): Tensor;
  setState(h: Tensor): void;
}

/** Runs a `time_*.json` fixture: forward `xs1`, then `xs2` continuing, then backward. */
export function checkTimeFixture(
  name: string,
  make: (Wx: Tensor, Wh: Tensor, b: Tensor, stateful: boolean) => TimeLayer,
): void {
  const f = loadFixture(name);
  const layer = make(T(f.inputs.Wx), T(f.inputs.Wh), T(f.inputs.b), f.stateful);
  assertAllClose(layer.forward(T(f.inputs.xs1)), f.forward.hs1, `${name} hs1`);
  assertAllClose(layer.forward(T(f.inputs.xs2)), f.forward.hs2, `${name} hs2 (stateful)`);
  assertAllClose(layer.h!, f.forward.h_after, `${name} h_after`);
  assertAllClose(layer.backward(T(f.upstream.dhs)), f.backward.dxs, `${name} dxs`);
  assertAllClose(layer.dh!, f.backward.dh, `${name} dh`);
  assertAllClose(layer.grads[0], f.grads.dWx, `${name} dWx`);
  assertAllClose(layer.grads[1], f.grads.dWh, `${name} dWh`);
  assertAllClose(layer.grads[2], f.grads.db, `${name} db`);
}

/**
 * Numerical gradient check of a time layer on `loss = Σ hs ⊙ r`, starting every forward from
 * the same non-zero state `h0`: checks `xs`, every parameter, and `dh` (the state's gradient).
 */
export function gradCheckTime(
  gates: number,
  make: (Wx: Tensor, Wh: Tensor, b: Tensor) => TimeLayer,
  setState: (layer: TimeLayer, h0: Tensor) => void = (l, h0) => l.setState(h0),
): void {
  const rng = new Rng(7);
  const [N, Tn, D, H] = [2, 4, 3, 4];
  const layer = make(
    rng.randn([D, gates * H], 0.5),
    rng.randn([H, gates * H], 0.5),
    rng.randn([gates * H], 0.5),
  );
  const xs = rng.randn([N, Tn, D]), r = rng.randn([N, Tn, H]), h0 = rng.randn([N, H], 0.5);
  const loss = () => {
    setState(layer, h0);
    return dot(layer.forward(xs), r);
  };
  loss();
  const dxs = layer.backward(r).clone();
  const dh0 = layer.dh!.clone();
  const targets: GradCheckTarget[] = [
    { name: "xs", value: xs, grad: dxs },
    { name: "h0", value: h0, grad: dh0 },
    ...["Wx", "Wh", "b"].map((name, i) => ({ name, value: layer.params[i], grad: layer.grads[i] })),
  ];
  for (const res of gradCheck(loss, targets)) {
    assertOk(res.maxRelError < 1e-2, `${res.name}: ${JSON.stringify(res)}`);
  }
}

/** Numerical gradient check of a cell on `loss = Σ outputs ⊙ r`. */
export function gradCheckCell(
  targets: (rng: Rng) => { loss: () => number; backward: () => GradCheckTarget[] },
): void {
  const { loss, backward } = targets(new Rng(11));
  loss();
  for (const res of gradCheck(loss, backward())) {
    assertOk(res.maxRelError < 1e-2, `${res.name}: ${JSON.stringify(res)}`);
  }
}
