/**
 * A perplexity-vs-iteration chart as a standalone SVG string (no I/O: runs anywhere).
 *
 * @module
 */

import { SaikiError } from "../errors.ts";

/** One point of a curve. */
export interface PplPoint {
  /** Iteration. */
  step: number;
  /** Perplexity. */
  ppl: number;
}

/** Options of {@linkcode perplexityChartSvg}. */
export interface ChartOptions {
  /** Validation points, drawn as dots joined by a dashed line. */
  valid?: PplPoint[];
  /** Title (default "perplexity"). */
  title?: string;
  /** Width in pixels (default 720, at least 240). */
  width?: number;
  /** Height in pixels (default 420, at least 160). */
  height?: number;
}

const TRAIN_COLOR = "#1f77b4";
const VALID_COLOR = "#d62728";

/** Escapes text for XML content and double-quoted attributes. */
const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A pixel coordinate. */
const px = (v: number) => v.toFixed(1);

/** A round step (1, 2 or 5 × 10^k) giving about `count` intervals over `span`. */
function niceStep(span: number, count: number, minStep = 0): number {
  const raw = Math.max(span / count, minStep, Number.MIN_VALUE);
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9))!;
}

/** Multiples of `step` in `[lo, hi]`. */
function multiples(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    out.push(+(k * step).toPrecision(12));
  }
  return out;
}

/** A tick label: plain digits below a million, else e-notation with up to 3 digits ("2.5e6"). */
function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) {
    return Number(v.toPrecision(3)).toExponential().replace("e+", "e");
  }
  return String(Number(v.toPrecision(6)));
}

/** A linear axis: domain widened to whole steps, and its ticks. */
function linearAxis(lo: number, hi: number, count: number, minStep: number) {
  const step = niceStep(hi - lo, count, minStep);
  const d0 = Math.floor(lo / step + 1e-9) * step, d1 = Math.ceil(hi / step - 1e-9) * step;
  return { d0, d1, ticks: multiples(d0, d1, step) };
}

/** Ticks of a log axis over `[lo, hi]` (values, not logs): 1-2-5 per decade, or powers of 10. */
function logTicks(lo: number, hi: number): number[] {
  const e0 = Math.floor(Math.log10(lo)), e1 = Math.ceil(Math.log10(hi));
  const decades = Math.log10(hi / lo);
  const mults = decades <= 3 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil(decades / 8));
  const out: number[] = [];
  for (let e = e0; e <= e1; e++) {
    if (mults.length === 1 && (e - e0) % every !== 0) continue;
    for (const m of mults) {
      const v = +(m * 10 ** e).toPrecision(12);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

function checkSize(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min) {
    throw new SaikiError(`perplexityChartSvg: ${name} is ${value}, expected a number >= ${min}`);
  }
  return value;
}

/**
 * Renders training perplexity (a line) and validation perplexity (dots joined by a dashed line)
 * against iteration, with a title, a legend, axes with ticks and numeric labels ("iteration",
 * "perplexity"). The perplexity axis is logarithmic when the values span more than 10×, and its
 * label then says "(log scale)". Points whose step or perplexity is not finite, or whose
 * perplexity is not positive, are skipped; points are drawn in step order. With no points the
 * chart is an empty frame saying "no data yet". Text is escaped for XML.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { perplexityChartSvg } from "./plot.ts";
 * const svg = perplexityChartSvg([{ step: 1, ppl: 900 }, { step: 20, ppl: 400 }], {
 *   valid: [{ step: 20, ppl: 450 }],
 *   title: "lstm on PTB",
 * });
 * assert(svg.startsWith("<svg") && svg.includes(">iteration</text>"));
 * assert(svg.includes('points="') && svg.includes(">validation</text>"));
 * ```
 */
export function perplexityChartSvg(train: PplPoint[], options?: ChartOptions): string {
  options ??= {};
  const W = checkSize("width", options.width ?? 720, 240);
  const H = checkSize("height", options.height ?? 420, 160);
  const m = { left: 72, right: 20, top: 40, bottom: 50 };
  const pw = W - m.left - m.right, ph = H - m.top - m.bottom;
  const usable = (p: PplPoint) => Number.isFinite(p.step) && Number.isFinite(p.ppl) && p.ppl > 0;
  const byStep = (a: PplPoint, b: PplPoint) => a.step - b.step;
  const tr = train.filter(usable).sort(byStep);
  const va = (options.valid ?? []).filter(usable).sort(byStep);
  const all = [...tr, ...va];
  const bottom = m.top + ph;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" ` +
    `viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${px(W / 2)}" y="24" text-anchor="middle" font-size="16">${
      esc(options.title ?? "perplexity")
    }</text>`,
  ];
  const frame = () =>
    out.push(
      `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`,
    );
  const axisLabels = (log: boolean) =>
    out.push(
      `<text x="${px(m.left + pw / 2)}" y="${H - 12}" text-anchor="middle">iteration</text>`,
      `<text transform="translate(18 ${px(m.top + ph / 2)}) rotate(-90)" ` +
        `text-anchor="middle">perplexity${log ? " (log scale)" : ""}</text>`,
    );

  if (all.length === 0) {
    frame();
    axisLabels(false);
    out.push(
      `<text x="${px(m.left + pw / 2)}" y="${px(m.top + ph / 2)}" text-anchor="middle" ` +
        `fill="#888">no data yet</text>`,
      "</svg>",
    );
    return out.join("\n");
  }

  // x: iterations, whole-number steps; a single step gets a small window around it.
  let xlo = Math.min(...all.map((p) => p.step)), xhi = Math.max(...all.map((p) => p.step));
  if (xhi === xlo) xlo -= 1, xhi += 1;
  const xa = linearAxis(xlo, xhi, 8, 1);
  // y: perplexity, log when it spans more than 10×.
  const ylo = Math.min(...all.map((p) => p.ppl)), yhi = Math.max(...all.map((p) => p.ppl));
  const log = yhi / ylo > 10;
  let ly0: number, ly1: number, yt: number[];
  if (log) {
    const pad = Math.log10(yhi / ylo) * 0.04;
    ly0 = Math.log10(ylo) - pad, ly1 = Math.log10(yhi) + pad;
    yt = logTicks(10 ** ly0, 10 ** ly1);
  } else {
    const pad = yhi > ylo ? (yhi - ylo) * 0.03 : Math.max(ylo * 0.05, 1);
    const ya = linearAxis(Math.max(0, ylo - pad), yhi + pad, 6, 0);
    ly0 = ya.d0, ly1 = ya.d1, yt = ya.ticks;
  }
  const fy = (v: number) => log ? Math.log10(v) : v;
  const sx = (v: number) => m.left + (v - xa.d0) / (xa.d1 - xa.d0) * pw;
  const sy = (v: number) => bottom - (fy(v) - ly0) / (ly1 - ly0) * ph;

  for (const t of yt) {
    const y = px(sy(t));
    out.push(
      `<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#eee"/>`,
      `<line x1="${m.left - 5}" y1="${y}" x2="${m.left}" y2="${y}" stroke="#444"/>`,
      `<text x="${m.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${
        formatTick(t)
      }</text>`,
    );
  }
  for (const t of xa.ticks) {
    const x = px(sx(t));
    out.push(
      `<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 5}" stroke="#444"/>`,
      `<text x="${x}" y="${bottom + 18}" text-anchor="middle">${formatTick(t)}</text>`,
    );
  }
  frame();
  axisLabels(log);

  const coords = (ps: PplPoint[]) => ps.map((p) => `${px(sx(p.step))},${px(sy(p.ppl))}`);
  if (tr.length > 0) {
    out.push(
      `<polyline fill="none" stroke="${TRAIN_COLOR}" stroke-width="1.5" ` +
        `stroke-linejoin="round" points="${coords(tr).join(" ")}"/>`,
    );
    if (tr.length === 1) {
      const [x, y] = coords(tr)[0].split(",");
      out.push(`<rect x="${+x - 3}" y="${+y - 3}" width="6" height="6" fill="${TRAIN_COLOR}"/>`);
    }
  }
  if (va.length > 1) {
    out.push(
      `<path fill="none" stroke="${VALID_COLOR}" stroke-width="1" stroke-dasharray="4 3" ` +
        `d="M${coords(va).join(" L")}"/>`,
    );
  }
  for (const p of va) {
    out.push(
      `<circle cx="${px(sx(p.step))}" cy="${px(sy(p.ppl))}" r="3.5" fill="${VALID_COLOR}"/>`,
    );
  }

  // Legend, top right, on a white box.
  const entries = (tr.length > 0 ? 1 : 0) + (va.length > 0 ? 1 : 0);
  const lx = m.left + pw - 112, ly = m.top + 8;
  out.push(
    `<rect x="${lx - 8}" y="${ly}" width="112" height="${entries * 18 + 8}" fill="white" ` +
      `fill-opacity="0.85" stroke="#ccc"/>`,
  );
  let row = ly + 14;
  if (tr.length > 0) {
    out.push(
      `<line x1="${lx}" y1="${row}" x2="${lx + 24}" y2="${row}" stroke="${TRAIN_COLOR}" ` +
        `stroke-width="2"/>`,
      `<text x="${lx + 30}" y="${row}" dominant-baseline="middle">train</text>`,
    );
    row += 18;
  }
  if (va.length > 0) {
    out.push(
      `<line x1="${lx}" y1="${row}" x2="${lx + 24}" y2="${row}" stroke="${VALID_COLOR}" ` +
        `stroke-dasharray="4 3"/>`,
      `<circle cx="${lx + 12}" cy="${row}" r="3.5" fill="${VALID_COLOR}"/>`,
      `<text x="${lx + 30}" y="${row}" dominant-baseline="middle">validation</text>`,
    );
  }
  out.push("</svg>");
  return out.join("\n");
}
