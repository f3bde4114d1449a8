/**
 * Charts as standalone SVG strings (no I/O, no DOM: runs anywhere): perplexity against
 * iteration, and the attention heat map of chapter 8.
 *
 * @module
 */

import { formatShape, SaikiError } from "../errors.ts";
import { describeValue, Tensor } from "../tensor.ts";

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
  /** The x axis's label (default "iteration"). */
  xLabel?: string;
  /** The y axis's label (default "perplexity"). */
  yLabel?: string;
  /** The validation curve's name in the legend (default "validation"). */
  validLabel?: string;
  /** A logarithmic y axis: `true`, `false` (values may then be 0), or by the values' span (default). */
  log?: boolean;
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
  const usable = (p: PplPoint) =>
    Number.isFinite(p.step) && Number.isFinite(p.ppl) &&
    (p.ppl > 0 || options.log === false && p.ppl === 0);
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
      `<text x="${px(m.left + pw / 2)}" y="${H - 12}" text-anchor="middle">${
        esc(options.xLabel ?? "iteration")
      }</text>`,
      `<text transform="translate(18 ${px(m.top + ph / 2)}) rotate(-90)" ` +
        `text-anchor="middle">${esc(options.yLabel ?? "perplexity")}${
          log ? " (log scale)" : ""
        }</text>`,
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
  const log = options.log ?? yhi / ylo > 10;
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
      `<text x="${lx + 30}" y="${row}" dominant-baseline="middle">${
        esc(options.validLabel ?? "validation")
      }</text>`,
    );
  }
  out.push("</svg>");
  return out.join("\n");
}

/** One epoch's accuracy. */
export interface AccuracyPoint {
  /** Epoch, from 1. */
  epoch: number;
  /** Fraction right, in [0, 1]. */
  accuracy: number;
}

/**
 * The test accuracy of a seq2seq run against epoch, in percent on a linear axis (the
 * reference's `train_seq2seq.py` plots it so); `compare` adds another run's accuracies as a
 * second curve (e.g. the unreversed baseline).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accuracyChartSvg } from "./plot.ts";
 * const svg = accuracyChartSvg([{ epoch: 1, accuracy: 0 }, { epoch: 2, accuracy: 0.5 }], {
 *   title: "addition, peeky",
 * });
 * assert(svg.includes(">epoch</text>") && svg.includes(">accuracy (%)</text>"));
 * assert.equal(svg.match(/<circle /g)!.length, 2 + 1); // two points and the legend's
 * ```
 */
export function accuracyChartSvg(
  points: AccuracyPoint[],
  options?: { title?: string; width?: number; height?: number },
): string {
  const pts = points.map((p) => ({ step: p.epoch, ppl: 100 * p.accuracy }));
  return perplexityChartSvg([], {
    ...options,
    title: options?.title ?? "accuracy",
    valid: pts,
    xLabel: "epoch",
    yLabel: "accuracy (%)",
    validLabel: "test accuracy",
    log: false,
  });
}

/** Options of {@linkcode attentionMapSvg}. */
export interface AttentionMapOptions {
  /** Title above the map (default: none). */
  title?: string;
  /** The x axis's title, under the column labels (default "input"). */
  xTitle?: string;
  /** The y axis's title, left of the row labels (default "output"). */
  yTitle?: string;
  /** Side of a cell in whole pixels (default 24, from 8 to 200). */
  cellSize?: number;
}

/** Approximate width of a character of the 12-pixel monospace labels, in pixels. */
const CHAR_W = 7.5;

/** A weight's grey, `Greys_r` from 0 (black) to 1 (white), clamped as `vmin=0, vmax=1` do. */
function grey(w: number): string {
  const g = Math.round(255 * Math.min(1, Math.max(0, w))).toString(16).padStart(2, "0");
  return `#${g}${g}${g}`;
}

/** Labels as a list: a string is split into its characters (code points). */
function labelList(name: string, labels: readonly string[] | string): string[] {
  if (typeof labels === "string") return Array.from(labels);
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== "string")) {
    throw new SaikiError(
      `attentionMapSvg: ${name} is ${describeValue(labels)}, expected a string or an array of ` +
        `strings`,
    );
  }
  return [...labels];
}

/** The weights as `rows × cols` numbers, after checking their shape against the labels. */
function mapValues(
  weights: Tensor | Float32Array | readonly number[],
  rows: number,
  cols: number,
): ArrayLike<number> {
  const labels = `(${rows} row labels, ${cols} column labels)`;
  if (weights instanceof Tensor) {
    const s = weights.shape;
    const ok = (s.length === 2 && s[0] === rows && s[1] === cols) ||
      (s.length === 3 && s[0] === 1 && s[1] === rows && s[2] === cols);
    if (!ok) {
      throw new SaikiError(
        `attentionMapSvg: weights has shape ${formatShape(s)}, expected ` +
          `${formatShape([rows, cols])} or ${formatShape([1, rows, cols])} ${labels}`,
      );
    }
    return weights.data;
  }
  if (!(weights instanceof Float32Array) && !Array.isArray(weights)) {
    throw new SaikiError(
      `attentionMapSvg: weights is ${describeValue(weights)}, expected a Tensor ` +
        `${formatShape([rows, cols])}, a Float32Array or an array of numbers`,
    );
  }
  if (weights.length !== rows * cols) {
    throw new SaikiError(
      `attentionMapSvg: weights has ${weights.length} values, expected ${rows}×${cols} = ` +
        `${rows * cols} ${labels}`,
    );
  }
  return Float32Array.from(weights); // numbers drawn as float32, as a Tensor's are
}

/**
 * The attention heat map of 8.4, as the reference's `ch08/visualize_attention.py` draws it
 * (matplotlib's `pcolor` with `cmap=Greys_r, vmin=0, vmax=1`, the y axis inverted): one
 * square cell per weight, **darker = less attention, lighter = more** — 0 is black, 1 white,
 * grey levels between, weights outside `[0, 1]` clamped — as in the book's figure 8-26, where
 * the characters the decoder attends to stand out white on black. Row `i` (top to bottom) is
 * output character `rowLabels[i]` (the answer), column `j` (left to right) input character
 * `colLabels[j]` (the question); the labels sit left of the rows and under the columns
 * (turned upright when longer than a cell is wide), with a scale from 0 to 1 on the right.
 * Each cell is a `<rect class="cell">` whose `<title>` (a tooltip) names its characters and
 * weight. Text is escaped for XML; spaces stay blank, as matplotlib leaves them.
 *
 * `weights` is a {@linkcode Tensor} `(rows, cols)` or `(1, rows, cols)` — an
 * `AttentionSeq2seq`'s `decoder.attentionMaps` after `generate` on one question — or
 * `rows × cols` numbers, row by row. Labels are arrays of strings, or strings of one
 * character per row or column. For a question the model read reversed (`reverse: true`),
 * reverse its columns and labels to show it as written, as the reference does
 * (`attention_map[:, ::-1]`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attentionMapSvg } from "./plot.ts";
 * import { tensor } from "../tensor.ts";
 * // two answer characters (rows) over three question characters (columns)
 * const svg = attentionMapSvg(tensor([[0.8, 0.2, 0], [0, 0.5, 0.5]]), "42", "6*7", {
 *   title: "attention",
 * });
 * assert.equal(svg.match(/<rect class="cell"/g)!.length, 6);
 * assert(svg.includes('fill="#cccccc"')); // 0.8: light grey
 * assert(svg.includes('fill="#000000"')); // 0: black
 * ```
 *
 * @example The map of a model's answer
 * ```ts
 * import assert from "node:assert/strict";
 * import { attentionMapSvg } from "./plot.ts";
 * import { AttentionSeq2seq } from "../models/seq2seq.ts";
 * import { IntTensor } from "../tensor.ts";
 * const chars = [..."0123456789+_ "];
 * const model = new AttentionSeq2seq(chars.length, 8, 16); // untrained
 * const question = [1, 2, 10, 3, 12]; // "12+3 "
 * const answer = model.generate(IntTensor.from([question]), 11, 4);
 * const svg = attentionMapSvg(
 *   model.decoder.attentionMaps!, // (1, 4, 5): answer × question
 *   answer.map((i) => chars[i]),
 *   question.map((i) => chars[i]),
 * );
 * assert.equal(svg.match(/<rect class="cell"/g)!.length, 4 * 5);
 * ```
 */
export function attentionMapSvg(
  weights: Tensor | Float32Array | readonly number[],
  rowLabels: readonly string[] | string,
  colLabels: readonly string[] | string,
  options?: AttentionMapOptions,
): string {
  options ??= {};
  const rl = labelList("rowLabels", rowLabels), cl = labelList("colLabels", colLabels);
  const rows = rl.length, cols = cl.length;
  if (rows === 0 || cols === 0) {
    throw new SaikiError(
      `attentionMapSvg: ${rows} row labels and ${cols} column labels, expected at least one of ` +
        `each`,
    );
  }
  const w = mapValues(weights, rows, cols);
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) {
      throw new SaikiError(
        `attentionMapSvg: weights holds ${w[i]} at row ${Math.floor(i / cols)}, column ` +
          `${i % cols}, expected finite numbers`,
      );
    }
  }
  const cell = options.cellSize ?? 24;
  if (!Number.isInteger(cell) || cell < 8 || cell > 200) {
    throw new SaikiError(`attentionMapSvg: cellSize is ${cell}, expected an integer in [8, 200]`);
  }
  const textW = (labels: string[]) => Math.max(...labels.map((l) => Array.from(l).length)) * CHAR_W;
  const upright = textW(cl) > cell - 2; // column labels too wide for a cell: turned
  const title = options.title ?? "";
  const m = {
    left: Math.ceil(30 + textW(rl) + 6), // whole pixels: no seams between cells
    top: title === "" ? 12 : 36,
    bottom: (upright ? textW(cl) + 8 : 18) + 26,
    right: 56,
  };
  const gw = cols * cell, gh = rows * cell;
  const barH = Math.max(gh, 60);
  const W = Math.ceil(m.left + gw + m.right), H = Math.ceil(m.top + Math.max(gh, barH) + m.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" ` +
    `viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  if (title !== "") {
    out.push(
      `<text x="${px(m.left + gw / 2)}" y="22" text-anchor="middle" font-size="15">${
        esc(title)
      }</text>`,
    );
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = w[r * cols + c];
      out.push(
        `<rect class="cell" x="${px(m.left + c * cell)}" y="${px(m.top + r * cell)}" ` +
          `width="${cell}" height="${cell}" fill="${grey(v)}" shape-rendering="crispEdges"><title>${
            esc(rl[r])
          } ← ${esc(cl[c])}: ${Number(v.toFixed(4))}</title></rect>`,
      );
    }
  }
  out.push(
    `<rect x="${px(m.left)}" y="${px(m.top)}" width="${gw}" height="${gh}" fill="none" ` +
      `stroke="#444"/>`,
  );
  // labels: rows left of the grid, columns under it
  const mono = `font-family="monospace"`;
  for (let r = 0; r < rows; r++) {
    out.push(
      `<text class="row-label" x="${px(m.left - 6)}" y="${px(m.top + (r + 0.5) * cell)}" ` +
        `text-anchor="end" dominant-baseline="middle" ${mono}>${esc(rl[r])}</text>`,
    );
  }
  const below = m.top + gh + 6;
  for (let c = 0; c < cols; c++) {
    const x = px(m.left + (c + 0.5) * cell);
    out.push(
      upright
        ? `<text class="col-label" transform="translate(${x} ${px(below)}) rotate(-90)" ` +
          `text-anchor="end" dominant-baseline="middle" ${mono}>${esc(cl[c])}</text>`
        : `<text class="col-label" x="${x}" y="${px(below + 6)}" text-anchor="middle" ` +
          `dominant-baseline="middle" ${mono}>${esc(cl[c])}</text>`,
    );
  }
  out.push(
    `<text x="${px(m.left + gw / 2)}" y="${H - 10}" text-anchor="middle">${
      esc(options.xTitle ?? "input")
    }</text>`,
    `<text transform="translate(16 ${px(m.top + Math.max(gh, barH) / 2)}) rotate(-90)" ` +
      `text-anchor="middle">${esc(options.yTitle ?? "output")}</text>`,
  );
  // the scale: ten steps from 1 (white, top) to 0 (black, bottom)
  const bx = m.left + gw + 14, step = barH / 10;
  for (let k = 0; k < 10; k++) {
    out.push(
      `<rect class="scale" x="${px(bx)}" y="${px(m.top + k * step)}" width="12" ` +
        `height="${px(step + 0.5)}" fill="${grey(1 - (k + 0.5) / 10)}"/>`,
    );
  }
  out.push(
    `<rect x="${px(bx)}" y="${px(m.top)}" width="12" height="${px(barH)}" fill="none" ` +
      `stroke="#444"/>`,
    `<text x="${px(bx + 16)}" y="${px(m.top + 5)}" dominant-baseline="middle">1</text>`,
    `<text x="${px(bx + 16)}" y="${px(m.top + barH - 5)}" dominant-baseline="middle">0</text>`,
    "</svg>",
  );
  return out.join("\n");
}
