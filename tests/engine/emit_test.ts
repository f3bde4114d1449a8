/**
 * The WebAssembly binary emitter (`lib/engine/wasm/emit.ts`): LEB128 encodings on known
 * vectors, modules that validate and compute, and the type checks of its expressions.
 */

import {
  f32,
  f32x4,
  forRange,
  i32,
  type Local,
  ModuleBuilder,
  select,
  sleb,
  uleb,
  v128,
} from "../../lib/engine/wasm/emit.ts";
import { wasmFeatures } from "../../lib/engine/wasm/backend.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";

type Fn = (...args: number[]) => number;

function instantiate(mod: ModuleBuilder, imports: WebAssembly.Imports = {}): Record<string, Fn> {
  const bytes = mod.toBytes();
  assertOk(WebAssembly.validate(bytes), "the module validates");
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), imports).exports as Record<
    string,
    Fn
  >;
}

Deno.test("uleb encodes unsigned LEB128 (spec vectors) and refuses negatives and fractions", () => {
  assertEquals(uleb(0), [0x00]);
  assertEquals(uleb(1), [0x01]);
  assertEquals(uleb(127), [0x7f]);
  assertEquals(uleb(128), [0x80, 0x01]);
  assertEquals(uleb(255), [0xff, 0x01]);
  assertEquals(uleb(16384), [0x80, 0x80, 0x01]);
  assertEquals(uleb(624485), [0xe5, 0x8e, 0x26]);
  assertEquals(uleb(2 ** 32 - 1), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  const e = assertThrows(() => uleb(-1), "uleb: -1 is not an unsigned integer");
  assertOk(e instanceof RangeError);
  assertThrows(() => uleb(1.5), "uleb: 1.5");
});

Deno.test("sleb encodes signed LEB128 (spec vectors), the sign bit deciding the last byte", () => {
  assertEquals(sleb(0), [0x00]);
  assertEquals(sleb(-1), [0x7f]);
  assertEquals(sleb(63), [0x3f]);
  assertEquals(sleb(64), [0xc0, 0x00]); // 0x40 alone would read as −64
  assertEquals(sleb(-64), [0x40]);
  assertEquals(sleb(-65), [0xbf, 0x7f]);
  assertEquals(sleb(127), [0xff, 0x00]);
  assertEquals(sleb(-128), [0x80, 0x7f]);
  assertEquals(sleb(-123456), [0xc0, 0xbb, 0x78]);
  assertEquals(sleb(2 ** 31 - 1), [0xff, 0xff, 0xff, 0xff, 0x07]);
  assertEquals(sleb(-(2 ** 31)), [0x80, 0x80, 0x80, 0x80, 0x78]);
  const e = assertThrows(() => sleb(0.5), "sleb: 0.5 is not an integer");
  assertOk(e instanceof RangeError);
});

Deno.test("a module with an i32 forRange loop validates and computes sums, i32 constants round-trip", () => {
  const mod = new ModuleBuilder();
  // Σ_{i = from}^{to − 1} i·step-th terms: i from `from` while i < `to`, by `step`
  mod.func("sum", { from: "i32", to: "i32", step: "i32" }, "i32", (p, f) => {
    const i = f.local("i32"), s = f.local("i32");
    return [
      s.set(i32.const(0)),
      forRange(i, p.from.get(), p.to.get(), p.step.get(), s.set(i32.add(s.get(), i.get()))),
      s.get(),
    ];
  });
  for (const v of [0, 1, -1, 63, 64, -64, -65, 624485, -123456, 2 ** 31 - 1, -(2 ** 31)]) {
    mod.func(`k${v < 0 ? "m" : ""}${Math.abs(v)}`, {}, "i32", () => [i32.const(v)]);
  }
  mod.func("pick", { a: "i32", b: "i32", c: "i32" }, "i32", (p) => [
    select(p.a.get(), p.b.get(), p.c.get()),
  ]);
  const x = instantiate(mod);
  assertEquals(x.sum(0, 10, 1), 45);
  assertEquals(x.sum(3, 20, 4), 3 + 7 + 11 + 15 + 19);
  assertEquals(x.sum(-5, 3, 1), -5 - 4 - 3 - 2 - 1 + 0 + 1 + 2);
  assertEquals(x.sum(5, 5, 1), 0, "from = to: the body does not run");
  assertEquals(x.sum(7, 3, 1), 0, "from > to: the body does not run");
  assertEquals(x.sum(-1, 0, 1), -1, "signed comparison");
  for (const v of [0, 1, -1, 63, 64, -64, -65, 624485, -123456, 2 ** 31 - 1, -(2 ** 31)]) {
    assertEquals(x[`k${v < 0 ? "m" : ""}${Math.abs(v)}`](), v, `i32.const(${v})`);
  }
  assertEquals([x.pick(4, 9, 1), x.pick(4, 9, 0)], [4, 9]);
});

Deno.test("a module with f32x4 arithmetic on an imported memory validates and computes", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const mod = new ModuleBuilder().importMemory({ initial: 1 });
  // y[0..4] = x[0..4]·k + (1, 2, 3, 4); returns the sum of the four lanes
  mod.func("axpb", { x: "i32", y: "i32", k: "f32" }, "f32", (p, f) => {
    const v = f.local("v128");
    const lane = (j: number) => f32x4.extract_lane(v.get(), j);
    return [
      v.set(
        f32x4.add(f32x4.mul(v128.load(p.x.get()), f32x4.splat(p.k.get())), v128.f32(1, 2, 3, 4)),
      ),
      v128.store(p.y.get(), v.get()),
      f32.add(f32.add(lane(0), lane(1)), f32.add(lane(2), lane(3))),
    ];
  });
  // scalar loads and stores with a constant offset: y[1] = max(x[2], x[3])
  mod.func("max23", { x: "i32", y: "i32" }, "void", (p) => [
    f32.store(p.y.get(), f32.max(f32.load(p.x.get(), 8), f32.load(p.x.get(), 12)), 4),
  ]);
  const x = instantiate(mod, { env: { memory } });
  const view = new Float32Array(memory.buffer);
  view.set([0.5, -2, 10, 0.25], 4); // x at byte 16
  const sum = x.axpb(16, 64, 4);
  assertEquals(Array.from(view.subarray(16, 20)), [3, -6, 43, 5]);
  assertEquals(sum, 3 - 6 + 43 + 5);
  x.max23(16, 64);
  assertEquals(view[17], 10);
  assertEquals(Array.from(view.subarray(0, 4)), [0, 0, 0, 0], "nothing else written");
});

const RELAXED = wasmFeatures().relaxed;
if (!RELAXED) {
  console.error(
    "skip: this runtime does not validate relaxed SIMD: emit_test's relaxed_madd test is ignored",
  );
}

Deno.test({
  name: "f32x4.relaxed_madd validates and computes a·b + c",
  ignore: !RELAXED,
  fn() {
    const mod = new ModuleBuilder();
    mod.func("madd", { a: "f32", b: "f32", c: "f32" }, "f32", (p) => [
      f32x4.extract_lane(
        f32x4.relaxed_madd(f32x4.splat(p.a.get()), f32x4.splat(p.b.get()), f32x4.splat(p.c.get())),
        2,
      ),
    ]);
    assertEquals(instantiate(mod).madd(1.5, 4, -0.5), 5.5);
  },
});

Deno.test("typed expressions: an operand of the wrong type or count throws a TypeError", () => {
  const cases: [() => unknown, string][] = [
    [() => f32.add(f32.const(1), i32.const(1)), "f32.add: operand is i32, expected f32"],
    [() => i32.add(i32.const(1), f32.const(1)), "i32.add: operand is f32, expected i32"],
    [() => f32.add(f32.const(1)), "f32.add: 1 operands, expected 2"],
    [() => f32x4.add(v128.f32(1), f32.const(1)), "f32x4.add: operand is f32, expected v128"],
    [() => f32.load(f32.const(0)), "f32.load: operand is f32, expected i32"],
    [() => v128.store(i32.const(0), f32.const(1)), "v128.store: operand is f32, expected v128"],
    [() => select(i32.const(1), f32.const(1), i32.const(0)), "select: i32 and f32 operands"],
    [() => f32x4.extract_lane(f32.const(1), 0), "f32x4.extract_lane: operand is f32"],
  ];
  for (const [fn, message] of cases) {
    const e = assertThrows(fn, message);
    assertOk(e instanceof TypeError, `${message}: ${e.constructor.name}, expected TypeError`);
  }
  const mod = new ModuleBuilder();
  let local: Local<"i32"> | undefined;
  const e = assertThrows(
    () =>
      mod.func("bad", { a: "i32" }, "void", (p) => {
        local = p.a;
        return [p.a.set(f32.const(1))];
      }),
    "local 0: operand is f32, expected i32",
  );
  assertOk(e instanceof TypeError && local !== undefined);
  const g = new ModuleBuilder().func("g", { a: "i32", b: "f32" }, "void", () => []);
  assertOk(
    assertThrows(() => g.call(i32.const(1)), "call: 1 arguments, expected 2") instanceof TypeError,
  );
  assertOk(
    assertThrows(
      () => g.call(i32.const(1), i32.const(2)),
      "call argument 1: operand is i32",
    ) instanceof
      TypeError,
  );
});
