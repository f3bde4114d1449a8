/**
 * Runs wasm kernels on operands too large for the copy-in arena of an unshared memory (as in
 * a browser page without cross-origin isolation), where the backend falls back to the js
 * kernels; prints, per kernel, whether its results equal the js kernels' exactly. Run by
 * kernels_test.ts in a process of its own (it deletes SharedArrayBuffer first).
 */

// deno-lint-ignore no-explicit-any
delete (globalThis as any).SharedArrayBuffer;

const { jsKernels, selectBackend } = await import("../../lib/engine/kernels.ts");
const { engineHeap } = await import("../../lib/engine/memory.ts");
const wasm = selectBackend("wasm");
const rand = (n: number, seed: number) => {
  const a = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) x = (x * 1103515245 + 12345) >>> 0, a[i] = x / 2 ** 32 - 0.5;
  return a;
};
const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => Object.is(v, b[i]));
const out: Record<string, boolean> = { shared: engineHeap().shared };

// gemm (600 × 500)·(500 × 400): 2.9 MB of operands on the JS heap
{
  const [M, K, N] = [600, 500, 400];
  const a = rand(M * K, 1), b = rand(K * N, 2), c1 = new Float32Array(M * N), c2 = c1.slice();
  wasm.gemm(false, false, M, N, K, a, 0, K, b, 0, N, c1, 0, N, false);
  jsKernels.gemm(false, false, M, N, K, a, 0, K, b, 0, N, c2, 0, N, false);
  out.gemm = same(c1, c2);
}
// lstmForward over 400 rows × 256 hidden: gates 1.6 MB
{
  const [n, h] = [400, 256];
  const g1 = rand(n * 4 * h, 3), g2 = g1.slice(), cp = rand(n * h, 4);
  const c1 = new Float32Array(n * h), c2 = c1.slice(), h1 = c1.slice(), h2 = c1.slice();
  wasm.lstmForward(n, h, g1, 0, 4 * h, cp, 0, h, c1, 0, h1, 0, h);
  jsKernels.lstmForward(n, h, g2, 0, 4 * h, cp, 0, h, c2, 0, h2, 0, h);
  out.lstmForward = same(g1, g2) && same(c1, c2) && same(h1, h2);
}
// softmaxCrossEntropy over 300 rows × 2000 classes (a returned value)
{
  const [rows, cols] = [300, 2000];
  const xs = rand(rows * cols, 5), labels = Int32Array.from({ length: rows }, (_, i) => i % cols);
  const y1 = new Float32Array(rows * cols), y2 = y1.slice();
  const l1 = wasm.softmaxCrossEntropy(rows, cols, xs, 0, labels, 0, -1, 0, y1, 0);
  const l2 = jsKernels.softmaxCrossEntropy(rows, cols, xs, 0, labels, 0, -1, 0, y2, 0);
  out.softmaxCrossEntropy = l1 === l2 && same(y1, y2);
}
// axpy and sumSquares over 600,000 values
{
  const x = rand(600_000, 6), y1 = rand(600_000, 7), y2 = y1.slice();
  wasm.axpy(x.length, 0.5, x, 0, y1, 0);
  jsKernels.axpy(x.length, 0.5, x, 0, y2, 0);
  out.axpy = same(y1, y2);
  out.sumSquares = wasm.sumSquares(x.length, x, 0) === jsKernels.sumSquares(x.length, x, 0);
}
console.log(JSON.stringify(out));
