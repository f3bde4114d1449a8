import { main } from "../../scripts/generate.ts";
import { assertEquals } from "../../lib/std/assert.ts";
import { join } from "../../lib/std/path.ts";
import { makeTestDir } from "../_helpers.ts";

Deno.test("generate: a bad command line exits 2, a missing or foreign checkpoint exits 1", async () => {
  const out: string[] = [];
  const write = (t: string) => void out.push(t);
  assertEquals(await main(["--bogus"], write), 2);
  assertEquals(await main([], write), 2);
  assertEquals(await main(["a", "b"], write), 2);
  const dir = await makeTestDir();
  try {
    assertEquals(await main([join(dir, "nothing-here")], write), 1);
    await Deno.writeFile(join(dir, "checkpoint.safetensors"), new Uint8Array(16));
    assertEquals(await main([dir], write), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(out, []);
});
