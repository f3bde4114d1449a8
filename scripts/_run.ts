/**
 * What the scripts share around their run: the command line's shell (flags, `--help`, exit
 * codes, one-line errors; `train.ts`, `seq2seq.ts`, `export.ts`, `import_torch.ts`), and for the
 * training scripts the flags `--resume` accepts and a new run's folder.
 *
 * @module
 */

import { SaikiError } from "../lib/errors.ts";
import { checkRunName, RunFolder } from "../lib/io/run_folder.ts";
import { join } from "../lib/std/path.ts";
import { type Flags, type FlagSpec, helpText, parseFlags, UsageError } from "../lib/std/cli.ts";
import type { ScriptIO } from "./_io.ts";

/** A number flag. */
export const num = (help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({
  type: "number",
  help,
  ...extra,
});

/** The flags of a run folder that every training script takes alike. */
export const RUN_FOLDER_FLAGS: Record<string, FlagSpec> = {
  "runs-dir": { type: "string", help: "folder of run folders", default: "runs" },
  "break-lock": {
    type: "boolean",
    help: "take over a run folder whose run.lock was left by a process that has ended",
    default: false,
  },
  quiet: { type: "boolean", help: "no progress output (results still print)", default: false },
};

/** A script: its usage line, flags, argument, and what to say when a permission is missing. */
export interface ScriptSpec {
  /** `deno task … [flags]`. */
  usage: string;
  /** Its flags. */
  flags: Record<string, FlagSpec>;
  /**
   * The arguments it takes (`flags._`): how many, and what they are for the error when the
   * count is wrong (`"one state-dict file"`); without it the script takes none.
   */
  args?: { count: number; what: string };
  /** The line after a missing permission's error: what the task may write and how to run wider. */
  permissions: string;
}

/**
 * Runs a script's `body` on the command line `args`: a bad command line prints the error and
 * the usage (exit 2), `--help` the flags (0), a `SaikiError` one line (1), a missing permission
 * its first line and `spec.permissions` (1); errors go to `error` (default `io.log`). Every run
 * folder `body` locks (it pushes it on `held`) is released on the way out, whatever the way.
 */
export async function runScript(
  args: string[],
  io: ScriptIO,
  spec: ScriptSpec,
  body: (flags: Flags, held: RunFolder[]) => Promise<number>,
  error: (line: string) => void = (line) => io.log(line),
): Promise<number> {
  const usage = () => `usage: ${spec.usage}  (--help lists the flags)`;
  let flags;
  try {
    flags = parseFlags(args, spec.flags);
    if (flags.help) {
      io.log(helpText(spec.usage, spec.flags));
      return 0;
    }
    if (spec.args === undefined && flags._.length > 0) {
      throw new UsageError(`unexpected argument "${flags._[0]}"`);
    }
    if (spec.args !== undefined && flags._.length !== spec.args.count) {
      throw new UsageError(`expected ${spec.args.what}, got ${flags._.length}`);
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    error(`error: ${e.message}\n${usage()}`);
    return 2;
  }
  const held: RunFolder[] = [];
  try {
    return await body(flags, held);
  } catch (e) {
    if (e instanceof UsageError) {
      error(`error: ${e.message}\n${usage()}`);
      return 2;
    }
    if (e instanceof SaikiError) {
      error(`error: ${e.message}`);
      return 1;
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      error(`error: ${(e as Error).message.split("\n")[0]}\n${spec.permissions}`);
      return 1;
    }
    throw e;
  } finally {
    for (const run of held) run.close();
  }
}

/**
 * Refuses, with `--resume`, any flag given that would change what the run trains (all but
 * `allowed`, which change how it goes on).
 */
export function checkResumeFlags(
  flags: Record<string, unknown>,
  specs: Record<string, FlagSpec>,
  allowed: readonly string[],
): void {
  const given = Object.keys(specs).filter((k) =>
    !allowed.includes(k) && flags[k] !== undefined && flags[k] !== specs[k].default
  );
  if (given.length > 0) {
    throw new UsageError(
      `--resume continues a run with its saved configuration; it takes only ` +
        `${allowed.filter((k) => k !== "resume").map((k) => `--${k}`).join(", ")} ` +
        `(got --${given[0]})`,
    );
  }
}

/**
 * A new run's folder, created and locked (`run`, not yet locked, names it): a resumed folder
 * that holds no checkpoint (`fromScratch`) starts again from the beginning, and a folder an
 * earlier attempt left without a checkpoint is reused; `log` says which.
 */
export async function createRunFolder(
  run: RunFolder,
  options: {
    breakLock: boolean;
    fromScratch: boolean;
    held: RunFolder[];
    log: (l: string) => void;
  },
): Promise<RunFolder> {
  run.close(); // a resumed folder without a checkpoint is created anew, under a new lock
  const created = await RunFolder.create(run.dir, { breakLock: options.breakLock });
  options.held.push(created.run);
  const dir = created.run.dir;
  if (options.fromScratch) {
    options.log(`${dir} holds no checkpoint: its run starts from the beginning`);
  } else if (created.reused) options.log(`reusing ${dir}: it holds no checkpoint`);
  return created.run;
}

/** What every training run's configuration holds that `--resume` may change. */
interface ResumableConfig {
  epochs: number;
  dataDir?: string;
  saveEvery: number;
}

/**
 * The run folder and configuration of a training script's run. With `--resume DIR`: the flags
 * must be among `resumeFlags`, the folder is opened and locked (pushed on `held`), its
 * configuration read with `read`, and `--epochs`, `--data-dir` and a `--save-every` given
 * applied to it. Otherwise the configuration is `fresh()`'s, and the folder (not yet created)
 * is `--runs-dir`/`--name`, or `<prefix>-<date>-<time>`.
 */
export async function openRunFolder<C extends ResumableConfig>(
  flags: Record<string, unknown>,
  specs: Record<string, FlagSpec>,
  resumeFlags: readonly string[],
  held: RunFolder[],
  read: (run: RunFolder) => Promise<C>,
  fresh: () => { config: C; prefix: string },
): Promise<{ config: C; run: RunFolder; resumeDir: string | undefined }> {
  const resumeDir = flags.resume as string | undefined;
  if (resumeDir !== undefined) {
    checkResumeFlags(flags, specs, resumeFlags);
    const run = await RunFolder.open(resumeDir, { breakLock: flags["break-lock"] === true });
    held.push(run);
    const config = await read(run);
    if (flags.epochs !== undefined) config.epochs = flags.epochs as number;
    if (flags["data-dir"] !== undefined) config.dataDir = flags["data-dir"] as string;
    if (flags["save-every"] !== specs["save-every"].default) {
      config.saveEvery = flags["save-every"] as number; // applies from now on, in config.json
    }
    return { config, run, resumeDir };
  }
  const { config, prefix } = fresh();
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const name = flags.name === undefined ? `${prefix}-${stamp}` : String(flags.name);
  const run = new RunFolder(join(flags["runs-dir"] as string, checkRunName(name)));
  return { config, run, resumeDir };
}
