/**
 * The one way saiki writes a file (Deno only): to a temporary file beside the target, flushed
 * to disk, renamed over the target, and the folder flushed — so a crash, a kill or a full
 * disk leaves the old file or the new one, never half of either. Checkpoints, run files and
 * the PTB cache all go through {@linkcode writeFileAtomic}.
 *
 * @module
 */

import { basename, dirname, join } from "../std/path.ts";

/** A temporary name beside `path`: `${path}.tmp-<pid>-<random>`. */
function tempName(path: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  const suffix = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${path}.tmp-${Deno.pid}-${suffix}`;
}

/**
 * Writes `contents` to `path` atomically: a new temporary file in the same folder, written
 * whole and fsynced, renamed over `path`, then the folder fsynced where the platform allows.
 * On failure the temporary file is removed, an existing `path` is left as it was, and the
 * error is thrown as the runtime raised it (callers name what they were writing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "./atomic.ts";
 * await Deno.mkdir("tests/.tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: "tests/.tmp" });
 * writeFileAtomic(`${dir}/a.txt`, "one");
 * writeFileAtomic(`${dir}/a.txt`, new TextEncoder().encode("two"));
 * assert(Deno.readTextFileSync(`${dir}/a.txt`) === "two");
 * assert([...Deno.readDirSync(dir)].length === 1); // no temporary file left
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function writeFileAtomic(path: string, contents: Uint8Array | string): void {
  const bytes = typeof contents === "string" ? new TextEncoder().encode(contents) : contents;
  const temp = tempName(path);
  let file: Deno.FsFile | undefined;
  let created = false;
  try {
    file = Deno.openSync(temp, { write: true, createNew: true });
    created = true;
    for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
    file.syncSync();
    file.close();
    file = undefined;
    Deno.renameSync(temp, path);
    created = false;
  } catch (e) {
    try {
      file?.close();
    } catch { /* already failing; report the first error */ }
    if (created) {
      try {
        Deno.removeSync(temp);
      } catch { /* nothing more to do */ }
    }
    throw e;
  }
  syncFolder(dirname(path));
}

/**
 * Removes the temporary files that killed writes of `path` left behind (`path.tmp-*`); best
 * effort.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { removeOrphans } from "./atomic.ts";
 * await Deno.mkdir("tests/.tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: "tests/.tmp" });
 * Deno.writeTextFileSync(`${dir}/c.bin.tmp-1-ab`, "half");
 * removeOrphans(`${dir}/c.bin`);
 * assert([...Deno.readDirSync(dir)].length === 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function removeOrphans(path: string): void {
  const folder = dirname(path), prefix = `${basename(path)}.tmp-`;
  try {
    for (const entry of Deno.readDirSync(folder)) {
      if (entry.isFile && entry.name.startsWith(prefix)) {
        try {
          Deno.removeSync(join(folder, entry.name));
        } catch { /* another process may have just removed it */ }
      }
    }
  } catch { /* an unreadable folder: nothing to tidy */ }
}

/** Flushes a folder's entries (the rename) to disk; best effort, not possible everywhere. */
function syncFolder(folder: string): void {
  let dir: Deno.FsFile | undefined;
  try {
    dir = Deno.openSync(folder, { read: true });
    dir.syncSync();
  } catch { /* e.g. Windows cannot open folders: the rename is still atomic */ }
  try {
    dir?.close();
  } catch { /* ignore */ }
}
