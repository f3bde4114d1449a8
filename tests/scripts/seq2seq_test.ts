import { main } from "../../scripts/seq2seq.ts";
import { main as askMain } from "../../scripts/ask.ts";
import { loadCheckpoint } from "../../lib/io/checkpoint.ts";
import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { join } from "../../lib/std/path.ts";
import { makeTestDir } from "../_helpers.ts";

function capture() {
  const lines: string[] = [];
  return { lines, io: { log: (l: string) => void lines.push(l) } };
}

/** A small, fast run on the shipped sample (no --data-dir, no SAIKI_DATA_DIR in the tests). */
const small = ["--hidden", "16", "--batch", "100", "--workers", "1"];

async function metrics(dir: string) {
  const text = await Deno.readTextFile(join(dir, "metrics.jsonl"));
  return text.trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test("seq2seq: bad flags print the usage and exit with code 2", async () => {
  for (
    const [args, message] of [
      [["--bogus"], "unknown flag --bogus"],
      [["--data", "poems"], "--data"],
      [["--model", "transformer"], "--model"],
      [["--hidden", "0"], "--hidden"],
      [["extra"], 'unexpected argument "extra"'],
      [
        ["--resume", "runs/x", "--hidden", "8"],
        "--resume continues a run with its saved configuration",
      ],
    ] as const
  ) {
    const { lines, io } = capture();
    assertEquals(await main([...args], io), 2, args.join(" "));
    const text = lines.join("\n");
    assertOk(text.includes(message), `${args.join(" ")}: ${text}`);
    assertOk(text.includes("usage: deno task seq2seq"), text);
  }
});

Deno.test("seq2seq: a run on the sample writes its folder, prints the reference's lines and answers questions", async () => {
  const runs = await makeTestDir();
  const { lines, io } = capture();
  const code = await main([
    "--data",
    "date",
    ...small,
    "--epochs",
    "2",
    "--runs-dir",
    runs,
    "--name",
    "d",
  ], io);
  const text = lines.join("\n");
  assertEquals(code, 0, text);
  const dir = join(runs, "d");
  assertOk(text.includes("training on the shipped sample"), text);
  assertOk(/\| epoch 1 \| {2}iter 1 \/ 4 \| time \d+\[s\] \| loss \d\.\d\d/.test(text), text);
  assertEquals(lines.filter((l) => /^val acc \d+\.\d{3}%$/.test(l)).length, 2, text);
  assertOk(/^Q .+\nT .+\n[☑☒] .+\n---$/m.test(text), text);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assertEquals(names, ["accuracy.svg", "checkpoint.safetensors", "config.json", "metrics.jsonl"]);
  const valid = (await metrics(dir)).filter((m) => m.kind === "valid");
  assertEquals(valid.map((m) => m.epoch), [1, 2]);
  const svg = await Deno.readTextFile(join(dir, "accuracy.svg"));
  assertOk(svg.includes(">epoch</text>") && svg.includes("accuracy (%)"), svg.slice(0, 200));
  const ckpt = await loadCheckpoint(join(dir, "checkpoint.safetensors"));
  assertEquals(ckpt.metadata.format, "saiki-seq2seq/1");
  assertEquals(JSON.parse(ckpt.metadata.widths), { question: 29, answer: 11 });

  const out: string[] = [];
  assertEquals(await askMain([dir, "september 27, 1994"], (l) => void out.push(l)), 0);
  assertEquals(out[0], "Q september 27, 1994");
  assertOk(/^A .{0,10}$/.test(out[1]), out.join("\n"));
  assertEquals(out[2], `attention map: ${join(dir, "attention.svg")}`);
  const map = await Deno.readTextFile(join(dir, "attention.svg"));
  assertOk(map.startsWith("<svg"), map.slice(0, 100));
  // a bad question is refused, naming the character or the width
  assertEquals(await askMain([dir, "september 27, 1994 and more words"], () => {}), 1);
  assertEquals(await askMain([dir, "Ω"], () => {}), 1);
  assertEquals(await askMain([dir], () => {}), 2);
  await Deno.remove(runs, { recursive: true });
});

Deno.test("seq2seq: a run stopped and resumed (on another worker count) ends with the uninterrupted run's parameters", async () => {
  const runs = await makeTestDir();
  const base = [
    "--data",
    "addition",
    "--model",
    "peeky",
    "--reverse",
    ...small,
    "--epochs",
    "2",
    "--runs-dir",
    runs,
  ];
  const { io } = capture();
  assertEquals(await main([...base, "--name", "whole"], io), 0);
  assertEquals(await main([...base, "--name", "part", "--stop-after", "11"], io), 0);
  const resumed = capture();
  assertEquals(await main(["--resume", join(runs, "part"), "--workers", "2"], resumed.io), 0);
  assertOk(
    resumed.lines.some((l) =>
      l.startsWith(`resuming ${join(runs, "part")} at epoch 2, iteration 11`)
    ),
    resumed.lines.join("\n"),
  );
  // stopped at the end of an epoch (9 iterations each): that epoch is measured and saved first
  assertEquals(await main([...base, "--name", "edge", "--stop-after", "9"], io), 0);
  assertEquals((await metrics(join(runs, "edge"))).filter((m) => m.kind === "valid").length, 1);
  assertEquals(await main(["--resume", join(runs, "edge")], io), 0);
  const a = await loadCheckpoint(join(runs, "whole", "checkpoint.safetensors"));
  for (const other of ["part", "edge"]) {
    const b = await loadCheckpoint(join(runs, other, "checkpoint.safetensors"));
    for (const [name, t] of Object.entries(a.tensors)) {
      assertEquals([...b.tensors[name].data], [...t.data], `${other}: ${name}`);
    }
    assertEquals(b.metadata.acc_list, a.metadata.acc_list, other);
  }
  const steps = (await metrics(join(runs, "part"))).map((m) => m.step);
  assertEquals(steps, [...steps].sort((x, y) => x - y), "metrics in order, none repeated");
  // a finished run has nothing to do; a language-model checkpoint is not a seq2seq one
  const again = capture();
  assertEquals(await main(["--resume", join(runs, "part")], again.io), 0);
  assertOk(again.lines.join("\n").includes("nothing to do"), again.lines.join("\n"));
  await Deno.remove(runs, { recursive: true });
});
