/**
 * Answers a question with a trained seq2seq model:
 * `deno task ask runs/<name> "16+75"`. For an attention model it also writes the attention
 * map as an SVG heat map (rows: the answer's characters, columns: the question's), as the
 * reference's `ch08/visualize_attention.py` draws it: `runs/<name>/attention.svg`, or `--out`.
 *
 * @module
 */

import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { writeTextAtomic } from "../lib/io/run_folder.ts";
import { askSeq2seq } from "../lib/models/seq2seq_ask.ts";
import { attentionMapSvg } from "../lib/train/plot.ts";
import { seq2seqFromCheckpoint } from "../lib/train/seq2seq_run.ts";
import type { Flags, FlagSpec } from "../lib/std/cli.ts";
import { runScript } from "./_run.ts";
import { join } from "../lib/std/path.ts";
import { BACKEND_FLAG, useBackend } from "./_backend.ts";

/** The command line. */
export const FLAGS: Record<string, FlagSpec> = {
  out: {
    type: "string",
    help: "where the attention map goes (default: attention.svg in the run folder)",
  },
  backend: BACKEND_FLAG,
  help: { type: "boolean", help: "show this help", default: false },
};

const USAGE = 'deno task ask RUN_DIR|CHECKPOINT "QUESTION" [--out FILE]';

/** Runs the command line; returns the exit code. `out` receives the lines printed. */
export function main(
  args: string[],
  out: (line: string) => void = console.log,
): Promise<number> {
  return runScript(
    args,
    { log: out },
    {
      usage: USAGE,
      flags: FLAGS,
      args: { count: 2, what: "a run folder and one question" },
      permissions: "(deno task ask writes only under runs/; for --out elsewhere run deno run " +
        "--allow-read --allow-write=FILE scripts/ask.ts ...)",
    },
    (flags) => ask(flags, out),
    console.error,
  );
}

async function ask(flags: Flags, out: (line: string) => void): Promise<number> {
  useBackend(flags.backend);
  const [given, question] = flags._;
  const isDir = (await Deno.stat(given).catch(() => null))?.isDirectory ?? false;
  const path = isDir ? join(given, "checkpoint.safetensors") : given;
  const { model, vocab, widths, reverse } = seq2seqFromCheckpoint(
    await loadCheckpoint(path),
    path,
  );
  const reply = askSeq2seq(model, question, { vocab, widths, reverse });
  out(`Q ${reply.questionChars.join("").trimEnd()}`);
  out(`A ${reply.answer.trimEnd()}`);
  if (reply.attention !== undefined) {
    const file = (flags.out as string | undefined) ??
      (isDir ? join(given, "attention.svg") : "attention.svg");
    const show = (c: string) => c === " " ? "␣" : c;
    writeTextAtomic(
      file,
      attentionMapSvg(
        reply.attention,
        reply.answerChars.map(show),
        reply.questionChars.map(show),
        {
          title: `attention: "${question}" → "${reply.answer.trimEnd()}"`,
        },
      ),
    );
    out(`attention map: ${file}`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
