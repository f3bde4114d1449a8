/**
 * The safetensors file format, in memory: named tensors plus string metadata ⇄ bytes.
 * Browser-safe (no `Deno.*`); `lib/io/checkpoint.ts` reads and writes files.
 *
 * Layout (the safetensors specification, huggingface/safetensors):
 *
 * ```text
 * [8 bytes]  N, unsigned 64-bit little-endian: the header's size in bytes
 * [N bytes]  UTF-8 JSON object, may end with spaces (0x20):
 *            {"__metadata__": {"key": "string value", ...},
 *             "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
 * [rest]     the data section: every tensor's values, little-endian, row-major (C order),
 *            packed without gaps; data_offsets count from the start of this section
 * ```
 *
 * saiki writes `F32` ({@linkcode Tensor}) and `I32` ({@linkcode IntTensor}) and reads `F32`,
 * `I32` and `F64` (rounded to float32, since saiki computes in float32).
 *
 * @module
 */

import { formatShape, SaikiError } from "../errors.ts";
import { IntTensor, Tensor } from "../tensor.ts";

/** What a safetensors file holds: tensors by name and a string→string metadata map. */
export interface SafetensorsContents {
  /** Named tensors: float32 {@linkcode Tensor}s and int32 {@linkcode IntTensor}s. */
  tensors: Record<string, Tensor | IntTensor>;
  /** The `__metadata__` map (empty when the file has none); every value is a string. */
  metadata: Record<string, string>;
}

/** The header key reserved for metadata. */
const METADATA_KEY = "__metadata__";

/** Bytes per element of the dtypes saiki reads. */
const DTYPE_SIZES: Readonly<Record<string, number>> = { F32: 4, I32: 4, F64: 8 };
const KNOWN_DTYPES = Object.keys(DTYPE_SIZES).join(", ");

/** Whether this platform stores typed arrays little-endian (then bytes are copied as they are). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `obj[key] = value` as an own property, even for the key `"__proto__"`. */
function setOwn<V>(obj: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** `JSON.stringify` of a value from a header, shortened for an error message. */
function show(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Serializes tensors and metadata to safetensors bytes.
 *
 * Tensors are written **sorted by name** (JavaScript string order, which is byte order for
 * ASCII names), as the reference Python library sorts them, so the bytes do not depend on the
 * order the record was built in. `__metadata__` comes first in the header and is left out
 * when `metadata` is empty. The header is padded with spaces to a multiple of 8 bytes, so the
 * data section starts 8-byte aligned in the file. {@linkcode Tensor} → `F32`,
 * {@linkcode IntTensor} → `I32`.
 *
 * @param tensors tensors by name; names must be non-empty and not `__metadata__`
 * @param metadata string→string map stored as `__metadata__`
 * @returns the file's bytes
 * @throws {SaikiError} for a bad name, a value that is not a tensor, or a non-string
 *   metadata value
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * import { IntTensor, tensor } from "../tensor.ts";
 * const bytes = encodeSafetensors(
 *   { W: tensor([[1, 2], [3, 4]]), ids: IntTensor.from([5, 6, 7]) },
 *   { note: "hello" },
 * );
 * const back = decodeSafetensors(bytes);
 * assert(back.tensors.W.shape.join() === "2,2" && back.tensors.ids.data[2] === 7);
 * assert(back.metadata.note === "hello");
 * ```
 */
export function encodeSafetensors(
  tensors: Record<string, Tensor | IntTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  metadata ??= {};
  const where = "encodeSafetensors";
  if (!isPlainObject(tensors)) {
    throw new SaikiError(`${where}: tensors is ${describe(tensors)}, expected an object`);
  }
  if (!isPlainObject(metadata)) {
    throw new SaikiError(`${where}: metadata is ${describe(metadata)}, expected an object`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") {
      throw new SaikiError(
        `${where}: metadata "${key}" is ${describe(value)}, expected a string`,
      );
    }
  }
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = { ...metadata };
  let offset = 0;
  for (const name of names) {
    if (name === "") throw new SaikiError(`${where}: a tensor name is empty`);
    if (name === METADATA_KEY) {
      throw new SaikiError(`${where}: tensor name "${METADATA_KEY}" is reserved for metadata`);
    }
    const t = tensors[name];
    if (!(t instanceof Tensor) && !(t instanceof IntTensor)) {
      throw new SaikiError(
        `${where}: tensor "${name}" is ${describe(t)}, expected a Tensor or IntTensor`,
      );
    }
    const end = offset + t.data.byteLength;
    setOwn(header, name, {
      dtype: t instanceof Tensor ? "F32" : "I32",
      shape: [...t.shape],
      data_offsets: [offset, end],
    });
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerSize = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerSize + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerSize), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerSize);
  const dataStart = 8 + headerSize;
  const view = new DataView(out.buffer);
  let at = dataStart;
  for (const name of names) {
    const { data } = tensors[name];
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    } else if (data instanceof Float32Array) {
      for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i], true);
    } else {
      for (let i = 0; i < data.length; i++) view.setInt32(at + 4 * i, data[i], true);
    }
    at += data.byteLength;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses safetensors bytes into tensors and metadata.
 *
 * Everything is checked before any tensor is allocated, and each failure is a
 * {@linkcode SaikiError} that starts with `where` and names the field: the length field
 * against the file size, the header (UTF-8, JSON, an object), each entry (`dtype` one of F32,
 * I32, F64; `shape` non-negative integers; `data_offsets` two integers `begin <= end`
 * spanning exactly `product(shape) × dtype size` bytes inside the data section), that the
 * tensors neither overlap nor leave bytes of the data section uncovered (the specification
 * forbids holes), and that `__metadata__` maps strings to strings. Extra keys inside an
 * entry are ignored.
 *
 * Values are read little-endian whatever the platform, and copied out: the returned tensors
 * own fresh, aligned buffers and do not alias `bytes`. `F64` values are rounded to float32.
 *
 * @param bytes the file's contents
 * @param where prefix of error messages (e.g. the file's path)
 * @throws {SaikiError} naming the first problem found
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors } from "./safetensors.ts";
 * import { Tensor } from "../tensor.ts";
 * const json = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
 * const header = new TextEncoder().encode(json);
 * const bytes = new Uint8Array(8 + header.length + 8);
 * const view = new DataView(bytes.buffer);
 * view.setBigUint64(0, BigInt(header.length), true);
 * bytes.set(header, 8);
 * view.setFloat32(8 + header.length, 1.5, true);
 * view.setFloat32(12 + header.length, -2, true);
 * const { tensors } = decodeSafetensors(bytes);
 * assert(tensors.x instanceof Tensor && tensors.x.data.join() === "1.5,-2");
 * ```
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  where?: string,
): SafetensorsContents {
  where ??= "safetensors";
  if (!(bytes instanceof Uint8Array)) {
    throw new SaikiError(`${where}: expected the file's bytes as a Uint8Array`);
  }
  if (bytes.length < 8) {
    throw new SaikiError(
      `${where}: file is ${bytes.length} bytes, shorter than the 8-byte header length field`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(bytes.length - 8)) {
    throw new SaikiError(
      `${where}: header length field says ${declared} bytes, but the file has only ${
        bytes.length - 8
      } bytes after the 8-byte length field`,
    );
  }
  const headerSize = Number(declared);
  const dataStart = 8 + headerSize;
  const dataSize = bytes.length - dataStart;

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
      .decode(bytes.subarray(8, dataStart));
  } catch {
    throw new SaikiError(`${where}: header (${headerSize} bytes) is not valid UTF-8`);
  }
  if (!text.startsWith("{")) {
    throw new SaikiError(
      `${where}: header does not start with "{" (starts with ${show(text.slice(0, 20))}), ` +
        `expected a JSON object`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SaikiError(
      `${where}: header (${headerSize} bytes) is not valid JSON: ${(e as Error).message}`,
    );
  }
  if (!isPlainObject(header)) {
    throw new SaikiError(`${where}: header is ${describe(header)}, expected a JSON object`);
  }

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isPlainObject(raw)) {
        throw new SaikiError(
          `${where}: ${METADATA_KEY} is ${describe(raw)}, expected an object of strings`,
        );
      }
      for (const [key, value] of Object.entries(raw)) {
        if (typeof value !== "string") {
          throw new SaikiError(
            `${where}: ${METADATA_KEY} "${key}" is ${describe(value)}, expected a string`,
          );
        }
        setOwn(metadata, key, value);
      }
      continue;
    }
    entries.push(checkEntry(where, name, raw, dataSize));
  }

  // The tensors must tile the data section: sorted by offsets, each starts where the last ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < covered) {
      throw new SaikiError(
        `${where}: tensor "${e.name}" data_offsets [${e.begin},${e.end}] overlap tensor "${
          previous!.name
        }" [${previous!.begin},${previous!.end}]`,
      );
    }
    if (e.begin > covered) {
      throw new SaikiError(
        `${where}: data section bytes [${covered},${e.begin}) belong to no tensor (a hole ` +
          `before tensor "${e.name}"); tensors must be packed without gaps`,
      );
    }
    covered = e.end;
    if (e.end > e.begin || previous === undefined) previous = e;
  }
  if (covered !== dataSize) {
    throw new SaikiError(
      `${where}: data section bytes [${covered},${dataSize}) belong to no tensor (a hole at ` +
        `the end); tensors must cover the whole data section`,
    );
  }

  const tensors: Record<string, Tensor | IntTensor> = {};
  for (const e of entries) {
    const start = dataStart + e.begin, end = dataStart + e.end;
    const n = (e.end - e.begin) / DTYPE_SIZES[e.dtype];
    if (e.dtype === "I32") {
      const data = LITTLE_ENDIAN
        ? new Int32Array(bytes.slice(start, end).buffer)
        : Int32Array.from({ length: n }, (_, i) => view.getInt32(start + 4 * i, true));
      setOwn(tensors, e.name, new IntTensor(data, e.shape));
    } else if (e.dtype === "F32") {
      const data = LITTLE_ENDIAN
        ? new Float32Array(bytes.slice(start, end).buffer)
        : Float32Array.from({ length: n }, (_, i) => view.getFloat32(start + 4 * i, true));
      setOwn(tensors, e.name, new Tensor(data, e.shape));
    } else {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat64(start + 8 * i, true);
      setOwn(tensors, e.name, new Tensor(data, e.shape));
    }
  }
  return { tensors, metadata };
}

/** Checks one header entry against the rules and the data section's size. */
function checkEntry(where: string, name: string, raw: unknown, dataSize: number): Entry {
  const at = `${where}: tensor "${name}"`;
  if (name === "") throw new SaikiError(`${where}: a tensor name is empty`);
  if (!isPlainObject(raw)) {
    throw new SaikiError(
      `${at}: entry is ${describe(raw)}, expected an object {dtype, shape, data_offsets}`,
    );
  }
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== "string" || !(dtype in DTYPE_SIZES)) {
    throw new SaikiError(
      `${at}: unknown dtype ${show(dtype)}, expected one of ${KNOWN_DTYPES}`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new SaikiError(
      `${at}: shape is ${show(shape)}, expected an array of non-negative integers`,
    );
  }
  if (
    !Array.isArray(offsets) || offsets.length !== 2 || !isCount(offsets[0]) ||
    !isCount(offsets[1]) || offsets[0] > offsets[1]
  ) {
    throw new SaikiError(
      `${at}: data_offsets is ${show(offsets)}, expected two integers [begin, end] ` +
        `with 0 <= begin <= end`,
    );
  }
  const [begin, end] = offsets as number[];
  // product(shape) · size, saturated so a huge shape cannot overflow into a false match.
  let needed = shape.includes(0) ? 0 : DTYPE_SIZES[dtype];
  for (const d of shape as number[]) {
    needed = Math.min(needed * d, Number.MAX_SAFE_INTEGER);
  }
  if (end - begin !== needed) {
    const shown = needed === Number.MAX_SAFE_INTEGER ? "more than 2^53" : `${needed}`;
    throw new SaikiError(
      `${at}: data_offsets [${begin},${end}] span ${end - begin} bytes, but dtype ${dtype} ` +
        `and shape ${formatShape(shape as number[])} need ${shown}`,
    );
  }
  if (end > dataSize) {
    throw new SaikiError(
      `${at}: data_offsets [${begin},${end}] reach beyond the data section of ${dataSize} bytes`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}
