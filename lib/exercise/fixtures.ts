/**
 * Reading the reference fixtures (`tests/fixtures/*.json`, parsed): arrays by dotted path,
 * each read as a fresh tensor, so a learner's code that writes into its inputs cannot change
 * the next check's.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { type ArrayJSON, fromJSON, IntTensor, Tensor } from "../tensor.ts";
import type { Array64 } from "../layers/simple_rnn.ts";

/** A parsed fixture file. */
export type Fixture = { readonly [key: string]: unknown };

/** The value at `path` (`"inputs.Wx"`). */
function at(fixture: Fixture, path: string): unknown {
  let v: unknown = fixture;
  for (const key of path.split(".")) {
    if (v === null || typeof v !== "object" || !(key in v)) {
      throw new SaikiError(`fixture: no "${path}" (missing "${key}")`);
    }
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/**
 * The float32 array at `path`, as a new tensor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fixtureTensor } from "./fixtures.ts";
 * const f = { inputs: { b: { shape: [2], data: [0.5, 1] } } };
 * assert.deepEqual(fixtureTensor(f, "inputs.b").toArray(), [0.5, 1]);
 * assert.notEqual(fixtureTensor(f, "inputs.b"), fixtureTensor(f, "inputs.b")); // new each time
 * ```
 */
export function fixtureTensor(fixture: Fixture, path: string): Tensor {
  const t = fromJSON(at(fixture, path) as ArrayJSON);
  if (!(t instanceof Tensor)) throw new SaikiError(`fixture: "${path}" is int32, expected float32`);
  return t;
}

/**
 * The int32 array at `path`, as a new tensor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fixtureInts } from "./fixtures.ts";
 * const f = { inputs: { ts: { shape: [1, 2], data: [3, -1], dtype: "int32" } } };
 * assert.deepEqual(Array.from(fixtureInts(f, "inputs.ts").data), [3, -1]);
 * ```
 */
export function fixtureInts(fixture: Fixture, path: string): IntTensor {
  const t = fromJSON(at(fixture, path) as ArrayJSON);
  if (!(t instanceof IntTensor)) {
    throw new SaikiError(`fixture: "${path}" is float32, expected int32`);
  }
  return t;
}

/**
 * The array at `path` in float64 (the SimpleRNN exercise), as a new array.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fixture64 } from "./fixtures.ts";
 * const f = { forward: { h: { shape: [1, 2], data: [0.79494228, 0.1] } } };
 * assert.equal(fixture64(f, "forward.h").data[0], 0.79494228); // not rounded to float32
 * ```
 */
export function fixture64(fixture: Fixture, path: string): Array64 {
  const json = at(fixture, path) as ArrayJSON;
  if (!Array.isArray(json?.shape) || !Array.isArray(json?.data)) {
    throw new SaikiError(`fixture: "${path}" is not an array {shape, data}`);
  }
  return { data: Float64Array.from(json.data), shape: [...json.shape] };
}

/**
 * The number at `path`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fixtureNumber } from "./fixtures.ts";
 * assert.equal(fixtureNumber({ forward: { loss: 4.16 } }, "forward.loss"), 4.16);
 * ```
 */
export function fixtureNumber(fixture: Fixture, path: string): number {
  const v = at(fixture, path);
  if (typeof v !== "number") throw new SaikiError(`fixture: "${path}" is not a number`);
  return v;
}

/**
 * The list of numbers at `path`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fixtureNumbers } from "./fixtures.ts";
 * assert.deepEqual(fixtureNumbers({ printed: [0.5, 0.25] }, "printed"), [0.5, 0.25]);
 * ```
 */
export function fixtureNumbers(fixture: Fixture, path: string): number[] {
  const v = at(fixture, path);
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number")) {
    throw new SaikiError(`fixture: "${path}" is not a list of numbers`);
  }
  return v;
}
