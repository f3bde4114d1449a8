/**
 * Sampling text from a language model, as the reference's `RnnlmGen.generate`, with
 * temperature and top-k.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import type { Rng } from "../random.ts";
import { describeValue, IntTensor } from "../tensor.ts";
import type { LanguageModel } from "./rnnlm.ts";

/** Options of {@linkcode generate}. */
export interface GenerateOptions {
  /** Random generator for sampling (reproducible from a seed). */
  rng: Rng;
  /** Ids never emitted (the reference skips `N`, `<unk>`, `$`): integers in `[0, V)`. */
  skipIds?: readonly number[];
  /** Length of the result, start word included: an integer in `[1, 1e6]` (default 100). */
  sampleSize?: number;
  /**
   * Divides the scores before the softmax: below 1 sharper, above 1 flatter; a finite number
   * > 0 (default 1).
   */
  temperature?: number;
  /** Sample only among the `topK` most likely words: an integer in `[0, V]` (default 0: all). */
  topK?: number;
}

/** The longest sample {@linkcode generate} makes. */
const MAX_SAMPLE_SIZE = 1_000_000;

/** A value as an error message shows it: strings quoted, arrays and objects named. */
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || value === null || value === undefined) return String(value);
  return describeValue(value);
}

/**
 * Generates `sampleSize` word ids starting with `startId`: the model reads one word at a time
 * (its recurrent state carries the context), and the next word is drawn from the softmax of
 * its scores. The model's state is reset first. Every argument is checked before the model
 * runs; an error names the option and its value.
 *
 * Skipped ids are left out of the distribution: the next word is drawn among the others. (The
 * reference draws from all words and draws again on a skipped one, feeding the previous word to
 * the model once more; drawing among the allowed words directly cannot loop forever at a low
 * temperature, when the likeliest word is a skipped one.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generate } from "./generate.ts";
 * import { Rnnlm } from "./rnnlm.ts";
 * import { Rng } from "../random.ts";
 * const ids = generate(new Rnnlm(20, 8, 8), 3, { rng: new Rng(1), sampleSize: 10, skipIds: [0] });
 * assert(ids.length === 10 && ids[0] === 3 && !ids.includes(0));
 * assert.throws(() => generate(new Rnnlm(20, 8, 8), 3, { rng: new Rng(1), sampleSize: -5 }),
 *   /generate: sampleSize is -5, expected an integer in \[1, 1000000\]/);
 * ```
 */
export function generate(
  model: LanguageModel,
  startId: number,
  options: GenerateOptions,
): number[] {
  const V = model?.config?.vocabSize;
  if (typeof model?.predict !== "function" || !Number.isSafeInteger(V) || V < 1) {
    throw new SaikiError(
      `generate: model is ${show(model)}, expected a LanguageModel (e.g. new Rnnlm(V, D, H))`,
    );
  }
  if (options === null || typeof options !== "object") {
    throw new SaikiError(
      `generate: options is ${show(options)}, expected an object { rng, sampleSize?, ` +
        `temperature?, topK?, skipIds? }`,
    );
  }
  const { rng, skipIds = [], sampleSize = 100, temperature = 1, topK = 0 } = options;
  if (typeof rng?.uniform !== "function") {
    throw new SaikiError(`generate: rng is ${show(rng)}, expected an Rng (e.g. new Rng(seed))`);
  }
  if (!Number.isInteger(startId) || startId < 0 || startId >= V) {
    throw new SaikiError(`generate: startId is ${show(startId)}, expected an id in [0, ${V})`);
  }
  if (!Number.isInteger(sampleSize) || sampleSize < 1 || sampleSize > MAX_SAMPLE_SIZE) {
    throw new SaikiError(
      `generate: sampleSize is ${show(sampleSize)}, expected an integer in ` +
        `[1, ${MAX_SAMPLE_SIZE}] (the length of the result, start word included)`,
    );
  }
  if (typeof temperature !== "number" || !(temperature > 0) || !Number.isFinite(temperature)) {
    throw new SaikiError(
      `generate: temperature is ${show(temperature)}, expected a finite number > 0`,
    );
  }
  if (!Number.isInteger(topK) || topK < 0 || topK > V) {
    throw new SaikiError(
      `generate: topK is ${show(topK)}, expected an integer in [0, ${V}] (0: all words)`,
    );
  }
  if (
    skipIds === null || typeof skipIds !== "object" ||
    typeof (skipIds as Iterable<number>)[Symbol.iterator] !== "function"
  ) {
    throw new SaikiError(`generate: skipIds is ${show(skipIds)}, expected an array of ids`);
  }
  const allowed = new Uint8Array(V).fill(1);
  let k = 0;
  for (const id of skipIds as Iterable<number>) {
    if (!Number.isInteger(id) || id < 0 || id >= V) {
      throw new SaikiError(`generate: skipIds[${k}] is ${show(id)}, expected an id in [0, ${V})`);
    }
    allowed[id] = 0;
    k++;
  }
  if (!allowed.includes(1)) {
    throw new SaikiError(
      `generate: skipIds leave nothing to sample: every word is skipped (all ${V} ids)`,
    );
  }
  model.resetState();
  const x = new IntTensor(new Int32Array(1), [1, 1]);
  const p = new Float64Array(V);
  const order = new Int32Array(V);
  const wordIds = [startId];
  x.data[0] = startId;
  while (wordIds.length < sampleSize) {
    const score = model.predict(x).data; // (1, 1, V)
    // softmax over the allowed words: the likeliest has p = 1, so the sum is at least 1.
    // (s − max)/temperature ≤ 0, so no temperature overflows the exponent.
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (allowed[i]) max = Math.max(max, score[i]);
    let sum = 0;
    for (let i = 0; i < V; i++) {
      sum += p[i] = allowed[i] ? Math.exp((score[i] - max) / temperature) : 0;
    }
    if (!Number.isFinite(max) || !(sum >= 1)) {
      throw new SaikiError(
        `generate: the model's scores after ${wordIds.length} word(s) are not finite ` +
          `(largest ${max}): its parameters hold NaN or infinity`,
      );
    }
    if (topK > 0 && topK < V) {
      // the K likeliest allowed words
      for (let i = 0; i < V; i++) order[i] = i;
      order.sort((a, b) => p[b] - p[a]);
      for (let r = topK; r < V; r++) {
        sum -= p[order[r]];
        p[order[r]] = 0;
      }
    }
    let u = rng.uniform() * sum, sampled = -1;
    for (let i = 0; i < V; i++) {
      if (p[i] === 0) continue;
      sampled = i; // the last word with p > 0 when rounding leaves u ≥ 0
      u -= p[i];
      if (u < 0) break;
    }
    x.data[0] = sampled;
    wordIds.push(sampled);
  }
  return wordIds;
}
