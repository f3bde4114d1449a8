/**
 * Trains a recurrent language model: `deno task train [--preset simple|lstm|better] [flags]`.
 *
 * Presets mirror the reference's scripts (chapter 5 `train_custom_loop.py`, chapter 6
 * `train_rnnlm.py` and `train_better_rnnlm.py`); every hyper-parameter can be overridden.
 * Each run writes `runs/<name>/`: `config.json`, `metrics.jsonl`, `checkpoint.safetensors`
 * (and `best.safetensors` when validating), and `perplexity.svg`. `--resume runs/<name>`
 * continues a run exactly where its last checkpoint left it.
 *
 * @module
 */

import { corpusFromText, UNK } from "../lib/data/corpus.ts";
import { loadPtbAll } from "../lib/data/ptb.ts";
import { SaikiError } from "../lib/errors.ts";
import { loadCheckpoint, saveCheckpoint } from "../lib/io/checkpoint.ts";
import {
  checkpointConfig,
  modelCheckpoint,
  modelFromCheckpoint,
} from "../lib/models/checkpoint.ts";
import { LanguageModel, type LanguageModelConfig } from "../lib/models/rnnlm.ts";
import { createOptimizer, type Optimizer } from "../lib/optimizers.ts";
import { perplexityChartSvg } from "../lib/plot.ts";
import { Rng } from "../lib/random.ts";
import { type FlagSpec, helpText, parseFlags, UsageError } from "../lib/std/cli.ts";
import { BACKEND_FLAG, useBackend } from "./_backend.ts";
import { basename, join } from "../lib/std/path.ts";
import type { IntTensor, Tensor } from "../lib/tensor.ts";
import { evalPerplexity, RnnlmTrainer, type TrainerState } from "../lib/trainer.ts";

/** Everything a run is configured by; saved as `config.json` in the run folder. */
export interface TrainConfig {
  preset: string;
  model: "rnn" | "lstm" | "gru";
  layers: number;
  wordvec: number;
  hidden: number;
  dropout: number;
  tie: boolean;
  batch: number;
  time: number;
  lr: number;
  optimizer: string;
  epochs: number;
  clip: number;
  decay: boolean;
  evalInterval: number;
  corpusSize: number;
  seed: number;
  corpus?: string;
  validCorpus?: string;
  testCorpus?: string;
  vocabSize?: number;
  dataDir?: string;
  saveEvery: number;
}

type Preset = Omit<
  TrainConfig,
  | "preset"
  | "seed"
  | "corpus"
  | "validCorpus"
  | "testCorpus"
  | "vocabSize"
  | "dataDir"
  | "saveEvery"
>;

/** The reference's three runs. */
export const PRESETS: Record<string, Preset> = {
  // chapter 5, train_custom_loop.py: the first 1,000 words of PTB, SimpleRnnlm, SGD 0.1
  simple: {
    model: "rnn",
    layers: 1,
    wordvec: 100,
    hidden: 100,
    dropout: 0,
    tie: false,
    batch: 10,
    time: 5,
    lr: 0.1,
    optimizer: "sgd",
    epochs: 100,
    clip: 0,
    decay: false,
    evalInterval: 19,
    corpusSize: 1000,
  },
  // chapter 6, train_rnnlm.py: Rnnlm on all of PTB
  lstm: {
    model: "lstm",
    layers: 1,
    wordvec: 100,
    hidden: 100,
    dropout: 0,
    tie: false,
    batch: 20,
    time: 35,
    lr: 20,
    optimizer: "sgd",
    epochs: 4,
    clip: 0.25,
    decay: false,
    evalInterval: 20,
    corpusSize: 0,
  },
  // chapter 6, train_better_rnnlm.py: BetterRnnlm, validation every epoch, lr ÷ 4 when worse
  better: {
    model: "lstm",
    layers: 2,
    wordvec: 650,
    hidden: 650,
    dropout: 0.5,
    tie: true,
    batch: 20,
    time: 35,
    lr: 20,
    optimizer: "sgd",
    epochs: 40,
    clip: 0.25,
    decay: true,
    evalInterval: 20,
    corpusSize: 0,
  },
};

const num = (help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({
  type: "number",
  help,
  ...extra,
});

/** The command line; preset-dependent flags have no default here (the preset supplies it). */
export const FLAGS: Record<string, FlagSpec> = {
  preset: {
    type: "string",
    help: "reference run to start from",
    default: "simple",
    choices: Object.keys(PRESETS),
  },
  model: { type: "string", help: "recurrent cell [preset]", choices: ["rnn", "lstm", "gru"] },
  layers: num("stacked recurrent layers [preset]", { integer: true, min: 1 }),
  wordvec: num("embedding size D [preset]", { integer: true, min: 1 }),
  hidden: num("hidden size H [preset]", { integer: true, min: 1 }),
  dropout: num("dropout ratio [preset]", { min: 0 }),
  tie: { type: "boolean", help: "tie embedding and output weights [preset]" },
  batch: num("batch size N [preset]", { integer: true, min: 1 }),
  time: num("truncated BPTT length T [preset]", { integer: true, min: 1 }),
  lr: num("learning rate [preset; with another --optimizer, that optimizer's default]", {
    min: 0,
  }),
  optimizer: {
    type: "string",
    help: "optimizer [preset: sgd]",
    choices: ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"],
  },
  epochs: num("epochs [preset]", { integer: true, min: 1 }),
  clip: num("clip gradients to this global L2 norm, 0 = off [preset]", { min: 0 }),
  decay: { type: "boolean", help: "divide lr by 4 when validation perplexity worsens [preset]" },
  "eval-interval": num("report every N iterations [preset]", { integer: true, min: 1 }),
  "corpus-size": num("train on the first N words only, 0 = all [preset]", {
    integer: true,
    min: 0,
  }),
  seed: num("random seed", { integer: true, default: 1 }),
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
  "stop-after": num("stop (with a checkpoint) after N iterations in all; --resume continues", {
    integer: true,
    min: 1,
  }),
  name: { type: "string", help: "run name (default: <preset>-<date>-<time>)" },
  "runs-dir": { type: "string", help: "folder of run folders", default: "runs" },
  resume: {
    type: "string",
    help: "continue the run in this folder (optionally with a larger --epochs)",
  },
  quiet: { type: "boolean", help: "no progress output (results still print)", default: false },
  backend: BACKEND_FLAG,
  help: { type: "boolean", help: "show this help", default: false },
};

const USAGE = "deno task train [--preset simple|lstm|better] [flags]";

/** Where a run writes: injectable so tests can capture it. */
export interface TrainIO {
  /** Writes a line of output (results, logs). */
  log(line: string): void;
  /** Writes a transient progress line (a terminal overwrites it in place), or nothing. */
  progress?(line: string): void;
}

function defaultIO(): TrainIO {
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
  };
}

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

/** The data of a run: training ids and, where the preset has them, validation and test ids. */
interface RunData {
  train: Int32Array;
  valid?: Int32Array;
  test?: Int32Array;
  words: string[];
  /** What the user should know about how the data was prepared. */
  notes: string[];
}

async function loadRunData(config: TrainConfig): Promise<RunData> {
  if (config.corpus !== undefined) {
    const { ids, vocab } = corpusFromText(await readText("--corpus", config.corpus), {
      maxSize: config.vocabSize,
    });
    const notes: string[] = [];
    // Held-out words the training text lacks become <unk>; without --vocab-size the training
    // vocabulary has none, so it gets one (never a training target: such words cost what the
    // model gives a word it has not seen).
    if ((config.validCorpus ?? config.testCorpus) !== undefined) vocab.add(UNK);
    const unk = vocab.wordToId.get(UNK)!;
    const split = async (flag: string, path: string | undefined) => {
      if (path === undefined) return undefined;
      const held = corpusFromText(await readText(flag, path), { vocab, where: `${flag} ${path}` });
      const unknown = held.ids.reduce((n, id) => n + (id === unk ? 1 : 0), 0);
      if (unknown > 0) {
        const of = `${thousands(unknown)} of ${thousands(held.ids.length)}`;
        notes.push(`${flag} ${path}: ${of} tokens are ${UNK} (not in the training text)`);
      }
      return held.ids;
    };
    return cut({
      train: ids,
      valid: await split("--valid", config.validCorpus),
      test: await split("--test", config.testCorpus),
      words: vocab.idToWord,
      notes,
    }, config.corpusSize);
  }
  const ptb = await loadPtbAll({ dataDir: config.dataDir }); // download progress on stderr
  return cut({
    train: ptb.train.ids,
    valid: ptb.valid.ids,
    test: ptb.test.ids,
    words: ptb.vocab.idToWord,
    notes: [],
  }, config.corpusSize);
}

/** Smallest held-out text `evalPerplexity` can read: one batch of 10 × 35, plus its target. */
const EVAL_MIN_TOKENS = 10 * 35 + 1;

/** Fails before anything is written when a split is too small for the run's batches. */
function checkSizes(config: TrainConfig, data: RunData): void {
  const perBatch = config.batch * config.time;
  if (data.train.length - 1 < perBatch) {
    throw new UsageError(
      `--batch ${config.batch} × --time ${config.time} needs ${perBatch} tokens per batch, but ` +
        `the training data has ${data.train.length - 1} inputs; lower --batch or --time`,
    );
  }
  const splits = [
    ["validation", data.valid, config.validCorpus ?? "ptb.valid.txt"],
    ["test", data.test, config.testCorpus ?? "ptb.test.txt"],
  ] as const;
  for (const [split, ids, file] of splits) {
    if (ids !== undefined && ids.length < EVAL_MIN_TOKENS) {
      throw new SaikiError(
        `the ${split} text (${file}) has ${ids.length} tokens; perplexity is evaluated in ` +
          `batches of 10 × 35 and needs at least ${EVAL_MIN_TOKENS}`,
      );
    }
  }
}

async function readText(flag: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new SaikiError(`${flag} ${path}: cannot read the file (${(e as Error).message})`);
  }
}

/**
 * The reference's chapter-5 cut: the first `size` words, vocabulary `max(id) + 1`. Validation
 * and test sets are dropped: the cut vocabulary does not cover them.
 */
function cut(data: RunData, size: number): RunData {
  if (size <= 0 || size >= data.train.length) return data;
  const train = data.train.slice(0, size);
  const V = train.reduce((m, v) => Math.max(m, v), 0) + 1;
  const notes = [...data.notes];
  if (data.valid !== undefined || data.test !== undefined) {
    notes.push(
      `training on the first ${thousands(size)} words (--corpus-size): no ` +
        `validation or test perplexity, as the cut vocabulary does not cover those sets`,
    );
  }
  return { train, words: data.words.slice(0, V), notes };
}

function modelConfig(config: TrainConfig, vocabSize: number): LanguageModelConfig {
  return {
    vocabSize,
    wordvecSize: config.wordvec,
    hiddenSize: config.hidden,
    cell: config.model,
    layers: config.layers,
    dropout: config.dropout,
    tieWeights: config.tie,
  };
}

/** Run state kept in checkpoints beside the trainer's. */
interface Progress {
  bestValid: number;
  lr: number;
  epochLoss: number;
  epochCount: number;
}

function recurrentState(model: LanguageModel): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  model.rnnLayers.forEach((layer, i) => {
    if (layer.h) out[`state.h${i + 1}`] = layer.h;
    if (layer.c) out[`state.c${i + 1}`] = layer.c;
  });
  return out;
}

function restoreRecurrentState(model: LanguageModel, tensors: Record<string, Tensor | IntTensor>) {
  model.rnnLayers.forEach((layer, i) => {
    const h = tensors[`state.h${i + 1}`] as Tensor | undefined;
    const c = tensors[`state.c${i + 1}`] as Tensor | undefined;
    if (h === undefined) layer.resetState();
    else layer.setState(h, layer.hasCellState ? c : null);
  });
}

function optimizerTensors(optimizer: Optimizer): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(optimizer.stateTensors())) out[`optimizer.${k}`] = v;
  return out;
}

function saveRun(
  path: string,
  model: LanguageModel,
  optimizer: Optimizer,
  trainer: RnnlmTrainer,
  rng: Rng,
  words: string[],
  config: TrainConfig,
  progress: Progress,
) {
  const data = modelCheckpoint(model, {
    tensors: { ...optimizerTensors(optimizer), ...recurrentState(model) },
    metadata: {
      vocab: JSON.stringify(words),
      step: String(trainer.state.step),
      epoch: String(trainer.state.epoch),
      seed: String(config.seed),
      optimizer: optimizer.name,
      optimizer_state: JSON.stringify(optimizer.stateMeta()),
      trainer: JSON.stringify(trainer.state),
      rng: JSON.stringify(rng.getState()),
      progress: JSON.stringify(progress),
      train_config: JSON.stringify(config),
    },
  });
  saveCheckpoint(path, data.tensors, data.metadata);
}

/** `929589` → `"929,589"`. */
const thousands = (n: number) => n.toLocaleString("en-US");

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

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h > 0
    ? `${h}h${String(m).padStart(2, "0")}m`
    : m > 0
    ? `${m}m${String(s % 60).padStart(2, "0")}s`
    : `${s}s`;
}

interface Metric {
  kind: "train" | "epoch" | "valid" | "test";
  step: number;
  [key: string]: number | string;
}

function readMetrics(path: string, upToStep: number): Metric[] {
  let text = "";
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Metric)
    .filter((m) => m.step <= upToStep);
}

/** Runs the command line `args`; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(args: string[], io: TrainIO = defaultIO()): Promise<number> {
  let flags;
  try {
    flags = parseFlags(args, FLAGS);
    if (flags._.length > 0) throw new UsageError(`unexpected argument "${flags._[0]}"`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.log(`error: ${e.message}\nusage: ${USAGE}  (--help lists the flags)`);
    return 2;
  }
  if (flags.help) {
    io.log(helpText(USAGE, FLAGS));
    return 0;
  }
  try {
    return await train(flags, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.log(`error: ${e.message}\nusage: ${USAGE}  (--help lists the flags)`);
      return 2;
    }
    if (e instanceof SaikiError) {
      io.log(`error: ${e.message}`);
      return 1;
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      io.log(
        `error: ${(e as Error).message.split("\n")[0]}\n` +
          `(deno task train may write only under runs/ and ~/.cache/saiki; for other folders run ` +
          `deno run --allow-read --allow-write=runs,DIR --allow-env ` +
          `--allow-net=raw.githubusercontent.com scripts/train.ts ...)`,
      );
      return 1;
    }
    throw e;
  }
}

/** The flags `--resume` accepts: they change how the run goes on, not what it trains. */
const RESUME_FLAGS = [
  "resume",
  "epochs",
  "quiet",
  "data-dir",
  "save-every",
  "stop-after",
  "backend",
];

async function train(flags: Record<string, unknown>, io: TrainIO): Promise<number> {
  const kernels = useBackend(flags.backend);
  const resumeDir = flags.resume as string | undefined;
  let config: TrainConfig;
  let runDir: string;
  if (resumeDir !== undefined) {
    const given = Object.keys(FLAGS).filter((k) =>
      !RESUME_FLAGS.includes(k) && flags[k] !== undefined && flags[k] !== FLAGS[k].default
    );
    if (given.length > 0) {
      throw new UsageError(
        `--resume continues a run with its saved configuration; it takes only ` +
          `${RESUME_FLAGS.filter((k) => k !== "resume").map((k) => `--${k}`).join(", ")} ` +
          `(got --${given[0]})`,
      );
    }
    runDir = resumeDir;
    try {
      config = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
    } catch (e) {
      throw new SaikiError(`--resume ${runDir}: cannot read config.json (${(e as Error).message})`);
    }
    if (flags.epochs !== undefined) config.epochs = flags.epochs as number;
    if (flags["data-dir"] !== undefined) config.dataDir = flags["data-dir"] as string;
  } else {
    config = resolveConfig(flags);
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    runDir = join(
      flags["runs-dir"] as string,
      (flags.name as string | undefined) ?? `${config.preset}-${stamp}`,
    );
  }
  const log = flags.quiet ? () => {} : io.log;
  const progressLine = flags.quiet ? undefined : io.progress;

  const data = await loadRunData(config);
  checkSizes(config, data);
  const V = data.words.length;
  const rng = new Rng(config.seed);
  const ckptPath = join(runDir, "checkpoint.safetensors");
  const metricsPath = join(runDir, "metrics.jsonl");
  let model: LanguageModel;
  let optimizer: Optimizer;
  let trainer: RnnlmTrainer;
  let progress: Progress = { bestValid: Infinity, lr: config.lr, epochLoss: 0, epochCount: 0 };
  let metrics: Metric[] = [];

  if (resumeDir !== undefined) {
    const ckpt = await loadCheckpoint(ckptPath);
    const saved = checkpointConfig(ckpt, ckptPath);
    const words: string[] = JSON.parse(ckpt.metadata.vocab ?? "[]");
    if (saved.vocabSize !== V || words.some((w, i) => w !== data.words[i])) {
      throw new SaikiError(`${ckptPath}: the checkpoint's vocabulary differs from the data's`);
    }
    model = modelFromCheckpoint(ckpt, { rng, where: ckptPath });
    optimizer = createOptimizer(config.optimizer, { lr: config.lr });
    const slots: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(ckpt.tensors)) {
      if (k.startsWith("optimizer.")) slots[k.slice("optimizer.".length)] = t as Tensor;
    }
    optimizer.loadState(slots, JSON.parse(ckpt.metadata.optimizer_state ?? "{}"));
    progress = JSON.parse(ckpt.metadata.progress);
    progress.bestValid ??= Infinity; // JSON has no Infinity: saved before any validation, null
    optimizer.lr = progress.lr;
    trainer = new RnnlmTrainer(model, optimizer);
    trainer.state = JSON.parse(ckpt.metadata.trainer) as TrainerState;
    rng.setState(JSON.parse(ckpt.metadata.rng));
    restoreRecurrentState(model, ckpt.tensors);
    metrics = readMetrics(metricsPath, trainer.state.step);
    await Deno.writeTextFile(metricsPath, metrics.map((m) => JSON.stringify(m) + "\n").join(""));
    log(`resuming ${runDir} at epoch ${trainer.state.epoch + 1}, iteration ${trainer.state.step}`);
  } else {
    if (await holdsFiles(runDir)) {
      throw new SaikiError(
        `${runDir} already holds a run; continue it with --resume ${runDir}, ` +
          `choose another --name, or delete the folder`,
      );
    }
    model = new LanguageModel(modelConfig(config, V), { rng });
    optimizer = createOptimizer(config.optimizer, { lr: config.lr });
    trainer = new RnnlmTrainer(model, optimizer);
    await Deno.mkdir(runDir, { recursive: true });
    await Deno.writeTextFile(metricsPath, "");
  }
  await Deno.writeTextFile(join(runDir, "config.json"), JSON.stringify(config, null, 2) + "\n");

  // Validate every epoch where the run has validation data and decays (the better preset) or
  // was given --valid.
  const validate = data.valid !== undefined && (config.decay || config.validCorpus !== undefined);
  if (config.decay && !validate) {
    data.notes.push("--decay has no validation data to watch: the learning rate stays fixed");
  }
  const xs = data.train.subarray(0, -1), ts = data.train.subarray(1);
  const maxIters = Math.floor(xs.length / (config.batch * config.time));
  const totalSteps = maxIters * config.epochs;
  const nParams = [...new Set(model.params)].reduce((n, p) => n + p.size, 0);
  log(
    `saiki: ${config.preset} | ${config.model} ×${config.layers} | V ${V} D ${config.wordvec} H ${config.hidden} | ` +
      `${(nParams / 1e6).toFixed(2)}M params | ${thousands(data.train.length)} train tokens | ` +
      `batch ${config.batch}×${config.time} | ${maxIters} iters/epoch | kernels ${kernels} | ` +
      `run ${runDir}`,
  );
  for (const note of data.notes) io.log(`note: ${note}`);

  const appendMetric = (m: Metric) => {
    metrics.push(m);
    Deno.writeTextFileSync(metricsPath, JSON.stringify(m) + "\n", { append: true });
  };
  const writeChart = () => {
    const train = metrics.filter((m) => m.kind === "train").map((m) => ({
      step: m.step,
      ppl: m.ppl as number,
    }));
    const valid = metrics.filter((m) => m.kind === "valid").map((m) => ({
      step: m.step,
      ppl: m.ppl as number,
    }));
    Deno.writeTextFileSync(
      join(runDir, "perplexity.svg"),
      perplexityChartSvg(train, {
        valid: valid.length > 0 ? valid : undefined,
        title: `perplexity — ${basename(runDir)} (${config.preset} preset)`,
      }),
    );
  };
  // Saves unless an update has made a parameter non-finite (then the loss of the next
  // iteration would be too): the file on disk always holds a usable state.
  let failed: string | undefined;
  const checkpoint = () => {
    if (!model.paramBuffer.data.every(Number.isFinite)) {
      failed ??= `the parameters became non-finite by iteration ${trainer.state.step}; ` +
        `stopped, and ${ckptPath} keeps the last good state (lower --lr or set --clip)`;
      return;
    }
    saveRun(ckptPath, model, optimizer, trainer, rng, data.words, config, progress);
    writeChart();
  };

  const sessionStart = performance.now();
  const sessionStartStep = trainer.state.step;
  let stopped = false;
  const stopAfter = flags["stop-after"] as number | undefined;
  let lastTokS = 0, lastPpl = NaN;
  /** Seconds since this session (the run, or its resumption) began. */
  const sinceStart = () => (performance.now() - sessionStart) / 1000;
  /** Seconds left, at this session's mean time per iteration. */
  const eta = (step: number) => {
    const perStep = (performance.now() - sessionStart) / 1000 /
      Math.max(step - sessionStartStep, 1);
    return perStep * (totalSteps - step);
  };
  // One epoch per call. The validating flow follows train_better_rnnlm.py, which calls fit once
  // per epoch, so each epoch reads the corpus from its start again; otherwise (train_rnnlm.py's
  // single fit call) the read position runs on across epochs. A stopped epoch resumes as it was.
  const fitEpoch = () =>
    trainer.fit(xs, ts, {
      maxEpoch: 1,
      resume: !validate || trainer.state.iter > 0,
      batchSize: config.batch,
      timeSize: config.time,
      maxGrad: config.clip > 0 ? config.clip : undefined,
      evalInterval: config.evalInterval,
      onReport(r) {
        lastTokS = r.tokensPerSec;
        lastPpl = r.ppl;
        appendMetric({
          kind: "train",
          step: r.step,
          epoch: r.epoch,
          iter: r.iter,
          ppl: r.ppl,
          lr: r.lr,
          grad_norm: r.gradNorm,
          tokens_per_sec: Math.round(r.tokensPerSec),
          elapsed: Math.round(sinceStart() * 10) / 10,
        });
        if (!progressLine) {
          log(
            `| epoch ${r.epoch} | iter ${r.iter} / ${r.maxIters} | time ${
              Math.floor(sinceStart())
            }[s] | perplexity ${r.ppl.toFixed(2)} | ${Math.round(r.tokensPerSec)} tok/s | ETA ${
              formatDuration(eta(r.step))
            }`,
          );
        }
      },
      onIteration({ epoch, iter, step, loss }) {
        if (!Number.isFinite(loss)) {
          failed = `the loss is ${loss} at iteration ${step} (epoch ${epoch}, iter ${iter}); ` +
            `stopped, and ${ckptPath} keeps the last good state (lower --lr or set --clip)`;
          return false;
        }
        progress.epochLoss += loss;
        progress.epochCount++;
        if (progressLine) {
          progressLine(
            `epoch ${epoch}/${config.epochs} | iter ${iter}/${maxIters} | ppl ${
              lastPpl.toFixed(2)
            } | ` +
              `${thousands(Math.round(lastTokS))} tok/s | ETA ${formatDuration(eta(step))}`,
          );
        }
        if (stopAfter !== undefined && step >= stopAfter) {
          stopped = true;
          checkpoint();
          return false;
        }
        if (config.saveEvery > 0 && step % config.saveEvery === 0 && iter < maxIters) {
          checkpoint();
          if (failed !== undefined) return false;
        }
      },
    });

  /** evalPerplexity with a progress line (or one log line when not on a terminal). */
  const evaluate = (split: string, ids: Int32Array) => {
    if (!progressLine) log(`evaluating ${split} perplexity …`);
    return evalPerplexity(model, ids, 10, 35, (done, total) => {
      if (progressLine && (done % 10 === 0 || done === total)) {
        progressLine(`evaluating ${split} perplexity: batch ${done}/${total}`);
      }
    });
  };

  while (trainer.state.epoch < config.epochs && failed === undefined && !stopped) {
    fitEpoch();
    if (failed !== undefined || stopped) break;
    const epoch = trainer.state.epoch;
    const epochPpl = Math.exp(progress.epochLoss / Math.max(progress.epochCount, 1));
    progress.epochLoss = 0;
    progress.epochCount = 0;
    appendMetric({ kind: "epoch", step: trainer.state.step, epoch, ppl: epochPpl });
    log(`| epoch ${epoch} | perplexity ${epochPpl.toFixed(2)} | lr ${optimizer.lr}`);
    if (validate) {
      model.resetState(); // as the reference: validate from a zero state, then train on from one
      const ppl = evaluate("valid", data.valid!);
      appendMetric({ kind: "valid", step: trainer.state.step, epoch, ppl });
      log(`| epoch ${epoch} | valid perplexity ${ppl.toFixed(2)}`);
      if (ppl < progress.bestValid) {
        progress.bestValid = ppl;
        saveRun(
          join(runDir, "best.safetensors"),
          model,
          optimizer,
          trainer,
          rng,
          data.words,
          config,
          progress,
        );
      } else if (config.decay) {
        optimizer.lr /= 4;
        progress.lr = optimizer.lr;
        log(`| valid perplexity got worse: lr ÷ 4 → ${optimizer.lr}`);
      }
      model.resetState();
    }
    checkpoint();
  }
  if (failed !== undefined) {
    writeChart();
    io.log(`error: ${failed}`);
    return 1;
  }
  if (stopped) {
    io.log(`stopped after iteration ${trainer.state.step}; continue with --resume ${runDir}`);
    return 0;
  }
  const seconds = (performance.now() - sessionStart) / 1000;
  io.log(
    `trained ${trainer.state.step - sessionStartStep} iterations in ${formatDuration(seconds)}`,
  );
  if (data.test) {
    if (validate && Number.isFinite(progress.bestValid)) {
      const best = await loadCheckpoint(join(runDir, "best.safetensors"));
      const bestModel = modelFromCheckpoint(best);
      bestModel.params.forEach((p, i) => model.params[i].data.set(p.data));
      io.log(`restored the best parameters (valid perplexity ${progress.bestValid.toFixed(2)})`);
    }
    model.resetState();
    const ppl = evaluate("test", data.test);
    appendMetric({ kind: "test", step: trainer.state.step, ppl });
    io.log(`test perplexity: ${ppl.toFixed(2)}`);
    model.resetState();
  }
  writeChart();
  io.log(
    `run folder: ${runDir} (config.json, metrics.jsonl, checkpoint.safetensors, ` +
      `${validate ? "best.safetensors, " : ""}perplexity.svg)`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
