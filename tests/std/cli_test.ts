import { type FlagSpec, helpText, parseFlags, UsageError } from "../../lib/std/cli.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";

const SPECS: Record<string, FlagSpec> = {
  lr: { type: "number", help: "learning rate", default: 20, min: 0 },
  layers: { type: "number", help: "layers", integer: true, min: 1 },
  model: { type: "string", help: "cell", choices: ["rnn", "lstm"], default: "lstm" },
  tie: { type: "boolean", help: "tie", default: true },
};

Deno.test("parseFlags reads values, defaults, --no- booleans and positionals", () => {
  const f = parseFlags(["--lr", "0.5", "--no-tie", "--layers=2", "run1"], SPECS);
  assertEquals([f.lr, f.tie, f.layers, f.model, f._], [0.5, false, 2, "lstm", ["run1"]]);
  assertEquals(parseFlags([], SPECS).layers, undefined);
});

Deno.test("parseFlags names the flag and what it expected", () => {
  for (
    const [args, message] of [
      [["--bogus"], "unknown flag --bogus"],
      [["--lr", "x"], '--lr takes a number, got "x"'],
      [["--layers", "1.5"], '--layers takes a whole number, got "1.5"'],
      [["--layers", "0"], "--layers must be at least 1, got 0"],
      [["--model", "gru"], '--model must be one of rnn, lstm; got "gru"'],
    ] as [string[], string][]
  ) {
    const e = assertThrows(() => parseFlags(args, SPECS), message);
    assertOk(e instanceof UsageError);
  }
});

Deno.test("helpText lists every flag with its default", () => {
  const text = helpText("tool [flags]", SPECS);
  assertOk(text.startsWith("usage: tool [flags]") || text.includes("tool [flags]"));
  for (const part of ["--lr N", "(default: 20)", "--model rnn|lstm", "--[no-]tie"]) {
    assertOk(text.includes(part), `${part} in ${text}`);
  }
});

Deno.test("parseFlags takes a negative number as a flag's value and checks max", () => {
  const specs = {
    seed: { type: "number", help: "seed", min: -10, max: 10 },
    name: { type: "string", help: "name" },
  } as const;
  assertEquals(parseFlags(["--seed", "-1"], specs).seed, -1);
  assertEquals(parseFlags(["--seed", "-.5", "--name", "-2x"], specs).name, "-2x");
  assertThrows(() => parseFlags(["--seed", "11"], specs), "--seed must be at most 10, got 11");
  assertThrows(() => parseFlags(["--seed", "-11"], specs), "--seed must be at least -10, got -11");
  assertThrows(() => parseFlags(["--name", "-x"], specs), "--name");
  assertThrows(() => parseFlags(["--seed"], specs), "--seed needs a value");
  assertThrows(() => parseFlags(["--name", "--seed", "1"], specs), "--name needs a value");
});
