/**
 * A language model as a PyTorch state dict and back: the tensors of `examples/torch/rnnlm.py`'s
 * `RnnLM` (`embed` an `nn.Embedding`, `rnn` an `nn.LSTM`, an `nn.RNN` or the book's GRU,
 * `out` an `nn.Linear`), which `model.load_state_dict(safetensors.torch.load_file(path))`
 * loads. Pure (no I/O, browser-safe): `deno task export --to torch` and
 * `deno task import-torch` read and write the files.
 *
 * | torch key (`l` = 0 … L−1) | shape       | saiki                                            |
 * | ------------------------- | ----------- | ------------------------------------------------ |
 * | `embed.weight`            | `(V, D)`    | `embed_W` as it is                               |
 * | `rnn.weight_ih_l{l}`      | `(G·H, in)` | `Wx (in, G·H)` transposed, gate blocks reordered |
 * | `rnn.weight_hh_l{l}`      | `(G·H, H)`  | `Wh (H, G·H)` transposed, gate blocks reordered  |
 * | `rnn.bias_ih_l{l}`        | `(G·H)`     | `b`, gate blocks reordered                       |
 * | `rnn.bias_hh_l{l}`        | `(G·H)`     | zeros on export; import adds it to `bias_ih`     |
 * | `out.weight`              | `(V, H)`    | `affine_W (H, V)` transposed; absent when tied   |
 * | `out.bias`                | `(V)`       | `affine_b`                                       |
 *
 * `G` is 4 for the LSTM, 1 for the RNN, 3 for the GRU; `in` is `D` for layer 0 and `H` above.
 * saiki packs an LSTM's gates `f, g, i, o` (the book's order), PyTorch `i, f, g, o`.
 *
 * The GRU: `torch.nn.GRU` applies the reset gate after the hidden-state product (ONNX's
 * `linear_before_reset = 1`), the book before it, and no setting of `nn.GRU` computes the
 * book's cell. `RnnLM(cell="gru")` uses the example's `BookGRU` instead, which computes the
 * book's equations with `nn.GRU`'s parameter names, gate blocks in the book's order `z, r, ĥ`
 * (`bias_hh`'s `ĥ` block added outside the reset, `b` = `bias_ih` + `bias_hh` as for the other
 * cells). Since a state dict of `nn.GRU` has the same keys and shapes, a GRU is imported only
 * when the metadata says it is `RnnLM`'s (`torch_config` with `"cell": "gru"`): files saiki
 * exported and `RnnLM.save_safetensors` wrote carry it.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { type IntTensor, Tensor } from "../tensor.ts";
import { gateBlocks, gateRows } from "./_gates.ts";
import { CELL_GATES, type CellKind, LanguageModel, type LanguageModelConfig } from "./rnnlm.ts";

/**
 * The `format` metadata of a file {@linkcode toTorchStateDict} makes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rnnlm, toTorchStateDict, TORCH_FORMAT } from "../../mod.ts";
 * assert.equal(toTorchStateDict(new Rnnlm(10, 4, 4)).metadata.format, TORCH_FORMAT);
 * ```
 */
export const TORCH_FORMAT = "saiki-torch/1";

/**
 * The keyword arguments of `examples/torch/rnnlm.py`'s `RnnLM` that build a model's shape:
 * the `torch_config` metadata, JSON.
 */
export interface TorchConfig {
  /** The recurrent cell. */
  cell: CellKind;
  /** `V`. */
  vocab_size: number;
  /** `D`. */
  wordvec_size: number;
  /** `H`. */
  hidden_size: number;
  /** `L`. */
  num_layers: number;
  /** Dropout ratio after the embedding, between the layers and after the last. */
  dropout: number;
  /** Whether `out.weight` is `embed.weight`. */
  tied: boolean;
}

/** Tensors under `RnnLM`'s state-dict keys and the file's metadata (strings). */
export interface TorchStateDict {
  /** `embed.weight`, `rnn.weight_ih_l0`, …, `out.bias`: float32, fresh arrays. */
  tensors: Record<string, Tensor>;
  /** `format`, `torch_config` and, when known, `vocab` (the words by id, JSON). */
  metadata: Record<string, string>;
}

/** Options of {@linkcode toTorchStateDict}. */
export interface ToTorchOptions {
  /** The words by id, stored as the `vocab` metadata (length `V`). */
  vocab?: readonly string[];
}

/**
 * Where each of torch's gate blocks comes from in saiki's packing: torch block `k` is saiki
 * block `TORCH_GATES[cell][k]`. LSTM: torch `i, f, g, o` from saiki `f, g, i, o`; the RNN
 * has one block; the GRU keeps the book's `z, r, ĥ` (see the module doc).
 */
const TORCH_GATES: Readonly<Record<CellKind, readonly number[]>> = {
  lstm: [2, 0, 1, 3],
  rnn: [0],
  gru: [0, 1, 2],
};

/** What torch's gate blocks are, for error messages. */
const GATE_NAMES: Readonly<Record<CellKind, string>> = {
  lstm: "G = 4, gates i, f, g, o",
  rnn: "G = 1",
  gru: "G = 3, gates z, r, ĥ in the book's order",
};

/** `(V, H)` ← `affine_W (H, V)`. */
function transpose(W: Tensor): Tensor {
  const [rows, cols] = W.shape, src = W.data, out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  }
  return new Tensor(out, [cols, rows]);
}

/** The `torch_config` of a saiki configuration. */
function torchConfig(config: LanguageModelConfig): TorchConfig {
  return {
    cell: config.cell,
    vocab_size: config.vocabSize,
    wordvec_size: config.wordvecSize,
    hidden_size: config.hiddenSize,
    num_layers: config.layers,
    dropout: config.dropout,
    tied: config.tieWeights,
  };
}

/**
 * A model's parameters as `examples/torch/rnnlm.py`'s `RnnLM` state dict (see the module doc
 * for the keys, shapes and gate order), with `format`, `torch_config` and, when given,
 * `vocab` metadata. The tensors are copies: the model is not changed, and later training
 * does not change them. Write them with `saveCheckpoint` (`./lib/io/mod.ts`) or
 * {@linkcode encodeSafetensors}; {@linkcode fromTorchStateDict} reads them back bit for bit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BetterRnnlm, encodeSafetensors, toTorchStateDict } from "../../mod.ts";
 * const model = new BetterRnnlm(20, 8, 8, 0.5); // 2 LSTM layers, tied
 * const { tensors, metadata } = toTorchStateDict(model);
 * assert.deepEqual(Object.keys(tensors), [
 *   "embed.weight",
 *   "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
 *   "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
 *   "out.bias", // tied: out.weight is embed.weight, which RnnLM fills in on loading
 * ]);
 * assert.deepEqual(tensors["rnn.weight_ih_l0"].shape, [32, 8]); // (4H, D), gates i, f, g, o
 * // torch's input gate i is saiki's third block: lstm_Wx1[:, 2H:3H] transposed
 * assert.equal(tensors["rnn.weight_ih_l0"].data[0], model.params[1].data[16]);
 * assert.deepEqual(JSON.parse(metadata.torch_config), { cell: "lstm", vocab_size: 20,
 *   wordvec_size: 8, hidden_size: 8, num_layers: 2, dropout: 0.5, tied: true });
 * const bytes = encodeSafetensors(tensors, metadata); // what torch's load_file reads
 * assert(bytes.length > 0);
 * ```
 */
export function toTorchStateDict(model: LanguageModel, options?: ToTorchOptions): TorchStateDict {
  if (!(model instanceof LanguageModel)) {
    throw new SaikiError(
      `toTorchStateDict: model is not a LanguageModel (Rnnlm, BetterRnnlm, new LanguageModel(…))`,
    );
  }
  const config = model.config, { cell, hiddenSize: H, layers: L, vocabSize: V } = config;
  const vocab = options?.vocab;
  if (vocab !== undefined) checkVocab(vocab, V, "toTorchStateDict: vocab");
  const named = model.namedParams();
  const suffix = (l: number) => L === 1 ? "" : `${l + 1}`;
  const tensors: Record<string, Tensor> = { "embed.weight": named.embed_W.clone() };
  for (let l = 0; l < L; l++) {
    const Wx = named[`${cell}_Wx${suffix(l)}`], Wh = named[`${cell}_Wh${suffix(l)}`];
    const b = named[`${cell}_b${suffix(l)}`];
    tensors[`rnn.weight_ih_l${l}`] = gateRows(Wx, TORCH_GATES[cell], H);
    tensors[`rnn.weight_hh_l${l}`] = gateRows(Wh, TORCH_GATES[cell], H);
    tensors[`rnn.bias_ih_l${l}`] = gateBlocks(b, TORCH_GATES[cell], H);
    tensors[`rnn.bias_hh_l${l}`] = new Tensor(new Float32Array(b.data.length), [b.data.length]);
  }
  if (!config.tieWeights) tensors["out.weight"] = transpose(named.affine_W);
  tensors["out.bias"] = named.affine_b.clone();
  const metadata: Record<string, string> = {
    format: TORCH_FORMAT,
    torch_config: JSON.stringify(torchConfig(config)),
  };
  if (vocab !== undefined) metadata.vocab = JSON.stringify(vocab);
  return { tensors, metadata };
}

/** Options of {@linkcode fromTorchStateDict}. */
export interface FromTorchOptions {
  /**
   * The file's metadata: `torch_config` (checked against the shapes; gives the dropout ratio
   * and says a GRU is the book's), `vocab`, `format`.
   */
  metadata?: Record<string, string>;
  /** The words by id, instead of the metadata's `vocab`. */
  vocab?: readonly string[];
  /** Prefix of error messages, e.g. the file's path (default `"torch state dict"`). */
  where?: string;
}

/** What {@linkcode fromTorchStateDict} rebuilds. */
export interface TorchImport {
  /** The model, its parameters copied from the tensors. */
  model: LanguageModel;
  /** The words by id (`options.vocab`, else the metadata's `vocab`), or `undefined`. */
  vocab: string[] | undefined;
}

function checkVocab(vocab: unknown, V: number, where: string): string[] {
  if (!Array.isArray(vocab) || !vocab.every((w) => typeof w === "string")) {
    throw new SaikiError(`${where} is not a list of words`);
  }
  if (vocab.length !== V) {
    throw new SaikiError(
      `${where} has ${vocab.length} words, but the model's vocabulary (embed.weight) has ${V}`,
    );
  }
  const seen = new Set<string>();
  for (const w of vocab) {
    if (seen.has(w)) throw new SaikiError(`${where} lists the word ${JSON.stringify(w)} twice`);
    seen.add(w);
  }
  return [...vocab];
}

const KEY = /^rnn\.(weight_ih|weight_hh|bias_ih|bias_hh)_l(0|[1-9]\d*)$/;

/** Why a key `RnnLM` does not have was given, when it is a known PyTorch option. */
function unknownKeyHint(name: string): string {
  if (/^rnn\..*_reverse$/.test(name)) {
    return " (a bidirectional layer's: a language model reads one way)";
  }
  if (/^rnn\.weight_hr_l/.test(name)) return " (an LSTM with proj_size: saiki's has none)";
  return "";
}

function parseTorchConfig(text: string, where: string): TorchConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SaikiError(`${where}: metadata "torch_config" is not valid JSON`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new SaikiError(`${where}: metadata "torch_config" is not an object`);
  }
  const c = value as Record<string, unknown>;
  const fields: Record<string, [string, (v: unknown) => boolean]> = {
    cell: ['"lstm", "rnn" or "gru"', (v) => typeof v === "string" && Object.hasOwn(CELL_GATES, v)],
    vocab_size: ["an integer >= 1", (v) => Number.isSafeInteger(v) && (v as number) >= 1],
    wordvec_size: ["an integer >= 1", (v) => Number.isSafeInteger(v) && (v as number) >= 1],
    hidden_size: ["an integer >= 1", (v) => Number.isSafeInteger(v) && (v as number) >= 1],
    num_layers: ["an integer >= 1", (v) => Number.isSafeInteger(v) && (v as number) >= 1],
    dropout: ["a ratio in [0, 1)", (v) => typeof v === "number" && v >= 0 && v < 1],
    tied: ["true or false", (v) => typeof v === "boolean"],
  };
  for (const [key, [expected, ok]] of Object.entries(fields)) {
    if (!ok(c[key])) {
      throw new SaikiError(
        `${where}: metadata "torch_config": "${key}" is ${
          JSON.stringify(c[key]) ?? "missing"
        }, expected ${expected}`,
      );
    }
  }
  return c as unknown as TorchConfig;
}

/**
 * Rebuilds a saiki model from `RnnLM`'s state dict (see the module doc), sizes read from the
 * tensors' shapes: `V, D` from `embed.weight`, `H` and the cell from `rnn.weight_hh_l0`
 * (`(4H, H)` an LSTM, `(H, H)` an RNN, `(3H, H)` the book's GRU, taken only with metadata
 * saying so), the layers from how many `rnn.weight_ih_l{l}` there are; tied when `out.weight`
 * is absent or bit for bit `embed.weight`. The metadata's `torch_config`, when given, must
 * agree with the shapes (it decides tying and gives the dropout ratio, else 0).
 *
 * `b` is `bias_ih + bias_hh` in float32; where `bias_hh` is zero (as an export writes it)
 * `b` is `bias_ih` as it is, so export → import gives the parameters back bit for bit.
 *
 * Every tensor is checked before the model is built: a missing, unknown, non-float or
 * non-finite tensor, or a shape that does not fit, is a {@linkcode SaikiError} naming the key
 * and the shape expected.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromTorchStateDict, LanguageModel, toTorchStateDict } from "../../mod.ts";
 * const model = new LanguageModel({ vocabSize: 12, wordvecSize: 4, hiddenSize: 6,
 *   cell: "rnn", layers: 2, dropout: 0, tieWeights: false });
 * const words = Array.from({ length: 12 }, (_, i) => `w${i}`);
 * const { tensors, metadata } = toTorchStateDict(model, { vocab: words });
 * const back = fromTorchStateDict(tensors, { metadata });
 * assert.deepEqual(back.model.config, model.config);
 * assert.deepEqual(back.model.paramBuffer.data, model.paramBuffer.data); // bit for bit
 * assert.deepEqual(back.vocab, words);
 * // without metadata the shapes alone tell the sizes; bad input names the key
 * assert.deepEqual(fromTorchStateDict(tensors).model.config, model.config);
 * delete tensors["rnn.bias_hh_l1"];
 * assert.throws(() => fromTorchStateDict(tensors, { where: "lm.safetensors" }),
 *   /lm.safetensors: tensor "rnn.bias_hh_l1" is missing: expected shape \[6\]/);
 * ```
 */
export function fromTorchStateDict(
  tensors: Record<string, Tensor | IntTensor>,
  options?: FromTorchOptions,
): TorchImport {
  options ??= {};
  const where = options.where ?? "torch state dict";
  const metadata = options.metadata ?? {};
  if (tensors === null || typeof tensors !== "object") {
    throw new SaikiError(`${where}: tensors is not an object of named tensors`);
  }
  const format = metadata.format;
  // "pt": what Hugging Face's tools write for PyTorch tensors
  if (format !== undefined && format !== TORCH_FORMAT && format !== "pt") {
    throw new SaikiError(
      format === "saiki-lm/1"
        ? `${where} is a saiki checkpoint (format "saiki-lm/1"), not a torch state dict: ` +
          `deno task generate reads it as it is`
        : `${where}: metadata "format" is ${JSON.stringify(format)}, expected "${TORCH_FORMAT}"`,
    );
  }
  const declared = metadata.torch_config === undefined
    ? undefined
    : parseTorchConfig(metadata.torch_config, where);

  // a shape's sizes are numbers, or names where any size fits ("V", "D")
  const get = (name: string, shape: (number | string)[], meaning: string): Tensor => {
    const want = shape.join(", ");
    const t = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
    if (t === undefined) {
      throw new SaikiError(
        `${where}: tensor "${name}" is missing: expected shape [${want}] (${meaning})`,
      );
    }
    if (!(t instanceof Tensor)) {
      throw new SaikiError(`${where}: tensor "${name}" is int32, expected float32 (${meaning})`);
    }
    const fits = (d: number, i: number) => typeof shape[i] === "string" || d === shape[i];
    if (t.shape.length !== shape.length || !t.shape.every(fits)) {
      throw new SaikiError(
        `${where}: tensor "${name}" has shape [${t.shape.join(", ")}], expected [${want}] ` +
          `(${meaning})`,
      );
    }
    return t;
  };

  const embed = get("embed.weight", ["V", "D"], "nn.Embedding's weight");
  const [V, D] = embed.shape;
  const hh0 = get("rnn.weight_hh_l0", ["G·H", "H"], "G = 4 for an LSTM, 1 for an RNN, 3 for a GRU");
  const H = hh0.shape[1];
  const ratio = H > 0 && hh0.shape[0] % H === 0 ? hh0.shape[0] / H : NaN;
  const cell = ratio === 4 ? "lstm" : ratio === 1 ? "rnn" : ratio === 3 ? "gru" : undefined;
  if (cell === undefined) {
    throw new SaikiError(
      `${where}: tensor "rnn.weight_hh_l0" has shape [${hh0.shape.join(", ")}], expected ` +
        `[4H, H] (an LSTM), [H, H] (an RNN) or [3H, H] (the book's GRU)`,
    );
  }
  if (cell === "gru" && declared?.cell !== "gru") {
    throw new SaikiError(
      `${where}: tensor "rnn.weight_hh_l0" has shape [${hh0.shape.join(", ")}], a GRU's, and ` +
        `no metadata says it is the book's: torch.nn.GRU applies the reset gate after the ` +
        `hidden-state product, the book (and saiki) before it, so nn.GRU's parameters would ` +
        `compute something else; a file saved by examples/torch/rnnlm.py's RnnLM ` +
        `(save_safetensors) or exported by saiki says so in its torch_config`,
    );
  }
  const G = CELL_GATES[cell] * H;

  let L = 0;
  for (const name of Object.keys(tensors)) {
    const m = KEY.exec(name);
    if (m !== null && m[1] === "weight_ih") L = Math.max(L, Number(m[2]) + 1);
  }
  const allowed = new Set(["embed.weight", "out.weight", "out.bias"]);
  for (let l = 0; l < L; l++) {
    for (const p of ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]) allowed.add(`rnn.${p}_l${l}`);
  }
  for (const name of Object.keys(tensors)) {
    if (allowed.has(name)) continue;
    const m = KEY.exec(name);
    if (m !== null && L > 0) {
      throw new SaikiError(
        `${where}: tensor "${name}" belongs to layer ${m[2]}, but rnn.weight_ih_l${m[2]} is ` +
          `missing (expected shape [${G}, ${H}])`,
      );
    }
    if (m === null) {
      throw new SaikiError(
        `${where}: unknown tensor "${name}"${unknownKeyHint(name)}: RnnLM has embed.weight, ` +
          `rnn.weight_ih_l<l>, rnn.weight_hh_l<l>, rnn.bias_ih_l<l>, rnn.bias_hh_l<l>, ` +
          `out.weight (unless tied) and out.bias`,
      );
    }
  }
  if (L === 0) get("rnn.weight_ih_l0", [G, D], `layer 0: G·H × D, ${GATE_NAMES[cell]}`);

  const layers: Tensor[][] = [];
  for (let l = 0; l < L; l++) {
    const input = l === 0 ? D : H, gates = GATE_NAMES[cell];
    layers.push([
      get(`rnn.weight_ih_l${l}`, [G, input], `layer ${l}: G·H × ${l === 0 ? "D" : "H"}, ${gates}`),
      get(`rnn.weight_hh_l${l}`, [G, H], `layer ${l}: G·H × H, ${gates}`),
      get(`rnn.bias_ih_l${l}`, [G], `layer ${l}: G·H, ${gates}`),
      get(`rnn.bias_hh_l${l}`, [G], `layer ${l}: G·H, ${gates}`),
    ]);
  }
  const outB = get("out.bias", [V], "nn.Linear's bias: V");
  const hasOut = Object.hasOwn(tensors, "out.weight");
  const outW = hasOut ? get("out.weight", [V, H], "nn.Linear's weight: V × H") : undefined;
  if (outW === undefined && D !== H) {
    throw new SaikiError(
      `${where}: tensor "out.weight" is missing: expected shape [${V}, ${H}] (nn.Linear's ` +
        `weight: V × H); tied weights, which leave it out, need wordvec == hidden, here ${D} ` +
        `and ${H}`,
    );
  }
  // tied: out.weight left out, or bit for bit embed.weight (unless the metadata says untied)
  const sameAsEmbed = outW !== undefined && D === H && bitsEqual(outW.data, embed.data);
  const tied = declared?.tied ?? (outW === undefined || sameAsEmbed);
  if (tied && outW !== undefined && !sameAsEmbed) {
    throw new SaikiError(
      `${where}: metadata "torch_config" says tied, but tensor "out.weight" differs from ` +
        `"embed.weight"`,
    );
  }
  if (!tied && outW === undefined) {
    get("out.weight", [V, H], "nn.Linear's weight: V × H; torch_config says untied");
  }
  if (declared !== undefined) {
    const found = { cell, vocab_size: V, wordvec_size: D, hidden_size: H, num_layers: L };
    for (const [key, value] of Object.entries(found)) {
      const said = declared[key as keyof TorchConfig];
      if (said !== value) {
        throw new SaikiError(
          `${where}: metadata "torch_config" says ${key} ${JSON.stringify(said)}, the ` +
            `tensors' shapes ${JSON.stringify(value)}`,
        );
      }
    }
  }

  const used = [embed, ...layers.flat(), outB, ...(outW !== undefined && !tied ? [outW] : [])];
  for (const t of used) {
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      const name = Object.keys(tensors).find((k) => tensors[k] === t);
      throw new SaikiError(
        `${where}: tensor "${name}" holds ${t.data[bad]} at index ${bad}: a model with ` +
          `non-finite parameters cannot be used`,
      );
    }
  }

  let vocab: string[] | undefined;
  if (options.vocab !== undefined) vocab = checkVocab(options.vocab, V, `${where}: vocab`);
  else if (metadata.vocab !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(metadata.vocab);
    } catch {
      throw new SaikiError(`${where}: metadata "vocab" is not valid JSON`);
    }
    vocab = checkVocab(parsed, V, `${where}: metadata "vocab"`);
  }

  const config: LanguageModelConfig = {
    vocabSize: V,
    wordvecSize: D,
    hiddenSize: H,
    cell,
    layers: L,
    dropout: declared?.dropout ?? 0,
    tieWeights: tied,
  };
  const params: Tensor[] = [embed.clone()];
  for (const [wIh, wHh, bIh, bHh] of layers) {
    params.push(fromTorchWeight(wIh, cell, H), fromTorchWeight(wHh, cell, H));
    params.push(fromTorchBias(bIh, bHh, cell, H));
  }
  if (!tied) params.push(transpose(outW!));
  params.push(outB.clone());
  try {
    return { model: new LanguageModel(config, { params }), vocab };
  } catch (e) {
    throw new SaikiError(`${where}: ${(e as Error).message}`);
  }
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** `(G·H, rows)`, torch's packing → `(rows, G·H)`, saiki's. */
function fromTorchWeight(W: Tensor, cell: CellKind, H: number): Tensor {
  const [width, rows] = W.shape, src = W.data, out = new Float32Array(rows * width);
  TORCH_GATES[cell].forEach((to, k) => {
    for (let j = 0; j < H; j++) {
      const s = (k * H + j) * rows, col = to * H + j;
      for (let r = 0; r < rows; r++) out[r * width + col] = src[s + r];
    }
  });
  return new Tensor(out, [rows, width]);
}

/**
 * saiki's one bias from torch's two, blocks reordered: `bias_ih + bias_hh` rounded to float32
 * (a sum of two float32s is exact in float64, so this is float32 addition), and `bias_ih` as
 * it is where `bias_hh` is zero, which keeps a `-0` (`-0 + 0` is `+0`).
 */
function fromTorchBias(bIh: Tensor, bHh: Tensor, cell: CellKind, H: number): Tensor {
  const a = bIh.data, c = bHh.data, out = new Float32Array(a.length);
  TORCH_GATES[cell].forEach((to, k) => {
    for (let j = 0; j < H; j++) {
      const s = k * H + j;
      out[to * H + j] = c[s] === 0 ? a[s] : a[s] + c[s];
    }
  });
  return new Tensor(out, [a.length]);
}
