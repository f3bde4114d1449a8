/**
 * The WebAssembly SIMD backend: emits the kernel module at load time (no `.wasm` file, no
 * toolchain), instantiates it over the engine's memory, and implements {@linkcode Kernels} by
 * translating each kernel's views into the emitted function's pointers, sizes and strides.
 *
 * - **Features.** SIMD is detected by validating a one-instruction module; so is relaxed SIMD,
 *   whose `f32x4.relaxed_madd` (one fused multiply-add) the GEMM and the activations use where
 *   it validates — mul + add otherwise. Without SIMD there is no WebAssembly backend and the
 *   library runs on the plain-TypeScript kernels.
 * - **Kernels.** Each kernel is one entry of a table mapping its views to the arguments of its
 *   emitted function, `addBias: (bias, xm) => x.add_bias(xm.rows, xm.cols, R(bias), W(xm), xm.ld)`,
 *   where `R(view)` and `W(view)` translate a view the function reads or writes into an address.
 *   One wrapper runs every entry: the operand checks first (`engine/_check.ts`, as the plain
 *   kernels make them), then the entry, then the copies back.
 * - **Arguments.** A view of the engine's memory becomes its byte address. A view of any other
 *   array (a tensor a user built) is copied into a scratch arena before the call and, if the
 *   kernel writes it, back after: correct, slower. In an unshared memory, where growing would
 *   detach the callers' views, the arena never grows: a call that does not fit runs on the
 *   plain kernels instead, on its own arguments, and returns exactly what they return.
 * - **GEMM.** The blocking of the products around the emitted packing and macro-kernel
 *   functions lives in `gemm_driver.ts`; here its operands are translated like any other.
 * - **Batched products.** `gemmBatched` is one call of an emitted function (`batched.ts`)
 *   that loops over the whole batch: SIMD over the columns of `C` without `transB`, SIMD dot
 *   products with it; `transA` and `transB` together, which attention does not need, run its
 *   scalar loops (float32 sums too).
 *
 * @module
 */

import { SaikiError } from "../../errors.ts";
import {
  checkContiguous,
  checkDims,
  checkIds,
  checkLabels,
  checkMat,
  checkSameLd,
  checkSize,
  checkVec,
  gemmBatchedDims,
  gemmDims,
} from "../_check.ts";
import type { CrossEntropyOptions, Ids, Kernels, Mat, Vec } from "../interface.ts";
import { jsKernels } from "../js.ts";
import { type Block, type EngineHeap, engineHeap } from "../memory.ts";
import { span } from "../views.ts";
import { f32, f32x4, ModuleBuilder, v128 } from "./emit.ts";
import { emitBatched } from "./batched.ts";
import { emitGemm } from "./gemm.ts";
import { gemmDriver, gemmScratch, packedSize } from "./gemm_driver.ts";
import { emitPointwise } from "./pointwise.ts";

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
 * arena that may not grow.
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

/** What sees each chunk of rows of a softmax: its first row and its number of rows. */
type Chunk = (r0: number, n: number) => void;

/** The kernels that take views (all but `name` and `packedSize`). */
type Name = Exclude<keyof Kernels, "name" | "packedSize">;

/** Each kernel's operand checks, given the kernel's name and its arguments. */
type Checks = { [K in Name]: (at: K, ...args: Parameters<Kernels[K]>) => void };

/** A view a kernel reads or writes. */
type View = Mat | Vec | Ids;

/** The kernels whose packed operand has the wasm layout, so that the js kernels cannot stand in. */
const PACKED = new Set<Name>(["packB", "gemmPacked"]);

/** Every view in `views` is `rows × cols`. */
function dims(at: string, rows: number, cols: number, views: Record<string, Mat>): void {
  for (const name in views) checkDims(at, name, views[name], rows, cols);
}

/** Every view in `views` is `rows × cols` and contiguous. */
function rowsOf(at: string, rows: number, cols: number, views: Record<string, Mat>): void {
  for (const name in views) {
    checkDims(at, name, views[name], rows, cols);
    checkContiguous(at, name, views[name]);
  }
}

/** Every view in `views` holds `size` values. */
function sizes(at: string, size: number, views: Record<string, Vec>): void {
  for (const name in views) checkSize(at, name, views[name], size);
}

/** A packed `op(B)` of shape `(k, n)` fits in `packed`. */
function checkPacked(at: string, packed: Vec, k: number, n: number): void {
  checkVec(at, "packed", packed);
  if (packed.size < packedSize(k, n)) {
    throw new SaikiError(
      `${at}: packed has ${packed.size} values, expected at least packedSize(${k}, ${n}) = ` +
        `${packedSize(k, n)}`,
    );
  }
}

/**
 * The operand checks of every kernel, the plain kernels' own: sizes that must agree, views the
 * interface requires contiguous, operands that share one `ld`, ids and labels in range.
 */
const checks: Checks = {
  gemm: (at, a, b, c, o) => void gemmDims(at, a, b, c, o),
  gemmBatched: (at, a, b, c, o) => void gemmBatchedDims(at, a, b, c, o),
  packB: (at, b, packed, o = {}) => {
    checkMat(at, "b", b);
    const [k, n] = o.transB ? [b.cols, b.rows] : [b.rows, b.cols];
    checkPacked(at, packed, k, n);
  },
  gemmPacked: (at, a, packed, c, o = {}) => {
    checkMat(at, "a", a);
    const k = o.transA ? a.rows : a.cols, n = c.cols;
    checkPacked(at, packed, k, n);
    gemmDims(at, a, { data: packed.data, off: packed.off, rows: k, cols: n, ld: n }, c, o);
  },
  addBias: (at, bias, x) => {
    checkMat(at, "x", x);
    checkSize(at, "bias", bias, x.cols);
  },
  sumRows: (at, x, out) => {
    checkMat(at, "x", x);
    checkSize(at, "out", out, x.cols);
  },
  copyRows: (at, x, y) => dims(at, x.rows, x.cols, { x, y }),
  fill: (at, x) => checkVec(at, "x", x),
  scale: (at, x, _alpha, y) => sizes(at, x.size, { x, y }),
  mul: (at, a, b, y) => sizes(at, a.size, { a, b, y }),
  axpy: (at, _alpha, x, y) => sizes(at, x.size, { x, y }),
  sumSquares: (at, x) => checkVec(at, "x", x),
  tanhForward: (at, x, y) => dims(at, x.rows, x.cols, { x, y }),
  tanhBackward: (at, y, dy, dx) => dims(at, y.rows, y.cols, { y, dy, dx }),
  lstmForward: (at, gates, cPrev, cNext, hNext) => {
    checkMat(at, "cPrev", cPrev);
    const n = cPrev.rows, h = cPrev.cols;
    dims(at, n, 4 * h, { gates });
    dims(at, n, h, { cNext, hNext });
    checkSameLd(at, "cNext", cNext, "hNext", hNext);
  },
  lstmBackward: (at, gates, cPrev, cNext, dhNext, dc, dGates) => {
    checkMat(at, "cPrev", cPrev);
    const n = cPrev.rows, h = cPrev.cols;
    dims(at, n, 4 * h, { gates, dGates });
    checkSameLd(at, "gates", gates, "dGates", dGates);
    dims(at, n, h, { cNext });
    rowsOf(at, n, h, { dhNext, dc });
  },
  gruGates: (at, gates, hPrev, rh) => {
    checkMat(at, "hPrev", hPrev);
    dims(at, hPrev.rows, 3 * hPrev.cols, { gates });
    dims(at, hPrev.rows, hPrev.cols, { rh });
  },
  gruOutput: (at, gates, hPrev, hNext) => {
    checkMat(at, "hPrev", hPrev);
    dims(at, hPrev.rows, 3 * hPrev.cols, { gates });
    dims(at, hPrev.rows, hPrev.cols, { hNext });
  },
  gruBackwardZH: (at, gates, hPrev, dhNext, dGates, dhPrev) => {
    checkMat(at, "hPrev", hPrev);
    dims(at, hPrev.rows, 3 * hPrev.cols, { gates, dGates });
    checkSameLd(at, "gates", gates, "dGates", dGates);
    rowsOf(at, hPrev.rows, hPrev.cols, { dhNext, dhPrev });
  },
  gruBackwardR: (at, gates, hPrev, dhr, dGates, dhPrev) => {
    checkMat(at, "hPrev", hPrev);
    dims(at, hPrev.rows, 3 * hPrev.cols, { gates, dGates });
    checkSameLd(at, "gates", gates, "dGates", dGates);
    rowsOf(at, hPrev.rows, hPrev.cols, { dhr, dhPrev });
  },
  softmaxCrossEntropy: (at, x, labels, y, { ignore }) => {
    rowsOf(at, x.rows, x.cols, { x, y });
    checkSize(at, "labels", labels, x.rows);
    checkLabels(at, labels, x.cols, ignore);
  },
  softmaxCrossEntropyBackward: (at, y, labels, dx, { ignore }) => {
    rowsOf(at, y.rows, y.cols, { y, dx });
    checkSize(at, "labels", labels, y.rows);
    checkLabels(at, labels, y.cols, ignore);
  },
  softmax: (at, x, y) => rowsOf(at, x.rows, x.cols, { x, y }),
  softmaxBackward: (at, y, dout, dx) => rowsOf(at, y.rows, y.cols, { y, dout, dx }),
  gather: (at, ids, W, out) => {
    checkVec(at, "ids", ids);
    rowsOf(at, W.rows, W.cols, { W });
    rowsOf(at, ids.size, W.cols, { out });
    checkIds(at, ids, W.rows);
  },
  scatterAdd: (at, ids, dout, dW) => {
    checkVec(at, "ids", ids);
    rowsOf(at, dW.rows, dW.cols, { dW });
    rowsOf(at, ids.size, dW.cols, { dout });
    checkIds(at, ids, dW.rows);
  },
  dropout: (at, x, mask, out, { state }) => {
    sizes(at, x.size, { x, mask, out });
    if (state.length < 4) {
      throw new SaikiError(`${at}: the generator state has ${state.length} words, expected 4`);
    }
  },
  sgd: (at, p, g) => sizes(at, p.size, { p, g }),
  momentum: (at, p, g, v) => sizes(at, p.size, { p, g, v }),
  nesterov: (at, p, g, v) => sizes(at, p.size, { p, g, v }),
  adagrad: (at, p, g, h) => sizes(at, p.size, { p, g, h }),
  rmsprop: (at, p, g, h) => sizes(at, p.size, { p, g, h }),
  adam: (at, p, g, m, v) => sizes(at, p.size, { p, g, m, v }),
};

function build(heap: EngineHeap, relaxed: boolean): Kernels {
  const mod = new ModuleBuilder().importMemory({
    initial: 0,
    maximum: heap.shared ? 65536 : undefined,
    shared: heap.shared,
  });
  emitGemm(mod, relaxed, { unroll: 16 });
  emitPointwise(mod, relaxed);
  emitBatched(mod, relaxed);
  const bytes = mod.toBytes();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { memory: heap.memory! },
  });
  const x = instance.exports as Record<string, Fn>;
  const marshal = new Marshal(heap);
  // The GEMM's packing areas and edge tile, the softmax statistics.
  const g = gemmDriver(x, gemmScratch(heap));
  const stats = heap.alloc(16 * SOFTMAX_CHUNK);

  /** The address of a view the kernel reads. */
  const R = (v: View) => marshal.ptr(v.data, v.off, "ld" in v ? span(v) : v.size, false);
  /** The address of a view the kernel writes (a copy is copied back after the call). */
  const W = (v: View) => marshal.ptr(v.data, v.off, "ld" in v ? span(v) : v.size, true);
  /** An `accumulate` option as the emitted functions take it. */
  const acc = (o: { accumulate?: boolean }) => o.accumulate ? 1 : 0;
  /** The inner dimension of a product: the columns of `op(a)`. */
  const inner = (a: Mat, o: { transA?: boolean }) => o.transA ? a.rows : a.cols;

  /** Runs `body` (which translates its views with `marshal`), or `fallback` if they do not fit. */
  function call<R>(body: () => R, fallback: () => R): R {
    let result: R;
    try {
      result = body();
    } catch (e) {
      marshal.reset();
      if (e === FALLBACK) return fallback();
      throw e;
    }
    marshal.done();
    return result;
  }

  /**
   * Softmax of `rows` contiguous rows of `cols` from `px` into `py`, `SOFTMAX_CHUNK` rows per
   * call of the kernel; `chunk(r0, n)` then sees rows `r0 … r0 + n` statistics in `stats`.
   */
  function softmaxRows(rows: number, cols: number, px: number, py: number, chunk?: Chunk): void {
    for (let r0 = 0; r0 < rows; r0 += SOFTMAX_CHUNK) {
      const n = Math.min(SOFTMAX_CHUNK, rows - r0);
      x.softmax_rows(n, cols, px + 4 * r0 * cols, py + 4 * r0 * cols, stats.offset);
      chunk?.(r0, n);
    }
  }
  /** The whole of `softmaxCrossEntropy`: the softmax and its loss, `eps` term included. */
  function crossEntropy(xm: Mat, labels: Ids, ym: Mat, { ignore, eps }: CrossEntropyOptions) {
    const { rows, cols } = xm, label = (r: number) => labels.data[labels.off + r];
    // the scores at the labels, read before an aliased y overwrites them
    const xt = new Float64Array(eps > 0 ? 0 : rows);
    for (let r = 0; r < xt.length; r++) {
      const t = label(r);
      if (t !== ignore) xt[r] = xm.data[xm.off + r * cols + t];
    }
    const px = R(xm), py = W(ym);
    let loss = 0;
    if (eps > 0) {
      // the reference's −log(y_t + eps), y read where the kernel wrote it (before any copy back)
      softmaxRows(rows, cols, px, py);
      const y = new Float32Array(heap.buffer, py, rows * cols);
      for (let r = 0; r < rows; r++) {
        const t = label(r);
        if (t !== ignore) loss += -Math.log(y[r * cols + t] + eps);
      }
      return loss;
    }
    const st = new Float32Array(heap.buffer, stats.offset, 4 * SOFTMAX_CHUNK);
    const sums = new Float64Array(heap.buffer, stats.offset, 2 * SOFTMAX_CHUNK);
    softmaxRows(rows, cols, px, py, (r0, n) => {
      for (let r = 0; r < n; r++) {
        if (label(r0 + r) === ignore) continue;
        loss += Math.log(sums[2 * r + 1]) - (xt[r0 + r] - st[4 * r]);
      }
    });
    return loss;
  }

  /** The generator state as the ids view `dropout` reads and advances. */
  const words = (s: Uint32Array): Ids => ({
    data: new Int32Array(s.buffer, s.byteOffset, 4),
    off: 0,
    size: 4,
  });

  /** Each kernel's views as its emitted function's arguments. */
  const bodies: { [K in Name]: Kernels[K] } = {
    gemm: (a, b, c, o = {}) =>
      g.gemm(c.rows, c.cols, inner(a, o), R(a), a.ld, R(b), b.ld, W(c), c.ld, o),
    gemmBatched: (a, b, c, o) => {
      const { batch } = o, m = c.rows / batch, n = c.cols, k = o.transA ? a.rows / batch : a.cols;
      if (m === 0 || n === 0 || (k === 0 && o.accumulate)) return;
      // each operand's blocks, `step` bytes apart: (rows / batch)·ld floats
      const step = (v: Mat) => 4 * (v.rows / batch) * v.ld;
      const pa = R(a), pb = R(b), pc = W(c), ac = acc(o);
      const C = [pc, 4 * c.ld, step(c), ac] as const;
      if (!o.transB) {
        // element (r, p) of op(a) at pa + r·ars + p·acs
        const [ars, acs] = o.transA ? [4, 4 * a.ld] : [4 * a.ld, 4];
        x.gemm_batched_nn(batch, m, n, k, pa, ars, acs, step(a), pb, 4 * b.ld, step(b), ...C);
      } else {
        // Aᵀ·Bᵀ (not needed by attention) runs the scalar loops
        const f = o.transA ? x.gemm_batched_tt : x.gemm_batched_nt;
        f(batch, m, n, k, pa, 4 * a.ld, step(a), pb, 4 * b.ld, step(b), ...C);
      }
    },
    packB: (b, packed, o = {}) => {
      const [k, n] = o.transB ? [b.cols, b.rows] : [b.rows, b.cols];
      g.packB(k, n, R(b), b.ld, W(packed), o.transB);
    },
    gemmPacked: (a, packed, c, o = {}) =>
      g.gemmPacked(c.rows, c.cols, inner(a, o), R(a), a.ld, R(packed), W(c), c.ld, o),
    addBias: (bias, xm) => x.add_bias(xm.rows, xm.cols, R(bias), W(xm), xm.ld),
    sumRows: (xm, out, o = {}) => {
      const px = R(xm), po = W(out), tmp = marshal.temp(8 * xm.cols);
      x.sum_rows(xm.rows, xm.cols, px, xm.ld, po, acc(o), tmp);
    },
    copyRows: (xm, y, o = {}) => x.copy_rows(xm.rows, xm.cols, R(xm), xm.ld, W(y), y.ld, acc(o)),
    fill: (v, value) => x.fill(v.size, value, W(v)),
    scale: (v, alpha, y) => x.scale(v.size, alpha, R(v), W(y)),
    mul: (a, b, y) => x.mul(a.size, R(a), R(b), W(y)),
    axpy: (alpha, v, y) => x.axpy(v.size, alpha, R(v), W(y)),
    sumSquares: (v) => x.sum_squares(v.size, R(v)),
    tanhForward: (xm, y) => x.tanh_fwd(xm.rows, xm.cols, R(xm), xm.ld, W(y), y.ld),
    tanhBackward: (y, dy, dx) => x.tanh_bwd(y.rows, y.cols, R(y), y.ld, R(dy), dy.ld, W(dx), dx.ld),
    // cNext and hNext share one ld, gates and dGates another (checked)
    lstmForward: (gs, cp, cn, hn) =>
      x.lstm_fwd(cp.rows, cp.cols, W(gs), gs.ld, R(cp), cp.ld, W(cn), W(hn), cn.ld),
    lstmBackward: (gs, cp, cn, dh, dc, dg) =>
      x.lstm_bwd(cp.rows, cp.cols, R(gs), W(dg), gs.ld, R(cp), cp.ld, R(cn), cn.ld, R(dh), W(dc)),
    gruGates: (gs, hp, rh) =>
      x.gru_gates(hp.rows, hp.cols, W(gs), gs.ld, R(hp), hp.ld, W(rh), rh.ld),
    gruOutput: (gs, hp, hn) =>
      x.gru_out(hp.rows, hp.cols, W(gs), gs.ld, R(hp), hp.ld, W(hn), hn.ld),
    gruBackwardZH: (gs, hp, dhn, dg, dhp) =>
      x.gru_bwd_zh(hp.rows, hp.cols, R(gs), W(dg), gs.ld, R(hp), hp.ld, R(dhn), W(dhp)),
    gruBackwardR: (gs, hp, dhr, dg, dhp) =>
      x.gru_bwd_r(hp.rows, hp.cols, R(gs), W(dg), gs.ld, R(hp), hp.ld, R(dhr), W(dhp)),
    softmaxCrossEntropy: crossEntropy,
    softmaxCrossEntropyBackward: (y, labels, dx, o) =>
      x.softmax_xent_bwd(y.rows, y.cols, R(y), R(labels), o.ignore, o.scale, W(dx)),
    softmax: (xm, y) => softmaxRows(xm.rows, xm.cols, R(xm), W(y)),
    softmaxBackward: (y, dout, dx) => x.softmax_bwd(y.rows, y.cols, R(y), R(dout), W(dx)),
    gather: (ids, table, out) => x.gather(ids.size, table.cols, R(ids), R(table), W(out)),
    scatterAdd: (ids, dout, dW) => x.scatter_add(ids.size, dW.cols, R(ids), R(dout), W(dW)),
    dropout: (v, mask, out, o) =>
      x.dropout(v.size, o.ratio, o.keep, W(words(o.state)), R(v), W(mask), W(out)),
    sgd: (p, gr, o) => x.sgd(p.size, o.lr, W(p), R(gr)),
    momentum: (p, gr, v, o) => x.momentum(p.size, o.lr, o.momentum, W(p), R(gr), W(v)),
    nesterov: (p, gr, v, o) => x.nesterov(p.size, o.lr, o.momentum, W(p), R(gr), W(v)),
    adagrad: (p, gr, h, o) => x.adagrad(p.size, o.lr, W(p), R(gr), W(h)),
    rmsprop: (p, gr, h, o) => x.rmsprop(p.size, o.lr, o.decay, W(p), R(gr), W(h)),
    adam: (p, gr, m, v, o) => x.adam(p.size, o.lrT, o.beta1, o.beta2, W(p), R(gr), W(m), W(v)),
  };

  type Any = (...args: unknown[]) => unknown;
  const js = jsKernels as unknown as Record<Name, Any>;

  /**
   * The kernel `name`: its checks, then its body, translating its views; where they do not fit
   * the arena, the js kernel on the call's own arguments (the packed kernels cannot: their
   * operand has this backend's layout).
   */
  function kernel(name: Name): Any {
    const check = checks[name] as unknown as (at: string, ...args: unknown[]) => void;
    const body = bodies[name] as unknown as Any;
    const fallback = PACKED.has(name)
      ? () => {
        throw new SaikiError(`${name}: the packed weights must live in the engine's memory`);
      }
      : (args: unknown[]) => js[name](...args);
    return (...args) => {
      check(name, ...args);
      return call(() => body(...args), () => fallback(args));
    };
  }

  const names = Object.keys(bodies) as Name[];
  return {
    name: relaxed ? "wasm-relaxed" : "wasm",
    packedSize,
    ...Object.fromEntries(names.map((name) => [name, kernel(name)])),
  } as unknown as Kernels;
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
 * import { asMat } from "../views.ts";
 * const k = wasmKernels();
 * if (k !== undefined) {
 *   assert(k.name.startsWith("wasm"));
 *   // (2×3)·(3×2): C = A·B, on arrays outside the engine's memory (copied in and out)
 *   const a = new Float32Array([1, 2, 3, 4, 5, 6]), b = new Float32Array([1, 0, 0, 1, 1, 1]);
 *   const c = new Float32Array(4);
 *   k.gemm(asMat(a, 2, 3), asMat(b, 3, 2), asMat(c, 2, 2));
 *   assert(c.join() === "4,5,10,11");
 * }
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
