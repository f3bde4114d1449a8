/**
 * Where the tests find the reference's `addition.txt` and `date.txt`: `SAIKI_DATA_DIR` when it
 * holds `addition.txt` (it may point at PTB instead), else `SAIKI_SHARED_DIR/datasets/sequence`,
 * else `../shared/datasets/sequence` beside the repository. The tests that need the files are
 * ignored, with a line saying so, when none of these holds them.
 */

import { fromFileUrl, join } from "../../lib/std/path.ts";
import { envGet } from "../_helpers.ts";

function holds(dir: string): boolean {
  try {
    return Deno.statSync(join(dir, "addition.txt")).isFile &&
      Deno.statSync(join(dir, "date.txt")).isFile;
  } catch {
    return false;
  }
}

/** The folder holding the reference files, or undefined (after saying which tests skip). */
export function sharedSequenceDir(who: string): string | undefined {
  const dataDir = envGet("SAIKI_DATA_DIR");
  if (dataDir !== undefined && holds(dataDir)) return dataDir;
  const shared = envGet("SAIKI_SHARED_DIR");
  const dir = shared !== undefined
    ? join(shared, "datasets", "sequence")
    : fromFileUrl(new URL("../../../shared/datasets/sequence/", import.meta.url));
  if (holds(dir)) return dir;
  console.log(
    `skip: no addition.txt and date.txt at ${dir}${
      dataDir === undefined ? "" : ` nor in SAIKI_DATA_DIR ${dataDir}`
    } (set SAIKI_DATA_DIR or SAIKI_SHARED_DIR, or give --allow-read for it) — the ${who} ` +
      `tests that need the real files are ignored`,
  );
  return undefined;
}
