/**
 * The embedding lookup and its gradient, over a table `W` of dense rows (`cols` floats each)
 * and `rows` int32 ids:
 *
 * - `gather(rows, cols, ids, W, out)`: `out[r] = W[ids[r]]` (a row copy each).
 * - `scatter_add(rows, cols, ids, dout, dW)`: `dW[ids[r]] += dout[r]`, in order of `r`
 *   (repeated ids accumulate).
 *
 * @module
 */

import { f32x4, forRange, i32, memory, type ModuleBuilder } from "./emit.ts";
import { rowLoop, rowPtr } from "./loops.ts";

/**
 * Adds `gather` and `scatter_add` to `mod`, in that order (neither has a multiply-add, so
 * there is no relaxed variant).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ModuleBuilder } from "./emit.ts";
 * import { emitEmbedding } from "./embedding.ts";
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * emitEmbedding(mod);
 * assert(WebAssembly.validate(mod.toBytes()));
 * const memory = new WebAssembly.Memory({ initial: 1 }), v = new Float32Array(memory.buffer);
 * const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } })
 *   .exports as Record<string, (...args: number[]) => void>;
 * // W: 3 rows of 2 at byte 0; ids [2, 0, 2] at byte 64; out at 128
 * v.set([1, 2, 3, 4, 5, 6]);
 * new Int32Array(memory.buffer, 64, 3).set([2, 0, 2]);
 * x.gather(3, 2, 64, 0, 128);
 * assert.deepEqual([...v.subarray(32, 38)], [5, 6, 1, 2, 5, 6]);
 * // dW (at byte 192, zero) += rows of dout = out
 * x.scatter_add(3, 2, 64, 128, 192);
 * assert.deepEqual([...v.subarray(48, 54)], [1, 2, 0, 0, 10, 12]);
 * ```
 */
export function emitEmbedding(mod: ModuleBuilder): void {
  const add = f32x4.add;

  mod.func(
    "gather",
    { rows: "i32", cols: "i32", ids: "i32", W: "i32", out: "i32" },
    "void",
    (p, f) => {
      const r = f.local("i32"), bytes = f.local("i32");
      return [
        bytes.set(i32.shl(p.cols.get(), i32.const(2))),
        forRange(
          r,
          i32.const(0),
          p.rows.get(),
          1,
          memory.copy(
            i32.add(p.out.get(), i32.mul(r.get(), bytes.get())),
            i32.add(
              p.W.get(),
              i32.mul(i32.load(i32.add(p.ids.get(), i32.shl(r.get(), i32.const(2)))), bytes.get()),
            ),
            bytes.get(),
          ),
        ),
      ];
    },
  );

  mod.func(
    "scatter_add",
    { rows: "i32", cols: "i32", ids: "i32", dout: "i32", dW: "i32" },
    "void",
    (p, f) => {
      const r = f.local("i32");
      const [s1, pd] = rowPtr(f, p.dout.get(), i32.const(0));
      const [s2, pw] = rowPtr(f, p.dW.get(), i32.const(0));
      const bytes = i32.shl(p.cols.get(), i32.const(2));
      return [
        s1,
        forRange(
          r,
          i32.const(0),
          p.rows.get(),
          1,
          s2,
          pw.start.set(
            i32.add(
              p.dW.get(),
              i32.mul(i32.load(i32.add(p.ids.get(), i32.shl(r.get(), i32.const(2)))), bytes),
            ),
          ),
          rowLoop(f, i32.const(1), p.cols, [pd, pw], (io) => [
            io.store(pw.at, add(io.load(pw.at), io.load(pd.at))),
          ]),
          pd.start.set(i32.add(pd.start.get(), bytes)),
        ),
      ];
    },
  );
}
