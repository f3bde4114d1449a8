/**
 * Every method of the {@linkcode Kernels} interface, for every backend variant, against
 * float64 references: reference loops written here, and for GEMM the naive triple loop
 * {@linkcode gemmNaive} of `lib/engine/js.ts` (one reference GEMM for the whole library).
 *
 * How each kernel is run:
 * - its arrays are larger than the views it is given (offsets, leading dimensions wider than
 *   the rows, elements after the last row), filled with random values, and every element
 *   outside the region written must come back bit for bit unchanged — inputs entirely so;
 * - it runs twice: once with every array in the engine's memory (`engineTensor(…).data`,
 *   addressed in place by the WebAssembly kernels) and once with plain heap `Float32Array`s
 *   (copied in and out of the scratch arena); both runs must agree bit for bit, since they
 *   execute the same arithmetic on the same values.
 *
 * Tolerances (`u = 2⁻²⁴`, the unit roundoff of float32):
 * - GEMM: the WebAssembly kernels accumulate in float32 (fused multiply-adds where relaxed SIMD
 *   validates), so each element of `C` is a float32 dot product whose error is at most
 *   `γ_k·Σ_p |a_ip·b_pj|` with `γ_k ≈ k·u`; adding the old `C` and the per-`KC`-slice partial
 *   sums adds two roundings. The bound used, `(k + 2)·2u·(Σ|a·b| + |c₀|)`, has a factor 2 of
 *   margin (which also covers the reference's own rounding to float32) and means nothing but
 *   "as good as float32 arithmetic can be". The plain kernels accumulate in float64 and round
 *   once, as `gemmNaive` does: `2u·|c| + (k + 2)·2⁻⁵²·(Σ|a·b| + |c₀|)`. `Σ|a·b|` is
 *   `gemmNaive` of `|a|` and `|b|`.
 * - Pointwise kernels: each output is a chain of at most ~8 float32 operations and
 *   activations. With `M` the sum of the magnitudes of the terms that enter an output (for
 *   example `1 + |c_prev|` for `c = f·c_prev + g·i`, the gates being at most 1), each rounding
 *   contributes at most `u·M` and each activation at most `ACT·M`, where `ACT` is the
 *   activations' absolute error: `2e-7` for the SIMD `exp`/σ/`tanh` (measured ≤ 1.2e-7 by
 *   `math_test.ts`), `u` for the plain kernels (`Math` in float64, rounded once). The bound
 *   `8·(ACT + u)·M` leaves a margin of about 2 over the operation count.
 * - Kernels that only copy, add once or multiply once (`copyRows`, `addBias`, `fill`, `mul`,
 *   `gather`, `scatterAdd`, `dropout`) are exact: both backends round the exact result once.
 * - Optimizers: both backends compute each element in float64 and round once, so they must
 *   be within one float32 ulp of a float64 reference (and of each other).
 *
 * Operands that do not fit (a gemm of mismatched sizes, a view running past its array, a
 * strided view where a kernel needs contiguous rows) throw a `SaikiError` naming the kernel
 * and the operand, on every backend, before anything is written.
 */

import { gemmNaive } from "../../lib/engine/js.ts";
import { jsKernels, type Kernels } from "../../lib/engine/kernels.ts";
import { engineHeap } from "../../lib/engine/memory.ts";
import { asMat, colBlock, type Ids, type Mat, timestep, type Vec } from "../../lib/engine/views.ts";
import { wasmKernelsWith } from "../../lib/engine/wasm/backend.ts";
import { SaikiError } from "../../lib/errors.ts";
import { Rng } from "../../lib/random.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";
import { engineTensor, IntTensor, type Tensor } from "../../lib/tensor.ts";

const U = 2 ** -24;
/** Absolute error bound of the SIMD activations (see the module doc). */
const WASM_ACT = 2e-7;
/** The smallest normal float32: a SIMD `exp` below it is flushed to 0. */
const FLT_MIN = 2 ** -126;

type Arr = Float32Array | Int32Array | Uint32Array;
type Arrays = Record<string, Arr>;
type Floats = Record<string, Float32Array>;

function fail(message: string): never {
  assertOk(false, message);
  throw new Error(message);
}

// ---- views, built as the tests need them (unchecked: some run past their arrays on purpose) ----

/** Rows `× cols` of `data` from `off`, `ld` apart. */
const mat = (data: Float32Array, off: number, rows: number, cols: number, ld = cols): Mat => ({
  data,
  off,
  rows,
  cols,
  ld,
});
/** `size` values of `data` from `off`. */
const vec = (data: Float32Array, off: number, size: number): Vec => ({ data, off, size });
/** `size` ids of `data` from `off`. */
const ids = (data: Int32Array, off: number, size: number): Ids => ({ data, off, size });

/** A matrix view's layout, applied to an array wherever it was placed: `X(a.x)`. */
const matAt = (off: number, rows: number, cols: number, ld = cols) => (data: Float32Array) =>
  mat(data, off, rows, cols, ld);
/** A vector view's layout, likewise. */
const vecAt = (off: number, size: number) => (data: Float32Array) => vec(data, off, size);

/** Where a matrix view is, without its array: one layout, applied to arrays placed anywhere. */
type At = Omit<Mat, "data">;
const on = (data: Float32Array, at: At): Mat => ({ data, ...at });

// ---- placing arrays in engine memory or on the heap ----

const PLACES = ["engine", "heap"] as const;
type Place = typeof PLACES[number];

/** Copies of `init` in engine memory (tensors held until `release`) or on the JS heap. */
function place<A extends Arrays>(init: A, where: Place): { arrays: A; release: () => void } {
  const held: (Tensor | IntTensor)[] = [];
  const arrays: Arrays = {};
  for (const [name, a] of Object.entries(init)) {
    if (where === "heap") {
      arrays[name] = a.slice();
      continue;
    }
    let view: Arr;
    if (a instanceof Float32Array) {
      const t = engineTensor([a.length]);
      held.push(t);
      view = t.data;
    } else {
      const t = IntTensor.engine([a.length]);
      held.push(t);
      view = a instanceof Int32Array
        ? t.data
        : new Uint32Array(t.data.buffer, t.data.byteOffset, a.length);
    }
    view.set(a as never);
    if (!engineHeap().owns(view.buffer)) fail(`${name} is not in the engine's memory`);
    arrays[name] = view;
  }
  return { arrays: arrays as A, release: () => held.forEach((t) => t.block!.free()) };
}

const bitsOf = (a: Arr) => new Uint32Array(a.buffer, a.byteOffset, a.length);

function assertSameBits(label: string, actual: Arr, expected: Arr): void {
  if (actual.length !== expected.length) {
    fail(`${label}: ${actual.length} elements, expected ${expected.length}`);
  }
  const x = bitsOf(actual), y = bitsOf(expected);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) fail(`${label}[${i}]: ${actual[i]}, expected ${expected[i]} bit for bit`);
  }
}

/**
 * Runs `call` with the arrays in engine memory and again on the heap; asserts both runs leave
 * the same bits and return the same value; returns the engine run's arrays and result.
 */
function runBoth<A extends Arrays, R>(
  label: string,
  init: A,
  call: (a: A) => R,
): { arrays: A; result: R } {
  const outs = PLACES.map((where) => {
    const { arrays, release } = place(init, where);
    try {
      const result = call(arrays);
      const copies: Arrays = {};
      for (const [name, a] of Object.entries(arrays)) copies[name] = a.slice();
      return { arrays: copies as A, result };
    } finally {
      release();
    }
  });
  for (const name of Object.keys(init)) {
    assertSameBits(
      `${label}: ${name} copied in from the heap (actual) vs in engine memory (expected)`,
      outs[1].arrays[name],
      outs[0].arrays[name],
    );
  }
  if (!Object.is(outs[0].result, outs[1].result)) {
    fail(`${label}: returned ${outs[0].result} in engine memory, ${outs[1].result} on the heap`);
  }
  return outs[0];
}

/** What an array must hold after a kernel: written elements within a tolerance, others as before. */
class Expect {
  readonly init: Arr;
  readonly values: Float64Array;
  readonly tol: Float64Array;
  readonly written: Uint8Array;

  constructor(init: Arr) {
    this.init = init;
    this.values = Float64Array.from(init);
    this.tol = new Float64Array(init.length);
    this.written = new Uint8Array(init.length);
  }

  set(i: number, value: number, tol = 0): void {
    if (!(i >= 0 && i < this.values.length)) fail(`reference writes ${i} of ${this.values.length}`);
    this.values[i] = value;
    this.tol[i] = tol;
    this.written[i] = 1;
  }
}

function check(label: string, actual: Arr, e: Expect): void {
  if (actual.length !== e.values.length) fail(`${label}: length ${actual.length}`);
  const a32 = bitsOf(actual), i32 = bitsOf(e.init);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    if (!e.written[i]) {
      if (a32[i] !== i32[i]) {
        fail(`${label}[${i}] is outside the region written, yet changed from ${e.init[i]} to ${a}`);
      }
      continue;
    }
    const d = Math.abs(a - e.values[i]);
    if (!(d <= e.tol[i])) {
      fail(`${label}[${i}] = ${a}, expected ${e.values[i]} ± ${e.tol[i]} (|diff| ${d})`);
    }
  }
}

/**
 * Runs `call` in both placements and checks every array: those in `expect` against it, all
 * others unchanged. Returns the kernel's result and the final arrays.
 */
function verify<A extends Arrays, R>(
  label: string,
  init: A,
  call: (a: A) => R,
  expect: Partial<Record<keyof A, Expect>>,
): { arrays: A; result: R } {
  const out = runBoth(label, init, call);
  for (const [name, a] of Object.entries(init)) {
    const e = expect[name];
    if (e !== undefined) check(`${label}: ${name}`, out.arrays[name], e);
    else assertSameBits(`${label}: input ${name} is unchanged`, out.arrays[name], a);
  }
  return out;
}

// ---- numbers ----

function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * rng.normal();
  return a;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
/** One float32 ulp at `v`'s magnitude. */
function ulp(v: number): number {
  f32[0] = Math.abs(v);
  const e = (u32[0] >>> 23) & 255;
  return e === 0 ? 2 ** -149 : 2 ** (e - 150);
}

/** Elements a strided `(rows, cols)` operand with leading dimension `ld` spans. */
const span = (rows: number, cols: number, ld: number) =>
  rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;

// ---- GEMM problems: logical op(A) (m, k), op(B) (k, n), C₀ (m, n), stored as gemm reads them ----

interface GemmProblem {
  m: number;
  n: number;
  k: number;
  A: Float32Array;
  B: Float32Array;
  C0: Float32Array;
}

function gemmProblem(rng: Rng, m: number, n: number, k: number): GemmProblem {
  return { m, n, k, A: randn(rng, m * k), B: randn(rng, k * n), C0: randn(rng, m * n) };
}

/** A problem stored in padded arrays, and where `gemm`'s views of them are. */
interface GemmLayout {
  k: number;
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
  at: { a: At; b: At; c: At };
  trans: { transA: boolean; transB: boolean };
}

/** The problem stored as `gemm` reads it: `A` stored `(k, m)` when `tA`, `B` `(n, k)` when `tB`. */
function gemmLayout(rng: Rng, P: GemmProblem, tA: boolean, tB: boolean, pad: number): GemmLayout {
  const { m, n, k } = P;
  const lda = (tA ? m : k) + pad, ldb = (tB ? k : n) + ((pad + 1) % 4), ldc = n + ((pad + 2) % 4);
  const aOff = 5, bOff = 3, cOff = 7;
  const a = randn(rng, aOff + lda * (tA ? k : m) + 4);
  const b = randn(rng, bOff + ldb * (tB ? n : k) + 4);
  const c = randn(rng, cOff + ldc * m + 6);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) a[aOff + (tA ? p * lda + i : i * lda + p)] = P.A[i * k + p];
  }
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) b[bOff + (tB ? j * ldb + p : p * ldb + j)] = P.B[p * n + j];
  }
  for (let i = 0; i < m; i++) c.set(P.C0.subarray(i * n, (i + 1) * n), cOff + i * ldc);
  const at = {
    a: { off: aOff, rows: tA ? k : m, cols: tA ? m : k, ld: lda },
    b: { off: bOff, rows: tB ? n : k, cols: tB ? k : n, ld: ldb },
    c: { off: cOff, rows: m, cols: n, ld: ldc },
  };
  return { k, a, b, c, at, trans: { transA: tA, transB: tB } };
}

/**
 * The tolerance of one element `v` of a product over `k` terms of magnitude `M` (`Σ|a·b|`, plus
 * `|c₀|` when accumulating): see the module doc.
 */
function gemmTol(k: number, v: number, M: number, float64: boolean): number {
  return k === 0
    ? 0
    : float64
    ? 2 * U * Math.abs(v) + (k + 2) * 2 ** -52 * M
    : (k + 2) * 2 * U * M + 1e-30;
}

/** What `C` must hold: `gemmNaive`'s result on the same views, within the module doc's bounds. */
function expectC(L: GemmLayout, accumulate: boolean, float64: boolean): Expect {
  const { at, trans, k } = L;
  const ref = L.c.slice(), mag = new Float32Array(L.c.length);
  gemmNaive(on(L.a, at.a), on(L.b, at.b), on(ref, at.c), { ...trans, accumulate });
  gemmNaive(on(L.a.map(Math.abs), at.a), on(L.b.map(Math.abs), at.b), on(mag, at.c), trans);
  const e = new Expect(L.c);
  for (let i = 0; i < at.c.rows; i++) {
    for (let j = 0; j < at.c.cols; j++) {
      const o = at.c.off + i * at.c.ld + j, v = ref[o];
      const M = mag[o] + (accumulate ? Math.abs(L.c[o]) : 0);
      e.set(o, v, gemmTol(k, v, M, float64));
    }
  }
  return e;
}

function runGemm(kk: Kernels, label: string, L: GemmLayout, accumulate: boolean): Float32Array {
  const { at } = L, options = { ...L.trans, accumulate };
  return verify(
    label,
    { a: L.a, b: L.b, c: L.c },
    (x) => kk.gemm(on(x.a, at.a), on(x.b, at.b), on(x.c, at.c), options),
    { c: expectC(L, accumulate, kk.name === "js") },
  ).arrays.c;
}

const BOOLS = [false, true];

// ---- batched products: `batch` blocks of rows per operand, one product per block ----

/** Operands of `gemmBatched` in padded arrays, and where its views of them are. */
interface BatchedLayout {
  batch: number;
  k: number;
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
  at: { a: At; b: At; c: At };
  trans: { transA: boolean; transB: boolean };
}

/** Block `i` of `batch` equal blocks of rows of a view. */
function blockOf(at: At, batch: number, i: number): At {
  const rows = at.rows / batch;
  return { ...at, off: at.off + i * rows * at.ld, rows };
}

/**
 * `batch` random products `(m × k)·(k × n)`, each operand's blocks stacked in one array as
 * `gemmBatched` reads them (`A` blocks stored `(k, m)` when `tA`, `B` blocks `(n, k)` when
 * `tB`), with offsets and leading dimensions padded by `pad`.
 */
function batchedLayout(
  rng: Rng,
  [batch, m, n, k]: number[],
  tA: boolean,
  tB: boolean,
  pad: number,
): BatchedLayout {
  const [ar, ac] = tA ? [k, m] : [m, k], [br, bc] = tB ? [n, k] : [k, n];
  const lda = ac + pad, ldb = bc + ((pad + 1) % 4), ldc = n + ((pad + 2) % 4);
  const aOff = 5, bOff = 3, cOff = 7;
  const a = randn(rng, aOff + lda * batch * ar + 4);
  const b = randn(rng, bOff + ldb * batch * br + 4);
  const c = randn(rng, cOff + ldc * batch * m + 6);
  const at = {
    a: { off: aOff, rows: batch * ar, cols: ac, ld: lda },
    b: { off: bOff, rows: batch * br, cols: bc, ld: ldb },
    c: { off: cOff, rows: batch * m, cols: n, ld: ldc },
  };
  return { batch, k, a, b, c, at, trans: { transA: tA, transB: tB } };
}

/** What `C` must hold: `gemmNaive` block by block on the same views, within `gemmTol`. */
function expectBatched(L: BatchedLayout, accumulate: boolean, float64: boolean): Expect {
  const { at, trans, k, batch } = L;
  const ref = L.c.slice(), mag = new Float32Array(L.c.length);
  const absA = L.a.map(Math.abs), absB = L.b.map(Math.abs);
  const e = new Expect(L.c);
  for (let i = 0; i < batch; i++) {
    const A = blockOf(at.a, batch, i), B = blockOf(at.b, batch, i), C = blockOf(at.c, batch, i);
    gemmNaive(on(L.a, A), on(L.b, B), on(ref, C), { ...trans, accumulate });
    gemmNaive(on(absA, A), on(absB, B), on(mag, C), trans);
    for (let r = 0; r < C.rows; r++) {
      for (let j = 0; j < C.cols; j++) {
        const o = C.off + r * C.ld + j, v = ref[o];
        const M = mag[o] + (accumulate ? Math.abs(L.c[o]) : 0);
        e.set(o, v, gemmTol(k, v, M, float64));
      }
    }
  }
  return e;
}

/** Runs `gemmBatched` on `L` in both placements against {@linkcode expectBatched}. */
function runBatched(kk: Kernels, label: string, L: BatchedLayout, accumulate: boolean) {
  const { at } = L, options = { ...L.trans, batch: L.batch, accumulate };
  return verify(
    label,
    { a: L.a, b: L.b, c: L.c },
    (x) => kk.gemmBatched(on(x.a, at.a), on(x.b, at.b), on(x.c, at.c), options),
    { c: expectBatched(L, accumulate, kk.name === "js") },
  ).arrays.c;
}

/** Rows of scores: random, one ignored row, one of large scores (1000 and −1000). */
function scores(rng: Rng, rows: number, cols: number, off: number) {
  const x = randn(rng, off + rows * cols + 3, 4);
  const labels = new Int32Array(rows + 3).fill(77);
  for (let r = 0; r < rows; r++) labels[2 + r] = Math.floor(rng.uniform() * cols);
  labels[2 + 1] = -1;
  for (let j = 0; j < cols; j++) x[off + 3 * cols + j] = j % 3 === 0 ? 1000 - j : -1000 + j;
  for (let j = 0; j < cols; j++) x[off + 4 * cols + j] = j === 0 ? 1000 : -1000;
  labels[2 + 4] = 0;
  return { x, labels };
}

/**
 * Float64 softmax of row `r` and its loss term, with tolerances (see the module doc); `EXP`
 * bounds the relative error of the backend's `exp` on `x ≤ 0`.
 */
function softmaxRef(
  x: Float32Array,
  off: number,
  cols: number,
  r: number,
  label: number,
  eps: number,
  EXP: number,
) {
  const row = Array.from(x.subarray(off + r * cols, off + (r + 1) * cols));
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
  // x − max is rounded to float32 by the SIMD kernel: relative error u·|x − max| in exp
  let spread = 0;
  for (const v of row) if (v - m >= -88) spread = Math.max(spread, m - v);
  const rel = 4 * (EXP + U) + 2 * U * spread;
  const y = e.map((v) => v / s), tolY = y.map((v) => rel * v + 2 * FLT_MIN);
  const loss = eps > 0 ? -Math.log(y[label] + eps) : Math.log(s) - (row[label] - m);
  const tolLoss = eps > 0
    ? (rel * y[label] + 2 * FLT_MIN) / (y[label] + eps) + 1e-14
    : 2 * (EXP + U) + 2 * U * spread + 1e-14 * Math.abs(loss);
  return { y, tolY, loss, tolLoss };
}

// ---- the tests, per backend variant ----

/**
 * The plain kernels, and the WebAssembly kernels with relaxed SIMD's fused multiply-add and
 * without it (multiply then add, what runtimes without relaxed SIMD run). A variant this
 * runtime cannot run is registered anyway, ignored, so the summary shows what was not tested.
 */
const variants: [string, Kernels | undefined][] = [
  ["js", jsKernels],
  ["wasm-relaxed", wasmKernelsWith(true)],
  ["wasm", wasmKernelsWith(false)],
];
for (const [name, k] of variants) {
  if (k === undefined) {
    console.error(
      `skip: this runtime cannot run the ${name} kernels (no WebAssembly ` +
        `${name === "wasm" ? "" : "relaxed "}SIMD): their kernels_test tests are ignored`,
    );
  }
}

for (const [bk, variant] of variants) {
  const k = variant!;
  const ACT = bk === "js" ? U : WASM_ACT;
  /** Tolerance of a pointwise output with activations, terms of magnitude `M`. */
  const tolAct = (M: number) => 8 * (ACT + U) * M;
  /** Tolerance of a pointwise output of float32 arithmetic only. */
  const tolArith = (M: number) => 8 * U * M;
  /** A test of this variant, ignored where the runtime cannot run it. */
  const test = (name: string, fn: () => void) =>
    Deno.test({ name: `${bk}: ${name}`, ignore: variant === undefined, fn });

  test("gemm equals gemmNaive for m, n, k in 1..9, all transposes, accumulate on and off", () => {
    const rng = new Rng(1);
    for (let m = 1; m <= 9; m++) {
      for (let n = 1; n <= 9; n++) {
        for (let kk = 1; kk <= 9; kk++) {
          const P = gemmProblem(rng, m, n, kk);
          for (const tA of BOOLS) {
            for (const tB of BOOLS) {
              const L = gemmLayout(rng, P, tA, tB, (m + 2 * n + 3 * kk) % 4);
              for (const acc of BOOLS) {
                runGemm(k, `${bk} gemm ${m}x${n}x${kk} tA=${tA} tB=${tB} acc=${acc}`, L, acc);
              }
            }
          }
        }
      }
    }
  });

  test("gemm across the blocking boundaries (KC 256, MC 120, NC 1024), with B packed (m >= 64) and both tile heights", () => {
    const rng = new Rng(2);
    const sizes: [number, number, number][] = [
      [130, 1030, 300], // two row blocks (the second of 10), two column blocks (6), two K slices
      [125, 40, 37], // six-row tiles, the last row block of 5 rows: one partial panel
      [20, 40, 37], // five-row tiles (20 rows), k not a multiple of 4
      [5, 1030, 7], // B read in place (m < 64, not transposed) across NC
      [64, 8, 16], // the first m where B is packed
      [63, 17, 5], // the last m where it is not
      [67, 33, 260], // packed, two K slices of which the second has 4
      [128, 16, 256], // exactly one block in each dimension
      [9, 9, 513], // three K slices, the last of 1
    ];
    for (const [m, n, kk] of sizes) {
      const P = gemmProblem(rng, m, n, kk);
      for (const tA of BOOLS) {
        for (const tB of BOOLS) {
          const L = gemmLayout(rng, P, tA, tB, 3);
          for (const acc of BOOLS) {
            runGemm(k, `${bk} gemm ${m}x${n}x${kk} tA=${tA} tB=${tB} acc=${acc}`, L, acc);
          }
        }
      }
    }
  });

  test("gemm with k = 0 writes zeros (or keeps C when accumulating); m = 0 or n = 0 touch nothing", () => {
    const rng = new Rng(3);
    for (const [m, n] of [[3, 5], [70, 9], [1, 1030]]) {
      const P = gemmProblem(rng, m, n, 0);
      for (const tA of BOOLS) {
        for (const tB of BOOLS) {
          const L = gemmLayout(rng, P, tA, tB, 2);
          for (const acc of BOOLS) {
            const c = runGemm(k, `${bk} gemm ${m}x${n}x0 tA=${tA} acc=${acc}`, L, acc);
            if (!acc) assertEquals(c[L.at.c.off + L.at.c.ld * (m - 1) + n - 1], 0);
          }
        }
      }
    }
    for (const [m, n, kk] of [[0, 5, 3], [4, 0, 3], [0, 0, 0]]) {
      const L = gemmLayout(rng, gemmProblem(rng, m, n, kk), false, true, 1);
      for (const acc of BOOLS) runGemm(k, `${bk} gemm ${m}x${n}x${kk} acc=${acc}`, L, acc);
    }
  });

  test("packB then gemmPacked equals gemm on the same operands, for both transB and transA", () => {
    const rng = new Rng(4);
    const sizes: [number, number, number][] = [
      [1, 1, 1],
      [3, 5, 7],
      [4, 8, 9],
      [7, 9, 3],
      [2, 17, 300],
      [70, 1030, 260],
    ];
    for (const [m, n, kk] of sizes) {
      const P = gemmProblem(rng, m, n, kk);
      const size = k.packedSize(kk, n);
      assertOk(Number.isInteger(size) && size >= kk * n, `packedSize(${kk}, ${n}) = ${size}`);
      for (const tB of BOOLS) {
        for (const tA of BOOLS) {
          const acc = tA !== tB;
          const label = `${bk} packed ${m}x${n}x${kk} tA=${tA} tB=${tB} acc=${acc}`;
          const L = gemmLayout(rng, P, tA, tB, 1), { at } = L;
          // the packed buffer lives in the engine's memory (a recurrent layer's own tensor)
          const pOff = 5, sentinel = randn(rng, pOff + size + 7);
          const packedT = engineTensor([sentinel.length]);
          try {
            const packs = PLACES.map((where) => {
              packedT.data.set(sentinel);
              const { arrays, release } = place({ b: L.b }, where);
              try {
                k.packB(on(arrays.b, at.b), vec(packedT.data, pOff, size), { transB: tB });
                assertSameBits(`${label}: packB leaves B unchanged`, arrays.b, L.b);
              } finally {
                release();
              }
              return packedT.data.slice();
            });
            assertSameBits(`${label}: packB from engine vs heap B`, packs[0], packs[1]);
            const outside = new Expect(sentinel);
            for (let i = pOff; i < pOff + size; i++) outside.set(i, 0, Infinity);
            check(`${label}: packB writes only its packedSize floats`, packs[0], outside);
            const viaGemm = runGemm(k, `${label} (gemm)`, L, acc);
            // (a tensor's data is read at the call: a view made earlier may be stale)
            const packedB = () => vec(packedT.data, pOff, size);
            const options = { transA: tA, accumulate: acc };
            const packed = verify(
              `${label} (gemmPacked)`,
              { a: L.a, c: L.c },
              (x) => k.gemmPacked(on(x.a, at.a), packedB(), on(x.c, at.c), options),
              { c: expectC(L, acc, k.name === "js") },
            ).arrays.c;
            assertSameBits(`${label}: gemmPacked vs gemm`, packed, viaGemm);
            assertSameBits(
              `${label}: gemmPacked leaves the packed B unchanged`,
              packedT.data,
              packs[0],
            );
          } finally {
            packedT.block!.free();
          }
        }
      }
    }
  });

  // ---- batched products (attention) ----

  test("gemmBatched equals gemmNaive block by block: batch 1 and 4, m 1..5, n and k with tails of 1–3, all transposes, accumulate on and off", () => {
    const rng = new Rng(22);
    for (const batch of [1, 4]) {
      for (const m of [1, 2, 3, 5]) {
        for (const n of [1, 3, 4, 5, 8, 16, 17, 21, 33]) {
          for (const kk of [1, 3, 4, 5, 8, 9, 17, 29]) {
            for (const tA of BOOLS) {
              for (const tB of BOOLS) {
                const L = batchedLayout(rng, [batch, m, n, kk], tA, tB, (m + n + kk) % 4);
                for (const acc of BOOLS) {
                  const shape = `${batch}×(${m}x${n}x${kk})`;
                  runBatched(k, `${bk} gemmBatched ${shape} tA=${tA} tB=${tB} acc=${acc}`, L, acc);
                }
              }
            }
          }
        }
      }
    }
  });

  test("gemmBatched on attention's shapes: N = 64 blocks of (Td × H)·(T × H)ᵀ, (Td × T)·(T × H), (Td × T)ᵀ·(Td × H)", () => {
    const rng = new Rng(23);
    for (const [N, Td, T, H] of [[64, 1, 29, 5], [64, 11, 29, 37], [64, 7, 4, 256]]) {
      const shapes: [string, number[], boolean, boolean][] = [
        ["s = h·hsᵀ", [N, Td, T, H], false, true],
        ["c = a·hs", [N, Td, H, T], false, false],
        ["dhs = aᵀ·dc", [N, T, H, Td], true, false],
      ];
      for (const [what, shape, tA, tB] of shapes) {
        const L = batchedLayout(rng, shape, tA, tB, 1);
        for (const acc of BOOLS) {
          runBatched(
            k,
            `${bk} gemmBatched ${what} N=${N} Td=${Td} T=${T} H=${H} acc=${acc}`,
            L,
            acc,
          );
        }
      }
    }
  });

  test("gemmBatched on strided views: a timestep of (N, T, H) as N blocks of one row, into a column block", () => {
    const rng = new Rng(24);
    for (const [N, Td, T, H] of [[3, 4, 5, 7], [5, 2, 9, 16], [2, 3, 6, 33]]) {
      const t = Td - 1, W = 2 * H + 3; // step t of the decoder; rows of [· | c | ·], W wide
      const step = (D: number): At => ({ off: t * D, rows: N, cols: D, ld: Td * D });
      const dense = (rows: number, cols: number): At => ({ off: 0, rows, cols, ld: cols });
      const hd = randn(rng, N * Td * H), hs = randn(rng, N * T * H);
      const attn = randn(rng, N * Td * T), dc = randn(rng, N * Td * H);
      const scores = randn(rng, N * (T + 5)), out = randn(rng, N * W);
      const layouts: [string, BatchedLayout][] = [
        // s_n = h_t,n·hs_nᵀ into columns 2..T+2 of an (N, T + 5) array
        ["s_n = h_t·hs_nᵀ", {
          batch: N,
          k: H,
          a: hd,
          b: hs,
          c: scores,
          at: { a: step(H), b: dense(N * T, H), c: { off: 2, rows: N, cols: T, ld: T + 5 } },
          trans: { transA: false, transB: true },
        }],
        // c_n = a_t,n·hs_n into the middle H columns of rows W wide
        ["c_n = a_t·hs_n", {
          batch: N,
          k: T,
          a: attn,
          b: hs,
          c: out,
          at: { a: step(T), b: dense(N * T, H), c: { off: H, rows: N, cols: H, ld: W } },
          trans: { transA: false, transB: false },
        }],
        // dhs_n (+)= a_t,nᵀ·dc_t,n: (T × 1)·(1 × H), both operands timesteps
        ["dhs_n = a_tᵀ·dc_t", {
          batch: N,
          k: 1,
          a: attn,
          b: dc,
          c: hs,
          at: { a: step(T), b: step(H), c: dense(N * T, H) },
          trans: { transA: true, transB: false },
        }],
      ];
      for (const [what, L] of layouts) {
        for (const acc of BOOLS) {
          runBatched(k, `${bk} gemmBatched ${what} N=${N} T=${T} H=${H} acc=${acc}`, L, acc);
        }
      }
      // the views as the library makes them: timestep() and colBlock() on tensors' data
      const wide = asMat(out.slice(), N, W), c = colBlock(wide, H, H);
      k.gemmBatched(timestep({ data: attn, shape: [N, Td, T] }, t), asMat(hs, N * T, H), c, {
        batch: N,
      });
      const ref = out.slice();
      for (let i = 0; i < N; i++) {
        const A = mat(attn, i * Td * T + t * T, 1, T), B = mat(hs, i * T * H, T, H);
        gemmNaive(A, B, mat(ref, i * W + H, 1, H));
      }
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs(wide.data[i] - ref[i]);
        assertOk(d <= 1e-5 * (1 + Math.abs(ref[i])), `${bk} timestep·hs into colBlock [${i}]`);
      }
    }
  });

  test("gemmBatched with k = 0 writes zeros (or keeps C when accumulating); m = 0 or n = 0 touch nothing", () => {
    const rng = new Rng(25);
    for (const [batch, m, n] of [[1, 3, 5], [4, 1, 9], [3, 2, 17]]) {
      for (const tA of BOOLS) {
        for (const tB of BOOLS) {
          const L = batchedLayout(rng, [batch, m, n, 0], tA, tB, 2);
          for (const acc of BOOLS) {
            const c = runBatched(k, `${bk} gemmBatched ${batch}×(${m}x${n}x0) acc=${acc}`, L, acc);
            if (!acc) assertEquals(c[L.at.c.off + L.at.c.ld * (batch * m - 1) + n - 1], 0);
          }
        }
      }
    }
    for (const shape of [[3, 0, 5, 4], [3, 4, 0, 4], [2, 0, 0, 0]]) {
      for (const tB of BOOLS) {
        const L = batchedLayout(rng, shape, false, tB, 1);
        for (const acc of BOOLS) runBatched(k, `${bk} gemmBatched ${shape} acc=${acc}`, L, acc);
      }
    }
  });

  // ---- rows: bias, sums, copies ----

  /** (rows, cols, ld, offset) of strided operands: widths 1..9 and 16, 17 (tails of 0–3). */
  const shapes: [number, number, number, number][] = [];
  for (const rows of [1, 3]) {
    for (const cols of [1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17]) {
      shapes.push([rows, cols, cols + (cols % 3) * 2, cols % 4]);
    }
  }

  test("addBias adds the bias to each strided row and to nothing else", () => {
    const rng = new Rng(5);
    for (const [rows, cols, ld, off] of shapes) {
      const bias = randn(rng, cols + 3), x = randn(rng, off + span(rows, cols, ld) + 5);
      const ex = new Expect(x);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < cols; j++) {
          const at = off + r * ld + j;
          ex.set(at, Math.fround(x[at] + bias[2 + j])); // one rounding of an exact sum
        }
      }
      verify(
        `${bk} addBias ${rows}x${cols} ld ${ld}`,
        { bias, x },
        (a) => k.addBias(vec(a.bias, 2, cols), mat(a.x, off, rows, cols, ld)),
        { x: ex },
      );
    }
  });

  test("sumRows sums strided rows in float64 (accumulating or not)", () => {
    const rng = new Rng(6);
    for (const [rows0, cols, ld, off] of shapes) {
      for (const rows of [rows0, 7]) {
        for (const acc of BOOLS) {
          const x = randn(rng, off + span(rows, cols, ld) + 3), out = randn(rng, cols + 4);
          const eo = new Expect(out);
          for (let j = 0; j < cols; j++) {
            let s = acc ? out[1 + j] : 0, mag = Math.abs(s);
            for (let r = 0; r < rows; r++) {
              s += x[off + r * ld + j], mag += Math.abs(x[off + r * ld + j]);
            }
            // float64 sums, rounded once: half an ulp, plus float64 roundings of the terms
            eo.set(1 + j, s, ulp(s) + (rows + 1) * 2 ** -52 * mag);
          }
          verify(
            `${bk} sumRows ${rows}x${cols} acc=${acc}`,
            { x, out },
            (a) =>
              k.sumRows(mat(a.x, off, rows, cols, ld), vec(a.out, 1, cols), { accumulate: acc }),
            { out: eo },
          );
        }
      }
    }
  });

  test("copyRows copies (or adds) strided rows exactly, and nothing else", () => {
    const rng = new Rng(7);
    for (const [rows, cols, ldx, off] of shapes) {
      for (const acc of BOOLS) {
        const ldy = cols + 1 + (cols % 2);
        const x = randn(rng, off + span(rows, cols, ldx) + 2),
          y = randn(rng, 3 + span(rows, cols, ldy) + 4);
        const ey = new Expect(y);
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < cols; j++) {
            const at = 3 + r * ldy + j, v = x[off + r * ldx + j];
            ey.set(at, acc ? Math.fround(y[at] + v) : v);
          }
        }
        const X = matAt(off, rows, cols, ldx), Y = matAt(3, rows, cols, ldy);
        verify(
          `${bk} copyRows ${rows}x${cols} acc=${acc}`,
          { x, y },
          (a) => k.copyRows(X(a.x), Y(a.y), { accumulate: acc }),
          { y: ey },
        );
      }
    }
  });

  // ---- flat vector kernels ----

  const lengths = [0, 1, 3, 4, 5, 8, 37];

  test("fill, scale, mul and axpy over len values (in place and aliased too)", () => {
    const rng = new Rng(8);
    for (const len of lengths) {
      const x = randn(rng, len + 9), y = randn(rng, len + 9), z = randn(rng, len + 9);
      for (const value of [2.5, 0.1, -0]) {
        const ex = new Expect(x);
        for (let i = 0; i < len; i++) ex.set(3 + i, Math.fround(value));
        const out = verify(
          `${bk} fill ${len} ${value}`,
          { x },
          (a) => k.fill(vec(a.x, 3, len), value),
          {
            x: ex,
          },
        );
        if (len > 0) {
          assertOk(Object.is(out.arrays.x[3], Math.fround(value)), "the sign of -0 is kept");
        }
      }
      for (const alpha of [-1.5, Math.fround(0.37), 0.1]) {
        // one rounding of alpha·x; an alpha that is not a float32 may be rounded first: 1 ulp
        const tol = (v: number) => Math.fround(alpha) === alpha ? 0 : ulp(v);
        const ey = new Expect(y);
        for (let i = 0; i < len; i++) {
          ey.set(4 + i, Math.fround(alpha * x[2 + i]), tol(alpha * x[2 + i]));
        }
        verify(
          `${bk} scale ${len} ${alpha}`,
          { x, y },
          (a) => k.scale(vec(a.x, 2, len), alpha, vec(a.y, 4, len)),
          { y: ey },
        );
        const ex = new Expect(x);
        for (let i = 0; i < len; i++) {
          ex.set(2 + i, Math.fround(alpha * x[2 + i]), tol(alpha * x[2 + i]));
        }
        verify(
          `${bk} scale in place ${len} ${alpha}`,
          { x },
          (a) => k.scale(vec(a.x, 2, len), alpha, vec(a.x, 2, len)),
          { x: ex },
        );
      }
      {
        const ez = new Expect(z);
        for (let i = 0; i < len; i++) ez.set(5 + i, Math.fround(x[1 + i] * y[2 + i]));
        verify(
          `${bk} mul ${len}`,
          { x, y, z },
          (a) => k.mul(vec(a.x, 1, len), vec(a.y, 2, len), vec(a.z, 5, len)),
          { z: ez },
        );
        const ex = new Expect(x);
        for (let i = 0; i < len; i++) ex.set(1 + i, Math.fround(x[1 + i] * y[2 + i]));
        verify(
          `${bk} mul y = a ${len}`,
          { x, y },
          (a) => k.mul(vec(a.x, 1, len), vec(a.y, 2, len), vec(a.x, 1, len)),
          { x: ex },
        );
        const ey = new Expect(y);
        for (let i = 0; i < len; i++) ey.set(2 + i, Math.fround(x[1 + i] * y[2 + i]));
        verify(
          `${bk} mul y = b ${len}`,
          { x, y },
          (a) => k.mul(vec(a.x, 1, len), vec(a.y, 2, len), vec(a.y, 2, len)),
          { y: ey },
        );
      }
      for (const alpha of [Math.fround(-0.75), 3, 0.1]) {
        const ey = new Expect(y);
        for (let i = 0; i < len; i++) {
          const t = alpha * x[i], v = y[6 + i] + t;
          // fused (one rounding) or multiply then add (two): 2 roundings of the terms' size
          ey.set(6 + i, v, 2 * U * (Math.abs(t) + Math.abs(y[6 + i])) + ulp(v) / 2);
        }
        verify(
          `${bk} axpy ${len} ${alpha}`,
          { x, y },
          (a) => k.axpy(alpha, vec(a.x, 0, len), vec(a.y, 6, len)),
          { y: ey },
        );
      }
    }
  });

  test("sumSquares sums x² in float64", () => {
    const rng = new Rng(9);
    for (const len of [...lengths, 1000]) {
      const x = randn(rng, len + 7, 3);
      let s = 0;
      for (let i = 0; i < len; i++) s += x[2 + i] * x[2 + i];
      const { result } = verify(
        `${bk} sumSquares ${len}`,
        { x },
        (a) => k.sumSquares(vec(a.x, 2, len)),
        {},
      );
      // float64 sums of exact float64 squares, in another order: len roundings of 2⁻⁵³
      assertOk(Math.abs(result - s) <= len * 2 ** -52 * s, `sumSquares ${len}: ${result} vs ${s}`);
      if (len === 0) assertEquals(result, 0);
    }
  });

  // ---- RNN ----

  test("tanhForward and tanhBackward over strided rows, in place and not", () => {
    const rng = new Rng(10);
    for (const [rows, cols, ldx, off] of shapes) {
      const x = randn(rng, off + span(rows, cols, ldx) + 3, 3);
      x[off] = 40; // saturated
      if (rows * cols > 1) x[off + (rows - 1) * ldx + cols - 1] = -25;
      const ldy = cols + 2, y = randn(rng, 1 + span(rows, cols, ldy) + 2);
      const ey = new Expect(y), ex = new Expect(x);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < cols; j++) {
          const v = Math.tanh(x[off + r * ldx + j]);
          ey.set(1 + r * ldy + j, v, 2 * (ACT + U));
          ex.set(off + r * ldx + j, v, 2 * (ACT + U));
        }
      }
      const X = matAt(off, rows, cols, ldx);
      const out = verify(
        `${bk} tanhForward ${rows}x${cols}`,
        { x, y },
        (a) => k.tanhForward(X(a.x), mat(a.y, 1, rows, cols, ldy)),
        { y: ey },
      );
      assertEquals(out.arrays.y[1], 1, "tanh(40) is exactly 1");
      verify(
        `${bk} tanhForward in place ${rows}x${cols}`,
        { x },
        (a) => k.tanhForward(X(a.x), X(a.x)),
        { x: ex },
      );

      const yt = out.arrays.y, dy = randn(rng, 2 + span(rows, cols, ldx) + 1);
      const lddx = cols + 3, dx = randn(rng, span(rows, cols, lddx) + 4);
      const edx = new Expect(dx), edy = new Expect(dy);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < cols; j++) {
          const v = yt[1 + r * ldy + j], d = dy[2 + r * ldx + j];
          const g = d * (1 - v * v), M = Math.abs(d) * (1 + v * v);
          edx.set(r * lddx + j, g, tolArith(M));
          edy.set(2 + r * ldx + j, g, tolArith(M));
        }
      }
      const Y = matAt(1, rows, cols, ldy), DY = matAt(2, rows, cols, ldx);
      verify(
        `${bk} tanhBackward ${rows}x${cols}`,
        { y: yt, dy, dx },
        (a) => k.tanhBackward(Y(a.y), DY(a.dy), mat(a.dx, 0, rows, cols, lddx)),
        { dx: edx },
      );
      verify(
        `${bk} tanhBackward in place ${rows}x${cols}`,
        { y: yt, dy },
        (a) => k.tanhBackward(Y(a.y), DY(a.dy), DY(a.dy)),
        { dy: edy },
      );
    }
  });

  // ---- LSTM and GRU, laid out as a time layer calls them at step t = 1 of T = 3 ----

  const T = 3, t = 1;

  test("lstmForward and lstmBackward on a time layer's strided rows, widths 1..9", () => {
    const rng = new Rng(11);
    for (const n of [1, 3]) {
      for (let h = 1; h <= 9; h++) {
        const G = 4 * h, ldg = T * G, ld = T * h, label = `${bk} lstm n=${n} h=${h}`;
        // step t (and t − 1) of (n, T, ·) arrays: the rows a time layer passes
        const step = (D: number, s = t) => (data: Float32Array) =>
          timestep({ data, shape: [n, T, D] }, s);
        const gatesT = step(G), hT = step(h), hPrev = step(h, t - 1);
        const gates = randn(rng, n * ldg + 3, 2);
        gates[t * G] = 30, gates[t * G + h] = -30, gates[(n - 1) * ldg + t * G + 4 * h - 1] = -100;
        const cs = randn(rng, n * ld + 2), hs = randn(rng, n * ld + 2);
        const eg = new Expect(gates), ec = new Expect(cs), eh = new Expect(hs);
        const act = new Float32Array(gates); // the activated gates, for the backward
        for (let r = 0; r < n; r++) {
          const g0 = r * ldg + t * G;
          for (let j = 0; j < h; j++) {
            const f = sigmoid(gates[g0 + j]), g = Math.tanh(gates[g0 + h + j]);
            const i = sigmoid(gates[g0 + 2 * h + j]), o = sigmoid(gates[g0 + 3 * h + j]);
            [f, g, i, o].forEach((v, q) => {
              eg.set(g0 + q * h + j, v, 2 * (ACT + U));
              act[g0 + q * h + j] = v;
            });
            const cp = cs[r * ld + (t - 1) * h + j], c = f * cp + g * i, M = 1 + Math.abs(cp);
            ec.set(r * ld + t * h + j, c, tolAct(M));
            eh.set(r * ld + t * h + j, o * Math.tanh(c), tolAct(M));
          }
        }
        const fwd = verify(
          `${label} forward`,
          { gates, cs, hs },
          (a) => k.lstmForward(gatesT(a.gates), hPrev(a.cs), hT(a.cs), hT(a.hs)),
          { gates: eg, cs: ec, hs: eh },
        );
        assertEquals(fwd.arrays.gates[t * G], 1, "σ(30) is exactly 1");
        assertEquals(fwd.arrays.gates[t * G + h], -1, "tanh(-30) is exactly -1");

        // backward from the reference's activated gates (float32) and a c_t of its own
        const cNext = randn(rng, n * ld + 1, 1.5), cPrev = randn(rng, n * h + 4);
        const dG = randn(rng, n * ldg + 2), dh = randn(rng, n * h + 3), dc = randn(rng, n * h + 5);
        const edG = new Expect(dG), edc = new Expect(dc);
        for (let r = 0; r < n; r++) {
          const g0 = r * ldg + t * G;
          for (let j = 0; j < h; j++) {
            const [f, g, i, o] = [0, 1, 2, 3].map((q) => act[g0 + q * h + j]);
            const tc = Math.tanh(cNext[r * ld + t * h + j]), cp = cPrev[2 + r * h + j];
            const d = dh[1 + r * h + j], c = dc[3 + r * h + j];
            const ds = c + d * o * (1 - tc * tc), M = Math.abs(c) + Math.abs(d);
            edG.set(g0 + j, ds * cp * f * (1 - f), tolAct(M * (1 + Math.abs(cp))));
            edG.set(g0 + h + j, ds * i * (1 - g * g), tolAct(M));
            edG.set(g0 + 2 * h + j, ds * g * i * (1 - i), tolAct(M));
            edG.set(g0 + 3 * h + j, d * tc * o * (1 - o), tolAct(Math.abs(d)));
            edc.set(3 + r * h + j, ds * f, tolAct(M));
          }
        }
        verify(
          `${label} backward`,
          { act, dG, cPrev, cNext, dh, dc },
          (a) => {
            const cPrev = mat(a.cPrev, 2, n, h), dh = mat(a.dh, 1, n, h), dc = mat(a.dc, 3, n, h);
            k.lstmBackward(gatesT(a.act), cPrev, hT(a.cNext), dh, dc, gatesT(a.dG));
          },
          { dG: edG, dc: edc },
        );
      }
    }
  });

  test("lstmForward with cNext and hNext side by side in one array (column blocks of rows [c | h])", () => {
    // Two outputs of one call in one array, at disjoint elements whose spans interleave: what
    // the shared ld allows. The copy-in path must give what engine memory gives.
    const rng = new Rng(19);
    for (const [n, h] of [[1, 4], [2, 3], [3, 5]]) {
      const G = 4 * h, gates = randn(rng, n * G, 2), cPrev = randn(rng, n * h);
      const ch = randn(rng, n * 2 * h + 1);
      const eg = new Expect(gates), ech = new Expect(ch);
      for (let r = 0; r < n; r++) {
        for (let j = 0; j < h; j++) {
          const [f, g, i, o] = [0, 1, 2, 3].map((q) => gates[r * G + q * h + j]);
          const F = sigmoid(f), GG = Math.tanh(g), I = sigmoid(i), O = sigmoid(o);
          [F, GG, I, O].forEach((v, q) => eg.set(r * G + q * h + j, v, 2 * (ACT + U)));
          const cp = cPrev[r * h + j], c = F * cp + GG * I, M = 1 + Math.abs(cp);
          ech.set(r * 2 * h + j, c, tolAct(M));
          ech.set(r * 2 * h + h + j, O * Math.tanh(c), tolAct(M));
        }
      }
      verify(
        `${bk} lstmForward [c | h] n=${n} h=${h}`,
        { gates, cPrev, ch },
        (a) => {
          const ch = mat(a.ch, 0, n, 2 * h), gates = mat(a.gates, 0, n, G);
          k.lstmForward(gates, mat(a.cPrev, 0, n, h), colBlock(ch, 0, h), colBlock(ch, h, h));
        },
        { gates: eg, ch: ech },
      );
    }
  });

  test("gruGates, gruOutput, gruBackwardZH and gruBackwardR on a time layer's strided rows, widths 1..9", () => {
    const rng = new Rng(12);
    for (const n of [1, 3]) {
      for (let h = 1; h <= 9; h++) {
        const G = 3 * h, ldg = T * G, ld = T * h, label = `${bk} gru n=${n} h=${h}`;
        const step = (D: number, s = t) => (data: Float32Array) =>
          timestep({ data, shape: [n, T, D] }, s);
        const gatesT = step(G), hT = step(h), hPrev = step(h, t - 1);
        const gates = randn(rng, n * ldg + 2, 2);
        gates[t * G] = 50, gates[t * G + 2 * h] = -40;
        const hs = randn(rng, n * ld + 3), rh = randn(rng, n * ld + 1);
        // gruGates: z, r = σ(·); rh = r ⊙ h_{t−1}
        const eg = new Expect(gates), erh = new Expect(rh);
        const after = new Float32Array(gates);
        for (let r = 0; r < n; r++) {
          const g0 = r * ldg + t * G;
          for (let j = 0; j < h; j++) {
            const z = sigmoid(gates[g0 + j]), rr = sigmoid(gates[g0 + h + j]);
            const hp = hs[r * ld + (t - 1) * h + j];
            eg.set(g0 + j, z, 2 * (ACT + U));
            eg.set(g0 + h + j, rr, 2 * (ACT + U));
            after[g0 + j] = z, after[g0 + h + j] = rr;
            erh.set(r * ld + t * h + j, rr * hp, tolAct(1 + Math.abs(hp)));
          }
        }
        verify(
          `${label} gruGates`,
          { gates, hs, rh },
          (a) => k.gruGates(gatesT(a.gates), hPrev(a.hs), hT(a.rh)),
          { gates: eg, rh: erh },
        );
        // gruOutput: ĥ = tanh(·); h_t = (1 − z)⊙h_{t−1} + z⊙ĥ
        const eg2 = new Expect(after), ehs = new Expect(hs);
        const act = new Float32Array(after);
        for (let r = 0; r < n; r++) {
          const g0 = r * ldg + t * G;
          for (let j = 0; j < h; j++) {
            const z = after[g0 + j], hh = Math.tanh(after[g0 + 2 * h + j]);
            const hp = hs[r * ld + (t - 1) * h + j];
            eg2.set(g0 + 2 * h + j, hh, 2 * (ACT + U));
            act[g0 + 2 * h + j] = hh;
            ehs.set(r * ld + t * h + j, (1 - z) * hp + z * hh, tolAct(1 + Math.abs(hp)));
          }
        }
        const out = verify(
          `${label} gruOutput`,
          { gates: after, hs },
          (a) => k.gruOutput(gatesT(a.gates), hPrev(a.hs), hT(a.hs)),
          { gates: eg2, hs: ehs },
        );
        assertEquals(out.arrays.gates[t * G + 2 * h], -1, "tanh(-40) is exactly -1");
        // gruBackwardZH
        const dG = randn(rng, n * ldg + 2), dhNext = randn(rng, n * h + 2);
        const dhPrev = randn(rng, n * h + 3);
        const edG = new Expect(dG), edp = new Expect(dhPrev);
        for (let r = 0; r < n; r++) {
          const g0 = r * ldg + t * G;
          for (let j = 0; j < h; j++) {
            const z = act[g0 + j], hh = act[g0 + 2 * h + j];
            const p = hs[r * ld + (t - 1) * h + j], d = dhNext[2 + r * h + j], M = Math.abs(d);
            edG.set(g0 + 2 * h + j, d * z * (1 - hh * hh), tolArith(M));
            edG.set(g0 + j, d * (hh - p) * z * (1 - z), tolArith(M * (1 + Math.abs(p))));
            edp.set(1 + r * h + j, d * (1 - z), tolArith(M));
          }
        }
        const zh = verify(
          `${label} gruBackwardZH`,
          { act, dG, hs, dhNext, dhPrev },
          (a) => {
            const dhNext = mat(a.dhNext, 2, n, h), dhPrev = mat(a.dhPrev, 1, n, h);
            k.gruBackwardZH(gatesT(a.act), hPrev(a.hs), dhNext, gatesT(a.dG), dhPrev);
          },
          { dG: edG, dhPrev: edp },
        );
        // gruBackwardR, continuing from what ZH wrote (its r block still as before)
        const dG2 = zh.arrays.dG, dp2 = zh.arrays.dhPrev;
        const dhr = randn(rng, n * h + 4);
        const edG2 = new Expect(dG2), edp2 = new Expect(dp2);
        for (let r = 0; r < n; r++) {
          const g0 = r * ldg + t * G;
          for (let j = 0; j < h; j++) {
            const rr = act[g0 + h + j], d = dhr[3 + r * h + j], p = hs[r * ld + (t - 1) * h + j];
            const old = dp2[1 + r * h + j];
            edp2.set(1 + r * h + j, old + rr * d, tolArith(Math.abs(old) + Math.abs(d)));
            edG2.set(g0 + h + j, d * p * rr * (1 - rr), tolArith(Math.abs(d * p)));
          }
        }
        verify(
          `${label} gruBackwardR`,
          { act, dG: dG2, hs, dhr, dhPrev: dp2 },
          (a) => {
            const dhr = mat(a.dhr, 3, n, h), dhPrev = mat(a.dhPrev, 1, n, h);
            k.gruBackwardR(gatesT(a.act), hPrev(a.hs), dhr, gatesT(a.dG), dhPrev);
          },
          { dG: edG2, dhPrev: edp2 },
        );
      }
    }
  });

  // ---- softmax ----

  test("softmax: probabilities per contiguous row, y aliasing x, scores of 1000", () => {
    const rng = new Rng(21);
    const rows = 6;
    for (const cols of [1, 2, 3, 4, 7, 10, 33]) {
      const off = 2, { x } = scores(rng, rows, cols, off);
      const y = randn(rng, 3 + rows * cols + 2);
      const ey = new Expect(y), ex = new Expect(x);
      for (let r = 0; r < rows; r++) {
        const ref = softmaxRef(x, off, cols, r, 0, 0, ACT);
        for (let j = 0; j < cols; j++) {
          ey.set(3 + r * cols + j, ref.y[j], ref.tolY[j]);
          ex.set(off + r * cols + j, ref.y[j], ref.tolY[j]);
        }
      }
      const label = `${bk} softmax ${rows}x${cols}`;
      const X = matAt(off, rows, cols), Y = matAt(3, rows, cols);
      const out = verify(label, { x, y }, (a) => k.softmax(X(a.x), Y(a.y)), { y: ey });
      // the large-score rows: exactly one-hot where 1000 stands alone
      assertEquals(out.arrays.y[3 + 4 * cols], 1);
      const aliased = verify(`${label} y = x`, { x }, (a) => k.softmax(X(a.x), X(a.x)), { x: ex });
      assertSameBits(
        `${label}: y = x gives the same probabilities`,
        aliased.arrays.x.subarray(off, off + rows * cols),
        out.arrays.y.subarray(3, 3 + rows * cols),
      );
    }
  });

  test("softmaxCrossEntropy: probabilities, loss with eps 0 and > 0, ignored rows, y aliasing x, scores of 1000", () => {
    const rng = new Rng(13);
    const rows = 6;
    for (const cols of [1, 2, 3, 4, 7, 10, 33]) {
      for (const eps of [0, 1e-7]) {
        const off = 2, { x, labels } = scores(rng, rows, cols, off);
        const y = randn(rng, 3 + rows * cols + 2);
        const ey = new Expect(y), ex = new Expect(x);
        let loss = 0, tolLoss = 0;
        for (let r = 0; r < rows; r++) {
          const ref = softmaxRef(x, off, cols, r, Math.max(labels[2 + r], 0), eps, ACT);
          for (let j = 0; j < cols; j++) {
            ey.set(3 + r * cols + j, ref.y[j], ref.tolY[j]);
            ex.set(off + r * cols + j, ref.y[j], ref.tolY[j]);
          }
          if (labels[2 + r] !== -1) loss += ref.loss, tolLoss += ref.tolLoss;
        }
        const label = `${bk} softmaxCrossEntropy ${rows}x${cols} eps=${eps}`;
        const X = matAt(off, rows, cols), Y = matAt(3, rows, cols), options = { ignore: -1, eps };
        const out = verify(
          label,
          { x, labels, y },
          (a) => k.softmaxCrossEntropy(X(a.x), ids(a.labels, 2, rows), Y(a.y), options),
          { y: ey },
        );
        assertOk(
          Math.abs(out.result - loss) <= tolLoss,
          `${label}: loss ${out.result}, expected ${loss} ± ${tolLoss}`,
        );
        assertOk(Number.isFinite(out.result));
        // the large-score rows: exactly one-hot where 1000 stands alone
        assertEquals(out.arrays.y[3 + 4 * cols], 1);
        const aliased = verify(
          `${label} y = x`,
          { x, labels },
          (a) => k.softmaxCrossEntropy(X(a.x), ids(a.labels, 2, rows), X(a.x), options),
          { x: ex },
        );
        assertOk(
          Object.is(aliased.result, out.result),
          `${label}: aliased loss ${aliased.result} vs ${out.result}`,
        );
        assertSameBits(
          `${label}: y = x gives the same probabilities`,
          aliased.arrays.x.subarray(off, off + rows * cols),
          out.arrays.y.subarray(3, 3 + rows * cols),
        );
      }
    }
  });

  test("softmaxCrossEntropy over more rows than one chunk of statistics (1024)", () => {
    const rng = new Rng(20);
    const rows = 1030, cols = 5, x = randn(rng, rows * cols, 3), labels = new Int32Array(rows);
    for (let r = 0; r < rows; r++) labels[r] = r % 7 === 3 ? -1 : Math.floor(rng.uniform() * cols);
    const y = new Float32Array(rows * cols), ey = new Expect(y), X = matAt(0, rows, cols);
    let loss = 0, tolLoss = 0;
    for (let r = 0; r < rows; r++) {
      const ref = softmaxRef(x, 0, cols, r, Math.max(labels[r], 0), 0, ACT);
      for (let j = 0; j < cols; j++) ey.set(r * cols + j, ref.y[j], ref.tolY[j]);
      if (labels[r] !== -1) loss += ref.loss, tolLoss += ref.tolLoss;
    }
    const out = verify(
      `${bk} softmaxCrossEntropy ${rows}x${cols}`,
      { x, labels, y },
      (a) => k.softmaxCrossEntropy(X(a.x), ids(a.labels, 0, rows), X(a.y), { ignore: -1, eps: 0 }),
      { y: ey },
    );
    assertOk(
      Math.abs(out.result - loss) <= tolLoss,
      `loss ${out.result}, expected ${loss} ± ${tolLoss}`,
    );
  });

  test("softmaxCrossEntropyBackward: scale·(y − onehot), zero rows for ignored labels, dx aliasing y", () => {
    const rng = new Rng(14);
    const rows = 5;
    for (const cols of [1, 2, 3, 4, 5, 9, 33]) {
      for (const scale of [0.5, 1 / 3]) {
        const y = new Float32Array(1 + rows * cols + 2).map(() => rng.uniform());
        const labels = new Int32Array(rows + 1);
        for (let r = 0; r < rows; r++) labels[1 + r] = Math.floor(rng.uniform() * cols);
        labels[1 + 2] = -1;
        const dx = randn(rng, 4 + rows * cols + 3);
        const edx = new Expect(dx), ey = new Expect(y);
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < cols; j++) {
            const t = labels[1 + r], v = y[1 + r * cols + j];
            // y·scale, then − scale at the label (scale may be rounded to float32 first)
            const [value, tol] = t === -1
              ? [0, 0]
              : [scale * (v - (j === t ? 1 : 0)), 4 * U * scale * (v + 1)];
            edx.set(4 + r * cols + j, value, tol);
            ey.set(1 + r * cols + j, value, tol);
          }
        }
        const label = `${bk} softmaxCrossEntropyBackward ${rows}x${cols} scale=${scale}`;
        const Y = matAt(1, rows, cols), DX = matAt(4, rows, cols), options = { ignore: -1, scale };
        const out = verify(
          label,
          { y, labels, dx },
          (a) => k.softmaxCrossEntropyBackward(Y(a.y), ids(a.labels, 1, rows), DX(a.dx), options),
          { dx: edx },
        );
        const aliased = verify(
          `${label} dx = y`,
          { y, labels },
          (a) => k.softmaxCrossEntropyBackward(Y(a.y), ids(a.labels, 1, rows), Y(a.y), options),
          { y: ey },
        );
        assertSameBits(
          `${label}: dx = y gives the same`,
          aliased.arrays.y.subarray(1, 1 + rows * cols),
          out.arrays.dx.subarray(4, 4 + rows * cols),
        );
      }
    }
  });

  test("softmaxBackward: y ⊙ (dout − Σ dout·y) per row", () => {
    const rng = new Rng(15);
    for (const rows of [1, 4]) {
      for (const cols of [1, 2, 3, 4, 5, 9, 33]) {
        const y = new Float32Array(2 + rows * cols + 1).map(() => rng.uniform());
        const dout = randn(rng, 3 + rows * cols + 2), dx = randn(rng, rows * cols + 4);
        const edx = new Expect(dx);
        for (let r = 0; r < rows; r++) {
          let s = 0, sAbs = 0;
          for (let j = 0; j < cols; j++) {
            const p = dout[3 + r * cols + j] * y[2 + r * cols + j];
            s += p, sAbs += Math.abs(p);
          }
          for (let j = 0; j < cols; j++) {
            const v = y[2 + r * cols + j], g = dout[3 + r * cols + j];
            edx.set(r * cols + j, v * (g - s), tolArith(v * (Math.abs(g) + sAbs)));
          }
        }
        const Y = matAt(2, rows, cols), DOUT = matAt(3, rows, cols), DX = matAt(0, rows, cols);
        verify(
          `${bk} softmaxBackward ${rows}x${cols}`,
          { y, dout, dx },
          (a) => k.softmaxBackward(Y(a.y), DOUT(a.dout), DX(a.dx)),
          { dx: edx },
        );
      }
    }
  });

  // ---- embedding ----

  test("gather copies rows of W by id; scatterAdd adds rows into dW, repeated ids in order", () => {
    const rng = new Rng(16);
    const V = 7, id = new Int32Array([9, 2, 0, 2, 6, 2, 5, 9]); // ids at offset 1, 6 rows
    const rows = 6;
    for (const cols of [1, 3, 4, 5, 9]) {
      const W = randn(rng, 3 + V * cols + 2), out = randn(rng, 2 + rows * cols + 3);
      const eo = new Expect(out);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < cols; j++) eo.set(2 + r * cols + j, W[3 + id[1 + r] * cols + j]);
      }
      verify(
        `${bk} gather ${rows}x${cols}`,
        { id, W, out },
        (a) => k.gather(ids(a.id, 1, rows), mat(a.W, 3, V, cols), mat(a.out, 2, rows, cols)),
        { out: eo },
      );

      const dout = randn(rng, 1 + rows * cols), dW = randn(rng, 3 + V * cols + 2);
      const ew = new Expect(dW), acc = new Float32Array(dW);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < cols; j++) {
          const at = 3 + id[1 + r] * cols + j;
          acc[at] = Math.fround(acc[at] + dout[1 + r * cols + j]); // float32, row after row
          ew.set(at, acc[at]);
        }
      }
      verify(
        `${bk} scatterAdd ${rows}x${cols}`,
        { id, dout, dW },
        (a) => k.scatterAdd(ids(a.id, 1, rows), mat(a.dout, 1, rows, cols), mat(a.dW, 3, V, cols)),
        { dW: ew },
      );
    }
    // the order shows: 1 + 2⁻²⁴ rounds back to 1 (ties to even), twice; summed first, 1 + 2⁻²³
    const tiny = 2 ** -24, dW = new Float32Array([0, 5]);
    const out = runBoth(
      `${bk} scatterAdd order`,
      { id: new Int32Array([0, 0, 0]), dout: new Float32Array([1, tiny, tiny]), dW },
      (a) => k.scatterAdd(ids(a.id, 0, 3), mat(a.dout, 0, 3, 1), mat(a.dW, 0, 2, 1)),
    );
    assertEquals(Array.from(out.arrays.dW), [1, 5]);
  });

  // ---- dropout ----

  test("dropout masks equal Rng.uniform() > ratio ? keep : 0 and advance the state as Rng does", () => {
    // the 17th draw of the generator seeded 106, exactly, and the float64 just below it: a
    // kernel that forms u from other bits, or compares with ≥, gets element 16 wrong
    const probe = new Rng(106);
    for (let i = 0; i < 16; i++) probe.uniform();
    const u16 = probe.uniform();
    const cases: [number, number, number][] = [
      [1, 0.5, 1],
      [7, 0.5, 2],
      [64, 0.1, 3],
      [37, 0.9, 4],
      [0, 0.5, 5],
      [33, u16, 6],
      [33, u16 - 2 ** -53, 6],
    ];
    for (const [len, ratio, seed] of cases) {
      const rng = new Rng(seed), x = randn(rng, len + 5);
      const keep = 1 / (1 - ratio);
      const state = new Rng(seed + 100).words().slice();
      const reference = new Rng(seed + 100);
      const mask = randn(rng, len + 4), out = randn(rng, len + 6);
      const em = new Expect(mask), eo = new Expect(out);
      let kept = 0;
      for (let i = 0; i < len; i++) {
        const m = reference.uniform() > ratio ? Math.fround(keep) : 0;
        kept += m === 0 ? 0 : 1;
        em.set(1 + i, m);
        eo.set(3 + i, Math.fround(x[2 + i] * m));
      }
      const es = new Expect(state);
      reference.words().forEach((w, i) => es.set(i, w));
      const label = `${bk} dropout ${len} ratio ${ratio}`;
      const X = vecAt(2, len), M = vecAt(1, len), O = vecAt(3, len);
      verify(
        label,
        { state, x, mask, out },
        (a) => k.dropout(X(a.x), M(a.mask), O(a.out), { ratio, keep, state: a.state }),
        { state: es, mask: em, out: eo },
      );
      if (len >= 33) assertOk(kept > 0 && kept < len, `${label}: ${kept} of ${len} kept`);
      if (seed === 6) assertEquals(em.values[1 + 16], ratio === u16 ? 0 : Math.fround(keep));
      // on the live state of an Rng, the generator goes on where the kernel stopped
      const live = new Rng(seed + 100);
      k.dropout(X(x), M(mask.slice()), O(out.slice()), { ratio, keep, state: live.words() });
      assertEquals(live.uniform(), reference.uniform(), `${label}: the next uniform`);
    }
  });

  // ---- optimizers ----

  test("sgd, momentum, nesterov, adagrad, rmsprop and adam within 1 ulp of float64 (and of jsKernels)", () => {
    const rng = new Rng(17);
    const lr = 0.01, mom = 0.9, decay = 0.99, b1 = 0.9, b2 = 0.999;
    const lrT = 0.001 * Math.sqrt(1 - b2 ** 3) / (1 - b1 ** 3);
    type Step = Record<string, number>;
    const rules: {
      name: string;
      state: string[];
      /** `o` holds the views of the arrays: p from 1, g from 2, the state from 3 (adam's v 4). */
      run: (kk: Kernels, o: Record<string, Vec>) => void;
      step: (p: number, g: number, s: Step) => Step;
    }[] = [
      {
        name: "sgd",
        state: [],
        run: (kk, o) => kk.sgd(o.p, o.g, { lr }),
        step: (p, g) => ({ p: p - lr * g }),
      },
      {
        name: "momentum",
        state: ["v"],
        run: (kk, o) => kk.momentum(o.p, o.g, o.v, { lr, momentum: mom }),
        step: (p, g, s) => {
          const v = mom * s.v - lr * g;
          return { v, p: p + v };
        },
      },
      {
        name: "nesterov",
        state: ["v"],
        run: (kk, o) => kk.nesterov(o.p, o.g, o.v, { lr, momentum: mom }),
        step: (p, g, s) => {
          const v = mom * s.v - lr * g;
          return { v, p: p + mom * mom * v - (1 + mom) * lr * g };
        },
      },
      {
        name: "adagrad",
        state: ["h"],
        run: (kk, o) => kk.adagrad(o.p, o.g, o.h, { lr }),
        step: (p, g, s) => {
          const h = s.h + g * g;
          return { h, p: p - lr * g / (Math.sqrt(h) + 1e-7) };
        },
      },
      {
        name: "rmsprop",
        state: ["h"],
        run: (kk, o) => kk.rmsprop(o.p, o.g, o.h, { lr, decay }),
        step: (p, g, s) => {
          const h = decay * s.h + (1 - decay) * g * g;
          return { h, p: p - lr * g / (Math.sqrt(h) + 1e-7) };
        },
      },
      {
        name: "adam",
        state: ["m", "v"],
        run: (kk, o) => kk.adam(o.p, o.g, o.m, o.v, { lrT, beta1: b1, beta2: b2 }),
        step: (p, g, s) => {
          const m = s.m + (1 - b1) * (g - s.m), v = s.v + (1 - b2) * (g * g - s.v);
          return { m, v, p: p - lrT * m / (Math.sqrt(v) + 1e-7) };
        },
      },
    ];
    const stateOff: Record<string, number> = { p: 1, g: 2, v: 3, h: 3, m: 3 };
    for (const rule of rules) {
      for (const len of lengths) {
        const init: Floats = { p: randn(rng, len + 4), g: randn(rng, len + 5) };
        for (const s of rule.state) {
          // accumulated squares are non-negative; velocities and first moments are signed
          const a = randn(rng, len + 6, 0.1);
          init[s] = s === "h" || (s === "v" && rule.name === "adam") ? a.map(Math.abs) : a;
        }
        const off = (s: string) => rule.name === "adam" && s === "v" ? 4 : stateOff[s];
        const expect: Record<string, Expect> = { p: new Expect(init.p) };
        for (const s of rule.state) expect[s] = new Expect(init[s]);
        for (let j = 0; j < len; j++) {
          const cur: Step = {};
          for (const s of rule.state) cur[s] = init[s][off(s) + j];
          const next = rule.step(init.p[1 + j], init.g[2 + j], cur);
          expect.p.set(1 + j, next.p, ulp(next.p));
          for (const s of rule.state) expect[s].set(off(s) + j, next[s], ulp(next[s]));
        }
        const label = `${bk} ${rule.name} ${len}`;
        const views = (a: Floats) =>
          Object.fromEntries(Object.entries(a).map(([s, data]) => [s, vec(data, off(s), len)]));
        const out = verify(label, init, (a) => rule.run(k, views(a)), expect);
        if (k !== jsKernels) {
          const js = runBoth(`${label} (js)`, init, (a) => rule.run(jsKernels, views(a)));
          for (const name of Object.keys(init)) {
            const w = out.arrays[name], r = js.arrays[name];
            for (let i = 0; i < w.length; i++) {
              if (!(Math.abs(w[i] - r[i]) <= ulp(r[i]))) {
                fail(`${label}: ${name}[${i}] ${w[i]}, js ${r[i]}`);
              }
            }
          }
        }
      }
    }
  });

  // ---- operands that do not fit ----

  test("operands that do not fit throw a SaikiError naming the kernel and the operand, writing nothing", () => {
    // mismatched sizes, views past their arrays, strided views where rows must be contiguous:
    // the checks of lib/engine/_check.ts, made before a kernel touches memory (a typed array
    // read past its end gives undefined and a write is dropped; the WebAssembly kernels would
    // address other arrays)
    const rng = new Rng(18);
    for (const where of PLACES) {
      const { arrays: a, release } = place({
        x: randn(rng, 8),
        y: randn(rng, 12),
        c: randn(rng, 5),
        g: randn(rng, 10),
        z: randn(rng, 16),
        l: new Int32Array(4),
      }, where);
      try {
        const before = Object.fromEntries(Object.entries(a).map(([n, v]) => [n, v.slice()]));
        const M = mat, V = vec, none = { ignore: -1, eps: 0 };
        const drop = { ratio: 0.5, keep: 2, state: new Uint32Array(4) };
        const adam = { lrT: 0.1, beta1: 0.9, beta2: 0.999 };
        /** The message each call must throw (it names the kernel and the operand) → the call. */
        const cases: Record<string, () => unknown> = {
          // a view running past its array
          "gemm: c (2 × 3, ld 3, from 0) does not fit its array of 5": () =>
            k.gemm(M(a.y, 0, 2, 2), M(a.y, 0, 2, 3), M(a.c, 0, 2, 3)),
          "gemm: a (5 × 2, ld 2, from 0) does not fit its array of 8": () =>
            k.gemm(M(a.x, 0, 5, 2), M(a.y, 0, 5, 2), M(a.g, 0, 2, 2), { transA: true }),
          "gemm: c (2 × 2, ld 11, from 0) does not fit its array of 12": () =>
            k.gemm(M(a.x, 0, 2, 1), M(a.x, 0, 1, 2), M(a.y, 0, 2, 2, 11)),
          "fill: x (9 values from 0) does not fit its array of 8": () => k.fill(V(a.x, 0, 9), 0),
          "fill: x (4 values from 5) does not fit its array of 8": () => k.fill(V(a.x, 5, 4), 0),
          "fill: x (2 values from -1) does not fit its array of 8": () => k.fill(V(a.x, -1, 2), 0),
          "copyRows: y (2 × 3, ld 6, from 4) does not fit its array of 12": () =>
            k.copyRows(M(a.x, 0, 2, 3), M(a.y, 4, 2, 3, 6)),
          "tanhForward: x (3 × 3, ld 3, from 0) does not fit its array of 8": () =>
            k.tanhForward(M(a.x, 0, 3, 3), M(a.y, 0, 3, 3)),
          "lstmForward: gates (1 × 12, ld 12, from 0) does not fit its array of 8": () =>
            k.lstmForward(M(a.x, 0, 1, 12), M(a.y, 0, 1, 3), M(a.y, 3, 1, 3), M(a.g, 0, 1, 3)),
          "softmaxCrossEntropy: x (3 × 3, ld 3, from 0) does not fit its array of 8": () =>
            k.softmaxCrossEntropy(M(a.x, 0, 3, 3), ids(a.l, 0, 3), M(a.y, 0, 3, 3), none),
          "softmaxCrossEntropy: labels (6 values from 0) does not fit its array of 4": () =>
            k.softmaxCrossEntropy(M(a.y, 0, 6, 2), ids(a.l, 0, 6), M(a.y, 0, 6, 2), none),
          "softmax: y (2 × 4, ld 4, from 0) does not fit its array of 5": () =>
            k.softmax(M(a.x, 0, 2, 4), M(a.c, 0, 2, 4)),
          "dropout: mask (6 values from 0) does not fit its array of 5": () =>
            k.dropout(V(a.y, 0, 6), V(a.c, 0, 6), V(a.g, 0, 6), drop),
          "adam: v (6 values from 0) does not fit its array of 5": () =>
            k.adam(V(a.y, 0, 6), V(a.g, 0, 6), V(a.x, 0, 6), V(a.c, 0, 6), adam),
          "sumSquares: x (9 values from 0) does not fit its array of 8": () =>
            k.sumSquares(V(a.x, 0, 9)),
          // sizes that do not match
          "gemm: a is 2 × 3, b is 2 × 4, c is 2 × 4": () =>
            k.gemm(M(a.y, 0, 2, 3), M(a.y, 0, 2, 4), M(a.g, 0, 2, 4)),
          "gemm: a is 2 × 3, bᵀ is 3 × 4, c is 2 × 3": () =>
            k.gemm(M(a.y, 0, 2, 3), M(a.y, 0, 4, 3), M(a.g, 0, 2, 3), { transB: true }),
          "gemm: aᵀ is 2 × 3, b is 2 × 2, c is 2 × 2": () =>
            k.gemm(M(a.y, 0, 3, 2), M(a.y, 0, 2, 2), M(a.g, 0, 2, 2), { transA: true }),
          // gemmBatched: the batch, rows that do not cut into it, blocks that do not multiply
          "gemmBatched: batch is 0, expected an integer >= 1": () =>
            k.gemmBatched(M(a.y, 0, 2, 3), M(a.y, 0, 2, 3), M(a.g, 0, 2, 2), { batch: 0 }),
          "gemmBatched: batch is 1.5, expected an integer >= 1": () =>
            k.gemmBatched(M(a.y, 0, 3, 2), M(a.y, 0, 3, 2), M(a.g, 0, 3, 3), { batch: 1.5 }),
          "gemmBatched: a has 3 rows, expected a multiple of batch 2": () =>
            k.gemmBatched(M(a.y, 0, 3, 2), M(a.y, 0, 4, 2), M(a.g, 0, 2, 2), { batch: 2 }),
          "gemmBatched: c has 3 rows, expected a multiple of batch 2": () =>
            k.gemmBatched(M(a.y, 0, 2, 2), M(a.y, 0, 4, 2), M(a.g, 0, 3, 2), { batch: 2 }),
          "gemmBatched: a is 1 × 3, bᵀ is 3 × 2, c is 1 × 3: expected (m × k)·(k × n)": () =>
            k.gemmBatched(M(a.y, 0, 2, 3), M(a.z, 0, 4, 3), M(a.g, 0, 2, 3), {
              batch: 2,
              transB: true,
            }),
          "gemmBatched: aᵀ is 2 × 1, b is 2 × 2, c is 2 × 2: expected (m × k)·(k × n)": () =>
            k.gemmBatched(M(a.y, 0, 2, 2), M(a.y, 0, 4, 2), M(a.g, 0, 4, 2), {
              batch: 2,
              transA: true,
            }),
          "gemmBatched: c (4 × 2, ld 2, from 0) does not fit its array of 5": () =>
            k.gemmBatched(M(a.y, 0, 4, 3), M(a.z, 0, 4, 3), M(a.c, 0, 4, 2), {
              batch: 2,
              transB: true,
            }),
          "copyRows: y is 3 × 2, expected 2 × 3": () =>
            k.copyRows(M(a.x, 0, 2, 3), M(a.y, 0, 3, 2)),
          "axpy: y has 5 values, expected 6": () => k.axpy(1, V(a.x, 0, 6), V(a.y, 0, 5)),
          "lstmForward: cNext and hNext must have the same ld (2 vs 3)": () =>
            k.lstmForward(M(a.y, 0, 2, 4), M(a.x, 0, 2, 1), M(a.g, 0, 2, 1, 2), M(a.g, 4, 2, 1, 3)),
          "softmaxCrossEntropy: labels has 1 values, expected 2": () =>
            k.softmaxCrossEntropy(M(a.x, 0, 2, 3), ids(a.l, 0, 1), M(a.y, 0, 2, 3), none),
          // strided views where the kernel needs contiguous rows
          "softmaxCrossEntropy: x must be contiguous (ld 4 = cols 3)": () =>
            k.softmaxCrossEntropy(M(a.y, 0, 2, 3, 4), ids(a.l, 0, 2), M(a.g, 0, 2, 3), none),
          "softmax: y must be contiguous (ld 5 = cols 3)": () =>
            k.softmax(M(a.x, 0, 2, 3), M(a.y, 0, 2, 3, 5)),
          "softmaxBackward: dout must be contiguous (ld 3 = cols 2)": () =>
            k.softmaxBackward(M(a.x, 0, 2, 2), M(a.y, 0, 2, 2, 3), M(a.g, 0, 2, 2)),
          "lstmBackward: dc must be contiguous (ld 3 = cols 1)": () => {
            const [gates, cPrev, cNext] = [M(a.z, 0, 2, 4), M(a.x, 0, 2, 1), M(a.x, 2, 2, 1)];
            const [dhNext, dc, dGates] = [M(a.c, 0, 2, 1), M(a.g, 0, 2, 1, 3), M(a.z, 8, 2, 4)];
            k.lstmBackward(gates, cPrev, cNext, dhNext, dc, dGates);
          },
          "gruBackwardZH: dhPrev must be contiguous (ld 4 = cols 1)": () => {
            const [gates, hPrev, dhNext] = [M(a.y, 0, 2, 3), M(a.x, 0, 2, 1), M(a.c, 0, 2, 1)];
            k.gruBackwardZH(gates, hPrev, dhNext, M(a.y, 6, 2, 3), M(a.g, 0, 2, 1, 4));
          },
        };
        for (const [message, fn] of Object.entries(cases)) {
          const e = assertThrows(fn, message);
          const what = `${message} (${where})`;
          assertOk(e instanceof SaikiError, `${what}: ${e.constructor.name}, expected SaikiError`);
          for (const [n, v] of Object.entries(a)) {
            assertSameBits(`${what}: ${n} is unchanged`, v, before[n]);
          }
        }
      } finally {
        release();
      }
    }
    // the backend still computes after the errors
    const c = asMat(new Float32Array(4), 2, 2);
    k.gemm(asMat(Float32Array.of(1, 2, 3, 4), 2, 2), asMat(Float32Array.of(5, 6, 7, 8), 2, 2), c);
    assertEquals(Array.from(c.data), [19, 22, 43, 50]);
  });

  test("gather and scatterAdd throw on an id outside the rows of W, and softmax on a label outside the row", () => {
    const W = new Float32Array(3 * 4).map((_, i) => i), out = new Float32Array(8).fill(-1);
    for (const id of [3, -1, 1000]) {
      const rowIds = ids(new Int32Array([1, id]), 0, 2);
      const e = assertThrows(
        () => k.gather(rowIds, mat(W, 0, 3, 4), mat(out, 0, 2, 4)),
        `gather: id ${id} at row 1 is outside [0, 3)`,
      );
      assertOk(e instanceof SaikiError);
      assertOk(out.every((v) => v === -1), "gather wrote nothing");
      const dW = W.slice();
      assertThrows(
        () => k.scatterAdd(rowIds, mat(out, 0, 2, 4), mat(dW, 0, 3, 4)),
        `scatterAdd: id ${id} at row 1 is outside [0, 3)`,
      );
      assertSameBits("scatterAdd wrote nothing", dW, W);
    }
    // a W of 2 rows from offset 4
    assertThrows(
      () => k.gather(ids(new Int32Array([2]), 0, 1), mat(W, 4, 2, 4), mat(out, 0, 1, 4)),
      "gather: id 2 at row 0 is outside [0, 2)",
    );
    const x = asMat(new Float32Array(6), 2, 3), y = asMat(new Float32Array(6), 2, 3);
    assertThrows(
      () => k.softmaxCrossEntropy(x, ids(Int32Array.of(0, 3), 0, 2), y, { ignore: -1, eps: 0 }),
      "softmaxCrossEntropy: label 3 at row 1 is outside [0, 3)",
    );
    const y1 = asMat(new Float32Array(3), 1, 3), back = { ignore: -1, scale: 1 };
    assertThrows(
      () => k.softmaxCrossEntropyBackward(y1, ids(Int32Array.of(-2), 0, 1), y1, back),
      "softmaxCrossEntropyBackward: label -2 at row 0 is outside [0, 3)",
    );
  });
}

// ---- the fallback of the WebAssembly kernels in an unshared memory ----

/** Every kernel of the interface (all but `name` and `packedSize`, which takes no operands). */
const KERNELS: (keyof Kernels)[] = [
  "gemm",
  "gemmBatched",
  "packB",
  "gemmPacked",
  "addBias",
  "sumRows",
  "copyRows",
  "fill",
  "scale",
  "mul",
  "axpy",
  "sumSquares",
  "tanhForward",
  "tanhBackward",
  "lstmForward",
  "lstmBackward",
  "gruGates",
  "gruOutput",
  "gruBackwardZH",
  "gruBackwardR",
  "softmaxCrossEntropy",
  "softmaxCrossEntropyBackward",
  "softmax",
  "softmaxBackward",
  "gather",
  "scatterAdd",
  "dropout",
  "sgd",
  "momentum",
  "nesterov",
  "adagrad",
  "rmsprop",
  "adam",
];

Deno.test("the fallback test's list of kernels is the interface's", () => {
  const methods = Object.keys(jsKernels).filter((n) => n !== "name" && n !== "packedSize");
  assertEquals([...KERNELS].sort(), methods.sort());
});

Deno.test({
  name:
    "in an unshared memory, every wasm kernel whose heap operands overflow the copy-in arena falls back to the js kernels' exact results",
  ignore: variants.every(([name, k]) => name === "js" || k === undefined),
  async fn() {
    const script = new URL("./_fallback.ts", import.meta.url).pathname;
    const out = await new Deno.Command("deno", {
      args: ["run", "--allow-read", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const report: { shared: boolean; cases: { kernel: string; name: string; result: string }[] } =
      JSON.parse(new TextDecoder().decode(out.stdout));
    assertEquals(report.shared, false, "the subprocess's engine memory is unshared");
    const lines = KERNELS.map((kernel) => {
      const cases = report.cases.filter((c) => c.kernel === kernel);
      if (cases.length === 0) return `${kernel}: no case`;
      const bad = cases.filter((c) => c.result !== "ok");
      return bad.length === 0
        ? `${kernel}: ok (${cases.length})`
        : `${kernel}: ${bad.map((c) => `${c.name}: ${c.result}`).join("; ")}`;
    });
    const failed = lines.filter((l) => !/^\w+: ok \(\d+\)$/.test(l));
    assertOk(
      failed.length === 0,
      `${failed.length} of ${KERNELS.length} kernels differ from the js kernels or have no case:\n` +
        `${failed.join("\n")}\n\nall kernels:\n${lines.join("\n")}`,
    );
  },
});
