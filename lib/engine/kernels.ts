/**
 * The kernel interface: every heavy loop of the library runs through one of these functions,
 * and the backend that implements them is chosen here.
 *
 * Arguments follow BLAS: matrices are row-major, addressed by a typed array, an offset and a
 * leading dimension (the distance between rows, `ld…`), so a kernel can read one timestep's
 * `N` rows out of an `(N, T, D)` tensor, or a column block of a packed weight, without a copy
 * and without allocating. A time layer therefore makes O(T) kernel calls per pass.
 *
 * Two backends implement it: {@linkcode jsKernels} (plain TypeScript, the reference, correct
 * on every runtime; sums in float64) and the WebAssembly SIMD kernels (`engine/wasm/`), which
 * the library uses by default where the runtime validates WebAssembly SIMD
 * ({@linkcode selectBackend}). Arrays may live anywhere: the WebAssembly kernels address the
 * engine's memory directly and copy other arrays in and out. Their GEMM sums in float32 (with
 * fused multiply-adds where relaxed SIMD validates), as BLAS does; their other reductions
 * (row sums, norms, softmax sums) and the optimizers' arithmetic use float64, as the plain
 * kernels do.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { jsKernels } from "./js.ts";
import { wasmKernels } from "./wasm/backend.ts";

/**
 * The operations the layers, models and optimizers need. Offsets and leading dimensions are
 * in elements. Unless a kernel says otherwise, outputs must not overlap inputs.
 */
export interface Kernels {
  /** Backend name, for logs and benchmarks (`"js"`, `"wasm"`, `"wasm-relaxed"`). */
  readonly name: string;

  /**
   * `C = op(A)·op(B)` (or `C += …` when `accumulate`), `op(A)` of shape `(m, k)`, `op(B)` of
   * shape `(k, n)`; `op(X)` is `Xᵀ` when the matching `trans` flag is set. With `transA`, `A`
   * is stored `(k, m)` with leading dimension `lda`; likewise `B` is stored `(n, k)` with `transB`.
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

  /** Floats a packed `op(B)` of shape `(k, n)` takes (see {@linkcode Kernels.packB}). */
  packedSize(k: number, n: number): number;

  /**
   * Packs `op(B)` `(k, n)` into the backend's layout for {@linkcode Kernels.gemmPacked}: how a
   * recurrent layer prepares `Wh` once per pass for the `T` products of its time loop.
   */
  packB(
    transB: boolean,
    k: number,
    n: number,
    b: Float32Array,
    bOff: number,
    ldb: number,
    packed: Float32Array,
    packedOff: number,
  ): void;

  /** {@linkcode Kernels.gemm} with `B` packed by {@linkcode Kernels.packB}. */
  gemmPacked(
    transA: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOff: number,
    lda: number,
    packed: Float32Array,
    packedOff: number,
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

  /** `y[r, :] = x[r, :]` (or `+=` when `accumulate`): strided row copy. */
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

  /** `x[i] = value` for `len` values. */
  fill(len: number, value: number, x: Float32Array, xOff: number): void;

  /** `y = alpha·x` over `len` values (may be in place). */
  scale(
    len: number,
    alpha: number,
    x: Float32Array,
    xOff: number,
    y: Float32Array,
    yOff: number,
  ): void;

  /** `y = a ⊙ b` over `len` values (`y` may alias `a` or `b`). */
  mul(
    len: number,
    a: Float32Array,
    aOff: number,
    b: Float32Array,
    bOff: number,
    y: Float32Array,
    yOff: number,
  ): void;

  /** `y += alpha·x` over `len` values. */
  axpy(
    len: number,
    alpha: number,
    x: Float32Array,
    xOff: number,
    y: Float32Array,
    yOff: number,
  ): void;

  /** `Σ x²` over `len` values, accumulated in float64: the clipping norm. */
  sumSquares(len: number, x: Float32Array, xOff: number): number;

  /** `y = tanh(x)` over `rows` strided rows of width `cols` (may be in place). */
  tanhForward(
    rows: number,
    cols: number,
    x: Float32Array,
    xOff: number,
    ldx: number,
    y: Float32Array,
    yOff: number,
    ldy: number,
  ): void;

  /** `dx = dy ⊙ (1 − y²)`, `y = tanh(·)`, over strided rows (may be in place). */
  tanhBackward(
    rows: number,
    cols: number,
    y: Float32Array,
    yOff: number,
    ldy: number,
    dy: Float32Array,
    dyOff: number,
    lddy: number,
    dx: Float32Array,
    dxOff: number,
    lddx: number,
  ): void;

  /**
   * One LSTM step for `n` rows, pointwise. `gates` rows `(n, 4h)` (leading dimension `ldg`)
   * hold the pre-activations `x·Wx + h·Wh + b`, packed `f, g, i, o`, on entry and the
   * activated gates on return; writes `cNext = f⊙cPrev + g⊙i` and `hNext = o⊙tanh(cNext)`,
   * whose rows share the leading dimension `ldOut`.
   */
  lstmForward(
    n: number,
    h: number,
    gates: Float32Array,
    gOff: number,
    ldg: number,
    cPrev: Float32Array,
    cPrevOff: number,
    ldcPrev: number,
    cNext: Float32Array,
    cNextOff: number,
    hNext: Float32Array,
    hNextOff: number,
    ldOut: number,
  ): void;

  /**
   * Backward of {@linkcode Kernels.lstmForward}: from the activated `gates`, `cPrev`, `cNext`
   * and the upstream `dhNext` and `dc` (both `(n, h)` contiguous), writes `dGates`
   * (pre-activation gradients, laid out as `gates`, leading dimension `ldg`) and replaces `dc`
   * with the gradient w.r.t. `cPrev`.
   */
  lstmBackward(
    n: number,
    h: number,
    gates: Float32Array,
    gOff: number,
    dGates: Float32Array,
    dGOff: number,
    ldg: number,
    cPrev: Float32Array,
    cPrevOff: number,
    ldcPrev: number,
    cNext: Float32Array,
    cNextOff: number,
    ldc: number,
    dhNext: Float32Array,
    dhNextOff: number,
    dc: Float32Array,
    dcOff: number,
  ): void;

  /**
   * First half of one GRU step for `n` rows. `gates` rows `(n, 3h)` are packed `z, r, ĥ`; on
   * entry the `z, r` blocks hold `x·Wx + h·Wh + b`, on return `σ(·)` of them. Writes
   * `rh = r ⊙ hPrev`, the input of the `ĥ` product (the reset gate acts before `Whh`).
   */
  gruGates(
    n: number,
    h: number,
    gates: Float32Array,
    gOff: number,
    ldg: number,
    hPrev: Float32Array,
    hPrevOff: number,
    ldhPrev: number,
    rh: Float32Array,
    rhOff: number,
    ldrh: number,
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
    ldg: number,
    hPrev: Float32Array,
    hPrevOff: number,
    ldhPrev: number,
    hNext: Float32Array,
    hNextOff: number,
    ldhNext: number,
  ): void;

  /**
   * First half of a GRU step's backward, from the activated `gates`, `hPrev` and `dhNext`
   * (`(n, h)` contiguous): writes the pre-activation gradients of `z` and `ĥ` into `dGates`
   * (laid out as `gates`) and `dhPrev = dhNext ⊙ (1 − z)` (`(n, h)` contiguous). The caller
   * then forms `dhr = dĥ·Whhᵀ`.
   */
  gruBackwardZH(
    n: number,
    h: number,
    gates: Float32Array,
    gOff: number,
    dGates: Float32Array,
    dGOff: number,
    ldg: number,
    hPrev: Float32Array,
    hPrevOff: number,
    ldhPrev: number,
    dhNext: Float32Array,
    dhNextOff: number,
    dhPrev: Float32Array,
    dhPrevOff: number,
  ): void;

  /**
   * Second half: from `dhr` (`(n, h)` contiguous), adds `r ⊙ dhr` to `dhPrev` and writes the
   * pre-activation gradient of `r`, `(dhr ⊙ hPrev)·r·(1 − r)`, into `dGates`.
   */
  gruBackwardR(
    n: number,
    h: number,
    gates: Float32Array,
    gOff: number,
    dGates: Float32Array,
    dGOff: number,
    ldg: number,
    hPrev: Float32Array,
    hPrevOff: number,
    ldhPrev: number,
    dhr: Float32Array,
    dhrOff: number,
    dhPrev: Float32Array,
    dhPrevOff: number,
  ): void;

  /**
   * Row-wise softmax of `rows` contiguous rows of width `cols` (`y` may alias `x`); returns
   * `Σ_r −log p_r[labels[r]]` over rows whose label is not `ignore`, in float64. With
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

  /** Backward of a plain softmax over contiguous rows: `dx = y ⊙ (dout − Σ_j dout_j·y_j)`. */
  softmaxBackward(
    rows: number,
    cols: number,
    y: Float32Array,
    yOff: number,
    dout: Float32Array,
    doutOff: number,
    dx: Float32Array,
    dxOff: number,
  ): void;

  /** Embedding lookup: `out[r, :] = W[ids[r], :]` for `rows` rows of width `cols`. */
  gather(
    rows: number,
    cols: number,
    ids: Int32Array,
    idsOff: number,
    W: Float32Array,
    WOff: number,
    out: Float32Array,
    outOff: number,
  ): void;

  /** Embedding gradient: `dW[ids[r], :] += dout[r, :]`, repeated ids accumulating in order. */
  scatterAdd(
    rows: number,
    cols: number,
    ids: Int32Array,
    idsOff: number,
    dout: Float32Array,
    doutOff: number,
    dW: Float32Array,
    dWOff: number,
  ): void;

  /**
   * Dropout masks: for each of `len` values draws `u` uniform in `[0, 1)` from the sfc32
   * generator whose four state words are `state` (advanced in place, exactly as
   * `Rng.uniform` advances it), sets `mask = u > ratio ? keep : 0` and `out = x ⊙ mask`.
   */
  dropout(
    len: number,
    ratio: number,
    keep: number,
    state: Uint32Array,
    x: Float32Array,
    xOff: number,
    mask: Float32Array,
    maskOff: number,
    out: Float32Array,
    outOff: number,
  ): void;

  /** SGD over `len` values: `p -= lr·g`. */
  sgd(len: number, lr: number, p: Float32Array, pOff: number, g: Float32Array, gOff: number): void;

  /** Momentum: `v = momentum·v − lr·g; p += v`. */
  momentum(
    len: number,
    lr: number,
    momentum: number,
    p: Float32Array,
    pOff: number,
    g: Float32Array,
    gOff: number,
    v: Float32Array,
    vOff: number,
  ): void;

  /** Nesterov (the reference's form): `v = μ·v − lr·g; p += μ²·v − (1 + μ)·lr·g`. */
  nesterov(
    len: number,
    lr: number,
    momentum: number,
    p: Float32Array,
    pOff: number,
    g: Float32Array,
    gOff: number,
    v: Float32Array,
    vOff: number,
  ): void;

  /** AdaGrad: `h += g²; p -= lr·g / (√h + 1e-7)`. */
  adagrad(
    len: number,
    lr: number,
    p: Float32Array,
    pOff: number,
    g: Float32Array,
    gOff: number,
    h: Float32Array,
    hOff: number,
  ): void;

  /** RMSprop: `h = decay·h + (1 − decay)·g²; p -= lr·g / (√h + 1e-7)`. */
  rmsprop(
    len: number,
    lr: number,
    decay: number,
    p: Float32Array,
    pOff: number,
    g: Float32Array,
    gOff: number,
    h: Float32Array,
    hOff: number,
  ): void;

  /** Adam step with the bias-corrected `lrT`: `m += (1−β1)(g − m); v += (1−β2)(g² − v); p -= lrT·m/(√v + 1e-7)`. */
  adam(
    len: number,
    lrT: number,
    beta1: number,
    beta2: number,
    p: Float32Array,
    pOff: number,
    g: Float32Array,
    gOff: number,
    m: Float32Array,
    mOff: number,
    v: Float32Array,
    vOff: number,
  ): void;
}

/** A backend's name, as `--backend` and `SAIKI_BACKEND` take it. */
export type BackendName = "js" | "wasm";

/**
 * The backends this runtime can run: always `"js"`, and `"wasm"` where WebAssembly SIMD
 * validates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { availableBackends } from "./kernels.ts";
 * assert(availableBackends().includes("js"));
 * ```
 */
export function availableBackends(): BackendName[] {
  return wasmKernels() === undefined ? ["js"] : ["js", "wasm"];
}

/**
 * The kernels of backend `name`; `"auto"` picks the fastest available (WebAssembly SIMD where
 * the runtime has it, else plain TypeScript). Throws naming the runtime's limits when `"wasm"`
 * is asked for and unavailable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "./kernels.ts";
 * assert(selectBackend("js").name === "js");
 * ```
 */
export function selectBackend(name: BackendName | "auto"): Kernels {
  if (name === "js") return jsKernels;
  const wasm = wasmKernels();
  if (name === "auto") return wasm ?? jsKernels;
  if (name === "wasm") {
    if (wasm === undefined) {
      throw new SaikiError(
        `backend "wasm" is not available: this runtime does not validate WebAssembly SIMD; ` +
          `use "js"`,
      );
    }
    return wasm;
  }
  throw new SaikiError(`unknown backend "${name}", expected "js", "wasm" or "auto"`);
}

let current: Kernels | undefined;

/**
 * The kernels layers call now: the fastest available backend unless
 * {@linkcode setKernels} chose another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getKernels } from "./kernels.ts";
 * assert(typeof getKernels().gemm === "function");
 * ```
 */
export function getKernels(): Kernels {
  return current ??= selectBackend("auto");
}

/**
 * Installs another backend for every layer; returns the previous one.
 *
 * @example
 * ```ts
 * import { jsKernels, setKernels } from "./kernels.ts";
 * const previous = setKernels(jsKernels);
 * setKernels(previous);
 * ```
 */
export function setKernels(kernels: Kernels): Kernels {
  const previous = getKernels();
  current = kernels;
  return previous;
}

export { jsKernels };
