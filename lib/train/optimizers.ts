/**
 * The reference's optimizers (`common/optimizer.py`): SGD, Momentum, Nesterov, AdaGrad, RMSprop
 * and Adam, updating float32 parameter tensors in place, and `clipGrads` (`common/util.py`).
 *
 * Each optimizer keeps its per-parameter state (`v`, `h`, `m`) as float32 tensors created on the
 * first update with the parameters' shapes, as the reference's `np.zeros_like(param)` does. Every
 * element's new state and update are computed in float64 (JavaScript numbers) and stored once.
 * `stateTensors`/`stateMeta`/`loadState` expose that state so a checkpoint resumes exactly.
 *
 * @module
 */

import { getKernels } from "../engine/kernels.ts";
import { type Vec, vecOf } from "../engine/views.ts";
import { formatShape, SaikiError } from "../errors.ts";
import { packLayout, packParams } from "../params.ts";
import { Tensor, zeros } from "../tensor.ts";

/**
 * What the trainer needs of an optimizer: an in-place update of `params` from `grads`, a mutable
 * learning rate, and its state for checkpoints.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOptimizer, type Optimizer } from "./optimizers.ts";
 * import { tensor } from "../tensor.ts";
 * const opt: Optimizer = createOptimizer("momentum", { lr: 0.1 });
 * const w = tensor([1, 2]);
 * opt.update([w], [tensor([1, 1])]);
 * assert(Object.keys(opt.stateTensors()).join() === "v.0");
 * opt.lr /= 4; // the learning rate may change between updates
 * ```
 */
export interface Optimizer {
  /** `"sgd"`, `"momentum"`, `"nesterov"`, `"adagrad"`, `"rmsprop"` or `"adam"`. */
  readonly name: OptimizerName;
  /** Learning rate; may be changed between updates (e.g. divided by 4 on a plateau). */
  lr: number;
  /**
   * Updates every `params[i]` in place from `grads[i]` (same count, same shapes). The first call
   * creates the state with the parameters' shapes; later calls must pass the same shapes.
   */
  update(params: readonly Tensor[], grads: readonly Tensor[]): void;
  /**
   * The state, named `<slot>.<i>` for parameter `i` (`{"v.0", "v.1"}`, `{"m.0", "v.0", …}`);
   * `{}` for SGD and before the first update. The tensors are the live state, not copies.
   */
  stateTensors(): Record<string, Tensor>;
  /** Scalar state: `{iter}` for Adam, `{}` for the others. */
  stateMeta(): Record<string, number>;
  /**
   * Restores what `stateTensors` and `stateMeta` returned (the tensors are copied), so the next
   * update continues exactly where the saved optimizer was. Checks names and shapes.
   */
  loadState(tensors: Record<string, Tensor>, meta: Record<string, number>): void;
}

/**
 * The names {@linkcode createOptimizer} knows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { OptimizerName } from "./optimizers.ts";
 * const name: OptimizerName = "adam";
 * assert(name === "adam");
 * ```
 */
export type OptimizerName = "sgd" | "momentum" | "nesterov" | "adagrad" | "rmsprop" | "adam";

/**
 * Every {@linkcode OptimizerName}, in the reference's order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OPTIMIZER_NAMES } from "./optimizers.ts";
 * assert(OPTIMIZER_NAMES.includes("rmsprop"));
 * ```
 */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = Object.freeze([
  "sgd",
  "momentum",
  "nesterov",
  "adagrad",
  "rmsprop",
  "adam",
]);

/** Throws unless `value` is a finite number. */
function checkHyper(where: string, name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new SaikiError(`${where}: ${name} is ${value}, expected a finite number`);
  }
  return value;
}

/** Checks that `params` and `grads` pair up: same count, `params[i]` and `grads[i]` same shape. */
function checkPairs(where: string, params: readonly Tensor[], grads: readonly Tensor[]): void {
  if (params.length !== grads.length) {
    throw new SaikiError(
      `${where}: got ${params.length} params but ${grads.length} grads, expected one per param`,
    );
  }
  for (let i = 0; i < params.length; i++) {
    const p = params[i].shape, g = grads[i].shape;
    if (p.length !== g.length || p.some((d, k) => d !== g[k])) {
      throw new SaikiError(
        `${where}: grads[${i}] has shape ${formatShape(g)}, expected params[${i}]'s shape ${
          formatShape(p)
        }`,
      );
    }
  }
}

/**
 * What every optimizer here shares: the learning rate and per-parameter state slots
 * (`["v"]`, `["h"]`, `["m", "v"]`) created lazily with the parameters' shapes, saved by
 * `stateTensors` as `<slot>.<i>` and restored by `loadState`. A subclass names its slots and
 * writes `update`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SlotOptimizer } from "./optimizers.ts";
 * import { type Tensor, tensor } from "../tensor.ts";
 * // sign SGD with a running count of updates per weight, as a small custom optimizer
 * class SignSGD extends SlotOptimizer {
 *   readonly name = "sgd";
 *   constructor(lr: number) {
 *     super("SignSGD", ["n"], lr);
 *   }
 *   update(params: readonly Tensor[], grads: readonly Tensor[]): void {
 *     const [ns] = this.slots(params, grads);
 *     params.forEach((p, i) => p.data.forEach((_, j) => {
 *       p.data[j] -= this.lr * Math.sign(grads[i].data[j]);
 *       ns[i].data[j]++;
 *     }));
 *   }
 * }
 * const w = tensor([1, 1]), opt = new SignSGD(0.5);
 * opt.update([w], [tensor([3, -2])]);
 * assert(w.data.join() === "0.5,1.5" && Object.keys(opt.stateTensors()).join() === "n.0");
 * ```
 */
export abstract class SlotOptimizer implements Optimizer {
  /** The optimizer's name (see {@linkcode OptimizerName}). */
  abstract readonly name: OptimizerName;
  /** Learning rate; may be changed between updates. */
  lr: number;
  /** Class name, for messages. */
  protected readonly where: string;
  /** Names of the per-parameter slots. */
  protected readonly slotNames: readonly string[];
  #tensors: Tensor[][] | undefined;

  /**
   * An optimizer with the given slots.
   * @param where class name, for messages
   * @param slotNames names of the per-parameter state tensors
   * @param lr learning rate
   */
  constructor(where: string, slotNames: readonly string[], lr: number) {
    this.where = where;
    this.slotNames = slotNames;
    this.lr = checkHyper(where, "lr", lr);
  }

  /** Updates every `params[i]` in place from `grads[i]`. */
  abstract update(params: readonly Tensor[], grads: readonly Tensor[]): void;

  /**
   * Checks `params` against `grads`, then returns the slots (`[slot][param]`): created as zeros
   * on the first update, else checked against the parameters' shapes.
   */
  protected slots(params: readonly Tensor[], grads: readonly Tensor[]): Tensor[][] {
    checkPairs(`${this.where}.update`, params, grads);
    return this.#get(params);
  }

  /**
   * Calls `fn` over the parameters in as few runs as possible: once over the whole flat span
   * when `params` are packed in one block and `grads` in another with the same layout (a
   * model's `paramBuffer` and `gradBuffer`; padding between tensors is zero and stays so),
   * else once per tensor. `fn` gets the run's parameters, gradients and each slot's values as
   * vectors of one length, ready for a kernel: `(p, g, [v]) => k.momentum(p, g, v, options)`.
   */
  protected spans(
    params: readonly Tensor[],
    grads: readonly Tensor[],
    fn: (p: Vec, g: Vec, slots: Vec[]) => void,
  ): void {
    const slots = this.slots(params, grads);
    if (params.length === 0) return;
    const len = flatSpan(params, grads);
    if (len !== undefined) {
      const s = slots.map((slot) => spanView(slot[0], len));
      return fn(spanView(params[0], len), spanView(grads[0], len), s);
    }
    for (let i = 0; i < params.length; i++) fn(params[i], grads[i], slots.map((sl) => sl[i]));
  }

  #get(params: readonly Tensor[]): Tensor[][] {
    if (this.slotNames.length === 0) return [];
    const where = `${this.where}.update`;
    if (this.#tensors === undefined) {
      this.#tensors = this.slotNames.map(() => slotTensors(params.map((p) => p.shape)));
      return this.#tensors;
    }
    const n = this.#tensors[0].length;
    if (n !== params.length) {
      throw new SaikiError(
        `${where}: the state holds ${n} tensors per slot (from an earlier update or loadState), ` +
          `but ${params.length} params were given`,
      );
    }
    for (let s = 0; s < this.slotNames.length; s++) {
      for (let i = 0; i < n; i++) {
        const st = this.#tensors[s][i].shape, p = params[i].shape;
        if (st.length !== p.length || st.some((d, k) => d !== p[k])) {
          throw new SaikiError(
            `${where}: state ${this.slotNames[s]}.${i} has shape ${
              formatShape(st)
            }, but params[${i}] ` +
              `has shape ${formatShape(p)}`,
          );
        }
      }
    }
    return this.#tensors;
  }

  /** The state tensors, named `<slot>.<i>` (live, not copies); `{}` before the first update. */
  stateTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const t = this.#tensors;
    if (t === undefined) return out;
    for (let i = 0; i < t[0].length; i++) {
      for (let s = 0; s < this.slotNames.length; s++) out[`${this.slotNames[s]}.${i}`] = t[s][i];
    }
    return out;
  }

  /** Scalar state: none here (Adam adds `iter`). */
  stateMeta(): Record<string, number> {
    return {};
  }

  /** Restores what `stateTensors` and `stateMeta` returned (the tensors are copied). */
  loadState(tensors: Record<string, Tensor>, meta: Record<string, number>): void {
    checkMetaKeys(`${this.where}.loadState`, meta, []);
    this.loadSlots(tensors);
  }

  /** Replaces the state with copies of `tensors` (named as `stateTensors` names them); `{}` clears. */
  protected loadSlots(tensors: Record<string, Tensor>): void {
    const where = `${this.where}.loadState`;
    const expected = this.slotNames.map((s) => `${s}.<i>`).join(", ");
    const found: Map<number, Tensor>[] = this.slotNames.map(() => new Map());
    for (const [key, t] of Object.entries(tensors)) {
      const match = /^([a-z]+)\.(0|[1-9][0-9]*)$/.exec(key);
      const s = match ? this.slotNames.indexOf(match[1]) : -1;
      if (match === null || s < 0) {
        const names = this.slotNames.length === 0 ? "none" : `${expected} for i = 0, 1, …`;
        throw new SaikiError(
          `${where}: unexpected state tensor "${key}", expected names: ${names}`,
        );
      }
      if (!(t instanceof Tensor) || !(t.data instanceof Float32Array)) {
        throw new SaikiError(`${where}: state tensor "${key}" is not a float32 Tensor`);
      }
      found[s].set(Number(match[2]), t);
    }
    const n = Math.max(0, ...found.map((m) => m.size));
    if (n === 0) {
      this.#tensors = undefined;
      return;
    }
    const loaded: Tensor[][] = this.slotNames.map(() => []);
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < this.slotNames.length; s++) {
        const t = found[s].get(i);
        if (t === undefined) {
          throw new SaikiError(
            `${where}: state tensor "${this.slotNames[s]}.${i}" is missing; expected ${expected} ` +
              `for i = 0..${n - 1}`,
          );
        }
        const first = loaded[0][i];
        if (s > 0 && formatShape(first.shape) !== formatShape(t.shape)) {
          throw new SaikiError(
            `${where}: state tensor "${this.slotNames[s]}.${i}" has shape ${
              formatShape(t.shape)
            }, ` +
              `expected ${formatShape(first.shape)} (the shape of "${this.slotNames[0]}.${i}")`,
          );
        }
        loaded[s].push(t);
      }
    }
    // copies in fresh slot blocks, laid out as the parameters
    this.#tensors = loaded.map((ts) => {
      const out = slotTensors(ts.map((t) => t.shape));
      out.forEach((o, i) => o.copyFrom(ts[i]));
      return out;
    });
  }
}

/** Zero tensors of `shapes`, views of one new engine block laid out as `packParams` packs. */
function slotTensors(shapes: readonly (readonly number[])[]): Tensor[] {
  const tensors = shapes.map((shape) => zeros(shape));
  packParams(tensors);
  return tensors;
}

/** `len` floats from the start of `t`'s data (a view of its block). */
function spanView(t: Tensor, len: number): Vec {
  const d = t.data;
  return vecOf(new Float32Array(d.buffer, d.byteOffset, len));
}

/**
 * When every tensor of `tensors` views one block at the offsets `packParams` would give it,
 * the length of the span from the first tensor's start to the last one's end.
 */
function packedSpan(tensors: readonly Tensor[]): number | undefined {
  const block = tensors[0].block;
  if (block === undefined) return undefined;
  const { offsets } = packLayout(tensors);
  const base = tensors[0].data.byteOffset;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    if (t.block !== block || t.data.byteOffset !== base + 4 * offsets[i]) return undefined;
  }
  const last = tensors.length - 1;
  return offsets[last] + tensors[last].size;
}

/** The length of the flat span both lists cover when they are packed alike, else undefined. */
function flatSpan(params: readonly Tensor[], grads: readonly Tensor[]): number | undefined {
  if (params.length === 0 || new Set(params).size !== params.length) return undefined;
  const len = packedSpan(params);
  return len === undefined || packedSpan(grads) !== len ? undefined : len;
}

/** Throws unless `meta` holds exactly the keys `keys`. */
function checkMetaKeys(where: string, meta: Record<string, number>, keys: readonly string[]) {
  for (const k of Object.keys(meta)) {
    if (!keys.includes(k)) {
      const allowed = keys.length === 0 ? "none" : keys.join(", ");
      throw new SaikiError(`${where}: unexpected state value "${k}", expected: ${allowed}`);
    }
  }
}

/**
 * Stochastic gradient descent: `p -= lr * g`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SGD } from "./optimizers.ts";
 * import { tensor } from "../tensor.ts";
 * const w = tensor([1, 2]);
 * new SGD(0.5).update([w], [tensor([2, -2])]);
 * assert(w.data.join() === "0,3");
 * ```
 */
export class SGD extends SlotOptimizer {
  /** `"sgd"`. */
  readonly name = "sgd";

  /**
   * Defaults are the reference's.
   * @param lr learning rate (default 0.01)
   */
  constructor(lr?: number) {
    lr ??= 0.01;
    super("SGD", [], lr);
  }

  /** `params[i] -= lr * grads[i]`. */
  update(params: readonly Tensor[], grads: readonly Tensor[]): void {
    const k = getKernels(), lr = this.lr;
    this.spans(params, grads, (p, g) => k.sgd(p, g, { lr }));
  }
}

/**
 * Momentum SGD: `v = momentum * v - lr * g; p += v`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Momentum } from "./optimizers.ts";
 * import { tensor } from "../tensor.ts";
 * const w = tensor([0]);
 * const opt = new Momentum(1, 0.5);
 * opt.update([w], [tensor([1])]); // v = -1
 * opt.update([w], [tensor([1])]); // v = 0.5 * -1 - 1 = -1.5
 * assert(w.data[0] === -2.5);
 * ```
 */
export class Momentum extends SlotOptimizer {
  /** `"momentum"`. */
  readonly name = "momentum";
  /** Momentum coefficient. */
  momentum: number;

  /**
   * Defaults are the reference's.
   * @param lr learning rate (default 0.01)
   * @param momentum momentum coefficient (default 0.9)
   */
  constructor(lr?: number, momentum?: number) {
    lr ??= 0.01;
    momentum ??= 0.9;
    super("Momentum", ["v"], lr);
    this.momentum = checkHyper("Momentum", "momentum", momentum);
  }

  /** `v = momentum * v - lr * g; p += v`, per parameter. */
  update(params: readonly Tensor[], grads: readonly Tensor[]): void {
    const k = getKernels(), lr = this.lr, momentum = this.momentum;
    this.spans(params, grads, (p, g, [v]) => k.momentum(p, g, v, { lr, momentum }));
  }
}

/**
 * Nesterov's accelerated gradient, in the reference's form:
 * `v *= momentum; v -= lr * g; p += momentum² * v; p -= (1 + momentum) * lr * g`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Nesterov } from "./optimizers.ts";
 * import { tensor } from "../tensor.ts";
 * const w = tensor([0]);
 * new Nesterov(1, 0.5).update([w], [tensor([1])]); // v = -1; p = 0.25 * -1 - 1.5 * 1
 * assert(w.data[0] === -1.75);
 * ```
 */
export class Nesterov extends SlotOptimizer {
  /** `"nesterov"`. */
  readonly name = "nesterov";
  /** Momentum coefficient. */
  momentum: number;

  /**
   * Defaults are the reference's.
   * @param lr learning rate (default 0.01)
   * @param momentum momentum coefficient (default 0.9)
   */
  constructor(lr?: number, momentum?: number) {
    lr ??= 0.01;
    momentum ??= 0.9;
    super("Nesterov", ["v"], lr);
    this.momentum = checkHyper("Nesterov", "momentum", momentum);
  }

  /** `v = momentum * v - lr * g; p += momentum² * v - (1 + momentum) * lr * g`. */
  update(params: readonly Tensor[], grads: readonly Tensor[]): void {
    const k = getKernels(), lr = this.lr, momentum = this.momentum;
    this.spans(params, grads, (p, g, [v]) => k.nesterov(p, g, v, { lr, momentum }));
  }
}

/**
 * AdaGrad: `h += g²; p -= lr * g / (sqrt(h) + 1e-7)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AdaGrad } from "./optimizers.ts";
 * import { tensor } from "../tensor.ts";
 * const w = tensor([1]);
 * new AdaGrad(0.5).update([w], [tensor([4])]); // h = 16; p -= 0.5 * 4 / 4
 * assert(Math.abs(w.data[0] - 0.5) < 1e-6);
 * ```
 */
export class AdaGrad extends SlotOptimizer {
  /** `"adagrad"`. */
  readonly name = "adagrad";

  /**
   * Defaults are the reference's.
   * @param lr learning rate (default 0.01)
   */
  constructor(lr?: number) {
    lr ??= 0.01;
    super("AdaGrad", ["h"], lr);
  }

  /** `h += g²; p -= lr * g / (sqrt(h) + 1e-7)`, per parameter. */
  update(params: readonly Tensor[], grads: readonly Tensor[]): void {
    const k = getKernels(), lr = this.lr;
    this.spans(params, grads, (p, g, [h]) => k.adagrad(p, g, h, { lr }));
  }
}

/**
 * RMSprop: `h = decayRate * h + (1 - decayRate) * g²; p -= lr * g / (sqrt(h) + 1e-7)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RMSprop } from "./optimizers.ts";
 * import { tensor } from "../tensor.ts";
 * const w = tensor([1]);
 * new RMSprop(0.1, 0.75).update([w], [tensor([2])]); // h = 0.25 * 4 = 1; p -= 0.1 * 2 / 1
 * assert(Math.abs(w.data[0] - 0.8) < 1e-6);
 * ```
 */
export class RMSprop extends SlotOptimizer {
  /** `"rmsprop"`. */
  readonly name = "rmsprop";
  /** Decay of the running mean of `g²`. */
  decayRate: number;

  /**
   * Defaults are the reference's.
   * @param lr learning rate (default 0.01)
   * @param decayRate decay of the running mean of `g²` (default 0.99)
   */
  constructor(lr?: number, decayRate?: number) {
    lr ??= 0.01;
    decayRate ??= 0.99;
    super("RMSprop", ["h"], lr);
    this.decayRate = checkHyper("RMSprop", "decayRate", decayRate);
  }

  /** `h = decayRate * h + (1 - decayRate) * g²; p -= lr * g / (sqrt(h) + 1e-7)`. */
  update(params: readonly Tensor[], grads: readonly Tensor[]): void {
    const k = getKernels(), lr = this.lr, decay = this.decayRate;
    this.spans(params, grads, (p, g, [h]) => k.rmsprop(p, g, h, { lr, decay }));
  }
}

/**
 * Adam (Kingma & Ba), in the reference's form: `iter += 1`;
 * `lrT = lr * sqrt(1 - beta2^iter) / (1 - beta1^iter)`; `m += (1 - beta1) * (g - m)`;
 * `v += (1 - beta2) * (g² - v)`; `p -= lrT * m / (sqrt(v) + 1e-7)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Adam } from "./optimizers.ts";
 * import { tensor } from "../tensor.ts";
 * const w = tensor([1]);
 * const opt = new Adam(0.1);
 * opt.update([w], [tensor([3])]); // the first step moves by about lr
 * assert(Math.abs(w.data[0] - 0.9) < 1e-5);
 * assert(opt.stateMeta().iter === 1);
 * ```
 */
export class Adam extends SlotOptimizer {
  /** `"adam"`. */
  readonly name = "adam";
  /** Decay of the first moment. */
  beta1: number;
  /** Decay of the second moment. */
  beta2: number;
  /** Updates done so far (the bias correction's exponent). */
  iter = 0;

  /**
   * Defaults are the reference's.
   * @param lr learning rate (default 0.001)
   * @param beta1 decay of the first moment (default 0.9)
   * @param beta2 decay of the second moment (default 0.999)
   */
  constructor(lr?: number, beta1?: number, beta2?: number) {
    lr ??= 0.001;
    beta1 ??= 0.9;
    beta2 ??= 0.999;
    super("Adam", ["m", "v"], lr);
    this.beta1 = checkHyper("Adam", "beta1", beta1);
    this.beta2 = checkHyper("Adam", "beta2", beta2);
  }

  /** One Adam step on every parameter; increments `iter`. */
  update(params: readonly Tensor[], grads: readonly Tensor[]): void {
    this.slots(params, grads); // checks before the step counts
    this.iter++;
    const k = getKernels(), beta1 = this.beta1, beta2 = this.beta2;
    const lrT = this.lr * Math.sqrt(1 - beta2 ** this.iter) / (1 - beta1 ** this.iter);
    this.spans(params, grads, (p, g, [m, v]) => k.adam(p, g, m, v, { lrT, beta1, beta2 }));
  }

  /** `{iter}`. */
  override stateMeta(): Record<string, number> {
    return { iter: this.iter };
  }

  /** Restores `m.<i>`, `v.<i>` and `iter`. */
  override loadState(tensors: Record<string, Tensor>, meta: Record<string, number>): void {
    const where = "Adam.loadState";
    checkMetaKeys(where, meta, ["iter"]);
    const iter = meta.iter ?? 0;
    if (!Number.isInteger(iter) || iter < 0) {
      throw new SaikiError(`${where}: iter is ${iter}, expected an integer >= 0`);
    }
    const empty = Object.keys(tensors).length === 0;
    if (empty !== (iter === 0)) {
      throw new SaikiError(
        `${where}: iter is ${iter} but ${
          empty ? "no state tensors were" : "state tensors were"
        } given; a saved state has iter >= 1 and its m.<i>, v.<i> tensors, or iter 0 and none`,
      );
    }
    this.loadSlots(tensors);
    this.iter = iter;
  }
}

/**
 * Options of {@linkcode createOptimizer}; each optimizer reads those it has.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOptimizer, type OptimizerOptions, RMSprop } from "./optimizers.ts";
 * const options: OptimizerOptions = { lr: 0.02, decayRate: 0.9 };
 * assert((createOptimizer("rmsprop", options) as RMSprop).decayRate === 0.9);
 * ```
 */
export interface OptimizerOptions {
  /** Learning rate (default: the optimizer's, 0.01, or 0.001 for Adam). */
  lr?: number;
  /** Momentum and Nesterov (default 0.9). */
  momentum?: number;
  /** RMSprop (default 0.99). */
  decayRate?: number;
  /** Adam (default 0.9). */
  beta1?: number;
  /** Adam (default 0.999). */
  beta2?: number;
}

/**
 * Builds an optimizer by name (case-insensitive); options an optimizer does not have are ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOptimizer } from "./optimizers.ts";
 * const opt = createOptimizer("adam", { lr: 0.01 });
 * assert(opt.name === "adam" && opt.lr === 0.01);
 * assert(createOptimizer("SGD", {}).lr === 0.01);
 * ```
 */
export function createOptimizer(name: string, options?: OptimizerOptions): Optimizer {
  options ??= {};
  const { lr, momentum, decayRate, beta1, beta2 } = options;
  switch (String(name).toLowerCase()) {
    case "sgd":
      return new SGD(lr);
    case "momentum":
      return new Momentum(lr, momentum);
    case "nesterov":
      return new Nesterov(lr, momentum);
    case "adagrad":
      return new AdaGrad(lr);
    case "rmsprop":
      return new RMSprop(lr, decayRate);
    case "adam":
      return new Adam(lr, beta1, beta2);
  }
  throw new SaikiError(
    `createOptimizer: unknown optimizer "${name}", expected one of ${OPTIMIZER_NAMES.join(", ")}`,
  );
}

/**
 * Gradient clipping as the reference's `clip_grads`: if the global L2 norm of all `grads`
 * exceeds `maxNorm`, scales every gradient in place by `maxNorm / (norm + 1e-6)`. The norm is
 * summed in float64. `grads` must not hold the same tensor twice (remove tied duplicates first).
 *
 * @param maxNorm the largest norm allowed; `Infinity` only measures
 * @param totalNorm the global norm, when the caller has summed it already (the data-parallel
 *   step sums it chunk by chunk while it adds the shards' gradients)
 * @returns the global norm before clipping
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clipGrads } from "./optimizers.ts";
 * import { tensor } from "../tensor.ts";
 * const g = tensor([3, 4]);
 * assert(clipGrads([g], Infinity) === 5 && g.data[0] === 3);
 * clipGrads([g], 1); // norm 5 → about 1
 * assert(Math.abs(g.data[0] - 0.6) < 1e-6 && Math.abs(g.data[1] - 0.8) < 1e-6);
 * ```
 */
export function clipGrads(grads: readonly Tensor[], maxNorm: number, totalNorm?: number): number {
  if (typeof maxNorm !== "number" || Number.isNaN(maxNorm) || maxNorm < 0) {
    throw new SaikiError(`clipGrads: maxNorm is ${maxNorm}, expected a number >= 0`);
  }
  const k = getKernels();
  const len = grads.length > 0 && new Set(grads).size === grads.length
    ? packedSpan(grads)
    : undefined;
  // one pass over a packed span (a model's gradBuffer), else one per tensor
  const runs = (): readonly Vec[] => len !== undefined ? [spanView(grads[0], len)] : grads;
  if (totalNorm === undefined) {
    let sum = 0;
    for (const g of runs()) sum += k.sumSquares(g);
    totalNorm = Math.sqrt(sum);
  }
  const rate = maxNorm / (totalNorm + 1e-6);
  if (rate < 1) { for (const g of runs()) k.scale(g, rate, g); }
  return totalNorm;
}
