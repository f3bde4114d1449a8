/**
 * Builds the JavaScript bundle: `deno task build [--out DIR]` writes `DIR/saiki.js` (all of
 * `mod.ts`, one ES module) and `DIR/worker.js` (the shard worker it starts from beside
 * itself), for browsers and Node. Default `DIR`: `dist/`.
 *
 * @module
 */

import { type FlagSpec, helpText, parseFlags, UsageError } from "../lib/std/cli.ts";
import { fromFileUrl, join } from "../lib/std/path.ts";

const FLAGS: Record<string, FlagSpec> = {
  out: { type: "string", help: "output folder", default: "dist" },
  minify: { type: "boolean", help: "minify the bundles", default: false },
  help: { type: "boolean", help: "show this help", default: false },
};
const USAGE = "deno task build [--out DIR] [--minify]";

/** The bundles: output file → entry point. */
export const ENTRIES: Record<string, string> = {
  "saiki.js": "../mod.ts",
  "worker.js": "../lib/parallel/worker.ts",
};

/** Bundles every entry into `out`; returns the files written and their sizes. */
export async function build(out: string, minify = false): Promise<[string, number][]> {
  await Deno.mkdir(out, { recursive: true });
  const written: [string, number][] = [];
  for (const [file, entry] of Object.entries(ENTRIES)) {
    const target = join(out, file);
    const result = await new Deno.Command("deno", {
      args: [
        "bundle",
        "--platform",
        "browser",
        ...(minify ? ["--minify"] : []),
        "-o",
        target,
        fromFileUrl(new URL(entry, import.meta.url)),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!result.success) {
      throw new Error(`deno bundle ${entry} failed:\n${new TextDecoder().decode(result.stderr)}`);
    }
    written.push([target, (await Deno.stat(target)).size]);
  }
  return written;
}

if (import.meta.main) {
  try {
    const flags = parseFlags(Deno.args, FLAGS);
    if (flags.help) {
      console.log(helpText(USAGE, FLAGS));
      Deno.exit(0);
    }
    for (const [file, size] of await build(flags.out as string, flags.minify as boolean)) {
      console.log(`${file}  ${(size / 1024).toFixed(0)} KB`);
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}\nusage: ${USAGE}`);
    Deno.exit(2);
  }
}
