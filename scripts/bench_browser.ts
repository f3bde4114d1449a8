/**
 * Training speed in a real browser: `deno task bench-browser` builds the bundle, serves it
 * cross-origin isolated on 127.0.0.1, and in headless Chromium (Debian's `chromium`) times the
 * `lstm` preset's iterations (V 10000, 100/100, batch 20×35) with 1 and 2 workers, then the same
 * in this Deno process, the way `deno task bench` does: medians after warm-up.
 *
 * @module
 */

import { LanguageModel } from "../lib/models/rnnlm.ts";
import { SGD } from "../lib/train/optimizers.ts";
import { Rng } from "../lib/random.ts";
import { fromFileUrl, join } from "../lib/std/path.ts";
import { IntTensor } from "../lib/tensor.ts";
import { RnnlmTrainer } from "../lib/train/trainer.ts";
import { presetModel } from "../lib/train/config.ts";
import { Browser, chromiumVersion } from "./_cdp.ts";
import { build } from "./build.ts";
import { playgroundHandler } from "./serve.ts";

const CONFIG = presetModel("lstm");

/** The measurement, as source: runs in the page (with the bundle) and here (with the sources). */
const MEASURE = `async (s, workers, seconds) => {
  const N = 20, T = 35, rng = new s.Rng(0);
  const model = new s.LanguageModel(${JSON.stringify(CONFIG)}, { rng });
  const trainer = new s.RnnlmTrainer(model, new s.SGD(20), { workers });
  const xs = s.IntTensor.engine([N, T]), ts = s.IntTensor.engine([N, T]);
  for (const t of [xs, ts]) for (let i = 0; i < t.size; i++) t.data[i] = rng.int(10000);
  for (let i = 0; i < 2; i++) await trainer.step(xs, ts, 0.25);
  const times = [];
  const end = performance.now() + seconds * 1000;
  while (times.length < 3 || performance.now() < end) {
    const t0 = performance.now();
    await trainer.step(xs, ts, 0.25);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const threads = await trainer.threads();
  await trainer.close();
  return { tokensPerSec: N * T / (times[times.length >> 1] / 1000), threads, kernels: s.getKernels().name };
}`;

type Result = { tokensPerSec: number; threads: number; kernels: string };

if (import.meta.main) {
  const version = await chromiumVersion();
  if (version === undefined) {
    console.error("error: chromium is not installed (apt-get install chromium)");
    Deno.exit(1);
  }
  const root = fromFileUrl(new URL("../", import.meta.url));
  await Deno.mkdir(join(root, "dist"), { recursive: true });
  const dir = await Deno.makeTempDir({ dir: join(root, "dist"), prefix: "bench-" });
  await build(join(dir, "dist"));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    playgroundHandler(join(root, "web"), join(dir, "dist"), true),
  );
  const browser = await Browser.open(`http://127.0.0.1:${server.addr.port}/`, join(dir, "profile"));
  const rows: [string, number, Result][] = [];
  try {
    await browser.waitFor<boolean>("globalThis.crossOriginIsolated", (v) => v, 30);
    for (const workers of [1, 2]) {
      const r = await browser.evaluate<Result>(
        `(async () => (${MEASURE})(await import("/dist/saiki.js"), ${workers}, 8))()`,
      );
      rows.push([version, workers, r]);
    }
  } finally {
    await browser.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
  const here = {
    LanguageModel,
    RnnlmTrainer,
    SGD,
    Rng,
    IntTensor,
    getKernels: (await import("../lib/engine/kernels.ts")).getKernels,
  };
  const measure = new Function(`return ${MEASURE}`)();
  for (const workers of [1, 2]) {
    rows.push([`Deno ${Deno.version.deno}`, workers, await measure(here, workers, 8)]);
  }
  console.log("lstm preset (V 10000, 100/100, batch 20×35): tokens/s, medians");
  for (const [where, workers, r] of rows) {
    console.log(
      `  ${where.padEnd(60)} ${String(workers)} worker(s) → ${r.threads} thread(s)  ` +
        `${Math.round(r.tokensPerSec).toLocaleString("en-US").padStart(7)}  (${r.kernels})`,
    );
  }
}
