import { expectIds, expectShape, formatShape, SaikiError } from "../lib/errors.ts";
import { assertEquals, assertOk, assertThrows } from "../lib/std/assert.ts";

Deno.test("expectShape binds symbols across arguments and names what differs", () => {
  const dims = expectShape("TimeAffine.forward", "x", [2, 3, 4], ["N", "T", 4]);
  assertEquals(dims, { N: 2, T: 3 });
  expectShape("L.f", "ts", [2, 3], ["N", "T"], dims);
  assertThrows(
    () => expectShape("TimeAffine.forward", "x", [2, 3, 5], ["N", "T", 4]),
    "TimeAffine.forward: x has shape [2,3,5], expected [N,T,4]",
  );
  assertThrows(
    () => expectShape("L.f", "ts", [2, 4], ["N", "T"], dims),
    "L.f: ts has shape [2,4], expected [N=2,T=3]",
  );
  assertThrows(
    () => expectShape("L.f", "b", [2, 2], ["M"]),
    "L.f: b has shape [2,2], expected [M]",
  );
  // a symbol repeated within one pattern must match itself
  assertThrows(
    () => expectShape("L", "Wh", [5, 6], ["H", "H"]),
    "L: Wh has shape [5,6], expected [H,H]",
  );
  assertEquals(formatShape([1, "N"]), "[1,N]");
});

Deno.test("expectIds names the id, its position and the allowed range", () => {
  expectIds("E.f", "xs", new Int32Array([0, 4, -1]), 5, -1);
  const e = assertThrows(
    () => expectIds("E.f", "xs", new Int32Array([0, 7]), 5),
    "E.f: xs holds id 7 at flat index 1, expected ids in [0, 5)",
  );
  assertOk(e instanceof SaikiError && e.name === "SaikiError");
  assertThrows(
    () => expectIds("L.f", "ts", new Int32Array([-2]), 5, -1),
    "L.f: ts holds id -2 at flat index 0, expected ids in [0, 5) (or -1 to ignore)",
  );
});
