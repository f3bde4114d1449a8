/**
 * `deno task export --to torch|onnx` and `deno task import-torch` on the command line: a run
 * folder exported and imported back samples the same text with `deno task generate`; the ONNX
 * file carries the model's weights, shape and vocabulary; bad command lines exit 2, bad files
 * exit 1 with one line naming what is wrong; nothing is overwritten that the commands did not
 * write.
 */

import { main as exportMain } from "../../scripts/export.ts";
import { main as importMain } from "../../scripts/import_torch.ts";
import { main as generateMain } from "../../scripts/generate.ts";
import { loadCheckpoint, saveCheckpoint } from "../../lib/io/checkpoint.ts";
import { LanguageModel } from "../../lib/models/rnnlm.ts";
import { encodeSafetensors } from "../../lib/models/safetensors.ts";
import { toTorchStateDict } from "../../lib/models/torch_export.ts";
import { ONNX_FORMAT, readOnnxInfo, toOnnx } from "../../lib/models/onnx_export.ts";
import { modelCheckpoint, modelFromCheckpoint } from "../../lib/train/checkpoint.ts";
import { Rng } from "../../lib/random.ts";
import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { join } from "../../lib/std/path.ts";
import { findEngine, makeTestDir } from "../_helpers.ts";

const PYTHON_ORT = await findEngine("python3", [
  "-c",
  "import numpy, onnxruntime; print(onnxruntime.__version__)",
], {
  what: "python3 with onnxruntime and numpy",
  install: "pip install onnxruntime",
  consequence: "examples/onnx/generate.py is not run",
});

const WORDS = ["<eos>", "you", "say", "goodbye", "and", "i", "hello", "."];

/** A run folder holding a GRU model's checkpoint (with its vocabulary), as train writes it. */
function makeRun(dir: string): LanguageModel {
  const config = {
    vocabSize: WORDS.length,
    wordvecSize: 6,
    hiddenSize: 6,
    cell: "gru" as const,
    layers: 2,
    dropout: 0.5,
    tieWeights: true,
  };
  const model = new LanguageModel(config, { rng: new Rng(3) });
  for (const p of model.params) p.data.set(new Rng(4).randn(p.shape).data);
  Deno.mkdirSync(dir, { recursive: true });
  const data = modelCheckpoint(model, { metadata: { vocab: JSON.stringify(WORDS) } });
  saveCheckpoint(join(dir, "checkpoint.safetensors"), data.tensors, data.metadata);
  return model;
}

/** Runs a script's `main`, collecting what it prints. */
async function run(
  main: typeof exportMain,
  args: string[],
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(args, { log: (l) => void out.push(l) }, (l) => void err.push(l));
  return { code, out, err };
}

/** The text `deno task generate` samples from `path`. */
async function sample(path: string): Promise<string> {
  const out: string[] = [];
  assertEquals(await generateMain([path, "--length", "40", "--seed", "5"], (t) => out.push(t)), 0);
  return out.join("\n");
}

Deno.test("export --to torch, then import-torch: the same model samples the same text", async () => {
  const dir = await makeTestDir();
  try {
    const runDir = join(dir, "run"), back = join(dir, "back");
    const model = makeRun(runDir);
    const exported = await run(exportMain, [runDir, "--to", "torch"]);
    assertEquals(exported.code, 0, exported.err.join("\n"));
    const file = join(runDir, "torch.safetensors");
    assertEquals(
      exported.out[0],
      `wrote ${file} from ${join(runDir, "checkpoint.safetensors")}: RnnLM(cell="gru", ` +
        `vocab_size=8, wordvec_size=6, hidden_size=6, num_layers=2, dropout=0.5, tied=True)`,
    );
    const { tensors, metadata } = await loadCheckpoint(file);
    assertEquals(Object.keys(tensors).sort(), Object.keys(toTorchStateDict(model).tensors).sort());
    assertEquals(JSON.parse(metadata.vocab), WORDS);

    const imported = await run(importMain, [file, "--out", back]);
    assertEquals(imported.code, 0, imported.err.join("\n"));
    assertEquals(imported.out, [
      `wrote ${join(back, "checkpoint.safetensors")}: gru, 2 layers, V 8, D 6, H 6, tied, ` +
      `dropout 0.5`,
      `sample from it: deno task generate ${back}`,
    ]);
    const again = modelFromCheckpoint(await loadCheckpoint(join(back, "checkpoint.safetensors")));
    assertEquals(again.config, model.config);
    assertEquals(
      new Uint32Array(again.paramBuffer.data.slice().buffer),
      new Uint32Array(model.paramBuffer.data.slice().buffer),
    );
    assertEquals(await sample(back), await sample(runDir));

    // a second export replaces the first; --out may name another file
    assertEquals((await run(exportMain, [runDir, "--to", "torch"])).code, 0);
    const other = join(dir, "lm.safetensors");
    assertEquals((await run(exportMain, [runDir, "--to", "torch", "--out", other])).code, 0);
    // best.safetensors is preferred, as generate prefers it (--no-best: the last checkpoint)
    await Deno.copyFile(join(runDir, "checkpoint.safetensors"), join(runDir, "best.safetensors"));
    const best = await run(exportMain, [runDir, "--to", "torch"]);
    assertOk(best.out[0].includes(`from ${join(runDir, "best.safetensors")}`), best.out[0]);
    const last = await run(exportMain, [runDir, "--to", "torch", "--no-best"]);
    assertOk(last.out[0].includes(`from ${join(runDir, "checkpoint.safetensors")}`), last.out[0]);
    // a checkpoint file given: the export goes beside it
    const single = await run(exportMain, [join(runDir, "best.safetensors"), "--to", "torch"]);
    assertEquals(single.code, 0, single.err.join("\n"));
    assertOk((await Deno.stat(join(runDir, "best.torch.safetensors"))).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export --to onnx: the model's graph, weights and vocabulary; other files are kept", async () => {
  const dir = await makeTestDir();
  try {
    const runDir = join(dir, "run");
    const model = makeRun(runDir);
    const r = await run(exportMain, [runDir, "--to", "onnx"]);
    assertEquals(r.code, 0, r.err.join("\n"));
    const out = join(runDir, "model.onnx");
    assertEquals(r.out, [
      `wrote ${out} from ${join(runDir, "checkpoint.safetensors")}: ONNX opset 14, 2 GRU ` +
      `layers, V 8, H 6`,
      "inputs: ids int64 (N, T), h0 float (2, N, 6); outputs: logits (N, T, 8), hn (2, N, 6)",
    ]);
    // the bytes toOnnx makes of the checkpoint's model, with its vocabulary
    const bytes = Deno.readFileSync(out);
    assertEquals(bytes, toOnnx(model, { vocab: WORDS }));
    const info = readOnnxInfo(bytes);
    assertEquals([info.metadata.format, JSON.parse(info.metadata.vocab)], [ONNX_FORMAT, WORDS]);
    // --no-states: ids alone; an export it wrote may be written over, beside a checkpoint file
    const ckpt = join(runDir, "checkpoint.safetensors");
    const again = await run(exportMain, [ckpt, "--to", "onnx", "--no-states", "--out", out]);
    assertEquals(again.code, 0, again.err.join("\n"));
    assertEquals(readOnnxInfo(Deno.readFileSync(out)).inputs, ["ids"]);
    const beside = await run(exportMain, [ckpt, "--to", "onnx"]);
    assertEquals(beside.code, 0);
    assertOk(Deno.statSync(join(runDir, "checkpoint.onnx")).isFile);
    // but not a torch export, nor anything else
    const torch = await run(exportMain, [runDir, "--to", "torch"]);
    assertEquals(torch.code, 0);
    const torchFile = join(runDir, "torch.safetensors");
    const before = Deno.readFileSync(torchFile);
    const refused = await run(exportMain, [runDir, "--to", "onnx", "--out", torchFile]);
    assertEquals(refused.code, 1);
    assertEquals(refused.err, [
      `error: --out ${torchFile} exists and is not an ONNX export saiki wrote: choose another ` +
      `file (nothing was changed)`,
    ]);
    assertEquals(Deno.readFileSync(torchFile), before);
    const onto = await run(exportMain, [runDir, "--to", "torch", "--out", out]);
    assertEquals(onto.code, 1);
    assertOk(onto.err[0].includes("is not a torch export saiki wrote"), onto.err[0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "examples/onnx/generate.py: ONNX Runtime (Python) generates deno task generate's " +
    "greedy text from the export, word for word",
  ignore: PYTHON_ORT === undefined,
  async fn() {
    const dir = await makeTestDir();
    try {
      const runDir = join(dir, "run");
      makeRun(runDir);
      assertEquals((await run(exportMain, [runDir, "--to", "onnx"])).code, 0);
      const text = (b: Uint8Array) => new TextDecoder().decode(b);
      const seconds = new Set<string>();
      for (const start of WORDS.slice(1)) {
        const saiki: string[] = [];
        const args = ["--top-k", "1", "--length", "12", "--start", start];
        assertEquals(await generateMain([runDir, ...args], (t) => saiki.push(t)), 0);
        const py = await new Deno.Command("python3", {
          args: ["examples/onnx/generate.py", join(runDir, "model.onnx"), ...args],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assertEquals(py.code, 0, text(py.stderr));
        assertEquals(text(py.stdout).trimEnd(), saiki.join("\n").trimEnd(), `from "${start}"`);
        seconds.add(saiki.join(" ").split(/\s+/)[1]);
      }
      assertOk(seconds.size > 1, "every start is followed by the same word");
      // an export without the state inputs cannot generate: one line says why
      assertEquals((await run(exportMain, [runDir, "--to", "onnx", "--no-states"])).code, 0);
      const bad = await new Deno.Command("python3", {
        args: ["examples/onnx/generate.py", join(runDir, "model.onnx")],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(bad.code, 1);
      assertEquals(
        text(bad.stderr).trim(),
        `error: ${join(runDir, "model.onnx")} has no h0 input: export it without --no-states`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("export and import-torch: bad command lines exit 2, bad files exit 1 in one line", async () => {
  const dir = await makeTestDir();
  try {
    const runDir = join(dir, "run");
    const model = makeRun(runDir);
    const usage = async (main: typeof exportMain, args: string[], message: string) => {
      const r = await run(main, args);
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.err.join("\n")}`);
      assertEquals(r.err[0].split("\n")[0], `error: ${message}`);
      assertOk(r.err[0].split("\n")[1].startsWith("usage: deno task "));
    };
    await usage(exportMain, [runDir], "--to is missing: say what to write (torch or onnx)");
    await usage(exportMain, [runDir, "--to", "tf"], `--to must be one of torch, onnx; got "tf"`);
    await usage(exportMain, ["--to", "torch"], "expected one run folder or checkpoint file, got 0");
    await usage(exportMain, [runDir, "--bogus"], "unknown flag --bogus");
    await usage(
      importMain,
      ["x.safetensors"],
      "--out is missing: name the run folder to make " +
        "(runs/NAME)",
    );
    await usage(importMain, ["--out", "x"], "expected one state-dict file, got 0");

    const fails = async (main: typeof exportMain, args: string[], message: string) => {
      const r = await run(main, args);
      assertEquals(r.code, 1, `${args.join(" ")}: ${r.err.join("\n")}`);
      assertEquals(r.err, [`error: ${message}`]);
      assertEquals(r.out, []);
    };
    // export: no checkpoint; an --out that is not an export it wrote is left alone
    await fails(
      exportMain,
      [join(dir, "none"), "--to", "torch"],
      `loadCheckpoint: no checkpoint at ${join(dir, "none")}`,
    );
    const notes = join(dir, "notes.txt");
    Deno.writeTextFileSync(notes, "mine");
    await fails(
      exportMain,
      [runDir, "--to", "torch", "--out", notes],
      `--out ${notes} exists and is not a torch export saiki wrote: choose another file ` +
        `(nothing was changed)`,
    );
    assertEquals(Deno.readTextFileSync(notes), "mine");
    const ckpt = join(runDir, "checkpoint.safetensors");
    await fails(
      exportMain,
      [runDir, "--to", "torch", "--out", ckpt],
      `--out ${ckpt} is the checkpoint being exported: choose another file`,
    );

    // import: a state dict with a key missing, a wrong shape, an unknown key
    const write = (name: string, edit: (t: Record<string, unknown>) => void, meta = true) => {
      const { tensors, metadata } = toTorchStateDict(model, { vocab: WORDS });
      edit(tensors);
      const path = join(dir, name);
      Deno.writeFileSync(path, encodeSafetensors(tensors, meta ? metadata : {}));
      return path;
    };
    const missing = write("missing.safetensors", (t) => delete t["rnn.weight_hh_l1"]);
    await fails(
      importMain,
      [missing, "--out", join(dir, "a")],
      `${missing}: tensor "rnn.weight_hh_l1" is missing: expected shape [18, 6] (layer 1: ` +
        `G·H × H, G = 3, gates z, r, ĥ in the book's order)`,
    );
    const shaped = write("shape.safetensors", (t) => t["out.bias"] = t["rnn.bias_ih_l0"]);
    await fails(
      importMain,
      [shaped, "--out", join(dir, "a")],
      `${shaped}: tensor "out.bias" has shape [18], expected [8] (nn.Linear's bias: V)`,
    );
    const extra = write("extra.safetensors", (t) => t["rnn.weight_ih_l0_reverse"] = t["out.bias"]);
    await fails(
      importMain,
      [extra, "--out", join(dir, "a")],
      `${extra}: unknown tensor "rnn.weight_ih_l0_reverse" (a bidirectional layer's: a ` +
        `language model reads one way): RnnLM has embed.weight, rnn.weight_ih_l<l>, ` +
        `rnn.weight_hh_l<l>, rnn.bias_ih_l<l>, rnn.bias_hh_l<l>, out.weight (unless tied) and ` +
        `out.bias`,
    );
    // a file that is not safetensors at all
    await fails(
      importMain,
      [notes, "--out", join(dir, "a")],
      `${notes}: file is 4 bytes, ` +
        `shorter than the 8-byte header length field`,
    );
    assertOk(!(await Deno.stat(join(dir, "a")).catch(() => null)), "no folder was made");

    // no vocabulary: --vocab gives it, one word a line
    const bare = write("bare.safetensors", () => {}, false);
    await fails(
      importMain,
      [bare, "--out", join(dir, "a")],
      `${bare}: tensor "rnn.weight_hh_l0" has shape [18, 6], a GRU's, and no metadata says it ` +
        `is the book's: torch.nn.GRU applies the reset gate after the hidden-state product, ` +
        `the book (and saiki) before it, so nn.GRU's parameters would compute something else; ` +
        `a file saved by examples/torch/rnnlm.py's RnnLM (save_safetensors) or exported by ` +
        `saiki says so in its torch_config`,
    );
    const { tensors, metadata } = toTorchStateDict(model);
    const novocab = join(dir, "novocab.safetensors");
    Deno.writeFileSync(novocab, encodeSafetensors(tensors, metadata));
    await fails(
      importMain,
      [novocab, "--out", join(dir, "a")],
      `${novocab}: no vocabulary: its metadata has no "vocab" (files deno task export writes ` +
        `carry it); give --vocab FILE, one word a line in id order (8 lines)`,
    );
    const vocab = join(dir, "vocab.txt");
    Deno.writeTextFileSync(vocab, WORDS.slice(0, 7).join("\n") + "\n");
    await fails(
      importMain,
      [novocab, "--out", join(dir, "a"), "--vocab", vocab],
      `${novocab}: vocab has 7 words, but the model's vocabulary (embed.weight) has 8`,
    );
    Deno.writeTextFileSync(vocab, WORDS.join("\n") + "\n");
    const ok = await run(importMain, [novocab, "--out", join(dir, "a"), "--vocab", vocab]);
    assertEquals(ok.code, 0, ok.err.join("\n"));
    assertEquals(await sample(join(dir, "a")), await sample(runDir));
    // the folder made is not made twice
    await fails(
      importMain,
      [novocab, "--out", join(dir, "a"), "--vocab", vocab],
      `--out ${join(dir, "a")} holds checkpoint.safetensors: import-torch makes a new run ` +
        `folder; choose another --out, or empty this one (nothing was changed)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
