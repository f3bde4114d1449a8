/**
 * `mod.ts` imported by URL, as a user of another project would: the repository is served over
 * HTTP on 127.0.0.1 and a separate `deno` process, with no config file and an empty cache,
 * imports `http://127.0.0.1:PORT/mod.ts` and runs a forward and backward pass.
 */

import { getKernels, IntTensor, Rng, Rnnlm, SGD } from "../mod.ts";
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

const ROOT = resolve(fromFileUrl(new URL("../", import.meta.url)));

Deno.test("mod.ts imported by its http:// URL runs a forward, backward and update of an LSTM model", async () => {
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
      import { IntTensor, Rng, Rnnlm, SGD, getKernels, selectBackend, setKernels } from "http://${host}/mod.ts";
      setKernels(selectBackend("${backend}"));
      ${SCRIPT}
      console.log(JSON.stringify({ ...run(IntTensor, Rng, Rnnlm, SGD), kernels: getKernels().name }));
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
    assertEquals(result, { ...local, kernels: getKernels().name });
    assertOk(result.after < result.before, "one SGD step lowered the loss");
    assertOk(requests > 1, "the modules were fetched over HTTP");
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
