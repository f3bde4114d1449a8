/**
 * Where a script writes: result lines to stdout, a live progress line on a terminal's stderr.
 * Injectable, so tests capture a run's output.
 *
 * @module
 */

/** A script's output. */
export interface ScriptIO {
  /** Writes a line of output (results, logs). */
  log(line: string): void;
  /** Writes a transient progress line (a terminal overwrites it in place), or nothing. */
  progress?(line: string): void;
  /** Whether lines may carry terminal colours. */
  colour?: boolean;
}

/** Lines to stdout; progress redrawn in place when stderr is a terminal; colour on a terminal. */
export function defaultIO(): ScriptIO {
  const enc = new TextEncoder();
  const tty = Deno.stderr.isTerminal();
  let live = false;
  return {
    log(line) {
      if (live) Deno.stderr.writeSync(enc.encode("\r\x1b[2K"));
      live = false;
      console.log(line);
    },
    progress: tty
      ? (line) => {
        Deno.stderr.writeSync(enc.encode(`\r\x1b[2K${line}`));
        live = true;
      }
      : undefined,
    colour: Deno.stdout.isTerminal(),
  };
}
