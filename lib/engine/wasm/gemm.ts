/**
 * The GEMM kernels emitted into the WebAssembly module: a register-blocked `MR × NR`
 * micro-kernel of f32x4 accumulators over packed panels, the loops over a cache block that
 * call it, and the packing routines. {@linkcode gemmDriver} (in TypeScript) cuts a product
 * into cache blocks and calls them.
 *
 * The scheme is GotoBLAS's, as XNNPACK's wasm SIMD GEMMs use it:
 * - `A` is packed into panels of `MR` rows: for each `p` of the block's `kc`, the panel holds
 *   `A[i0..i0+MR, p]` side by side, so the micro-kernel broadcasts them from one pointer with
 *   constant offsets (`v128.load32_splat`). Packing also takes care of `Aᵀ` and of the last
 *   partial panel (padded with zeros).
 * - `B` is read in strips of `NR` columns: row `p` of a strip is `NR` consecutive floats.
 *   When `B` is not transposed it is read in place (strip stride `ldb`); transposed, or for the
 *   last partial strip, it is packed into `kc × NR` panels first.
 * - The micro-kernel keeps the `MR × NR` tile of `C` in `MR·NR/4` registers for the whole
 *   `kc` loop, adds `A[i, p]·B[p, j..j+4]` with `f32x4.relaxed_madd` where the engine has it
 *   (one fused multiply-add), and touches `C` once at the end.
 *
 * @module
 */

import {
  brIf,
  f32,
  f32x4,
  forRange,
  type FunctionBuilder,
  i32,
  ifThen,
  loop,
  memory,
  type ModuleBuilder,
  seq,
  type Stmt,
  v128,
} from "./emit.ts";
import type { Expr } from "./emit.ts";

/**
 * Rows of the register tile: six rows of two f32x4 accumulators take 12 of the 16 vector
 * registers V8 gives wasm on x86-64 (four rows left the FMA units idle part of the time;
 * eight spill).
 */
export const MR = 6;
/**
 * Rows of the second tile, for products of few rows where six would leave rows of the last
 * panel empty: the recurrent steps of 10 or 20 rows (see {@linkcode tileRows}).
 */
export const MR_SMALL = 5;
/** Columns of the register tile (two f32x4 registers per row). */
export const NR = 8;

/** `a·b + c` for f32x4: fused where relaxed SIMD is available, else a multiply and an add. */
export function madder(relaxed: boolean): (a: Expr, b: Expr, c: Expr) => Expr<"v128"> {
  return relaxed
    ? (a, b, c) => f32x4.relaxed_madd(a, b, c)
    : (a, b, c) => f32x4.add(f32x4.mul(a, b), c);
}

/**
 * The tile height for a product of `m` rows: {@linkcode MR}, unless `m` is small (below 64)
 * and {@linkcode MR_SMALL}-row panels cover it with fewer empty rows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tileRows } from "./gemm.ts";
 * assert.equal(tileRows(700), 6);
 * assert.equal(tileRows(10), 5); // two full panels of 5, not 6 + 4 rows of 6
 * assert.equal(tileRows(12), 6);
 * ```
 */
export function tileRows(m: number): number {
  const padded = (mr: number) => Math.ceil(m / mr) * mr;
  return m < 64 && padded(MR_SMALL) < padded(MR) ? MR_SMALL : MR;
}

/** The GEMM functions of the module, per tile height. */
export interface GemmFunctions {
  /**
   * `gemm_macro_<mr>` `(mt, nt, kc, a, b, bStride, bPanel, c, ldc, acc)`: `mt × nt` tiles of C
   * (byte strides).
   */
  macro: Record<number, FunctionBuilder>;
  /**
   * `gemm_pack_a_<mr>` `(mc, kc, a, rowStride, colStride, dst)`: packs `mc × kc` of A into
   * `mr`-row panels.
   */
  packA: Record<number, FunctionBuilder>;
  /** `gemm_pack_b` `(kc, nc, b, rowStride, colStride, dst)`: packs `kc × nc` of B into NR-column panels. */
  packB: FunctionBuilder;
}

/**
 * Adds the GEMM functions to `mod`: the micro-kernel, macro-kernel and A packing for each
 * tile height of `tile.mrs` (default `[MR, MR_SMALL]`), and the B packing.
 */
export function emitGemm(
  mod: ModuleBuilder,
  relaxed: boolean,
  tile: { mrs?: number[]; nr?: number; unroll?: number } = {},
): GemmFunctions {
  const { mrs = [MR, MR_SMALL], nr = NR, unroll = 1 } = tile;
  const out: GemmFunctions = { macro: {}, packA: {}, packB: emitPackB(mod, nr) };
  for (const mr of mrs) {
    const { macro, packA } = emitTile(mod, relaxed, mr, nr, unroll);
    out.macro[mr] = macro;
    out.packA[mr] = packA;
  }
  return out;
}

/** The micro-kernel, macro-kernel and A packing of the `MR × NR` tile. */
function emitTile(
  mod: ModuleBuilder,
  relaxed: boolean,
  MR: number,
  NR: number,
  unroll: number,
): { macro: FunctionBuilder; packA: FunctionBuilder } {
  const madd = madder(relaxed);

  // The micro-kernel: C[MR, NR] (+)= Apanel[kc, MR]ᵀ · Bstrip[kc, NR].
  const micro = mod.func(
    `gemm_micro_${MR}`,
    { kc: "i32", a: "i32", b: "i32", bStride: "i32", c: "i32", ldc: "i32", acc: "i32" },
    "void",
    (p, f) => {
      const { kc, a, b, bStride, c, ldc, acc } = p;
      const n4 = NR / 4;
      const cs = f.locals("v128", MR * n4);
      const bs = f.locals("v128", n4);
      const ar = f.local("v128");
      const end = f.local("i32"), row = f.local("i32"), end2 = f.local("i32");
      const step = (): Stmt[] => [
        ...bs.map((bj, j) => bj.set(v128.load(b.get(), 16 * j))),
        ...Array.from({ length: MR }, (_, r) => [
          ar.set(v128.load32_splat(a.get(), 4 * r)),
          ...bs.map((bj, j) => cs[r * n4 + j].set(madd(ar.get(), bj.get(), cs[r * n4 + j].get()))),
        ]).flat(),
        a.inc(4 * MR),
        b.set(i32.add(b.get(), bStride.get())),
      ];
      const store = (accumulate: boolean): Stmt[] =>
        Array.from({ length: MR }, (_, r) => [
          ...Array.from({ length: n4 }, (_, j) => {
            const value = cs[r * n4 + j].get();
            return v128.store(
              row.get(),
              accumulate ? f32x4.add(v128.load(row.get(), 16 * j), value) : value,
              16 * j,
            );
          }),
          row.set(i32.add(row.get(), ldc.get())),
        ]).flat();
      return [
        ...cs.map((x) => x.set(v128.f32(0))),
        end.set(i32.add(a.get(), i32.mul(kc.get(), i32.const(4 * MR)))),
        ...(unroll === 1 ? [] : [
          end2.set(
            i32.add(a.get(), i32.mul(i32.and(kc.get(), i32.const(-unroll)), i32.const(4 * MR))),
          ),
          ifThen(
            i32.lt_s(a.get(), end2.get()),
            loop(
              ...Array.from({ length: unroll }, step).flat(),
              brIf(0, i32.lt_s(a.get(), end2.get())),
            ),
          ),
        ]),
        ifThen(
          i32.lt_s(a.get(), end.get()),
          loop(...step(), brIf(0, i32.lt_s(a.get(), end.get()))),
        ),
        row.set(c.get()),
        ifThen(acc.get(), store(true), store(false)),
      ];
    },
  );

  // mt × nt tiles: for each strip of B, every panel of A (the strip stays in L1).
  const macro = mod.func(
    `gemm_macro_${MR}`,
    {
      mt: "i32",
      nt: "i32",
      kc: "i32",
      a: "i32",
      b: "i32",
      bStride: "i32",
      bPanel: "i32",
      c: "i32",
      ldc: "i32",
      acc: "i32",
    },
    "void",
    (p, f) => {
      const { mt, nt, kc, a, b, bStride, bPanel, c, ldc, acc } = p;
      const jt = f.local("i32"), it = f.local("i32"), ap = f.local("i32"), cp = f.local("i32");
      const aPanel = i32.mul(kc.get(), i32.const(4 * MR));
      const cRows = i32.mul(ldc.get(), i32.const(MR));
      return [
        jt.set(i32.const(0)),
        ifThen(
          i32.lt_s(i32.const(0), i32.mul(mt.get(), nt.get())),
          loop(
            it.set(i32.const(0)),
            ap.set(a.get()),
            cp.set(i32.add(c.get(), i32.mul(jt.get(), i32.const(4 * NR)))),
            loop(
              micro.call(
                kc.get(),
                ap.get(),
                b.get(),
                bStride.get(),
                cp.get(),
                ldc.get(),
                acc.get(),
              ) as Stmt,
              ap.set(i32.add(ap.get(), aPanel)),
              cp.set(i32.add(cp.get(), cRows)),
              it.inc(1),
              brIf(0, i32.lt_s(it.get(), mt.get())),
            ),
            b.set(i32.add(b.get(), bPanel.get())),
            jt.inc(1),
            brIf(0, i32.lt_s(jt.get(), nt.get())),
          ),
        ),
      ];
    },
  );

  // A panels: dst[panel][p][r] = A[i0 + r, p], zeros past mc.
  // Element (i, p) of A is at a + i·rowStride + p·colStride (bytes).
  const packA = mod.func(
    `gemm_pack_a_${MR}`,
    { mc: "i32", kc: "i32", a: "i32", rowStride: "i32", colStride: "i32", dst: "i32" },
    "void",
    (p, f) => {
      const { mc, kc, a, rowStride, colStride, dst } = p;
      const i0 = f.local("i32"), k = f.local("i32"), r = f.local("i32");
      const src = f.local("i32"), out = f.local("i32");
      const rowPtr = (rr: number) => i32.add(src.get(), i32.mul(i32.const(rr), rowStride.get()));
      const rows = f.locals("v128", 4), t = f.locals("v128", 4), r2 = f.local("i32");
      const shuffle = (x: Expr, y: Expr, lanes: number[]) =>
        v128.shuffle(x, y, lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]));
      // rows along k (colStride 4, A not transposed): four k at a time, each four rows
      // through a 4×4 transpose in registers, the last two (or one) rows through lane
      // stores, instead of 4·MR single-float moves
      const panelAt = (pp: number, r0: number) => 4 * MR * pp + 4 * r0;
      const fourRows = (r0: number): Stmt[] => [
        ...rows.map((row, rr) => row.set(v128.load(rowPtr(r0 + rr)))),
        t[0].set(shuffle(rows[0].get(), rows[1].get(), [0, 4, 1, 5])),
        t[1].set(shuffle(rows[0].get(), rows[1].get(), [2, 6, 3, 7])),
        t[2].set(shuffle(rows[2].get(), rows[3].get(), [0, 4, 1, 5])),
        t[3].set(shuffle(rows[2].get(), rows[3].get(), [2, 6, 3, 7])),
        v128.store(dst.get(), shuffle(t[0].get(), t[2].get(), [0, 1, 4, 5]), panelAt(0, r0)),
        v128.store(dst.get(), shuffle(t[0].get(), t[2].get(), [2, 3, 6, 7]), panelAt(1, r0)),
        v128.store(dst.get(), shuffle(t[1].get(), t[3].get(), [0, 1, 4, 5]), panelAt(2, r0)),
        v128.store(dst.get(), shuffle(t[1].get(), t[3].get(), [2, 3, 6, 7]), panelAt(3, r0)),
      ];
      const twoRows = (r0: number): Stmt[] => [
        rows[0].set(v128.load(rowPtr(r0))),
        rows[1].set(v128.load(rowPtr(r0 + 1))),
        t[0].set(shuffle(rows[0].get(), rows[1].get(), [0, 4, 1, 5])),
        t[1].set(shuffle(rows[0].get(), rows[1].get(), [2, 6, 3, 7])),
        ...[0, 1, 2, 3].map((pp) =>
          v128.store64_lane(dst.get(), t[pp >> 1].get(), panelAt(pp, r0), pp & 1)
        ),
      ];
      const oneRow = (r0: number): Stmt[] => [
        rows[0].set(v128.load(rowPtr(r0))),
        ...[0, 1, 2, 3].map((pp) =>
          v128.store32_lane(dst.get(), rows[0].get(), panelAt(pp, r0), pp)
        ),
      ];
      const quads = Math.floor(MR / 4), rest = MR % 4;
      const transposed4x4 = () =>
        ifThen(
          i32.eq(colStride.get(), i32.const(4)),
          ifThen(
            i32.le_s(i32.const(4), kc.get()),
            loop(
              ...Array.from({ length: quads }, (_, q) => fourRows(4 * q)).flat(),
              ...(rest === 2 ? twoRows(4 * quads) : rest === 1 ? oneRow(4 * quads) : []),
              src.inc(16),
              dst.inc(16 * MR),
              k.inc(4),
              r2.set(i32.add(k.get(), i32.const(4))),
              brIf(0, i32.le_s(r2.get(), kc.get())),
            ),
          ),
        );
      return [
        forRange(
          i0,
          i32.const(0),
          mc.get(),
          MR,
          src.set(i32.add(a.get(), i32.mul(i0.get(), rowStride.get()))),
          ifThen(
            i32.ge_s(i32.sub(mc.get(), i0.get()), i32.const(MR)),
            // a full panel: MR values per p, one from each row
            seq(
              k.set(i32.const(0)),
              ...(MR % 4 < 3 ? [transposed4x4()] : []),
              ifThen(
                i32.lt_s(k.get(), kc.get()),
                loop(
                  ...Array.from(
                    { length: MR },
                    (_, rr) => f32.store(dst.get(), f32.load(rowPtr(rr)), 4 * rr),
                  ),
                  src.set(i32.add(src.get(), colStride.get())),
                  dst.inc(4 * MR),
                  k.inc(1),
                  brIf(0, i32.lt_s(k.get(), kc.get())),
                ),
              ),
            ),
            // the last panel: zeros, then the rows that exist
            seq(
              memory.fill(dst.get(), i32.const(0), i32.mul(kc.get(), i32.const(4 * MR))),
              forRange(
                r,
                i32.const(0),
                i32.sub(mc.get(), i0.get()),
                1,
                out.set(i32.add(dst.get(), i32.shl(r.get(), i32.const(2)))),
                forRange(
                  k,
                  i32.const(0),
                  kc.get(),
                  1,
                  f32.store(out.get(), f32.load(rowPtr(0))),
                  src.set(i32.add(src.get(), colStride.get())),
                  out.inc(4 * MR),
                ),
                src.set(
                  i32.add(
                    i32.sub(src.get(), i32.mul(kc.get(), colStride.get())),
                    rowStride.get(),
                  ),
                ),
              ),
              dst.set(i32.add(dst.get(), i32.mul(kc.get(), i32.const(4 * MR)))),
            ),
          ),
        ),
      ];
    },
  );

  return { macro, packA };
}

/** The B packing into `NR`-column strips. */
function emitPackB(mod: ModuleBuilder, NR: number): FunctionBuilder {
  // B strips: dst[strip][p][c] = B[p, j0 + c], zeros past nc.
  // Element (p, j) of B is at b + p·rowStride + j·colStride (bytes).
  return mod.func(
    "gemm_pack_b",
    { kc: "i32", nc: "i32", b: "i32", rowStride: "i32", colStride: "i32", dst: "i32" },
    "void",
    (p, f) => {
      const { kc, nc, b, rowStride, colStride, dst } = p;
      const j0 = f.local("i32"), k = f.local("i32"), c = f.local("i32");
      const src = f.local("i32"), out = f.local("i32");
      const colPtr = (cc: number) => i32.add(src.get(), i32.mul(i32.const(cc), colStride.get()));
      const stripBytes = i32.mul(kc.get(), i32.const(4 * NR));
      const cols = f.locals("v128", 4), t = f.locals("v128", 4), next = f.local("i32");
      const shuffle = (x: Expr, y: Expr, lanes: number[]) =>
        v128.shuffle(x, y, lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]));
      // columns c0..c0+3, k..k+3 loaded as four vectors along k, stored as four rows along j
      const block = (c0: number) => [
        ...cols.map((col, cc) => col.set(v128.load(colPtr(c0 + cc)))),
        t[0].set(shuffle(cols[0].get(), cols[1].get(), [0, 4, 1, 5])),
        t[1].set(shuffle(cols[0].get(), cols[1].get(), [2, 6, 3, 7])),
        t[2].set(shuffle(cols[2].get(), cols[3].get(), [0, 4, 1, 5])),
        t[3].set(shuffle(cols[2].get(), cols[3].get(), [2, 6, 3, 7])),
        v128.store(dst.get(), shuffle(t[0].get(), t[2].get(), [0, 1, 4, 5]), 4 * c0),
        v128.store(dst.get(), shuffle(t[0].get(), t[2].get(), [2, 3, 6, 7]), 4 * (c0 + NR)),
        v128.store(dst.get(), shuffle(t[1].get(), t[3].get(), [0, 1, 4, 5]), 4 * (c0 + 2 * NR)),
        v128.store(dst.get(), shuffle(t[1].get(), t[3].get(), [2, 3, 6, 7]), 4 * (c0 + 3 * NR)),
      ];
      const transposedStrip = () =>
        ifThen(
          i32.and(i32.eq(rowStride.get(), i32.const(4)), i32.le_s(i32.const(4), kc.get())),
          loop(
            ...Array.from({ length: NR / 4 }, (_, q) => block(4 * q)).flat(),
            src.inc(16),
            dst.inc(16 * NR),
            k.inc(4),
            next.set(i32.add(k.get(), i32.const(4))),
            brIf(0, i32.le_s(next.get(), kc.get())),
          ),
        );
      return [
        forRange(
          j0,
          i32.const(0),
          nc.get(),
          NR,
          src.set(i32.add(b.get(), i32.mul(j0.get(), colStride.get()))),
          ifThen(
            i32.ge_s(i32.sub(nc.get(), j0.get()), i32.const(NR)),
            ifThen(
              i32.eq(colStride.get(), i32.const(4)),
              // a full strip of contiguous columns: NR/4 vector copies per p
              forRange(
                k,
                i32.const(0),
                kc.get(),
                1,
                ...Array.from(
                  { length: NR / 4 },
                  (_, j) => v128.store(dst.get(), v128.load(src.get(), 16 * j), 16 * j),
                ),
                src.set(i32.add(src.get(), rowStride.get())),
                dst.inc(4 * NR),
              ),
              // a full strip of strided columns (B transposed): when each column runs along k
              // (rowStride 4), four k at a time through 4×4 transposes; then NR gathers per p
              seq(
                k.set(i32.const(0)),
                ...(NR % 4 === 0 ? [transposedStrip()] : []),
                ifThen(
                  i32.lt_s(k.get(), kc.get()),
                  loop(
                    ...Array.from(
                      { length: NR },
                      (_, cc) => f32.store(dst.get(), f32.load(colPtr(cc)), 4 * cc),
                    ),
                    src.set(i32.add(src.get(), rowStride.get())),
                    dst.inc(4 * NR),
                    k.inc(1),
                    brIf(0, i32.lt_s(k.get(), kc.get())),
                  ),
                ),
              ),
            ),
            // the last strip: zeros, then the columns that exist
            seq(
              memory.fill(dst.get(), i32.const(0), stripBytes),
              forRange(
                c,
                i32.const(0),
                i32.sub(nc.get(), j0.get()),
                1,
                out.set(i32.add(dst.get(), i32.shl(c.get(), i32.const(2)))),
                forRange(
                  k,
                  i32.const(0),
                  kc.get(),
                  1,
                  f32.store(out.get(), f32.load(colPtr(0))),
                  src.set(i32.add(src.get(), rowStride.get())),
                  out.inc(4 * NR),
                ),
                src.set(
                  i32.add(
                    i32.sub(src.get(), i32.mul(kc.get(), rowStride.get())),
                    colStride.get(),
                  ),
                ),
              ),
              dst.set(i32.add(dst.get(), stripBytes)),
            ),
          ),
        ),
      ];
    },
  );
}
