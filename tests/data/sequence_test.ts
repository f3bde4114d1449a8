import { MT19937 } from "../../lib/data/_mt19937.ts";
import {
  CharVocabulary,
  reverseQuestions,
  sequenceData,
  type SequenceName,
} from "../../lib/data/sequence.ts";
import {
  SEQUENCE_SAMPLE_LINES,
  sequenceSample,
  sequenceSampleText,
} from "../../lib/data/sequence_sample.ts";
import { SaikiError } from "../../lib/errors.ts";
import { IntTensor } from "../../lib/tensor.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";
import { join } from "../../lib/std/path.ts";
import { sha256Hex } from "../../lib/std/hash.ts";
import { I, loadFixture } from "../_helpers.ts";
import { sharedSequenceDir } from "./_shared_sequence.ts";

const DIR = sharedSequenceDir("sequence data");

/** Row `i` of a 2-D id tensor (negative: from the end) as numbers. */
function row(x: IntTensor, i: number): number[] {
  const r = i < 0 ? x.shape[0] + i : i;
  return Array.from(x.rows(r, r + 1).data);
}

// ---------------------------------------------------------------------------------------------
// MT19937 and the shuffle against NumPy 2.4.6 (legacy RandomState). Every expected value below
// was printed by the Python line above it.

Deno.test("MT19937's 32-bit draws are numpy.random.RandomState's, for 5 seeds", () => {
  // [np.random.RandomState(s).randint(0, 2**32, size=5, dtype=np.uint64).tolist()
  //  for s in [0, 1, 1984, 5489, 2**32 - 1]]
  const expected: Record<number, number[]> = {
    0: [2357136044, 2546248239, 3071714933, 3626093760, 2588848963],
    1: [1791095845, 4282876139, 3093770124, 4005303368, 491263],
    1984: [37605596, 515143279, 1283102463, 1754924787, 242296601],
    5489: [3499211612, 581869302, 3890346734, 3586334585, 545404204], // mt19937ar.c's default
    4294967295: [419326371, 479346978, 3918654476, 2416749639, 3388880820],
  };
  for (const [seed, values] of Object.entries(expected)) {
    const mt = new MT19937(Number(seed));
    assertEquals(values.map(() => mt.nextUint32()), values, `seed ${seed}`);
  }
});

Deno.test("MT19937.random is random_sample; interval is randint's masked rejection", () => {
  // np.random.RandomState(0).random_sample(3).tolist(); the same for 1984
  const r0 = new MT19937(0), r1984 = new MT19937(1984);
  assertEquals(
    [r0.random(), r0.random(), r0.random()],
    [0.5488135039273248, 0.7151893663724195, 0.6027633760716439],
  );
  assertEquals(
    [r1984.random(), r1984.random(), r1984.random()],
    [0.00875572949604042, 0.2987455681607146, 0.0564140738326363],
  );
  // np.random.RandomState(3).randint(0, 6, size=20).tolist()  (mask 7: rejections happen)
  const a = new MT19937(3);
  assertEquals(
    Array.from({ length: 20 }, () => a.interval(5)),
    [2, 0, 1, 3, 0, 0, 0, 5, 5, 3, 2, 3, 1, 1, 2, 5, 0, 4, 4, 5],
  );
  // np.random.RandomState(3).randint(0, 1000, size=8).tolist()
  const b = new MT19937(3);
  assertEquals(
    Array.from({ length: 8 }, () => b.interval(999)),
    [874, 664, 249, 643, 952, 968, 256, 789],
  );
});

Deno.test("MT19937's state is numpy's get_state(): seeded, then after one draw", () => {
  // s = np.random.RandomState(1984).get_state(); s[1][:3], s[1][-1], s[2]
  const mt = new MT19937(1984);
  let { key, pos } = mt.state();
  assertEquals([Array.from(key.subarray(0, 3)), key[623], pos], [
    [1984, 979947201, 893770535],
    3089873187,
    624,
  ]);
  // after r.randint(0, 2**32, size=1, dtype=np.uint64): s[1][:3], s[2]
  mt.nextUint32();
  ({ key, pos } = mt.state());
  assertEquals([Array.from(key.subarray(0, 3)), pos], [[4062959017, 712605421, 2543870317], 1]);
  const copy = MT19937.fromState(mt.state());
  assertEquals(copy.permutation(50), mt.permutation(50));
  assertThrows(() => MT19937.fromState({ key: new Uint32Array(3), pos: 0 }), "624 unsigned");
  assertThrows(() => MT19937.fromState({ key, pos: 625 }), "pos is 625");
});

Deno.test("shuffling arange(n) is numpy.random.seed(s) then numpy.random.shuffle, for 8 cases", () => {
  // np.random.seed(s); idx = np.arange(n); np.random.shuffle(idx); idx.tolist()
  const cases: [number, number, number[]][] = [
    [0, 10, [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]],
    [1, 10, [2, 9, 6, 4, 0, 3, 1, 7, 8, 5]],
    [1984, 10, [9, 7, 4, 1, 5, 2, 0, 6, 8, 3]],
    [42, 1, [0]],
    [42, 2, [1, 0]],
    [7, 17, [13, 11, 16, 8, 5, 2, 1, 0, 14, 10, 7, 12, 3, 6, 9, 4, 15]],
    [4294967295, 12, [11, 8, 5, 9, 1, 10, 6, 0, 4, 7, 2, 3]],
    // deno-fmt-ignore
    [123, 100, [8, 70, 82, 28, 63, 0, 5, 50, 81, 4, 23, 65, 76, 60, 24, 42, 77, 38, 56, 75, 35,
      88, 19, 29, 31, 91, 85, 9, 53, 41, 21, 90, 33, 69, 84, 87, 95, 97, 62, 12, 20, 89, 37, 59,
      1, 74, 11, 79, 14, 54, 16, 26, 51, 45, 6, 98, 30, 44, 72, 43, 15, 94, 18, 13, 22, 10, 58,
      71, 64, 3, 40, 34, 27, 52, 7, 48, 61, 93, 99, 39, 2, 67, 55, 49, 68, 80, 36, 78, 96, 25, 46,
      32, 73, 47, 86, 57, 83, 17, 92, 66]],
  ];
  for (const [seed, n, expected] of cases) {
    assertEquals(Array.from(new MT19937(seed).permutation(n)), expected, `seed ${seed}, n ${n}`);
    const items = Array.from({ length: n }, (_, i) => `item ${i}`);
    new MT19937(seed).shuffle(items);
    assertEquals(items, expected.map((i) => `item ${i}`), `shuffle of strings, seed ${seed}`);
  }
  assertEquals(Array.from(new MT19937(5).permutation(0)), []);
});

Deno.test("the 50,000-row shuffle with seed 1984 is numpy's, to the last index", () => {
  // np.random.seed(1984); idx = np.arange(50000); np.random.shuffle(idx)
  // idx[:5].tolist(), idx[-5:].tolist(), hashlib.sha256(idx.astype('<i4').tobytes()).hexdigest()
  const idx = new MT19937(1984).permutation(50_000);
  assertEquals(Array.from(idx.subarray(0, 5)), [21921, 48929, 19568, 37778, 32165]);
  assertEquals(Array.from(idx.subarray(-5)), [37960, 10009, 1779, 38655, 30319]);
  assertEquals(
    sha256Hex(new Uint8Array(idx.buffer)), // little-endian int32, as on every platform Deno runs
    "62b7501e94aef019bbb308030f6c8b47a748b836fb342b8cf221456b01094cca",
  );
});

Deno.test("MT19937 refuses seeds numpy.random.seed refuses", () => {
  for (const seed of [-1, 2 ** 32, 1.5, NaN]) {
    assertThrows(() => new MT19937(seed), `seed is ${seed}, expected an integer in [0, 2**32)`);
  }
  assertThrows(() => new MT19937(0).interval(-1), "max is -1");
});

// ---------------------------------------------------------------------------------------------
// The data sets

Deno.test({
  name: "addition.txt parses as the reference's load_data: vocabulary, shapes, rows (fixture)",
  ignore: DIR === undefined,
  fn() {
    const f = loadFixture("seq2seq/sequence_addition");
    const text = Deno.readTextFileSync(join(DIR!, "addition.txt"));
    const { xTrain, tTrain, xTest, tTest, vocab } = sequenceData(text, { seed: f.seed });
    assertEquals(vocab.idToChar, f.vocab);
    assertEquals([vocab.size, vocab.id("_")], [13, 6]);
    assertEquals([xTrain.shape, xTest.shape], [f.x_train_shape, f.x_test_shape]);
    assertEquals([tTrain.shape, tTest.shape], [[45_000, 5], [5_000, 5]]);
    const head = (x: IntTensor, n: number) => Array.from(x.rows(0, n).data);
    const tail = (x: IntTensor, n: number) => Array.from(x.rows(x.shape[0] - n, x.shape[0]).data);
    assertEquals(head(xTrain, 8), Array.from(I(f.x_train_head).data));
    assertEquals(head(tTrain, 8), Array.from(I(f.t_train_head).data));
    assertEquals(head(xTest, 8), Array.from(I(f.x_test_head).data));
    assertEquals(head(tTest, 8), Array.from(I(f.t_test_head).data));
    assertEquals(tail(xTest, 3), Array.from(I(f.x_test_tail).data));
    // the last training row and the last test answer, from the reference loader run in Python:
    // (x_train, t_train), (x_test, t_test) = load_data('addition.txt'); x_train[-1], t_train[-1],
    // t_test[-1]
    assertEquals(row(xTrain, -1), [8, 2, 4, 1, 10, 5, 5]);
    assertEquals(row(tTrain, -1), [6, 4, 1, 4, 5]);
    assertEquals(row(tTest, -1), [6, 3, 9, 12, 5]);
    assertEquals(vocab.decode(xTrain.rows(0, 1)) + vocab.decode(tTrain.rows(0, 1)), "71+118 _189 ");
    // --reverse: x_train[:, ::-1]
    const reversed = sequenceData(text, { reverse: true });
    assertEquals(row(reversed.xTrain, 0), row(xTrain, 0).toReversed());
    assertEquals(row(reversed.xTest, -1), row(xTest, -1).toReversed());
    assertEquals(row(reversed.tTrain, 0), row(tTrain, 0)); // answers stay as they are
  },
});

Deno.test({
  name: "date.txt: 59 characters, questions 45,000 × 29 and 5,000 × 29, answers 11 wide",
  ignore: DIR === undefined,
  fn() {
    // (x_train, t_train), (x_test, t_test) = load_data('date.txt'); get_vocab()[1], shapes, rows
    const text = Deno.readTextFileSync(join(DIR!, "date.txt"));
    const { xTrain, tTrain, xTest, tTest, vocab } = sequenceData(text);
    assertEquals(vocab.size, 59);
    assertEquals(
      vocab.idToChar.join(""),
      "septmbr 27,194_-0Aug38/TUESDYPMBR5JN6ailOcoGFynCWdILjHvhVfw",
    );
    assertEquals([xTrain.shape, tTrain.shape], [[45_000, 29], [45_000, 11]]);
    assertEquals([xTest.shape, tTest.shape], [[5_000, 29], [5_000, 11]]);
    assertEquals(row(xTrain, 0), [8, 22, 9, 22, 9, 8, ...new Array(23).fill(7)]);
    assertEquals(row(tTrain, 0), [14, 11, 12, 9, 8, 15, 16, 8, 15, 16, 9]);
    // deno-fmt-ignore
    assertEquals(row(xTrain, -1), [58, 1, 49, 46, 1, 0, 49, 37, 45, 10, 7, 57, 1, 5, 6, 18, 37,
      6, 45, 7, 9, 10, 7, 8, 16, 16, 11, 7, 7]);
    assertEquals(row(tTest, -1), [14, 11, 12, 9, 11, 15, 16, 12, 15, 8, 11]);
    assertEquals(vocab.decode(tTest.rows(4_999, 5_000)), "_1971-09-21");
  },
});

Deno.test({
  name: "the shipped samples are the files' first lines, byte for byte",
  ignore: DIR === undefined,
  fn() {
    for (const name of ["addition", "date"] as SequenceName[]) {
      const file = Deno.readFileSync(join(DIR!, `${name}.txt`));
      const sample = new TextEncoder().encode(sequenceSampleText(name));
      assertEquals(sample.length, SEQUENCE_SAMPLE_LINES[name] * (name === "addition" ? 13 : 41));
      assertEquals(sample, file.subarray(0, sample.length), name);
      assertEquals(file[sample.length - 1], 0x0a); // cut at a line end
      // ids by first occurrence: the sample numbers its characters as the whole file does
      const whole = CharVocabulary.fromText(new TextDecoder().decode(file).replaceAll("\n", ""));
      assertEquals(sequenceSample(name).vocab.idToChar, whole.idToChar, name);
    }
  },
});

Deno.test("the samples parse as the reference parses the same lines", () => {
  // the first 1,000 (500) lines written to a file, then load_data(file) in Python:
  // x_train.shape, x_test.shape, x_train[0], t_train[0], x_test[-1], t_test[-1]
  const add = sequenceSample("addition");
  assertEquals([add.xTrain.shape, add.tTrain.shape], [[900, 7], [900, 5]]);
  assertEquals([add.xTest.shape, add.tTest.shape], [[100, 7], [100, 5]]);
  assertEquals(row(add.xTrain, 0), [0, 12, 2, 8, 8, 11, 5]);
  assertEquals(row(add.tTrain, 0), [6, 8, 12, 8, 5]);
  assertEquals(row(add.xTest, -1), [11, 12, 10, 2, 11, 8, 5]);
  assertEquals(row(add.tTest, -1), [6, 7, 8, 4, 5]);
  assertEquals(add.vocab.size, 13);
  const date = sequenceSample("date");
  assertEquals([date.xTrain.shape, date.tTest.shape, date.vocab.size], [[450, 29], [50, 11], 59]);
  assertEquals(row(date.xTrain, 0), [13, 22, 8, 22, 16, 33, ...new Array(23).fill(7)]);
  assertEquals(row(date.tTrain, 0), [14, 8, 16, 16, 33, 15, 16, 13, 15, 16, 8]);
  assertEquals(row(date.xTest, -1), [20, 22, 11, 20, 22, 9, 16, ...new Array(22).fill(7)]);
  assertEquals(row(date.tTest, -1), [14, 11, 12, 9, 16, 15, 16, 20, 15, 11, 20]);
  // load_data(file, seed=7): x_train[0], x_test[-1]
  assertEquals(row(sequenceSample("addition", { seed: 7 }).xTrain, 0), [9, 2, 7, 12, 0, 5, 5]);
  assertEquals(row(sequenceSample("addition", { seed: 7 }).xTest, -1), [12, 3, 2, 12, 5, 5, 5]);
  // deno-fmt-ignore
  assertEquals(row(sequenceSample("date", { seed: 7 }).xTrain, 0), [26, 24, 35, 27, 17, 28, 10,
    7, 34, 17, 35, 24, 17, 32, 28, 7, 8, 11, 10, 7, 8, 16, 16, 11, 7, 7, 7, 7, 7]);
  assertThrows(() => sequenceSampleText("ptb" as SequenceName), 'name is "ptb"');
});

Deno.test("every line is a question and an answer, in order, whatever the line ends", () => {
  const lf = sequenceData("1+1 _2 \n10+9_19\n", { seed: 0 });
  for (const text of ["1+1 _2 \r\n10+9_19\r\n", "1+1 _2 \r10+9_19", "1+1 _2 \n10+9_19"]) {
    const d = sequenceData(text, { seed: 0 });
    assertEquals([d.xTrain.toArray(), d.tTrain.toArray()], [
      lf.xTrain.toArray(),
      lf.tTrain.toArray(),
    ]);
    assertEquals(d.vocab.idToChar, ["1", "+", " ", "_", "2", "0", "9"]);
  }
  // the answer is cut at the first "_" and keeps it
  const d = sequenceData("a_b_c\n");
  assertEquals([d.vocab.decode(d.xTrain), d.vocab.decode(d.tTrain)], ["a", "_b_c"]);
  // fewer than 10 lines: no test rows, as len(x) // 10 is 0
  assertEquals(d.xTest.shape, [0, 1]);
  // code points, as Python counts them: "𝟙" is one character
  const wide = sequenceData("𝟙+𝟙_𝟚\n");
  assertEquals([wide.xTrain.shape, wide.vocab.idToChar], [[1, 3], ["𝟙", "+", "_", "𝟚"]]);
});

Deno.test("bad text is refused, naming the line", () => {
  const e = assertThrows(() => sequenceData(""), "the text is empty");
  assertOk(e instanceof SaikiError);
  assertThrows(() => sequenceData("\n"), 'line 1 ("") has no "_"');
  assertThrows(
    () => sequenceData("1+1 _2 \n1+2 3 \n", { where: "my.txt" }),
    'my.txt: line 2 ("1+2 3 ") has no "_"',
  );
  assertThrows(
    () => sequenceData("1+1 _2 \n12+1 _13\n"),
    'line 2 ("12+1 _13") has a question 5 characters wide and an answer (with its "_") 3, ' +
      "expected 4 and 3 as on line 1",
  );
  assertThrows(() => sequenceData("1+1 _2 \n1+1 _2 \n\n"), "line 3");
  assertThrows(
    () => sequenceData("1+1 _2 \n".repeat(40) + "x".repeat(100)),
    /line 41 \("x{60}"…\)/,
  );
  assertThrows(() => sequenceData("1_1\n", { seed: -1 }), "seed is -1, expected an integer");
  assertThrows(() => sequenceData("1_1\n", { seed: 2 ** 32 }), "seed is 4294967296");
  assertThrows(() => sequenceData(undefined as unknown as string), "text is undefined");
});

Deno.test("CharVocabulary encodes and decodes, naming what it does not know", () => {
  const vocab = CharVocabulary.fromText("ab_");
  assertEquals(Array.from(vocab.encode("ba_")), [1, 0, 2]);
  assertEquals(vocab.decode(IntTensor.from([[0, 1], [2, 2]])), "ab__");
  assertEquals(vocab.decode(new Int32Array([2, 0])), "_a");
  assertThrows(() => vocab.encode("abc"), '"c" at position 2 is not one of its 3 characters');
  assertThrows(() => vocab.decode([0, -1]), "id -1 at position 1 is not in [0, 3)");
  assertThrows(() => vocab.decode([0.5]), "id 0.5 at position 0");
  assertThrows(() => vocab.id("z"), '"z" is not one of its 3 characters');
  assertThrows(() => vocab.add("ab"), '"ab" is not one character');
  assertEquals(vocab.add("b"), 1);
});

Deno.test("reverseQuestions is x[:, ::-1], as a new tensor", () => {
  const x = IntTensor.from([[1, 2, 3], [4, 5, 6]]);
  const r = reverseQuestions(x);
  assertEquals(r.toArray(), [[3, 2, 1], [6, 5, 4]]);
  assertEquals(x.toArray(), [[1, 2, 3], [4, 5, 6]]); // untouched
  assertEquals(reverseQuestions(new IntTensor(new Int32Array(0), [0, 7])).shape, [0, 7]);
  assertThrows(() => reverseQuestions(IntTensor.from([1, 2])), "shape [2], expected a 2-D");
  const d = sequenceSample("addition", { reverse: true }), plain = sequenceSample("addition");
  assertEquals(d.xTest.toArray(), reverseQuestions(plain.xTest).toArray());
});
