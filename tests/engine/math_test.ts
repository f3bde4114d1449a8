/**
 * Accuracy of the SIMD `exp`, sigmoid and `tanh` of the WebAssembly backend
 * (`lib/engine/wasm/math.ts`), swept densely over the float32 range the kernels use and
 * compared with `Math` in float64:
 *
 * - a uniform grid of 2²² points over the domain (`[−87, 0]` for `exp`, whose callers only
 *   pass `x − max ≤ 0`; `[−20, 20]` for the others, beyond which both have saturated to
 *   within 1e-8 of their limits);
 * - every float32 bit pattern in windows of 2¹⁹ consecutive values around the places where
 *   the code changes regime: ±0 (tiny arguments, subnormals), the ends of the domains
 *   (including `exp`'s flush-to-zero threshold, −87.34) and a few points inside;
 * - the special values ±∞, ±0 and NaN.
 *
 * Bounds asserted (from the issue): `exp` relative error ≤ 2e-6, sigmoid and `tanh` absolute
 * error ≤ 5e-6. The measured worst errors are printed, so they can be quoted.
 */

import { wasmActivation } from "../../lib/engine/wasm/backend.ts";
import { assertOk } from "../../lib/std/assert.ts";

type Fn = "exp" | "sigmoid" | "tanh";

const EXP_REL = 2e-6;
const ABS = 5e-6;
/** The smallest normal float32: below it `exp` may flush to 0. */
const FLT_MIN = 2 ** -126;

const reference: Record<Fn, (x: number) => number> = {
  exp: Math.exp,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
};

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const bitsOf = (x: number) => (f32[0] = x, u32[0]);

/** `n` points evenly spaced over `[lo, hi]`, both ends included (rounded to float32). */
function grid(lo: number, hi: number, n: number): Float32Array {
  const xs = new Float32Array(n);
  for (let i = 0; i < n; i++) xs[i] = lo + (hi - lo) * (i / (n - 1));
  return xs;
}

/**
 * Every float32 whose bit pattern is within `half` of `center`'s, moving away from zero and
 * towards it (for ±0, only away from it: the patterns on the other side have the other sign).
 */
function window(center: number, half: number): Float32Array {
  const c = bitsOf(center), sign = c & 0x80000000, mag = c & 0x7fffffff;
  const from = Math.max(0, mag - half), to = mag + half;
  const xs = new Float32Array(to - from);
  const bits = new Uint32Array(xs.buffer);
  for (let i = 0; i < xs.length; i++) bits[i] = (sign | (from + i)) >>> 0;
  return xs;
}

function activation(fn: Fn, xs: Float32Array, relaxed: boolean): Float32Array {
  const ys = wasmActivation(fn, xs, relaxed);
  assertOk(ys !== undefined, `${fn}: the variant is unavailable`);
  assertOk(ys.length === xs.length, `${fn}: ${ys.length} results for ${xs.length} inputs`);
  return ys;
}

const HALF_WINDOW = 1 << 18;

// fused multiply-adds (relaxed SIMD) and a multiply then an add (runtimes without it); a
// variant this runtime cannot run is ignored, and says so
for (const [relaxed, name] of [[true, "wasm-relaxed"], [false, "wasm"]] as const) {
  const ignore = wasmActivation("exp", new Float32Array(1), relaxed) === undefined;
  if (ignore) {
    console.error(`skip: this runtime cannot run the ${name} activations: math_test ignores them`);
  }
  /** A test of this variant, ignored where the runtime cannot run it. */
  const test = (what: string, fn: () => void) => Deno.test({ name: `${name} ${what}`, ignore, fn });

  test(`exp: relative error <= 2e-6 over [-87, 0], exactly 0 below -87.34 and at -Infinity`, () => {
    const sweeps = [
      grid(-87, 0, 1 << 22),
      window(-0, 2 * HALF_WINDOW), // −0 and the tiny negatives: e^x = 1 to the last bit
      window(-1e-3, HALF_WINDOW),
      window(-Math.LN2 / 2, HALF_WINDOW), // where round(x·log₂e) steps from 0 to −1
      window(-1, HALF_WINDOW),
      window(-20, HALF_WINDOW),
      window(-87, HALF_WINDOW), // the end of the domain: [−89, −85], across the flush threshold
    ];
    let worst = 0, worstAt = 0, checked = 0, flushed = 0;
    for (const xs of sweeps) {
      const ys = activation("exp", xs, relaxed);
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i], y = ys[i], e = Math.exp(x);
        if (x < -87.34) {
          if (y !== 0) assertOk(false, `exp(${x}) = ${y}, expected 0 below -87.34`);
          flushed++;
          continue;
        }
        // between −87.34 and the smallest normal result a flush to 0 is allowed
        if (y === 0 && e < FLT_MIN) continue;
        const rel = Math.abs(y - e) / e;
        if (!(rel <= EXP_REL)) {
          assertOk(false, `exp(${x}) = ${y}, expected ${e} (relative error ${rel})`);
        }
        if (x >= -87 && rel > worst) worst = rel, worstAt = x;
        checked++;
      }
    }
    assertOk(flushed > 0 && checked > 5_000_000, `${checked} points checked, ${flushed} flushed`);
    const special = activation("exp", Float32Array.of(-Infinity, NaN, -0, 0, -88, -1000), relaxed);
    assertOk(special[0] === 0, `exp(-Infinity) = ${special[0]}, expected 0`);
    assertOk(Number.isNaN(special[1]), `exp(NaN) = ${special[1]}, expected NaN`);
    assertOk(special[2] === 1 && special[3] === 1, `exp(±0) = ${special[2]}, ${special[3]}`);
    assertOk(special[4] === 0 && special[5] === 0, `exp(-88), exp(-1000) = ${special.slice(4)}`);
    console.log(
      `${name} exp: worst relative error ${worst.toExponential(2)} at x = ${worstAt} ` +
        `(${checked} points in [-87, 0] and the windows)`,
    );
  });

  for (const fn of ["sigmoid", "tanh"] as const) {
    test(`${fn}: absolute error <= 5e-6 over [-20, 20], exact limits at ±Infinity, NaN gives NaN`, () => {
      const ref = reference[fn];
      const sweeps = [grid(-20, 20, 1 << 22)];
      for (const c of [0, 1e-3, 0.5, 1, 4, 10, 20]) {
        sweeps.push(window(c, HALF_WINDOW), window(-c, HALF_WINDOW));
      }
      let worst = 0, worstAt = 0, checked = 0;
      for (const xs of sweeps) {
        const ys = activation(fn, xs, relaxed);
        for (let i = 0; i < xs.length; i++) {
          const x = xs[i], err = Math.abs(ys[i] - ref(x));
          if (!(err <= ABS)) {
            assertOk(false, `${fn}(${x}) = ${ys[i]}, expected ${ref(x)} (error ${err})`);
          }
          if (err > worst) worst = err, worstAt = x;
          checked++;
        }
      }
      assertOk(checked > 8_000_000, `${checked} points checked`);
      const s = activation(
        fn,
        Float32Array.of(-Infinity, Infinity, -0, 0, NaN, -1e30, 1e30),
        relaxed,
      );
      const [lo, hi] = fn === "sigmoid" ? [0, 1] : [-1, 1];
      assertOk(s[0] === lo && s[1] === hi, `${fn}(∓Infinity) = ${s[0]}, ${s[1]}`);
      assertOk(s[5] === lo && s[6] === hi, `${fn}(∓1e30) = ${s[5]}, ${s[6]}`);
      if (fn === "sigmoid") {
        assertOk(s[2] === 0.5 && s[3] === 0.5, `sigmoid(±0) = ${s[2]}, ${s[3]}`);
      } else {
        assertOk(Object.is(s[2], -0) && Object.is(s[3], 0), `tanh(±0) = ${s[2]}, ${s[3]}`);
      }
      assertOk(Number.isNaN(s[4]), `${fn}(NaN) = ${s[4]}, expected NaN`);
      console.log(
        `${name} ${fn}: worst absolute error ${worst.toExponential(2)} at x = ${worstAt} ` +
          `(${checked} points in [-20, 20] and the windows)`,
      );
    });
  }
}
