import { main } from "../../scripts/train.ts";
import { main as generateMain } from "../../scripts/generate.ts";
import { loadCheckpoint, saveCheckpoint } from "../../lib/io/checkpoint.ts";
import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { join } from "../../lib/std/path.ts";
import { capture, inTestDir, runMain } from "../_helpers.ts";
import { templateText, writeCorpus, writeSplits } from "../_corpus.ts";

/** Runs train's `main`, asserting its exit code (0 unless given); what it logged. */
const train = (args: string[], code = 0) => runMain(main, args, code);

async function readTrainPpl(dir: string): Promise<number[]> {
  const text = await Deno.readTextFile(join(dir, "metrics.jsonl"));
  return text.trim().split("\n").map((l) => JSON.parse(l)).filter((m) => m.kind === "train")
    .map((m) => m.ppl);
}

/**
 * Starts `deno run scripts/train.ts ARGS` writing in `dir`; `read(pattern)` reads its output
 * until `pattern` matches it (to its end without one) and gives all it has read.
 */
function spawnTrain(dir: string, args: string[]) {
  const script = new URL("../../scripts/train.ts", import.meta.url).pathname;
  const child = new Deno.Command("deno", {
    args: ["run", "--allow-read", `--allow-write=${dir}`, script, ...args],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const read = async (pattern?: RegExp) => {
    while (!pattern?.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    return out;
  };
  return { child, reader, read };
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
    const text = (await train([...args], 2)).join("\n");
    assertOk(text.includes(message), `${args.join(" ")}: ${text}`);
    assertOk(text.includes("usage: deno task train"), text);
  }
});

Deno.test("train: --help lists every flag with its default", async () => {
  const text = (await train(["--help"])).join("\n");
  for (
    const flag of ["--preset", "--lr", "--seed", "--model", "--layers", "--resume", "--data-dir"]
  ) {
    assertOk(text.includes(flag), `${flag} missing from --help`);
  }
  assertOk(/--preset.*simple/.test(text), "the preset default is shown");
});

Deno.test(
  "train: a run on a text corpus learns, writes its folder, and generate samples from it",
  inTestDir(async (dir) => {
    const flags = "--model lstm --wordvec 16 --hidden 16 --batch 5 --time 10 --lr 1 --epochs 15" +
      " --eval-interval 5 --clip 1 --name run";
    await train([...(await writeCorpus(dir, 3000)), ...flags.split(" ")]);
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
  }),
);

Deno.test(
  "train: --resume continues a stopped run with exactly the losses of an uninterrupted one",
  inTestDir(async (dir) => {
    // dropout, two layers and Adam: the random generator and optimizer state must be restored too
    const common = [
      ...(await writeCorpus(dir, 1500, 2)),
      ...("--model gru --layers 2 --dropout 0.3 --wordvec 8 --hidden 8 --batch 4 --time 6" +
        " --optimizer adam --lr 0.01 --epochs 3 --eval-interval 1 --save-every 0 --quiet")
        .split(" "),
    ];
    await train([...common, "--name", "whole"]);
    // stop mid-epoch (iteration 25 of 3 × 62), then resume
    await train([...common, "--name", "parts", "--stop-after", "25"]);
    await train(["--resume", join(dir, "parts")]);
    // stop at an epoch's last iteration (62): the epoch ends (and saves) first, then resume
    await train([...common, "--name", "edge", "--stop-after", "62"]);
    await train(["--resume", join(dir, "edge")]);
    const whole = await readTrainPpl(join(dir, "whole"));
    assertEquals(await readTrainPpl(join(dir, "parts")), whole);
    assertEquals(await readTrainPpl(join(dir, "edge")), whole, "stopped at an epoch's end");
  }),
);

Deno.test(
  "train: a run stopped with --workers 2 resumes with --workers 1 or 3 exactly as the uninterrupted run",
  inTestDir(async (dir) => {
    // 16 rows: two shards; dropout and two layers, so the masks' keys must carry over too
    const common = [
      ...(await writeCorpus(dir, 1500, 4)),
      ...("--model lstm --layers 2 --dropout 0.3 --wordvec 8 --hidden 8 --batch 16 --time 3" +
        " --lr 1 --epochs 2 --eval-interval 1 --save-every 0 --quiet").split(" "),
    ];
    await train([...common, "--name", "whole", "--workers", "2"]);
    const whole = await readTrainPpl(join(dir, "whole"));
    for (const workers of ["1", "3"]) {
      const name = `parts${workers}`;
      await train([...common, "--name", name, "--workers", "2", "--stop-after", "20"]);
      await train(["--resume", join(dir, name), "--workers", workers]);
      assertEquals(await readTrainPpl(join(dir, name)), whole, `resumed with ${workers} workers`);
    }
  }),
);

Deno.test(
  "train: Ctrl-C stops the workers and the process with code 130; the checkpoint resumes",
  inTestDir(async (dir) => {
    const { child, read } = spawnTrain(dir, [
      ...(await writeCorpus(dir, 3000, 5)),
      ...["--name", "c", "--workers", "2"],
      ...("--model lstm --wordvec 16 --hidden 16 --batch 16 --time 5 --epochs 50" +
        " --eval-interval 5 --save-every 10").split(" "),
    ]);
    // wait until it has trained past a checkpoint, then interrupt it
    await read(/iter 21 \//);
    child.kill("SIGINT");
    const out = await read();
    assertEquals((await child.status).code, 130, out);
    assertOk(/interrupted; .*checkpoint\.safetensors keeps the last checkpoint/.test(out), out);
    await train(["--resume", join(dir, "c"), "--epochs", "1", "--quiet"]);
  }),
);

Deno.test(
  "train: kill -9 while saving every iteration leaves a checkpoint that loads and resumes (with --break-lock)",
  inTestDir(async (dir) => {
    const data = await writeCorpus(dir, 3000, 9);
    for (const [i, waitFor] of [/iter 6 \//, /iter 16 \//, /iter 31 \//].entries()) {
      const name = `k${i}`;
      const { child, reader, read } = spawnTrain(dir, [
        ...[...data, "--name", name, "--workers", "1"],
        ...("--model lstm --wordvec 16 --hidden 16 --batch 4 --time 5 --epochs 50" +
          " --eval-interval 5 --save-every 1").split(" "),
      ]);
      await read(waitFor);
      child.kill("SIGKILL");
      await reader.cancel();
      assertEquals((await child.status).signal, "SIGKILL");
      // the killed run's lock stays: named as stale, taken over only when asked
      const resume = ["--resume", join(dir, name), "--epochs", "1", "--quiet"];
      const lines = await train(resume, 1);
      assertOk(
        lines.join("\n").includes(`has a stale lock: process ${child.pid}`),
        lines.join("\n"),
      );
      await train([...resume, "--break-lock"]);
      const left = [...Deno.readDirSync(join(dir, name))].map((e) => e.name);
      assertOk(!left.some((f) => f.includes(".tmp-")), `temp files left: ${left}`);
    }
  }),
);

Deno.test(
  "train: a run folder is one writer's: a second train on the same --name is refused naming the first",
  inTestDir(async (dir) => {
    const flags = [...(await writeCorpus(dir, 3000, 9)), "--name", "one", "--workers", "1"];
    const { child, reader, read } = spawnTrain(dir, [
      ...flags,
      ..."--model lstm --wordvec 16 --hidden 16 --batch 4 --time 5 --epochs 50".split(" "),
      ..."--eval-interval 5".split(" "),
    ]);
    const out = await read(/iter 6 \//);
    assertOk(/iter 6 \//.test(out), out);
    try {
      for (const second of [[...flags, "--epochs", "1"], ["--resume", join(dir, "one")]]) {
        const lines = await train([...second, "--quiet", "--break-lock"], 1);
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
  }),
);

Deno.test(
  "train: --name is one folder name: empty, . and .., slashes and 300 characters are refused",
  inTestDir(async (dir) => {
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
  }),
);

Deno.test(
  "train: a corrupt checkpoint is refused with a message naming the file",
  inTestDir(async (dir) => {
    await train([
      ...(await writeCorpus(dir, 600, 3)),
      ...("--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 1 --quiet --name r").split(" "),
    ]);
    const ckpt = join(dir, "r", "checkpoint.safetensors");
    const bytes = await Deno.readFile(ckpt);
    await Deno.writeFile(ckpt, bytes.subarray(0, bytes.length - 10));
    const lines = await train(["--resume", join(dir, "r"), "--epochs", "2"], 1);
    assertOk(lines.join("\n").includes("checkpoint.safetensors"), lines.join("\n"));
  }),
);

Deno.test(
  "train: a diverging loss stops the run with code 1, names the iteration, and keeps the last good checkpoint",
  inTestDir(async (dir) => {
    const data = await writeCorpus(dir, 800, 4);
    // lr 1e9 without clipping: iteration 1 is finite (and saved), iteration 2's loss explodes
    const flags = "--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 3 --lr 1e9 --clip 0" +
      " --quiet";
    const run = (name: string, extra: string) =>
      main([...data, ...`${flags} ${extra} --name ${name}`.split(" ")], io);
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
  }),
);

Deno.test(
  "train: a folder a run left without a checkpoint is reused by a new run and resumed from scratch",
  inTestDir(async (dir) => {
    const flags = [
      ...(await writeCorpus(dir, 600, 6)),
      ..."--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 1 --save-every 0".split(" "),
    ];
    // what a full disk at the start used to leave: an empty config.json, an orphaned temp file
    const stranded = join(dir, "s");
    await Deno.mkdir(stranded);
    await Deno.writeTextFile(join(stranded, "config.json"), "");
    await Deno.writeTextFile(join(stranded, "checkpoint.safetensors.tmp-1-abc"), "partial");
    let lines = await train(["--resume", stranded], 1);
    assertOk(
      /cannot read config\.json .*holds no run to continue/.test(lines.join("\n")),
      lines.join("\n"),
    );
    lines = await train([...flags, "--name", "s"]);
    assertOk(lines.includes(`reusing ${stranded}: it holds no checkpoint`), lines.join("\n"));
    const names = [...Deno.readDirSync(stranded)].map((e) => e.name).sort();
    assertEquals(names, [
      "checkpoint.safetensors",
      "config.json",
      "metrics.jsonl",
      "perplexity.svg",
    ]);
    // a run that diverged before its first save: --resume starts it again from its config
    await train([...flags, "--lr", "1e9", "--clip", "0", "--name", "d"], 1);
    const saved = await Deno.stat(join(dir, "d", "checkpoint.safetensors")).catch(() => null);
    assertOk(!saved, "nothing was saved");
    lines = await train(["--resume", join(dir, "d")], 1);
    assertOk(
      lines.includes(`${join(dir, "d")} holds no checkpoint: its run starts from the beginning`),
    );
  }),
);

Deno.test(
  "train: numbers out of range are refused before anything is allocated or written; negative values parse",
  inTestDir(async (dir) => {
    const base = [...(await writeCorpus(dir, 600, 7)), "--quiet"];
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
      const lines = await train([...base, ...flags.split(" "), "--name", "x"], code);
      assertOk(lines.join("\n").includes(message), `${flags}: ${lines.join("\n")}`);
    }
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["corpus.txt"], "nothing written");
    // a negative seed is a seed, and another one than its absolute value
    const small = "--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 1 --eval-interval 1";
    for (const seed of ["-1", "1"]) {
      await train([...base, ...small.split(" "), "--seed", seed, "--name", `s${seed}`]);
    }
    const ppl = await Promise.all(["s-1", "s1"].map((n) => readTrainPpl(join(dir, n))));
    assertOk(ppl[0][0] !== ppl[1][0], `seeds -1 and 1 trained the same: ${ppl}`);
  }),
);

Deno.test(
  "train: --resume drops a half-written metrics line; of a finished run it says so and changes nothing",
  inTestDir(async (dir) => {
    const args = [...(await writeCorpus(dir, 800, 8)), "--name", "f", "--quiet"];
    const small = "--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 2 --eval-interval 2";
    await train([...args, ...small.split(" "), "--stop-after", "30"]);
    const run = join(dir, "f");
    // a kill during an append leaves half a line: the resume drops it
    await Deno.writeTextFile(join(run, "metrics.jsonl"), '{"kind":"train","st', { append: true });
    await train(["--resume", run, "--quiet"]);
    const config = await Deno.readTextFile(join(run, "config.json"));
    const ckpt = await Deno.readFile(join(run, "checkpoint.safetensors"));
    const metrics = (await Deno.readTextFile(join(run, "metrics.jsonl"))).trim().split("\n")
      .map((l) => JSON.parse(l)).filter((m) => m.elapsed !== undefined).map((m) => m.elapsed);
    assertOk(metrics.every((e, i) => i === 0 || e >= metrics[i - 1]), `elapsed: ${metrics}`);
    for (const extra of [[], ["--epochs", "1"]]) {
      const lines = await train(["--resume", run, ...extra]);
      assertOk(
        /has trained 2 epochs.*: nothing to do; to train on, give --epochs with more than 2/.test(
          lines.join("\n"),
        ),
        lines.join("\n"),
      );
    }
    assertEquals(await Deno.readTextFile(join(run, "config.json")), config);
    assertEquals(await Deno.readFile(join(run, "checkpoint.safetensors")), ckpt);
  }),
);

Deno.test(
  "train: --valid validates each epoch; --decay divides lr by 4 when it worsens and tests the best parameters",
  inTestDir(async (dir) => {
    const flags = "--model lstm --wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 6 --decay" +
      " --lr 20 --clip 0.25 --quiet --name d";
    const lines = await train([
      ...(await writeSplits(dir, [2000, 500, 500], 1)),
      ...flags.split(" "),
    ]);
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
  }),
);

Deno.test(
  "train: --resume of a validating run stopped before its first validation decays and tests as the whole run",
  inTestDir(async (dir) => {
    const common = [
      ...(await writeSplits(dir, [1500, 400, 400], 5)),
      ...("--model lstm --wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 5 --decay --lr 20" +
        " --clip 0.25 --eval-interval 1 --save-every 0 --quiet").split(" "),
    ];
    const whole = await train([...common, "--name", "whole"]);
    // stopped in epoch 1: the checkpoint's best validation perplexity is still Infinity
    await train([...common, "--name", "parts", "--stop-after", "30"]);
    const resumed = await train(["--resume", join(dir, "parts")]);
    const read = async (name: string) =>
      (await Deno.readTextFile(join(dir, name, "metrics.jsonl"))).trim().split("\n")
        .map((l) => JSON.parse(l)).map(({ kind, step, ppl, lr }) => ({ kind, step, ppl, lr }));
    assertEquals(await read("parts"), await read("whole"));
    const testLine = (lines: string[]) => lines.find((l) => l.startsWith("test perplexity"));
    assertOk(testLine(whole) !== undefined, whole.join("\n"));
    assertEquals(testLine(resumed), testLine(whole));
    assertOk((await Deno.stat(join(dir, "parts", "best.safetensors"))).isFile);
  }),
);

Deno.test(
  "train: held-out words missing from a --corpus become <unk>, and the count is reported",
  inTestDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "train.txt"), templateText(1000, 8));
    await Deno.writeTextFile(join(dir, "valid.txt"), templateText(400, 9) + "zebras dance\n");
    const text = (await train([
      ...["--corpus", join(dir, "train.txt"), "--valid", join(dir, "valid.txt")],
      ...["--runs-dir", dir, "--name", "u"],
      ...("--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 1 --quiet").split(" "),
    ])).join("\n");
    assertOk(/valid\.txt: 2 of \d+ tokens are <unk> \(not in the training text\)/.test(text), text);
  }),
);

Deno.test(
  "train: an existing run folder, a too-small split and conflicting flags are refused before anything is written",
  inTestDir(async (dir) => {
    const base = [
      ...(await writeCorpus(dir, 600, 10)),
      ..."--quiet --wordvec 8 --hidden 8".split(" "),
    ];
    await Deno.writeTextFile(join(dir, "small.txt"), "the cat sees the ball\n");
    await train([...base, "--name", "a", "--epochs", "1"]);
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
      const lines = await train([...base, ...args], code);
      assertOk(lines.join("\n").includes(message), lines.join("\n"));
    }
    for (const name of ["b", "c", "d"]) {
      assertOk(!(await Deno.stat(join(dir, name)).catch(() => null)), `${name} was not created`);
    }
  }),
);

Deno.test(
  "train: another --optimizer without --lr starts from that optimizer's default rate",
  inTestDir(async (dir) => {
    const base = [...(await writeCorpus(dir, 600, 11)), "--quiet", "--epochs", "1"];
    for (
      const [name, args, lr] of [
        ["adam", ["--optimizer", "adam"], 0.001],
        ["adam-lr", ["--optimizer", "adam", "--lr", "0.01"], 0.01],
        ["sgd", [], 0.1],
      ] as const
    ) {
      await train([...base, "--name", name, ...args]);
      const config = JSON.parse(await Deno.readTextFile(join(dir, name, "config.json")));
      assertEquals(config.lr, lr, name);
    }
  }),
);
