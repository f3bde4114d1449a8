import { Rng } from "../lib/random.ts";
import { assertEquals, assertOk, assertThrows } from "../lib/std/assert.ts";

const N = 100_000;

Deno.test("the generator is deterministic per seed and differs across seeds", () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xs = Array.from({ length: 10 }, () => a.uniform());
  assertEquals(xs, Array.from({ length: 10 }, () => b.uniform()));
  assertOk(xs.join() !== Array.from({ length: 10 }, () => c.uniform()).join());
  assertThrows(() => new Rng(NaN), "Rng: seed must be an integer of at most 53 bits, got NaN");
  assertThrows(() => new Rng(1e300), "got 1e+300");
  assertThrows(() => new Rng(0.5), "got 0.5");
  // seeds that differ only above bit 32 (or in sign) are different seeds
  const first = (seed: number) => new Rng(seed).nextUint32();
  const seeds = [0, 2 ** 32, -(2 ** 32), 2 ** 33, 1, 2 ** 32 + 1, -1, 2 ** 32 - 1];
  const values = seeds.map(first);
  assertEquals(new Set(values).size, seeds.length, `${values}`);
});

Deno.test("uniform, normal and int have the right moments (5 standard errors)", () => {
  const rng = new Rng(1);
  let su = 0, min = 1, max = 0, sn = 0, sn2 = 0;
  for (let i = 0; i < N; i++) {
    const u = rng.uniform();
    su += u, min = Math.min(min, u), max = Math.max(max, u);
    const z = rng.normal();
    sn += z, sn2 += z * z;
  }
  assertOk(min >= 0 && max < 1);
  // uniform: mean 1/2, sd 1/sqrt(12); normal: mean 0, sd 1, var of z² is 2
  assertOk(Math.abs(su / N - 0.5) < 5 * Math.sqrt(1 / 12 / N), `uniform mean ${su / N}`);
  assertOk(Math.abs(sn / N) < 5 / Math.sqrt(N), `normal mean ${sn / N}`);
  assertOk(Math.abs(sn2 / N - 1) < 5 * Math.sqrt(2 / N), `normal variance ${sn2 / N}`);
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 70_000; i++) counts[rng.int(7)]++;
  // each count ~ Binomial(70000, 1/7): sd ≈ 92.6
  for (const c of counts) assertOk(Math.abs(c - 10_000) < 5 * 92.6, `int counts ${counts}`);
  const t = rng.randn([3, 4], 0.5);
  assertEquals(t.shape, [3, 4]);
});

Deno.test("getState/setState continue the exact sequence, including a cached normal", () => {
  const rng = new Rng(5);
  rng.normal(); // leaves the second value of the pair cached
  const state = JSON.parse(JSON.stringify(rng.getState()));
  const expected = [rng.normal(), rng.uniform(), rng.normal()];
  const other = new Rng(0);
  other.setState(state);
  assertEquals([other.normal(), other.uniform(), other.normal()], expected);
  assertThrows(() => other.setState([1, 2]), "Rng.setState: expected 5 numbers, got 2");
});
