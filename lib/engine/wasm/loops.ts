/**
 * The loop skeleton the pointwise kernel families share: row pointers, the row loop and the
 * lane swap of the float64 reductions. It emits no kernel itself.
 *
 * Every row kernel walks `rows` rows, each from its own row pointer and leading dimension, four
 * columns at a time; the last `cols % 4` columns run the same vector code on one lane
 * (`v128.load32_zero`, `v128.store32_lane`), so a kernel's arithmetic is written once and the
 * tail computes exactly what a full vector would. Pointers are byte addresses in the engine's
 * memory; leading dimensions are in elements.
 *
 * @module
 */

import {
  brIf,
  type Expr,
  forRange,
  type FunctionBuilder,
  i32,
  ifThen,
  type Local,
  loop,
  seq,
  type Stmt,
  v128,
} from "./emit.ts";

/**
 * Loads and stores of four lanes, or of lane 0 alone (the tail of a row): what
 * {@linkcode rowLoop} hands a kernel's body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f32x4, i32, type Local, ModuleBuilder } from "./emit.ts";
 * import { type IO, rowLoop, rowPtr } from "./loops.ts";
 * // y = −x over `len` floats: the body is written once, for full vectors and the lane tail
 * const negate = (io: IO, x: Local<"i32">, y: Local<"i32">) => [
 *   io.store(y, f32x4.neg(io.load(x))),
 * ];
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * mod.func("neg", { len: "i32", x: "i32", y: "i32" }, "void", (p, f) => {
 *   const [sx, px] = rowPtr(f, p.x.get(), i32.const(0));
 *   const [sy, py] = rowPtr(f, p.y.get(), i32.const(0));
 *   return [sx, sy, rowLoop(f, i32.const(1), p.len, [px, py], (io) => negate(io, px.at, py.at))];
 * });
 * assert(WebAssembly.validate(mod.toBytes()));
 * ```
 */
export interface IO {
  /** The vector at `p` (plus `offset` bytes), or lane 0 alone with the others zero. */
  load(p: Local<"i32">, offset?: number): Expr<"v128">;
  /** Stores `v` at `p` (plus `offset` bytes): four lanes, or lane 0 alone. */
  store(p: Local<"i32">, v: Expr, offset?: number): Stmt;
}

/** Four lanes, `4·k` floats after the cursors (the `k`-th vector of an unrolled step). */
const vecIO = (k: number): IO => ({
  load: (p, offset = 0) => v128.load(p.get(), offset + 16 * k),
  store: (p, v, offset = 0) => v128.store(p.get(), v, offset + 16 * k),
});

/**
 * Vectors per step of the unrolled main loop: independent work the core can overlap.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UNROLL } from "./loops.ts";
 * // rowLoop's main loop takes 4·UNROLL columns a step
 * assert(Number.isInteger(UNROLL) && UNROLL >= 1);
 * ```
 */
export const UNROLL = 4;

const laneIO: IO = {
  load: (p, offset = 0) => v128.load32_zero(p.get(), offset),
  store: (p, v, offset = 0) => v128.store32_lane(p.get(), v, offset, 0),
};

/**
 * A row pointer: its start (advanced by `ld` bytes per row) and the cursor along the row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { i32, ModuleBuilder } from "./emit.ts";
 * import { type RowPtr, rowPtr } from "./loops.ts";
 * // `ld` is in bytes: the next row starts at start + ld
 * const nextRow = (ptr: RowPtr) => i32.add(ptr.start.get(), ptr.ld);
 * const mod = new ModuleBuilder();
 * mod.func("second_row", { x: "i32", ld: "i32" }, "i32", (p, f) => {
 *   const [setup, ptr] = rowPtr(f, p.x.get(), p.ld.get());
 *   return [setup, nextRow(ptr)];
 * });
 * const { exports } = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()));
 * assert((exports.second_row as (x: number, ld: number) => number)(64, 5) === 84);
 * ```
 */
export interface RowPtr {
  /** The current row's first byte. */
  start: Local<"i32">;
  /** Bytes from one row to the next. */
  ld: Expr<"i32">;
  /** The cursor along the row, set by {@linkcode rowLoop}. */
  at: Local<"i32">;
}

/**
 * `for r < rows: for j < cols: body` with every pointer's cursor at column `j` of row `r`:
 * sixteen columns a step (the body four times: V8 overlaps independent copies far better than
 * iterations), then four, then the tail one by one. Every row start advances by its `ld` after
 * the row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f32x4, ModuleBuilder } from "./emit.ts";
 * import { rowLoop, rowPtr } from "./loops.ts";
 * // y[r, j] = 2·x[r, j] on strided rows
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * mod.func(
 *   "double",
 *   { rows: "i32", cols: "i32", x: "i32", ldx: "i32", y: "i32", ldy: "i32" },
 *   "void",
 *   (p, f) => {
 *     const [sx, px] = rowPtr(f, p.x.get(), p.ldx.get());
 *     const [sy, py] = rowPtr(f, p.y.get(), p.ldy.get());
 *     return [
 *       sx,
 *       sy,
 *       rowLoop(f, p.rows.get(), p.cols, [px, py], (io) => [
 *         io.store(py.at, f32x4.add(io.load(px.at), io.load(px.at))),
 *       ]),
 *     ];
 *   },
 * );
 * const memory = new WebAssembly.Memory({ initial: 1 }), v = new Float32Array(memory.buffer);
 * const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } })
 *   .exports as Record<string, (...args: number[]) => void>;
 * // 2 rows of 21 columns (ld 24): 16 in the unrolled step, 4 in a vector, 1 in the tail
 * for (let i = 0; i < 48; i++) v[i] = i;
 * x.double(2, 21, 0, 24, 4 * 64, 21);
 * assert.deepEqual([...v.subarray(64, 64 + 42)], [
 *   ...Array.from({ length: 21 }, (_, j) => 2 * j),
 *   ...Array.from({ length: 21 }, (_, j) => 2 * (24 + j)),
 * ]);
 * ```
 */
export function rowLoop(
  f: FunctionBuilder,
  rows: Expr<"i32">,
  cols: Local<"i32">,
  ptrs: RowPtr[],
  body: (io: IO) => Stmt[],
): Stmt {
  const r = f.local("i32"), j = f.local("i32");
  const advance = (bytes: number) => ptrs.map((p) => p.at.inc(bytes));
  return forRange(
    r,
    i32.const(0),
    rows,
    1,
    ...ptrs.map((p) => p.at.set(p.start.get())),
    j.set(i32.const(0)),
    ifThen(
      i32.le_s(i32.const(4 * UNROLL), cols.get()),
      loop(
        ...Array.from({ length: UNROLL }, (_, k) => body(vecIO(k))).flat(),
        ...advance(16 * UNROLL),
        j.inc(4 * UNROLL),
        brIf(0, i32.le_s(i32.add(j.get(), i32.const(4 * UNROLL)), cols.get())),
      ),
    ),
    ifThen(
      i32.le_s(i32.add(j.get(), i32.const(4)), cols.get()),
      loop(
        ...body(vecIO(0)),
        ...advance(16),
        j.inc(4),
        brIf(0, i32.le_s(i32.add(j.get(), i32.const(4)), cols.get())),
      ),
    ),
    ifThen(
      i32.lt_s(j.get(), cols.get()),
      loop(...body(laneIO), ...advance(4), j.inc(1), brIf(0, i32.lt_s(j.get(), cols.get()))),
    ),
    ...ptrs.map((p) => p.start.set(i32.add(p.start.get(), p.ld))),
  );
}

/**
 * A row pointer starting at `start` (a parameter) with leading dimension `ld` elements, and
 * the statement that sets it up (put it before the loop).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f32, i32, ModuleBuilder } from "./emit.ts";
 * import { rowPtr } from "./loops.ts";
 * // x[1, 0] of a matrix with leading dimension ld: the row start advanced once
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * mod.func("row1", { x: "i32", ld: "i32" }, "f32", (p, f) => {
 *   const [setup, ptr] = rowPtr(f, p.x.get(), p.ld.get());
 *   return [setup, ptr.start.set(i32.add(ptr.start.get(), ptr.ld)), f32.load(ptr.start.get())];
 * });
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * new Float32Array(memory.buffer).set([1, 2, 3, 4, 5, 6]);
 * const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } })
 *   .exports as Record<string, (x: number, ld: number) => number>;
 * assert(x.row1(0, 3) === 4 && x.row1(4, 2) === 4);
 * ```
 */
export function rowPtr(f: FunctionBuilder, start: Expr<"i32">, ld: Expr<"i32">): [Stmt, RowPtr] {
  const s = f.local("i32"), l = f.local("i32");
  return [
    seq(s.set(start), l.set(i32.shl(ld, i32.const(2)))),
    { start: s, ld: l.get(), at: f.local("i32") },
  ];
}

/**
 * Row pointers to gate blocks of width `h` in the rows starting at `g` (leading dimension
 * `ldg` elements): block `b` starts `b·h` floats into each row. The LSTM's gates are the blocks
 * `[f, g, i, o]`, the GRU's `[z, r, ĥ]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f32x4, i32, ModuleBuilder } from "./emit.ts";
 * import { gatePtrs, rowLoop } from "./loops.ts";
 * // in rows of [a | b] (width h each, ld 2h): a += b
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * mod.func("fold", { n: "i32", h: "i32", g: "i32" }, "void", (p, f) => {
 *   const ld = i32.shl(p.h.get(), i32.const(1));
 *   const [setup, [a, b]] = gatePtrs(f, p.g.get(), ld, p.h, [0, 1]);
 *   return [
 *     setup,
 *     rowLoop(f, p.n.get(), p.h, [a, b], (io) => [
 *       io.store(a.at, f32x4.add(io.load(a.at), io.load(b.at))),
 *     ]),
 *   ];
 * });
 * const memory = new WebAssembly.Memory({ initial: 1 }), v = new Float32Array(memory.buffer);
 * v.set([1, 2, 10, 20, 3, 4, 30, 40]);
 * const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } })
 *   .exports as Record<string, (...args: number[]) => void>;
 * x.fold(2, 2, 0);
 * assert.deepEqual([...v.subarray(0, 8)], [11, 22, 10, 20, 33, 44, 30, 40]);
 * ```
 */
export function gatePtrs(
  f: FunctionBuilder,
  g: Expr<"i32">,
  ldg: Expr<"i32">,
  h: Local<"i32">,
  blocks: number[],
): [Stmt, RowPtr[]] {
  const setup: Stmt[] = [], ptrs: RowPtr[] = [];
  for (const b of blocks) {
    const [s, p] = rowPtr(f, i32.add(g, i32.mul(h.get(), i32.const(4 * b))), ldg);
    setup.push(s), ptrs.push(p);
  }
  return [seq(...setup), ptrs];
}

/**
 * `e` with its two 64-bit halves swapped: `f64x2.promote_low_f32x4` of it promotes lanes 2
 * and 3, which is how the float64 reductions reach the upper half of a float32 vector.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f32x4, ModuleBuilder, v128 } from "./emit.ts";
 * import { swapHalves } from "./loops.ts";
 * const mod = new ModuleBuilder().importMemory({ initial: 1 });
 * mod.func("lane2", { x: "i32" }, "f32", (p) => [
 *   f32x4.extract_lane(swapHalves(v128.load(p.x.get())), 0),
 * ]);
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * new Float32Array(memory.buffer).set([1, 2, 3, 4]);
 * const x = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()), { env: { memory } })
 *   .exports as Record<string, (x: number) => number>;
 * assert(x.lane2(0) === 3);
 * ```
 */
export function swapHalves(e: Expr): Expr<"v128"> {
  return v128.shuffle(e, e, [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
}
