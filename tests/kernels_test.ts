import { getKernels, jsKernels, type Kernels, setKernels } from "../lib/kernels.ts";
import { Rng } from "../lib/random.ts";
import { assertEquals, assertOk } from "../lib/std/assert.ts";

const rng = new Rng(21);
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Compares float32 results with float64 references: each value went through one float32
 * rounding of a float64 result (relative 6e-8), and the inputs are float32 exactly, so 1e-6
 * relative (plus 1e-6 absolute for values that cancel) has a wide margin.
 */
function close(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, tol = 1e-6) {
  assertEquals(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    assertOk(
      d <= tol + tol * Math.abs(expected[i]),
      `${label}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

Deno.test("gemm equals a float64 triple loop for every transpose, stride, size and accumulate", () => {
  const k = jsKernels;
  for (
    const [m, n, kk] of [[1, 1, 1], [3, 127, 5], [5, 128, 4], [4, 129, 7], [7, 300, 9], [9, 3, 0]]
  ) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        for (const acc of [false, true]) {
          // A, B, C live inside bigger buffers: offsets and leading dimensions beyond the width
          const lda = (tA ? m : kk) + 3, ldb = (tB ? kk : n) + 2, ldc = n + 5;
          const aOff = 2, bOff = 7, cOff = 4;
          const a = rand(aOff + lda * (tA ? kk : m) + 3), b = rand(bOff + ldb * (tB ? n : kk) + 3);
          const c = rand(cOff + ldc * m + 3), before = c.slice();
          const A = (i: number, p: number) => a[aOff + (tA ? p * lda + i : i * lda + p)];
          const B = (p: number, j: number) => b[bOff + (tB ? j * ldb + p : p * ldb + j)];
          const expected = before.slice();
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let s = 0;
              for (let p = 0; p < kk; p++) s += A(i, p) * B(p, j);
              const at = cOff + i * ldc + j;
              expected[at] = Math.fround((acc ? before[at] : 0) + s);
            }
          }
          k.gemm(tA, tB, m, n, kk, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
          // every element, including those outside C's rows and columns, which must be untouched
          close(c, expected, `gemm m${m} n${n} k${kk} tA${tA} tB${tB} acc${acc}`, 1e-5);
          assertEquals(c[cOff + n], before[cOff + n], "the padding after a row of C is untouched");
        }
      }
    }
  }
});

Deno.test("bias, row sums and row copies", () => {
  const k = jsKernels;
  const x = rand(3 * 6), bias = rand(4);
  const y = x.slice();
  k.addBias(3, 4, bias, 0, y, 1, 6);
  for (let r = 0; r < 3; r++) {
    for (let j = 0; j < 6; j++) {
      const inside = j >= 1 && j < 5;
      assertEquals(y[r * 6 + j], inside ? Math.fround(x[r * 6 + j] + bias[j - 1]) : x[r * 6 + j]);
    }
  }
  const out = new Float32Array([1, 1, 1, 1]);
  k.sumRows(3, 4, x, 1, 6, out, 0, true);
  close(out, [0, 1, 2, 3].map((j) => 1 + x[1 + j] + x[7 + j] + x[13 + j]), "sumRows accumulate");
  const dst = new Float32Array(8);
  k.copyRows(2, 3, x, 0, 6, dst, 1, 4, false);
  assertEquals(Array.from(dst), [0, x[0], x[1], x[2], 0, x[6], x[7], x[8]]);
  k.copyRows(2, 3, x, 0, 6, dst, 1, 4, true);
  assertEquals(dst[1], Math.fround(2 * x[0]));
});

Deno.test("tanh forward and backward", () => {
  const x = rand(10), y = new Float32Array(10), dy = rand(10), dx = new Float32Array(10);
  jsKernels.tanhForward(10, x, 0, y, 0);
  close(y, Array.from(x, Math.tanh), "tanh");
  jsKernels.tanhBackward(10, y, 0, dy, 0, dx, 0);
  close(dx, Array.from(dy, (d, i) => d * (1 - y[i] * y[i])), "tanh backward");
});

Deno.test("the LSTM kernels follow the gate formulas (f, g, i, o) and allow dcPrev to alias dcNext", () => {
  const n = 2, h = 3;
  const pre = rand(n * 4 * h), cPrev = rand(n * h);
  const gates = pre.slice(), c = new Float32Array(n * h), hh = new Float32Array(n * h);
  jsKernels.lstmForward(n, h, gates, 0, cPrev, 0, c, 0, hh, 0);
  const ec: number[] = [], eh: number[] = [];
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < h; j++) {
      const g0 = r * 4 * h;
      const f = sigmoid(pre[g0 + j]), g = Math.tanh(pre[g0 + h + j]);
      const i = sigmoid(pre[g0 + 2 * h + j]), o = sigmoid(pre[g0 + 3 * h + j]);
      ec.push(f * cPrev[r * h + j] + g * i);
      eh.push(o * Math.tanh(ec.at(-1)!));
    }
  }
  close(c, ec, "c");
  close(hh, eh, "h");
  const dh = rand(n * h), dc = rand(n * h), dcCopy = dc.slice();
  const dG = new Float32Array(n * 4 * h), dcPrev = new Float32Array(n * h);
  jsKernels.lstmBackward(n, h, gates, 0, cPrev, 0, c, 0, dh, 0, dc, 0, dG, 0, dcPrev, 0);
  jsKernels.lstmBackward(n, h, gates, 0, cPrev, 0, c, 0, dh, 0, dcCopy, 0, dG, 0, dcCopy, 0);
  assertEquals(Array.from(dcCopy), Array.from(dcPrev), "aliased dcPrev");
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < h; j++) {
      const g0 = r * 4 * h, s = r * h + j;
      const [f, g, i, o] = [0, 1, 2, 3].map((q) => gates[g0 + q * h + j]);
      const tc = Math.tanh(c[s]);
      const ds = dc[s] + dh[s] * o * (1 - tc * tc);
      close([dG[g0 + j], dG[g0 + h + j], dG[g0 + 2 * h + j], dG[g0 + 3 * h + j], dcPrev[s]], [
        ds * cPrev[s] * f * (1 - f),
        ds * i * (1 - g * g),
        ds * g * i * (1 - i),
        dh[s] * tc * o * (1 - o),
        ds * f,
      ], `lstm backward ${r},${j}`);
    }
  }
});

Deno.test("the GRU kernels follow the gate formulas (z, r, ĥ)", () => {
  const n = 2, h = 3;
  const pre = rand(n * 3 * h), hPrev = rand(n * h);
  const gates = pre.slice(), rh = new Float32Array(n * h), hNext = new Float32Array(n * h);
  jsKernels.gruGates(n, h, gates, 0, hPrev, 0, rh, 0);
  jsKernels.gruOutput(n, h, gates, 0, hPrev, 0, hNext, 0);
  const dhNext = rand(n * h), dG = new Float32Array(n * 3 * h), dhPrev = new Float32Array(n * h);
  jsKernels.gruBackwardZH(n, h, gates, 0, hPrev, 0, dhNext, 0, dG, 0, dhPrev, 0);
  const dhr = rand(n * h), afterZH = dhPrev.slice();
  jsKernels.gruBackwardR(n, h, gates, 0, hPrev, 0, dhr, 0, dG, 0, dhPrev, 0);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < h; j++) {
      const g0 = r * 3 * h, s = r * h + j;
      const z = sigmoid(pre[g0 + j]),
        rr = sigmoid(pre[g0 + h + j]),
        hh = Math.tanh(pre[g0 + 2 * h + j]);
      close(
        [gates[g0 + j], gates[g0 + h + j], gates[g0 + 2 * h + j]],
        [z, rr, hh],
        "activated gates",
      );
      close([rh[s], hNext[s]], [rr * hPrev[s], (1 - z) * hPrev[s] + z * hh], "rh, hNext");
      const d = dhNext[s];
      close([dG[g0 + 2 * h + j], dG[g0 + j], afterZH[s]], [
        d * z * (1 - hh * hh),
        d * (hh - hPrev[s]) * z * (1 - z),
        d * (1 - z),
      ], "dĥ, dz, dhPrev");
      close([dhPrev[s], dG[g0 + h + j]], [
        afterZH[s] + rr * dhr[s],
        dhr[s] * hPrev[s] * rr * (1 - rr),
      ], "dhPrev, dr");
    }
  }
});

Deno.test("fused softmax cross-entropy: probabilities, loss, ignored rows, gradient", () => {
  const rows = 3, cols = 5, x = rand(rows * cols), labels = new Int32Array([4, -1, 0]);
  const y = new Float32Array(rows * cols);
  const loss = jsKernels.softmaxCrossEntropy(rows, cols, x, 0, labels, 0, -1, 0, y, 0);
  let expected = 0;
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
    const z = row.reduce((s, v) => s + Math.exp(v), 0);
    close(
      y.subarray(r * cols, (r + 1) * cols),
      row.map((v) => Math.exp(v) / z),
      `softmax row ${r}`,
    );
    if (labels[r] !== -1) expected += Math.log(z) - row[labels[r]];
  }
  close([loss], [expected], "loss");
  // in place (y aliases x) gives the same
  const x2 = x.slice();
  close(
    [jsKernels.softmaxCrossEntropy(rows, cols, x2, 0, labels, 0, -1, 0, x2, 0)],
    [loss],
    "aliased",
  );
  const dx = new Float32Array(rows * cols).fill(9);
  jsKernels.softmaxCrossEntropyBackward(rows, cols, y, 0, labels, 0, -1, 0.5, dx, 0);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const e = labels[r] === -1 ? 0 : 0.5 * (y[r * cols + j] - (j === labels[r] ? 1 : 0));
      close([dx[r * cols + j]], [e], `dx ${r},${j}`);
    }
  }
});

Deno.test("setKernels installs a backend for every layer and returns the previous one", () => {
  let calls = 0;
  const counting: Kernels = {
    ...jsKernels,
    name: "counting",
    gemm(...args) {
      calls++;
      jsKernels.gemm(...args);
    },
  };
  const previous = setKernels(counting);
  try {
    assertEquals(getKernels().name, "counting");
    getKernels().gemm(
      false,
      false,
      1,
      1,
      1,
      new Float32Array([2]),
      0,
      1,
      new Float32Array([3]),
      0,
      1,
      new Float32Array(1),
      0,
      1,
      false,
    );
    assertEquals(calls, 1);
  } finally {
    assertEquals(setKernels(previous).name, "counting");
  }
  assertEquals(getKernels(), jsKernels);
});
