/**
 * Benchmarks: `deno task bench [--quick]`. Measures the kernels (GFLOP/s) and whole language
 * model training iterations (tokens/s) at the shapes of the reference's PTB runs, on the
 * kernels installed now, and prints a table (and JSON with `--json`).
 *
 * @module
 */

import { getKernels } from "../lib/engine/kernels.ts";
import { LanguageModel, type LanguageModelConfig } from "../lib/models/rnnlm.ts";
import { SGD } from "../lib/optimizers.ts";
import { removeDuplicate } from "../lib/params.ts";
import { Rng } from "../lib/random.ts";
import { parseFlags } from "../lib/std/cli.ts";
import { IntTensor } from "../lib/tensor.ts";

const flags = parseFlags(Deno.args, {
  quick: { type: "boolean", help: "shorter runs", default: false },
  json: { type: "boolean", help: "print JSON", default: false },
});
const budget = flags.quick ? 0.4 : 2; // seconds per measurement

/** Runs `fn` repeatedly for about `budget` seconds after a warm-up; seconds per call. */
function time(fn: () => void): number {
  fn();
  fn();
  let reps = 0;
  const start = performance.now();
  while (performance.now() - start < budget * 1000 || reps < 3) {
    fn();
    reps++;
  }
  return (performance.now() - start) / 1000 / reps;
}

const rows: { name: string; value: number; unit: string }[] = [];
const k = getKernels();
const rng = new Rng(0);

const gemms: [string, boolean, boolean, number, number, number][] = [
  ["gemm affine forward  (700×100)·(100×10000)", false, false, 700, 10000, 100],
  ["gemm affine dx       (700×10000)·(10000×100)ᵀ", false, true, 700, 100, 10000],
  ["gemm affine dW       (100×700)ᵀ·(700×10000)", true, false, 100, 10000, 700],
  ["gemm lstm step       (20×100)·(100×400)", false, false, 20, 400, 100],
  ["gemm lstm650 step    (20×650)·(650×2600)", false, false, 20, 2600, 650],
];
for (const [name, tA, tB, m, n, kk] of gemms) {
  const a = rng.randn([m * kk]).data, b = rng.randn([kk * n]).data, c = new Float32Array(m * n);
  const s = time(() =>
    k.gemm(tA, tB, m, n, kk, a, 0, tA ? m : kk, b, 0, tB ? kk : n, c, 0, n, false)
  );
  rows.push({ name, value: (2 * m * n * kk) / s / 1e9, unit: "GFLOP/s" });
}

const models: [string, LanguageModelConfig, number, number][] = [
  [
    "train iteration, lstm preset (V 10000, 100/100, 20×35)",
    {
      vocabSize: 10000,
      wordvecSize: 100,
      hiddenSize: 100,
      cell: "lstm",
      layers: 1,
      dropout: 0,
      tieWeights: false,
    },
    20,
    35,
  ],
  [
    "train iteration, simple preset (V 418, 100/100, 10×5)",
    {
      vocabSize: 418,
      wordvecSize: 100,
      hiddenSize: 100,
      cell: "rnn",
      layers: 1,
      dropout: 0,
      tieWeights: false,
    },
    10,
    5,
  ],
];
if (!flags.quick) {
  models.push([
    "train iteration, better preset (V 10000, 650/650 ×2, 20×35)",
    {
      vocabSize: 10000,
      wordvecSize: 650,
      hiddenSize: 650,
      cell: "lstm",
      layers: 2,
      dropout: 0.5,
      tieWeights: true,
    },
    20,
    35,
  ]);
}
for (const [name, config, N, T] of models) {
  const model = new LanguageModel(config, { rng });
  const optimizer = new SGD(0.1);
  const ids = () =>
    new IntTensor(Int32Array.from({ length: N * T }, () => rng.int(config.vocabSize)), [N, T]);
  const xs = ids(), ts = ids();
  const s = time(() => {
    model.forward(xs, ts);
    model.backward();
    const { params, grads } = removeDuplicate(model.params, model.grads);
    optimizer.update(params, grads);
  });
  rows.push({ name, value: (N * T) / s, unit: "tokens/s" });
}

if (flags.json) {
  console.log(JSON.stringify({ kernels: k.name, rows }, null, 2));
} else {
  console.log(`kernels: ${k.name}`);
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    console.log(`${r.name.padEnd(width)}  ${r.value.toFixed(2).padStart(10)} ${r.unit}`);
  }
}
