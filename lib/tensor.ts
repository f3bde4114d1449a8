/**
 * Float32 tensors and int32 id tensors: row-major typed arrays with a shape.
 *
 * A {@linkcode Tensor} is a `data` view and a `shape`, so many tensors can share one buffer
 * (see {@linkcode packParams}). Layers always read `tensor.data` at call time, never a cached
 * copy, so a tensor's storage may be moved into the engine's memory after the layer that uses
 * it was built, and a view detached by the growth of an unshared memory is rebuilt.
 *
 * @module
 */

import { type Block, engineHeap } from "./engine/memory.ts";
import { formatShape, SaikiError } from "./errors.ts";
import { formatArray } from "./_format.ts";
import type { Ids, Mat, Vec } from "./engine/views.ts";

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

/**
 * Product of the dimensions of `shape` (1 for a scalar shape `[]`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sizeOf, tensor } from "./tensor.ts";
 * assert.equal(sizeOf([2, 3, 4]), 24);
 * assert.equal(sizeOf([]), 1); // a scalar holds one value
 * assert.equal(sizeOf([5, 0]), 0); // an empty axis: no values
 * assert.equal(tensor([[1, 2, 3], [4, 5, 6]]).size, sizeOf([2, 3]));
 * ```
 */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(where: string, shape: readonly number[], length: number): number[] {
  if (!Array.isArray(shape)) {
    throw new SaikiError(
      `${where}: shape is ${describeValue(shape)}, expected an array of dimensions like [2, 3]`,
    );
  }
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

/**
 * Names what a value is, for error messages: `a Tensor (float32) of shape [2,3]`, `an Array`,
 * `a Float64Array`, `the number 3`, `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeValue, tensor } from "./tensor.ts";
 * assert.equal(describeValue(tensor([[1, 2]])), "a Tensor (float32) of shape [1,2]");
 * assert.equal(describeValue(new Float64Array(2)), "a Float64Array");
 * assert.equal(describeValue([1, 2]), "an Array");
 * assert.equal(describeValue(undefined), "undefined");
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (value instanceof Tensor) return `a Tensor (float32) of shape ${formatShape(value.shape)}`;
  if (value instanceof IntTensor) {
    return `an IntTensor (int32) of shape ${formatShape(value.shape)}`;
  }
  switch (typeof value) {
    case "number":
    case "bigint":
    case "boolean":
      return `the ${typeof value} ${String(value)}`;
    case "string":
      return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
  }
  if (Array.isArray(value)) return "an Array";
  const name = ArrayBuffer.isView(value)
    ? Object.prototype.toString.call(value).slice(8, -1)
    : (value as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name !== "string" || name === "" || name === "Object") return "an object";
  return `${/^([AEIO]|U(?!int))/.test(name) ? "an" : "a"} ${name}`;
}

/** Whether `value` is a typed array of kind `name` (`instanceof`, or one from another realm). */
function isTypedArray(value: unknown, name: "Float32Array" | "Int32Array"): boolean {
  return ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === `[object ${name}]`;
}

/**
 * Checks that `value` is an {@linkcode IntTensor} (word ids or labels) before anything reads
 * it: a float {@linkcode Tensor} or a plain array where ids are expected gets a
 * {@linkcode SaikiError} naming the argument and what it was.
 *
 * @param where the operation, e.g. `"Rnnlm.forward"`
 * @param name the argument, e.g. `"xs"`
 * @param what what the ids are, for the message (default `"word ids"`)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expectIntTensor, IntTensor, tensor } from "./tensor.ts";
 * expectIntTensor("Rnnlm.forward", "xs", IntTensor.from([[1, 2]]));
 * assert.throws(() => expectIntTensor("Rnnlm.forward", "xs", tensor([[1, 2]])),
 *   /Rnnlm.forward: xs must be an IntTensor of word ids, got a Tensor \(float32\) of shape \[1,2\]/);
 * ```
 */
export function expectIntTensor(
  where: string,
  name: string,
  value: unknown,
  what?: string,
): asserts value is IntTensor {
  if (value instanceof IntTensor) return;
  what ??= "word ids";
  throw new SaikiError(
    `${where}: ${name} must be an IntTensor of ${what}, got ${describeValue(value)} ` +
      `(make one with IntTensor.from(values))`,
  );
}

function nestedToArray(where: string, value: NestedArray): { shape: number[]; data: number[] } {
  if (typeof value !== "number" && !Array.isArray(value)) {
    throw new SaikiError(
      `${where}: values is ${describeValue(value)}, expected a number or nested arrays of ` +
        `numbers` + (ArrayBuffer.isView(value) ? " (Array.from(values) makes one)" : ""),
    );
  }
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
 * A tensor either wraps a `Float32Array` of its own (what `tensor`, `zeros` and the
 * constructor make) or views a {@linkcode Block} of the engine's memory (what layers, models
 * and optimizers allocate with {@linkcode engineTensor}; see `engine/memory.ts`). Either way
 * `data` is a `Float32Array`; read it at the time of use rather than keeping it, because an
 * engine tensor rebuilds its view when an unshared memory has grown.
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
export class Tensor implements Mat, Vec {
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  #data: Float32Array;
  #size: number;
  #block: Block | undefined; // the engine storage viewed (held, so it stays allocated)
  #start = 0; // float index of the first value in #block

  /**
   * Wraps `data` (not copied) with `shape`; throws if `data` is not a `Float32Array` (build a
   * tensor from plain numbers with {@linkcode tensor}) or the sizes differ.
   */
  constructor(data: Float32Array, shape: readonly number[]) {
    if (!(data instanceof Float32Array) && !isTypedArray(data, "Float32Array")) {
      throw new SaikiError(
        `Tensor: data is ${describeValue(data)}, expected a Float32Array (for other values ` +
          `use tensor(values) or tensor(values, shape), which copy them into float32)`,
      );
    }
    this.shape = checkShape("Tensor", shape, data.length);
    this.#data = data;
    this.#size = data.length;
  }

  /** A tensor viewing `block` from float index `start` (no copy). */
  static view(block: Block, start: number, shape: readonly number[]): Tensor {
    const t = new Tensor(block.f32(start, sizeOf(shape)), shape);
    t.#block = block;
    t.#start = start;
    return t;
  }

  /** The values, row-major: its own array, or a view of engine memory. */
  get data(): Float32Array {
    const d = this.#data;
    if (d.length === this.#size || this.#block === undefined) return d;
    // an unshared memory grew and detached the old view
    return this.#data = this.#block.f32(this.#start, this.#size);
  }

  /** Replaces the values' storage with `data` (same size), which the tensor then wraps. */
  set data(data: Float32Array) {
    if (data.length !== this.#size) {
      throw new SaikiError(
        `Tensor.data: the new array has ${data.length} values, expected ${this.#size}`,
      );
    }
    this.#data = data;
    this.#block = undefined;
  }

  /** The engine block this tensor views, or `undefined` for a tensor with its own array. */
  get block(): Block | undefined {
    return this.#block;
  }

  /**
   * Views `block` from float index `start` from now on, copying the values there first unless
   * `keepValues` is false (then the tensor adopts what the block holds): how a model packs its
   * parameters into one block.
   */
  moveTo(block: Block, start: number, keepValues?: boolean): this {
    keepValues ??= true;
    const view = block.f32(start, this.#size);
    if (keepValues) view.set(this.data);
    this.#data = view;
    this.#block = block;
    this.#start = start;
    return this;
  }

  /** Number of values. */
  get size(): number {
    return this.#size;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** As a kernel's matrix or vector view ({@linkcode Mat}, {@linkcode Vec}): the first value is `data[0]`. */
  get off(): number {
    return 0;
  }

  /** As a matrix: every axis but the last folded into the rows (`(N, T, D)` → `N·T` rows). */
  get rows(): number {
    const s = this.shape;
    let n = 1;
    for (let i = 0; i < s.length - 1; i++) n *= s[i];
    return n;
  }

  /** As a matrix: the last axis (1 for a 0-d tensor). */
  get cols(): number {
    const s = this.shape;
    return s.length === 0 ? 1 : s[s.length - 1];
  }

  /** As a matrix: the distance between rows, `cols` (a tensor is contiguous). */
  get ld(): number {
    return this.cols;
  }

  #derive(start: number, shape: readonly number[]): Tensor {
    const n = sizeOf(shape);
    const t = new Tensor(this.data.subarray(start, start + n), shape);
    t.#block = this.#block;
    t.#start = this.#start + start;
    return t;
  }

  /** A view with another shape over the same values (no copy). */
  reshape(shape: readonly number[]): Tensor {
    return this.#derive(0, checkShape("Tensor.reshape", shape, this.#size));
  }

  /** A view of `this[i]`: the sub-tensor at index `i` of the first axis (no copy). */
  row(i: number): Tensor {
    if (this.shape.length === 0 || !Number.isInteger(i) || i < 0 || i >= this.shape[0]) {
      throw new SaikiError(
        `Tensor.row: index ${i} out of range for shape ${formatShape(this.shape)}`,
      );
    }
    const inner = this.shape.slice(1);
    return this.#derive(i * sizeOf(inner), inner);
  }

  /** A new tensor with a copy of the values (in an array of its own). */
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

  /**
   * The values as NumPy prints an array, `tensor(…)` for `array(…)`: float32 shortest digits,
   * aligned columns, the middles of a tensor of more than 1000 values elided.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { tensor } from "./tensor.ts";
   * assert.equal(String(tensor([[0.1, 0.2], [0.3, 0.4]])), "tensor([[0.1, 0.2],\n        [0.3, 0.4]])");
   * assert.equal(`${tensor([1, -2.5])}`, "tensor([ 1. , -2.5])");
   * ```
   */
  toString(): string {
    return formatArray(this.data, this.shape);
  }

  /** What `console.log` and `Deno.inspect` print: {@linkcode Tensor.toString}. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** What Node's `console.log` and `util.inspect` print: {@linkcode Tensor.toString}. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
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
export class IntTensor implements Ids {
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  #data: Int32Array;
  #size: number;
  #block: Block | undefined;
  #start = 0;

  /**
   * Wraps `data` (not copied) with `shape`; throws if `data` is not an `Int32Array` (build ids
   * from plain numbers with {@linkcode IntTensor.from}) or the sizes differ.
   */
  constructor(data: Int32Array, shape: readonly number[]) {
    if (!(data instanceof Int32Array) && !isTypedArray(data, "Int32Array")) {
      throw new SaikiError(
        `IntTensor: data is ${describeValue(data)}, expected an Int32Array (for other values ` +
          `use IntTensor.from(values), which checks that they are int32)`,
      );
    }
    this.shape = checkShape("IntTensor", shape, data.length);
    this.#data = data;
    this.#size = data.length;
  }

  /** An id tensor of zeros in a block of the engine's memory (batch buffers). */
  static engine(shape: readonly number[]): IntTensor {
    const n = sizeOf(checkShape("IntTensor.engine", shape, sizeOf(shape)));
    const block = engineHeap().alloc(4 * n);
    const t = new IntTensor(block.i32(0, n), shape);
    t.#block = block;
    return t;
  }

  /** An id tensor viewing `block` from int index `start` (no copy). */
  static view(block: Block, start: number, shape: readonly number[]): IntTensor {
    const n = sizeOf(checkShape("IntTensor.view", shape, sizeOf(shape)));
    const t = new IntTensor(block.i32(start, n), shape);
    t.#block = block;
    t.#start = start;
    return t;
  }

  /**
   * Rows `[start, end)` of the outermost axis, a view (no copy).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { IntTensor } from "./tensor.ts";
   * const ids = IntTensor.from([[1, 2], [3, 4], [5, 6]]);
   * assert.deepEqual(Array.from(ids.rows(1, 3).data), [3, 4, 5, 6]);
   * ```
   */
  rows(start: number, end: number): IntTensor {
    const rows = this.shape[0], inner = this.#size / rows;
    if (
      !(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end &&
        end <= rows)
    ) {
      throw new SaikiError(`IntTensor.rows: [${start}, ${end}) is not a row range of [0, ${rows})`);
    }
    const shape = [end - start, ...this.shape.slice(1)];
    if (this.#block !== undefined) {
      return IntTensor.view(this.#block, this.#start + start * inner, shape);
    }
    return new IntTensor(this.data.subarray(start * inner, end * inner), shape);
  }

  /** The ids, row-major. */
  get data(): Int32Array {
    const d = this.#data;
    if (d.length === this.#size || this.#block === undefined) return d;
    return this.#data = this.#block.i32(this.#start, this.#size);
  }

  /** As a kernel's {@linkcode Ids} view: the first id is `data[0]`. */
  get off(): number {
    return 0;
  }

  /** The engine block the ids live in, or `undefined`. */
  get block(): Block | undefined {
    return this.#block;
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
    return this.#size;
  }

  /** A view with another shape over the same ids (no copy). */
  reshape(shape: readonly number[]): IntTensor {
    const t = new IntTensor(this.data, checkShape("IntTensor.reshape", shape, this.#size));
    t.#block = this.#block;
    return t;
  }

  /** The ids as nested arrays. */
  toArray(): NestedArray {
    return toNested(this.data, this.shape);
  }

  /**
   * The ids as NumPy prints an int32 array: `IntTensor([0, 2, 1], dtype=int32)`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { IntTensor } from "./tensor.ts";
   * assert.equal(String(IntTensor.from([0, 12, 3])), "IntTensor([ 0, 12,  3], dtype=int32)");
   * ```
   */
  toString(): string {
    return formatArray(this.data, this.shape, {
      name: "IntTensor",
      dtype: "int32",
      showDtype: true,
    });
  }

  /** What `console.log` and `Deno.inspect` print: {@linkcode IntTensor.toString}. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** What Node's `console.log` and `util.inspect` print: {@linkcode IntTensor.toString}. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
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
 * A float32 tensor of zeros in the engine's memory (a block of its own): what layers, models
 * and optimizers allocate, so the WebAssembly kernels address it in place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { engineTensor } from "./tensor.ts";
 * const t = engineTensor([2, 3]);
 * assert(t.block !== undefined && t.data.every((v) => v === 0));
 * ```
 */
export function engineTensor(shape: readonly number[]): Tensor {
  const n = sizeOf(checkShape("engineTensor", shape, sizeOf(shape)));
  return Tensor.view(engineHeap().alloc(4 * n), 0, shape);
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
