/**
 * Every string the exercise checker prints, one table per language ({@linkcode MESSAGES}),
 * and the rendering of a report with them ({@linkcode renderReport}). The checks themselves
 * (`report.ts`) hold no text.
 *
 * @module
 */

import type { Tolerance } from "./compare.ts";
import type { CheckResult, ExerciseReport, Hint, Problem } from "./report.ts";

/** The languages of the messages. */
export type Lang = "ja" | "en";

/** The languages, in the order `--lang` lists them. */
export const LANGS: readonly Lang[] = ["ja", "en"];

/**
 * The language the environment asks for: Japanese when `LC_ALL` (or, when it is unset or
 * empty, `LANG`) starts with `ja`, as `ja_JP.UTF-8` does; else English.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { langFromEnv } from "./messages.ts";
 * assert.equal(langFromEnv({ LANG: "ja_JP.UTF-8" }), "ja");
 * assert.equal(langFromEnv({ LANG: "ja_JP.UTF-8", LC_ALL: "C" }), "en"); // LC_ALL wins
 * assert.equal(langFromEnv({}), "en");
 * ```
 */
export function langFromEnv(env: { LANG?: string; LC_ALL?: string }): Lang {
  const locale = env.LC_ALL ? env.LC_ALL : env.LANG ?? "";
  return locale.startsWith("ja") ? "ja" : "en";
}

/** One language's strings: fixed texts, and templates as functions. */
export interface Messages {
  /** One line per exercise for the list, by exercise name. */
  exercises: Record<string, string>;
  /** The list's first line. */
  listHeading: string;
  /** The list's last line: where the model answers are. */
  answers: string;
  /** The `usage:` line. */
  usage: string;
  /** Before a usage line. */
  usageLabel: string;
  /** Before an error. */
  errorLabel: string;
  /** `--help` texts of the flags. */
  flags: { lang: string; file: string; help: string };
  /** The first line of a report. */
  heading(name: string, description: string, file: string): string;
  /** A method whose results match. */
  pass(subject: string, arrays: readonly string[]): string;
  /** A gradient check's name. */
  gradients(className: string): string;
  /** A gradient check that passed. */
  gradientsPass(arrays: readonly string[]): string;
  /** The experiment's name (the SimpleRNN exercise's problem 2). */
  experiment: string;
  /** A check not run. */
  skip(needs: string): string;
  /** The skeleton's method, untouched. */
  todo: string;
  /** The learner's code threw. */
  threw(name: string, message: string, at: string | undefined): string;
  /** A method that is not there. */
  noMethod(method: string): string;
  /** A module without the class. */
  noClass(className: string, exported: string[]): string;
  /** A call that does not return the list it should. */
  notList(names: string[], got: string): string;
  /** A result that is not an array. */
  notArray(array: string, got: string): string;
  /** A result of another shape. */
  shape(array: string, actual: number[], expected: number[]): string;
  /** A value that differs (the numbers already formatted). */
  differs(array: string, index: number[], actual: string, expected: string, tol: string): string;
  /** The other arrays that differ too. */
  others(arrays: string[]): string;
  /** A tolerance. */
  tolerance(rtol: string, atol: string): string;
  /** An analytic gradient against central differences. */
  gradient(
    array: string,
    index: number[],
    analytic: string,
    numeric: string,
    error: string,
    bound: string,
  ): string;
  /** `grads[i]` replaced by a new array. */
  replaced(index: number, array: string): string;
  /** The experiment printed another line. */
  printed(actual: string, expected: string): string;
  /** Before a hint. */
  hint: string;
  /** Before a hint whose mistake the values match. */
  detected: string;
  /** The hints. */
  hints: Record<Hint, string>;
  /** The last line when something failed. */
  summary(passed: number, total: number): string;
  /** The last line when everything passed. */
  allPassed: string;
  /** An exercise name that does not exist. */
  unknownExercise(name: string): string;
  /** More than one exercise named. */
  oneExercise: string;
  /** A bad command line (the parser's English message, translated where known). */
  usageError(message: string): string;
  /** The learner's file is not there. */
  noFile(path: string): string;
  /** The learner's file may not be read. */
  denied(path: string): string;
  /** The learner's file does not load. */
  importFailed(path: string, message: string): string;
  /** `--file` without an exercise name. */
  fileWithoutName: string;
  /** A reference fixture that cannot be read (a broken checkout). */
  noFixture(path: string, message: string): string;
}

const ja: Messages = {
  exercises: {
    rnn: "RNN レイヤ（1 時刻分）: h_next = tanh(h_prev·Wh + x·Wx + b) の順伝播と逆伝播",
    time_rnn: "TimeRNN レイヤ: RNN レイヤを T 個つなげる（stateful、勾配は全時刻の和）",
    lstm: "LSTM レイヤ（1 時刻分）: ゲート f, g, i, o と記憶セル c",
    time_lstm: "TimeLSTM レイヤ: LSTM レイヤを T 個つなげ、h と c を次の時刻に渡す",
    simple_rnn:
      "SimpleRNN の課題（問題 1〜3）: 順伝播、小さな配列での実験、逆伝播と重みの更新（float64）",
    time_softmax_with_loss:
      "TimeSoftmaxWithLoss レイヤ: 各時刻の交差エントロピーの平均（ラベル −1 は数えない）",
    attention: "Attention レイヤ: 重み a = softmax(hs·h) と重み付き和 c = Σ_t a·hs",
  },
  listHeading: "演習の一覧（deno task exercise <名前> で、exercises/<名前>.ts を確かめます）:",
  answers: "模範解答は exercises/answers/<名前>.ts にあります（例: deno task exercise rnn --file " +
    "exercises/answers/rnn.ts）",
  usage: "deno task exercise [<名前>] [--lang ja|en] [--file パス]",
  usageLabel: "使い方",
  errorLabel: "エラー",
  flags: {
    lang: "表示の言語（既定: LANG / LC_ALL が ja で始まれば ja、それ以外は en）",
    file: "確かめるファイル（既定: exercises/<名前>.ts、リポジトリの中のパス）",
    help: "このヘルプを表示する",
  },
  heading: (name, description, file) => `${name} — ${description}\n  ファイル: ${file}`,
  pass: (subject, arrays) => `${subject}: ${arrays.join(", ")} は一致しました`,
  gradients: (className) => `${className} の勾配確認`,
  gradientsPass: (arrays) => `${arrays.join(", ")} は数値微分と一致しました`,
  experiment: "【問題2】小さな配列での実験",
  skip: (needs) => `確かめていません（先に ${needs} が動くようにしてください）`,
  todo: "未実装です",
  threw: (name, message, at) =>
    `エラーが発生しました: ${name ? `${name}: ` : ""}${message}${at ? `（${at}）` : ""}`,
  noMethod: (method) => `メソッド ${method} がありません`,
  noClass: (className, exported) =>
    `クラス ${className} が export されていません` +
    (exported.length > 0 ? `（export されているもの: ${exported.join(", ")}）` : ""),
  notList: (names, got) => `[${names.join(", ")}] を返してください（返り値: ${got}）`,
  notArray: (array, got) => `${array} が配列（Tensor）ではありません: ${got}`,
  shape: (array, actual, expected) =>
    `${array} の形が [${actual.join(", ")}] です（期待値 [${expected.join(", ")}]）`,
  differs: (array, index, actual, expected, tol) =>
    `${array} が${index.length > 0 ? ` [${index.join(", ")}] で` : ""}異なります: ${actual}` +
    `（期待値 ${expected}、${tol}）`,
  others: (arrays) => `。${arrays.join(", ")} も異なります`,
  tolerance: (rtol, atol) => `許容誤差 相対 ${rtol} + 絶対 ${atol}`,
  gradient: (array, index, analytic, numeric, error, bound) =>
    `${array} [${index.join(", ")}] が数値微分と合いません: backward は ${analytic}、数値微分は ` +
    `${numeric}（相対誤差 ${error} > ${bound}）`,
  replaced: (index, array) =>
    `値は正しいですが、grads[${index}]（${array}）が新しい配列に置き換わっています。` +
    `this.grads[${index}].copyFrom(${array}) のように同じ配列に書き込みましょう` +
    `（本の self.grads[${index}][...] = ${array}。optimizer はこの配列を持ち続けます）`,
  printed: (actual, expected) => `出力が ${actual} です（期待値 ${expected}）`,
  hint: " — ヒント: ",
  detected: " — よくある間違いと同じ値です: ",
  hints: {
    rnnForward:
      "h_next = tanh(h_prev·Wh + x·Wx + b) です。matmul の順序と b の足し方を確かめましょう",
    rnnBackward:
      "dt = dh_next ⊙ (1 − h_next²) から、db = Σ_rows dt、dWh = h_prevᵀ·dt、dh_prev = dt·Whᵀ、" +
      "dWx = xᵀ·dt、dx = dt·Wxᵀ です",
    whTransposed:
      "Wh が転置になっていませんか？ 順伝播は h_prev·Wh、逆伝播は dh_prev = dt·Whᵀ です",
    gradTransposed: "勾配が転置になっています: dWh = h_prevᵀ·dt（h_prev.T が左）です",
    timeForward: "時刻 t ごとに h = RNN.forward(xs[:, t, :], h) を計算し、hs[:, t, :] に入れます",
    upstreamDh:
      "上流からの dh（時刻 t + 1 から流れてくる勾配）を dhs[:, t, :] に足してから、セルの backward を" +
      "呼んでいますか？",
    dcCarry: "時刻 t + 1 の backward が返した dc_prev を、時刻 t の dc_next として渡していますか？",
    gradsSummed:
      "Wx, Wh, b の勾配を全時刻について足し合わせていますか？（grads[i] += layer.grads[i]）",
    stateful:
      "stateful が true のときは、前回の forward の最後の h（と c）から始めます（ゼロに戻さない）",
    notStateful: "stateful が false のときは、forward のたびに h（と c）をゼロから始めます",
    gateOrder:
      "ゲートの順序は f, g, i, o です: A[:, :H] が f、A[:, H:2H] が g、A[:, 2H:3H] が i、" +
      "A[:, 3H:] が o（dA も同じ順に並べる）",
    lstmForward: "A = x·Wx + h_prev·Wh + b を f, g, i, o の 4 つに分け、c_next = f⊙c_prev + g⊙i、" +
      "h_next = o⊙tanh(c_next) です",
    lstmBackward:
      "ds = dc_next + dh_next⊙o⊙(1 − tanh²(c_next))、dc_prev = ds⊙f、dA = [df, dg, di, do] です",
    countedMean: "平均は無視するラベル（−1）以外の位置の数で割ります（N·T ではありません）",
    notMean: "損失は合計ではなく平均です: 数えた位置の数で割りましょう",
    ignoredZero: "無視するラベル（−1）の位置の勾配は 0 です（dx *= mask）",
    attentionSoftmax: "重みは s = Σ_H hs⊙h の softmax（T 個の位置について、和が 1）です",
    attentionPaths:
      "hs は重みの計算と重み付き和の 2 か所で使われます: dhs は両方の経路からの勾配の和です",
    float32:
      "float32 で計算していませんか？ この課題の NumPy は float64 で計算します（Float64Array を使う）",
    simpleForward:
      "a_t = x_t·Wx + h_{t−1}·Wh + B、h_t = tanh(a_t) を時刻の順に計算し、最後の h を返します",
    simpleCarry:
      "∂L/∂h_t は出力からの誤差と次の時刻からの誤差の合計です: ∂L/∂h_{t−1} = ∂h_t/∂a_t·Whᵀ を" +
      "前の時刻へ渡していますか？",
    simpleUpdate:
      "勾配を求めたあと W' = W − α·∂L/∂W で Wx, Wh, B を更新します（grads には更新前の勾配を残す）",
  },
  summary: (passed, total) => `${total} 件中 ${passed} 件合格`,
  allPassed: "すべて合格です！",
  unknownExercise: (name) => `演習「${name}」はありません`,
  oneExercise: "演習の名前は 1 つだけ指定してください",
  usageError: (message) => {
    const flag = message.match(/^unknown flag (.+)$/);
    if (flag) return `不明なフラグです: ${flag[1]}`;
    const value = message.match(/^(--\S+) needs a value$/);
    if (value) return `${value[1]} には値が必要です`;
    return `コマンドラインの誤り: ${message}`;
  },
  noFile: (path) => `ファイル ${path} がありません`,
  denied: (path) =>
    `ファイル ${path} を読めません: deno task exercise はリポジトリの中のファイルだけを読みます`,
  importFailed: (path, message) => `ファイル ${path} を読み込めませんでした:\n${message}`,
  fileWithoutName:
    "--file には演習の名前も指定してください（deno task exercise <名前> --file パス）",
  noFixture: (path, message) => `参照値のファイル ${path} を読めません: ${message}`,
};

const en: Messages = {
  exercises: {
    rnn: "the RNN cell: h_next = tanh(h_prev·Wh + x·Wx + b), forward and backward",
    time_rnn: "TimeRNN: T RNN cells in a row (stateful; gradients summed over time)",
    lstm: "the LSTM cell: the gates f, g, i, o and the cell state c",
    time_lstm: "TimeLSTM: T LSTM cells in a row, h and c carried from step to step",
    simple_rnn:
      "the SimpleRNN exercise (problems 1–3): forward, the small-array experiment, backward and " +
      "the update (float64)",
    time_softmax_with_loss:
      "TimeSoftmaxWithLoss: the mean cross-entropy over the timesteps (label −1 not counted)",
    attention: "Attention: the weights a = softmax(hs·h) and the weighted sum c = Σ_t a·hs",
  },
  listHeading: "Exercises (deno task exercise <name> checks exercises/<name>.ts):",
  answers: "Model answers are in exercises/answers/<name>.ts (try deno task exercise rnn --file " +
    "exercises/answers/rnn.ts)",
  usage: "deno task exercise [<name>] [--lang ja|en] [--file PATH]",
  usageLabel: "usage",
  errorLabel: "error",
  flags: {
    lang: "language of the messages (default: ja when LANG / LC_ALL starts with ja, else en)",
    file: "the file to check (default: exercises/<name>.ts; a path inside the repository)",
    help: "show this help",
  },
  heading: (name, description, file) => `${name} — ${description}\n  file: ${file}`,
  pass: (subject, arrays) => `${subject}: ${arrays.join(", ")} match`,
  gradients: (className) => `${className} gradient check`,
  gradientsPass: (arrays) => `${arrays.join(", ")} agree with central differences`,
  experiment: "Problem 2: the small-array experiment",
  skip: (needs) => `not checked yet (${needs} has to run first)`,
  todo: "not implemented yet",
  threw: (name, message, at) =>
    `threw ${name ? `${name}: ` : ""}${message}${at ? ` (at ${at})` : ""}`,
  noMethod: (method) => `there is no method ${method}`,
  noClass: (className, exported) =>
    `the file does not export a class ${className}` +
    (exported.length > 0 ? ` (it exports ${exported.join(", ")})` : ""),
  notList: (names, got) => `expected it to return [${names.join(", ")}], got ${got}`,
  notArray: (array, got) => `${array} is not an array (a Tensor): ${got}`,
  shape: (array, actual, expected) =>
    `${array} has shape [${actual.join(", ")}], expected [${expected.join(", ")}]`,
  differs: (array, index, actual, expected, tol) =>
    `${array} differs${index.length > 0 ? ` at [${index.join(", ")}]` : ""}: ${actual} vs ` +
    `${expected} (expected; ${tol})`,
  others: (arrays) => `; ${arrays.join(", ")} differ too`,
  tolerance: (rtol, atol) => `tolerance ${rtol} relative + ${atol} absolute`,
  gradient: (array, index, analytic, numeric, error, bound) =>
    `${array} at [${index.join(", ")}] disagrees with central differences: backward gives ` +
    `${analytic}, the numerical gradient ${numeric} (relative error ${error} > ${bound})`,
  replaced: (index, array) =>
    `the values are right, but grads[${index}] (${array}) was replaced by a new array: write ` +
    `into the one the layer made, this.grads[${index}].copyFrom(${array}) (the book's ` +
    `self.grads[${index}][...] = ${array}; optimizers keep hold of that array)`,
  printed: (actual, expected) => `printed ${actual}, expected ${expected}`,
  hint: " — ",
  detected: " — your values match a typical mistake: ",
  hints: {
    rnnForward: "h_next = tanh(h_prev·Wh + x·Wx + b): check the order of each matmul and the bias",
    rnnBackward:
      "from dt = dh_next ⊙ (1 − h_next²): db = Σ_rows dt, dWh = h_prevᵀ·dt, dh_prev = dt·Whᵀ, " +
      "dWx = xᵀ·dt, dx = dt·Wxᵀ",
    whTransposed: "is Wh transposed? forward uses h_prev·Wh, backward dh_prev = dt·Whᵀ",
    gradTransposed: "the gradient is transposed: dWh = h_prevᵀ·dt (h_prev.T on the left)",
    timeForward: "for each t, h = RNN.forward(xs[:, t, :], h) goes into hs[:, t, :]",
    upstreamDh:
      "is the upstream dh (the gradient coming back from step t + 1) added to dhs[:, t, :] " +
      "before the cell's backward?",
    dcCarry: "is the dc_prev returned by step t + 1's backward passed as step t's dc_next?",
    gradsSummed:
      "are the gradients of Wx, Wh and b summed over all timesteps (grads[i] += layer.grads[i])?",
    stateful:
      "with stateful = true, forward starts from the h (and c) the last forward ended with, not " +
      "from zeros",
    notStateful: "with stateful = false, every forward starts h (and c) from zeros",
    gateOrder:
      "the gates are packed in the order f, g, i, o: A[:, :H] is f, A[:, H:2H] g, A[:, 2H:3H] " +
      "i, A[:, 3H:] o (and dA in the same order)",
    lstmForward: "A = x·Wx + h_prev·Wh + b cut into f, g, i, o; c_next = f⊙c_prev + g⊙i, " +
      "h_next = o⊙tanh(c_next)",
    lstmBackward:
      "ds = dc_next + dh_next⊙o⊙(1 − tanh²(c_next)), dc_prev = ds⊙f, dA = [df, dg, di, do]",
    countedMean: "the mean is over the counted positions (labels other than −1), not over all N·T",
    notMean: "the loss is a mean, not a sum: divide by the number of counted positions",
    ignoredZero: "positions labelled −1 (ignored) get a zero gradient (dx *= mask)",
    attentionSoftmax:
      "the weights are the softmax of s = Σ_H hs⊙h over the T positions (summing to 1)",
    attentionPaths:
      "hs is used twice, in the weights and in the weighted sum: dhs is the sum of the gradients " +
      "of both paths",
    float32: "computed in float32? The exercise's NumPy computes in float64 (use Float64Array)",
    simpleForward:
      "a_t = x_t·Wx + h_{t−1}·Wh + B, h_t = tanh(a_t), step after step; return the last h",
    simpleCarry: "∂L/∂h_t is the sum of the output's error and the next step's: is ∂L/∂h_{t−1} = " +
      "∂h_t/∂a_t·Whᵀ passed back to the step before?",
    simpleUpdate:
      "after the gradients, update Wx, Wh and B: W' = W − α·∂L/∂W (grads keep the gradients " +
      "from before the update)",
  },
  summary: (passed, total) => `${passed} of ${total} checks passed`,
  allPassed: "All checks passed!",
  unknownExercise: (name) => `there is no exercise "${name}"`,
  oneExercise: "name one exercise only",
  usageError: (message) => message,
  noFile: (path) => `there is no file ${path}`,
  denied: (path) =>
    `cannot read ${path}: deno task exercise reads files inside the repository only`,
  importFailed: (path, message) => `${path} does not load:\n${message}`,
  fileWithoutName: "--file needs an exercise name too (deno task exercise <name> --file PATH)",
  noFixture: (path, message) => `cannot read the reference fixture ${path}: ${message}`,
};

/**
 * The strings, by language.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MESSAGES } from "./messages.ts";
 * assert.equal(MESSAGES.ja.todo, "未実装です");
 * assert.equal(MESSAGES.en.todo, "not implemented yet");
 * ```
 */
export const MESSAGES: Readonly<Record<Lang, Messages>> = { ja, en };

/**
 * A number for a message, with as many digits as it takes to tell it from `other` (at least
 * 4 significant digits, at most 9).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatNumber } from "./messages.ts";
 * assert.equal(formatNumber(0.14121234, 0.13981234), "0.1412");
 * assert.equal(formatNumber(0.14121234, 0.14124), "0.14121");
 * assert.equal(formatNumber(NaN, 1), "NaN");
 * ```
 */
export function formatNumber(value: number, other: number): string {
  if (!Number.isFinite(value)) return String(value);
  for (let p = 4; p < 9; p++) {
    const a = value.toPrecision(p);
    if (!Number.isFinite(other) || a !== other.toPrecision(p)) return String(Number(a));
  }
  return String(Number(value.toPrecision(9)));
}

/** `1e-4` for 0.0001. */
function formatTolerance(t: Tolerance, m: Messages): string {
  return m.tolerance(t.rtol.toExponential(), t.atol.toExponential());
}

/** What went wrong, in words; `file` is the learner's file as shown. */
function describeProblem(p: Problem, m: Messages, file: string): string {
  switch (p.kind) {
    case "todo":
      return m.todo;
    case "threw":
      return m.threw(
        p.name,
        p.message,
        p.line === undefined ? undefined : `${file}:${p.line}:${p.column}`,
      );
    case "noMethod":
      return m.noMethod(p.method);
    case "noClass":
      return m.noClass(p.className, p.exported);
    case "notList":
      return m.notList(p.names, p.got);
    case "notArray":
      return m.notArray(p.array, p.got);
    case "shape":
      return m.shape(p.array, p.actual, p.expected);
    case "differs": {
      const text = m.differs(
        p.array,
        p.index,
        formatNumber(p.actual, p.expected),
        formatNumber(p.expected, p.actual),
        formatTolerance(p.tolerance, m),
      );
      const others = p.others.length > 0 ? m.others(p.others) : "";
      const hint = p.hint === undefined ? "" : (p.detected ? m.detected : m.hint) + m.hints[p.hint];
      return text + others + hint;
    }
    case "gradient":
      return m.gradient(
        p.array,
        p.index,
        formatNumber(p.analytic, p.numeric),
        formatNumber(p.numeric, p.analytic),
        p.error.toExponential(1),
        p.bound.toExponential(),
      );
    case "replaced":
      return m.replaced(p.index, p.array);
    case "printed":
      return m.printed(p.actual, p.expected);
  }
}

/**
 * One check as a line: `✓` passed, `✗` failed, `–` not run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderResult } from "./messages.ts";
 * import type { CheckResult } from "./report.ts";
 * const todo: CheckResult = {
 *   subject: "RNN.forward", kind: "method", status: "fail", arrays: [], problem: { kind: "todo" },
 * };
 * assert.equal(renderResult(todo, "ja", "rnn.ts"), "  ✗ RNN.forward: 未実装です");
 * assert.equal(renderResult(todo, "en", "rnn.ts"), "  ✗ RNN.forward: not implemented yet");
 * ```
 */
export function renderResult(result: CheckResult, lang: Lang, file: string): string {
  const m = MESSAGES[lang];
  const subject = result.kind === "gradients"
    ? m.gradients(result.subject)
    : result.kind === "experiment"
    ? m.experiment
    : result.subject;
  if (result.status === "skip") return `  – ${subject}: ${m.skip(result.needs ?? "")}`;
  if (result.status === "fail") {
    return `  ✗ ${subject}: ${describeProblem(result.problem!, m, file)}`;
  }
  if (result.kind === "gradients") return `  ✓ ${subject}: ${m.gradientsPass(result.arrays)}`;
  if (result.kind === "experiment") return `  ✓ ${subject}: ${result.output ?? ""}`;
  return `  ✓ ${m.pass(subject, result.arrays)}`;
}

/**
 * A whole report: the heading, a line per check, the summary.
 *
 * @param section the book's section (`"5.3.2"`), or `""`
 * @param file the learner's file as shown (`"exercises/rnn.ts"`)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderReport } from "./messages.ts";
 * import type { ExerciseReport } from "./report.ts";
 * const report: ExerciseReport = {
 *   exercise: "rnn",
 *   results: [{ subject: "RNN.forward", kind: "method", status: "pass", arrays: ["h_next"] }],
 * };
 * const lines = renderReport(report, "5.3.1", "en", "exercises/rnn.ts");
 * assert.equal(lines.at(-1), "All checks passed!");
 * assert(lines.includes("  ✓ RNN.forward: h_next match"));
 * ```
 */
export function renderReport(
  report: ExerciseReport,
  section: string,
  lang: Lang,
  file: string,
): string[] {
  const m = MESSAGES[lang];
  const description = m.exercises[report.exercise] ?? "";
  const lines = [
    m.heading(report.exercise, section ? `${section} ${description}` : description, file),
    ...report.results.map((r) => renderResult(r, lang, file)),
  ];
  const passed = report.results.filter((r) => r.status === "pass").length;
  const total = report.results.length;
  lines.push(total > 0 && passed === total ? m.allPassed : m.summary(passed, total));
  return lines;
}
