/**
 * The Penn Treebank language-modelling set (Mikolov's preprocessing), loaded as the reference's
 * `dataset/ptb.py` loads it. Deno-only (files, environment, network): scripts import it;
 * `mod.ts` does not.
 *
 * Where the files come from, in order: `dataDir` (e.g. `--data-dir`), the environment variable
 * `SAIKI_DATA_DIR`, the per-user cache (`$XDG_CACHE_HOME/saiki/ptb`, `~/.cache/saiki/ptb` or
 * `%LOCALAPPDATA%\saiki\ptb`), else a download from {@linkcode PTB_URL}, checked against
 * {@linkcode PTB_SHA256} and written to the cache atomically.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { join } from "../std/path.ts";
import { corpusFromText, type Vocabulary } from "./corpus.ts";

/** The three splits. */
export type PtbSplitName = "train" | "valid" | "test";

/** Where the reference implementation downloads PTB from. */
export const PTB_URL = "https://raw.githubusercontent.com/tomsercu/lstm/master/data/";

/** SHA-256 of the reference files (`../shared/datasets/ptb/SHA256SUMS`). */
export const PTB_SHA256: Readonly<Record<PtbSplitName, string>> = {
  train: "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
  valid: "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
  test: "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
};

/** One split: its word ids and the file they came from. */
export interface PtbSplit {
  /** Word ids, `<eos>` at every line end. */
  ids: Int32Array;
  /** The file read. */
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
  /** Download progress: bytes done, and total when known. */
  onProgress?: (file: string, done: number, total?: number) => void;
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no permission: as if unset
  }
}

/**
 * The per-user cache folder for PTB, or `undefined` when no home folder is known.
 *
 * @example
 * ```ts
 * import { defaultCacheDir } from "./ptb.ts";
 * const dir = defaultCacheDir(); // e.g. /home/me/.cache/saiki/ptb
 * console.log(dir ?? "no cache folder");
 * ```
 */
export function defaultCacheDir(): string | undefined {
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "saiki", "ptb");
  const home = env("HOME");
  if (home) return join(home, ".cache", "saiki", "ptb");
  const local = env("LOCALAPPDATA");
  if (local) return join(local, "saiki", "ptb");
  return undefined;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotCapable) return undefined;
    if (e instanceof Deno.errors.PermissionDenied) return undefined;
    throw e;
  }
}

async function checkHash(split: PtbSplitName, path: string, bytes: Uint8Array): Promise<void> {
  const actual = await sha256(bytes);
  if (actual !== PTB_SHA256[split]) {
    throw new SaikiError(
      `${path}: SHA-256 is ${actual}, expected ${PTB_SHA256[split]}; this is not the reference ` +
        `PTB file (delete it, or point --data-dir at the right one)`,
    );
  }
}

async function download(
  split: PtbSplitName,
  options: PtbOptions,
): Promise<Uint8Array> {
  const name = `ptb.${split}.txt`;
  const url = PTB_URL + name;
  const res = await (options.fetch ?? fetch)(url);
  if (!res.ok || res.body === null) {
    throw new Error(`HTTP ${res.status} ${res.statusText}`);
  }
  const total = Number(res.headers.get("content-length")) || undefined;
  const chunks: Uint8Array[] = [];
  let done = 0;
  for await (const chunk of res.body) {
    chunks.push(chunk);
    done += chunk.length;
    options.onProgress?.(name, done, total);
  }
  const bytes = new Uint8Array(done);
  let at = 0;
  for (const c of chunks) bytes.set(c, at), at += c.length;
  await checkHash(split, url, bytes);
  return bytes;
}

async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Reads one split's bytes from the first place that has it; see the module doc. */
async function findSplit(
  split: PtbSplitName,
  options: PtbOptions,
): Promise<{ bytes: Uint8Array; path: string }> {
  const name = `ptb.${split}.txt`;
  const explicit = options.dataDir ?? env("SAIKI_DATA_DIR");
  if (explicit !== undefined) {
    const path = join(explicit, name);
    const bytes = await readIfExists(path);
    if (bytes === undefined) {
      const from = options.dataDir !== undefined ? "--data-dir" : "SAIKI_DATA_DIR";
      throw new SaikiError(
        `PTB: ${path} not found (${from} ${explicit} must hold ptb.train.txt, ptb.valid.txt and ptb.test.txt)`,
      );
    }
    await checkHash(split, path, bytes);
    return { bytes, path };
  }
  const cache = options.cacheDir ?? defaultCacheDir();
  if (cache !== undefined) {
    const path = join(cache, name);
    const bytes = await readIfExists(path);
    if (bytes !== undefined) {
      await checkHash(split, path, bytes);
      return { bytes, path };
    }
  }
  const looked = cache === undefined ? "no cache folder (HOME is not set)" : join(cache, name);
  const help =
    `Supply the files ptb.train.txt, ptb.valid.txt and ptb.test.txt with --data-dir DIR ` +
    `or SAIKI_DATA_DIR=DIR.`;
  if (options.download === false) {
    throw new SaikiError(
      `PTB: ${name} not found in the cache (${looked}); downloading is off. ${help}`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await download(split, options);
  } catch (e) {
    if (e instanceof SaikiError) throw e;
    throw new SaikiError(
      `PTB: ${name} not found: no --data-dir or SAIKI_DATA_DIR was given, it is not in the ` +
        `cache (${looked}), and the download from ${PTB_URL}${name} failed ` +
        `(${(e as Error).message.split("\n")[0]}). ${help}`,
    );
  }
  if (cache === undefined) return { bytes, path: PTB_URL + name };
  const path = join(cache, name);
  try {
    await Deno.mkdir(cache, { recursive: true });
    await writeAtomic(path, bytes);
  } catch {
    return { bytes, path: PTB_URL + name }; // cannot cache: use it from memory
  }
  return { bytes, path };
}

/**
 * Loads the three splits; the vocabulary is built from train by first occurrence (10,000
 * words), and valid/test are mapped with it, as the reference does.
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
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const out: Partial<Record<PtbSplitName, PtbSplit>> = {};
  let vocab: Vocabulary | undefined;
  for (const split of ["train", "valid", "test"] as const) {
    const { bytes, path } = await findSplit(split, options);
    const text = decoder.decode(bytes);
    try {
      const corpus = corpusFromText(text, { vocab });
      vocab = corpus.vocab;
      out[split] = { ids: corpus.ids, path };
    } catch (e) {
      throw new SaikiError(`${path}: ${(e as Error).message}`);
    }
  }
  return { train: out.train!, valid: out.valid!, test: out.test!, vocab: vocab! };
}
