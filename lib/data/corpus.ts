/**
 * Text to word ids, as the reference's `dataset/ptb.py` does it: newlines become `<eos>`,
 * words are split on whitespace, ids are given by first occurrence. No I/O: runs anywhere.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";

/**
 * The end-of-sentence token a newline becomes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { corpusFromText, EOS, tokenize } from "./corpus.ts";
 * assert.deepEqual(tokenize("the cat\nsat\n"), ["the", "cat", EOS, "sat", EOS]);
 * const { ids, vocab } = corpusFromText("the cat\nsat\n");
 * assert.equal(vocab.id(EOS), 2); // a word like any other: the model learns to predict it
 * assert.deepEqual(Array.from(ids), [0, 1, 2, 3, 2]);
 * ```
 */
export const EOS = "<eos>";
/**
 * The token words outside a capped vocabulary become.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { corpusFromText, UNK } from "./corpus.ts";
 * const { ids, vocab } = corpusFromText("a b a c a b d", { maxSize: 3 }); // keeps a, b and <unk>
 * const words = Array.from(ids, (id) => vocab.idToWord[id]);
 * assert.deepEqual(words, ["a", "b", "a", UNK, "a", "b", UNK]);
 * // held-out text mapped with that vocabulary: words it lacks become <unk> too
 * assert.deepEqual(Array.from(corpusFromText("a z", { vocab }).ids), [0, vocab.id(UNK)]);
 * ```
 */
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
 * What Python's `str.split()` splits on (Unicode whitespace, `str.isspace`), so words are cut
 * exactly where the reference cuts them. (JavaScript's `\s` differs: it lacks `\x1c`–`\x1f` and
 * `\x85`, and has U+FEFF.)
 */
const WHITESPACE =
  // deno-lint-ignore no-control-regex -- \x1c-\x1f are whitespace to Python
  /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** Options of {@linkcode tokenize}. */
export interface TokenizeOptions {
  /**
   * Apply the reference's rule literally: `text.replace('\n', '<eos>').strip().split()`, so a
   * newline becomes `<eos>` *glued* to its neighbours ("a\nb" is the one word "a<eos>b"). PTB's
   * lines begin and end with a space, so there both rules give the same words. Default false:
   * every newline becomes the word `<eos>` on its own.
   */
  reference?: boolean;
}

/**
 * Splits text into words the reference's way: every newline becomes the token `<eos>`, then
 * whitespace (Python's `str.split()` set) separates words. Line ends are read as Python's
 * `open()` reads them: `\r\n` and a lone `\r` are newlines too.
 *
 * By default `<eos>` is always a word of its own (newline → `" <eos> "`), which general text
 * (`--corpus`) needs; `{ reference: true }` replaces newlines by `"<eos>"` with no spaces, as
 * the reference does. On PTB the two agree (929,589 train words).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenize } from "./corpus.ts";
 * assert.deepEqual(tokenize(" a cat \n sat\n"), ["a", "cat", "<eos>", "sat", "<eos>"]);
 * assert.deepEqual(tokenize("a\nb", { reference: true }), ["a<eos>b"]);
 * ```
 */
export function tokenize(text: string, options?: TokenizeOptions): string[] {
  options ??= {};
  if (text.includes("\r")) text = text.replace(/\r\n?/g, "\n");
  const words = text.replaceAll("\n", options.reference ? EOS : ` ${EOS} `).split(WHITESPACE);
  // A regex split leaves at most one empty string at each end (leading/trailing whitespace).
  if (words.length > 0 && words[words.length - 1] === "") words.pop();
  if (words.length > 0 && words[0] === "") words.shift();
  return words;
}

/** Options of {@linkcode corpusFromText}. */
export interface CorpusOptions {
  /**
   * Map words with this vocabulary instead of building one. Unknown words become `<unk>` if it
   * has that word, else are an error naming the word and its position (unless `extend`).
   */
  vocab?: Vocabulary;
  /** With `vocab`: add unknown words to it (it is modified and returned). Default false. */
  extend?: boolean;
  /**
   * With `vocab`: an unknown word is an error even when the vocabulary has `<unk>` (the
   * reference maps PTB's valid/test words with a dict lookup that fails on a new word).
   */
  strict?: boolean;
  /**
   * Cap the vocabulary built from the text at `maxSize` words: the `maxSize − 1` most frequent
   * words (ties broken by first occurrence) and `<unk>`, which every other word becomes. A
   * `<unk>` already in the text is that same word, not one of the `maxSize − 1`. Not with
   * `vocab`.
   */
  maxSize?: number;
  /** Tokenise with the reference's literal newline rule; see {@linkcode tokenize}. */
  reference?: boolean;
  /** What the text is, for error messages (default `corpusFromText`). */
  where?: string;
}

/**
 * Word ids of `text` and the vocabulary they index.
 *
 * Without options, ids are by first occurrence (the reference's `load_vocab`). With `maxSize`,
 * the most frequent words are kept and still numbered by first occurrence among the kept words
 * (`<unk>` takes its id where the first dropped word, or `<unk>` itself, first occurs), and every
 * other word maps to `<unk>`. A text with at most `maxSize` distinct words is not capped.
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
 * const more = corpusFromText("a e", { vocab: capped.vocab }); // e → <unk>
 * assert.deepEqual(Array.from(more.ids), [0, 2]);
 * ```
 */
export function corpusFromText(
  text: string,
  options?: CorpusOptions,
): { ids: Int32Array; vocab: Vocabulary } {
  options ??= {};
  const where = options.where ?? "corpusFromText";
  if (options.vocab !== undefined && options.maxSize !== undefined) {
    throw new SaikiError(
      `${where}: maxSize caps a vocabulary built from the text; it cannot be used with vocab`,
    );
  }
  const words = tokenize(text, { reference: options.reference });
  if (options.vocab === undefined) {
    const vocab = options.maxSize === undefined
      ? new Vocabulary()
      : cappedVocabulary(words, options.maxSize, where);
    const unk = vocab.wordToId.get(UNK);
    const ids = new Int32Array(words.length);
    if (unk === undefined) {
      for (let i = 0; i < words.length; i++) ids[i] = vocab.add(words[i]);
    } else {
      for (let i = 0; i < words.length; i++) ids[i] = vocab.wordToId.get(words[i]) ?? unk;
    }
    return { ids, vocab };
  }
  const vocab = options.vocab;
  const unk = options.strict ? undefined : vocab.wordToId.get(UNK);
  const ids = new Int32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    let id = vocab.wordToId.get(words[i]);
    if (id === undefined) {
      if (options.extend) id = vocab.add(words[i]);
      else if (unk !== undefined) id = unk;
      else {
        throw new SaikiError(
          `${where}: word "${words[i]}" at token position ${i} is not in the vocabulary` +
            (options.strict
              ? ""
              : `, which has no ${UNK} (give extend: true to add new words, or use a ` +
                `vocabulary capped with maxSize, which has ${UNK})`),
        );
      }
    }
    ids[i] = id;
  }
  return { ids, vocab };
}

/** The capped vocabulary of `words`, numbered by first occurrence; see `CorpusOptions.maxSize`. */
function cappedVocabulary(words: string[], maxSize: number, where: string): Vocabulary {
  if (!Number.isInteger(maxSize) || maxSize < 2) {
    throw new SaikiError(`${where}: maxSize is ${maxSize}, expected an integer >= 2`);
  }
  const all = Vocabulary.fromWords(words); // ids = first occurrence order
  if (all.size <= maxSize) return all;
  const count = new Int32Array(all.size);
  for (const w of words) count[all.wordToId.get(w)!]++;
  const unkId = all.wordToId.get(UNK);
  const ranked = Array.from({ length: all.size }, (_, i) => i)
    .filter((i) => i !== unkId)
    .sort((a, b) => count[b] - count[a] || a - b);
  const keep = new Uint8Array(all.size);
  for (const i of ranked.slice(0, maxSize - 1)) keep[i] = 1;
  const vocab = new Vocabulary();
  for (let i = 0; i < all.size; i++) vocab.add(keep[i] ? all.idToWord[i] : UNK);
  return vocab;
}
