/**
 * Sampling text from a language model, as the reference's `RnnlmGen.generate`, with
 * temperature and top-k.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import type { Rng } from "../random.ts";
import { IntTensor } from "../tensor.ts";
import type { LanguageModel } from "./rnnlm.ts";

/** Options of {@linkcode generate}. */
export interface GenerateOptions {
  /** Random generator for sampling (reproducible from a seed). */
  rng: Rng;
  /** Ids never emitted (the reference skips `N`, `<unk>`, `$`). */
  skipIds?: readonly number[];
  /** Length of the result, start word included (default 100). */
  sampleSize?: number;
  /** Divides the scores before the softmax: below 1 sharper, above 1 flatter (default 1). */
  temperature?: number;
  /** Sample only among the `topK` most likely words (default 0: all). */
  topK?: number;
}

/**
 * Generates `sampleSize` word ids starting with `startId`: the model reads one word at a time
 * (its recurrent state carries the context), and the next word is drawn from the softmax of
 * its scores. The model's state is reset first.
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
 * ```
 */
export function generate(
  model: LanguageModel,
  startId: number,
  options: GenerateOptions,
): number[] {
  const { rng, skipIds = [], sampleSize = 100, temperature = 1, topK = 0 } = options;
  const V = model.config.vocabSize;
  if (!Number.isInteger(startId) || startId < 0 || startId >= V) {
    throw new SaikiError(`generate: startId is ${startId}, expected an id in [0, ${V})`);
  }
  if (!(temperature > 0)) {
    throw new SaikiError(`generate: temperature is ${temperature}, expected a number > 0`);
  }
  if (!Number.isInteger(topK) || topK < 0) {
    throw new SaikiError(`generate: topK is ${topK}, expected an integer >= 0`);
  }
  const allowed = new Uint8Array(V).fill(1);
  for (const id of skipIds) {
    if (Number.isInteger(id) && id >= 0 && id < V) allowed[id] = 0;
  }
  if (!allowed.includes(1)) throw new SaikiError("generate: every word is skipped");
  model.resetState();
  const x = new IntTensor(new Int32Array(1), [1, 1]);
  const p = new Float64Array(V);
  const order = new Int32Array(V);
  const wordIds = [startId];
  x.data[0] = startId;
  while (wordIds.length < sampleSize) {
    const score = model.predict(x).data; // (1, 1, V)
    // softmax over the allowed words: the likeliest has p = 1, so the sum is at least 1
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (allowed[i]) max = Math.max(max, score[i] / temperature);
    let sum = 0;
    for (let i = 0; i < V; i++) {
      sum += p[i] = allowed[i] ? Math.exp(score[i] / temperature - max) : 0;
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
