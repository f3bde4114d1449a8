/**
 * The kernel interface: every heavy loop of the library runs through one of these functions.
 * Two backends implement it, the plain-TypeScript kernels (`engine/js.ts`, the reference) and
 * the WebAssembly SIMD kernels (`engine/wasm/`); `engine/kernels.ts` chooses between them.
 *
 * A kernel takes its operands as views ({@linkcode Mat}, {@linkcode Vec}, {@linkcode Ids}, see
 * `engine/views.ts`), named by role, inputs first and outputs last, and its switches and
 * scalars in an options object — so a call reads like the formula it computes and fits on one
 * line: `k.gemm(hPrev, dA, dWh, { transA: true })` is `dWh = h_prevᵀ·dA`. A `Tensor` is a view
 * of itself; `timestep(xs, t)` views one step's `N` rows of an `(N, T, D)` tensor without a
 * copy, so a time layer makes O(T) kernel calls per pass and allocates nothing in its loop.
 * Sizes come from the views and are checked against each other; unless a kernel says
 * otherwise, outputs must not overlap inputs.
 *
 * @module
 */

import type { Ids, Mat, Vec } from "./views.ts";

export type { Ids, Mat, Vec } from "./views.ts";

/** Switches of {@linkcode Kernels.gemm}. */
export interface GemmOptions {
  /** Use `Aᵀ`: `a` is stored `(k, m)`. */
  transA?: boolean;
  /** Use `Bᵀ`: `b` is stored `(n, k)`. */
  transB?: boolean;
  /** `C += op(A)·op(B)` instead of `C = …`. */
  accumulate?: boolean;
}

/** Options of {@linkcode Kernels.gemmBatched}. */
export interface GemmBatchedOptions extends GemmOptions {
  /** Number of products: the rows of `a`, `b` and `c` are each cut into this many equal blocks. */
  batch: number;
}

/** For kernels that can add to their output instead of overwriting it. */
export interface AccumulateOptions {
  /** `out += …` instead of `out = …`. */
  accumulate?: boolean;
}

/** Options of {@linkcode Kernels.softmaxCrossEntropy}. */
export interface CrossEntropyOptions {
  /** Rows with this label add no loss (the reference's `ignore_label`, -1). */
  ignore: number;
  /**
   * `0`: each term is `log Σ exp(x − max) − (x_t − max)` (no `log 0`); `> 0`: the reference's
   * `−log(y_t + eps)`.
   */
  eps: number;
}

/** Options of {@linkcode Kernels.softmaxCrossEntropyBackward}. */
export interface CrossEntropyBackwardOptions {
  /** Rows with this label get a zero gradient. */
  ignore: number;
  /** The factor of every gradient: `dout / (counted rows)` for a mean loss. */
  scale: number;
}

/** Options of {@linkcode Kernels.dropout}. */
export interface DropoutOptions {
  /** A value is dropped when its uniform draw `u` is not above `ratio`. */
  ratio: number;
  /** What a kept value's mask holds: `1 / (1 − ratio)` (inverted dropout) or `1`. */
  keep: number;
  /** The sfc32 generator's four state words, advanced in place exactly as `Rng.uniform` would. */
  state: Uint32Array;
}

/** Hyper-parameters of the plain and momentum SGD updates. */
export interface SgdOptions {
  /** Learning rate. */
  lr: number;
}

/** Hyper-parameters of {@linkcode Kernels.momentum} and {@linkcode Kernels.nesterov}. */
export interface MomentumOptions {
  /** Learning rate. */
  lr: number;
  /** Momentum `μ`. */
  momentum: number;
}

/** Hyper-parameters of {@linkcode Kernels.rmsprop}. */
export interface RmspropOptions {
  /** Learning rate. */
  lr: number;
  /** Decay of the squared-gradient average. */
  decay: number;
}

/** Hyper-parameters of one {@linkcode Kernels.adam} step. */
export interface AdamOptions {
  /** The bias-corrected learning rate of this step, `lr·√(1 − β2ᵗ) / (1 − β1ᵗ)`. */
  lrT: number;
  /** Decay of the gradient average. */
  beta1: number;
  /** Decay of the squared-gradient average. */
  beta2: number;
}

/** The operations the layers, models and optimizers need. */
export interface Kernels {
  /** Backend name, for logs and benchmarks (`"js"`, `"wasm"`, `"wasm-relaxed"`). */
  readonly name: string;

  /**
   * `c = op(a)·op(b)` (or `+=`), `op(a)` of shape `(m, k)`, `op(b)` `(k, n)`, `c` `(m, n)`;
   * `op(x)` is `xᵀ` when the matching `trans` option is set (`a` is then stored `(k, m)`).
   */
  gemm(a: Mat, b: Mat, c: Mat, options?: GemmOptions): void;

  /**
   * `batch` independent products, `c_i = op(a_i)·op(b_i)` (or `+=`), where `x_i` is the `i`-th
   * of `batch` equal blocks of rows of `x`: an `(N, T, H)` tensor is `N` blocks of `T` rows, an
   * `(N, H)` one (or a `timestep` view) `N` blocks of one row. The batched dot products of
   * attention: `s_n = h_n·hs_nᵀ`, `c_n = a_n·hs_n` and their gradients. Not every backend
   * takes `transA` and `transB` together.
   */
  gemmBatched(a: Mat, b: Mat, c: Mat, options: GemmBatchedOptions): void;

  /** Floats a packed `op(B)` of shape `(k, n)` takes (see {@linkcode Kernels.packB}). */
  packedSize(k: number, n: number): number;

  /**
   * Packs `op(b)` `(k, n)` into `packed` (at least `packedSize(k, n)` floats, in the engine's
   * memory) in the backend's layout for {@linkcode Kernels.gemmPacked}: how a recurrent layer
   * prepares `Wh` once per pass for the `T` products of its time loop.
   */
  packB(b: Mat, packed: Vec, options?: { transB?: boolean }): void;

  /** {@linkcode Kernels.gemm} with `op(b)` `(k, n)` packed by {@linkcode Kernels.packB}. */
  gemmPacked(
    a: Mat,
    packed: Vec,
    c: Mat,
    options?: { transA?: boolean; accumulate?: boolean },
  ): void;

  /** `x[r, :] += bias` for every row of `x`. */
  addBias(bias: Vec, x: Mat): void;

  /** `out[j] = Σ_r x[r, j]` (or `+=`): the bias gradient, summed in float64. */
  sumRows(x: Mat, out: Vec, options?: AccumulateOptions): void;

  /** `y = x` (or `+=`), row by row: the strided copy. */
  copyRows(x: Mat, y: Mat, options?: AccumulateOptions): void;

  /** `x[i] = value`. */
  fill(x: Vec, value: number): void;

  /** `y = alpha·x` (may be in place). */
  scale(x: Vec, alpha: number, y: Vec): void;

  /** `y = a ⊙ b` (`y` may alias `a` or `b`). */
  mul(a: Vec, b: Vec, y: Vec): void;

  /** `y += alpha·x`. */
  axpy(alpha: number, x: Vec, y: Vec): void;

  /** `Σ x²`, accumulated in float64: the clipping norm. */
  sumSquares(x: Vec): number;

  /** `y = tanh(x)` (may be in place). */
  tanhForward(x: Mat, y: Mat): void;

  /** `dx = dy ⊙ (1 − y²)` where `y = tanh(·)` (may be in place). */
  tanhBackward(y: Mat, dy: Mat, dx: Mat): void;

  /**
   * One LSTM step, pointwise, for the `n` rows of `cPrev` `(n, h)`. `gates` `(n, 4h)` holds the
   * pre-activations `A = x·Wx + h·Wh + b`, packed `f, g, i, o`, on entry and the activated
   * gates on return; writes `cNext = σ(f)⊙cPrev + tanh(g)⊙σ(i)` and `hNext = σ(o)⊙tanh(cNext)`.
   * `cNext` and `hNext` have the same `ld`.
   */
  lstmForward(gates: Mat, cPrev: Mat, cNext: Mat, hNext: Mat): void;

  /**
   * Backward of {@linkcode Kernels.lstmForward}: from the activated `gates`, `cPrev`, `cNext`,
   * the upstream `dhNext` and `dc` (both contiguous `(n, h)`), writes `dGates` (the
   * pre-activation gradients, laid out as `gates`, same `ld`) and replaces `dc` with the
   * gradient w.r.t. `cPrev`.
   */
  lstmBackward(gates: Mat, cPrev: Mat, cNext: Mat, dhNext: Mat, dc: Mat, dGates: Mat): void;

  /**
   * First half of one GRU step for the `n` rows of `hPrev` `(n, h)`. `gates` `(n, 3h)` is packed
   * `z, r, ĥ`; on entry its `z, r` blocks hold `x·Wx + h·Wh + b`, on return `σ(·)` of them.
   * Writes `rh = r ⊙ hPrev`, the input of the `ĥ` product (the reset gate acts before `Whh`).
   */
  gruGates(gates: Mat, hPrev: Mat, rh: Mat): void;

  /**
   * Second half of one GRU step: the `ĥ` block of `gates` holds `x·Wxh + rh·Whh + bh` on entry
   * and `tanh(·)` on return; writes `hNext = (1 − z)⊙hPrev + z⊙ĥ`.
   */
  gruOutput(gates: Mat, hPrev: Mat, hNext: Mat): void;

  /**
   * First half of a GRU step's backward, from the activated `gates`, `hPrev` and `dhNext`
   * (contiguous `(n, h)`): writes the pre-activation gradients of `z` and `ĥ` into `dGates`
   * (laid out as `gates`, same `ld`) and `dhPrev = dhNext ⊙ (1 − z)` (contiguous `(n, h)`).
   * The caller then forms `dhr = dĥ·Whhᵀ`.
   */
  gruBackwardZH(gates: Mat, hPrev: Mat, dhNext: Mat, dGates: Mat, dhPrev: Mat): void;

  /**
   * Second half: from `dhr` (contiguous `(n, h)`), adds `r ⊙ dhr` to `dhPrev` and writes the
   * pre-activation gradient of `r`, `(dhr ⊙ hPrev)·r·(1 − r)`, into `dGates`.
   */
  gruBackwardR(gates: Mat, hPrev: Mat, dhr: Mat, dGates: Mat, dhPrev: Mat): void;

  /**
   * Row-wise softmax of the contiguous rows of `x` into `y` (`y` may alias `x`); returns
   * `Σ_r −log y[r, labels[r]]` over the rows whose label is not `ignore`, in float64. A label
   * outside `[0, cols)` that is not `ignore` throws.
   */
  softmaxCrossEntropy(x: Mat, labels: Ids, y: Mat, options: CrossEntropyOptions): number;

  /**
   * Gradient of the cross-entropy after a softmax: `dx[r] = scale·(y[r] − onehot(labels[r]))`,
   * zero for rows labelled `ignore`; contiguous rows. `dx` may alias `y`.
   */
  softmaxCrossEntropyBackward(
    y: Mat,
    labels: Ids,
    dx: Mat,
    options: CrossEntropyBackwardOptions,
  ): void;

  /**
   * Row-wise softmax of the contiguous rows of `x` into `y` (`y` may alias `x`):
   * `y = exp(x − max) / Σ exp(x − max)`.
   */
  softmax(x: Mat, y: Mat): void;

  /** Backward of a softmax over contiguous rows: `dx = y ⊙ (dout − Σ_j dout_j·y_j)`. */
  softmaxBackward(y: Mat, dout: Mat, dx: Mat): void;

  /**
   * Embedding lookup: `out[r, :] = W[ids[r], :]`; ids outside `[0, W.rows)` throw. `W` and
   * `out` are contiguous.
   */
  gather(ids: Ids, W: Mat, out: Mat): void;

  /**
   * Embedding gradient: `dW[ids[r], :] += dout[r, :]`, repeated ids accumulating in order;
   * ids outside `[0, dW.rows)` throw. `dout` and `dW` are contiguous.
   */
  scatterAdd(ids: Ids, dout: Mat, dW: Mat): void;

  /** Dropout: for each value draws `u`, sets `mask = u > ratio ? keep : 0` and `out = x ⊙ mask`. */
  dropout(x: Vec, mask: Vec, out: Vec, options: DropoutOptions): void;

  /** SGD: `p -= lr·g`. */
  sgd(p: Vec, g: Vec, options: SgdOptions): void;

  /** Momentum: `v = μ·v − lr·g; p += v`. */
  momentum(p: Vec, g: Vec, v: Vec, options: MomentumOptions): void;

  /** Nesterov (the reference's form): `v = μ·v − lr·g; p += μ²·v − (1 + μ)·lr·g`. */
  nesterov(p: Vec, g: Vec, v: Vec, options: MomentumOptions): void;

  /** AdaGrad: `h += g²; p -= lr·g / (√h + 1e-7)`. */
  adagrad(p: Vec, g: Vec, h: Vec, options: SgdOptions): void;

  /** RMSprop: `h = decay·h + (1 − decay)·g²; p -= lr·g / (√h + 1e-7)`. */
  rmsprop(p: Vec, g: Vec, h: Vec, options: RmspropOptions): void;

  /** Adam: `m += (1−β1)(g − m); v += (1−β2)(g² − v); p -= lrT·m / (√v + 1e-7)`. */
  adam(p: Vec, g: Vec, m: Vec, v: Vec, options: AdamOptions): void;
}
