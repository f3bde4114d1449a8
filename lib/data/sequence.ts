/**
 * The book's chapter 7–8 data sets — `addition.txt` (`16+75  _91  `) and `date.txt`
 * (`september 27, 1994           _1994-09-27`) — parsed exactly as the reference's
 * `dataset/sequence.py` `load_data` parses them: each line cut at its first `_` into a
 * question and an answer (the answer keeps the `_`, which the decoder starts from), characters
 * numbered by first occurrence (question then answer, line by line), the rows shuffled as
 * `numpy.random.seed(1984); numpy.random.shuffle(indices)` shuffles them (NumPy's legacy
 * MT19937, reproduced bit for bit), and the last tenth kept for testing. No I/O: runs anywhere;
 * `loadSequence` in `lib/io/sequence.ts` reads and checks the files.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { IntTensor } from "../tensor.ts";
import { MT19937 } from "./_mt19937.ts";

/**
 * The reference's two sequence data sets: `addition.txt` (chapter 7) and `date.txt`
 * (chapter 8).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { SequenceName } from "./sequence.ts";
 * import { sequenceSample } from "./sequence_sample.ts";
 * const name: SequenceName = "date";
 * assert.equal(sequenceSample(name).xTrain.shape[1], 29);
 * ```
 */
export type SequenceName = "addition" | "date";

/**
 * A character ↔ id map, the reference's `get_vocab()` (`char_to_id`, `id_to_char`): ids are
 * dense, from 0, in order of first occurrence; a "character" is one Unicode code point, as a
 * Python `str` counts them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CharVocabulary } from "./sequence.ts";
 * const vocab = CharVocabulary.fromText("16+75  _91  ");
 * assert.deepEqual(vocab.idToChar, ["1", "6", "+", "7", "5", " ", "_", "9"]);
 * assert.deepEqual(Array.from(vocab.encode("57+1")), [4, 3, 2, 0]);
 * assert.equal(vocab.decode([6, 7, 0]), "_91");
 * ```
 */
export class CharVocabulary {
  /** Character of each id (`id_to_char`). */
  readonly idToChar: string[] = [];
  /** Id of each character (`char_to_id`). */
  readonly charToId: Map<string, number> = new Map();

  /** A vocabulary of the characters of `text`, numbered by first occurrence. */
  static fromText(text: string): CharVocabulary {
    const vocab = new CharVocabulary();
    for (const c of text) vocab.add(c);
    return vocab;
  }

  /** Number of characters. */
  get size(): number {
    return this.idToChar.length;
  }

  /** The id of `char` (one code point), added at the end if new. */
  add(char: string): number {
    let id = this.charToId.get(char);
    if (id === undefined) {
      if (codePoints(char) !== 1) {
        throw new SaikiError(
          `CharVocabulary.add: ${JSON.stringify(char)} is not one character (code point)`,
        );
      }
      id = this.idToChar.length;
      this.charToId.set(char, id);
      this.idToChar.push(char);
    }
    return id;
  }

  /** The id of `char`; an error naming it when unknown. */
  id(char: string): number {
    const id = this.charToId.get(char);
    if (id === undefined) {
      throw new SaikiError(
        `CharVocabulary: ${JSON.stringify(char)} is not one of its ${this.size} characters`,
      );
    }
    return id;
  }

  /**
   * The ids of `text`'s characters; an error naming the first unknown character and its
   * position.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { sequenceSample } from "./sequence_sample.ts";
   * const { vocab } = sequenceSample("addition");
   * const ids = vocab.encode("12+3   "); // a question, padded to its 7 characters
   * assert.equal(vocab.decode(ids), "12+3   ");
   * assert.throws(() => vocab.encode("1*2"), /"\*" at position 1 is not one of its 13 characters/);
   * ```
   */
  encode(text: string): Int32Array {
    const chars = Array.from(text);
    const ids = new Int32Array(chars.length);
    for (let i = 0; i < chars.length; i++) {
      const id = this.charToId.get(chars[i]);
      if (id === undefined) {
        throw new SaikiError(
          `CharVocabulary.encode: ${JSON.stringify(chars[i])} at position ${i} is not one of ` +
            `its ${this.size} characters`,
        );
      }
      ids[i] = id;
    }
    return ids;
  }

  /**
   * The text of `ids` (the book's `''.join([id_to_char[int(c)] for c in ids])`): a list of
   * ids, or every id of an `IntTensor` in row-major order (one row: `x.rows(i, i + 1)`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { sequenceSample } from "./sequence_sample.ts";
   * const { xTrain, tTrain, vocab } = sequenceSample("addition");
   * const question = vocab.decode(xTrain.rows(0, 1)), answer = vocab.decode(tTrain.rows(0, 1));
   * assert.match(question + answer, /^\d+\+\d+ *_\d+ *$/);
   * assert.throws(() => vocab.decode([13]), /id 13 at position 0 is not in \[0, 13\)/);
   * ```
   */
  decode(ids: ArrayLike<number> | IntTensor): string {
    const data = ids instanceof IntTensor ? ids.data : ids;
    let text = "";
    for (let i = 0; i < data.length; i++) {
      const c = this.idToChar[data[i]];
      if (c === undefined || !Number.isInteger(data[i])) {
        throw new SaikiError(
          `CharVocabulary.decode: id ${data[i]} at position ${i} is not in [0, ${this.size})`,
        );
      }
      text += c;
    }
    return text;
  }
}

/** Options of {@linkcode sequenceData}. */
export interface SequenceOptions {
  /**
   * The shuffle's seed, `numpy.random.seed(seed)`: an integer in `[0, 2³²)`. Default 1984, the
   * reference's. (The reference's `seed=None`, an unseeded shuffle, has no counterpart: every
   * split here is reproducible.)
   */
  seed?: number;
  /**
   * Reverse every question (`x_train[:, ::-1]`, `x_test[:, ::-1]`): the book's 7.4.1 "reverse
   * the input" improvement, `is_reverse = True` in `ch07/train_seq2seq.py`. Default false.
   * Only the questions: answers are read from the left.
   */
  reverse?: boolean;
  /** What the text is, for error messages (e.g. its path). Default `sequenceData`. */
  where?: string;
}

/** A sequence data set split as the reference splits it, and its vocabulary. */
export interface SequenceData {
  /** Training questions, `(N_train, question width)`: 45,000 × 7 for `addition.txt`. */
  xTrain: IntTensor;
  /** Training answers with their leading `_`, `(N_train, answer width)`: 45,000 × 5. */
  tTrain: IntTensor;
  /** Test questions (the last tenth, `len(x) // 10` rows, after the shuffle): 5,000 × 7. */
  xTest: IntTensor;
  /** Test answers: 5,000 × 5. */
  tTest: IntTensor;
  /** The characters, numbered by first occurrence in the file (before the shuffle). */
  vocab: CharVocabulary;
}

const codePoints = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** A line for an error message: quoted, cut after 60 characters. */
function show(line: string): string {
  const chars = Array.from(line);
  return chars.length <= 60
    ? JSON.stringify(line)
    : `${JSON.stringify(chars.slice(0, 60).join(""))}…`;
}

/**
 * Parses a sequence data set as the reference's `load_data(file_name, seed)` does: one
 * question `_answer` pair per line, every line of the same widths (the reference's arrays are
 * fixed-width: questions and answers are padded with spaces), the answer keeping its `_`.
 *
 * - Lines end in `\n`, `\r\n` or `\r` (Python's text mode reads all three); the last line's
 *   newline is optional (the reference would cut the last character off a line without one).
 * - Characters get ids by first occurrence, question before answer, line by line, before the
 *   shuffle: the shipped samples, being the files' first lines, number their characters as the
 *   whole files do.
 * - The rows are shuffled by `numpy.random.seed(seed); numpy.random.shuffle(arange(n))` and the
 *   last `n // 10` become the test split.
 *
 * Errors name the line: empty text, a line without `_`, a line whose question or answer width
 * differs from the first line's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sequenceData } from "./sequence.ts";
 * const lines = ["1+2 _3  ", "10+5_15 ", "7+7 _14 ", "3+30_33 ", "0+0 _0  "];
 * const { xTrain, tTrain, xTest, vocab } = sequenceData(lines.join("\n") + "\n");
 * assert.deepEqual([xTrain.shape, tTrain.shape, xTest.shape], [[5, 4], [5, 4], [0, 4]]);
 * assert.equal(vocab.idToChar.slice(0, 5).join(""), "1+2 _");
 * const rows = Array.from({ length: 5 }, (_, i) => vocab.decode(xTrain.rows(i, i + 1)));
 * assert.deepEqual(rows.toSorted(), lines.map((l) => l.slice(0, 4)).toSorted()); // shuffled
 * assert.throws(() => sequenceData("1+2 _3\n12+3 _15\n"), /line 2 .* expected 4 and 2/);
 * ```
 */
export function sequenceData(text: string, options?: SequenceOptions): SequenceData {
  options ??= {};
  const where = options.where ?? "sequenceData";
  const seed = options.seed ?? 1984;
  if (typeof text !== "string") {
    throw new SaikiError(`${where}: text is ${typeof text}, expected a string`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new SaikiError(
      `${where}: seed is ${seed}, expected an integer in [0, 2**32) (as numpy.random.seed)`,
    );
  }
  if (text.includes("\r")) text = text.replace(/\r\n?/g, "\n");
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop(); // the last line's newline
  if (lines.length === 0) {
    throw new SaikiError(
      `${where}: the text is empty, expected lines of a question, "_" and an answer, like ` +
        `"16+75  _91  "`,
    );
  }

  // One pass: cut each line at its first "_", number new characters (question, then answer),
  // and write the ids; the widths are the first line's.
  const vocab = new CharVocabulary();
  const n = lines.length;
  let qWidth = 0, aWidth = 0;
  let x = new Int32Array(0), t = new Int32Array(0);
  for (let i = 0; i < n; i++) {
    const line = lines[i];
    const cut = line.indexOf("_");
    if (cut < 0) {
      throw new SaikiError(
        `${where}: line ${i + 1} (${show(line)}) has no "_", expected a question, "_" and an ` +
          `answer, like "16+75  _91  "`,
      );
    }
    const q = Array.from(line.slice(0, cut)), a = Array.from(line.slice(cut));
    if (i === 0) {
      qWidth = q.length, aWidth = a.length;
      x = new Int32Array(n * qWidth), t = new Int32Array(n * aWidth);
    } else if (q.length !== qWidth || a.length !== aWidth) {
      throw new SaikiError(
        `${where}: line ${i + 1} (${show(line)}) has a question ${q.length} characters wide ` +
          `and an answer (with its "_") ${a.length}, expected ${qWidth} and ${aWidth} as on ` +
          `line 1: every line must be padded to the same widths`,
      );
    }
    for (let k = 0; k < qWidth; k++) x[i * qWidth + k] = vocab.add(q[k]);
    for (let k = 0; k < aWidth; k++) t[i * aWidth + k] = vocab.add(a[k]);
  }

  // numpy.random.seed(seed); numpy.random.shuffle(indices); x = x[indices]; t = t[indices]
  const indices = new MT19937(seed).permutation(n);
  const xs = new Int32Array(n * qWidth), ts = new Int32Array(n * aWidth);
  for (let r = 0; r < n; r++) {
    const from = indices[r];
    xs.set(x.subarray(from * qWidth, (from + 1) * qWidth), r * qWidth);
    ts.set(t.subarray(from * aWidth, (from + 1) * aWidth), r * aWidth);
  }
  if (options.reverse) reverseEachRow(xs, qWidth);

  const splitAt = n - Math.floor(n / 10);
  const rows = (data: Int32Array, width: number, start: number, end: number) =>
    new IntTensor(data.subarray(start * width, end * width), [end - start, width]);
  return {
    xTrain: rows(xs, qWidth, 0, splitAt),
    tTrain: rows(ts, aWidth, 0, splitAt),
    xTest: rows(xs, qWidth, splitAt, n),
    tTest: rows(ts, aWidth, splitAt, n),
    vocab,
  };
}

/** Reverses each `width`-long row of `data` in place. */
function reverseEachRow(data: Int32Array, width: number): void {
  for (let at = 0; at < data.length; at += width) data.subarray(at, at + width).reverse();
}

/**
 * Each row of an `(N, T)` id tensor reversed, as a new tensor: the book's `x[:, ::-1]`, which
 * feeds the encoder the question backwards (7.4.1; `reverse: true` in
 * {@linkcode sequenceData} does it to both splits).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reverseQuestions } from "./sequence.ts";
 * import { IntTensor } from "../tensor.ts";
 * const x = IntTensor.from([[1, 2, 3], [4, 5, 6]]);
 * assert.deepEqual(reverseQuestions(x).toArray(), [[3, 2, 1], [6, 5, 4]]);
 * ```
 */
export function reverseQuestions(x: IntTensor): IntTensor {
  if (!(x instanceof IntTensor) || x.shape.length !== 2) {
    throw new SaikiError(
      `reverseQuestions: x is ${
        x instanceof IntTensor ? `an IntTensor of shape [${x.shape.join(",")}]` : typeof x
      }, expected a 2-D IntTensor (N, T)`,
    );
  }
  const data = x.data.slice();
  reverseEachRow(data, x.shape[1] || 1);
  return new IntTensor(data, x.shape);
}
