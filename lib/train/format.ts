/**
 * How a run's numbers are shown to a person: counts with thousands separators, durations.
 *
 * @module
 */

/**
 * `929589` → `"929,589"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { thousands } from "./format.ts";
 * assert(thousands(929589) === "929,589");
 * ```
 */
export const thousands = (n: number): string => n.toLocaleString("en-US");

/**
 * Seconds as `"1h05m"`, `"3m07s"` or `"42s"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./format.ts";
 * assert(formatDuration(3725) === "1h02m" && formatDuration(65) === "1m05s");
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h > 0
    ? `${h}h${String(m).padStart(2, "0")}m`
    : m > 0
    ? `${m}m${String(s % 60).padStart(2, "0")}s`
    : `${s}s`;
}
