/**
 * Preloaded before every test module (`deno task test`): installs the backend named by
 * `SAIKI_BACKEND` (`js`, `wasm` or `auto`, the default), so the whole suite — fixtures,
 * gradient checks, trainer, checkpoints — runs under each backend in CI.
 */

import { selectBackend, setKernels } from "../lib/engine/kernels.ts";

const name = Deno.env.get("SAIKI_BACKEND") ?? "auto";
if (name !== "js" && name !== "wasm" && name !== "auto") {
  throw new Error(`SAIKI_BACKEND is "${name}", expected js, wasm or auto`);
}
setKernels(selectBackend(name));
