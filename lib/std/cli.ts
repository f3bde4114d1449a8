/**
 * Command-line flags: Deno's built-in `node:util` `parseArgs` behind one small typed helper,
 * so switching to `@std/cli` later changes this file only. Not part of `mod.ts`.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** One flag: its kind, default, and help text. */
export interface FlagSpec {
  /** `string` and `number` flags take a value; `boolean` flags also accept `--no-NAME`. */
  type: "string" | "number" | "boolean";
  /** Help text shown by `--help`. */
  help: string;
  /** Value when the flag is absent (shown in `--help`). */
  default?: string | number | boolean;
  /** For `string` flags: the values allowed. */
  choices?: readonly string[];
  /** For `number` flags: integers only. */
  integer?: boolean;
  /** For `number` flags: the smallest value allowed. */
  min?: number;
  /** For `number` flags: the largest value allowed. */
  max?: number;
}

/** Thrown for a bad command line; the script prints its message and a usage line, exit 2. */
export class UsageError extends Error {
  /**
   * A bad command line, described for the user.
   * @param message what was wrong
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parsed flags: a value per flag name (absent when it has no default and was not given). */
export type Flags = Record<string, string | number | boolean | undefined> & { _: string[] };

/**
 * Parses `args` against `specs`: unknown flags, missing or blank values (`--lr " "`),
 * non-numbers, values outside `choices` or outside `min`..`max` throw a
 * {@linkcode UsageError} naming the flag and what it expected. A value that reads as a
 * negative number (`--seed -1`) is the flag's value. A flag given twice takes its last value,
 * booleans too (`--no-tie --tie` is true).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags } from "./cli.ts";
 * const flags = parseFlags(["--lr", "0.5", "--no-tie"], {
 *   lr: { type: "number", help: "learning rate", default: 20 },
 *   tie: { type: "boolean", help: "tie weights", default: true },
 * });
 * assert(flags.lr === 0.5 && flags.tie === false);
 * assert.throws(() => parseFlags(["--lr", " "], { lr: { type: "number", help: "lr" } }), /blank/);
 * ```
 */
export function parseFlags(args: string[], specs: Record<string, FlagSpec>): Flags {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type === "boolean" ? "boolean" : "string" };
    if (spec.type === "boolean") options[`no-${name}`] = { type: "boolean" };
  }
  // `--seed -1`: a value that looks like a negative number belongs to the flag before it
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : undefined;
    const spec = name !== undefined ? specs[name] : undefined;
    const next = args[i + 1];
    if (
      spec !== undefined && spec.type !== "boolean" && next !== undefined && /^-[\d.]/.test(next)
    ) {
      joined.push(`${args[i]}=${next}`);
      i++;
    } else joined.push(args[i]);
  }
  // a flag that takes a value, given none (last, or followed by another flag)
  joined.forEach((arg, i) => {
    const spec = arg.startsWith("--") && !arg.includes("=") ? specs[arg.slice(2)] : undefined;
    if (spec !== undefined && spec.type !== "boolean") {
      const next = joined[i + 1];
      if (next === undefined || next.startsWith("--")) {
        throw new UsageError(`${arg} needs a value`);
      }
    }
  });
  let parsed;
  try {
    parsed = parseArgs({
      args: joined,
      options,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (e) {
    const m = (e as Error).message;
    const unknown = m.match(/Unknown option '([^']+)'/);
    if (unknown) throw new UsageError(`unknown flag ${unknown[1]}`);
    throw new UsageError(m.replace(/^TypeError \[[A-Z_]+\]: /, ""));
  }
  const out = { _: parsed.positionals } as Flags;
  // Every flag's last occurrence wins, in command-line order: `--no-tie --tie` is true.
  const given = new Map<string, string | boolean>();
  for (const token of parsed.tokens) {
    if (token.kind !== "option") continue;
    const spec = specs[token.name];
    if (spec !== undefined && spec.type !== "boolean") given.set(token.name, token.value ?? "");
    else if (spec !== undefined) given.set(token.name, true);
    else given.set(token.name.slice(3), false); // --no-NAME
  }
  for (const [name, spec] of Object.entries(specs)) {
    let v: string | number | boolean | undefined = given.get(name);
    if (v === undefined) {
      out[name] = spec.default;
      continue;
    }
    if (typeof v === "string" && v.trim() === "") {
      const expected = spec.type === "number"
        ? "a number"
        : spec.choices
        ? `one of ${spec.choices.join(", ")}`
        : "a value";
      throw new UsageError(`--${name} takes ${expected}, got a blank value "${v}"`);
    }
    if (spec.type === "number") {
      const n = Number(v);
      if (!Number.isFinite(n)) {
        throw new UsageError(`--${name} takes a number, got "${v}"`);
      }
      if (spec.integer && !Number.isInteger(n)) {
        throw new UsageError(`--${name} takes a whole number, got "${v}"`);
      }
      if (spec.min !== undefined && n < spec.min) {
        throw new UsageError(`--${name} must be at least ${spec.min}, got ${n}`);
      }
      if (spec.max !== undefined && n > spec.max) {
        throw new UsageError(`--${name} must be at most ${spec.max}, got ${n}`);
      }
      v = n;
    } else if (spec.type === "string" && spec.choices && !spec.choices.includes(v as string)) {
      throw new UsageError(`--${name} must be one of ${spec.choices.join(", ")}; got "${v}"`);
    }
    out[name] = v;
  }
  return out;
}

/**
 * The `--help` text: a usage line, then one line per flag with its default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { helpText } from "./cli.ts";
 * const text = helpText("deno task train [flags]", { lr: { type: "number", help: "learning rate", default: 20 } });
 * assert(text.includes("--lr") && text.includes("20"));
 * ```
 */
export function helpText(usage: string, specs: Record<string, FlagSpec>): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const arg = s.type === "boolean"
      ? `--[no-]${name}`
      : `--${name} ${s.choices ? s.choices.join("|") : s.type === "number" ? "N" : "VALUE"}`;
    const def = s.default === undefined ? "" : ` (default: ${s.default})`;
    return [arg, `${s.help}${def}`];
  });
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  return [`usage: ${usage}`, "", ...rows.map(([a, h]) => `  ${a.padEnd(width)}${h}`)].join("\n");
}
