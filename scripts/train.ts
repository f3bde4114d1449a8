/**
 * Trains a recurrent language model: `deno task train [--preset simple|lstm|better] [flags]`.
 *
 * Presets mirror the reference's scripts (chapter 5 `train_custom_loop.py`, chapter 6
 * `train_rnnlm.py` and `train_better_rnnlm.py`); every hyper-parameter can be overridden.
 * Each run writes `runs/<name>/`: `config.json`, `metrics.jsonl`, `checkpoint.safetensors`
 * (and `best.safetensors` when validating), and `perplexity.svg`. `--resume runs/<name>`
 * continues a run exactly where its last checkpoint left it, with any `--workers`.
 *
 * This script is flag parsing and wiring: the run's policy is `lib/train/session.ts`, its files
 * `lib/io/run_folder.ts`, its data `lib/io/run_data.ts`.
 *
 * @module
 */

import { SaikiError } from "../lib/errors.ts";
import { checkSizes, loadRunData } from "../lib/io/run_data.ts";
import type { RunFolder } from "../lib/io/run_folder.ts";
import { createOptimizer } from "../lib/train/optimizers.ts";
import { workersUnavailable } from "../lib/parallel/pool.ts";
import { defaultShards } from "../lib/parallel/shards.ts";
import {
  autoWorkers,
  estimateRunBytes,
  MAX_RUN_BYTES,
  modelConfig,
  type Preset,
  PRESETS,
  type TrainConfig,
} from "../lib/train/config.ts";
import { thousands } from "../lib/train/format.ts";
import { type Metric, TrainingSession } from "../lib/train/session.ts";
import { type FlagSpec, UsageError } from "../lib/std/cli.ts";
import { sha256Hex } from "../lib/std/hash.ts";
import { BACKEND_FLAG, useBackend } from "./_backend.ts";
import { createRunFolder, num, openRunFolder, RUN_FOLDER_FLAGS, runScript } from "./_run.ts";
import { defaultIO, type ScriptIO } from "./_io.ts";

/** The command line; preset-dependent flags have no default here (the preset supplies it). */
export const FLAGS: Record<string, FlagSpec> = {
  preset: {
    type: "string",
    help: "reference run to start from",
    default: "simple",
    choices: Object.keys(PRESETS),
  },
  model: { type: "string", help: "recurrent cell [preset]", choices: ["rnn", "lstm", "gru"] },
  layers: num("stacked recurrent layers [preset]", { integer: true, min: 1, max: 64 }),
  wordvec: num("embedding size D [preset]", { integer: true, min: 1, max: 65536 }),
  hidden: num("hidden size H [preset]", { integer: true, min: 1, max: 65536 }),
  dropout: num("dropout ratio [preset]", { min: 0 }),
  tie: { type: "boolean", help: "tie embedding and output weights [preset]" },
  batch: num("batch size N [preset]", { integer: true, min: 1, max: 65536 }),
  time: num("truncated BPTT length T [preset]", { integer: true, min: 1, max: 65536 }),
  lr: num("learning rate [preset; with another --optimizer, that optimizer's default]", {
    min: 0,
  }),
  optimizer: {
    type: "string",
    help: "optimizer [preset: sgd]",
    choices: ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"],
  },
  epochs: num("epochs [preset]", { integer: true, min: 1, max: 1_000_000 }),
  clip: num("clip gradients to this global L2 norm, 0 = off [preset]", { min: 0 }),
  decay: { type: "boolean", help: "divide lr by 4 when validation perplexity worsens [preset]" },
  "eval-interval": num("report every N iterations [preset]", { integer: true, min: 1 }),
  "corpus-size": num("train on the first N words only, 0 = all [preset]", {
    integer: true,
    min: 0,
  }),
  seed: num("random seed (a 32-bit integer: each gives another run)", {
    integer: true,
    default: 1,
    min: -(2 ** 31),
    max: 2 ** 31 - 1,
  }),
  corpus: { type: "string", help: "train on this UTF-8 text file instead of PTB" },
  valid: {
    type: "string",
    help: "with --corpus: validation text (perplexity per epoch, lr decay with --decay)",
  },
  test: { type: "string", help: "with --corpus: test text (perplexity at the end)" },
  "vocab-size": num("with --corpus: keep the most frequent N words, rest <unk>", {
    integer: true,
    min: 2,
  }),
  "data-dir": { type: "string", help: "folder holding ptb.{train,valid,test}.txt" },
  "save-every": num("also checkpoint every N iterations, 0 = epoch ends only", {
    integer: true,
    min: 0,
    default: 500,
  }),
  "stop-after": num(
    "stop (with a checkpoint) after iteration N, counted from the run's start (also after --resume)",
    {
      integer: true,
      min: 1,
    },
  ),
  name: { type: "string", help: "run name (default: <preset>-<date>-<time>)" },
  resume: {
    type: "string",
    help: "continue the run in this folder (optionally with a larger --epochs)",
  },
  ...RUN_FOLDER_FLAGS,
  backend: BACKEND_FLAG,
  workers: {
    type: "string",
    help: "threads computing each batch's shards: a count, or auto = one per shard and core " +
      "(2 on a 2-core machine for batches of 16+ rows), 1 for models under 0.03 GFLOP per " +
      "iteration, where workers cost more than they save; any count trains the same numbers",
    default: "auto",
  },
  help: { type: "boolean", help: "show this help", default: false },
};

const USAGE = "deno task train [--preset simple|lstm|better] [flags]";

/** Where a run writes: injectable so tests can capture it. */
export type TrainIO = ScriptIO;

function resolveConfig(flags: Record<string, unknown>): TrainConfig {
  const preset = PRESETS[flags.preset as string];
  const pick = <K extends keyof Preset>(key: K, flag = key as string): Preset[K] =>
    (flags[flag] ?? preset[key]) as Preset[K];
  const optimizer = pick("optimizer");
  const config: TrainConfig = {
    preset: flags.preset as string,
    model: pick("model"),
    layers: pick("layers"),
    wordvec: pick("wordvec"),
    hidden: pick("hidden"),
    dropout: pick("dropout"),
    tie: pick("tie"),
    batch: pick("batch"),
    time: pick("time"),
    optimizer,
    // A preset's lr is tuned for its optimizer (SGD's 20 would blow Adam up): another optimizer
    // starts from its own default unless --lr is given.
    lr: (flags.lr as number | undefined) ??
      (optimizer === preset.optimizer ? preset.lr : createOptimizer(optimizer).lr),
    epochs: pick("epochs"),
    clip: pick("clip"),
    decay: pick("decay"),
    evalInterval: pick("evalInterval", "eval-interval"),
    // the preset's cut (simple: PTB's first 1,000 words) is for PTB; a --corpus is used whole
    corpusSize: flags["corpus-size"] !== undefined || flags.corpus === undefined
      ? pick("corpusSize", "corpus-size")
      : 0,
    seed: flags.seed as number,
    corpus: flags.corpus as string | undefined,
    validCorpus: flags.valid as string | undefined,
    testCorpus: flags.test as string | undefined,
    vocabSize: flags["vocab-size"] as number | undefined,
    dataDir: flags["data-dir"] as string | undefined,
    saveEvery: flags["save-every"] as number,
  };
  if (config.dropout >= 1) throw new UsageError(`--dropout must be below 1, got ${config.dropout}`);
  if (config.tie && config.wordvec !== config.hidden) {
    throw new UsageError(
      `--tie needs --wordvec equal to --hidden, got ${config.wordvec} and ${config.hidden}`,
    );
  }
  if (config.vocabSize !== undefined && config.corpus === undefined) {
    throw new UsageError("--vocab-size applies to --corpus only (PTB has a fixed vocabulary)");
  }
  if (config.dataDir !== undefined && config.corpus !== undefined) {
    throw new UsageError("--data-dir is where PTB is read from; it does not apply with --corpus");
  }
  if ((config.validCorpus ?? config.testCorpus) !== undefined && config.corpus === undefined) {
    throw new UsageError("--valid and --test apply to --corpus only (PTB has its own splits)");
  }
  return config;
}

/** Runs the command line `args`; returns the exit code (0 ok, 1 failure, 2 usage). */
export function main(args: string[], io: TrainIO = defaultIO()): Promise<number> {
  return runScript(args, io, {
    usage: USAGE,
    flags: FLAGS,
    permissions: `(deno task train may write only under runs/ and ~/.cache/saiki; for other ` +
      `folders run deno run --allow-read --allow-write=runs,DIR --allow-env ` +
      `--allow-net=raw.githubusercontent.com scripts/train.ts ...)`,
  }, (flags, held) => trainIn(flags, io, held));
}

/**
 * A resumed run's configuration: its `config.json`, or, when that is missing or unreadable and
 * the folder holds a checkpoint, the configuration the checkpoint records (with a note; the
 * resumed run writes `config.json` anew).
 */
async function readRunConfig(run: RunFolder, io: TrainIO): Promise<TrainConfig> {
  try {
    return await run.readConfig();
  } catch (e) {
    if (!(await run.hasCheckpoint())) throw e;
    const saved = (await run.load("checkpoint")).metadata.train_config;
    let config: TrainConfig | undefined;
    try {
      config = saved === undefined ? undefined : JSON.parse(saved);
    } catch { /* reported below */ }
    if (config === undefined || typeof config !== "object" || config === null) throw e;
    io.log(
      `note: ${(e as Error).message.split(";")[0]}; the configuration is rebuilt from ` +
        `${run.checkpointPath}`,
    );
    return config;
  }
}

/** The training ids' size and SHA-256: what a checkpoint records of the text it trained on. */
function corpusId(ids: Int32Array): string {
  const bytes = new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength);
  return `${thousands(ids.length)} tokens, sha256 ${sha256Hex(bytes).slice(0, 16)}`;
}

/** The flags `--resume` accepts: they change how the run goes on, not what it trains. */
const RESUME_FLAGS = [
  "resume",
  "break-lock",
  "epochs",
  "quiet",
  "data-dir",
  "save-every",
  "stop-after",
  "backend",
  "workers",
];

/** `--workers`: a count ≥ 1, or auto for this run's model. */
function resolveWorkers(flag: unknown, config: TrainConfig, vocabSize: number) {
  if (flag === "auto" || flag === undefined) {
    return autoWorkers(config, modelConfig(config, vocabSize), navigator.hardwareConcurrency ?? 1);
  }
  const n = Number(flag);
  if (!Number.isInteger(n) || n < 1 || String(flag).trim() === "") {
    throw new UsageError(`--workers must be a count >= 1 or auto, got "${flag}"`);
  }
  return { workers: n, why: "--workers" };
}

async function trainIn(
  flags: Record<string, unknown>,
  io: TrainIO,
  held: RunFolder[],
): Promise<number> {
  const kernels = useBackend(flags.backend);
  const breakLock = flags["break-lock"] === true;
  const opened = await openRunFolder(
    flags,
    FLAGS,
    RESUME_FLAGS,
    held,
    (run) => readRunConfig(run, io),
    () => {
      const config = resolveConfig(flags);
      return { config, prefix: config.preset };
    },
  );
  const { config, resumeDir } = opened;
  let run = opened.run;
  if (flags.workers !== "auto") resolveWorkers(flags.workers, config, 1); // a bad count fails first
  const log = flags.quiet ? () => {} : io.log;
  const progress = flags.quiet ? undefined : io.progress;

  const data = await loadRunData(config);
  checkSizes(config, data);
  const need = estimateRunBytes(config, modelConfig(config, data.words.length));
  if (need > MAX_RUN_BYTES) {
    throw new SaikiError(
      `this run needs about ${(need / 2 ** 30).toFixed(1)} GiB of memory, more than the ` +
        `${MAX_RUN_BYTES / 2 ** 30} GiB saiki's engine can address: lower --hidden, --wordvec, ` +
        `--layers, --batch or --time (or --vocab-size)`,
    );
  }
  const { workers, why } = resolveWorkers(flags.workers, config, data.words.length);
  // What runs: the trainer starts at most one worker per shard (the batch's rows fix the
  // shards), and none where this runtime cannot share the engine's memory with workers.
  const shards = defaultShards(config.batch);
  const capped = Math.min(workers, shards);
  const noWorkers = capped > 1 ? workersUnavailable() : undefined;
  const running = noWorkers === undefined ? capped : 1;
  const asked = why === "--workers" ? `--workers ${workers}` : why;
  const threadsWhy = noWorkers !== undefined
    ? `${asked}; workers are unavailable here`
    : workers > shards
    ? `${asked} capped at ${shards} shard${shards === 1 ? "" : "s"}`
    : asked;
  const options = {
    workers,
    stopAfter: flags["stop-after"] as number | undefined,
    checkpointName: run.checkpointPath,
    corpusId: corpusId(data.train),
    runId: resumeDir === undefined ? crypto.randomUUID() : run.runId,
  };
  let session: TrainingSession;
  let metrics: Metric[] = [];
  // a folder whose run stopped before its first checkpoint resumes from scratch
  const fromScratch = resumeDir !== undefined && !(await run.hasCheckpoint());
  if (resumeDir !== undefined && !fromScratch) {
    const ckpt = await run.load("checkpoint");
    session = await TrainingSession.resume(ckpt, config, data, {
      ...options,
      where: run.checkpointPath,
    });
    const done = session.trainer.state.epoch;
    if (done >= config.epochs) {
      await session.close();
      io.log(
        `${run.dir} has trained ${done} epochs${
          flags.epochs !== undefined
            ? `, --epochs ${config.epochs} asks no more`
            : ", all of its run"
        }: nothing to do; to train on, give --epochs with more than ${done}`,
      );
      return 0;
    }
    metrics = run.readMetrics(session.trainer.state.step);
    run.writeMetrics(metrics);
    session.elapsedBefore = Number(metrics.findLast((m) => m.elapsed !== undefined)?.elapsed ?? 0);
    log(
      `resuming ${run.dir} at epoch ${
        session.trainer.state.epoch + 1
      }, iteration ${session.trainer.state.step}`,
    );
  } else {
    session = TrainingSession.create(config, data, options);
    run = await createRunFolder(run, { breakLock, fromScratch, held, log });
  }
  // Ctrl-C stops the workers before the process ends; the last checkpoint stays as it was.
  const onInterrupt = () => {
    session.close();
    run.close();
    io.log(`interrupted; ${run.checkpointPath} keeps the last checkpoint (--resume ${run.dir})`);
    Deno.exit(130);
  };
  // (One thread never yields to the event loop mid-epoch: there Ctrl-C keeps its default.)
  if (workers > 1) Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    run.writeConfig(config, session.runId);
    const { model } = session;
    const V = data.words.length;
    if (session.config.decay && !session.validates) {
      data.notes.push("--decay has no validation data to watch: the learning rate stays fixed");
    }
    const nParams = [...new Set(model.params)].reduce((n, p) => n + p.size, 0);
    const threads = running === 1 ? "1 thread" : `${running} workers`;
    log(
      `saiki: ${config.preset} | ${config.model} ×${config.layers} | V ${V} D ${config.wordvec} H ${config.hidden} | ` +
        `${(nParams / 1e6).toFixed(2)}M params | ${thousands(data.train.length)} train tokens | ` +
        `batch ${config.batch}×${config.time} | ${session.itersPerEpoch} iters/epoch | ` +
        `kernels ${kernels} | ${threads} (${threadsWhy}) | run ${run.dir}`,
    );
    for (const note of data.notes) io.log(`note: ${note}`);
    if (session.optimizer.lr === 0) {
      io.log("warning: the learning rate is 0: the parameters will not change (nothing trains)");
    }
    if (noWorkers !== undefined) io.log(`note: training runs on one thread: ${noWorkers}`);

    const outcome = await session.run({
      log,
      result: io.log, // results print even when quiet
      progress,
      metric(m) {
        metrics.push(m);
        run.appendMetric(m);
      },
      save(which, contents) {
        run.save(which, contents);
        if (which === "checkpoint") run.writeChart(metrics, config.preset);
      },
      loadBest: () => run.load("best"),
    });
    if (outcome.kind === "failed") {
      run.writeChart(metrics, config.preset);
      io.log(`error: ${outcome.message}`);
      return 1;
    }
    if (outcome.kind === "stopped") {
      io.log(`stopped after iteration ${outcome.step}; continue with --resume ${run.dir}`);
      return 0;
    }
    run.writeChart(metrics, config.preset);
    io.log(
      `run folder: ${run.dir} (config.json, metrics.jsonl, checkpoint.safetensors, ` +
        `${session.validates ? "best.safetensors, " : ""}perplexity.svg)`,
    );
    return 0;
  } finally {
    if (workers > 1) Deno.removeSignalListener("SIGINT", onInterrupt);
    await session.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
