/**
 * A small seeded random generator, so every run is reproducible from `--seed`.
 *
 * @module
 */

import { SaikiError } from "./errors.ts";
import { type Tensor, zeros } from "./tensor.ts";

/**
 * Seeded pseudo-random numbers (sfc32, 128-bit state): uniform in `[0, 1)` and standard normal
 * (Box–Muller). The whole state, including a cached normal, can be saved and restored, which is
 * what makes a resumed training run identical to an uninterrupted one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./random.ts";
 * const a = new Rng(42), b = new Rng(42);
 * assert(a.uniform() === b.uniform());
 * const w = a.randn([3, 4], 0.01); // N(0, 0.01²) weights, shape (3, 4)
 * assert(w.size === 12);
 * ```
 */
export class Rng {
  #s = new Uint32Array(4);
  #spare = NaN;

  /**
   * A generator whose sequence is fixed by `seed`.
   * @param seed an integer (53 bits at most); equal seeds give equal sequences, different
   *   ones different sequences
   */
  constructor(seed?: number) {
    seed ??= 0;
    if (!Number.isSafeInteger(seed)) {
      throw new SaikiError(`Rng: seed must be an integer of at most 53 bits, got ${seed}`);
    }
    const s = this.#s;
    // splitmix32 spreads the seed over the four words; bits above 32 change the start, so
    // 0 and 2³² are different seeds.
    const high = Math.floor(seed / 2 ** 32); // with seed | 0: the 64-bit two's complement
    let h = high | 0; // murmur3's finaliser: 0 stays 0, so 32-bit seeds keep their sequences
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    let x = ((seed | 0) ^ 0x9e3779b9 ^ h ^ (h >>> 16)) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const t = (((s[0] + s[1]) >>> 0) + s[3]) >>> 0;
    s[3] = (s[3] + 1) >>> 0;
    s[0] = s[1] ^ (s[1] >>> 9);
    s[1] = (s[2] + (s[2] << 3)) >>> 0;
    s[2] = ((s[2] << 21) | (s[2] >>> 11)) >>> 0;
    s[2] = (s[2] + t) >>> 0;
    return t;
  }

  /** Uniform in `[0, 1)` with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5, lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    if (!Number.isNaN(this.#spare)) {
      const v = this.#spare;
      this.#spare = NaN;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * The live generator state, four 32-bit words: kernels that draw many numbers at once (the
   * dropout masks) advance it in place exactly as {@linkcode Rng.uniform} would.
   */
  words(): Uint32Array {
    return this.#s;
  }

  /** An integer in `[0, n)`. */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A new tensor of normals scaled by `scale`: `scale * randn(*shape)` in the reference. */
  randn(shape: readonly number[], scale = 1): Tensor {
    const t = zeros(shape);
    for (let i = 0; i < t.data.length; i++) t.data[i] = scale * this.normal();
    return t;
  }

  /**
   * A generator keyed by `seed` and `keys` (e.g. a layer, a training step and a batch row):
   * its numbers depend on those values only, not on what was drawn before, so any thread can
   * draw them (the dropout masks of a row of a sharded batch).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "./random.ts";
   * assert(Rng.keyed(1, 0, 7, 3).uniform() === Rng.keyed(1, 0, 7, 3).uniform());
   * assert(Rng.keyed(1, 0, 7, 3).uniform() !== Rng.keyed(1, 0, 7, 4).uniform());
   * ```
   */
  static keyed(seed: number, ...keys: number[]): Rng {
    const rng = new Rng(seed);
    const s = rng.#s;
    for (const key of keys) {
      if (!Number.isInteger(key) || key < 0 || key > 2 ** 53) {
        throw new SaikiError(`Rng.keyed: key ${key} is not a non-negative integer`);
      }
      // both 32-bit halves, each through a murmur3 finaliser, into all four words
      for (const half of [key >>> 0, Math.floor(key / 2 ** 32)]) {
        let z = (half + 0x9e3779b9) >>> 0;
        for (let i = 0; i < 4; i++) {
          z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
          z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
          z = (z ^ (z >>> 16)) >>> 0;
          s[i] = (s[i] ^ z) >>> 0;
          z = (z + 0x6a09e667 + i) >>> 0;
        }
        for (let i = 0; i < 4; i++) rng.nextUint32();
      }
    }
    return rng;
  }

  /** The full state, for checkpoints. */
  getState(): number[] {
    return [...this.#s, this.#spare];
  }

  /** Restores a state returned by {@linkcode Rng.getState}. */
  setState(state: readonly number[]): void {
    if (state.length !== 5) {
      throw new SaikiError(`Rng.setState: expected 5 numbers, got ${state.length}`);
    }
    for (let i = 0; i < 4; i++) this.#s[i] = state[i] >>> 0;
    this.#spare = state[4] ?? NaN;
  }
}
