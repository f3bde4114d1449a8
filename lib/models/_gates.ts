/**
 * Repacking a cell's gate blocks for other frameworks. saiki packs a cell's `G` gates side by
 * side in the columns, `Wx (in, G·H)`, `b (G·H)`, in the book's order (LSTM `f, g, i, o`; GRU
 * `z, r, ĥ`); PyTorch and ONNX pack them in the rows, `(G·H, in)`, in their own orders.
 *
 * @module
 */

import { Tensor } from "../tensor.ts";

/**
 * `W (in, G·H)` → `(G·H, in)`: transposed, row block `k` from saiki's column block `from[k]`,
 * negated where `negate[k]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Tensor } from "../tensor.ts";
 * import { gateRows } from "./_gates.ts";
 * const W = new Tensor(new Float32Array([1, 2, 3, 4]), [2, 2]); // in 2, two gates of H = 1
 * assert.deepEqual([...gateRows(W, [1, 0], 1, [true, false]).data], [-2, -4, 1, 3]);
 * ```
 */
export function gateRows(
  W: Tensor,
  from: readonly number[],
  H: number,
  negate: readonly boolean[] = [],
): Tensor {
  const [rows, width] = W.shape, src = W.data;
  const out = new Float32Array(rows * width);
  from.forEach((block, k) => {
    const sign = negate[k] ? -1 : 1;
    for (let j = 0; j < H; j++) {
      const o = (k * H + j) * rows, col = block * H + j;
      for (let r = 0; r < rows; r++) out[o + r] = sign * src[r * width + col];
    }
  });
  return new Tensor(out, [width, rows]);
}

/**
 * `b (G·H)` → `(G·H)`: block `k` from saiki's block `from[k]`, negated where `negate[k]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Tensor } from "../tensor.ts";
 * import { gateBlocks } from "./_gates.ts";
 * const b = new Tensor(new Float32Array([1, 2, 3, 4]), [4]); // two gates of H = 2
 * assert.deepEqual([...gateBlocks(b, [1, 0], 2).data], [3, 4, 1, 2]);
 * ```
 */
export function gateBlocks(
  b: Tensor,
  from: readonly number[],
  H: number,
  negate: readonly boolean[] = [],
): Tensor {
  const src = b.data, out = new Float32Array(src.length);
  from.forEach((block, k) => {
    const sign = negate[k] ? -1 : 1;
    for (let j = 0; j < H; j++) out[k * H + j] = sign * src[block * H + j];
  });
  return new Tensor(out, [src.length]);
}
