/**
 * Parameters in one contiguous buffer (llm.c style): each tensor becomes a view into it, so
 * a whole model's parameters (or gradients) can be copied, saved, reduced or shared with
 * workers as one `Float32Array`.
 *
 * @module
 */

import { SaikiError } from "./errors.ts";
import type { Tensor } from "./tensor.ts";

/** Each tensor's view starts on a multiple of this many floats (64 bytes: a cache line). */
export const PARAM_ALIGN = 16;

/** The distinct tensors of `tensors`, first occurrence first: tied weights count once. */
export function uniqueTensors(tensors: readonly Tensor[]): Tensor[] {
  return [...new Set(tensors)];
}

/** Start offset (in floats) of each of `tensors` inside a packed buffer, and the total length. */
export function packLayout(tensors: readonly Tensor[]): { offsets: number[]; length: number } {
  const offsets: number[] = [];
  let at = 0;
  for (const t of tensors) {
    offsets.push(at);
    at += Math.ceil(t.size / PARAM_ALIGN) * PARAM_ALIGN;
  }
  return { offsets, length: at };
}

/**
 * Moves `tensors` into one new contiguous buffer: their values are copied there and each
 * tensor's `data` becomes a view into it. A tensor listed twice (tied weights) is packed once.
 * With `shared: true` the buffer is backed by a `SharedArrayBuffer`, ready for workers.
 *
 * @returns the buffer holding every value
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { packParams } from "./params.ts";
 * import { tensor } from "./tensor.ts";
 * const W = tensor([[1, 2], [3, 4]]), b = tensor([5, 6]);
 * const flat = packParams([W, b, W]);
 * assert(W.data.buffer === flat.buffer && b.data.buffer === flat.buffer);
 * assert(b.data[1] === 6);
 * ```
 */
export function packParams(
  tensors: readonly Tensor[],
  options: { shared?: boolean } = {},
): Float32Array {
  const unique = uniqueTensors(tensors);
  const { length } = packLayout(unique);
  const bytes = length * Float32Array.BYTES_PER_ELEMENT;
  const buffer = new Float32Array(
    options.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes),
  );
  attachParams(unique, buffer, true);
  return buffer;
}

/**
 * Points `tensors` at views of `buffer` laid out as {@linkcode packParams} lays them out,
 * copying their current values in when `copy` is set (else adopting the buffer's values):
 * how a worker attaches its model to the parameters the main thread shares.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attachParams, packParams } from "./params.ts";
 * import { zeros } from "./tensor.ts";
 * const a = [zeros([2, 2]), zeros([3])], b = [zeros([2, 2]), zeros([3])];
 * const flat = packParams(a);
 * attachParams(b, flat); // b now reads and writes the same memory as a
 * a[1].data[0] = 7;
 * assert(b[1].data[0] === 7);
 * ```
 */
export function attachParams(tensors: readonly Tensor[], buffer: Float32Array, copy = false): void {
  const unique = uniqueTensors(tensors);
  const { offsets, length } = packLayout(unique);
  if (buffer.length !== length) {
    throw new SaikiError(
      `attachParams: buffer holds ${buffer.length} floats, expected ${length} for ${unique.length} tensors`,
    );
  }
  unique.forEach((t, i) => {
    const view = buffer.subarray(offsets[i], offsets[i] + t.size);
    if (copy) view.set(t.data);
    t.data = view;
  });
}

/**
 * The reference trainer's `remove_duplicate`: drops repeated (tied) parameters from the lists
 * and adds each repeat's gradient into the first occurrence's gradient (in place), so an
 * optimizer updates a shared matrix once with the sum of its gradients.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { removeDuplicate } from "./params.ts";
 * import { tensor } from "./tensor.ts";
 * const E = tensor([1, 2]), b = tensor([0]);
 * const { params, grads } = removeDuplicate([E, b, E], [tensor([1, 1]), tensor([3]), tensor([2, 2])]);
 * assert(params.length === 2 && grads[0].data.join() === "3,3");
 * ```
 */
export function removeDuplicate(
  params: readonly Tensor[],
  grads: readonly Tensor[],
): { params: Tensor[]; grads: Tensor[] } {
  if (params.length !== grads.length) {
    throw new SaikiError(
      `removeDuplicate: ${params.length} params but ${grads.length} grads, expected equal counts`,
    );
  }
  const first = new Map<Tensor, number>();
  const outParams: Tensor[] = [], outGrads: Tensor[] = [];
  params.forEach((p, i) => {
    const at = first.get(p);
    if (at === undefined) {
      first.set(p, outParams.length);
      outParams.push(p);
      outGrads.push(grads[i]);
    } else {
      const into = outGrads[at].data, from = grads[i].data;
      for (let j = 0; j < into.length; j++) into[j] += from[j];
    }
  });
  return { params: outParams, grads: outGrads };
}
