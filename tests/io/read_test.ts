/**
 * Every file reader refuses what is not a regular file before opening it, and caps what it
 * reads: `readRegularFile(Sync)` itself, checkpoints, PTB files (and downloads).
 */

import { FileRefusedError, readRegularFile, readRegularFileSync } from "../../lib/io/read.ts";
import {
  loadCheckpoint,
  loadCheckpointSync,
  MAX_CHECKPOINT_BYTES,
} from "../../lib/io/checkpoint.ts";
import { loadPtbAll, MAX_PTB_BYTES, PTB_URL } from "../../lib/io/ptb.ts";
import { assertEquals, assertOk, assertRejects, assertThrows } from "../../lib/std/assert.ts";
import { join } from "../../lib/std/path.ts";
import { inTestDir, makeTestDir } from "../_helpers.ts";
import { denoWithin, HAS_DEV_ZERO, HAS_MKFIFO, mkfifo } from "../_special_files.ts";

const LIMITS = { maxBytes: 10, expected: "a small file" };

Deno.test(
  "readRegularFile reads a file up to its limit, and refuses a folder or a larger file",
  inTestDir(async (dir) => {
    const ten = join(dir, "ten.txt"), eleven = join(dir, "eleven.txt"), empty = join(dir, "e");
    await Deno.writeTextFile(ten, "0123456789");
    await Deno.writeTextFile(eleven, "0123456789a");
    await Deno.writeFile(empty, new Uint8Array());
    assertEquals(new TextDecoder().decode(await readRegularFile(ten, LIMITS)), "0123456789");
    assertEquals(new TextDecoder().decode(readRegularFileSync(ten, LIMITS)), "0123456789");
    assertEquals((await readRegularFile(empty, LIMITS)).length, 0);
    const tooLarge = `${eleven} is 11 bytes, more than the 10 bytes a small file may have`;
    await assertRejects(() => readRegularFile(eleven, LIMITS), tooLarge);
    assertThrows(() => readRegularFileSync(eleven, LIMITS), tooLarge);
    const folder = `${dir} is not a regular file (a folder): give a small file`;
    const e = assertThrows(() => readRegularFileSync(dir, LIMITS), folder);
    assertOk(e instanceof FileRefusedError);
    assertEquals(e.message, folder);
    assertEquals(e.detail, "not a regular file (a folder): give a small file");
    await assertRejects(() => readRegularFile(dir, { ...LIMITS, where: "--x d" }), "--x d is not");
    // a missing file is Deno's error, for the caller to word
    await assertRejects(() => readRegularFile(join(dir, "gone"), LIMITS), "No such file");
    assertThrows(() => readRegularFileSync(join(dir, "gone"), LIMITS), "No such file");
  }),
);

Deno.test({
  name: "readRegularFile and the checkpoint loaders refuse /dev/zero without reading it",
  ignore: !HAS_DEV_ZERO,
  fn: async () => {
    const big = { maxBytes: 2 ** 40, expected: "a file" };
    const message = "/dev/zero is not a regular file (a character device): give a file";
    await assertRejects(() => readRegularFile("/dev/zero", big), message);
    assertThrows(() => readRegularFileSync("/dev/zero", big), message);
    const ckpt = "loadCheckpoint: cannot read /dev/zero: it is not a regular file (a character " +
      "device): give a checkpoint file";
    await assertRejects(() => loadCheckpoint("/dev/zero"), ckpt);
    assertThrows(() => loadCheckpointSync("/dev/zero"), ckpt);
  },
});

Deno.test({
  name: "the checkpoint loaders (async and sync) refuse a FIFO at once, without opening it",
  ignore: !HAS_MKFIFO,
  fn: inTestDir(async (dir) => {
    const fifo = join(dir, "fifo.safetensors");
    await mkfifo(fifo);
    // in a child process with a deadline: a blocked open would hang this test's process
    const module = new URL("../../lib/io/checkpoint.ts", import.meta.url).href;
    const code = `import { loadCheckpoint, loadCheckpointSync } from "${module}";
        for (const load of [loadCheckpoint, loadCheckpointSync]) {
          try { await load(${JSON.stringify(fifo)}); } catch (e) { console.log(e.message); }
        }`;
    const { out, err } = await denoWithin(60, ["eval", "--ext=ts", code]);
    const line = `loadCheckpoint: cannot read ${fifo}: it is not a regular file (a FIFO): ` +
      `give a checkpoint file`;
    assertEquals((out + err).trim().split("\n"), [line, line]);
  }),
});

Deno.test(
  "a checkpoint larger than 4 GiB and a PTB file larger than 64 MiB are refused before they are read",
  inTestDir(async (dir) => {
    // sparse files: their size is set, nothing is written
    const huge = join(dir, "huge.safetensors");
    await Deno.writeFile(huge, new Uint8Array());
    await Deno.truncate(huge, MAX_CHECKPOINT_BYTES + 2 ** 30);
    const ckpt = `loadCheckpoint: cannot read ${huge}: it is 5 GiB, more than the 4 GiB a ` +
      `checkpoint file may have`;
    await assertRejects(() => loadCheckpoint(huge), ckpt);
    assertThrows(() => loadCheckpointSync(huge), ckpt);
    await Deno.remove(huge);
    const train = join(dir, "ptb.train.txt");
    await Deno.writeFile(train, new Uint8Array());
    await Deno.truncate(train, MAX_PTB_BYTES + 2 ** 20);
    await assertRejects(
      () => loadPtbAll({ dataDir: dir, download: false }),
      `PTB: ${train} is 65 MiB, more than the 64 MiB the reference ptb.train.txt may have ` +
        `(--data-dir ${dir} must hold`,
    );
  }),
);

Deno.test("a PTB download is refused past 64 MiB, announced or streamed, and nothing is cached", async () => {
  const cacheDir = await makeTestDir();
  const saved = (() => {
    try {
      return Deno.env.get("SAIKI_DATA_DIR");
    } catch {
      return undefined;
    }
  })();
  if (saved !== undefined) Deno.env.delete("SAIKI_DATA_DIR");
  try {
    const chunk = new Uint8Array(2 ** 20);
    let sent = 0;
    const endless = (announce: boolean) =>
      ((input: string | URL | Request) => {
        assertEquals(String(input), PTB_URL + "ptb.train.txt");
        sent = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(c) {
            sent += chunk.length;
            c.enqueue(chunk);
          },
        });
        const headers = announce ? { "content-length": String(100 * 2 ** 20) } : undefined;
        return Promise.resolve(new Response(body, { headers }));
      }) as typeof fetch;
    const quiet = () => {};
    await assertRejects(
      () => loadPtbAll({ cacheDir, fetch: endless(true), onProgress: quiet }),
      "failed (it is 100 MiB, more than the 64 MiB a PTB file may have)",
    );
    assertOk(sent <= 4 * chunk.length, `read ${sent} bytes of an announced 100 MiB`);
    await assertRejects(
      () => loadPtbAll({ cacheDir, fetch: endless(false), onProgress: quiet }),
      "failed (it sent more than the 64 MiB a PTB file may have)",
    );
    assertOk(sent <= MAX_PTB_BYTES + 4 * chunk.length, `read ${sent} bytes`);
    assertEquals([...Deno.readDirSync(cacheDir)], []);
  } finally {
    if (saved !== undefined) Deno.env.set("SAIKI_DATA_DIR", saved);
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test({
  name: "readRegularFile follows a file past its stat size (Linux /proc files stat as 0 bytes)",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const module = new URL("../../lib/io/read.ts", import.meta.url).href;
    const code = `import { readRegularFile, readRegularFileSync } from "${module}";
      const text = (b: Uint8Array) => new TextDecoder().decode(b);
      const limits = { maxBytes: 2 ** 20, expected: "a status file" };
      console.log((await Deno.stat("/proc/self/status")).size);
      console.log(text(await readRegularFile("/proc/self/status", limits)).split("\\n")[0]);
      console.log(text(readRegularFileSync("/proc/self/status", limits)).split("\\n")[0]);
      try {
        await readRegularFile("/proc/self/status", { maxBytes: 100, expected: "a status file" });
      } catch (e) { console.log(e.message); }`;
    const args = ["eval", "--ext=ts", "--allow-read=/proc/self", code];
    const { out, err } = await denoWithin(60, args);
    assertEquals((out + err).trim().split("\n"), [
      "0",
      "Name:\tdeno",
      "Name:\tdeno",
      "/proc/self/status is larger than the 100 bytes a status file may have",
    ]);
  },
});
