import { dot, gradCheck } from "../../lib/layers/gradcheck.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";
import { tensor, zeros } from "../../lib/tensor.ts";

Deno.test("dot accumulates in float64", () => {
  const n = 1 << 20;
  const a = zeros([n]).fill(0.1), b = zeros([n]).fill(1);
  // a float32 running sum would drift by ~1e-2 relative here
  assertOk(Math.abs(dot(a, b) - n * Math.fround(0.1)) < 1e-6 * n);
});

Deno.test("gradCheck accepts a right gradient and flags a wrong one", () => {
  const w = tensor([0.5, -1.5, 2, 3]);
  const loss = () => w.data.reduce((s, v) => s + v * v * v, 0); // d/dw = 3w²
  const right = tensor(Array.from(w.data, (v) => 3 * v * v));
  const wrong = tensor(Array.from(w.data, (v) => 2 * v * v));
  const [ok] = gradCheck(loss, [{ name: "w", value: w, grad: right }]);
  assertOk(ok.maxRelError < 1e-3, JSON.stringify(ok));
  assertEquals(ok.checked, 4);
  const [bad] = gradCheck(loss, [{ name: "w", value: w, grad: wrong }]);
  assertOk(bad.maxRelError > 0.3, JSON.stringify(bad));
  assertEquals(Array.from(w.data), [0.5, -1.5, 2, 3], "values restored");
});

Deno.test("gradCheck samples at most maxChecks entries and names a size mismatch", () => {
  const w = zeros([100]);
  const [r] = gradCheck(() => dot(w, w), [{ name: "w", value: w, grad: zeros([100]) }], {
    maxChecks: 10,
  });
  assertEquals(r.checked, 10);
  assertThrows(
    () => gradCheck(() => 0, [{ name: "w", value: w, grad: zeros([3]) }]),
    "gradCheck: grad of w has 3 values, expected 100",
  );
});
