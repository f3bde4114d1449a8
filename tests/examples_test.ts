/**
 * The seed notebooks' ports in `examples/`: each runs as its own process, with only the
 * permissions it needs, exits 0 and prints the figures its notebook prints, and its own
 * loop or cell agrees with saiki's layer.
 */

import { assertEquals, assertOk } from "../lib/std/assert.ts";
import { loadFixture } from "./_helpers.ts";

const ROOT = new URL("../", import.meta.url);

// This deno, where --allow-run names its path; else "deno" from PATH: `--allow-run=deno`
// (deno.json) allows the PATH entry, e.g. /usr/bin/deno, which execPath() gives resolved.
const DENO = Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state ===
    "granted"
  ? Deno.execPath()
  : "deno";

/** Runs `deno run <permissions> examples/<file> <args>` from the repository's root. */
async function run(file: string, permissions: string[] = [], args: string[] = []) {
  const { code, stdout, stderr } = await new Deno.Command(DENO, {
    args: ["run", "--no-prompt", ...permissions, `examples/${file}`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assertEquals(
    code,
    0,
    `${file} ${args.join(" ")} exited ${code}:\n${new TextDecoder().decode(stderr)}`,
  );
  return out;
}

/** The `max |…| = x` lines: every one below 1e-6; returns how many there are. */
function assertMaxDiffs(out: string, count: number): void {
  const diffs = [...out.matchAll(/^max \|.*\| = (\S+)$/gm)];
  assertEquals(diffs.length, count, `expected ${count} "max |…| = x" lines in:\n${out}`);
  for (const [line, x] of diffs) assertOk(Number(x) < 1e-6, `not below 1e-6: ${line}`);
}

/** Every `| epoch N | perplexity X`, in order. */
function perplexities(out: string): number[] {
  return [...out.matchAll(/^\| epoch (\d+) \| perplexity (\S+)$/gm)].map((m, i) => {
    assertEquals(Number(m[1]), i + 1);
    return Number(m[2]);
  });
}

Deno.test("examples/000: the hand-written TimeRNN gives saiki's TimeRNN's hs, dxs and grads", async () => {
  const out = await run("000_time_rnn.ts");
  assertOk(out.startsWith("a=1 b=2 c=3\n"));
  assertOk(out.includes("hs= tensor([[[") && out.includes("dxs= tensor([[["));
  assertOk(out.includes("grads[0] is the same tensor after backward: true"));
  assertMaxDiffs(out, 6);
});

Deno.test("examples/001: the SimpleRNN exercise prints the exercise's last h", async () => {
  const out = await run("001_simple_rnn_exercise.ts");
  const expected: number[] = loadFixture("simple_rnn_exercise").printed_in_exercise;
  const printed = out.match(/^tensor\(\[\[(.*)\]\]\)$/m);
  assertOk(printed, `no tensor([[…]]) line in:\n${out}`);
  const h = printed[1].split(",").map(Number);
  assertEquals(h.length, 4);
  h.forEach((v, i) =>
    assertOk(Math.abs(v - expected[i]) <= 1e-6, `h[${i}] = ${v}, expected ${expected[i]}`)
  );
  assertOk(
    out.includes(`saiki SimpleRNN (float64): [${expected.map((v) => v.toFixed(8)).join(", ")}]`),
  );
  assertMaxDiffs(out, 1);
});

Deno.test({
  name: "examples/002: the RNNLM loop on PTB's first 1,000 words, the book's targets and the typo",
  async fn() {
    const read: string[] = []; // the words ship with saiki: no permission needed
    const book = await run("002_rnnlm_ptb.ts", read, ["--epochs=60"]);
    assertOk(book.includes("corpus size:1000, vocablary_size:418"));
    assertOk(book.includes("ts[(offset + time_idx) % data_size]  (the book's"));
    const V = 418, ppl = perplexities(book);
    assertEquals(ppl.length, 60);
    assertOk(ppl[0] > 0.8 * V && ppl[0] < 1.2 * V, `epoch 1: ${ppl[0]}, expected about ${V}`);
    assertOk(ppl[59] < V / 3, `epoch 60: ${ppl[59]}, expected below ${V / 3}`);

    const typo = await run("002_rnnlm_ptb.ts", read, ["--epochs=5", "--typo"]);
    assertOk(typo.includes("ts[(offset * time_idx) % data_size]  (the notebook's typo"));
    const tp = perplexities(typo); // the notebook printed 277.83, 120.62, 87.50, 73.93, 69.70
    assertEquals(tp.length, 5);
    assertOk(tp[0] < V && tp[4] < V / 3, `--typo: ${tp}`);
  },
});

Deno.test("examples/002 --fixture: the reference trainer's perplexity at every iteration", async () => {
  const out = await run("002_rnnlm_ptb.ts", ["--allow-read=../shared/fixtures/dlfs2"], [
    "--fixture",
  ]);
  assertMaxDiffs(out, 5); // the 5.3 RNN and TimeRNN against saiki's
  assertEquals([...out.matchAll(/^\| iter \d+ \| perplexity/gm)].length, 21);
  const rel = out.match(/^max relative difference from the reference's ppl_list = (\S+)$/m);
  assertOk(rel && Number(rel[1]) < 1e-4, `no agreement within 1e-4 in:\n${out}`);
});

Deno.test("examples/003: the hand-written LSTM cell gives saiki's LSTM's values and gradients", async () => {
  const out = await run("003_lstm_cell.ts");
  assertOk(out.includes("h_next= [") && out.includes("dx= tensor(") && out.includes("dh_prev="));
  assertMaxDiffs(out, 8);
});

Deno.test("examples/004: the RNN cell step by step and the RNN layer agree with saiki's", async () => {
  const out = await run("004_rnn_cell.ts");
  assertOk(out.includes("[ 32, 100 ]") && out.includes("[ 32, 16, 100 ]"));
  assertOk(out.includes("(res == h_next).all(): true"));
  assertOk(out.includes("shape=[32, 100])"), "h_next prints elided, as NumPy does");
  assertMaxDiffs(out, 2);
});
