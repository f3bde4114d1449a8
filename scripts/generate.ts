/**
 * Samples text from a trained model: `deno task generate runs/<name> [--start you] [flags]`.
 *
 * @module
 */

import { SaikiError } from "../lib/errors.ts";
import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { modelFromCheckpoint } from "../lib/train/checkpoint.ts";
import { generate } from "../lib/models/generate.ts";
import { Rng } from "../lib/random.ts";
import type { Flags, FlagSpec } from "../lib/std/cli.ts";
import { runScript } from "./_run.ts";
import { BACKEND_FLAG, useBackend } from "./_backend.ts";
import { join } from "../lib/std/path.ts";

/** The command line. */
export const FLAGS: Record<string, FlagSpec> = {
  start: {
    type: "string",
    help: `first word (default: "you", or a new sentence where the model does not know "you")`,
  },
  length: {
    type: "number",
    help: "words to generate, start word included",
    default: 100,
    integer: true,
    min: 1,
    max: 100_000,
  },
  temperature: {
    type: "number",
    help: "softmax temperature (< 1 sharper, > 1 flatter)",
    default: 1,
    min: 1e-6,
  },
  "top-k": {
    type: "number",
    help: "sample among the K likeliest words only, 0 = all",
    default: 0,
    integer: true,
    min: 0,
  },
  skip: { type: "string", help: "comma-separated words never emitted", default: "N,<unk>,$" },
  seed: {
    type: "number",
    help: "random seed (a 32-bit integer)",
    default: 1,
    integer: true,
    min: -(2 ** 31),
    max: 2 ** 31 - 1,
  },
  best: {
    type: "boolean",
    help: "use best.safetensors of a run folder when there is one",
    default: true,
  },
  backend: BACKEND_FLAG,
  help: { type: "boolean", help: "show this help", default: false },
};

const USAGE = "deno task generate RUN_DIR|CHECKPOINT [flags]";

/** Runs the command line; returns the exit code. `out` receives the text. */
export function main(
  args: string[],
  out: (text: string) => void = console.log,
): Promise<number> {
  return runScript(
    args,
    { log: out },
    {
      usage: USAGE,
      flags: FLAGS,
      args: { count: 1, what: "one run folder or checkpoint file" },
      permissions: "(deno task generate reads files only)",
    },
    (flags) => sample(flags, out),
    console.error,
  );
}

async function sample(flags: Flags, out: (text: string) => void): Promise<number> {
  useBackend(flags.backend);
  let path = flags._[0];
  if ((await Deno.stat(path).catch(() => null))?.isDirectory) {
    const best = join(path, "best.safetensors");
    path = flags.best && (await Deno.stat(best).catch(() => null))
      ? best
      : join(path, "checkpoint.safetensors");
  }
  const ckpt = await loadCheckpoint(path);
  const model = modelFromCheckpoint(ckpt, { where: path });
  let words: string[];
  try {
    words = JSON.parse(ckpt.metadata.vocab);
    if (!Array.isArray(words) || words.length !== model.config.vocabSize) throw new Error();
  } catch {
    throw new SaikiError(
      `${path}: metadata "vocab" is missing or does not match the model's vocabulary size`,
    );
  }
  const ids = new Map(words.map((w, i) => [w, i]));
  // a model trained on another --corpus may not know "you": start a new sentence instead
  const given = flags.start as string | undefined;
  const start = given ?? (ids.has("you") ? "you" : ids.has("<eos>") ? "<eos>" : words[0]);
  const startId = ids.get(start);
  if (startId === undefined) {
    throw new SaikiError(`--start "${start}" is not in the model's vocabulary`);
  }
  if (given === undefined && start !== "you") {
    console.error(
      `note: "you" is not in this model's vocabulary; starting from ${
        start === "<eos>" ? "a new sentence" : `"${start}"`
      } (choose with --start WORD)`,
    );
  }
  const skipIds = (flags.skip as string).split(",").map((w) => ids.get(w.trim())).filter((i) =>
    i !== undefined
  );
  const sampled = generate(model, startId, {
    rng: new Rng(flags.seed as number),
    sampleSize: flags.length as number,
    temperature: flags.temperature as number,
    topK: flags["top-k"] as number,
    skipIds,
  });
  out(
    sampled.map((i) => words[i]).join(" ").replaceAll(" <eos> ", "\n").replaceAll("<eos>", "\n")
      .replace(/^\n/, ""),
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
