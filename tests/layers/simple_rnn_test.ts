import { ACTIVATIONS, array64, SimpleRNN } from "../../lib/layers/simple_rnn.ts";
import { Rng } from "../../lib/random.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";
import { experiment, formatRow } from "../../lib/exercise/simple_rnn.ts";
import { loadFixture } from "../_helpers.ts";

Deno.test("the exercise's experiment prints exactly its expected line", () => {
  const f = loadFixture("simple_rnn_exercise");
  const h = experiment();
  assertEquals(formatRow(h), "[0.79494228, 0.81839002, 0.83939649, 0.85584174]");
  assertEquals(formatRow(h), formatRow(f.printed_in_exercise));
  // float64 throughout: equal to the reference's values to the last few bits
  h.forEach((v, i) => assertOk(Math.abs(v - f.forward.h.data[i]) < 1e-15, `h[${i}]`));
});

Deno.test("the exercise task prints the line when run on the model answer", async () => {
  // deno task exercise simple_rnn --file exercises/answers/simple_rnn.ts (the task's permissions)
  const { code, stdout } = await new Deno.Command("deno", {
    args: [
      "run",
      "--no-lock",
      "--allow-read=.",
      "--allow-env=LANG,LC_ALL",
      "scripts/exercise.ts",
      "simple_rnn",
      "--file",
      "exercises/answers/simple_rnn.ts",
      "--lang",
      "en",
    ],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).output();
  assertEquals(code, 0);
  assertOk(
    new TextDecoder().decode(stdout).includes(
      "[0.79494228, 0.81839002, 0.83939649, 0.85584174]",
    ),
  );
});

/** Σ h_last ⊙ r for the given weights (fresh layer, no update). */
function lossOf(x: ReturnType<typeof array64>, r: Float64Array, w: Float64Array[], act: string) {
  const rnn = new SimpleRNN(3, 4, { Wx: w[0], Wh: w[1], B: w[2], activation: act as "tanh" });
  return rnn.forward(x).data.reduce((s, v, i) => s + v * r[i], 0);
}

Deno.test("SimpleRNN's backward equals central differences for every weight and input", () => {
  const rng = new Rng(3);
  const rand = (n: number) => Float64Array.from({ length: n }, () => 0.5 * rng.normal());
  for (const act of ["tanh", "sigmoid", "identity"]) {
    const x = array64(rand(2 * 5 * 3), [2, 5, 3]);
    const w = [rand(12), rand(16), rand(4)];
    const r = rand(8);
    const rnn = new SimpleRNN(3, 4, {
      Wx: w[0],
      Wh: w[1],
      B: w[2],
      activation: act as "tanh",
      lr: 0.1,
    });
    rnn.forward(x);
    const dx = rnn.backward(array64(r, [2, 4]));
    const eps = 1e-6;
    const check = (analytic: number, bump: (d: number) => void, label: string) => {
      bump(eps);
      const plus = lossOf(x, r, w, act);
      bump(-2 * eps);
      const minus = lossOf(x, r, w, act);
      bump(eps);
      const numeric = (plus - minus) / (2 * eps);
      // float64 central differences: truncation ~eps² and rounding ~1e-16/eps ≈ 1e-10 absolute
      const ok = Math.abs(analytic - numeric) <= 1e-8 + 1e-6 * Math.abs(numeric);
      assertOk(ok, `${act} ${label}: ${analytic} vs ${numeric}`);
    };
    w.forEach((wi, p) =>
      wi.forEach((_, k) => check(rnn.grads[p].data[k], (d) => wi[k] += d, `param ${p}[${k}]`))
    );
    x.data.forEach((_, k) => check(dx.data[k], (d) => x.data[k] += d, `x[${k}]`));
    // and the update was applied: W' = W − lr·dW
    rnn.params.forEach((p, i) =>
      p.data.forEach((v, k) =>
        assertOk(Math.abs(v - (w[i][k] - 0.1 * rnn.grads[i].data[k])) < 1e-15)
      )
    );
  }
});

Deno.test("SimpleRNN names bad shapes and unknown activations", () => {
  const rnn = new SimpleRNN(2, 4);
  assertThrows(
    () => rnn.forward(array64([1, 2, 3], [1, 1, 3])),
    "SimpleRNN.forward: x has shape [1,1,3], expected [batch_size,n_sequences,2]",
  );
  assertThrows(() => rnn.backward(array64([1, 2, 3, 4], [1, 4])), "call forward first");
  rnn.forward(array64([1, 2], [1, 1, 2]));
  assertThrows(
    () => rnn.backward(array64([1, 2], [1, 2])),
    "SimpleRNN.backward: dh has shape [1,2], expected [1,4]",
  );
  assertThrows(
    () => new SimpleRNN(2, 4, { activation: "swish" as "tanh" }),
    'activation "swish" is unknown',
  );
  assertThrows(() => new SimpleRNN(2, 4, { Wx: [1, 2] }), "SimpleRNN: Wx has 2 values, expected 8");
  assertOk(ACTIVATIONS.relu.f(-1) === 0 && ACTIVATIONS.relu.df(2, 2) === 1);
});
