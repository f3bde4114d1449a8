import { corpusFromText, EOS, tokenize, UNK, Vocabulary } from "../../lib/data/corpus.ts";
import { assertEquals, assertThrows } from "../../lib/std/assert.ts";

Deno.test("tokenize turns newlines into <eos> and splits on any whitespace", () => {
  assertEquals(tokenize(" the cat \n sat\ton  the\r\nmat\n"), [
    "the",
    "cat",
    EOS,
    "sat",
    "on",
    "the",
    EOS,
    "mat",
    EOS,
  ]);
  assertEquals(tokenize("   \n"), [EOS]);
  assertEquals(tokenize(""), []);
});

Deno.test("ids follow first occurrence, as the reference's preprocess", () => {
  const { ids, vocab } = corpusFromText("you say goodbye and i say hello .\n");
  assertEquals(Array.from(ids), [0, 1, 2, 3, 4, 1, 5, 6, 7]);
  assertEquals(vocab.idToWord, ["you", "say", "goodbye", "and", "i", "hello", ".", EOS]);
  assertEquals(vocab.id("hello"), 5);
});

Deno.test("a given vocabulary maps new text, unknown words to <unk> when it has one", () => {
  const vocab = Vocabulary.fromWords(["a", "b", UNK]);
  assertEquals(Array.from(corpusFromText("b a z", { vocab }).ids), [1, 0, 2]);
  assertThrows(
    () => corpusFromText("a q", { vocab: Vocabulary.fromWords(["a"]) }),
    'corpusFromText: word "q" at position 1 is not in the vocabulary, which has no <unk>',
  );
  assertThrows(() => vocab.id("zebra"), 'Vocabulary: unknown word "zebra"');
});

Deno.test("maxSize keeps the most frequent words (ties: first seen) and maps the rest to <unk>", () => {
  // counts: c 3, a 2, b 2, d 1, e 1 → keep c, a (a seen before b), plus <unk>
  const { ids, vocab } = corpusFromText("a b c c a c b d e", { maxSize: 3 });
  assertEquals(vocab.idToWord, ["a", UNK, "c"]);
  assertEquals(Array.from(ids), [0, 1, 2, 2, 0, 2, 1, 1, 1]);
  // a text with no more words than the cap is unchanged
  assertEquals(corpusFromText("x y x", { maxSize: 5 }).vocab.idToWord, ["x", "y"]);
  assertThrows(
    () => corpusFromText("a b", { maxSize: 1 }),
    "maxSize is 1, expected an integer >= 2",
  );
});
