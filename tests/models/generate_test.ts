import { generate } from "../../lib/models/generate.ts";
import { Rnnlm } from "../../lib/models/rnnlm.ts";
import { Rng } from "../../lib/random.ts";
import { IntTensor } from "../../lib/tensor.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";

Deno.test("generate is reproducible from its seed, starts with the start word and never emits skipped ids", () => {
  const model = new Rnnlm(30, 8, 8, { rng: new Rng(2) });
  const a = generate(model, 4, { rng: new Rng(5), sampleSize: 40, skipIds: [0, 1] });
  const b = generate(model, 4, { rng: new Rng(5), sampleSize: 40, skipIds: [0, 1] });
  assertEquals(a, b);
  assertEquals(a.length, 40);
  assertEquals(a[0], 4);
  assertOk(!a.includes(0) && !a.includes(1));
  assertOk(a.every((id) => id >= 0 && id < 30));
});

Deno.test("generate with top-k 1 follows the model's most likely word", () => {
  const model = new Rnnlm(30, 8, 8, { rng: new Rng(3) });
  const ids = generate(model, 2, { rng: new Rng(1), sampleSize: 12, topK: 1 });
  model.resetState();
  const greedy = [2];
  const x = IntTensor.from([[2]]);
  while (greedy.length < 12) {
    const score = model.predict(x).data;
    let best = 0;
    for (let i = 1; i < score.length; i++) if (score[i] > score[best]) best = i;
    greedy.push(best);
    x.data[0] = best;
  }
  assertEquals(ids, greedy);
});

Deno.test("generate at a tiny temperature emits the likeliest allowed word, even when a skipped one is likelier", () => {
  const model = new Rnnlm(30, 8, 8, { rng: new Rng(4) });
  // the model's greedy continuation, and the first word it would pick
  const greedy = generate(model, 5, { rng: new Rng(1), sampleSize: 2, topK: 1 });
  const skipIds = [greedy[1]];
  for (const topK of [0, 3]) {
    const ids = generate(model, 5, {
      rng: new Rng(1),
      sampleSize: 12,
      temperature: 1e-6,
      topK,
      skipIds,
    });
    assertEquals(ids.length, 12);
    assertOk(!ids.slice(1).includes(greedy[1]), `topK ${topK}: ${ids}`);
    // step one: the likeliest word but the skipped one
    model.resetState();
    const score = Array.from(model.predict(IntTensor.from([[5]])).data);
    let best = -1;
    for (let i = 0; i < 30; i++) {
      if (i !== greedy[1] && (best < 0 || score[i] > score[best])) best = i;
    }
    assertEquals(ids[1], best, `topK ${topK}`);
  }
});

Deno.test("generate names bad arguments", () => {
  const model = new Rnnlm(10, 4, 4);
  assertThrows(
    () => generate(model, 10, { rng: new Rng(0) }),
    "generate: startId is 10, expected an id in [0, 10)",
  );
  assertThrows(() => generate(model, 1, { rng: new Rng(0), temperature: 0 }), "temperature is 0");
  assertThrows(() => generate(model, 1, { rng: new Rng(0), topK: -1 }), "topK is -1");
  assertThrows(
    () => generate(model, 1, { rng: new Rng(0), skipIds: [...Array(10).keys()] }),
    "every word is skipped",
  );
});
