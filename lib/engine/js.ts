/**
 * The plain-TypeScript kernels: the reference backend, correct on every runtime, and the
 * arithmetic the WebAssembly kernels are tested against.
 *
 * Sums over the inner dimension of `gemm`, over rows in `sumRows` and in `sumSquares`, and the
 * optimizers' per-element arithmetic are carried out in float64 (JavaScript numbers) and
 * rounded once when stored; `exp`, `tanh` and the sigmoid use `Math`.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
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
} from "./_check.ts";
import type { GemmOptions, Kernels, Mat, Vec } from "./interface.ts";

/** Columns of `C` computed per pass over `A` (a `k × 128` panel of B is ≤ 512 KB for k ≤ 1000). */
const GEMM_PANEL = 128;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** `op(X)` of a product: element `(r, c)` is `data[off + r·rs + c·cs]`. */
interface Op {
  readonly data: Float32Array;
  readonly off: number;
  /** Distance between rows of `op(X)`. */
  readonly rs: number;
  /** Distance between columns of `op(X)`. */
  readonly cs: number;
}

/** `op(m)`: `m` itself, or `mᵀ` when `trans`. */
function op(m: Mat, trans = false): Op {
  return { data: m.data, off: m.off, rs: trans ? 1 : m.ld, cs: trans ? m.ld : 1 };
}

/** `c (+)= a·b` with `a = op(A)` `(c.rows, k)` and `b = op(B)` `(k, c.cols)`. */
interface Product {
  readonly a: Op;
  readonly b: Op;
  readonly c: Mat;
  readonly k: number;
  readonly accumulate: boolean;
}

/** Columns `[j0, j1)` of a product, every row: 4×4 register tiles accumulated in float64. */
function gemmStrided(P: Product, j0: number, j1: number): void {
  const { data: a, off: aOff, rs: ai, cs: ap } = P.a, { data: b, off: bOff, rs: bp, cs: bj } = P.b;
  const { data: c, off: cOff, rows: m, ld: ldc } = P.c, { k, accumulate } = P;
  const m4 = m - (m % 4), n4 = j1 - ((j1 - j0) % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = aOff + i * ai, a1 = a0 + ai, a2 = a1 + ai, a3 = a2 + ai;
    const c0 = cOff + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
    for (let j = j0; j < n4; j += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      let pa = 0, pb = bOff + j * bj;
      for (let p = 0; p < k; p++, pa += ap, pb += bp) {
        const x0 = a[a0 + pa], x1 = a[a1 + pa], x2 = a[a2 + pa], x3 = a[a3 + pa];
        const y0 = b[pb], y1 = b[pb + bj], y2 = b[pb + 2 * bj], y3 = b[pb + 3 * bj];
        s00 += x0 * y0, s01 += x0 * y1, s02 += x0 * y2, s03 += x0 * y3;
        s10 += x1 * y0, s11 += x1 * y1, s12 += x1 * y2, s13 += x1 * y3;
        s20 += x2 * y0, s21 += x2 * y1, s22 += x2 * y2, s23 += x2 * y3;
        s30 += x3 * y0, s31 += x3 * y1, s32 += x3 * y2, s33 += x3 * y3;
      }
      if (accumulate) {
        c[c0 + j] += s00, c[c0 + j + 1] += s01, c[c0 + j + 2] += s02, c[c0 + j + 3] += s03;
        c[c1 + j] += s10, c[c1 + j + 1] += s11, c[c1 + j + 2] += s12, c[c1 + j + 3] += s13;
        c[c2 + j] += s20, c[c2 + j + 1] += s21, c[c2 + j + 2] += s22, c[c2 + j + 3] += s23;
        c[c3 + j] += s30, c[c3 + j + 1] += s31, c[c3 + j + 2] += s32, c[c3 + j + 3] += s33;
      } else {
        c[c0 + j] = s00, c[c0 + j + 1] = s01, c[c0 + j + 2] = s02, c[c0 + j + 3] = s03;
        c[c1 + j] = s10, c[c1 + j + 1] = s11, c[c1 + j + 2] = s12, c[c1 + j + 3] = s13;
        c[c2 + j] = s20, c[c2 + j + 1] = s21, c[c2 + j + 2] = s22, c[c2 + j + 3] = s23;
        c[c3 + j] = s30, c[c3 + j + 1] = s31, c[c3 + j + 2] = s32, c[c3 + j + 3] = s33;
      }
    }
    for (let j = n4; j < j1; j++) gemmDot(P, i, i + 4, j);
  }
  for (let j = j0; j < j1; j++) gemmDot(P, m4, m, j);
}

/** Rows `[i0, i1)` of column `j` of a product, one dot product each: the tiles' remainder. */
function gemmDot(P: Product, i0: number, i1: number, j: number): void {
  const { data: a, off: aOff, rs: ai, cs: ap } = P.a, { data: b, off: bOff, rs: bp, cs: bj } = P.b;
  const { data: c, off: cOff, ld: ldc } = P.c, { k, accumulate } = P;
  for (let i = i0; i < i1; i++) {
    let s = 0;
    for (let p = 0, pa = aOff + i * ai, pb = bOff + j * bj; p < k; p++, pa += ap, pb += bp) {
      s += a[pa] * b[pb];
    }
    const at = cOff + i * ldc + j;
    c[at] = accumulate ? c[at] + s : s;
  }
}

/**
 * The naive reference GEMM: `c = op(a)·op(b)` (or `+=` with `accumulate`), the plain triple
 * loop, each element's sum over the inner dimension in float64 in order and rounded once when
 * stored. The tiled {@linkcode jsKernels} `gemm` gives the same bits; tests compare both backends
 * with it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gemmNaive } from "./js.ts";
 * import { asMat } from "./views.ts";
 * // (2×3)·(2×3)ᵀ: C = A·Bᵀ
 * const a = new Float32Array([1, 2, 3, 4, 5, 6]), b = new Float32Array([1, 0, 1, 0, 1, 1]);
 * const c = new Float32Array(4);
 * gemmNaive(asMat(a, 2, 3), asMat(b, 2, 3), asMat(c, 2, 2), { transB: true });
 * assert(c.join() === "4,5,10,11");
 * ```
 */
export function gemmNaive(a: Mat, b: Mat, c: Mat, options: GemmOptions = {}): void {
  const { m, n, k } = gemmDims("gemmNaive", a, b, c, options);
  const A = op(a, options.transA), B = op(b, options.transB);
  const { data: cd, off: cOff, ld: ldc } = c, accumulate = options.accumulate ?? false;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += A.data[A.off + i * A.rs + p * A.cs] * B.data[B.off + p * B.rs + j * B.cs];
      }
      const at = cOff + i * ldc + j;
      cd[at] = accumulate ? cd[at] + s : s;
    }
  }
}

/** The largest value of row `r` of `x` (contiguous rows): the shift of its softmax. */
function rowMax(x: Mat, r: number): number {
  const { data, cols } = x, xo = x.off + r * cols;
  let max = -Infinity;
  for (let j = 0; j < cols; j++) if (data[xo + j] > max) max = data[xo + j];
  return max;
}

/**
 * Row `r` of the softmax of `x` into `y` (contiguous rows), shifted by `max`:
 * `y[r, j] = exp(x[r, j] − max) / Σ`; returns `Σ` (summed in float64). `y` may alias `x`.
 */
function softmaxRow(x: Mat, y: Mat, r: number, max: number): number {
  const { data: xd, cols } = x, yd = y.data, xo = x.off + r * cols, yo = y.off + r * cols;
  let sum = 0;
  for (let j = 0; j < cols; j++) {
    const e = Math.exp(xd[xo + j] - max);
    yd[yo + j] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let j = 0; j < cols; j++) yd[yo + j] *= inv;
  return sum;
}

/** A packed `op(B)` of `k × n` floats fits in `packed`. */
function checkPacked(where: string, packed: Vec, k: number, n: number): void {
  checkVec(where, "packed", packed);
  if (packed.size < k * n) {
    throw new SaikiError(
      `${where}: packed has ${packed.size} values, expected at least ${k * n} (${k} × ${n})`,
    );
  }
}

/** `m` is `n × cols`, its rows contiguous. */
function checkRows(where: string, name: string, m: Mat, n: number, cols: number): void {
  checkDims(where, name, m, n, cols);
  checkContiguous(where, name, m);
}

/**
 * The plain-TypeScript kernels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsKernels } from "./js.ts";
 * import { asMat } from "./views.ts";
 * // (2×3)·(3×2): C = A·B
 * const a = new Float32Array([1, 2, 3, 4, 5, 6]), b = new Float32Array([1, 0, 0, 1, 1, 1]);
 * const c = new Float32Array(4);
 * jsKernels.gemm(asMat(a, 2, 3), asMat(b, 3, 2), asMat(c, 2, 2));
 * assert(c.join() === "4,5,10,11");
 * ```
 */
export const jsKernels: Kernels = {
  name: "js",

  gemm(a, b, c, options = {}) {
    const { m, n, k } = gemmDims("gemm", a, b, c, options);
    const accumulate = options.accumulate ?? false;
    if (m === 0 || n === 0) return;
    if (k === 0) {
      if (!accumulate) {
        for (let i = 0; i < m; i++) c.data.fill(0, c.off + i * c.ld, c.off + i * c.ld + n);
      }
      return;
    }
    const C = { data: c.data, off: c.off, rows: m, cols: n, ld: c.ld };
    const P = { a: op(a, options.transA), b: op(b, options.transB), c: C, k, accumulate };
    // Column panels of B small enough to stay in cache while every row block of A meets them.
    for (let j0 = 0; j0 < n; j0 += GEMM_PANEL) gemmStrided(P, j0, Math.min(j0 + GEMM_PANEL, n));
  },

  gemmBatched(a, b, c, options) {
    const { m, n, k } = gemmBatchedDims("gemmBatched", a, b, c, options);
    const { batch, transA, transB } = options, accumulate = options.accumulate ?? false;
    const ra = a.rows / batch, rb = b.rows / batch;
    for (let i = 0; i < batch; i++) {
      const C = { data: c.data, off: c.off + i * m * c.ld, rows: m, cols: n, ld: c.ld };
      if (k === 0) {
        if (!accumulate) {
          for (let r = 0; r < m; r++) c.data.fill(0, C.off + r * C.ld, C.off + r * C.ld + n);
        }
        continue;
      }
      const A = op(
        { data: a.data, off: a.off + i * ra * a.ld, rows: ra, cols: a.cols, ld: a.ld },
        transA,
      );
      const B = op(
        { data: b.data, off: b.off + i * rb * b.ld, rows: rb, cols: b.cols, ld: b.ld },
        transB,
      );
      gemmStrided({ a: A, b: B, c: C, k, accumulate }, 0, n);
    }
  },

  // The packed layout here is plain row-major op(B), (k, n).
  packedSize(k, n) {
    return k * n;
  },

  packB(b, packed, options = {}) {
    checkMat("packB", "b", b);
    const transB = options.transB ?? false;
    const [k, n] = transB ? [b.cols, b.rows] : [b.rows, b.cols];
    checkPacked("packB", packed, k, n);
    const { data: bd, off: bOff, ld: ldb } = b, { data: pd, off: pOff } = packed;
    for (let p = 0; p < k; p++) {
      const o = pOff + p * n;
      if (transB) { for (let j = 0; j < n; j++) pd[o + j] = bd[bOff + j * ldb + p]; }
      else pd.set(bd.subarray(bOff + p * ldb, bOff + p * ldb + n), o);
    }
  },

  gemmPacked(a, packed, c, options = {}) {
    checkMat("gemmPacked", "a", a);
    const k = options.transA ? a.rows : a.cols, n = c.cols;
    checkPacked("gemmPacked", packed, k, n);
    const b = { data: packed.data, off: packed.off, rows: k, cols: n, ld: n };
    jsKernels.gemm(a, b, c, { transA: options.transA, accumulate: options.accumulate });
  },

  addBias(bias, x) {
    checkMat("addBias", "x", x);
    checkSize("addBias", "bias", bias, x.cols);
    const { data: b, off: bo } = bias, { data: xd, off: xOff, rows, cols, ld: ldx } = x;
    for (let r = 0; r < rows; r++) {
      const o = xOff + r * ldx;
      for (let j = 0; j < cols; j++) xd[o + j] += b[bo + j];
    }
  },

  sumRows(x, out, options = {}) {
    checkMat("sumRows", "x", x);
    checkSize("sumRows", "out", out, x.cols);
    const { data: xd, off: xOff, rows, cols, ld: ldx } = x, { data: od, off: oOff } = out;
    const accumulate = options.accumulate ?? false;
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let r = 0, o = xOff + j; r < rows; r++, o += ldx) s += xd[o];
      od[oOff + j] = accumulate ? od[oOff + j] + s : s;
    }
  },

  copyRows(x, y, options = {}) {
    checkMat("copyRows", "x", x);
    checkDims("copyRows", "y", y, x.rows, x.cols);
    const { data: xd, off: xOff, rows, cols, ld: ldx } = x, { data: yd, off: yOff, ld: ldy } = y;
    const accumulate = options.accumulate ?? false;
    for (let r = 0; r < rows; r++) {
      const xo = xOff + r * ldx, yo = yOff + r * ldy;
      if (accumulate) { for (let j = 0; j < cols; j++) yd[yo + j] += xd[xo + j]; }
      else for (let j = 0; j < cols; j++) yd[yo + j] = xd[xo + j];
    }
  },

  fill(x, value) {
    checkVec("fill", "x", x);
    x.data.fill(value, x.off, x.off + x.size);
  },

  scale(x, alpha, y) {
    checkVec("scale", "x", x);
    checkSize("scale", "y", y, x.size);
    const { data: xd, off: xOff, size: len } = x, { data: yd, off: yOff } = y;
    for (let i = 0; i < len; i++) yd[yOff + i] = alpha * xd[xOff + i];
  },

  mul(a, b, y) {
    checkVec("mul", "a", a);
    checkSize("mul", "b", b, a.size);
    checkSize("mul", "y", y, a.size);
    const { data: ad, off: aOff, size: len } = a, { data: bd, off: bOff } = b;
    const { data: yd, off: yOff } = y;
    for (let i = 0; i < len; i++) yd[yOff + i] = ad[aOff + i] * bd[bOff + i];
  },

  axpy(alpha, x, y) {
    checkVec("axpy", "x", x);
    checkSize("axpy", "y", y, x.size);
    const { data: xd, off: xOff, size: len } = x, { data: yd, off: yOff } = y;
    for (let i = 0; i < len; i++) yd[yOff + i] += alpha * xd[xOff + i];
  },

  sumSquares(x) {
    checkVec("sumSquares", "x", x);
    const { data: xd, off: xOff, size: len } = x;
    let s = 0;
    for (let i = xOff; i < xOff + len; i++) s += xd[i] * xd[i];
    return s;
  },

  tanhForward(x, y) {
    checkMat("tanhForward", "x", x);
    checkDims("tanhForward", "y", y, x.rows, x.cols);
    const { data: xd, off: xOff, rows, cols, ld: ldx } = x, { data: yd, off: yOff, ld: ldy } = y;
    for (let r = 0; r < rows; r++) {
      const xo = xOff + r * ldx, yo = yOff + r * ldy;
      for (let j = 0; j < cols; j++) yd[yo + j] = Math.tanh(xd[xo + j]);
    }
  },

  tanhBackward(y, dy, dx) {
    checkMat("tanhBackward", "y", y);
    checkDims("tanhBackward", "dy", dy, y.rows, y.cols);
    checkDims("tanhBackward", "dx", dx, y.rows, y.cols);
    const { data: yd, off: yOff, rows, cols, ld: ldy } = y;
    const { data: dyd, off: dyOff, ld: lddy } = dy, { data: dxd, off: dxOff, ld: lddx } = dx;
    for (let r = 0; r < rows; r++) {
      const yo = yOff + r * ldy, dyo = dyOff + r * lddy, dxo = dxOff + r * lddx;
      for (let j = 0; j < cols; j++) {
        const v = yd[yo + j];
        dxd[dxo + j] = dyd[dyo + j] * (1 - v * v);
      }
    }
  },

  lstmForward(gates, cPrev, cNext, hNext) {
    checkMat("lstmForward", "cPrev", cPrev);
    const n = cPrev.rows, h = cPrev.cols;
    checkDims("lstmForward", "gates", gates, n, 4 * h);
    checkDims("lstmForward", "cNext", cNext, n, h);
    checkDims("lstmForward", "hNext", hNext, n, h);
    checkSameLd("lstmForward", "cNext", cNext, "hNext", hNext);
    const { data: gd, off: gOff, ld: ldg } = gates, { data: cp0, off: cpOff, ld: ldcp } = cPrev;
    const { data: cn0, off: cnOff, ld: ldcn } = cNext, { data: hn0, off: hnOff, ld: ldhn } = hNext;
    for (let r = 0; r < n; r++) {
      const g = gOff + r * ldg, cp = cpOff + r * ldcp;
      const cn = cnOff + r * ldcn, hn = hnOff + r * ldhn;
      for (let j = 0; j < h; j++) {
        const f = sigmoid(gd[g + j]);
        const gg = Math.tanh(gd[g + h + j]);
        const i = sigmoid(gd[g + 2 * h + j]);
        const o = sigmoid(gd[g + 3 * h + j]);
        gd[g + j] = f, gd[g + h + j] = gg, gd[g + 2 * h + j] = i, gd[g + 3 * h + j] = o;
        const c = Math.fround(f * cp0[cp + j] + gg * i);
        cn0[cn + j] = c;
        hn0[hn + j] = o * Math.tanh(c);
      }
    }
  },

  lstmBackward(gates, cPrev, cNext, dhNext, dc, dGates) {
    const where = "lstmBackward";
    checkMat(where, "cPrev", cPrev);
    const n = cPrev.rows, h = cPrev.cols;
    checkDims(where, "gates", gates, n, 4 * h);
    checkDims(where, "dGates", dGates, n, 4 * h);
    checkSameLd(where, "gates", gates, "dGates", dGates);
    checkDims(where, "cNext", cNext, n, h);
    checkRows(where, "dhNext", dhNext, n, h);
    checkRows(where, "dc", dc, n, h);
    const { data: gd, off: gOff, ld: ldg } = gates, { data: dgd, off: dgOff, ld: lddg } = dGates;
    const { data: cp0, off: cpOff, ld: ldcp } = cPrev, { data: cn0, off: cnOff, ld: ldcn } = cNext;
    const { data: dhd, off: dhOff } = dhNext, { data: dcd, off: dcOff } = dc;
    for (let r = 0; r < n; r++) {
      const g = gOff + r * ldg, dg = dgOff + r * lddg;
      const cp = cpOff + r * ldcp, cn = cnOff + r * ldcn, s = r * h;
      for (let j = 0; j < h; j++) {
        const f = gd[g + j], gg = gd[g + h + j], i = gd[g + 2 * h + j];
        const o = gd[g + 3 * h + j];
        const tc = Math.tanh(cn0[cn + j]);
        const dh = dhd[dhOff + s + j];
        const ds = dcd[dcOff + s + j] + dh * o * (1 - tc * tc);
        dgd[dg + j] = ds * cp0[cp + j] * f * (1 - f);
        dgd[dg + h + j] = ds * i * (1 - gg * gg);
        dgd[dg + 2 * h + j] = ds * gg * i * (1 - i);
        dgd[dg + 3 * h + j] = dh * tc * o * (1 - o);
        dcd[dcOff + s + j] = ds * f;
      }
    }
  },

  gruGates(gates, hPrev, rh) {
    checkMat("gruGates", "hPrev", hPrev);
    const n = hPrev.rows, h = hPrev.cols;
    checkDims("gruGates", "gates", gates, n, 3 * h);
    checkDims("gruGates", "rh", rh, n, h);
    const { data: gd, off: gOff, ld: ldg } = gates, { data: hpd, off: hpOff, ld: ldhp } = hPrev;
    const { data: rhd, off: rhOff, ld: ldrh } = rh;
    for (let r = 0; r < n; r++) {
      const g = gOff + r * ldg, hp = hpOff + r * ldhp, o = rhOff + r * ldrh;
      for (let j = 0; j < h; j++) {
        const z = sigmoid(gd[g + j]), rr = sigmoid(gd[g + h + j]);
        gd[g + j] = z, gd[g + h + j] = rr;
        rhd[o + j] = rr * hpd[hp + j];
      }
    }
  },

  gruOutput(gates, hPrev, hNext) {
    checkMat("gruOutput", "hPrev", hPrev);
    const n = hPrev.rows, h = hPrev.cols;
    checkDims("gruOutput", "gates", gates, n, 3 * h);
    checkDims("gruOutput", "hNext", hNext, n, h);
    const { data: gd, off: gOff, ld: ldg } = gates, { data: hpd, off: hpOff, ld: ldhp } = hPrev;
    const { data: hnd, off: hnOff, ld: ldhn } = hNext;
    for (let r = 0; r < n; r++) {
      const g = gOff + r * ldg, hp = hpOff + r * ldhp, hn = hnOff + r * ldhn;
      for (let j = 0; j < h; j++) {
        const z = gd[g + j], hh = Math.tanh(gd[g + 2 * h + j]);
        gd[g + 2 * h + j] = hh;
        hnd[hn + j] = (1 - z) * hpd[hp + j] + z * hh;
      }
    }
  },

  gruBackwardZH(gates, hPrev, dhNext, dGates, dhPrev) {
    const where = "gruBackwardZH";
    checkMat(where, "hPrev", hPrev);
    const n = hPrev.rows, h = hPrev.cols;
    checkDims(where, "gates", gates, n, 3 * h);
    checkDims(where, "dGates", dGates, n, 3 * h);
    checkSameLd(where, "gates", gates, "dGates", dGates);
    checkRows(where, "dhNext", dhNext, n, h);
    checkRows(where, "dhPrev", dhPrev, n, h);
    const { data: gd, off: gOff, ld: ldg } = gates, { data: dgd, off: dgOff, ld: lddg } = dGates;
    const { data: hpd, off: hpOff, ld: ldhp } = hPrev;
    const { data: dnd, off: dnOff } = dhNext, { data: dpd, off: dpOff } = dhPrev;
    for (let r = 0; r < n; r++) {
      const g = gOff + r * ldg, dg = dgOff + r * lddg, hp = hpOff + r * ldhp, s = r * h;
      for (let j = 0; j < h; j++) {
        const z = gd[g + j], hh = gd[g + 2 * h + j];
        const dh = dnd[dnOff + s + j], p = hpd[hp + j];
        dgd[dg + 2 * h + j] = dh * z * (1 - hh * hh);
        dgd[dg + j] = dh * (hh - p) * z * (1 - z);
        dpd[dpOff + s + j] = dh * (1 - z);
      }
    }
  },

  gruBackwardR(gates, hPrev, dhr, dGates, dhPrev) {
    const where = "gruBackwardR";
    checkMat(where, "hPrev", hPrev);
    const n = hPrev.rows, h = hPrev.cols;
    checkDims(where, "gates", gates, n, 3 * h);
    checkDims(where, "dGates", dGates, n, 3 * h);
    checkSameLd(where, "gates", gates, "dGates", dGates);
    checkRows(where, "dhr", dhr, n, h);
    checkRows(where, "dhPrev", dhPrev, n, h);
    const { data: gd, off: gOff, ld: ldg } = gates, { data: dgd, off: dgOff, ld: lddg } = dGates;
    const { data: hpd, off: hpOff, ld: ldhp } = hPrev;
    const { data: drd, off: drOff } = dhr, { data: dpd, off: dpOff } = dhPrev;
    for (let r = 0; r < n; r++) {
      const g = gOff + r * ldg, dg = dgOff + r * lddg, hp = hpOff + r * ldhp, s = r * h;
      for (let j = 0; j < h; j++) {
        const rr = gd[g + h + j], d = drd[drOff + s + j];
        dpd[dpOff + s + j] += rr * d;
        dgd[dg + h + j] = d * hpd[hp + j] * rr * (1 - rr);
      }
    }
  },

  softmaxCrossEntropy(x, labels, y, { ignore, eps }) {
    const where = "softmaxCrossEntropy";
    checkMat(where, "x", x);
    checkContiguous(where, "x", x);
    const rows = x.rows, cols = x.cols;
    checkRows(where, "y", y, rows, cols);
    checkSize(where, "labels", labels, rows);
    checkLabels(where, labels, cols, ignore);
    const { data: xd, off: xOff } = x, { data: yd, off: yOff } = y;
    const { data: lab, off: lOff } = labels;
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      const xo = xOff + r * cols, yo = yOff + r * cols;
      const max = rowMax(x, r);
      const t = lab[lOff + r];
      const xt = t === ignore ? 0 : xd[xo + t]; // read before y overwrites an aliased x
      const sum = softmaxRow(x, y, r, max);
      if (t === ignore) continue;
      loss += eps > 0 ? -Math.log(yd[yo + t] + eps) : Math.log(sum) - (xt - max);
    }
    return loss;
  },

  softmaxCrossEntropyBackward(y, labels, dx, { ignore, scale }) {
    const where = "softmaxCrossEntropyBackward";
    checkMat(where, "y", y);
    checkContiguous(where, "y", y);
    const rows = y.rows, cols = y.cols;
    checkRows(where, "dx", dx, rows, cols);
    checkSize(where, "labels", labels, rows);
    checkLabels(where, labels, cols, ignore);
    const { data: yd, off: yOff } = y, { data: dxd, off: dxOff } = dx;
    const { data: lab, off: lOff } = labels;
    for (let r = 0; r < rows; r++) {
      const yo = yOff + r * cols, dxo = dxOff + r * cols;
      const t = lab[lOff + r];
      if (t === ignore) {
        dxd.fill(0, dxo, dxo + cols);
        continue;
      }
      for (let j = 0; j < cols; j++) dxd[dxo + j] = yd[yo + j] * scale;
      dxd[dxo + t] -= scale;
    }
  },

  softmax(x, y) {
    checkMat("softmax", "x", x);
    checkContiguous("softmax", "x", x);
    checkRows("softmax", "y", y, x.rows, x.cols);
    const rows = x.rows;
    for (let r = 0; r < rows; r++) softmaxRow(x, y, r, rowMax(x, r));
  },

  softmaxBackward(y, dout, dx) {
    checkMat("softmaxBackward", "y", y);
    checkContiguous("softmaxBackward", "y", y);
    const rows = y.rows, cols = y.cols;
    checkRows("softmaxBackward", "dout", dout, rows, cols);
    checkRows("softmaxBackward", "dx", dx, rows, cols);
    const { data: yd, off: yOff } = y, { data: gd, off: gOff } = dout;
    const { data: dxd, off: dxOff } = dx;
    for (let r = 0; r < rows; r++) {
      const yo = yOff + r * cols, go = gOff + r * cols, xo = dxOff + r * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += gd[go + j] * yd[yo + j];
      for (let j = 0; j < cols; j++) dxd[xo + j] = yd[yo + j] * (gd[go + j] - s);
    }
  },

  gather(ids, W, out) {
    checkVec("gather", "ids", ids);
    checkMat("gather", "W", W);
    const rows = ids.size, cols = W.cols;
    checkDims("gather", "out", out, rows, cols);
    checkContiguous("gather", "W", W);
    checkContiguous("gather", "out", out);
    checkIds("gather", ids, W.rows);
    const { data: id, off: idOff } = ids, { data: wd, off: wOff, ld: ldw } = W;
    const { data: od, off: oOff, ld: ldo } = out;
    for (let r = 0; r < rows; r++) {
      const from = wOff + id[idOff + r] * ldw;
      od.set(wd.subarray(from, from + cols), oOff + r * ldo);
    }
  },

  scatterAdd(ids, dout, dW) {
    checkVec("scatterAdd", "ids", ids);
    checkMat("scatterAdd", "dW", dW);
    const rows = ids.size, cols = dW.cols;
    checkDims("scatterAdd", "dout", dout, rows, cols);
    checkContiguous("scatterAdd", "dout", dout);
    checkContiguous("scatterAdd", "dW", dW);
    checkIds("scatterAdd", ids, dW.rows);
    const { data: id, off: idOff } = ids, { data: gd, off: gOff, ld: ldg } = dout;
    const { data: wd, off: wOff, ld: ldw } = dW;
    for (let r = 0; r < rows; r++) {
      const to = wOff + id[idOff + r] * ldw, from = gOff + r * ldg;
      for (let j = 0; j < cols; j++) wd[to + j] += gd[from + j];
    }
  },

  dropout(x, mask, out, { ratio, keep, state }) {
    checkVec("dropout", "x", x);
    checkSize("dropout", "mask", mask, x.size);
    checkSize("dropout", "out", out, x.size);
    const { data: xd, off: xOff, size: len } = x;
    const { data: md, off: mOff } = mask, { data: od, off: oOff } = out;
    let s0 = state[0], s1 = state[1], s2 = state[2], s3 = state[3];
    const next = () => {
      // sfc32, as Rng.nextUint32
      const t = (((s0 + s1) >>> 0) + s3) >>> 0;
      s3 = (s3 + 1) >>> 0;
      s0 = s1 ^ (s1 >>> 9);
      s1 = (s2 + (s2 << 3)) >>> 0;
      s2 = ((s2 << 21) | (s2 >>> 11)) >>> 0;
      s2 = (s2 + t) >>> 0;
      return t;
    };
    const k = Math.fround(keep);
    for (let i = 0; i < len; i++) {
      const hi = next() >>> 5, lo = next() >>> 6;
      const u = (hi * 67108864 + lo) / 9007199254740992;
      const m = u > ratio ? k : 0;
      md[mOff + i] = m;
      od[oOff + i] = xd[xOff + i] * m;
    }
    state[0] = s0, state[1] = s1, state[2] = s2, state[3] = s3;
  },

  sgd(p, g, { lr }) {
    checkVec("sgd", "p", p);
    checkSize("sgd", "g", g, p.size);
    const { data: pd, off: pOff, size: len } = p, { data: gd, off: gOff } = g;
    for (let j = 0; j < len; j++) pd[pOff + j] -= lr * gd[gOff + j];
  },

  momentum(p, g, v, { lr, momentum: mom }) {
    checkVec("momentum", "p", p);
    checkSize("momentum", "g", g, p.size);
    checkSize("momentum", "v", v, p.size);
    const { data: pd, off: pOff, size: len } = p, { data: gd, off: gOff } = g;
    const { data: vd, off: vOff } = v;
    for (let j = 0; j < len; j++) {
      const vj = mom * vd[vOff + j] - lr * gd[gOff + j];
      vd[vOff + j] = vj;
      pd[pOff + j] += vj;
    }
  },

  nesterov(p, g, v, { lr, momentum: mom }) {
    checkVec("nesterov", "p", p);
    checkSize("nesterov", "g", g, p.size);
    checkSize("nesterov", "v", v, p.size);
    const { data: pd, off: pOff, size: len } = p, { data: gd, off: gOff } = g;
    const { data: vd, off: vOff } = v;
    for (let j = 0; j < len; j++) {
      const gj = gd[gOff + j];
      const vj = mom * vd[vOff + j] - lr * gj;
      vd[vOff + j] = vj;
      pd[pOff + j] = pd[pOff + j] + mom * mom * vj - (1 + mom) * lr * gj;
    }
  },

  adagrad(p, g, h, { lr }) {
    checkVec("adagrad", "p", p);
    checkSize("adagrad", "g", g, p.size);
    checkSize("adagrad", "h", h, p.size);
    const { data: pd, off: pOff, size: len } = p, { data: gd, off: gOff } = g;
    const { data: hd, off: hOff } = h;
    for (let j = 0; j < len; j++) {
      const gj = gd[gOff + j];
      const hj = hd[hOff + j] + gj * gj;
      hd[hOff + j] = hj;
      pd[pOff + j] -= lr * gj / (Math.sqrt(hj) + 1e-7);
    }
  },

  rmsprop(p, g, h, { lr, decay }) {
    checkVec("rmsprop", "p", p);
    checkSize("rmsprop", "g", g, p.size);
    checkSize("rmsprop", "h", h, p.size);
    const { data: pd, off: pOff, size: len } = p, { data: gd, off: gOff } = g;
    const { data: hd, off: hOff } = h;
    for (let j = 0; j < len; j++) {
      const gj = gd[gOff + j];
      const hj = hd[hOff + j] * decay + (1 - decay) * gj * gj;
      hd[hOff + j] = hj;
      pd[pOff + j] -= lr * gj / (Math.sqrt(hj) + 1e-7);
    }
  },

  adam(p, g, m, v, { lrT, beta1: b1, beta2: b2 }) {
    checkVec("adam", "p", p);
    checkSize("adam", "g", g, p.size);
    checkSize("adam", "m", m, p.size);
    checkSize("adam", "v", v, p.size);
    const { data: pd, off: pOff, size: len } = p, { data: gd, off: gOff } = g;
    const { data: md, off: mOff } = m, { data: vd, off: vOff } = v;
    for (let j = 0; j < len; j++) {
      const gj = gd[gOff + j], mo = md[mOff + j], vo = vd[vOff + j];
      const mj = mo + (1 - b1) * (gj - mo);
      const vj = vo + (1 - b2) * (gj * gj - vo);
      md[mOff + j] = mj;
      vd[vOff + j] = vj;
      pd[pOff + j] -= lrT * mj / (Math.sqrt(vj) + 1e-7);
    }
  },
};
