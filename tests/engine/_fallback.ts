/**
 * Runs every wasm kernel on operands too large for the copy-in arena of an unshared memory (as
 * in a browser page without cross-origin isolation), where the backend falls back to the js
 * kernels, and the same call on the js kernels; prints, per case, `"ok"` when the wasm call fell
 * back and left every array (inputs too) and its result bit for bit as the js kernels do, or
 * what differs. Run by kernels_test.ts in a process of its own (it deletes SharedArrayBuffer
 * first). `packB` and `gemmPacked` need their packed operand in the engine's memory: on heap
 * operands that overflow the arena they throw their documented error; in the engine's memory
 * they run, and must equal `gemm`.
 */

// deno-lint-ignore no-explicit-any
delete (globalThis as any).SharedArrayBuffer;

const { jsKernels, selectBackend } = await import("../../lib/engine/kernels.ts");
const { engineHeap } = await import("../../lib/engine/memory.ts");
const { colBlock } = await import("../../lib/engine/views.ts");
const { SaikiError } = await import("../../lib/errors.ts");
const { Rng } = await import("../../lib/random.ts");
const { engineTensor } = await import("../../lib/tensor.ts");
type Kernels = import("../../lib/engine/kernels.ts").Kernels;
type Mat = import("../../lib/engine/views.ts").Mat;
type Vec = import("../../lib/engine/views.ts").Vec;
type Ids = import("../../lib/engine/views.ts").Ids;

// Which js kernels run while a wasm kernel runs: the fallback shows as a call of its namesake.
// (Installed before the wasm kernels are built, so whatever they keep of jsKernels is watched.)
let called: Set<string> | undefined;
const js = jsKernels as unknown as Record<string, unknown>;
for (const [name, f] of Object.entries(js)) {
  if (typeof f !== "function") continue;
  js[name] = function (this: unknown, ...args: unknown[]) {
    called?.add(name);
    return f.apply(this, args);
  };
}
const wasm = selectBackend("wasm");

/** Floats the copy-in arena holds (1 MiB): every case below copies more. */
const ARENA = (1 << 20) / 4;

const rand = (n: number, seed: number) => {
  const a = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) x = (x * 1103515245 + 12345) >>> 0, a[i] = x / 2 ** 32 - 0.5;
  return a;
};
const positive = (n: number, seed: number) => rand(n, seed).map((v) => v + 0.5);
/** `count` ids in `[0, below)`, some repeated. */
const idsOf = (count: number, below: number, seed: number) =>
  Int32Array.from(rand(count, seed), (v) => Math.floor((v + 0.5) * below));

type Arr = Float32Array | Int32Array | Uint32Array;
type Arrays = Record<string, Arr>;

const mat = (data: Float32Array, rows: number, cols: number, off = 0, ld = cols): Mat => ({
  data,
  off,
  rows,
  cols,
  ld,
});
const vec = (data: Float32Array, off = 0, size = data.length - off): Vec => ({ data, off, size });
const ids = (data: Int32Array): Ids => ({ data, off: 0, size: data.length });

/** The first element where two runs differ, or `undefined`. */
function differs(name: string, a: Arr, b: Arr): string | undefined {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) return `${name}[${i}] is ${a[i]} from wasm, ${b[i]} from js`;
  }
  return undefined;
}

const cases: { kernel: string; name: string; result: string }[] = [];
const report = (name: string, result: string) =>
  cases.push({ kernel: name.split(/[ ,]/)[0], name, result });
const thrown = (e: unknown) => `threw ${e instanceof Error ? `${e.name}: ${e.message}` : e}`;

/**
 * Runs `call` with the wasm kernels and with the js kernels, each on its own copy of `init`
 * (heap arrays); records whether the wasm kernel (named by `name`'s first word) fell back, and
 * every array and the result agree bit for bit.
 */
function compare<A extends Arrays>(name: string, init: A, call: (k: Kernels, a: A) => unknown) {
  const kernel = name.split(/[ ,]/)[0];
  const copy = () => Object.fromEntries(Object.entries(init).map(([n, a]) => [n, a.slice()])) as A;
  try {
    const floats = Object.values(init).reduce((s, a) => s + a.length, 0);
    if (floats <= ARENA) throw new Error(`${floats} floats fit the arena: nothing falls back`);
    const w = copy(), j = copy();
    called = new Set();
    const rw = call(wasm, w);
    const fellBack = called.has(kernel);
    called = undefined;
    const rj = call(jsKernels, j);
    const diff = Object.keys(init).map((n) => differs(n, w[n], j[n])).find((d) => d);
    report(
      name,
      !fellBack
        ? "the wasm kernel did not fall back to the js kernel"
        : diff ?? (Object.is(rw, rj) ? "ok" : `returned ${rw} from wasm, ${rj} from js`),
    );
  } catch (e) {
    called = undefined;
    report(name, thrown(e));
  }
}

/** Records `"ok"` when `fn` throws a SaikiError whose message matches `message`. */
function throws(name: string, fn: () => unknown, message: RegExp): void {
  try {
    fn();
    report(name, `did not throw (expected ${message})`);
  } catch (e) {
    const ok = e instanceof SaikiError && message.test(e.message);
    report(name, ok ? "ok" : `${thrown(e)}, expected ${message}`);
  }
}

// ---- GEMM: (300 × 400)·(400 × 500), 1.9 MB of operands on the JS heap ----

{
  const [M, K, N] = [300, 400, 500];
  const A = rand(M * K, 1), B = rand(K * N, 2), C = rand(M * N, 3);
  const mk = (d: Float32Array) => mat(d, M, K), km = (d: Float32Array) => mat(d, K, M);
  const kn = (d: Float32Array) => mat(d, K, N), nk = (d: Float32Array) => mat(d, N, K);
  const mn = (d: Float32Array) => mat(d, M, N);
  const tA = { transA: true }, tB = { transB: true }, acc = { accumulate: true };
  compare("gemm", { A, B, C }, (k, x) => k.gemm(mk(x.A), kn(x.B), mn(x.C)));
  compare("gemm transA", { A, B, C }, (k, x) => k.gemm(km(x.A), kn(x.B), mn(x.C), tA));
  compare("gemm transB", { A, B, C }, (k, x) => k.gemm(mk(x.A), nk(x.B), mn(x.C), tB));
  compare("gemm accumulate", { A, B, C }, (k, x) => k.gemm(mk(x.A), kn(x.B), mn(x.C), acc));
  // into a column block of a wider C (a gate's columns), strided: only the block is written
  const wide = rand(M * (N + 100), 4);
  const block = (d: Float32Array) => colBlock(mat(d, M, N + 100), 60, N);
  compare(
    "gemm, C a column block",
    { A, B, wide },
    (k, x) => k.gemm(mk(x.A), kn(x.B), block(x.wide)),
  );
}

// ---- gemmBatched: attention's products for N = 64, T = 29, H = 256 (hs alone 1.9 MB) ----

{
  const [N, Td, T, H] = [64, 10, 29, 256];
  const hd = rand(N * Td * H, 47), hs = rand(N * T * H, 48), s = rand(N * Td * T, 49);
  const c = rand(N * Td * H, 50);
  const hsM = (d: Float32Array) => mat(d, N * T, H), sM = (d: Float32Array) => mat(d, N * Td, T);
  const hdM = (d: Float32Array) => mat(d, N * Td, H);
  compare(
    "gemmBatched transB",
    { hd, hs, s },
    (k, x) => k.gemmBatched(hdM(x.hd), hsM(x.hs), sM(x.s), { batch: N, transB: true }),
  );
  compare(
    "gemmBatched",
    { s, hs, c },
    (k, x) => k.gemmBatched(sM(x.s), hsM(x.hs), hdM(x.c), { batch: N }),
  );
  compare(
    "gemmBatched transA accumulate",
    { s, c, hs },
    (k, x) =>
      k.gemmBatched(sM(x.s), hdM(x.c), hsM(x.hs), { batch: N, transA: true, accumulate: true }),
  );
  // a timestep of (N, Td, T) as N one-row blocks, into a column block of (N, 2H) rows
  const wide = rand(N * 2 * H, 51);
  compare("gemmBatched, a timestep as a, c a column block", { s, hs, wide }, (k, x) => {
    const a = mat(x.s, N, T, 3 * T, Td * T), out = colBlock(mat(x.wide, N, 2 * H), H, H);
    k.gemmBatched(a, hsM(x.hs), out, { batch: N });
  });
}

// ---- packB and gemmPacked: their packed operand must be in the engine's memory ----

{
  const [M, K, N] = [300, 400, 700];
  const b = rand(K * N, 5), a = rand(M * K, 6), c = new Float32Array(M * N);
  const packed = engineTensor([wasm.packedSize(K, N)]);
  const heapB = mat(b, K, N), heapA = mat(a, M, K), heapC = mat(c, M, N);
  throws(
    "packB of a heap B larger than the arena",
    () => wasm.packB(heapB, packed),
    /^packB: .*engine's memory/,
  );
  throws(
    "gemmPacked of a heap A and C larger than the arena",
    () => wasm.gemmPacked(heapA, packed, heapC),
    /^gemmPacked: .*engine's memory/,
  );
  // in the engine's memory they run (in place: no fallback) and give gemm's bits
  const B = engineTensor([K, N]), A = engineTensor([M, K]);
  const C1 = engineTensor([M, N]), C2 = engineTensor([M, N]);
  B.data.set(b), A.data.set(a);
  let result;
  try {
    called = new Set();
    wasm.packB(B, packed);
    wasm.gemmPacked(A, packed, C1);
    wasm.gemm(A, B, C2);
    const fell = [...called];
    result = fell.length > 0
      ? `fell back to ${fell.join(", ")} though every operand is in the engine's memory`
      : differs("C", C1.data, C2.data)?.replace("from js", "from gemm") ?? "ok";
  } catch (e) {
    result = thrown(e);
  }
  called = undefined;
  report("packB in the engine's memory, then gemmPacked", result);
  report("gemmPacked in the engine's memory equals gemm", result);
  for (const t of [packed, B, A, C1, C2]) t.block!.free();
}

// ---- rows, vectors ----

{
  const [R, C] = [1100, 300], rc = (d: Float32Array) => mat(d, R, C);
  const x = rand(R * C, 7), bias = rand(C, 8), out = rand(C, 9), acc = { accumulate: true };
  compare("addBias", { bias, x }, (k, a) => k.addBias(vec(a.bias), rc(a.x)));
  compare("sumRows", { x, out }, (k, a) => k.sumRows(rc(a.x), vec(a.out)));
  compare("sumRows accumulate", { x, out }, (k, a) => k.sumRows(rc(a.x), vec(a.out), acc));
  // strided: rows of x, 400 apart, into every other row of y
  const [R2, C2] = [600, 250], y = rand(2 * R2 * C2, 10);
  const from = (d: Float32Array) => mat(d, R2, C2, 5, 400),
    to = (d: Float32Array) => mat(d, R2, C2, 0, 2 * C2);
  compare("copyRows", { x, y }, (k, a) => k.copyRows(from(a.x), to(a.y)));
  compare("copyRows accumulate", { x, y }, (k, a) => k.copyRows(from(a.x), to(a.y), acc));
}
{
  const n = 160_000, x = rand(n, 11), y = rand(n, 12), z = rand(n, 13);
  compare("fill", { x: rand(2 * n, 14) }, (k, a) => k.fill(vec(a.x, 3), -0.25));
  compare("scale", { x, y }, (k, a) => k.scale(vec(a.x), 0.3, vec(a.y)));
  compare("mul", { x, y, z }, (k, a) => k.mul(vec(a.x), vec(a.y), vec(a.z)));
  compare("axpy", { x, y }, (k, a) => k.axpy(0.5, vec(a.x), vec(a.y)));
  compare("sumSquares", { x: rand(2 * n, 15) }, (k, a) => k.sumSquares(vec(a.x)));
}

// ---- tanh, LSTM, GRU ----

{
  const [R, C] = [1100, 300], rc = (d: Float32Array) => mat(d, R, C);
  const x = rand(R * C, 16).map((v) => 6 * v), y = rand(R * C, 17), dy = rand(R * C, 18);
  compare("tanhForward", { x, y }, (k, a) => k.tanhForward(rc(a.x), rc(a.y)));
  const yt = x.map(Math.tanh);
  compare("tanhBackward", { yt, dy, y }, (k, a) => k.tanhBackward(rc(a.yt), rc(a.dy), rc(a.y)));
}
{
  // 400 rows, 256 wide: gates 1.6 MB
  const [n, h] = [400, 256], G = 4 * h;
  const g4 = (d: Float32Array) => mat(d, n, G), nh = (d: Float32Array) => mat(d, n, h);
  const gates = rand(n * G, 19).map((v) => 8 * v), cPrev = rand(n * h, 20);
  const cNext = new Float32Array(n * h), hNext = new Float32Array(n * h);
  compare(
    "lstmForward",
    { gates, cPrev, cNext, hNext },
    (k, a) => k.lstmForward(g4(a.gates), nh(a.cPrev), nh(a.cNext), nh(a.hNext)),
  );
  // two outputs as column blocks of one array: rows [c | h], written back side by side
  const ch = rand(n * 2 * h, 21), c = (d: Float32Array) => colBlock(mat(d, n, 2 * h), 0, h);
  const hh = (d: Float32Array) => colBlock(mat(d, n, 2 * h), h, h);
  compare(
    "lstmForward, cNext and hNext column blocks of one array",
    { gates, cPrev, ch },
    (k, a) => k.lstmForward(g4(a.gates), nh(a.cPrev), c(a.ch), hh(a.ch)),
  );
  const act = gates.map((v, i) =>
    i % G >= h && i % G < 2 * h ? Math.tanh(v) : 1 / (1 + Math.exp(-v))
  );
  const dGates = rand(n * G, 22), dh = rand(n * h, 23), dc = rand(n * h, 24), cN = rand(n * h, 25);
  compare(
    "lstmBackward",
    { act, cPrev, cN, dh, dc, dGates },
    (k, a) => k.lstmBackward(g4(a.act), nh(a.cPrev), nh(a.cN), nh(a.dh), nh(a.dc), g4(a.dGates)),
  );
}
{
  const [n, h] = [400, 256], G = 3 * h;
  const g3 = (d: Float32Array) => mat(d, n, G), nh = (d: Float32Array) => mat(d, n, h);
  const gates = rand(n * G, 26).map((v) => 8 * v), hPrev = rand(n * h, 27), out = rand(n * h, 28);
  compare(
    "gruGates",
    { gates, hPrev, out },
    (k, a) => k.gruGates(g3(a.gates), nh(a.hPrev), nh(a.out)),
  );
  compare(
    "gruOutput",
    { gates, hPrev, out },
    (k, a) => k.gruOutput(g3(a.gates), nh(a.hPrev), nh(a.out)),
  );
  const act = gates.map((v, i) => i % G >= 2 * h ? Math.tanh(v) : 1 / (1 + Math.exp(-v)));
  const dNext = rand(n * h, 29), dGates = rand(n * G, 30);
  // dGates and dhPrev: two row blocks of one array, written back side by side
  const both = rand(n * G + n * h, 31), dhPrev = (d: Float32Array) => mat(d, n, h, n * G);
  compare(
    "gruBackwardZH, dGates and dhPrev in one array",
    { act, hPrev, dNext, both },
    (k, a) => k.gruBackwardZH(g3(a.act), nh(a.hPrev), nh(a.dNext), g3(a.both), dhPrev(a.both)),
  );
  compare(
    "gruBackwardR",
    { act, hPrev, dNext, dGates, out },
    (k, a) => k.gruBackwardR(g3(a.act), nh(a.hPrev), nh(a.dNext), g3(a.dGates), nh(a.out)),
  );
}

// ---- softmax: 300 rows × 1000 classes, every 7th row ignored ----

{
  const [R, C] = [300, 1000], rc = (d: Float32Array) => mat(d, R, C);
  const x = rand(R * C, 32).map((v) => 10 * v), y = new Float32Array(R * C);
  const labels = idsOf(R, C, 33);
  for (let r = 0; r < R; r += 7) labels[r] = -1;
  compare("softmax", { x, y }, (k, a) => k.softmax(rc(a.x), rc(a.y)));
  compare("softmax, y = x", { x }, (k, a) => k.softmax(rc(a.x), rc(a.x)));
  for (const eps of [0, 1e-7]) {
    const o = { ignore: -1, eps };
    compare(
      `softmaxCrossEntropy eps = ${eps}`,
      { x, labels, y },
      (k, a) => k.softmaxCrossEntropy(rc(a.x), ids(a.labels), rc(a.y), o),
    );
    compare(
      `softmaxCrossEntropy eps = ${eps}, y = x`,
      { x, labels },
      (k, a) => k.softmaxCrossEntropy(rc(a.x), ids(a.labels), rc(a.x), o),
    );
  }
  const p = positive(R * C, 34), dx = rand(R * C, 35), o = { ignore: -1, scale: 1 / 300 };
  compare(
    "softmaxCrossEntropyBackward",
    { p, labels, dx },
    (k, a) => k.softmaxCrossEntropyBackward(rc(a.p), ids(a.labels), rc(a.dx), o),
  );
  compare(
    "softmaxBackward",
    { p, dout: rand(R * C, 36), dx },
    (k, a) => k.softmaxBackward(rc(a.p), rc(a.dout), rc(a.dx)),
  );
}

// ---- embedding: W of 1000 × 300, 500 rows of ids (repeated ones too) ----

{
  const [V, D, R] = [1000, 300, 500], vd = (d: Float32Array) => mat(d, V, D);
  const W = rand(V * D, 37), out = rand(R * D, 38), rows = idsOf(R, V, 39);
  rows[5] = rows[9] = rows[100] = 7;
  compare("gather", { rows, W, out }, (k, a) => k.gather(ids(a.rows), vd(a.W), mat(a.out, R, D)));
  compare(
    "scatterAdd",
    { rows, out, W },
    (k, a) => k.scatterAdd(ids(a.rows), mat(a.out, R, D), vd(a.W)),
  );
}

// ---- dropout and the optimizers: 150,000 values ----

{
  const n = 150_000, x = rand(n, 40);
  const lo = (d: Float32Array) => vec(d, 0, n), hi = (d: Float32Array) => vec(d, n, n);
  // mask and out: the two halves of one array
  const maskOut = rand(2 * n, 41), state = new Rng(42).words().slice();
  compare("dropout, mask and out halves of one array", { x, maskOut, state }, (k, a) => {
    const options = { ratio: 0.3, keep: 1 / 0.7, state: a.state };
    k.dropout(vec(a.x), lo(a.maskOut), hi(a.maskOut), options);
  });
  const p = rand(n, 43), g = rand(n, 44), v = rand(n, 45), h = positive(n, 46);
  const sgd = { lr: 0.01 }, mom = { lr: 0.01, momentum: 0.9 }, rms = { lr: 0.01, decay: 0.99 };
  compare("sgd", { p, g }, (k, a) => k.sgd(vec(a.p), vec(a.g), sgd));
  compare("momentum", { p, g, v }, (k, a) => k.momentum(vec(a.p), vec(a.g), vec(a.v), mom));
  compare("nesterov", { p, g, v }, (k, a) => k.nesterov(vec(a.p), vec(a.g), vec(a.v), mom));
  compare("adagrad", { p, g, h }, (k, a) => k.adagrad(vec(a.p), vec(a.g), vec(a.h), sgd));
  compare("rmsprop", { p, g, h }, (k, a) => k.rmsprop(vec(a.p), vec(a.g), vec(a.h), rms));
  // m and v: the two halves of one array
  const mv = new Float32Array(2 * n), adam = { lrT: 1e-3, beta1: 0.9, beta2: 0.999 };
  mv.set(v), mv.set(h, n);
  compare(
    "adam, m and v halves of one array",
    { p, g, mv },
    (k, a) => k.adam(vec(a.p), vec(a.g), lo(a.mv), hi(a.mv), adam),
  );
}

console.log(JSON.stringify({ shared: engineHeap().shared, cases }));
