/**
 * `exp`, the sigmoid and `tanh` on four float32 lanes, as code for the emitted kernels.
 *
 * `exp(x)` for `x ≤ 0` (what softmax and the other two need), as XNNPACK's
 * `f32-raddstoreexpminusmax` kernels compute it: `n = round(x·log₂e)` by adding a "magic
 * bias" `1.5·2²³ + 127`, whose low mantissa bits then hold `n + 127` — shifted into the
 * exponent field they are `2ⁿ`; Cody–Waite reduction `r = x − n·ln 2` with `ln 2` split in a
 * part exact in float32 and the rest; `eʳ ≈ 1 + r + r²·P(r)` on `|r| ≤ ln 2 / 2`, a degree-7
 * polynomial (Cephes' `expf` coefficients) in Horner form with fused multiply-adds where
 * relaxed SIMD has them. Below `−87.34`, where `eˣ` leaves the normal float32 range, the
 * result is 0.
 *
 * `σ(x) = (x ≥ 0 ? 1 : e) / (1 + e)` and `tanh(x) = sign(x)·(1 − e′)/(1 + e′)` with
 * `e = exp(−|x|)`, `e′ = exp(−2|x|)`: only non-positive arguments, so nothing overflows for
 * any input, and both saturate exactly at their limits. NaN gives NaN.
 *
 * Worst errors against `Math` (float64), measured by `tests/engine/math_test.ts` over dense
 * sweeps of `[−87, 0]` for `exp` and `[−20, 20]` for the others: `exp` 1.2e-7 relative, the
 * sigmoid 8.9e-8 absolute, `tanh` 8.9e-8 absolute (the test asserts 2e-6, 5e-6, 5e-6).
 *
 * @module
 */

import {
  type Consts,
  f32x4,
  type FunctionBuilder,
  i32,
  i32x4,
  type Local,
  type Stmt,
  v128,
} from "./emit.ts";
import type { Expr } from "./emit.ts";
import { madder } from "./gemm.ts";

const LOG2E = 1.4426950408889634;
/** `1.5·2²³ + 127`: adding it rounds to an integer and leaves `n + 127` in the low bits. */
const MAGIC = 12582912 + 127;
/** `ln 2` in two parts: the first exact in float32 with trailing zero bits. */
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
/** Below this `eˣ` is not a normal float32: the result is flushed to 0. */
const EXP_MIN = -87.33654;
/** Cephes `expf`: `eʳ ≈ 1 + r + r²·P(r)` on `|r| ≤ ln 2 / 2`. */
const P = [
  5.0000001201e-1,
  1.6666665459e-1,
  4.1665795894e-2,
  8.3334519073e-3,
  1.3981999507e-3,
  1.9875691500e-4,
];

/**
 * The three functions for one emitted function: they use its constants (set once in its
 * prologue, see `Consts`) and share a few temporaries, so a kernel that computes many
 * activations does not grow its frame.
 */
export class SimdMath {
  /** The function's constants; their prologue must start its body. */
  readonly c: Consts;
  readonly #madd: (a: Expr, b: Expr, c: Expr) => Expr<"v128">;
  readonly #x: Local<"v128">;
  readonly #n: Local<"v128">;
  readonly #r: Local<"v128">;
  readonly #s: Local<"v128">;
  readonly #e: Local<"v128">;

  /** Temporaries in `f`; `relaxed` selects fused multiply-adds. */
  constructor(f: FunctionBuilder, relaxed: boolean) {
    this.c = f.consts;
    this.#madd = madder(relaxed);
    [this.#x, this.#n, this.#r, this.#s, this.#e] = f.locals("v128", 5);
  }

  /** Statements leaving `exp(x)` in `out` for lanes `x ≤ 0` (see the module doc). */
  exp(x: Expr, out: Local<"v128">): Stmt[] {
    const madd = this.#madd, c = this.c;
    const xs = this.#x, n = this.#n, r = this.#r, s = this.#s;
    let poly: Expr = c.f32(P[P.length - 1]);
    for (let i = P.length - 2; i >= 0; i--) poly = madd(poly, r.get(), c.f32(P[i]));
    return [
      xs.set(x),
      // n + magic, with 2ⁿ in its low bits; then n itself
      n.set(madd(f32x4.pmax(xs.get(), c.f32(EXP_MIN)), c.f32(LOG2E), c.f32(MAGIC))),
      s.set(i32x4.shl(n.get(), i32.const(23))),
      n.set(f32x4.sub(n.get(), c.f32(MAGIC))),
      // r = x − n·ln2_hi − n·ln2_lo (x clamped; lanes below EXP_MIN are zeroed at the end)
      r.set(madd(n.get(), c.f32(-LN2_HI), f32x4.pmax(xs.get(), c.f32(EXP_MIN)))),
      r.set(madd(n.get(), c.f32(-LN2_LO), r.get())),
      // eʳ = r²·P(r) + (r + 1), times 2ⁿ
      out.set(madd(poly, f32x4.mul(r.get(), r.get()), f32x4.add(r.get(), c.f32(1)))),
      out.set(v128.andnot(f32x4.mul(out.get(), s.get()), f32x4.lt(xs.get(), c.f32(EXP_MIN)))),
    ];
  }

  /** Statements leaving `σ(x)` in `out` (any `x`). */
  sigmoid(x: Expr, out: Local<"v128">): Stmt[] {
    const e = this.#e, c = this.c;
    return [
      out.set(x),
      ...this.exp(f32x4.neg(f32x4.abs(out.get())), e),
      out.set(
        f32x4.div(
          v128.bitselect(c.f32(1), e.get(), f32x4.ge(out.get(), c.f32(0))),
          f32x4.add(c.f32(1), e.get()),
        ),
      ),
    ];
  }

  /** Statements leaving `tanh(x)` in `out` (any `x`). */
  tanh(x: Expr, out: Local<"v128">): Stmt[] {
    const e = this.#e, c = this.c;
    return [
      out.set(x),
      ...this.exp(f32x4.mul(f32x4.abs(out.get()), c.f32(-2)), e),
      out.set(
        v128.or(
          f32x4.div(f32x4.sub(c.f32(1), e.get()), f32x4.add(c.f32(1), e.get())),
          v128.and(out.get(), c.i32(-0x80000000)),
        ),
      ),
    ];
  }
}
