/**
 * Softmax over rows, with its cross-entropy and plain backward passes (`rows × cols`, dense;
 * sums in float64):
 *
 * - `softmax_rows(rows, cols, x, y, stats)`: `y[r] = exp(x[r] − m)/Σ_j exp(x[r, j] − m)` with
 *   `m = max_j x[r, j]`; writes `(m: f32, Σ: f64)` to `stats` (16 bytes a row). `y` may alias `x`.
 * - `softmax_xent_bwd(rows, cols, y, labels, ignore, scale, dx)`:
 *   `dx[r] = scale·(y[r] − onehot(labels[r]))`, zeros where `labels[r] = ignore`. `dx` may
 *   alias `y`.
 * - `softmax_bwd(rows, cols, y, dout, dx)`: `dx[r] = y[r] ⊙ (dout[r] − Σ_j dout[r, j]·y[r, j])`.
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
  loop,
  memory,
  type ModuleBuilder,
  select,
  seq,
  type Stmt,
  v128,
} from "./emit.ts";
import { rowLoop, type RowPtr, rowPtr, swapHalves, UNROLL } from "./loops.ts";
import { SimdMath } from "./math.ts";

/**
 * Adds `softmax_rows`, `softmax_xent_bwd` and `softmax_bwd` to `mod`, in that order; `relaxed`
 * fuses the multiply-adds of `exp`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ModuleBuilder } from "./emit.ts";
 * import { emitSoftmax } from "./softmax.ts";
 * for (const relaxed of [false, true]) {
 *   const mod = new ModuleBuilder().importMemory({ initial: 1 });
 *   emitSoftmax(mod, relaxed);
 *   assert(WebAssembly.validate(mod.toBytes()));
 * }
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * emitSoftmax(mod, false);
 * const memory = new WebAssembly.Memory({ initial: 1 }), v = new Float32Array(memory.buffer);
 * const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } })
 *   .exports as Record<string, (...args: number[]) => void>;
 * // one row of 5 at byte 0, y at 64, stats at 128
 * const xs = [1, 2, 3, 4, 5], e = xs.map((t) => Math.exp(t - 5));
 * const sum = e.reduce((a, b) => a + b);
 * v.set(xs);
 * x.softmax_rows(1, 5, 0, 64, 128);
 * e.forEach((t, j) => assert(Math.abs(v[16 + j] - t / sum) < 1e-6));
 * assert(v[32] === 5 && Math.abs(new Float64Array(memory.buffer, 136, 1)[0] - sum) < 1e-5);
 * // label 2 (at byte 192), scale 0.5, into dx at byte 256
 * new Int32Array(memory.buffer, 192, 1)[0] = 2;
 * x.softmax_xent_bwd(1, 5, 64, 192, -1, 0.5, 256);
 * e.forEach((t, j) => assert(Math.abs(v[64 + j] - 0.5 * (t / sum - (j === 2 ? 1 : 0))) < 1e-6));
 * ```
 */
export function emitSoftmax(mod: ModuleBuilder, relaxed: boolean): void {
  const sub = f32x4.sub, mul = f32x4.mul;

  // Per row: m = max x; y = exp(x − m) with Σ in float64; y /= Σ. Writes (m: f32, Σ: f64)
  // to stats[r] (16 bytes a row). y may alias x.
  mod.func(
    "softmax_rows",
    { rows: "i32", cols: "i32", x: "i32", y: "i32", stats: "i32" },
    "void",
    (p, f) => {
      const math = new SimdMath(f, relaxed);
      const r = f.local("i32"), j = f.local("i32");
      const xp = f.local("i32"), yp = f.local("i32"), row = f.local("i32");
      const M = f.local("v128"), E = f.local("v128"), acc = f.local("v128"), m = f.local("f32");
      const accs = f.locals("v128", 4), Ms = f.locals("v128", 2);
      const sum = f.local("f64"), inv = f.local("v128");
      const lanes = (e: Expr, op: (a: Expr, b: Expr) => Expr<"f32">) =>
        op(
          op(f32x4.extract_lane(e, 0), f32x4.extract_lane(e, 1)),
          op(f32x4.extract_lane(e, 2), f32x4.extract_lane(e, 3)),
        );
      // one pass along the row: UNROLL vectors a step, then vectors, then single floats
      const overRow = (vec: (k: number) => Stmt[], tail: Stmt[]) =>
        seq(
          xp.set(row.get()),
          yp.set(i32.add(p.y.get(), i32.sub(row.get(), p.x.get()))),
          j.set(i32.const(0)),
          ifThen(
            i32.le_s(i32.const(4 * UNROLL), p.cols.get()),
            loop(
              ...Array.from({ length: UNROLL }, (_, k) => vec(k)).flat(),
              xp.inc(16 * UNROLL),
              yp.inc(16 * UNROLL),
              j.inc(4 * UNROLL),
              brIf(0, i32.le_s(i32.add(j.get(), i32.const(4 * UNROLL)), p.cols.get())),
            ),
          ),
          ifThen(
            i32.le_s(i32.add(j.get(), i32.const(4)), p.cols.get()),
            loop(
              ...vec(0),
              xp.inc(16),
              yp.inc(16),
              j.inc(4),
              brIf(0, i32.le_s(i32.add(j.get(), i32.const(4)), p.cols.get())),
            ),
          ),
          ifThen(
            i32.lt_s(j.get(), p.cols.get()),
            loop(...tail, xp.inc(4), yp.inc(4), j.inc(1), brIf(0, i32.lt_s(j.get(), p.cols.get()))),
          ),
        );
      return [
        forRange(
          r,
          i32.const(0),
          p.rows.get(),
          1,
          row.set(i32.add(p.x.get(), i32.shl(i32.mul(r.get(), p.cols.get()), i32.const(2)))),
          // max
          Ms[0].set(v128.f32(-Infinity)),
          Ms[1].set(v128.f32(-Infinity)),
          m.set(f32.const(-Infinity)),
          overRow(
            // pmax keeps M when x is NaN, as the plain kernel's `x > max` does
            (k) => [Ms[k % 2].set(f32x4.pmax(Ms[k % 2].get(), v128.load(xp.get(), 16 * k)))],
            [m.set(select(f32.load(xp.get()), m.get(), f32.gt(f32.load(xp.get()), m.get())))],
          ),
          m.set(f32.max(m.get(), lanes(f32x4.pmax(Ms[0].get(), Ms[1].get()), f32.max))),
          M.set(f32x4.splat(m.get())),
          // exp and sum
          ...accs.map((a) => a.set(v128.f32(0))),
          sum.set(f64.const(0)),
          overRow(
            (k) => [
              ...math.exp(f32x4.sub(v128.load(xp.get(), 16 * k), M.get()), E),
              v128.store(yp.get(), E.get(), 16 * k),
              // float64 accumulators, two chains per half
              accs[k % 2].set(f64x2.add(accs[k % 2].get(), f64x2.promote_low_f32x4(E.get()))),
              accs[2 + k % 2].set(
                f64x2.add(accs[2 + k % 2].get(), f64x2.promote_low_f32x4(swapHalves(E.get()))),
              ),
            ],
            [
              ...math.exp(f32x4.sub(v128.load32_zero(xp.get()), M.get()), E),
              v128.store32_lane(yp.get(), E.get(), 0, 0),
              sum.set(f64.add(sum.get(), f64.promote(f32x4.extract_lane(E.get(), 0)))),
            ],
          ),
          acc.set(
            f64x2.add(
              f64x2.add(accs[0].get(), accs[1].get()),
              f64x2.add(accs[2].get(), accs[3].get()),
            ),
          ),
          sum.set(
            f64.add(
              sum.get(),
              f64.add(f64x2.extract_lane(acc.get(), 0), f64x2.extract_lane(acc.get(), 1)),
            ),
          ),
          f32.store(i32.add(p.stats.get(), i32.shl(r.get(), i32.const(4))), m.get()),
          f64.store(i32.add(p.stats.get(), i32.shl(r.get(), i32.const(4))), sum.get(), 8),
          // normalise
          inv.set(f32x4.splat(f32.demote(f64.div(f64.const(1), sum.get())))),
          overRow(
            (
              k,
            ) => [v128.store(yp.get(), f32x4.mul(v128.load(yp.get(), 16 * k), inv.get()), 16 * k)],
            [f32.store(yp.get(), f32.mul(f32.load(yp.get()), f32x4.extract_lane(inv.get(), 0)))],
          ),
        ),
      ];
    },
  );

  // dx = scale·(y − onehot(label)) per row; rows labelled `ignore` get zeros. dx may alias y.
  mod.func(
    "softmax_xent_bwd",
    {
      rows: "i32",
      cols: "i32",
      y: "i32",
      labels: "i32",
      ignore: "i32",
      scale: "f32",
      dx: "i32",
    },
    "void",
    (p, f) => {
      const r = f.local("i32"), t = f.local("i32"), at = f.local("i32"), sc = f.local("v128");
      const [s1, py] = rowPtr(f, p.y.get(), i32.const(0));
      const [s2, pdx] = rowPtr(f, p.dx.get(), i32.const(0));
      const bytes = i32.shl(p.cols.get(), i32.const(2));
      return [
        s1,
        s2,
        sc.set(f32x4.splat(p.scale.get())),
        forRange(
          r,
          i32.const(0),
          p.rows.get(),
          1,
          t.set(i32.load(i32.add(p.labels.get(), i32.shl(r.get(), i32.const(2))))),
          ifThen(
            i32.eq(t.get(), p.ignore.get()),
            memory.fill(pdx.start.get(), i32.const(0), bytes),
            seq(
              rowLoop(f, i32.const(1), p.cols, [py, pdx], (io) => [
                io.store(pdx.at, mul(io.load(py.at), sc.get())),
              ]),
              at.set(i32.add(pdx.start.get(), i32.shl(t.get(), i32.const(2)))),
              f32.store(at.get(), f32.sub(f32.load(at.get()), p.scale.get())),
            ),
          ),
          py.start.set(i32.add(py.start.get(), bytes)),
          pdx.start.set(i32.add(pdx.start.get(), bytes)),
        ),
      ];
    },
  );

  // dx = y ⊙ (dout − Σ dout·y) per row (Σ in float64).
  mod.func(
    "softmax_bwd",
    { rows: "i32", cols: "i32", y: "i32", dout: "i32", dx: "i32" },
    "void",
    (p, f) => {
      const r = f.local("i32"), acc = f.local("v128"), v = f.local("v128"), s = f.local("v128");
      const [s1, py] = rowPtr(f, p.y.get(), i32.const(0));
      const [s2, pg] = rowPtr(f, p.dout.get(), i32.const(0));
      const [s3, pdx] = rowPtr(f, p.dx.get(), i32.const(0));
      const next = (ptr: RowPtr) =>
        ptr.start.set(i32.add(ptr.start.get(), i32.shl(p.cols.get(), i32.const(2))));
      return [
        s1,
        s2,
        s3,
        forRange(
          r,
          i32.const(0),
          p.rows.get(),
          1,
          acc.set(v128.f32(0)),
          rowLoop(f, i32.const(1), p.cols, [py, pg], (io) => [
            v.set(mul(io.load(py.at), io.load(pg.at))),
            acc.set(f64x2.add(acc.get(), f64x2.promote_low_f32x4(v.get()))),
            acc.set(
              f64x2.add(
                acc.get(),
                f64x2.promote_low_f32x4(
                  swapHalves(v.get()),
                ),
              ),
            ),
          ]),
          s.set(
            f32x4.splat(
              f32.demote(
                f64.add(f64x2.extract_lane(acc.get(), 0), f64x2.extract_lane(acc.get(), 1)),
              ),
            ),
          ),
          rowLoop(f, i32.const(1), p.cols, [py, pg, pdx], (io) => [
            io.store(pdx.at, mul(io.load(py.at), sub(io.load(pg.at), s.get()))),
          ]),
          next(py),
          next(pg),
          next(pdx),
        ),
      ];
    },
  );
}
