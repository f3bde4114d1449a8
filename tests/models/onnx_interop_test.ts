/**
 * saiki's language models as ONNX models (`lib/models/onnx_export.ts`): the protobuf encoder
 * against the wire format's examples; the graph's inputs, outputs, operators and metadata; the
 * weights in ONNX's gate order (the GRU's update gate negated); bad input named; and the proof
 * with the real engine: `tests/onnx_run.mjs` runs each exported model in ONNX Runtime
 * (onnxruntime-node) on the same ids as saiki, two batches in a row with the final states fed
 * back, and step by step (`T = 1`) as generation does, and the logits and states agree with
 * saiki's `predict`.
 *
 * For LSTM, RNN and the book's GRU, one and two layers, tied and untied, with and without the
 * initial-state inputs. Where node or onnxruntime-node is missing (CI installs it into
 * `.tools/ort`), the ONNX Runtime test says so and is ignored.
 */

import { SaikiError } from "../../lib/errors.ts";
import { ProtoWriter, readFields } from "../../lib/models/_protobuf.ts";
import {
  ONNX_FORMAT,
  ONNX_OPSET,
  readOnnxInfo,
  toOnnx,
  type ToOnnxOptions,
} from "../../lib/models/onnx_export.ts";
import type { LanguageModel } from "../../lib/models/rnnlm.ts";
import { Rng } from "../../lib/random.ts";
import type { IntTensor } from "../../lib/tensor.ts";
import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { fromFileUrl, join } from "../../lib/std/path.ts";
import { findEngine, makeTestDir } from "../_helpers.ts";
import {
  CASES,
  compare,
  ids,
  label,
  makeModel,
  N,
  report,
  runEngine,
  V,
  worstOf,
} from "./_interop.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const RUNNER = join(ROOT, "tests", "onnx_run.mjs");

/** Where onnxruntime-node may be: `.ci/run`'s `.tools/ort`, then npm's global folder. */
async function nodePath(): Promise<string> {
  const paths = [join(ROOT, ".tools", "ort", "node_modules")];
  try {
    const { success, stdout } = await new Deno.Command("npm", {
      args: ["root", "-g"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (success) paths.push(new TextDecoder().decode(stdout).trim());
  } catch { /* no npm: the first place only */ }
  return paths.join(":");
}
const NODE_PATH = await nodePath();

const ORT = await findEngine("node", [RUNNER, "--version"], {
  what: "node with onnxruntime-node",
  install: "npm install --prefix .tools/ort --ignore-scripts onnxruntime-node",
  consequence: "the comparison with ONNX Runtime is ignored",
}, { NODE_PATH });

Deno.test("protobuf: the wire format's examples, and reading back what was written", () => {
  const w = (f: (p: ProtoWriter) => ProtoWriter) => [...f(new ProtoWriter()).finish()];
  assertEquals(w((p) => p.int(1, 150)), [0x08, 0x96, 0x01]); // protobuf.dev's example
  assertEquals(w((p) => p.int(1, 0)), [0x08, 0]);
  assertEquals(w((p) => p.int(2, 2 ** 35)), [0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  // a negative int64: ten bytes of two's complement
  assertEquals(w((p) => p.int(1, -1)), [0x08, ...Array(9).fill(0xff), 0x01]);
  assertEquals(w((p) => p.float(3, 1.5)), [0x1d, 0, 0, 0xc0, 0x3f]);
  assertEquals(w((p) => p.string(2, "testing")), [0x12, 7, ...new TextEncoder().encode("testing")]);
  assertEquals(w((p) => p.string(2, "")), [0x12, 0]);
  // a nested message keeps its length; a large bytes field is kept whole
  const big = new Uint8Array(300).map((_, i) => i % 251);
  const inner = new ProtoWriter().int(1, 7).bytes(2, big);
  const outer = new ProtoWriter().string(1, "x").message(4, inner).int(5, 2 ** 40).finish();
  const fields = readFields(outer, "test");
  assertEquals(fields.map((f) => f.field), [1, 4, 5]);
  assertEquals(fields[2].value, 2n ** 40n);
  const nested = readFields(fields[1].value as Uint8Array, "test");
  assertEquals(nested[0].value, 7n);
  assertEquals([...(nested[1].value as Uint8Array)], [...big]);
  assertEquals(outer.length, 1 + 1 + 1 + 1 + 2 + (2 + 3 + 300) + 1 + 6);
  // what is not a message is named
  for (
    const [bytes, part] of [
      [[0x08], "a varint runs past the end"],
      [[0x12, 5, 1], "a field of 5 bytes runs past the end"],
      [[0x0b], "wire type 3"],
      [[0x00], "field number 0"],
    ] as const
  ) {
    let caught: unknown;
    try {
      readFields(new Uint8Array(bytes), "f.onnx");
    } catch (e) {
      caught = e;
    }
    assertOk(caught instanceof SaikiError && caught.message.includes(`f.onnx: not a protobuf`));
    assertOk((caught as Error).message.includes(part), (caught as Error).message);
  }
});

/** The graph's initializers by name: dims, data type and raw data (`onnx.proto` numbering). */
function initializers(bytes: Uint8Array) {
  const text = (v: bigint | Uint8Array) => new TextDecoder().decode(v as Uint8Array);
  const graph = readFields(bytes, "model").find((f) => f.field === 7)!.value as Uint8Array;
  const out: Record<string, { dims: number[]; type: number; data: Float32Array }> = {};
  for (const g of readFields(graph, "graph")) {
    if (g.field !== 5) continue;
    const t = readFields(g.value as Uint8Array, "tensor");
    const raw = t.find((f) => f.field === 9)!.value as Uint8Array;
    out[text(t.find((f) => f.field === 8)!.value)] = {
      dims: t.filter((f) => f.field === 1).map((f) => Number(f.value)),
      type: Number(t.find((f) => f.field === 2)!.value),
      data: new Float32Array(raw.slice().buffer),
    };
  }
  return out;
}

Deno.test("onnx export: inputs, outputs, operators, metadata and ONNX's gate order", () => {
  const words = Array.from({ length: V }, (_, i) => `w${i}`);
  for (const c of CASES) {
    for (const initialStates of [true, false]) {
      const model = makeModel(c, 1);
      const { wordvecSize: D, hiddenSize: H } = model.config;
      const bytes = toOnnx(model, { vocab: words, initialStates });
      const info = readOnnxInfo(bytes);
      const what = `${label(c)}, initialStates ${initialStates}`;
      const lstm = c.cell === "lstm";
      assertEquals(info.opset, ONNX_OPSET, what);
      assertEquals(info.producer, "saiki");
      assertEquals(info.inputs, ["ids", ...(initialStates ? lstm ? ["h0", "c0"] : ["h0"] : [])]);
      assertEquals(info.outputs, ["logits", "hn", ...(lstm ? ["cn"] : [])], what);
      const op = { lstm: "LSTM", rnn: "RNN", gru: "GRU" }[c.cell];
      assertEquals(info.operators.filter((o) => o === op).length, c.layers, what);
      assertOk(!info.operators.includes("Dropout"), `${what}: inference has no dropout`);
      assertEquals(info.metadata.format, ONNX_FORMAT);
      assertEquals(JSON.parse(info.metadata.config), model.config);
      assertEquals(JSON.parse(info.metadata.vocab), words);

      // every weight where the mapping says: ONNX block k is saiki block ORDER[k], the GRU's
      // z negated; B is [input biases, recurrent biases = 0]
      const order = { lstm: [2, 3, 0, 1], rnn: [0], gru: [0, 1, 2] }[c.cell];
      const G = order.length * H, tensors = initializers(bytes), named = model.namedParams();
      assertEquals(tensors["embed.weight"].dims, [V, D]);
      assertEquals(tensors["embed.weight"].data, named.embed_W.data);
      const sfx = (l: number) => c.layers === 1 ? "" : `${l + 1}`;
      for (let l = 0; l < c.layers; l++) {
        const Wx = named[`${c.cell}_Wx${sfx(l)}`], Wh = named[`${c.cell}_Wh${sfx(l)}`];
        const b = named[`${c.cell}_b${sfx(l)}`];
        const W = tensors[`rnn.W_l${l}`], R = tensors[`rnn.R_l${l}`], B = tensors[`rnn.B_l${l}`];
        const input = Wx.shape[0];
        assertEquals([W.dims, R.dims, B.dims], [[1, G, input], [1, G, H], [1, 2 * G]], what);
        order.forEach((from, k) => {
          const sign = c.cell === "gru" && k === 0 ? -1 : 1;
          for (let j = 0; j < H; j++) {
            const row = k * H + j, col = from * H + j;
            for (let d = 0; d < input; d++) {
              assertOk(W.data[row * input + d] === sign * Wx.data[d * G + col], `${what}: W`);
            }
            for (let d = 0; d < H; d++) {
              assertOk(R.data[row * H + d] === sign * Wh.data[d * G + col], `${what}: R`);
            }
            assertOk(B.data[row] === sign * b.data[col], `${what}: B`);
            assertEquals(B.data[G + row], 0);
          }
        });
      }
      assertEquals("out.weight" in tensors, !c.tied, `${what}: tied reuses the embedding`);
      if (!c.tied) assertEquals(tensors["out.weight"].data, named.affine_W.data);
      assertEquals(tensors["out.bias"].data, named.affine_b.data);
    }
  }
});

Deno.test("onnx export: bad input is refused, and what is not an ONNX model is named", () => {
  const refused = (fn: () => unknown, part: string) => {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    assertOk(caught instanceof SaikiError, `expected a SaikiError "${part}", got ${caught}`);
    assertOk(caught.message.includes(part), `"${caught.message}" lacks "${part}"`);
  };
  const model = makeModel(CASES[0], 2);
  refused(() => toOnnx({} as LanguageModel), "toOnnx: model is not a LanguageModel");
  refused(
    () => toOnnx(model, { vocab: ["a"] }),
    `toOnnx: vocab must be ${V} words (the model's vocabulary size), got 1 entries`,
  );
  refused(() => readOnnxInfo(new Uint8Array([0x0a, 9]), "x.onnx"), "x.onnx: not a protobuf");
  // a protobuf message, but not a model: a safetensors header's first bytes are one
  const notModel = new ProtoWriter().string(2, "saiki").finish();
  refused(() => readOnnxInfo(notModel, "y.onnx"), "y.onnx: not an ONNX model");
  // the weights are copies: training after the export does not change it
  const before = toOnnx(model);
  model.params[1].data[0] += 1;
  assertOk(toOnnx(model).some((v, i) => v !== before[i]));
});

interface Job {
  model: string;
  chunks: number[][][];
  out: string;
  L: number;
  H: number;
}

/** Runs `tests/onnx_run.mjs` on `jobs` (see its doc); fails with its error output. */
const runOrt = (dir: string, jobs: Job[]) => runEngine("node", [RUNNER], dir, jobs, { NODE_PATH });

/**
 * saiki's logits for `chunks` in a row (stateful: each goes on from the last one's state, as
 * the runner fed `hn`, `cn` back) and its final states against ONNX Runtime's.
 */
function compareWithOrt(what: string, model: LanguageModel, chunks: IntTensor[], out: string) {
  const ort = JSON.parse(Deno.readTextFileSync(out));
  const logitsWorst = worstOf(), statesWorst = worstOf();
  model.resetState();
  chunks.forEach((xs, i) => {
    const logits = model.predict(xs);
    const expected = ort.logits[i] as number[];
    logitsWorst.add(compare(logits.data, expected, `${what}: logits of chunk ${i}`, "ORT"));
  });
  assertEquals(ort.dims.logits, [N, chunks.at(-1)!.shape[1], V]);
  const H = model.config.hiddenSize;
  for (const key of model.config.cell === "lstm" ? ["h", "c"] as const : ["h"] as const) {
    const expected = ort[`${key}n`] as number[]; // (L, N, H)
    assertEquals(expected.length, model.config.layers * N * H);
    model.rnnLayers.forEach((layer, l) => {
      const slice = expected.slice(l * N * H, (l + 1) * N * H);
      statesWorst.add(compare(layer[key]!.data, slice, `${what}: final ${key}, layer ${l}`, "ORT"));
    });
  }
  if (report) console.log(`${what}: logits ${logitsWorst.text()}; states ${statesWorst.text()}`);
}

Deno.test({
  name: "ONNX Runtime computes saiki's logits and states from the export: batches in a row, " +
    "step by step, and without the state inputs",
  ignore: ORT === undefined,
  async fn() {
    const dir = await makeTestDir();
    try {
      const rng = new Rng(9);
      const runs = CASES.flatMap((c, i) => {
        const model = makeModel(c, 20 + i);
        const { layers: L, hiddenSize: H } = model.config;
        const variants: [string, ToOnnxOptions, IntTensor[]][] = [
          ["two batches, state fed back", {}, [ids(rng, N, 4), ids(rng, N, 5)]],
          ["step by step", {}, [ids(rng, N, 1), ids(rng, N, 1), ids(rng, N, 1)]],
          ["no state inputs", { initialStates: false }, [ids(rng, N, 6)]],
        ];
        return variants.map(([how, options, chunks], k) => {
          const model_ = join(dir, `case${i}-${k}.onnx`);
          Deno.writeFileSync(model_, toOnnx(model, options));
          const job: Job = {
            model: model_,
            chunks: chunks.map((x) => x.toArray() as number[][]),
            out: join(dir, `case${i}-${k}.json`),
            L,
            H,
          };
          return { what: `${label(c)}, ${how}`, model, chunks, job };
        });
      });
      await runOrt(dir, runs.map((r) => r.job));
      for (const { what, model, chunks, job } of runs) compareWithOrt(what, model, chunks, job.out);
      if (report) console.log(`onnxruntime-node ${ORT}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
