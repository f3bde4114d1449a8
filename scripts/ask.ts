/**
 * Answers a question with a trained seq2seq model:
 * `deno task ask runs/<name> "16+75"`. For an attention model it also writes the attention
 * map as an SVG heat map (rows: the answer's characters, columns: the question's), as the
 * reference's `ch08/visualize_attention.py` draws it: `runs/<name>/attention.svg`, or `--out`.
 *
 * @module
 */

import { SaikiError } from "../lib/errors.ts";
import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { writeTextAtomic } from "../lib/io/run_folder.ts";
import { askSeq2seq } from "../lib/models/seq2seq_ask.ts";
import { attentionMapSvg } from "../lib/train/plot.ts";
import { seq2seqFromCheckpoint } from "../lib/train/seq2seq_run.ts";
import { type FlagSpec, helpText, parseFlags, UsageError } from "../lib/std/cli.ts";
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
export async function main(
  args: string[],
  out: (line: string) => void = console.log,
): Promise<number> {
  let flags;
  try {
    flags = parseFlags(args, FLAGS);
    if (flags.help) {
      out(helpText(USAGE, FLAGS));
      return 0;
    }
    if (flags._.length !== 2) {
      throw new UsageError(
        `expected a run folder and one question, got ${flags._.length} argument(s)`,
      );
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}\nusage: ${USAGE}  (--help lists the flags)`);
    return 2;
  }
  try {
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
  } catch (e) {
    if (e instanceof SaikiError) {
      console.error(`error: ${e.message}`);
      return 1;
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      console.error(
        `error: ${(e as Error).message.split("\n")[0]}\n(deno task ask writes only under runs/; ` +
          `for --out elsewhere run deno run --allow-read --allow-write=FILE scripts/ask.ts ...)`,
      );
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
