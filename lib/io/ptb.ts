/**
 * The Penn Treebank language-modelling set (Mikolov's preprocessing), loaded as the reference's
 * `dataset/ptb.py` loads it. Deno-only (files, environment, network): scripts import it;
 * `mod.ts` does not.
 *
 * Where each file `ptb.{train,valid,test}.txt` comes from, in order:
 * 1. `dataDir` (e.g. `--data-dir`): when given, the files must be there;
 * 2. else the environment variable `SAIKI_DATA_DIR`: when set, the files must be there;
 * 3. else the per-user cache (`$XDG_CACHE_HOME/saiki/ptb`, `$HOME/.cache/saiki/ptb` or
 *    `%LOCALAPPDATA%\saiki\ptb`);
 * 4. else a download from {@linkcode PTB_URL}, checked against {@linkcode PTB_SHA256} before it
 *    is written to the cache (atomically: a temporary file in the cache folder, then a rename).
 *
 * Every file, wherever found, must have the reference SHA-256. A place the process may not read
 * (no `--allow-env`, `--allow-read` or `--allow-net` permission) counts as "not there".
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { writeFileAtomic } from "./atomic.ts";
import { FileRefusedError, formatSize, readRegularFile } from "./read.ts";
import { sha256Hex } from "../std/hash.ts";
import { join } from "../std/path.ts";
import { corpusFromText, type Vocabulary } from "../data/corpus.ts";

/** The three splits. */
export type PtbSplitName = "train" | "valid" | "test";

const SPLITS: readonly PtbSplitName[] = ["train", "valid", "test"];

/**
 * Where the reference implementation downloads PTB from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PTB_URL } from "./ptb.ts";
 * // each split downloads from PTB_URL + its file name (to fetch them by hand, say)
 * const url = new URL("ptb.valid.txt", PTB_URL);
 * assert.equal(url.pathname, "/tomsercu/lstm/master/data/ptb.valid.txt");
 * assert.equal(url.hostname, "raw.githubusercontent.com"); // what --allow-net must allow
 * ```
 */
export const PTB_URL = "https://raw.githubusercontent.com/tomsercu/lstm/master/data/";

/**
 * SHA-256 of the reference files (`../shared/datasets/ptb/SHA256SUMS`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadPtbAll, PTB_SHA256 } from "./ptb.ts";
 * // a folder whose ptb.train.txt is not the reference file is refused, naming both hashes
 * await Deno.mkdir("tests/.tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: "tests/.tmp" });
 * await Deno.writeTextFile(`${dir}/ptb.train.txt`, " the cat sat \n");
 * await assert.rejects(loadPtbAll({ dataDir: dir }), (e: Error) =>
 *   e.message.includes(`SHA-256 is `) && e.message.includes(`expected ${PTB_SHA256.train}`));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const PTB_SHA256: Readonly<Record<PtbSplitName, string>> = {
  train: "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
  valid: "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
  test: "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
};

/** One split: its word ids and the file they came from. */
export interface PtbSplit {
  /** Word ids, `<eos>` at every line end. */
  ids: Int32Array;
  /** The file read (the URL when a download could not be cached). */
  path: string;
}

/** Options of {@linkcode loadPtbAll}. */
export interface PtbOptions {
  /** Folder holding `ptb.{train,valid,test}.txt`; when given, the files must be there. */
  dataDir?: string;
  /** Cache folder (default {@linkcode defaultCacheDir}). */
  cacheDir?: string;
  /** Download when the files are nowhere local (default true). */
  download?: boolean;
  /** The fetch to download with (tests inject one). */
  fetch?: typeof fetch;
  /**
   * Download progress of `file` (e.g. `ptb.train.txt`): bytes done, and the total when known.
   * Default {@linkcode stderrProgress}`()`.
   */
  onProgress?: (file: string, done: number, total?: number) => void;
}

/** An environment variable, or why it is not available. */
function env(name: string): { value?: string; why?: string } {
  try {
    const value = Deno.env.get(name);
    return value ? { value } : { why: "not set" };
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      return { why: "not readable: no --allow-env permission" };
    }
    throw e;
  }
}

/**
 * The per-user cache folder for PTB: `$XDG_CACHE_HOME/saiki/ptb`, else `$HOME/.cache/saiki/ptb`,
 * else `%LOCALAPPDATA%\saiki\ptb`; `undefined` when none of these variables is set (or readable).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultCacheDir } from "./ptb.ts";
 * const dir = defaultCacheDir(); // e.g. /home/me/.cache/saiki/ptb
 * assert(dir === undefined || dir.endsWith("ptb"));
 * ```
 */
export function defaultCacheDir(): string | undefined {
  const xdg = env("XDG_CACHE_HOME").value;
  if (xdg) return join(xdg, "saiki", "ptb");
  const home = env("HOME").value;
  if (home) return join(home, ".cache", "saiki", "ptb");
  const local = env("LOCALAPPDATA").value;
  if (local) return join(local, "saiki", "ptb");
  return undefined;
}

/**
 * A download reporter writing to stderr: a progress bar redrawn in place on a terminal,
 * otherwise one line per file.
 *
 * @example
 * ```ts
 * import { stderrProgress } from "./ptb.ts";
 * const report = stderrProgress();
 * report("ptb.valid.txt", 399_782, 399_782); // "downloading ptb.valid.txt …" (or a bar)
 * ```
 */
export function stderrProgress(): (file: string, done: number, total?: number) => void {
  const encoder = new TextEncoder();
  const write = (s: string) => void Deno.stderr.writeSync(encoder.encode(s));
  const tty = Deno.stderr.isTerminal();
  const mb = (n: number) => (n / 1e6).toFixed(1);
  let current = "";
  return (file, done, total) => {
    if (tty) {
      const frac = total ? Math.min(1, done / total) : 0;
      const bar = "#".repeat(Math.round(frac * 30)).padEnd(30, ".");
      const size = `${mb(done)}${total ? ` / ${mb(total)}` : ""} MB`;
      write(`\r\x1b[2Kdownloading ${file} [${bar}] ${size}${total && done >= total ? "\n" : ""}`);
    } else if (file !== current) {
      write(`downloading ${file}${total ? ` (${mb(total)} MB)` : ""} …\n`);
    }
    current = file;
  };
}

/**
 * The largest PTB file read or downloaded: 64 MiB (the reference files are 5.1 MB, 0.4 MB and
 * 0.4 MB). A larger file is refused before it is read; a download stops there.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_PTB_BYTES } from "./ptb.ts";
 * assert.equal(MAX_PTB_BYTES, 64 * 2 ** 20);
 * ```
 */
export const MAX_PTB_BYTES = 64 * 2 ** 20;

/**
 * The file's bytes, or why it could not be read (missing, not permitted, not a regular file:
 * a FIFO or a device is refused before it is opened, or larger than {@linkcode MAX_PTB_BYTES}).
 */
async function readLocal(
  path: string,
  name: string,
): Promise<{ bytes?: Uint8Array; why?: string }> {
  try {
    return {
      bytes: await readRegularFile(path, {
        maxBytes: MAX_PTB_BYTES,
        expected: `the reference ${name}`,
      }),
    };
  } catch (e) {
    if (e instanceof FileRefusedError) return { why: e.detail };
    if (e instanceof Deno.errors.NotFound) return { why: "not there" };
    if (e instanceof Deno.errors.NotCapable) return { why: "not readable: no --allow-read" };
    if (e instanceof Deno.errors.PermissionDenied) return { why: "not readable: access denied" };
    if (e instanceof Deno.errors.IsADirectory) return { why: "a folder, not a file" };
    if (e instanceof Deno.errors.NotADirectory) return { why: "not there (its folder is a file)" };
    return { why: `not readable (${firstLine(e)})` };
  }
}

/** An error unless `bytes` are the reference file of `split`; `hint` says what to do. */
function checkHash(
  split: PtbSplitName,
  source: string,
  bytes: Uint8Array,
  hint: string,
): void {
  const actual = sha256Hex(bytes);
  if (actual !== PTB_SHA256[split]) {
    throw new SaikiError(
      `${source}: SHA-256 is ${actual}, expected ${PTB_SHA256[split]}: this is not the ` +
        `reference PTB file ptb.${split}.txt; ${hint}`,
    );
  }
}

/** Downloads `name`, reporting progress; throws a plain Error on any network/HTTP failure. */
async function download(name: string, options: PtbOptions): Promise<Uint8Array> {
  const res = await (options.fetch ?? fetch)(PTB_URL + name);
  if (!res.ok || res.body === null) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  }
  const total = Number(res.headers.get("content-length")) || undefined;
  const report = options.onProgress ?? stderrProgress();
  const chunks: Uint8Array[] = [];
  let done = 0;
  report(name, 0, total);
  if (total !== undefined && total > MAX_PTB_BYTES) {
    await res.body.cancel();
    throw new Error(
      `it is ${formatSize(total)}, more than the ${formatSize(MAX_PTB_BYTES)} a PTB file may have`,
    );
  }
  for await (const chunk of res.body) {
    chunks.push(chunk);
    done += chunk.length;
    if (done > MAX_PTB_BYTES) {
      // leaving the loop cancels the stream
      throw new Error(`it sent more than the ${formatSize(MAX_PTB_BYTES)} a PTB file may have`);
    }
    report(name, done, total);
  }
  if (total === undefined) report(name, done, done); // lets a bar finish its line
  const bytes = new Uint8Array(done);
  let at = 0;
  for (const c of chunks) bytes.set(c, at), at += c.length;
  return bytes;
}

const firstLine = (e: unknown) =>
  (e instanceof Error ? e.message : String(e)).split("\n")[0] || String(e);

/** Reads one split's bytes from the first place that has it; see the module doc. */
async function findSplit(
  split: PtbSplitName,
  options: PtbOptions,
): Promise<{ bytes: Uint8Array; path: string }> {
  const name = `ptb.${split}.txt`;
  const names = SPLITS.map((s) => `ptb.${s}.txt`).join(", ");
  const help = `To supply the files, put ${names} in a folder DIR and give --data-dir DIR ` +
    `or set SAIKI_DATA_DIR=DIR.`;

  // 1, 2: an explicit folder, which must hold the file.
  const fromEnv = options.dataDir === undefined ? env("SAIKI_DATA_DIR") : {};
  const explicit = options.dataDir ?? fromEnv.value;
  if (explicit !== undefined) {
    const from = options.dataDir !== undefined ? "--data-dir" : "SAIKI_DATA_DIR";
    const path = join(explicit, name);
    const { bytes, why } = await readLocal(path, name);
    if (bytes === undefined) {
      throw new SaikiError(
        `PTB: ${path} is ${why} (${from} ${explicit} must hold ${names})`,
      );
    }
    checkHash(split, path, bytes, `point ${from} at a folder with the reference files.`);
    return { bytes, path };
  }

  // 3: the cache.
  const looked = [
    "--data-dir: not given",
    `SAIKI_DATA_DIR: ${fromEnv.why ?? "not set"}`,
  ];
  const cache = options.cacheDir ?? defaultCacheDir();
  if (cache === undefined) {
    looked.push("cache: no folder (XDG_CACHE_HOME, HOME and LOCALAPPDATA are unset or unreadable)");
  } else {
    const path = join(cache, name);
    const { bytes, why } = await readLocal(path, name);
    if (bytes !== undefined) {
      checkHash(split, path, bytes, `delete it to download it again.`);
      return { bytes, path };
    }
    looked.push(`cache: ${path} is ${why}`);
  }

  // 4: the download.
  const url = PTB_URL + name;
  const where = `PTB: ${name} was not found. Looked in: ${looked.join("; ")}.`;
  if (options.download === false) {
    throw new SaikiError(`${where} Downloading is turned off. ${help}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await download(name, options);
  } catch (e) {
    throw new SaikiError(`${where} The download from ${url} failed (${firstLine(e)}). ${help}`);
  }
  checkHash(split, url, bytes, "the download was refused and nothing was written.");
  if (cache === undefined) return { bytes, path: url };
  const path = join(cache, name);
  try {
    await Deno.mkdir(cache, { recursive: true });
    writeFileAtomic(path, bytes);
  } catch (e) {
    console.error(
      `PTB: could not cache ${name} in ${cache} (${firstLine(e)}); using it from memory`,
    );
    return { bytes, path: url };
  }
  return { bytes, path };
}

/** Word ids of one file's bytes; valid/test must use only `vocab`'s words (the reference). */
function ids(
  bytes: Uint8Array,
  path: string,
  vocab?: Vocabulary,
): { ids: Int32Array; vocab: Vocabulary } {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SaikiError(`${path}: not UTF-8 text`);
  }
  return corpusFromText(text, { vocab, strict: true, reference: true, where: path });
}

/**
 * Loads the three splits; the vocabulary is built from train by first occurrence (10,000
 * words), and valid/test are mapped with it (a word not in it is an error), as the reference
 * does. Train has 929,589 words, valid 73,760, test 82,430; see the module doc for where the
 * files are looked for.
 *
 * @example
 * ```ts ignore
 * import { loadPtbAll } from "./ptb.ts";
 * const ptb = await loadPtbAll({ dataDir: "../shared/datasets/ptb" });
 * console.log(ptb.train.ids.length, ptb.vocab.size); // 929589 10000
 * ```
 */
export async function loadPtbAll(
  options: PtbOptions = {},
): Promise<{ train: PtbSplit; valid: PtbSplit; test: PtbSplit; vocab: Vocabulary }> {
  const out: Partial<Record<PtbSplitName, PtbSplit>> = {};
  let vocab: Vocabulary | undefined;
  for (const split of SPLITS) {
    const { bytes, path } = await findSplit(split, options);
    const corpus = ids(bytes, path, vocab);
    vocab = corpus.vocab;
    out[split] = { ids: corpus.ids, path };
  }
  return { train: out.train!, valid: out.valid!, test: out.test!, vocab: vocab! };
}

/**
 * Loads one split with the train vocabulary (so train is read too, for its vocabulary).
 *
 * @example
 * ```ts ignore
 * import { loadPtb } from "./ptb.ts";
 * const valid = await loadPtb("valid", { dataDir: "../shared/datasets/ptb" });
 * console.log(valid.ids.length, valid.vocab.size); // 73760 10000
 * ```
 */
export async function loadPtb(
  split: PtbSplitName,
  options: PtbOptions = {},
): Promise<PtbSplit & { vocab: Vocabulary }> {
  if (!SPLITS.includes(split)) {
    throw new SaikiError(`loadPtb: split is "${split}", expected "train", "valid" or "test"`);
  }
  const train = await findSplit("train", options);
  const corpus = ids(train.bytes, train.path);
  if (split === "train") return { ids: corpus.ids, path: train.path, vocab: corpus.vocab };
  const { bytes, path } = await findSplit(split, options);
  return { ids: ids(bytes, path, corpus.vocab).ids, path, vocab: corpus.vocab };
}
