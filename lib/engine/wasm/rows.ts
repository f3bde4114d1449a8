/**
 * Copies, fills and vector arithmetic over flat (`len` floats) or strided (`rows × cols`,
 * leading dimensions `ld…`) data:
 *
 * - `copy_rows(rows, cols, x, ldx, y, ldy, acc)`: `y[r, j] (+)= x[r, j]` (`+=` when `acc ≠ 0`).
 * - `add_bias(rows, cols, bias, x, ldx)`: `x[r, j] += bias[j]`.
 * - `sum_rows(rows, cols, x, ldx, out, acc, tmp)`: `out[j] (+)= Σ_r x[r, j]`, summed in float64
 *   in `tmp` (`cols` doubles).
 * - `fill(len, value, x)`: `x[i] = value`.
 * - `scale(len, alpha, x, y)`: `y[i] = alpha·x[i]`.
 * - `mul(len, a, b, y)`: `y[i] = a[i]·b[i]`.
 * - `axpy(len, alpha, x, y)`: `y[i] += alpha·x[i]` (fused with relaxed SIMD).
 * - `sum_squares(len, x) → f64`: `Σ x[i]²`, in float64.
 *
 * @module
 */

import {
  brIf,
  type Expr,
  f32,
  f32x4,
  f64,
  f64x2,
  forRange,
  i32,
  ifThen,
  type Local,
  loop,
  memory,
  type ModuleBuilder,
  type Stmt,
  v128,
} from "./emit.ts";
import { madder } from "./gemm.ts";
import { type IO, rowLoop, type RowPtr, rowPtr, swapHalves } from "./loops.ts";

/**
 * Adds `copy_rows`, `add_bias`, `sum_rows`, `fill`, `scale`, `mul`, `axpy` and `sum_squares`
 * to `mod`, in that order; `relaxed` fuses `axpy`'s multiply-add.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ModuleBuilder } from "./emit.ts";
 * import { emitRows } from "./rows.ts";
 * for (const relaxed of [false, true]) {
 *   const mod = new ModuleBuilder().importMemory({ initial: 1 });
 *   emitRows(mod, relaxed);
 *   assert(WebAssembly.validate(mod.toBytes()));
 * }
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * emitRows(mod, false);
 * const memory = new WebAssembly.Memory({ initial: 1 }), v = new Float32Array(memory.buffer);
 * const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } })
 *   .exports as Record<string, (...args: number[]) => number>;
 * v.set([1, 2, 3, 4, 5]);
 * x.scale(5, 2, 0, 64); // y (at byte 64) = 2·x
 * x.axpy(5, -1, 0, 64); // y −= x
 * assert.deepEqual([...v.subarray(16, 21)], [1, 2, 3, 4, 5]);
 * assert(x.sum_squares(5, 64) === 55);
 * // 2×3 rows with leading dimension 4: column sums, in float64 scratch at byte 256
 * v.set([1, 2, 3, 0, 10, 20, 30, 0]);
 * x.sum_rows(2, 3, 0, 4, 128, 0, 256);
 * assert.deepEqual([...v.subarray(32, 35)], [11, 22, 33]);
 * ```
 */
export function emitRows(mod: ModuleBuilder, relaxed: boolean): void {
  const madd = madder(relaxed);
  const mul = f32x4.mul, add = f32x4.add;

  mod.func(
    "copy_rows",
    { rows: "i32", cols: "i32", x: "i32", ldx: "i32", y: "i32", ldy: "i32", acc: "i32" },
    "void",
    (p, f) => {
      const [sx, px] = rowPtr(f, p.x.get(), p.ldx.get());
      const [sy, py] = rowPtr(f, p.y.get(), p.ldy.get());
      const r = f.local("i32");
      return [
        sx,
        sy,
        ifThen(
          p.acc.get(),
          rowLoop(f, p.rows.get(), p.cols, [px, py], (io) => [
            io.store(py.at, add(io.load(py.at), io.load(px.at))),
          ]),
          forRange(
            r,
            i32.const(0),
            p.rows.get(),
            1,
            memory.copy(py.start.get(), px.start.get(), i32.shl(p.cols.get(), i32.const(2))),
            px.start.set(i32.add(px.start.get(), px.ld)),
            py.start.set(i32.add(py.start.get(), py.ld)),
          ),
        ),
      ];
    },
  );

  mod.func(
    "add_bias",
    { rows: "i32", cols: "i32", bias: "i32", x: "i32", ldx: "i32" },
    "void",
    (p, f) => {
      const [sb, pb] = rowPtr(f, p.bias.get(), i32.const(0));
      const [sx, px] = rowPtr(f, p.x.get(), p.ldx.get());
      return [
        sb,
        sx,
        rowLoop(f, p.rows.get(), p.cols, [pb, px], (io) => [
          io.store(px.at, add(io.load(px.at), io.load(pb.at))),
        ]),
      ];
    },
  );

  // out[j] (+)= Σ_r x[r, j], summed in float64 in `tmp` (cols doubles), x read row by row.
  mod.func(
    "sum_rows",
    { rows: "i32", cols: "i32", x: "i32", ldx: "i32", out: "i32", acc: "i32", tmp: "i32" },
    "void",
    (p, f) => {
      const r = f.local("i32"), j = f.local("i32"), xp = f.local("i32"), tp = f.local("i32");
      const s = f.local("f64"), ld = f.local("i32"), lo = f.local("v128"), hi = f.local("v128");
      const vs = f.locals("v128", 4);
      // rows r … r + n − 1 added into tmp, column by column, in row order: tmp is read and
      // written once per n rows (the sums are the same as row by row)
      const rowsInto = (n: number): Stmt[] => [
        xp.set(i32.add(p.x.get(), i32.shl(i32.mul(r.get(), p.ldx.get()), i32.const(2)))),
        tp.set(p.tmp.get()),
        j.set(i32.const(0)),
        ifThen(
          i32.le_s(i32.const(4), p.cols.get()),
          loop(
            ...vs.slice(0, n).map((v, k) =>
              v.set(
                v128.load(k === 0 ? xp.get() : i32.add(xp.get(), i32.mul(ld.get(), i32.const(k)))),
              )
            ),
            lo.set(v128.load(tp.get())),
            hi.set(v128.load(tp.get(), 16)),
            ...vs.slice(0, n).flatMap((v) => [
              lo.set(f64x2.add(lo.get(), f64x2.promote_low_f32x4(v.get()))),
              hi.set(f64x2.add(hi.get(), f64x2.promote_low_f32x4(swapHalves(v.get())))),
            ]),
            v128.store(tp.get(), lo.get()),
            v128.store(tp.get(), hi.get(), 16),
            xp.inc(16),
            tp.inc(32),
            j.inc(4),
            brIf(0, i32.le_s(i32.add(j.get(), i32.const(4)), p.cols.get())),
          ),
        ),
        ifThen(
          i32.lt_s(j.get(), p.cols.get()),
          loop(
            s.set(f64.load(tp.get())),
            ...Array.from({ length: n }, (_, k) =>
              s.set(f64.add(
                s.get(),
                f64.promote(
                  f32.load(k === 0 ? xp.get() : i32.add(xp.get(), i32.mul(ld.get(), i32.const(k)))),
                ),
              ))),
            f64.store(tp.get(), s.get()),
            xp.inc(4),
            tp.inc(8),
            j.inc(1),
            brIf(0, i32.lt_s(j.get(), p.cols.get())),
          ),
        ),
      ];
      return [
        memory.fill(p.tmp.get(), i32.const(0), i32.shl(p.cols.get(), i32.const(3))),
        ld.set(i32.shl(p.ldx.get(), i32.const(2))),
        r.set(i32.const(0)),
        ifThen(
          i32.le_s(i32.const(4), p.rows.get()),
          loop(
            ...rowsInto(4),
            r.inc(4),
            brIf(0, i32.le_s(i32.add(r.get(), i32.const(4)), p.rows.get())),
          ),
        ),
        ifThen(
          i32.lt_s(r.get(), p.rows.get()),
          loop(...rowsInto(1), r.inc(1), brIf(0, i32.lt_s(r.get(), p.rows.get()))),
        ),
        forRange(
          j,
          i32.const(0),
          p.cols.get(),
          1,
          s.set(f64.load(i32.add(p.tmp.get(), i32.shl(j.get(), i32.const(3))))),
          xp.set(i32.add(p.out.get(), i32.shl(j.get(), i32.const(2)))),
          ifThen(p.acc.get(), s.set(f64.add(s.get(), f64.promote(f32.load(xp.get()))))),
          f32.store(xp.get(), f32.demote(s.get())),
        ),
      ];
    },
  );

  const flat = (
    name: string,
    params: Record<string, "i32" | "f32">,
    ptrNames: string[],
    body: (io: IO, at: Record<string, Local<"i32">>, p: Record<string, Local>) => Stmt[],
  ) =>
    mod.func(name, { len: "i32", ...params }, "void", (p, f) => {
      const setup: Stmt[] = [], ptrs: RowPtr[] = [], at: Record<string, Local<"i32">> = {};
      // scalar parameters become four-lane locals, splatted once before the loop
      const splat: Record<string, Local> = { ...(p as Record<string, Local>) };
      for (const [k, type] of Object.entries(params)) {
        if (type !== "f32") continue;
        const v = f.local("v128");
        setup.push(v.set(f32x4.splat((p as Record<string, Local>)[k].get())));
        splat[k] = v;
      }
      for (const name of ptrNames) {
        const [s, ptr] = rowPtr(
          f,
          (p as Record<string, Local>)[name].get() as Expr<"i32">,
          i32.const(0),
        );
        setup.push(s), ptrs.push(ptr), at[name] = ptr.at;
      }
      return [
        ...setup,
        rowLoop(f, i32.const(1), p.len as Local<"i32">, ptrs, (io) => body(io, at, splat)),
      ];
    });

  flat("fill", { value: "f32", x: "i32" }, ["x"], (io, at, p) => [
    io.store(at.x, p.value.get()),
  ]);
  flat("scale", { alpha: "f32", x: "i32", y: "i32" }, ["x", "y"], (io, at, p) => [
    io.store(at.y, mul(io.load(at.x), p.alpha.get())),
  ]);
  flat("mul", { a: "i32", b: "i32", y: "i32" }, ["a", "b", "y"], (io, at) => [
    io.store(at.y, mul(io.load(at.a), io.load(at.b))),
  ]);
  flat("axpy", { alpha: "f32", x: "i32", y: "i32" }, ["x", "y"], (io, at, p) => [
    io.store(at.y, madd(io.load(at.x), p.alpha.get(), io.load(at.y))),
  ]);

  // Σ x² in float64: two f64x2 accumulators over the promoted halves.
  mod.func("sum_squares", { len: "i32", x: "i32" }, "f64", (p, f) => {
    const [sx, px] = rowPtr(f, p.x.get(), i32.const(0));
    const lo = f.local("v128"), hi = f.local("v128"), v = f.local("v128"), w = f.local("v128");
    return [
      sx,
      rowLoop(f, i32.const(1), p.len, [px], (io) => [
        v.set(io.load(px.at)),
        w.set(f64x2.promote_low_f32x4(v.get())),
        lo.set(f64x2.add(lo.get(), f64x2.mul(w.get(), w.get()))),
        w.set(f64x2.promote_low_f32x4(swapHalves(v.get()))),
        hi.set(f64x2.add(hi.get(), f64x2.mul(w.get(), w.get()))),
      ]),
      lo.set(f64x2.add(lo.get(), hi.get())),
      f64.add(f64x2.extract_lane(lo.get(), 0), f64x2.extract_lane(lo.get(), 1)),
    ];
  });
}
