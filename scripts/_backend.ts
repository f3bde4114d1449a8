/**
 * The `--backend` flag the scripts share: which kernels run the computation.
 *
 * @module
 */

import { type BackendName, getKernels, selectBackend, setKernels } from "../lib/engine/kernels.ts";
import type { FlagSpec } from "../lib/std/cli.ts";

/** `--backend auto|wasm|js`. */
export const BACKEND_FLAG: FlagSpec = {
  type: "string",
  help: "kernels: wasm (WebAssembly SIMD), js (plain TypeScript), auto (the fastest available)",
  default: "auto",
  choices: ["auto", "wasm", "js"],
};

/** Installs the backend `name` (throws a SaikiError naming why when it is unavailable). */
export function useBackend(name: unknown): string {
  setKernels(selectBackend(name as BackendName | "auto"));
  return getKernels().name;
}
