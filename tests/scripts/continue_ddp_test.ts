/**
 * `examples/torch/continue_ddp.py`: a saiki run exported to PyTorch and continued with
 * `torchrun --nproc_per_node 2` (DistributedDataParallel, gloo, CPU) trains as saiki's own
 * trainer continues the same run — the same batches, state, loss, clipping and update.
 *
 * 1. PTB (its first 5,000 words; the shipped head where PTB is not found), the lstm preset's
 *    settings (lr 20, clip 0.25) on a small LSTM (D = H = 16), batch 16 × 5: saiki trains 3
 *    iterations and stops with a checkpoint, which is exported; the two ranks continue it for
 *    5 iterations (8 rows each, the rows saiki's 2 shards take) while saiki resumes its run
 *    for the same 5. The position recorded (timeIdx, epoch, iter, step) is saiki's exactly;
 *    the per-iteration perplexities and gradient norms agree within 1e-5 relative, and every
 *    parameter within 1e-5 of its tensor's largest |value|. Measured here, on both backends:
 *    parameters 3.4e-7, perplexities and norms 5.8e-7 — float32 roundings (6e-8 each) of sums
 *    taken in other orders, a few steps deep. The mistakes this guards against are far
 *    outside it (measured by breaking the script on purpose): a bias stepped twice (PyTorch's
 *    bias_ih and bias_hh both trained) 0.67 in the parameters, batches read one position off
 *    0.58, no clipping 0.13, the checkpoint's recurrent state dropped 0.38, a loss scaled by
 *    the rank count 0.28; each moves the perplexities or norms by 2e-2 or more.
 * 2. A run on a text of its own with validation and `--decay` (a two-layer tied GRU, the
 *    book's cell, lr 4 with no clipping, so that validation gets worse in epoch 2 and lr goes
 *    to 1), stopped after 5 iterations and continued over its epoch ends to the end of its
 *    3 epochs (55 iterations): the same perplexities, gradient norms and learning rates every
 *    iteration, the same epoch and validation perplexities, the same test perplexity (with
 *    the best parameters), the same last and best parameters, within 1e-4 relative
 *    (measured: 2.2e-6; rounding differences grow from step to step at this learning rate).
 * 3. The DDP output goes back with `import-torch`, and `generate` samples from it. It was written
 *    at iterations 4 and 6 (`--save-every 2`) and at the end; its recurrent state (gathered from
 *    the ranks) is saiki's within 1e-5 of its scale (measured: 5.1e-7; rows out of order: 0.19),
 *    and a DDP run stopped after 2 iterations and continued from its own output for 3 is the
 *    5-iteration run bit for bit (with the state dropped, it is not).
 * 4. A batch that does not split into two equal shards is refused in one line, exit 1: by the
 *    script under torchrun (which then adds its own failure report), and alone with nothing
 *    else when started as `python3 continue_ddp.py … --nproc-per-node 2`. An output that cannot
 *    be written (after training, rank 0's alone) is one line too, and every rank stops.
 *
 * Where python3 lacks torch (with gloo), safetensors or numpy, the tests say so and are ignored.
 */

import { main as trainMain } from "../../scripts/train.ts";
import { main as exportMain } from "../../scripts/export.ts";
import { main as importMain } from "../../scripts/import_torch.ts";
import { main as generateMain } from "../../scripts/generate.ts";
import { loadCheckpoint } from "../../lib/io/checkpoint.ts";
import { ptbHead } from "../../lib/data/ptb_head.ts";
import { fromTorchStateDict } from "../../lib/models/torch_export.ts";
import type { LanguageModel } from "../../lib/models/rnnlm.ts";
import { modelFromCheckpoint } from "../../lib/train/checkpoint.ts";
import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { fromFileUrl, join } from "../../lib/std/path.ts";
import { findEngine, inTestDir, runMain, sharedPtbDir } from "../_helpers.ts";
import { writeCorpus, writeSplits } from "../_corpus.ts";
import { report } from "../models/_interop.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const SCRIPT = join(ROOT, "examples", "torch", "continue_ddp.py");

/**
 * How far the two continuations may drift, relative (see the module doc for what was measured):
 * 5 iterations deep, and 50 iterations deep at a high learning rate without clipping, where
 * rounding differences grow from step to step.
 */
const TOL_SHORT = 1e-5, TOL_LONG = 1e-4;

const TORCH = await findEngine("python3", [
  "-c",
  "import numpy, safetensors, torch, torch.distributed as d; " +
  "assert d.is_available() and d.is_gloo_available(); print(torch.__version__)",
], {
  what: "python3 with torch (with gloo), safetensors and numpy",
  install: "pip install torch safetensors numpy",
  consequence: "the DDP continuation tests are ignored",
});

/** Runs python3 with `args` in the repository; its exit code and output. */
async function python(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command("python3", {
    args,
    cwd: ROOT,
    env: { PYTHONDONTWRITEBYTECODE: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: text(stdout), err: text(stderr) };
}

/** `torchrun --standalone --nproc_per_node 2 continue_ddp.py ARGS` (torchrun as a module). */
function torchrun(args: string[]) {
  return python([
    "-m",
    "torch.distributed.run",
    "--standalone",
    "--nproc_per_node",
    "2",
    SCRIPT,
    ...args,
  ]);
}

/** export and import-torch take an error callback too. */
const quiet = (main: typeof exportMain) => (args: string[], io: { log: (l: string) => void }) =>
  main(args, io, (l) => io.log(l));

// deno-lint-ignore no-explicit-any
type Metric = Record<string, any>;

async function readMetrics(path: string): Promise<Metric[]> {
  return (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
}

/** |a − b| / |b| (0 when both are 0). */
const rel = (a: number, b: number) => a === b ? 0 : Math.abs(a - b) / Math.abs(b);

/**
 * Every metric of kind `kind` saiki wrote after step `after`, against the DDP run's of the
 * same step: the same steps, and `fields` within `tol` relative. Returns the worst.
 */
function compareMetrics(
  saiki: Metric[],
  ddp: Metric[],
  kind: string,
  after: number,
  fields: string[],
  tol: number,
): number {
  const ours = saiki.filter((m) => m.kind === kind && m.step > after);
  const theirs = ddp.filter((m) => m.kind === kind);
  assertEquals(theirs.map((m) => m.step), ours.map((m) => m.step), `${kind} metrics' steps`);
  let worst = 0;
  ours.forEach((m, i) => {
    for (const f of fields) {
      const r = rel(theirs[i][f], m[f]);
      assertOk(
        r <= tol,
        `${kind} ${f} at step ${m.step}: DDP ${theirs[i][f]}, saiki ${m[f]} (relative ${r})`,
      );
      worst = Math.max(worst, r);
    }
  });
  return worst;
}

/**
 * Every parameter of `ddp` within `tol` × (its tensor's largest |value|) of saiki's; returns
 * the largest such relative difference.
 */
function compareParams(
  ddp: LanguageModel,
  saiki: LanguageModel,
  what: string,
  tol: number,
): number {
  assertEquals(ddp.config, saiki.config, `${what}: config`);
  const mine = saiki.namedParams(), theirs = ddp.namedParams();
  let worst = 0;
  for (const [name, p] of Object.entries(mine)) {
    const { diff, scale } = maxDiff(p.data, theirs[name].data);
    assertOk(
      diff <= tol * scale,
      `${what}: ${name} differs by ${diff} (largest |value| ${scale})`,
    );
    worst = Math.max(worst, diff / scale);
  }
  return worst;
}

/** The largest |a[i] − b[i]| and the largest |a[i]|. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; scale: number } {
  let scale = 0, diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return { diff, scale };
}

/** The model a DDP output holds, read as import-torch reads it. */
async function ddpModel(path: string): Promise<LanguageModel> {
  const { tensors, metadata } = await loadCheckpoint(path);
  return fromTorchStateDict(tensors, { metadata, where: path }).model;
}

/** The recurrent state a DDP output records: h and c, (L, N, H) row-major. */
function recurrentState(metadata: Record<string, string>): Record<"h" | "c", Float32Array> {
  const value = JSON.parse(metadata.recurrent_state);
  const floats = (b64: string) => {
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    return new Float32Array(bytes.buffer); // little-endian, as every machine here
  };
  return { h: floats(value.h), c: floats(value.c) };
}

/** The position a checkpoint (or a DDP output) records. */
function position(metadata: Record<string, string>) {
  const { timeIdx, epoch, iter, step } = JSON.parse(metadata.trainer);
  return { timeIdx, epoch, iter, step };
}

Deno.test({
  name: "continue_ddp.py: 2 ranks continue a PTB run as saiki's trainer does; " +
    "import-torch and generate take it back",
  ignore: TORCH === undefined,
  fn: inTestDir(async (dir) => {
    const ptb = sharedPtbDir().found ? sharedPtbDir().dir : undefined;
    let data: string[];
    if (ptb !== undefined) {
      data = ["--data-dir", ptb, "--corpus-size", "5000"];
    } else {
      console.error("note: PTB not found: the run trains on the shipped head of ptb.train.txt");
      const { ids, vocab } = ptbHead();
      const text = Array.from(ids, (id) => vocab.idToWord[id]).join(" ")
        .replaceAll(" <eos> ", "\n").replace(/ ?<eos>$/, "\n");
      await Deno.writeTextFile(join(dir, "head.txt"), text);
      data = ["--corpus", join(dir, "head.txt")];
    }
    const run = join(dir, "lstm");
    await runMain(trainMain, [
      ...["--preset", "lstm", ...data, "--wordvec", "16", "--hidden", "16"],
      ...["--batch", "16", "--time", "5", "--eval-interval", "1", "--save-every", "0"],
      ...["--runs-dir", dir, "--name", "lstm", "--quiet", "--stop-after", "3"],
    ]);
    await runMain(quiet(exportMain), [run, "--to", "torch"]);
    const start = join(dir, "start.safetensors"); // saiki's resume below replaces the checkpoint
    await Deno.copyFile(join(run, "checkpoint.safetensors"), start);
    const out = join(dir, "ddp.safetensors"), metrics = join(dir, "ddp.jsonl");
    const ddp = await torchrun([
      ...[run, "--iters", "5", "--out", out, "--metrics", metrics, "--save-every", "2"],
    ]);
    assertEquals(ddp.code, 0, ddp.out + ddp.err);
    const lines = ddp.out.trim().split("\n");
    assertOk(lines[0].includes("batch 16×5 = 2 ranks × 8 rows"), lines[0]);
    assertOk(lines[1].startsWith(`continuing from ${join(run, "checkpoint.safetensors")}`));
    assertEquals(lines.filter((l) => l.startsWith("| epoch 1 | iter ")).length, 5);
    // --save-every 2: written at iterations 4 and 6 on the way, and at 8, the end
    assertEquals(
      lines.filter((l) => l.startsWith(`wrote ${out} `)).map((l) => l.split(" iteration ")[1]),
      ["4)", "6)", "8); take it back to saiki: deno task import-torch " + out + " --out runs/NAME"],
    );

    // saiki continues its own run for the same 5 iterations
    await runMain(trainMain, ["--resume", run, "--stop-after", "8", "--quiet"]);
    const saikiCkpt = await loadCheckpoint(join(run, "checkpoint.safetensors"));
    const ddpFile = await loadCheckpoint(out);
    assertEquals(position(ddpFile.metadata), position(saikiCkpt.metadata));
    assertEquals(position(ddpFile.metadata).step, 8);
    const worstParam = compareParams(
      await ddpModel(out),
      modelFromCheckpoint(saikiCkpt),
      "PTB LSTM",
      TOL_SHORT,
    );
    const worstMetric = compareMetrics(
      await readMetrics(join(run, "metrics.jsonl")),
      await readMetrics(metrics),
      "train",
      3,
      ["ppl", "grad_norm"],
      TOL_SHORT,
    );
    // the whole batch's recurrent state, every rank's rows in order: saiki's
    const state = recurrentState(ddpFile.metadata);
    let worstState = 0;
    for (const name of ["h", "c"] as const) {
      const ours = saikiCkpt.tensors[`state.${name}1`].data, theirs = state[name];
      assertEquals(theirs.length, ours.length, `state ${name}`);
      const { diff, scale } = maxDiff(ours, theirs);
      assertOk(diff <= TOL_SHORT * scale, `state ${name} differs by ${diff} (scale ${scale})`);
      worstState = Math.max(worstState, diff / scale);
    }
    if (report) {
      console.log(
        `PTB LSTM: params ${worstParam.toExponential(2)}, ppl/norm ` +
          `${worstMetric.toExponential(2)}, state ${worstState.toExponential(2)}`,
      );
    }

    // stopped after 2 iterations and continued from its own output for 3: the same run, bit
    // for bit (the position and the recurrent state are in the file)
    const half = join(dir, "half.safetensors"), again = join(dir, "again.safetensors");
    for (
      const args of [[run, "--checkpoint", start, "--iters", "2", "--out", half], [
        half,
        "--iters",
        "3",
        "--out",
        again,
      ]]
    ) {
      const r = await torchrun(args);
      assertEquals(r.code, 0, r.out + r.err);
      assertOk(!r.out.includes("starts from zeros"), r.out);
    }
    const whole = await loadCheckpoint(out), resumed = await loadCheckpoint(again);
    assertEquals(Object.keys(resumed.tensors).sort(), Object.keys(whole.tensors).sort());
    for (const [name, t] of Object.entries(whole.tensors)) {
      assertEquals(resumed.tensors[name].data, t.data, `${name} after stop and continue`);
    }
    for (const key of ["trainer", "progress", "recurrent_state"]) {
      assertEquals(resumed.metadata[key], whole.metadata[key], key);
    }

    // import-torch takes the output back, generate samples from it
    const back = join(dir, "back");
    await runMain(quiet(importMain), [out, "--out", back]);
    const text: string[] = [];
    const code = await generateMain(
      [back, "--length", "20", "--seed", "1"],
      (t) => void text.push(t),
    );
    assertEquals(code, 0, text.join("\n"));
    assertOk(text.join(" ").trim().split(/\s+/).length >= 10, text.join("\n"));
  }),
});

Deno.test({
  name: "continue_ddp.py: over epoch ends with validation, lr decay and test as saiki's run",
  ignore: TORCH === undefined,
  fn: inTestDir(async (dir) => {
    const run = join(dir, "gru");
    await runMain(trainMain, [
      ...(await writeSplits(dir, [420, 400, 400], 7)),
      ...["--decay", "--model", "gru", "--layers", "2", "--wordvec", "8", "--hidden", "8"],
      ...["--tie", "--dropout", "0", "--batch", "4", "--time", "5", "--lr", "4", "--clip", "0"],
      ...["--epochs", "3", "--eval-interval", "1", "--save-every", "0"],
      ...["--name", "gru", "--quiet", "--stop-after", "5"],
    ]);
    await runMain(quiet(exportMain), [run, "--to", "torch"]);
    const start = join(dir, "start.safetensors"); // saiki's resume below replaces the checkpoint
    await Deno.copyFile(join(run, "checkpoint.safetensors"), start);
    const out = join(dir, "ddp.safetensors"), metrics = join(dir, "ddp.jsonl");
    const ddp = await torchrun([run, "--out", out, "--metrics", metrics]);
    assertEquals(ddp.code, 0, ddp.out + ddp.err);
    await runMain(trainMain, ["--resume", run, "--quiet"]);

    const saiki = await readMetrics(join(run, "metrics.jsonl"));
    const theirs = await readMetrics(metrics);
    const worst = Math.max(
      compareMetrics(saiki, theirs, "train", 5, ["ppl", "grad_norm", "lr"], TOL_LONG),
      compareMetrics(saiki, theirs, "epoch", 5, ["ppl"], TOL_LONG),
      compareMetrics(saiki, theirs, "valid", 5, ["ppl"], TOL_LONG),
      compareMetrics(saiki, theirs, "test", 5, ["ppl"], TOL_LONG),
    );
    // the run went through its epoch ends: validation got worse once at least, lr ÷ 4
    const lrs = theirs.filter((m) => m.kind === "train").map((m) => m.lr);
    assertOk(lrs[0] === 4 && lrs.at(-1) === 1, `lr ${lrs[0]} → ${lrs.at(-1)}: no decay`);
    assertEquals(theirs.filter((m) => m.kind === "valid").length, 3);
    assertOk(ddp.out.includes("| valid perplexity got worse: lr ÷ 4 → 1"), ddp.out);
    const saikiCkpt = await loadCheckpoint(join(run, "checkpoint.safetensors"));
    const ddpFile = await loadCheckpoint(out);
    assertEquals(position(ddpFile.metadata), position(saikiCkpt.metadata));
    const params = compareParams(
      await ddpModel(out),
      modelFromCheckpoint(saikiCkpt),
      "GRU",
      TOL_LONG,
    );
    const best = compareParams(
      await ddpModel(join(dir, "ddp.best.safetensors")),
      modelFromCheckpoint(await loadCheckpoint(join(run, "best.safetensors"))),
      "GRU best",
      TOL_LONG,
    );
    if (report) {
      console.log(
        `GRU: params ${Math.max(params, best).toExponential(2)}, metrics ` +
          worst.toExponential(2),
      );
    }
  }),
});

Deno.test({
  name: "continue_ddp.py: a batch that 2 ranks cannot split evenly is refused in one line",
  ignore: TORCH === undefined,
  fn: inTestDir(async (dir) => {
    const run = join(dir, "r");
    await runMain(trainMain, [
      ...(await writeCorpus(dir, 600, 3)),
      ...["--model", "lstm", "--wordvec", "8", "--hidden", "8", "--batch", "4", "--time", "5"],
      ...["--name", "r", "--quiet", "--stop-after", "2", "--save-every", "0"],
    ]);
    await runMain(quiet(exportMain), [run, "--to", "torch"]);
    const message = "continue_ddp.py: error: --batch-size 7 does not split into 2 equal " +
      "shards: each of the 2 ranks takes N/2 rows of every batch";
    // under torchrun: the script's line, once, then torchrun's own failure report
    const ranks = await torchrun([run, "--batch-size", "7"]);
    assertOk(ranks.code !== 0, `exit ${ranks.code}`);
    const ours = (ranks.out + ranks.err).split("\n").filter((l) => l.includes("continue_ddp"));
    assertEquals(ours.filter((l) => l.startsWith(message)).length, 1, ranks.err);
    assertOk(!ranks.err.includes('continue_ddp.py", line'), "a traceback of the script");
    // alone, it checks before torchrun starts: that line and nothing else
    const alone = await python([SCRIPT, run, "--nproc-per-node", "2", "--batch-size", "7"]);
    assertEquals(alone.code, 1);
    assertEquals(alone.out, "");
    const errLines = alone.err.trim().split("\n");
    assertEquals(errLines.length, 1, alone.err);
    assertOk(errLines[0].startsWith(message), errLines[0]);
    assertOk(!(await Deno.stat(join(run, "torch-ddp.safetensors")).catch(() => null)));
    if (Deno.build.os !== "linux") return;
    // a write that fails after training (rank 0's alone): one line, every rank stops
    const out = "/proc/saiki-ddp.safetensors"; // the folder exists, nothing can be made in it
    const late = await torchrun([run, "--iters", "1", "--out", out]);
    assertOk(late.code !== 0, `exit ${late.code}`);
    const lines = (late.out + late.err).split("\n").filter((l) => l.includes("continue_ddp"));
    assertEquals(
      lines.filter((l) => l.startsWith(`continue_ddp.py: error: ${out}: cannot write it`)).length,
      1,
      late.err,
    );
    assertOk(!late.err.includes('continue_ddp.py", line'), "a traceback of the script");
  }),
});
