/**
 * What the tests share: reading the reference fixtures and comparing arrays with tolerances.
 *
 * Tolerances: the reference computes in float32, and saiki sums in another order (and in
 * float64 inside its kernels), so results differ by a few float32 roundings (relative 6e-8
 * each) compounded through a few dozen operations. `rtol = 1e-4` (the fixtures' README) bounds
 * that with two orders of margin; `atol = 1e-6` covers values that cancel to near zero, where
 * a relative bound means nothing.
 *
 * Set `SAIKI_REPORT_ERRORS=1` to print the largest relative error of every comparison.
 */

import { AssertionError } from "node:assert/strict";
import { assertEquals } from "../lib/std/assert.ts";
import { type ArrayJSON, fromJSON, IntTensor, Tensor } from "../lib/tensor.ts";
import { fromFileUrl, join } from "../lib/std/path.ts";

/** The fixtures folder inside the repository. */
export const FIXTURES_DIR = fromFileUrl(new URL("./fixtures/", import.meta.url));

// deno-lint-ignore no-explicit-any
export type Fixture = Record<string, any>;

/** Reads `tests/fixtures/<name>.json`. */
export function loadFixture(name: string): Fixture {
  return JSON.parse(Deno.readTextFileSync(join(FIXTURES_DIR, `${name}.json`)));
}

/** A float32 tensor from a fixture array. */
export function T(json: ArrayJSON): Tensor {
  const t = fromJSON(json);
  if (!(t instanceof Tensor)) throw new Error("fixture array is int32, expected float32");
  return t;
}

/** An int32 tensor from a fixture array. */
export function I(json: ArrayJSON): IntTensor {
  const t = fromJSON(json);
  if (!(t instanceof IntTensor)) throw new Error("fixture array is float32, expected int32");
  return t;
}

const report =
  Deno.permissions.querySync({ name: "env", variable: "SAIKI_REPORT_ERRORS" }).state ===
    "granted" &&
  Deno.env.get("SAIKI_REPORT_ERRORS") === "1";

/**
 * Asserts `|actual - expected| <= atol + rtol·|expected|` elementwise and equal shapes.
 * Returns the largest relative error `|a - e| / |e|` over elements with `|e| >= 1e-3`.
 */
export function assertAllClose(
  actual: Tensor | number,
  expected: ArrayJSON | number,
  label: string,
  { rtol = 1e-4, atol = 1e-6 } = {},
): number {
  const a = typeof actual === "number" ? [actual] : actual.data;
  const e = typeof expected === "number" ? [expected] : expected.data;
  if (typeof actual !== "number" && typeof expected !== "number") {
    const as = actual.shape.join(","), es = expected.shape.join(",");
    if (as !== es) {
      throw new AssertionError({ message: `${label}: shape [${as}], expected [${es}]` });
    }
  }
  if (a.length !== e.length) {
    throw new AssertionError({ message: `${label}: ${a.length} values, expected ${e.length}` });
  }
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - e[i]);
    if (!(diff <= atol + rtol * Math.abs(e[i]))) {
      throw new AssertionError({
        message: `${label}: element ${i} is ${a[i]}, expected ${e[i]} (|diff| ${
          diff.toExponential(2)
        })`,
      });
    }
    if (Math.abs(e[i]) >= 1e-3) worst = Math.max(worst, diff / Math.abs(e[i]));
  }
  if (report) console.log(`max-rel-err ${worst.toExponential(3)} ${label}`);
  return worst;
}

/** The scratch folder tests may write in (the test task grants write access to it only). */
export const TMP_DIR = fromFileUrl(new URL("./.tmp/", import.meta.url));

/** A new empty folder under `tests/.tmp/`; the caller removes it. */
export async function makeTestDir(): Promise<string> {
  await Deno.mkdir(TMP_DIR, { recursive: true });
  return await Deno.makeTempDir({ dir: TMP_DIR });
}

/**
 * Whether an outside engine a test compares with is installed: runs `command args` (say,
 * `python3 -c "import torch; print(torch.__version__)"`) and gives what it prints, trimmed, or
 * `undefined` when it cannot run or fails — then prints `skip: <what> is not installed
 * (<install>): <consequence>`, so a skipped comparison is seen in the test output.
 */
export async function findEngine(
  command: string,
  args: string[],
  skip: { what: string; install: string; consequence: string },
  env?: Record<string, string>,
): Promise<string | undefined> {
  try {
    const { success, stdout } = await new Deno.Command(command, {
      args,
      env,
      stdout: "piped",
      stderr: "null",
    }).output();
    if (success) return new TextDecoder().decode(stdout).trim();
  } catch { /* not installed */ }
  console.error(`skip: ${skip.what} is not installed (${skip.install}): ${skip.consequence}`);
  return undefined;
}

/** An environment variable's value; undefined when unset, empty, or not permitted. */
export function envGet(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the shared PTB copy is: SAIKI_DATA_DIR, else SAIKI_SHARED_DIR/datasets/ptb, else
 * ../shared/datasets/ptb beside the repository (the first that is given), and whether it holds
 * the three `ptb.*.txt` files (the caller says what it skips when not).
 */
export function sharedPtbDir(): { dir: string; found: boolean } {
  const shared = envGet("SAIKI_SHARED_DIR");
  const dir = envGet("SAIKI_DATA_DIR") ??
    (shared !== undefined
      ? join(shared, "datasets", "ptb")
      : fromFileUrl(new URL("../../shared/datasets/ptb/", import.meta.url)));
  try {
    const found = ["train", "valid", "test"].every((s) =>
      Deno.statSync(join(dir, `ptb.${s}.txt`)).isFile
    );
    return { dir, found };
  } catch {
    return { dir, found: false };
  }
}

/** A test body run in a new folder under `tests/.tmp/`, removed afterwards whatever happens. */
export function inTestDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = await makeTestDir();
    try {
      await fn(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  };
}

/** An `io` for a script's `main` that keeps what it logs in `lines`. */
export function capture(): { lines: string[]; io: { log: (l: string) => void } } {
  const lines: string[] = [];
  return { lines, io: { log: (l: string) => void lines.push(l) } };
}

/** Runs a script's `main` with its lines captured, asserting its exit code (0 unless given). */
export async function runMain(
  main: (args: string[], io: { log: (l: string) => void }) => Promise<number>,
  args: string[],
  code = 0,
): Promise<string[]> {
  const { lines, io } = capture();
  assertEquals(await main(args, io), code, `${args.join(" ")}:\n${lines.join("\n")}`);
  return lines;
}
