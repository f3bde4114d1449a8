/**
 * The GEMM driver of the WebAssembly backend: the blocking of `C = op(A)·op(B)` around the
 * emitted packing and macro-kernel functions (`engine/wasm/gemm.ts`), on operands the backend
 * has already translated into byte addresses of the engine's memory.
 *
 * The product is cut into `KC`-deep slices and `MC × NC` blocks: `A`'s block is packed into
 * `MR`-row panels, `B`'s read in place when it is not transposed and `M` is small (no packing
 * cost per recurrent step), packed into `NR`-column strips otherwise; the emitted macro-kernel
 * then runs the `MR × NR` register tile over the block. Partial tiles are computed into a
 * scratch tile and added to `C` by `copy_rows`. Each element is summed over `k` in float32 in
 * the same order whatever the operands' places, so results do not depend on where they live.
 *
 * @module
 */

import type { GemmOptions } from "../interface.ts";
import type { Block, EngineHeap } from "../memory.ts";
import { MR, MR_SMALL, NR, tileRows } from "./gemm.ts";

/** Depth of a K slice: a `KC × NR` strip of B (8 KiB) stays in L1 while the A panels pass. */
const KC = 256;
/** Rows of A per block (a multiple of both tile heights): the packed `MC × KC` block (120 KiB) stays in L2. */
const MC = 120;
/** The taller tile: what the scratch areas are sized for. */
const MR_MAX = Math.max(MR, MR_SMALL);
/** Columns of B per block. */
const NC = 1024;
/** From this many rows of A on, B is packed even when it is not transposed. */
const PACK_B_ROWS = 64;

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** The driver's scratch areas in the engine's memory (each used only during a call). */
export interface GemmScratch {
  /** The packed `MC × KC` block of A (in `MR`-row panels). */
  readonly packA: Pick<Block, "offset">;
  /** The packed `KC × NC` block of B (in `NR`-column strips), or B's last partial strip. */
  readonly packB: Pick<Block, "offset">;
  /** The tile partial rows or columns of C are computed into. */
  readonly edge: Pick<Block, "offset">;
}

/**
 * The GEMM functions on byte addresses of the engine's memory (`lda`, `ldb`, `ldc` in
 * elements), as {@linkcode gemmDriver} makes them.
 */
export interface GemmDriver {
  /**
   * The scratch areas the driver packs into, held here so they live as long as the driver (a
   * block nobody holds is freed by the heap's finalizer, and its bytes handed out again).
   */
  readonly scratch: GemmScratch;
  /** `c (+)= op(a)·op(b)`, `op(a)` `(m, k)`, `op(b)` `(k, n)`, `c` `(m, n)`. */
  gemm(
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    options: GemmOptions,
  ): void;
  /** Packs `op(b)` `(k, n)` into `packed` ({@linkcode packedSize} floats). */
  packB(k: number, n: number, b: number, ldb: number, packed: number, transB?: boolean): void;
  /** `c (+)= op(a)·B` with `B` `(k, n)` packed by {@linkcode GemmDriver.packB}. */
  gemmPacked(
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    packed: number,
    c: number,
    ldc: number,
    options: { transA?: boolean; accumulate?: boolean },
  ): void;
}

/** `op(A)` from byte address `at`: element `(i, p)` at `at + i·rs + p·cs`. */
interface Panels {
  at: number;
  rs: number;
  cs: number;
}

/**
 * `op(B)` as `NR`-column strips from byte address `at`: rows of a strip `stride` bytes apart,
 * strips `panel` bytes apart, the zero-padded last strip (the `nc % NR` columns left) at `rem`.
 */
interface Strips {
  at: number;
  stride: number;
  panel: number;
  rem: number;
}

/**
 * Floats a packed `op(B)` of shape `(k, n)` takes: `k` rows of `n` rounded up to whole
 * `NR`-column strips.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { packedSize } from "./gemm_driver.ts";
 * assert(packedSize(3, 5) >= 15);
 * ```
 */
export function packedSize(k: number, n: number): number {
  return k * roundUp(n, NR);
}

/**
 * Allocates the driver's scratch areas in `heap` (kept for the backend's lifetime).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { engineHeap } from "../memory.ts";
 * import { gemmScratch } from "./gemm_driver.ts";
 * const scratch = gemmScratch(engineHeap());
 * assert(scratch.packA.offset % 64 === 0);
 * for (const block of Object.values(scratch)) block.free();
 * ```
 */
export function gemmScratch(heap: EngineHeap): { packA: Block; packB: Block; edge: Block } {
  return {
    packA: heap.alloc(4 * (MC + MR_MAX) * KC),
    packB: heap.alloc(4 * KC * (NC + NR)),
    edge: heap.alloc(4 * Math.max(MR_MAX * NC, (MC + MR_MAX) * NR)),
  };
}

/**
 * The GEMM driver over the exports `x` of an instance holding the emitted GEMM
 * (`gemm_pack_a_<mr>` and `gemm_macro_<mr>` for the tile heights `MR` and `MR_SMALL` of
 * `gemm.ts`, `gemm_pack_b`) and the pointwise `copy_rows` and `fill`, using the `scratch`
 * areas of its memory. Each product runs the tile height {@linkcode tileRows} picks for its
 * rows; the sums over `k` are the same for either.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { engineHeap } from "../memory.ts";
 * import { wasmFeatures } from "./backend.ts";
 * import { ModuleBuilder } from "./emit.ts";
 * import { emitGemm } from "./gemm.ts";
 * import { gemmDriver, gemmScratch } from "./gemm_driver.ts";
 * import { emitPointwise } from "./pointwise.ts";
 * const heap = engineHeap();
 * if (wasmFeatures().simd && heap.memory !== undefined) {
 *   const maximum = heap.shared ? 65536 : undefined;
 *   const mod = new ModuleBuilder().importMemory({ initial: 0, maximum, shared: heap.shared });
 *   emitGemm(mod, false);
 *   emitPointwise(mod, false);
 *   const module = new WebAssembly.Module(mod.toBytes());
 *   const x = new WebAssembly.Instance(module, { env: { memory: heap.memory } }).exports;
 *   const g = gemmDriver(x as Record<string, (...args: number[]) => number>, gemmScratch(heap));
 *   // (2×3)·(3×2): C = A·B
 *   const block = heap.alloc(4 * 16), v = block.f32();
 *   v.set([1, 2, 3, 4, 5, 6]), v.set([1, 0, 0, 1, 1, 1], 6);
 *   const at = (i: number) => block.offset + 4 * i;
 *   g.gemm(2, 2, 3, at(0), 3, at(6), 2, at(12), 2, {});
 *   assert(block.f32(12, 4).join() === "4,5,10,11");
 *   block.free();
 * }
 * ```
 */
export function gemmDriver(
  x: Record<string, (...args: number[]) => number>,
  scratch: GemmScratch,
): GemmDriver {
  const packA = scratch.packA.offset, packB = scratch.packB.offset, edge = scratch.edge.offset;
  /** The A packing and the macro-kernel of each tile height. */
  const tiles = new Map([MR, MR_SMALL].map((mr) => [mr, {
    packA: x[`gemm_pack_a_${mr}`],
    macro: x[`gemm_macro_${mr}`],
  }]));

  /** `C (+)= op(A)·B` for one `KC`-deep slice of `m` rows and `nc` columns. */
  function slice(
    m: number,
    nc: number,
    kc: number,
    A: Panels,
    B: Strips,
    c: number,
    ldc: number,
    acc: number,
  ): void {
    const nFull = Math.floor(nc / NR), nRem = nc % NR;
    const MR = tileRows(m), { packA: pack, macro } = tiles.get(MR)!;
    for (let ic = 0; ic < m; ic += MC) {
      const mc = Math.min(MC, m - ic), mFull = Math.floor(mc / MR), mRem = mc % MR;
      pack(mc, kc, A.at + ic * A.rs, A.rs, A.cs, packA);
      const cBase = c + 4 * ic * ldc;
      if (mFull > 0 && nFull > 0) {
        macro(mFull, nFull, kc, packA, B.at, B.stride, B.panel, cBase, 4 * ldc, acc);
      }
      if (mRem > 0 && nFull > 0) {
        // the last MR-row panel, all its rows into the edge tile, its mRem real rows added to C
        const aLast = packA + 4 * mFull * MR * kc, width = NR * nFull;
        macro(1, nFull, kc, aLast, B.at, B.stride, B.panel, edge, 4 * width, 0);
        x.copy_rows(mRem, width, edge, width, cBase + 4 * mFull * MR * ldc, ldc, acc);
      }
      if (nRem > 0) {
        // the zero-padded last strip for every panel into the edge tile, its nRem columns added
        macro(Math.ceil(mc / MR), 1, kc, packA, B.rem, 4 * NR, 0, edge, 4 * NR, 0);
        x.copy_rows(mc, nRem, edge, NR, cBase + 4 * NR * nFull, ldc, acc);
      }
    }
  }

  /** Zeroes (or keeps) `C` for a product with `k = 0`. */
  function emptyProduct(m: number, n: number, c: number, ldc: number, accumulate?: boolean) {
    if (accumulate) return;
    for (let i = 0; i < m; i++) x.fill(n, 0, c + 4 * i * ldc);
  }

  /** `op(A)` of a product, from element `p0` of the inner dimension on. */
  const panels = (a: number, lda: number, p0: number, transA?: boolean): Panels => {
    const rs = 4 * (transA ? 1 : lda), cs = 4 * (transA ? lda : 1);
    return { at: a + p0 * cs, rs, cs };
  };

  return {
    scratch,
    gemm(m, n, k, a, lda, b, ldb, c, ldc, o) {
      if (m === 0 || n === 0) return;
      if (k === 0) return emptyProduct(m, n, c, ldc, o.accumulate);
      // element (p, j) of op(B) at b + p·rsB + j·csB
      const rsB = 4 * (o.transB ? 1 : ldb), csB = 4 * (o.transB ? ldb : 1);
      const pack = o.transB || m >= PACK_B_ROWS;
      for (let jc = 0; jc < n; jc += NC) {
        const nc = Math.min(NC, n - jc), nFull = Math.floor(nc / NR), nRem = nc % NR;
        for (let p0 = 0; p0 < k; p0 += KC) {
          const kc = Math.min(KC, k - p0), acc = o.accumulate || p0 > 0 ? 1 : 0;
          const bBase = b + p0 * rsB + jc * csB;
          let B: Strips;
          if (pack) {
            x.gemm_pack_b(kc, nc, bBase, rsB, csB, packB);
            const panel = 4 * kc * NR;
            B = { at: packB, stride: 4 * NR, panel, rem: packB + nFull * panel };
          } else {
            // B's full strips read in place, its last partial strip packed (zero-padded)
            if (nRem > 0) x.gemm_pack_b(kc, nRem, bBase + nFull * NR * csB, rsB, csB, packB);
            B = { at: bBase, stride: rsB, panel: 4 * NR, rem: packB };
          }
          slice(m, nc, kc, panels(a, lda, p0, o.transA), B, c + 4 * jc, ldc, acc);
        }
      }
    },

    packB(k, n, b, ldb, packed, transB = false) {
      const nPad = roundUp(n, NR);
      const rsB = 4 * (transB ? 1 : ldb), csB = 4 * (transB ? ldb : 1);
      for (let pc = 0; pc < k; pc += KC) {
        x.gemm_pack_b(Math.min(KC, k - pc), n, b + pc * rsB, rsB, csB, packed + 4 * pc * nPad);
      }
    },

    gemmPacked(m, n, k, a, lda, packed, c, ldc, o) {
      if (m === 0 || n === 0) return;
      if (k === 0) return emptyProduct(m, n, c, ldc, o.accumulate);
      const nPad = roundUp(n, NR);
      for (let jc = 0; jc < n; jc += NC) {
        const nc = Math.min(NC, n - jc), nFull = Math.floor(nc / NR);
        for (let p0 = 0; p0 < k; p0 += KC) {
          const kc = Math.min(KC, k - p0), acc = o.accumulate || p0 > 0 ? 1 : 0;
          const panel = 4 * kc * NR, at = packed + 4 * p0 * nPad + (jc / NR) * panel;
          const B = { at, stride: 4 * NR, panel, rem: at + nFull * panel };
          slice(m, nc, kc, panels(a, lda, p0, o.transA), B, c + 4 * jc, ldc, acc);
        }
      }
    },
  };
}
