/**
 * Writes a trained language model in another framework's form:
 *
 * - `deno task export runs/<name> --to torch [--out FILE]` writes a safetensors file of
 *   `examples/torch/rnnlm.py`'s `RnnLM` state dict (`lib/models/torch_export.ts` says what
 *   goes where), with the model's shape and vocabulary as metadata; by default
 *   `runs/<name>/torch.safetensors`.
 * - `deno task export runs/<name> --to onnx [--no-states] [--out FILE]` writes an ONNX model
 *   for ONNX Runtime (`lib/models/onnx_export.ts`: inputs `ids`, `h0`, `c0`, outputs `logits`,
 *   `hn`, `cn`); by default `runs/<name>/model.onnx`.
 *
 * @module
 */

import { SaikiError } from "../lib/errors.ts";
import { loadCheckpoint, saveCheckpoint } from "../lib/io/checkpoint.ts";
import { decodeSafetensors } from "../lib/models/safetensors.ts";
import { ONNX_FORMAT, ONNX_OPSET, readOnnxInfo, toOnnx } from "../lib/models/onnx_export.ts";
import { TORCH_FORMAT, toTorchStateDict } from "../lib/models/torch_export.ts";
import { writeFileAtomic } from "../lib/io/atomic.ts";
import { modelFromCheckpoint } from "../lib/train/checkpoint.ts";
import { type Flags, type FlagSpec, UsageError } from "../lib/std/cli.ts";
import { runScript } from "./_run.ts";
import { join, resolve } from "../lib/std/path.ts";
import { defaultIO, type ScriptIO } from "./_io.ts";

/** The command line. */
export const FLAGS: Record<string, FlagSpec> = {
  to: {
    type: "string",
    help: "what to write: torch (a state dict of examples/torch/rnnlm.py's RnnLM) or onnx " +
      "(an ONNX model for ONNX Runtime)",
    choices: ["torch", "onnx"],
  },
  out: {
    type: "string",
    help: "the file to write (default: torch.safetensors or model.onnx in the run folder, or " +
      "NAME.torch.safetensors or NAME.onnx beside a checkpoint file)",
  },
  states: {
    type: "boolean",
    help: "onnx: take the initial states h0 (and c0) as inputs, for generation step by step; " +
      "--no-states: ids alone, from zero states",
    default: true,
  },
  best: {
    type: "boolean",
    help: "use best.safetensors of a run folder when there is one",
    default: true,
  },
  help: { type: "boolean", help: "show this help", default: false },
};

const USAGE = "deno task export RUN_DIR|CHECKPOINT --to torch|onnx [--out FILE]";

/** `path`'s kind, or `undefined` when nothing is there. */
async function kind(path: string): Promise<Deno.FileInfo | undefined> {
  return await Deno.stat(path).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  });
}

/** The `format` of an export `--to` writes: safetensors metadata, or ONNX `metadata_props`. */
function exportFormat(bytes: Uint8Array, to: string): string | undefined {
  try {
    return to === "onnx"
      ? readOnnxInfo(bytes).metadata.format
      : decodeSafetensors(bytes).metadata.format;
  } catch {
    return undefined;
  }
}

/**
 * Refuses to write over a file this command did not write (a checkpoint, your data): an
 * existing `out` must be an export of the same kind (`format` `saiki-torch/1` or
 * `saiki-onnx/1`).
 */
async function checkOverwrite(out: string, input: string, to: string): Promise<void> {
  if (resolve(out) === resolve(input)) {
    throw new SaikiError(`--out ${out} is the checkpoint being exported: choose another file`);
  }
  const info = await Deno.lstat(out).catch(() => undefined);
  if (info === undefined) return;
  const format = info.isFile ? exportFormat(await Deno.readFile(out), to) : undefined;
  if (format !== (to === "onnx" ? ONNX_FORMAT : TORCH_FORMAT)) {
    throw new SaikiError(
      `--out ${out} exists and is not ${to === "onnx" ? "an ONNX" : "a torch"} export saiki ` +
        `wrote: choose another file (nothing was changed)`,
    );
  }
}

/**
 * Runs the command line; returns the exit code. Results go to `io.log`, errors (one line, and
 * the usage for a bad command line) to `error`.
 */
export function main(
  args: string[],
  io: ScriptIO = defaultIO(),
  error: (line: string) => void = console.error,
): Promise<number> {
  return runScript(
    args,
    io,
    {
      usage: USAGE,
      flags: FLAGS,
      args: { count: 1, what: "one run folder or checkpoint file" },
      permissions: "(deno task export writes only under runs/; for --out elsewhere run deno run " +
        "--allow-read --allow-write=FILE scripts/export.ts ...)",
    },
    (flags) => exportRun(flags, io, error),
    error,
  );
}

async function exportRun(
  flags: Flags,
  io: ScriptIO,
  error: (line: string) => void,
): Promise<number> {
  if (flags.to === undefined) {
    throw new UsageError("--to is missing: say what to write (torch or onnx)");
  }
  const given = flags._[0];
  let path = given;
  const isDir = (await kind(given))?.isDirectory ?? false;
  if (isDir) {
    const best = join(given, "best.safetensors");
    path = flags.best && await kind(best) ? best : join(given, "checkpoint.safetensors");
  }
  const ckpt = await loadCheckpoint(path);
  const model = modelFromCheckpoint(ckpt, { where: path });
  let vocab: string[] | undefined;
  if (ckpt.metadata.vocab !== undefined) {
    try {
      vocab = JSON.parse(ckpt.metadata.vocab);
    } catch {
      throw new SaikiError(`${path}: metadata "vocab" is not valid JSON`);
    }
  } else {
    error(
      `note: ${path} carries no vocabulary; the export has none either (import it with --vocab)`,
    );
  }
  const base = given.replace(/\.safetensors$/, "");
  if (flags.to === "onnx") {
    const out = (flags.out as string | undefined) ??
      (isDir ? join(given, "model.onnx") : `${base}.onnx`);
    await checkOverwrite(out, path, "onnx");
    const states = flags.states as boolean;
    writeFileAtomic(out, toOnnx(model, { vocab, initialStates: states }));
    const { cell, layers: L, hiddenSize: H, vocabSize: V } = model.config;
    const lstm = cell === "lstm";
    io.log(
      `wrote ${out} from ${path}: ONNX opset ${ONNX_OPSET}, ${L} ${cell.toUpperCase()} layer${
        L > 1 ? "s" : ""
      }, V ${V}, H ${H}`,
    );
    io.log(
      `inputs: ids int64 (N, T)${
        states ? `, ${lstm ? "h0, c0" : "h0"} float (${L}, N, ${H})` : ""
      }; outputs: logits (N, T, ${V}), ${lstm ? "hn, cn" : "hn"} (${L}, N, ${H})`,
    );
    return 0;
  }
  const { tensors, metadata } = toTorchStateDict(model, { vocab });
  const out = (flags.out as string | undefined) ??
    (isDir ? join(given, "torch.safetensors") : `${base}.torch.safetensors`);
  await checkOverwrite(out, path, "torch");
  saveCheckpoint(out, tensors, metadata);
  const c = JSON.parse(metadata.torch_config);
  const args = Object.entries(c).map(([k, v]) =>
    `${k}=${typeof v === "boolean" ? (v ? "True" : "False") : JSON.stringify(v)}`
  );
  io.log(`wrote ${out} from ${path}: RnnLM(${args.join(", ")})`);
  io.log(
    `load it in Python: RnnLM.from_safetensors("${out}") (examples/torch/rnnlm.py)` +
      (vocab === undefined ? "" : `, the words by id: read_vocab("${out}")`),
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
