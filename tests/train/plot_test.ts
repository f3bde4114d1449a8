import { perplexityChartSvg } from "../../lib/train/plot.ts";
import { assertEquals, assertOk, assertThrows } from "../../lib/std/assert.ts";

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
