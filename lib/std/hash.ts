/**
 * SHA-256, from the runtime's `node:crypto` (Deno, Node): the one place saiki hashes.
 *
 * @module
 */

import { createHash } from "node:crypto";

/**
 * The SHA-256 of `bytes`, as 64 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./hash.ts";
 * assert(sha256Hex(new Uint8Array()).startsWith("e3b0c442"));
 * ```
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
