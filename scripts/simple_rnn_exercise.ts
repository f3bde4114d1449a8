/**
 * The SimpleRNN exercise's small-array experiment: `deno run scripts/simple_rnn_exercise.ts`
 * prints the last hidden state, `[0.79494228, 0.81839002, 0.83939649, 0.85584174]`.
 *
 * @module
 */

import { array64, SimpleRNN } from "../lib/layers/simple_rnn.ts";

/** Runs the experiment; returns the last `h` `(1, 4)`, in float64. */
export function experiment(): Float64Array {
  const x = array64([[[1, 2], [2, 3], [3, 4]]], [1, 3, 2]); // (batch_size, n_sequences, n_features)
  x.data.forEach((v, i) => x.data[i] = v / 100);
  const rnn = new SimpleRNN(2, 4, {
    Wx: [1, 3, 5, 7, 3, 5, 7, 8].map((v) => v / 100), // (n_features, n_nodes)
    Wh: [1, 3, 5, 7, 2, 4, 6, 8, 3, 5, 7, 8, 4, 6, 8, 10].map((v) => v / 100), // (n_nodes, n_nodes)
    B: [1, 1, 1, 1],
  });
  return rnn.forward(x, array64([0, 0, 0, 0], [1, 4])).data;
}

/** The values as NumPy prints them with 8 decimals: `[0.79494228, …]`. */
export function formatRow(values: ArrayLike<number>): string {
  return `[${Array.from(values, (v) => v.toFixed(8)).join(", ")}]`;
}

if (import.meta.main) console.log(formatRow(experiment()));
