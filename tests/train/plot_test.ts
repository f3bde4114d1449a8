import { attentionMapSvg, perplexityChartSvg } from "../../lib/train/plot.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";
import { AttentionSeq2seq } from "../../lib/models/seq2seq.ts";
import { IntTensor, tensor } from "../../lib/tensor.ts";

const points = (n: number, f: (i: number) => number, every = 20) =>
  Array.from({ length: n }, (_, i) => ({ step: (i + 1) * every, ppl: f(i) }));

/** [pixel, value] of each tick label on an axis, in document order. */
function tickLabels(svg: string, axis: "x" | "y"): [number, number][] {
  const re = axis === "y"
    ? /<text x="[\d.]+" y="([\d.]+)" text-anchor="end"[^>]*>([^<]+)</g
    : /<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">([\d.e-]+)</g;
  return [...svg.matchAll(re)].map((m) => [Number(m[1]), Number(m[2])]);
}

function assertMonotone(ticks: [number, number][], axis: "x" | "y") {
  assertOk(ticks.length >= 3, `${axis} has ticks: ${JSON.stringify(ticks)}`);
  for (let i = 1; i < ticks.length; i++) {
    assertOk(Number.isFinite(ticks[i][1]) && ticks[i][1] > ticks[i - 1][1], `${axis} values rise`);
    // x grows rightwards; y values grow upwards (smaller pixel y)
    const ok = axis === "x" ? ticks[i][0] > ticks[i - 1][0] : ticks[i][0] < ticks[i - 1][0];
    assertOk(ok, `${axis} tick ${ticks[i][1]} placed in order`);
  }
}

const polylinePoints = (svg: string) =>
  [...svg.matchAll(/<polyline[^>]* points="([^"]+)"/g)].map((m) => m[1].split(" "));

Deno.test("the chart has axes, labels, a train line with every finite point, and validation points", () => {
  const train = points(50, (i) => 1000 * Math.exp(-i / 10) + 100);
  train[10].ppl = NaN;
  train[20].step = Infinity;
  const svg = perplexityChartSvg(train, {
    valid: [...points(3, (i) => 300 - 50 * i, 400), { step: 5, ppl: -1 }],
    title: 'run <a&b> "x"',
  });
  assertOk(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"));
  assertOk(svg.includes(">iteration</text>") && svg.includes(">perplexity (log scale)</text>"));
  assertOk(svg.includes("run &lt;a&amp;b&gt; &quot;x&quot;"), "text is escaped");
  assertOk(!svg.includes("NaN") && !svg.includes("Infinity"));
  const lines = polylinePoints(svg);
  assertEquals(lines.length, 1, "one polyline");
  assertEquals(lines[0].length, 48, "non-finite points skipped");
  assertEquals((svg.match(/<circle /g) ?? []).length, 3 + 1, "valid points plus the legend mark");
  assertOk(svg.includes(">train</text>") && svg.includes(">validation</text>"), "legend");
  assertMonotone(tickLabels(svg, "y"), "y");
  assertMonotone(tickLabels(svg, "x"), "x");
  // every drawn point is inside the plot frame
  const frame = svg.match(/<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)" fill="none"/)!
    .slice(1).map(Number);
  for (const [x, y] of lines[0].map((p) => p.split(",").map(Number))) {
    assertOk(
      x >= frame[0] && x <= frame[0] + frame[2] && y >= frame[1] && y <= frame[1] + frame[3],
    );
  }
});

Deno.test("a narrow range uses a linear axis with round ticks; iterations print as plain digits", () => {
  const svg = perplexityChartSvg(points(800, (i) => 150 - i / 20));
  assertOk(svg.includes(">perplexity</text>") && !svg.includes("log scale"));
  const x = tickLabels(svg, "x");
  assertMonotone(x, "x");
  assertEquals(x.at(-1)![1], 16000);
  assertOk(svg.includes(">16000</text>") && !svg.includes("e+"));
  assertMonotone(tickLabels(svg, "y"), "y");
});

Deno.test("a range of many decades gets powers of ten only", () => {
  const svg = perplexityChartSvg(points(100, (i) => 1e6 * Math.exp(-i / 8) + 1.5, 500));
  const y = tickLabels(svg, "y");
  assertMonotone(y, "y");
  assertEquals(y.map((t) => t[1]), [10, 100, 1000, 10000, 100000, 1e6]);
  assertOk(svg.includes(">1e6</text>"));
});

Deno.test("a single point, no data, and bad sizes", () => {
  const one = perplexityChartSvg([{ step: 1, ppl: 42 }]);
  assertEquals(polylinePoints(one).map((p) => p.length), [1]);
  assertOk(one.includes(`fill="#1f77b4"/>`), "a single point gets a visible marker");
  assertMonotone(tickLabels(one, "y"), "y");
  for (const empty of [perplexityChartSvg([]), perplexityChartSvg([{ step: 1, ppl: NaN }])]) {
    assertOk(empty.startsWith("<svg") && empty.includes("no data yet"));
    assertOk(empty.includes(">iteration</text>") && !empty.includes("<polyline"));
  }
  const validOnly = perplexityChartSvg([], { valid: [{ step: 10, ppl: 300 }] });
  assertOk(!validOnly.includes("<polyline") && validOnly.includes(">validation</text>"));
  assertThrows(
    () => perplexityChartSvg([], { width: 10 }),
    "perplexityChartSvg: width is 10, expected a number >= 240",
  );
});

/** The cells of an attention map, in document order: position, size, grey level, tooltip. */
function cells(svg: string) {
  const re =
    /<rect class="cell" x="([\d.]+)" y="([\d.]+)" width="(\d+)" height="(\d+)" fill="#([0-9a-f]{2})\5\5"[^>]*><title>([^<]*)<\/title><\/rect>/g;
  return [...svg.matchAll(re)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    w: Number(m[3]),
    h: Number(m[4]),
    grey: parseInt(m[5], 16),
    title: m[6],
  }));
}

const labelsOf = (svg: string, kind: "row" | "col") =>
  [...svg.matchAll(new RegExp(`<text class="${kind}-label"[^>]*>([^<]*)</text>`, "g"))].map((m) =>
    m[1]
  );

Deno.test("the attention map: one square cell per weight, rows top to bottom, lighter for larger weights", () => {
  const rows = ["1", "9", "<"], cols = ["a", "&", '"', " "];
  const values = [[0.05, 0.9, 0.05, 0], [0.3, 0.2, 0.1, 0.4], [-0.5, 1.5, 0.25, 0.75]];
  const svg = attentionMapSvg(tensor(values), rows, cols, { title: "attention <map>" });
  assertOk(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"));
  assertOk(svg.includes(">attention &lt;map&gt;</text>"), "the title, escaped");
  const cs = cells(svg);
  assertEquals(cs.length, 12, "rows × cols cells");
  const size = cs[0].w;
  for (const [i, c] of cs.entries()) {
    assertEquals([c.w, c.h], [size, size], "square cells");
    const [r, k] = [Math.floor(i / 4), i % 4];
    assertEquals([c.x - cs[0].x, c.y - cs[0].y], [k * size, r * size], `cell ${r},${k} in place`);
  }
  // darker = less attention: 0 (and below) black, 1 (and above) white, grey rising with weight
  const flat = values.flat();
  const byWeight = cs.map((c, i) => [flat[i], c.grey]).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < byWeight.length; i++) {
    const [[w0, g0], [w1, g1]] = [byWeight[i - 1], byWeight[i]];
    assertOk(w1 > w0 ? g1 > g0 || (w0 >= 1 && g1 === 255) || (w1 <= 0 && g1 === 0) : g1 === g0);
  }
  assertEquals([cs[3].grey, cs[8].grey, cs[9].grey, cs[1].grey], [0, 0, 255, 229]); // 0.9f × 255 = 229.49…
  assertEquals(cs[7].title, "9 ←  : 0.4", "a tooltip names the characters and the weight");
  assertEquals(cs[1].title, "1 ← &amp;: 0.9");
  // labels: output characters by the rows, input characters under the columns, escaped
  assertEquals(labelsOf(svg, "row"), ["1", "9", "&lt;"]);
  assertEquals(labelsOf(svg, "col"), ["a", "&amp;", "&quot;", " "]);
  assertOk(svg.includes(">input</text>") && svg.includes(">output</text>"), "axis titles");
  // the scale beside it runs from white (1) at the top to black (0)
  const scale = [...svg.matchAll(/<rect class="scale"[^>]*fill="#([0-9a-f]{2})/g)].map((m) =>
    parseInt(m[1], 16)
  );
  assertEquals(scale.length, 10);
  assertOk(scale.every((g, i) => i === 0 || g < scale[i - 1]), "the scale darkens downwards");
});

Deno.test("the attention map takes (rows, cols), (1, rows, cols), a Float32Array or numbers, and strings as labels", () => {
  const values = [0.1, 0.7, 0.2, 0.5, 0.25, 0.25];
  const opts = { xTitle: "question", yTitle: "answer", cellSize: 30 };
  const svg = attentionMapSvg(tensor(values, [2, 3]), ["4", "2"], ["6", "*", "7"], opts);
  assertEquals(attentionMapSvg(tensor(values, [1, 2, 3]), "42", "6*7", opts), svg);
  assertEquals(attentionMapSvg(Float32Array.from(values), "42", "6*7", opts), svg);
  assertEquals(attentionMapSvg(values, "42", "6*7", opts), svg);
  assertEquals(cells(svg).map((c) => c.w), [30, 30, 30, 30, 30, 30]);
  assertOk(svg.includes(">question</text>") && svg.includes(">answer</text>"));
  // column labels wider than a cell are turned upright, still one per column
  const long = attentionMapSvg([0.5, 0.5], ["<eos>"], ["hello", "world"]);
  assertEquals(labelsOf(long, "col"), ["hello", "world"]);
  assertEquals((long.match(/class="col-label" transform="[^"]*rotate\(-90\)"/g) ?? []).length, 2);
  assertEquals(labelsOf(long, "row"), ["&lt;eos&gt;"]);
  assertOk(!svg.includes('class="col-label" transform'), "one-character labels stay level");
});

Deno.test("an AttentionSeq2seq's map after generate: each row's lightest cell is its most attended character", () => {
  const model = new AttentionSeq2seq(13, 8, 16);
  const question = [1, 2, 10, 3, 12, 12, 12];
  const answer = model.generate(IntTensor.from([question]), 11, 4);
  const maps = model.decoder.attentionMaps!;
  const svg = attentionMapSvg(maps, answer.map(String), question.map(String));
  const cs = cells(svg);
  assertEquals(cs.length, 4 * 7);
  for (let r = 0; r < 4; r++) {
    const row = Array.from(maps.data.subarray(r * 7, r * 7 + 7));
    const best = row.indexOf(Math.max(...row));
    const greys = cs.slice(r * 7, r * 7 + 7).map((c) => c.grey);
    assertEquals(greys[best], Math.max(...greys), `row ${r}`);
  }
});

Deno.test("the attention map's bad inputs name the shapes and values", () => {
  const w = tensor(new Array(15).fill(0.2), [3, 5]);
  assertThrows(
    () => attentionMapSvg(w, "abcd", "12345"),
    "attentionMapSvg: weights has shape [3,5], expected [4,5] or [1,4,5] (4 row labels, 5 column labels)",
  );
  assertThrows(
    () => attentionMapSvg(tensor(new Array(15).fill(0.2), [3, 1, 5]), "abc", "12345"),
    "weights has shape [3,1,5], expected [3,5] or [1,3,5]",
  );
  assertThrows(
    () => attentionMapSvg(new Float32Array(14), "abcd", "12345"),
    "attentionMapSvg: weights has 14 values, expected 4×5 = 20 (4 row labels, 5 column labels)",
  );
  assertThrows(
    () => attentionMapSvg(IntTensor.from([[1, 0]]) as never, "a", "12"),
    "weights is an IntTensor (int32) of shape [1,2], expected a Tensor [1,2], a Float32Array",
  );
  assertThrows(
    () => attentionMapSvg([0.5, NaN, 0.5, 0.5], "ab", "12"),
    "attentionMapSvg: weights holds NaN at row 0, column 1, expected finite numbers",
  );
  assertThrows(
    () => attentionMapSvg([], "", "12"),
    "attentionMapSvg: 0 row labels and 2 column labels, expected at least one of each",
  );
  assertThrows(
    () => attentionMapSvg([1], ["a"], [1 as unknown as string]),
    "attentionMapSvg: colLabels is an Array, expected a string or an array of strings",
  );
  assertThrows(
    () => attentionMapSvg([1], "a", "b", { cellSize: 4.5 }),
    "attentionMapSvg: cellSize is 4.5, expected an integer in [8, 200]",
  );
});
