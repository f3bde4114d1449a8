/**
 * Path helpers: Deno's built-in `node:path` behind the names `@std/path` uses, so switching
 * to `@std/path` later changes this file only. Not part of `mod.ts`.
 *
 * @module
 */

import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Joins path segments.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "./path.ts";
 * assert(join("a", "b") === "a/b" || join("a", "b") === "a\\b");
 * ```
 */
export function join(...parts: string[]): string {
  return path.join(...parts);
}

/**
 * Resolves segments to an absolute path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolve } from "./path.ts";
 * assert(resolve("/a", "b").endsWith("b"));
 * ```
 */
export function resolve(...parts: string[]): string {
  return path.resolve(...parts);
}

/**
 * The folder part of a path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dirname } from "./path.ts";
 * assert(dirname("/a/b.txt") === "/a");
 * ```
 */
export function dirname(p: string): string {
  return path.dirname(p);
}

/**
 * The last part of a path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { basename } from "./path.ts";
 * assert(basename("/a/b.txt") === "b.txt");
 * ```
 */
export function basename(p: string): string {
  return path.basename(p);
}

/**
 * The path of a `file:` URL, e.g. `fromFileUrl(new URL("../x", import.meta.url))`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromFileUrl } from "./path.ts";
 * assert(fromFileUrl("file:///tmp/x.json") === "/tmp/x.json");
 * ```
 */
export function fromFileUrl(url: string | URL): string {
  return fileURLToPath(url);
}

/**
 * The extension of a path, dot included (`""` when none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extname } from "./path.ts";
 * assert(extname("web/index.html") === ".html");
 * ```
 */
export function extname(p: string): string {
  return path.extname(p);
}

/**
 * A path with `.` and `..` segments resolved and separators made uniform.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalize } from "./path.ts";
 * assert(normalize("a/./b/../c") === "a/c" || normalize("a/./b/../c") === "a\\c");
 * ```
 */
export function normalize(p: string): string {
  return path.normalize(p);
}
