/**
 * Float32 tensors and int32 id tensors: row-major typed arrays with a shape.
 *
 * A {@linkcode Tensor} owns nothing but a `data` view and a `shape`, so many tensors can
 * share one buffer (see {@linkcode packParams}). Layers always read `tensor.data` at call
 * time, never a cached copy, so a tensor's storage may be moved into a shared buffer after
 * the layer that uses it was built.
 *
 * @module
 */

import { formatShape, SaikiError } from "./errors.ts";

/** Nested JavaScript arrays of numbers, as `toArray()` returns and `tensor()` accepts. */
export type NestedArray = number | NestedArray[];

/** The JSON form of an array used by the reference fixtures: `{shape, data, dtype?}`. */
export interface ArrayJSON {
  /** Dimensions, outermost first. */
  shape: number[];
  /** Values flattened in row-major (C) order. */
  data: number[];
  /** `"int32"` for token ids and labels; float32 when absent. */
  dtype?: string;
}

/** Product of the dimensions of `shape` (1 for a scalar shape `[]`). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(where: string, shape: readonly number[], length: number): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new SaikiError(
        `${where}: invalid shape ${formatShape(shape)}, dimensions must be integers >= 0`,
      );
    }
  }
  if (sizeOf(shape) !== length) {
    throw new SaikiError(
      `${where}: shape ${formatShape(shape)} holds ${
        sizeOf(shape)
      } values, but the data has ${length}`,
    );
  }
  return [...shape];
}

function nestedToArray(where: string, value: NestedArray): { shape: number[]; data: number[] } {
  const shape: number[] = [];
  let probe: NestedArray = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0] ?? 0;
    if (shape[shape.length - 1] === 0) break;
  }
  const data: number[] = [];
  const walk = (v: NestedArray, depth: number) => {
    if (depth === shape.length) {
      if (typeof v !== "number") {
        throw new SaikiError(`${where}: ragged nested array, expected a number at depth ${depth}`);
      }
      data.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new SaikiError(
        `${where}: ragged nested array, expected length ${shape[depth]} at depth ${depth}`,
      );
    }
    for (const x of v) walk(x, depth + 1);
  };
  walk(value, 0);
  return { shape, data };
}

function toNested(data: ArrayLike<number>, shape: readonly number[]): NestedArray {
  if (shape.length === 0) return data[0];
  const build = (axis: number, offset: number): NestedArray[] => {
    const out: NestedArray[] = [];
    const n = shape[axis];
    if (axis === shape.length - 1) {
      for (let i = 0; i < n; i++) out.push(data[offset + i]);
      return out;
    }
    const stride = sizeOf(shape.slice(axis + 1));
    for (let i = 0; i < n; i++) out.push(build(axis + 1, offset + i * stride));
    return out;
  };
  return build(0, 0);
}

/**
 * A float32 tensor: `data` holds `sizeOf(shape)` values in row-major order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Tensor } from "./tensor.ts";
 * const x = new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * assert(x.row(1).data[0] === 4);
 * assert(x.reshape([3, 2]).shape[0] === 3);
 * ```
 */
export class Tensor {
  /** The values, row-major. May be a view into a larger (shared) buffer. */
  data: Float32Array;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];

  /** Wraps `data` (not copied) with `shape`; throws if the sizes differ. */
  constructor(data: Float32Array, shape: readonly number[]) {
    this.shape = checkShape("Tensor", shape, data.length);
    this.data = data;
  }

  /** Number of values. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** A view with another shape over the same values (no copy). */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, checkShape("Tensor.reshape", shape, this.data.length));
  }

  /** A view of `this[i]`: the sub-tensor at index `i` of the first axis (no copy). */
  row(i: number): Tensor {
    if (this.shape.length === 0 || !Number.isInteger(i) || i < 0 || i >= this.shape[0]) {
      throw new SaikiError(
        `Tensor.row: index ${i} out of range for shape ${formatShape(this.shape)}`,
      );
    }
    const inner = this.shape.slice(1);
    const n = sizeOf(inner);
    return new Tensor(this.data.subarray(i * n, (i + 1) * n), inner);
  }

  /** A new tensor with a copy of the values. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Copies the values of `src` (same size) into this tensor; returns `this`. */
  copyFrom(src: Tensor): this {
    if (src.size !== this.size) {
      throw new SaikiError(
        `Tensor.copyFrom: source has ${src.size} values (shape ${formatShape(src.shape)}), ` +
          `expected ${this.size} (shape ${formatShape(this.shape)} or any with that size)`,
      );
    }
    this.data.set(src.data);
    return this;
  }

  /** Sets every value to `value`; returns `this`. */
  fill(value: number): this {
    this.data.fill(value);
    return this;
  }

  /** The values as nested arrays (a plain number for a 0-d tensor). */
  toArray(): NestedArray {
    return toNested(this.data, this.shape);
  }

  /** The fixture JSON form `{shape, data}`. */
  toJSON(): ArrayJSON {
    return { shape: [...this.shape], data: Array.from(this.data) };
  }
}

/**
 * An int32 tensor for token ids and labels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IntTensor } from "./tensor.ts";
 * const ids = IntTensor.from([[0, 2], [1, 1]]);
 * assert(ids.shape.join() === "2,2" && ids.data[1] === 2);
 * ```
 */
export class IntTensor {
  /** The ids, row-major. */
  data: Int32Array;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];

  /** Wraps `data` (not copied) with `shape`; throws if the sizes differ. */
  constructor(data: Int32Array, shape: readonly number[]) {
    this.shape = checkShape("IntTensor", shape, data.length);
    this.data = data;
  }

  /** Builds an id tensor from nested arrays of integers. */
  static from(values: NestedArray): IntTensor {
    const { shape, data } = nestedToArray("IntTensor.from", values);
    for (const v of data) {
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
        throw new SaikiError(`IntTensor.from: ${v} is not an int32`);
      }
    }
    return new IntTensor(Int32Array.from(data), shape);
  }

  /** Number of ids. */
  get size(): number {
    return this.data.length;
  }

  /** A view with another shape over the same ids (no copy). */
  reshape(shape: readonly number[]): IntTensor {
    return new IntTensor(this.data, checkShape("IntTensor.reshape", shape, this.data.length));
  }

  /** The ids as nested arrays. */
  toArray(): NestedArray {
    return toNested(this.data, this.shape);
  }
}

/**
 * A float32 tensor of zeros.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { zeros } from "./tensor.ts";
 * assert(zeros([2, 3]).size === 6);
 * ```
 */
export function zeros(shape: readonly number[]): Tensor {
  return new Tensor(new Float32Array(sizeOf(checkShape("zeros", shape, sizeOf(shape)))), shape);
}

/**
 * A float32 tensor from nested arrays (shape inferred) or from flat values and a shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensor } from "./tensor.ts";
 * const a = tensor([[1, 2], [3, 4]]);
 * const b = tensor([1, 2, 3, 4], [2, 2]);
 * assert(a.shape.join() === b.shape.join());
 * ```
 */
export function tensor(values: NestedArray | ArrayLike<number>, shape?: readonly number[]): Tensor {
  if (shape !== undefined) {
    const flat = Float32Array.from(values as ArrayLike<number>);
    return new Tensor(flat, checkShape("tensor", shape, flat.length));
  }
  const { shape: s, data } = nestedToArray("tensor", values as NestedArray);
  return new Tensor(Float32Array.from(data), s);
}

/**
 * Builds a tensor from the fixtures' `{shape, data, dtype?}` form: an {@linkcode IntTensor}
 * when `dtype` is `"int32"`, else a float32 {@linkcode Tensor}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromJSON, IntTensor } from "./tensor.ts";
 * const ids = fromJSON({ shape: [2], data: [3, 1], dtype: "int32" });
 * assert(ids instanceof IntTensor);
 * ```
 */
export function fromJSON(json: ArrayJSON): Tensor | IntTensor {
  if (
    json === null || typeof json !== "object" || !Array.isArray(json.shape) ||
    !Array.isArray(json.data)
  ) {
    throw new SaikiError("fromJSON: expected an object {shape: number[], data: number[]}");
  }
  if (json.dtype === "int32") {
    return new IntTensor(
      Int32Array.from(json.data),
      checkShape("fromJSON", json.shape, json.data.length),
    );
  }
  if (json.dtype !== undefined && json.dtype !== "float32") {
    throw new SaikiError(`fromJSON: unknown dtype "${json.dtype}", expected "float32" or "int32"`);
  }
  return new Tensor(
    Float32Array.from(json.data),
    checkShape("fromJSON", json.shape, json.data.length),
  );
}
