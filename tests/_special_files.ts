/**
 * For the tests of readers against special files (FIFOs, `/dev/zero`): whether this machine has
 * them, and a Deno child process with a deadline, so a read that hangs fails its test instead of
 * hanging the suite.
 */

import { AssertionError } from "node:assert/strict";
import { assertOk } from "../lib/std/assert.ts";

/** Whether `/dev/zero` is here (the tests that read it are skipped, visibly, without it). */
export const HAS_DEV_ZERO = (() => {
  try {
    return Deno.statSync("/dev/zero").isCharDevice === true;
  } catch {
    return false;
  }
})();

/** Whether `mkfifo` can be run here (POSIX); the FIFO tests are skipped, visibly, without it. */
export const HAS_MKFIFO = (() => {
  try {
    return new Deno.Command("mkfifo", { args: ["--help"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

/** Makes a FIFO at `path`; fails the test when `mkfifo` does. */
export async function mkfifo(path: string): Promise<void> {
  const { success, stderr } = await new Deno.Command("mkfifo", { args: [path], stderr: "piped" })
    .output();
  assertOk(success, `mkfifo ${path}: ${new TextDecoder().decode(stderr)}`);
}

/**
 * Runs `deno ARGS` (no input, output captured); fails (after killing it) when it has not exited
 * within `deadline` seconds.
 */
export async function denoWithin(
  deadline: number,
  args: string[],
): Promise<{ code: number; out: string; err: string; seconds: number }> {
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    child.kill("SIGKILL");
  }, deadline * 1000);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const seconds = (performance.now() - start) / 1000;
  const dec = new TextDecoder();
  const [out, err] = [dec.decode(stdout), dec.decode(stderr)];
  if (late) {
    throw new AssertionError({
      message: `deno ${args.join(" ")} did not exit within ${deadline} s (it hangs)\n${out}${err}`,
    });
  }
  return { code, out, err, seconds };
}
