import { Dropout, TimeDropout } from "../../lib/layers/dropout.ts";
import { dot, gradCheck } from "../../lib/layers/gradcheck.ts";
import { Rng } from "../../lib/random.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";
import { tensor, zeros } from "../../lib/tensor.ts";

const ones = (n: number) => zeros([n]).fill(1);

Deno.test("TimeDropout keeps about 1 − ratio of the values, scaled by 1/(1 − ratio)", () => {
  const n = 100_000, ratio = 0.3;
  const out = new TimeDropout(ratio, { seed: 1 }).forward(ones(n));
  const kept = out.data.filter((v) => v !== 0);
  assertOk(kept.every((v) => Math.abs(v - 1 / (1 - ratio)) < 1e-6), "kept values are scaled");
  // binomial: std of the kept fraction is sqrt(p(1-p)/n) ≈ 0.00145; allow 5 std
  assertOk(Math.abs(kept.length / n - (1 - ratio)) < 5 * Math.sqrt(0.21 / n), `${kept.length}`);
});

Deno.test("dropout backward applies the forward's mask; test mode follows the reference", () => {
  const x = new Rng(2).randn([4, 50]);
  const td = new TimeDropout(0.5, { seed: 3 });
  const out = td.forward(x).clone();
  const dx = td.backward(ones(200).reshape([4, 50]));
  for (let i = 0; i < 200; i++) assertEquals(dx.data[i] * x.data[i], out.data[i]);
  td.trainFlg = false;
  assertOk(td.forward(x) === x, "TimeDropout at test time is the identity");
  const d = new Dropout(0.25, { rng: new Rng(3) });
  const o = d.forward(x).clone();
  const g = d.backward(ones(200).reshape([4, 50]));
  for (let i = 0; i < 200; i++) assertEquals(g.data[i] * x.data[i], o.data[i]);
  assertOk(g.data.every((v) => v === 0 || v === 1), "Dropout is not inverted");
  const test = d.forward(tensor([4]), false);
  assertEquals(test.data[0], 3); // x·(1 − ratio)
});

Deno.test("dropout masks are reproducible from the generator's seed", () => {
  const a = new TimeDropout(0.5, { seed: 9 }).forward(ones(64)).clone();
  const b = new TimeDropout(0.5, { seed: 9 }).forward(ones(64));
  assertEquals(Array.from(a.data), Array.from(b.data));
});

Deno.test("TimeDropout's mask of a row depends on (seed, stream, step, row), not on the batch it is in", () => {
  const x = zeros([6, 3, 20]).fill(1);
  const whole = new TimeDropout(0.5, { seed: 4, stream: 2 });
  whole.key.step = 7;
  const all = whole.forward(x).clone();
  // rows 2..5 alone, as a shard of the same batch would compute them
  const part = new TimeDropout(0.5, { key: { seed: 4, step: 7, rowOffset: 2 }, stream: 2 });
  const rows = part.forward(zeros([4, 3, 20]).fill(1));
  assertEquals(Array.from(rows.data), Array.from(all.data.subarray(2 * 60)));
  assertEquals(part.key.step, 7, "a shared key is advanced by its owner, not the layer");
  assertEquals(whole.key.step, 8, "a layer's own key advances every training forward");
  // the next step, another stream and another seed draw other masks
  const again = whole.forward(x);
  assertOk(Array.from(again.data).join() !== Array.from(all.data).join(), "step 8 differs");
  const other = new TimeDropout(0.5, { seed: 4, stream: 3 });
  other.key.step = 7;
  assertOk(Array.from(other.forward(x).data).join() !== Array.from(all.data).join());
});

Deno.test("dropout names a bad ratio and a gradient of the wrong shape", () => {
  assertThrows(
    () => new TimeDropout(1),
    "TimeDropout: dropout ratio is 1, expected a number in [0, 1)",
  );
  assertThrows(() => new Dropout(-0.1), "Dropout: dropout ratio is -0.1");
  const d = new TimeDropout(0.5);
  assertThrows(() => d.backward(ones(3)), "call forward first");
  d.forward(ones(4));
  assertThrows(() => d.backward(ones(3)), "TimeDropout.backward: dout has shape [3], expected [4]");
});

Deno.test("Dropout and TimeDropout pass the numerical gradient check (masks replayed)", () => {
  for (
    const make of [
      (r: Rng) => new Dropout(0.4, { rng: r }),
      (_: Rng) => new TimeDropout(0.4, { key: { seed: 8, step: 0, rowOffset: 0 } }),
    ]
  ) {
    const rng = new Rng(8), layer = make(rng);
    const x = new Rng(1).randn([3, 7]), r = new Rng(2).randn([3, 7]);
    const state = rng.getState();
    const loss = () => {
      rng.setState(state); // the same mask every forward (a shared key stays where it is)
      return dot(layer.forward(x), r);
    };
    loss();
    const [res] = gradCheck(loss, [{ name: "x", value: x, grad: layer.backward(r).clone() }]);
    assertOk(res.maxRelError < 1e-2, JSON.stringify(res));
  }
});
