/**
 * Protocol Buffers' wire format, the little of it ONNX files need: a writer that builds a
 * message from fields (large byte fields are kept by reference, never copied until `finish`)
 * and a reader of one message's fields. Browser-safe.
 *
 * A message is a run of fields; each is a key `field << 3 | wire type` as a varint, then the
 * value: wire type 0 a varint (integers, enums, booleans; negative int64 as ten bytes of two's
 * complement), 2 a varint length and that many bytes (strings, bytes, nested messages), 5
 * four little-endian bytes (float). Varints hold 7 bits a byte, low first, the high bit set on
 * every byte but the last (protobuf.dev/programming-guides/encoding).
 *
 * @module
 */

import { SaikiError } from "../errors.ts";

const VARINT = 0, FIXED64 = 1, LENGTH = 2, FIXED32 = 5;

/**
 * Builds one message. Fields are written in call order; repeated fields are called once per
 * element (proto2's unpacked form, which every parser reads).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProtoWriter } from "./_protobuf.ts";
 * const inner = new ProtoWriter().int(1, 150);
 * const bytes = new ProtoWriter().string(2, "hi").message(3, inner).finish();
 * assert.deepEqual([...bytes], [0x12, 2, 0x68, 0x69, 0x1a, 3, 0x08, 0x96, 0x01]);
 * ```
 */
export class ProtoWriter {
  #parts: Uint8Array[] = [];
  #small: number[] = [];
  #length = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#length + this.#small.length;
  }

  #varint(value: number | bigint): void {
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) {
        throw new SaikiError(`protobuf: ${value} is not an integer a varint can hold`);
      }
      if (value >= 0) {
        while (value >= 0x80) {
          this.#small.push((value % 0x80) | 0x80);
          value = Math.floor(value / 0x80);
        }
        this.#small.push(value);
        return;
      }
      value = BigInt(value);
    }
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.#small.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#small.push(Number(v));
  }

  #key(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  #flush(): void {
    if (this.#small.length === 0) return;
    this.#parts.push(Uint8Array.from(this.#small));
    this.#length += this.#small.length;
    this.#small = [];
  }

  /** A varint field: int32, int64, enum or bool. */
  int(field: number, value: number | bigint): this {
    this.#key(field, VARINT);
    this.#varint(value);
    return this;
  }

  /** A `float` field. */
  float(field: number, value: number): this {
    this.#key(field, FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.#small.push(...b);
    return this;
  }

  /** A `bytes` field; the array is kept, not copied, until {@linkcode ProtoWriter.finish}. */
  bytes(field: number, value: Uint8Array): this {
    this.#key(field, LENGTH);
    this.#varint(value.length);
    this.#flush();
    this.#parts.push(value);
    this.#length += value.length;
    return this;
  }

  /** A `string` field, UTF-8. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A nested message; `value` should not be written to afterwards. */
  message(field: number, value: ProtoWriter): this {
    value.#flush();
    this.#key(field, LENGTH);
    this.#varint(value.#length);
    this.#flush();
    this.#parts.push(...value.#parts);
    this.#length += value.#length;
    return this;
  }

  /** The message's bytes. */
  finish(): Uint8Array {
    this.#flush();
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** One field as read: a varint as a `bigint`, a length-delimited value as a view of its bytes. */
export interface ProtoField {
  /** The field number. */
  field: number;
  /** The value: varint → bigint, length-delimited → bytes (a view), fixed32/64 → bytes. */
  value: bigint | Uint8Array;
}

/**
 * The fields of one message, in order. Throws a {@linkcode SaikiError} beginning with `where`
 * when the bytes are not a well-formed message (a truncated value, an unknown wire type).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFields } from "./_protobuf.ts";
 * const [a, b] = readFields(new Uint8Array([0x08, 0x96, 0x01, 0x12, 1, 0x41]), "x");
 * assert.deepEqual([a.field, a.value, b.field, [...(b.value as Uint8Array)]], [1, 150n, 2, [0x41]]);
 * ```
 */
export function readFields(bytes: Uint8Array, where: string): ProtoField[] {
  const fields: ProtoField[] = [];
  let at = 0;
  const bad = (what: string) => new SaikiError(`${where}: not a protobuf message (${what})`);
  const varint = (): bigint => {
    let v = 0n, shift = 0n;
    for (;;) {
      if (at >= bytes.length) throw bad(`a varint runs past the end at byte ${at}`);
      if (shift > 63n) throw bad(`a varint longer than 10 bytes at byte ${at}`);
      const b = bytes[at++];
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) return BigInt.asUintN(64, v);
    }
  };
  const take = (n: number): Uint8Array => {
    if (n > bytes.length - at) throw bad(`a field of ${n} bytes runs past the end at byte ${at}`);
    const v = bytes.subarray(at, at + n);
    at += n;
    return v;
  };
  while (at < bytes.length) {
    const key = varint(), field = Number(key >> 3n), wire = Number(key & 7n);
    if (field === 0) throw bad(`field number 0 at byte ${at}`);
    if (wire === VARINT) fields.push({ field, value: varint() });
    else if (wire === LENGTH) fields.push({ field, value: take(Number(varint())) });
    else if (wire === FIXED32) fields.push({ field, value: take(4) });
    else if (wire === FIXED64) fields.push({ field, value: take(8) });
    else throw bad(`wire type ${wire} at byte ${at}`);
  }
  return fields;
}
