import {
  Attention,
  AttentionWeight,
  TimeAttention,
  WeightSum,
} from "../../lib/layers/attention.ts";
import { dot, gradCheck } from "../../lib/layers/gradcheck.ts";
import { Rng } from "../../lib/random.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";
import { zeros } from "../../lib/tensor.ts";
import { assertAllClose, loadFixture, T } from "../_helpers.ts";

const f = loadFixture("seq2seq/attention_layers");

Deno.test("WeightSum: c, dhs and da match the reference", () => {
  const g = f.weight_sum, layer = new WeightSum();
  assertAllClose(layer.forward(T(g.hs), T(g.a)), g.c, "c");
  const [dhs, da] = layer.backward(T(g.dc));
  assertAllClose(dhs, g.dhs, "dhs");
  assertAllClose(da, g.da, "da");
});

Deno.test("AttentionWeight: a, dhs and dh match the reference", () => {
  const g = f.attention_weight, layer = new AttentionWeight();
  assertAllClose(layer.forward(T(g.hs), T(g.h)), g.a, "a");
  const [dhs, dh] = layer.backward(T(g.da));
  assertAllClose(dhs, g.dhs, "dhs");
  assertAllClose(dh, g.dh, "dh");
});

Deno.test("Attention: out, the kept weights, dhs and dh match the reference", () => {
  const g = f.attention, layer = new Attention();
  assertAllClose(layer.forward(T(g.hs), T(g.h)), g.out, "out");
  assertAllClose(layer.attentionWeight!, g.attention_weight, "attention_weight");
  const [dhs, dh] = layer.backward(T(g.dout));
  assertAllClose(dhs, g.dhs, "dhs");
  assertAllClose(dh, g.dh, "dh");
});

Deno.test("TimeAttention: out, attention weights (N, Td, T), dhsEnc and dhsDec match the reference", () => {
  const g = f.time_attention, layer = new TimeAttention();
  assertAllClose(layer.forward(T(g.hs_enc), T(g.hs_dec)), g.out, "out");
  assertAllClose(layer.attentionWeights!, g.attention_weights, "attention_weights");
  const [dhsEnc, dhsDec] = layer.backward(T(g.dout));
  assertAllClose(dhsEnc, g.dhs_enc, "dhs_enc");
  assertAllClose(dhsDec, g.dhs_dec, "dhs_dec");
});

Deno.test("TimeAttention equals one Attention per decoder step", () => {
  const rng = new Rng(3);
  const N = 3, T_ = 6, Td = 4, H = 5;
  const hsEnc = rng.randn([N, T_, H]), hsDec = rng.randn([N, Td, H]), dout = rng.randn([N, Td, H]);
  const time = new TimeAttention();
  const out = time.forward(hsEnc, hsDec).clone();
  const [dEnc, dDec] = time.backward(dout).map((t) => t.clone());
  const sumEnc = zeros([N, T_, H]);
  for (let t = 0; t < Td; t++) {
    const step = new Attention();
    const h = zeros([N, H]), d = zeros([N, H]);
    for (let n = 0; n < N; n++) {
      h.data.set(hsDec.data.subarray((n * Td + t) * H, (n * Td + t + 1) * H), n * H);
      d.data.set(dout.data.subarray((n * Td + t) * H, (n * Td + t + 1) * H), n * H);
    }
    const o = step.forward(hsEnc, h);
    const [dhs, dh] = step.backward(d);
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < H; j++) {
        const at = (n * Td + t) * H + j;
        assertOk(Math.abs(o.data[n * H + j] - out.data[at]) < 1e-6, `out[${n}, ${t}, ${j}]`);
        assertOk(Math.abs(dh.data[n * H + j] - dDec.data[at]) < 1e-6, `dhsDec[${n}, ${t}, ${j}]`);
      }
    }
    for (let i = 0; i < sumEnc.size; i++) sumEnc.data[i] += dhs.data[i];
  }
  for (let i = 0; i < sumEnc.size; i++) {
    assertOk(Math.abs(sumEnc.data[i] - dEnc.data[i]) < 1e-5, `dhsEnc value ${i}`);
  }
});

Deno.test("TimeAttention's gradients pass the numerical check", () => {
  const rng = new Rng(5);
  const hsEnc = rng.randn([2, 5, 4]), hsDec = rng.randn([2, 3, 4]), w = rng.randn([2, 3, 4]);
  const layer = new TimeAttention();
  const loss = () => dot(layer.forward(hsEnc, hsDec), w);
  loss();
  const [dEnc, dDec] = layer.backward(w).map((t) => t.clone());
  const results = gradCheck(loss, [
    { name: "hsEnc", value: hsEnc, grad: dEnc },
    { name: "hsDec", value: hsDec, grad: dDec },
  ]);
  for (const r of results) assertOk(r.maxRelError < 1e-2, JSON.stringify(r));
});

Deno.test("attention layers name wrong shapes and a backward before forward", () => {
  const rng = new Rng(0);
  assertThrows(
    () => new TimeAttention().forward(rng.randn([2, 5, 4]), rng.randn([3, 2, 4])),
    "TimeAttention.forward: hsDec has shape [3,2,4], expected [N=2,Td,H=4]",
  );
  assertThrows(() => new TimeAttention().backward(zeros([1, 1, 1])), "no forward pass");
  assertThrows(
    () => new AttentionWeight().forward(rng.randn([2, 5, 4]), rng.randn([2, 3])),
    "AttentionWeight.forward: h has shape [2,3], expected [N=2,H=4]",
  );
  const ws = new WeightSum();
  ws.forward(rng.randn([2, 5, 4]), rng.randn([2, 5]));
  assertThrows(
    () => ws.backward(zeros([2, 5])),
    "WeightSum.backward: dc has shape [2,5], expected [2,4]",
  );
  assertEquals(new Attention().params.length, 0);
});
