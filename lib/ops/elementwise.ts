/**
 * Elementwise math, NumPy's way: `add`, `sub`, `mul`, `div`, `pow`, `maximum`, `minimum` with
 * full broadcasting (tensors, matrix views or numbers), and `neg`, `abs`, `exp`, `log`, `sqrt`,
 * `square`, `tanh`, `sigmoid` of one operand. Each returns a new float32 tensor.
 *
 * Broadcasting follows NumPy: shapes are aligned at their last axis, and two sizes agree when
 * they are equal or one of them is 1 (a missing axis counts as 1); `x + b` with `x` of shape
 * `(N, H)` and `b` of shape `(H,)` adds `b` to every row. A number operand acts as a float32
 * scalar, as a Python scalar does in NumPy 2.
 *
 * @module
 */

import { formatShape, SaikiError } from "../errors.ts";
import { getKernels } from "../engine/kernels.ts";
import type { Mat } from "../engine/views.ts";
import { Tensor, zeros } from "../tensor.ts";
import { isContiguous, type Operand, operand, shapeOf, stridesOf } from "./_operand.ts";

/**
 * The shape two or more shapes broadcast to: `np.broadcast_shapes`. Throws naming the shapes
 * and the axis whose sizes differ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { broadcastShapes } from "./elementwise.ts";
 * assert.deepEqual(broadcastShapes([2, 1, 4], [3, 1]), [2, 3, 4]);
 * assert.throws(() => broadcastShapes([2, 3], [4]), /shapes \[2,3\] and \[4\]/);
 * ```
 */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  return shapes.reduce<number[]>((acc, s) => broadcastPair("broadcastShapes", acc, s, "", ""), []);
}

function broadcastPair(
  where: string,
  a: readonly number[],
  b: readonly number[],
  nameA: string,
  nameB: string,
): number[] {
  const nd = Math.max(a.length, b.length);
  const out = new Array<number>(nd);
  for (let i = 1; i <= nd; i++) {
    const da = i <= a.length ? a[a.length - i] : 1, db = i <= b.length ? b[b.length - i] : 1;
    if (da !== db && da !== 1 && db !== 1) {
      const an = nameA ? `${nameA} of shape ` : "", bn = nameB ? `${nameB} of shape ` : "";
      throw new SaikiError(
        `${where}: cannot broadcast ${an ? "" : "shapes "}${an}${formatShape(a)} and ${bn}${
          formatShape(b)
        }: axis ${-i} has sizes ${da} and ${db} (sizes must be equal, or one of them 1)`,
      );
    }
    out[nd - i] = da === 1 ? db : da;
  }
  return out;
}

/** An operand as values, an offset, a shape and strides (a number is a 0-d operand). */
interface Strided {
  data: Float32Array;
  off: number;
  shape: number[];
  strides: number[];
}

function strided(where: string, name: string, x: Operand | number): Strided {
  if (typeof x === "number") return { data: Float32Array.of(x), off: 0, shape: [], strides: [] };
  const m = operand(where, name, x);
  if (x instanceof Tensor) {
    return { data: x.data, off: 0, shape: [...x.shape], strides: stridesOf(x.shape) };
  }
  return { data: m.data, off: m.off, shape: [m.rows, m.cols], strides: [m.ld, 1] };
}

/** Strides of `s` broadcast to `shape` (0 along broadcast axes). */
function broadcastStrides(s: Strided, shape: readonly number[]): number[] {
  const nd = shape.length, lead = nd - s.shape.length;
  const out = new Array<number>(nd).fill(0);
  for (let i = lead; i < nd; i++) out[i] = s.shape[i - lead] === 1 ? 0 : s.strides[i - lead];
  return out;
}

type BinaryOp = "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum";

/** One row of a binary op: `o[oi + j] = f(a[ai + j·as], b[bi + j·bs])`. */
function binaryRow(
  op: BinaryOp,
  o: Float32Array,
  oi: number,
  a: Float32Array,
  ai: number,
  as: number,
  b: Float32Array,
  bi: number,
  bs: number,
  n: number,
): void {
  const end = oi + n;
  switch (op) {
    case "add":
      for (; oi < end; oi++, ai += as, bi += bs) o[oi] = a[ai] + b[bi];
      return;
    case "sub":
      for (; oi < end; oi++, ai += as, bi += bs) o[oi] = a[ai] - b[bi];
      return;
    case "mul":
      for (; oi < end; oi++, ai += as, bi += bs) o[oi] = a[ai] * b[bi];
      return;
    case "div":
      for (; oi < end; oi++, ai += as, bi += bs) o[oi] = a[ai] / b[bi];
      return;
    case "pow":
      for (; oi < end; oi++, ai += as, bi += bs) o[oi] = a[ai] ** b[bi];
      return;
    case "maximum":
      for (; oi < end; oi++, ai += as, bi += bs) o[oi] = Math.max(a[ai], b[bi]);
      return;
    case "minimum":
      for (; oi < end; oi++, ai += as, bi += bs) o[oi] = Math.min(a[ai], b[bi]);
      return;
  }
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** `b` is a row vector for `x`: shape `[…1, cols]`, contiguous values. */
function isRowOf(b: Strided, shape: readonly number[]): boolean {
  const n = b.shape.length;
  return n >= 1 && n <= shape.length && b.shape[n - 1] === shape[shape.length - 1] &&
    b.shape.every((d, i) => i === n - 1 || d === 1) && b.strides[n - 1] === 1;
}

/** A matrix view of a strided operand with the full output shape (every axis but the last folded). */
function asRows(s: Strided, rows: number, cols: number): Mat | undefined {
  const nd = s.shape.length;
  if (nd === 0) return { data: s.data, off: s.off, rows: 1, cols: 1, ld: 1 };
  if (s.strides[nd - 1] !== 1) return undefined;
  // the leading axes must fold into one stride: contiguous tensors, and 2-D views
  if (nd > 2) {
    const want = stridesOf(s.shape);
    if (!s.strides.every((st, i) => st === want[i])) return undefined;
  }
  const ld = nd === 1 ? cols : s.strides[nd - 2];
  return { data: s.data, off: s.off, rows, cols, ld };
}

function binary(op: BinaryOp, a: Operand | number, b: Operand | number): Tensor {
  const A = strided(op, "a", a), B = strided(op, "b", b);
  const shape = broadcastPair(op, A.shape, B.shape, "a", "b");
  const out = zeros(shape);
  const size = out.size;
  if (size === 0) return out;
  const od = out.data, nd = shape.length;
  const cols = nd === 0 ? 1 : shape[nd - 1], rows = size / cols;
  const k = getKernels();
  // kernels where one fits: x + b over rows, x ⊙ y, and α·x
  if (op === "add" && nd >= 1) {
    for (const [x, v] of [[A, B], [B, A]]) {
      if (sameShape(x.shape, shape) && isRowOf(v, shape)) {
        const xm = asRows(x, rows, cols);
        if (xm === undefined) continue;
        k.copyRows(xm, out);
        k.addBias({ data: v.data, off: v.off, size: cols }, out);
        return out;
      }
    }
  }
  if (op === "mul" && a instanceof Tensor && b instanceof Tensor && sameShape(a.shape, b.shape)) {
    k.mul(a, b, out);
    return out;
  }
  if (op === "mul" && (typeof a === "number") !== (typeof b === "number")) {
    const [x, alpha] = typeof a === "number" ? [b as Operand, a] : [a, b as number];
    if (x instanceof Tensor) {
      k.scale(x, Math.fround(alpha), out);
      return out;
    }
  }
  // the general loop: one output row (last axis) at a time
  const sa = broadcastStrides(A, shape), sb = broadcastStrides(B, shape);
  if (nd === 0) {
    binaryRow(op, od, 0, A.data, A.off, 0, B.data, B.off, 0, 1);
    return out;
  }
  const as = sa[nd - 1], bs = sb[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  let ai = A.off, bi = B.off;
  for (let r = 0, oi = 0; r < rows; r++, oi += cols) {
    binaryRow(op, od, oi, A.data, ai, as, B.data, bi, bs, cols);
    for (let ax = nd - 2; ax >= 0; ax--) {
      ai += sa[ax];
      bi += sb[ax];
      if (++idx[ax] < shape[ax]) break;
      ai -= sa[ax] * shape[ax];
      bi -= sb[ax] * shape[ax];
      idx[ax] = 0;
    }
  }
  return out;
}

/**
 * `a + b`, broadcast: `np.add`. `x + b` over the rows of `x` runs the kernels' `addBias`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { add } from "./elementwise.ts";
 * const x = tensor([[1, 2, 3], [4, 5, 6]]), b = tensor([10, 20, 30]);
 * assert.deepEqual(add(x, b).toArray(), [[11, 22, 33], [14, 25, 36]]);
 * assert.deepEqual(add(x, 1).toArray(), [[2, 3, 4], [5, 6, 7]]);
 * assert.deepEqual(add(tensor([[1], [2]]), tensor([10, 20])).toArray(), [[11, 21], [12, 22]]);
 * ```
 */
export function add(a: Operand | number, b: Operand | number): Tensor {
  return binary("add", a, b);
}

/**
 * `a − b`, broadcast: `np.subtract`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { sub } from "./elementwise.ts";
 * assert.deepEqual(sub(1, tensor([0.25, 1])).toArray(), [0.75, 0]);
 * assert.deepEqual(sub(tensor([[1, 2], [3, 4]]), tensor([[1], [2]])).toArray(), [[0, 1], [1, 2]]);
 * ```
 */
export function sub(a: Operand | number, b: Operand | number): Tensor {
  return binary("sub", a, b);
}

/**
 * `a ⊙ b` (elementwise product), broadcast: `np.multiply`, `a * b`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { mul } from "./elementwise.ts";
 * assert.deepEqual(mul(tensor([1, 2, 3]), tensor([4, 5, 6])).toArray(), [4, 10, 18]);
 * assert.deepEqual(mul(tensor([[1, 2]]), 0.5).toArray(), [[0.5, 1]]);
 * ```
 */
export function mul(a: Operand | number, b: Operand | number): Tensor {
  return binary("mul", a, b);
}

/**
 * `a / b`, broadcast: `np.divide` (`x / 0` is `±Infinity` or `NaN`, as in NumPy).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { div } from "./elementwise.ts";
 * assert.deepEqual(div(tensor([[2, 4], [6, 8]]), tensor([2, 4])).toArray(), [[1, 1], [3, 2]]);
 * ```
 */
export function div(a: Operand | number, b: Operand | number): Tensor {
  return binary("div", a, b);
}

/**
 * `a ** b`, broadcast: `np.power`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { pow } from "./elementwise.ts";
 * assert.deepEqual(pow(tensor([1, 2, 3]), 2).toArray(), [1, 4, 9]);
 * assert.deepEqual(pow(2, tensor([0, 3])).toArray(), [1, 8]);
 * ```
 */
export function pow(a: Operand | number, b: Operand | number): Tensor {
  return binary("pow", a, b);
}

/**
 * The larger of `a` and `b`, broadcast: `np.maximum` (NaN if either is NaN). `maximum(x, 0)`
 * is the ReLU.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { maximum } from "./elementwise.ts";
 * assert.deepEqual(maximum(tensor([-1, 0.5, 2]), 0).toArray(), [0, 0.5, 2]);
 * ```
 */
export function maximum(a: Operand | number, b: Operand | number): Tensor {
  return binary("maximum", a, b);
}

/**
 * The smaller of `a` and `b`, broadcast: `np.minimum` (NaN if either is NaN).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { minimum } from "./elementwise.ts";
 * assert.deepEqual(minimum(tensor([-1, 0.5, 2]), tensor([0, 1, 1])).toArray(), [-1, 0.5, 1]);
 * ```
 */
export function minimum(a: Operand | number, b: Operand | number): Tensor {
  return binary("minimum", a, b);
}

type UnaryOp = "neg" | "abs" | "exp" | "log" | "sqrt" | "square" | "sigmoid";

function unaryRow(
  op: UnaryOp,
  o: Float32Array,
  oi: number,
  x: Float32Array,
  xi: number,
  n: number,
) {
  const end = oi + n;
  switch (op) {
    case "neg":
      for (; oi < end; oi++, xi++) o[oi] = -x[xi];
      return;
    case "abs":
      for (; oi < end; oi++, xi++) o[oi] = Math.abs(x[xi]);
      return;
    case "exp":
      for (; oi < end; oi++, xi++) o[oi] = Math.exp(x[xi]);
      return;
    case "log":
      for (; oi < end; oi++, xi++) o[oi] = Math.log(x[xi]);
      return;
    case "sqrt":
      for (; oi < end; oi++, xi++) o[oi] = Math.sqrt(x[xi]);
      return;
    case "square":
      for (; oi < end; oi++, xi++) o[oi] = x[xi] * x[xi];
      return;
    case "sigmoid":
      for (; oi < end; oi++, xi++) o[oi] = 1 / (1 + Math.exp(-x[xi]));
      return;
  }
}

function unary(op: UnaryOp, x: Operand): Tensor {
  const m = operand(op, "x", x);
  const out = zeros(shapeOf(x));
  if (out.size === 0) return out;
  const { data, off, rows, cols, ld } = m;
  if (isContiguous(m)) unaryRow(op, out.data, 0, data, off, rows * cols);
  else for (let r = 0; r < rows; r++) unaryRow(op, out.data, r * cols, data, off + r * ld, cols);
  return out;
}

/**
 * `−x`: `np.negative`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { neg } from "./elementwise.ts";
 * assert.deepEqual(neg(tensor([1, -2])).toArray(), [-1, 2]);
 * ```
 */
export function neg(x: Operand): Tensor {
  return unary("neg", x);
}

/**
 * `|x|`: `np.abs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { abs } from "./elementwise.ts";
 * assert.deepEqual(abs(tensor([-1.5, 2])).toArray(), [1.5, 2]);
 * ```
 */
export function abs(x: Operand): Tensor {
  return unary("abs", x);
}

/**
 * `eˣ`: `np.exp`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { exp } from "./elementwise.ts";
 * assert.deepEqual(exp(tensor([0, 1])).toArray(), [1, Math.fround(Math.E)]);
 * ```
 */
export function exp(x: Operand): Tensor {
  return unary("exp", x);
}

/**
 * The natural logarithm: `np.log` (`log(0)` is `-Infinity`, a negative value gives `NaN`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { log } from "./elementwise.ts";
 * assert.deepEqual(log(tensor([1, 0])).toArray(), [0, -Infinity]);
 * ```
 */
export function log(x: Operand): Tensor {
  return unary("log", x);
}

/**
 * `√x`: `np.sqrt`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { sqrt } from "./elementwise.ts";
 * assert.deepEqual(sqrt(tensor([4, 2.25])).toArray(), [2, 1.5]);
 * ```
 */
export function sqrt(x: Operand): Tensor {
  return unary("sqrt", x);
}

/**
 * `x²`: `np.square`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { square } from "./elementwise.ts";
 * assert.deepEqual(square(tensor([-3, 0.5])).toArray(), [9, 0.25]);
 * ```
 */
export function square(x: Operand): Tensor {
  return unary("square", x);
}

/**
 * The logistic sigmoid `1 / (1 + e⁻ˣ)`: the book's `sigmoid`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { sigmoid } from "./elementwise.ts";
 * assert.deepEqual(sigmoid(tensor([0, 1000, -1000])).toArray(), [0.5, 1, 0]);
 * ```
 */
export function sigmoid(x: Operand): Tensor {
  return unary("sigmoid", x);
}

/**
 * `tanh(x)`: `np.tanh`, by the kernels' `tanhForward` (within a few float32 roundings of the
 * exact value on every backend).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "../tensor.ts";
 * import { timestep } from "../engine/views.ts";
 * import { tanh } from "./elementwise.ts";
 * const y = tanh(tensor([0, 1]));
 * assert(y.data[0] === 0 && Math.abs(y.data[1] - Math.tanh(1)) < 1e-6);
 * const xs = tensor([[[0], [1]], [[2], [3]]]); // (N=2, T=2, D=1)
 * assert.deepEqual(tanh(timestep(xs, 0)).shape, [2, 1]); // xs[:, 0, :] without a copy
 * ```
 */
export function tanh(x: Operand): Tensor {
  const m = operand("tanh", "x", x);
  const out = zeros(shapeOf(x));
  if (out.size > 0) {
    getKernels().tanhForward(m, { data: out.data, off: 0, rows: m.rows, cols: m.cols, ld: m.cols });
  }
  return out;
}
