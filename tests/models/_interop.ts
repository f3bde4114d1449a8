/**
 * What the interop tests (PyTorch, ONNX Runtime) share: the model shapes they cover, models
 * whose gates work away from their linear middle, word ids, and the comparison of an engine's
 * outputs with saiki's.
 *
 * @module
 */

import { type CellKind, LanguageModel, paramSpecs } from "../../lib/models/rnnlm.ts";
import { Rng } from "../../lib/random.ts";
import { IntTensor } from "../../lib/tensor.ts";
import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { join } from "../../lib/std/path.ts";

/** `SAIKI_REPORT_ERRORS=1`: print the largest differences of every comparison. */
export const report = Deno.permissions.querySync({ name: "env", variable: "SAIKI_REPORT_ERRORS" })
      .state === "granted" && Deno.env.get("SAIKI_REPORT_ERRORS") === "1";

/** One model shape. */
export interface Case {
  cell: CellKind;
  layers: number;
  tied: boolean;
}

/** LSTM, RNN and the book's GRU; one and two layers; untied (D ≠ H) and tied (D = H). */
export const CASES: Case[] = (["lstm", "rnn", "gru"] as const).flatMap((cell) =>
  [1, 2].flatMap((layers) => [false, true].map((tied) => ({ cell, layers, tied })))
);

/** Vocabulary size and rows of every case. */
export const V = 23, N = 3;
/** `"lstm, 2 layers, tied"`. */
export const label = (c: Case) =>
  `${c.cell}, ${c.layers} layer${c.layers > 1 ? "s" : ""}, ${c.tied ? "tied" : "untied"}`;

/**
 * A model of the case's shape with parameters large enough that the gates and tanh work away
 * from their linear middle: embeddings N(0, 1), weights N(0, 1.5²/fan_in), biases N(0, 0.5²)
 * — and a few biases exactly -0, which a careless import (`b = bias_ih + bias_hh`) turns into
 * +0.
 */
export function makeModel(c: Case, seed: number): LanguageModel {
  const config = {
    vocabSize: V,
    wordvecSize: c.tied ? 7 : 6,
    hiddenSize: c.tied ? 7 : 5,
    cell: c.cell,
    layers: c.layers,
    dropout: c.layers > 1 ? 0.25 : 0,
    tieWeights: c.tied,
  };
  const rng = new Rng(seed);
  const params = paramSpecs(config).map(({ name, shape }) => {
    if (shape.length === 1) {
      const b = rng.randn(shape, 0.5);
      b.data[1] = -0;
      return b;
    }
    return rng.randn(shape, name === "embed_W" ? 1 : 1.5 / Math.sqrt(shape[0]));
  });
  return new LanguageModel(config, { params });
}

/** max |a − e| and max |a − e| / |e| (over |e| ≥ 1e-3), after checking the tolerance. */
export function compare(
  actual: Float32Array,
  expected: Float32Array | readonly number[],
  what: string,
  engine = "PyTorch",
) {
  assertEquals(actual.length, expected.length, `${what}: size`);
  let maxAbs = 0, maxRel = 0, scale = 0;
  for (const e of expected) scale = Math.max(scale, Math.abs(e));
  // The absolute floor. A float32 sum's rounding error is relative to the sizes of its terms,
  // not of its result: a logit is a sum of H + 1 ≤ 8 products, rounded with u = 6e-8 each, so
  // its error is up to about 8u = 5e-7 of the terms' size, which the tensor's largest
  // magnitude max|e| stands for (a logit that cancels to near zero keeps that absolute error,
  // where a relative bound means nothing). Errors carried through up to 9 steps and 2 layers
  // get a factor 20: atol = 1e-5 · max|e| (2e-5 to 8e-5 for these logits, 1e-5 for the
  // states). The errors measured are below 2e-6; a state element of 4e-3 that is off by 5e-7
  // (relative 1.2e-4) is what the floor is for.
  const atol = 1e-5 * scale, rtol = 1e-4;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i], diff = Math.abs(a - e);
    assertOk(
      diff <= atol + rtol * Math.abs(e),
      `${what}: element ${i} is ${a} in saiki, ${e} in ${engine} (|diff| ${diff.toExponential(2)})`,
    );
    maxAbs = Math.max(maxAbs, diff);
    if (Math.abs(e) >= 1e-3) maxRel = Math.max(maxRel, diff / Math.abs(e));
  }
  return { maxAbs, maxRel, scale };
}

/** The largest differences of several comparisons, and the largest magnitude compared. */
export function worstOf() {
  let maxAbs = 0, maxRel = 0, scale = 0;
  return {
    add(r: { maxAbs: number; maxRel: number; scale: number }) {
      maxAbs = Math.max(maxAbs, r.maxAbs);
      maxRel = Math.max(maxRel, r.maxRel);
      scale = Math.max(scale, r.scale);
    },
    text: () =>
      `max abs ${maxAbs.toExponential(2)}, max rel ${maxRel.toExponential(2)} ` +
      `(max |value| ${scale.toFixed(2)})`,
  };
}

/** Word ids `(N, T)` drawn from `rng`. */
export function ids(rng: Rng, N: number, T: number): IntTensor {
  return new IntTensor(Int32Array.from({ length: N * T }, () => rng.int(V)), [N, T]);
}

/**
 * Runs an engine's script on a manifest of jobs (`command args… dir/manifest.json`), as
 * `tests/torch_interop.py` and `tests/onnx_run.mjs` take them; fails with the script's error
 * output, and prints its first line with `SAIKI_REPORT_ERRORS=1`.
 */
export async function runEngine(
  command: string,
  args: string[],
  dir: string,
  jobs: object[],
  env?: Record<string, string>,
): Promise<void> {
  const manifest = join(dir, "manifest.json");
  Deno.writeTextFileSync(manifest, JSON.stringify(jobs));
  const run = await new Deno.Command(command, {
    args: [...args, manifest],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  assertEquals(run.code, 0, `${args.at(-1)} failed:\n${text(run.stderr)}`);
  if (report) console.log(text(run.stdout).trim().split("\n")[0]);
}
