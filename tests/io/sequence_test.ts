import { loadSequence, SEQUENCE_SHA256, SequenceNotFoundError } from "../../lib/io/sequence.ts";
import { sequenceSample, sequenceSampleText } from "../../lib/data/sequence_sample.ts";
import type { SequenceName } from "../../lib/data/sequence.ts";
import { SaikiError } from "../../lib/errors.ts";
import { sha256Hex } from "../../lib/std/hash.ts";
import { assertEquals, assertOk, assertRejects } from "../../lib/std/assert.ts";
import { join } from "../../lib/std/path.ts";
import { envGet, loadFixture, makeTestDir } from "../_helpers.ts";
import { sharedSequenceDir } from "../data/_shared_sequence.ts";

const DIR = sharedSequenceDir("loadSequence");

/** Runs `fn` with SAIKI_DATA_DIR set to `value` (or unset), restoring it after. */
async function withDataDirEnv<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = envGet("SAIKI_DATA_DIR");
  if (value === undefined) Deno.env.delete("SAIKI_DATA_DIR");
  else Deno.env.set("SAIKI_DATA_DIR", value);
  try {
    return await fn();
  } finally {
    if (saved === undefined) Deno.env.delete("SAIKI_DATA_DIR");
    else Deno.env.set("SAIKI_DATA_DIR", saved);
  }
}

async function errorOf(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(() => undefined, (e: Error) => e);
  assertOk(e !== undefined, "expected a failure");
  return e;
}

Deno.test({
  name: "loadSequence reads, checks and parses both reference files from dataDir",
  ignore: DIR === undefined,
  async fn() {
    const f = loadFixture("seq2seq/sequence_addition");
    const add = await loadSequence("addition", { dataDir: DIR });
    assertEquals(add.path, join(DIR!, "addition.txt"));
    assertEquals(add.vocab.idToChar, f.vocab);
    assertEquals([add.xTrain.shape, add.xTest.shape], [f.x_train_shape, f.x_test_shape]);
    assertEquals(Array.from(add.xTrain.rows(0, 8).data), f.x_train_head.data);
    assertEquals(Array.from(add.tTest.rows(0, 8).data), f.t_test_head.data);
    const reversed = await loadSequence("addition", { dataDir: DIR, reverse: true, seed: 1984 });
    assertEquals(
      Array.from(reversed.xTrain.rows(0, 1).data),
      f.x_train_head.data.slice(0, 7).reverse(),
    );
    const date = await loadSequence("date", { dataDir: DIR });
    assertEquals([date.vocab.size, date.xTrain.shape, date.tTest.shape], [59, [45_000, 29], [
      5_000,
      11,
    ]]);
  },
});

Deno.test({
  name: "without dataDir, loadSequence reads SAIKI_DATA_DIR",
  ignore: DIR === undefined,
  async fn() {
    const add = await withDataDirEnv(DIR, () => loadSequence("addition"));
    assertEquals([add.path, add.vocab.size], [join(DIR!, "addition.txt"), 13]);
  },
});

Deno.test("a file that is not the reference is refused, naming the path and both SHA-256", async () => {
  const dir = await makeTestDir();
  try {
    // a copy of the shipped head (the real file's first 1,000 lines): a valid data set, but
    // not the reference file
    const path = join(dir, "addition.txt");
    const text = sequenceSampleText("addition");
    await Deno.writeTextFile(path, text);
    const actual = sha256Hex(new TextEncoder().encode(text));
    const e = await errorOf(loadSequence("addition", { dataDir: dir }));
    assertOk(e instanceof SaikiError && !(e instanceof SequenceNotFoundError));
    assertEquals(
      e.message,
      `${path}: SHA-256 is ${actual}, expected ${SEQUENCE_SHA256.addition}: this is not the ` +
        `reference addition.txt; point --data-dir at a folder with the reference files, or ` +
        `parse your own data with sequenceData(text)`,
    );
    // the same file found through SAIKI_DATA_DIR names that variable
    await withDataDirEnv(
      dir,
      () => assertRejects(() => loadSequence("addition"), "point SAIKI_DATA_DIR at a folder"),
    );
    // date.txt is checked against its own sum
    await Deno.writeTextFile(join(dir, "date.txt"), sequenceSampleText("date"));
    await assertRejects(
      () => loadSequence("date", { dataDir: dir }),
      `expected ${SEQUENCE_SHA256.date}: this is not the reference date.txt`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a copy of addition.txt with one byte changed is refused",
  ignore: DIR === undefined,
  async fn() {
    const dir = await makeTestDir();
    try {
      const bytes = Deno.readFileSync(join(DIR!, "addition.txt"));
      assertEquals(sha256Hex(bytes), SEQUENCE_SHA256.addition);
      bytes[bytes.length - 2] = 0x31; // the last line's last space becomes "1"
      Deno.writeFileSync(join(dir, "addition.txt"), bytes);
      await assertRejects(
        () => loadSequence("addition", { dataDir: dir }),
        `${join(dir, "addition.txt")}: SHA-256 is ${sha256Hex(bytes)}, expected`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a missing file is a SequenceNotFoundError that says where it looked and offers the sample", async () => {
  const dir = await makeTestDir();
  try {
    const e = await errorOf(loadSequence("addition", { dataDir: dir }));
    assertOk(e instanceof SequenceNotFoundError);
    assertEquals(e.dataset, "addition");
    assertEquals(e.looked, [`--data-dir ${dir}: ${join(dir, "addition.txt")} is not there`]);
    assertOk(e.message.startsWith("addition.txt was not found. Looked in: --data-dir "), e.message);
    assertOk(e.message.includes("give --data-dir DIR or set SAIKI_DATA_DIR=DIR"), e.message);
    assertOk(
      e.message.endsWith(`Its first 1,000 lines ship with saiki: sequenceSample("addition").`),
      e.message,
    );
    // the fallback a script makes
    assertEquals(sequenceSample(e.dataset).xTrain.shape, [900, 7]);

    // nothing given at all
    const none = await withDataDirEnv(undefined, () => errorOf(loadSequence("date")));
    assertOk(none instanceof SequenceNotFoundError);
    assertEquals(none.looked, ["--data-dir: not given", "SAIKI_DATA_DIR: not set"]);
    assertOk(none.message.includes(`Its first 500 lines ship with saiki: sequenceSample("date")`));

    // SAIKI_DATA_DIR without the file (it may hold PTB)
    const env = await withDataDirEnv(dir, () => errorOf(loadSequence("date")));
    assertOk(env instanceof SequenceNotFoundError);
    assertEquals(env.looked, [
      "--data-dir: not given",
      `SAIKI_DATA_DIR ${dir}: ${join(dir, "date.txt")} is not there`,
    ]);

    // a folder under the file's folder path: "its folder is a file"
    const file = join(dir, "file");
    await Deno.writeTextFile(file, "");
    const under = await errorOf(loadSequence("addition", { dataDir: file }));
    assertOk(under instanceof SequenceNotFoundError);
    assertOk(under.message.includes("is not there (its folder is a file)"), under.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("what is there but is no file is refused, not taken for missing", async () => {
  const dir = await makeTestDir();
  try {
    await Deno.mkdir(join(dir, "addition.txt"));
    const e = await errorOf(loadSequence("addition", { dataDir: dir }));
    assertOk(e instanceof SaikiError && !(e instanceof SequenceNotFoundError));
    assertEquals(
      e.message,
      `${join(dir, "addition.txt")} is not a regular file (a folder): give the reference ` +
        "addition.txt",
    );
    await assertRejects(
      () => loadSequence("ptb" as SequenceName, { dataDir: dir }),
      'loadSequence: name is "ptb", expected "addition" or "date"',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
