/**
 * The fused GRU step, pointwise over the `n` rows of a timestep (hidden width `h`). The gate
 * rows `g` (leading dimension `ldg`) hold the blocks `[z, r, ĥ]`, each `h` wide: the
 * pre-activations on the way in, the activations on the way out (`ĥ`'s pre-activation is
 * `x·Wxh + (r⊙hp)·Whh + bh`, so the step is split around that product).
 *
 * - `gru_gates(n, h, g, ldg, hp, ldhp, rh, ldrh)`: `z ← σ(z)`, `r ← σ(r)`; `rh = r⊙hp`.
 * - `gru_out(n, h, g, ldg, hp, ldhp, hn, ldhn)`: `ĥ ← tanh(ĥ)`; `hn = (1 − z)⊙hp + z⊙ĥ`.
 * - `gru_bwd_zh(n, h, g, dg, ldg, hp, ldhp, dhn, dhp)`: `dĥ = dhn⊙z⊙(1 − ĥ²)`,
 *   `dz = dhn⊙(ĥ − hp)⊙z(1 − z)` into `dg`'s blocks; `dhp = dhn⊙(1 − z)`.
 * - `gru_bwd_r(n, h, g, dg, ldg, hp, ldhp, dhr, dhp)`: `dhp += r⊙dhr`;
 *   `dr = dhr⊙hp⊙r(1 − r)` into `dg`'s block (`dhn`, `dhr`, `dhp` are dense, leading dimension
 *   `h`).
 *
 * @module
 */

import { f32x4, type ModuleBuilder } from "./emit.ts";
import { madder } from "./gemm.ts";
import { gatePtrs, rowLoop, rowPtr } from "./loops.ts";
import { SimdMath } from "./math.ts";

/**
 * Adds `gru_gates`, `gru_out`, `gru_bwd_zh` and `gru_bwd_r` to `mod`, in that order;
 * `relaxed` fuses their multiply-adds (and those of the activations).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ModuleBuilder } from "./emit.ts";
 * import { emitGru } from "./gru.ts";
 * for (const relaxed of [false, true]) {
 *   const mod = new ModuleBuilder().importMemory({ initial: 1 });
 *   emitGru(mod, relaxed);
 *   assert(WebAssembly.validate(mod.toBytes()));
 * }
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * emitGru(mod, false);
 * const memory = new WebAssembly.Memory({ initial: 1 }), v = new Float32Array(memory.buffer);
 * const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } })
 *   .exports as Record<string, (...args: number[]) => void>;
 * // one row, h = 1: gates [z, r, ĥ] at 0, hp at byte 16, rh at 32, hn at 48
 * const [z, r, hh, hp] = [0.5, -1, 0.3, 2];
 * v.set([z, r, hh, 0, hp]);
 * const s = (t: number) => 1 / (1 + Math.exp(-t));
 * x.gru_gates(1, 1, 0, 3, 16, 1, 32, 1);
 * assert(Math.abs(v[8] - s(r) * hp) < 1e-6);
 * x.gru_out(1, 1, 0, 3, 16, 1, 48, 1);
 * assert(Math.abs(v[12] - ((1 - s(z)) * hp + s(z) * Math.tanh(hh))) < 1e-6);
 * ```
 */
export function emitGru(mod: ModuleBuilder, relaxed: boolean): void {
  const madd = madder(relaxed);
  const sub = f32x4.sub, mul = f32x4.mul;

  mod.func(
    "gru_gates",
    {
      n: "i32",
      h: "i32",
      g: "i32",
      ldg: "i32",
      hp: "i32",
      ldhp: "i32",
      rh: "i32",
      ldrh: "i32",
    },
    "void",
    (p, f) => {
      const math = new SimdMath(f, relaxed), Z = f.local("v128");
      const [sg, [gz, gr]] = gatePtrs(f, p.g.get(), p.ldg.get(), p.h, [0, 1]);
      const [s1, php] = rowPtr(f, p.hp.get(), p.ldhp.get());
      const [s2, prh] = rowPtr(f, p.rh.get(), p.ldrh.get());
      return [
        sg,
        s1,
        s2,
        rowLoop(f, p.n.get(), p.h, [gz, gr, php, prh], (io) => [
          ...math.sigmoid(io.load(gz.at), Z),
          io.store(gz.at, Z.get()),
          ...math.sigmoid(io.load(gr.at), Z),
          io.store(gr.at, Z.get()),
          io.store(prh.at, mul(Z.get(), io.load(php.at))),
        ]),
      ];
    },
  );

  mod.func(
    "gru_out",
    {
      n: "i32",
      h: "i32",
      g: "i32",
      ldg: "i32",
      hp: "i32",
      ldhp: "i32",
      hn: "i32",
      ldhn: "i32",
    },
    "void",
    (p, f) => {
      const math = new SimdMath(f, relaxed), Z = f.local("v128"), HH = f.local("v128");
      const [sg, [gz, gh]] = gatePtrs(f, p.g.get(), p.ldg.get(), p.h, [0, 2]);
      const [s1, php] = rowPtr(f, p.hp.get(), p.ldhp.get());
      const [s2, phn] = rowPtr(f, p.hn.get(), p.ldhn.get());
      return [
        sg,
        s1,
        s2,
        rowLoop(f, p.n.get(), p.h, [gz, gh, php, phn], (io) => [
          Z.set(io.load(gz.at)),
          ...math.tanh(io.load(gh.at), HH),
          io.store(gh.at, HH.get()),
          // (1 − z)·hPrev + z·ĥ
          io.store(
            phn.at,
            madd(Z.get(), HH.get(), mul(sub(f.consts.f32(1), Z.get()), io.load(php.at))),
          ),
        ]),
      ];
    },
  );

  mod.func(
    "gru_bwd_zh",
    {
      n: "i32",
      h: "i32",
      g: "i32",
      dg: "i32",
      ldg: "i32",
      hp: "i32",
      ldhp: "i32",
      dhn: "i32",
      dhp: "i32",
    },
    "void",
    (p, f) => {
      const [Z, HH, DH] = f.locals("v128", 3);
      const [sg, [gz, gh]] = gatePtrs(f, p.g.get(), p.ldg.get(), p.h, [0, 2]);
      const [sd, [dz, dhh]] = gatePtrs(f, p.dg.get(), p.ldg.get(), p.h, [0, 2]);
      const [s1, php] = rowPtr(f, p.hp.get(), p.ldhp.get());
      const [s2, pdhn] = rowPtr(f, p.dhn.get(), p.h.get());
      const [s3, pdhp] = rowPtr(f, p.dhp.get(), p.h.get());
      return [
        sg,
        sd,
        s1,
        s2,
        s3,
        rowLoop(f, p.n.get(), p.h, [gz, gh, dz, dhh, php, pdhn, pdhp], (io) => [
          Z.set(io.load(gz.at)),
          HH.set(io.load(gh.at)),
          DH.set(io.load(pdhn.at)),
          io.store(
            dhh.at,
            mul(mul(DH.get(), Z.get()), sub(f.consts.f32(1), mul(HH.get(), HH.get()))),
          ),
          io.store(
            dz.at,
            mul(
              mul(DH.get(), sub(HH.get(), io.load(php.at))),
              mul(Z.get(), sub(f.consts.f32(1), Z.get())),
            ),
          ),
          io.store(pdhp.at, mul(DH.get(), sub(f.consts.f32(1), Z.get()))),
        ]),
      ];
    },
  );

  mod.func(
    "gru_bwd_r",
    {
      n: "i32",
      h: "i32",
      g: "i32",
      dg: "i32",
      ldg: "i32",
      hp: "i32",
      ldhp: "i32",
      dhr: "i32",
      dhp: "i32",
    },
    "void",
    (p, f) => {
      const [R, D] = f.locals("v128", 2);
      const [sg, [gr]] = gatePtrs(f, p.g.get(), p.ldg.get(), p.h, [1]);
      const [sd, [dr]] = gatePtrs(f, p.dg.get(), p.ldg.get(), p.h, [1]);
      const [s1, php] = rowPtr(f, p.hp.get(), p.ldhp.get());
      const [s2, pdhr] = rowPtr(f, p.dhr.get(), p.h.get());
      const [s3, pdhp] = rowPtr(f, p.dhp.get(), p.h.get());
      return [
        sg,
        sd,
        s1,
        s2,
        s3,
        rowLoop(f, p.n.get(), p.h, [gr, dr, php, pdhr, pdhp], (io) => [
          R.set(io.load(gr.at)),
          D.set(io.load(pdhr.at)),
          io.store(pdhp.at, madd(R.get(), D.get(), io.load(pdhp.at))),
          io.store(
            dr.at,
            mul(mul(D.get(), io.load(php.at)), mul(R.get(), sub(f.consts.f32(1), R.get()))),
          ),
        ]),
      ];
    },
  );
}
