/**
 * saiki's language models as PyTorch state dicts (`lib/models/torch_export.ts`): the keys,
 * shapes and gate order; the round trip export → safetensors → import, bit for bit; bad input
 * named; and the proof with real PyTorch: `tests/torch_interop.py` loads each exported file
 * into `examples/torch/rnnlm.py`'s `RnnLM` (`load_state_dict(load_file(...))`, strict), runs
 * the same ids through it, and its logits and final states agree with saiki's `predict`; the
 * module's own state dict, saved again by PyTorch, imports back into saiki bit for bit.
 *
 * For LSTM, RNN and the book's GRU, one and two layers, tied (D = H) and untied (D ≠ H).
 * Where python3, torch or safetensors is missing, the PyTorch test says so and is ignored.
 */

import { SaikiError } from "../../lib/errors.ts";
import { decodeSafetensors, encodeSafetensors } from "../../lib/models/safetensors.ts";
import type { LanguageModel } from "../../lib/models/rnnlm.ts";
import {
  fromTorchStateDict,
  TORCH_FORMAT,
  toTorchStateDict,
} from "../../lib/models/torch_export.ts";
import { Rng } from "../../lib/random.ts";
import { IntTensor, Tensor } from "../../lib/tensor.ts";
import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { fromFileUrl, join } from "../../lib/std/path.ts";
import { findEngine, makeTestDir } from "../_helpers.ts";
import {
  type Case,
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

const TORCH = await findEngine("python3", [
  "-c",
  "import torch, safetensors; print(torch.__version__, safetensors.__version__)",
], {
  what: "python3 with torch and safetensors",
  install: "pip install torch safetensors",
  consequence: "the comparison with PyTorch is ignored",
});

/** Every bit of the two models' parameters is the same (and their configurations). */
function assertSameBits(a: LanguageModel, b: LanguageModel, what: string, sameConfig = true): void {
  if (sameConfig) assertEquals(b.config, a.config, `${what}: config`);
  const x = new Uint32Array(a.paramBuffer.data.slice().buffer);
  const y = new Uint32Array(b.paramBuffer.data.slice().buffer);
  assertEquals(y.length, x.length, `${what}: parameter count`);
  const at = x.findIndex((v, i) => v !== y[i]);
  assertOk(
    at < 0,
    `${what}: parameter float ${at} has bits ${y[at]?.toString(16)}, expected ${
      x[at]?.toString(16)
    }`,
  );
}

Deno.test("torch export: the state-dict keys, shapes and gate order of RnnLM", () => {
  const words = Array.from({ length: V }, (_, i) => `w${i}`);
  for (const c of CASES) {
    const model = makeModel(c, 1);
    const { wordvecSize: D, hiddenSize: H } = model.config;
    const G = { lstm: 4, rnn: 1, gru: 3 }[c.cell] * H;
    const { tensors, metadata } = toTorchStateDict(model, { vocab: words });
    const expected: Record<string, number[]> = { "embed.weight": [V, D] };
    for (let l = 0; l < c.layers; l++) {
      expected[`rnn.weight_ih_l${l}`] = [G, l === 0 ? D : H];
      expected[`rnn.weight_hh_l${l}`] = [G, H];
      expected[`rnn.bias_ih_l${l}`] = [G];
      expected[`rnn.bias_hh_l${l}`] = [G];
    }
    if (!c.tied) expected["out.weight"] = [V, H];
    expected["out.bias"] = [V];
    assertEquals(
      Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, [...t.shape]])),
      expected,
      label(c),
    );
    assertEquals(metadata.format, TORCH_FORMAT);
    assertEquals(JSON.parse(metadata.vocab), words);
    assertEquals(JSON.parse(metadata.torch_config), {
      cell: c.cell,
      vocab_size: V,
      wordvec_size: D,
      hidden_size: H,
      num_layers: c.layers,
      dropout: model.config.dropout,
      tied: c.tied,
    });
    // every element where the mapping says: torch block k is saiki block ORDER[k]
    const order = { lstm: [2, 0, 1, 3], rnn: [0], gru: [0, 1, 2] }[c.cell];
    const named = model.namedParams();
    const sfx = (l: number) => c.layers === 1 ? "" : `${l + 1}`;
    for (let l = 0; l < c.layers; l++) {
      const Wx = named[`${c.cell}_Wx${sfx(l)}`], Wh = named[`${c.cell}_Wh${sfx(l)}`];
      const b = named[`${c.cell}_b${sfx(l)}`];
      const ih = tensors[`rnn.weight_ih_l${l}`], hh = tensors[`rnn.weight_hh_l${l}`];
      const bih = tensors[`rnn.bias_ih_l${l}`], bhh = tensors[`rnn.bias_hh_l${l}`];
      const input = Wx.shape[0];
      order.forEach((from, k) => {
        for (let j = 0; j < H; j++) {
          const row = k * H + j, col = from * H + j;
          for (let d = 0; d < input; d++) {
            assertOk(Object.is(ih.data[row * input + d], Wx.data[d * G + col]), `${label(c)} ih`);
          }
          for (let d = 0; d < H; d++) {
            assertOk(Object.is(hh.data[row * H + d], Wh.data[d * G + col]), `${label(c)} hh`);
          }
          assertOk(Object.is(bih.data[row], b.data[col]), `${label(c)} bias_ih`);
          assertOk(Object.is(bhh.data[row], 0), `${label(c)} bias_hh`);
        }
      });
    }
    if (!c.tied) {
      const W = named.affine_W, out = tensors["out.weight"];
      for (let h = 0; h < H; h++) {
        for (let v = 0; v < V; v++) assertEquals(out.data[v * H + h], W.data[h * V + v]);
      }
    }
    // copies: the model's later training does not change an export
    assertOk(tensors["embed.weight"].data.buffer !== named.embed_W.data.buffer);
  }
});

Deno.test("torch round trip: export → safetensors bytes → import gives every bit back", () => {
  for (const c of CASES) {
    const model = makeModel(c, 2);
    const words = Array.from({ length: V }, (_, i) => `word-${i}`);
    const exported = toTorchStateDict(model, { vocab: words });
    const file = decodeSafetensors(encodeSafetensors(exported.tensors, exported.metadata));
    const back = fromTorchStateDict(file.tensors, { metadata: file.metadata });
    assertSameBits(model, back.model, label(c));
    assertEquals(back.vocab, words);
    // the shapes alone give the same model (but a GRU, and the dropout ratio, need metadata)
    if (c.cell !== "gru") {
      const bare = fromTorchStateDict(file.tensors).model;
      assertEquals(bare.config, { ...model.config, dropout: 0 });
      assertSameBits(model, bare, `${label(c)}, no metadata`, false);
    }
  }
  // torch's two biases are added; out.weight equal to embed.weight means tied
  const model = makeModel({ cell: "lstm", layers: 1, tied: true }, 3);
  const { tensors } = toTorchStateDict(model);
  tensors["rnn.bias_hh_l0"] = new Tensor(new Float32Array(28).fill(0.25), [28]);
  tensors["out.weight"] = tensors["embed.weight"].clone();
  const back = fromTorchStateDict(tensors).model;
  assertOk(back.config.tieWeights);
  const b = back.namedParams().lstm_b.data, bih = tensors["rnn.bias_ih_l0"].data;
  assertEquals(b[2 * 7], Math.fround(bih[0] + 0.25)); // torch's i gate, first unit
});

/** Runs `fn`, which must throw a SaikiError whose message includes `part`. */
function assertRefused(fn: () => unknown, part: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assertOk(caught instanceof SaikiError, `expected a SaikiError "${part}", got ${caught}`);
  assertOk(caught.message.includes(part), `"${caught.message}" lacks "${part}"`);
  assertOk(!caught.message.includes("\n"), `more than one line: ${caught.message}`);
}

Deno.test("torch import: bad input is refused naming the key and the shape expected", () => {
  const where = "lm.safetensors";
  const fresh = (c: Case = { cell: "lstm", layers: 2, tied: false }) =>
    toTorchStateDict(makeModel(c, 4), { vocab: Array.from({ length: V }, (_, i) => `${i}`) });
  const refuse = (
    edit: (t: Record<string, Tensor | IntTensor>, m: Record<string, string>) => void,
    part: string,
    c?: Case,
  ) => {
    const { tensors, metadata } = fresh(c);
    const t: Record<string, Tensor | IntTensor> = tensors;
    edit(t, metadata);
    assertRefused(() => fromTorchStateDict(t, { metadata, where }), part);
  };
  refuse(
    (t) => delete t["rnn.bias_hh_l1"],
    `${where}: tensor "rnn.bias_hh_l1" is missing: expected shape [20]`,
  );
  refuse(
    (t) => delete t["embed.weight"],
    `tensor "embed.weight" is missing: expected shape [V, D] (nn.Embedding's weight)`,
  );
  refuse((t) => delete t["out.bias"], `tensor "out.bias" is missing: expected shape [23]`);
  refuse(
    (t) => t["rnn.weight_ih_l1"] = new Tensor(new Float32Array(20 * 6), [20, 6]),
    `tensor "rnn.weight_ih_l1" has shape [20, 6], expected [20, 5] ` +
      `(layer 1: G·H × H, G = 4, gates i, f, g, o)`,
  );
  refuse(
    (t) => t["out.weight"] = new Tensor(new Float32Array(5 * 23), [5, 23]),
    `tensor "out.weight" has shape [5, 23], expected [23, 5]`,
  );
  refuse(
    (t) => t["rnn.weight_hh_l0"] = new Tensor(new Float32Array(10 * 5), [10, 5]),
    `expected [4H, H] (an LSTM), [H, H] (an RNN) or [3H, H] (the book's GRU)`,
  );
  refuse(
    (t) => t["rnn.weight_hr_l0"] = t["out.bias"],
    `unknown tensor "rnn.weight_hr_l0" (an LSTM with proj_size`,
  );
  refuse((t) => t["rnn.weight_ih_l0_reverse"] = t["out.bias"], `(a bidirectional layer's`);
  refuse((t) => t["decoder.weight"] = t["out.bias"], `unknown tensor "decoder.weight": RnnLM has`);
  refuse(
    (t) => t["rnn.bias_ih_l2"] = t["out.bias"],
    `"rnn.bias_ih_l2" belongs to layer 2, but rnn.weight_ih_l2 is missing`,
  );
  refuse(
    (t) => t["out.bias"] = new IntTensor(new Int32Array(23), [23]),
    `"out.bias" is int32, expected float32`,
  );
  refuse(
    (t) => t["rnn.weight_hh_l1"].data[3] = NaN,
    `tensor "rnn.weight_hh_l1" holds NaN at index 3`,
  );
  refuse((_, m) => m.format = "saiki-lm/1", `${where} is a saiki checkpoint (format "saiki-lm/1")`);
  refuse(
    (_, m) => m.vocab = JSON.stringify(["a"]),
    `metadata "vocab" has 1 words, but the model's vocabulary (embed.weight) has 23`,
  );
  refuse((_, m) => m.vocab = JSON.stringify(Array(23).fill("a")), `lists the word "a" twice`);
  refuse(
    (_, m) => m.torch_config = JSON.stringify({ ...JSON.parse(m.torch_config), hidden_size: 6 }),
    `metadata "torch_config" says hidden_size 6, the tensors' shapes 5`,
  );
  refuse(
    (_, m) => m.torch_config = JSON.stringify({ ...JSON.parse(m.torch_config), dropout: 1 }),
    `metadata "torch_config": "dropout" is 1, expected a ratio in [0, 1)`,
  );
  refuse(
    (_, m) => m.torch_config = JSON.stringify({ ...JSON.parse(m.torch_config), tied: true }),
    `says tied, but tensor "out.weight" differs from "embed.weight"`,
  );
  // D ≠ H: out.weight cannot be left out
  refuse((t) => delete t["out.weight"], `tensor "out.weight" is missing: expected shape [23, 5]`);
  // a GRU without metadata may be torch.nn.GRU's, which computes another cell
  refuse(
    (_, m) => delete m.torch_config,
    `a GRU's, and no metadata says it is the book's: torch.nn.GRU applies the reset gate after`,
    { cell: "gru", layers: 1, tied: false },
  );
  // a vocabulary given instead of the metadata's is checked too
  const { tensors } = fresh();
  assertRefused(
    () => fromTorchStateDict(tensors, { vocab: ["x"], where }),
    `${where}: vocab has 1 words`,
  );
});

/** Runs `tests/torch_interop.py` on `jobs` (see its doc); fails with its error output. */
const runTorch = (dir: string, jobs: object[]) =>
  runEngine("python3", [join(ROOT, "tests", "torch_interop.py")], dir, jobs);

/**
 * saiki's logits for `chunks` in a row (the state carried from one to the next, as PyTorch's
 * run carried it) and its final states against PyTorch's (`out`); prints the largest
 * differences with SAIKI_REPORT_ERRORS=1.
 */
function compareWithTorch(
  what: string,
  model: LanguageModel,
  chunks: IntTensor[],
  out: string,
): void {
  const torch = decodeSafetensors(Deno.readFileSync(out)).tensors;
  const logitsWorst = worstOf(), statesWorst = worstOf();
  model.resetState();
  chunks.forEach((xs, i) => {
    const logits = model.predict(xs); // stateful: chunk 1 goes on from chunk 0's state
    const expected = torch[`logits${i}`];
    assertEquals([...logits.shape], [...expected.shape]);
    logitsWorst.add(
      compare(logits.data, expected.data as Float32Array, `${what}: logits of chunk ${i}`),
    );
  });
  const H = model.config.hiddenSize;
  for (const key of model.config.cell === "lstm" ? ["h", "c"] as const : ["h"] as const) {
    const expected = torch[key].data as Float32Array; // (L, N, H)
    model.rnnLayers.forEach((layer, l) => {
      const torchState = expected.subarray(l * N * H, (l + 1) * N * H);
      statesWorst.add(compare(layer[key]!.data, torchState, `${what}: final ${key}, layer ${l}`));
    });
  }
  if (report) console.log(`${what}: logits ${logitsWorst.text()}; states ${statesWorst.text()}`);
}

Deno.test({
  name: "PyTorch (examples/torch/rnnlm.py) computes saiki's logits and states from the export, " +
    "and its own state dict imports back bit for bit",
  ignore: TORCH === undefined,
  async fn() {
    const dir = await makeTestDir();
    try {
      const rng = new Rng(7);
      const words = Array.from({ length: V }, (_, i) => `w${i}`);
      const runs = CASES.map((c, i) => {
        const model = makeModel(c, 10 + i);
        const { tensors, metadata } = toTorchStateDict(model, { vocab: words });
        const file = join(dir, `case${i}.safetensors`);
        Deno.writeFileSync(file, encodeSafetensors(tensors, metadata));
        const chunks = [ids(rng, N, 4), ids(rng, N, 5)];
        const job = {
          file,
          chunks: chunks.map((x) => x.toArray()),
          out: join(dir, `case${i}.out.safetensors`),
          resaved: join(dir, `case${i}.resaved.safetensors`),
        };
        return { c, model, chunks, job };
      });
      await runTorch(dir, runs.map((r) => r.job));
      for (const { c, model, chunks, job } of runs) {
        compareWithTorch(`export, ${label(c)}`, model, chunks, job.out);
        // PyTorch's own state dict, saved again, is saiki's model bit for bit
        const resaved = decodeSafetensors(Deno.readFileSync(job.resaved));
        const back = fromTorchStateDict(resaved.tensors, { metadata: resaved.metadata });
        assertSameBits(model, back.model, `${label(c)}, saved by PyTorch`);
        assertEquals(back.vocab, words);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "PyTorch's own models (its initialisation, two non-zero biases a layer) import into " +
    "saiki and compute the same logits and states",
  ignore: TORCH === undefined,
  async fn() {
    const dir = await makeTestDir();
    try {
      const rng = new Rng(8);
      const runs = CASES.map((c, i) => {
        const chunks = [ids(rng, N, 6), ids(rng, N, 3)];
        const job = {
          native: {
            cell: c.cell,
            vocab_size: V,
            wordvec_size: c.tied ? 7 : 6,
            hidden_size: c.tied ? 7 : 5,
            num_layers: c.layers,
            dropout: 0.5,
            tied: c.tied,
          },
          seed: i,
          file: join(dir, `native${i}.safetensors`),
          chunks: chunks.map((x) => x.toArray()),
          out: join(dir, `native${i}.out.safetensors`),
        };
        return { c, chunks, job };
      });
      await runTorch(dir, runs.map((r) => r.job));
      for (const { c, chunks, job } of runs) {
        const file = decodeSafetensors(Deno.readFileSync(job.file));
        const bias = file.tensors["rnn.bias_hh_l0"].data;
        assertOk(bias.some((v) => v !== 0), "PyTorch's bias_hh is not zero");
        const { model } = fromTorchStateDict(file.tensors, { metadata: file.metadata });
        assertEquals(model.config.tieWeights, c.tied);
        assertEquals(model.config.dropout, 0.5);
        compareWithTorch(`import, ${label(c)}`, model, chunks, job.out);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
