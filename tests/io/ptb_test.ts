import {
  defaultCacheDir,
  loadPtb,
  loadPtbAll,
  PTB_SHA256,
  PTB_URL,
  type PtbOptions,
} from "../../lib/io/ptb.ts";
import { PTB_HEAD_WORDS, ptbHead } from "../../lib/data/ptb_head.ts";
import { SaikiError } from "../../lib/errors.ts";
import { assertEquals, assertOk, assertRejects } from "../../lib/std/assert.ts";
import { join } from "../../lib/std/path.ts";
import { envGet, makeTestDir, sharedPtbDir } from "../_helpers.ts";

/** The shared PTB copy's folder (`sharedPtbDir`), or undefined after saying what skips. */
function ptbForTests(): string | undefined {
  const { dir, found } = sharedPtbDir();
  if (found) return dir;
  console.log(
    `skip: no PTB at ${dir} (set SAIKI_DATA_DIR or SAIKI_SHARED_DIR, or give --allow-read ` +
      `for it) — the PTB tests that need the real files are ignored`,
  );
  return undefined;
}

const PTB = ptbForTests();
const NAMES = ["ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"];
const quiet: PtbOptions["onProgress"] = () => {};

/** Runs `fn` with SAIKI_DATA_DIR unset (restored after), so the cache/download path is taken. */
async function withoutDataDirEnv<T>(fn: () => Promise<T>): Promise<T> {
  const saved = envGet("SAIKI_DATA_DIR");
  if (saved !== undefined) Deno.env.delete("SAIKI_DATA_DIR");
  try {
    return await fn();
  } finally {
    if (saved !== undefined) Deno.env.set("SAIKI_DATA_DIR", saved);
  }
}

/** A fetch serving the shared files (or `body` for every file), recording the URLs asked. */
function fakeFetch(body?: Uint8Array) {
  const calls: string[] = [];
  const f = (input: string | URL | Request) => {
    const url = String(input);
    calls.push(url);
    const bytes = body ?? Deno.readFileSync(join(PTB!, url.slice(PTB_URL.length)));
    // two chunks, so progress is reported more than once
    const half = bytes.length >> 1;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, half));
        c.enqueue(bytes.slice(half));
        c.close();
      },
    });
    return Promise.resolve(
      new Response(stream, { headers: { "content-length": String(bytes.length) } }),
    );
  };
  return { calls, fetch: f as typeof fetch };
}

const offlineFetch =
  (() => Promise.reject(new TypeError("error sending request: dns error"))) as typeof fetch;

async function errorOf(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(() => undefined, (e: Error) => e);
  assertOk(e !== undefined, "expected a failure");
  return e;
}

function listDir(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return []; // never created
  }
}

Deno.test({
  name: "PTB loads as the reference does: 929,589 / 73,760 / 82,430 words, 10,000 in vocabulary",
  ignore: PTB === undefined,
  async fn() {
    const t0 = performance.now();
    const ptb = await loadPtbAll({ dataDir: PTB });
    const ms = performance.now() - t0;
    assertEquals(ptb.train.ids.length, 929_589);
    assertEquals(ptb.valid.ids.length, 73_760);
    assertEquals(ptb.test.ids.length, 82_430);
    assertEquals(ptb.vocab.size, 10_000);
    assertEquals(ptb.train.path, join(PTB!, "ptb.train.txt"));
    // ids by first occurrence in train (values from the reference rule run in Python)
    assertEquals(ptb.vocab.idToWord.slice(0, 5), [
      "aer",
      "banknote",
      "berlitz",
      "calloway",
      "centrust",
    ]);
    assertEquals(Array.from(ptb.train.ids.subarray(0, 5)), [0, 1, 2, 3, 4]);
    assertEquals(Array.from(ptb.valid.ids.subarray(0, 5)), [2211, 396, 1129, 64, 831]);
    assertEquals(Array.from(ptb.test.ids.subarray(0, 5)), [142, 78, 54, 251, 2360]);
    assertEquals(["<eos>", "<unk>", "N"].map((w) => ptb.vocab.id(w)), [24, 26, 27]);
    assertOk(ptb.test.ids.every((id) => id >= 0 && id < 10_000));
    console.log(`loadPtbAll (hash + tokenise 3 files): ${ms.toFixed(0)} ms`);
  },
});

Deno.test({
  name: "loadPtb loads one split with the train vocabulary",
  ignore: PTB === undefined,
  async fn() {
    const valid = await loadPtb("valid", { dataDir: PTB });
    assertEquals([valid.ids.length, valid.vocab.size, valid.ids[0]], [73_760, 10_000, 2211]);
    await assertRejects(
      () => loadPtb("dev" as "valid", { dataDir: PTB }),
      'loadPtb: split is "dev", expected "train", "valid" or "test"',
    );
  },
});

Deno.test({
  name:
    "without local files PTB is downloaded, verified, cached atomically, then read from the cache",
  ignore: PTB === undefined,
  async fn() {
    const dir = await makeTestDir();
    try {
      const cacheDir = join(dir, "cache", "saiki", "ptb");
      const net = fakeFetch();
      const progress: [string, number, number | undefined][] = [];
      const first = await withoutDataDirEnv(() =>
        loadPtbAll({
          cacheDir,
          fetch: net.fetch,
          onProgress: (file, done, total) => void progress.push([file, done, total]),
        })
      );
      assertEquals(net.calls, NAMES.map((n) => PTB_URL + n));
      const train = progress.filter((p) => p[0] === "ptb.train.txt");
      assertOk(train.length >= 2, "progress reported while downloading");
      assertEquals(train.at(-1), ["ptb.train.txt", 5_101_618, 5_101_618]);
      assertEquals(listDir(cacheDir), [...NAMES].sort(), "three files, no temporary left");
      for (const n of NAMES) {
        assertEquals(Deno.readFileSync(join(cacheDir, n)), Deno.readFileSync(join(PTB!, n)));
      }
      assertEquals(first.train.path, join(cacheDir, "ptb.train.txt"));
      assertEquals([first.train.ids.length, first.vocab.size], [929_589, 10_000]);

      const again = fakeFetch();
      const second = await withoutDataDirEnv(() =>
        loadPtbAll({ cacheDir, fetch: again.fetch, onProgress: quiet })
      );
      assertEquals(again.calls.length, 0, "read from the cache, no download");
      assertEquals(second.train.ids, first.train.ids);
      assertEquals(second.test.ids, first.test.ids);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a corrupted download is refused by its SHA-256 and leaves nothing in the cache", async () => {
  const dir = await makeTestDir();
  try {
    const cacheDir = join(dir, "cache");
    const bad = fakeFetch(new TextEncoder().encode(" not the penn treebank \n"));
    const e = await errorOf(
      withoutDataDirEnv(() => loadPtbAll({ cacheDir, fetch: bad.fetch, onProgress: quiet })),
    );
    assertOk(e instanceof SaikiError);
    for (
      const part of [
        `${PTB_URL}ptb.train.txt: SHA-256 is `,
        `expected ${PTB_SHA256.train}`,
        "this is not the reference PTB file ptb.train.txt",
        "nothing was written",
      ]
    ) assertOk(e.message.includes(part), `message mentions "${part}": ${e.message}`);
    assertEquals(listDir(cacheDir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("offline and not cached: one message saying where it looked and how to supply the files", async () => {
  const dir = await makeTestDir();
  try {
    const cacheDir = join(dir, "empty-cache");
    const e = await errorOf(
      withoutDataDirEnv(() => loadPtbAll({ cacheDir, fetch: offlineFetch, onProgress: quiet })),
    );
    assertOk(e instanceof SaikiError);
    const m = e.message;
    for (
      const part of [
        "PTB: ptb.train.txt was not found. Looked in: ",
        "--data-dir: not given",
        "SAIKI_DATA_DIR: not set",
        `cache: ${join(cacheDir, "ptb.train.txt")} is not there`,
        `The download from ${PTB_URL}ptb.train.txt failed (error sending request: dns error)`,
        "ptb.train.txt, ptb.valid.txt, ptb.test.txt",
        "--data-dir DIR",
        "SAIKI_DATA_DIR=DIR",
      ]
    ) assertOk(m.includes(part), `message mentions "${part}": ${m}`);
    assertOk(!m.includes("\n"), "one line, no stack trace");
    assertEquals(listDir(cacheDir), []);

    const http = (() => Promise.resolve(new Response("gone", { status: 404 }))) as typeof fetch;
    await assertRejects(
      () => withoutDataDirEnv(() => loadPtbAll({ cacheDir, fetch: http })),
      "ptb.train.txt failed (HTTP 404)",
    );
    await assertRejects(
      () => withoutDataDirEnv(() => loadPtbAll({ cacheDir, download: false })),
      "Downloading is turned off",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an explicit folder must hold the files: no falling through to the cache", async () => {
  const dir = await makeTestDir();
  try {
    const nowhere = join(dir, "nowhere");
    const net = fakeFetch();
    await assertRejects(
      () => loadPtbAll({ dataDir: nowhere, cacheDir: join(dir, "c"), fetch: net.fetch }),
      `PTB: ${join(nowhere, "ptb.train.txt")} is not there (--data-dir ${nowhere} must hold`,
    );
    const saved = envGet("SAIKI_DATA_DIR");
    Deno.env.set("SAIKI_DATA_DIR", nowhere);
    try {
      await assertRejects(
        () => loadPtbAll({ cacheDir: join(dir, "c"), fetch: net.fetch }),
        `PTB: ${join(nowhere, "ptb.train.txt")} is not there (SAIKI_DATA_DIR ${nowhere} must`,
      );
    } finally {
      if (saved === undefined) Deno.env.delete("SAIKI_DATA_DIR");
      else Deno.env.set("SAIKI_DATA_DIR", saved);
    }
    assertEquals(net.calls, [], "no download attempted");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a local file that is not the reference PTB is refused by its hash",
  ignore: PTB === undefined,
  async fn() {
    const dir = await makeTestDir();
    try {
      for (const n of NAMES) await Deno.copyFile(join(PTB!, n), join(dir, n));
      await Deno.writeTextFile(join(dir, "ptb.valid.txt"), "edited\n", { append: true });
      const e = await errorOf(loadPtbAll({ dataDir: dir }));
      assertOk(e.message.startsWith(`${join(dir, "ptb.valid.txt")}: SHA-256 is `), e.message);
      assertOk(e.message.includes(`expected ${PTB_SHA256.valid}: this is not the reference`));
      // the same file in the cache: told to delete it
      const cached = await errorOf(
        withoutDataDirEnv(() =>
          loadPtbAll({ cacheDir: dir, fetch: offlineFetch, onProgress: quiet })
        ),
      );
      assertOk(cached.message.includes("delete it to download it again"), cached.message);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the cache folder follows XDG_CACHE_HOME, then HOME, then LOCALAPPDATA", () => {
  const dir = defaultCacheDir();
  const xdg = envGet("XDG_CACHE_HOME"), home = envGet("HOME"), local = envGet("LOCALAPPDATA");
  if (xdg) assertEquals(dir, join(xdg, "saiki", "ptb"));
  else if (home) assertEquals(dir, join(home, ".cache", "saiki", "ptb"));
  else if (local) assertEquals(dir, join(local, "saiki", "ptb"));
  else assertEquals(dir, undefined);
});

Deno.test({
  name: "the shipped head of PTB gives the same ids and words as the first 1,007 words of the file",
  ignore: PTB === undefined,
  async fn() {
    const ptb = await loadPtbAll({ dataDir: PTB });
    const head = ptbHead();
    assertEquals(head.ids.length, PTB_HEAD_WORDS);
    assertEquals(Array.from(head.ids), Array.from(ptb.train.ids.subarray(0, PTB_HEAD_WORDS)));
    assertEquals(head.vocab.idToWord, ptb.vocab.idToWord.slice(0, head.vocab.size));
  },
});
