/**
 * `mod.ts` imported by URL, as a user of another project would: the repository is served over
 * HTTP on 127.0.0.1 and a separate `deno` process, with no config file and an empty cache,
 * imports `http://127.0.0.1:PORT/mod.ts`, runs a forward and backward pass, and trains with two
 * workers (started from the library's http:// URL).
 */

import { getKernels, IntTensor, LanguageModel, Rng, Rnnlm, RnnlmTrainer, SGD } from "../mod.ts";
import { assertEquals, assertOk } from "../lib/std/assert.ts";
import { fromFileUrl, join, resolve } from "../lib/std/path.ts";
import { makeTestDir } from "./_helpers.ts";

/** A forward, backward and SGD step of an LSTM language model; plain JS so both sides run it. */
const SCRIPT = `
  function run(IntTensor, Rng, Rnnlm, SGD) {
    const model = new Rnnlm(12, 6, 5, { rng: new Rng(7) });
    const xs = IntTensor.from([[1, 2, 3, 4], [5, 6, 7, 8]]);
    const ts = IntTensor.from([[2, 3, 4, 5], [6, 7, 8, 9]]);
    const before = model.forward(xs, ts);
    model.backward();
    new SGD(1).update(model.params, model.grads);
    model.resetState();
    const after = model.forward(xs, ts);
    return { before, after, grads: model.grads.map((g) => g.shape) };
  }
`;

/** A few training steps with 2 workers: the pool starts its workers from the library's URL. */
const TRAIN = `
  async function train(LanguageModel, RnnlmTrainer, SGD, Rng) {
    const model = new LanguageModel({ vocabSize: 20, wordvecSize: 8, hiddenSize: 8, cell: "lstm",
      layers: 1, dropout: 0.2, tieWeights: false }, { rng: new Rng(2), maskSeed: 3 });
    const trainer = new RnnlmTrainer(model, new SGD(0.5), { workers: 2, shards: 2 });
    const ids = Int32Array.from({ length: 400 }, (_, i) => (i * 7) % 20);
    const ppl = await trainer.fit(ids.subarray(0, -1), ids.subarray(1), {
      maxEpoch: 1, batchSize: 4, timeSize: 5, evalInterval: 5,
    });
    const threads = await trainer.threads();
    await trainer.close();
    return { ppl, threads, head: Array.from(model.paramBuffer.data.subarray(0, 8)) };
  }
`;

const ROOT = resolve(fromFileUrl(new URL("../", import.meta.url)));

Deno.test("mod.ts imported by its http:// URL runs an LSTM model and trains it with two workers", async () => {
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    requests++;
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..") || !path.endsWith(".ts")) {
      return new Response("not found", { status: 404 });
    }
    try {
      const body = await Deno.readFile(join(ROOT, path));
      return new Response(body, { headers: { "content-type": "application/typescript" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const dir = await makeTestDir();
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    // the subprocess runs on the backend this process runs on (SAIKI_BACKEND)
    const backend = getKernels().name.startsWith("wasm") ? "wasm" : "js";
    const program = `
      import { IntTensor, LanguageModel, Rng, Rnnlm, RnnlmTrainer, SGD, getKernels, selectBackend,
        setKernels } from "http://${host}/mod.ts";
      setKernels(selectBackend("${backend}"));
      ${SCRIPT}
      ${TRAIN}
      console.log(JSON.stringify({
        ...run(IntTensor, Rng, Rnnlm, SGD),
        kernels: getKernels().name,
        train: await train(LanguageModel, RnnlmTrainer, SGD, Rng),
      }));
    `;
    await Deno.writeTextFile(join(dir, "main.ts"), program);
    const { code, stdout, stderr } = await new Deno.Command("deno", {
      args: ["run", "--no-config", "--no-lock", `--allow-import=${host}`, "main.ts"],
      cwd: dir,
      env: { DENO_DIR: join(dir, "deno_dir"), NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(stderr);
    assertEquals(code, 0, `deno run failed:\n${err}`);
    const result = JSON.parse(new TextDecoder().decode(stdout));
    // the same computation in this process, through local imports, gives the same numbers
    const local = new Function(
      "IntTensor",
      "Rng",
      "Rnnlm",
      "SGD",
      `${SCRIPT}; return run(IntTensor, Rng, Rnnlm, SGD);`,
    )(
      IntTensor,
      Rng,
      Rnnlm,
      SGD,
    );
    const train = await new Function(
      "LanguageModel",
      "RnnlmTrainer",
      "SGD",
      "Rng",
      `${TRAIN}; return train(LanguageModel, RnnlmTrainer, SGD, Rng);`,
    )(LanguageModel, RnnlmTrainer, SGD, Rng);
    assertEquals(result, { ...local, kernels: getKernels().name, train });
    assertEquals(result.train.threads, 2, "two workers, started from the http:// URL");
    assertOk(result.after < result.before, "one SGD step lowered the loss");
    assertOk(requests > 1, "the modules were fetched over HTTP");
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
