// The playground: builds a model from the form, trains it with saiki's RnnlmTrainer (workers
// where the page is cross-origin isolated), draws the perplexity, samples text as it learns.
// `window.saikiStatus` mirrors what the page shows, for the browser test. The seq2seq mode
// (`?mode=seq2seq`, or the radio button) lives in seq2seq.js.
import { seq2seqMode } from "./seq2seq.js";
import { onLangChange, t } from "./i18n.js";
// the bundle `deno task build` writes (a computed URL: `deno check` runs before any build)
const saiki = await import(new URL("../dist/saiki.js", import.meta.url).href);

const $ = (id) => document.getElementById(id);
const status = {
  state: "loading",
  step: 0,
  ppl: NaN,
  tokensPerSec: 0,
  sample: "",
  threads: 1,
  kernels: saiki.getKernels().name,
  notice: "",
  error: "",
};
globalThis.saikiStatus = status;

/** The current run: model, trainer, vocabulary, data, history. */
let run = null;
let running = false;

const num = (id) => Number($(id).value);

function showError(e) {
  status.error = e instanceof Error ? e.message : String(e);
  $("notice").textContent = t("error", status.error);
}

/**
 * The text as ids; with a vocabulary (a loaded model's), a word it lacks is `<unk>` where the
 * vocabulary has it, else an error that says to start a new model.
 */
function corpus(vocab) {
  try {
    return saiki.corpusFromText($("text").value, vocab === undefined ? {} : { vocab });
  } catch (e) {
    throw new Error(`${e.message} (press "New model" to train on this text)`);
  }
}

function newRun(model, vocab, ids) {
  const batch = num("batch"), time = num("time");
  if (ids.length < batch * time + 1) {
    throw new Error(`the text has ${ids.length} words; batch × time needs ${batch * time + 1}`);
  }
  // two workers where the page can share memory; else the trainer runs on one thread, says why
  const workers = Math.min(2, navigator.hardwareConcurrency || 1);
  const trainer = new saiki.RnnlmTrainer(model, new saiki.SGD(num("lr")), { workers });
  // sampling uses a second model viewing the same parameters, so the training state is left alone
  const sampler = new saiki.LanguageModel(model.config, { paramBuffer: model.paramBuffer });
  return {
    model,
    vocab,
    trainer,
    sampler,
    xs: ids.subarray(0, -1),
    ts: ids.subarray(1),
    batch,
    time,
    history: [],
    lossSum: 0,
    count: 0,
    tokens: 0,
    since: performance.now(),
  };
}

function freshModel() {
  const { vocab, ids } = corpus();
  const model = new saiki.LanguageModel({
    vocabSize: vocab.size,
    wordvecSize: num("wordvec"),
    hiddenSize: num("hidden"),
    cell: $("cell").value,
    layers: 1,
    dropout: 0,
    tieWeights: false,
  }, { rng: new saiki.Rng(1), maskSeed: 1 });
  return newRun(model, vocab, ids);
}

function sample() {
  const { sampler, vocab } = run;
  const start = vocab.wordToId.get("<eos>") ?? 0;
  sampler.resetState();
  const skip = ["<unk>"].map((w) => vocab.wordToId.get(w)).filter((i) => i !== undefined);
  const ids = saiki.generate(sampler, start, {
    rng: new saiki.Rng(run.trainer.state.step),
    sampleSize: 40,
    skipIds: skip,
  });
  return ids.slice(1).map((i) => vocab.idToWord[i]).join(" ").replaceAll(" <eos> ", "\n")
    .replaceAll("<eos>", "\n").trim();
}

function draw() {
  const canvas = $("chart"), g = canvas.getContext("2d");
  const { width: W, height: H } = canvas;
  g.clearRect(0, 0, W, H);
  const pts = run?.history ?? [];
  g.fillStyle = "#666";
  g.font = "22px system-ui";
  g.fillText(t("chartTitle"), 16, 30);
  if (pts.length < 2) return;
  const maxStep = pts.at(-1).step, minStep = pts[0].step;
  const ys = pts.map((p) => Math.log(p.ppl));
  const lo = Math.min(...ys), hi = Math.max(...ys);
  const x = (s) => 60 + (W - 80) * (s - minStep) / Math.max(maxStep - minStep, 1);
  const y = (v) => H - 40 - (H - 90) * (v - lo) / Math.max(hi - lo, 1e-9);
  g.strokeStyle = "#2a6fdb";
  g.lineWidth = 3;
  g.beginPath();
  pts.forEach((p, i) => (i ? g.lineTo : g.moveTo).call(g, x(p.step), y(ys[i])));
  g.stroke();
  g.fillStyle = "#444";
  g.fillText(Math.exp(hi).toFixed(1), 4, y(hi) + 8);
  g.fillText(Math.exp(lo).toFixed(1), 4, y(lo));
  g.fillText(`${maxStep}`, W - 70, H - 10);
}

function report() {
  const now = performance.now();
  status.ppl = Math.exp(run.lossSum / run.count);
  status.tokensPerSec = run.tokens / ((now - run.since) / 1000);
  status.step = run.trainer.state.step;
  run.history.push({ step: status.step, ppl: status.ppl });
  run.lossSum = run.count = run.tokens = 0;
  run.since = now;
  status.sample = sample();
  $("sample").textContent = status.sample;
  showStats();
  draw();
}

/** The line under the chart: iteration, perplexity, tokens/s, threads, kernels. */
function showStats() {
  $("stats").textContent = status.step === 0 ? "—" : t(
    "lmStats",
    status.step,
    status.ppl.toFixed(2),
    Math.round(status.tokensPerSec).toLocaleString("en-US"),
    t("threads", status.threads),
    status.kernels,
  );
}

async function train() {
  if (running) return;
  try {
    run ??= freshModel();
    running = true;
    status.state = "training";
    $("train").disabled = true;
    $("stop").disabled = false;
    $("download").disabled = $("downloadOnnx").disabled = false;
    const { trainer, xs, ts, batch, time } = run;
    run.since = performance.now();
    const clip = num("clip") > 0 ? num("clip") : undefined;
    while (running) {
      const [bx, bt] = trainer.getBatch(xs, ts, batch, time);
      const { loss } = await trainer.step(bx, bt, clip); // advances trainer.state.step
      if (!Number.isFinite(loss)) throw new Error(`the loss is ${loss}: lower lr or set a clip`);
      run.lossSum += loss;
      run.count++;
      run.tokens += batch * time;
      if (trainer.state.step === 1) {
        status.threads = await trainer.threads();
        status.notice = trainer.notice;
        $("notice").textContent = trainer.notice;
      }
      if (trainer.state.step % 10 === 0) report();
      await new Promise((r) => setTimeout(r, 0)); // let the page draw and answer
    }
  } catch (e) {
    showError(e);
  } finally {
    running = false;
    status.state = "stopped";
    $("train").disabled = false;
    $("stop").disabled = true;
  }
}

/** Offers `bytes` as a file named `name`. */
function save(bytes, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** The model as a checkpoint `deno task generate` reads. */
function download() {
  const data = saiki.modelCheckpoint(run.model, {
    metadata: { vocab: JSON.stringify(run.vocab.idToWord) },
  });
  save(saiki.encodeSafetensors(data.tensors, data.metadata), "saiki-playground.safetensors");
}

/** The model as an ONNX model for ONNX Runtime (inputs ids, h0, c0; outputs logits, hn, cn). */
function downloadOnnx() {
  save(saiki.toOnnx(run.model, { vocab: run.vocab.idToWord }), "saiki-playground.onnx");
}

/**
 * A model and its words from a `.safetensors` file: a saiki checkpoint, or a PyTorch state dict
 * of `examples/torch/rnnlm.py`'s `RnnLM` (what `deno task export --to torch` and
 * `continue_ddp.py` write).
 */
function modelFromFile(bytes, name) {
  const data = saiki.decodeSafetensors(bytes, name);
  if (data.metadata.format === saiki.TORCH_FORMAT || "embed.weight" in data.tensors) {
    const { model, vocab } = saiki.fromTorchStateDict(data.tensors, {
      metadata: data.metadata,
      where: name,
    });
    return { model, words: vocab ?? null };
  }
  const model = saiki.modelFromCheckpoint(data, { where: name });
  return { model, words: JSON.parse(data.metadata.vocab ?? "null") };
}

async function load(file) {
  try {
    running = false;
    const { model, words } = modelFromFile(new Uint8Array(await file.arrayBuffer()), file.name);
    if (!Array.isArray(words) || words.length !== model.config.vocabSize) {
      throw new Error(`${file.name}: its "vocab" metadata does not match the model`);
    }
    await run?.trainer.close();
    const vocab = saiki.Vocabulary.fromWords(words);
    run = newRun(model, vocab, corpus(vocab).ids);
    status.sample = sample();
    $("sample").textContent = status.sample;
    $("notice").textContent = t("loaded", file.name, model.config.cell, words.length);
    $("download").disabled = $("downloadOnnx").disabled = false;
  } catch (e) {
    showError(e);
  }
}

async function reset() {
  running = false;
  await run?.trainer.close();
  run = null;
  status.step = 0;
  status.ppl = NaN;
  $("stats").textContent = "—";
  $("sample").textContent = "";
  draw();
}

async function sampleText() {
  $("text").value = await (await fetch("./sample.txt")).text();
  showTextInfo();
}

function showTextInfo() {
  $("textInfo").textContent = t("words", saiki.corpusFromText($("text").value).ids.length);
}

$("train").onclick = train;
$("stop").onclick = () => running = false;
$("reset").onclick = reset;
$("download").onclick = download;
$("downloadOnnx").onclick = downloadOnnx;
$("load").onchange = (e) => e.target.files[0] && load(e.target.files[0]);
$("sampleText").onclick = sampleText;
for (const id of ["cell", "hidden", "wordvec", "batch", "time", "lr", "text"]) {
  $(id).onchange = reset;
}
const seq2seq = seq2seqMode(saiki);
/** Shows one mode's half of the page; leaving a mode stops its training. */
function showMode(mode) {
  running = false;
  seq2seq.stop();
  $("lmMode").hidden = mode !== "lm";
  $("s2sMode").hidden = mode !== "seq2seq";
  $(mode === "lm" ? "modeLm" : "modeSeq2seq").checked = true;
}
for (const radio of document.querySelectorAll('input[name="mode"]')) {
  radio.onchange = () => showMode(radio.value);
}
showMode(new URLSearchParams(location.search).get("mode") === "seq2seq" ? "seq2seq" : "lm");
await sampleText();
if (!globalThis.crossOriginIsolated) {
  $("notice").textContent = t("notIsolated");
}
onLangChange(() => {
  draw();
  showStats();
  showTextInfo();
  if (!globalThis.crossOriginIsolated && status.step === 0) {
    $("notice").textContent = t("notIsolated");
  }
});
draw();
status.state = "ready";
