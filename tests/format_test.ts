import { inspect } from "node:util";
import { float32String, formatArray } from "../lib/_format.ts";
import { IntTensor, Tensor, tensor, zeros } from "../lib/tensor.ts";
import { assertEquals, assertOk } from "../lib/std/assert.ts";

const arange = (n: number) => Float32Array.from({ length: n }, (_, i) => i);
/** As NumPy's `repr` names and types a float32 array, to compare with its output verbatim. */
const numpy = (data: ArrayLike<number>, shape: number[], int = false) =>
  formatArray(data, shape, { name: "array", dtype: int ? "int32" : "float32", showDtype: true });

Deno.test("small tensors print as NumPy arrays with tensor( ): aligned, float32 digits", () => {
  assertEquals(
    String(tensor([[0.1, 0.2], [0.3, 0.4]])),
    "tensor([[0.1, 0.2],\n        [0.3, 0.4]])",
  );
  assertEquals(String(tensor([1, -2.5])), "tensor([ 1. , -2.5])");
  assertEquals(String(tensor([1, 2, 3])), "tensor([1., 2., 3.])");
  // float32 digits: the shortest decimal that round-trips through float32
  assertEquals(String(tensor([0.1, 1 / 3])), "tensor([0.1       , 0.33333334])");
  assertEquals(String(tensor([-0, 2])), "tensor([-0.,  2.])");
  // scientific notation when the magnitudes are far apart, tiny, or ≥ 1e6 (as NumPy ≥ 2.3)
  assertEquals(String(tensor([1e-5, 1])), "tensor([1.e-05, 1.e+00])");
  assertEquals(String(tensor([16777216, 0.5])), "tensor([1.6777216e+07, 5.0000000e-01])");
  assertEquals(String(tensor([NaN, 1.5, -Infinity])), "tensor([ nan,  1.5, -inf])");
  // maxprec: at most 8 digits after the point, the exact value rounded (ties to even)
  assertEquals(String(tensor([0.00012345678, 0.1])), "tensor([0.00012346, 0.1       ])");
  assertEquals(String(tensor([0.012345679, 0.5])), "tensor([0.01234568, 0.5       ])");
});

Deno.test("0-d, 1-d, 3-d and 4-d tensors, empty tensors", () => {
  assertEquals(String(tensor(0.5)), "tensor(0.5)");
  assertEquals(String(tensor(-3)), "tensor(-3.)");
  assertEquals(String(zeros([0])), "tensor([])");
  assertEquals(String(zeros([0, 3])), "tensor([], shape=[0, 3])");
  assertEquals(
    String(new Tensor(arange(24), [2, 3, 4])),
    [
      "tensor([[[ 0.,  1.,  2.,  3.],",
      "         [ 4.,  5.,  6.,  7.],",
      "         [ 8.,  9., 10., 11.]],",
      "",
      "        [[12., 13., 14., 15.],",
      "         [16., 17., 18., 19.],",
      "         [20., 21., 22., 23.]]])",
    ].join("\n"),
  );
  // two blank lines between the blocks of the outermost of 4 axes
  assertEquals(
    numpy(arange(48).map((v) => v / 4), [2, 2, 3, 4]),
    [
      "array([[[[ 0.  ,  0.25,  0.5 ,  0.75],",
      "         [ 1.  ,  1.25,  1.5 ,  1.75],",
      "         [ 2.  ,  2.25,  2.5 ,  2.75]],",
      "",
      "        [[ 3.  ,  3.25,  3.5 ,  3.75],",
      "         [ 4.  ,  4.25,  4.5 ,  4.75],",
      "         [ 5.  ,  5.25,  5.5 ,  5.75]]],",
      "",
      "",
      "       [[[ 6.  ,  6.25,  6.5 ,  6.75],",
      "         [ 7.  ,  7.25,  7.5 ,  7.75],",
      "         [ 8.  ,  8.25,  8.5 ,  8.75]],",
      "",
      "        [[ 9.  ,  9.25,  9.5 ,  9.75],",
      "         [10.  , 10.25, 10.5 , 10.75],",
      "         [11.  , 11.25, 11.5 , 11.75]]]], dtype=float32)",
    ].join("\n"),
  );
});

Deno.test("long rows wrap at 75 characters, as NumPy's repr", () => {
  const x = new Float32Array(20);
  for (let i = 0; i < 20; i++) x[i] = i / 19;
  assertEquals(
    numpy(x, [20]),
    [
      "array([0.        , 0.05263158, 0.10526316, 0.15789473, 0.21052632,",
      "       0.2631579 , 0.31578946, 0.36842105, 0.42105263, 0.47368422,",
      "       0.5263158 , 0.57894737, 0.6315789 , 0.68421054, 0.7368421 ,",
      "       0.7894737 , 0.84210527, 0.8947368 , 0.94736844, 1.        ],",
      "      dtype=float32)",
    ].join("\n"),
  );
});

Deno.test("more than 1000 values: the middles are elided and the shape is shown", () => {
  assertEquals(
    String(new Tensor(arange(2000), [2000])),
    "tensor([0.000e+00, 1.000e+00, 2.000e+00, ..., 1.997e+03, 1.998e+03,\n" +
      "        1.999e+03], shape=[2000])",
  );
  const big = new Tensor(arange(10000).map((v) => v / 7), [100, 100]);
  assertEquals(
    numpy(big.data, [100, 100]),
    [
      "array([[0.0000000e+00, 1.4285715e-01, 2.8571430e-01, ..., 1.3857142e+01,",
      "        1.4000000e+01, 1.4142858e+01],",
      "       [1.4285714e+01, 1.4428572e+01, 1.4571428e+01, ..., 2.8142857e+01,",
      "        2.8285715e+01, 2.8428572e+01],",
      "       [2.8571428e+01, 2.8714285e+01, 2.8857143e+01, ..., 4.2428570e+01,",
      "        4.2571430e+01, 4.2714287e+01],",
      "       ...,",
      "       [1.3857142e+03, 1.3858572e+03, 1.3860000e+03, ..., 1.3995714e+03,",
      "        1.3997142e+03, 1.3998572e+03],",
      "       [1.4000000e+03, 1.4001428e+03, 1.4002858e+03, ..., 1.4138572e+03,",
      "        1.4140000e+03, 1.4141428e+03],",
      "       [1.4142858e+03, 1.4144286e+03, 1.4145714e+03, ..., 1.4281428e+03,",
      "        1.4282858e+03, 1.4284286e+03]], shape=[100, 100], dtype=float32)",
    ].join("\n"),
  );
  // 1000 values exactly are all shown; edgeitems and threshold are options
  assertEquals(String(zeros([1000])).includes("..."), false);
  assertEquals(
    formatArray(arange(10), [10], { threshold: 5, edgeitems: 2 }),
    "tensor([0., 1., ..., 8., 9.], shape=[10])",
  );
  // only the shown values decide the width
  const x = new Tensor(arange(1001), [1001]);
  x.data[500] = 1e30;
  assertOk(!String(x).includes("e+30"));
});

Deno.test("IntTensors print their ids with dtype=int32", () => {
  assertEquals(
    String(IntTensor.from([[1, -20], [300, 4]])),
    "IntTensor([[  1, -20],\n           [300,   4]], dtype=int32)",
  );
  assertEquals(String(IntTensor.from(5)), "IntTensor(5, dtype=int32)");
  assertEquals(String(new IntTensor(new Int32Array(0), [0])), "IntTensor([], dtype=int32)");
  const ids = new IntTensor(Int32Array.from({ length: 3000 }, (_, i) => i), [10, 10, 30]);
  const lines = String(ids).split("\n");
  assertEquals(lines[0], "IntTensor([[[   0,    1,    2, ...,   27,   28,   29],");
  assertEquals(lines[3], "            ...,");
  assertEquals(lines[lines.length - 2], "            [2970, 2971, 2972, ..., 2997, 2998, 2999]]],");
  assertEquals(lines[lines.length - 1], "          shape=[10, 10, 30], dtype=int32)");
});

Deno.test("console.log, Deno.inspect and Node's inspect print the same text; toArray stays exact", () => {
  const t = tensor([[0.1, 0.2], [0.3, 0.4]]);
  const text = "tensor([[0.1, 0.2],\n        [0.3, 0.4]])";
  assertEquals(Deno.inspect(t), text);
  assertEquals(inspect(t), text);
  assertEquals(`${t}`, text);
  assertOk(Deno.inspect({ w: t }).includes("w: tensor([[0.1, 0.2],"));
  assertEquals(Deno.inspect(IntTensor.from([1, 2])), "IntTensor([1, 2], dtype=int32)");
  // the printed digits are float32's; the values are unchanged
  assertEquals(t.toArray(), [[Math.fround(0.1), Math.fround(0.2)], [
    Math.fround(0.3),
    Math.fround(0.4),
  ]]);
  assertEquals((t.toArray() as number[][])[0][0], 0.10000000149011612);
});

Deno.test("float32String gives the shortest decimal that reads back as the same float32", () => {
  assertEquals(float32String(0.1), "0.1");
  assertEquals(float32String(1 / 3), "0.33333334");
  assertEquals(float32String(16777217), "16777216");
  assertEquals(float32String(1e-45), "1e-45");
  assertEquals(float32String(3.4028234663852886e38), "3.4028235e+38");
  assertEquals(float32String(-0), "-0");
  assertEquals(float32String(Infinity), "Infinity");
  // every value of a sweep round-trips, and no shorter decimal would
  const bits = new Uint32Array(1), f = new Float32Array(bits.buffer);
  for (let i = 0; i < 3000; i++) {
    bits[0] = Math.imul(i, 2654435761) >>> 0;
    if (!Number.isFinite(f[0])) continue;
    const s = float32String(f[0]);
    assertEquals(Math.fround(Number(s)), f[0], `${s} for ${f[0]}`);
    const digits = s.replace(/^-/, "").replace(/e.*$/, "").replace(".", "").replace(/^0+/, "");
    if (digits.length > 1) {
      const shorter = Number(f[0].toPrecision(digits.replace(/0+$/, "").length - 1));
      assertOk(Math.fround(shorter) !== f[0] || digits.replace(/0+$/, "").length === 1, s);
    }
  }
});
