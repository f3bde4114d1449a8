/**
 * A run folder on disk (Deno only): `config.json`, `metrics.jsonl`,
 * `checkpoint.safetensors`, `best.safetensors` and `perplexity.svg`. Every file is written to
 * a temporary file and renamed, so a crash leaves the old version or the new one.
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
import { writeFileAtomic } from "./atomic.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";

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
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class RunFolder {
  /** The folder. */
  readonly dir: string;

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
   * A new run folder: creates it, or reuses one that holds no checkpoint (a run that stopped
   * before its first save, e.g. on a full disk), clearing what that run left; refuses one
   * that holds a checkpoint, naming what to do instead. Starts an empty `metrics.jsonl`.
   * Returns the folder and whether an earlier attempt's folder was reused.
   */
  static async create(dir: string): Promise<{ run: RunFolder; reused: boolean }> {
    const run = new RunFolder(dir);
    const reused = await holdsFiles(dir);
    if (reused) {
      if (await exists(run.checkpointPath)) {
        throw new SaikiError(
          `${dir} already holds a run; continue it with --resume ${dir}, ` +
            `choose another --name, or delete the folder`,
        );
      }
      for (const name of ["best.safetensors", "perplexity.svg", "config.json"]) {
        await Deno.remove(join(dir, name)).catch(() => {});
      }
    }
    await Deno.mkdir(dir, { recursive: true });
    writeTextAtomic(run.metricsPath, "");
    return { run, reused };
  }

  /** Whether the folder holds a last checkpoint. */
  hasCheckpoint(): Promise<boolean> {
    return exists(this.checkpointPath);
  }

  /** Writes `config.json`. */
  writeConfig(config: TrainConfig): void {
    writeTextAtomic(join(this.dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
  }

  /** Reads `config.json` (errors name the folder). */
  async readConfig(): Promise<TrainConfig> {
    try {
      return JSON.parse(await Deno.readTextFile(join(this.dir, "config.json")));
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
      text = Deno.readTextFileSync(this.metricsPath);
    } catch {
      return [];
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

  /** Appends one metric. */
  appendMetric(m: Metric): void {
    Deno.writeTextFileSync(this.metricsPath, JSON.stringify(m) + "\n", { append: true });
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

  /** Saves checkpoint contents as `checkpoint.safetensors` or `best.safetensors`. */
  save(which: "checkpoint" | "best", data: CheckpointData): void {
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

/** Whether `path` exists. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Whether `dir` exists and is not empty. */
async function holdsFiles(dir: string): Promise<boolean> {
  try {
    for await (const _ of Deno.readDir(dir)) return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
  return false;
}
