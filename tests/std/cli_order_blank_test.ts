import { type FlagSpec, parseFlags, UsageError } from "../../lib/std/cli.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";

const SPECS: Record<string, FlagSpec> = {
  lr: { type: "number", help: "learning rate", default: 20, min: 0 },
  seed: { type: "number", help: "seed", integer: true, default: 1, min: -10, max: 10 },
  model: { type: "string", help: "cell", choices: ["rnn", "lstm"], default: "lstm" },
  name: { type: "string", help: "run name" },
  tie: { type: "boolean", help: "tie" },
  decay: { type: "boolean", help: "decay", default: true },
};

Deno.test("parseFlags refuses a value that is blank after trimming, for every value flag", () => {
  for (
    const [args, message] of [
      [["--lr", " "], `--lr takes a number, got a blank value " "`],
      [["--lr="], `--lr takes a number, got a blank value ""`],
      [["--seed", " \t "], `--seed takes a number, got a blank value " \t "`],
      [["--model", "  "], `--model takes one of rnn, lstm, got a blank value "  "`],
      [["--name", ""], `--name takes a value, got a blank value ""`],
      [["--name=\n"], `--name takes a value, got a blank value "\n"`],
      // the last value is the one used: a blank one after a good one is still refused
      [["--lr", "0.5", "--lr", " "], `--lr takes a number, got a blank value " "`],
    ] as [string[], string][]
  ) {
    const e = assertThrows(() => parseFlags(args, SPECS), message);
    assertOk(e instanceof UsageError, args.join(" "));
    assertEquals(e.message, message);
  }
  // spaces around a number are not a blank value; Number() reads " 5 " as 5
  assertEquals(parseFlags(["--seed", " 5 "], SPECS).seed, 5);
  assertEquals(parseFlags(["--name", " run "], SPECS).name, " run ");
});

Deno.test("parseFlags: the last occurrence of a flag wins, booleans and their --no- form included", () => {
  const tie = (...args: string[]) => parseFlags(args, SPECS).tie;
  assertEquals(tie(), undefined);
  assertEquals(tie("--tie"), true);
  assertEquals(tie("--no-tie"), false);
  assertEquals(tie("--no-tie", "--tie"), true);
  assertEquals(tie("--tie", "--no-tie"), false);
  assertEquals(tie("--no-tie", "--tie", "--no-tie"), false);
  assertEquals(tie("--tie", "--no-tie", "run", "--tie"), true);
  const decay = (...args: string[]) => parseFlags(args, SPECS).decay;
  assertEquals([decay(), decay("--no-decay"), decay("--no-decay", "--decay")], [true, false, true]);
  // value flags: last wins, as before
  const f = parseFlags(["--lr", "1", "--model", "rnn", "--lr", "2", "--model=lstm"], SPECS);
  assertEquals([f.lr, f.model], [2, "lstm"]);
  // flags of other names keep their own order
  const g = parseFlags(["--no-tie", "--decay", "--tie", "--no-decay"], SPECS);
  assertEquals([g.tie, g.decay], [true, false]);
});
