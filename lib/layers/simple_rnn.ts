/**
 * `SimpleRNN`: the scratch-RNN exercise's layer, with its interface — input
 * `(batch_size, n_sequences, n_features)`, weights `Wx (n_features, n_nodes)`,
 * `Wh (n_nodes, n_nodes)`, `B (n_nodes)`, `forward` returning the last `h`, and a `backward`
 * that updates the weights itself with a learning rate.
 *
 * It computes in float64 (`Float64Array`), as the exercise's NumPy code does, so its
 * small-array experiment prints the exercise's digits exactly. The rest of saiki is float32.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { Rng } from "../random.ts";

/** A float64 array with a shape, row-major. */
export interface Array64 {
  /** Values, row-major. */
  data: Float64Array;
  /** Dimensions. */
  shape: number[];
}

/** An activation `f` and its derivative written with `a` (input) and `h = f(a)`. */
export interface Activation {
  /** `h = f(a)`. */
  f(a: number): number;
  /** `dh/da`, given `a` and `h`. */
  df(a: number, h: number): number;
}

/**
 * The activations the exercise names, by name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ACTIVATIONS, SimpleRNN } from "./simple_rnn.ts";
 * const { tanh, sigmoid } = ACTIVATIONS;
 * assert.equal(sigmoid.f(0), 0.5);
 * const h = tanh.f(0.5);
 * assert.equal(tanh.df(0.5, h), 1 - h * h); // written with h = f(a): tanh' = 1 − h²
 * // each df matches a central difference of its f (what your own Activation should pass)
 * for (const [name, { f, df }] of Object.entries(ACTIVATIONS)) {
 *   const a = 0.7, eps = 1e-6;
 *   assert(Math.abs(df(a, f(a)) - (f(a + eps) - f(a - eps)) / (2 * eps)) < 1e-8, name);
 * }
 * const rnn = new SimpleRNN(2, 3, { activation: "relu" }); // chosen by name
 * assert.equal(rnn.params.length, 3);
 * ```
 */
export const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  tanh: { f: Math.tanh, df: (_a, h) => 1 - h * h },
  sigmoid: { f: (a) => 1 / (1 + Math.exp(-a)), df: (_a, h) => h * (1 - h) },
  relu: { f: (a) => (a > 0 ? a : 0), df: (a) => (a > 0 ? 1 : 0) },
  identity: { f: (a) => a, df: () => 1 },
};

/** Options of {@linkcode SimpleRNN}. */
export interface SimpleRNNOptions {
  /** `"tanh"` (default), `"sigmoid"`, `"relu"`, `"identity"`, or your own. */
  activation?: keyof typeof ACTIVATIONS | Activation;
  /** Learning rate of the update `backward` applies (default 0.01). */
  lr?: number;
  /** Initial weights (copied); missing ones are drawn `N(0, 0.01²)`, `B` zeros. */
  Wx?: ArrayLike<number>;
  /** `(n_nodes, n_nodes)`, row-major. */
  Wh?: ArrayLike<number>;
  /** `(n_nodes)`. */
  B?: ArrayLike<number>;
  /** Generator for the initial weights (default `new Rng(0)`). */
  rng?: Rng;
}

/**
 * A float64 array of `shape` from nested arrays or flat values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { array64 } from "./simple_rnn.ts";
 * const x = array64([[[1, 2], [3, 4], [5, 6]]], [1, 3, 2]); // (batch, n_sequences, n_features)
 * assert.deepEqual(Array.from(x.data), [1, 2, 3, 4, 5, 6]);
 * assert.equal(array64([0.1, 0.2], [2]).data[0], 0.1); // float64: NumPy's value, not float32's
 * assert.throws(() => array64([1, 2, 3], [2, 2]), /3 values, expected 4 for shape \[2,2\]/);
 * ```
 */
export function array64(
  values: ArrayLike<number> | number[][] | number[][][],
  shape: number[],
): Array64 {
  const flat = new Float64Array(
    (values as unknown[]).length > 0 && Array.isArray((values as unknown[])[0])
      ? (values as number[][]).flat(2) as number[]
      : Array.from(values as ArrayLike<number>),
  );
  const size = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== size) {
    throw new SaikiError(`array64: ${flat.length} values, expected ${size} for shape [${shape}]`);
  }
  return { data: flat, shape };
}

/**
 * The exercise's RNN: `a_t = x_t·Wx + h_{t−1}·Wh + B`, `h_t = f(a_t)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { array64, SimpleRNN } from "./simple_rnn.ts";
 * // the exercise's small-array experiment
 * const rnn = new SimpleRNN(2, 4, {
 *   Wx: [1, 3, 5, 7, 3, 5, 7, 8].map((v) => v / 100),
 *   Wh: [1, 3, 5, 7, 2, 4, 6, 8, 3, 5, 7, 8, 4, 6, 8, 10].map((v) => v / 100),
 *   B: [1, 1, 1, 1],
 * });
 * const h = rnn.forward(array64([1, 2, 2, 3, 3, 4].map((v) => v / 100), [1, 3, 2]));
 * assert.deepEqual(Array.from(h.data, (v) => v.toFixed(8)),
 *   ["0.79494228", "0.81839002", "0.83939649", "0.85584174"]);
 * ```
 */
export class SimpleRNN {
  /** `(n_features, n_nodes)`. */
  readonly Wx: Array64;
  /** `(n_nodes, n_nodes)`. */
  readonly Wh: Array64;
  /** `(n_nodes)`. */
  readonly B: Array64;
  /** `[Wx, Wh, B]`, as saiki's layers list them. */
  readonly params: Array64[];
  /** `[dWx, dWh, dB]` of the last `backward` (before the update was applied). */
  readonly grads: Array64[];
  /** Learning rate of the update in `backward`. */
  lr: number;
  readonly #act: Activation;
  #x?: Array64;
  #h0?: Float64Array;
  #a?: Float64Array; // (n_sequences, batch, n_nodes)
  #h?: Float64Array; // (n_sequences, batch, n_nodes)

  /**
   * A layer with `nFeatures` inputs and `nNodes` hidden units.
   * @param nFeatures input width `n_features`
   * @param nNodes hidden width `n_nodes`
   * @param options activation, learning rate, initial weights
   */
  constructor(nFeatures: number, nNodes: number, options?: SimpleRNNOptions) {
    options ??= {};
    const rng = options.rng ?? new Rng(0);
    const init = (
      name: string,
      given: ArrayLike<number> | undefined,
      shape: number[],
      std: number,
    ) => {
      const size = shape.reduce((a, b) => a * b, 1);
      if (given !== undefined && given.length !== size) {
        throw new SaikiError(
          `SimpleRNN: ${name} has ${given.length} values, expected ${size} for [${shape}]`,
        );
      }
      const data = given !== undefined
        ? Float64Array.from(given)
        : Float64Array.from({ length: size }, () => std * rng.normal());
      return { data, shape };
    };
    this.Wx = init("Wx", options.Wx, [nFeatures, nNodes], 0.01);
    this.Wh = init("Wh", options.Wh, [nNodes, nNodes], 0.01);
    this.B = init("B", options.B, [nNodes], 0);
    this.params = [this.Wx, this.Wh, this.B];
    this.grads = this.params.map((p) => ({
      data: new Float64Array(p.data.length),
      shape: p.shape,
    }));
    this.lr = options.lr ?? 0.01;
    const act = options.activation ?? "tanh";
    if (typeof act === "string" && !(act in ACTIVATIONS)) {
      throw new SaikiError(
        `SimpleRNN: activation "${act}" is unknown, expected one of ${
          Object.keys(ACTIVATIONS).join(", ")
        }`,
      );
    }
    this.#act = typeof act === "string" ? ACTIVATIONS[act] : act;
  }

  /** x: `(batch_size, n_sequences, n_features)`, h0 (default zeros) → the last h `(batch_size, n_nodes)`. */
  forward(x: Array64, h0?: Array64): Array64 {
    const [F, H] = this.Wx.shape;
    if (x.shape.length !== 3 || x.shape[2] !== F) {
      throw new SaikiError(
        `SimpleRNN.forward: x has shape [${x.shape}], expected [batch_size,n_sequences,${F}]`,
      );
    }
    const [N, S] = x.shape;
    if (h0 !== undefined && (h0.shape.length !== 2 || h0.shape[0] !== N || h0.shape[1] !== H)) {
      throw new SaikiError(`SimpleRNN.forward: h0 has shape [${h0.shape}], expected [${N},${H}]`);
    }
    this.#x = x;
    this.#h0 = h0 ? h0.data.slice() : new Float64Array(N * H);
    const a = this.#a = new Float64Array(S * N * H), h = this.#h = new Float64Array(S * N * H);
    const wx = this.Wx.data, wh = this.Wh.data, b = this.B.data, xd = x.data, f = this.#act.f;
    for (let t = 0; t < S; t++) {
      const prev = t === 0 ? this.#h0 : h, po = t === 0 ? 0 : (t - 1) * N * H;
      for (let n = 0; n < N; n++) {
        for (let j = 0; j < H; j++) {
          let s = b[j];
          for (let i = 0; i < F; i++) s += xd[(n * S + t) * F + i] * wx[i * H + j];
          for (let i = 0; i < H; i++) s += prev[po + n * H + i] * wh[i * H + j];
          const at = (t * N + n) * H + j;
          a[at] = s;
          h[at] = f(s);
        }
      }
    }
    return { data: h.slice((S - 1) * N * H), shape: [N, H] };
  }

  /**
   * dh: `(batch_size, n_nodes)`, the gradient of the last `h` → dx
   * `(batch_size, n_sequences, n_features)`. Back-propagates through every step with the
   * exercise's formulas, keeps the summed gradients in `grads`, then updates
   * `W ← W − lr·dW` for `Wx`, `Wh` and `B`.
   */
  backward(dh: Array64): Array64 {
    const x = this.#x;
    if (x === undefined) throw new SaikiError("SimpleRNN.backward: call forward first");
    const [N, S, F] = x.shape;
    const H = this.Wh.shape[0];
    if (dh.shape.length !== 2 || dh.shape[0] !== N || dh.shape[1] !== H) {
      throw new SaikiError(`SimpleRNN.backward: dh has shape [${dh.shape}], expected [${N},${H}]`);
    }
    const [dWx, dWh, dB] = this.grads.map((g) => g.data.fill(0));
    const a = this.#a!, h = this.#h!, df = this.#act.df, wx = this.Wx.data, wh = this.Wh.data;
    const dx = new Float64Array(N * S * F);
    let dhT = dh.data.slice(); // ∂L/∂h_t
    const dA = new Float64Array(N * H);
    for (let t = S - 1; t >= 0; t--) {
      const prev = t === 0 ? this.#h0! : h, po = t === 0 ? 0 : (t - 1) * N * H;
      for (let k = 0; k < N * H; k++) {
        const at = t * N * H + k;
        dA[k] = dhT[k] * df(a[at], h[at]); // ∂h_t/∂a_t
      }
      const dPrev = new Float64Array(N * H);
      for (let n = 0; n < N; n++) {
        for (let j = 0; j < H; j++) {
          const d = dA[n * H + j];
          dB[j] += d;
          for (let i = 0; i < F; i++) {
            dWx[i * H + j] += x.data[(n * S + t) * F + i] * d;
            dx[(n * S + t) * F + i] += d * wx[i * H + j];
          }
          for (let i = 0; i < H; i++) {
            dWh[i * H + j] += prev[po + n * H + i] * d;
            dPrev[n * H + i] += d * wh[i * H + j];
          }
        }
      }
      dhT = dPrev;
    }
    this.params.forEach((p, i) => {
      for (let k = 0; k < p.data.length; k++) p.data[k] -= this.lr * this.grads[i].data[k];
    });
    return { data: dx, shape: [N, S, F] };
  }
}
