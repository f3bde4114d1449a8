/**
 * The one memory saiki's floats live in: a `WebAssembly.Memory`, shared wherever
 * `SharedArrayBuffer` exists, that the kernels address directly and that the workers of a
 * later step can share.
 *
 * ## Design
 *
 * - **What lives here.** Everything the library allocates for a model: parameters and
 *   gradients (packed, one block each), optimizer state (one block per slot), every layer's
 *   activations and backward buffers, and the batch buffers. A tensor a user builds
 *   (`tensor([[1, 2]])`, `zeros`, `Rng.randn`) stays an ordinary `Float32Array` on the JS
 *   heap; the WebAssembly kernels copy such operands in and out of a scratch area (correct,
 *   slower), and the plain-TypeScript kernels do not care where an array lives.
 * - **Allocation.** {@linkcode EngineHeap} hands out 64-byte-aligned blocks from the regions
 *   of the memory it owns: first fit from a free list kept sorted and coalesced, else it
 *   grows the memory by at least half its size and owns the new pages. A layer owns its
 *   buffers and frees one when a call of another shape replaces it ({@linkcode reuse} in the
 *   layers); a model packs its parameters and gradients into one block each (llm.c's
 *   `malloc_and_point_parameters`); the kernels' packing and scratch areas are blocks of the
 *   backend's own.
 * - **Threads.** A worker joins the main thread's shared memory with
 *   {@linkcode adoptEngineMemory}: its heap starts owning nothing and takes pages by growing
 *   the memory itself. `memory.grow` on a shared memory is atomic and returns where the new
 *   pages start, so two threads' heaps never hand out the same bytes and need no lock. A
 *   thread reads another's block (the parameters, a shard's gradients) through
 *   {@linkcode EngineHeap.foreign}, a view that frees nothing.
 * - **Release.** A block is freed explicitly ({@linkcode Block.free}) or, as a safety net, when
 *   nothing references it any more: every tensor holds its block, and a
 *   `FinalizationRegistry` frees a block once its last tensor is collected. A `Float32Array`
 *   taken from `tensor.data` is valid while the tensor is reachable.
 * - **Growth.** A shared memory grows in place: existing views stay valid (they keep their old
 *   length, which is all they address). An unshared memory (a browser page without
 *   cross-origin isolation) detaches every view when it grows; a {@linkcode Tensor} then
 *   rebuilds its view on the next read of `data`, so code that reads `tensor.data` at call time
 *   (as every layer does) never sees a detached array. Growth happens only inside `alloc`.
 * - **Without WebAssembly** every block is its own `ArrayBuffer` and nothing else changes.
 *
 * Measured (`lstm` preset, batch 20×35): parameters and gradients take 16 MB; after the first
 * training iteration 102 MB are in use (the `(700, 10000)` scores, probabilities and their
 * gradient are 28 MB each) in a memory of 110 MB that grew 4 times during that iteration and
 * not after. Evaluating with batch 10 frees and reallocates the layers' buffers (75 MB in
 * use); returning to training grows the memory once more, to 166 MB, because the freed space
 * is fragmented. The `better` preset holds 296 MB in a memory of 426 MB. Peak RSS of
 * `deno task train --preset lstm`: 270 MB.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";

/**
 * Bytes per WebAssembly page.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { engineHeap, PAGE } from "./memory.ts";
 * assert.equal(new WebAssembly.Memory({ initial: 2 }).buffer.byteLength, 2 * PAGE);
 * assert.equal(engineHeap().size % PAGE, 0); // the engine's memory grows by whole pages
 * ```
 */
export const PAGE = 65536;
/**
 * Every block starts on a multiple of this many bytes (a cache line; also f32x4-aligned).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ALIGN, engineHeap } from "./memory.ts";
 * const block = engineHeap().alloc(10); // 10 bytes take one whole line
 * assert(block.offset % ALIGN === 0 && block.bytes === ALIGN);
 * block.free();
 * ```
 */
export const ALIGN = 64;
/** The largest memory, in pages: 4 GiB, the most a 32-bit address reaches. */
const MAX_PAGES = 65536;
/** Pages at start: 16 MiB. */
const INITIAL_PAGES = 256;

/**
 * A region of the engine's memory: `bytes` bytes from byte offset `offset`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { engineHeap } from "./memory.ts";
 * const block = engineHeap().alloc(100); // rounded up to 128 bytes, 64-byte aligned
 * const view = block.f32(); // 32 floats, zero-filled
 * view[0] = 1;
 * assert(view.length === 32 && block.offset % 64 === 0);
 * block.free();
 * ```
 */
export class Block {
  /** The heap it came from. */
  readonly heap: EngineHeap;
  /** Byte offset in the memory. */
  readonly offset: number;
  /** Size in bytes (a multiple of {@linkcode ALIGN}). */
  readonly bytes: number;
  /** The buffer of a block that lives outside any WebAssembly memory (no WebAssembly). */
  readonly own?: ArrayBuffer;
  /** Memory another heap (another thread) owns, viewed here ({@linkcode EngineHeap.foreign}). */
  readonly foreign: boolean;
  #freed = false;

  /** A block of `heap` (made by {@linkcode EngineHeap.alloc} or {@linkcode EngineHeap.foreign}). */
  constructor(heap: EngineHeap, offset: number, bytes: number, own?: ArrayBuffer, foreign = false) {
    this.heap = heap;
    this.offset = offset;
    this.bytes = bytes;
    this.own = own;
    this.foreign = foreign;
  }

  /** Whether {@linkcode Block.free} was called. */
  get freed(): boolean {
    return this.#freed;
  }

  /** A float32 view of `length` floats from float index `start` of the block (default: all). */
  f32(start: number = 0, length: number = (this.bytes >> 2) - start): Float32Array {
    return new Float32Array(this.own ?? this.heap.buffer, this.offset + 4 * start, length);
  }

  /** A float64 view of `length` doubles from double index `start` (default: all). */
  f64(start: number = 0, length: number = (this.bytes >> 3) - start): Float64Array {
    return new Float64Array(this.own ?? this.heap.buffer, this.offset + 8 * start, length);
  }

  /** An int32 view, like {@linkcode Block.f32}. */
  i32(start: number = 0, length: number = (this.bytes >> 2) - start): Int32Array {
    return new Int32Array(this.own ?? this.heap.buffer, this.offset + 4 * start, length);
  }

  /** Returns the block to the heap (idempotent). Views of it must not be used after. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.heap.release(this);
  }
}

/**
 * Allocates blocks of one `WebAssembly.Memory` (see the module doc for the design).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EngineHeap } from "./memory.ts";
 * const heap = new EngineHeap();
 * const a = heap.alloc(1000), b = heap.alloc(1000);
 * a.free();
 * const c = heap.alloc(500); // reuses a's place
 * assert(c.offset === a.offset && b.offset > a.offset);
 * ```
 */
export class EngineHeap {
  /** The memory, or `undefined` where WebAssembly is missing. */
  readonly memory: WebAssembly.Memory | undefined;
  /** Whether the memory is backed by a `SharedArrayBuffer` (and views survive growth). */
  readonly shared: boolean;
  /** Bytes handed out and not yet freed. */
  used = 0;
  /** The most bytes ever in use at once. */
  peak = 0;
  /** Bytes of the memory this heap owns (its initial region and what it grew). */
  owned = 0;
  #free: { offset: number; bytes: number }[] = [];
  #buffers = new WeakSet<ArrayBufferLike>();
  #buffer: ArrayBufferLike | undefined;
  #growth = 0;
  #maxPages = MAX_PAGES;
  #finalizer = new FinalizationRegistry<{ offset: number; bytes: number }>((r) =>
    this.#release(r.offset, r.bytes)
  );

  /**
   * A heap over a new memory (shared when `SharedArrayBuffer` exists and `shared` is not
   * `false`, else unshared), or, with `memory`, over a shared memory another heap (another
   * thread's) already allocates from: this heap then owns only what it grows.
   */
  constructor(options: { shared?: boolean; memory?: WebAssembly.Memory } = {}) {
    if (typeof WebAssembly === "undefined" || typeof WebAssembly.Memory !== "function") {
      this.memory = undefined;
      this.shared = false;
      return;
    }
    if (options.memory !== undefined) {
      if (!(options.memory.buffer instanceof SharedArrayBuffer)) {
        throw new SaikiError("EngineHeap: an adopted memory must be shared");
      }
      this.memory = options.memory;
      this.shared = true;
      this.#noteBuffer();
      return;
    }
    const wantShared = options.shared ?? typeof SharedArrayBuffer === "function";
    let memory: WebAssembly.Memory | undefined;
    if (wantShared) {
      // A shared memory needs a maximum; a host that cannot reserve 4 GiB gets less.
      for (const maximum of [MAX_PAGES, 16384, 4096]) {
        try {
          memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum, shared: true });
          this.#maxPages = maximum;
          break;
        } catch {
          // try a smaller reservation
        }
      }
    }
    this.memory = memory ?? new WebAssembly.Memory({ initial: INITIAL_PAGES });
    this.shared = memory !== undefined;
    this.#noteBuffer();
    // offset 0 stays unused: a null pointer is never a block
    this.#addRegion(ALIGN, INITIAL_PAGES * PAGE - ALIGN);
  }

  /** The memory's current buffer (after growth, a new object). */
  get buffer(): ArrayBufferLike {
    // another thread may have grown a shared memory: its buffer is then a longer object
    if (this.shared && this.memory!.buffer !== this.#buffer) this.#noteBuffer();
    return this.#buffer!;
  }

  /** The memory's size in bytes. */
  get size(): number {
    return this.buffer?.byteLength ?? 0;
  }

  /** How many times the memory grew; a view made before a growth of an unshared memory is dead. */
  get growth(): number {
    return this.#growth;
  }

  /** Whether `buffer` is (or was, before a growth) this memory's buffer. */
  owns(buffer: ArrayBufferLike): boolean {
    return buffer === this.#buffer || this.#buffers.has(buffer) || buffer === this.buffer;
  }

  /**
   * A block naming memory another heap (another thread) allocated, to view it: freeing it
   * does nothing, and its owner must keep it allocated while it is used.
   */
  foreign(offset: number, bytes: number): Block {
    if (this.memory === undefined || offset % ALIGN !== 0 || offset + bytes > this.size) {
      throw new SaikiError(
        `EngineHeap.foreign: ${bytes} bytes at ${offset} are not a block of this memory`,
      );
    }
    return new Block(this, offset, bytes, undefined, true);
  }

  #noteBuffer(): void {
    this.#buffer = this.memory!.buffer;
    this.#buffers.add(this.#buffer);
  }

  /** Adds `bytes` from `offset`, memory this heap now owns, to its free list. */
  #addRegion(offset: number, bytes: number): void {
    this.owned += bytes;
    this.used += bytes; // #release counts it back out
    this.#release(offset, bytes);
  }

  /**
   * Grows the memory by enough pages for a block of `size` bytes and takes them: the pages a
   * `grow` adds belong to the caller alone, even when other threads grow the memory too.
   * Returns false if the memory cannot grow.
   */
  #grow(size: number): boolean {
    const memory = this.memory!;
    const end = memory.buffer.byteLength;
    // a free run reaching the memory's end joins the new pages (unless another thread grows
    // first; then the caller's next search fails and it grows again)
    const last = this.#free[this.#free.length - 1];
    const tail = last !== undefined && last.offset + last.bytes === end ? last.bytes : 0;
    const needPages = Math.ceil((size - tail) / PAGE);
    const pages = Math.max(needPages, Math.ceil(Math.max(this.owned, end) / PAGE / 2));
    for (const p of [pages, needPages, Math.ceil(size / PAGE)]) {
      try {
        const old = memory.grow(p);
        this.#growth++;
        this.#noteBuffer();
        this.#addRegion(old * PAGE, p * PAGE);
        return true;
      } catch {
        // try the smallest growth that fits before giving up
      }
    }
    return false;
  }

  #take(size: number): number {
    const free = this.#free;
    for (let i = 0; i < free.length; i++) {
      const f = free[i];
      if (f.bytes < size) continue;
      const offset = f.offset;
      if (f.bytes === size) free.splice(i, 1);
      else f.offset += size, f.bytes -= size;
      return offset;
    }
    return -1;
  }

  /**
   * A zero-filled block of at least `bytes` bytes. Throws a `RangeError` naming the size
   * when the memory cannot grow that far.
   */
  alloc(bytes: number): Block {
    if (!Number.isInteger(bytes) || bytes < 0) {
      throw new RangeError(`EngineHeap.alloc: ${bytes} is not a byte count`);
    }
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    if (this.memory === undefined) {
      return new Block(this, 0, size, new ArrayBuffer(size));
    }
    let offset = this.#take(size);
    while (offset < 0) {
      if (!this.#grow(size)) {
        throw new RangeError(
          `saiki engine memory: cannot allocate ${formatBytes(size)} more (in use ` +
            `${formatBytes(this.used)}, memory ${formatBytes(this.size)}, limit ` +
            `${formatBytes(this.#maxBytes())})`,
        );
      }
      offset = this.#take(size);
    }
    const block = new Block(this, offset, size);
    new Uint8Array(this.buffer, offset, size).fill(0);
    this.used += size;
    this.peak = Math.max(this.peak, this.used);
    this.#finalizer.register(block, { offset, bytes: size }, block);
    return block;
  }

  #maxBytes(): number {
    return this.#maxPages * PAGE;
  }

  /** Frees `block` (called by {@linkcode Block.free}). */
  release(block: Block): void {
    if (block.own !== undefined || block.foreign) return;
    this.#finalizer.unregister(block);
    this.#release(block.offset, block.bytes);
  }

  #release(offset: number, bytes: number): void {
    this.used -= bytes;
    const free = this.#free;
    let lo = 0, hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (free[mid].offset < offset) lo = mid + 1;
      else hi = mid;
    }
    free.splice(lo, 0, { offset, bytes });
    // coalesce with the next, then the previous neighbour
    if (lo + 1 < free.length && offset + bytes === free[lo + 1].offset) {
      free[lo].bytes += free[lo + 1].bytes;
      free.splice(lo + 1, 1);
    }
    if (lo > 0 && free[lo - 1].offset + free[lo - 1].bytes === offset) {
      free[lo - 1].bytes += free[lo].bytes;
      free.splice(lo, 1);
    }
  }
}

function formatBytes(n: number): string {
  return n >= 1 << 30
    ? `${(n / (1 << 30)).toFixed(2)} GiB`
    : n >= 1 << 20
    ? `${(n / (1 << 20)).toFixed(1)} MiB`
    : `${Math.ceil(n / 1024)} KiB`;
}

let heap: EngineHeap | undefined;

/**
 * Makes this thread's heap allocate from `memory`, a shared memory another thread created
 * (a worker joining the main thread's engine): call it before anything allocates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { engineHeap } from "./memory.ts";
 * // a worker (its code inline here) joins the main thread's memory, then allocates from it
 * const memoryTs = new URL("./memory.ts", import.meta.url).href;
 * const source = `import { adoptEngineMemory } from "${memoryTs}";
 * onmessage = (e) => {
 *   const heap = adoptEngineMemory(e.data); // first, before anything allocates
 *   const block = heap.alloc(64); // from pages this worker grew: no other heap has them
 *   block.f32()[0] = 42;
 *   postMessage(block.offset);
 * };`;
 * const main = engineHeap();
 * const worker = new Worker(`data:text/javascript,${encodeURIComponent(source)}`, {
 *   type: "module",
 * });
 * const offset = await new Promise<number>((resolve) => {
 *   worker.onmessage = (e) => resolve(e.data);
 *   worker.postMessage(main.memory); // a shared WebAssembly.Memory is shared, not copied
 * });
 * worker.terminate();
 * assert.equal(main.foreign(offset, 64).f32()[0], 42); // the worker's write, seen here
 * ```
 */
export function adoptEngineMemory(memory: WebAssembly.Memory): EngineHeap {
  if (heap !== undefined) {
    if (heap.memory === memory) return heap;
    throw new SaikiError("adoptEngineMemory: this thread's engine memory is already in use");
  }
  return heap = new EngineHeap({ memory });
}

/**
 * The heap every tensor the library allocates comes from (created on first use).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { engineHeap } from "./memory.ts";
 * assert(engineHeap() === engineHeap());
 * ```
 */
export function engineHeap(): EngineHeap {
  return heap ??= new EngineHeap();
}
