/**
 * Reading a whole file safely (Deno only): the path is looked at before it is opened, and only
 * a regular file of a bounded size is read. Opening a FIFO for reading blocks until a writer
 * comes, and a device such as `/dev/zero` never ends: every reader of saiki's files (texts,
 * PTB, checkpoints) goes through {@linkcode readRegularFile} or {@linkcode readRegularFileSync}.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";

/** What a file must be, for {@linkcode readRegularFile}. */
export interface ReadLimits {
  /** The largest size accepted, in bytes. */
  maxBytes: number;
  /** What the file should be, for messages: `"a checkpoint file"`, `"a UTF-8 text file"`. */
  expected: string;
  /** How messages name the file (default: its path), e.g. `"--corpus a.txt"`. */
  where?: string;
}

/**
 * A file refused before (or while) it was read: not a regular file, or too large. Other
 * failures (a missing file, no permission) are Deno's own errors, for the caller to word.
 */
export class FileRefusedError extends SaikiError {
  /** What was wrong, without the file's name: `not a regular file (a FIFO)`. */
  readonly reason: string;
  /** `reason` with what to do instead, when there is something to say. */
  readonly detail: string;

  /**
   * A refused file.
   * @param where how the file is named
   * @param reason what was wrong
   * @param advice what to give instead ("" for nothing)
   */
  constructor(where: string, reason: string, advice: string) {
    const detail = advice === "" ? reason : `${reason}: ${advice}`;
    super(`${where} is ${detail}`);
    this.name = "FileRefusedError";
    this.reason = reason;
    this.detail = detail;
  }
}

/**
 * What `info` describes, in words, when it is not a regular file: `"a folder"`,
 * `"a FIFO"`, `"a character device"`, …; `undefined` for a regular file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileKind } from "./read.ts";
 * assert.equal(fileKind(await Deno.stat(".")), "a folder");
 * assert.equal(fileKind(await Deno.stat("deno.json")), undefined);
 * ```
 */
export function fileKind(info: Deno.FileInfo): string | undefined {
  if (info.isFile) return undefined;
  if (info.isDirectory) return "a folder";
  if (info.isFifo) return "a FIFO";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/** A size in the unit that reads best: `512 bytes`, `12.0 KiB`, `5.1 MiB`, `14.0 GiB`. */
export function formatSize(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const [unit, div] = n < 2 ** 20
    ? ["KiB", 1024]
    : n < 2 ** 30
    ? ["MiB", 2 ** 20]
    : ["GiB", 2 ** 30];
  const v = n / (div as number);
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
}

/** Throws unless `info` is a regular file of at most `limits.maxBytes`. */
function check(path: string, info: Deno.FileInfo, limits: ReadLimits): void {
  const where = limits.where ?? path;
  const kind = fileKind(info);
  if (kind !== undefined) {
    throw new FileRefusedError(
      where,
      kind === "not a regular file" ? kind : `not a regular file (${kind})`,
      `give ${limits.expected}`,
    );
  }
  if (info.size > limits.maxBytes) tooLarge(where, info.size, limits);
}

function tooLarge(where: string, size: number | undefined, limits: ReadLimits): never {
  const is = size === undefined ? "larger" : `${formatSize(size)}, more`;
  throw new FileRefusedError(
    where,
    `${is} than the ${formatSize(limits.maxBytes)} ${limits.expected} may have`,
    "",
  );
}

/**
 * The steps of reading an open regular file of `size` bytes (by its `stat`), at most
 * `maxBytes`: yields the buffer to read into next, receives what the read returned (bytes,
 * or null at the end), returns the contents. A file that grows past its stat size is followed,
 * and refused past `maxBytes`. Shared by the async and sync readers.
 */
function* readSteps(
  where: string,
  size: number,
  limits: ReadLimits,
): Generator<Uint8Array, Uint8Array, number | null> {
  let buf = new Uint8Array(Math.min(size, limits.maxBytes));
  let total = 0;
  const spare = new Uint8Array(64 * 1024);
  for (;;) {
    const into = total < buf.length ? buf.subarray(total) : spare;
    const n = yield into;
    if (n === null) return buf.subarray(0, total);
    if (into === spare) {
      // the file is longer than it was (or its stat gave no size, as in /proc)
      if (total + n > limits.maxBytes) tooLarge(where, undefined, limits);
      const grown = new Uint8Array(Math.min(limits.maxBytes, Math.max(2 * buf.length, total + n)));
      grown.set(buf.subarray(0, total));
      grown.set(spare.subarray(0, n), total);
      buf = grown;
    }
    total += n;
  }
}

/**
 * The bytes of the file at `path`, refused with a {@linkcode FileRefusedError} unless it is a
 * regular file of at most `limits.maxBytes` bytes: the path is checked with `stat` before it is
 * opened (opening a FIFO would block), and the read stops past the limit. A missing file and a
 * denied permission throw Deno's errors (`Deno.errors.NotFound`, …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRegularFile } from "./read.ts";
 * const bytes = await readRegularFile("deno.json", { maxBytes: 2 ** 20, expected: "a JSON file" });
 * assert(bytes.length > 0);
 * await assert.rejects(
 *   readRegularFile(".", { maxBytes: 2 ** 20, expected: "a JSON file" }),
 *   /^FileRefusedError: \. is not a regular file \(a folder\): give a JSON file$/,
 * );
 * await assert.rejects(
 *   readRegularFile("deno.json", { maxBytes: 10, expected: "a JSON file" }),
 *   /deno\.json is .*, more than the 10 bytes a JSON file may have/,
 * );
 * ```
 */
export async function readRegularFile(path: string, limits: ReadLimits): Promise<Uint8Array> {
  const info = await Deno.stat(path);
  check(path, info, limits);
  // (no stat of the open file: Deno checks it against the link's target, which a scoped
  // --allow-read through a symbolic link does not grant; the read below stops at the cap)
  const file = await Deno.open(path, { read: true });
  try {
    const steps = readSteps(limits.where ?? path, info.size, limits);
    let step = steps.next();
    while (!step.done) step = steps.next(await file.read(step.value));
    return step.value;
  } finally {
    file.close();
  }
}

/**
 * Synchronous form of {@linkcode readRegularFile}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRegularFileSync } from "./read.ts";
 * const bytes = readRegularFileSync("deno.json", { maxBytes: 2 ** 20, expected: "a JSON file" });
 * assert(new TextDecoder().decode(bytes).includes("saiki"));
 * ```
 */
export function readRegularFileSync(path: string, limits: ReadLimits): Uint8Array {
  const info = Deno.statSync(path);
  check(path, info, limits);
  const file = Deno.openSync(path, { read: true });
  try {
    const steps = readSteps(limits.where ?? path, info.size, limits);
    let step = steps.next();
    while (!step.done) step = steps.next(file.readSync(step.value));
    return step.value;
  } finally {
    file.close();
  }
}
