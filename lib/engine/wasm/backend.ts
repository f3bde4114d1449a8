/**
 * The WebAssembly SIMD backend: emits the kernel module at load time (no `.wasm` file, no
 * toolchain), instantiates it over the engine's memory, and implements {@linkcode Kernels} by
 * translating each typed-array argument into a pointer.
 *
 * - **Features.** SIMD is detected by validating a one-instruction module; so is relaxed SIMD,
 *   whose `f32x4.relaxed_madd` (one fused multiply-add) the GEMM and the activations use where
 *   it validates — mul + add otherwise. Without SIMD there is no WebAssembly backend and the
 *   library runs on the plain-TypeScript kernels.
 * - **Arguments.** An array in the engine's memory becomes its byte address. Any other array
 *   (a tensor a user built) is copied into a scratch arena before the call and, if the kernel
 *   writes it, back after: correct, slower. In an unshared memory, where growing would detach
 *   the callers' views, the arena never grows: a call that does not fit runs on the plain
 *   kernels instead.
 * - **GEMM** cuts `C = op(A)·op(B)` into `KC`-deep slices and `MC × NC` blocks: `A`'s block is
 *   packed into `MR`-row panels, `B`'s read in place when it is not transposed and `M` is small
 *   (no packing cost per recurrent step), packed into `NR`-column strips otherwise; the emitted
 *   macro-kernel then runs the `MR × NR` register tile over the block. Partial tiles are
 *   computed into a scratch tile and added to `C` by `copy_rows`.
 *
 * @module
 */

import { SaikiError } from "../../errors.ts";
import { type Block, type EngineHeap, engineHeap } from "../memory.ts";
import { jsKernels } from "../js.ts";
import type { Kernels } from "../kernels.ts";
import { f32, f32x4, ModuleBuilder, v128 } from "./emit.ts";
import { emitGemm, MR, NR } from "./gemm.ts";
import { emitPointwise } from "./pointwise.ts";

/** Depth of a K slice: a `KC × NR` strip of B (8 KiB) stays in L1 while the A panels pass. */
const KC = 256;
/** Rows of A per block: the packed `MC × KC` block (128 KiB) stays in L2. */
const MC = 128;
/** Columns of B per block. */
const NC = 1024;
/** From this many rows of A on, B is packed even when it is not transposed. */
const PACK_B_ROWS = 64;
/** Rows of softmax statistics per kernel call. */
const SOFTMAX_CHUNK = 1024;

type Fn = (...args: number[]) => number;

/** What the runtime's WebAssembly validates. */
export interface WasmFeatures {
  /** Fixed-width SIMD (`v128`). */
  simd: boolean;
  /** Relaxed SIMD (`f32x4.relaxed_madd`). */
  relaxed: boolean;
}

let features: WasmFeatures | undefined;

/**
 * Feature detection by `WebAssembly.validate` of tiny modules.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wasmFeatures } from "./backend.ts";
 * assert(typeof wasmFeatures().simd === "boolean");
 * ```
 */
export function wasmFeatures(): WasmFeatures {
  if (features !== undefined) return features;
  const probe = (body: () => ReturnType<typeof f32x4.splat>) => {
    try {
      const mod = new ModuleBuilder();
      mod.func("f", {}, "f32", () => [f32x4.extract_lane(body(), 0)]);
      return WebAssembly.validate(mod.toBytes());
    } catch {
      return false;
    }
  };
  const hasWasm = typeof WebAssembly === "object" && typeof WebAssembly.validate === "function";
  const simd = hasWasm && probe(() => f32x4.splat(f32.const(1)));
  const relaxed = simd &&
    probe(() => f32x4.relaxed_madd(v128.f32(1), v128.f32(2), v128.f32(3)));
  return features = { simd, relaxed };
}

/**
 * Raised inside a call that the plain kernels must run instead: its copies do not fit an
 * arena that may not grow, or two of its arguments overlap in one buffer outside the engine.
 */
const FALLBACK = new Error("run on the plain kernels");

/** Translates typed arrays into addresses; copies the others through a scratch arena. */
class Marshal {
  readonly #heap: EngineHeap;
  #arena: Block;
  #used = 0;
  #retired: Block[] = [];
  /** Copies of this call, by the buffer copied from: byte range, where, whether written. */
  #copies = new Map<
    ArrayBufferLike,
    { start: number; end: number; at: number; write: boolean }[]
  >();

  constructor(heap: EngineHeap) {
    this.#heap = heap;
    this.#arena = heap.alloc(1 << 20);
  }

  /** Bytes of scratch of the current call (not copied from anywhere): an f64 or f32 work area. */
  temp(bytes: number): number {
    return this.#reserve(bytes);
  }

  #reserve(bytes: number): number {
    const size = (bytes + 63) & ~63;
    if (this.#used + size > this.#arena.bytes) {
      if (!this.#heap.shared) throw FALLBACK;
      this.#retired.push(this.#arena);
      this.#arena = this.#heap.alloc(Math.max(2 * this.#arena.bytes, size));
      this.#used = 0;
    }
    const at = this.#arena.offset + this.#used;
    this.#used += size;
    return at;
  }

  /**
   * The address of `len` elements of `arr` from `off`; `write`: the kernel writes them (a copy
   * is copied back by {@linkcode Marshal.done}).
   */
  ptr(arr: Float32Array | Int32Array, off: number, len: number, write: boolean): number {
    if (!(off >= 0 && off + len <= arr.length)) {
      throw new SaikiError(
        `kernel argument: elements ${off}..${off + len} requested of an array of ${arr.length}` +
          (arr.length === 0 ? " (a view detached when an unshared memory grew?)" : ""),
      );
    }
    if (this.#heap.owns(arr.buffer)) return arr.byteOffset + 4 * off;
    const start = arr.byteOffset + 4 * off, end = start + 4 * len;
    const copies = this.#copies.get(arr.buffer) ?? [];
    const same = copies.find((c) => c.start <= start && end <= c.end);
    if (same !== undefined) {
      same.write ||= write;
      return same.at + (start - same.start);
    }
    const at = this.#reserve(end - start);
    new Uint8Array(this.#heap.buffer, at, end - start)
      .set(new Uint8Array(arr.buffer, start, end - start));
    copies.push({ start, end, at, write });
    this.#copies.set(arr.buffer, copies);
    return at;
  }

  /**
   * Copies written copies back and frees the call's scratch. Where one buffer was copied in
   * several pieces that may overlap (outputs side by side in one array), each piece gives back
   * only the words the kernel changed, all compared before any is written.
   */
  done(): void {
    const heap = this.#heap.buffer;
    for (const [buffer, copies] of this.#copies) {
      const written = copies.filter((c) => c.write);
      if (written.length === 0) continue;
      if (copies.length === 1) {
        const { start, end, at } = written[0];
        new Uint8Array(buffer, start, end - start).set(new Uint8Array(heap, at, end - start));
        continue;
      }
      const changes: [number, number][] = [];
      for (const { start, end, at } of written) {
        const now = new Uint32Array(heap, at, (end - start) >> 2);
        const before = new Uint32Array(buffer, start, (end - start) >> 2);
        for (let i = 0; i < now.length; i++) {
          if (now[i] !== before[i]) changes.push([(start >> 2) + i, now[i]]);
        }
      }
      const words = new Uint32Array(buffer, 0, buffer.byteLength >> 2);
      for (const [i, v] of changes) words[i] = v;
    }
    this.reset();
  }

  /** Forgets the call's scratch without copying back. */
  reset(): void {
    this.#copies.clear();
    this.#used = 0;
    for (const b of this.#retired) b.free();
    this.#retired.length = 0;
  }
}

/** Elements a strided `(rows, cols)` operand with leading dimension `ld` spans. */
const span = (rows: number, cols: number, ld: number) =>
  rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

function build(heap: EngineHeap, relaxed: boolean): Kernels {
  const mod = new ModuleBuilder().importMemory({
    initial: 0,
    maximum: heap.shared ? 65536 : undefined,
    shared: heap.shared,
  });
  emitGemm(mod, relaxed, { mr: MR, nr: NR, unroll: 16 });
  emitPointwise(mod, relaxed);
  const bytes = mod.toBytes();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { memory: heap.memory! },
  });
  const x = instance.exports as Record<string, Fn>;
  const m = new Marshal(heap);
  // Packing areas and the edge tile of the GEMM, the softmax statistics, the generator state.
  const packA = heap.alloc(4 * (MC + MR) * KC);
  const packB = heap.alloc(4 * KC * (NC + NR));
  const edge = heap.alloc(4 * Math.max(MR * NC, (MC + MR) * NR));
  const stats = heap.alloc(16 * SOFTMAX_CHUNK);

  /** Runs `body` (which translates its arguments with `m`), or `fallback` if they do not fit. */
  function call<R>(body: () => R, fallback: () => R): R {
    let result: R;
    try {
      result = body();
    } catch (e) {
      m.reset();
      if (e === FALLBACK) return fallback();
      throw e;
    }
    m.done();
    return result;
  }

  /** The js kernel `name` on a call's own arguments: the fallback of every kernel below. */
  // deno-lint-ignore no-explicit-any
  const js = (name: keyof Kernels, args: IArguments) => () => (jsKernels[name] as any)(...args);

  /**
   * `C (+)= op(A)·B` for one `KC`-deep slice, B given as `NR`-column strips (`bStride` bytes
   * between rows of a strip, `bPanel` between strips; `rem` the zero-padded last strip).
   */
  function slice(
    m_: number,
    nc: number,
    kc: number,
    aBase: number,
    rsA: number,
    csA: number,
    bFull: number,
    bStride: number,
    bPanel: number,
    rem: number,
    c: number,
    ldc: number,
    acc: number,
  ): void {
    const nFull = Math.floor(nc / NR), nRem = nc % NR;
    for (let ic = 0; ic < m_; ic += MC) {
      const mc = Math.min(MC, m_ - ic), mFull = Math.floor(mc / MR), mRem = mc % MR;
      x.gemm_pack_a(mc, kc, aBase + ic * rsA, rsA, csA, packA.offset);
      const cBase = c + 4 * ic * ldc;
      if (mFull > 0 && nFull > 0) {
        x.gemm_macro(mFull, nFull, kc, packA.offset, bFull, bStride, bPanel, cBase, 4 * ldc, acc);
      }
      if (mRem > 0 && nFull > 0) {
        const aPanel = packA.offset + 4 * mFull * MR * kc;
        x.gemm_macro(1, nFull, kc, aPanel, bFull, bStride, bPanel, edge.offset, 4 * NR * nFull, 0);
        x.copy_rows(
          mRem,
          NR * nFull,
          edge.offset,
          NR * nFull,
          cBase + 4 * mFull * MR * ldc,
          ldc,
          acc,
        );
      }
      if (nRem > 0) {
        x.gemm_macro(
          Math.ceil(mc / MR),
          1,
          kc,
          packA.offset,
          rem,
          4 * NR,
          0,
          edge.offset,
          4 * NR,
          0,
        );
        x.copy_rows(mc, nRem, edge.offset, NR, cBase + 4 * NR * nFull, ldc, acc);
      }
    }
  }

  /** Zeroes (or keeps) `C` for a product with `k = 0`. */
  function emptyProduct(mm: number, n: number, c: number, ldc: number, accumulate: boolean) {
    if (accumulate) return;
    for (let i = 0; i < mm; i++) x.fill(n, 0, c + 4 * i * ldc);
  }

  const k: Kernels = {
    name: relaxed ? "wasm-relaxed" : "wasm",

    gemm(transA, transB, mm, n, kk, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate) {
      if (mm === 0 || n === 0) return;
      call(
        () => {
          const pa = m.ptr(a, aOff, transA ? span(kk, mm, lda) : span(mm, kk, lda), false);
          const pb = m.ptr(b, bOff, transB ? span(n, kk, ldb) : span(kk, n, ldb), false);
          const cp = m.ptr(c, cOff, span(mm, n, ldc), true);
          if (kk === 0) return emptyProduct(mm, n, cp, ldc, accumulate);
          // element (i, p) of op(A) at pa + i·rsA + p·csA; (p, j) of op(B) at pb + p·rsB + j·csB
          const rsA = 4 * (transA ? 1 : lda), csA = 4 * (transA ? lda : 1);
          const rsB = 4 * (transB ? 1 : ldb), csB = 4 * (transB ? ldb : 1);
          const pack = transB || mm >= PACK_B_ROWS;
          for (let jc = 0; jc < n; jc += NC) {
            const nc = Math.min(NC, n - jc), nFull = Math.floor(nc / NR), nRem = nc % NR;
            for (let p0 = 0; p0 < kk; p0 += KC) {
              const kc = Math.min(KC, kk - p0), acc = accumulate || p0 > 0 ? 1 : 0;
              const bBase = pb + p0 * rsB + jc * csB, aBase = pa + p0 * csA, cBase = cp + 4 * jc;
              if (pack) {
                x.gemm_pack_b(kc, nc, bBase, rsB, csB, packB.offset);
                const panel = 4 * kc * NR, rem = packB.offset + nFull * panel;
                slice(
                  mm,
                  nc,
                  kc,
                  aBase,
                  rsA,
                  csA,
                  packB.offset,
                  4 * NR,
                  panel,
                  rem,
                  cBase,
                  ldc,
                  acc,
                );
              } else {
                if (nRem > 0) {
                  x.gemm_pack_b(kc, nRem, bBase + nFull * NR * csB, rsB, csB, packB.offset);
                }
                slice(
                  mm,
                  nc,
                  kc,
                  aBase,
                  rsA,
                  csA,
                  bBase,
                  rsB,
                  4 * NR,
                  packB.offset,
                  cBase,
                  ldc,
                  acc,
                );
              }
            }
          }
        },
        js("gemm", arguments),
      );
    },

    packedSize(kk, n) {
      return kk * roundUp(n, NR);
    },

    packB(transB, kk, n, b, bOff, ldb, packed, packedOff) {
      const nPad = roundUp(n, NR);
      call(() => {
        const pb = m.ptr(b, bOff, transB ? span(n, kk, ldb) : span(kk, n, ldb), false);
        const pp = m.ptr(packed, packedOff, kk * nPad, true);
        const rsB = 4 * (transB ? 1 : ldb), csB = 4 * (transB ? ldb : 1);
        for (let pc = 0; pc < kk; pc += KC) {
          x.gemm_pack_b(Math.min(KC, kk - pc), n, pb + pc * rsB, rsB, csB, pp + 4 * pc * nPad);
        }
      }, () => {
        throw new SaikiError("packB: the packed weights must live in the engine's memory");
      });
    },

    gemmPacked(transA, mm, n, kk, a, aOff, lda, packed, packedOff, c, cOff, ldc, accumulate) {
      if (mm === 0 || n === 0) return;
      const nPad = roundUp(n, NR);
      call(() => {
        const pa = m.ptr(a, aOff, transA ? span(kk, mm, lda) : span(mm, kk, lda), false);
        const pp = m.ptr(packed, packedOff, kk * nPad, false);
        const cp = m.ptr(c, cOff, span(mm, n, ldc), true);
        if (kk === 0) return emptyProduct(mm, n, cp, ldc, accumulate);
        const rsA = 4 * (transA ? 1 : lda), csA = 4 * (transA ? lda : 1);
        for (let jc = 0; jc < n; jc += NC) {
          const nc = Math.min(NC, n - jc), nFull = Math.floor(nc / NR);
          for (let p0 = 0; p0 < kk; p0 += KC) {
            const kc = Math.min(KC, kk - p0), acc = accumulate || p0 > 0 ? 1 : 0;
            const panel = 4 * kc * NR;
            const strips = pp + 4 * p0 * nPad + (jc / NR) * panel;
            slice(
              mm,
              nc,
              kc,
              pa + p0 * csA,
              rsA,
              csA,
              strips,
              4 * NR,
              panel,
              strips + nFull * panel,
              cp + 4 * jc,
              ldc,
              acc,
            );
          }
        }
      }, () => {
        throw new SaikiError("gemmPacked: the packed weights must live in the engine's memory");
      });
    },

    addBias(rows, cols, bias, biasOff, xx, xOff, ldx) {
      call(() => {
        x.add_bias(
          rows,
          cols,
          m.ptr(bias, biasOff, cols, false),
          m.ptr(xx, xOff, span(rows, cols, ldx), true),
          ldx,
        );
      }, js("addBias", arguments));
    },

    sumRows(rows, cols, xx, xOff, ldx, out, outOff, accumulate) {
      call(() => {
        const px = m.ptr(xx, xOff, span(rows, cols, ldx), false);
        const po = m.ptr(out, outOff, cols, true);
        x.sum_rows(rows, cols, px, ldx, po, accumulate ? 1 : 0, m.temp(8 * cols));
      }, js("sumRows", arguments));
    },

    copyRows(rows, cols, xx, xOff, ldx, y, yOff, ldy, accumulate) {
      call(() => {
        const px = m.ptr(xx, xOff, span(rows, cols, ldx), false);
        x.copy_rows(
          rows,
          cols,
          px,
          ldx,
          m.ptr(y, yOff, span(rows, cols, ldy), true),
          ldy,
          accumulate ? 1 : 0,
        );
      }, js("copyRows", arguments));
    },

    fill(len, value, xx, xOff) {
      call(() => {
        x.fill(len, value, m.ptr(xx, xOff, len, true));
      }, js("fill", arguments));
    },

    scale(len, alpha, xx, xOff, y, yOff) {
      call(() => {
        x.scale(len, alpha, m.ptr(xx, xOff, len, false), m.ptr(y, yOff, len, true));
      }, js("scale", arguments));
    },

    mul(len, a, aOff, b, bOff, y, yOff) {
      call(() => {
        x.mul(
          len,
          m.ptr(a, aOff, len, false),
          m.ptr(b, bOff, len, false),
          m.ptr(y, yOff, len, true),
        );
      }, js("mul", arguments));
    },

    axpy(len, alpha, xx, xOff, y, yOff) {
      call(() => {
        x.axpy(len, alpha, m.ptr(xx, xOff, len, false), m.ptr(y, yOff, len, true));
      }, js("axpy", arguments));
    },

    sumSquares(len, xx, xOff) {
      return call(
        () => x.sum_squares(len, m.ptr(xx, xOff, len, false)),
        js("sumSquares", arguments),
      );
    },

    tanhForward(rows, cols, xx, xOff, ldx, y, yOff, ldy) {
      call(() => {
        const px = m.ptr(xx, xOff, span(rows, cols, ldx), false);
        x.tanh_fwd(rows, cols, px, ldx, m.ptr(y, yOff, span(rows, cols, ldy), true), ldy);
      }, js("tanhForward", arguments));
    },

    tanhBackward(rows, cols, y, yOff, ldy, dy, dyOff, lddy, dx, dxOff, lddx) {
      call(() => {
        const py = m.ptr(y, yOff, span(rows, cols, ldy), false);
        const pdy = m.ptr(dy, dyOff, span(rows, cols, lddy), false);
        const pdx = m.ptr(dx, dxOff, span(rows, cols, lddx), true);
        x.tanh_bwd(rows, cols, py, ldy, pdy, lddy, pdx, lddx);
      }, js("tanhBackward", arguments));
    },

    lstmForward(
      n,
      h,
      gates,
      gOff,
      ldg,
      cPrev,
      cPrevOff,
      ldcPrev,
      cNext,
      cNextOff,
      hNext,
      hNextOff,
      ldOut,
    ) {
      call(
        () => {
          const pg = m.ptr(gates, gOff, span(n, 4 * h, ldg), true);
          const pcp = m.ptr(cPrev, cPrevOff, span(n, h, ldcPrev), false);
          const pcn = m.ptr(cNext, cNextOff, span(n, h, ldOut), true);
          const phn = m.ptr(hNext, hNextOff, span(n, h, ldOut), true);
          x.lstm_fwd(n, h, pg, ldg, pcp, ldcPrev, pcn, phn, ldOut);
        },
        js("lstmForward", arguments),
      );
    },

    lstmBackward(
      n,
      h,
      gates,
      gOff,
      dGates,
      dGOff,
      ldg,
      cPrev,
      cPrevOff,
      ldcPrev,
      cNext,
      cNextOff,
      ldc,
      dhNext,
      dhNextOff,
      dc,
      dcOff,
    ) {
      call(
        () => {
          const pg = m.ptr(gates, gOff, span(n, 4 * h, ldg), false);
          const pdg = m.ptr(dGates, dGOff, span(n, 4 * h, ldg), true);
          const pcp = m.ptr(cPrev, cPrevOff, span(n, h, ldcPrev), false);
          const pcn = m.ptr(cNext, cNextOff, span(n, h, ldc), false);
          const pdh = m.ptr(dhNext, dhNextOff, n * h, false);
          const pdc = m.ptr(dc, dcOff, n * h, true);
          x.lstm_bwd(n, h, pg, pdg, ldg, pcp, ldcPrev, pcn, ldc, pdh, pdc);
        },
        js("lstmBackward", arguments),
      );
    },

    gruGates(n, h, gates, gOff, ldg, hPrev, hPrevOff, ldhPrev, rh, rhOff, ldrh) {
      call(
        () => {
          const pg = m.ptr(gates, gOff, span(n, 3 * h, ldg), true);
          const php = m.ptr(hPrev, hPrevOff, span(n, h, ldhPrev), false);
          const prh = m.ptr(rh, rhOff, span(n, h, ldrh), true);
          x.gru_gates(n, h, pg, ldg, php, ldhPrev, prh, ldrh);
        },
        js("gruGates", arguments),
      );
    },

    gruOutput(n, h, gates, gOff, ldg, hPrev, hPrevOff, ldhPrev, hNext, hNextOff, ldhNext) {
      call(
        () => {
          const pg = m.ptr(gates, gOff, span(n, 3 * h, ldg), true);
          const php = m.ptr(hPrev, hPrevOff, span(n, h, ldhPrev), false);
          const phn = m.ptr(hNext, hNextOff, span(n, h, ldhNext), true);
          x.gru_out(n, h, pg, ldg, php, ldhPrev, phn, ldhNext);
        },
        js("gruOutput", arguments),
      );
    },

    gruBackwardZH(
      n,
      h,
      gates,
      gOff,
      dGates,
      dGOff,
      ldg,
      hPrev,
      hPrevOff,
      ldhPrev,
      dhNext,
      dhNextOff,
      dhPrev,
      dhPrevOff,
    ) {
      call(
        () => {
          const pg = m.ptr(gates, gOff, span(n, 3 * h, ldg), false);
          const pdg = m.ptr(dGates, dGOff, span(n, 3 * h, ldg), true);
          const php = m.ptr(hPrev, hPrevOff, span(n, h, ldhPrev), false);
          const pdn = m.ptr(dhNext, dhNextOff, n * h, false);
          const pdp = m.ptr(dhPrev, dhPrevOff, n * h, true);
          x.gru_bwd_zh(n, h, pg, pdg, ldg, php, ldhPrev, pdn, pdp);
        },
        js("gruBackwardZH", arguments),
      );
    },

    gruBackwardR(
      n,
      h,
      gates,
      gOff,
      dGates,
      dGOff,
      ldg,
      hPrev,
      hPrevOff,
      ldhPrev,
      dhr,
      dhrOff,
      dhPrev,
      dhPrevOff,
    ) {
      call(
        () => {
          const pg = m.ptr(gates, gOff, span(n, 3 * h, ldg), false);
          const pdg = m.ptr(dGates, dGOff, span(n, 3 * h, ldg), true);
          const php = m.ptr(hPrev, hPrevOff, span(n, h, ldhPrev), false);
          const pdr = m.ptr(dhr, dhrOff, n * h, false);
          const pdp = m.ptr(dhPrev, dhPrevOff, n * h, true);
          x.gru_bwd_r(n, h, pg, pdg, ldg, php, ldhPrev, pdr, pdp);
        },
        js("gruBackwardR", arguments),
      );
    },

    softmaxCrossEntropy(rows, cols, xx, xOff, labels, labelsOff, ignore, eps, y, yOff) {
      checkLabels("softmaxCrossEntropy", rows, cols, labels, labelsOff, ignore);
      // the scores at the labels, read before an aliased y overwrites them
      const xt = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        const t = labels[labelsOff + r];
        if (t !== ignore) xt[r] = xx[xOff + r * cols + t];
      }
      return call(
        () => {
          const px = m.ptr(xx, xOff, rows * cols, false);
          const py = m.ptr(y, yOff, rows * cols, true);
          const st = new Float32Array(heap.buffer, stats.offset, 4 * SOFTMAX_CHUNK);
          const sums = new Float64Array(heap.buffer, stats.offset, 2 * SOFTMAX_CHUNK);
          let loss = 0;
          for (let r0 = 0; r0 < rows; r0 += SOFTMAX_CHUNK) {
            const n = Math.min(SOFTMAX_CHUNK, rows - r0);
            x.softmax_rows(n, cols, px + 4 * r0 * cols, py + 4 * r0 * cols, stats.offset);
            if (eps > 0) continue;
            for (let r = 0; r < n; r++) {
              if (labels[labelsOff + r0 + r] === ignore) continue;
              loss += Math.log(sums[2 * r + 1]) - (xt[r0 + r] - st[4 * r]);
            }
          }
          return loss;
        },
        js("softmaxCrossEntropy", arguments),
      ) +
        (eps > 0 ? epsLoss(rows, cols, labels, labelsOff, ignore, eps, y, yOff) : 0);
    },

    softmaxCrossEntropyBackward(rows, cols, y, yOff, labels, labelsOff, ignore, scale, dx, dxOff) {
      checkLabels("softmaxCrossEntropyBackward", rows, cols, labels, labelsOff, ignore);
      call(
        () => {
          const py = m.ptr(y, yOff, rows * cols, false);
          const pl = m.ptr(labels, labelsOff, rows, false);
          const pd = m.ptr(dx, dxOff, rows * cols, true);
          x.softmax_xent_bwd(rows, cols, py, pl, ignore, scale, pd);
        },
        js("softmaxCrossEntropyBackward", arguments),
      );
    },

    softmaxBackward(rows, cols, y, yOff, dout, doutOff, dx, dxOff) {
      call(() => {
        const py = m.ptr(y, yOff, rows * cols, false);
        const pg = m.ptr(dout, doutOff, rows * cols, false);
        x.softmax_bwd(rows, cols, py, pg, m.ptr(dx, dxOff, rows * cols, true));
      }, js("softmaxBackward", arguments));
    },

    gather(rows, cols, ids, idsOff, W, WOff, out, outOff) {
      const vocab = checkIds("gather", rows, cols, ids, idsOff, W.length - WOff);
      call(() => {
        const pi = m.ptr(ids, idsOff, rows, false);
        const pw = m.ptr(W, WOff, vocab * cols, false);
        x.gather(rows, cols, pi, pw, m.ptr(out, outOff, rows * cols, true));
      }, js("gather", arguments));
    },

    scatterAdd(rows, cols, ids, idsOff, dout, doutOff, dW, dWOff) {
      const vocab = checkIds("scatterAdd", rows, cols, ids, idsOff, dW.length - dWOff);
      call(() => {
        const pi = m.ptr(ids, idsOff, rows, false);
        const pd = m.ptr(dout, doutOff, rows * cols, false);
        x.scatter_add(rows, cols, pi, pd, m.ptr(dW, dWOff, vocab * cols, true));
      }, js("scatterAdd", arguments));
    },

    dropout(len, ratio, keep, state, xx, xOff, mask, maskOff, out, outOff) {
      call(() => {
        const ps = m.ptr(new Int32Array(state.buffer, state.byteOffset, 4), 0, 4, true);
        const px = m.ptr(xx, xOff, len, false);
        const pm = m.ptr(mask, maskOff, len, true);
        x.dropout(len, ratio, keep, ps, px, pm, m.ptr(out, outOff, len, true));
      }, js("dropout", arguments));
    },

    sgd(len, lr, p, pOff, g, gOff) {
      call(() => {
        x.sgd(len, lr, m.ptr(p, pOff, len, true), m.ptr(g, gOff, len, false));
      }, js("sgd", arguments));
    },

    momentum(len, lr, mom, p, pOff, g, gOff, v, vOff) {
      call(() => {
        x.momentum(
          len,
          lr,
          mom,
          m.ptr(p, pOff, len, true),
          m.ptr(g, gOff, len, false),
          m.ptr(v, vOff, len, true),
        );
      }, js("momentum", arguments));
    },

    nesterov(len, lr, mom, p, pOff, g, gOff, v, vOff) {
      call(() => {
        x.nesterov(
          len,
          lr,
          mom,
          m.ptr(p, pOff, len, true),
          m.ptr(g, gOff, len, false),
          m.ptr(v, vOff, len, true),
        );
      }, js("nesterov", arguments));
    },

    adagrad(len, lr, p, pOff, g, gOff, h, hOff) {
      call(() => {
        x.adagrad(
          len,
          lr,
          m.ptr(p, pOff, len, true),
          m.ptr(g, gOff, len, false),
          m.ptr(h, hOff, len, true),
        );
      }, js("adagrad", arguments));
    },

    rmsprop(len, lr, decay, p, pOff, g, gOff, h, hOff) {
      call(() => {
        x.rmsprop(
          len,
          lr,
          decay,
          m.ptr(p, pOff, len, true),
          m.ptr(g, gOff, len, false),
          m.ptr(h, hOff, len, true),
        );
      }, js("rmsprop", arguments));
    },

    adam(len, lrT, b1, b2, p, pOff, g, gOff, mm, mOff, v, vOff) {
      call(() => {
        const pp = m.ptr(p, pOff, len, true), pg = m.ptr(g, gOff, len, false);
        x.adam(len, lrT, b1, b2, pp, pg, m.ptr(mm, mOff, len, true), m.ptr(v, vOff, len, true));
      }, js("adam", arguments));
    },
  };
  return k;
}

/** `Σ −log(y_t + eps)` over counted rows, read after the softmax (the reference's loss). */
function epsLoss(
  rows: number,
  cols: number,
  labels: Int32Array,
  labelsOff: number,
  ignore: number,
  eps: number,
  y: Float32Array,
  yOff: number,
): number {
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const t = labels[labelsOff + r];
    if (t !== ignore) loss += -Math.log(y[yOff + r * cols + t] + eps);
  }
  return loss;
}

/** Labels must be in `[0, cols)` or `ignore`: the kernel addresses the row by them. */
function checkLabels(
  where: string,
  rows: number,
  cols: number,
  labels: Int32Array,
  off: number,
  ignore: number,
): void {
  for (let r = 0; r < rows; r++) {
    const t = labels[off + r];
    if (t !== ignore && !(t >= 0 && t < cols)) {
      throw new SaikiError(`${where}: label ${t} at row ${r} is outside [0, ${cols})`);
    }
  }
}

/** Ids must index rows of the matrix (`avail` floats after its offset); returns its row count. */
function checkIds(
  where: string,
  rows: number,
  cols: number,
  ids: Int32Array,
  off: number,
  avail: number,
): number {
  const vocab = cols === 0 ? 0 : Math.floor(avail / cols);
  for (let r = 0; r < rows; r++) {
    const id = ids[off + r];
    if (!(id >= 0 && id < vocab)) {
      throw new SaikiError(`${where}: id ${id} at row ${r} is outside [0, ${vocab})`);
    }
  }
  return vocab;
}

const built = new Map<boolean, Kernels>();

/**
 * The WebAssembly SIMD kernels over the engine's memory, built on first use (with fused
 * multiply-adds where relaxed SIMD validates); `undefined` where the runtime has no
 * WebAssembly SIMD.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wasmKernels } from "./backend.ts";
 * const k = wasmKernels();
 * if (k !== undefined) assert(k.name.startsWith("wasm"));
 * ```
 */
export function wasmKernels(): Kernels | undefined {
  return wasmKernelsWith(wasmFeatures().relaxed);
}

/**
 * The WebAssembly kernels with relaxed SIMD's fused multiply-add (`relaxed: true`, where it
 * validates) or with a multiply and an add (`false`: what runtimes without relaxed SIMD run;
 * the tests run both).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wasmKernelsWith } from "./backend.ts";
 * const k = wasmKernelsWith(false);
 * if (k !== undefined) assert(k.name === "wasm");
 * ```
 */
export function wasmKernelsWith(relaxed: boolean): Kernels | undefined {
  const heap = engineHeap(), features = wasmFeatures();
  if (!features.simd || heap.memory === undefined || (relaxed && !features.relaxed)) {
    return undefined;
  }
  let k = built.get(relaxed);
  if (k === undefined) built.set(relaxed, k = build(heap, relaxed));
  return k;
}

/**
 * The exported activation kernels `vexp`, `vsigmoid`, `vtanh` applied to `values` (for the
 * accuracy test), fused or not (`relaxed`): `undefined` where that variant is unavailable.
 *
 * @example
 * ```ts
 * import { wasmActivation } from "./backend.ts";
 * const y = wasmActivation("sigmoid", new Float32Array([0]));
 * if (y !== undefined && y[0] !== 0.5) throw new Error("σ(0) = 0.5");
 * ```
 */
export function wasmActivation(
  fn: "exp" | "sigmoid" | "tanh",
  values: Float32Array,
  relaxed: boolean = wasmFeatures().relaxed,
): Float32Array | undefined {
  if (wasmKernelsWith(relaxed) === undefined) return undefined;
  let run = activations.get(relaxed);
  if (run === undefined) activations.set(relaxed, run = buildActivations(relaxed));
  return run(fn, values);
}

const activations = new Map<boolean, (fn: string, values: Float32Array) => Float32Array>();

function buildActivations(relaxed: boolean): (fn: string, values: Float32Array) => Float32Array {
  const heap = engineHeap();
  const mod = new ModuleBuilder().importMemory({
    initial: 0,
    maximum: heap.shared ? 65536 : undefined,
    shared: heap.shared,
  });
  emitPointwise(mod, relaxed);
  const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), {
    env: { memory: heap.memory! },
  }).exports as Record<string, Fn>;
  return (fn, values) => {
    const block = heap.alloc(8 * values.length);
    try {
      block.f32(0, values.length).set(values);
      x[`v${fn}`](values.length, block.offset, block.offset + 4 * values.length);
      return block.f32(values.length, values.length).slice();
    } finally {
      block.free();
    }
  };
}
