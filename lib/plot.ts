/**
 * A perplexity-vs-iteration chart as a standalone SVG string (no I/O: runs anywhere).
 *
 * @module
 */

/** One point of a curve. */
export interface PplPoint {
  /** Iteration. */
  step: number;
  /** Perplexity. */
  ppl: number;
}

/** Options of {@linkcode perplexityChartSvg}. */
export interface ChartOptions {
  /** Validation points, drawn as a second series. */
  valid?: PplPoint[];
  /** Title (default "perplexity"). */
  title?: string;
  /** Size in pixels (default 720 × 420). */
  width?: number;
  /** Height in pixels. */
  height?: number;
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** About `count` round tick values covering `[lo, hi]`. */
function ticks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(+v.toPrecision(12));
  }
  return out;
}

const fmt = (v: number) =>
  Math.abs(v) >= 1e4
    ? v.toExponential(0)
    : +v.toPrecision(4) === Math.round(v)
    ? String(Math.round(v))
    : String(+v.toPrecision(3));

/**
 * Renders training (line) and validation (points) perplexity against iteration, with axes,
 * ticks and labels; the perplexity axis is logarithmic when the values span more than 10×.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { perplexityChartSvg } from "./plot.ts";
 * const svg = perplexityChartSvg([{ step: 1, ppl: 900 }, { step: 20, ppl: 400 }]);
 * assert(svg.startsWith("<svg") && svg.includes("iteration") && svg.includes("<polyline"));
 * ```
 */
export function perplexityChartSvg(train: PplPoint[], options: ChartOptions = {}): string {
  const W = options.width ?? 720, H = options.height ?? 420;
  const m = { left: 70, right: 20, top: 40, bottom: 50 };
  const pw = W - m.left - m.right, ph = H - m.top - m.bottom;
  const ok = (p: PplPoint) => Number.isFinite(p.step) && Number.isFinite(p.ppl) && p.ppl > 0;
  const tr = train.filter(ok), va = (options.valid ?? []).filter(ok);
  const all = [...tr, ...va];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${
      esc(options.title ?? "perplexity")
    }</text>`,
  ];
  if (all.length === 0) {
    parts.push(
      `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no data yet</text>`,
      "</svg>",
    );
    return parts.join("\n");
  }
  const x0 = Math.min(...all.map((p) => p.step)), x1 = Math.max(...all.map((p) => p.step));
  let y0 = Math.min(...all.map((p) => p.ppl)), y1 = Math.max(...all.map((p) => p.ppl));
  const log = y1 / y0 > 10;
  if (!log) {
    const pad = (y1 - y0) * 0.05 || y0 * 0.05 || 1;
    y0 = Math.max(0, y0 - pad), y1 = y1 + pad;
  }
  const fy = (v: number) => log ? Math.log10(v) : v;
  const [ly0, ly1] = [fy(y0), fy(y1)];
  const sx = (v: number) => m.left + (x1 > x0 ? (v - x0) / (x1 - x0) : 0.5) * pw;
  const sy = (v: number) => m.top + ph - (ly1 > ly0 ? (fy(v) - ly0) / (ly1 - ly0) : 0.5) * ph;
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`,
  );
  for (const t of ticks(x0, x1, 8)) {
    const x = sx(t).toFixed(1);
    parts.push(
      `<line x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 5}" stroke="#444"/>`,
    );
    parts.push(`<text x="${x}" y="${m.top + ph + 18}" text-anchor="middle">${fmt(t)}</text>`);
  }
  const yt = log
    ? ticks(Math.floor(ly0), Math.ceil(ly1), Math.ceil(ly1) - Math.floor(ly0)).flatMap((e) =>
      [1, 2, 5].map((k) => k * 10 ** e)
    ).filter((v) => v >= y0 && v <= y1)
    : ticks(y0, y1, 6);
  for (const t of yt) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#eee"/>`);
    parts.push(
      `<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${
        fmt(t)
      }</text>`,
    );
  }
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">iteration</text>`);
  parts.push(
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">perplexity${
      log ? " (log scale)" : ""
    }</text>`,
  );
  if (tr.length > 0) {
    const pts = tr.map((p) => `${sx(p.step).toFixed(1)},${sy(p.ppl).toFixed(1)}`).join(" ");
    parts.push(`<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${pts}"/>`);
  }
  for (const p of va) {
    parts.push(
      `<circle cx="${sx(p.step).toFixed(1)}" cy="${sy(p.ppl).toFixed(1)}" r="4" fill="#d62728"/>`,
    );
  }
  const lx = m.left + pw - 130;
  parts.push(
    `<line x1="${lx}" y1="${m.top + 14}" x2="${lx + 24}" y2="${
      m.top + 14
    }" stroke="#1f77b4" stroke-width="2"/>`,
  );
  parts.push(`<text x="${lx + 30}" y="${m.top + 18}">train</text>`);
  if (va.length > 0) {
    parts.push(`<circle cx="${lx + 12}" cy="${m.top + 32}" r="4" fill="#d62728"/>`);
    parts.push(`<text x="${lx + 30}" y="${m.top + 36}">validation</text>`);
  }
  parts.push("</svg>");
  return parts.join("\n");
}
