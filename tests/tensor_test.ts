import { fromJSON, IntTensor, sizeOf, Tensor, tensor, zeros } from "../lib/tensor.ts";
import { assertEquals, assertOk, assertThrows } from "../lib/std/assert.ts";

Deno.test("tensors from nested arrays, flat values and fixture JSON round-trip through toArray", () => {
  const t = tensor([[1, 2, 3], [4, 5, 6]]);
  assertEquals(t.shape, [2, 3]);
  assertEquals(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
  assertEquals(tensor([1, 2, 3, 4], [2, 2]).toArray(), [[1, 2], [3, 4]]);
  assertEquals(tensor(7).shape, []);
  assertEquals(tensor(7).toArray(), 7);
  const f = fromJSON({ shape: [2], data: [0.5, 1.5] });
  assertOk(f instanceof Tensor && f.data instanceof Float32Array);
  const i = fromJSON({ shape: [1, 2], data: [3, -1], dtype: "int32" });
  assertOk(i instanceof IntTensor && i.data instanceof Int32Array);
  assertEquals(i.toArray(), [[3, -1]]);
  assertEquals(t.toJSON(), { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] });
  assertEquals(zeros([0, 3]).size, 0);
  assertEquals(sizeOf([]), 1);
});

Deno.test("reshape and row are views; clone is a copy", () => {
  const t = tensor([[1, 2, 3], [4, 5, 6]]);
  const r = t.reshape([3, 2]);
  r.data[0] = 10;
  assertEquals(t.data[0], 10);
  const row = t.row(1);
  row.data[2] = 60;
  assertEquals(t.toArray(), [[10, 2, 3], [4, 5, 60]]);
  const c = t.clone();
  c.data[0] = -1;
  assertEquals(t.data[0], 10);
  assertEquals(zeros([2, 2]).copyFrom(tensor([1, 2, 3, 4], [2, 2])).toArray(), [[1, 2], [3, 4]]);
  assertEquals(zeros([3]).fill(2).toArray(), [2, 2, 2]);
});

Deno.test("tensors name bad shapes, ragged arrays, rows out of range and bad dtypes", () => {
  assertThrows(() => tensor([[1, 2], [3]]), "ragged nested array, expected length 2 at depth 1");
  assertThrows(() => tensor([1, 2, 3], [2, 2]), "shape [2,2] holds 4 values, but the data has 3");
  assertThrows(() => zeros([2, -1]), "invalid shape [2,-1], dimensions must be integers >= 0");
  assertThrows(
    () => tensor([1, 2, 3, 4]).reshape([3]),
    "shape [3] holds 3 values, but the data has 4",
  );
  assertThrows(() => tensor([[1], [2]]).row(2), "Tensor.row: index 2 out of range for shape [2,1]");
  assertThrows(
    () => zeros([2]).copyFrom(zeros([3])),
    "Tensor.copyFrom: source has 3 values (shape [3]), expected 2 (shape [2] or any with that size)",
  );
  assertThrows(() => IntTensor.from([1.5]), "IntTensor.from: 1.5 is not an int32");
  assertThrows(
    () => fromJSON({ shape: [1], data: [1], dtype: "float16" }),
    'fromJSON: unknown dtype "float16", expected "float32" or "int32"',
  );
});
