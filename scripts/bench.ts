/**
 * Benchmarks: `deno task bench [--quick] [--json] [--backend all|js|wasm] [--only …]
 * [--rounds N] [--no-numpy] [--no-torch]`.
 *
 * Per backend: GEMM GFLOP/s at the shapes of the reference's PTB runs (operands in the
 * engine's memory); training tokens/s of the `lstm` and `better` presets (chapter 6, the
 * `RnnlmTrainer`'s `step()`) and questions/s of three sequence-to-sequence workloads with the
 * reference's hyper-parameters (chapters 7–8, the seq2seq `Trainer`'s `step()`: forward,
 * backward, clipping to 5, Adam; batches of 128 random questions of the data sets' shapes):
 * `addition-seq2seq` and `addition-peeky` (`ch07/train_seq2seq.py`) and `date-attention`
 * (`ch08/train.py`). Each training row runs with 1 and 2 worker threads (`--workers`; the
 * batch cut into shards as `deno task train` cuts it), each in a fresh `deno` process, so its
 * peak resident memory is its own. `--only` picks what to measure. With `--numpy` (the
 * default when `python3` has NumPy) the same iterations written the NumPy way
 * (`scripts/bench_numpy.py`; for the seq2seq rows the reference's own classes,
 * `scripts/bench_numpy_seq2seq.py`) run in the same session as the baseline, on 1 thread and
 * on all; with `--torch` (the default when `python3` has PyTorch) the `lstm` and `better`
 * iterations in PyTorch (`scripts/bench_torch.py`) on 1 and 2 threads. `--rounds N` (default
 * 3, with `--quick` 1) measures every system once per row and round, interleaved (saiki, numpy,
 * torch, saiki ×2, …) so that a slow period of the machine hits all of them; the table shows
 * each system's median and min–max over the rounds. A missing peer is named as skipped under
 * the table. The Python peers run twice with `--malloc both` (the default): with glibc's malloc
 * as it comes, which hands large freed arrays back to the kernel and takes page faults to get
 * them again every iteration, and with it tuned to keep them ({@linkcode MALLOC_TUNED}; "malloc
 * tuned" in the table), which is how they run fastest.
 * Prints a table, or JSON with `--json`. Figures are medians, not pass/fail.
 *
 * @module
 */

import { availableBackends, getKernels, selectBackend, setKernels } from "../lib/engine/kernels.ts";
import { LanguageModel, type LanguageModelConfig } from "../lib/models/rnnlm.ts";
import { type Seq2seqConfig, seq2seqModel } from "../lib/models/seq2seq.ts";
import { presetModel } from "../lib/train/config.ts";
import { Adam, SGD } from "../lib/train/optimizers.ts";
import { Rng } from "../lib/random.ts";
import { helpText, parseFlags, UsageError } from "../lib/std/cli.ts";
import { engineTensor, IntTensor } from "../lib/tensor.ts";
import { RnnlmTrainer } from "../lib/train/trainer.ts";
import { Trainer as Seq2seqTrainer } from "../lib/train/seq2seq_trainer.ts";
import { wasmFeatures } from "../lib/engine/wasm/backend.ts";
import { brIf, f32x4, i32, loop, ModuleBuilder, ret, v128 } from "../lib/engine/wasm/emit.ts";
import { madder } from "../lib/engine/wasm/gemm.ts";

const FLAGS = {
  quick: {
    type: "boolean",
    help: "shorter runs; skip the better preset and date-attention on js",
    default: false,
  },
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
  torch: {
    type: "boolean",
    help: "also run scripts/bench_torch.py on the lm rows (needs python3 with PyTorch)",
    default: true,
  },
  malloc: {
    type: "string",
    help: "the Python peers' allocator: glibc's default, tuned to " +
      "keep freed arrays (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_), or both",
    default: "both",
    choices: ["both", "default", "tuned"],
  },
  rounds: {
    type: "string",
    help: "rounds: each measures every system once per row, interleaved (default 3, --quick 1)",
  },
  workers: {
    type: "string",
    help: "worker counts to train with on wasm (js: 1 only), comma-separated",
    default: "1,2",
  },
  only: {
    type: "string",
    help: "what to measure, comma-separated: gemm, lstm, better, addition-seq2seq, " +
      "addition-peeky, date-attention; lm (lstm,better) and seq2seq (the three) stand for " +
      "their groups",
    default: "all",
  },
  child: { type: "string", help: "(internal) measure one training workload, as --only names it" },
  help: { type: "boolean", help: "show this help", default: false },
} as const;

const USAGE = "deno task bench [--quick] [--json] [--backend all|js|wasm] [--workers 1,2] " +
  "[--only gemm,lm,seq2seq] [--rounds N] [--malloc both|default|tuned] [--no-numpy] [--no-torch]";

/** bench_torch.py's exit code when `torch` cannot be imported. */
const TORCH_MISSING = 3;
/** PyTorch's intra-op thread counts on the lm rows. */
const TORCH_THREADS = ["1", "2"];
/**
 * glibc's malloc told to keep what the Python peers free: arrays up to 32 MiB (the `(700,
 * 10000)` scores take 28) come from its heap instead of fresh `mmap`s, and freed memory is not
 * trimmed back to the kernel, so an iteration reuses the last one's pages instead of faulting
 * in new zeroed ones. NumPy and PyTorch ran up to 3× faster with it here (the book's
 * `date-attention` code, whose `(128, 29, 256)` temporaries are freed and faulted in again at
 * every step).
 */
export const MALLOC_TUNED = {
  MALLOC_MMAP_THRESHOLD_: "33554432",
  MALLOC_TRIM_THRESHOLD_: "1073741824",
};

/** What one training row measures: its model, batch and unit. */
type Workload =
  & {
    label: string;
    /** What the rate counts per iteration: tokens (`N×T`) or questions (`N`). */
    unit: "tokens/s" | "questions/s";
    /** Timing budget relative to the others (the slow `better` preset gets more). */
    budgetScale: number;
    /** Skipped on the js backend with `--quick` (seconds per iteration there). */
    slowOnJs: boolean;
    /** NumPy's timed iterations with `--quick` (else bench_numpy.py's default). */
    numpyQuickReps?: number;
  }
  & (
    | { kind: "lm"; config: LanguageModelConfig; N: number; T: number; lr: number; maxGrad: number }
    | {
      kind: "seq2seq";
      config: Seq2seqConfig;
      /** Questions per batch, question width, answer width (with the leading `_`). */
      N: number;
      Tq: number;
      Ta: number;
      maxGrad: number;
    }
  );

/**
 * The training rows: the presets' models (as `scripts/train.ts` configures them), and the
 * seq2seq models with the reference's hyper-parameters (`ch07/train_seq2seq.py`,
 * `ch08/train.py`: batch 128, `Adam()`, `max_grad` 5) on the data sets' shapes.
 */
const WORKLOADS: Record<string, Workload> = {
  lstm: {
    kind: "lm",
    label: "lstm preset: Rnnlm V 10000, 100/100, batch 20×35",
    unit: "tokens/s",
    config: presetModel("lstm"),
    N: 20,
    T: 35,
    lr: 20,
    maxGrad: 0.25,
    budgetScale: 1,
    slowOnJs: false,
  },
  better: {
    kind: "lm",
    label: "better preset: 2×LSTM 650/650, dropout 0.5, tied, batch 20×35",
    unit: "tokens/s",
    config: presetModel("better"),
    N: 20,
    T: 35,
    lr: 20,
    maxGrad: 0.25,
    budgetScale: 2,
    slowOnJs: true,
  },
  "addition-seq2seq": {
    kind: "seq2seq",
    label: "addition-seq2seq: Seq2seq V 13, 16/128, batch 128, 7→5",
    unit: "questions/s",
    config: { model: "seq2seq", vocabSize: 13, wordvecSize: 16, hiddenSize: 128 },
    N: 128,
    Tq: 7,
    Ta: 5,
    maxGrad: 5,
    budgetScale: 1,
    slowOnJs: false,
    numpyQuickReps: 10,
  },
  "addition-peeky": {
    kind: "seq2seq",
    label: "addition-peeky: PeekySeq2seq V 13, 16/128, batch 128, 7→5",
    unit: "questions/s",
    config: { model: "peeky", vocabSize: 13, wordvecSize: 16, hiddenSize: 128 },
    N: 128,
    Tq: 7,
    Ta: 5,
    maxGrad: 5,
    budgetScale: 1,
    slowOnJs: false,
    numpyQuickReps: 10,
  },
  "date-attention": {
    kind: "seq2seq",
    label: "date-attention: AttentionSeq2seq V 59, 16/256, batch 128, 29→11",
    unit: "questions/s",
    config: { model: "attention", vocabSize: 59, wordvecSize: 16, hiddenSize: 256 },
    N: 128,
    Tq: 29,
    Ta: 11,
    maxGrad: 5,
    budgetScale: 1,
    slowOnJs: true,
    numpyQuickReps: 2,
  },
};
/** Names `--only` accepts besides the workloads': GEMM, and the groups. */
const GROUPS: Record<string, string[]> = {
  all: ["gemm", ...Object.keys(WORKLOADS)],
  gemm: ["gemm"],
  lm: ["lstm", "better"],
  seq2seq: ["addition-seq2seq", "addition-peeky", "date-attention"],
};

/** `--only`'s list, groups expanded, in the table's order; undefined names an unknown entry. */
function selection(only: string): { wanted: Set<string>; unknown?: string } {
  const names = new Set<string>();
  for (const raw of only.split(",")) {
    const name = raw.trim();
    const group = GROUPS[name] ?? (name in WORKLOADS ? [name] : undefined);
    if (group === undefined) return { wanted: names, unknown: name };
    for (const n of group) names.add(n);
  }
  return { wanted: new Set(GROUPS.all.filter((n) => names.has(n))) };
}

/** The JSON key of a rate: `tokensPerSec` or `questionsPerSec`. */
const rateKey = (w: Workload) => w.unit === "tokens/s" ? "tokensPerSec" : "questionsPerSec";

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

/**
 * The f32x4 multiply-add peak of one thread, GFLOP/s: a loop of ten independent
 * `relaxed_madd`s (or multiply and add) on registers, no memory — the ceiling the GEMM's
 * micro-kernel works against. Undefined without WebAssembly SIMD.
 */
function fmaPeak(): number | undefined {
  const { simd, relaxed } = wasmFeatures();
  if (!simd) return undefined;
  const ACC = 10, madd = madder(relaxed), mod = new ModuleBuilder();
  mod.func("peak", { n: "i32" }, "f32", (p, f) => {
    const acc = f.locals("v128", ACC), a = f.local("v128"), b = f.local("v128");
    const i = f.local("i32");
    let sum = acc[0].get();
    for (let j = 1; j < ACC; j++) sum = f32x4.add(sum, acc[j].get());
    return [
      a.set(v128.f32(0.5)),
      b.set(v128.f32(0.25)),
      ...acc.map((x, j) => x.set(v128.f32(j))),
      i.set(i32.const(0)),
      loop(
        ...acc.map((x) => x.set(madd(x.get(), a.get(), b.get()))),
        i.inc(1),
        brIf(0, i32.lt_s(i.get(), p.n.get())),
      ),
      ret(f32x4.extract_lane(sum, 0)),
    ];
  });
  const { peak } = new WebAssembly.Instance(new WebAssembly.Module(mod.toBytes()))
    .exports as { peak: (n: number) => number };
  const n = 20_000_000;
  peak(1000);
  let best = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    peak(n);
    best = Math.max(best, (n * ACC * 8) / ((performance.now() - t0) / 1000) / 1e9);
  }
  return best;
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

/** A batch of random ids in `[0, V)` in the engine's memory. */
function randomIds(shape: number[], V: number, rng: Rng): IntTensor {
  const t = IntTensor.engine(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.int(V);
  return t;
}

/**
 * One workload's training iterations on the current backend, with `workers` threads: the
 * trainer's own `step()` (shards by the batch, as `deno task train` runs them); the rate in
 * the workload's unit (tokens/s or questions/s), seconds per iteration, and the peak RSS of
 * the whole process (workers included).
 */
async function trainRate(name: string, quick: boolean, workers: number) {
  const rng = new Rng(0);
  const w = WORKLOADS[name];
  let step: () => Promise<unknown>, trainer: RnnlmTrainer | Seq2seqTrainer, perIter: number;
  if (w.kind === "lm") {
    const model = new LanguageModel(w.config, { rng });
    const lm = trainer = new RnnlmTrainer(model, new SGD(w.lr), { workers });
    const xs = randomIds([w.N, w.T], w.config.vocabSize, rng);
    const ts = randomIds([w.N, w.T], w.config.vocabSize, rng);
    step = () => lm.step(xs, ts, w.maxGrad);
    perIter = w.N * w.T;
  } else {
    const model = seq2seqModel(w.config, { rng });
    const s2s = trainer = new Seq2seqTrainer(model, new Adam(), { workers });
    const xs = randomIds([w.N, w.Tq], w.config.vocabSize, rng);
    const ts = randomIds([w.N, w.Ta], w.config.vocabSize, rng);
    step = () => s2s.step(xs, ts, w.maxGrad);
    perIter = w.N;
  }
  const slow = w.slowOnJs && getKernels().name === "js";
  const budget = (quick ? 2 : 8) * w.budgetScale;
  try {
    const s = await timeCalls(step, budget, slow ? 1 : 2, slow ? 2 : 3);
    const threads = await trainer.threads();
    return { [rateKey(w)]: perIter / s, secondsPerIter: s, peakRssMB: peakRssMB(), threads };
  } finally {
    await trainer.close();
  }
}

async function child(preset: string, backend: string, quick: boolean, workers: number) {
  const result = await trainRate(preset, quick, workers);
  console.log(JSON.stringify({ preset, backend, workers, ...result }));
}

/** Runs `cmd` to its end: its exit code and its output (throws if it cannot start). */
async function runProcess(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const out = await runProcess(cmd, args, env);
  if (out.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${out.stderr}`);
  return out.stdout;
}

interface TrainResult {
  /** For the language-model presets. */
  tokensPerSec?: number;
  /** For the seq2seq workloads. */
  questionsPerSec?: number;
  secondsPerIter: number;
  peakRssMB: number;
  threads: number;
}

/** One peer (NumPy, PyTorch) measurement: the rate in the row's unit, seconds per iteration. */
interface PeerResult {
  rate: number;
  seconds: number;
}

/** A system's rate over the rounds. */
interface Stats {
  median: number;
  min: number;
  max: number;
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
  const { wanted: only, unknown } = selection(String(flags.only));
  if (unknown !== undefined) {
    console.error(
      `error: --only ${flags.only}: unknown ${JSON.stringify(unknown)}, expected some of ` +
        `${[...Object.keys(GROUPS), ...Object.keys(WORKLOADS)].join(", ")}`,
    );
    return 2;
  }
  if (flags.child !== undefined) {
    if (!(String(flags.child) in WORKLOADS)) {
      console.error(`error: --child ${flags.child}: expected one of ${Object.keys(WORKLOADS)}`);
      return 2;
    }
    setKernels(selectBackend(flags.backend as "js" | "wasm"));
    await child(flags.child as string, flags.backend as string, quick, workerCounts[0]);
    return 0;
  }
  const wanted = flags.backend === "all" ? availableBackends() : [flags.backend as "js" | "wasm"];
  const rounds = flags.rounds === undefined ? (quick ? 1 : 3) : Number(flags.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`error: --rounds ${flags.rounds}: expected a count like 3`);
    return 2;
  }
  const names: Record<string, string> = {};
  const gemm: Record<string, number>[] = GEMMS.map(() => ({}));
  const trainNames = Object.keys(WORKLOADS).filter((n) => only.has(n));
  // per row and system, one measurement per round
  const train: Record<string, Record<string, TrainResult[]>> = {};
  const numpy: Record<string, Record<string, PeerResult[]>> = {};
  const torch: Record<string, Record<string, PeerResult[]>> = {};
  for (const n of trainNames) train[n] = {}, numpy[n] = {}, torch[n] = {};
  const columns: string[] = []; // "<backend> ×<workers>"
  // the child spawns workers from lib/parallel: it may read the library's folder
  const libDir = new URL("../lib", import.meta.url).pathname;
  const progress = (line: string) => flags.json || console.error(line);
  const peak = only.has("gemm") && wanted.includes("wasm") ? fmaPeak() : undefined;
  for (const backend of wanted) {
    setKernels(selectBackend(backend));
    const name = names[backend] = getKernels().name;
    if (only.has("gemm")) {
      progress(`measuring ${name}: GEMM`);
      for (const [i, [, tA, tB, m, k, n]] of GEMMS.entries()) {
        if (backend === "js" && quick && m * k * n > 2e8) continue;
        gemm[i][backend] = await gemmRate(tA, tB, m, k, n, quick ? 0.3 : 1);
      }
    }
  }

  // The systems of a row, interleaved (saiki, numpy, torch, saiki ×2, numpy all, torch 2, …) so
  // that a slow period of the machine hits all of them; every round measures each once.
  type Run = { label: string; measure: () => Promise<void> };
  const skipped = new Map<string, string>(); // peer → why
  let numpyVersion: string | undefined, torchVersion: string | undefined;
  const numpyScript = new URL("./bench_numpy.py", import.meta.url).pathname;
  const torchScript = new URL("./bench_torch.py", import.meta.url).pathname;
  /** Runs a peer's script; on failure names the peer as skipped (and stops asking it). */
  const peer = async (
    peerName: "numpy" | "torch",
    args: string[],
    env: Record<string, string>,
  ): Promise<Record<string, unknown> | undefined> => {
    if (skipped.has(peerName)) return undefined;
    let out;
    try {
      out = await runProcess("python3", args, env);
    } catch (e) {
      skipped.set(peerName, `python3 not runnable (${(e as Error).message.split("\n")[0]})`);
      return undefined;
    }
    if (out.code === 0) return JSON.parse(out.stdout.trim().split("\n").pop()!);
    const why = peerName === "torch" && out.code === TORCH_MISSING
      ? "torch not installed"
      : /No module named '?numpy/.test(out.stderr)
      ? "numpy not installed"
      : `${args[0].split("/").pop()} failed (exit ${out.code}): ` +
        out.stderr.trim().split("\n").slice(-2).join(" ");
    skipped.set(peerName, why);
    return undefined;
  };
  const rowRuns = (preset: string): Run[] => {
    const w = WORKLOADS[preset];
    const saiki: Run[] = [], np: Run[] = [], pt: Run[] = [];
    for (const backend of wanted) {
      if (backend === "js" && quick && w.slowOnJs) continue;
      for (const workers of backend === "js" ? [1] : workerCounts) {
        const column = `${names[backend]} ×${workers}`;
        if (!columns.includes(column)) columns.push(column);
        saiki.push({
          label: `saiki ${column}`,
          measure: async () => {
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
            (train[preset][column] ??= []).push(JSON.parse(out.trim().split("\n").pop()!));
          },
        });
      }
    }
    // the Python peers' allocators: as glibc comes, and tuned (see MALLOC_TUNED)
    const mallocs = flags.malloc === "default"
      ? [""]
      : flags.malloc === "tuned"
      ? [" tuned"]
      : ["", " tuned"];
    const mallocEnv = (m: string): Record<string, string> => m ? MALLOC_TUNED : {};
    // NumPy on one thread (OPENBLAS_NUM_THREADS=1, as saiki here) and with its default threads
    if (flags.numpy && !(quick && preset === "better")) {
      const reps = quick && w.numpyQuickReps ? ["--reps", String(w.numpyQuickReps)] : [];
      for (
        const [threads, env] of mallocs.flatMap((m) =>
          [["1" + m, { OPENBLAS_NUM_THREADS: "1", ...mallocEnv(m) }], [
            "all" + m,
            mallocEnv(m),
          ]] as const
        )
      ) {
        np.push({
          label: `numpy ${threads}`,
          measure: async () => {
            const out = await peer(
              "numpy",
              [numpyScript, "--preset", preset, "--json", ...reps],
              env,
            );
            if (!out) return;
            numpyVersion = out.numpy as string;
            (numpy[preset][threads] ??= []).push({
              rate: out[rateKey(w)] as number,
              seconds: out.seconds as number,
            });
          },
        });
      }
    }
    // PyTorch on 1 and 2 intra-op threads, for the language-model rows
    if (flags.torch && w.kind === "lm") {
      for (const [threads, m] of mallocs.flatMap((m) => TORCH_THREADS.map((t) => [t, m]))) {
        pt.push({
          label: `torch ${threads}${m}`,
          measure: async () => {
            const out = await peer("torch", [
              torchScript,
              "--preset",
              preset,
              "--threads",
              threads,
              "--json",
              ...(quick ? ["--quick"] : []),
            ], { OMP_NUM_THREADS: threads, ...mallocEnv(m) });
            if (!out) return;
            torchVersion = out.torch as string;
            (torch[preset][threads + m] ??= []).push({
              rate: out.tokensPerSec as number,
              seconds: out.seconds as number,
            });
          },
        });
      }
    }
    const order: Run[] = [];
    for (let i = 0; i < Math.max(saiki.length, np.length, pt.length); i++) {
      for (const list of [saiki, np, pt]) if (i < list.length) order.push(list[i]);
    }
    return order;
  };
  const plans = trainNames.map((preset) => [preset, rowRuns(preset)] as const);
  for (let r = 0; r < rounds; r++) {
    for (const [preset, runs] of plans) {
      for (const { label, measure } of runs) {
        if (label.startsWith("numpy") && skipped.has("numpy")) continue;
        if (label.startsWith("torch") && skipped.has("torch")) continue;
        progress(`round ${r + 1}/${rounds}: ${preset}, ${label}`);
        await measure();
      }
    }
  }

  const stats = (xs: number[]): Stats | undefined =>
    xs.length ? { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) } : undefined;
  const peerMedians = (per: Record<string, PeerResult[]>, field: "rate" | "seconds") =>
    Object.fromEntries(Object.entries(per).map(([k, v]) => [k, median(v.map((x) => x[field]))]));
  const report = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: `${Deno.build.os} ${Deno.build.arch}`,
    workers: workerCounts,
    rounds,
    only: [...only],
    backends: wanted.map((b) => names[b]),
    /** One thread's f32x4 multiply-add peak on registers (GFLOP/s), with the GEMM rows. */
    fmaPeakGflops: peak,
    gemm: (only.has("gemm") ? GEMMS : []).map(([label, transA, transB, m, k, n], i) => ({
      label: label.trim(),
      transA,
      transB,
      m,
      k,
      n,
      gflops: Object.fromEntries(Object.entries(gemm[i]).map(([b, v]) => [names[b], v])),
    })),
    // per row: its unit; `results` per column holds the medians over the rounds (rate under
    // `tokensPerSec` or `questionsPerSec` as the unit says, seconds per iteration; the highest
    // peak RSS), `rounds` per column every round's measurement; NumPy's medians under
    // `numpyTokensPerSec` or `numpyQuestionsPerSec` ({"1", "all"} threads, with " tuned" for
    // the tuned allocator) and PyTorch's under `torchTokensPerSec` ({"1", "2"} threads, the
    // same), with their seconds per iteration and rounds; `systems` per system ("saiki wasm
    // ×1", "numpy 1", "torch 2 tuned", …) the rate's median, min, max
    train: Object.entries(train).map(([preset, r]) => {
      const w = WORKLOADS[preset], key = rateKey(w);
      const Key = `${key[0].toUpperCase()}${key.slice(1)}`;
      const results = Object.fromEntries(
        Object.entries(r).map(([c, rs]) => [c, {
          [key]: median(rs.map((x) => x[key]!)),
          secondsPerIter: median(rs.map((x) => x.secondsPerIter)),
          peakRssMB: Math.max(...rs.map((x) => x.peakRssMB)),
          threads: rs[0].threads,
        }]),
      );
      const systems: Record<string, Stats & { rounds: number[] }> = {};
      const add = (name: string, xs: number[]) => {
        const s = stats(xs);
        if (s) systems[name] = { ...s, rounds: xs };
      };
      for (const [c, rs] of Object.entries(r)) add(`saiki ${c}`, rs.map((x) => x[key]!));
      for (const [t, rs] of Object.entries(numpy[preset])) add(`numpy ${t}`, rs.map((x) => x.rate));
      for (const [t, rs] of Object.entries(torch[preset])) add(`torch ${t}`, rs.map((x) => x.rate));
      return {
        preset,
        label: w.label,
        unit: w.unit,
        results,
        rounds: r,
        [`numpy${Key}`]: peerMedians(numpy[preset], "rate"),
        numpySecondsPerIter: peerMedians(numpy[preset], "seconds"),
        numpyRounds: numpy[preset],
        ...(w.kind === "lm"
          ? {
            [`torch${Key}`]: peerMedians(torch[preset], "rate"),
            torchSecondsPerIter: peerMedians(torch[preset], "seconds"),
            torchRounds: torch[preset],
          }
          : {}),
        systems,
      };
    }),
    numpy: numpyVersion,
    torch: torchVersion,
    skipped: Object.fromEntries(skipped),
  };
  if (flags.json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  const cols = wanted.map((b) => names[b]);
  const fmt = (v: number | undefined, digits = 1) => v === undefined ? "—" : v.toFixed(digits);
  const line = (first: string, width: number, cells: string[], cw: number) =>
    console.log(`  ${first.padEnd(width)}${cells.map((c) => c.padStart(cw)).join("")}`.trimEnd());
  console.log(
    `saiki bench — deno ${report.deno} (V8 ${report.v8}), ${report.os}, ` +
      `${navigator.hardwareConcurrency} cores; GEMM on one thread` +
      (numpyVersion ? `; NumPy ${numpyVersion}` : "") +
      (torchVersion ? `; PyTorch ${torchVersion}` : "") +
      (numpyVersion || torchVersion ? " in the same session" : ""),
  );
  if (report.gemm.length) {
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
    if (peak !== undefined) {
      console.log(`  f32x4 multiply-add peak, registers only (the wasm ceiling): ${fmt(peak)}`);
    }
  }
  /** "numpy 1 tuned" → "numpy 1 thread, malloc tuned", "torch 2" → "torch 2 threads". */
  const systemName = (s: string) => {
    if (s.startsWith("saiki ")) return s;
    const [peerName, threads, tuned] = s.split(" ");
    const count = threads === "all"
      ? "all threads"
      : `${threads} thread${threads === "1" ? "" : "s"}`;
    return `${peerName} ${count}${tuned ? ", malloc tuned" : ""}`;
  };
  for (const unit of ["tokens/s", "questions/s"]) {
    const rows = report.train.filter((t) => t.unit === unit);
    if (!rows.length) continue;
    console.log(
      `\ntraining, ${unit}: median [min–max] over ${rounds} round${rounds > 1 ? "s" : ""}` +
        ` · ms per iteration (median) · peak RSS MB; ×N: N worker threads`,
    );
    for (const t of rows) {
      console.log(`  ${t.label}`);
      const order = [
        ...columns.map((c) => `saiki ${c}`),
        ...["", " tuned"].flatMap((m) => [
          `numpy 1${m}`,
          `numpy all${m}`,
          ...(WORKLOADS[t.preset].kind === "lm" ? TORCH_THREADS.map((n) => `torch ${n}${m}`) : []),
        ]),
      ];
      for (const s of order) {
        const st = t.systems[s];
        if (!st) continue;
        const [sys, thr] = [s.slice(0, 5), s.slice(6)]; // thr: "wasm ×2", "all tuned", …
        const seconds = sys === "saiki"
          ? t.results[thr]?.secondsPerIter
          : (sys === "numpy" ? numpy : torch)[t.preset][thr]?.length
          ? median((sys === "numpy" ? numpy : torch)[t.preset][thr].map((x) => x.seconds))
          : undefined;
        const rss = sys === "saiki" ? `${fmt(t.results[thr]?.peakRssMB, 0)} MB` : "";
        line(
          `  ${systemName(s)}`,
          34,
          [
            fmt(st.median, 0),
            `[${fmt(st.min, 0)}–${fmt(st.max, 0)}]`,
            `${fmt(seconds === undefined ? undefined : seconds * 1000)} ms`,
            rss,
          ],
          14,
        );
      }
    }
  }
  for (const [peerName, why] of skipped) console.log(`\n${peerName}: skipped: ${why}`);
  if (!flags.torch) console.log("\ntorch: skipped (--no-torch)");
  if (!flags.numpy) console.log("\nnumpy: skipped (--no-numpy)");
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
