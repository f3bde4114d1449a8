/**
 * Exercises that check themselves: `deno task exercise <name> [--lang ja|en] [--file PATH]`
 * runs the learner's `exercises/<name>.ts` (or `--file PATH`) against the reference fixtures
 * and central differences and prints, method by method, what passes and where it differs.
 * Without a name it lists the exercises. Exit code 0 when every check passes, 1 when one
 * fails (or the file does not load), 2 for a bad command line.
 *
 * The checking is `lib/exercise/`; this file parses the flags, reads the files and prints.
 *
 * @module
 */

import { pathToFileURL } from "node:url";
import {
  allPassed,
  findExercise,
  type Fixture,
  type Lang,
  langFromEnv,
  LANGS,
  learnerFrame,
  listExercises,
  MESSAGES,
  renderReport,
  runExercise,
} from "../lib/exercise/mod.ts";
import { type FlagSpec, helpText, parseFlags, UsageError } from "../lib/std/cli.ts";
import { fromFileUrl, join, resolve } from "../lib/std/path.ts";

/** The repository's root. */
const ROOT = fromFileUrl(new URL("../", import.meta.url));

/**
 * The command line, with the help texts of `lang`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flags } from "./exercise.ts";
 * assert.deepEqual(flags("en").lang.choices, ["ja", "en"]);
 * ```
 */
export function flags(lang: Lang): Record<string, FlagSpec> {
  const m = MESSAGES[lang];
  return {
    lang: { type: "string", help: m.flags.lang, choices: LANGS },
    file: { type: "string", help: m.flags.file },
    help: { type: "boolean", help: m.flags.help, default: false },
  };
}

/** Where the script reads and writes, so tests can run it in-process. */
export interface ExerciseIO {
  /** Receives the report and the list. */
  out(text: string): void;
  /** Receives the errors. */
  err(text: string): void;
  /** The locale variables (default: the process's, when readable). */
  env: { LANG?: string; LC_ALL?: string };
}

/** A variable of the environment, or `undefined` when it may not be read. */
function readEnv(name: string): string | undefined {
  const state = Deno.permissions.querySync({ name: "env", variable: name }).state;
  return state === "granted" ? Deno.env.get(name) : undefined;
}

/** `--lang X` / `--lang=X` on the command line, before the flags are parsed. */
function langInArgs(args: string[]): Lang | undefined {
  for (let i = 0; i < args.length; i++) {
    const v = args[i] === "--lang" ? args[i + 1] : args[i].match(/^--lang=(.*)$/)?.[1];
    if (v === "ja" || v === "en") return v;
  }
  return undefined;
}

/** `path` as shown: relative to the repository when it is inside it. */
function shown(path: string): string {
  const root = ROOT.endsWith("/") ? ROOT : `${ROOT}/`;
  return path.startsWith(root) ? path.slice(root.length) : path;
}

/** An error's name and message, and its line in `url` when the stack names one. */
function describeError(e: unknown, url: string, file: string): string {
  if (!(e instanceof Error)) return String(e);
  const frame = learnerFrame(e.stack, url);
  const at = frame && !e.message.includes(url) ? ` (${file}:${frame.line}:${frame.column})` : "";
  // Deno reports a syntax error as a TypeError whose message starts "SyntaxError: …"
  const named = /^[A-Z]\w*Error: /.test(e.message) ? e.message : `${e.name}: ${e.message}`;
  return `${named}${at}`;
}

/**
 * Runs the command line; returns the exit code.
 *
 * @example
 * ```ts ignore
 * const code = await main(["rnn", "--file", "exercises/answers/rnn.ts", "--lang", "en"]);
 * ```
 */
export async function main(args: string[], io?: Partial<ExerciseIO>): Promise<number> {
  const out = io?.out ?? ((t: string) => console.log(t));
  const err = io?.err ?? ((t: string) => console.error(t));
  const env = io?.env ?? { LANG: readEnv("LANG"), LC_ALL: readEnv("LC_ALL") };
  let lang = langInArgs(args) ?? langFromEnv(env);
  let m = MESSAGES[lang];
  const usageError = (message: string) => {
    err(`${m.errorLabel}: ${message}`);
    err(`${m.usageLabel}: ${m.usage}  (--help)`);
    return 2;
  };
  let parsed;
  try {
    parsed = parseFlags(args, flags(lang));
  } catch (e) {
    if (e instanceof UsageError) return usageError(m.usageError(e.message));
    throw e;
  }
  lang = (parsed.lang as Lang | undefined) ?? lang;
  m = MESSAGES[lang];
  if (parsed.help) {
    out(helpText(m.usage, flags(lang)));
    out("");
    listExercises(lang).forEach((line) => out(line));
    return 0;
  }
  const names = parsed._;
  if (names.length === 0) {
    if (parsed.file !== undefined) return usageError(m.fileWithoutName);
    listExercises(lang).forEach((line) => out(line));
    return 0;
  }
  if (names.length > 1) return usageError(m.oneExercise);
  const exercise = findExercise(names[0]);
  if (exercise === undefined) {
    err(`${m.errorLabel}: ${m.unknownExercise(names[0])}`);
    listExercises(lang).forEach((line) => err(line));
    return 2;
  }

  // the learner's file
  let cwd = ROOT;
  try {
    cwd = Deno.cwd();
  } catch {
    // not readable: paths are taken from the repository's root
  }
  const path = parsed.file !== undefined
    ? resolve(cwd, parsed.file as string)
    : join(ROOT, "exercises", `${exercise.name}.ts`);
  const file = shown(path);
  try {
    const info = Deno.statSync(path);
    if (!info.isFile) throw new Deno.errors.NotFound(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return usageError(m.noFile(file));
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      return usageError(m.denied(file));
    }
    throw e;
  }

  // the reference fixtures
  const fixtures: Record<string, Fixture> = {};
  for (const name of exercise.fixtures) {
    const fixturePath = join(ROOT, "tests", "fixtures", `${name}.json`);
    try {
      fixtures[name] = JSON.parse(Deno.readTextFileSync(fixturePath));
    } catch (e) {
      err(`${m.errorLabel}: ${m.noFixture(shown(fixturePath), (e as Error).message)}`);
      return 1;
    }
  }

  // the learner's module
  const url = pathToFileURL(path).href;
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (e) {
    err(`${m.errorLabel}: ${m.importFailed(file, describeError(e, url, file))}`);
    return 1;
  }

  const report = runExercise(exercise, module, fixtures, url);
  renderReport(report, exercise.section, lang, file).forEach((line) => out(line));
  return allPassed(report) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
