/**
 * Assertions for tests: Deno's built-in `node:assert/strict` behind the names `@std/assert`
 * uses, so switching to `@std/assert` later changes this file only. Not part of `mod.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";

/**
 * Throws unless `condition` is truthy.
 *
 * @example
 * ```ts
 * import { assertOk } from "./assert.ts";
 * assertOk(1 + 1 === 2, "arithmetic");
 * ```
 */
export function assertOk(condition: unknown, message?: string): asserts condition {
  assert.ok(condition, message);
}

/**
 * Deep strict equality.
 *
 * @example
 * ```ts
 * import { assertEquals } from "./assert.ts";
 * assertEquals([1, [2]], [1, [2]]);
 * ```
 */
export function assertEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  assert.deepStrictEqual(actual, expected, message);
}

/**
 * Deep strict inequality: throws when `actual` deep-equals `expected`.
 *
 * @example
 * ```ts
 * import { assertNotEquals } from "./assert.ts";
 * assertNotEquals([1, 2], [1, 3]);
 * ```
 */
export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  assert.notDeepStrictEqual(actual, expected, message);
}

/**
 * Throws unless `fn` throws an error whose message includes `includes` (or matches it).
 * Returns the error so a test can look closer.
 *
 * @example
 * ```ts
 * import { assertThrows } from "./assert.ts";
 * assertThrows(() => { throw new Error("x has shape [2]"); }, "shape [2]");
 * ```
 */
export function assertThrows(fn: () => unknown, includes: string | RegExp): Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof Error)) {
    throw new assert.AssertionError({
      message: `expected an error matching ${includes}, nothing was thrown`,
    });
  }
  const ok = typeof includes === "string"
    ? caught.message.includes(includes)
    : includes.test(caught.message);
  if (!ok) {
    throw new assert.AssertionError({
      message: `expected an error matching ${includes}, got: ${caught.message}`,
    });
  }
  return caught;
}

/**
 * Async form of {@linkcode assertThrows}: awaits `fn` and checks its rejection.
 *
 * @example
 * ```ts
 * import { assertRejects } from "./assert.ts";
 * await assertRejects(() => Promise.reject(new Error("bad checkpoint")), "checkpoint");
 * ```
 */
export async function assertRejects(
  fn: () => Promise<unknown>,
  includes: string | RegExp,
): Promise<Error> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  return assertThrows(() => {
    if (caught !== undefined) throw caught;
  }, includes);
}
