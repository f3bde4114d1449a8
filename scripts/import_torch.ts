/**
 * Makes a saiki run folder from a PyTorch state dict of `examples/torch/rnnlm.py`'s `RnnLM`:
 * `deno task import-torch FILE --out runs/<name> [--vocab FILE]`. The sizes come from the
 * tensors' shapes, the vocabulary from the file's metadata (what `deno task export --to torch`
 * writes) or `--vocab`; the folder gets `checkpoint.safetensors`, which `deno task generate`
 * reads.
 *
 * @module
 */

import { SaikiError } from "../lib/errors.ts";
import { loadCheckpoint, saveCheckpoint } from "../lib/io/checkpoint.ts";
import { readText } from "../lib/io/run_data.ts";
import { fromTorchStateDict } from "../lib/models/torch_export.ts";
import { modelCheckpoint } from "../lib/train/checkpoint.ts";
import { type Flags, type FlagSpec, UsageError } from "../lib/std/cli.ts";
import { runScript } from "./_run.ts";
import { join } from "../lib/std/path.ts";
import { defaultIO, type ScriptIO } from "./_io.ts";

/** The command line. */
export const FLAGS: Record<string, FlagSpec> = {
  out: { type: "string", help: "the run folder to make (new, or an empty folder)" },
  vocab: {
    type: "string",
    help: "the words, one a line in id order (default: the file's vocab metadata)",
  },
  help: { type: "boolean", help: "show this help", default: false },
};

const USAGE = "deno task import-torch FILE --out RUN_DIR [--vocab FILE]";

/** The words of a `--vocab` file: one a line, line i is id i; a last newline is optional. */
async function readVocab(path: string): Promise<string[]> {
  const lines = (await readText("--vocab", path)).split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  const blank = lines.findIndex((w) => w.trim() === "" || w.trim() !== w);
  if (blank >= 0) {
    throw new SaikiError(
      `--vocab ${path}: line ${blank + 1} is ${JSON.stringify(lines[blank])}: one word a line, ` +
        `without spaces around it`,
    );
  }
  return lines;
}

/** Makes `dir` (with its parents) and refuses it unless it is empty: nothing is overwritten. */
async function newRunFolder(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      throw new SaikiError(`--out ${dir} exists and is not a folder: choose another`);
    }
    throw e;
  }
  for await (const entry of Deno.readDir(dir)) {
    throw new SaikiError(
      `--out ${dir} holds ${entry.name}: import-torch makes a new run folder; choose another ` +
        `--out, or empty this one (nothing was changed)`,
    );
  }
}

/**
 * Runs the command line; returns the exit code. Results go to `io.log`, errors (one line, and
 * the usage for a bad command line) to `error`.
 */
export function main(
  args: string[],
  io: ScriptIO = defaultIO(),
  error: (line: string) => void = console.error,
): Promise<number> {
  return runScript(
    args,
    io,
    {
      usage: USAGE,
      flags: FLAGS,
      args: { count: 1, what: "one state-dict file" },
      permissions: "(deno task import-torch writes only under runs/; for --out elsewhere run " +
        "deno run --allow-read --allow-write=DIR scripts/import_torch.ts ...)",
    },
    (flags) => importRun(flags, io),
    error,
  );
}

async function importRun(flags: Flags, io: ScriptIO): Promise<number> {
  if (flags.out === undefined) {
    throw new UsageError("--out is missing: name the run folder to make (runs/NAME)");
  }
  const file = flags._[0], out = flags.out as string;
  const { tensors, metadata } = await loadCheckpoint(file);
  const given = flags.vocab === undefined ? undefined : await readVocab(flags.vocab as string);
  const { model, vocab } = fromTorchStateDict(tensors, { metadata, vocab: given, where: file });
  if (vocab === undefined) {
    throw new SaikiError(
      `${file}: no vocabulary: its metadata has no "vocab" (files deno task export writes ` +
        `carry it); give --vocab FILE, one word a line in id order ` +
        `(${model.config.vocabSize} lines)`,
    );
  }
  await newRunFolder(out);
  const path = join(out, "checkpoint.safetensors");
  const ckpt = modelCheckpoint(model, {
    metadata: { vocab: JSON.stringify(vocab), source: `imported from ${file}` },
  });
  saveCheckpoint(path, ckpt.tensors, ckpt.metadata);
  const { cell, layers, vocabSize, wordvecSize, hiddenSize, tieWeights, dropout } = model.config;
  io.log(
    `wrote ${path}: ${cell}, ${layers} layer${layers === 1 ? "" : "s"}, V ${vocabSize}, ` +
      `D ${wordvecSize}, H ${hiddenSize}${tieWeights ? ", tied" : ""}, dropout ${dropout}`,
  );
  io.log(`sample from it: deno task generate ${out}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
