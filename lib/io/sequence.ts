/**
 * The reference's chapter 7–8 data sets, `addition.txt` and `date.txt`, read from disk and
 * parsed as its `dataset/sequence.py` `load_data` does (see `sequenceData` in
 * `lib/data/sequence.ts`). Deno-only (files, environment): scripts import it; `mod.ts` does not.
 *
 * Where `<name>.txt` is looked for, in order:
 * 1. `dataDir` (e.g. `--data-dir`): when given, the file must be there;
 * 2. else the folder in the environment variable `SAIKI_DATA_DIR`, when it is set.
 *
 * There is no download: the files are in the reference repository
 * ({@linkcode SEQUENCE_SOURCE}). A file found must have the reference SHA-256
 * ({@linkcode SEQUENCE_SHA256}); for other data, parse the text with `sequenceData`. A missing
 * file is a {@linkcode SequenceNotFoundError}, which names where it looked and the shipped
 * sample (`sequenceSample(name)`, the file's first lines), so a script can fall back to it.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import { FileRefusedError, readRegularFile } from "./read.ts";
import { sha256Hex } from "../std/hash.ts";
import { join } from "../std/path.ts";
import {
  type SequenceData,
  sequenceData,
  type SequenceName,
  type SequenceOptions,
} from "../data/sequence.ts";
import { SEQUENCE_SAMPLE_LINES, sequenceSample } from "../data/sequence_sample.ts";

const NAMES: readonly SequenceName[] = ["addition", "date"];

/**
 * Where the files come from: the reference repository's `dataset/` folder (MIT licence).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SEQUENCE_SOURCE } from "./sequence.ts";
 * assert(SEQUENCE_SOURCE.includes("oreilly-japan/deep-learning-from-scratch-2"));
 * ```
 */
export const SEQUENCE_SOURCE =
  "https://github.com/oreilly-japan/deep-learning-from-scratch-2/tree/master/dataset";

/**
 * SHA-256 of the reference files (`../shared/datasets/sequence/SHA256SUMS`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSequence, SEQUENCE_SHA256 } from "./sequence.ts";
 * // a folder whose addition.txt is not the reference file is refused, naming both hashes
 * await Deno.mkdir("tests/.tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: "tests/.tmp" });
 * await Deno.writeTextFile(`${dir}/addition.txt`, "1+1 _2 \n");
 * await assert.rejects(loadSequence("addition", { dataDir: dir }), (e: Error) =>
 *   e.message.includes("SHA-256 is ") && e.message.includes(`expected ${SEQUENCE_SHA256.addition}`));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const SEQUENCE_SHA256: Readonly<Record<SequenceName, string>> = {
  addition: "34e0746f5014c11311c9452ee9050bf14e38eca44ec4aaf4d81eba2b38674009",
  date: "62e66a301ce8537868e725512d2a45663fc366526b7e42028cb703bda2b1c79a",
};

/** The largest file read: 16 MiB (the reference files are 0.65 MB and 2.05 MB). */
const MAX_SEQUENCE_BYTES = 16 * 2 ** 20;

/**
 * The data set's file was not found where {@linkcode loadSequence} looked (or could not be
 * read there for want of permission). A script can catch it and use the shipped sample,
 * `sequenceSample(name)`, saying so; a file that is there but wrong (another SHA-256, a FIFO, a
 * folder) is a plain `SaikiError` instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSequence, SequenceNotFoundError } from "./sequence.ts";
 * import { sequenceSample } from "../data/sequence_sample.ts";
 * let data, notice = "";
 * try {
 *   data = await loadSequence("addition", { dataDir: "tests/.tmp/no-such-folder" });
 * } catch (e) {
 *   if (!(e instanceof SequenceNotFoundError)) throw e;
 *   notice = `${e.message}\nTraining on the shipped sample.`; // a script prints it
 *   data = sequenceSample(e.dataset);
 * }
 * assert.equal(data.xTrain.shape[0], 900);
 * assert.match(notice, /no-such-folder\/addition.txt is not there/);
 * ```
 */
export class SequenceNotFoundError extends SaikiError {
  /** The data set asked for. */
  readonly dataset: SequenceName;
  /** Each place looked at, and what was there: `"SAIKI_DATA_DIR: not set"`. */
  readonly looked: readonly string[];

  /**
   * A data set found nowhere.
   * @param dataset the data set asked for
   * @param looked each place looked at, and what was there
   */
  constructor(dataset: SequenceName, looked: readonly string[]) {
    const lines = SEQUENCE_SAMPLE_LINES[dataset].toLocaleString("en-US");
    super(
      `${dataset}.txt was not found. Looked in: ${looked.join("; ")}. To use it, put ` +
        `${dataset}.txt (from ${SEQUENCE_SOURCE}) in a folder DIR and give --data-dir DIR or ` +
        `set SAIKI_DATA_DIR=DIR. Its first ${lines} lines ship with saiki: ` +
        `sequenceSample("${dataset}").`,
    );
    this.name = "SequenceNotFoundError";
    this.dataset = dataset;
    this.looked = looked;
  }
}

/** Options of {@linkcode loadSequence}: where the file is, and how to split it. */
export interface LoadSequenceOptions extends Omit<SequenceOptions, "where"> {
  /** Folder holding `<name>.txt`; when given, the file must be there. */
  dataDir?: string;
}

/** A data set loaded from its file: the splits, the vocabulary and the path read. */
export interface LoadedSequence extends SequenceData {
  /** The file read. */
  path: string;
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

const firstLine = (e: unknown) =>
  (e instanceof Error ? e.message : String(e)).split("\n")[0] || String(e);

/**
 * The file's bytes, or why it is not there (`missing`), or an error for a file that is there
 * but cannot be what is wanted (a FIFO, a folder, too large).
 */
async function readLocal(
  path: string,
  name: string,
): Promise<{ bytes?: Uint8Array; why?: string }> {
  try {
    return {
      bytes: await readRegularFile(path, {
        maxBytes: MAX_SEQUENCE_BYTES,
        expected: `the reference ${name}`,
      }),
    };
  } catch (e) {
    if (e instanceof FileRefusedError) throw new SaikiError(e.message);
    if (e instanceof Deno.errors.NotFound) return { why: `${path} is not there` };
    if (e instanceof Deno.errors.NotCapable) {
      return { why: `${path} is not readable: no --allow-read` };
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      return { why: `${path} is not readable: access denied` };
    }
    if (e instanceof Deno.errors.NotADirectory) {
      return { why: `${path} is not there (its folder is a file)` };
    }
    throw new SaikiError(`${path}: cannot read the file (${firstLine(e)})`);
  }
}

/**
 * Loads `addition` (chapter 7) or `date` (chapter 8) as the reference's
 * `sequence.load_data('<name>.txt', seed=1984)` does, from `dataDir` or `SAIKI_DATA_DIR` (see
 * the module doc), after checking the file's SHA-256. `addition`: 45,000 + 5,000 questions of
 * 7 characters, answers of 5 (with the leading `_`), 13 characters in the vocabulary; `date`:
 * questions of 29, answers of 11, 59 characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSequence, SequenceNotFoundError } from "./sequence.ts";
 * try {
 *   const { xTrain, tTrain, xTest, vocab } = await loadSequence("addition", {
 *     dataDir: "../shared/datasets/sequence", // a folder with the reference files
 *   });
 *   assert.deepEqual([xTrain.shape, tTrain.shape, xTest.shape], [[45000, 7], [45000, 5], [5000, 7]]);
 *   assert.equal(vocab.decode(xTrain.rows(0, 1)), "71+118 ");
 * } catch (e) {
 *   if (!(e instanceof SequenceNotFoundError)) throw e; // no copy here: nothing to show
 * }
 * ```
 */
export async function loadSequence(
  name: SequenceName,
  options?: LoadSequenceOptions,
): Promise<LoadedSequence> {
  options ??= {};
  if (!NAMES.includes(name)) {
    throw new SaikiError(
      `loadSequence: name is ${JSON.stringify(name)}, expected "addition" or "date"`,
    );
  }
  const file = `${name}.txt`;
  const fromEnv = options.dataDir === undefined ? env("SAIKI_DATA_DIR") : {};
  const dir = options.dataDir ?? fromEnv.value;
  const flag = options.dataDir !== undefined ? "--data-dir" : "SAIKI_DATA_DIR";
  if (dir === undefined) {
    throw new SequenceNotFoundError(name, [
      "--data-dir: not given",
      `SAIKI_DATA_DIR: ${fromEnv.why ?? "not set"}`,
    ]);
  }
  const path = join(dir, file);
  const { bytes, why } = await readLocal(path, file);
  if (bytes === undefined) {
    const looked = [`${flag} ${dir}: ${why}`];
    if (flag === "SAIKI_DATA_DIR") looked.unshift("--data-dir: not given");
    throw new SequenceNotFoundError(name, looked);
  }
  const actual = sha256Hex(bytes);
  if (actual !== SEQUENCE_SHA256[name]) {
    throw new SaikiError(
      `${path}: SHA-256 is ${actual}, expected ${SEQUENCE_SHA256[name]}: this is not the ` +
        `reference ${file}; point ${flag} at a folder with the reference files, or parse your ` +
        `own data with sequenceData(text)`,
    );
  }
  const text = new TextDecoder().decode(bytes); // the reference file: ASCII
  const { dataDir: _, ...split } = options;
  return { ...sequenceData(text, { ...split, where: path }), path };
}

/** A run's data as `scripts/seq2seq.ts` trains on it: the splits, notes, and what identifies them. */
export interface SequenceRunData extends SequenceData {
  /** What the user should know (the shipped sample was used, and why). */
  notes: string[];
  /** The data's size and SHA-256 prefix: recorded in checkpoints and compared on resume. */
  dataId: string;
}

/**
 * The data set `name` for a training run: {@linkcode loadSequence} from `dataDir` (which must
 * hold it, when given) or `SAIKI_DATA_DIR`; when neither has the file, the shipped sample
 * (`sequenceSample(name)`, the file's first lines) with a note saying so, so that a first run
 * works offline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSequenceRunData } from "./sequence.ts";
 * const data = await loadSequenceRunData("addition", { dataDir: undefined, reverse: true });
 * // without SAIKI_DATA_DIR: the sample, 900 training questions, reversed
 * if (data.notes.length > 0) assert.equal(data.xTrain.shape[0], 900);
 * assert(data.dataId.includes("questions"));
 * ```
 */
export async function loadSequenceRunData(
  name: SequenceName,
  options: { dataDir?: string; reverse?: boolean },
): Promise<SequenceRunData> {
  const notes: string[] = [];
  let data: SequenceData;
  try {
    data = await loadSequence(name, { dataDir: options.dataDir, reverse: options.reverse });
  } catch (e) {
    if (!(e instanceof SequenceNotFoundError) || options.dataDir !== undefined) throw e;
    data = sequenceSample(name, { reverse: options.reverse });
    notes.push(
      `${name}.txt was not found (${e.looked.join("; ")}): ` +
        `training on the shipped sample, its first ${SEQUENCE_SAMPLE_LINES[name]} lines ` +
        `(${data.xTrain.shape[0]} training and ${data.xTest.shape[0]} test questions); ` +
        `give --data-dir with the reference ${name}.txt for the book's numbers (on the sample, ` +
        `smaller batches learn within seconds: --batch 8 --lr 0.01)`,
    );
  }
  const bytes = (t: { data: Int32Array }) =>
    new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const parts = [data.xTrain, data.tTrain, data.xTest, data.tTest].map(bytes);
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) all.set(p, at), at += p.length;
  const n = data.xTrain.shape[0] + data.xTest.shape[0];
  return {
    ...data,
    notes,
    dataId: `${name}: ${n} questions, sha256 ${sha256Hex(all).slice(0, 16)}`,
  };
}
