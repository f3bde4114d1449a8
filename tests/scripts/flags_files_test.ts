/**
 * The command line against special files and flags that would state something false, run as
 * the user runs it: `deno run … scripts/train.ts` / `scripts/generate.ts` in a subprocess with
 * a deadline, so a command that hangs (a FIFO opened for reading, `/dev/zero` read whole)
 * fails its test instead of hanging the suite.
 */

import { main } from "../../scripts/train.ts";
import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { fromFileUrl, join } from "../../lib/std/path.ts";
import { inTestDir, runMain } from "../_helpers.ts";
import { denoWithin, HAS_DEV_ZERO, HAS_MKFIFO, mkfifo } from "../_special_files.ts";
import { Rng } from "../../lib/random.ts";

const TRAIN = fromFileUrl(new URL("../../scripts/train.ts", import.meta.url));
const GENERATE = fromFileUrl(new URL("../../scripts/generate.ts", import.meta.url));

/** Seconds a command may take before the test kills it and fails. */
const DEADLINE_S = 60;

/**
 * Runs `deno run --allow-read [--allow-write=DIR] script ...args`; fails (after killing it)
 * when it has not exited within {@linkcode DEADLINE_S}.
 */
function cli(script: string, args: string[], writeDir?: string) {
  const write = writeDir === undefined ? [] : [`--allow-write=${writeDir}`];
  return denoWithin(DEADLINE_S, ["run", "--allow-read", ...write, script, ...args]);
}

async function symlink(target: string, path: string): Promise<void> {
  const { success, stderr } = await new Deno.Command("ln", {
    args: ["-s", target, path],
    stderr: "piped",
  }).output();
  assertOk(success, `ln -s ${target} ${path}: ${new TextDecoder().decode(stderr)}`);
}

/** A corpus of `lines` lines of 8 words from a small vocabulary. */
function corpusText(lines: number, words: string[], seed = 1): string {
  const rng = new Rng(seed);
  const line = () => Array.from({ length: 8 }, () => words[rng.int(words.length)]).join(" ");
  return Array.from({ length: lines }, line).join("\n") + "\n";
}

const WORDS = "the cat sees a dog likes my friend buys news".split(" ");

Deno.test({
  name: "cli: generate refuses a FIFO as checkpoint (given, or in a run folder) at once",
  ignore: !HAS_MKFIFO,
  fn: inTestDir(async (dir) => {
    const fifo = join(dir, "model.safetensors");
    await mkfifo(fifo);
    let r = await cli(GENERATE, [fifo]);
    assertEquals(r.code, 1, r.err);
    assertEquals(
      r.err.trim(),
      `error: loadCheckpoint: cannot read ${fifo}: it is not a regular file (a FIFO): ` +
        `give a checkpoint file`,
    );
    assertEquals(r.out, "");
    // a run folder whose checkpoint is a FIFO
    await Deno.mkdir(join(dir, "run"));
    await mkfifo(join(dir, "run", "checkpoint.safetensors"));
    r = await cli(GENERATE, [join(dir, "run")]);
    assertEquals(r.code, 1, r.err);
    assertOk(
      r.err.includes(
        `${join(dir, "run", "checkpoint.safetensors")}: it is not a regular file (a FIFO)`,
      ),
      r.err,
    );
  }),
});

Deno.test({
  name: "cli: generate /dev/zero is refused before anything is read",
  ignore: !HAS_DEV_ZERO,
  fn: async () => {
    const r = await cli(GENERATE, ["/dev/zero"]);
    assertEquals(r.code, 1, r.err);
    assertEquals(
      r.err.trim(),
      "error: loadCheckpoint: cannot read /dev/zero: it is not a regular file (a character " +
        "device): give a checkpoint file",
    );
    // reading 4 GiB of zeros would take far longer than starting Deno does
    assertOk(r.seconds < 20, `took ${r.seconds.toFixed(1)} s`);
  },
});

Deno.test({
  name:
    "cli: train refuses a FIFO or /dev/zero as a PTB file, and a FIFO as --corpus or --data-dir",
  ignore: !HAS_MKFIFO,
  fn: inTestDir(async (dir) => {
    const ptb = join(dir, "ptb");
    await Deno.mkdir(ptb);
    await mkfifo(join(ptb, "ptb.train.txt"));
    const must = `(--data-dir ${ptb} must hold ptb.train.txt, ptb.valid.txt, ptb.test.txt)`;
    let r = await cli(TRAIN, ["--data-dir", ptb, "--runs-dir", dir], dir);
    assertEquals(r.code, 1, r.out + r.err);
    assertEquals(
      r.out.trim(),
      `error: PTB: ${join(ptb, "ptb.train.txt")} is not a regular file (a FIFO): give the ` +
        `reference ptb.train.txt ${must}`,
    );
    if (HAS_DEV_ZERO) {
      await Deno.remove(join(ptb, "ptb.train.txt"));
      await symlink("/dev/zero", join(ptb, "ptb.train.txt"));
      r = await cli(TRAIN, ["--data-dir", ptb, "--runs-dir", dir], dir);
      assertEquals(r.code, 1, r.out + r.err);
      assertEquals(
        r.out.trim(),
        `error: PTB: ${join(ptb, "ptb.train.txt")} is not a regular file (a character ` +
          `device): give the reference ptb.train.txt ${must}`,
      );
    }
    const fifo = join(dir, "corpus.txt");
    await mkfifo(fifo);
    r = await cli(TRAIN, ["--corpus", fifo, "--runs-dir", dir], dir);
    assertEquals(r.code, 1, r.out + r.err);
    assertEquals(
      r.out.trim(),
      `error: --corpus ${fifo} is not a regular file (a FIFO): give a UTF-8 text file`,
    );
    r = await cli(TRAIN, ["--data-dir", fifo, "--runs-dir", dir], dir);
    assertEquals(r.code, 1, r.out + r.err);
    assertOk(r.out.startsWith(`error: --data-dir ${fifo} is a FIFO; it names the folder`), r.out);
    // nothing was written: no run folder
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(left, ["corpus.txt", "ptb"]);
  }),
});

Deno.test("cli: a blank flag value is refused, naming the flag, with exit code 2", async () => {
  for (
    const [script, args, message] of [
      [TRAIN, ["--lr", " "], `error: --lr takes a number, got a blank value " "`],
      [TRAIN, ["--seed", " "], `error: --seed takes a number, got a blank value " "`],
      [TRAIN, ["--name="], `error: --name takes a value, got a blank value ""`],
      [
        TRAIN,
        ["--model", "\t"],
        `error: --model takes one of rnn, lstm, gru, got a blank value "\t"`,
      ],
      [
        GENERATE,
        ["run", "--temperature", "  "],
        "error: --temperature takes a number, got a blank",
      ],
    ] as const
  ) {
    const r = await cli(script, [...args]);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.out}${r.err}`);
    const text = r.out + r.err;
    assertOk(text.startsWith(message), `${args.join(" ")}: ${text}`);
    assertOk(text.includes("usage: deno task"), text);
  }
});

Deno.test(
  "cli: booleans take their last occurrence, as value flags do",
  inTestDir(async (dir) => {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(300, WORDS));
    const base = ["--corpus", corpus, "--runs-dir", dir, "--quiet", "--stop-after", "1"];
    for (
      const [name, flags, tie] of [
        ["a", ["--no-tie", "--tie"], true],
        ["b", ["--tie", "--no-tie"], false],
        ["c", ["--tie", "--no-tie", "--tie"], true],
      ] as const
    ) {
      const r = await cli(TRAIN, [...base, "--name", name, ...flags], dir);
      assertEquals(r.code, 0, r.out + r.err);
      const config = JSON.parse(await Deno.readTextFile(join(dir, name, "config.json")));
      assertEquals(config.tie, tie, flags.join(" "));
    }
  }),
);

Deno.test(
  "cli: the header names the threads that run: --workers is capped at the batch's shards",
  inTestDir(async (dir) => {
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(400, WORDS));
    const base = [
      ...["--corpus", corpus, "--runs-dir", dir, "--wordvec", "8", "--hidden", "8"],
      ...["--time", "5", "--stop-after", "2"],
    ];
    for (
      const [name, flags, threads] of [
        [
          "w2",
          ["--workers", "1000", "--batch", "16"],
          "2 workers (--workers 1000 capped at 2 shards)",
        ],
        [
          "w1",
          ["--workers", "1000", "--batch", "4"],
          "1 thread (--workers 1000 capped at 1 shard)",
        ],
        ["w0", ["--workers", "2", "--batch", "16"], "2 workers (--workers 2)"],
      ] as const
    ) {
      const r = await cli(TRAIN, [...base, "--name", name, ...flags], dir);
      assertEquals(r.code, 0, r.out + r.err);
      const header = r.out.split("\n")[0];
      assertOk(header.startsWith("saiki: "), r.out);
      assertOk(header.includes(` | ${threads} | run `), `${flags.join(" ")}: ${header}`);
    }
  }),
);

Deno.test(
  "train: the <unk> notes say which words --vocab-size left out and which the training text lacks",
  inTestDir(async (dir) => {
    // training text: 10 common words, plus "rare" twice and "odd" once
    const train = join(dir, "train.txt");
    await Deno.writeTextFile(train, corpusText(200, WORDS) + "rare odd rare\n");
    // held-out: 2 "rare" (in the training text), 3 "zebra" (not in it)
    const valid = join(dir, "valid.txt");
    await Deno.writeTextFile(valid, corpusText(60, WORDS, 7) + "rare zebra zebra rare zebra\n");
    const args = (name: string, extra: string[]) => [
      ...["--corpus", train, "--valid", valid, "--runs-dir", dir, "--name", name],
      ..."--wordvec 8 --hidden 8 --batch 4 --time 5 --epochs 1 --quiet".split(" "),
      ...extra,
    ];
    // 10 words + <eos> + <unk> kept: "rare" and "odd" left out
    let lines = await runMain(main, args("cut", ["--vocab-size", "12"]));
    // 200 × 8 words, 200 <eos>, then rare odd rare <eos>
    assertOk(
      lines.includes(
        "note: --vocab-size 12 left out 2 of the training text's 13 distinct words: " +
          "3 of 1,804 training tokens are <unk>",
      ),
      lines.join("\n"),
    );
    // 60 × 8 + 60 <eos> + 5 words + <eos> = 546 tokens
    assertOk(
      lines.includes(
        `note: --valid ${valid}: 5 of 546 tokens are <unk> ` +
          `(3 not in the training text, 2 left out by --vocab-size 12)`,
      ),
      lines.join("\n"),
    );
    // without the cap, only "zebra" is <unk>, and the training text has none
    lines = await runMain(main, args("all", []));
    const notes = lines.filter((l) => l.startsWith("note: "));
    assertEquals(notes, [
      `note: --valid ${valid}: 3 of 546 tokens are <unk> (not in the training text)`,
    ]);
    // held-out words all in the training text, some left out by the cap
    await Deno.writeTextFile(valid, corpusText(60, WORDS, 7) + "rare odd\n");
    lines = await runMain(main, args("cut2", ["--vocab-size", "12"]));
    assertOk(
      lines.includes(
        `note: --valid ${valid}: 2 of 543 tokens are <unk> ` +
          `(words of the training text that --vocab-size 12 left out)`,
      ),
      lines.join("\n"),
    );
  }),
);

Deno.test(
  "cli: a corpus of blank lines is refused: the training text has no words",
  inTestDir(async (dir) => {
    const blank = join(dir, "blank.txt");
    await Deno.writeTextFile(blank, "   \n\t\n \u3000 \n\n");
    const r = await cli(TRAIN, ["--corpus", blank, "--runs-dir", dir], dir);
    assertEquals(r.code, 1, r.out + r.err);
    assertEquals(
      r.out.trim(),
      `error: the training text (${blank}) has no words, only 4 blank lines: a language model ` +
        `needs words to learn`,
    );
    // a held-out text of blank lines measures nothing: refused too
    const corpus = join(dir, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText(300, WORDS));
    await Deno.writeTextFile(join(dir, "valid.txt"), "\n".repeat(500));
    const args = ["--corpus", corpus, "--valid", join(dir, "valid.txt"), "--runs-dir", dir];
    assertEquals(await runMain(main, [...args, "--quiet"], 1), [
      `error: the validation text (${join(dir, "valid.txt")}) has no words, only 500 blank ` +
      `lines: it measures nothing`,
    ]);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "blank.txt",
      "corpus.txt",
      "valid.txt",
    ]);
  }),
);
