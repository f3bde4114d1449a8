/**
 * The engine's allocator (`lib/engine/memory.ts`): alignment, zero-filling, first fit,
 * coalescing, the free end, accounting, errors, growth of shared and unshared memories, and two
 * heaps (two threads) over one memory.
 *
 * Every test uses a heap of its own (`new EngineHeap`), never the library's, so offsets are
 * predictable; blocks are kept referenced until the test ends, so the finalization safety net
 * cannot free one behind the test's back.
 */

import { ALIGN, EngineHeap, PAGE } from "../../lib/engine/memory.ts";
import { Tensor } from "../../lib/tensor.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";

const MiB = 1 << 20;

/** Whether a heap here gets a shared memory (SharedArrayBuffer exists): the tests of one need it. */
const SHARED = new EngineHeap().shared;
if (!SHARED) {
  console.error(
    "skip: SharedArrayBuffer is unavailable: the memory_test tests of shared memories are ignored",
  );
}

Deno.test("EngineHeap hands out 64-byte-aligned blocks of whole cache lines, never at offset 0", () => {
  const heap = new EngineHeap();
  assertOk(heap.memory !== undefined, "WebAssembly.Memory exists in Deno");
  assertEquals(ALIGN, 64);
  const sizes = [0, 1, 3, 63, 64, 65, 100, 1000, 4096, 12345];
  const blocks = sizes.map((n) => heap.alloc(n));
  let end = 0;
  blocks.forEach((b, i) => {
    assertEquals(b.offset % 64, 0, `block of ${sizes[i]} bytes at ${b.offset}`);
    assertEquals(b.bytes, Math.max(64, Math.ceil(sizes[i] / 64) * 64), `size of ${sizes[i]}`);
    assertOk(b.offset >= 64, "offset 0 is never a block");
    assertOk(b.offset >= end, "blocks do not overlap");
    end = b.offset + b.bytes;
    assertEquals(b.f32().length, b.bytes / 4);
    assertEquals(b.f32().byteOffset, b.offset);
    assertEquals(b.i32(2, 3).byteOffset, b.offset + 8);
  });
  for (const bad of [-1, 1.5, NaN]) {
    const e = assertThrows(() => heap.alloc(bad), `EngineHeap.alloc: ${bad} is not a byte count`);
    assertOk(e instanceof RangeError);
  }
});

Deno.test("EngineHeap blocks are zero-filled, also when they reuse freed memory", () => {
  const heap = new EngineHeap();
  const a = heap.alloc(256);
  const keep = heap.alloc(64); // so that freeing a leaves a hole rather than lowering the top
  a.f32().fill(7);
  a.free();
  const b = heap.alloc(256);
  assertEquals(b.offset, a.offset, "the hole is reused");
  assertOk(b.f32().every((v) => v === 0), "and zeroed");
  assertOk(!keep.freed);
});

Deno.test("EngineHeap reuses the first freed block that fits, splitting it", () => {
  const heap = new EngineHeap();
  const small = heap.alloc(128), s1 = heap.alloc(64);
  const big = heap.alloc(1024), s2 = heap.alloc(64);
  small.free();
  big.free();
  // 256 bytes do not fit the first hole (128): the second one is taken, from its start
  const x = heap.alloc(256);
  assertEquals(x.offset, big.offset);
  // 64 bytes fit the first hole
  const y = heap.alloc(64);
  assertEquals(y.offset, small.offset);
  // what is left of the big hole (768 bytes) is next
  const z = heap.alloc(768);
  assertEquals(z.offset, big.offset + 256);
  // the second half of the small hole (64 bytes) still fits a 64-byte request
  const w = heap.alloc(1);
  assertEquals(w.offset, small.offset + 64);
  // no hole left: the next block comes from the top, after s2
  const t = heap.alloc(64);
  assertEquals(t.offset, s2.offset + s2.bytes);
  assertOk(!s1.freed);
  // first fit, not best fit: a large hole at a lower address wins over an exact one above it
  const heap2 = new EngineHeap();
  const large = heap2.alloc(1024), g1 = heap2.alloc(64);
  const exact = heap2.alloc(256), g2 = heap2.alloc(64);
  large.free();
  exact.free();
  assertEquals(heap2.alloc(256).offset, large.offset);
  assertOk(!g1.freed && !g2.freed);
});

Deno.test("EngineHeap coalesces a freed block with both neighbours", () => {
  const heap = new EngineHeap();
  const [a, b, c, d] = [0, 1, 2, 3].map(() => heap.alloc(256));
  const guard = heap.alloc(64); // keeps the run below the top
  a.free();
  c.free();
  // two holes of 256: 512 bytes fit neither
  const probe = heap.alloc(512);
  assertEquals(probe.offset, guard.offset + guard.bytes);
  probe.free(); // the last block: the top comes down again
  b.free(); // joins a (before) and c (after): one hole of 768
  const e = heap.alloc(768);
  assertEquals(e.offset, a.offset);
  assertEquals(heap.alloc(64).offset, guard.offset + guard.bytes, "the hole was used up exactly");
  assertOk(!d.freed);
});

Deno.test("EngineHeap reuses a freed run at the end of its memory, also one coalesced from two blocks", () => {
  const heap = new EngineHeap();
  const a = heap.alloc(256), b = heap.alloc(256), c = heap.alloc(256);
  c.free(); // the last block: the top comes back to c
  assertEquals(heap.alloc(512).offset, c.offset, "a larger block starts where c was");
  const heap2 = new EngineHeap();
  const p = heap2.alloc(256), q = heap2.alloc(256), r = heap2.alloc(256);
  q.free(); // a hole in the middle
  r.free(); // joins q's hole, which now reaches the top: the top comes down to q
  const big = heap2.alloc(4096);
  assertEquals(big.offset, q.offset);
  assertOk(!a.freed && !b.freed && !p.freed);
});

Deno.test("EngineHeap counts bytes in use and the peak; Block.free is idempotent", () => {
  const heap = new EngineHeap();
  assertEquals([heap.used, heap.peak], [0, 0]);
  const a = heap.alloc(100); // 128
  const b = heap.alloc(1000); // 1024
  assertEquals(heap.used, 1152);
  a.free();
  assertEquals([heap.used, heap.peak], [1024, 1152]);
  assertOk(a.freed && !b.freed);
  a.free(); // a second free changes nothing
  assertEquals(heap.used, 1024);
  const c = heap.alloc(64); // reuses a's place: a double free would have handed it out twice
  const d = heap.alloc(64);
  assertEquals([c.offset, d.offset], [a.offset, a.offset + 64]);
  assertEquals([heap.used, heap.peak], [1152, 1152]);
  const e = heap.alloc(4096);
  assertEquals([heap.used, heap.peak], [5248, 5248]);
  for (const x of [b, c, d, e]) x.free();
  assertEquals([heap.used, heap.peak], [0, 5248]);
});

Deno.test("EngineHeap names the size of a request it cannot satisfy in a RangeError", () => {
  const heap = new EngineHeap();
  const before = heap.size;
  const e = assertThrows(() => heap.alloc(5 * 2 ** 30), "cannot allocate 5.00 GiB more");
  assertOk(e instanceof RangeError, `${e.constructor.name}, expected RangeError`);
  assertEquals(heap.used, 0, "nothing is counted");
  assertEquals(heap.size, before, "the memory did not grow");
  assertEquals(heap.alloc(64).offset, 64, "the heap still works, from the same top");
});

Deno.test({
  name: "a shared EngineHeap grows in place: old views stay valid and owns() knows both buffers",
  ignore: !SHARED,
  fn() {
    const heap = new EngineHeap();
    assertOk(heap.shared);
    const a = heap.alloc(4 * 1000);
    const view = a.f32(0, 1000);
    view.forEach((_, i) => view[i] = i + 0.5);
    const oldBuffer = heap.buffer, size = heap.size, growth = heap.growth;
    const t = Tensor.view(a, 10, [5, 4]);
    const tData = t.data;
    const big = heap.alloc(size); // cannot fit: the memory grows
    assertOk(heap.growth > growth && heap.size >= big.offset + big.bytes, `grew to ${heap.size}`);
    assertOk(heap.size >= 1.5 * size, "by at least half its size");
    assertEquals(heap.size % PAGE, 0);
    assertOk(heap.buffer !== oldBuffer, "a new buffer object");
    assertOk(heap.owns(oldBuffer) && heap.owns(heap.buffer), "owns the old and new buffers");
    assertOk(!heap.owns(new ArrayBuffer(16)) && !heap.owns(new EngineHeap().buffer));
    assertEquals(view.length, 1000, "the old view keeps its length");
    assertOk(view.every((v, i) => v === i + 0.5), "and its values");
    assertOk(t.data === tData, "a tensor keeps its view");
    view[3] = -1; // old and new views alias the same memory
    assertEquals(a.f32()[3], -1);
    big.f32()[0] = 9;
    assertEquals(new Float32Array(heap.buffer, big.offset, 1)[0], 9);
  },
});

Deno.test("an unshared EngineHeap detaches old views when it grows; Tensor.data rebuilds its view", () => {
  const heap = new EngineHeap({ shared: false });
  assertOk(!heap.shared && heap.memory !== undefined);
  const a = heap.alloc(4 * 64);
  const t = Tensor.view(a, 8, [3, 5]);
  t.data.forEach((_, i) => t.data[i] = 2 * i + 1);
  const raw = t.data, oldBuffer = heap.buffer, growth = heap.growth;
  const big = heap.alloc(heap.size + 4 * MiB);
  assertOk(heap.growth === growth + 1, `growth ${growth} -> ${heap.growth}`);
  assertEquals(raw.length, 0, "the old view is detached");
  assertEquals(oldBuffer.byteLength, 0);
  assertOk(heap.owns(oldBuffer) && heap.owns(heap.buffer));
  const data = t.data;
  assertEquals(data.length, 15, "the tensor rebuilt its view");
  assertOk(data.buffer === heap.buffer);
  assertEquals(data.byteOffset, a.offset + 32);
  assertEquals(Array.from(data), Array.from({ length: 15 }, (_, i) => 2 * i + 1));
  data[0] = 42;
  assertEquals(a.f32()[8], 42, "the rebuilt view aliases the block");
  assertEquals(t.reshape([15]).data[0], 42, "so do views derived after the growth");
  assertOk(!big.freed);
});

Deno.test({
  name:
    "two heaps over one shared memory (two threads') hand out disjoint blocks; a foreign view frees nothing",
  ignore: !SHARED,
  fn() {
    const a = new EngineHeap({ shared: true });
    assertOk(a.shared);
    const b = new EngineHeap({ memory: a.memory });
    assertEquals(b.owned, 0, "an adopting heap owns nothing until it grows the memory");
    const blocks = [];
    for (let i = 0; i < 40; i++) {
      // alternate heaps, with sizes that force both to grow several times
      const heap = i % 2 === 0 ? a : b;
      blocks.push(heap.alloc((i % 7 + 1) * 300_000));
      if (i % 5 === 4) blocks.splice(i % 3, 1)[0].free(); // and free some, to reuse holes
    }
    const spans = blocks.map((x) => [x.offset, x.offset + x.bytes]).sort((p, q) => p[0] - q[0]);
    for (let i = 1; i < spans.length; i++) {
      assertOk(spans[i][0] >= spans[i - 1][1], `blocks overlap: ${spans[i - 1]} and ${spans[i]}`);
    }
    assertOk(b.owned > 0 && a.owned + b.owned <= a.size, `owned ${a.owned} + ${b.owned}`);
    // b views one of a's blocks: writes are shared, and freeing the view does not free the block
    const mine = a.alloc(256);
    const view = b.foreign(mine.offset, mine.bytes);
    view.f32()[3] = 42;
    assertEquals(mine.f32()[3], 42);
    const used = a.used;
    view.free();
    assertEquals(a.used, used);
    assertThrows(() => b.foreign(mine.offset + 4, 64), "are not a block of this memory");
    assertThrows(
      () => new EngineHeap({ memory: new WebAssembly.Memory({ initial: 1 }) }),
      "must be shared",
    );
  },
});
