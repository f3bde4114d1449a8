import { decodeSafetensors, encodeSafetensors } from "../../lib/models/safetensors.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";
import { IntTensor, Tensor, tensor, zeros } from "../../lib/tensor.ts";
import { SaikiError } from "../../lib/errors.ts";

/** A file from a header (object or raw JSON text) and a data section, as another writer might. */
function file(
  header: unknown,
  data: Uint8Array | number[] = [],
  lengthField?: bigint,
): Uint8Array {
  const json = new TextEncoder().encode(
    typeof header === "string" ? header : JSON.stringify(header),
  );
  const body = data instanceof Uint8Array ? data : new Uint8Array(data);
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.slice().buffer));
}

Deno.test("round trip keeps F32 and I32 values bit-exact, shapes and metadata", () => {
  const W = new Tensor(
    new Float32Array([
      0,
      -0,
      1.5,
      -2.25,
      3.4028234663852886e38,
      1.401298464324817e-45,
      NaN,
      -Infinity,
    ]),
    [2, 4],
  );
  const ids = IntTensor.from([[2147483647, -2147483648, 0], [7, -1, 42]]);
  const scalar = tensor([3.25], []);
  const empty = zeros([0, 3]);
  const emptyIds = new IntTensor(new Int32Array(0), [4, 0]);
  const metadata = { format: "saiki-lm/1", config: '{"V":10}', empty: "", "ünï": "→ 🦊" };
  const bytes = encodeSafetensors({ W, ids, scalar, empty, emptyIds }, metadata);
  const back = decodeSafetensors(bytes);
  assertEquals(Object.keys(back.tensors).sort(), ["W", "empty", "emptyIds", "ids", "scalar"]);
  const w = back.tensors.W, i = back.tensors.ids, s = back.tensors.scalar;
  assertOk(w instanceof Tensor && i instanceof IntTensor && s instanceof Tensor);
  assertEquals([...w.shape], [2, 4]);
  assertEquals(bits(w.data), bits(W.data));
  assertEquals([...i.shape], [2, 3]);
  assertEquals(Array.from(i.data), Array.from(ids.data));
  assertEquals([...s.shape], []);
  assertEquals(Array.from(s.data), [3.25]);
  assertOk(back.tensors.empty instanceof Tensor);
  assertEquals([...back.tensors.empty.shape], [0, 3]);
  assertOk(back.tensors.emptyIds instanceof IntTensor);
  assertEquals([...back.tensors.emptyIds.shape], [4, 0]);
  assertEquals(back.metadata, metadata);
  // the data section starts 8-byte aligned, the header is padded with spaces
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assertEquals(n % 8, 0);
  // decoded tensors own their buffers: changing the bytes does not change them
  bytes.fill(0, 8 + n);
  assertEquals(Array.from(s.data), [3.25]);
});

Deno.test("encodeSafetensors writes the bytes the specification gives (hand-computed)", () => {
  const bytes = encodeSafetensors(
    { b: new IntTensor(new Int32Array([-3]), []), a: tensor([1, -2]) },
    { k: "v" },
  );
  const json = '{"__metadata__":{"k":"v"},' +
    '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"b":{"dtype":"I32","shape":[],"data_offsets":[8,12]}}';
  assertEquals(json.length, 132); // padded with 4 spaces to 136, a multiple of 8
  const expected = [
    ...[0x88, 0, 0, 0, 0, 0, 0, 0], // header size 136, u64 little-endian
    ...Array.from(new TextEncoder().encode(json)),
    ...[0x20, 0x20, 0x20, 0x20],
    ...[0x00, 0x00, 0x80, 0x3f], // 1.0f
    ...[0x00, 0x00, 0x00, 0xc0], // -2.0f
    ...[0xfd, 0xff, 0xff, 0xff], // -3 (int32)
  ];
  assertEquals(bytes.length, 156);
  assertEquals(Array.from(bytes), expected);
});

Deno.test("encodeSafetensors sorts by name and leaves out empty metadata", () => {
  const a = encodeSafetensors({ z: tensor([1]), a: tensor([2]) });
  const b = encodeSafetensors({ a: tensor([2]), z: tensor([1]) }, {});
  assertEquals(Array.from(a), Array.from(b));
  const n = Number(new DataView(a.buffer).getBigUint64(0, true));
  const header = new TextDecoder().decode(a.subarray(8, 8 + n));
  assertOk(header.startsWith('{"a":'), header);
  assertOk(!header.includes("__metadata__"), header);
  assertEquals(encodeSafetensors({}).length, 8 + 8); // "{}" padded to 8
});

Deno.test("decodeSafetensors reads F64 (rounded to float32) and unaligned data", () => {
  const f64 = new Uint8Array(new Float64Array([0.1, -2]).buffer);
  const f32 = f32Bytes([1.5]);
  // an unpadded header whose length makes the data section start at an odd file offset
  const header = (pad: string) => ({
    d: { dtype: "F64", shape: [2], data_offsets: [0, 16] },
    f: { dtype: "F32", shape: [1, 1], data_offsets: [16, 20] },
    ["__proto__"]: { dtype: "I32", shape: [], data_offsets: [20, 24] },
    __metadata__: { pad },
  });
  const pad = ["", "."].find((p) => JSON.stringify(header(p)).length % 2 === 1)!;
  const bytes = file(header(pad), [...f64, ...f32, 9, 0, 0, 0]);
  assertOk((bytes.length - 24) % 2 === 1);
  const { tensors, metadata } = decodeSafetensors(bytes);
  assertOk(tensors.d instanceof Tensor);
  assertEquals(Array.from(tensors.d.data), [Math.fround(0.1), -2]);
  assertEquals(Array.from(tensors.f.data), [1.5]);
  assertEquals(Object.getOwnPropertyDescriptor(tensors, "__proto__")?.value.data[0], 9);
  assertEquals(metadata, { pad });
});

Deno.test("decodeSafetensors reads the data section at any byte offset of a larger buffer", () => {
  const inner = encodeSafetensors({ x: tensor([1, 2, 3]) });
  const outer = new Uint8Array(inner.length + 3);
  outer.set(inner, 3);
  const { tensors } = decodeSafetensors(outer.subarray(3));
  assertEquals(Array.from(tensors.x.data), [1, 2, 3]);
});

const good = { x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
const goodLength = JSON.stringify(good).length; // 54
const eight = f32Bytes([1, 2]);

Deno.test("decodeSafetensors rejects corrupt files, naming the field", () => {
  const cases: [string, Uint8Array, string][] = [
    [
      "truncated to 4 bytes",
      file(good, eight).subarray(0, 4),
      "ckpt: file is 4 bytes, shorter than the 8-byte header length field",
    ],
    [
      "huge header length",
      file(good, eight, 1n << 60n),
      `ckpt: header length field says ${1n << 60n} bytes, but the file has only ${
        file(good, eight).length - 8
      } bytes after the 8-byte length field`,
    ],
    [
      "header cut mid-JSON",
      file(good, eight).subarray(0, 30),
      `ckpt: header length field says ${goodLength} bytes, but the file has only 22 bytes`,
    ],
    [
      "header length cuts the JSON",
      file(good, eight, 30n),
      "ckpt: header (30 bytes) is not valid JSON",
    ],
    ["non-JSON header", file("{not json}"), "ckpt: header (10 bytes) is not valid JSON"],
    ["header not an object", file("[1, 2]"), 'ckpt: header does not start with "{"'],
    ["header null", file("null"), 'ckpt: header does not start with "{"'],
    [
      "header not UTF-8",
      file("{}").map((b, i) => i === 8 ? 0xff : b),
      "ckpt: header (2 bytes) is not valid UTF-8",
    ],
    [
      "entry not an object",
      file({ x: [1, 2] }),
      'ckpt: tensor "x": entry is an array, expected an object {dtype, shape, data_offsets}',
    ],
    [
      "unknown dtype BF16",
      file({ x: { dtype: "BF16", shape: [4], data_offsets: [0, 8] } }, eight),
      'ckpt: tensor "x": unknown dtype "BF16", expected one of F32, I32, F64',
    ],
    [
      "missing dtype",
      file({ x: { shape: [2], data_offsets: [0, 8] } }, eight),
      'ckpt: tensor "x": unknown dtype undefined, expected one of F32, I32, F64',
    ],
    [
      "negative dimension",
      file({ x: { dtype: "F32", shape: [-2], data_offsets: [0, 8] } }, eight),
      'ckpt: tensor "x": shape is [-2], expected an array of non-negative integers',
    ],
    [
      "fractional dimension",
      file({ x: { dtype: "F32", shape: [1.5], data_offsets: [0, 8] } }, eight),
      'ckpt: tensor "x": shape is [1.5], expected an array of non-negative integers',
    ],
    [
      "shape not an array",
      file({ x: { dtype: "F32", shape: 2, data_offsets: [0, 8] } }, eight),
      'ckpt: tensor "x": shape is 2, expected an array of non-negative integers',
    ],
    [
      "offsets reversed",
      file({ x: { dtype: "F32", shape: [2], data_offsets: [8, 0] } }, eight),
      'ckpt: tensor "x": data_offsets is [8,0], expected two integers [begin, end] with 0 <= begin <= end',
    ],
    [
      "three offsets",
      file({ x: { dtype: "F32", shape: [2], data_offsets: [0, 4, 8] } }, eight),
      'ckpt: tensor "x": data_offsets is [0,4,8], expected two integers',
    ],
    [
      "shape/offset size mismatch",
      file({ x: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, eight),
      'ckpt: tensor "x": data_offsets [0,8] span 8 bytes, but dtype F32 and shape [3] need 12',
    ],
    [
      "huge shape",
      file({ x: { dtype: "F32", shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, eight),
      "need more than 2^53",
    ],
    [
      "offsets beyond the data",
      file({ x: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, eight),
      'ckpt: tensor "x": data_offsets [0,16] reach beyond the data section of 8 bytes',
    ],
    [
      "truncated data section",
      file(good, eight).subarray(0, 8 + goodLength + 5),
      'ckpt: tensor "x": data_offsets [0,8] reach beyond the data section of 5 bytes',
    ],
    [
      "overlapping offsets",
      file({
        x: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        y: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
      }, eight),
      'ckpt: tensor "y" data_offsets [4,8] overlap tensor "x" [0,8]',
    ],
    [
      "a hole between tensors",
      file({
        x: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
        y: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
      }, f32Bytes([1, 2, 3])),
      'ckpt: data section bytes [4,8) belong to no tensor (a hole before tensor "y")',
    ],
    [
      "a hole at the end",
      file(good, f32Bytes([1, 2, 3])),
      "ckpt: data section bytes [8,12) belong to no tensor (a hole at the end)",
    ],
    [
      "metadata value not a string",
      file({ ...good, __metadata__: { epoch: 3 } }, eight),
      'ckpt: __metadata__ "epoch" is number 3, expected a string',
    ],
    [
      "metadata not an object",
      file({ ...good, __metadata__: "x" }, eight),
      'ckpt: __metadata__ is the string "x", expected an object of strings',
    ],
  ];
  for (const [label, bytes, message] of cases) {
    const err = assertThrows(() => decodeSafetensors(bytes, "ckpt"), message);
    assertOk(err instanceof SaikiError, `${label}: ${err}`);
  }
});

Deno.test("decodeSafetensors checks every entry before allocating any tensor", () => {
  // the first entry is fine, the second is bad: the whole file is refused
  const bytes = file({
    a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    b: { dtype: "U8", shape: [1], data_offsets: [8, 9] },
  }, [...eight, 1]);
  assertThrows(() => decodeSafetensors(bytes), 'safetensors: tensor "b": unknown dtype "U8"');
});

Deno.test("encodeSafetensors rejects bad names, values and metadata", () => {
  assertThrows(
    () => encodeSafetensors({ "": tensor([1]) }),
    "encodeSafetensors: a tensor name is empty",
  );
  assertThrows(
    () => encodeSafetensors({ __metadata__: tensor([1]) }),
    'encodeSafetensors: tensor name "__metadata__" is reserved for metadata',
  );
  assertThrows(
    () => encodeSafetensors({ x: [1, 2] as unknown as Tensor }),
    'encodeSafetensors: tensor "x" is an array, expected a Tensor or IntTensor',
  );
  assertThrows(
    () => encodeSafetensors({ x: tensor([1]) }, { step: 3 as unknown as string }),
    'encodeSafetensors: metadata "step" is number 3, expected a string',
  );
});

Deno.test("a tensor named __proto__ round-trips as an own entry", () => {
  const tensors: Record<string, Tensor> = {};
  Object.defineProperty(tensors, "__proto__", { value: tensor([4]), enumerable: true });
  const back = decodeSafetensors(encodeSafetensors(tensors)).tensors;
  assertEquals(Object.keys(back), ["__proto__"]);
  assertEquals(Object.getOwnPropertyDescriptor(back, "__proto__")?.value.data[0], 4);
});
