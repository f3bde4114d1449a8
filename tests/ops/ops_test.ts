import {
  abs,
  add,
  allclose,
  arange,
  argmax,
  argmin,
  arrayEqual,
  broadcastShapes,
  colBlock,
  concat,
  copy,
  div,
  dot,
  exp,
  full,
  fullLike,
  linspace,
  log,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  neg,
  ones,
  onesLike,
  pow,
  rand,
  randn,
  repeat,
  reshape,
  rowBlock,
  sigmoid,
  softmax,
  sqrt,
  square,
  stack,
  sub,
  sum,
  tanh,
  timestep,
  transpose,
  zeros,
  zerosLike,
} from "../../lib/ops/mod.ts";
import type { Mat } from "../../lib/engine/views.ts";
import {
  availableBackends,
  getKernels,
  selectBackend,
  setKernels,
} from "../../lib/engine/kernels.ts";
import { IntTensor, sizeOf, Tensor, tensor } from "../../lib/tensor.ts";
import { Rng } from "../../lib/random.ts";
import { SaikiError } from "../../lib/errors.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";

// ---- references, in float64 and by index arithmetic --------------------------------------

/** The values of a tensor or a matrix view, row-major, as float64 numbers. */
function valuesOf(x: Tensor | Mat): number[] {
  if (x instanceof Tensor) return Array.from(x.data);
  const out: number[] = [];
  for (let r = 0; r < x.rows; r++) {
    for (let c = 0; c < x.cols; c++) out.push(x.data[x.off + r * x.ld + c]);
  }
  return out;
}

/** Multi-index of flat index `i` in `shape`. */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = i % shape[a];
    i = Math.floor(i / shape[a]);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let a = 0; a < shape.length; a++) i = i * shape[a] + idx[a];
  return i;
}

/** `f(a, b)` broadcast NumPy's way, element by element, in float64. */
function broadcastRef(
  a: number[],
  sa: number[],
  b: number[],
  sb: number[],
  f: (x: number, y: number) => number,
): { shape: number[]; data: number[] } {
  const nd = Math.max(sa.length, sb.length);
  const pa = [...new Array(nd - sa.length).fill(1), ...sa];
  const pb = [...new Array(nd - sb.length).fill(1), ...sb];
  const shape = pa.map((d, i) => (d === 1 ? pb[i] : d));
  const data: number[] = [];
  for (let i = 0; i < sizeOf(shape); i++) {
    const idx = unravel(i, shape);
    const va = a[ravel(idx.map((v, k) => (pa[k] === 1 ? 0 : v)), pa)];
    const vb = b[ravel(idx.map((v, k) => (pb[k] === 1 ? 0 : v)), pb)];
    data.push(f(va, vb));
  }
  return { shape, data };
}

function assertClose(
  actual: Tensor,
  shape: readonly number[],
  expected: readonly number[],
  label: string,
  tol = 0,
) {
  assertEquals([...actual.shape], [...shape], `${label}: shape`);
  assertEquals(actual.size, expected.length, `${label}: size`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual.data[i], e = expected[i];
    if (Number.isNaN(e)) {
      assertOk(Number.isNaN(a), `${label}[${i}]: ${a}, expected NaN`);
      continue;
    }
    const ok = tol === 0 ? a === Math.fround(e) : Math.abs(a - e) <= tol * (1 + Math.abs(e));
    assertOk(ok, `${label}[${i}]: ${a}, expected ${e}${tol ? ` (tol ${tol})` : " (float32)"}`);
  }
}

/** `result` has an array of its own, sharing no memory with `inputs`. */
function assertOwn(result: Tensor, ...inputs: (Tensor | Mat)[]) {
  assertOk(result instanceof Tensor, "a Tensor");
  for (const x of inputs) assertOk(result.data.buffer !== x.data.buffer, "a new array");
}

const rng = new Rng(2024);
const random = (shape: number[]) => rng.randn(shape);

// ---- creation -----------------------------------------------------------------------------

Deno.test("creation: zeros, ones, full, the …Like forms, arange, linspace", () => {
  assertEquals(zeros([2, 1]).toArray(), [[0], [0]]);
  assertEquals(ones([2, 2]).toArray(), [[1, 1], [1, 1]]);
  assertEquals(full([3], 0.1).toArray(), [Math.fround(0.1), Math.fround(0.1), Math.fround(0.1)]);
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  assertEquals(zerosLike(x).toArray(), [[0, 0, 0], [0, 0, 0]]);
  assertEquals(onesLike(timestep(tensor([[[1], [2]]]), 1)).shape, [1, 1]);
  assertEquals(fullLike(x, -2).toArray(), [[-2, -2, -2], [-2, -2, -2]]);
  assertEquals(arange(5).toArray(), [0, 1, 2, 3, 4]);
  assertEquals(arange(2, 8, 2).toArray(), [2, 4, 6]);
  assertEquals(arange(1, 0, -0.25).toArray(), [1, 0.75, 0.5, 0.25]);
  assertEquals(arange(0, 1, 0.1).size, 10); // np.arange(0, 1, 0.1) has 10 values
  assertEquals(arange(3, 1).size, 0);
  assertThrows(() => arange(0, 1, 0), "expected finite numbers and a step ≠ 0");
  // np.linspace(-1, 2, 7), in float64, then float32
  assertClose(linspace(-1, 2, 7), [7], [-1, -0.5, 0, 0.5, 1, 1.5, 2], "linspace");
  assertClose(linspace(0, 1, 3, { endpoint: false }), [3], [0, 1 / 3, 2 / 3], "linspace");
  assertEquals(linspace(5, 9, 1).toArray(), [5]);
  assertEquals(linspace(0, 1, 0).shape, [0]);
  assertThrows(() => linspace(0, 1, -1), "num -1 must be an integer >= 0");
  assertThrows(() => ones([2, -1]), "invalid shape [2,-1]");
});

Deno.test("creation: randn and rand draw from a seeded Rng, reproducibly", () => {
  const a = randn([3, 4], new Rng(7));
  assertEquals(a.toArray(), new Rng(7).randn([3, 4]).toArray());
  assertEquals(a.shape, [3, 4]);
  const n = randn([20000], new Rng(1));
  const m = sum(n) / n.size, v = sum(square(n)) / n.size - m * m;
  assertOk(Math.abs(m) < 0.03 && Math.abs(v - 1) < 0.05, `mean ${m}, variance ${v}`);
  const u = rand([20000], new Rng(1));
  assertOk(u.data.every((x) => x >= 0 && x < 1));
  assertOk(Math.abs(sum(u) / u.size - 0.5) < 0.01);
  // the same seed gives the uniforms of Rng.uniform, rounded to float32
  const r = new Rng(9);
  assertEquals(
    Array.from(rand([3], new Rng(9)).data),
    [0, 0, 0].map(() => Math.fround(r.uniform())),
  );
  // without an rng: the module's generator, so successive calls differ
  const first = randn([4]), second = randn([4]);
  assertOk(first.data.some((x, i) => x !== second.data[i]));
  assertEquals(randn([2, 0]).size, 0);
});

// ---- elementwise --------------------------------------------------------------------------

const binaryOps: [
  string,
  (a: Tensor | Mat | number, b: Tensor | Mat | number) => Tensor,
  (x: number, y: number) => number,
][] = [
  ["add", add, (x, y) => x + y],
  ["sub", sub, (x, y) => x - y],
  ["mul", mul, (x, y) => x * y],
  ["div", div, (x, y) => x / y],
  ["maximum", maximum, Math.max],
  ["minimum", minimum, Math.min],
];

Deno.test("elementwise binary ops broadcast as NumPy, exact to float32", () => {
  const cases: [number[], number[]][] = [
    [[2, 3], [2, 3]], // same shape
    [[2, 3], [3]], // x + b over rows
    [[3], [2, 3]], // b + x
    [[4, 3], [1, 3]],
    [[2, 1], [1, 3]], // outer
    [[2, 1, 3], [4, 1]], // → (2, 4, 3)
    [[2, 3, 4], [3, 1]],
    [[5], []], // 0-d
    [[], []],
    [[2, 0, 3], [3]], // empty
  ];
  for (const [sa, sb] of cases) {
    const a = random(sa), b = random(sb);
    for (const [name, op, f] of binaryOps) {
      const ref = broadcastRef(valuesOf(a), sa, valuesOf(b), sb, f);
      const label = `${name}(${JSON.stringify(sa)}, ${JSON.stringify(sb)})`;
      const out = op(a, b);
      assertClose(out, ref.shape, ref.data, label);
      assertOwn(out, a, b);
    }
  }
  // pow against Math.pow, on positive bases
  const base = add(abs(random([3, 2])), 0.5), e = random([2]);
  const ref = broadcastRef(valuesOf(base), [3, 2], valuesOf(e), [2], Math.pow);
  assertClose(pow(base, e), ref.shape, ref.data, "pow", 1e-6);
});

Deno.test("a number operand is a float32 scalar (NumPy 2), on either side", () => {
  const x = tensor([[1, 2], [3, 4]]);
  assertEquals(add(x, 0.1).data[0], Math.fround(1 + Math.fround(0.1)));
  assertEquals(sub(1, x).toArray(), [[0, -1], [-2, -3]]);
  assertEquals(div(1, tensor([4, 8])).toArray(), [0.25, 0.125]);
  assertEquals(mul(x, 0.5).toArray(), [[0.5, 1], [1.5, 2]]);
  assertEquals(mul(3, x).toArray(), [[3, 6], [9, 12]]);
  assertEquals(mul(tensor([1, 3]), 1 / 3).data[1], Math.fround(3 * Math.fround(1 / 3)));
  assertEquals(add(2, 3).toArray(), 5);
  assertEquals(maximum(tensor([-1, NaN, 2]), 0).toArray(), [0, NaN, 2]);
  assertEquals(div(tensor([1, -1, 0]), 0).toArray(), [Infinity, -Infinity, NaN]);
});

Deno.test("broadcasting errors name both shapes and the axis", () => {
  assertThrows(
    () => add(tensor([[1, 2, 3], [4, 5, 6]]), tensor([1, 2, 3, 4])),
    "add: cannot broadcast a of shape [2,3] and b of shape [4]: axis -1 has sizes 3 and 4 " +
      "(sizes must be equal, or one of them 1)",
  );
  assertThrows(
    () => mul(zeros([2, 3, 4]), zeros([2, 4])),
    "mul: cannot broadcast a of shape [2,3,4] and b of shape [2,4]: axis -2 has sizes 3 and 2",
  );
  assertThrows(() => sub(timestep(zeros([2, 3, 4]), 0), zeros([3])), "a of shape [2,4]");
  assertEquals(broadcastShapes([8, 1, 6, 1], [7, 1, 5]), [8, 7, 6, 5]);
  assertEquals(broadcastShapes([3], [], [2, 1]), [2, 3]);
  assertThrows(() => broadcastShapes([2], [3]), "cannot broadcast shapes [2] and [3]");
  const e = assertThrows(
    () => add(IntTensor.from([1, 2]) as unknown as Tensor, 1),
    "add: a must be a float32 Tensor or a matrix view {data, off, rows, cols, ld}, got an int32",
  );
  assertOk(e instanceof SaikiError);
  assertThrows(
    () => add({ data: new Float32Array(4), off: 2, rows: 2, cols: 2, ld: 2 }, 1),
    "add: a is a view of 2 × 2 (ld 2, from 2) that does not fit its array of 4",
  );
});

Deno.test("elementwise ops read matrix views in place: timestep(xs, t) is xs[:, t, :]", () => {
  const xs = random([3, 4, 5]); // (N, T, D)
  const x2 = timestep(xs, 2);
  assertOk(x2.data === xs.data, "timestep is a view, not a copy");
  assertEquals([x2.rows, x2.cols, x2.off, x2.ld], [3, 5, 10, 20]);
  const rows = [0, 1, 2].map((n) => Array.from(xs.data.subarray(n * 20 + 10, n * 20 + 15)));
  const b = random([5]);
  const ref = broadcastRef(rows.flat(), [3, 5], valuesOf(b), [5], (p, q) => p + q);
  assertClose(add(x2, b), [3, 5], ref.data, "add(view, b)");
  assertClose(add(b, x2), [3, 5], ref.data, "add(b, view)");
  assertClose(mul(x2, x2), [3, 5], rows.flat().map((v) => v * v), "mul(view, view)");
  assertClose(
    sub(x2, tensor([[1], [2], [3]])),
    [3, 5],
    rows.flatMap((r, n) => r.map((v) => v - (n + 1))),
    "sub",
  );
  assertClose(tanh(x2), [3, 5], rows.flat().map(Math.tanh), "tanh(view)", 1e-6);
  assertClose(exp(x2), [3, 5], rows.flat().map(Math.exp), "exp(view)");
  // a view into the view: the gate columns of a packed block
  const g = colBlock(x2, 1, 3);
  assertClose(neg(g), [3, 3], rows.flatMap((r) => r.slice(1, 4).map((v) => -v)), "neg(colBlock)");
  assertClose(square(rowBlock(x2, 1, 2)), [2, 5], rows.slice(1).flat().map((v) => v * v), "square");
  // writing to xs shows through the view, never through a result
  const y = copy(x2);
  xs.data[10] = 42;
  assertEquals(x2.data[x2.off], 42);
  assertOk(y.data[0] !== 42);
  assertThrows(() => timestep(xs, 4), "timestep: t = 4 is outside [0, 4)");
});

Deno.test("unary ops against Math, in float64", () => {
  const x = random([4, 6]), v = valuesOf(x);
  const pos = add(abs(x), 0.01), pv = valuesOf(pos);
  assertClose(neg(x), [4, 6], v.map((a) => -a), "neg");
  assertClose(abs(x), [4, 6], v.map(Math.abs), "abs");
  assertClose(square(x), [4, 6], v.map((a) => a * a), "square");
  assertClose(exp(x), [4, 6], v.map(Math.exp), "exp");
  assertClose(log(pos), [4, 6], pv.map(Math.log), "log");
  assertClose(sqrt(pos), [4, 6], pv.map(Math.sqrt), "sqrt");
  assertClose(sigmoid(x), [4, 6], v.map((a) => 1 / (1 + Math.exp(-a))), "sigmoid");
  assertClose(tanh(x), [4, 6], v.map(Math.tanh), "tanh", 1e-6);
  assertEquals(log(tensor([0, -1])).toArray(), [-Infinity, NaN]);
  assertEquals(sigmoid(tensor([-1000, 0, 1000])).toArray(), [0, 0.5, 1]);
  assertEquals(tanh(tensor(0.5)).shape, []);
  assertEquals(tanh(zeros([0, 3])).shape, [0, 3]);
  for (const f of [neg, abs, exp, sqrt, square, sigmoid, tanh]) {
    const before = Array.from(x.data);
    assertOwn(f(x), x);
    assertEquals(Array.from(x.data), before, `${f.name} leaves its input alone`);
  }
});

// ---- reductions ---------------------------------------------------------------------------

/** `f` over `axes` of `x` by index arithmetic, in float64. */
function reduceRef(
  v: number[],
  shape: number[],
  axes: number[],
  f: (xs: number[]) => number,
): number[] {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: sizeOf(outShape) }, () => []);
  for (let i = 0; i < v.length; i++) {
    const idx = unravel(i, shape).map((j, a) => (axes.includes(a) ? 0 : j));
    groups[ravel(idx, outShape)].push(v[i]);
  }
  return groups.map(f);
}

const fsum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

Deno.test("sum, mean, max, min over all values, an axis, negative axes, several axes", () => {
  const x = random([3, 4, 5]), v = valuesOf(x);
  const refs: [string, typeof sum, (xs: number[]) => number][] = [
    ["sum", sum, fsum],
    ["mean", mean, (xs) => fsum(xs) / xs.length],
    ["max", max, (xs) => Math.max(...xs)],
    ["min", min, (xs) => Math.min(...xs)],
  ];
  for (const [name, op, f] of refs) {
    assertEquals(op(x), Math.fround(f(v)), `${name}(x)`);
    for (const axis of [0, 1, 2, -1, -3]) {
      const a = axis < 0 ? axis + 3 : axis;
      const shape = [3, 4, 5].filter((_, i) => i !== a);
      assertClose(op(x, axis), shape, reduceRef(v, [3, 4, 5], [a], f), `${name}(x, ${axis})`);
      const kept = [3, 4, 5].map((d, i) => (i === a ? 1 : d));
      assertClose(
        op(x, axis, { keepdims: true }),
        kept,
        reduceRef(v, [3, 4, 5], [a], f),
        `${name}(x, ${axis}, keepdims)`,
      );
    }
    assertClose(op(x, [0, 2]), [4], reduceRef(v, [3, 4, 5], [0, 2], f), `${name}(x, [0, 2])`, 1e-6);
    assertClose(op(x, null), [], [f(v)], `${name}(x, null)`, 1e-6);
    assertClose(op(x, null, { keepdims: true }), [1, 1, 1], [f(v)], `${name} keepdims`, 1e-6);
  }
  // axis 0 of a 2-D tensor (the bias gradient) runs sumRows; also on a view
  const d = random([6, 3]);
  assertClose(sum(d, 0), [3], reduceRef(valuesOf(d), [6, 3], [0], fsum), "sum(d, 0)");
  const xs = random([2, 3, 4]), x1 = timestep(xs, 1);
  assertClose(sum(x1, 0), [4], reduceRef(valuesOf(x1), [2, 4], [0], fsum), "sum(view, 0)");
  assertClose(mean(x1, 1), [2], reduceRef(valuesOf(x1), [2, 4], [1], (a) => fsum(a) / 4), "mean");
  assertEquals(max(x1), Math.max(...valuesOf(x1)));
  assertEquals(sum(zeros([0, 3]), 0).toArray(), [0, 0, 0]);
  assertEquals(sum(zeros([0])), 0);
  assertOk(Number.isNaN(mean(zeros([0]))));
  assertEquals(max(tensor([1, NaN, 3])), NaN);
  assertOwn(sum(x, [] as number[]), x);
  assertEquals(sum(tensor(2.5), null).toArray(), 2.5);
});

Deno.test("reductions name bad axes and empty inputs", () => {
  const x = zeros([2, 3]);
  assertThrows(
    () => sum(x, 2),
    "sum: axis 2 is out of bounds for 2 dimensions (shape [2,3]), expected an axis in [-2, 2)",
  );
  assertThrows(() => mean(x, -3), "axis -3 is out of bounds");
  assertThrows(() => sum(x, 0.5), "sum: axis 0.5 is not an integer");
  assertThrows(() => max(x, [1, -1]), "max: axis [1,-1] names an axis twice");
  assertThrows(() => max(zeros([0, 2]), 0), "max: axis 0 of shape [0,2] is empty");
  assertThrows(() => min(zeros([0])), "min: axis 0 of shape [0] is empty");
  assertThrows(() => argmax(zeros([0])), "argmax: x is empty (shape [0])");
  assertThrows(() => argmin(zeros([2, 0]), 1), "argmin: axis 1 of x is empty");
});

Deno.test("argmax and argmin: flat index or IntTensor along an axis, first wins ties, NaN wins", () => {
  const x = tensor([[0.1, 0.7, 0.7], [0.9, 0.3, -1]]);
  assertEquals(argmax(x), 3);
  assertEquals(argmax(tensor([0.7, 0.1, 0.7])), 0);
  assertEquals(argmin(x), 5);
  const am = argmax(x, 1);
  assertOk(am instanceof IntTensor);
  assertEquals(am.toArray(), [1, 0]);
  assertEquals(argmax(x, 0).toArray(), [1, 0, 0]);
  assertEquals(argmin(x, -1, { keepdims: true }).toArray(), [[0], [2]]);
  assertEquals(argmax(tensor([1, NaN, 5, NaN])), 1);
  const y = random([3, 4, 5]), v = valuesOf(y);
  const ref = reduceRef(v, [3, 4, 5], [1], (xs) => xs.indexOf(Math.max(...xs)));
  assertEquals(Array.from(argmax(y, 1).data), ref);
  assertEquals(argmax(timestep(y, 2), 1).shape, [3]);
});

// ---- matmul -------------------------------------------------------------------------------

/** `op(a)·op(b)` in float64. */
function matmulRef(
  a: number[],
  [m0, k0]: number[],
  b: number[],
  [k1, n1]: number[],
  transA = false,
  transB = false,
): number[] {
  const m = transA ? k0 : m0, k = transA ? m0 : k0, n = transB ? k1 : n1;
  const A = (i: number, p: number) => (transA ? a[p * k0 + i] : a[i * k0 + p]);
  const B = (p: number, j: number) => (transB ? b[j * n1 + p] : b[p * n1 + j]);
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A(i, p) * B(p, j);
      out.push(s);
    }
  }
  return out;
}

const GEMM_TOL = 1e-5; // float32 sums of ~20 terms of size ~1 on any backend

Deno.test("matmul against a float64 loop: 2-D, transposes, (N, T, D)·(D, M), vectors", () => {
  const a = random([5, 7]), b = random([7, 3]);
  assertClose(
    matmul(a, b),
    [5, 3],
    matmulRef(valuesOf(a), [5, 7], valuesOf(b), [7, 3]),
    "a·b",
    GEMM_TOL,
  );
  assertOwn(matmul(a, b), a, b);
  const at = random([7, 5]), bt = random([3, 7]);
  const r = matmulRef(valuesOf(at), [7, 5], valuesOf(bt), [3, 7], true, true);
  assertClose(matmul(at, bt, { transA: true, transB: true }), [5, 3], r, "aᵀ·bᵀ", GEMM_TOL);
  const r2 = matmulRef(valuesOf(at), [7, 5], valuesOf(b), [7, 3], true);
  assertClose(matmul(at, b, { transA: true }), [5, 3], r2, "aᵀ·b", GEMM_TOL);
  // TimeAffine: (N, T, D)·(D, M) folds N·T rows; and its backward dout·Wᵀ
  const xs = random([2, 4, 7]);
  const fold = matmulRef(valuesOf(xs), [8, 7], valuesOf(b), [7, 3]);
  assertClose(matmul(xs, b), [2, 4, 3], fold, "(N,T,D)·(D,M)", GEMM_TOL);
  const dout = random([2, 4, 3]);
  const back = matmulRef(valuesOf(dout), [8, 3], valuesOf(b), [7, 3], false, true);
  assertClose(matmul(dout, b, { transB: true }), [2, 4, 7], back, "dout·Wᵀ", GEMM_TOL);
  // 1-D operands: a row, a column, both (a 0-d result)
  const u = random([7]), w = random([7]);
  assertClose(
    matmul(u, b),
    [3],
    matmulRef(valuesOf(u), [1, 7], valuesOf(b), [7, 3]),
    "u·b",
    GEMM_TOL,
  );
  assertClose(
    matmul(a, u),
    [5],
    matmulRef(valuesOf(a), [5, 7], valuesOf(u), [7, 1]),
    "a·u",
    GEMM_TOL,
  );
  assertClose(
    dot(u, w),
    [],
    [fsum(valuesOf(u).map((x, i) => x * valuesOf(w)[i]))],
    "u·w",
    GEMM_TOL,
  );
  assertClose(
    matmul(xs, u),
    [2, 4],
    matmulRef(valuesOf(xs), [8, 7], valuesOf(u), [7, 1]),
    "xs·u",
    GEMM_TOL,
  );
  // a view: xs[:, t, :]·W without a copy; and W·viewᵀ
  const x3 = timestep(xs, 3);
  assertClose(
    matmul(x3, b),
    [2, 3],
    matmulRef(valuesOf(x3), [2, 7], valuesOf(b), [7, 3]),
    "view·b",
    GEMM_TOL,
  );
  const rT = matmulRef(valuesOf(bt), [3, 7], valuesOf(x3), [2, 7], false, true);
  assertClose(matmul(bt, x3, { transB: true }), [3, 2], rT, "b·viewᵀ", GEMM_TOL);
  // empty sizes
  assertEquals(matmul(zeros([2, 0]), zeros([0, 3])).toArray(), [[0, 0, 0], [0, 0, 0]]);
  assertEquals(matmul(zeros([0, 4]), zeros([4, 3])).shape, [0, 3]);
  // dot is matmul
  assertEquals(dot(a, b).toArray(), matmul(a, b).toArray());
});

Deno.test("matmul names mismatched shapes", () => {
  assertThrows(
    () => matmul(zeros([2, 3]), zeros([4, 5])),
    "matmul: a is [2,3] and b is [4,5]: the inner sizes 3 and 4 differ",
  );
  assertThrows(
    () => matmul(zeros([2, 3]), zeros([3, 2]), { transB: true }),
    "matmul: a is [2,3] and b is [3,2] (transposed: [2,3]): the inner sizes 3 and 2 differ",
  );
  assertThrows(
    () => matmul(zeros([2, 3, 4]), zeros([2, 4, 5])),
    "b is [2,4,5], expected a 2-D matrix or a 1-D vector",
  );
  assertThrows(() => matmul(tensor(2), zeros([2, 2])), "both need at least 1 axis");
  assertThrows(
    () => matmul(zeros([2, 3, 4]), zeros([2, 4]), { transA: true }),
    "transA needs a 2-D a",
  );
  assertThrows(() => matmul(zeros([3, 4]), zeros([4]), { transB: true }), "transB needs a 2-D b");
});

// ---- softmax ------------------------------------------------------------------------------

function softmaxRef(v: number[], cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < v.length / cols; r++) {
    const row = v.slice(r * cols, (r + 1) * cols), m = Math.max(...row);
    const e = row.map((x) => Math.exp(x - m)), s = fsum(e);
    out.push(...e.map((x) => x / s));
  }
  return out;
}

Deno.test("softmax over the last axis against float64, on tensors and views", () => {
  const x = mul(random([2, 3, 6]), 4);
  const y = softmax(x);
  assertClose(y, [2, 3, 6], softmaxRef(valuesOf(x), 6), "softmax", 1e-6);
  assertClose(sum(y, -1), [2, 3], new Array(6).fill(1), "rows sum to 1", 1e-6);
  assertOwn(y, x);
  const v = timestep(x, 1);
  assertClose(softmax(v), [2, 6], softmaxRef(valuesOf(v), 6), "softmax(view)", 1e-6);
  assertClose(softmax(tensor([1000, 1001])), [2], softmaxRef([1000, 1001], 2), "no overflow", 1e-6);
  assertEquals(softmax(tensor([3])).toArray(), [1]);
  assertEquals(softmax(zeros([0, 4])).shape, [0, 4]);
});

// ---- shape ops ----------------------------------------------------------------------------

Deno.test("concat and stack along every axis, with views, against index arithmetic", () => {
  const a = random([2, 3, 4]), b = random([2, 1, 4]), c = random([2, 3, 2]);
  const va = valuesOf(a), vb = valuesOf(b), vc = valuesOf(c);
  const ab = concat([a, b], 1);
  assertEquals(ab.shape, [2, 4, 4]);
  for (let i = 0; i < ab.size; i++) {
    const [n, t, d] = unravel(i, [2, 4, 4]);
    assertEquals(
      ab.data[i],
      t < 3 ? va[ravel([n, t, d], [2, 3, 4])] : vb[ravel([n, 0, d], [2, 1, 4])],
    );
  }
  const ac = concat([a, c], -1); // the last axis: copyRows
  assertEquals(ac.shape, [2, 3, 6]);
  for (let i = 0; i < ac.size; i++) {
    const [n, t, d] = unravel(i, [2, 3, 6]);
    assertEquals(
      ac.data[i],
      d < 4 ? va[ravel([n, t, d], [2, 3, 4])] : vc[ravel([n, t, d - 4], [2, 3, 2])],
    );
  }
  assertEquals(concat([a, a]).shape, [4, 3, 4]);
  assertEquals(Array.from(concat([a, a]).data), [...va, ...va]);
  // hidden states of two steps side by side, from views
  const h0 = timestep(a, 0), h2 = timestep(a, 2);
  const hh = concat([h0, h2], 1);
  assertEquals(
    hh.toArray(),
    [0, 1].map((n) => [...va.slice(n * 12, n * 12 + 4), ...va.slice(n * 12 + 8, n * 12 + 12)]),
  );
  assertEquals(
    concat([h0, h2]).toArray(),
    [...valuesOf(h0), ...valuesOf(h2)].reduce<number[][]>((rows, v, i) => {
      if (i % 4 === 0) rows.push([]);
      rows[rows.length - 1].push(v);
      return rows;
    }, []),
  );
  assertOwn(concat([a]), a);
  assertThrows(
    () => concat([a, c], 0),
    "concat: tensor 1 has shape [2,3,2] and tensor 0 [2,3,4]: all sizes but axis 0 must agree",
  );
  assertThrows(() => concat([]), "concat: expected a non-empty array of tensors");
  assertThrows(() => concat([a, b], 3), "concat: axis 3 is out of bounds for 3 dimensions");

  const s0 = stack([b, b, b]);
  assertEquals(s0.shape, [3, 2, 1, 4]);
  assertEquals(Array.from(s0.data), [...vb, ...vb, ...vb]);
  const s = stack([tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]])], -1);
  assertEquals(s.toArray(), [[[1, 5], [2, 6]], [[3, 7], [4, 8]]]);
  assertEquals(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray(), [[1, 3], [2, 4]]);
  assertThrows(
    () => stack([a, b]),
    "stack: tensor 1 has shape [2,1,4], expected [2,3,4] as tensor 0",
  );
});

Deno.test("repeat, transpose, reshape and copy return new tensors", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  assertEquals(repeat(x, 2, 0).toArray(), [[1, 2, 3], [1, 2, 3], [4, 5, 6], [4, 5, 6]]);
  assertEquals(repeat(x, 3, -1).toArray(), [[1, 1, 1, 2, 2, 2, 3, 3, 3], [
    4,
    4,
    4,
    5,
    5,
    5,
    6,
    6,
    6,
  ]]);
  assertEquals(repeat(x, 2).toArray(), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
  assertEquals(repeat(x, 0, 1).shape, [2, 0]);
  // the book's attention: h.reshape(N, 1, H).repeat(T, axis=1)
  const hr = repeat(x.reshape([2, 1, 3]), 4, 1);
  assertEquals(hr.shape, [2, 4, 3]);
  assertEquals(hr.toArray(), [[[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]], [[4, 5, 6], [4, 5, 6], [
    4,
    5,
    6,
  ], [4, 5, 6]]]);
  assertThrows(() => repeat(x, -1), "repeat: repeats -1 must be an integer >= 0");

  assertEquals(transpose(x).toArray(), [[1, 4], [2, 5], [3, 6]]);
  const y = random([2, 3, 4]), vy = valuesOf(y);
  for (const perm of [[0, 1, 2], [1, 0, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1]]) {
    const t = transpose(y, perm);
    const shape = perm.map((a) => [2, 3, 4][a]);
    assertEquals(t.shape, shape);
    for (let i = 0; i < t.size; i++) {
      const idx = unravel(i, shape), src = new Array<number>(3);
      perm.forEach((a, j) => (src[a] = idx[j]));
      assertEquals(t.data[i], vy[ravel(src, [2, 3, 4])], `transpose ${perm} [${idx}]`);
    }
  }
  assertEquals(transpose(y).shape, [4, 3, 2]);
  assertEquals(transpose(y, [-1, 0, 1]).shape, [4, 2, 3]);
  assertEquals(
    transpose(timestep(y, 1)).toArray(),
    [0, 1, 2, 3].map((d) => [vy[4 + d], vy[16 + d]]),
  );
  assertThrows(
    () => transpose(y, [0, 0, 1]),
    "transpose: axes [0,0,1] is not a permutation of the 3 axes of shape [2,3,4]",
  );
  assertEquals(transpose(tensor(1)).toArray(), 1);

  const r = reshape(x, [3, -1]);
  assertEquals(r.toArray(), [[1, 2], [3, 4], [5, 6]]);
  r.data[0] = 100;
  assertEquals(x.data[0], 1, "reshape copies; tensor.reshape is the view");
  assertEquals(reshape(x, [-1]).shape, [6]);
  assertEquals(reshape(timestep(y, 2), [8]).toArray(), [...vy.slice(8, 12), ...vy.slice(20, 24)]);
  assertThrows(
    () => reshape(x, [4, -1]),
    "reshape: cannot reshape 6 values into shape [4,-1] (from shape [2,3])",
  );
  assertThrows(() => reshape(x, [-1, -1]), "more than one -1");

  const c = copy(x);
  assertEquals(c.toArray(), x.toArray());
  assertOwn(c, x);
  const cv = copy(timestep(y, 0));
  assertEquals(cv.shape, [2, 4]);
  assertEquals(Array.from(cv.data), [...vy.slice(0, 4), ...vy.slice(12, 16)]);
});

// ---- backends -----------------------------------------------------------------------------

Deno.test("ops agree across backends up to float32 rounding", () => {
  const backends = availableBackends();
  const previous = getKernels();
  const xs = random([3, 5, 8]), W = random([8, 6]), b = random([6]);
  const run = () => {
    const h = tanh(add(matmul(xs, W), b));
    return [
      h,
      softmax(h),
      sum(reshape(h, [15, 6]), 0),
      concat([timestep(h, 0), timestep(xs, 1)], -1),
      mul(h, h),
      mul(h, 0.3),
    ];
  };
  try {
    const results = backends.map((name) => {
      setKernels(selectBackend(name));
      return run();
    });
    for (let i = 1; i < results.length; i++) {
      results[i].forEach((t, j) =>
        assertClose(
          t,
          results[0][j].shape,
          Array.from(results[0][j].data),
          `${backends[i]} result ${j}`,
          1e-5,
        )
      );
    }
  } finally {
    setKernels(previous);
  }
});

Deno.test("allclose and arrayEqual: NumPy's tolerances, broadcasting, NaN, views", () => {
  const a = tensor([[1, 2], [3, 4]]);
  assertEquals(allclose(a, tensor([[1, 2], [3, 4 + 3e-5]])), true); // within 1e-5·4 + 1e-8
  assertEquals(allclose(a, tensor([[1, 2], [3, 4 + 5e-5]])), false);
  assertEquals(allclose(a, tensor([1, 2]).reshape([1, 2])), false); // broadcast, row 2 differs
  assertEquals(allclose(tensor([NaN]), tensor([NaN])), false);
  assertEquals(allclose(tensor([0]), tensor([1e-9])), true); // atol
  const xs = tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
  assertEquals(arrayEqual(timestep(xs, 1), tensor([[3, 4], [7, 8]])), true);
  assertEquals(arrayEqual(timestep(xs, 1), tensor([3, 4, 7, 8])), false);
  assertEquals(arrayEqual(tensor([NaN]), tensor([NaN])), false);
});
