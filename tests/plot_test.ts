import { perplexityChartSvg } from "../lib/plot.ts";
import { assertEquals, assertOk } from "../lib/std/assert.ts";

const points = (n: number, f: (i: number) => number) =>
  Array.from({ length: n }, (_, i) => ({ step: (i + 1) * 20, ppl: f(i) }));

Deno.test("the chart has axes, labels, a train line with every finite point, and validation points", () => {
  const train = points(50, (i) => 1000 * Math.exp(-i / 10) + 100);
  train[10].ppl = NaN;
  const svg = perplexityChartSvg(train, {
    valid: points(3, (i) => 300 - 50 * i),
    title: "run <a&b>",
  });
  assertOk(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"));
  assertOk(svg.includes(">iteration</text>") && svg.includes("perplexity (log scale)"));
  assertOk(svg.includes("run &lt;a&amp;b&gt;"), "text is escaped");
  const line = svg.match(/<polyline[^>]* points="([^"]+)"/)!;
  assertEquals(line[1].split(" ").length, 49, "NaN skipped");
  assertEquals((svg.match(/<circle cx/g) ?? []).length, 3 + 1, "valid points plus the legend mark");
  assertOk(svg.includes(">validation</text>"));
  // y tick labels decrease downwards: larger values have smaller y
  const ticks = [...svg.matchAll(/<text x="\d+" y="([\d.]+)" text-anchor="end"[^>]*>([\d.e+]+)</g)]
    .map((m) => [Number(m[1]), Number(m[2])]);
  assertOk(ticks.length >= 3, "y ticks");
  for (let i = 1; i < ticks.length; i++) {
    assertOk(ticks[i][1] > ticks[i - 1][1] === ticks[i][0] < ticks[i - 1][0]);
  }
});

Deno.test("a narrow range uses a linear axis; no data draws an empty chart", () => {
  const svg = perplexityChartSvg(points(5, (i) => 120 - i));
  assertOk(svg.includes(">perplexity</text>") && !svg.includes("log scale"));
  const one = perplexityChartSvg([{ step: 1, ppl: 42 }]);
  assertOk(one.includes("<polyline") && !one.includes("NaN"));
  const empty = perplexityChartSvg([]);
  assertOk(empty.includes("no data yet") && !empty.includes("<polyline"));
});
