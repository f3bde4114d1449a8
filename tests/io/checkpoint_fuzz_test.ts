/**
 * Damaged checkpoints: a few hundred seeded mutations of a real training checkpoint, each read
 * back through the file loader, the model loader and a resume. Every case must end as a clean
 * `SaikiError` or as a model identical to the saved one — never another exception, a hang or
 * an unbounded allocation.
 */

import { sha256Hex } from "../../lib/std/hash.ts";
import { SaikiError } from "../../lib/errors.ts";
import { loadCheckpoint, saveCheckpoint } from "../../lib/io/checkpoint.ts";
import { modelFromCheckpoint } from "../../lib/train/checkpoint.ts";
import { Rng } from "../../lib/random.ts";
import { PRESETS, type TrainConfig } from "../../lib/train/config.ts";
import { TrainingSession } from "../../lib/train/session.ts";
import { encodeSafetensors } from "../../lib/models/safetensors.ts";
import { IntTensor, type Tensor, zeros } from "../../lib/tensor.ts";
import { assertEquals, assertOk } from "../../lib/std/assert.ts";
import { join } from "../../lib/std/path.ts";
import { makeTestDir } from "../_helpers.ts";

const CONFIG: TrainConfig = {
  ...PRESETS.better,
  preset: "better",
  wordvec: 6,
  hidden: 6,
  batch: 4,
  time: 4,
  epochs: 3,
  optimizer: "momentum",
  lr: 0.5,
  seed: 2,
  saveEvery: 0,
  corpusSize: 0,
  evalInterval: 3,
};

Deno.test("300 mutations of a checkpoint: each is a clean SaikiError or the identical model", async () => {
  const rng = new Rng(5);
  const ids = Int32Array.from({ length: 600 }, () => rng.int(12));
  const data = { train: ids, words: Array.from({ length: 12 }, (_, i) => `w${i}`), notes: [] };
  const dir = await makeTestDir();
  try {
    const session = TrainingSession.create(CONFIG, data, { stopAfter: 7 });
    await session.run({ log() {}, metric() {}, save() {} });
    const saved = await session.checkpointData();
    const original = session.model.paramBuffer.data.slice();
    await session.close();
    const path = join(dir, "checkpoint.safetensors");
    saveCheckpoint(path, saved.tensors, saved.metadata);
    const bytes = Deno.readFileSync(path);
    const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, headerEnd));

    const counts = { error: 0, identical: 0 };
    for (let i = 0; i < 300; i++) {
      const m = bytes.slice();
      let file: Uint8Array = m;
      const kind = i % 6;
      if (kind === 0 || kind === 1) {
        // a character of the header: JSON syntax, names, dtypes, shapes, metadata values
        const at = 8 + rng.int(headerEnd - 8);
        m[at] = ' 0123456789-.,:[]{}"eFI'.charCodeAt(rng.int(23));
      } else if (kind === 2) {
        // a digit of a number inside the metadata (valid JSON, another value)
        const digits = [...header.matchAll(/\d/g)].map((d) => d.index!);
        const at = 8 + digits[rng.int(digits.length)];
        m[at] = 48 + rng.int(10);
      } else if (kind === 3) {
        // a bit of the data section
        const at = headerEnd + rng.int(m.length - headerEnd);
        m[at] ^= 1 << rng.int(8);
      } else if (kind === 4) {
        file = m.subarray(0, rng.int(m.length)); // truncated
      } else {
        // the header length field
        new DataView(m.buffer).setBigUint64(0, BigInt(rng.int(2 ** 31)), true);
      }
      const at = join(dir, `m${i}.safetensors`);
      Deno.writeFileSync(at, file);
      try {
        const ckpt = await loadCheckpoint(at);
        const model = modelFromCheckpoint(ckpt, { where: at });
        const resumed = await TrainingSession.resume(ckpt, CONFIG, data, { where: at });
        await resumed.close();
        const p = resumed.model.paramBuffer.data;
        assertEquals(p.length, original.length, `mutation ${i}: parameter count`);
        assertOk(p.every((v, j) => Object.is(v, original[j])), `mutation ${i}: other parameters`);
        assertOk(model.paramBuffer.data.every((v, j) => Object.is(v, original[j])));
        counts.identical++;
      } catch (e) {
        if (!(e instanceof SaikiError)) {
          throw new Error(`mutation ${i} (kind ${kind}) threw ${(e as Error).stack}`);
        }
        counts.error++;
      } finally {
        Deno.removeSync(at);
      }
    }
    // the data section is guarded by its SHA-256: every bit flip there is caught
    assertOk(counts.error > 150, JSON.stringify(counts));
    assertEquals(counts.error + counts.identical, 300);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("any changed byte of a checkpoint — data, metadata, tensor table — is caught by its SHA-256; older and foreign files still load", async () => {
  const dir = await makeTestDir();
  try {
    const rng = new Rng(1);
    const ids = Int32Array.from({ length: 300 }, () => rng.int(12));
    const data = { train: ids, words: Array.from({ length: 12 }, (_, i) => `w${i}`), notes: [] };
    const session = TrainingSession.create(CONFIG, data);
    const saved = await session.checkpointData();
    await session.close();
    const path = join(dir, "c.safetensors");
    saveCheckpoint(path, saved.tensors, saved.metadata);
    const good = Deno.readFileSync(path);
    const text = new TextDecoder().decode(good);
    const damage = (edit: (b: Uint8Array) => void) => {
      const bytes = good.slice();
      edit(bytes);
      Deno.writeFileSync(path, bytes);
    };
    const refusal = async () => {
      try {
        await loadCheckpoint(path);
        return "loaded";
      } catch (e) {
        return (e as Error).message;
      }
    };
    const expected =
      `${path}: the file is damaged: its content does not match the SHA-256 recorded when it ` +
      `was saved`;
    // a flipped bit in the data
    damage((b) => b[b.length - 5] ^= 4);
    assertEquals(await refusal(), expected);
    // one digit of the learning rate in the metadata ("lr":0.1 → "lr":9.1 trained on before)
    const lr = text.indexOf('\\"lr\\":') + 7;
    assertOk(lr > 7, "the metadata holds the learning rate");
    damage((b) => b[lr] = b[lr] === 0x39 ? 0x38 : 0x39);
    assertEquals(await refusal(), expected);
    // a shape in the tensor table
    const shape = text.indexOf('"shape":[') + 9;
    damage((b) => b[shape] = b[shape] === 0x31 ? 0x32 : 0x31);
    assertOk((await refusal()).includes(path), await refusal());
    // the intact file loads
    Deno.writeFileSync(path, good);
    assertEquals(await refusal(), "loaded");
    // a file another tool wrote, with no SHA-256 in its metadata, loads
    const plain = join(dir, "plain.safetensors");
    Deno.writeFileSync(plain, encodeSafetensors(saved.tensors, saved.metadata));
    const model = modelFromCheckpoint(await loadCheckpoint(plain));
    assertEquals(Array.from(model.paramBuffer.data), Array.from(session.model.paramBuffer.data));
    // an older checkpoint records the SHA-256 of its data section only: still verified
    const old = encodeSafetensors(saved.tensors, { ...saved.metadata, data_sha256: "" });
    const headerEnd = 8 + Number(new DataView(old.buffer).getBigUint64(0, true));
    const legacy = encodeSafetensors(saved.tensors, {
      ...saved.metadata,
      data_sha256: sha256Hex(old.subarray(headerEnd)),
    });
    Deno.writeFileSync(path, legacy);
    assertEquals(await refusal(), "loaded");
    legacy[legacy.length - 5] ^= 4;
    Deno.writeFileSync(path, legacy);
    assertEquals(
      await refusal(),
      `${path}: the file is damaged: its data does not match the SHA-256 recorded when it was saved`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resume names the bad field of a damaged checkpoint: dtype, JSON, values that cannot be right", async () => {
  const rng = new Rng(3);
  const ids = Int32Array.from({ length: 600 }, () => rng.int(12));
  const data = { train: ids, words: Array.from({ length: 12 }, (_, i) => `w${i}`), notes: [] };
  const session = TrainingSession.create(CONFIG, data, { stopAfter: 5 });
  await session.run({ log() {}, metric() {}, save() {} });
  const saved = await session.checkpointData();
  await session.close();
  const h1 = saved.tensors["state.h1"];
  const cases: [(d: typeof saved) => void, string][] = [
    [
      (d) => d.tensors["state.h1"] = new IntTensor(new Int32Array(h1.size), h1.shape),
      'tensor "state.h1" is I32, expected F32',
    ],
    [
      (d) => d.metadata.trainer = d.metadata.trainer.replace("{", "["),
      'metadata "trainer" is not valid JSON',
    ],
    [
      (d) => d.metadata.progress = d.metadata.progress.replace(/"lr":[\d.]+/, '"lr":-1'),
      '"lr" is -1, expected a finite number >= 0',
    ],
    [
      (d) => d.metadata.trainer = d.metadata.trainer.replace(/"step":\d+/, '"step":2.5'),
      '"step" is 2.5, expected an integer >= 0',
    ],
    [
      (d) => d.metadata.trainer = d.metadata.trainer.replace(/"iter":\d+/, '"iter":99999'),
      '"iter" is 99999, expected an integer from 0 to',
    ],
    [(d) => d.metadata.rng = "[1,2]", 'metadata "rng" is not a generator state'],
    [
      (d) => d.tensors["state.h1"] = zeros([h1.shape[0] + 1, h1.shape[1]]),
      `tensor "state.h1" has shape [${h1.shape[0] + 1},${h1.shape[1]}]`,
    ],
    [(d) => delete d.tensors["state.c1"], 'tensor "state.c1" is missing beside state.h1'],
    [(d) => d.tensors.lstm_b1.data[0] = Infinity, 'tensor "lstm_b1" holds Infinity at index 0'],
  ];
  for (const [damage, message] of cases) {
    const copy = { tensors: { ...saved.tensors }, metadata: { ...saved.metadata } };
    copy.tensors.lstm_b1 = (saved.tensors.lstm_b1 as Tensor).clone();
    damage(copy);
    let error: unknown;
    try {
      await (await TrainingSession.resume(copy, CONFIG, data, { where: "ckpt" })).close();
    } catch (e) {
      error = e;
    }
    assertOk(error instanceof SaikiError, `${message}: ${error}`);
    assertOk((error as Error).message.startsWith("ckpt: "), (error as Error).message);
    assertOk((error as Error).message.includes(message), (error as Error).message);
  }
});
