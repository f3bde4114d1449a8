/**
 * NumPy's legacy random generator, bit for bit: the Mersenne Twister MT19937 behind
 * `numpy.random.seed`, `numpy.random.shuffle` and `numpy.random.permutation` (the
 * `RandomState` API the reference uses). saiki's own `Rng` (sfc32, `lib/random.ts`) draws its weights
 * and masks; this one exists so that what the reference *shuffles* — the chapter-7 data sets'
 * `seed=1984` split, the trainer's per-epoch permutations — comes out in the very same order.
 * Internal: not exported by `mod.ts`.
 *
 * The algorithm (Matsumoto & Nishimura 1998, `mt19937ar.c`, as NumPy's
 * `numpy/random/src/mt19937` and `legacy` code run it):
 *
 * - **Seeding** with an integer `s` in `[0, 2³²)` is `init_genrand(s)`: `mt[0] = s`,
 *   `mt[i] = 1812433253 · (mt[i−1] ⊕ (mt[i−1] >> 30)) + i  (mod 2³²)` for `i = 1…623`, and the
 *   position set to 624, so the first draw twists the whole state.
 * - **A draw** (`genrand_int32`): at position 624, twist — for each `i`,
 *   `y = (mt[i] & 0x80000000) | (mt[i+1] & 0x7fffffff)`,
 *   `mt[i] = mt[i+397] ⊕ (y >> 1) ⊕ (y odd ? 0x9908b0df : 0)` (indices mod 624) — then temper
 *   `mt[pos++]`: `y ⊕= y >> 11; y ⊕= (y << 7) & 0x9d2c5680; y ⊕= (y << 15) & 0xefc60000;
 *   y ⊕= y >> 18`.
 * - **A double** in `[0, 1)` (`random_sample`): `(a >> 5, b >> 6)` of two draws,
 *   `(a · 2²⁶ + b) / 2⁵³`.
 * - **An integer in `[0, max]`** (`random_interval`, legacy): `mask` is `max` with every bit
 *   below its highest set bit set; draw `v = genrand_int32() & mask` until `v <= max` (mask and
 *   reject: no modulo bias; `max = 0` draws nothing).
 * - **Shuffle** of a 1-D array of `n` items (Fisher–Yates from the end): for
 *   `i = n−1 … 1`, `j = random_interval(i)`, swap items `i` and `j`. `permutation(n)` is
 *   `arange(n)` shuffled so.
 *
 * So `numpy.random.seed(s); idx = numpy.arange(n); numpy.random.shuffle(idx)` in Python is
 * `new MT19937(s).permutation(n)` here, and the state after it is NumPy's `get_state()` too.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";

const N = 624;
const M = 397;
const UPPER = 0x80000000;
const LOWER = 0x7fffffff;
const MATRIX_A = 0x9908b0df;

/** The generator's whole state, as NumPy's `RandomState.get_state()` gives it. */
export interface MT19937State {
  /** The 624 words (`get_state()[1]`). */
  key: Uint32Array;
  /** The next word to temper, 0…624 (`get_state()[2]`; 624 means "twist first"). */
  pos: number;
}

/**
 * NumPy's legacy MT19937 (`numpy.random.RandomState`): seed, 32-bit draws, doubles, bounded
 * integers, and `shuffle`/`permutation` exactly as NumPy's legacy code runs them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MT19937 } from "./_mt19937.ts";
 * // numpy.random.RandomState(5489).randint(0, 2**32, size=2, dtype=numpy.uint64)
 * const mt = new MT19937(5489);
 * assert.deepEqual([mt.nextUint32(), mt.nextUint32()], [3499211612, 581869302]);
 * // numpy.random.seed(0); idx = numpy.arange(10); numpy.random.shuffle(idx)
 * assert.deepEqual(Array.from(new MT19937(0).permutation(10)), [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
 * ```
 */
export class MT19937 {
  #mt = new Uint32Array(N);
  #pos = N;

  /**
   * A generator seeded as `numpy.random.seed(seed)` seeds (`init_genrand`).
   * @param seed an integer in `[0, 2³²)`, as NumPy requires
   */
  constructor(seed: number) {
    this.seed(seed);
  }

  /**
   * Re-seeds as `numpy.random.seed(seed)`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MT19937 } from "./_mt19937.ts";
   * const mt = new MT19937(1);
   * const first = mt.nextUint32();
   * mt.seed(1);
   * assert.equal(mt.nextUint32(), first);
   * assert.throws(() => mt.seed(-1), /seed is -1, expected an integer in \[0, 2\*\*32\)/);
   * ```
   */
  seed(seed: number): void {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new SaikiError(
        `MT19937: seed is ${seed}, expected an integer in [0, 2**32) (as numpy.random.seed)`,
      );
    }
    const mt = this.#mt;
    mt[0] = seed;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = Math.imul(1812433253, prev ^ (prev >>> 30)) + i;
    }
    this.#pos = N;
  }

  /** Regenerates the 624 words (the "twist"). */
  #twist(): void {
    const mt = this.#mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i] & UPPER) | (mt[(i + 1) % N] & LOWER);
      mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.#pos = 0;
  }

  /**
   * The next 32-bit output (`genrand_int32`), an integer in `[0, 2³²)`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MT19937 } from "./_mt19937.ts";
   * // numpy.random.RandomState(1984).randint(0, 2**32, dtype=numpy.uint64)
   * assert.equal(new MT19937(1984).nextUint32(), 37605596);
   * ```
   */
  nextUint32(): number {
    if (this.#pos >= N) this.#twist();
    let y = this.#mt[this.#pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * A double in `[0, 1)` with 53 random bits, as `RandomState.random_sample()`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MT19937 } from "./_mt19937.ts";
   * // numpy.random.RandomState(0).random_sample()
   * assert.equal(new MT19937(0).random(), 0.5488135039273248);
   * ```
   */
  random(): number {
    const a = this.nextUint32() >>> 5, b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * An integer in `[0, max]` by NumPy's legacy `random_interval`: draws masked to `max`'s bit
   * width, rejected while above `max` (none drawn for `max = 0`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MT19937 } from "./_mt19937.ts";
   * const mt = new MT19937(7);
   * for (let i = 0; i < 100; i++) assert(mt.interval(5) <= 5);
   * assert.equal(mt.interval(0), 0);
   * ```
   */
  interval(max: number): number {
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) {
      throw new SaikiError(`MT19937.interval: max is ${max}, expected an integer in [0, 2**32)`);
    }
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    let value: number;
    do value = (this.nextUint32() & mask) >>> 0; while (value > max);
    return value;
  }

  /**
   * Shuffles `items` in place as `numpy.random.shuffle` shuffles a 1-D array: for
   * `i = n−1 … 1`, swap items `i` and {@linkcode MT19937.interval}`(i)`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MT19937 } from "./_mt19937.ts";
   * const words = ["a", "b", "c", "d"];
   * new MT19937(0).shuffle(words); // the order numpy.random.shuffle gives arange(4) from seed 0
   * const idx = Array.from(new MT19937(0).permutation(4));
   * assert.deepEqual(words, idx.map((i) => "abcd"[i]));
   * ```
   */
  shuffle<T>(items: { length: number; [i: number]: T }): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.interval(i);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
  }

  /**
   * `0 … n−1` shuffled: `numpy.random.permutation(n)`, which is `arange(n)` shuffled by
   * {@linkcode MT19937.shuffle}.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MT19937 } from "./_mt19937.ts";
   * // numpy.random.seed(1984); idx = numpy.arange(10); numpy.random.shuffle(idx)
   * assert.deepEqual(Array.from(new MT19937(1984).permutation(10)), [9, 7, 4, 1, 5, 2, 0, 6, 8, 3]);
   * ```
   */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
      throw new SaikiError(`MT19937.permutation: n is ${n}, expected an integer >= 0`);
    }
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    this.shuffle(idx);
    return idx;
  }

  /**
   * A copy of the state, NumPy's `get_state()[1:3]`: restoring it with
   * {@linkcode MT19937.fromState} continues the sequence exactly (a resumed run's shuffles).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MT19937 } from "./_mt19937.ts";
   * const mt = new MT19937(3);
   * mt.permutation(100);
   * const copy = MT19937.fromState(mt.state());
   * assert.equal(copy.nextUint32(), mt.nextUint32());
   * ```
   */
  state(): MT19937State {
    return { key: this.#mt.slice(), pos: this.#pos };
  }

  /**
   * A generator at `state` (from {@linkcode MT19937.state}, or NumPy's `get_state()`: its key
   * and position).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MT19937 } from "./_mt19937.ts";
   * const a = new MT19937(42);
   * assert.equal(MT19937.fromState(a.state()).nextUint32(), a.nextUint32());
   * ```
   */
  static fromState(state: MT19937State): MT19937 {
    const { key, pos } = state;
    if (
      key?.length !== N ||
      !Array.from(key).every((k) => Number.isInteger(k) && k >= 0 && k <= 0xffffffff)
    ) {
      throw new SaikiError(`MT19937.fromState: key must be ${N} unsigned 32-bit words`);
    }
    if (!Number.isInteger(pos) || pos < 0 || pos > N) {
      throw new SaikiError(`MT19937.fromState: pos is ${pos}, expected an integer in [0, ${N}]`);
    }
    const mt = new MT19937(0);
    mt.#mt.set(key);
    mt.#pos = pos;
    return mt;
  }
}
