/** Texts with some structure for the tests that train: sentences drawn from a few templates. */

import { Rng } from "../lib/random.ts";
import { join } from "../lib/std/path.ts";

/** A text of template sentences, one a line, at least `words` words (with `<eos>`) long. */
export function templateText(words: number, seed = 1): string {
  const rng = new Rng(seed);
  const subjects = ["the cat", "a dog", "my friend", "the market", "our team"];
  const verbs = ["sees", "likes", "buys", "follows", "reports"];
  const objects = ["the ball", "a price", "new shares", "the news", "some bread"];
  const out: string[] = [];
  let n = 0;
  while (n < words) {
    const s = `${subjects[rng.int(5)]} ${verbs[rng.int(5)]} ${objects[rng.int(5)]}`;
    out.push(s);
    n += s.split(" ").length + 1;
  }
  return out.join("\n") + "\n";
}

/** Writes `dir/corpus.txt` of `words` words; the train flags that read it and write in `dir`. */
export async function writeCorpus(dir: string, words: number, seed = 1): Promise<string[]> {
  const corpus = join(dir, "corpus.txt");
  await Deno.writeTextFile(corpus, templateText(words, seed));
  return ["--corpus", corpus, "--runs-dir", dir];
}

/**
 * Writes train.txt, valid.txt and test.txt of these sizes into `dir`, seeds from `seed` on; the
 * train flags that read them (`--corpus`, `--valid`, `--test`) and write in `dir`.
 */
export async function writeSplits(
  dir: string,
  words: [number, number, number],
  seed: number,
): Promise<string[]> {
  const files = ["train", "valid", "test"].map((s) => join(dir, `${s}.txt`));
  for (const [i, file] of files.entries()) {
    await Deno.writeTextFile(file, templateText(words[i], seed + i));
  }
  return ["--corpus", files[0], "--valid", files[1], "--test", files[2], "--runs-dir", dir];
}
