/**
 * The optimizers' updates over `len` parameters, in float64 per element as the plain kernels
 * compute them (`ε = 1e-7`; every array is float32, every hyperparameter float64):
 *
 * - `sgd(len, lr, p, g)`: `p −= lr·g`.
 * - `momentum(len, lr, mom, p, g, v)`: `v = mom·v − lr·g`; `p += v`.
 * - `nesterov(len, lr, mom, p, g, v)`: `v = mom·v − lr·g`; `p += mom²·v − (1 + mom)·lr·g`.
 * - `adagrad(len, lr, p, g, h)`: `h += g²`; `p −= lr·g/(√h + ε)`.
 * - `rmsprop(len, lr, decay, p, g, h)`: `h = decay·h + (1 − decay)·g²`; `p −= lr·g/(√h + ε)`.
 * - `adam(len, lrT, b1, b2, p, g, m, v)`: `m += (1 − b1)·(g − m)`; `v += (1 − b2)·(g² − v)`;
 *   `p −= lrT·m/(√v + ε)`, where the caller's `lrT = lr·√(1 − b2ᵗ)/(1 − b1ᵗ)` at step `t`.
 *
 * @module
 */

import { type Expr, f64x2, i32, type Local, type ModuleBuilder, type Stmt, v128 } from "./emit.ts";
import { rowLoop, type RowPtr, rowPtr, swapHalves } from "./loops.ts";

/**
 * Adds `sgd`, `momentum`, `nesterov`, `adagrad`, `rmsprop` and `adam` to `mod`, in that order
 * (float64 arithmetic without multiply-adds, so there is no relaxed variant).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ModuleBuilder } from "./emit.ts";
 * import { emitOptimizers } from "./optimizers.ts";
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * emitOptimizers(mod);
 * assert(WebAssembly.validate(mod.toBytes()));
 * const memory = new WebAssembly.Memory({ initial: 1 }), v = new Float32Array(memory.buffer);
 * const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } })
 *   .exports as Record<string, (...args: number[]) => void>;
 * // p = [1, 2, 3, 4, 5] at byte 0, g = [1, 1, 1, 1, 1] at 64, velocity 0 at 128
 * v.set([1, 2, 3, 4, 5]), v.fill(1, 16, 21);
 * x.sgd(5, 0.5, 0, 64);
 * assert.deepEqual([...v.subarray(0, 5)], [0.5, 1.5, 2.5, 3.5, 4.5]);
 * x.momentum(5, 0.5, 0.9, 0, 64, 128); // v = −0.5, p −= 0.5
 * assert.deepEqual([...v.subarray(32, 37)], [-0.5, -0.5, -0.5, -0.5, -0.5]);
 * assert.deepEqual([...v.subarray(0, 5)], [0, 1, 2, 3, 4]);
 * ```
 */
export function emitOptimizers(mod: ModuleBuilder): void {
  /**
   * A flat update `name(len, ...hyper, ...arrays)` over `len` floats: `hyper` are float64
   * scalars, `arrays` the float32 arrays read; `step` computes the new values of those it
   * writes (the keys of its result) from float64 pairs, with `h.one` = 1 and `h.tiny` = 1e-7.
   */
  const update = (
    name: string,
    hyper: string[],
    arrays: string[],
    step: (v: Record<string, Expr>, h: Record<string, Expr>) => Record<string, Expr>,
  ) =>
    mod.func(
      name,
      {
        len: "i32",
        ...Object.fromEntries(hyper.map((k) => [k, "f64" as const])),
        ...Object.fromEntries(arrays.map((k) => [k, "i32" as const])),
      },
      "void",
      (p, f) => {
        const params = p as Record<string, Local>;
        const setup: Stmt[] = [], ptrs: Record<string, RowPtr> = {};
        for (const a of arrays) {
          const [s, ptr] = rowPtr(f, params[a].get() as Expr<"i32">, i32.const(0));
          setup.push(s), ptrs[a] = ptr;
        }
        const raw = Object.fromEntries(arrays.map((a) => [a, f.local("v128")]));
        const lo = Object.fromEntries(arrays.map((a) => [a, f.local("v128")]));
        const hi = Object.fromEntries(arrays.map((a) => [a, f.local("v128")]));
        const hl = Object.fromEntries(hyper.map((k) => [k, f.local("v128")]));
        for (const k of hyper) setup.push(hl[k].set(f64x2.splat(params[k].get())));
        const h = Object.fromEntries(hyper.map((k) => [k, hl[k].get()]));
        h.one = f.consts.f64(1);
        h.tiny = f.consts.f64(1e-7);
        const outs = Object.keys(step(
          Object.fromEntries(arrays.map((a) => [a, lo[a].get()])),
          h,
        ));
        const resLo = Object.fromEntries(outs.map((a) => [a, f.local("v128")]));
        const resHi = Object.fromEntries(outs.map((a) => [a, f.local("v128")]));
        const half = (src: Record<string, Local<"v128">>, dst: Record<string, Local<"v128">>) => {
          const r = step(Object.fromEntries(arrays.map((a) => [a, src[a].get()])), h);
          return outs.map((o) => dst[o].set(r[o]));
        };
        return [
          ...setup,
          rowLoop(f, i32.const(1), p.len as Local<"i32">, Object.values(ptrs), (io) => [
            ...arrays.map((a) => raw[a].set(io.load(ptrs[a].at))),
            ...arrays.map((a) => lo[a].set(f64x2.promote_low_f32x4(raw[a].get()))),
            ...arrays.map((a) => hi[a].set(f64x2.promote_low_f32x4(swapHalves(raw[a].get())))),
            ...half(lo, resLo),
            ...half(hi, resHi),
            ...outs.map((o) =>
              io.store(
                ptrs[o].at,
                v128.shuffle(
                  f64x2.demote_to_f32x4(resLo[o].get()),
                  f64x2.demote_to_f32x4(resHi[o].get()),
                  [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23],
                ),
              )
            ),
          ]),
        ];
      },
    );

  const dmul = f64x2.mul, dadd = f64x2.add, dsub = f64x2.sub, ddiv = f64x2.div;
  const denom = (x: Expr, h: Record<string, Expr>) => dadd(f64x2.sqrt(x), h.tiny);

  update("sgd", ["lr"], ["p", "g"], (v, h) => ({ p: dsub(v.p, dmul(h.lr, v.g)) }));
  update("momentum", ["lr", "mom"], ["p", "g", "v"], (v, h) => {
    const vn = dsub(dmul(h.mom, v.v), dmul(h.lr, v.g));
    return { v: vn, p: dadd(v.p, vn) };
  });
  update("nesterov", ["lr", "mom"], ["p", "g", "v"], (v, h) => {
    const vn = dsub(dmul(h.mom, v.v), dmul(h.lr, v.g));
    const p2 = dsub(
      dadd(v.p, dmul(dmul(h.mom, h.mom), vn)),
      dmul(dmul(dadd(h.one, h.mom), h.lr), v.g),
    );
    return { v: vn, p: p2 };
  });
  update("adagrad", ["lr"], ["p", "g", "h"], (v, h) => {
    const hn = dadd(v.h, dmul(v.g, v.g));
    return { h: hn, p: dsub(v.p, ddiv(dmul(h.lr, v.g), denom(hn, h))) };
  });
  update("rmsprop", ["lr", "decay"], ["p", "g", "h"], (v, h) => {
    const hn = dadd(dmul(v.h, h.decay), dmul(dmul(dsub(h.one, h.decay), v.g), v.g));
    return { h: hn, p: dsub(v.p, ddiv(dmul(h.lr, v.g), denom(hn, h))) };
  });
  update("adam", ["lrT", "b1", "b2"], ["p", "g", "m", "v"], (v, h) => {
    const mn = dadd(v.m, dmul(dsub(h.one, h.b1), dsub(v.g, v.m)));
    const vn = dadd(v.v, dmul(dsub(h.one, h.b2), dsub(dmul(v.g, v.g), v.v)));
    return { m: mn, v: vn, p: dsub(v.p, ddiv(dmul(h.lrT, mn), denom(vn, h))) };
  });
}
