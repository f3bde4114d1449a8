/**
 * What every layer shares: `params` and `grads` lists in the reference's order, and reusable
 * output buffers that are never the input of the same call ({@linkcode reuse}).
 *
 * @module
 */

import { formatShape, SaikiError } from "../errors.ts";
import type { Mat } from "../engine/views.ts";
import { engineTensor, Tensor } from "../tensor.ts";

/**
 * A layer holds its parameters and, after `backward`, their gradients: `grads[i]` has the
 * shape of `params[i]`. Both lists keep the reference's order and packing, so a model's
 * parameters are the concatenation of its layers' lists.
 */
export interface Layer {
  /** Learnable tensors, in the reference's order. */
  readonly params: Tensor[];
  /** Gradients of the last `backward`, one per parameter, same shapes. */
  readonly grads: Tensor[];
}

/**
 * A layer from one `(N, T, ·)` tensor to another, as models stack them after the embedding
 * (`TimeRNN`, `TimeLSTM`, `TimeGRU`, `TimeDropout`, `TimeAffine`, `TimeBiLSTM`).
 */
export interface SequenceLayer extends Layer {
  /** xs: `(N, T, D)` → `(N, T, M)`. */
  forward(xs: Tensor): Tensor;
  /** dout: `(N, T, M)` → dxs: `(N, T, D)`; sets `grads`. */
  backward(dout: Tensor): Tensor;
}

/**
 * Whether `a` and `b` share storage: the same `ArrayBuffer` and overlapping byte ranges. Two
 * tensors in the engine's memory share its buffer, so only the ranges tell them apart.
 */
function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteLength > 0 && b.byteLength > 0 &&
    a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * Returns `buffer` when it already has `shape` and shares no storage with any of `inputs`,
 * else a new zero tensor of `shape` in the engine's memory: how layers keep their activations
 * and gradients preallocated across calls of the same size, allocating nothing when nothing
 * changes.
 *
 * For a buffer it returns, a layer passes as `inputs` what the call reads: its arguments and
 * the inputs it kept from `forward`. A buffer that overlaps one is the caller's data now
 * (`x = layer.forward(x)` feeds the last output back in); writing it would overwrite the input
 * while the kernels still read it, so the layer gets a fresh buffer and leaves the old one to
 * the caller. A buffer replaced because its shape changed is freed (its block returns to the
 * engine's memory), unless it overlaps an input.
 *
 * Outputs of `forward`/`backward` are such buffers: they stay valid until the layer's next
 * call of the same method (a call with other sizes frees them; a call whose input is the
 * buffer leaves it alone); `clone()` one to keep it longer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reuse } from "./layer.ts";
 * const a = reuse(undefined, [2, 3]);
 * assert(reuse(a, [2, 3]) === a && reuse(a, [3, 2]) !== a);
 * // a (or a view of part of it) is this call's input: a fresh buffer, a is left intact
 * assert(reuse(a, [2, 3], a.row(1)) !== a);
 * ```
 */
export function reuse(
  buffer: Tensor | undefined,
  shape: readonly number[],
  ...inputs: readonly { readonly data: ArrayBufferView }[]
): Tensor {
  if (buffer === undefined) return engineTensor(shape);
  let aliased = false;
  for (const x of inputs) aliased ||= overlaps(buffer.data, x.data);
  if (aliased) return engineTensor(shape);
  if (buffer.shape.length === shape.length) {
    let same = true;
    for (let i = 0; i < shape.length; i++) same &&= buffer.shape[i] === shape[i];
    if (same) return buffer;
  }
  buffer.block?.free();
  return engineTensor(shape);
}

/**
 * Throws the error for a `backward` called before any `forward`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noForward } from "./layer.ts";
 * let message = "";
 * try { noForward("Affine.backward"); } catch (e) { message = (e as Error).message; }
 * assert(message.includes("forward"));
 * ```
 */
export function noForward(where: string): never {
  throw new SaikiError(`${where}: no forward pass to go back through; call forward first`);
}

/**
 * The state a recurrent time layer starts from: `state` copied into `buffer` when the layer is
 * stateful and has one, else zeros. A kept state whose shape no longer fits (the batch size
 * changed) is an error naming it rather than a silent broadcast.
 *
 * @param where the calling method, for messages (`"TimeLSTM.forward"`)
 * @param name the state's name (`"h"`, `"c"`)
 * @returns `buffer` (or a new `(N, H)` tensor when it has another shape), filled
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialState } from "./layer.ts";
 * import { tensor } from "../tensor.ts";
 * const h = initialState("TimeRNN.forward", "h", true, tensor([[1, 2]]), 1, 2, undefined);
 * assert(h.data.join() === "1,2");
 * const h0 = initialState("TimeRNN.forward", "h", false, tensor([[1, 2]]), 1, 2, h);
 * assert(h0 === h && h0.data.join() === "0,0");
 * ```
 */
export function initialState(
  where: string,
  name: string,
  stateful: boolean,
  state: Tensor | null,
  N: number,
  H: number,
  buffer: Tensor | undefined,
): Tensor {
  const keep = stateful && state !== null;
  if (keep && (state.shape.length !== 2 || state.shape[0] !== N || state.shape[1] !== H)) {
    throw new SaikiError(
      `${where}: state ${name} has shape ${formatShape(state.shape)}, expected [N=${N},H=${H}]` +
        ` (the batch size changed? call resetState() first)`,
    );
  }
  const out = reuse(buffer, [N, H]);
  return keep ? out.copyFrom(state) : out.fill(0);
}

/**
 * A cell's input as a tensor: a tensor as it is, a matrix view (such as `timestep(xs, t)`, the
 * book's `xs[:, t, :]`) copied into a new `(rows, cols)` tensor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cellInput } from "./layer.ts";
 * import { timestep } from "../engine/views.ts";
 * import { tensor } from "../tensor.ts";
 * const xs = tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]); // (N=2, T=2, D=2)
 * assert.deepEqual(cellInput(timestep(xs, 1)).toArray(), [[3, 4], [7, 8]]);
 * ```
 */
export function cellInput(x: Tensor | Mat): Tensor {
  if (x instanceof Tensor) return x;
  const out = new Tensor(new Float32Array(x.rows * x.cols), [x.rows, x.cols]);
  for (let r = 0; r < x.rows; r++) {
    out.data.set(x.data.subarray(x.off + r * x.ld, x.off + r * x.ld + x.cols), r * x.cols);
  }
  return out;
}
