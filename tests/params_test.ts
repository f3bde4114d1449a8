import {
  attachParams,
  packLayout,
  packParams,
  PARAM_ALIGN,
  removeDuplicate,
  uniqueTensors,
} from "../lib/params.ts";
import { assertEquals, assertOk, assertThrows } from "../lib/std/assert.ts";
import { tensor, zeros } from "../lib/tensor.ts";

Deno.test("packParams puts every distinct tensor in one buffer, aligned, values kept", () => {
  const W = tensor([[1, 2, 3], [4, 5, 6]]), b = tensor([7, 8, 9]), E = tensor([10]);
  const flat = packParams([W, b, W, E]);
  const { offsets, length } = packLayout([W, b, E]);
  assertEquals(flat.size, length);
  offsets.forEach((o) => assertEquals(o % PARAM_ALIGN, 0));
  for (const t of [W, b, E]) {
    assertOk(t.block !== undefined && t.block === flat.block);
    assertEquals(t.data.byteOffset, flat.data.byteOffset + 4 * offsets[[W, b, E].indexOf(t)]);
  }
  assertEquals([W.toArray(), b.toArray(), E.toArray()], [[[1, 2, 3], [4, 5, 6]], [7, 8, 9], [10]]);
  flat.data[offsets[1]] = 70;
  assertEquals(b.data[0], 70);
  assertEquals(uniqueTensors([W, b, W]).length, 2);
  // the engine's memory is shared wherever SharedArrayBuffer exists (Deno: always)
  assertOk(flat.data.buffer instanceof SharedArrayBuffer);
});

Deno.test("attachParams adopts or fills a buffer laid out the same way", () => {
  const a = [tensor([1, 2]), tensor([3])], b = [zeros([2]), zeros([1])];
  const flat = packParams(a);
  attachParams(b, flat); // adopt: b reads a's values
  assertEquals([b[0].toArray(), b[1].toArray()], [[1, 2], [3]]);
  const c = [tensor([5, 6]), tensor([7])];
  attachParams(c, flat, true); // copy c's values in
  assertEquals(a[0].toArray(), [5, 6]);
  assertThrows(() => attachParams(b, zeros([3])), "attachParams: buffer holds 3 floats");
  // a flat tensor of one's own (not engine memory) works the same way
  const d = [zeros([2]), zeros([1])], own = zeros([32]);
  own.data[16] = 9;
  attachParams(d, own);
  assertEquals(d[1].data[0], 9);
});

Deno.test("removeDuplicate sums the gradients of tied parameters, in order", () => {
  const E = tensor([1, 1]), W = tensor([2]);
  const g1 = tensor([1, 2]), gW = tensor([5]), g2 = tensor([10, 20]);
  const { params, grads } = removeDuplicate([E, W, E], [g1, gW, g2]);
  assertEquals(params, [E, W]);
  assertEquals(grads[0].toArray(), [11, 22]);
  assertOk(grads[1] === gW);
  assertThrows(
    () => removeDuplicate([E], []),
    "removeDuplicate: 1 params but 0 grads, expected equal counts",
  );
});
