/**
 * The kernel interface: every heavy loop of every layer runs through one of these functions.
 *
 * Arguments follow BLAS: matrices are row-major, addressed by a typed array, an offset and a
 * leading dimension (the distance between rows), so a kernel can read one timestep's rows out
 * of an `(N, T, D)` tensor, or a column block of a packed weight, without a copy and without
 * allocating. A faster backend (WebAssembly SIMD) implements the same interface and is
 * installed with {@linkcode setKernels}; {@linkcode jsKernels} is the plain-TypeScript
 * reference that always stays correct.
 *
 * Sums over the inner dimension of `gemm` and over rows in `sumRows` accumulate in float64
 * and round once when stored.
 *
 * @module
 */

/**
 * The operations layers need. Offsets and leading dimensions are in elements.
 *
 * `lstmForward`/`lstmBackward` hold the pointwise part of one LSTM step for `n` rows with
 * hidden size `h`; gates are packed `f, g, i, o` as in the reference. All their row blocks are
 * contiguous: `(n, 4h)` for gates and `(n, h)` for states.
 */
export interface Kernels {
  /** Backend name, for logs and benchmarks. */
  readonly name: string;

  /**
   * `C = op(A)·op(B)` (or `C += …` when `accumulate`), `op(A)` of shape `(m, k)`, `op(B)` of
   * shape `(k, n)`; `op(X)` is `Xᵀ` when the matching `trans` flag is set. With `transA`, `A`
   * is stored `(k, m)` with leading dimension `lda`; likewise `B` is stored `(n, k)` with `transB`.
   * `C` must not overlap `A` or `B`.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOff: number,
    lda: number,
    b: Float32Array,
    bOff: number,
    ldb: number,
    c: Float32Array,
    cOff: number,
    ldc: number,
    accumulate: boolean,
  ): void;

  /** `x[r, :] += bias` for each of `rows` rows of width `cols`. */
  addBias(
    rows: number,
    cols: number,
    bias: Float32Array,
    biasOff: number,
    x: Float32Array,
    xOff: number,
    ldx: number,
  ): void;

  /** `out[j] = Σ_r x[r, j]` (or `+=` when `accumulate`): the bias gradient. */
  sumRows(
    rows: number,
    cols: number,
    x: Float32Array,
    xOff: number,
    ldx: number,
    out: Float32Array,
    outOff: number,
    accumulate: boolean,
  ): void;

  /** `y[r, :] = x[r, :]` (or `+=` when `accumulate`): strided row copy; `x`, `y` must not overlap. */
  copyRows(
    rows: number,
    cols: number,
    x: Float32Array,
    xOff: number,
    ldx: number,
    y: Float32Array,
    yOff: number,
    ldy: number,
    accumulate: boolean,
  ): void;

  /** `y = tanh(x)` over `len` contiguous values (may be in place). */
  tanhForward(len: number, x: Float32Array, xOff: number, y: Float32Array, yOff: number): void;

  /** `dx = dy ⊙ (1 − y²)` over `len` contiguous values, `y = tanh(·)` (may be in place). */
  tanhBackward(
    len: number,
    y: Float32Array,
    yOff: number,
    dy: Float32Array,
    dyOff: number,
    dx: Float32Array,
    dxOff: number,
  ): void;

  /**
   * One LSTM step, pointwise. `gates` `(n, 4h)` holds the pre-activations `x·Wx + h·Wh + b`
   * on entry and the activated `f, g, i, o` on return; writes `cNext = f⊙cPrev + g⊙i` and
   * `hNext = o⊙tanh(cNext)`, both `(n, h)`.
   */
  lstmForward(
    n: number,
    h: number,
    gates: Float32Array,
    gOff: number,
    cPrev: Float32Array,
    cPrevOff: number,
    cNext: Float32Array,
    cNextOff: number,
    hNext: Float32Array,
    hNextOff: number,
  ): void;

  /**
   * Backward of {@linkcode Kernels.lstmForward}: from the activated `gates`, `cPrev`, `cNext`
   * and the upstream `dhNext`, `dcNext` writes `dGates` `(n, 4h)` (pre-activation gradients,
   * packed `f, g, i, o`) and `dcPrev` `(n, h)`. `dcPrev` may alias `dcNext`.
   */
  lstmBackward(
    n: number,
    h: number,
    gates: Float32Array,
    gOff: number,
    cPrev: Float32Array,
    cPrevOff: number,
    cNext: Float32Array,
    cNextOff: number,
    dhNext: Float32Array,
    dhNextOff: number,
    dcNext: Float32Array,
    dcNextOff: number,
    dGates: Float32Array,
    dGatesOff: number,
    dcPrev: Float32Array,
    dcPrevOff: number,
  ): void;

  /**
   * First half of one GRU step, pointwise. `gates` `(n, 3h)` is packed `z, r, ĥ`; on entry its
   * `z, r` blocks hold `x·Wx + h·Wh + b`, on return `σ(·)` of them. Writes `rh = r ⊙ hPrev`
   * `(n, h)`, the input of the `ĥ` product (the reset gate acts before `Whh`).
   */
  gruGates(
    n: number,
    h: number,
    gates: Float32Array,
    gOff: number,
    hPrev: Float32Array,
    hPrevOff: number,
    rh: Float32Array,
    rhOff: number,
  ): void;

  /**
   * Second half of one GRU step: the `ĥ` block of `gates` holds `x·Wxh + rh·Whh + bh` on entry
   * and `tanh(·)` on return; writes `hNext = (1 − z)⊙hPrev + z⊙ĥ`.
   */
  gruOutput(
    n: number,
    h: number,
    gates: Float32Array,
    gOff: number,
    hPrev: Float32Array,
    hPrevOff: number,
    hNext: Float32Array,
    hNextOff: number,
  ): void;

  /**
   * First half of a GRU step's backward, from the activated `gates`, `hPrev` and `dhNext`:
   * writes the pre-activation gradients of `z` and `ĥ` into `dGates` `(n, 3h)` and
   * `dhPrev = dhNext ⊙ (1 − z)`. The caller then forms `dhr = dĥ·Whhᵀ`.
   */
  gruBackwardZH(
    n: number,
    h: number,
    gates: Float32Array,
    gOff: number,
    hPrev: Float32Array,
    hPrevOff: number,
    dhNext: Float32Array,
    dhNextOff: number,
    dGates: Float32Array,
    dGatesOff: number,
    dhPrev: Float32Array,
    dhPrevOff: number,
  ): void;

  /**
   * Second half: from `dhr` `(n, h)`, adds `r ⊙ dhr` to `dhPrev` and writes the pre-activation
   * gradient of `r`, `(dhr ⊙ hPrev)·r·(1 − r)`, into `dGates`.
   */
  gruBackwardR(
    n: number,
    h: number,
    gates: Float32Array,
    gOff: number,
    hPrev: Float32Array,
    hPrevOff: number,
    dhr: Float32Array,
    dhrOff: number,
    dGates: Float32Array,
    dGatesOff: number,
    dhPrev: Float32Array,
    dhPrevOff: number,
  ): void;
  /**
   * Row-wise softmax of `rows` rows of width `cols` (contiguous), `y` may alias `x`; then
   * `Σ_r −log p_r[labels[r]]` over rows whose label is not `ignore`, returned in float64. With
   * `eps = 0` each term is computed as `log Σ exp(x − max) − (x_t − max)` (no underflow to
   * `log 0`); with `eps > 0` as the reference's `−log(y_t + eps)`.
   */
  softmaxCrossEntropy(
    rows: number,
    cols: number,
    x: Float32Array,
    xOff: number,
    labels: Int32Array,
    labelsOff: number,
    ignore: number,
    eps: number,
    y: Float32Array,
    yOff: number,
  ): number;

  /**
   * Gradient of the mean cross-entropy: `dx_r = scale·(y_r − onehot(labels[r]))`, and zero for
   * rows labelled `ignore`. `dx` may alias `y`.
   */
  softmaxCrossEntropyBackward(
    rows: number,
    cols: number,
    y: Float32Array,
    yOff: number,
    labels: Int32Array,
    labelsOff: number,
    ignore: number,
    scale: number,
    dx: Float32Array,
    dxOff: number,
  ): void;
}

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
 * The plain-TypeScript kernels: the reference backend, correct on every runtime.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsKernels } from "./kernels.ts";
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

  tanhForward(len, x, xOff, y, yOff) {
    for (let i = 0; i < len; i++) y[yOff + i] = Math.tanh(x[xOff + i]);
  },

  tanhBackward(len, y, yOff, dy, dyOff, dx, dxOff) {
    for (let i = 0; i < len; i++) {
      const v = y[yOff + i];
      dx[dxOff + i] = dy[dyOff + i] * (1 - v * v);
    }
  },

  lstmForward(n, h, gates, gOff, cPrev, cPrevOff, cNext, cNextOff, hNext, hNextOff) {
    for (let r = 0; r < n; r++) {
      const g = gOff + r * 4 * h, s = r * h;
      for (let j = 0; j < h; j++) {
        const f = sigmoid(gates[g + j]);
        const gg = Math.tanh(gates[g + h + j]);
        const i = sigmoid(gates[g + 2 * h + j]);
        const o = sigmoid(gates[g + 3 * h + j]);
        gates[g + j] = f, gates[g + h + j] = gg, gates[g + 2 * h + j] = i, gates[g + 3 * h + j] = o;
        const c = Math.fround(f * cPrev[cPrevOff + s + j] + gg * i);
        cNext[cNextOff + s + j] = c;
        hNext[hNextOff + s + j] = o * Math.tanh(c);
      }
    }
  },

  lstmBackward(
    n,
    h,
    gates,
    gOff,
    cPrev,
    cPrevOff,
    cNext,
    cNextOff,
    dhNext,
    dhNextOff,
    dcNext,
    dcNextOff,
    dGates,
    dGatesOff,
    dcPrev,
    dcPrevOff,
  ) {
    for (let r = 0; r < n; r++) {
      const g = gOff + r * 4 * h, dg = dGatesOff + r * 4 * h, s = r * h;
      for (let j = 0; j < h; j++) {
        const f = gates[g + j], gg = gates[g + h + j], i = gates[g + 2 * h + j];
        const o = gates[g + 3 * h + j];
        const tc = Math.tanh(cNext[cNextOff + s + j]);
        const dh = dhNext[dhNextOff + s + j];
        const ds = dcNext[dcNextOff + s + j] + dh * o * (1 - tc * tc);
        dGates[dg + j] = ds * cPrev[cPrevOff + s + j] * f * (1 - f);
        dGates[dg + h + j] = ds * i * (1 - gg * gg);
        dGates[dg + 2 * h + j] = ds * gg * i * (1 - i);
        dGates[dg + 3 * h + j] = dh * tc * o * (1 - o);
        dcPrev[dcPrevOff + s + j] = ds * f;
      }
    }
  },
  gruGates(n, h, gates, gOff, hPrev, hPrevOff, rh, rhOff) {
    for (let r = 0; r < n; r++) {
      const g = gOff + r * 3 * h, s = r * h;
      for (let j = 0; j < h; j++) {
        const z = sigmoid(gates[g + j]), rr = sigmoid(gates[g + h + j]);
        gates[g + j] = z, gates[g + h + j] = rr;
        rh[rhOff + s + j] = rr * hPrev[hPrevOff + s + j];
      }
    }
  },

  gruOutput(n, h, gates, gOff, hPrev, hPrevOff, hNext, hNextOff) {
    for (let r = 0; r < n; r++) {
      const g = gOff + r * 3 * h, s = r * h;
      for (let j = 0; j < h; j++) {
        const z = gates[g + j], hh = Math.tanh(gates[g + 2 * h + j]);
        gates[g + 2 * h + j] = hh;
        const hp = hPrev[hPrevOff + s + j];
        hNext[hNextOff + s + j] = (1 - z) * hp + z * hh;
      }
    }
  },

  gruBackwardZH(
    n,
    h,
    gates,
    gOff,
    hPrev,
    hPrevOff,
    dhNext,
    dhNextOff,
    dGates,
    dGatesOff,
    dhPrev,
    dhPrevOff,
  ) {
    for (let r = 0; r < n; r++) {
      const g = gOff + r * 3 * h, dg = dGatesOff + r * 3 * h, s = r * h;
      for (let j = 0; j < h; j++) {
        const z = gates[g + j], hh = gates[g + 2 * h + j];
        const dh = dhNext[dhNextOff + s + j], hp = hPrev[hPrevOff + s + j];
        dGates[dg + 2 * h + j] = dh * z * (1 - hh * hh);
        dGates[dg + j] = dh * (hh - hp) * z * (1 - z);
        dhPrev[dhPrevOff + s + j] = dh * (1 - z);
      }
    }
  },

  gruBackwardR(
    n,
    h,
    gates,
    gOff,
    hPrev,
    hPrevOff,
    dhr,
    dhrOff,
    dGates,
    dGatesOff,
    dhPrev,
    dhPrevOff,
  ) {
    for (let r = 0; r < n; r++) {
      const g = gOff + r * 3 * h, dg = dGatesOff + r * 3 * h, s = r * h;
      for (let j = 0; j < h; j++) {
        const rr = gates[g + h + j], d = dhr[dhrOff + s + j];
        dhPrev[dhPrevOff + s + j] += rr * d;
        dGates[dg + h + j] = d * hPrev[hPrevOff + s + j] * rr * (1 - rr);
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
};

let current: Kernels = jsKernels;

/**
 * The kernels layers call now.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getKernels } from "./kernels.ts";
 * assert(typeof getKernels().gemm === "function");
 * ```
 */
export function getKernels(): Kernels {
  return current;
}

/**
 * Installs another backend (e.g. WebAssembly SIMD) for every layer; returns the previous one.
 *
 * @example
 * ```ts
 * import { jsKernels, setKernels } from "./kernels.ts";
 * const previous = setKernels(jsKernels);
 * setKernels(previous);
 * ```
 */
export function setKernels(kernels: Kernels): Kernels {
  const previous = current;
  current = kernels;
  return previous;
}
