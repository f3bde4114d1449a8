/**
 * A run's data: the offline fallback of the simple preset to the shipped head of PTB.
 */

import { PTB_HEAD_WORDS, ptbHead } from "../../lib/data/ptb_head.ts";
import { checkSizes, loadRunData } from "../../lib/io/run_data.ts";
import { PRESETS, type TrainConfig } from "../../lib/train/config.ts";
import { assertEquals, assertOk, assertRejects } from "../../lib/std/assert.ts";
import { join } from "../../lib/std/path.ts";
import { makeTestDir } from "../_helpers.ts";

const config = (preset: string, extra: Partial<TrainConfig> = {}): TrainConfig => ({
  ...PRESETS[preset],
  preset,
  seed: 1,
  saveEvery: 0,
  ...extra,
});

/** No cache, no download, no SAIKI_DATA_DIR: a machine offline on its first run. */
async function offline() {
  const cacheDir = await makeTestDir();
  return { cacheDir, options: { ptb: { cacheDir, download: false }, env: () => undefined } };
}

Deno.test("offline, without PTB, the simple preset trains on the shipped first 1,000 words and says so", async () => {
  const { cacheDir, options } = await offline();
  try {
    const data = await loadRunData(config("simple"), options);
    assertEquals(data.train.length, 1000);
    assertEquals(Array.from(data.train), Array.from(ptbHead().ids.subarray(0, 1000)));
    assertOk(PTB_HEAD_WORDS >= 1000);
    assertEquals(data.valid, undefined);
    assertEquals(data.notes.length, 1);
    assertOk(
      /^PTB is not available here \(PTB: ptb\.train\.txt was not found\); training on its first 1,000 words, shipped with saiki/
        .test(data.notes[0]),
      data.notes[0],
    );
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("offline, the presets that need all of PTB, and a named folder without it, still explain where to get it", async () => {
  const { cacheDir, options } = await offline();
  try {
    await assertRejects(
      () => loadRunData(config("lstm"), options),
      /ptb\.train\.txt was not found.*--data-dir DIR or set SAIKI_DATA_DIR=DIR/,
    );
    await assertRejects(
      () => loadRunData(config("simple", { dataDir: cacheDir }), options),
      /--data-dir .* must hold ptb\.train\.txt/,
    );
    await assertRejects(
      // SAIKI_DATA_DIR set: a folder was named, so no fallback
      () => loadRunData(config("simple"), { ...options, env: () => cacheDir }),
      /ptb\.train\.txt/,
    );
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("a corpus that is not UTF-8 text is refused, naming the byte; a BOM is dropped", async () => {
  const dir = await makeTestDir();
  try {
    const file = async (name: string, bytes: number[] | string) => {
      const path = join(dir, name);
      if (typeof bytes === "string") await Deno.writeTextFile(path, bytes);
      else await Deno.writeFile(path, Uint8Array.from(bytes));
      return path;
    };
    const text = (s: string) => [...new TextEncoder().encode(s)];
    const cases: [string, string | RegExp][] = [
      [
        await file("latin1.txt", [...text("caf"), 0xe9, ...text(" au lait\n")]),
        "not UTF-8: byte 0xe9 at offset 3 does not begin a valid character (Latin-1 or another encoding?)",
      ],
      [await file("utf16.txt", [0xff, 0xfe, 0x68, 0, 0x69, 0]), "UTF-16 text"],
      [await file("binary.bin", [...text("ab"), 0, 1, 2]), "a NUL byte at offset 2: binary data"],
      [dir, "not a regular file"],
      [join(dir, "missing.txt"), "cannot read the file"],
      [await file("empty.txt", ""), "has 0 words; a language model needs at least two"],
    ];
    if ((await Deno.stat("/dev/zero").catch(() => undefined)) !== undefined) {
      cases.push(["/dev/zero", "not a regular file"]);
    }
    for (const [path, message] of cases) {
      const c = config("simple", { corpus: path, corpusSize: 0 });
      await assertRejects(() => loadRunData(c).then((data) => checkSizes(c, data)), message);
    }
    const bom = await file("bom.txt", [0xef, 0xbb, 0xbf, ...text("hello world\nhello\n")]);
    const data = await loadRunData(config("simple", { corpus: bom, corpusSize: 0 }));
    assertEquals(data.words.slice(0, 3), ["hello", "world", "<eos>"]);
    await assertRejects(
      () => loadRunData(config("simple", { dataDir: bom })),
      `--data-dir ${bom} is a file; it names the folder`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
