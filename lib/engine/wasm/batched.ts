/**
 * The batched small products of attention (`Kernels.gemmBatched`): `batch` independent
 * products `C_i (+)= op(A_i)·op(B_i)`, the `i`-th block of each operand `step` bytes after the
 * previous one, the whole batch looped over inside one call. The blocks are small (a few to a
 * few hundred floats a side: `T ≤ 30` scores per row, hidden widths `H` up to a few hundred), too
 * small for the packing of the GEMM driver to pay, so each product is computed straight from
 * its operands, summed in float32 (in the two SIMD functions, with fused multiply-adds where
 * relaxed SIMD validates):
 *
 * - `gemm_batched_nn(batch, m, n, k, a, ars, acs, aStep, b, ldb, bStep, c, ldc, cStep, acc)`:
 *   `op(B)` not transposed, element `(r, p)` of `op(A)` at `a + r·ars + p·acs` (so `A` or `Aᵀ`).
 *   Vectorised over the columns of `C`: for a tile of 2 rows (or 1) × 16 columns (or 4, or 1
 *   lane), each `p` adds a broadcast `op(A)[r, p]` times row `p` of `B` to accumulators held in
 *   registers over the whole `k` loop; `C` is touched once.
 * - `gemm_batched_nt(batch, m, n, k, a, lda, aStep, b, ldb, bStep, c, ldc, cStep, acc)`:
 *   `A·Bᵀ`, rows of `A` and of `B` contiguous along `k`: dot products four floats at a time.
 *   A tile of 2 rows of `A` (or 1) × 4 rows of `B` (or 1) keeps one accumulator per pair; the
 *   four sums of a row are reduced by a 4 × 4 transpose of adds into one vector, which is
 *   stored as four consecutive floats of `C`. The last `k % 4` products enter lane 0 alone.
 * - `gemm_batched_tt(batch, m, n, k, a, lda, aStep, b, ldb, bStep, c, ldc, cStep, acc)`:
 *   `Aᵀ·Bᵀ`, which attention does not need: plain scalar loops, one float32 dot product per
 *   element.
 *
 * Addresses, leading dimensions and steps are in bytes; `acc ≠ 0` adds the product to `C`
 * (the sum over `k` first, then `C` added: as the GEMM micro-kernel does). An element's sum
 * does not depend on the tile it falls in: `p` in order in `gemm_batched_nn` and
 * `gemm_batched_tt`; in `gemm_batched_nt`, four lanes, lane `q` taking the `p ≡ q (mod 4)` below
 * `k − k % 4` and lane 0 the rest, then `(s₀ + s₂) + (s₁ + s₃)`.
 *
 * @module
 */

import {
  brIf,
  type Expr,
  f32,
  f32x4,
  forRange,
  type FunctionBuilder,
  i32,
  ifThen,
  type Local,
  loop,
  type ModuleBuilder,
  type Stmt,
  v128,
} from "./emit.ts";
import { madder } from "./gemm.ts";

/** Rows of `C` per tile (the last `m % ROWS` rows run a one-row tile). */
const ROWS = 2;
/** Vectors of four columns per tile of `gemm_batched_nn` (then one vector, then one lane). */
const VECS = 4;

/** `while (i + step <= end) { body; i += step }`: a guarded do-while, as `rowLoop`'s. */
function stepLoop(i: Local<"i32">, step: number, end: Expr<"i32">, body: Stmt[]): Stmt {
  const fits = () =>
    step === 1 ? i32.lt_s(i.get(), end) : i32.le_s(i32.add(i.get(), i32.const(step)), end);
  return ifThen(fits(), loop(...body, i.inc(step), brIf(0, fits())));
}

/** The address of row `i` after the row at `base`, rows `ld` bytes apart. */
function nth(base: Expr<"i32">, ld: Expr<"i32">, i: number): Expr<"i32"> {
  return i === 0 ? base : i32.add(base, i === 1 ? ld : i32.mul(i32.const(i), ld));
}

/** `i8x16.shuffle` by 32-bit lanes: lanes 0–3 of `x`, 4–7 of `y`. */
function shuffle32(x: Expr, y: Expr, lanes: number[]): Expr<"v128"> {
  return v128.shuffle(x, y, lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]));
}

/**
 * `[Σ x₀, Σ x₁, Σ x₂, Σ x₃]` of four vectors, each sum `(l₀ + l₂) + (l₁ + l₃)` of its lanes:
 * a 4 × 4 transpose of adds.
 */
function transposeSum(x: Expr[]): Expr<"v128"> {
  const half = (a: Expr, b: Expr) =>
    f32x4.add(shuffle32(a, b, [0, 4, 1, 5]), shuffle32(a, b, [2, 6, 3, 7]));
  const u01 = half(x[0], x[1]), u23 = half(x[2], x[3]);
  // u01 = [x0₀+x0₂, x1₀+x1₂, x0₁+x0₃, x1₁+x1₃], likewise u23: add its halves
  return f32x4.add(shuffle32(u01, u23, [0, 1, 4, 5]), shuffle32(u01, u23, [2, 3, 6, 7]));
}

/** The sum of one vector's lanes in {@linkcode transposeSum}'s order. */
function laneSum(x: Local<"v128">): Expr<"f32"> {
  const l = (q: number) => f32x4.extract_lane(x.get(), q);
  return f32.add(f32.add(l(0), l(2)), f32.add(l(1), l(3)));
}

/** Loads and stores of four lanes, or of lane 0 alone (the other lanes loaded as zeros). */
interface Lanes {
  load(addr: Expr, offset?: number): Expr<"v128">;
  store(addr: Expr, v: Expr, offset?: number): Stmt;
}
const FULL: Lanes = {
  load: (addr, offset = 0) => v128.load(addr, offset),
  store: (addr, v, offset = 0) => v128.store(addr, v, offset),
};
const LANE0: Lanes = {
  load: (addr, offset = 0) => v128.load32_zero(addr, offset),
  store: (addr, v, offset = 0) => v128.store32_lane(addr, v, offset, 0),
};

/** The parameters of `gemm_batched_nt` and `gemm_batched_tt`. */
const BATCHED = {
  batch: "i32",
  m: "i32",
  n: "i32",
  k: "i32",
  a: "i32",
  lda: "i32",
  aStep: "i32",
  b: "i32",
  ldb: "i32",
  bStep: "i32",
  c: "i32",
  ldc: "i32",
  cStep: "i32",
  acc: "i32",
} as const;

/**
 * `for each block: body`, with `a`, `b`, `c` (parameters) advanced by their steps after each
 * block.
 */
function overBlocks(
  f: FunctionBuilder,
  p: { batch: Local<"i32">; a: Local<"i32">; b: Local<"i32">; c: Local<"i32"> },
  steps: { a: Local<"i32">; b: Local<"i32">; c: Local<"i32"> },
  body: Stmt[],
): Stmt {
  const i = f.local("i32");
  return forRange(
    i,
    i32.const(0),
    p.batch.get(),
    1,
    ...body,
    p.a.inc(steps.a.get()),
    p.b.inc(steps.b.get()),
    p.c.inc(steps.c.get()),
  );
}

/**
 * Adds `gemm_batched_nn`, `gemm_batched_nt` and `gemm_batched_tt` to `mod`, in that order;
 * `relaxed` fuses the multiply-adds of the first two (`f32x4.relaxed_madd`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emitBatched } from "./batched.ts";
 * import { ModuleBuilder } from "./emit.ts";
 * for (const relaxed of [false, true]) {
 *   const mod = new ModuleBuilder().importMemory({ initial: 1 });
 *   emitBatched(mod, relaxed);
 *   assert(WebAssembly.validate(mod.toBytes()));
 * }
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * emitBatched(mod, false);
 * const memory = new WebAssembly.Memory({ initial: 1 }), v = new Float32Array(memory.buffer);
 * const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } })
 *   .exports as Record<string, (...args: number[]) => void>;
 * // two blocks: s_i = h_i·hs_iᵀ, h (2, 3) at byte 0, hs (2·2, 3) at 64, s (2, 2) at 128
 * v.set([1, 2, 3, 4, 5, 6]);
 * v.set([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1], 16);
 * x.gemm_batched_nt(2, 1, 2, 3, 0, 12, 12, 64, 12, 24, 128, 8, 8, 0);
 * assert.deepEqual([...v.subarray(32, 36)], [1, 2, 6, 15]);
 * // c_i = a_i·hs_i: a (2, 2) at 192, c (2, 3) at 256 (row p of hs_i read at b + p·ldb)
 * v.set([1, 1, 2, 0], 48);
 * x.gemm_batched_nn(2, 1, 3, 2, 192, 8, 4, 8, 64, 12, 24, 256, 12, 12, 0);
 * assert.deepEqual([...v.subarray(64, 70)], [1, 1, 0, 0, 0, 2]);
 * ```
 */
export function emitBatched(mod: ModuleBuilder, relaxed: boolean): void {
  const madd = madder(relaxed);

  // C (+)= op(A)·B: tiles of R rows × (16 | 4 | 1) columns, the accumulators in registers
  // over the whole k loop, each step one broadcast element of op(A) per row times a row of B.
  mod.func(
    "gemm_batched_nn",
    {
      batch: "i32",
      m: "i32",
      n: "i32",
      k: "i32",
      a: "i32",
      ars: "i32",
      acs: "i32",
      aStep: "i32",
      b: "i32",
      ldb: "i32",
      bStep: "i32",
      c: "i32",
      ldc: "i32",
      cStep: "i32",
      acc: "i32",
    },
    "void",
    (p, f) => {
      const r = f.local("i32"), j = f.local("i32"), q = f.local("i32");
      const ap = f.local("i32"), bp = f.local("i32"), cp = f.local("i32");
      const accs = f.locals("v128", ROWS * VECS), bs = f.locals("v128", VECS);
      const as = f.locals("v128", ROWS);
      /** The tile of `R` rows from `r` and `V` vectors (of `io`'s lanes) from column `j`. */
      const tile = (R: number, V: number, io: Lanes): Stmt[] => {
        const acc = (rr: number, v: number) => accs[rr * VECS + v];
        const out = (accumulate: boolean) =>
          Array.from({ length: R }, (_, rr) =>
            Array.from({ length: V }, (_, v) => {
              const at = nth(cp.get(), p.ldc.get(), rr);
              const value = acc(rr, v).get();
              return io.store(
                at,
                accumulate ? f32x4.add(io.load(at, 16 * v), value) : value,
                16 * v,
              );
            })).flat();
        return [
          ...Array.from({ length: R * V }, (_, t) => acc(Math.floor(t / V), t % V))
            .map((x) => x.set(v128.f32(0))),
          ap.set(i32.add(p.a.get(), i32.mul(r.get(), p.ars.get()))),
          bp.set(i32.add(p.b.get(), i32.shl(j.get(), i32.const(2)))),
          forRange(
            q,
            i32.const(0),
            p.k.get(),
            1,
            ...Array.from({ length: V }, (_, v) => bs[v].set(io.load(bp.get(), 16 * v))),
            ...Array.from({ length: R }, (_, rr) => [
              as[rr].set(
                v128.load32_splat(nth(ap.get(), p.ars.get(), rr)),
              ),
              ...Array.from(
                { length: V },
                (_, v) => acc(rr, v).set(madd(as[rr].get(), bs[v].get(), acc(rr, v).get())),
              ),
            ]).flat(),
            ap.inc(p.acs.get()),
            bp.inc(p.ldb.get()),
          ),
          cp.set(
            i32.add(
              i32.add(p.c.get(), i32.mul(r.get(), p.ldc.get())),
              i32.shl(j.get(), i32.const(2)),
            ),
          ),
          ifThen(p.acc.get(), out(true), out(false)),
        ];
      };
      const rowsOf = (R: number): Stmt[] => [
        j.set(i32.const(0)),
        stepLoop(j, 4 * VECS, p.n.get(), tile(R, VECS, FULL)),
        stepLoop(j, 4, p.n.get(), tile(R, 1, FULL)),
        stepLoop(j, 1, p.n.get(), tile(R, 1, LANE0)),
      ];
      return [
        overBlocks(f, p, { a: p.aStep, b: p.bStep, c: p.cStep }, [
          r.set(i32.const(0)),
          stepLoop(r, ROWS, p.m.get(), rowsOf(ROWS)),
          stepLoop(r, 1, p.m.get(), rowsOf(1)),
        ]),
      ];
    },
  );

  // C (+)= A·Bᵀ: tiles of R rows of A × (4 | 1) rows of B, one accumulator per pair, k four
  // floats a step (then lane 0 alone); each tile row's sums reduced into one vector of C.
  mod.func("gemm_batched_nt", BATCHED, "void", (p, f) => {
    const r = f.local("i32"), j = f.local("i32"), q = f.local("i32");
    const ap = f.local("i32"), bp = f.local("i32"), cp = f.local("i32");
    const ldb2 = f.local("i32"), ldb3 = f.local("i32");
    const accs = f.locals("v128", ROWS * 4), as = f.locals("v128", ROWS), bv = f.local("v128");
    /** `B`'s row `jj` of the tile, at the cursor. */
    const bRow = (jj: number) =>
      jj === 0 ? bp.get() : i32.add(bp.get(), [p.ldb, ldb2, ldb3][jj - 1].get());
    /** The tile of `R` rows of `A` from `r` and `J` rows of `B` (columns of `C`) from `j`. */
    const tile = (R: number, J: number): Stmt[] => {
      const acc = (rr: number, jj: number) => accs[rr * 4 + jj];
      const step = (io: Lanes) => [
        ...Array.from(
          { length: R },
          (_, rr) => as[rr].set(io.load(nth(ap.get(), p.lda.get(), rr))),
        ),
        ...Array.from({ length: J }, (_, jj) => [
          bv.set(io.load(bRow(jj))),
          ...Array.from(
            { length: R },
            (_, rr) => acc(rr, jj).set(madd(as[rr].get(), bv.get(), acc(rr, jj).get())),
          ),
        ]).flat(),
      ];
      const out = (accumulate: boolean) =>
        Array.from({ length: R }, (_, rr) => {
          const at = nth(cp.get(), p.ldc.get(), rr);
          if (J === 4) {
            const s = transposeSum([0, 1, 2, 3].map((jj) => acc(rr, jj).get()));
            return v128.store(at, accumulate ? f32x4.add(v128.load(at), s) : s);
          }
          const s = laneSum(acc(rr, 0));
          return f32.store(at, accumulate ? f32.add(f32.load(at), s) : s);
        });
      return [
        ...Array.from({ length: R * J }, (_, t) => acc(Math.floor(t / J), t % J))
          .map((x) => x.set(v128.f32(0))),
        ap.set(i32.add(p.a.get(), i32.mul(r.get(), p.lda.get()))),
        bp.set(i32.add(p.b.get(), i32.mul(j.get(), p.ldb.get()))),
        q.set(i32.const(0)),
        stepLoop(q, 4, p.k.get(), [...step(FULL), ap.inc(16), bp.inc(16)]),
        stepLoop(q, 1, p.k.get(), [...step(LANE0), ap.inc(4), bp.inc(4)]),
        cp.set(
          i32.add(
            i32.add(p.c.get(), i32.mul(r.get(), p.ldc.get())),
            i32.shl(j.get(), i32.const(2)),
          ),
        ),
        ifThen(p.acc.get(), out(true), out(false)),
      ];
    };
    const rowsOf = (R: number): Stmt[] => [
      j.set(i32.const(0)),
      stepLoop(j, 4, p.n.get(), tile(R, 4)),
      stepLoop(j, 1, p.n.get(), tile(R, 1)),
    ];
    return [
      ldb2.set(i32.shl(p.ldb.get(), i32.const(1))),
      ldb3.set(i32.add(ldb2.get(), p.ldb.get())),
      overBlocks(f, p, { a: p.aStep, b: p.bStep, c: p.cStep }, [
        r.set(i32.const(0)),
        stepLoop(r, ROWS, p.m.get(), rowsOf(ROWS)),
        stepLoop(r, 1, p.m.get(), rowsOf(1)),
      ]),
    ];
  });

  // C (+)= Aᵀ·Bᵀ, element by element: A (k, m) and B (n, k) blocks.
  mod.func("gemm_batched_tt", BATCHED, "void", (p, f) => {
    const r = f.local("i32"), j = f.local("i32"), q = f.local("i32");
    const ap = f.local("i32"), bp = f.local("i32"), cp = f.local("i32"), s = f.local("f32");
    return [
      overBlocks(f, p, { a: p.aStep, b: p.bStep, c: p.cStep }, [
        forRange(
          r,
          i32.const(0),
          p.m.get(),
          1,
          forRange(
            j,
            i32.const(0),
            p.n.get(),
            1,
            s.set(f32.const(0)),
            ap.set(i32.add(p.a.get(), i32.shl(r.get(), i32.const(2)))),
            bp.set(i32.add(p.b.get(), i32.mul(j.get(), p.ldb.get()))),
            forRange(
              q,
              i32.const(0),
              p.k.get(),
              1,
              s.set(f32.add(s.get(), f32.mul(f32.load(ap.get()), f32.load(bp.get())))),
              ap.inc(p.lda.get()),
              bp.inc(4),
            ),
            cp.set(
              i32.add(
                i32.add(p.c.get(), i32.mul(r.get(), p.ldc.get())),
                i32.shl(j.get(), i32.const(2)),
              ),
            ),
            ifThen(p.acc.get(), s.set(f32.add(f32.load(cp.get()), s.get()))),
            f32.store(cp.get(), s.get()),
          ),
        ),
      ]),
    ];
  });
}
