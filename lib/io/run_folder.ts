/**
 * A run folder on disk (Deno only): `config.json`, `metrics.jsonl`,
 * `checkpoint.safetensors`, `best.safetensors` and `perplexity.svg`. Every file is written to
 * a temporary file and renamed, so a crash leaves the old version or the new one; metric lines
 * are appended whole and flushed to disk before each checkpoint is saved, so a checkpoint never
 * names an iteration whose metrics were lost. `config.json` carries a marker (`"saiki_run"`):
 * a folder is only ever reused when it holds nothing but files saiki wrote, and nothing else
 * is overwritten or deleted. `run.lock` makes a folder one process's at a time.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import type { CheckpointData } from "../train/checkpoint.ts";
import { perplexityChartSvg } from "../train/plot.ts";
import type { TrainConfig } from "../train/config.ts";
import type { Metric } from "../train/session.ts";
import type { SafetensorsContents } from "../models/safetensors.ts";
import { basename, join } from "../std/path.ts";
import { removeOrphans, writeFileAtomic } from "./atomic.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { readRegularFile, readRegularFileSync } from "./read.ts";

/** The key `config.json` carries to say saiki wrote it (its value: the folder layout's version). */
export const RUN_MARKER = "saiki_run";

/** The files saiki writes in a run folder. */
const RUN_FILES = [
  "config.json",
  "metrics.jsonl",
  "checkpoint.safetensors",
  "best.safetensors",
  "perplexity.svg",
  "accuracy.svg",
  "attention.svg",
];

/** The longest run name `--name` takes (a path segment on every file system). */
export const MAX_RUN_NAME = 100;

/** I/O errors as one line naming what was being done to which file. */
function ioError(what: string, path: string, e: unknown): SaikiError {
  const message = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  return new SaikiError(`cannot ${what} ${path}: ${message}`);
}

/**
 * Checks a run name (`--name`): one non-empty path segment, not `.` or `..`, at most
 * {@linkcode MAX_RUN_NAME} characters, no control characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkRunName } from "./run_folder.ts";
 * assert.equal(checkRunName("lstm-1"), "lstm-1");
 * assert.throws(() => checkRunName(""), /--name is empty/);
 * assert.throws(() => checkRunName("a/b"), /one folder name/);
 * assert.throws(() => checkRunName(".."), /names no run folder/);
 * ```
 */
export function checkRunName(name: string): string {
  if (name.trim() === "") throw new SaikiError(`--name is empty: give the run a folder name`);
  if (name === "." || name === "..") {
    throw new SaikiError(`--name "${name}" names no run folder: not . or .., a name of its own`);
  }
  if (/[\/\\]/.test(name)) {
    throw new SaikiError(
      `--name "${name}" must be one folder name (no / or \\); --runs-dir chooses where it goes`,
    );
  }
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) {
    throw new SaikiError(`--name ${JSON.stringify(name)} holds a control character`);
  }
  if (name.length > MAX_RUN_NAME) {
    throw new SaikiError(
      `--name is ${name.length} characters long, at most ${MAX_RUN_NAME} are taken`,
    );
  }
  return name;
}

/** Writes `text` to `path` atomically ({@linkcode writeFileAtomic}), naming `path` when it fails. */
export function writeTextAtomic(path: string, text: string): void {
  try {
    writeFileAtomic(path, text);
  } catch (e) {
    throw new SaikiError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/**
 * The files of one training run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RunFolder } from "./run_folder.ts";
 * await Deno.mkdir("tests/.tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: "tests/.tmp" });
 * const { run } = await RunFolder.create(`${dir}/run`);
 * run.appendMetric({ kind: "train", step: 20, ppl: 300 });
 * run.appendMetric({ kind: "train", step: 40, ppl: 250 });
 * assert(run.readMetrics(20).length === 1);
 * run.close(); // releases run.lock
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class RunFolder {
  /** The folder. */
  readonly dir: string;
  #metrics: Deno.FsFile | undefined;
  #lock: Deno.FsFile | undefined;

  /** The run folder `dir` (nothing is read or written yet). */
  constructor(dir: string) {
    this.dir = dir;
  }

  /** The last checkpoint's path. */
  get checkpointPath(): string {
    return join(this.dir, "checkpoint.safetensors");
  }

  /** The best checkpoint's path. */
  get bestPath(): string {
    return join(this.dir, "best.safetensors");
  }

  /** The metrics' path. */
  get metricsPath(): string {
    return join(this.dir, "metrics.jsonl");
  }

  /**
   * A new run folder, locked for this process: creates it, or reuses one that holds only
   * files saiki wrote and no checkpoint (a run that stopped before its first save, e.g. on a
   * full disk), clearing what that run left; refuses one that holds a checkpoint, or anything
   * saiki did not write (changing nothing), naming what to do instead. Starts an empty
   * `metrics.jsonl`. Returns the folder and whether an earlier attempt's folder was reused.
   */
  static async create(
    dir: string,
    options?: { breakLock?: boolean },
  ): Promise<{ run: RunFolder; reused: boolean }> {
    const run = new RunFolder(dir);
    const found = await listFolder(dir);
    if (found?.includes("checkpoint.safetensors")) {
      throw new SaikiError(
        `${dir} already holds a run; continue it with --resume ${dir}, ` +
          `choose another --name, or delete the folder`,
      );
    }
    try {
      await Deno.mkdir(dir, { recursive: true });
    } catch (e) {
      throw ioError("create the run folder", dir, e);
    }
    run.lock(options?.breakLock);
    try {
      const entries = ((await listFolder(dir)) ?? []).filter((n) => n !== "run.lock");
      const foreign = [];
      for (const name of entries) if (!(await run.#isOwn(name))) foreign.push(name);
      if (foreign.length > 0) {
        throw new SaikiError(
          `${dir} holds ${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", …" : ""}, ` +
            `which saiki did not write: choose another --name (nothing was changed)`,
        );
      }
      for (const name of entries) await Deno.remove(join(dir, name));
      writeTextAtomic(run.metricsPath, "");
      return { run, reused: entries.length > 0 };
    } catch (e) {
      run.close(); // releases the lock
      if (e instanceof SaikiError) throw e;
      throw ioError("clear", dir, e);
    }
  }

  /**
   * An existing run folder to resume, locked for this process ({@linkcode RunFolder.lock}),
   * the temporary files of a killed run's interrupted writes removed; refuses a path that is
   * not a folder.
   */
  static async open(dir: string, options?: { breakLock?: boolean }): Promise<RunFolder> {
    if ((await listFolder(dir)) === undefined) {
      throw new SaikiError(`--resume ${dir}: no such run folder`);
    }
    const run = new RunFolder(dir);
    run.lock(options?.breakLock);
    // what a killed writer left half-written goes: this process alone writes here now
    for (const name of RUN_FILES) removeOrphans(join(dir, name));
    return run;
  }

  /**
   * Whether entry `name` of the folder is a file saiki writes there and may clear: the marked
   * `config.json` (or an empty one, what a failed write used to leave), `metrics.jsonl`,
   * `perplexity.svg`, temporary files of interrupted writes, a stale `run.lock`. Never
   * `best.safetensors`: a run's best parameters are not thrown away.
   */
  async #isOwn(name: string): Promise<boolean> {
    const path = join(this.dir, name);
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(path);
    } catch {
      return false;
    }
    if (!info.isFile) return false;
    if (/\.tmp-\d+-[0-9a-z]+$/.test(name)) return true;
    if (name === "metrics.jsonl" || name.endsWith(".svg") && RUN_FILES.includes(name)) return true;
    if (name === "config.json") {
      if (info.size === 0) return true;
      try {
        return JSON.parse(await Deno.readTextFile(path))?.[RUN_MARKER] !== undefined;
      } catch {
        return false;
      }
    }
    return false;
  }

  /** Whether the folder holds a last checkpoint. */
  hasCheckpoint(): Promise<boolean> {
    return exists(this.checkpointPath);
  }

  /** The run's id, as the last {@linkcode RunFolder.readConfig} read it from `config.json`. */
  runId: string | undefined;

  /** Writes `config.json` (with the marker saying saiki wrote it, and the run's id). */
  writeConfig(config: TrainConfig | object, runId?: string): void {
    const head = { [RUN_MARKER]: 1, ...(runId === undefined ? {} : { run_id: runId }) };
    const text = JSON.stringify({ ...head, ...config }, null, 2) + "\n";
    writeTextAtomic(join(this.dir, "config.json"), text);
  }

  /** Reads a language model run's `config.json` (errors name the folder). */
  readConfig(): Promise<TrainConfig> {
    return this.readConfigWith(checkTrainConfig);
  }

  /**
   * Reads `config.json`, checked by `check` (which throws naming the first bad field); errors
   * name the folder.
   */
  async readConfigWith<T>(check: (value: Record<string, unknown>) => T): Promise<T> {
    try {
      const path = join(this.dir, "config.json");
      const bytes = await readRegularFile(path, {
        maxBytes: 1 << 20,
        expected: "a run's config.json",
      });
      const value = JSON.parse(new TextDecoder().decode(bytes));
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new Error(`it holds ${JSON.stringify(value)}, not a run's configuration`);
      }
      const { [RUN_MARKER]: _, run_id: runId, ...config } = value;
      this.runId = typeof runId === "string" ? runId : undefined;
      return check(config);
    } catch (e) {
      throw new SaikiError(
        `--resume ${this.dir}: cannot read config.json (${(e as Error).message}); the folder ` +
          `holds no run to continue: start a new one (it may reuse the folder with --name)`,
      );
    }
  }

  /** The metrics recorded up to iteration `upToStep` (all of them without it). */
  readMetrics(upToStep = Infinity): Metric[] {
    let text = "";
    try {
      const limits = { maxBytes: 1 << 30, expected: "a run's metrics.jsonl" };
      text = new TextDecoder().decode(readRegularFileSync(this.metricsPath, limits));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e instanceof SaikiError ? e : ioError("read", this.metricsPath, e);
    }
    // a line cut short by a kill (appends are not atomic) is left out
    const metrics: Metric[] = [];
    for (const line of text.split("\n")) {
      try {
        const m = JSON.parse(line);
        if (typeof m?.step === "number" && m.step <= upToStep) metrics.push(m);
      } catch {
        // not a whole line
      }
    }
    return metrics;
  }

  /** Replaces the metrics with `metrics` (a resumed run drops what came after its checkpoint). */
  writeMetrics(metrics: Metric[]): void {
    writeTextAtomic(this.metricsPath, metrics.map((m) => JSON.stringify(m) + "\n").join(""));
  }

  /**
   * Appends one metric as one whole line (a short write is continued, an error names the
   * file); {@linkcode RunFolder.save} flushes the lines to disk before each checkpoint.
   */
  appendMetric(m: Metric): void {
    const bytes = new TextEncoder().encode(JSON.stringify(m) + "\n");
    try {
      this.#metrics ??= Deno.openSync(this.metricsPath, { append: true, create: true });
      for (let at = 0; at < bytes.length;) at += this.#metrics.writeSync(bytes.subarray(at));
    } catch (e) {
      throw ioError("append to", this.metricsPath, e);
    }
  }

  /** Flushes the appended metric lines to disk. */
  syncMetrics(): void {
    try {
      this.#metrics?.syncSync();
    } catch (e) {
      throw ioError("flush", this.metricsPath, e);
    }
  }

  /** Closes the metrics file and releases the folder's lock (if this process holds it). */
  close(): void {
    try {
      this.#metrics?.close();
    } catch { /* already closed */ }
    this.#metrics = undefined;
    const lock = this.#lock;
    if (lock !== undefined) {
      this.#lock = undefined;
      try {
        Deno.removeSync(this.lockPath);
      } catch { /* removed by hand: nothing to remove */ }
      lock.close(); // releases the system's lock
    }
  }

  /** The lock's path. */
  get lockPath(): string {
    return join(this.dir, "run.lock");
  }

  /**
   * Makes the folder this process's until {@linkcode RunFolder.close}: `run.lock`, holding this
   * process's id (and the machine's name, where permitted), locked with the system's advisory file lock (which the system releases when
   * the process ends, however it ends). A folder another running process holds is refused
   * naming it. A lock file left by a process that has ended (killed, or a crash) is refused
   * too, naming it as stale, unless `breakStale` (`--break-lock`) is set.
   */
  lock(breakStale = false): void {
    for (let attempt = 0; attempt < 3; attempt++) {
      let file: Deno.FsFile;
      try {
        file = Deno.openSync(this.lockPath, { read: true, write: true, create: true });
      } catch (e) {
        throw ioError("create", this.lockPath, e);
      }
      let mine = false;
      try {
        if (!file.tryLockSync(true)) {
          throw new SaikiError(
            `${this.dir} is in use by ${holderOf(this.lockPath)}: two runs must not write one ` +
              `folder (wait for it to end, or choose another --name)`,
          );
        }
        // the path may have been removed (a holder closing) between the open and the lock
        const held = file.statSync(), now = Deno.statSync(this.lockPath);
        if (held.ino !== null && now.ino !== null && held.ino !== now.ino) continue;
        if (held.size > 0 && !breakStale) {
          throw new SaikiError(
            `${this.dir} has a stale lock: ${holderOf(this.lockPath)} ended without releasing ` +
              `it (killed?); if no run writes this folder, go on with --break-lock`,
          );
        }
        const body = JSON.stringify({
          pid: Deno.pid,
          host: hostname(),
          started: new Date().toISOString(),
        });
        file.truncateSync(0);
        file.writeSync(new TextEncoder().encode(body + "\n"));
        this.#lock = file;
        mine = true;
        return;
      } catch (e) {
        if (e instanceof SaikiError) throw e;
        throw ioError("lock", this.lockPath, e);
      } finally {
        if (!mine) file.close(); // releases the lock
      }
    }
    throw new SaikiError(`cannot lock ${this.lockPath}: it keeps being replaced`);
  }

  /** Writes one of the run's charts (`accuracy.svg`, `attention.svg`), atomically. */
  writeSvg(name: "accuracy.svg" | "attention.svg", svg: string): void {
    writeTextAtomic(join(this.dir, name), svg);
  }

  /** Draws the training (and validation) perplexity of `metrics` into `perplexity.svg`. */
  writeChart(metrics: Metric[], preset: string): void {
    const points = (kind: string) =>
      metrics.filter((m) => m.kind === kind).map((m) => ({ step: m.step, ppl: m.ppl as number }));
    const valid = points("valid");
    writeTextAtomic(
      join(this.dir, "perplexity.svg"),
      perplexityChartSvg(points("train"), {
        valid: valid.length > 0 ? valid : undefined,
        title: `perplexity — ${basename(this.dir)} (${preset} preset)`,
      }),
    );
  }

  /**
   * Saves checkpoint contents as `checkpoint.safetensors` or `best.safetensors`, the metric
   * lines appended so far flushed to disk first.
   */
  save(which: "checkpoint" | "best", data: CheckpointData): void {
    this.syncMetrics();
    saveCheckpoint(
      which === "best" ? this.bestPath : this.checkpointPath,
      data.tensors,
      data.metadata,
    );
  }

  /** Loads `checkpoint.safetensors` or `best.safetensors`. */
  load(which: "checkpoint" | "best"): Promise<SafetensorsContents> {
    return loadCheckpoint(which === "best" ? this.bestPath : this.checkpointPath);
  }
}

/** Whether `path` exists (an error other than "not found" names the path). */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw ioError("look at", path, e);
  }
}

/** The entries of folder `dir`, or `undefined` when it does not exist; a file is refused. */
async function listFolder(dir: string): Promise<string[] | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      // a dangling symbolic link is "not found" too: refuse to write through it
      const link = await Deno.lstat(dir).catch(() => undefined);
      if (link?.isSymlink) {
        throw new SaikiError(`${dir} is a symbolic link to nothing: choose another --name`);
      }
      return undefined;
    }
    throw ioError("look at", dir, e);
  }
  if (!info.isDirectory) {
    throw new SaikiError(`${dir} exists and is not a folder: choose another --name`);
  }
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (e) {
    throw ioError("read the folder", dir, e);
  }
  return names.sort();
}

/** This machine's name, where `--allow-sys=hostname` grants it (the lock records it). */
function hostname(): string | undefined {
  try {
    return Deno.hostname();
  } catch {
    return undefined;
  }
}

/** Who a lock file names: `process 1234 on host (since 2026-12-06T06:13:21Z)`. */
function holderOf(path: string): string {
  try {
    const { pid, host, started } = JSON.parse(Deno.readTextFileSync(path));
    if (Number.isSafeInteger(pid)) {
      return `process ${pid}${host ? ` on ${host}` : ""}${started ? ` (since ${started})` : ""}`;
    }
  } catch { /* empty or unreadable: written by nobody yet */ }
  return "another process";
}

const posInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1;
const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const str = (v: unknown) => typeof v === "string";
const bool = (v: unknown) => typeof v === "boolean";
const optional = (ok: (v: unknown) => boolean) => (v: unknown) => v === undefined || ok(v);

/** The fields of `config.json` and what each must be. */
const CONFIG_FIELDS: Record<string, [string, (v: unknown) => boolean]> = {
  preset: ["a preset name", str],
  model: ['"rnn", "lstm" or "gru"', (v) => v === "rnn" || v === "lstm" || v === "gru"],
  layers: ["an integer >= 1", posInt],
  wordvec: ["an integer >= 1", posInt],
  hidden: ["an integer >= 1", posInt],
  dropout: ["a number in [0, 1)", (v) => num(v) && (v as number) >= 0 && (v as number) < 1],
  tie: ["true or false", bool],
  batch: ["an integer >= 1", posInt],
  time: ["an integer >= 1", posInt],
  lr: ["a number >= 0", (v) => num(v) && (v as number) >= 0],
  optimizer: ["an optimizer name", str],
  epochs: ["an integer >= 1", posInt],
  clip: ["a number >= 0", (v) => num(v) && (v as number) >= 0],
  decay: ["true or false", bool],
  evalInterval: ["an integer >= 1", posInt],
  corpusSize: ["an integer >= 0", count],
  seed: ["an integer", (v) => Number.isSafeInteger(v)],
  saveEvery: ["an integer >= 0", count],
  corpus: ["a path", optional(str)],
  validCorpus: ["a path", optional(str)],
  testCorpus: ["a path", optional(str)],
  vocabSize: ["an integer >= 1", optional(posInt)],
  dataDir: ["a path", optional(str)],
};

/** `value` as a run's configuration, every field checked; the error names the first bad one. */
function checkTrainConfig(value: Record<string, unknown>): TrainConfig {
  for (const [key, [expected, ok]] of Object.entries(CONFIG_FIELDS)) {
    if (!ok(value[key])) {
      throw new Error(
        `"${key}" is ${JSON.stringify(value[key]) ?? "missing"}, expected ${expected}`,
      );
    }
  }
  return value as unknown as TrainConfig;
}
