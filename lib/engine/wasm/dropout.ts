/**
 * Inverted dropout with the generator of `Rng` (`lib/random.ts`), so a run draws the same masks
 * on every backend:
 *
 * - `dropout(len, ratio, keep, state, x, mask, out)`: `mask[i] = uᵢ > ratio ? keep : 0`,
 *   `out[i] = x[i]·mask[i]`, where `uᵢ = ((a >>> 5)·2²⁶ + (b >>> 6))/2⁵³` (`Rng.uniform`) from
 *   the next two outputs `a`, `b` of sfc32 (`Rng.nextUint32`) on the four words at `state`,
 *   which are written back.
 *
 * @module
 */

import {
  f32,
  f64,
  forRange,
  i32,
  type Local,
  type ModuleBuilder,
  select,
  type Stmt,
} from "./emit.ts";

/**
 * Adds `dropout` to `mod` (scalar code: the generator is sequential).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emitDropout } from "./dropout.ts";
 * import { ModuleBuilder } from "./emit.ts";
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * emitDropout(mod);
 * assert(WebAssembly.validate(mod.toBytes()));
 * const memory = new WebAssembly.Memory({ initial: 1 }), v = new Float32Array(memory.buffer);
 * const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } })
 *   .exports as Record<string, (...args: number[]) => void>;
 * // sfc32 in JS, as Rng.nextUint32
 * const s = Uint32Array.of(1, 2, 3, 4), state = new Uint32Array(memory.buffer, 0, 4);
 * state.set(s);
 * const next = () => {
 *   const t = (s[0] + s[1] + s[3]) >>> 0;
 *   s[3]++, s[0] = s[1] ^ (s[1] >>> 9), s[1] = s[2] + (s[2] << 3);
 *   s[2] = ((s[2] << 21) | (s[2] >>> 11)) + t;
 *   return t;
 * };
 * // x = 1..100 at byte 16, mask at 512, out at 1024; ratio 0.5, keep 2
 * for (let i = 0; i < 100; i++) v[4 + i] = i + 1;
 * x.dropout(100, 0.5, 2, 0, 16, 512, 1024);
 * for (let i = 0; i < 100; i++) {
 *   const u = ((next() >>> 5) * 2 ** 26 + (next() >>> 6)) / 2 ** 53;
 *   assert(v[128 + i] === (u > 0.5 ? 2 : 0) && v[256 + i] === (i + 1) * v[128 + i]);
 * }
 * assert.deepEqual([...state], [...s]);
 * ```
 */
export function emitDropout(mod: ModuleBuilder): void {
  mod.func(
    "dropout",
    {
      len: "i32",
      ratio: "f64",
      keep: "f32",
      state: "i32",
      x: "i32",
      mask: "i32",
      out: "i32",
    },
    "void",
    (p, f) => {
      const [s0, s1, s2, s3, t, hi, i] = f.locals("i32", 7);
      const m = f.local("f32"), at = f.local("i32");
      const next = (into: Local<"i32">, shift: number): Stmt[] => [
        t.set(i32.add(i32.add(s0.get(), s1.get()), s3.get())),
        s3.inc(1),
        s0.set(i32.xor(s1.get(), i32.shr_u(s1.get(), i32.const(9)))),
        s1.set(i32.add(s2.get(), i32.shl(s2.get(), i32.const(3)))),
        s2.set(i32.add(i32.rotl(s2.get(), i32.const(21)), t.get())),
        into.set(i32.shr_u(t.get(), i32.const(shift))),
      ];
      const uniform = f64.mul(
        f64.add(
          f64.mul(f64.convert_i32_u(hi.get()), f64.const(67108864)),
          f64.convert_i32_u(t.get()),
        ),
        f64.const(1 / 9007199254740992),
      );
      return [
        s0.set(i32.load(p.state.get())),
        s1.set(i32.load(p.state.get(), 4)),
        s2.set(i32.load(p.state.get(), 8)),
        s3.set(i32.load(p.state.get(), 12)),
        forRange(
          i,
          i32.const(0),
          p.len.get(),
          1,
          ...next(hi, 5),
          ...next(t, 6),
          m.set(select(p.keep.get(), f32.const(0), f64.gt(uniform, p.ratio.get()))),
          at.set(i32.shl(i.get(), i32.const(2))),
          f32.store(i32.add(p.mask.get(), at.get()), m.get()),
          f32.store(
            i32.add(p.out.get(), at.get()),
            f32.mul(f32.load(i32.add(p.x.get(), at.get())), m.get()),
          ),
        ),
        i32.store(p.state.get(), s0.get()),
        i32.store(p.state.get(), s1.get(), 4),
        i32.store(p.state.get(), s2.get(), 8),
        i32.store(p.state.get(), s3.get(), 12),
      ];
    },
  );
}
