/**
 * Resume checks what it is given: a config.json edited after the run started, or a checkpoint
 * copied in from another run, is refused naming the field; a missing or broken config.json is
 * rebuilt from the checkpoint; --save-every given with --resume applies; --stop-after that has
 * already passed trains nothing more; one changed byte of a checkpoint's metadata is refused.
 */

import { main } from "../../scripts/train.ts";
import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { join } from "../../lib/std/path.ts";
import { makeTestDir } from "../_helpers.ts";

function capture() {
  const lines: string[] = [];
  return { lines, io: { log: (l: string) => void lines.push(l) } };
}

const WORDS = ["the", "cat", "sees", "a", "dog", "likes", "my", "friend", "buys", "bread"];

/** A run of 2 epochs stopped after 6 iterations: its folder, and the flags that made it. */
async function stoppedRun(dir: string, name: string, extra: string[] = []) {
  const corpus = join(dir, "corpus.txt");
  const text = Array.from({ length: 120 }, (_, i) => WORDS.slice(i % 5, (i % 5) + 5).join(" "));
  await Deno.writeTextFile(corpus, text.join("\n") + "\n");
  const flags = [
    ..."--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 2 --save-every 0 --quiet".split(" "),
    ...["--corpus", corpus, "--runs-dir", dir, "--name", name, "--stop-after", "6", ...extra],
  ];
  const { lines, io } = capture();
  assertEquals(await main(flags, io), 0, lines.join("\n"));
  return { run: join(dir, name), corpus };
}

const resume = async (run: string, ...more: string[]) => {
  const { lines, io } = capture();
  const code = await main(["--resume", run, "--quiet", ...more], io);
  return { code, out: lines.join("\n") };
};

Deno.test("resume: an edited config.json is refused naming the field and both values", async () => {
  const dir = await makeTestDir();
  try {
    const { run } = await stoppedRun(dir, "r");
    const path = join(run, "config.json");
    const original = await Deno.readTextFile(path);
    for (
      const [key, value] of [["hidden", 16], ["model", "gru"], ["time", 7], ["optimizer", "adam"]]
    ) {
      const edited = { ...JSON.parse(original), [key]: value };
      await Deno.writeTextFile(path, JSON.stringify(edited));
      const { code, out } = await resume(run);
      assertEquals(code, 1, out);
      assertOk(out.includes(`config.json has ${key} = ${JSON.stringify(value)}`), out);
      assertOk(out.includes("but the checkpoint was trained with"), out);
    }
    await Deno.writeTextFile(path, original);
    const { code, out } = await resume(run);
    assertEquals(code, 0, out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resume: a checkpoint copied in from another run (another seed, or the same configuration) is refused by its run id", async () => {
  const dir = await makeTestDir();
  try {
    const { run: a } = await stoppedRun(dir, "a");
    const { run: b } = await stoppedRun(dir, "b", ["--seed", "7"]);
    await Deno.copyFile(join(b, "checkpoint.safetensors"), join(a, "checkpoint.safetensors"));
    let { code, out } = await resume(a);
    assertEquals(code, 1, out);
    assertOk(out.includes("belongs to another run"), out);
    // the same configuration and seed: the checkpoint's run id still tells the runs apart
    const { run: c } = await stoppedRun(dir, "c");
    await Deno.copyFile(join(c, "checkpoint.safetensors"), join(a, "checkpoint.safetensors"));
    ({ code, out } = await resume(a));
    assertEquals(code, 1, out);
    assertOk(out.includes("belongs to another run"), out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resume: a missing, null, empty-object or malformed config.json is rebuilt from the checkpoint", async () => {
  const dir = await makeTestDir();
  try {
    for (const [i, broken] of [undefined, "null", "{}", '{"epochs": "abc"}', "{"].entries()) {
      const { run } = await stoppedRun(dir, `r${i}`);
      const path = join(run, "config.json");
      if (broken === undefined) await Deno.remove(path);
      else await Deno.writeTextFile(path, broken);
      const { code, out } = await resume(run);
      assertEquals(code, 0, `${broken}: ${out}`);
      assertOk(out.includes("the configuration is rebuilt from"), `${broken}: ${out}`);
      const config = JSON.parse(await Deno.readTextFile(path));
      assertEquals(config.hidden, 8);
      assertEquals(config.saiki_run, 1);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resume: --save-every applies and is recorded; a --stop-after already passed trains nothing", async () => {
  const dir = await makeTestDir();
  try {
    const { run } = await stoppedRun(dir, "r");
    const metrics = join(run, "metrics.jsonl");
    const before = await Deno.readTextFile(metrics);
    const ckpt = await Deno.readFile(join(run, "checkpoint.safetensors"));
    let { code, out } = await resume(run, "--stop-after", "6");
    assertEquals(code, 0, out);
    assertEquals(await Deno.readTextFile(metrics), before); // not one iteration more
    assertEquals(await Deno.readFile(join(run, "checkpoint.safetensors")), ckpt);
    ({ code, out } = await resume(run, "--save-every", "3", "--stop-after", "8"));
    assertEquals(code, 0, out);
    const config = JSON.parse(await Deno.readTextFile(join(run, "config.json")));
    assertEquals(config.saveEvery, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resume: a training text that changed since the run began is refused", async () => {
  const dir = await makeTestDir();
  try {
    const { run, corpus } = await stoppedRun(dir, "r");
    const text = await Deno.readTextFile(corpus);
    const lines = text.split("\n"); // two later lines swapped: same words, same vocabulary
    [lines[20], lines[21]] = [lines[21], lines[20]];
    await Deno.writeTextFile(corpus, lines.join("\n"));
    const { code, out } = await resume(run);
    assertEquals(code, 1, out);
    assertOk(out.includes("the training text changed since the run began: it was "), out);
    await Deno.writeTextFile(corpus, text);
    assertEquals((await resume(run)).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
