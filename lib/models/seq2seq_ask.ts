/**
 * Answering a typed question with a trained seq2seq model, as the book's examples do it: the
 * question padded with spaces to the data set's width (`16+75` → `16+75  `), reversed when the
 * model was trained on reversed questions, answered greedily from the separator `_`; for an
 * attention model, the weights of every answer character over the question's characters, laid
 * out as the reference's `visualize_attention.py` shows them (the question the right way round).
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import type { CharVocabulary } from "../data/sequence.ts";
import { IntTensor, Tensor } from "../tensor.ts";
import { AttentionSeq2seq, type Seq2seqModel } from "./seq2seq.ts";

/** How a model reads its questions: what {@linkcode askSeq2seq} needs beside the model. */
export interface QuestionFormat {
  /** The characters, by id. */
  vocab: CharVocabulary;
  /** Question width `T` and answer width (with the start character `_`). */
  widths: { question: number; answer: number };
  /** Whether the model reads questions reversed. */
  reverse: boolean;
}

/** The answer to one question. */
export interface Seq2seqReply {
  /** The answer as the model wrote it, padding included (`"91  "`). */
  answer: string;
  /** For an attention model: `(Td, T)` weights, rows the answer's characters, columns the question's. */
  attention?: Tensor;
  /** Column labels: the question's characters, the right way round (padding included). */
  questionChars: string[];
  /** Row labels: the answer's characters. */
  answerChars: string[];
}

/**
 * Answers `question`, checking it fits the model: no longer than the question width, every
 * character known (errors name the character and what the model knows).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { askSeq2seq } from "./seq2seq_ask.ts";
 * import { AttentionSeq2seq } from "./seq2seq.ts";
 * import { CharVocabulary } from "../data/sequence.ts";
 * const vocab = CharVocabulary.fromText("0123456789+_ ");
 * const model = new AttentionSeq2seq(vocab.size, 8, 16);
 * const reply = askSeq2seq(model, "16+75", { vocab, widths: { question: 7, answer: 5 }, reverse: true });
 * assert.equal(reply.answer.length, 4);
 * assert.deepEqual(reply.attention!.shape, [4, 7]); // answer × question
 * assert.equal(reply.questionChars.join(""), "16+75  ");
 * assert.throws(() => askSeq2seq(model, "16*75", { vocab, widths: { question: 7, answer: 5 }, reverse: true }),
 *   /"\*"/);
 * ```
 */
export function askSeq2seq(
  model: Seq2seqModel,
  question: string,
  format: QuestionFormat,
): Seq2seqReply {
  const { vocab, widths, reverse } = format;
  const chars = [...question];
  if (chars.length > widths.question) {
    throw new SaikiError(
      `too long: ${chars.length} characters; the model reads questions of at most ${widths.question}`,
    );
  }
  const padded = [...chars, ...Array(widths.question - chars.length).fill(" ")];
  const bad = chars.findIndex((c) => !vocab.charToId.has(c));
  if (bad >= 0) {
    throw new SaikiError(
      `${JSON.stringify(chars[bad])} (character ${bad + 1}) is not one of the model's characters ` +
        `(${JSON.stringify([...vocab.idToChar].sort().join(""))})`,
    );
  }
  if (!vocab.charToId.has(" ") && chars.length < widths.question) {
    throw new SaikiError(`the model's characters have no space to pad the question with`);
  }
  const fed = reverse ? [...padded].reverse() : padded;
  const xs = new IntTensor(Int32Array.from(fed, (c) => vocab.id(c)), [1, widths.question]);
  const start = vocab.charToId.get("_");
  if (start === undefined) throw new SaikiError(`the model's characters have no separator "_"`);
  const ids = model.generate(xs, start, widths.answer - 1);
  const answerChars = ids.map((i) => vocab.idToChar[i]);
  const reply: Seq2seqReply = { answer: answerChars.join(""), questionChars: padded, answerChars };
  if (model instanceof AttentionSeq2seq) {
    const maps = model.decoder.attentionMaps!; // (1, Td, T), columns in the order fed
    const [, Td, T] = maps.shape;
    const a = new Tensor(new Float32Array(Td * T), [Td, T]);
    for (let r = 0; r < Td; r++) {
      for (let c = 0; c < T; c++) a.data[r * T + c] = maps.data[r * T + (reverse ? T - 1 - c : c)];
    }
    reply.attention = a;
  }
  return reply;
}
