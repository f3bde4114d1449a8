/**
 * Text to word ids, as the reference's `dataset/ptb.py` does it: newlines become `<eos>`,
 * words are split on whitespace, ids are given by first occurrence. No I/O: runs anywhere.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";

/** The end-of-sentence token a newline becomes. */
export const EOS = "<eos>";
/** The token words outside a capped vocabulary become. */
export const UNK = "<unk>";

/**
 * A word ↔ id map; ids are dense, from 0, in order of addition.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Vocabulary } from "./corpus.ts";
 * const vocab = Vocabulary.fromWords(["the", "cat", "the"]);
 * assert(vocab.size === 2 && vocab.id("cat") === 1 && vocab.idToWord[0] === "the");
 * ```
 */
export class Vocabulary {
  /** Word of each id. */
  readonly idToWord: string[] = [];
  /** Id of each word. */
  readonly wordToId: Map<string, number> = new Map();

  /** Builds a vocabulary from words in order of first occurrence. */
  static fromWords(words: Iterable<string>): Vocabulary {
    const vocab = new Vocabulary();
    for (const w of words) vocab.add(w);
    return vocab;
  }

  /** Number of words. */
  get size(): number {
    return this.idToWord.length;
  }

  /** The id of `word`, added at the end if new. */
  add(word: string): number {
    let id = this.wordToId.get(word);
    if (id === undefined) {
      id = this.idToWord.length;
      this.wordToId.set(word, id);
      this.idToWord.push(word);
    }
    return id;
  }

  /** The id of `word`; an error naming it when unknown. */
  id(word: string): number {
    const id = this.wordToId.get(word);
    if (id === undefined) throw new SaikiError(`Vocabulary: unknown word "${word}"`);
    return id;
  }
}

/**
 * Splits text into words the reference's way: every newline becomes the token `<eos>`, then
 * whitespace separates words. (The reference replaces `"\n"` by `"<eos>"` without spaces, which
 * PTB's " word word \n" lines make equivalent; here `<eos>` is always a token of its own.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenize } from "./corpus.ts";
 * assert.deepEqual(tokenize(" a cat \n sat\n"), ["a", "cat", "<eos>", "sat", "<eos>"]);
 * ```
 */
export function tokenize(text: string): string[] {
  return text.replaceAll("\n", ` ${EOS} `).split(/\s+/).filter((w) => w !== "");
}

/** Options of {@linkcode corpusFromText}. */
export interface CorpusOptions {
  /** Map words with this vocabulary (unknown words → `<unk>` if it has one, else an error). */
  vocab?: Vocabulary;
  /** Keep the `maxSize − 1` most frequent words and `<unk>`; the rest become `<unk>`. */
  maxSize?: number;
  /** What the text is, for error messages (default `corpusFromText`). */
  where?: string;
}

/**
 * Word ids of `text` and the vocabulary they index.
 *
 * Without options, ids are by first occurrence (the reference). With `maxSize`, the most
 * frequent words are kept (ties broken by first occurrence), numbered by first occurrence, and
 * every other word maps to `<unk>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { corpusFromText } from "./corpus.ts";
 * const { ids, vocab } = corpusFromText("you say goodbye and i say hello .");
 * assert.deepEqual(Array.from(ids), [0, 1, 2, 3, 4, 1, 5, 6]);
 * assert(vocab.idToWord[1] === "say");
 * const capped = corpusFromText("a b a c a b d", { maxSize: 3 }); // c, d → <unk>
 * assert.deepEqual(capped.vocab.idToWord, ["a", "b", "<unk>"]);
 * ```
 */
export function corpusFromText(
  text: string,
  options: CorpusOptions = {},
): { ids: Int32Array; vocab: Vocabulary } {
  const words = tokenize(text);
  let vocab = options.vocab;
  if (vocab === undefined) {
    if (options.maxSize !== undefined) {
      vocab = cappedVocabulary(words, options.maxSize);
    } else {
      vocab = Vocabulary.fromWords(words);
    }
  }
  const unk = vocab.wordToId.get(UNK);
  const ids = new Int32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const id = vocab.wordToId.get(words[i]) ?? unk;
    if (id === undefined) {
      throw new SaikiError(
        `${options.where ?? "corpusFromText"}: word "${words[i]}" at position ${i} is not in ` +
          `the vocabulary, which has no ${UNK} (a vocabulary capped with maxSize has one)`,
      );
    }
    ids[i] = id;
  }
  return { ids, vocab };
}

function cappedVocabulary(words: string[], maxSize: number): Vocabulary {
  if (!Number.isInteger(maxSize) || maxSize < 2) {
    throw new SaikiError(`corpusFromText: maxSize is ${maxSize}, expected an integer >= 2`);
  }
  const count = new Map<string, number>();
  const first = new Map<string, number>();
  words.forEach((w, i) => {
    count.set(w, (count.get(w) ?? 0) + 1);
    if (!first.has(w)) first.set(w, i);
  });
  if (count.size <= maxSize) return Vocabulary.fromWords(words);
  const ranked = [...count.keys()].filter((w) => w !== UNK).sort((a, b) =>
    count.get(b)! - count.get(a)! || first.get(a)! - first.get(b)!
  );
  const keep = new Set(ranked.slice(0, maxSize - 1));
  const vocab = new Vocabulary();
  for (const w of words) vocab.add(keep.has(w) ? w : UNK);
  return vocab;
}
