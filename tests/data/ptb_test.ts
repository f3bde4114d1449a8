import { defaultCacheDir, loadPtbAll, PTB_SHA256, PTB_URL } from "../../lib/data/ptb.ts";
import { assertEquals, assertOk, assertRejects } from "../../lib/std/assert.ts";
import { fromFileUrl, join } from "../../lib/std/path.ts";
import { makeTestDir } from "../_helpers.ts";

/** Where the shared PTB copy is: SAIKI_DATA_DIR, else ../shared/datasets/ptb beside the repo. */
function sharedPtbDir(): string | undefined {
  const fromEnv = Deno.env.get("SAIKI_DATA_DIR");
  const dir = fromEnv ?? fromFileUrl(new URL("../../../shared/datasets/ptb/", import.meta.url));
  try {
    Deno.statSync(join(dir, "ptb.train.txt"));
    return dir;
  } catch {
    return undefined;
  }
}

const PTB = sharedPtbDir();
if (PTB === undefined) {
  console.log(
    "skip: PTB not found in ../shared/datasets/ptb or SAIKI_DATA_DIR — PTB loader tests not run",
  );
}

Deno.test({
  name: "PTB loads as the reference does: 929,589 / 73,760 / 82,430 tokens, 10,000 words",
  ignore: PTB === undefined,
  async fn() {
    const ptb = await loadPtbAll({ dataDir: PTB });
    assertEquals(ptb.train.ids.length, 929_589);
    assertEquals(ptb.valid.ids.length, 73_760);
    assertEquals(ptb.test.ids.length, 82_430);
    assertEquals(ptb.vocab.size, 10_000);
    assertEquals(ptb.vocab.idToWord.slice(0, 4), ["aer", "banknote", "berlitz", "calloway"]);
    assertEquals(Array.from(ptb.train.ids.subarray(0, 4)), [0, 1, 2, 3]);
    for (const w of ["<eos>", "<unk>", "N"]) assertOk(ptb.vocab.wordToId.has(w), w);
    assertOk(ptb.test.ids.every((id) => id < 10_000));
  },
});

/** A fetch serving the shared files (or `body` for every file), counting requests. */
function fakeFetch(body?: Uint8Array) {
  const calls: string[] = [];
  const f = (input: string | URL | Request) => {
    const url = String(input);
    calls.push(url);
    const name = url.slice(PTB_URL.length);
    const bytes = body ?? Deno.readFileSync(join(PTB!, name));
    return Promise.resolve(
      new Response(bytes as Uint8Array<ArrayBuffer>, {
        headers: { "content-length": String(bytes.length) },
      }),
    );
  };
  return { calls, fetch: f as typeof fetch };
}

Deno.test({
  name:
    "without local files PTB is downloaded, verified, cached atomically, then read from the cache",
  ignore: PTB === undefined,
  async fn() {
    const cacheDir = join(await makeTestDir(), "cache");
    try {
      const net = fakeFetch();
      const progress: string[] = [];
      const first = await loadPtbAll({
        cacheDir,
        fetch: net.fetch,
        onProgress: (file) => void progress.push(file),
      });
      assertEquals(net.calls, ["train", "valid", "test"].map((s) => `${PTB_URL}ptb.${s}.txt`));
      assertOk(progress.includes("ptb.train.txt"), "progress reported");
      assertEquals(
        [...Deno.readDirSync(cacheDir)].map((e) => e.name).sort(),
        ["ptb.test.txt", "ptb.train.txt", "ptb.valid.txt"],
      );
      const offline = fakeFetch();
      const second = await loadPtbAll({ cacheDir, fetch: offline.fetch });
      assertEquals(offline.calls.length, 0);
      assertEquals(second.train.ids, first.train.ids);
      assertEquals(second.train.path, join(cacheDir, "ptb.train.txt"));
    } finally {
      await Deno.remove(join(cacheDir, ".."), { recursive: true });
    }
  },
});

Deno.test("a corrupted download is rejected by its SHA-256 and leaves nothing in the cache", async () => {
  const dir = await makeTestDir();
  try {
    const cacheDir = join(dir, "cache");
    const bad = fakeFetch(new TextEncoder().encode(" not the penn treebank \n"));
    await assertRejects(
      () => loadPtbAll({ cacheDir, fetch: bad.fetch }),
      `SHA-256 is`,
    );
    await assertRejects(
      () => loadPtbAll({ cacheDir, fetch: bad.fetch }),
      `expected ${PTB_SHA256.train}`,
    );
    let names: string[] = [];
    try {
      names = [...Deno.readDirSync(cacheDir)].map((e) => e.name);
    } catch { /* never created */ }
    assertEquals(names, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("offline and not cached: one message saying where it looked and how to supply the files", async () => {
  const dir = await makeTestDir();
  try {
    const cacheDir = join(dir, "empty-cache");
    const offline = (() =>
      Promise.reject(new TypeError("error sending request: dns error"))) as typeof fetch;
    const error = await loadPtbAll({ cacheDir, fetch: offline }).then(
      () => undefined,
      (e: Error) => e,
    );
    assertOk(error !== undefined, "loading failed");
    const m = error.message;
    for (
      const part of [
        join(cacheDir, "ptb.train.txt"),
        `${PTB_URL}ptb.train.txt`,
        "dns error",
        "--data-dir DIR",
        "SAIKI_DATA_DIR=DIR",
        "ptb.valid.txt",
      ]
    ) assertOk(m.includes(part), `message mentions ${part}: ${m}`);
    assertOk(!m.includes("\n    at "), "no stack trace in the message");
    await assertRejects(
      () => loadPtbAll({ dataDir: join(dir, "nowhere") }),
      `PTB: ${join(dir, "nowhere", "ptb.train.txt")} not found (--data-dir`,
    );
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
      for (const s of ["train", "valid", "test"]) {
        await Deno.copyFile(join(PTB!, `ptb.${s}.txt`), join(dir, `ptb.${s}.txt`));
      }
      await Deno.writeTextFile(join(dir, "ptb.valid.txt"), "edited\n", { append: true });
      await assertRejects(
        () => loadPtbAll({ dataDir: dir }),
        `ptb.valid.txt: SHA-256 is`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the cache folder follows XDG_CACHE_HOME, then HOME", () => {
  const dir = defaultCacheDir();
  const xdg = Deno.env.get("XDG_CACHE_HOME"), home = Deno.env.get("HOME");
  if (xdg) assertEquals(dir, join(xdg, "saiki", "ptb"));
  else if (home) assertEquals(dir, join(home, ".cache", "saiki", "ptb"));
});
