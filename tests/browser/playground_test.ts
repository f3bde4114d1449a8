/**
 * The JavaScript build in real runtimes: the playground page in headless Chromium (trains on
 * its sample text in workers until the perplexity falls, samples text, takes a screenshot;
 * without cross-origin isolation it trains on one thread and says so; its seq2seq mode trains
 * on dates, answers a question and draws the attention map; it speaks Japanese with `?lang=ja`
 * and switches language in place), and the bundle in Node.
 * Where Chromium or Node is missing, the test says so and is ignored — never passes silently.
 */

import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { fromFileUrl, join } from "../../lib/std/path.ts";
import { build } from "../../scripts/build.ts";
import { main as generateMain } from "../../scripts/generate.ts";
import { playgroundHandler } from "../../scripts/serve.ts";
import { inTestDir, makeTestDir } from "../_helpers.ts";
import { loadCheckpoint } from "../../lib/io/checkpoint.ts";
import { modelFromCheckpoint } from "../../lib/train/checkpoint.ts";
import { readOnnxInfo, toOnnx } from "../../lib/models/onnx_export.ts";
import { toTorchStateDict } from "../../lib/models/torch_export.ts";
import { encodeSafetensors } from "../../lib/models/safetensors.ts";
import { Browser, chromiumVersion } from "../../scripts/_cdp.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const CHROMIUM = await chromiumVersion();
if (CHROMIUM === undefined) {
  console.error(
    "skip: chromium is not installed (apt-get install chromium): the playground tests (language model, seq2seq) are ignored",
  );
}

async function nodeVersion(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("node", { args: ["--version"], stdout: "piped" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}
const NODE = await nodeVersion();
if (NODE === undefined) {
  console.error("skip: node is not installed: the Node bundle test is ignored");
}

/**
 * Removes a test folder holding Chromium profiles: a killed Chromium may still be writing its
 * last files (its network state) for a moment, so an attempt that finds the folder not empty
 * is retried.
 */
async function removeProfiles(dir: string): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      return await Deno.remove(dir, { recursive: true });
    } catch (e) {
      if (attempt >= 20 || e instanceof Deno.errors.NotFound) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

interface Status {
  state: string;
  step: number;
  ppl: number;
  tokensPerSec: number;
  sample: string;
  threads: number;
  kernels: string;
  notice: string;
  error: string;
}

const STATUS = "globalThis.saikiStatus ?? null";

/** The bytes the page offers when button `id` is clicked (the link it clicks, caught). */
async function downloaded(page: Browser, id: string): Promise<Uint8Array> {
  const b64 = await page.evaluate<string>(`(async () => {
    let href = "";
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function () { href = this.href; };
    document.getElementById(${JSON.stringify(id)}).click();
    HTMLAnchorElement.prototype.click = click;
    const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  })()`);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** The text of element `id` on `page`. */
const textOf = (page: Browser, id: string) =>
  page.evaluate<string>(`document.getElementById("${id}").textContent`);

/** Saves a screenshot of `page` as `tests/.tmp/<name>`. */
const screenshot = async (page: Browser, name: string) =>
  await Deno.writeFile(join(ROOT, "tests", ".tmp", name), await page.screenshot());

/**
 * Builds the bundle in a test folder and serves the playground from it, a server for each of
 * `isolated` (cross-origin isolated or not); `open(i, query)` opens server `i`'s page in Chromium
 * (a profile of its own) and waits until it is ready. All is closed and removed afterwards.
 */
function inPlayground(
  isolated: boolean[],
  fn: (open: (server: number, query?: string) => Promise<Browser>, dir: string) => Promise<void>,
): () => Promise<void> {
  return async () => {
    const dir = await makeTestDir();
    const servers: Deno.HttpServer<Deno.NetAddr>[] = [], browsers: Browser[] = [];
    const open = async (i: number, query = "") => {
      const page = await Browser.open(
        `http://127.0.0.1:${servers[i].addr.port}/${query}`,
        join(dir, `profile${browsers.length}`),
      );
      browsers.push(page);
      const ready = await page.waitFor<Status | null>(STATUS, (s) => s?.state === "ready", 60);
      assertEquals(ready?.state, "ready", JSON.stringify(ready));
      return page;
    };
    try {
      await build(join(dir, "dist"));
      for (const iso of isolated) {
        const handler = playgroundHandler(join(ROOT, "web"), join(dir, "dist"), iso);
        servers.push(Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler));
      }
      await fn(open, dir);
    } finally {
      for (const b of browsers) await b.close();
      for (const s of servers) await s.shutdown();
      await removeProfiles(dir);
    }
  };
}

Deno.test({
  name:
    "the playground trains in Chromium's workers until its perplexity falls, samples text, and without isolation runs on one thread",
  ignore: CHROMIUM === undefined,
  fn: inPlayground([true, false], async (open, dir) => {
    // cross-origin isolated: workers
    const page = await open(0);
    await page.evaluate(`document.getElementById("train").click()`);
    // the sample text has about 150 distinct words: an untrained model is near 150
    const s = await page.waitFor<Status>(
      STATUS,
      (s) => s.error !== "" || (typeof s.ppl === "number" && s.ppl < 8),
      180,
    );
    assertEquals(s.error, "");
    assertOk(s.ppl < 8, `perplexity ${s.ppl} after ${s.step} iterations`);
    assertEquals(s.threads, 2, JSON.stringify(s));
    assertOk(s.kernels.startsWith("wasm"), s.kernels);
    assertOk(s.sample.split(/\s+/).length >= 20, s.sample);
    const shown = await textOf(page, "stats");
    assertOk(/perplexity \d+\.\d\d \| [\d,]+ tokens\/s \| 2 workers/.test(shown), shown);
    await page.evaluate(`document.getElementById("stop").click()`);
    const stopped = await page.waitFor<Status>(STATUS, (s) => s.state === "stopped", 30);
    await screenshot(page, "playground.png");
    // go on from where it stopped
    await page.evaluate(`document.getElementById("train").click()`);
    const more = await page.waitFor<Status>(STATUS, (s) => s.step >= stopped.step + 20, 60);
    assertOk(more.step >= stopped.step + 20, `went on: ${stopped.step} → ${more.step}`);
    await page.evaluate(`document.getElementById("stop").click()`);
    await page.waitFor<Status>(STATUS, (s) => s.state === "stopped", 30);
    // download: catch the link the page clicks and read its bytes
    const file = join(dir, "page.safetensors");
    await Deno.writeFile(file, await downloaded(page, "download"));
    // the downloaded checkpoint is one `deno task generate` reads
    const out: string[] = [];
    assertEquals(await generateMain([file, "--length", "12"], (t) => void out.push(t)), 0);
    assertOk(out.join(" ").trim().split(/\s+/).length >= 6, out.join(" "));
    // the ONNX download is toOnnx of that model, with its words
    const ckpt = await loadCheckpoint(file);
    const model = modelFromCheckpoint(ckpt);
    const words = JSON.parse(ckpt.metadata.vocab);
    const onnx = await downloaded(page, "downloadOnnx");
    assertEquals(onnx, toOnnx(model, { vocab: words }));
    assertEquals(readOnnxInfo(onnx).inputs, ["ids", "h0", "c0"]);
    // and the page loads the checkpoint back, and a PyTorch state dict of it
    const torchFile = join(dir, "page.torch.safetensors");
    const exported = toTorchStateDict(model, { vocab: words });
    await Deno.writeFile(torchFile, encodeSafetensors(exported.tensors, exported.metadata));
    for (
      const [path, name] of [[file, "page.safetensors"], [torchFile, "page.torch.safetensors"]]
    ) {
      const { root } = await page.send("DOM.getDocument") as { root: { nodeId: number } };
      const { nodeId } = await page.send("DOM.querySelector", {
        nodeId: root.nodeId,
        selector: "#load",
      }) as { nodeId: number };
      await page.send("DOM.setFileInputFiles", { files: [path], nodeId });
      const loaded = await page.waitFor<string>(
        `document.getElementById("notice").textContent`,
        (t) => t.includes(name) || t.startsWith("error"),
        30,
      );
      assertEquals(loaded, `loaded ${name}: lstm, V ${words.length}`);
    }
    console.log(
      `playground (${CHROMIUM}): iteration ${s.step}, perplexity ${s.ppl.toFixed(2)}, ` +
        `${Math.round(s.tokensPerSec)} tokens/s on ${s.threads} workers`,
    );
    // not isolated: one thread, and the page says so
    const single = await open(1);
    await single.evaluate(`document.getElementById("train").click()`);
    const t = await single.waitFor<Status>(STATUS, (s) => s.error !== "" || s.step >= 20, 120);
    assertEquals([t.error, t.threads], ["", 1]);
    assertOk(/one thread: SharedArrayBuffer is missing/.test(t.notice), t.notice);
    await single.evaluate(`document.getElementById("stop").click()`);
  }),
});

/** What the seq2seq mode shows (`globalThis.saikiSeq2seq`). */
interface Seq2seqStatus {
  state: string;
  epoch: number;
  loss: number;
  accuracy: number;
  history: { epoch: number; loss: number; accuracy: number }[];
  answer: string;
  threads: number;
  error: string;
}

const S2S = "globalThis.saikiSeq2seq ?? null";
/** Epochs of the test's run of the seq2seq mode's defaults: attention on reversed dates. */
const S2S_EPOCHS = 14;

Deno.test({
  name:
    "the playground's seq2seq mode trains an attention model on dates in Chromium, answers a typed question and draws its attention map",
  ignore: CHROMIUM === undefined,
  fn: inPlayground([true], async (open) => {
    const page = await open(0);
    const text = (id: string) => textOf(page, id);
    const ask = async (question: string) => {
      await page.evaluate(
        `document.getElementById("s2sQuestion").value = ${JSON.stringify(question)};
          document.getElementById("s2sAsk").click()`,
      );
      return [await text("s2sAnswer"), await text("s2sAskError")];
    };
    await page.evaluate(`document.getElementById("modeSeq2seq").click()`);
    const hidden = await page.evaluate<boolean[]>(
      `["lmMode", "s2sMode"].map((id) => document.getElementById(id).hidden)`,
    );
    assertEquals(hidden, [true, false], "the seq2seq half shows, the language model's hides");
    assertEquals(await ask("May 5, 2001"), ["", "train a model first"]);

    // a short run of the defaults: attention, dates, questions reversed
    await page.evaluate(`document.getElementById("s2sEpochs").value = "${S2S_EPOCHS}";
        document.getElementById("s2sTrain").click()`);
    const t0 = performance.now();
    const s = await page.waitFor<Seq2seqStatus>(
      S2S,
      (s) => s.error !== "" || (s.state === "stopped" && s.epoch >= S2S_EPOCHS),
      180,
    );
    const seconds = (performance.now() - t0) / 1000;
    assertEquals(s.error, "");
    assertEquals(
      s.history.map((h) => h.epoch),
      Array.from({ length: S2S_EPOCHS }, (_, i) => i + 1),
    );
    for (const h of s.history) {
      assertOk(Number.isFinite(h.loss) && h.accuracy >= 0 && h.accuracy <= 1, JSON.stringify(h));
    }
    assertOk(s.history.at(-1)!.loss < s.history[0].loss / 2, JSON.stringify(s.history));
    assertOk(s.accuracy >= 0.5, `test accuracy ${s.accuracy} after ${S2S_EPOCHS} epochs`);
    const stats = await text("s2sStats");
    const shown = stats.match(/test accuracy (\d+\.\d)% \|/);
    assertEquals(shown?.[1], (100 * s.accuracy).toFixed(1), stats);
    assertEquals(
      await page.evaluate<number>(`document.querySelectorAll("#s2sHistory tbody tr").length`),
      S2S_EPOCHS,
    );

    // a question typed as the data set writes them: an answer of 10 characters, and its map
    const [answer, error] = await ask("September 27, 1994");
    assertEquals(error, "");
    const got = await page.evaluate<string>(`globalThis.saikiSeq2seq.answer`);
    assertEquals(got.length, 10, JSON.stringify(got));
    assertOk(/^\d{4}-\d\d-\d\d$/.test(got), got);
    assertEquals(answer, `→ ${got}`);
    const map = await page.evaluate<{ cells: number; rows: string; cols: string }>(`(() => {
        const svg = document.querySelector("#s2sAttention svg");
        const text = (sel) => [...svg.querySelectorAll(sel)].map((t) => t.textContent).join("");
        return { cells: svg.querySelectorAll("rect.cell").length, rows: text(".row-label"),
          cols: text(".col-label") };
      })()`);
    assertEquals(map, {
      cells: 10 * 29, // answer × question characters (29: the widest date question)
      rows: got,
      cols: "September 27, 1994".padEnd(29),
    });

    // questions the data set cannot hold are refused, saying why
    const [, long] = await ask("1".repeat(30));
    assertEquals(long, "too long: 30 characters; the model reads questions of at most 29");
    const [, unknown] = await ask("May 5, 2001 @ noon");
    assertOk(
      unknown.startsWith(`"@" (character 13) is not one of the model's characters`),
      unknown,
    );
    assertEquals(
      await page.evaluate<number>(`document.querySelectorAll("#s2sAttention svg").length`),
      0,
      "no map for a refused question",
    );
    // a test question: the page gives the data set's answer beside the model's
    await page.evaluate(`document.getElementById("s2sRandom").click()`);
    const test = await text("s2sAnswer");
    assertOk(
      /^→ \d{4}-\d\d-\d\d {3}\(a test question: the answer is [\d-]{10} [✓✗]\)$/.test(test),
      test,
    );
    await screenshot(page, "playground_seq2seq.png");
    console.log(
      `seq2seq mode (${CHROMIUM}): ${S2S_EPOCHS} epochs in ${seconds.toFixed(1)} s on ` +
        `${s.threads} thread(s), test accuracy ${(100 * s.accuracy).toFixed(0)}%, ` +
        `"September 27, 1994" → ${got}`,
    );
  }),
});

Deno.test({
  name:
    "the bundle trains a model in Node (one thread: Node has no Web Workers) and round-trips a checkpoint",
  ignore: NODE === undefined,
  fn: inTestDir(async (dir) => {
    await build(dir);
    await Deno.writeTextFile(
      join(dir, "run.mjs"),
      `import * as s from "./saiki.js";
const model = new s.Rnnlm(20, 8, 8, { rng: new s.Rng(1) });
const trainer = new s.RnnlmTrainer(model, new s.SGD(2), { workers: 2, shards: 2 });
const ids = Int32Array.from({ length: 800 }, (_, i) => (i * 7) % 20);
const ppl = await trainer.fit(ids.subarray(0, -1), ids.subarray(1), { maxEpoch: 5, batchSize: 4, timeSize: 5, evalInterval: 10 });
const bytes = s.encodeSafetensors(s.modelCheckpoint(model).tensors, s.modelCheckpoint(model).metadata);
const back = s.modelFromCheckpoint(s.decodeSafetensors(bytes));
console.log(JSON.stringify({ first: ppl[0], last: ppl.at(-1), threads: await trainer.threads(),
  notice: trainer.notice, same: back.params[1].data.every((v, i) => v === model.params[1].data[i]) }));
await trainer.close();
`,
    );
    const out = await new Deno.Command("node", {
      args: [join(dir, "run.mjs")],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    assertOk(r.last < r.first / 2, `perplexity ${r.first} → ${r.last}`);
    assertEquals([r.threads, r.same], [1, true]);
    assertOk(r.notice.includes("no Web Workers"), r.notice);
  }),
});

Deno.test({
  name:
    "the playground speaks Japanese with ?lang=ja, labels and training line alike, and its switch turns it to English in place",
  ignore: CHROMIUM === undefined,
  fn: inPlayground([true], async (open) => {
    const page = await open(0, "?lang=ja");
    const text = (id: string) => textOf(page, id);
    assertEquals(await page.evaluate<string>(`document.documentElement.lang`), "ja");
    assertEquals(
      [await text("train"), await text("reset"), await page.evaluate<string>(`document.title`)],
      ["学習", "新しいモデル", "saiki プレイグラウンド — ブラウザで学習する RNN"],
    );
    assertOk(/^\d+ 語$/.test(await text("textInfo")), await text("textInfo"));
    await page.evaluate(`document.getElementById("train").click()`);
    const s = await page.waitFor<Status>(STATUS, (s) => s.error !== "" || s.step >= 20, 120);
    assertEquals(s.error, "");
    const ja = await text("stats");
    assertOk(
      /^反復 \d+ \| パープレキシティ \d+\.\d\d \| [\d,]+ トークン\/秒 \| 2 ワーカー \| カーネル wasm/
        .test(ja),
      ja,
    );
    await page.evaluate(`document.getElementById("stop").click()`);
    await page.waitFor<Status>(STATUS, (s) => s.state === "stopped", 30);
    await screenshot(page, "playground_ja.png");
    // the switch: English in place, the training line rewritten, ?lang= kept in the address
    await page.evaluate(`(() => { const l = document.getElementById("lang");
        l.value = "en"; l.dispatchEvent(new Event("change")); })()`);
    assertEquals(
      [await text("train"), await page.evaluate<string>(`document.documentElement.lang`)],
      ["Train", "en"],
    );
    const en = await text("stats");
    assertOk(
      /^iteration \d+ \| perplexity \d+\.\d\d \| [\d,]+ tokens\/s \| 2 workers/.test(en),
      en,
    );
    assertOk((await page.evaluate<string>(`location.search`)).includes("lang=en"));
    // and back: the seq2seq half too, its messages included
    await page.evaluate(`(() => { const l = document.getElementById("lang");
        l.value = "ja"; l.dispatchEvent(new Event("change"));
        document.getElementById("modeSeq2seq").click();
        document.getElementById("s2sAsk").click(); })()`);
    assertEquals(
      [await text("s2sAskError"), await text("s2sTrain"), await text("s2sRandom")],
      ["先にモデルを学習してください", "学習", "テスト問題を出す"],
    );
  }),
});
