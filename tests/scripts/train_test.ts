import { main } from "../../scripts/train.ts";
import { main as generateMain } from "../../scripts/generate.ts";
import { loadCheckpoint, saveCheckpoint } from "../../lib/io/checkpoint.ts";
import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { join } from "../../lib/std/path.ts";
import { Rng } from "../../lib/random.ts";
import { makeTestDir } from "../_helpers.ts";

/** A small corpus with some structure: sentences drawn from a few templates. */
function corpusText(words: number, seed = 1): string {
  const rng = new Rng(seed);
  const subjects = ["the cat", "a dog", "my friend", "the market", "our team"];
  const verbs = ["sees", "likes", "buys", "follows", "reports"];
  const objects = ["the ball", "a price", "new shares", "the news", "some bread"];
  const out: string[] = [];
  let n = 0;
  while (n < words) {
    const s = `${subjects[rng.int(5)]} ${verbs[rng.int(5)]} ${objects[rng.int(5)]}`;
    out.push(s);
    n += s.split(" ").length + 1;
  }
  return out.join("\n") + "\n";
}

/** Writes train.txt, valid.txt and test.txt of these sizes into `dir`, seeds from `seed` on. */
async function writeSplits(dir: string, words: [number, number, number], seed: number) {
  for (const [i, name] of ["train", "valid", "test"].entries()) {
    await Deno.writeTextFile(join(dir, `${name}.txt`), corpusText(words[i], seed + i));
  }
}

function capture() {
  const lines: string[] = [];
  return { lines, io: { log: (l: string) => void lines.push(l) } };
}

async function readTrainPpl(dir: string): Promise<number[]> {
  const text = await Deno.readTextFile(join(dir, "metrics.jsonl"));
  return text.trim().split("\n").map((l) => JSON.parse(l)).filter((m) => m.kind === "train")
    .map((m) => m.ppl);
}

Deno.test("train: unknown flags and bad values print the usage and exit with code 2", async () => {
  for (
    const [args, message] of [
      [["--bogus"], "unknown flag --bogus"],
      [["--lr", "fast"], '--lr takes a number, got "fast"'],
      [["--model", "transformer"], "--model"],
      [["--batch", "0"], "--batch"],
      [["--tie", "--wordvec", "10", "--hidden", "20"], "--tie needs --wordvec equal to --hidden"],
      [["extra"], 'unexpected argument "extra"'],
      [["--valid", "v.txt"], "--valid and --test apply to --corpus only"],
    ] as const
  ) {
    const { lines, io } = capture();
    assertEquals(await main([...args], io), 2, args.join(" "));
    const text = lines.join("\n");
    assertOk(text.includes(message), `${args.join(" ")}: ${text}`);
    assertOk(text.includes("usage: deno task train"), text);
  }
});

Deno.test("train: --help lists every flag with its default", async () => {
  const { lines, io } = capture();
  assertEquals(await main(["--help"], io), 0);
  const text = lines.join("\n");
  for (
    const flag of ["--preset", "--lr", "--seed", "--model", "--layers", "--resume", "--data-dir"]
  ) {
    assertOk(text.includes(flag), `${flag} missing from --help`);
  }
  assertOk(/--preset.*simple/.test(text), "the preset default is shown");
});

Deno.test("train: a run on a text corpus learns, writes its folder, and generate samples from it", async () => {
  const dir = await makeTestDir();
  try {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(3000));
    const { lines, io } = capture();
    const flags = "--model lstm --wordvec 16 --hidden 16 --batch 5 --time 10 --lr 1 --epochs 15" +
      " --eval-interval 5 --clip 1 --name run";
    const code = await main(["--corpus", corpus, "--runs-dir", dir, ...flags.split(" ")], io);
    assertEquals(code, 0, lines.join("\n"));
    const run = join(dir, "run");
    for (const f of ["config.json", "metrics.jsonl", "checkpoint.safetensors", "perplexity.svg"]) {
      assertOk((await Deno.stat(join(run, f))).isFile, f);
    }
    const ppl = await readTrainPpl(run);
    assertOk(ppl.length > 4, "reports were written");
    // 24 words in the vocabulary: an untrained model is near 24, a trained one well below.
    assertOk(ppl[0] > 15 && ppl.at(-1)! < ppl[0] / 3, `perplexity fell: ${ppl[0]} → ${ppl.at(-1)}`);
    const svg = await Deno.readTextFile(join(run, "perplexity.svg"));
    assertOk(svg.startsWith("<svg") && svg.includes("perplexity"), "chart");
    const out: string[] = [];
    assertEquals(
      await generateMain(
        [run, "--start", "the", "--length", "20", "--seed", "3"],
        (t) => void out.push(t),
      ),
      0,
    );
    const words = out.join(" ").split(/\s+/).filter((w) => w !== "");
    assertOk(words.length >= 15 && words[0] === "the", out.join(" "));
    // by default: "you" is not in this corpus, so a new sentence starts the text
    out.length = 0;
    assertEquals(await generateMain([run, "--length", "12"], (t) => void out.push(t)), 0);
    assertOk(out.join(" ").split(/\s+/).filter((w) => w !== "").length >= 8, out.join(" "));
    assertEquals(await generateMain([run, "--length", "1e9"], (t) => void out.push(t)), 2);
    // a checkpoint with a NaN parameter is refused, by generate as by --resume
    const ckpt = await loadCheckpoint(join(run, "checkpoint.safetensors"));
    ckpt.tensors.affine_b.data[3] = NaN;
    saveCheckpoint(join(dir, "nan.safetensors"), ckpt.tensors, ckpt.metadata);
    assertEquals(await generateMain([join(dir, "nan.safetensors")], (t) => void out.push(t)), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: --resume continues a stopped run with exactly the losses of an uninterrupted one", async () => {
  const dir = await makeTestDir();
  try {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(1500, 2));
    // dropout, two layers and Adam: the random generator and optimizer state must be restored too
    const common = [
      "--corpus",
      corpus,
      "--runs-dir",
      dir,
      ...("--model gru --layers 2 --dropout 0.3 --wordvec 8 --hidden 8 --batch 4 --time 6" +
        " --optimizer adam --lr 0.01 --epochs 3 --eval-interval 1 --save-every 0 --quiet")
        .split(" "),
    ];
    assertEquals(await main([...common, "--name", "whole"], capture().io), 0);
    // stop mid-epoch (iteration 25 of 3 × 62), then resume
    assertEquals(await main([...common, "--name", "parts", "--stop-after", "25"], capture().io), 0);
    const { lines, io } = capture();
    assertEquals(await main(["--resume", join(dir, "parts")], io), 0, lines.join("\n"));
    // stop at an epoch's last iteration (62): the epoch ends (and saves) first, then resume
    assertEquals(await main([...common, "--name", "edge", "--stop-after", "62"], capture().io), 0);
    const edge = capture();
    assertEquals(await main(["--resume", join(dir, "edge")], edge.io), 0, edge.lines.join("\n"));
    const whole = await readTrainPpl(join(dir, "whole"));
    assertEquals(await readTrainPpl(join(dir, "parts")), whole);
    assertEquals(await readTrainPpl(join(dir, "edge")), whole, "stopped at an epoch's end");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: a run stopped with --workers 2 resumes with --workers 1 or 3 exactly as the uninterrupted run", async () => {
  const dir = await makeTestDir();
  try {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(1500, 4));
    // 16 rows: two shards; dropout and two layers, so the masks' keys must carry over too
    const common = [
      "--corpus",
      corpus,
      "--runs-dir",
      dir,
      ...("--model lstm --layers 2 --dropout 0.3 --wordvec 8 --hidden 8 --batch 16 --time 3" +
        " --lr 1 --epochs 2 --eval-interval 1 --save-every 0 --quiet").split(" "),
    ];
    assertEquals(await main([...common, "--name", "whole", "--workers", "2"], capture().io), 0);
    const whole = await readTrainPpl(join(dir, "whole"));
    for (const workers of ["1", "3"]) {
      const name = `parts${workers}`;
      const first = [...common, "--name", name, "--workers", "2", "--stop-after", "20"];
      assertEquals(await main(first, capture().io), 0);
      const { lines, io } = capture();
      const code = await main(["--resume", join(dir, name), "--workers", workers], io);
      assertEquals(code, 0, lines.join("\n"));
      assertEquals(await readTrainPpl(join(dir, name)), whole, `resumed with ${workers} workers`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: Ctrl-C stops the workers and the process with code 130; the checkpoint resumes", async () => {
  const dir = await makeTestDir();
  try {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(3000, 5));
    const script = new URL("../../scripts/train.ts", import.meta.url).pathname;
    const child = new Deno.Command("deno", {
      args: [
        "run",
        "--allow-read",
        `--allow-write=${dir}`,
        script,
        ...["--corpus", corpus, "--runs-dir", dir, "--name", "c", "--workers", "2"],
        ...("--model lstm --wordvec 16 --hidden 16 --batch 16 --time 5 --epochs 50" +
          " --eval-interval 5 --save-every 10").split(" "),
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    // wait until it has trained past a checkpoint, then interrupt it
    while (!/iter 21 \//.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const status = await child.status;
    await child.stderr.cancel();
    assertEquals(status.code, 130, out);
    assertOk(/interrupted; .*checkpoint\.safetensors keeps the last checkpoint/.test(out), out);
    const { lines, io } = capture();
    const code = await main(["--resume", join(dir, "c"), "--epochs", "1", "--quiet"], io);
    assertEquals(code, 0, lines.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: kill -9 while saving every iteration leaves a checkpoint that loads and resumes (with --break-lock)", async () => {
  const dir = await makeTestDir();
  try {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(3000, 9));
    const script = new URL("../../scripts/train.ts", import.meta.url).pathname;
    for (const [i, waitFor] of [/iter 6 \//, /iter 16 \//, /iter 31 \//].entries()) {
      const name = `k${i}`;
      const child = new Deno.Command("deno", {
        args: [
          "run",
          "--allow-read",
          `--allow-write=${dir}`,
          script,
          ...["--corpus", corpus, "--runs-dir", dir, "--name", name, "--workers", "1"],
          ...("--model lstm --wordvec 16 --hidden 16 --batch 4 --time 5 --epochs 50" +
            " --eval-interval 5 --save-every 1").split(" "),
        ],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!waitFor.test(out)) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      child.kill("SIGKILL");
      await reader.cancel();
      assertEquals((await child.status).signal, "SIGKILL");
      // the killed run's lock stays: named as stale, taken over only when asked
      let { lines, io } = capture();
      let code = await main(["--resume", join(dir, name), "--epochs", "1", "--quiet"], io);
      assertEquals(code, 1, lines.join("\n"));
      assertOk(
        lines.join("\n").includes(`has a stale lock: process ${child.pid}`),
        lines.join("\n"),
      );
      ({ lines, io } = capture());
      const resume = ["--resume", join(dir, name), "--epochs", "1", "--quiet", "--break-lock"];
      code = await main(resume, io);
      assertEquals(code, 0, lines.join("\n"));
      const left = [...Deno.readDirSync(join(dir, name))].map((e) => e.name);
      assertOk(!left.some((f) => f.includes(".tmp-")), `temp files left: ${left}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: a run folder is one writer's: a second train on the same --name is refused naming the first", async () => {
  const dir = await makeTestDir();
  try {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(3000, 9));
    const script = new URL("../../scripts/train.ts", import.meta.url).pathname;
    const flags = ["--corpus", corpus, "--runs-dir", dir, "--name", "one", "--workers", "1"];
    const child = new Deno.Command("deno", {
      args: [
        "run",
        "--allow-read",
        `--allow-write=${dir}`,
        script,
        ...flags,
        ..."--model lstm --wordvec 16 --hidden 16 --batch 4 --time 5 --epochs 50".split(" "),
        ..."--eval-interval 5".split(" "),
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!/iter 6 \//.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    assertOk(/iter 6 \//.test(out), out);
    try {
      for (const second of [[...flags, "--epochs", "1"], ["--resume", join(dir, "one")]]) {
        const { lines, io } = capture();
        assertEquals(await main([...second, "--quiet", "--break-lock"], io), 1, lines.join("\n"));
        assertOk(
          lines.join("\n").includes(`in use by process ${child.pid}`),
          lines.join("\n"),
        );
      }
    } finally {
      child.kill("SIGKILL");
      await reader.cancel();
      await child.status;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: --name is one folder name: empty, . and .., slashes and 300 characters are refused", async () => {
  const dir = await makeTestDir();
  try {
    for (
      const [name, part] of [
        ["..", "names no run folder"],
        ["a/b", "one folder name"],
        ["x".repeat(300), "at most 100"],
      ]
    ) {
      const { lines, io } = capture();
      const code = await main(["--runs-dir", dir, "--name", name, "--epochs", "1"], io);
      assertOk(code === 1 || code === 2, `${name}: ${code}`);
      assertOk(lines.join("\n").includes(part), lines.join("\n"));
    }
    assertEquals([...Deno.readDirSync(dir)].length, 0); // nothing written
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: a corrupt checkpoint is refused with a message naming the file", async () => {
  const dir = await makeTestDir();
  try {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(600, 3));
    const args = [
      "--corpus",
      corpus,
      "--runs-dir",
      dir,
      ...("--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 1 --quiet --name r").split(" "),
    ];
    assertEquals(await main(args, capture().io), 0);
    const ckpt = join(dir, "r", "checkpoint.safetensors");
    const bytes = await Deno.readFile(ckpt);
    await Deno.writeFile(ckpt, bytes.subarray(0, bytes.length - 10));
    const { lines, io } = capture();
    assertEquals(await main(["--resume", join(dir, "r"), "--epochs", "2"], io), 1);
    assertOk(lines.join("\n").includes("checkpoint.safetensors"), lines.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: a diverging loss stops the run with code 1, names the iteration, and keeps the last good checkpoint", async () => {
  const dir = await makeTestDir();
  try {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(800, 4));
    // lr 1e9 without clipping: iteration 1 is finite (and saved), iteration 2's loss explodes
    const flags = "--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 3 --lr 1e9 --clip 0" +
      " --quiet";
    const run = (name: string, extra: string) =>
      main([
        "--corpus",
        corpus,
        "--runs-dir",
        dir,
        ...`${flags} ${extra} --name ${name}`.split(" "),
      ], io);
    const { lines, io } = capture();
    assertEquals(await run("kept", "--save-every 1"), 1, lines.join("\n"));
    const text = lines.join("\n");
    assertOk(
      /error: training diverged: the loss is [\d.e+]+ \(perplexity Infinity\) at iteration 2 \(epoch 1, iter 2\); stopped, and .*checkpoint\.safetensors keeps the last good state \(lower --lr or set --clip\)/
        .test(text),
      text,
    );
    const kept = await loadCheckpoint(join(dir, "kept", "checkpoint.safetensors"));
    assertEquals(kept.metadata.step, "1");
    for (const [name, t] of Object.entries(kept.tensors)) {
      assertOk(t.data.every(Number.isFinite), `${name} in the kept checkpoint is finite`);
    }
    // no metric with an infinite perplexity was written
    const metrics = await Deno.readTextFile(join(dir, "kept", "metrics.jsonl"));
    assertOk(!metrics.includes("Infinity") && !metrics.includes("null"), metrics);
    lines.length = 0;
    assertEquals(await run("none", "--save-every 0"), 1);
    assertOk(
      lines.join("\n").includes("stopped, and no checkpoint was saved yet"),
      lines.join("\n"),
    );
    // --lr 0 trains, and warns that nothing changes
    lines.length = 0;
    assertEquals(await run("zero", "--save-every 0 --lr 0 --epochs 1"), 0);
    assertOk(
      lines.includes(
        "warning: the learning rate is 0: the parameters will not change (nothing trains)",
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: a folder a run left without a checkpoint is reused by a new run and resumed from scratch", async () => {
  const dir = await makeTestDir();
  try {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(600, 6));
    const flags = [
      "--corpus",
      corpus,
      "--runs-dir",
      dir,
      ..."--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 1 --save-every 0".split(" "),
    ];
    // what a full disk at the start used to leave: an empty config.json, an orphaned temp file
    const stranded = join(dir, "s");
    await Deno.mkdir(stranded);
    await Deno.writeTextFile(join(stranded, "config.json"), "");
    await Deno.writeTextFile(join(stranded, "checkpoint.safetensors.tmp-1-abc"), "partial");
    let { lines, io } = capture();
    assertEquals(await main(["--resume", stranded], io), 1);
    assertOk(
      /cannot read config\.json .*holds no run to continue/.test(lines.join("\n")),
      lines.join("\n"),
    );
    ({ lines, io } = capture());
    assertEquals(await main([...flags, "--name", "s"], io), 0, lines.join("\n"));
    assertOk(lines.includes(`reusing ${stranded}: it holds no checkpoint`), lines.join("\n"));
    const names = [...Deno.readDirSync(stranded)].map((e) => e.name).sort();
    assertEquals(names, [
      "checkpoint.safetensors",
      "config.json",
      "metrics.jsonl",
      "perplexity.svg",
    ]);
    // a run that diverged before its first save: --resume starts it again from its config
    const diverged = [...flags, "--lr", "1e9", "--clip", "0", "--name", "d"];
    assertEquals(await main(diverged, capture().io), 1);
    assertOk(!(await exists(join(dir, "d", "checkpoint.safetensors"))), "nothing was saved");
    ({ lines, io } = capture());
    assertEquals(await main(["--resume", join(dir, "d")], io), 1, lines.join("\n"));
    assertOk(
      lines.includes(`${join(dir, "d")} holds no checkpoint: its run starts from the beginning`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("train: numbers out of range are refused before anything is allocated or written; negative values parse", async () => {
  const dir = await makeTestDir();
  try {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(600, 7));
    const base = ["--corpus", corpus, "--runs-dir", dir, "--quiet"];
    const cases: [string, number, string][] = [
      ["--hidden 1e9", 2, "--hidden must be at most 65536, got 1000000000"],
      ["--wordvec 1e9", 2, "--wordvec must be at most 65536, got 1000000000"],
      ["--layers 1e9", 2, "--layers must be at most 64, got 1000000000"],
      ["--seed 4294967296", 2, "--seed must be at most 2147483647, got 4294967296"],
      ["--seed 1e300", 2, "--seed must be at most 2147483647"],
      ["--lr -1", 2, "--lr must be at least 0, got -1"],
      [
        "--layers 60 --hidden 20000",
        1,
        "this run needs about 888.0 GiB of memory, more than the 4 GiB saiki's engine can address",
      ],
    ];
    for (const [flags, code, message] of cases) {
      const { lines, io } = capture();
      assertEquals(await main([...base, ...flags.split(" "), "--name", "x"], io), code, flags);
      assertOk(lines.join("\n").includes(message), `${flags}: ${lines.join("\n")}`);
    }
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["corpus.txt"], "nothing written");
    // a negative seed is a seed, and another one than its absolute value
    const small = "--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 1 --eval-interval 1";
    for (const seed of ["-1", "1"]) {
      const args = [...base, ...small.split(" "), "--seed", seed, "--name", `s${seed}`];
      assertEquals(await main(args, capture().io), 0, seed);
    }
    const ppl = await Promise.all(["s-1", "s1"].map((n) => readTrainPpl(join(dir, n))));
    assertOk(ppl[0][0] !== ppl[1][0], `seeds -1 and 1 trained the same: ${ppl}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: --resume drops a half-written metrics line; of a finished run it says so and changes nothing", async () => {
  const dir = await makeTestDir();
  try {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(800, 8));
    const args = ["--corpus", corpus, "--runs-dir", dir, "--name", "f", "--quiet"];
    const small = "--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 2 --eval-interval 2";
    assertEquals(await main([...args, ...small.split(" "), "--stop-after", "30"], capture().io), 0);
    const run = join(dir, "f");
    // a kill during an append leaves half a line: the resume drops it
    await Deno.writeTextFile(join(run, "metrics.jsonl"), '{"kind":"train","st', { append: true });
    assertEquals(await main(["--resume", run, "--quiet"], capture().io), 0);
    const config = await Deno.readTextFile(join(run, "config.json"));
    const ckpt = await Deno.readFile(join(run, "checkpoint.safetensors"));
    const metrics = (await Deno.readTextFile(join(run, "metrics.jsonl"))).trim().split("\n")
      .map((l) => JSON.parse(l)).filter((m) => m.elapsed !== undefined).map((m) => m.elapsed);
    assertOk(metrics.every((e, i) => i === 0 || e >= metrics[i - 1]), `elapsed: ${metrics}`);
    for (const extra of [[], ["--epochs", "1"]]) {
      const { lines, io } = capture();
      assertEquals(await main(["--resume", run, ...extra], io), 0);
      assertOk(
        /has trained 2 epochs.*: nothing to do; to train on, give --epochs with more than 2/.test(
          lines.join("\n"),
        ),
        lines.join("\n"),
      );
    }
    assertEquals(await Deno.readTextFile(join(run, "config.json")), config);
    assertEquals(await Deno.readFile(join(run, "checkpoint.safetensors")), ckpt);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: --valid validates each epoch; --decay divides lr by 4 when it worsens and tests the best parameters", async () => {
  const dir = await makeTestDir();
  try {
    await writeSplits(dir, [2000, 500, 500], 1);
    const flags = "--model lstm --wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 6 --decay" +
      " --lr 20 --clip 0.25 --quiet --name d";
    const { lines, io } = capture();
    const code = await main([
      ...["--corpus", join(dir, "train.txt"), "--valid", join(dir, "valid.txt")],
      ...["--test", join(dir, "test.txt"), "--runs-dir", dir, ...flags.split(" ")],
    ], io);
    assertEquals(code, 0, lines.join("\n"));
    const metrics = (await Deno.readTextFile(join(dir, "d", "metrics.jsonl"))).trim().split("\n")
      .map((l) => JSON.parse(l));
    const valid = metrics.filter((m) => m.kind === "valid").map((m) => m.ppl);
    const lrs = metrics.filter((m) => m.kind === "train").map((m) => m.lr);
    assertEquals(valid.length, 6);
    // every time validation got worse than the best so far, the learning rate fell by 4
    let best = Infinity, expectedLr = 20, decays = 0;
    const perEpochLr = metrics.filter((m) => m.kind === "train" && m.iter === 1).map((m) => m.lr);
    for (let e = 0; e < 6; e++) {
      assertEquals(perEpochLr[e], expectedLr, `lr in epoch ${e + 1}`);
      if (valid[e] < best) best = valid[e];
      else expectedLr /= 4, decays++;
    }
    assertOk(decays >= 1, `the run decayed at least once: ${valid}`);
    assertOk(lrs.at(-1)! < 20);
    const text = lines.join("\n");
    assertOk(
      text.includes(`restored the best parameters (valid perplexity ${best.toFixed(2)})`),
      text,
    );
    assertOk(/test perplexity: \d+\.\d\d/.test(text), text);
    assertOk((await Deno.stat(join(dir, "d", "best.safetensors"))).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: --resume of a validating run stopped before its first validation decays and tests as the whole run", async () => {
  const dir = await makeTestDir();
  try {
    await writeSplits(dir, [1500, 400, 400], 5);
    const common = [
      ...["--corpus", join(dir, "train.txt"), "--valid", join(dir, "valid.txt")],
      ...["--test", join(dir, "test.txt"), "--runs-dir", dir],
      ...("--model lstm --wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 5 --decay --lr 20" +
        " --clip 0.25 --eval-interval 1 --save-every 0 --quiet").split(" "),
    ];
    const whole = capture();
    assertEquals(await main([...common, "--name", "whole"], whole.io), 0, whole.lines.join("\n"));
    // stopped in epoch 1: the checkpoint's best validation perplexity is still Infinity
    assertEquals(await main([...common, "--name", "parts", "--stop-after", "30"], capture().io), 0);
    const resumed = capture();
    assertEquals(await main(["--resume", join(dir, "parts")], resumed.io), 0);
    const read = async (name: string) =>
      (await Deno.readTextFile(join(dir, name, "metrics.jsonl"))).trim().split("\n")
        .map((l) => JSON.parse(l)).map(({ kind, step, ppl, lr }) => ({ kind, step, ppl, lr }));
    assertEquals(await read("parts"), await read("whole"));
    const testLine = (lines: string[]) => lines.find((l) => l.startsWith("test perplexity"));
    assertOk(testLine(whole.lines) !== undefined, whole.lines.join("\n"));
    assertEquals(testLine(resumed.lines), testLine(whole.lines));
    assertOk((await Deno.stat(join(dir, "parts", "best.safetensors"))).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: held-out words missing from a --corpus become <unk>, and the count is reported", async () => {
  const dir = await makeTestDir();
  try {
    await Deno.writeTextFile(join(dir, "train.txt"), corpusText(1000, 8));
    await Deno.writeTextFile(join(dir, "valid.txt"), corpusText(400, 9) + "zebras dance\n");
    const { lines, io } = capture();
    const args = [
      ...["--corpus", join(dir, "train.txt"), "--valid", join(dir, "valid.txt")],
      ...["--runs-dir", dir, "--name", "u"],
      ...("--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 1 --quiet").split(" "),
    ];
    assertEquals(await main(args, io), 0, lines.join("\n"));
    const text = lines.join("\n");
    assertOk(/valid\.txt: 2 of \d+ tokens are <unk> \(not in the training text\)/.test(text), text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: an existing run folder, a too-small split and conflicting flags are refused before anything is written", async () => {
  const dir = await makeTestDir();
  try {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(600, 10));
    await Deno.writeTextFile(join(dir, "small.txt"), "the cat sees the ball\n");
    const base = [
      "--corpus",
      corpus,
      "--runs-dir",
      dir,
      "--quiet",
      "--wordvec",
      "8",
      "--hidden",
      "8",
    ];
    assertEquals(await main([...base, "--name", "a", "--epochs", "1"], capture().io), 0);
    for (
      const [args, code, message] of [
        [["--name", "a"], 1, `${join(dir, "a")} already holds a run; continue it with --resume`],
        [
          ["--name", "b", "--batch", "200"],
          2,
          "--batch 200 × --time 5 needs 1000 tokens per batch",
        ],
        [
          ["--name", "c", "--valid", join(dir, "small.txt")],
          1,
          `validation text (${join(dir, "small.txt")}) has 6 tokens`,
        ],
        [["--name", "d", "--data-dir", dir], 2, "--data-dir is where PTB is read from"],
      ] as const
    ) {
      const { lines, io } = capture();
      assertEquals(await main([...base, ...args], io), code, args.join(" "));
      assertOk(lines.join("\n").includes(message), lines.join("\n"));
    }
    for (const name of ["b", "c", "d"]) {
      assertOk(!(await Deno.stat(join(dir, name)).catch(() => null)), `${name} was not created`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: another --optimizer without --lr starts from that optimizer's default rate", async () => {
  const dir = await makeTestDir();
  try {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(600, 11));
    const base = ["--corpus", corpus, "--runs-dir", dir, "--quiet", "--epochs", "1"];
    for (
      const [name, args, lr] of [
        ["adam", ["--optimizer", "adam"], 0.001],
        ["adam-lr", ["--optimizer", "adam", "--lr", "0.01"], 0.01],
        ["sgd", [], 0.1],
      ] as const
    ) {
      assertEquals(await main([...base, "--name", name, ...args], capture().io), 0, name);
      const config = JSON.parse(await Deno.readTextFile(join(dir, name, "config.json")));
      assertEquals(config.lr, lr, name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
