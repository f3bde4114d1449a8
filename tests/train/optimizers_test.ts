import {
  AdaGrad,
  Adam,
  clipGrads,
  createOptimizer,
  Momentum,
  Nesterov,
  type Optimizer,
  OPTIMIZER_NAMES,
  RMSprop,
  SGD,
} from "../../lib/train/optimizers.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";
import { type ArrayJSON, type Tensor, tensor, zeros } from "../../lib/tensor.ts";
import { assertAllClose, type Fixture, loadFixture, T } from "../_helpers.ts";

/**
 * Tolerances of the optimizer cases. The fixture is computed in float64; saiki stores the
 * parameters, gradients and state in float32 and computes each element's update in float64, so
 * after each of the three steps a parameter carries a few float32 roundings (relative 6e-8
 * each: the inputs, the stored state, the stored result). Where an update partly cancels the
 * parameter, the absolute rounding of the inputs shows as a larger relative error: the largest
 * seen is 5.4e-7 (Nesterov, step 2), so `rtol = 1e-5` keeps a margin of about 20. The largest
 * absolute error seen on any element is 1.3e-7; `atol = 1e-6` covers a parameter that an update
 * cancels to near zero, where a relative bound means nothing.
 */
const TOL = { rtol: 1e-5, atol: 1e-6 };

/** Builds the fixture case `name` with its hyper-parameters (Adam's `iter` is state, not one). */
function build(name: string, hyper: Record<string, number>): Optimizer {
  switch (name) {
    case "SGD":
      return new SGD(hyper.lr);
    case "Momentum":
      return new Momentum(hyper.lr, hyper.momentum);
    case "Nesterov":
      return new Nesterov(hyper.lr, hyper.momentum);
    case "AdaGrad":
      return new AdaGrad(hyper.lr);
    case "RMSprop":
      return new RMSprop(hyper.lr, hyper.decay_rate);
    case "Adam":
      return new Adam(hyper.lr, hyper.beta1, hyper.beta2);
  }
  throw new Error(`unknown fixture case ${name}`);
}

const CASES = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"];

Deno.test("the fixture holds exactly the six optimizers", () => {
  const f = loadFixture("optimizers");
  assertEquals(Object.keys(f.cases).sort(), [...CASES].sort());
});

for (const name of CASES) {
  Deno.test(`${name} matches the reference after each of three steps`, () => {
    const f: Fixture = loadFixture("optimizers");
    const c = f.cases[name];
    const opt = build(name, c.hyper);
    assertEquals(opt.name, name.toLowerCase());
    const params = f.params.map((p: ArrayJSON) => T(p));
    assertEquals(f.grads_per_step.length, 3);
    for (let step = 0; step < 3; step++) {
      const grads = f.grads_per_step[step].map((g: ArrayJSON) => T(g));
      opt.update(params, grads);
      const expected = c.after_each_step[step];
      assertEquals(expected.length, params.length);
      for (let i = 0; i < params.length; i++) {
        assertAllClose(params[i], expected[i], `${name} step ${step + 1} params[${i}]`, TOL);
      }
    }
    if (name === "Adam") assertEquals(opt.stateMeta(), { iter: c.hyper.iter });
  });
}

Deno.test("clipGrads matches the reference and returns the norm before clipping", () => {
  const f = loadFixture("clip_grads");
  const grads = f.grads.map((g: ArrayJSON) => T(g));
  // The norm of the fixture's float64 gradients, summed in float64 here.
  let sum = 0;
  for (const g of f.grads as ArrayJSON[]) for (const x of g.data) sum += x * x;
  const norm = clipGrads(grads, f.max_norm);
  assertOk(Math.sqrt(sum) > f.max_norm, "the fixture should clip");
  // Our sum reads the float32-rounded gradients: relative 6e-8 apart at most.
  assertAllClose(norm, Math.sqrt(sum), "clip_grads norm", { rtol: 1e-6, atol: 0 });
  for (let i = 0; i < grads.length; i++) {
    assertAllClose(grads[i], f.clipped[i], `clip_grads clipped[${i}]`, TOL);
  }
});

Deno.test("clipGrads with Infinity or a large bound leaves the gradients unchanged", () => {
  const f = loadFixture("clip_grads");
  for (const maxNorm of [Infinity, 1e6]) {
    const grads = f.grads.map((g: ArrayJSON) => T(g));
    const before = grads.map((g: Tensor) => g.data.slice());
    const norm = clipGrads(grads, maxNorm);
    assertOk(Number.isFinite(norm) && norm > 0);
    for (let i = 0; i < grads.length; i++) assertEquals(grads[i].data, before[i]);
  }
  assertEquals(clipGrads([], Infinity), 0);
  assertThrows(() => clipGrads([zeros([2])], NaN), "clipGrads: maxNorm is NaN");
});

Deno.test("every optimizer resumes exactly from its saved state", () => {
  const f = loadFixture("optimizers");
  const grads = f.grads_per_step.map((s: ArrayJSON[]) => s.map((g) => T(g)));
  for (const name of OPTIMIZER_NAMES) {
    const a = createOptimizer(name, { lr: 0.05 });
    const pa: Tensor[] = f.params.map((p: ArrayJSON) => T(p));
    a.update(pa, grads[0]);
    a.update(pa, grads[1]);
    const saved = Object.fromEntries(
      Object.entries(a.stateTensors()).map(([k, t]) => [k, t.clone()]),
    );
    const meta: Record<string, number> = JSON.parse(JSON.stringify(a.stateMeta()));
    const expectedKeys = {
      sgd: [],
      momentum: ["v.0", "v.1"],
      nesterov: ["v.0", "v.1"],
      adagrad: ["h.0", "h.1"],
      rmsprop: ["h.0", "h.1"],
      adam: ["m.0", "v.0", "m.1", "v.1"],
    }[name];
    assertEquals(Object.keys(saved), expectedKeys, `${name} state names`);
    assertEquals(a.stateMeta(), name === "adam" ? { iter: 2 } : {}, `${name} state meta`);

    const b = createOptimizer(name, { lr: 0.05 });
    const pb = pa.map((p) => p.clone());
    b.loadState(saved, meta);
    a.lr /= 4; // a changed learning rate carries over the same way to both
    b.lr /= 4;
    a.update(pa, grads[2]);
    b.update(pb, grads[2]);
    for (let i = 0; i < pa.length; i++) {
      assertEquals(pb[i].data, pa[i].data, `${name} params[${i}] after resume`);
    }
    for (const [k, t] of Object.entries(a.stateTensors())) {
      assertEquals(b.stateTensors()[k].data, t.data, `${name} state ${k} after resume`);
    }
    assertEquals(b.stateMeta(), a.stateMeta());
  }
});

Deno.test("state is empty before the first update and loadState copies", () => {
  for (const name of OPTIMIZER_NAMES) {
    const opt = createOptimizer(name, {});
    assertEquals(Object.keys(opt.stateTensors()), []);
    assertEquals(opt.stateMeta(), name === "adam" ? { iter: 0 } : {});
  }
  const m = new Momentum(1, 0.5);
  const v = tensor([1, 2]);
  m.loadState({ "v.0": v }, {});
  m.update([zeros([2])], [zeros([2])]);
  assertEquals(Array.from(v.data), [1, 2]);
  assertEquals(Array.from(m.stateTensors()["v.0"].data), [0.5, 1]);
});

Deno.test("createOptimizer knows the six names and lists them for an unknown one", () => {
  for (const name of OPTIMIZER_NAMES) assertEquals(createOptimizer(name, {}).name, name);
  assertEquals(createOptimizer("Adam", {}).lr, 0.001);
  const m = createOptimizer("momentum", { lr: 0.2, momentum: 0.5 }) as Momentum;
  assertEquals([m.lr, m.momentum], [0.2, 0.5]);
  assertThrows(
    () => createOptimizer("adamw", {}),
    'createOptimizer: unknown optimizer "adamw", expected one of sgd, momentum, nesterov, ' +
      "adagrad, rmsprop, adam",
  );
  assertThrows(() => new SGD(NaN), "SGD: lr is NaN, expected a finite number");
});

Deno.test("update names the index and both shapes when params and grads differ", () => {
  for (const name of OPTIMIZER_NAMES) {
    const opt = createOptimizer(name, {});
    const cls = opt.constructor.name;
    assertThrows(
      () => opt.update([zeros([2, 3]), zeros([4])], [zeros([2, 3]), zeros([5])]),
      `${cls}.update: grads[1] has shape [5], expected params[1]'s shape [4]`,
    );
    assertThrows(
      () => opt.update([zeros([2])], []),
      `${cls}.update: got 1 params but 0 grads`,
    );
  }
  const adam = new Adam();
  adam.update([zeros([2])], [zeros([2])]);
  assertThrows(
    () => adam.update([zeros([3])], [zeros([3])]),
    "Adam.update: state m.0 has shape [2], but params[0] has shape [3]",
  );
  assertThrows(
    () => adam.update([zeros([2]), zeros([1])], [zeros([2]), zeros([1])]),
    "Adam.update: the state holds 1 tensors per slot",
  );
});

Deno.test("loadState names what is wrong with the saved state", () => {
  const adam = new Adam();
  assertThrows(
    () => adam.loadState({ "x.0": zeros([2]) }, { iter: 1 }),
    'Adam.loadState: unexpected state tensor "x.0", expected names: m.<i>, v.<i>',
  );
  assertThrows(
    () => adam.loadState({ "m.0": zeros([2]) }, { iter: 1 }),
    'Adam.loadState: state tensor "v.0" is missing',
  );
  assertThrows(
    () => adam.loadState({ "m.0": zeros([2]), "v.0": zeros([3]) }, { iter: 1 }),
    'Adam.loadState: state tensor "v.0" has shape [3], expected [2] (the shape of "m.0")',
  );
  assertThrows(
    () => adam.loadState({}, { iter: 3 }),
    "Adam.loadState: iter is 3 but no state tensors were given",
  );
  assertThrows(() => adam.loadState({}, { iter: -1 }), "Adam.loadState: iter is -1");
  assertThrows(
    () => adam.loadState({}, { step: 1 }),
    'Adam.loadState: unexpected state value "step", expected: iter',
  );
  assertThrows(
    () => new Momentum().loadState({ "v.0": zeros([1]), "v.2": zeros([1]) }, {}),
    'Momentum.loadState: state tensor "v.1" is missing',
  );
  assertThrows(
    () => new SGD().loadState({ "v.0": zeros([1]) }, {}),
    'SGD.loadState: unexpected state tensor "v.0", expected names: none',
  );
  assertThrows(
    () => new RMSprop().loadState({}, { iter: 1 }),
    'RMSprop.loadState: unexpected state value "iter", expected: none',
  );
  // A loaded state is checked against the params at the next update.
  const m = new Momentum();
  m.loadState({ "v.0": zeros([4]) }, {});
  assertThrows(
    () => m.update([zeros([5])], [zeros([5])]),
    "Momentum.update: state v.0 has shape [4], but params[0] has shape [5]",
  );
});
