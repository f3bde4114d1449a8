/**
 * The data of a training run, read from disk (Deno only): a text corpus or PTB, checked
 * against the run's batch sizes before anything is written.
 *
 * @module
 */

import { corpusFromText, EOS, tokenize, UNK } from "../data/corpus.ts";
import { loadPtbAll, type PtbOptions } from "./ptb.ts";
import { PTB_HEAD_WORDS, ptbHead } from "../data/ptb_head.ts";
import { SaikiError } from "../errors.ts";
import type { TrainConfig } from "../train/config.ts";
import { thousands } from "../train/format.ts";
import type { RunData } from "../train/session.ts";
import { UsageError } from "../std/cli.ts";
import { fileKind, readRegularFile } from "./read.ts";

/**
 * Reads a run's data: the `--corpus` texts (with `--valid`/`--test`, held-out words missing
 * from the training text become `<unk>`), or PTB from `dataDir` or the cache (downloading it
 * where allowed); then the `corpusSize` cut. A run of at most {@linkcode PTB_HEAD_WORDS} words
 * (the `simple` preset) falls back to the head of PTB shipped in `lib/data/ptb_head.ts` when PTB
 * cannot be found or downloaded and no folder was named, and says so in a note. `options`
 * reach `loadPtbAll` (tests turn the cache and the download off) and replace the environment.
 */
export async function loadRunData(
  config: TrainConfig,
  options: { ptb?: PtbOptions; env?: (name: string) => string | undefined } = {},
): Promise<RunData> {
  if (config.corpus !== undefined) {
    const text = await readText("--corpus", config.corpus);
    const { ids, vocab } = corpusFromText(text, { maxSize: config.vocabSize });
    const notes: string[] = [];
    // With --vocab-size, the training text's words the cap left out (they are <unk> now)
    let trainWords: Set<string> | undefined;
    if (config.vocabSize !== undefined) {
      const tokens = tokenize(text);
      trainWords = new Set(tokens);
      const cutTokens = tokens.reduce((n, w) => n + (vocab.wordToId.has(w) ? 0 : 1), 0);
      if (cutTokens > 0) {
        const cutWords = [...trainWords].filter((w) => !vocab.wordToId.has(w)).length;
        notes.push(
          `--vocab-size ${config.vocabSize} left out ${thousands(cutWords)} of the training ` +
            `text's ${thousands(trainWords.size)} distinct words: ${thousands(cutTokens)} of ` +
            `${thousands(ids.length)} training tokens are ${UNK}`,
        );
      }
    }
    // Held-out words outside the vocabulary become <unk>: words the training text lacks, and
    // (with --vocab-size) words it has but the cap left out. Without --vocab-size the training
    // vocabulary has no <unk>, so it gets one (never a training target: such words cost what
    // the model gives a word it has not seen).
    if ((config.validCorpus ?? config.testCorpus) !== undefined) vocab.add(UNK);
    const split = async (flag: string, path: string | undefined) => {
      if (path === undefined) return undefined;
      const heldText = await readText(flag, path);
      const held = corpusFromText(heldText, { vocab, where: `${flag} ${path}` });
      let absent = 0, cut = 0;
      for (const w of tokenize(heldText)) {
        if (vocab.wordToId.has(w)) continue;
        if (trainWords?.has(w)) cut++;
        else absent++;
      }
      if (absent + cut > 0) {
        const of = `${thousands(absent + cut)} of ${thousands(held.ids.length)}`;
        const cutBy = `--vocab-size ${config.vocabSize}`;
        const why = cut === 0
          ? "not in the training text"
          : absent === 0
          ? `words of the training text that ${cutBy} left out`
          : `${thousands(absent)} not in the training text, ${thousands(cut)} left out by ${cutBy}`;
        notes.push(`${flag} ${path}: ${of} tokens are ${UNK} (${why})`);
      }
      return held.ids;
    };
    return cut({
      train: ids,
      valid: await split("--valid", config.validCorpus),
      test: await split("--test", config.testCorpus),
      words: vocab.idToWord,
      notes,
    }, config.corpusSize);
  }
  if (config.dataDir !== undefined) {
    const info = await Deno.stat(config.dataDir).catch(() => undefined);
    if (info !== undefined && !info.isDirectory) {
      throw new SaikiError(
        `--data-dir ${config.dataDir} is ${fileKind(info) ?? "a file"}; it names the folder ` +
          `that holds ptb.train.txt, ptb.valid.txt and ptb.test.txt`,
      );
    }
  }
  let ptb;
  try {
    ptb = await loadPtbAll({ dataDir: config.dataDir, ...options.ptb }); // progress on stderr
  } catch (e) {
    // A run that needs only the first words (the simple preset) trains on the shipped head
    // when PTB is neither found nor downloadable, unless a folder was named explicitly.
    const explicit = config.dataDir !== undefined || options.ptb?.dataDir !== undefined ||
      (options.env ?? envValue)("SAIKI_DATA_DIR") !== undefined;
    const fits = config.corpusSize > 0 && config.corpusSize <= PTB_HEAD_WORDS;
    if (!(e instanceof SaikiError) || explicit || !fits) throw e;
    const head = ptbHead();
    return cut({
      train: head.ids,
      words: head.vocab.idToWord,
      notes: [
        `PTB is not available here (${e.message.split(". ")[0]}); ` +
        `training on its first ${thousands(config.corpusSize)} words, shipped with saiki ` +
        `(for the other presets: --data-dir DIR or SAIKI_DATA_DIR=DIR with ptb.{train,valid,test}.txt)`,
      ],
    }, config.corpusSize);
  }
  return cut({
    train: ptb.train.ids,
    valid: ptb.valid.ids,
    test: ptb.test.ids,
    words: ptb.vocab.idToWord,
    notes: [],
  }, config.corpusSize);
}

/** Smallest held-out text `evalPerplexity` can read: one batch of 10 × 35, plus its target. */
export const EVAL_MIN_TOKENS = 10 * 35 + 1;

/** Fails before anything is written when a split is too small for the run's batches. */
export function checkSizes(config: TrainConfig, data: RunData): void {
  const eos = data.words.indexOf(EOS);
  const blank = (ids: Int32Array) => ids.length > 0 && ids.every((id) => id === eos);
  const lines = (n: number) => `${thousands(n)} blank line${n === 1 ? "" : "s"}`;
  if (blank(data.train)) {
    throw new SaikiError(
      `the training text (${config.corpus ?? "ptb.train.txt"}) has no words, only ` +
        `${lines(data.train.length)}: a language model needs words to learn`,
    );
  }
  if (data.train.length < 2) {
    throw new SaikiError(
      `the training text (${config.corpus ?? "ptb.train.txt"}) has ${data.train.length} words; ` +
        `a language model needs at least two`,
    );
  }
  const perBatch = config.batch * config.time;
  if (data.train.length - 1 < perBatch) {
    throw new UsageError(
      `--batch ${config.batch} × --time ${config.time} needs ${perBatch} tokens per batch, but ` +
        `the training data has ${data.train.length - 1} inputs; lower --batch or --time`,
    );
  }
  const splits = [
    ["validation", data.valid, config.validCorpus ?? "ptb.valid.txt"],
    ["test", data.test, config.testCorpus ?? "ptb.test.txt"],
  ] as const;
  for (const [split, ids, file] of splits) {
    if (ids !== undefined && blank(ids)) {
      throw new SaikiError(
        `the ${split} text (${file}) has no words, only ${lines(ids.length)}: it measures nothing`,
      );
    }
    if (ids !== undefined && ids.length < EVAL_MIN_TOKENS) {
      throw new SaikiError(
        `the ${split} text (${file}) has ${ids.length} tokens; perplexity is evaluated in ` +
          `batches of 10 × 35 and needs at least ${EVAL_MIN_TOKENS}`,
      );
    }
  }
}

/** The largest text file a run reads: 512 MiB (PTB's training text is 5 MB). */
export const MAX_TEXT_BYTES = 512 * 2 ** 20;

/**
 * Reads a text file as UTF-8, strictly: a regular file of at most {@linkcode MAX_TEXT_BYTES}
 * (checked before it is opened: a FIFO or a device is refused, see `readRegularFile`), a BOM
 * dropped, and errors naming the byte offset for invalid UTF-8 (Latin-1, UTF-16) or a
 * NUL byte (binary data).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readText } from "./run_data.ts";
 * await Deno.mkdir("tests/.tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: "tests/.tmp" });
 * await Deno.writeTextFile(`${dir}/corpus.txt`, "\ufeffyou say goodbye\n"); // with a BOM
 * assert.equal(await readText("--corpus", `${dir}/corpus.txt`), "you say goodbye\n");
 * await assert.rejects(readText("--corpus", dir), /not a regular file/);
 * await assert.rejects(readText("--valid", `${dir}/gone.txt`), /gone.txt: cannot read the file/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readText(flag: string, path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, {
      maxBytes: MAX_TEXT_BYTES,
      expected: "a UTF-8 text file",
      where: `${flag} ${path}`,
    });
  } catch (e) {
    if (e instanceof SaikiError) throw e;
    throw new SaikiError(`${flag} ${path}: cannot read the file (${(e as Error).message})`);
  }
  return decodeText(`${flag} ${path}`, bytes);
}

/**
 * `bytes` as UTF-8 text, or a SaikiError naming `where` and the first offending byte.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeText } from "./run_data.ts";
 * const utf8 = new TextEncoder().encode("\ufeffcafé"); // a BOM, then é as 0xc3 0xa9
 * assert.equal(decodeText("a.txt", utf8), "café");
 * const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9]); // "café" saved as Latin-1
 * assert.throws(() => decodeText("a.txt", latin1), /a.txt: not UTF-8: byte 0xe9 at offset 3/);
 * assert.throws(() => decodeText("a.bin", new Uint8Array([0x61, 0])), /NUL byte at offset 1/);
 * ```
 */
export function decodeText(where: string, bytes: Uint8Array): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new SaikiError(
      `${where}: UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8`,
    );
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new SaikiError(`${where}: a NUL byte at offset ${nul}: binary data, not text`);
  }
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(bom));
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new SaikiError(
      `${where}: not UTF-8: byte 0x${bytes[at].toString(16).padStart(2, "0")} at offset ${at} ` +
        `does not begin a valid character (Latin-1 or another encoding?); save it as UTF-8`,
    );
  }
}

/** The offset of the first byte that breaks UTF-8 (the decoder has already said one does). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n = c < 0x80
      ? 0
      : c >= 0xc2 && c < 0xe0
      ? 1
      : c >= 0xe0 && c < 0xf0
      ? 2
      : c >= 0xf0 && c < 0xf5
      ? 3
      : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
    }
    // overlong three-byte forms, surrogates, and code points above U+10FFFF
    if (
      (c === 0xe0 && b[i + 1] < 0xa0) || (c === 0xed && b[i + 1] >= 0xa0) ||
      (c === 0xf0 && b[i + 1] < 0x90) || (c === 0xf4 && b[i + 1] >= 0x90)
    ) return i;
    i += n + 1;
  }
  return Math.max(0, b.length - 1);
}

/**
 * The reference's chapter-5 cut: the first `size` words, vocabulary `max(id) + 1`. Validation
 * and test sets are dropped: the cut vocabulary does not cover them.
 */
function cut(data: RunData, size: number): RunData {
  if (size <= 0 || size >= data.train.length) return data;
  const train = data.train.slice(0, size);
  const V = train.reduce((m, v) => Math.max(m, v), 0) + 1;
  const notes = [...data.notes];
  if (data.valid !== undefined || data.test !== undefined) {
    notes.push(
      `training on the first ${thousands(size)} words (--corpus-size): no ` +
        `validation or test perplexity, as the cut vocabulary does not cover those sets`,
    );
  }
  return { train, words: data.words.slice(0, V), notes };
}

/** An environment variable, or undefined where it is unset or not readable. */
function envValue(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
