/**
 * Which kernels run: the backends of the kernel interface ({@linkcode Kernels}, defined in
 * `engine/interface.ts`) and the choice between them.
 *
 * Two backends implement it: {@linkcode jsKernels} (plain TypeScript, the reference, correct
 * on every runtime; sums in float64) and the WebAssembly SIMD kernels (`engine/wasm/`), which
 * the library uses by default where the runtime validates WebAssembly SIMD
 * ({@linkcode selectBackend}). Arrays may live anywhere: the WebAssembly kernels address the
 * engine's memory directly and copy other arrays in and out. Their GEMM sums in float32 (with
 * fused multiply-adds where relaxed SIMD validates), as BLAS does; their other reductions
 * (row sums, norms, softmax sums) and the optimizers' arithmetic use float64, as the plain
 * kernels do.
 *
 * @module
 */

import { SaikiError } from "../errors.ts";
import type { Kernels } from "./interface.ts";
import { jsKernels } from "./js.ts";
import { wasmKernels } from "./wasm/backend.ts";

export type * from "./interface.ts";

/** A backend's name, as `--backend` and `SAIKI_BACKEND` take it. */
export type BackendName = "js" | "wasm";

/**
 * The backends this runtime can run: always `"js"`, and `"wasm"` where WebAssembly SIMD
 * validates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { availableBackends } from "./kernels.ts";
 * assert(availableBackends().includes("js"));
 * ```
 */
export function availableBackends(): BackendName[] {
  return wasmKernels() === undefined ? ["js"] : ["js", "wasm"];
}

/**
 * The kernels of backend `name`; `"auto"` picks the fastest available (WebAssembly SIMD where
 * the runtime has it, else plain TypeScript). Throws naming the runtime's limits when `"wasm"`
 * is asked for and unavailable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "./kernels.ts";
 * assert(selectBackend("js").name === "js");
 * ```
 */
export function selectBackend(name: BackendName | "auto"): Kernels {
  if (name === "js") return jsKernels;
  const wasm = wasmKernels();
  if (name === "auto") return wasm ?? jsKernels;
  if (name === "wasm") {
    if (wasm === undefined) {
      throw new SaikiError(
        `backend "wasm" is not available: this runtime does not validate WebAssembly SIMD; ` +
          `use "js"`,
      );
    }
    return wasm;
  }
  throw new SaikiError(`unknown backend "${name}", expected "js", "wasm" or "auto"`);
}

let current: Kernels | undefined;

/**
 * The kernels layers call now: the fastest available backend unless
 * {@linkcode setKernels} chose another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getKernels } from "./kernels.ts";
 * assert(typeof getKernels().gemm === "function");
 * ```
 */
export function getKernels(): Kernels {
  return current ??= selectBackend("auto");
}

/**
 * Installs another backend for every layer; returns the previous one.
 *
 * @example
 * ```ts
 * import { jsKernels, setKernels } from "./kernels.ts";
 * const previous = setKernels(jsKernels);
 * setKernels(previous);
 * ```
 */
export function setKernels(kernels: Kernels): Kernels {
  const previous = getKernels();
  current = kernels;
  return previous;
}

export { jsKernels };
