/** The small models and corpus the parallel tests train (shared with a subprocess script). */

import type { LanguageModelConfig } from "../../lib/models/rnnlm.ts";
import { Rng } from "../../lib/random.ts";

/** A corpus with some structure, so losses move. */
export function corpus(n: number, V: number, seed = 3): Int32Array {
  const rng = new Rng(seed);
  const out = new Int32Array(n);
  for (let i = 1; i < n; i++) out[i] = rng.uniform() < 0.7 ? (out[i - 1] * 5 + 3) % V : rng.int(V);
  return out;
}

/** Model shapes: the chapter-5 model and the better preset, small. */
export const SHAPES: Record<string, LanguageModelConfig> = {
  // the chapter-5 model's shape, with dropout
  simple: {
    vocabSize: 40,
    wordvecSize: 12,
    hiddenSize: 12,
    cell: "rnn",
    layers: 1,
    dropout: 0.3,
    tieWeights: false,
  },
  // the better preset's shape: two LSTM layers, dropout, tied weights
  lstm: {
    vocabSize: 40,
    wordvecSize: 16,
    hiddenSize: 16,
    cell: "lstm",
    layers: 2,
    dropout: 0.5,
    tieWeights: true,
  },
};
