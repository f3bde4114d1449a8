/**
 * Benchmarks: `deno task bench [--quick] [--json] [--backend all|js|wasm] [--numpy]`.
 *
 * Per backend: GEMM GFLOP/s at the shapes of the reference's PTB runs (operands in the
 * engine's memory), and training tokens/s of the `lstm` and `better` presets with 1 and 2
 * worker threads (`--workers`; the trainer's own `step()`, shards as `deno task train` cuts
 * them) — each in a fresh `deno` process, so its peak resident memory is its own. With `--numpy` (the
 * default when `python3` has NumPy) the same iterations written the NumPy way
 * (`scripts/bench_numpy.py`) run in the same session as the baseline. Prints a table, or JSON
 * with `--json`. Figures are medians over repeated runs, not pass/fail.
 *
 * @module
 */

import { availableBackends, getKernels, selectBackend, setKernels } from "../lib/engine/kernels.ts";
import { LanguageModel, type LanguageModelConfig } from "../lib/models/rnnlm.ts";
import { presetModel } from "../lib/train/config.ts";
import { SGD } from "../lib/train/optimizers.ts";
import { Rng } from "../lib/random.ts";
import { helpText, parseFlags, UsageError } from "../lib/std/cli.ts";
import { engineTensor, IntTensor } from "../lib/tensor.ts";
import { RnnlmTrainer } from "../lib/train/trainer.ts";

const FLAGS = {
  quick: { type: "boolean", help: "shorter runs; skip the better preset on js", default: false },
  json: { type: "boolean", help: "print JSON instead of the table", default: false },
  backend: {
    type: "string",
    help: "backends to measure",
    default: "all",
    choices: ["all", "js", "wasm"],
  },
  numpy: {
    type: "boolean",
    help: "also run scripts/bench_numpy.py (needs python3 with NumPy)",
    default: true,
  },
  workers: {
    type: "string",
    help: "worker counts to train the presets with on wasm (js: 1 only), comma-separated",
    default: "1,2",
  },
  child: { type: "string", help: "(internal) measure one preset", choices: ["lstm", "better"] },
  help: { type: "boolean", help: "show this help", default: false },
} as const;

const USAGE =
  "deno task bench [--quick] [--json] [--backend all|js|wasm] [--workers 1,2] [--no-numpy]";

/** The presets' models (as `scripts/train.ts` configures them) and their labels. */
const PRESETS: Record<string, { config: LanguageModelConfig; label: string }> = {
  lstm: { label: "lstm preset: Rnnlm V 10000, 100/100, batch 20×35", config: presetModel("lstm") },
  better: {
    label: "better preset: 2×LSTM 650/650, dropout 0.5, tied, batch 20×35",
    config: presetModel("better"),
  },
};
const N = 20, T = 35;

/** GEMM shapes `[label, transA, transB, M, K, N]`: the products of an iteration's passes. */
const GEMMS: [string, boolean, boolean, number, number, number][] = [
  ["affine forward    A·B", false, false, 700, 100, 10000],
  ["affine dx         A·Bᵀ", false, true, 700, 10000, 100],
  ["affine dW         Aᵀ·B", true, false, 100, 700, 10000],
  ["lstm step         A·B", false, false, 20, 100, 400],
  ["lstm650 step      A·B", false, false, 20, 650, 2600],
  ["lstm650 xs·Wx     A·B", false, false, 700, 650, 2600],
  ["lstm650 dxs       A·Bᵀ", false, true, 700, 2600, 650],
  ["lstm650 dWx       Aᵀ·B", true, false, 650, 700, 2600],
  ["                  A·Bᵀ", false, true, 700, 100, 10000],
  ["                  Aᵀ·B", true, false, 700, 100, 10000],
  ["                  A·Bᵀ", false, true, 700, 650, 2600],
  ["                  Aᵀ·B", true, false, 700, 650, 2600],
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Seconds per call of `fn`: the median of calls over about `budget` seconds, after warm-up. */
async function timeCalls(
  fn: () => unknown,
  budget: number,
  warmup = 2,
  minCalls = 3,
): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minCalls || performance.now() - start < budget * 1000) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

async function gemmRate(
  tA: boolean,
  tB: boolean,
  m: number,
  k: number,
  n: number,
  budget: number,
): Promise<number> {
  const rng = new Rng(0);
  // stored as the products read them: `a` (k, m) for Aᵀ, `b` (n, k) for Bᵀ
  const a = engineTensor(tA ? [k, m] : [m, k]), b = engineTensor(tB ? [n, k] : [k, n]);
  const c = engineTensor([m, n]);
  for (const t of [a, b]) t.data.set(rng.randn([t.size]).data);
  const kern = getKernels();
  const s = await timeCalls(() => kern.gemm(a, b, c, { transA: tA, transB: tB }), budget);
  for (const t of [a, b, c]) t.block!.free();
  return (2 * m * n * k) / s / 1e9;
}

/** Peak resident memory of this process in MB (Linux: VmHWM), else the current RSS. */
function peakRssMB(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    if (kb > 0) return kb / 1024;
  } catch {
    // not Linux, or no permission: fall back
  }
  return Deno.memoryUsage().rss / 2 ** 20;
}

/**
 * One preset's training iterations on the current backend, with `workers` threads: the
 * trainer's own `step()` (shards by the batch, as `deno task train` runs them); tokens/s and
 * the peak RSS of the whole process (workers included).
 */
async function trainRate(preset: string, quick: boolean, workers: number) {
  const rng = new Rng(0);
  const { config } = PRESETS[preset];
  const model = new LanguageModel(config, { rng });
  const trainer = new RnnlmTrainer(model, new SGD(20), { workers });
  const xs = IntTensor.engine([N, T]), ts = IntTensor.engine([N, T]);
  for (const t of [xs, ts]) t.data.forEach((_, i) => t.data[i] = rng.int(config.vocabSize));
  const slow = preset === "better" && getKernels().name === "js";
  const budget = (quick ? 2 : 8) * (preset === "better" ? 2 : 1);
  try {
    const s = await timeCalls(
      () => trainer.step(xs, ts, 0.25),
      budget,
      slow ? 1 : 2,
      slow ? 2 : 3,
    );
    const threads = await trainer.threads();
    return { tokensPerSec: (N * T) / s, secondsPerIter: s, peakRssMB: peakRssMB(), threads };
  } finally {
    await trainer.close();
  }
}

async function child(preset: string, backend: string, quick: boolean, workers: number) {
  const result = await trainRate(preset, quick, workers);
  console.log(JSON.stringify({ preset, backend, workers, ...result }));
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  if (out.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

interface TrainResult {
  tokensPerSec: number;
  secondsPerIter: number;
  peakRssMB: number;
  threads: number;
}

async function main(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(args, FLAGS);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}\nusage: ${USAGE}  (--help lists the flags)`);
    return 2;
  }
  if (flags.help) {
    console.log(helpText(USAGE, FLAGS));
    return 0;
  }
  const quick = flags.quick as boolean;
  const workerCounts = String(flags.workers).split(",").map(Number);
  if (workerCounts.some((w) => !Number.isInteger(w) || w < 1)) {
    console.error(`error: --workers ${flags.workers}: expected counts like 1,2`);
    return 2;
  }
  if (flags.child !== undefined) {
    setKernels(selectBackend(flags.backend as "js" | "wasm"));
    await child(flags.child as string, flags.backend as string, quick, workerCounts[0]);
    return 0;
  }
  const wanted = flags.backend === "all" ? availableBackends() : [flags.backend as "js" | "wasm"];
  const names: Record<string, string> = {};
  const gemm: Record<string, number>[] = GEMMS.map(() => ({}));
  const train: Record<string, Record<string, TrainResult>> = { lstm: {}, better: {} };
  const columns: string[] = []; // "<backend> ×<workers>"
  // the child spawns workers from lib/parallel: it may read the library's folder
  const libDir = new URL("../lib", import.meta.url).pathname;
  const progress = (line: string) => flags.json || console.error(line);
  for (const backend of wanted) {
    setKernels(selectBackend(backend));
    const name = names[backend] = getKernels().name;
    progress(`measuring ${name}: GEMM`);
    for (const [i, [, tA, tB, m, k, n]] of GEMMS.entries()) {
      if (backend === "js" && quick && m * k * n > 2e8) continue;
      gemm[i][backend] = await gemmRate(tA, tB, m, k, n, quick ? 0.3 : 1);
    }
    for (const preset of ["lstm", "better"]) {
      if (backend === "js" && quick && preset === "better") continue;
      for (const workers of backend === "js" ? [1] : workerCounts) {
        const column = `${name} ×${workers}`;
        if (!columns.includes(column)) columns.push(column);
        progress(`measuring ${name}: ${preset} preset, ${workers} worker(s)`);
        const out = await run("deno", [
          "run",
          `--allow-read=/proc/self/status,${libDir}`,
          new URL(import.meta.url).pathname,
          "--child",
          preset,
          "--backend",
          backend,
          "--workers",
          String(workers),
          ...(quick ? ["--quick"] : []),
        ]);
        train[preset][column] = JSON.parse(out.trim().split("\n").pop()!);
      }
    }
  }
  // NumPy on one thread (OPENBLAS_NUM_THREADS=1, as saiki here) and with its default threads
  const numpy: Record<string, Record<string, number>> = { lstm: {}, better: {} };
  let numpyVersion: string | undefined;
  if (flags.numpy) {
    const script = new URL("./bench_numpy.py", import.meta.url).pathname;
    numpyRuns: for (const preset of ["lstm", "better"]) {
      if (quick && preset === "better") continue;
      for (const [threads, env] of [["1", { OPENBLAS_NUM_THREADS: "1" }], ["all", {}]] as const) {
        progress(`measuring numpy (${threads} threads): ${preset} preset`);
        try {
          const out = JSON.parse(await run("python3", [script, "--preset", preset, "--json"], env));
          numpy[preset][threads] = out.tokensPerSec;
          numpyVersion = out.numpy;
        } catch (e) {
          progress(
            `numpy baseline skipped: ${(e as Error).message.split("\n").slice(0, 3).join(" ")}`,
          );
          break numpyRuns;
        }
      }
    }
  }

  const report = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: `${Deno.build.os} ${Deno.build.arch}`,
    workers: workerCounts,
    backends: wanted.map((b) => names[b]),
    gemm: GEMMS.map(([label, transA, transB, m, k, n], i) => ({
      label: label.trim(),
      transA,
      transB,
      m,
      k,
      n,
      gflops: Object.fromEntries(Object.entries(gemm[i]).map(([b, v]) => [names[b], v])),
    })),
    train: Object.entries(train).map(([preset, r]) => ({
      preset,
      label: PRESETS[preset].label,
      results: r,
      numpyTokensPerSec: numpy[preset],
    })),
    numpy: numpyVersion,
  };
  if (flags.json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  const cols = wanted.map((b) => names[b]);
  const fmt = (v: number | undefined, digits = 1) => v === undefined ? "—" : v.toFixed(digits);
  const line = (first: string, width: number, cells: string[], cw: number) =>
    console.log(`  ${first.padEnd(width)}${cells.map((c) => c.padStart(cw)).join("")}`);
  console.log(
    `saiki bench — deno ${report.deno} (V8 ${report.v8}), ${report.os}, ` +
      `${navigator.hardwareConcurrency} cores; GEMM on one thread` +
      (numpyVersion ? `; NumPy ${numpyVersion} in the same session` : ""),
  );
  console.log("\nGEMM, GFLOP/s");
  line("M×K×N           product", 44, cols, 14);
  for (const g of report.gemm) {
    line(
      `${`${g.m}×${g.k}×${g.n}`.padEnd(16)}${g.label}`,
      44,
      cols.map((c) => fmt(g.gflops[c])),
      14,
    );
  }
  console.log("\ntraining, tokens/s (peak RSS MB); ×N: N worker threads");
  const np = ["numpy 1 thr", "numpy all"];
  line("preset", 64, [...columns, ...np], 20);
  for (const t of report.train) {
    const cells = columns.map((c) => {
      const r = t.results[c];
      return r ? `${r.tokensPerSec.toFixed(0)} (${r.peakRssMB.toFixed(0)})` : "—";
    });
    const n = t.numpyTokensPerSec;
    line(t.label, 64, [...cells, fmt(n["1"], 0), fmt(n.all, 0)], 20);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
