/**
 * saiki's file and network I/O for Deno: the Penn Treebank loader (the reference's
 * `ptb.load_data`), the chapter 7–8 data sets (`sequence.load_data`: {@linkcode loadSequence}),
 * checkpoint files, and UTF-8 text files read strictly. Kept apart from `mod.ts`, which runs in
 * browsers and Node and does no I/O.
 *
 * @example
 * ```ts ignore
 * import { loadPtb } from "./mod.ts";
 * const train = await loadPtb("train"); // downloads PTB once into ~/.cache/saiki/ptb
 * console.log(train.ids.length, train.vocab.size); // 929589 10000
 * ```
 *
 * @module
 */

export {
  defaultCacheDir,
  loadPtb,
  loadPtbAll,
  PTB_SHA256,
  PTB_URL,
  type PtbOptions,
  type PtbSplit,
  type PtbSplitName,
} from "./ptb.ts";
export { loadCheckpoint, loadCheckpointSync, saveCheckpoint } from "./checkpoint.ts";
export { decodeText, readText } from "./run_data.ts";
export * from "./sequence.ts";
