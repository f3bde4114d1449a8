/**
 * A run folder is one writer's and holds only what saiki wrote: what is reused, what is
 * refused (and left as it was), the lock, names, and I/O errors as one line.
 */

import { checkRunName, MAX_RUN_NAME, RUN_MARKER, RunFolder } from "../../lib/io/run_folder.ts";
import { SaikiError } from "../../lib/errors.ts";
import { join } from "../../lib/std/path.ts";
import { assertEquals, assertOk, assertRejects, assertThrows } from "../../lib/std/assert.ts";
import { makeTestDir } from "../_helpers.ts";

/** The error, checked to be a SaikiError (a clean refusal, not a crash). */
function saiki(e: Error): Error {
  assertOk(e instanceof SaikiError, `expected a SaikiError, got ${e.name}: ${e.message}`);
  return e;
}

/** `ln -s target path` (Deno's own symlink call needs unscoped permissions). */
async function symlink(target: string, path: string): Promise<void> {
  const { code } = await new Deno.Command("ln", { args: ["-s", target, path] }).output();
  assertEquals(code, 0, `ln -s ${target} ${path}`);
}

/** Whether /dev/full (every write fails: no space left on device) is here to test with. */
const DEV_FULL =
  (await new Deno.Command("test", { args: ["-c", "/dev/full"] }).output()).code === 0;
if (!DEV_FULL) console.warn("run_folder_test: no /dev/full here: the full-disk case is ignored");

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("a folder is reused only when it holds nothing but saiki's files, which are cleared", async () => {
  const dir = await makeTestDir();
  try {
    const f = join(dir, "r");
    Deno.mkdirSync(f);
    Deno.writeTextFileSync(join(f, "config.json"), JSON.stringify({ [RUN_MARKER]: 1, seed: 1 }));
    Deno.writeTextFileSync(join(f, "metrics.jsonl"), "{}\n");
    Deno.writeTextFileSync(join(f, "checkpoint.safetensors.tmp-12-ab3f"), "half");
    const { run, reused } = await RunFolder.create(f);
    assertOk(reused);
    assertEquals(names(f), ["metrics.jsonl", "run.lock"]);
    assertEquals(Deno.readTextFileSync(join(f, "metrics.jsonl")), "");
    run.close();
    assertEquals(names(f), ["metrics.jsonl"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a folder with a file saiki did not write is refused and left exactly as it was", async () => {
  const dir = await makeTestDir();
  try {
    const cases: [string, string][] = [
      ["config.json", '{"my": "own settings"}'], // no marker: the user's
      ["notes.txt", "my notes"],
      ["best.safetensors", "best parameters"], // never deleted, even though saiki writes it
    ];
    for (const [name, text] of cases) {
      const f = join(dir, name.replace(".", "-"));
      Deno.mkdirSync(f);
      Deno.writeTextFileSync(join(f, name), text);
      Deno.writeTextFileSync(join(f, "metrics.jsonl"), "x\n");
      const e = saiki(await assertRejects(() => RunFolder.create(f), ""));
      assertOk(e.message.includes(`holds ${name}, which saiki did not write`), e.message);
      assertEquals(names(f), [name, "metrics.jsonl"].sort()); // no lock left behind
      assertEquals(Deno.readTextFileSync(join(f, name)), text);
      assertEquals(Deno.readTextFileSync(join(f, "metrics.jsonl")), "x\n");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run folder is one writer's: a second is refused naming the first; a stale lock needs --break-lock", async () => {
  const dir = await makeTestDir();
  try {
    const f = join(dir, "r");
    const { run } = await RunFolder.create(f);
    const lock = JSON.parse(Deno.readTextFileSync(join(f, "run.lock")));
    assertEquals(lock.pid, Deno.pid);
    let e = saiki(assertThrows(() => new RunFolder(f).lock(), ""));
    assertOk(e.message.includes(`is in use by process ${Deno.pid}`), e.message);
    e = saiki(await assertRejects(() => RunFolder.open(f), ""));
    assertOk(e.message.includes("two runs must not write one folder"), e.message);
    assertEquals(JSON.parse(Deno.readTextFileSync(join(f, "run.lock"))).pid, Deno.pid); // intact
    run.close();
    // a lock file whose process has ended: the system's lock is gone, the file names it
    Deno.writeTextFileSync(join(f, "run.lock"), JSON.stringify({ pid: 2 ** 30, started: "x" }));
    e = saiki(assertThrows(() => new RunFolder(f).lock(), ""));
    assertOk(e.message.includes("has a stale lock: process 1073741824 (since x) ended"), e.message);
    assertOk(e.message.includes("--break-lock"), e.message);
    const again = new RunFolder(f);
    again.lock(true); // --break-lock
    assertEquals(JSON.parse(Deno.readTextFileSync(join(f, "run.lock"))).pid, Deno.pid);
    e = saiki(assertThrows(() => new RunFolder(f).lock(true), "")); // a live holder: never broken
    assertOk(e.message.includes(`is in use by process ${Deno.pid}`), e.message);
    again.close();
    assertEquals(names(f), ["metrics.jsonl"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run names: one non-empty path segment, not . or .., no control characters, bounded", () => {
  assertEquals(checkRunName("lstm-2026"), "lstm-2026");
  for (
    const [name, part] of [
      ["", "--name is empty"],
      ["  ", "--name is empty"],
      [".", "not . or .."],
      ["..", "not . or .."],
      ["a/b", "one folder name"],
      ["../x", "one folder name"],
      ["a\nb", "control character"],
      ["x".repeat(MAX_RUN_NAME + 1), `at most ${MAX_RUN_NAME}`],
    ]
  ) {
    const e = saiki(assertThrows(() => checkRunName(name), ""));
    assertOk(e.message.includes(part), `${JSON.stringify(name)}: ${e.message}`);
  }
});

Deno.test("a name that is a file or a dangling link is refused in one line", async () => {
  const dir = await makeTestDir();
  try {
    Deno.writeTextFileSync(join(dir, "file"), "x");
    let e = saiki(await assertRejects(() => RunFolder.create(join(dir, "file")), ""));
    assertOk(e.message.includes("exists and is not a folder"), e.message);
    await symlink(join(dir, "nowhere"), join(dir, "link"));
    e = saiki(await assertRejects(() => RunFolder.create(join(dir, "link")), ""));
    assertOk(e.message.includes("symbolic link to nothing"), e.message);
    assertEquals(names(dir), ["file", "link"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("metrics: appended whole, flushed, and read back", async () => {
  const dir = await makeTestDir();
  try {
    const { run } = await RunFolder.create(join(dir, "r"));
    run.appendMetric({ kind: "train", step: 1, ppl: 10 });
    run.appendMetric({ kind: "train", step: 2, ppl: 9 });
    run.syncMetrics();
    assertEquals(run.readMetrics().map((m) => m.step), [1, 2]);
    run.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "metrics: an append on a full disk is one line naming the file",
  ignore: !DEV_FULL,
  async fn() {
    const dir = await makeTestDir();
    try {
      const metrics = join(dir, "metrics.jsonl");
      await symlink("/dev/full", metrics); // every write: no space left on device
      // Deno grants /dev/full only to --allow-all: the append runs in a process of its own
      const lib = new URL("../../lib/io/run_folder.ts", import.meta.url).href;
      const script = `import { RunFolder } from ${JSON.stringify(lib)};
        try { new RunFolder(${JSON.stringify(dir)}).appendMetric({ kind: "train", step: 1 }); }
        catch (e) { console.log(e.name + "|" + e.message); }`;
      const { stdout } = await new Deno.Command("deno", { args: ["eval", script] }).output();
      const [name, message] = new TextDecoder().decode(stdout).trim().split("|");
      assertEquals(name, "SaikiError");
      assertOk(message.startsWith(`cannot append to ${metrics}: `), message);
      assertOk(/space/i.test(message) && !message.includes("\n"), message);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("I/O errors around a run folder are one line naming the path: a loop of links, a folder under a file", async () => {
  const dir = await makeTestDir();
  try {
    const f = join(dir, "r");
    Deno.mkdirSync(f);
    const run = new RunFolder(f);
    await symlink(run.checkpointPath, run.checkpointPath); // a link to itself
    let e = saiki(await assertRejects(() => run.hasCheckpoint(), ""));
    assertOk(e.message.startsWith(`cannot look at ${run.checkpointPath}: `), e.message);
    assertOk(!e.message.includes("\n"), e.message);
    Deno.writeTextFileSync(join(dir, "file"), "x");
    e = saiki(await assertRejects(() => RunFolder.create(join(dir, "file", "run")), ""));
    assertOk(e.message.includes(join(dir, "file", "run")), e.message);
    assertOk(!e.message.includes("\n"), e.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("opening a run to resume removes the temporary files a killed run's writes left", async () => {
  const dir = await makeTestDir();
  try {
    const f = join(dir, "r");
    Deno.mkdirSync(f);
    for (const name of ["perplexity.svg.tmp-7-ab12", "checkpoint.safetensors.tmp-7-cd34"]) {
      Deno.writeTextFileSync(join(f, name), "half");
    }
    Deno.writeTextFileSync(join(f, "notes.txt.tmp-7-ef56"), "not saiki's");
    const run = await RunFolder.open(f);
    assertEquals(names(f), ["notes.txt.tmp-7-ef56", "run.lock"]);
    run.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
