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

import type { Kernels } from "./kernels.ts";

/** Columns of `C` computed per pass over `A` (a `k × 128` panel of B is ≤ 512 KB for k ≤ 1000). */
const GEMM_PANEL = 128;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * `C (+)= op(A)·op(B)` on strided storage: 4×4 register tiles accumulated in float64.
 * Element `(i, p)` of `op(A)` is at `aOff + i*ai + p*ap`; element `(p, j)` of `op(B)` is at
 * `bOff + p*bp + j*bj`.
 */
function gemmStrided(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  ai: number,
  ap: number,
  b: Float32Array,
  bOff: number,
  bp: number,
  bj: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  accumulate: boolean,
): void {
  const m4 = m - (m % 4), n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = aOff + i * ai, a1 = a0 + ai, a2 = a1 + ai, a3 = a2 + ai;
    const c0 = cOff + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
    for (let j = 0; j < n4; j += 4) {
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
    for (let j = n4; j < n; j++) {
      gemmDot(4, j, k, a, a0, ai, ap, b, bOff, bp, bj, c, c0, ldc, accumulate);
    }
  }
  for (let j = 0; j < n; j++) {
    gemmDot(
      m - m4,
      j,
      k,
      a,
      aOff + m4 * ai,
      ai,
      ap,
      b,
      bOff,
      bp,
      bj,
      c,
      cOff + m4 * ldc,
      ldc,
      accumulate,
    );
  }
}

/** Column `j` of `C` for `rows` rows, one dot product each: the tiles' remainder. */
function gemmDot(
  rows: number,
  j: number,
  k: number,
  a: Float32Array,
  aOff: number,
  ai: number,
  ap: number,
  b: Float32Array,
  bOff: number,
  bp: number,
  bj: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  accumulate: boolean,
): void {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let p = 0, pa = aOff + i * ai, pb = bOff + j * bj; p < k; p++, pa += ap, pb += bp) {
      s += a[pa] * b[pb];
    }
    const at = cOff + i * ldc + j;
    c[at] = accumulate ? c[at] + s : s;
  }
}

/**
 * The plain-TypeScript kernels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsKernels } from "./js.ts";
 * // (2×3)·(3×2): C = A·B
 * const a = new Float32Array([1, 2, 3, 4, 5, 6]), b = new Float32Array([1, 0, 0, 1, 1, 1]);
 * const c = new Float32Array(4);
 * jsKernels.gemm(false, false, 2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, false);
 * assert(c.join() === "4,5,10,11");
 * ```
 */
export const jsKernels: Kernels = {
  name: "js",

  gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate) {
    if (m === 0 || n === 0) return;
    if (k === 0) {
      if (!accumulate) {
        for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
      }
      return;
    }
    const ai = transA ? 1 : lda, ap = transA ? lda : 1;
    const bp = transB ? 1 : ldb, bj = transB ? ldb : 1;
    // Column panels of B small enough to stay in cache while every row block of A meets them.
    for (let j0 = 0; j0 < n; j0 += GEMM_PANEL) {
      const nj = Math.min(GEMM_PANEL, n - j0);
      gemmStrided(
        m,
        nj,
        k,
        a,
        aOff,
        ai,
        ap,
        b,
        bOff + j0 * bj,
        bp,
        bj,
        c,
        cOff + j0,
        ldc,
        accumulate,
      );
    }
  },

  // The packed layout here is plain row-major op(B), (k, n).
  packedSize(k, n) {
    return k * n;
  },

  packB(transB, k, n, b, bOff, ldb, packed, packedOff) {
    for (let p = 0; p < k; p++) {
      const o = packedOff + p * n;
      if (transB) { for (let j = 0; j < n; j++) packed[o + j] = b[bOff + j * ldb + p]; }
      else packed.set(b.subarray(bOff + p * ldb, bOff + p * ldb + n), o);
    }
  },

  gemmPacked(transA, m, n, k, a, aOff, lda, packed, packedOff, c, cOff, ldc, accumulate) {
    this.gemm(transA, false, m, n, k, a, aOff, lda, packed, packedOff, n, c, cOff, ldc, accumulate);
  },

  addBias(rows, cols, bias, biasOff, x, xOff, ldx) {
    for (let r = 0; r < rows; r++) {
      const o = xOff + r * ldx;
      for (let j = 0; j < cols; j++) x[o + j] += bias[biasOff + j];
    }
  },

  sumRows(rows, cols, x, xOff, ldx, out, outOff, accumulate) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let r = 0, o = xOff + j; r < rows; r++, o += ldx) s += x[o];
      out[outOff + j] = accumulate ? out[outOff + j] + s : s;
    }
  },

  copyRows(rows, cols, x, xOff, ldx, y, yOff, ldy, accumulate) {
    for (let r = 0; r < rows; r++) {
      const xo = xOff + r * ldx, yo = yOff + r * ldy;
      if (accumulate) { for (let j = 0; j < cols; j++) y[yo + j] += x[xo + j]; }
      else for (let j = 0; j < cols; j++) y[yo + j] = x[xo + j];
    }
  },

  fill(len, value, x, xOff) {
    x.fill(value, xOff, xOff + len);
  },

  scale(len, alpha, x, xOff, y, yOff) {
    for (let i = 0; i < len; i++) y[yOff + i] = alpha * x[xOff + i];
  },

  mul(len, a, aOff, b, bOff, y, yOff) {
    for (let i = 0; i < len; i++) y[yOff + i] = a[aOff + i] * b[bOff + i];
  },

  axpy(len, alpha, x, xOff, y, yOff) {
    for (let i = 0; i < len; i++) y[yOff + i] += alpha * x[xOff + i];
  },

  sumSquares(len, x, xOff) {
    let s = 0;
    for (let i = xOff; i < xOff + len; i++) s += x[i] * x[i];
    return s;
  },

  tanhForward(rows, cols, x, xOff, ldx, y, yOff, ldy) {
    for (let r = 0; r < rows; r++) {
      const xo = xOff + r * ldx, yo = yOff + r * ldy;
      for (let j = 0; j < cols; j++) y[yo + j] = Math.tanh(x[xo + j]);
    }
  },

  tanhBackward(rows, cols, y, yOff, ldy, dy, dyOff, lddy, dx, dxOff, lddx) {
    for (let r = 0; r < rows; r++) {
      const yo = yOff + r * ldy, dyo = dyOff + r * lddy, dxo = dxOff + r * lddx;
      for (let j = 0; j < cols; j++) {
        const v = y[yo + j];
        dx[dxo + j] = dy[dyo + j] * (1 - v * v);
      }
    }
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
    for (let r = 0; r < n; r++) {
      const g = gOff + r * ldg, cp = cPrevOff + r * ldcPrev;
      const cn = cNextOff + r * ldOut, hn = hNextOff + r * ldOut;
      for (let j = 0; j < h; j++) {
        const f = sigmoid(gates[g + j]);
        const gg = Math.tanh(gates[g + h + j]);
        const i = sigmoid(gates[g + 2 * h + j]);
        const o = sigmoid(gates[g + 3 * h + j]);
        gates[g + j] = f, gates[g + h + j] = gg, gates[g + 2 * h + j] = i, gates[g + 3 * h + j] = o;
        const c = Math.fround(f * cPrev[cp + j] + gg * i);
        cNext[cn + j] = c;
        hNext[hn + j] = o * Math.tanh(c);
      }
    }
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
    for (let r = 0; r < n; r++) {
      const g = gOff + r * ldg, dg = dGOff + r * ldg;
      const cp = cPrevOff + r * ldcPrev, cn = cNextOff + r * ldc, s = r * h;
      for (let j = 0; j < h; j++) {
        const f = gates[g + j], gg = gates[g + h + j], i = gates[g + 2 * h + j];
        const o = gates[g + 3 * h + j];
        const tc = Math.tanh(cNext[cn + j]);
        const dh = dhNext[dhNextOff + s + j];
        const ds = dc[dcOff + s + j] + dh * o * (1 - tc * tc);
        dGates[dg + j] = ds * cPrev[cp + j] * f * (1 - f);
        dGates[dg + h + j] = ds * i * (1 - gg * gg);
        dGates[dg + 2 * h + j] = ds * gg * i * (1 - i);
        dGates[dg + 3 * h + j] = dh * tc * o * (1 - o);
        dc[dcOff + s + j] = ds * f;
      }
    }
  },

  gruGates(n, h, gates, gOff, ldg, hPrev, hPrevOff, ldhPrev, rh, rhOff, ldrh) {
    for (let r = 0; r < n; r++) {
      const g = gOff + r * ldg, hp = hPrevOff + r * ldhPrev, o = rhOff + r * ldrh;
      for (let j = 0; j < h; j++) {
        const z = sigmoid(gates[g + j]), rr = sigmoid(gates[g + h + j]);
        gates[g + j] = z, gates[g + h + j] = rr;
        rh[o + j] = rr * hPrev[hp + j];
      }
    }
  },

  gruOutput(n, h, gates, gOff, ldg, hPrev, hPrevOff, ldhPrev, hNext, hNextOff, ldhNext) {
    for (let r = 0; r < n; r++) {
      const g = gOff + r * ldg, hp = hPrevOff + r * ldhPrev, hn = hNextOff + r * ldhNext;
      for (let j = 0; j < h; j++) {
        const z = gates[g + j], hh = Math.tanh(gates[g + 2 * h + j]);
        gates[g + 2 * h + j] = hh;
        hNext[hn + j] = (1 - z) * hPrev[hp + j] + z * hh;
      }
    }
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
    for (let r = 0; r < n; r++) {
      const g = gOff + r * ldg, dg = dGOff + r * ldg, hp = hPrevOff + r * ldhPrev, s = r * h;
      for (let j = 0; j < h; j++) {
        const z = gates[g + j], hh = gates[g + 2 * h + j];
        const dh = dhNext[dhNextOff + s + j], p = hPrev[hp + j];
        dGates[dg + 2 * h + j] = dh * z * (1 - hh * hh);
        dGates[dg + j] = dh * (hh - p) * z * (1 - z);
        dhPrev[dhPrevOff + s + j] = dh * (1 - z);
      }
    }
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
    for (let r = 0; r < n; r++) {
      const g = gOff + r * ldg, dg = dGOff + r * ldg, hp = hPrevOff + r * ldhPrev, s = r * h;
      for (let j = 0; j < h; j++) {
        const rr = gates[g + h + j], d = dhr[dhrOff + s + j];
        dhPrev[dhPrevOff + s + j] += rr * d;
        dGates[dg + h + j] = d * hPrev[hp + j] * rr * (1 - rr);
      }
    }
  },

  softmaxCrossEntropy(rows, cols, x, xOff, labels, labelsOff, ignore, eps, y, yOff) {
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      const xo = xOff + r * cols, yo = yOff + r * cols;
      let max = -Infinity;
      for (let j = 0; j < cols; j++) if (x[xo + j] > max) max = x[xo + j];
      const t = labels[labelsOff + r];
      const xt = t === ignore ? 0 : x[xo + t]; // read before y overwrites an aliased x
      let sum = 0;
      for (let j = 0; j < cols; j++) {
        const e = Math.exp(x[xo + j] - max);
        y[yo + j] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let j = 0; j < cols; j++) y[yo + j] *= inv;
      if (t === ignore) continue;
      loss += eps > 0 ? -Math.log(y[yo + t] + eps) : Math.log(sum) - (xt - max);
    }
    return loss;
  },

  softmaxCrossEntropyBackward(rows, cols, y, yOff, labels, labelsOff, ignore, scale, dx, dxOff) {
    for (let r = 0; r < rows; r++) {
      const yo = yOff + r * cols, dxo = dxOff + r * cols;
      const t = labels[labelsOff + r];
      if (t === ignore) {
        dx.fill(0, dxo, dxo + cols);
        continue;
      }
      for (let j = 0; j < cols; j++) dx[dxo + j] = y[yo + j] * scale;
      dx[dxo + t] -= scale;
    }
  },

  softmaxBackward(rows, cols, y, yOff, dout, doutOff, dx, dxOff) {
    for (let r = 0; r < rows; r++) {
      const yo = yOff + r * cols, go = doutOff + r * cols, xo = dxOff + r * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += dout[go + j] * y[yo + j];
      for (let j = 0; j < cols; j++) dx[xo + j] = y[yo + j] * (dout[go + j] - s);
    }
  },

  gather(rows, cols, ids, idsOff, W, WOff, out, outOff) {
    for (let r = 0; r < rows; r++) {
      const from = WOff + ids[idsOff + r] * cols;
      out.set(W.subarray(from, from + cols), outOff + r * cols);
    }
  },

  scatterAdd(rows, cols, ids, idsOff, dout, doutOff, dW, dWOff) {
    for (let r = 0; r < rows; r++) {
      const to = dWOff + ids[idsOff + r] * cols, from = doutOff + r * cols;
      for (let j = 0; j < cols; j++) dW[to + j] += dout[from + j];
    }
  },

  dropout(len, ratio, keep, state, x, xOff, mask, maskOff, out, outOff) {
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
      mask[maskOff + i] = m;
      out[outOff + i] = x[xOff + i] * m;
    }
    state[0] = s0, state[1] = s1, state[2] = s2, state[3] = s3;
  },

  sgd(len, lr, p, pOff, g, gOff) {
    for (let j = 0; j < len; j++) p[pOff + j] -= lr * g[gOff + j];
  },

  momentum(len, lr, mom, p, pOff, g, gOff, v, vOff) {
    for (let j = 0; j < len; j++) {
      const vj = mom * v[vOff + j] - lr * g[gOff + j];
      v[vOff + j] = vj;
      p[pOff + j] += vj;
    }
  },

  nesterov(len, lr, mom, p, pOff, g, gOff, v, vOff) {
    for (let j = 0; j < len; j++) {
      const gj = g[gOff + j];
      const vj = mom * v[vOff + j] - lr * gj;
      v[vOff + j] = vj;
      p[pOff + j] = p[pOff + j] + mom * mom * vj - (1 + mom) * lr * gj;
    }
  },

  adagrad(len, lr, p, pOff, g, gOff, h, hOff) {
    for (let j = 0; j < len; j++) {
      const gj = g[gOff + j];
      const hj = h[hOff + j] + gj * gj;
      h[hOff + j] = hj;
      p[pOff + j] -= lr * gj / (Math.sqrt(hj) + 1e-7);
    }
  },

  rmsprop(len, lr, decay, p, pOff, g, gOff, h, hOff) {
    for (let j = 0; j < len; j++) {
      const gj = g[gOff + j];
      const hj = h[hOff + j] * decay + (1 - decay) * gj * gj;
      h[hOff + j] = hj;
      p[pOff + j] -= lr * gj / (Math.sqrt(hj) + 1e-7);
    }
  },

  adam(len, lrT, b1, b2, p, pOff, g, gOff, m, mOff, v, vOff) {
    for (let j = 0; j < len; j++) {
      const gj = g[gOff + j], mo = m[mOff + j], vo = v[vOff + j];
      const mj = mo + (1 - b1) * (gj - mo);
      const vj = vo + (1 - b2) * (gj * gj - vo);
      m[mOff + j] = mj;
      v[vOff + j] = vj;
      p[pOff + j] -= lrT * mj / (Math.sqrt(vj) + 1e-7);
    }
  },
};
