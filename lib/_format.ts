/**
 * Printing arrays the way NumPy's `repr` does: `tensor([[0.1, 0.2],\n        [0.3, 0.4]])`.
 *
 * {@linkcode formatArray} takes the values, the shape and the options, and nothing else, so
 * `tensor.ts` prints its tensors with it (`console.log(t)`, `Deno.inspect(t)`, `String(t)`)
 * without an import cycle. It follows NumPy's default print options (precision 8, `maxprec`
 * float mode, line width 75, threshold 1000, edge items 3):
 *
 * - floats print the shortest decimal that reads back as the same float32 (`0.1`, not
 *   `0.10000000149011612`), at most 8 digits after the point, trailing zeros dropped but the
 *   point kept (`1.`); scientific notation (`1.5e-05`) when the largest magnitude is `≥ 1e6`,
 *   the smallest non-zero one `< 1e-4`, or their ratio `> 1000`;
 * - all values of a tensor share one width, aligned on the decimal point;
 * - rows longer than the line width wrap, higher axes are separated by blank lines;
 * - a tensor of more than 1000 values shows the first and last 3 items of every long axis
 *   around `...`, and adds its `shape=[…]` (as NumPy ≥ 2.2 does).
 *
 * @module
 */

/** How {@linkcode formatArray} prints. */
export interface FormatOptions {
  /** The name printed before the parenthesis: `"tensor"` (the default), `"IntTensor"`. */
  name?: string;
  /** `"float32"` (the default): float32 shortest digits; `"int32"`: integers. */
  dtype?: "float32" | "int32";
  /** Append `dtype=<dtype>` after the values, as NumPy does for a non-default dtype. */
  showDtype?: boolean;
  /** Summarize (elide the middles) when there are more values than this; default 1000. */
  threshold?: number;
  /** Items shown at each end of a summarized axis; default 3. */
  edgeitems?: number;
  /** Characters per line before a row wraps; default 75. */
  linewidth?: number;
  /** Most digits after the decimal point; default 8. */
  precision?: number;
}

// ---- float32 shortest digits --------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

const powers10: bigint[] = [], powers2: bigint[] = [];
const pow10 = (n: number): bigint => powers10[n] ??= 10n ** BigInt(n);
const pow2 = (n: number): bigint => powers2[n] ??= 1n << BigInt(n);

/** `c = d·10^q` against `x·2^e`, exactly: -1, 0 or 1. */
function compare(d: bigint, q: number, x: bigint, e: number): number {
  let lhs = d, rhs = x;
  if (q >= 0) lhs *= pow10(q);
  else rhs *= pow10(-q);
  if (e >= 0) rhs *= pow2(e);
  else lhs *= pow2(-e);
  return lhs < rhs ? -1 : lhs > rhs ? 1 : 0;
}

/** A positive finite float32 `v` as `m·2^e` (`m` an integer < 2²⁴), and its biased exponent. */
function decompose(v: number): { m: number; e: number; biased: number } {
  f32[0] = v;
  const bits = u32[0];
  const biased = (bits >>> 23) & 0xff;
  const m = bits & 0x7fffff;
  return biased === 0 ? { m, e: -149, biased } : { m: m | 0x800000, e: biased - 150, biased };
}

/** `floor(log10 v)` of a positive finite float32, exactly. */
function decimalExponent(v: number): number {
  const { m, e } = decompose(v);
  const k = Number(v.toExponential(20).split("e")[1]);
  return compare(1n, k, BigInt(m), e) > 0 ? k - 1 : k;
}

/** `v / 10^q` rounded to an integer, ties to even (as NumPy's Dragon4), exactly. */
function roundAt(v: number, q: number): bigint {
  const { m, e } = decompose(v);
  let num = BigInt(m), den = 1n;
  if (e >= 0) num *= pow2(e);
  else den *= pow2(-e);
  if (q >= 0) den *= pow10(q);
  else num *= pow10(-q);
  const d = num / den, twice = 2n * (num - d * den);
  return twice > den || (twice === den && d % 2n === 1n) ? d + 1n : d;
}

/** Digits and decimal exponent of a positive finite float32: `d₁.d₂d₃… × 10^exp`. */
interface Digits {
  digits: string;
  exp: number;
}

/** `d·10^q` as digits without trailing zeros and the exponent of the first digit. */
function toDigits(d: bigint, q: number): Digits {
  let digits = d.toString();
  while (digits.length > 1 && digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    q++;
  }
  return { digits, exp: q + digits.length - 1 };
}

/**
 * The shortest decimal that rounds to `v` (positive, finite, a float32 value) as a float32,
 * the one closest to `v` among those of that length (ties to even); exact (BigInt) checks.
 */
function shortestDigits(v: number): Digits {
  let found = recent.get(v);
  if (found === undefined) {
    if (recent.size >= 4096) recent.clear();
    recent.set(v, found = searchDigits(v));
  }
  return found;
}

// every value is formatted twice, once to measure the widths and once to print
const recent = new Map<number, Digits>();

function searchDigits(v: number): Digits {
  const { m, e, biased } = decompose(v);
  // v = 4m·2^(e−2); its rounding interval is [4m − lo, 4m + 2]·2^(e−2), ends included when m
  // is even (ties round to even); the gap below a power of two is half the gap above.
  const lo = m === 0x800000 && biased > 1 ? 1 : 2;
  const low = BigInt(4 * m - lo), high = BigInt(4 * m + 2), E = e - 2;
  const inclusive = m % 2 === 0;
  const inside = (d: bigint, q: number) => {
    const a = compare(d, q, low, E), b = compare(d, q, high, E);
    return inclusive ? a >= 0 && b <= 0 : a > 0 && b < 0;
  };
  const k = decimalExponent(v);
  for (let p = 1; p <= 9; p++) {
    const q = k - (p - 1), d = roundAt(v, q);
    // the nearest p-digit decimal, or a neighbour when the interval is lopsided
    for (const c of [d, d - 1n, d + 1n]) {
      if (c > 0n && inside(c, q)) return toDigits(c, q);
    }
  }
  throw new Error(`shortestDigits: no decimal found for ${v}`); // unreachable: 9 digits suffice
}

/**
 * The shortest decimal that reads back as the same float32 as `v`, in JavaScript's number
 * notation: `0.1` for `Math.fround(0.1)`, `16777216`, `1e-7`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { float32String } from "./_format.ts";
 * assert.equal(float32String(Math.fround(0.1)), "0.1");
 * assert.equal(float32String(Math.fround(1 / 3)), "0.33333334");
 * assert.equal(float32String(-0), "-0");
 * ```
 */
export function float32String(v: number): string {
  v = Math.fround(v);
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const { digits, exp } = shortestDigits(Math.abs(v));
  return (v < 0 ? "-" : "") + String(Number(`${digits[0]}.${digits.slice(1)}e${exp}`));
}

/** `[int part, fraction digits]` of `|v|` in positional notation, maxprec-rounded. */
function positional(v: number, precision: number): [string, string] {
  if (v === 0) return ["0", ""];
  const { digits, exp } = shortestDigits(v);
  let int: string, frac: string;
  if (exp >= 0) {
    int = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
    frac = digits.slice(exp + 1);
  } else {
    int = "0";
    frac = "0".repeat(-exp - 1) + digits;
  }
  if (frac.length > precision) {
    // more digits than the precision: round the exact value, then drop trailing zeros
    const d = roundAt(v, -precision).toString().padStart(precision + 1, "0");
    int = d.slice(0, -precision);
    frac = d.slice(-precision).replace(/0+$/, "");
  }
  return [int, frac];
}

/** `[mantissa int digit, mantissa fraction, exponent sign, exponent digits]` of `|v|`. */
function scientific(v: number): [string, string, string, string] {
  if (v === 0) return ["0", "", "+", "0"];
  const { digits, exp } = shortestDigits(v);
  return [digits[0], digits.slice(1), exp < 0 ? "-" : "+", String(Math.abs(exp))];
}

const negative = (v: number) => v < 0 || Object.is(v, -0);

/** NumPy's `FloatingFormat` (maxprec, sign `-`): one width for every value shown. */
function floatFormatter(values: readonly number[], precision: number): (v: number) => string {
  const finite = values.filter(Number.isFinite);
  let expFormat = false;
  let maxAbs = 0, minAbs = Infinity;
  for (const v of finite) {
    if (v === 0) continue;
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
    if (a < minAbs) minAbs = a;
  }
  if (maxAbs > 0) {
    // NumPy ≥ 2.3 cuts off at 10^min(8, decimal precision of the dtype): 1e6 for float32
    expFormat = maxAbs >= 1e6 || minAbs < 1e-4 || Math.fround(maxAbs / minAbs) > 1000;
  }
  let padLeft = 0, padRight = 0;
  let format: (v: number) => string;
  if (finite.length === 0) {
    format = () => "";
  } else if (expFormat) {
    let fracDigits = 0, expDigits = 2;
    for (const v of finite) {
      const [int, frac, , ex] = scientific(Math.abs(v));
      padLeft = Math.max(padLeft, int.length + (negative(v) ? 1 : 0));
      fracDigits = Math.max(fracDigits, frac.length);
      expDigits = Math.max(expDigits, ex.length);
    }
    padRight = expDigits + 2 + fracDigits;
    format = (v) => {
      let [int, frac, sign, ex] = scientific(Math.abs(v));
      if (frac.length < fracDigits && v !== 0) {
        // as NumPy's min_digits: more digits of the exact value, not zeros
        const a = Math.abs(v);
        let k = decimalExponent(a);
        let d = roundAt(a, k - fracDigits).toString();
        if (d.length > fracDigits + 1) { // rounded up to the next power of ten
          d = d.slice(0, -1);
          k++;
        }
        [int, frac, sign, ex] = [d[0], d.slice(1), k < 0 ? "-" : "+", String(Math.abs(k))];
      } else frac = frac.padEnd(fracDigits, "0");
      const head = ((negative(v) ? "-" : "") + int).padStart(padLeft);
      return `${head}.${frac}e${sign}${ex.padStart(expDigits, "0")}`;
    };
  } else {
    for (const v of finite) {
      const [int, frac] = positional(Math.abs(v), precision);
      padLeft = Math.max(padLeft, int.length + (negative(v) ? 1 : 0));
      padRight = Math.max(padRight, frac.length);
    }
    format = (v) => {
      const [int, frac] = positional(Math.abs(v), precision);
      return `${((negative(v) ? "-" : "") + int).padStart(padLeft)}.${frac.padEnd(padRight)}`;
    };
  }
  if (finite.length !== values.length) {
    const negInf = values.some((v) => v === -Infinity) ? 1 : 0;
    padLeft = Math.max(padLeft, 3 - (padRight + 1), 3 + negInf - (padRight + 1));
  }
  const width = padLeft + padRight + 1;
  return (v) => {
    if (Number.isFinite(v)) return format(v);
    const s = Number.isNaN(v) ? "nan" : v < 0 ? "-inf" : "inf";
    return s.padStart(width);
  };
}

/** NumPy's `IntegerFormat`: right-aligned to the widest value shown. */
function intFormatter(values: readonly number[]): (v: number) => string {
  let width = 0;
  for (const v of values) width = Math.max(width, String(v).length);
  return (v) => String(v).padStart(width);
}

// ---- layout --------------------------------------------------------------------------------

const SEPARATOR = ", ";

/** NumPy's `_extendLine`: appends `word`, first wrapping the line if it would grow too long. */
function extendLine(
  s: string,
  line: string,
  word: string,
  width: number,
  nextPrefix: string,
): [string, string] {
  // wrapping a line that holds only its indent would not help
  if (line.length + word.length > width && line.length > nextPrefix.length) {
    s += line.trimEnd() + "\n";
    line = nextPrefix;
  }
  return [s, line + word];
}

/**
 * Formats row-major `data` of shape `shape` as NumPy's `repr` would, with `tensor` (or
 * `options.name`) in place of `array`.
 *
 * @param data the values, row-major (`sizeOf(shape)` of them)
 * @param shape the dimensions, outermost first (`[]` for a single value)
 * @param options name, dtype and NumPy's print options
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatArray } from "./_format.ts";
 * const data = new Float32Array([0.1, 0.2, 0.3, 0.4]);
 * assert.equal(formatArray(data, [2, 2]), "tensor([[0.1, 0.2],\n        [0.3, 0.4]])");
 * assert.equal(formatArray(new Float32Array([1, -2.5]), [2]), "tensor([ 1. , -2.5])");
 * assert.equal(
 *   formatArray(new Int32Array([3, 10]), [2], { name: "IntTensor", dtype: "int32", showDtype: true }),
 *   "IntTensor([ 3, 10], dtype=int32)",
 * );
 * ```
 */
export function formatArray(
  data: ArrayLike<number>,
  shape: readonly number[],
  options: FormatOptions = {},
): string {
  const {
    name = "tensor",
    dtype = "float32",
    showDtype = false,
    threshold = 1000,
    edgeitems = 3,
    linewidth = 75,
    precision = 8,
  } = options;
  const ndim = shape.length;
  let size = 1;
  for (const d of shape) size *= d;
  const prefix = `${name}(`;
  const summarize = size > threshold;
  let body: string;
  if (size === 0) {
    body = "[]";
  } else {
    const strides = new Array<number>(ndim);
    for (let a = ndim - 1, s = 1; a >= 0; a--) {
      strides[a] = s;
      s *= shape[a];
    }
    const elided = (axis: number) => summarize && 2 * edgeitems < shape[axis];
    // the values shown decide the widths (NumPy's _leading_trailing)
    const shown: number[] = [];
    const collect = (axis: number, offset: number) => {
      if (axis === ndim) {
        shown.push(data[offset]);
        return;
      }
      const n = shape[axis];
      for (let i = 0; i < n; i++) {
        if (elided(axis) && i === edgeitems) i = n - edgeitems;
        collect(axis + 1, offset + i * strides[axis]);
      }
    };
    collect(0, 0);
    const format = dtype === "int32" ? intFormatter(shown) : floatFormatter(shown, precision);

    // NumPy's _formatArray
    const recurse = (axis: number, offset: number, indent: string, width: number): string => {
      if (axis === ndim) return format(data[offset]);
      const nextIndent = indent + " ";
      const nextWidth = width - 1; // the "]"
      const n = shape[axis], stride = strides[axis];
      const summary = elided(axis);
      const leading = summary ? edgeitems : 0, trailing = summary ? edgeitems : n;
      const at = (i: number) => recurse(axis + 1, offset + i * stride, nextIndent, nextWidth);
      let s = "";
      if (axis === ndim - 1) {
        const elemWidth = width - 1; // the "," or the "]"
        let line = indent;
        const add = (word: string) => [s, line] = extendLine(s, line, word, elemWidth, indent);
        for (let i = 0; i < leading; i++) {
          add(at(i));
          line += SEPARATOR;
        }
        if (summary) {
          add("...");
          line += SEPARATOR;
        }
        for (let i = trailing; i > 1; i--) {
          add(at(n - i));
          line += SEPARATOR;
        }
        add(at(n - 1));
        s += line;
      } else {
        const lineSep = SEPARATOR.trimEnd() + "\n".repeat(ndim - axis - 1);
        for (let i = 0; i < leading; i++) s += indent + at(i) + lineSep;
        if (summary) s += indent + "..." + lineSep;
        for (let i = trailing; i > 1; i--) s += indent + at(n - i) + lineSep;
        s += indent + at(n - 1);
      }
      return "[" + s.slice(indent.length) + "]";
    };
    body = recurse(0, 0, " ".repeat(prefix.length + 1), linewidth - 1); // −1: the ")"
  }
  const extras: string[] = [];
  if ((size === 0 && !(ndim === 1 && shape[0] === 0)) || summarize) {
    extras.push(`shape=[${shape.join(", ")}]`);
  }
  if (showDtype) extras.push(`dtype=${dtype}`);
  if (extras.length === 0) return `${prefix}${body})`;
  const head = `${prefix}${body},`;
  const tail = `${extras.join(", ")})`;
  const lastLine = head.length - (head.lastIndexOf("\n") + 1);
  const spacer = lastLine + tail.length + 1 > linewidth ? "\n" + " ".repeat(prefix.length) : " ";
  return head + spacer + tail;
}
