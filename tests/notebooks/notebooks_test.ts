/**
 * The Jupyter notebooks in `notebooks/`: each runs top to bottom and prints what it should.
 *
 * Two ways of running them:
 *
 * - Through Deno directly (always): a notebook's code cells, in order, become one module under
 *   `tests/.tmp/`, which `deno run` executes under the backend named by `SAIKI_BACKEND`, with
 *   no permission beyond reading that variable. `Deno.jupyter` exists only inside `deno
 *   jupyter`, so the module starts with a stand-in for it (`_jupyter_stub.ts`) whose `display`
 *   checks that it got an SVG and prints one line per chart
 *   (`<display image/svg+xml: 3591 bytes, "title">`).
 * - In Deno's Jupyter kernel (where Python's nbclient is installed): `run_in_kernel.py` has
 *   nbclient start `deno jupyter --kernel` from a kernelspec written under `tests/.tmp/`, one
 *   fresh kernel per notebook, and run every cell; the cells' streams and SVG displays go
 *   through the same checks. Without nbclient the test says so and is ignored, never passing
 *   silently.
 *
 * The checks read the printed lines: shapes, the comparisons with saiki's own layers (below
 * 1e-6), gradient checks (below 1e-2), losses and perplexities below bounds that hold on both
 * backends, and the exercise's fixture-checked digits (001).
 */

import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { fromFileUrl, join } from "../../lib/std/path.ts";
import { loadFixture, makeTestDir } from "../_helpers.ts";
import { displayLine } from "./_jupyter_stub.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const NOTEBOOKS = new URL("../../notebooks/", import.meta.url);
const BACKEND_PRELOAD = fromFileUrl(new URL("../_backend.ts", import.meta.url));

// This deno, where --allow-run names its path; else "deno" from PATH (see examples_test.ts).
const DENO = Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state ===
    "granted"
  ? Deno.execPath()
  : "deno";

/** The notebooks, in order, and what each must print. */
const CHECKS: Record<string, (out: Output) => void> = {
  "000_time_rnn.ipynb": checkTimeRnn,
  "001_simple_rnn.ipynb": checkSimpleRnn,
  "002_rnnlm_ptb.ipynb": checkRnnlm,
  "003_lstm_cell.ipynb": checkLstmCell,
  "004_rnn_cell.ipynb": checkRnnCell,
  "005_lstm_ptb.ipynb": checkLstmPtb,
  "006_seq2seq_addition.ipynb": checkAddition,
  "007_attention_dates.ipynb": checkDates,
};

// ---------------------------------------------------------------------------------------------
// Reading notebooks

interface Cell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: KernelOutput[];
}

/** An output of a code cell, as nbformat stores it (text as a string or a list of lines). */
interface KernelOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
}

interface Notebook {
  cells: Cell[];
  metadata: {
    kernelspec?: { name?: string };
    language_info?: { name?: string };
  };
  nbformat: number;
}

const text = (source: string | string[]) => Array.isArray(source) ? source.join("") : source;

async function readNotebook(name: string): Promise<Notebook> {
  return JSON.parse(await Deno.readTextFile(new URL(name, NOTEBOOKS)));
}

/** What a notebook printed: its stdout, one `<display …>` line per chart in place. */
interface Output {
  name: string;
  text: string;
}

const DISPLAY_LINE = /^<display image\/svg\+xml: (\d+) bytes, "(.*)">$/gm;

/**
 * What a notebook printed in the kernel: its cells' stdout and, in place, a `<display …>`
 * line per SVG chart. Any other output (stderr, an error, a value shown) fails.
 */
function kernelOutput(name: string, cells: { index: number; outputs: KernelOutput[] }[]): Output {
  const lines: string[] = [];
  for (const { index, outputs } of cells) {
    for (const o of outputs) {
      const svg = o.data?.["image/svg+xml"];
      if (o.output_type === "stream" && o.name === "stdout") lines.push(text(o.text ?? ""));
      else if (o.output_type === "display_data" && svg) lines.push(displayLine(text(svg)) + "\n");
      else throw new Error(`${name}: cell ${index} gave ${o.output_type}: ${JSON.stringify(o)}`);
    }
  }
  return { name, text: lines.join("") };
}

/**
 * A notebook's code cells as one module: relative imports made absolute (the module runs from
 * `tests/.tmp/`), preceded (with `stub`) by a stand-in for `Deno.jupyter`. Returns the module
 * and the line where each cell starts, to name the cell an error comes from.
 */
function notebookModule(
  nb: Notebook,
  stub: boolean,
): { code: string; starts: [line: number, cell: number][] } {
  const prelude = [
    `import { jupyter as __jupyter } from "${new URL("_jupyter_stub.ts", import.meta.url).href}";`,
    "const Deno = new Proxy(globalThis.Deno, {",
    '  get: (target, key) => key === "jupyter" ? __jupyter : Reflect.get(target, key),',
    "});",
  ];
  const lines = stub ? [...prelude] : [];
  const starts: [number, number][] = [];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const source = text(cell.source).replace(
      /(\bfrom\s*|\bimport\s*\(\s*|^import\s*)(["'])(\.\.?\/[^"']*)\2/gm,
      (_, lead, quote, spec) => `${lead}${quote}${new URL(spec, NOTEBOOKS).href}${quote}`,
    );
    lines.push(`// ---- cell ${i} ----`);
    starts.push([lines.length + 1, i]);
    lines.push(...source.split("\n"), "");
  });
  return { code: lines.join("\n"), starts };
}

/** Runs a notebook's code cells through `deno run`; fails naming the cell that threw. */
async function runNotebook(name: string): Promise<Output> {
  const nb = await readNotebook(name);
  const { code, starts } = notebookModule(nb, true);
  const dir = await makeTestDir();
  try {
    const file = join(dir, name.replace(/\.ipynb$/, ".ts"));
    await Deno.writeTextFile(file, code);
    const { code: exit, stdout, stderr } = await new Deno.Command(DENO, {
      args: [
        "run",
        "--no-prompt",
        `--preload=${BACKEND_PRELOAD}`,
        "--allow-env=SAIKI_BACKEND",
        file,
      ],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout), err = new TextDecoder().decode(stderr);
    if (exit !== 0) {
      const at = err.match(new RegExp(`${name.replace(/\.ipynb$/, "")}\\.ts:(\\d+):\\d+`));
      const line = at ? Number(at[1]) : NaN;
      const cell = starts.findLast(([start]) => start <= line)?.[1];
      throw new Error(
        `${name}${cell === undefined ? "" : `: cell ${cell}`} failed (exit ${exit}):\n${err}\n` +
          `--- printed before:\n${out}`,
      );
    }
    return { name, text: out };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Checks

/** The line `prefix…` must be printed. */
function printed(out: Output, line: string): void {
  assertOk(
    out.text.split("\n").includes(line),
    `${out.name}: expected the line ${JSON.stringify(line)} in:\n${out.text}`,
  );
}

/** The number after `prefix` on its line (the first such line, or the `which`-th). */
function numberAfter(out: Output, prefix: string, which = 0): number {
  const lines = out.text.split("\n").filter((l) => l.startsWith(prefix));
  assertOk(lines.length > which, `${out.name}: no line starting ${JSON.stringify(prefix)}`);
  const value = Number(lines[which].slice(prefix.length).trim().split(/[\s,%()]/)[0]);
  assertOk(Number.isFinite(value), `${out.name}: no number in ${JSON.stringify(lines[which])}`);
  return value;
}

/** The `max |…| = x` lines (also `max |…| / max |…| = x`): `count` of them, each below `bound`. */
function assertMaxDiffs(out: Output, count: number, bound = 1e-6): void {
  const diffs = [...out.text.matchAll(/^max \|.*\| = (\S+)$/gm)];
  assertEquals(diffs.length, count, `${out.name}: "max |…| = x" lines in:\n${out.text}`);
  for (const [line, x] of diffs) {
    assertOk(Number(x) < bound, `${out.name}: not below ${bound}: ${line}`);
  }
}

/** The `gradient check NAME: max relative error X (…)` lines: `count`, each below 1e-2. */
function assertGradChecks(out: Output, count: number): void {
  const checks = [...out.text.matchAll(/^gradient check (\S+): max relative error (\S+) /gm)];
  assertEquals(checks.length, count, `${out.name}: gradient check lines in:\n${out.text}`);
  for (const [line, , x] of checks) {
    assertOk(Number(x) < 1e-2, `${out.name}: gradient check failed: ${line}`);
  }
}

/** The charts shown, as `[bytes, title]`, in order. */
function displays(out: Output): [number, string][] {
  return [...out.text.matchAll(DISPLAY_LINE)].map((m) => [Number(m[1]), m[2]]);
}

/** `| epoch N | … X` lines: the numbers X after `label`, by epoch. */
function byEpoch(out: Output, label: string): Map<number, number> {
  const re = new RegExp(`^\\| epoch (\\d+) \\|.*?\\b${label} ([-+.\\de]+)`, "gm");
  const m = new Map<number, number>();
  for (const [, epoch, v] of out.text.matchAll(re)) m.set(Number(epoch), Number(v));
  return m;
}

function checkTimeRnn(out: Output): void {
  assertOk(out.text.startsWith("a=1 b=2 c=3\n"), `${out.name} starts:\n${out.text}`);
  printed(out, "grads[0] = tensor([[0., 0., 0., 0., 0.]])");
  printed(out, "hs.shape = [ 4, 5, 5 ]");
  printed(out, "dxs.shape = [ 4, 5, 1 ]");
  assertOk(out.text.includes("hs= tensor([[[") && out.text.includes("dxs= tensor([[["));
  printed(out, "grads[0] is the same tensor after backward: true");
  printed(out, "max |hs - saiki hs| = 0");
  printed(out, "max |dxs - saiki dxs| = 0");
  assertMaxDiffs(out, 6);
}

function checkSimpleRnn(out: Output): void {
  const expected: number[] = loadFixture("simple_rnn_exercise").printed_in_exercise;
  printed(out, "x.shape = [ 1, 3, 2 ]");
  // the float32 h, as the exercise's h to within float32 rounding
  const h = out.text.match(/^tensor\(\[\[(.*)\]\]\)$/m);
  assertOk(h, `${out.name}: no tensor([[…]]) line in:\n${out.text}`);
  const values = h[1].split(",").map(Number);
  assertEquals(values.length, 4);
  values.forEach((v, i) =>
    assertOk(Math.abs(v - expected[i]) <= 1e-6, `h[${i}] = ${v}, expected ${expected[i]}`)
  );
  // float64: the exercise's printed digits exactly
  printed(out, `saiki SimpleRNN (float64): [${expected.map((v) => v.toFixed(8)).join(", ")}]`);
  assertOk(numberAfter(out, "max |h (float32) - h (float64)| =") < 1e-6);
  assertGradChecks(out, 4);
  for (const name of ["dWx", "dWh", "dB"]) {
    assertOk(numberAfter(out, `max |${name} - saiki ${name} (float64)| =`) < 1e-5, name);
  }
  const losses = [0, 5, 10, 15, 20].map((s) => numberAfter(out, `step ${s}: loss`));
  assertOk(losses[0] > 1 && losses[4] < 1e-4, `${out.name}: losses ${losses}`);
}

function checkRnnlm(out: Output): void {
  assertMaxDiffs(out, 4);
  printed(out, "hs.shape = [ 4, 5, 6 ]");
  assertOk(out.text.includes("\n4\n3\n2\n1\n0\n"), `${out.name}: reversed(range(5))`);
  printed(out, "corpus size:1000, vocablary_size:418"); // the seed notebook's line
  assertOk(out.text.includes("first words: <eos> pierre <unk> N years old will join the board"));
  const V = 418, ppl = byEpoch(out, "perplexity");
  assertEquals([...ppl.keys()], [1, 2, 3, 4, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]);
  const first = ppl.get(1)!, last = ppl.get(60)!;
  assertOk(first > 0.8 * V && first < 1.2 * V, `epoch 1: ${first}, expected about ${V}`);
  assertOk(last < V / 4, `epoch 60: ${last}, expected below ${V / 4}`);
  printed(out, "60 epochs of 19 iterations");
  const charts = displays(out);
  assertEquals(charts.map(([, title]) => title), ["SimpleRnnlm on PTB's first 1,000 words"]);
  assertOk(charts[0][0] > 1000);
}

function checkLstmCell(out: Output): void {
  assertOk(out.text.includes("h_next= tensor([[") && out.text.includes("c_next= tensor([["));
  printed(out, "dx.shape = [ 4, 10 ]");
  assertOk(out.text.includes("dx= tensor([[") && out.text.includes("dh_prev= tensor([["));
  assertMaxDiffs(out, 8);
  assertGradChecks(out, 6);
}

function checkRnnCell(out: Output): void {
  for (const line of ["x.shape", "u.shape", "h_next.shape", "h3.shape"]) {
    printed(out, `${line} = [ 32, 100 ]`);
  }
  assertOk(out.text.includes("shape=[32, 100])"), "h_next prints elided, as NumPy does");
  printed(out, "(res == h_next).all(): true");
  printed(out, "max |MyRNN - saiki RNN| = 0");
  assertEquals(out.text.split("\n").filter((l) => l === "hs.shape = [ 32, 16, 100 ]").length, 2);
  assertMaxDiffs(out, 2);
}

function checkLstmPtb(out: Output): void {
  for (const field of ['model: "lstm"', "batch: 20", "time: 35", "lr: 20", "clip: 0.25"]) {
    assertOk(out.text.includes(`  ${field},`), `${out.name}: the preset's ${field}`);
  }
  printed(out, "corpus size: 1000, vocabulary size: 418");
  printed(out, "ids[24:36] = [24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35]");
  printed(out, "words: <eos> pierre <unk> N years old will join the board as a");
  printed(out, "lstm_Wx   [100,400]");
  printed(out, "affine_W  [100,418]");
  const V = 418, ppl = byEpoch(out, "perplexity");
  assertEquals([...ppl.keys()], [1, 2, 3, 5, 10, 15, 20, 25, 30]);
  const first = ppl.get(1)!, last = ppl.get(30)!;
  assertOk(first > 0.9 * V && first < 1.1 * V, `iteration 1: ${first}, expected about ${V}`);
  assertOk(last < V / 2, `iteration 30: ${last}, expected below ${V / 2}`);
  printed(out, "iterations: 30");
  assertEquals(displays(out).map(([, t]) => t), ["Rnnlm (lstm preset) on PTB's first 1,000 words"]);
  const sample = out.text.split("\n").find((l) => l.startsWith("the "));
  assertOk(sample && sample.split(" ").length === 15, `${out.name}: no 15-word sample`);
  assertOk(!/(^| )(<unk>|N)( |$)/.test(sample), `${out.name}: skipped words in ${sample}`);
}

function checkAddition(out: Output): void {
  printed(out, "x_train.shape = [ 900, 7 ]  t_train.shape = [ 900, 5 ]");
  printed(out, "x_test.shape = [ 100, 7 ]  t_test.shape = [ 100, 5 ]");
  printed(out, 'vocabulary (13): "16+75 _920384"');
  printed(out, '"14+228 " fed as " 822+41" → "_242 "'); // the reference's seed-1984 shuffle
  assertOk(out.text.includes("x_train[:3] = IntTensor([[ 5, 11,  8,  8,  2, 12,  0],"));
  printed(out, "decoder.lstm_Wx   [ 80, 256 ]"); // Peeky: [h, embedding] → 4H
  const loss = byEpoch(out, "loss"), acc = byEpoch(out, "val acc");
  assertEquals(loss.size, 15);
  assertEquals(acc.size, 15);
  assertOk(loss.get(1)! > 1.5 && loss.get(15)! < 1, `${out.name}: losses ${[...loss.values()]}`);
  assertOk([...acc.values()].every((a) => a >= 0 && a <= 100));
  assertOk(numberAfter(out, "training accuracy") >= 20, `${out.name}: training accuracy`);
  assertEquals(displays(out).map(([, t]) => t), ["Peeky seq2seq, reversed, 900 questions"]);
  assertEquals([...out.text.matchAll(/^(train|test) Q .{7} T .{4} [☑☒] .{4}$/gm)].length, 6);
  assertOk(/^16\+75 = \d+$/m.test(out.text) && /^52\+607 = \d+$/m.test(out.text));
}

function checkDates(out: Output): void {
  printed(out, "x_train.shape = [ 450, 29 ]  t_train.shape = [ 450, 11 ]");
  printed(out, "x_test.shape = [ 50, 29 ]  t_test.shape = [ 50, 11 ]");
  printed(out, "vocabulary size: 59");
  printed(out, `${"November 3, 1996".padEnd(29)} → 1996-11-03`);
  const loss = byEpoch(out, "loss"), acc = byEpoch(out, "val acc");
  assertEquals(loss.size, 10);
  assertOk(loss.get(1)! > 1 && loss.get(10)! < 0.2, `${out.name}: losses ${[...loss.values()]}`);
  assertOk(acc.get(10)! >= 50, `${out.name}: test accuracy ${acc.get(10)}%, expected >= 50%`);
  assertEquals([...out.text.matchAll(/^Q .{29} T \d{4}-\d\d-\d\d [☑☒] .{10}$/gm)].length, 5);
  const answer = out.text.match(/^september 27, 1994 → (.{10})$/m);
  assertOk(answer, `${out.name}: no answer to "september 27, 1994"`);
  printed(out, "attention.shape = [ 10, 29 ]");
  const charts = displays(out);
  assertEquals(charts.map(([, t]) => t), [
    "attention seq2seq on dates",
    `september 27, 1994 → ${answer[1]}`,
  ]);
}

// ---------------------------------------------------------------------------------------------
// Tests

Deno.test("notebooks/: eight notebooks for Deno's kernel, Japanese with English, outputs saved from a run", async () => {
  const names = [...Deno.readDirSync(NOTEBOOKS)].map((e) => e.name).filter((n) =>
    n.endsWith(".ipynb")
  ).sort();
  assertEquals(names, Object.keys(CHECKS));
  for (const name of names) {
    const nb = await readNotebook(name);
    assertEquals(nb.nbformat, 4, name);
    assertEquals(nb.metadata.kernelspec?.name, "deno", `${name}: kernel`);
    assertEquals(nb.metadata.language_info?.name, "typescript", `${name}: language`);
    const md = nb.cells.filter((c) => c.cell_type === "markdown").map((c) => text(c.source));
    assertOk(/[\u3040-\u30ff\u4e00-\u9fff]/.test(md[0] ?? ""), `${name}: Japanese first`);
    assertOk(/^# .+ \/ [A-Za-z]/.test(md[0]), `${name}: a heading "日本語 / English"`);
    // English beside the Japanese, in italics (deno fmt writes them _…_)
    assertOk(md.some((m) => /^_\S[^]*?\S_$/m.test(m)), `${name}: English in italics`);
    const code = nb.cells.filter((c) => c.cell_type === "code");
    assertOk(text(code[0].source).includes('from "../mod.ts"'), `${name}: imports ../mod.ts`);
    // outputs kept in the file come from one run top to bottom in a fresh kernel
    // (tests/notebooks/run_in_kernel.py --write), and print what the notebook must print
    if (code.some((c) => (c.outputs ?? []).length > 0)) {
      assertEquals(code.map((c) => c.execution_count), code.map((_, i) => i + 1), name);
      const cells = nb.cells.map((c, index) => ({ index, outputs: c.outputs ?? [] }));
      CHECKS[name](kernelOutput(`${name} (its saved outputs)`, cells));
    }
  }
});

Deno.test("notebooks/: the code cells type-check (deno check)", async () => {
  const dir = await makeTestDir();
  try {
    const files: string[] = [];
    for (const name of Object.keys(CHECKS)) {
      const file = join(dir, name.replace(/\.ipynb$/, ".ts"));
      await Deno.writeTextFile(file, notebookModule(await readNotebook(name), false).code);
      files.push(file);
    }
    // --no-config: deno.json excludes tests/.tmp/ from checking
    const { code, stderr } = await new Deno.Command(DENO, {
      args: ["check", "--no-config", "--quiet", ...files],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(code, 0, `deno check failed:\n${new TextDecoder().decode(stderr)}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const [name, check] of Object.entries(CHECKS)) {
  Deno.test(`notebooks/${name} runs top to bottom and prints what it should`, async () => {
    check(await runNotebook(name));
  });
}

// ---------------------------------------------------------------------------------------------
// The same notebooks in Deno's Jupyter kernel, through nbclient

const PYTHON = "python3";

async function nbclientAvailable(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(PYTHON, {
      args: ["-c", "import nbclient, nbformat, jupyter_client"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

const NBCLIENT = await nbclientAvailable();
if (!NBCLIENT) {
  console.error(
    "nbclient not installed: skipped (pip install nbclient nbformat jupyter_client): the " +
      "notebooks' run in Deno's Jupyter kernel is ignored",
  );
}

/** Runs notebooks in the kernel named `deno` and prints one JSON line per notebook. */
const RUN_IN_KERNEL = fromFileUrl(new URL("run_in_kernel.py", import.meta.url));

Deno.test({
  name: "notebooks/ in Deno's Jupyter kernel (nbclient): every cell runs and prints the same",
  ignore: !NBCLIENT,
  async fn() {
    const dir = await makeTestDir();
    try {
      // a kernelspec of this deno, found through JUPYTER_PATH: nothing is installed
      const spec = join(dir, "jupyter", "kernels", "deno");
      await Deno.mkdir(spec, { recursive: true });
      await Deno.writeTextFile(
        join(spec, "kernel.json"),
        JSON.stringify({
          argv: [DENO, "jupyter", "--kernel", "--conn", "{connection_file}"],
          display_name: "Deno",
          language: "typescript",
        }),
      );
      // two processes, each running half the notebooks one after the other, a fresh kernel each
      const names = Object.keys(CHECKS);
      const halves = [names.filter((_, i) => i % 2 === 0), names.filter((_, i) => i % 2 === 1)];
      const runs = await Promise.all(halves.map((half) =>
        new Deno.Command(PYTHON, {
          args: [RUN_IN_KERNEL, ...half.map((name) => fromFileUrl(new URL(name, NOTEBOOKS)))],
          cwd: ROOT,
          env: {
            JUPYTER_PATH: join(dir, "jupyter"),
            JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
            JUPYTER_PLATFORM_DIRS: "1",
            NO_COLOR: "1",
          },
          stdout: "piped",
          stderr: "piped",
        }).output()
      ));
      const results = runs.flatMap(({ code, stdout, stderr }) => {
        assertEquals(code, 0, `nbclient exited ${code}:\n${new TextDecoder().decode(stderr)}`);
        return new TextDecoder().decode(stdout).trim().split("\n").map((l) => JSON.parse(l));
      });
      assertEquals(results.map((r) => r.name).sort(), names);
      for (const { name, error, cells } of results) {
        assertEquals(error, null, `${name} failed in the kernel:\n${error}`);
        CHECKS[name](kernelOutput(`${name} (kernel)`, cells));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
