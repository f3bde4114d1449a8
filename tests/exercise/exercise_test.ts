/**
 * `deno task exercise`: every model answer passes every check, every untouched skeleton fails
 * naming its methods, answers broken the typical ways fail naming the array, the first index
 * that differs and the mistake, and the command line's exit codes and both languages.
 */

import {
  allPassed,
  type ExerciseReport,
  EXERCISES,
  findExercise,
  type Fixture,
  type Lang,
  renderReport,
  runExercise,
} from "../../lib/exercise/mod.ts";
import { main } from "../../scripts/exercise.ts";
import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { fromFileUrl, join } from "../../lib/std/path.ts";
import { FIXTURES_DIR, loadFixture, makeTestDir } from "../_helpers.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));

/** Runs exercise `name` on the module at `path` (absolute); returns the report and its lines. */
async function check(
  name: string,
  path: string,
  lang: Lang = "en",
): Promise<{ report: ExerciseReport; text: string }> {
  const exercise = findExercise(name)!;
  const fixtures: Record<string, Fixture> = {};
  for (const f of exercise.fixtures) fixtures[f] = loadFixture(f);
  const url = new URL(`file://${path}`).href;
  const report = runExercise(exercise, await import(url), fixtures, url);
  return { report, text: renderReport(report, exercise.section, lang, path).join("\n") };
}

Deno.test("every model answer passes every check of its exercise", async () => {
  for (const { name } of EXERCISES) {
    const { report, text } = await check(name, join(ROOT, "exercises", "answers", `${name}.ts`));
    assertOk(report.results.length >= 3, `${name}: ${report.results.length} checks`);
    assertOk(allPassed(report), `${name}:\n${text}`);
    assertOk(report.results.some((r) => r.kind === "gradients"), `${name}: no gradient check`);
  }
});

Deno.test("every untouched skeleton fails, naming each method left to write", async () => {
  for (const { name, className } of EXERCISES) {
    const path = join(ROOT, "exercises", `${name}.ts`);
    const en = await check(name, path, "en"), ja = await check(name, path, "ja");
    assertOk(!allPassed(en.report), name);
    for (const method of ["forward", "backward"]) {
      assertOk(en.text.includes(`✗ ${className}.${method}: not implemented yet`), en.text);
      assertOk(ja.text.includes(`✗ ${className}.${method}: 未実装です`), ja.text);
    }
  }
});

/**
 * An answer copied into a test folder with `old` replaced by `replacement` (and its imports
 * pointed at the repository from there).
 */
async function broken(
  dir: string,
  name: string,
  old: string,
  replacement: string,
): Promise<string> {
  const answer = await Deno.readTextFile(join(ROOT, "exercises", "answers", `${name}.ts`));
  assertOk(answer.includes(old), `exercises/answers/${name}.ts no longer has: ${old}`);
  const path = join(dir, `${name}_${crypto.randomUUID().slice(0, 8)}.ts`);
  const mod = new URL("mod.ts", new URL(`file://${ROOT}/`)).href;
  await Deno.writeTextFile(
    path,
    answer.replace(old, replacement).replace(`"../../mod.ts"`, JSON.stringify(mod)),
  );
  return path;
}

Deno.test("TimeRNN without the upstream dh: dWh, dh, the index and the mistake named", async () => {
  const dir = await makeTestDir();
  try {
    const path = await broken(
      dir,
      "time_rnn",
      "add(timestep(dhs, t), dh)",
      "add(timestep(dhs, t), 0)",
    );
    const { report, text } = await check("time_rnn", path, "en");
    const [forward, backward] = report.results;
    assertEquals(forward.status, "pass");
    const p = backward.problem;
    assertOk(p?.kind === "differs", text);
    assertEquals([p.array, p.hint, p.detected], ["dxs", "upstreamDh", true]);
    assertEquals(p.index, [0, 0, 0]); // step 0: the first that needs the carried dh
    assertOk(p.others.includes("dh") && p.others.includes("dWh"), text);
    const line = text.split("\n").find((l) => l.includes("TimeRNN.backward"))!;
    assertOk(/dxs differs at \[0, 0, 0\]: \S+ vs \S+ \(expected; tolerance 1e-4/.test(line), line);
    assertOk(line.includes("dh, dWx, dWh, db differ too"), line);
    assertOk(line.includes("is the upstream dh"), line);
    const ja = await check("time_rnn", path, "ja");
    const jaLine = ja.text.split("\n").find((l) => l.includes("TimeRNN.backward"))!;
    assertOk(jaLine.includes("dxs が [0, 0, 0] で異なります"), jaLine);
    assertOk(jaLine.includes("上流からの dh"), jaLine);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("typical mistakes are named by the hint their values match", async () => {
  const cases: [string, string, string, string, string][] = [
    // exercise, text in the answer, replacement, the array reported first, the hint
    [
      "rnn",
      "matmul(hPrev, dt, { transA: true })",
      "matmul(dt, hPrev, { transA: true })",
      "dWh",
      "gradTransposed",
    ],
    ["rnn", "matmul(dt, Wh, { transB: true })", "matmul(dt, Wh)", "dh_prev", "whTransposed"],
    ["time_rnn", "grads[i] = add(grads[i], grad)", "grads[i] = grad", "dWx", "gradsSummed"],
    ["time_rnn", "if (!this.stateful || this.h === null)", "if (true)", "hs2", "stateful"],
    [
      "time_rnn",
      "if (!this.stateful || this.h === null)",
      "if (this.h === null)",
      "hs2 (stateful = false)",
      "notStateful",
    ],
    ["lstm", "concat([df, dg, di, dO], 1)", "concat([di, df, dg, dO], 1)", "dx", "gateOrder"],
    ["time_lstm", "dh = dhPrev, dc = dcPrev;", "dh = dhPrev;", "dxs", "dcCarry"],
    [
      "time_softmax_with_loss",
      "return loss / count;",
      "return loss / (N * T);",
      "loss",
      "countedMean",
    ],
    ["attention", "return [add(dhs0, dhs1), dh];", "return [dhs0, dh];", "dhs", "attentionPaths"],
    [
      "simple_rnn",
      "this.params.forEach((p, i) =>",
      "if (this.lr < 0) this.params.forEach((p, i) =>",
      "Wx (updated)",
      "simpleUpdate",
    ],
  ];
  const dir = await makeTestDir();
  try {
    for (const [name, old, replacement, array, hint] of cases) {
      const { report, text } = await check(name, await broken(dir, name, old, replacement));
      const failed = report.results.find((r) => r.status === "fail");
      const p = failed?.problem;
      assertOk(p?.kind === "differs", `${name} ${replacement}:\n${text}`);
      assertEquals([p.array, p.hint, p.detected], [array, hint, true], `${name}:\n${text}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("grads replaced instead of written in place, and a throw, are named so", async () => {
  const dir = await makeTestDir();
  try {
    const replaced = await broken(
      dir,
      "rnn",
      "this.grads[1].copyFrom(dWh);",
      "this.grads[1] = dWh;",
    );
    const r = await check("rnn", replaced);
    assertOk(r.text.includes("grads[1] (dWh) was replaced by a new array"), r.text);
    const throws = await broken(
      dir,
      "rnn",
      "const hNext = tanh(t);",
      "const hNext = tanh(t.row(9));",
    );
    const t = await check("rnn", throws, "en");
    const line = t.text.split("\n").find((l) => l.includes("RNN.forward"))!;
    // the message and the learner's line, not a stack
    assertOk(
      /RNN\.forward: threw SaikiError: .*row.* \(at .*rnn_\w+\.ts:\d+:\d+\)$/.test(line),
      line,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** `deno task exercise …` as a subprocess, with the task's permissions, from the root. */
async function cli(
  args: string[],
  env: Record<string, string> = { LANG: "C.UTF-8", LC_ALL: "" },
): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read=.", "--allow-env=LANG,LC_ALL", "scripts/exercise.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout), err: dec.decode(stderr) };
}

Deno.test("the command line: 0 all pass, 1 some fail, 2 usage errors; ja and en", async () => {
  const dir = await makeTestDir();
  try {
    const syntax = join(dir, "rnn.ts");
    await Deno.writeTextFile(syntax, "export class RNN {\n  forward(x {\n}\n");
    const shownSyntax = syntax.slice(ROOT.length).replace(/^\//, "");
    const [list, listJa, skeleton, skeletonJa, answer, simple, unknown, flag, broken, missing] =
      await Promise.all([
        cli([]),
        cli([], { LANG: "ja_JP.UTF-8", LC_ALL: "" }),
        cli(["rnn"]),
        cli(["rnn", "--lang", "ja"]),
        cli(["rnn", "--file", "exercises/answers/rnn.ts"]),
        cli(["simple_rnn", "--file", "exercises/answers/simple_rnn.ts"], { LC_ALL: "ja_JP.UTF-8" }),
        cli(["gru"]),
        cli(["rnn", "--verbose"]),
        cli(["rnn", "--file", syntax]),
        cli(["rnn", "--file", "exercises/nothing.ts"]),
      ]);
    assertEquals(list.code, 0, list.err);
    for (const { name } of EXERCISES) assertOk(list.out.includes(`  ${name} `), list.out);
    assertOk(list.out.includes("TimeRNN: T RNN cells in a row"), list.out);
    assertEquals(listJa.code, 0);
    assertOk(listJa.out.includes("TimeRNN レイヤ: RNN レイヤを T 個つなげる"), listJa.out);

    assertEquals(skeleton.code, 1);
    assertOk(skeleton.out.includes("✗ RNN.forward: not implemented yet"), skeleton.out);
    assertOk(skeleton.out.includes("0 of 3 checks passed"), skeleton.out);
    assertEquals(skeletonJa.code, 1);
    assertOk(skeletonJa.out.includes("✗ RNN.forward: 未実装です"), skeletonJa.out);
    assertOk(skeletonJa.out.includes("3 件中 0 件合格"), skeletonJa.out);

    assertEquals(answer.code, 0, answer.out + answer.err);
    assertOk(answer.out.includes("✓ RNN.backward: dx, dh_prev, dWx, dWh, db match"), answer.out);
    assertOk(answer.out.trimEnd().endsWith("All checks passed!"), answer.out);
    assertEquals(simple.code, 0, simple.out + simple.err);
    assertOk(simple.out.includes("[0.79494228, 0.81839002, 0.83939649, 0.85584174]"), simple.out);
    assertOk(simple.out.trimEnd().endsWith("すべて合格です！"), simple.out);

    assertEquals(unknown.code, 2);
    assertOk(unknown.err.includes('there is no exercise "gru"'), unknown.err);
    for (const { name } of EXERCISES) assertOk(unknown.err.includes(`  ${name} `), unknown.err);
    assertEquals(flag.code, 2);
    assertOk(flag.err.includes("unknown flag --verbose"), flag.err);
    assertEquals(broken.code, 1);
    assertOk(broken.err.includes(`${shownSyntax} does not load`), broken.err);
    assertOk(
      broken.err.includes("SyntaxError") && !broken.err.includes("exercise.ts:"),
      broken.err,
    );
    assertEquals(missing.code, 2);
    assertOk(missing.err.includes("there is no file exercises/nothing.ts"), missing.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main: usage errors in process, --help, and the fixtures it reads", async () => {
  const lines: string[] = [];
  const io = {
    out: (t: string) => void lines.push(t),
    err: (t: string) => void lines.push(t),
    env: {},
  };
  assertEquals(await main(["rnn", "time_rnn"], io), 2);
  assertEquals(await main(["--file", "exercises/rnn.ts"], io), 2);
  assertEquals(await main(["rnn", "--lang", "fr"], io), 2);
  // outside what the task may read (the test task reads . and ../shared)
  assertEquals(await main(["rnn", "--file", "/etc/hostname", "--lang", "en"], io), 2);
  assertOk(
    lines.some((l) => l.includes("reads files inside the repository only")),
    lines.join("\n"),
  );
  assertEquals(await main(["--help", "--lang", "ja"], io), 0);
  assertOk(lines.some((l) => l.includes("表示の言語")), lines.join("\n"));
  assertEquals(await main([], { ...io, env: { LANG: "ja_JP.UTF-8" } }), 0);
  assertOk(lines.some((l) => l.startsWith("演習の一覧")));
  // every fixture an exercise names exists
  for (const e of EXERCISES) {
    for (const f of e.fixtures) await Deno.stat(join(FIXTURES_DIR, `${f}.json`));
  }
});
