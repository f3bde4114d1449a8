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
    // the SHA-256 of the whole file, written with this field blank, goes into the header:
    // loading blanks the field again and verifies it (metadata, tensor table and data alike)
    const plain = encodeSafetensors(tensors, { ...metadata, [CHECKSUM_KEY]: "" });
    const hash = fileHash(plain);
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

/**
 * The metadata key of the file's SHA-256 (hex): of the header's JSON with this value blank
 * (`""`, trailing padding left out) followed by the data section, so a change to any byte of
 * the metadata, the tensor table or the data is caught.
 */
export const CHECKSUM_KEY = "sha256";

/** The key older checkpoints recorded the SHA-256 of their data section under (still verified). */
const DATA_CHECKSUM_KEY = "data_sha256";

/** The header's JSON text (without its padding) and the data section of safetensors `bytes`. */
function split(bytes: Uint8Array): { header: Uint8Array; data: Uint8Array } {
  if (bytes.length < 8) return { header: new Uint8Array(), data: new Uint8Array() };
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const n = Math.min(bytes.length - 8, Number(view.getBigUint64(0, true)));
  let end = 8 + n;
  while (end > 8 && bytes[end - 1] === 0x20) end--;
  return { header: bytes.subarray(8, end), data: bytes.subarray(8 + n) };
}

/** SHA-256 of a file's header JSON (its checksum field blank, as written) and its data. */
function fileHash(bytes: Uint8Array): string {
  const { header, data } = split(bytes);
  const both = new Uint8Array(header.length + data.length);
  both.set(header);
  both.set(data, header.length);
  return sha256Hex(both);
}

/** `bytes` with the checksum field's recorded value `hash` blanked, as the file was hashed. */
function blanked(bytes: Uint8Array, hash: string): Uint8Array | undefined {
  const { header, data } = split(bytes);
  const text = new TextDecoder().decode(header);
  const field = `"${CHECKSUM_KEY}":${JSON.stringify(hash)}`;
  const at = text.indexOf(field);
  if (at < 0 || text.indexOf(field, at + 1) >= 0) return undefined;
  const json = new TextEncoder().encode(
    text.slice(0, at) + `"${CHECKSUM_KEY}":""` + text.slice(at + field.length),
  );
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/**
 * Refuses a file whose bytes do not match the SHA-256 its header records (the whole file; the
 * data section for older checkpoints); files without one (written by another tool) pass.
 */
function verify(path: string, bytes: Uint8Array, contents: SafetensorsContents) {
  const damaged = (what: string) =>
    new SaikiError(
      `${path}: the file is damaged: its ${what} does not match the SHA-256 recorded when it ` +
        `was saved`,
    );
  const expected = contents.metadata[CHECKSUM_KEY];
  if (expected !== undefined) {
    const plain = blanked(bytes, expected);
    if (plain === undefined || fileHash(plain) !== expected) throw damaged("content");
    delete contents.metadata[CHECKSUM_KEY];
  }
  const legacy = contents.metadata[DATA_CHECKSUM_KEY];
  if (legacy !== undefined) {
    if (sha256Hex(split(bytes).data) !== legacy) throw damaged("data");
    delete contents.metadata[DATA_CHECKSUM_KEY];
  }
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
