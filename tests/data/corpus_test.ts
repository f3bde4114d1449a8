import { corpusFromText, EOS, tokenize, UNK, Vocabulary } from "../../lib/data/corpus.ts";
import { SaikiError } from "../../lib/errors.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";

Deno.test("tokenize turns newlines into <eos> and splits on any whitespace", () => {
  assertEquals(tokenize(" the cat \n sat\ton  the\r\nmat\rend\n"), [
    "the",
    "cat",
    EOS,
    "sat",
    "on",
    "the",
    EOS,
    "mat",
    EOS,
    "end",
    EOS,
  ]);
  assertEquals(tokenize("   \n"), [EOS]);
  assertEquals(tokenize(""), []);
  assertEquals(tokenize("  \t "), []);
  assertEquals(tokenize("word"), ["word"]);
});

Deno.test("tokenize splits where Python's str.split() does", () => {
  // \x1c-\x1f, \x85, \xa0, \u3000 are whitespace to Python; U+FEFF and U+200B are not.
  assertEquals(tokenize("a\x1cb\x85c\xa0d\u3000e"), ["a", "b", "c", "d", "e"]);
  assertEquals(tokenize("\ufeffa b\u200bc"), ["\ufeffa", "b\u200bc"]);
});

Deno.test("the reference rule glues <eos> to its neighbours; on PTB-style lines both rules agree", () => {
  assertEquals(tokenize("a\nb\n", { reference: true }), ["a<eos>b<eos>"]);
  assertEquals(tokenize("a\r\nb", { reference: true }), ["a<eos>b"]);
  const ptbLike = " no it was n't black monday \n but while the new york \n";
  assertEquals(tokenize(ptbLike, { reference: true }), tokenize(ptbLike));
  assertEquals(tokenize(ptbLike).filter((w) => w === EOS).length, 2);
  const { ids } = corpusFromText("x\ny x\ny", { reference: true });
  assertEquals(Array.from(ids), [0, 0]);
});

Deno.test("ids follow first occurrence, as the reference's load_vocab", () => {
  const { ids, vocab } = corpusFromText("you say goodbye and i say hello .\n");
  assertEquals(Array.from(ids), [0, 1, 2, 3, 4, 1, 5, 6, 7]);
  assertEquals(vocab.idToWord, ["you", "say", "goodbye", "and", "i", "hello", ".", EOS]);
  assertEquals(vocab.size, 8);
  assertEquals(vocab.id("hello"), 5);
  assertEquals(vocab.wordToId.get(EOS), 7);
  const empty = corpusFromText("");
  assertEquals([empty.ids.length, empty.vocab.size], [0, 0]);
});

Deno.test("Vocabulary adds words once, in order, and names an unknown word", () => {
  const vocab = Vocabulary.fromWords(["b", "a", "b"]);
  assertEquals([vocab.add("a"), vocab.add("c"), vocab.size], [1, 2, 3]);
  assertEquals(vocab.idToWord, ["b", "a", "c"]);
  const e = assertThrows(() => vocab.id("zebra"), 'Vocabulary: unknown word "zebra"');
  assertOk(e instanceof SaikiError);
});

Deno.test("a given vocabulary maps new text: unknown words to <unk>, an error, or added", () => {
  const withUnk = Vocabulary.fromWords(["a", "b", UNK]);
  assertEquals(Array.from(corpusFromText("b a z", { vocab: withUnk }).ids), [1, 0, 2]);
  assertEquals(withUnk.size, 3, "mapping does not change the vocabulary");
  assertThrows(
    () => corpusFromText("a\nq", { vocab: Vocabulary.fromWords(["a", EOS]) }),
    'corpusFromText: word "q" at token position 2 is not in the vocabulary, which has no <unk>',
  );
  assertThrows(
    () => corpusFromText("b z", { vocab: withUnk, strict: true, where: "valid.txt" }),
    'valid.txt: word "z" at token position 1 is not in the vocabulary',
  );
  const grown = Vocabulary.fromWords(["a"]);
  const out = corpusFromText("a q a r", { vocab: grown, extend: true });
  assertOk(out.vocab === grown, "extend adds to the given vocabulary");
  assertEquals(Array.from(out.ids), [0, 1, 0, 2]);
  assertEquals(grown.idToWord, ["a", "q", "r"]);
});

Deno.test("maxSize keeps the most frequent words (ties: first seen) and maps the rest to <unk>", () => {
  // counts: c 3, a 2, b 2, d 1, e 1 → keep c and a (a seen before b), plus <unk>;
  // ids by first occurrence: a, then <unk> (where b, the first dropped word, is), then c.
  const { ids, vocab } = corpusFromText("a b c c a c b d e", { maxSize: 3 });
  assertEquals(vocab.idToWord, ["a", UNK, "c"]);
  assertEquals(Array.from(ids), [0, 1, 2, 2, 0, 2, 1, 1, 1]);
  // a text with no more words than the cap is unchanged (no <unk> added)
  assertEquals(corpusFromText("x y x", { maxSize: 5 }).vocab.idToWord, ["x", "y"]);
  assertEquals(corpusFromText("x y x", { maxSize: 2 }).vocab.idToWord, ["x", "y"]);
});

Deno.test("maxSize: an <unk> in the text is the same word as the cap's <unk>", () => {
  // <unk> occurs 3 times but is not one of the maxSize − 1 kept words; b, c are dropped into it.
  const { ids, vocab } = corpusFromText("<unk> a <unk> a b <unk> c a", { maxSize: 2 });
  assertEquals(vocab.idToWord, [UNK, "a"]);
  assertEquals(Array.from(ids), [0, 1, 0, 1, 0, 0, 0, 1]);
  // with room for every word but one, the vocabulary has exactly maxSize words
  const big = corpusFromText("<unk> p q r s", { maxSize: 4 });
  assertEquals(big.vocab.idToWord, [UNK, "p", "q", "r"]);
});

Deno.test("bad options are errors that say what was expected", () => {
  assertThrows(
    () => corpusFromText("a b", { maxSize: 1 }),
    "corpusFromText: maxSize is 1, expected an integer >= 2",
  );
  assertThrows(
    () => corpusFromText("a b c", { maxSize: 2.5, where: "--corpus x.txt" }),
    "--corpus x.txt: maxSize is 2.5, expected an integer >= 2",
  );
  assertThrows(
    () => corpusFromText("a", { maxSize: 3, vocab: new Vocabulary() }),
    "maxSize caps a vocabulary built from the text; it cannot be used with vocab",
  );
});
