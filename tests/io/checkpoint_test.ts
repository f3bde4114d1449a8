import { loadCheckpoint, loadCheckpointSync, saveCheckpoint } from "../../lib/io/checkpoint.ts";
import { SaikiError } from "../../lib/errors.ts";
import { assertEquals, assertOk, assertRejects, assertThrows } from "../../lib/std/assert.ts";
import { fromFileUrl, join } from "../../lib/std/path.ts";
import { IntTensor, Tensor, tensor, zeros } from "../../lib/tensor.ts";
import { makeTestDir } from "../_helpers.ts";

const READER = fromFileUrl(new URL("../read_safetensors.py", import.meta.url));

/** Whether `python3` with NumPy can run (the independent reader needs both). */
async function probePython(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("python3", {
      args: ["-c", "import numpy"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success ? undefined : "numpy missing";
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? "python3 not found" : `python3 not runnable: ${e}`;
  }
}
const pythonProblem = await probePython();
const hasPython = pythonProblem === undefined;
if (!hasPython) {
  console.log(`skip: ${pythonProblem} — independent safetensors reader not run`);
}

function listDir(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

function sample(): {
  tensors: Record<string, Tensor | IntTensor>;
  metadata: Record<string, string>;
} {
  const W = zeros([3, 5]);
  W.data.forEach((_, i) => W.data[i] = Math.sin(i + 1) * 10 ** ((i % 7) - 3));
  return {
    tensors: {
      lstm_Wx: W,
      b: tensor([0.1, -0.2, 1e-30, -3.5]),
      ids: IntTensor.from([[3, -1, 2147483647], [-2147483648, 0, 9]]),
      step: new IntTensor(new Int32Array([1234]), []),
      empty: zeros([0, 2]),
    },
    metadata: { format: "saiki-lm/1", config: '{"V":10,"D":4}', words: "naïve → 🦊" },
  };
}

Deno.test("saveCheckpoint + loadCheckpoint round trip; only the final file is left", async () => {
  const dir = await makeTestDir();
  try {
    const path = join(dir, "checkpoint.safetensors");
    const { tensors, metadata } = sample();
    saveCheckpoint(path, tensors, metadata);
    assertEquals(listDir(dir), ["checkpoint.safetensors"]);
    for (const back of [await loadCheckpoint(path), loadCheckpointSync(path)]) {
      assertEquals(back.metadata, metadata);
      assertEquals(Object.keys(back.tensors).sort(), Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        const b = back.tensors[name];
        assertOk(b.constructor === t.constructor, `${name}: class`);
        assertEquals([...b.shape], [...t.shape], `${name}: shape`);
        assertEquals(
          Array.from(new Uint32Array(b.data.slice().buffer)),
          Array.from(new Uint32Array(t.data.slice().buffer)),
          `${name}: bits`,
        );
      }
    }
    // saving again replaces the file, still leaving nothing else behind
    saveCheckpoint(path, { x: tensor([1]) });
    assertEquals(listDir(dir), ["checkpoint.safetensors"]);
    assertEquals(Object.keys((await loadCheckpoint(path)).tensors), ["x"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failed save leaves the existing checkpoint untouched and no temp file", async () => {
  const dir = await makeTestDir();
  try {
    const path = join(dir, "checkpoint.safetensors");
    saveCheckpoint(path, { x: tensor([1, 2]) }, { step: "1" });
    const before = Deno.readFileSync(path);

    // invalid tensor name: refused before anything is written
    const err = assertThrows(
      () => saveCheckpoint(path, { "": tensor([3]) }),
      `saveCheckpoint: cannot write ${path}: encodeSafetensors: a tensor name is empty`,
    );
    assertOk(err instanceof SaikiError);
    assertThrows(
      () => saveCheckpoint(path, { x: tensor([3]) }, { step: 2 as unknown as string }),
      `saveCheckpoint: cannot write ${path}: encodeSafetensors: metadata "step"`,
    );
    assertEquals(Array.from(Deno.readFileSync(path)), Array.from(before));
    assertEquals(listDir(dir), ["checkpoint.safetensors"]);

    // a folder that does not exist
    const missing = join(dir, "no-such-folder", "checkpoint.safetensors");
    assertThrows(() => saveCheckpoint(missing, { x: tensor([3]) }), `cannot write ${missing}`);
    assertEquals(listDir(dir), ["checkpoint.safetensors"]);

    // the rename fails (the target is a non-empty folder): the temp file is removed
    const blocked = join(dir, "blocked.safetensors");
    Deno.mkdirSync(blocked);
    Deno.writeFileSync(join(blocked, "keep"), new Uint8Array([1]));
    assertThrows(() => saveCheckpoint(blocked, { x: tensor([3]) }), `cannot write ${blocked}`);
    assertEquals(listDir(dir), ["blocked.safetensors", "checkpoint.safetensors"]);
    assertEquals(listDir(blocked), ["keep"]);
    assertEquals(Array.from(Deno.readFileSync(path)), Array.from(before));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCheckpoint names a missing file, and prefixes decode errors with the path", async () => {
  const dir = await makeTestDir();
  try {
    const missing = join(dir, "nothing.safetensors");
    await assertRejects(
      () => loadCheckpoint(missing),
      `loadCheckpoint: no checkpoint at ${missing}`,
    );
    assertThrows(() => loadCheckpointSync(missing), `loadCheckpoint: no checkpoint at ${missing}`);
    const bad = join(dir, "bad.safetensors");
    Deno.writeFileSync(bad, new Uint8Array([1, 2, 3, 4]));
    await assertRejects(
      () => loadCheckpoint(bad),
      `${bad}: file is 4 bytes, shorter than the 8-byte header length field`,
    );
    assertThrows(() => loadCheckpointSync(bad), `${bad}: file is 4 bytes`);
    await assertRejects(() => loadCheckpoint(dir), `loadCheckpoint: cannot read ${dir}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "an independent Python/NumPy reader reads saiki's checkpoint (tests/read_safetensors.py)",
  ignore: !hasPython,
  fn: async () => {
    const dir = await makeTestDir();
    try {
      const path = join(dir, "checkpoint.safetensors");
      const { tensors, metadata } = sample();
      saveCheckpoint(path, tensors, metadata);
      const expected = {
        tensors: Object.fromEntries(
          Object.entries(tensors).map(([name, t]) => [name, {
            dtype: t instanceof Tensor ? "F32" : "I32",
            shape: [...t.shape],
            first: Array.from(t.data.subarray(0, 4)),
            last: Array.from(t.data.subarray(Math.max(0, t.size - 3))),
          }]),
        ),
        metadata,
      };
      const expectations = join(dir, "expected.json");
      Deno.writeTextFileSync(expectations, JSON.stringify(expected));
      const run = async (file: string) => {
        const out = await new Deno.Command("python3", {
          args: [READER, file, expectations],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const decode = (b: Uint8Array) => new TextDecoder().decode(b).trim();
        return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
      };
      const ok = await run(path);
      assertEquals(ok, { code: 0, stdout: "ok 5 tensors", stderr: "" });

      // and it does check: a different value makes it fail
      const other = join(dir, "other.safetensors");
      saveCheckpoint(other, { ...tensors, b: tensor([0.1, -0.2, 1e-30, -3.25]) }, metadata);
      const bad = await run(other);
      assertEquals(bad.code, 1);
      assertOk(bad.stderr.includes("b: first values"), bad.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
