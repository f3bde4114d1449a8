/**
 * Checkpoint files: safetensors on disk (Deno only; `lib/safetensors.ts` holds the format).
 *
 * Saving is atomic: the bytes go to a temporary file next to the target, are flushed to disk,
 * and the temporary file is renamed over the target, so a crash or a full disk leaves either
 * the old checkpoint or the new one, never half a file.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  type SafetensorsContents,
} from "../models/safetensors.ts";
import type { IntTensor, Tensor } from "../tensor.ts";
import { sha256Hex } from "../std/hash.ts";
import { removeOrphans, writeFileAtomic } from "./atomic.ts";
import { FileRefusedError, type ReadLimits, readRegularFile, readRegularFileSync } from "./read.ts";

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Writes `tensors` and `metadata` as a safetensors file at `path`, atomically and
 * synchronously.
 *
 * Writes `${path}.tmp-<pid>-<random>` in the same folder, fsyncs it, renames it to `path`
 * (replacing an existing file) and fsyncs the folder where the platform allows. On any
 * failure the temporary file is removed, an existing file at `path` is left as it was, and a
 * {@linkcode SaikiError} naming `path` is thrown. Needs read and write permission for the
 * folder. Tensor order and header layout: see {@linkcode encodeSafetensors}.
 *
 * @param path the checkpoint file, e.g. `runs/x/checkpoint.safetensors`
 * @param tensors tensors by name
 * @param metadata string→string map
 * @throws {SaikiError} `saveCheckpoint: cannot write <path>: <reason>`
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
 * import { tensor } from "../tensor.ts";
 * // tests/.tmp is the scratch folder `deno task test` may write in
 * await Deno.mkdir("tests/.tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: "tests/.tmp" });
 * saveCheckpoint(`${dir}/model.safetensors`, { W: tensor([[1, 2]]) }, { step: "10" });
 * const { tensors, metadata } = await loadCheckpoint(`${dir}/model.safetensors`);
 * assert(tensors.W.data[1] === 2 && metadata.step === "10");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function saveCheckpoint(
  path: string,
  tensors: Record<string, Tensor | IntTensor>,
  metadata: Record<string, string> = {},
): void {
  const fail = (e: unknown): never => {
    throw new SaikiError(`saveCheckpoint: cannot write ${path}: ${messageOf(e)}`);
  };
  let bytes: Uint8Array;
  try {
    // the data section's SHA-256 goes into the header: loading verifies it
    const plain = encodeSafetensors(tensors, { ...metadata, [CHECKSUM_KEY]: "" });
    const hash = sha256Hex(dataSection(plain));
    bytes = encodeSafetensors(tensors, { ...metadata, [CHECKSUM_KEY]: hash });
  } catch (e) {
    return fail(e);
  }
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    return fail(`${messageOf(e)} (the checkpoint needs ${formatBytes(bytes.length)})`);
  }
  removeOrphans(path);
}

/** The metadata key of the data section's SHA-256 (hex). */
export const CHECKSUM_KEY = "data_sha256";

/** The bytes after a safetensors file's header. */
function dataSection(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 8) return new Uint8Array();
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const headerLength = Number(view.getBigUint64(0, true));
  return bytes.subarray(Math.min(bytes.length, 8 + headerLength));
}

/** Refuses a file whose data section does not match the SHA-256 its header records. */
function verify(path: string, bytes: Uint8Array, contents: SafetensorsContents) {
  const expected = contents.metadata[CHECKSUM_KEY];
  if (expected === undefined) return contents; // written by another tool
  if (sha256Hex(dataSection(bytes)) !== expected) {
    throw new SaikiError(
      `${path}: the file is damaged: its data does not match the SHA-256 recorded when it was ` +
        `saved`,
    );
  }
  delete contents.metadata[CHECKSUM_KEY];
  return contents;
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

function notFound(path: string): never {
  throw new SaikiError(`loadCheckpoint: no checkpoint at ${path}`);
}

function cannotRead(path: string, e: unknown): never {
  const why = e instanceof FileRefusedError ? `it is ${e.detail}` : messageOf(e);
  throw new SaikiError(`loadCheckpoint: cannot read ${path}: ${why}`);
}

/**
 * The largest checkpoint file read: 4 GiB, all the memory saiki's engine can address (a run's
 * parameters, optimizer slots and recurrent state live there). A larger file is refused before
 * it is read.
 */
export const MAX_CHECKPOINT_BYTES = 4 * 2 ** 30;

const LIMITS: ReadLimits = { maxBytes: MAX_CHECKPOINT_BYTES, expected: "a checkpoint file" };

/**
 * Reads and decodes the safetensors checkpoint at `path`: a regular file of at most
 * {@linkcode MAX_CHECKPOINT_BYTES}, checked before it is opened (a FIFO, a device or a folder
 * is refused, never read).
 *
 * @param path the checkpoint file
 * @returns its tensors and metadata
 * @throws {SaikiError} `loadCheckpoint: no checkpoint at <path>` when the file does not
 *   exist; `loadCheckpoint: cannot read <path>: it is not a regular file (a FIFO): give a
 *   checkpoint file` (a folder, a device; or a file too large);
 *   `<path>: <problem>` for a malformed file (see {@linkcode decodeSafetensors})
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "./checkpoint.ts";
 * try {
 *   await loadCheckpoint("no/such/checkpoint.safetensors");
 * } catch (e) {
 *   assert((e as Error).message.endsWith("no checkpoint at no/such/checkpoint.safetensors"));
 * }
 * ```
 */
export async function loadCheckpoint(path: string): Promise<SafetensorsContents> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, LIMITS);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) notFound(path);
    cannotRead(path, e);
  }
  return verify(path, bytes, decodeSafetensors(bytes, path));
}

/**
 * Synchronous form of {@linkcode loadCheckpoint}.
 *
 * @param path the checkpoint file
 * @returns its tensors and metadata
 * @throws {SaikiError} as {@linkcode loadCheckpoint}
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpointSync } from "./checkpoint.ts";
 * try {
 *   loadCheckpointSync("no/such/checkpoint.safetensors");
 * } catch (e) {
 *   assert((e as Error).message.endsWith("no checkpoint at no/such/checkpoint.safetensors"));
 * }
 * ```
 */
export function loadCheckpointSync(path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFileSync(path, LIMITS);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) notFound(path);
    cannotRead(path, e);
  }
  return verify(path, bytes, decodeSafetensors(bytes, path));
}
