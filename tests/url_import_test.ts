/**
 * `mod.ts` imported by URL, as a user of another project would: the repository is served over
 * HTTP on 127.0.0.1 and a separate `deno` process, with no config file and an empty cache,
 * imports `http://127.0.0.1:PORT/mod.ts` and runs a forward and backward pass.
 */

import { assertEquals, assertOk } from "../lib/std/assert.ts";
import { fromFileUrl, join, resolve } from "../lib/std/path.ts";
import { makeTestDir } from "./_helpers.ts";

const ROOT = resolve(fromFileUrl(new URL("../", import.meta.url)));

Deno.test("mod.ts imported by its http:// URL runs a forward and backward pass", async () => {
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
    const program = `
      import { Rng, TimeAffine, getKernels } from "http://${host}/mod.ts";
      const rng = new Rng(7);
      const layer = new TimeAffine(rng.randn([4, 3]), rng.randn([3]));
      const out = layer.forward(rng.randn([2, 5, 4]));
      const dx = layer.backward(out);
      console.log(JSON.stringify({ out: out.shape, dx: dx.shape, dW: layer.grads[0].shape,
        finite: [...out.data, ...dx.data].every(Number.isFinite), kernels: getKernels().name }));
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
    assertEquals(result, {
      out: [2, 5, 3],
      dx: [2, 5, 4],
      dW: [4, 3],
      finite: true,
      kernels: "js",
    });
    assertOk(requests > 1, "the modules were fetched over HTTP");
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
