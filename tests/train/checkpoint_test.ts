import { modelCheckpoint, modelFromCheckpoint } from "../../lib/train/checkpoint.ts";
import { BetterRnnlm, SimpleRnnlm } from "../../lib/models/rnnlm.ts";
import { Rng } from "../../lib/random.ts";
import { decodeSafetensors, encodeSafetensors } from "../../lib/models/safetensors.ts";
import { assertEquals, assertThrows } from "../../lib/std/assert.ts";
import { IntTensor, zeros } from "../../lib/tensor.ts";

Deno.test("a model survives a safetensors round trip: same config, same parameters, same loss", () => {
  const model = new BetterRnnlm(20, 6, 6, 0.5, { rng: new Rng(3) });
  const bytes = encodeSafetensors(modelCheckpoint(model).tensors, modelCheckpoint(model).metadata);
  const copy = modelFromCheckpoint(decodeSafetensors(bytes));
  assertEquals(copy.config, model.config);
  assertEquals(copy.names, model.names);
  copy.params.forEach((p, i) => assertEquals(p.data, model.params[i].data));
  // tied weights stay tied after loading: one tensor, listed twice
  assertEquals(copy.params.filter((p) => p === copy.params[0]).length, 2);
  const xs = IntTensor.from([[1, 2, 3]]), ts = IntTensor.from([[2, 3, 4]]);
  assertEquals(copy.forward(xs, ts, false), model.forward(xs, ts, false));
});

Deno.test("loading names a missing, mistyped or misshapen parameter and a foreign file", () => {
  const model = new SimpleRnnlm(10, 3, 4);
  const good = () => modelCheckpoint(model);
  const missing = good();
  delete missing.tensors.affine_b;
  assertThrows(
    () => modelFromCheckpoint(missing, { where: "m.safetensors" }),
    'm.safetensors: tensor "affine_b" is missing',
  );
  const shaped = good();
  shaped.tensors.rnn_Wh = zeros([4, 5]);
  assertThrows(
    () => modelFromCheckpoint(shaped),
    'tensor "rnn_Wh" has shape [4,5], expected [4,4]',
  );
  const typed = good();
  typed.tensors.rnn_b = IntTensor.from([1, 2, 3, 4]);
  assertThrows(() => modelFromCheckpoint(typed), 'tensor "rnn_b" has dtype I32, expected F32');
  const foreign = good();
  delete foreign.metadata.format;
  assertThrows(
    () => modelFromCheckpoint(foreign),
    'metadata "format" is undefined, expected "saiki-lm/1"',
  );
  const badConfig = good();
  badConfig.metadata.config = JSON.stringify({ ...model.config, cell: "tcn" });
  assertThrows(() => modelFromCheckpoint(badConfig), 'metadata "config" is invalid');
});
