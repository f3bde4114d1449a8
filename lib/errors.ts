/**
 * Errors that name what was wrong and what was expected, and the shape checks every op uses.
 *
 * @module
 */

/**
 * The error saiki throws for bad input: its message names the op, the argument, what it got
 * and what it expected.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SaikiError } from "./errors.ts";
 * try {
 *   throw new SaikiError("Op.forward: x is bad");
 * } catch (e) {
 *   assert(e instanceof SaikiError);
 * }
 * ```
 */
export class SaikiError extends Error {
  /**
   * An error whose message names the operation, the argument and what was expected.
   * @param message what was wrong and what was expected
   */
  constructor(message: string) {
    super(message);
    this.name = "SaikiError";
  }
}

/**
 * Formats a shape the way error messages print it: `[2,3,5]`, `[N,T,4]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatShape } from "./errors.ts";
 * assert(formatShape([2, 3]) === "[2,3]");
 * ```
 */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(",")}]`;
}

/** A dimension pattern: a fixed size, or a symbol (`"N"`) bound by its first use. */
export type Dim = number | string;

/**
 * Checks `shape` against `pattern` and binds symbolic dimensions in `dims`.
 *
 * A symbol already bound in `dims` must match its bound value, so one `dims` object passed to
 * several checks keeps arguments consistent with each other. On a mismatch it throws
 * `where: name has shape [2,3,5], expected [N,T,4]` (with bound symbols shown by value and
 * their names, e.g. `[N=2,T=3,4]`, when they came from an earlier argument).
 *
 * @returns `dims`, with the pattern's symbols bound
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expectShape } from "./errors.ts";
 * const dims = expectShape("TimeAffine.forward", "x", [2, 3, 4], ["N", "T", 4]);
 * assert(dims.N === 2 && dims.T === 3);
 * ```
 */
export function expectShape(
  where: string,
  name: string,
  shape: readonly number[],
  pattern: readonly Dim[],
  dims: Record<string, number> = {},
): Record<string, number> {
  let ok = shape.length === pattern.length;
  const bound: Record<string, number> = {};
  for (let i = 0; ok && i < pattern.length; i++) {
    const p = pattern[i];
    if (typeof p === "number") {
      ok = shape[i] === p;
    } else {
      const known = dims[p] ?? bound[p];
      if (known === undefined) bound[p] = shape[i];
      else ok = shape[i] === known;
    }
  }
  if (!ok) {
    const shown = pattern.map((p) =>
      typeof p === "string" && dims[p] !== undefined ? `${p}=${dims[p]}` : p
    );
    throw new SaikiError(
      `${where}: ${name} has shape ${formatShape(shape)}, expected ${formatShape(shown)}`,
    );
  }
  return Object.assign(dims, bound);
}

/**
 * Checks that every id in `ids` lies in `[0, limit)`; `ignore` (e.g. the label -1) is allowed.
 *
 * @example
 * ```ts
 * import { expectIds } from "./errors.ts";
 * expectIds("Embedding.forward", "idx", new Int32Array([0, 3]), 4);
 * ```
 */
export function expectIds(
  where: string,
  name: string,
  ids: Int32Array,
  limit: number,
  ignore?: number,
): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if ((v < 0 || v >= limit) && v !== ignore) {
      const allowed = ignore === undefined ? "" : ` (or ${ignore} to ignore)`;
      throw new SaikiError(
        `${where}: ${name} holds id ${v} at flat index ${i}, expected ids in [0, ${limit})${allowed}`,
      );
    }
  }
}
