/**
 * Parameters in one contiguous buffer (llm.c style): each tensor becomes a view into it, so
 * a whole model's parameters (or gradients) can be copied, saved, reduced or shared with
 * workers as one `Float32Array`.
 *
 * @module
 */

import { getKernels } from "./engine/kernels.ts";
import { engineHeap } from "./engine/memory.ts";
import { SaikiError } from "./errors.ts";
import { Tensor } from "./tensor.ts";

/**
 * Each tensor's view starts on a multiple of this many floats (64 bytes: a cache line).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { packParams, PARAM_ALIGN } from "./params.ts";
 * import { zeros } from "./tensor.ts";
 * const b = zeros([3]), W = zeros([3, 3]);
 * const flat = packParams([b, W]); // b's 3 floats padded to 16, then W's 9
 * assert.equal(W.data.byteOffset - b.data.byteOffset, 4 * PARAM_ALIGN);
 * assert.equal(flat.size, 2 * PARAM_ALIGN);
 * ```
 */
export const PARAM_ALIGN = 16;

/**
 * The distinct tensors of `tensors`, first occurrence first: tied weights count once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { uniqueTensors } from "./params.ts";
 * import { zeros } from "./tensor.ts";
 * const E = zeros([5, 3]), b = zeros([5]);
 * const unique = uniqueTensors([E, b, E]); // a tied model lists its embedding twice
 * assert(unique.length === 2 && unique[0] === E && unique[1] === b);
 * assert.equal(uniqueTensors([zeros([2]), zeros([2])]).length, 2); // identity, not values
 * ```
 */
export function uniqueTensors(tensors: readonly Tensor[]): Tensor[] {
  return [...new Set(tensors)];
}

/**
 * Start offset (in floats) of each of `tensors` inside a packed buffer, and the total length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { packLayout } from "./params.ts";
 * import { zeros } from "./tensor.ts";
 * // sizes 3, 20 and 16 take 16, 32 and 16 floats (multiples of PARAM_ALIGN)
 * const { offsets, length } = packLayout([zeros([3]), zeros([4, 5]), zeros([16])]);
 * assert.deepEqual(offsets, [0, 16, 48]);
 * assert.equal(length, 64);
 * ```
 */
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
 * Moves `tensors` into one new block of the engine's memory: their values are copied there
 * and each tensor becomes a view of it. A tensor listed twice (tied weights) is packed once.
 *
 * @returns a flat tensor over the whole block (padding included)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { packParams } from "./params.ts";
 * import { tensor } from "./tensor.ts";
 * const W = tensor([[1, 2], [3, 4]]), b = tensor([5, 6]);
 * const flat = packParams([W, b, W]);
 * assert(W.block === flat.block && b.block === flat.block);
 * assert(b.data[1] === 6 && flat.data[16] === 5);
 * ```
 */
export function packParams(tensors: readonly Tensor[]): Tensor {
  const unique = uniqueTensors(tensors);
  const { offsets, length } = packLayout(unique);
  const block = engineHeap().alloc(4 * length);
  unique.forEach((t, i) => t.moveTo(block, offsets[i]));
  return Tensor.view(block, 0, [length]);
}

/**
 * Points `tensors` at views of `flat` laid out as {@linkcode packParams} lays them out,
 * copying their current values in when `copy` is set (else adopting the values `flat` holds):
 * how a second model attaches to the parameters of a first.
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
export function attachParams(tensors: readonly Tensor[], flat: Tensor, copy = false): void {
  const unique = uniqueTensors(tensors);
  const { offsets, length } = packLayout(unique);
  if (flat.size !== length) {
    throw new SaikiError(
      `attachParams: buffer holds ${flat.size} floats, expected ${length} for ${unique.length} tensors`,
    );
  }
  const block = flat.block;
  unique.forEach((t, i) => {
    if (block !== undefined) return t.moveTo(block, offsets[i], copy);
    const view = flat.data.subarray(offsets[i], offsets[i] + t.size);
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
      const into = outGrads[at];
      getKernels().axpy(1, grads[i], into);
    }
  });
  return { params: outParams, grads: outGrads };
}
