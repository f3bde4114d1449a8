/**
 * Trains a sequence-to-sequence model on the book's data sets (chapters 7–8):
 * `deno task seq2seq --data addition|date --model seq2seq|peeky|attention [--reverse] [flags]`.
 *
 * Defaults are the reference's (`ch07/train_seq2seq.py` for addition, `ch08/train.py` for
 * dates). Each run writes `runs/<name>/`: `config.json`, `metrics.jsonl`,
 * `checkpoint.safetensors` and `accuracy.svg`; `--resume runs/<name>` continues it exactly,
 * with any `--workers`; `deno task ask runs/<name> "16+75"` answers a question with it.
 *
 * This script is flag parsing and wiring: the run's policy is `lib/train/seq2seq_run.ts`.
 *
 * @module
 */

import type { SequenceName } from "../lib/data/sequence.ts";
import { loadSequenceRunData } from "../lib/io/sequence.ts";
import type { RunFolder } from "../lib/io/run_folder.ts";
import { workersUnavailable } from "../lib/parallel/pool.ts";
import { defaultShards } from "../lib/parallel/shards.ts";
import { accuracyChartSvg } from "../lib/train/plot.ts";
import { thousands } from "../lib/train/format.ts";
import {
  checkSeq2seqRunConfig,
  seq2seqDefaults,
  type Seq2seqRunConfig,
  Seq2seqSession,
} from "../lib/train/seq2seq_run.ts";
import type { Metric } from "../lib/train/session.ts";
import type { FlagSpec } from "../lib/std/cli.ts";
import { BACKEND_FLAG, useBackend } from "./_backend.ts";
import { defaultIO, type ScriptIO } from "./_io.ts";
import { createRunFolder, num, openRunFolder, RUN_FOLDER_FLAGS, runScript } from "./_run.ts";

/** The command line; data-set-dependent flags have no default here (the data set supplies it). */
export const FLAGS: Record<string, FlagSpec> = {
  data: {
    type: "string",
    help: "data set: addition (7.2) or date (8.3)",
    default: "addition",
    choices: ["addition", "date"],
  },
  model: {
    type: "string",
    help: "seq2seq (7.3), peeky (7.4.2) or attention (8.2) [addition: seq2seq, date: attention]",
    choices: ["seq2seq", "peeky", "attention"],
  },
  reverse: {
    type: "boolean",
    help: "feed the questions reversed (7.4.1) [addition: no, date: yes]",
  },
  wordvec: num("embedding size D [16]", { integer: true, min: 1, max: 65536 }),
  hidden: num("hidden size H [addition: 128, date: 256]", { integer: true, min: 1, max: 65536 }),
  batch: num("questions per batch [128]", { integer: true, min: 1, max: 65536 }),
  epochs: num("epochs [addition: 25, date: 10]", { integer: true, min: 1, max: 1_000_000 }),
  optimizer: {
    type: "string",
    help: "optimizer [adam]",
    choices: ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"],
  },
  lr: num("learning rate [adam: 0.001; another optimizer: its default]", { min: 0 }),
  clip: num("clip gradients to this global L2 norm, 0 = off [5]", { min: 0 }),
  "eval-interval": num("report every N iterations [20]", { integer: true, min: 1 }),
  examples: num("test answers shown after each epoch [3]", { integer: true, min: 0 }),
  seed: num("random seed of the initial parameters and the shuffles", {
    integer: true,
    default: 1,
    min: -(2 ** 31),
    max: 2 ** 31 - 1,
  }),
  "data-dir": {
    type: "string",
    help:
      "folder holding addition.txt / date.txt (default SAIKI_DATA_DIR, else the shipped sample)",
  },
  "save-every": num("also checkpoint every N iterations, 0 = epoch ends only", {
    integer: true,
    min: 0,
    default: 0,
  }),
  "stop-after": num("stop (with a checkpoint) after iteration N, counted from the run's start", {
    integer: true,
    min: 1,
  }),
  name: { type: "string", help: "run name (default: <data>-<model>-<date>-<time>)" },
  resume: {
    type: "string",
    help: "continue the run in this folder (optionally with a larger --epochs)",
  },
  ...RUN_FOLDER_FLAGS,
  backend: BACKEND_FLAG,
  workers: {
    type: "number",
    help: "threads computing each batch's shards (any count trains the same numbers) [auto: " +
      "one per shard and core]",
    integer: true,
    min: 1,
  },
  help: { type: "boolean", help: "show this help", default: false },
};

const USAGE =
  "deno task seq2seq --data addition|date --model seq2seq|peeky|attention [--reverse] [flags]";

/** The flags `--resume` accepts: they change how the run goes on, not what it trains. */
const RESUME_FLAGS = [
  "resume",
  "break-lock",
  "epochs",
  "quiet",
  "data-dir",
  "save-every",
  "stop-after",
  "examples",
  "backend",
  "workers",
];

function resolveConfig(flags: Record<string, unknown>): Seq2seqRunConfig {
  const d = seq2seqDefaults(flags.data as SequenceName);
  const optimizer = (flags.optimizer as string | undefined) ?? d.optimizer;
  const pick = <K extends keyof Seq2seqRunConfig>(key: K, flag = key as string) =>
    (flags[flag] ?? d[key]) as Seq2seqRunConfig[K];
  return checkSeq2seqRunConfig({
    data: d.data,
    model: pick("model"),
    reverse: pick("reverse"),
    wordvec: pick("wordvec"),
    hidden: pick("hidden"),
    batch: pick("batch"),
    epochs: pick("epochs"),
    optimizer,
    lr: (flags.lr as number | undefined) ??
      (optimizer === d.optimizer ? d.lr : undefined) ??
      defaultLr(optimizer),
    clip: pick("clip"),
    seed: flags.seed as number,
    evalInterval: pick("evalInterval", "eval-interval"),
    saveEvery: flags["save-every"] as number,
    examples: pick("examples"),
    dataDir: flags["data-dir"] as string | undefined,
  });
}

/** An optimizer's own default learning rate. */
function defaultLr(name: string): number {
  return { sgd: 0.01, momentum: 0.01, nesterov: 0.01, adagrad: 0.01, rmsprop: 0.01 }[name] ?? 0.001;
}

/** Runs the command line `args`; returns the exit code (0 ok, 1 failure, 2 usage). */
export function main(args: string[], io: ScriptIO = defaultIO()): Promise<number> {
  return runScript(args, io, {
    usage: USAGE,
    flags: FLAGS,
    permissions: `(deno task seq2seq may write only under runs/; for other folders run ` +
      `deno run --allow-read --allow-write=runs,DIR --allow-env=SAIKI_DATA_DIR scripts/seq2seq.ts ...)`,
  }, (flags, held) => train(flags, io, held));
}

async function train(
  flags: Record<string, unknown>,
  io: ScriptIO,
  held: RunFolder[],
): Promise<number> {
  const kernels = useBackend(flags.backend);
  const breakLock = flags["break-lock"] === true;
  const opened = await openRunFolder(
    flags,
    FLAGS,
    RESUME_FLAGS,
    held,
    (run) => run.readConfigWith(checkSeq2seqRunConfig),
    () => {
      const config = resolveConfig(flags);
      return { config, prefix: `${config.data}-${config.model}` };
    },
  );
  const { config, resumeDir } = opened;
  let run = opened.run;
  if (resumeDir !== undefined && flags.examples !== undefined) {
    config.examples = flags.examples as number;
  }
  const log = flags.quiet ? () => {} : io.log;
  const data = await loadSequenceRunData(config.data, {
    dataDir: config.dataDir,
    reverse: config.reverse,
  });
  const shards = defaultShards(config.batch);
  const asked = flags.workers as number | undefined;
  const workers = asked ?? Math.min(shards, navigator.hardwareConcurrency ?? 1);
  const noWorkers = Math.min(workers, shards) > 1 ? workersUnavailable() : undefined;
  const running = noWorkers === undefined ? Math.min(workers, shards) : 1;
  const options = {
    workers,
    stopAfter: flags["stop-after"] as number | undefined,
    checkpointName: run.checkpointPath,
    runId: resumeDir === undefined ? crypto.randomUUID() : run.runId,
  };
  let session: Seq2seqSession;
  let metrics: Metric[] = [];
  const fromScratch = resumeDir !== undefined && !(await run.hasCheckpoint());
  if (resumeDir !== undefined && !fromScratch) {
    const ckpt = await run.load("checkpoint");
    session = Seq2seqSession.resume(ckpt, config, data, { ...options, where: run.checkpointPath });
    const done = session.trainer.state.epoch;
    if (done >= config.epochs) {
      await session.close();
      io.log(
        `${run.dir} has trained ${done} epochs: nothing to do; to train on, give --epochs ` +
          `with more than ${done}`,
      );
      return 0;
    }
    metrics = run.readMetrics(session.trainer.state.step);
    run.writeMetrics(metrics);
    session.elapsedBefore = Number(metrics.findLast((m) => m.elapsed !== undefined)?.elapsed ?? 0);
    log(`resuming ${run.dir} at epoch ${done + 1}, iteration ${session.trainer.state.step}`);
  } else {
    session = Seq2seqSession.create(config, data, options);
    run = await createRunFolder(run, { breakLock, fromScratch, held, log });
  }
  const chart = () =>
    run.writeSvg(
      "accuracy.svg",
      accuracyChartSvg(
        metrics.filter((m) => m.kind === "valid").map((m) => ({
          epoch: m.epoch as number,
          accuracy: m.accuracy as number,
        })),
        {
          title: `accuracy — ${config.data}, ${config.model}${config.reverse ? ", reversed" : ""}`,
        },
      ),
    );
  const onInterrupt = () => {
    session.close();
    run.close();
    io.log(`interrupted; ${run.checkpointPath} keeps the last checkpoint (--resume ${run.dir})`);
    Deno.exit(130);
  };
  if (running > 1) Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    run.writeConfig(config, session.runId);
    const { model } = session, V = data.vocab.size;
    const nParams = model.params.reduce((n, p) => n + p.size, 0);
    const [n, T] = data.xTrain.shape, Td = data.tTrain.shape[1] - 1;
    const threads = running === 1 ? "1 thread" : `${running} workers`;
    log(
      `saiki: ${config.data} | ${config.model}${config.reverse ? " (reversed)" : ""} | V ${V} ` +
        `D ${config.wordvec} H ${config.hidden} | ${(nParams / 1e6).toFixed(2)}M params | ` +
        `${thousands(n)} questions (${T} → ${Td} characters) | batch ${config.batch} | ` +
        `${session.itersPerEpoch} iters/epoch | kernels ${kernels} | ${threads} | run ${run.dir}`,
    );
    for (const note of data.notes) io.log(`note: ${note}`);
    if (noWorkers !== undefined) io.log(`note: training runs on one thread: ${noWorkers}`);
    const colour = io.colour ?? false;
    const mark = (ok: boolean) =>
      colour ? (ok ? "\x1b[92m☑\x1b[0m" : "\x1b[91m☒\x1b[0m") : (ok ? "☑" : "☒");
    const outcome = await session.run({
      log,
      result: io.log,
      progress: flags.quiet ? undefined : io.progress,
      metric(m) {
        metrics.push(m);
        run.appendMetric(m);
      },
      save(contents) {
        run.save("checkpoint", contents);
        chart();
      },
      examples: flags.quiet ? undefined : (answers) => {
        for (const a of answers) {
          log(`Q ${a.question}\nT ${a.correct}\n${mark(a.ok)} ${a.guess}\n---`);
        }
      },
    });
    if (outcome.kind === "failed") {
      io.log(`error: ${outcome.message}`);
      return 1;
    }
    if (outcome.kind === "stopped") {
      io.log(`stopped after iteration ${outcome.step}; continue with --resume ${run.dir}`);
      return 0;
    }
    io.log(`val acc ${(outcome.accuracy * 100).toFixed(3)}% after ${config.epochs} epochs`);
    io.log(
      `run folder: ${run.dir} (config.json, metrics.jsonl, checkpoint.safetensors, accuracy.svg); ` +
        `ask it: deno task ask ${run.dir} "${example(config.data)}"`,
    );
    return 0;
  } finally {
    if (running > 1) Deno.removeSignalListener("SIGINT", onInterrupt);
    await session.close();
  }
}

/** A question to show in the closing hint. */
function example(data: SequenceName): string {
  return data === "date" ? "september 27, 1994" : "16+75";
}

if (import.meta.main) Deno.exit(await main(Deno.args));
