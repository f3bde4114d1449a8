/**
 * A language model as an ONNX model, for ONNX Runtime (servers, browsers, phones): the graph
 * uses ONNX's own `LSTM`, `GRU` and `RNN` operators, so a runtime runs its fast kernels, and
 * the bytes are written here (ONNX files are Protocol Buffers; `./_protobuf.ts` is the
 * encoder). Pure (no I/O, browser-safe): `deno task export --to onnx` writes the file.
 *
 * The graph (opset {@linkcode ONNX_OPSET}, inference: no dropout):
 *
 * ```text
 * inputs   ids  int64 (N, T)    word ids
 *          h0   float (L, N, H) the hidden state to start from   (unless initialStates: false)
 *          c0   float (L, N, H) the LSTM's memory cell, likewise (LSTM only)
 * graph    x = Gather(embed.weight, idsᵀ)                      (T, N, D)
 *          for l in 0 … L−1:  x, h_l, c_l = LSTM|GRU|RNN(x, W_l, R_l, B_l, h0[l], c0[l])
 *          logits = xᵀ · W_out + b_out                          (N, T, V)
 * outputs  logits float (N, T, V)
 *          hn     float (L, N, H)   the final states: feed them back as h0 (and cn as c0)
 *          cn     float (L, N, H)   (LSTM only)
 * ```
 *
 * The weights in ONNX's packing, `W_l (1, G·H, in)`, `R_l (1, G·H, H)`, `B_l (1, 2·G·H)` (the
 * input biases, then the recurrent ones, which are zeros: saiki has one bias):
 *
 * | cell | ONNX gate blocks | from saiki's blocks                                       |
 * | ---- | ---------------- | --------------------------------------------------------- |
 * | LSTM | `i, o, f, c`     | `f, g, i, o`: blocks 2, 3, 0, 1                           |
 * | GRU  | `z, r, h`        | `z, r, ĥ` with `z`'s weights and bias negated (see below) |
 * | RNN  | one              | one                                                       |
 *
 * The GRU is ONNX's with `linear_before_reset = 0`, the book's cell: the reset gate acts before
 * the recurrent product, `ĥ = tanh(x·Wxh + (r⊙h)·Whh + bh)`. ONNX's update gate weighs the old
 * state, `h' = (1 − z′)⊙ĥ + z′⊙h`, the book's the new one, `h' = (1 − z)⊙h + z⊙ĥ`; so
 * `z′ = 1 − z = σ(−a)`, and the exporter negates `z`'s weights and bias.
 *
 * The initial states are optional in the export: with `h0`, `c0` as inputs (the default) a
 * caller starts from zeros or from any state, and generates step by step by running `T = 1`
 * and feeding `hn`, `cn` back as `h0`, `c0`; with `initialStates: false` the graph takes `ids`
 * alone and starts from zeros. (An input with a default value, an initializer of the same
 * name, would be neater, but ONNX Runtime's JavaScript bindings feed only the inputs without
 * one and silently drop the rest.)
 *
 * The model's metadata (`metadata_props`): `format` ({@linkcode ONNX_FORMAT}), `config`
 * (saiki's `LanguageModelConfig`, JSON) and, when given, `vocab` (the words by id, JSON).
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { gateBlocks, gateRows } from "./_gates.ts";
import { ProtoWriter, readFields } from "./_protobuf.ts";
import { type CellKind, LanguageModel } from "./rnnlm.ts";

/**
 * The `format` metadata of an ONNX model {@linkcode toOnnx} writes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ONNX_FORMAT, readOnnxInfo, Rnnlm, toOnnx } from "../../mod.ts";
 * assert.equal(readOnnxInfo(toOnnx(new Rnnlm(10, 4, 4))).metadata.format, ONNX_FORMAT);
 * ```
 */
export const ONNX_FORMAT = "saiki-onnx/1";

/**
 * The ONNX operator set the models use (the default domain), and the IR version that goes
 * with it (both as ONNX 1.9 defines them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ONNX_OPSET, readOnnxInfo, Rnnlm, toOnnx } from "../../mod.ts";
 * assert.equal(readOnnxInfo(toOnnx(new Rnnlm(10, 4, 4))).opset, ONNX_OPSET);
 * ```
 */
export const ONNX_OPSET = 14;
const IR_VERSION = 7;

// onnx.proto's enums
const FLOAT = 1, INT64 = 7; // TensorProto.DataType
const ATTR_INT = 2, ATTR_INTS = 7; // AttributeProto.AttributeType

/** ONNX's gate block `k` comes from saiki's block `ONNX_GATES[cell][k]`. */
const ONNX_GATES: Readonly<Record<CellKind, readonly number[]>> = {
  lstm: [2, 3, 0, 1],
  gru: [0, 1, 2],
  rnn: [0],
};
/** Blocks whose weights and bias change sign: the GRU's update gate (`z′ = 1 − z`). */
const NEGATED: Readonly<Record<CellKind, readonly boolean[]>> = {
  lstm: [],
  gru: [true, false, false],
  rnn: [],
};
const OPERATOR: Readonly<Record<CellKind, string>> = { lstm: "LSTM", gru: "GRU", rnn: "RNN" };

/** Options of {@linkcode toOnnx}. */
export interface ToOnnxOptions {
  /** The words by id, stored as the `vocab` metadata (length `V`). */
  vocab?: readonly string[];
  /**
   * Whether the graph takes the initial states `h0` (and `c0`) as inputs (default `true`,
   * for generation step by step); `false` gives a graph of `ids` alone that starts from zeros.
   */
  initialStates?: boolean;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** An array's bytes, little-endian (a view where the platform is). */
function leBytes(data: Float32Array | BigInt64Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength), view = new DataView(out.buffer);
  if (data instanceof Float32Array) data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  else data.forEach((v, i) => view.setBigInt64(8 * i, v, true));
  return out;
}

/** A `TensorProto` (an initializer): dims, data type, name, raw little-endian data. */
function tensor(name: string, dims: number[], data: Float32Array | BigInt64Array): ProtoWriter {
  const t = new ProtoWriter();
  for (const d of dims) t.int(1, d);
  return t.int(2, data instanceof Float32Array ? FLOAT : INT64).string(8, name).bytes(
    9,
    leBytes(data),
  );
}

/** A `ValueInfoProto` of a tensor: name, element type, dims (numbers, or names for any size). */
function valueInfo(
  name: string,
  elemType: number,
  dims: (number | string)[],
  doc: string,
): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    shape.message(
      1,
      typeof d === "number" ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d),
    );
  }
  const tensorType = new ProtoWriter().int(1, elemType).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType))
    .string(3, doc);
}

/** A `NodeProto`: `op(inputs) → outputs` with integer attributes. */
function node(
  op: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, number | number[]> = {},
): ProtoWriter {
  const n = new ProtoWriter();
  for (const i of inputs) n.string(1, i);
  for (const o of outputs) n.string(2, o);
  n.string(3, `${outputs[0]}_${op}`).string(4, op);
  for (const [name, value] of Object.entries(attributes)) {
    const a = new ProtoWriter().string(1, name);
    if (typeof value === "number") a.int(3, value).int(20, ATTR_INT);
    else {
      for (const v of value) a.int(8, v);
      a.int(20, ATTR_INTS);
    }
    n.message(5, a);
  }
  return n;
}

/**
 * A language model (`Rnnlm`, `BetterRnnlm`, any `LanguageModel`) as the bytes of an ONNX model
 * file: inputs `ids` (int64 `(N, T)`) and the optional initial states `h0` (and `c0` for an
 * LSTM), `(L, N, H)`; outputs `logits` `(N, T, V)` and the final states `hn` (and `cn`). The
 * module doc has the graph, the gate mapping and the GRU's update gate. The weights are
 * copied: later training does not change the bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BetterRnnlm, readOnnxInfo, toOnnx } from "../../mod.ts";
 * const bytes = toOnnx(new BetterRnnlm(20, 8, 8, 0.5), { vocab: [...Array(20).keys()].map(String) });
 * const info = readOnnxInfo(bytes);
 * assert.deepEqual(info.inputs, ["ids", "h0", "c0"]);
 * assert.deepEqual(info.outputs, ["logits", "hn", "cn"]);
 * assert.deepEqual(info.operators.filter((op) => op === "LSTM"), ["LSTM", "LSTM"]);
 * assert.equal(JSON.parse(info.metadata.config).layers, 2);
 * ```
 */
export function toOnnx(model: LanguageModel, options?: ToOnnxOptions): Uint8Array {
  if (!(model instanceof LanguageModel)) {
    throw new SaikiError(
      `toOnnx: model is not a LanguageModel (Rnnlm, BetterRnnlm, new LanguageModel(…))`,
    );
  }
  const config = model.config;
  const { cell, hiddenSize: H, layers: L, vocabSize: V, wordvecSize: D } = config;
  const vocab = options?.vocab;
  if (vocab !== undefined) {
    if (!Array.isArray(vocab) || vocab.length !== V || !vocab.every((w) => typeof w === "string")) {
      throw new SaikiError(
        `toOnnx: vocab must be ${V} words (the model's vocabulary size), got ${
          Array.isArray(vocab) ? `${vocab.length} entries` : typeof vocab
        }`,
      );
    }
  }
  const named = model.namedParams(), lstm = cell === "lstm";
  const sfx = (l: number) => L === 1 ? "" : `${l + 1}`;
  const initializers: ProtoWriter[] = [];
  const nodes: ProtoWriter[] = [];
  const init = (name: string, dims: number[], data: Float32Array | BigInt64Array) => {
    initializers.push(tensor(name, dims, data));
    return name;
  };
  const weight = (name: string, t: Tensor) => init(name, [...t.shape], t.data.slice());

  const embed = weight("embed.weight", named.embed_W);
  const int64 = (name: string, values: number[]) =>
    init(name, [values.length], BigInt64Array.from(values, BigInt));

  // h0, c0 (L, N, H): one (1, N, H) slice a layer; without them ONNX's operators start from zeros
  const withStates = options?.initialStates ?? true;
  const states = lstm ? ["h", "c"] : ["h"];
  const starts: Record<string, string[]> = { h: [], c: [] };
  if (withStates) {
    for (const s of states) {
      starts[s] = Array.from({ length: L }, (_, l) => L === 1 ? `${s}0` : `${s}0_l${l}`);
      if (L > 1) nodes.push(node("Split", [`${s}0`], starts[s], { axis: 0 }));
    }
  }
  // x (T, N, D): the embedding of the ids, time first as ONNX's recurrent operators take it
  nodes.push(node("Transpose", ["ids"], ["ids_tn"], { perm: [1, 0] }));
  nodes.push(node("Gather", [embed, "ids_tn"], ["x0"], { axis: 0 }));
  const axisOne = int64("axis_1", [1]);
  const finals: Record<string, string[]> = { h: [], c: [] };
  let x = "x0";
  for (let l = 0; l < L; l++) {
    const order = ONNX_GATES[cell], negate = NEGATED[cell], G = order.length * H;
    const Wx = named[`${cell}_Wx${sfx(l)}`], Wh = named[`${cell}_Wh${sfx(l)}`];
    const b = gateBlocks(named[`${cell}_b${sfx(l)}`], order, H, negate);
    const bias = new Float32Array(2 * G); // [Wb, Rb]: Rb zeros
    bias.set(b.data);
    const W = gateRows(Wx, order, H, negate), R = gateRows(Wh, order, H, negate);
    const inputs = [
      x,
      init(`rnn.W_l${l}`, [1, ...W.shape], W.data),
      init(`rnn.R_l${l}`, [1, ...R.shape], R.data),
      init(`rnn.B_l${l}`, [1, 2 * G], bias),
      ...(withStates ? ["", starts.h[l], ...(lstm ? [starts.c[l]] : [])] : []), // "": no sequence_lens
    ];
    const outputs = [`y_l${l}`, `h_l${l}`, ...(lstm ? [`c_l${l}`] : [])];
    finals.h.push(outputs[1]);
    if (lstm) finals.c.push(outputs[2]);
    const attributes: Record<string, number> = { hidden_size: H };
    if (cell === "gru") attributes.linear_before_reset = 0; // the book's GRU
    nodes.push(node(OPERATOR[cell], inputs, outputs, attributes));
    // Y (T, 1, N, H) → (T, N, H)
    nodes.push(node("Squeeze", [outputs[0], axisOne], [`x${l + 1}`]));
    x = `x${l + 1}`;
  }
  nodes.push(node("Transpose", [x], ["hs"], { perm: [1, 0, 2] })); // (N, T, H)
  let out: string;
  if (config.tieWeights) {
    nodes.push(node("Transpose", [embed], ["out.weight"], { perm: [1, 0] })); // (H, V)
    out = "out.weight";
  } else {
    out = weight("out.weight", named.affine_W); // (H, V)
  }
  nodes.push(node("MatMul", ["hs", out], ["scores"]));
  nodes.push(node("Add", ["scores", weight("out.bias", named.affine_b)], ["logits"]));
  nodes.push(node("Concat", finals.h, ["hn"], { axis: 0 }));
  if (lstm) nodes.push(node("Concat", finals.c, ["cn"], { axis: 0 }));

  const kind = `${L}-layer ${OPERATOR[cell]}`;
  const graph = new ProtoWriter();
  for (const n of nodes) graph.message(1, n);
  graph.string(2, `saiki ${kind} language model`);
  for (const t of initializers) graph.message(5, t);
  const pair = lstm ? "h0, c0" : "h0", finalPair = lstm ? "hn, cn" : "hn";
  graph.string(
    10,
    `ids (N, T) → logits (N, T, V = ${V}); ${
      withStates ? `${pair} (L = ${L}, N, H = ${H}) start the recurrence` : "from zero states"
    }; ${finalPair} are the final states${withStates ? " to feed back" : ""}`,
  );
  graph.message(11, valueInfo("ids", INT64, ["N", "T"], "word ids"));
  if (withStates) {
    graph.message(11, valueInfo("h0", FLOAT, [L, "N", H], "initial hidden state per layer"));
    if (lstm) {
      graph.message(11, valueInfo("c0", FLOAT, [L, "N", H], "initial memory cell per layer"));
    }
  }
  graph.message(12, valueInfo("logits", FLOAT, ["N", "T", V], "next-word scores (pre-softmax)"));
  graph.message(12, valueInfo("hn", FLOAT, [L, "N", H], "final hidden state per layer"));
  if (lstm) graph.message(12, valueInfo("cn", FLOAT, [L, "N", H], "final memory cell per layer"));

  const metadata: Record<string, string> = {
    format: ONNX_FORMAT,
    config: JSON.stringify(config),
  };
  if (vocab !== undefined) metadata.vocab = JSON.stringify(vocab);
  const modelProto = new ProtoWriter().int(1, IR_VERSION).string(2, "saiki");
  modelProto.string(6, `saiki ${kind} language model (V ${V}, D ${D}, H ${H})`);
  modelProto.message(7, graph);
  modelProto.message(8, new ProtoWriter().string(1, "").int(2, ONNX_OPSET));
  for (const [key, value] of Object.entries(metadata)) {
    modelProto.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return modelProto.finish();
}

/** What {@linkcode readOnnxInfo} reads from an ONNX model's bytes. */
export interface OnnxInfo {
  /** `ir_version`. */
  irVersion: number;
  /** `producer_name` (`"saiki"` for files {@linkcode toOnnx} wrote), `""` when unset. */
  producer: string;
  /** The default domain's opset version, 0 when the file imports none. */
  opset: number;
  /** The graph's input names, in order. */
  inputs: string[];
  /** The graph's output names, in order. */
  outputs: string[];
  /** The nodes' operator types, in graph order. */
  operators: string[];
  /** `metadata_props`. */
  metadata: Record<string, string>;
}

/**
 * The outline of an ONNX model: versions, producer, the graph's inputs, outputs and operators,
 * and its metadata (`format`, `config` and `vocab` for files {@linkcode toOnnx} wrote). Reads
 * the protobuf structure only; bytes that are not an ONNX model give a {@linkcode SaikiError}
 * beginning with `where`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LanguageModel, readOnnxInfo, toOnnx } from "../../mod.ts";
 * const gru = new LanguageModel({ vocabSize: 9, wordvecSize: 3, hiddenSize: 4, cell: "gru",
 *   layers: 1, dropout: 0, tieWeights: false });
 * const info = readOnnxInfo(toOnnx(gru));
 * assert.deepEqual([info.producer, info.inputs, info.outputs], ["saiki", ["ids", "h0"], ["logits", "hn"]]);
 * assert.throws(() => readOnnxInfo(new Uint8Array([0xff]), "x.onnx"), /x.onnx: not a protobuf/);
 * ```
 */
export function readOnnxInfo(bytes: Uint8Array, where = "ONNX model"): OnnxInfo {
  const text = (v: bigint | Uint8Array) =>
    v instanceof Uint8Array ? new TextDecoder().decode(v) : "";
  const sub = (v: bigint | Uint8Array) => v instanceof Uint8Array ? readFields(v, where) : [];
  const info: OnnxInfo = {
    irVersion: 0,
    producer: "",
    opset: 0,
    inputs: [],
    outputs: [],
    operators: [],
    metadata: {},
  };
  let graphs = 0;
  for (const { field, value } of readFields(bytes, where)) {
    if (field === 1 && typeof value === "bigint") info.irVersion = Number(value);
    else if (field === 2) info.producer = text(value);
    else if (field === 8) {
      const f = sub(value),
        domain = f.find((x) => x.field === 1),
        version = f.find((x) => x.field === 2);
      if (
        (domain === undefined || text(domain.value) === "") && typeof version?.value === "bigint"
      ) {
        info.opset = Number(version.value);
      }
    } else if (field === 14) {
      const f = sub(value);
      const key = f.find((x) => x.field === 1), val = f.find((x) => x.field === 2);
      if (key !== undefined) info.metadata[text(key.value)] = val ? text(val.value) : "";
    } else if (field === 7) {
      graphs++;
      for (const g of sub(value)) {
        const name = () => text(sub(g.value).find((x) => x.field === 1)?.value ?? 0n);
        if (g.field === 11) info.inputs.push(name());
        else if (g.field === 12) info.outputs.push(name());
        else if (g.field === 1) {
          info.operators.push(text(sub(g.value).find((x) => x.field === 4)?.value ?? 0n));
        }
      }
    }
  }
  if (info.irVersion === 0 || graphs !== 1) {
    throw new SaikiError(`${where}: not an ONNX model (no ir_version or no graph)`);
  }
  return info;
}
