// The playground's words in English and Japanese. The language is `?lang=en|ja`, else the
// browser's (Japanese for `ja…`, else English); the page's switch changes it in place. Static
// text is marked `data-i18n="key"` in index.html; what the scripts write goes through `t()`.
// Error messages that come from the library stay English, as the CLI's do.

const WORDS = {
  en: {
    title: "saiki playground",
    sub: "Recurrent networks trained in this page: hand-written forward and backward passes, " +
      "WebAssembly SIMD kernels, the batch split across Web Workers.",
    modeLm: "language model (chapters 5–6)",
    modeSeq2seq: "seq2seq: addition and dates (chapters 7–8)",
    text: "Text",
    sampleText: "Sample text",
    modelTraining: "Model and training",
    cell: "cell",
    hidden: "hidden",
    wordvec: "wordvec",
    batch: "batch",
    time: "time",
    lr: "lr",
    clip: "clip",
    train: "Train",
    stop: "Stop",
    reset: "New model",
    download: "Download checkpoint",
    downloadOnnx: "Download ONNX",
    load: "load",
    sampled: "Sampled text",
    chartTitle: "training perplexity (log scale) by iteration",
    dataModel: "Data and model",
    data: "data",
    model: "model",
    dates: "dates (500-line sample)",
    addition: "addition (1,000-line sample)",
    reverse: "reverse the questions (7.4.1)",
    adamLr: "Adam lr",
    epochs: "epochs",
    ask: "Ask",
    answer: "Answer",
    random: "A test question",
    epoch: "epoch",
    loss: "loss",
    testAccuracy: "test accuracy",
    words: (n) => `${n} words`,
    threads: (n) => n === 1 ? "1 thread" : `${n} workers`,
    lmStats: (step, ppl, rate, threads, kernels) =>
      `iteration ${step} | perplexity ${ppl} | ${rate} tokens/s | ${threads} | kernels ${kernels}`,
    s2sStats: (epoch, loss, accuracy, extra, threads, kernels) =>
      `epoch ${epoch} | loss ${loss} | test accuracy ${accuracy}% | ${extra}${threads} | ` +
      `kernels ${kernels}`,
    questionsPerSec: (rate) => `${rate} questions/s | `,
    s2sInfo: (name, lines, train, test, width, answer) =>
      `${name}.txt's first ${lines} lines: ${train} questions to train on, ${test} to test; ` +
      `questions up to ${width} characters, answers ${answer}.`,
    byHeart:
      " So few sums are learnt by heart rather than generalised: expect a low test accuracy.",
    testAnswer: (expected, mark) => `   (a test question: the answer is ${expected} ${mark})`,
    attentionTitle: "attention: answer × question (lighter = more)",
    question: "question",
    answerAxis: "answer",
    trainFirst: "train a model first",
    typeQuestion: "type a question",
    error: (message) => `error: ${message}`,
    notIsolated: "this page is not cross-origin isolated: training runs on one thread",
    loaded: (file, cell, V) => `loaded ${file}: ${cell}, V ${V}`,
  },
  ja: {
    title: "saiki プレイグラウンド",
    sub: "このページの中で学習するリカレントネットワーク：順伝播と逆伝播は手書き、" +
      "カーネルは WebAssembly SIMD、ミニバッチは Web Worker に分けて計算します。",
    modeLm: "言語モデル（5〜6章）",
    modeSeq2seq: "seq2seq：足し算と日付（7〜8章）",
    text: "テキスト",
    sampleText: "サンプルのテキスト",
    modelTraining: "モデルと学習",
    cell: "セル",
    hidden: "隠れ層",
    wordvec: "単語ベクトル",
    batch: "バッチ",
    time: "時間長",
    lr: "学習率",
    clip: "勾配クリップ",
    train: "学習",
    stop: "停止",
    reset: "新しいモデル",
    download: "チェックポイントを保存",
    downloadOnnx: "ONNX で保存",
    load: "読み込み",
    sampled: "生成したテキスト",
    chartTitle: "学習時のパープレキシティ（対数目盛）、横軸は反復回数",
    dataModel: "データとモデル",
    data: "データ",
    model: "モデル",
    dates: "日付（先頭 500 行）",
    addition: "足し算（先頭 1,000 行）",
    reverse: "問題を逆順に入力する（7.4.1）",
    adamLr: "Adam の学習率",
    epochs: "エポック数",
    ask: "質問する",
    answer: "答える",
    random: "テスト問題を出す",
    epoch: "エポック",
    loss: "損失",
    testAccuracy: "テスト正解率",
    words: (n) => `${n} 語`,
    threads: (n) => n === 1 ? "1 スレッド" : `${n} ワーカー`,
    lmStats: (step, ppl, rate, threads, kernels) =>
      `反復 ${step} | パープレキシティ ${ppl} | ${rate} トークン/秒 | ${threads} | カーネル ${kernels}`,
    s2sStats: (epoch, loss, accuracy, extra, threads, kernels) =>
      `エポック ${epoch} | 損失 ${loss} | テスト正解率 ${accuracy}% | ${extra}${threads} | ` +
      `カーネル ${kernels}`,
    questionsPerSec: (rate) => `${rate} 問/秒 | `,
    s2sInfo: (name, lines, train, test, width, answer) =>
      `${name}.txt の先頭 ${lines} 行：学習に ${train} 問、テストに ${test} 問。問題は最大 ` +
      `${width} 文字、答えは ${answer} 文字です。`,
    byHeart: "足し算はこの量では一般化されず丸暗記になるので、テスト正解率は低めです。",
    testAnswer: (expected, mark) => `   （テスト問題：正解は ${expected} ${mark}）`,
    attentionTitle: "Attention：答え × 問題（明るいほど重い）",
    question: "問題",
    answerAxis: "答え",
    trainFirst: "先にモデルを学習してください",
    typeQuestion: "問題を入力してください",
    error: (message) => `エラー：${message}`,
    notIsolated: "このページは cross-origin isolated ではないため、学習は 1 スレッドで動きます",
    loaded: (file, cell, V) => `${file} を読み込みました：${cell}、語彙数 ${V}`,
  },
};

/** The languages the page speaks. */
export const LANGS = Object.keys(WORDS);

/** The language asked for by `?lang=`, else the browser's. */
function initialLang() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked !== null && asked in WORDS) return asked;
  return (navigator.language || "en").toLowerCase().startsWith("ja") ? "ja" : "en";
}

let lang = initialLang();
const listeners = [];

/** The page's language now: "en" or "ja". */
export function currentLang() {
  return lang;
}

/** A word or sentence of the current language; a function entry is called with `args`. */
export function t(key, ...args) {
  const entry = WORDS[lang][key] ?? WORDS.en[key];
  return typeof entry === "function" ? entry(...args) : entry;
}

/** Calls `fn` after each change of language (to rewrite what scripts wrote). */
export function onLangChange(fn) {
  listeners.push(fn);
}

/** Writes every `data-i18n` element's text in the current language. */
function apply() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  document.title = `${t("title")} — ${
    lang === "ja" ? "ブラウザで学習する RNN" : "train a recurrent language model in the browser"
  }`;
  const select = document.getElementById("lang");
  if (select) select.value = lang;
}

/** Switches the page to `next` ("en" or "ja"), keeping `?lang=` in the address. */
export function setLang(next) {
  if (!(next in WORDS)) return;
  lang = next;
  const url = new URL(location.href);
  url.searchParams.set("lang", next);
  history.replaceState(null, "", url);
  apply();
  for (const fn of listeners) fn();
}

apply();
document.getElementById("lang")?.addEventListener("change", (e) => setLang(e.target.value));
