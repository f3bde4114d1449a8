/**
 * The fused LSTM step, pointwise over the `n` rows of a timestep (hidden width `h`). The gate
 * rows `g` (leading dimension `ldg`) hold the blocks `[f, g, i, o]`, each `h` wide: the
 * pre-activations on the way in, the activations on the way out.
 *
 * - `lstm_fwd(n, h, g, ldg, cp, ldcp, cn, hn, ldo)`: `f, i, o ← σ(·)`, `g ← tanh(g)`;
 *   `cn = f⊙cp + g⊙i`; `hn = o⊙tanh(cn)` (`cn` and `hn` share the leading dimension `ldo`).
 * - `lstm_bwd(n, h, g, dg, ldg, cp, ldcp, cn, ldc, dh, dc)`: from the activated gates,
 *   `ds = dc + dh⊙o⊙(1 − tanh(cn)²)`; `df = ds⊙cp⊙f(1 − f)`, `dg = ds⊙i⊙(1 − g²)`,
 *   `di = ds⊙g⊙i(1 − i)`, `do = dh⊙tanh(cn)⊙o(1 − o)` into `dg`'s blocks; `dc ← ds⊙f` (the
 *   gradient of `cp`; `dh` and `dc` are dense, leading dimension `h`).
 *
 * @module
 */

import { type Expr, f32x4, type ModuleBuilder } from "./emit.ts";
import { madder } from "./gemm.ts";
import { gatePtrs, rowLoop, rowPtr } from "./loops.ts";
import { SimdMath } from "./math.ts";

/**
 * Adds `lstm_fwd` and `lstm_bwd` to `mod`, in that order; `relaxed` fuses their multiply-adds
 * (and those of the activations).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ModuleBuilder } from "./emit.ts";
 * import { emitLstm } from "./lstm.ts";
 * for (const relaxed of [false, true]) {
 *   const mod = new ModuleBuilder().importMemory({ initial: 1 });
 *   emitLstm(mod, relaxed);
 *   assert(WebAssembly.validate(mod.toBytes()));
 * }
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * emitLstm(mod, false);
 * const memory = new WebAssembly.Memory({ initial: 1 }), v = new Float32Array(memory.buffer);
 * const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } })
 *   .exports as Record<string, (...args: number[]) => void>;
 * // one row, h = 1: gates [f, g, i, o] at 0, cp at byte 16, cn at 32, hn at 48
 * const [f, g, i, o, cp] = [0.5, -1, 2, 0, 0.75];
 * v.set([f, g, i, o, cp]);
 * x.lstm_fwd(1, 1, 0, 4, 16, 1, 32, 48, 1);
 * const s = (t: number) => 1 / (1 + Math.exp(-t));
 * const cn = s(f) * cp + Math.tanh(g) * s(i);
 * assert(Math.abs(v[8] - cn) < 1e-6);
 * assert(Math.abs(v[12] - s(o) * Math.tanh(cn)) < 1e-6);
 * assert(Math.abs(v[0] - s(f)) < 1e-6 && Math.abs(v[1] - Math.tanh(g)) < 1e-6);
 * ```
 */
export function emitLstm(mod: ModuleBuilder, relaxed: boolean): void {
  const madd = madder(relaxed);
  const sub = f32x4.sub, mul = f32x4.mul;

  mod.func(
    "lstm_fwd",
    {
      n: "i32",
      h: "i32",
      g: "i32",
      ldg: "i32",
      cp: "i32",
      ldcp: "i32",
      cn: "i32",
      hn: "i32",
      ldo: "i32",
    },
    "void",
    (p, f) => {
      const math = new SimdMath(f, relaxed);
      const [F, G, I, O, C, T] = f.locals("v128", 6);
      const [sg, [gf, gg, gi, go]] = gatePtrs(f, p.g.get(), p.ldg.get(), p.h, [0, 1, 2, 3]);
      const [s1, pcp] = rowPtr(f, p.cp.get(), p.ldcp.get());
      const [s2, pcn] = rowPtr(f, p.cn.get(), p.ldo.get());
      const [s3, phn] = rowPtr(f, p.hn.get(), p.ldo.get());
      return [
        sg,
        s1,
        s2,
        s3,
        rowLoop(f, p.n.get(), p.h, [gf, gg, gi, go, pcp, pcn, phn], (io) => [
          ...math.sigmoid(io.load(gf.at), F),
          io.store(gf.at, F.get()),
          ...math.tanh(io.load(gg.at), G),
          io.store(gg.at, G.get()),
          ...math.sigmoid(io.load(gi.at), I),
          io.store(gi.at, I.get()),
          ...math.sigmoid(io.load(go.at), O),
          io.store(go.at, O.get()),
          C.set(madd(F.get(), io.load(pcp.at), mul(G.get(), I.get()))),
          io.store(pcn.at, C.get()),
          ...math.tanh(C.get(), T),
          io.store(phn.at, mul(O.get(), T.get())),
        ]),
      ];
    },
  );

  mod.func(
    "lstm_bwd",
    {
      n: "i32",
      h: "i32",
      g: "i32",
      dg: "i32",
      ldg: "i32",
      cp: "i32",
      ldcp: "i32",
      cn: "i32",
      ldc: "i32",
      dh: "i32",
      dc: "i32",
    },
    "void",
    (p, f) => {
      const math = new SimdMath(f, relaxed);
      const [F, G, I, O, TC, DH, DS] = f.locals("v128", 7);
      const [sg, [gf, gg, gi, go]] = gatePtrs(f, p.g.get(), p.ldg.get(), p.h, [0, 1, 2, 3]);
      const [sd, [df, dgg, di, dO]] = gatePtrs(f, p.dg.get(), p.ldg.get(), p.h, [0, 1, 2, 3]);
      const [s1, pcp] = rowPtr(f, p.cp.get(), p.ldcp.get());
      const [s2, pcn] = rowPtr(f, p.cn.get(), p.ldc.get());
      const [s3, pdh] = rowPtr(f, p.dh.get(), p.h.get());
      const [s4, pdc] = rowPtr(f, p.dc.get(), p.h.get());
      const oneMinus = (x: Expr) => sub(f.consts.f32(1), x);
      return [
        sg,
        sd,
        s1,
        s2,
        s3,
        s4,
        rowLoop(f, p.n.get(), p.h, [gf, gg, gi, go, df, dgg, di, dO, pcp, pcn, pdh, pdc], (io) => [
          F.set(io.load(gf.at)),
          G.set(io.load(gg.at)),
          I.set(io.load(gi.at)),
          O.set(io.load(go.at)),
          ...math.tanh(io.load(pcn.at), TC),
          DH.set(io.load(pdh.at)),
          // ds = dc + dh·o·(1 − tanh(c)²)
          DS.set(
            madd(
              mul(DH.get(), O.get()),
              oneMinus(mul(TC.get(), TC.get())),
              io.load(pdc.at),
            ),
          ),
          io.store(df.at, mul(mul(DS.get(), io.load(pcp.at)), mul(F.get(), oneMinus(F.get())))),
          io.store(dgg.at, mul(mul(DS.get(), I.get()), oneMinus(mul(G.get(), G.get())))),
          io.store(di.at, mul(mul(DS.get(), G.get()), mul(I.get(), oneMinus(I.get())))),
          io.store(dO.at, mul(mul(DH.get(), TC.get()), mul(O.get(), oneMinus(O.get())))),
          io.store(pdc.at, mul(DS.get(), F.get())),
        ]),
      ];
    },
  );
}
