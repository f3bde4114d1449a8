/**
 * The activations, with `exp`, `σ` and `tanh` computed by {@linkcode SimdMath} (see `math.ts`
 * for the method and its accuracy):
 *
 * - `vexp(len, x, y)`: `y[i] = exp(x[i])` for `x[i] ≤ 0` (exported for the accuracy test).
 * - `vsigmoid(len, x, y)`: `y[i] = σ(x[i]) = 1/(1 + e^(−x[i]))` (idem).
 * - `vtanh(len, x, y)`: `y[i] = tanh(x[i])` (idem).
 * - `tanh_fwd(rows, cols, x, ldx, y, ldy)`: `y = tanh(x)` (may be in place).
 * - `tanh_bwd(rows, cols, y, ldy, dy, lddy, dx, lddx)`: `dx = dy ⊙ (1 − y²)` (may be in place).
 *
 * @module
 */

import { f32x4, i32, type ModuleBuilder } from "./emit.ts";
import { rowLoop, rowPtr } from "./loops.ts";
import { SimdMath } from "./math.ts";

/**
 * Adds `vexp`, `vsigmoid`, `vtanh`, `tanh_fwd` and `tanh_bwd` to `mod`, in that order;
 * `relaxed` fuses the multiply-adds of `exp`'s polynomial.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emitActivations } from "./activations.ts";
 * import { ModuleBuilder } from "./emit.ts";
 * for (const relaxed of [false, true]) {
 *   const mod = new ModuleBuilder().importMemory({ initial: 1 });
 *   emitActivations(mod, relaxed);
 *   assert(WebAssembly.validate(mod.toBytes()));
 * }
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * emitActivations(mod, false);
 * const memory = new WebAssembly.Memory({ initial: 1 }), v = new Float32Array(memory.buffer);
 * const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } })
 *   .exports as Record<string, (...args: number[]) => void>;
 * const xs = [-3, -0.5, 0, 0.25, 2];
 * v.set(xs);
 * x.vsigmoid(5, 0, 64);
 * xs.forEach((t, i) => assert(Math.abs(v[16 + i] - 1 / (1 + Math.exp(-t))) < 1e-6));
 * x.tanh_fwd(1, 5, 0, 5, 128, 5); // y (at byte 128) = tanh(x)
 * xs.forEach((t, i) => assert(Math.abs(v[32 + i] - Math.tanh(t)) < 1e-6));
 * v.fill(1, 48, 53); // dy = 1
 * x.tanh_bwd(1, 5, 128, 5, 192, 5, 192, 5); // dx = 1 − y², in place of dy
 * xs.forEach((t, i) => assert(Math.abs(v[48 + i] - (1 - Math.tanh(t) ** 2)) < 1e-6));
 * ```
 */
export function emitActivations(mod: ModuleBuilder, relaxed: boolean): void {
  const sub = f32x4.sub, mul = f32x4.mul;

  for (const fn of ["exp", "sigmoid", "tanh"] as const) {
    mod.func(`v${fn}`, { len: "i32", x: "i32", y: "i32" }, "void", (p, f) => {
      const math = new SimdMath(f, relaxed), out = f.local("v128");
      const [sx, px] = rowPtr(f, p.x.get(), i32.const(0));
      const [sy, py] = rowPtr(f, p.y.get(), i32.const(0));
      return [
        sx,
        sy,
        rowLoop(f, i32.const(1), p.len, [px, py], (io) => [
          ...math[fn](io.load(px.at), out),
          io.store(py.at, out.get()),
        ]),
      ];
    });
  }

  // the tanh layer's forward and backward over strided rows

  mod.func(
    "tanh_fwd",
    { rows: "i32", cols: "i32", x: "i32", ldx: "i32", y: "i32", ldy: "i32" },
    "void",
    (p, f) => {
      const math = new SimdMath(f, relaxed), t = f.local("v128");
      const [sx, px] = rowPtr(f, p.x.get(), p.ldx.get());
      const [sy, py] = rowPtr(f, p.y.get(), p.ldy.get());
      return [
        sx,
        sy,
        rowLoop(f, p.rows.get(), p.cols, [px, py], (io) => [
          ...math.tanh(io.load(px.at), t),
          io.store(py.at, t.get()),
        ]),
      ];
    },
  );

  mod.func(
    "tanh_bwd",
    {
      rows: "i32",
      cols: "i32",
      y: "i32",
      ldy: "i32",
      dy: "i32",
      lddy: "i32",
      dx: "i32",
      lddx: "i32",
    },
    "void",
    (p, f) => {
      const v = f.local("v128");
      const [s1, py] = rowPtr(f, p.y.get(), p.ldy.get());
      const [s2, pdy] = rowPtr(f, p.dy.get(), p.lddy.get());
      const [s3, pdx] = rowPtr(f, p.dx.get(), p.lddx.get());
      return [
        s1,
        s2,
        s3,
        rowLoop(f, p.rows.get(), p.cols, [py, pdy, pdx], (io) => [
          v.set(io.load(py.at)),
          io.store(pdx.at, mul(io.load(pdy.at), sub(f.consts.f32(1), mul(v.get(), v.get())))),
        ]),
      ];
    },
  );
}
