// The playground's seq2seq mode (chapters 7–8): trains Seq2seq, PeekySeq2seq or AttentionSeq2seq
// on the shipped sample of the addition or date data set, lists the loss and the test accuracy of
// every epoch, and answers typed questions, with the attention map for the attention model.
// `globalThis.saikiSeq2seq` mirrors what the page shows, for the browser test.

import { onLangChange, t } from "./i18n.js";

/** Sets the mode up on the page's `s2s…` elements; returns `stop()`, which stops training. */
export function seq2seqMode(saiki) {
  const $ = (id) => document.getElementById(id);
  const num = (id) => Number($(id).value);
  const status = {
    state: "ready",
    epoch: 0,
    loss: NaN,
    accuracy: NaN,
    history: [],
    answer: "",
    threads: 1,
    error: "",
  };
  globalThis.saikiSeq2seq = status;

  /** The current run: data, model, trainer, what the question box checks against. */
  let run = null;
  let running = false;

  function newRun() {
    const name = $("s2sData").value, reverse = $("s2sReverse").checked;
    const data = saiki.sequenceSample(name, { reverse });
    const { vocab, xTrain, xTest, tTest } = data;
    const model = saiki.seq2seqModel({
      model: $("s2sModel").value,
      vocabSize: vocab.size,
      wordvecSize: num("s2sWordvec"),
      hiddenSize: num("s2sHidden"),
    }, { rng: new saiki.Rng(1) });
    // two workers pay for batches of 32 and more; below, handing shards over costs more
    const workers = num("s2sBatch") >= 32 ? Math.min(2, navigator.hardwareConcurrency || 1) : 1;
    const trainer = new saiki.Trainer(model, new saiki.Adam(num("s2sLr")), { workers });
    // answers come from a second model viewing the same parameters: asking never disturbs a step
    const answerer = saiki.seq2seqModel(model.config, { paramBuffer: model.paramBuffer });
    const width = xTrain.shape[1];
    const question = (x, i) => {
      const ids = x.data.slice(i * width, (i + 1) * width);
      return vocab.decode(reverse ? ids.reverse() : ids);
    };
    // every test question as written → its answer, to say whether the model got it right
    const tests = new Map();
    for (let i = 0; i < xTest.shape[0]; i++) {
      tests.set(question(xTest, i).trimEnd(), vocab.decode(tTest.rows(i, i + 1)).slice(1).trim());
    }
    const info = () =>
      t(
        "s2sInfo",
        name,
        (xTrain.shape[0] + xTest.shape[0]).toLocaleString("en-US"),
        xTrain.shape[0],
        xTest.shape[0],
        width,
        tTest.shape[1] - 1,
      ) + (name === "addition" ? t("byHeart") : "");
    $("s2sInfo").textContent = info();
    return {
      info,
      name,
      reverse,
      data,
      answerer,
      trainer,
      tests,
      width,
      question,
      chars: new Set(vocab.decode(xTrain)), // the characters questions are written with
      answerWidth: tTest.shape[1] - 1,
    };
  }

  /** The questions/s of the last epoch, for the stats line. */
  let rate = 0;

  function showStats() {
    if (status.epoch === 0) return void ($("s2sStats").textContent = "—");
    $("s2sStats").textContent = t(
      "s2sStats",
      status.epoch,
      status.loss.toFixed(3),
      (100 * status.accuracy).toFixed(1),
      t("questionsPerSec", Math.round(rate).toLocaleString("en-US")),
      t("threads", status.threads),
      saiki.getKernels().name,
    );
  }
  onLangChange(() => {
    showStats();
    if (run !== null) $("s2sInfo").textContent = run.info();
  });

  /** The end of an epoch of run `r`: the test split's accuracy, a row of the list. */
  function endEpoch(r, epoch, loss, questionsPerSec) {
    const { answerer, data } = r;
    const { accuracy } = saiki.seq2seqAccuracy(answerer, data.xTest, data.tTest);
    Object.assign(status, { epoch, loss, accuracy });
    status.history.push({ epoch, loss, accuracy });
    const row = $("s2sHistory").querySelector("tbody").insertRow();
    row.insertCell().textContent = String(epoch);
    row.insertCell().textContent = loss.toFixed(3);
    row.insertCell().textContent = `${(100 * accuracy).toFixed(1)}%`;
    const bar = row.insertCell().appendChild(document.createElement("span"));
    bar.className = "bar";
    bar.style.width = `${Math.round(120 * accuracy)}px`;
    $("s2sHistory").scrollTop = 1e9;
    rate = questionsPerSec;
    showStats();
  }

  function setRunning(on) {
    running = on;
    status.state = on ? "training" : "stopped";
    $("s2sTrain").disabled = on;
    $("s2sStop").disabled = !on;
  }

  async function train() {
    if (running) return;
    let r = null;
    try {
      r = run ??= newRun();
      setRunning(true);
      status.error = $("s2sNotice").textContent = "";
      const { trainer, data } = r;
      const batchSize = num("s2sBatch");
      const perEpoch = Math.floor(data.xTrain.shape[0] / batchSize);
      let lossSum = 0, count = 0, since = performance.now();
      await trainer.fit(data.xTrain, data.tTrain, {
        maxEpoch: num("s2sEpochs"),
        batchSize,
        maxGrad: num("s2sClip") > 0 ? num("s2sClip") : undefined,
        resume: true, // after Stop, go on in the middle of the epoch
        onIteration: async ({ epoch, iter, loss }) => {
          if (!running) return false; // stopped, or a new model, during the step
          if (!Number.isFinite(loss)) throw new Error(`the loss is ${loss}: lower lr`);
          lossSum += loss, count++;
          if (trainer.state.step === 1) {
            status.threads = await trainer.threads();
            $("s2sNotice").textContent = trainer.notice;
          }
          if (iter === perEpoch) {
            const seconds = (performance.now() - since) / 1000;
            endEpoch(r, epoch, lossSum / count, count * batchSize / seconds);
            lossSum = count = 0, since = performance.now();
          }
          if (iter % 4 === 0) await new Promise((go) => setTimeout(go)); // let the page draw
          return running;
        },
      });
    } catch (e) {
      if (r !== null && r !== run) return; // a new model closed this one's trainer mid-step
      status.error = e.message;
      $("s2sNotice").textContent = t("error", e.message);
    } finally {
      if (r === run) setRunning(false);
    }
  }

  function ask() {
    status.answer = $("s2sAnswer").textContent = $("s2sAskError").textContent = "";
    $("s2sAttention").replaceChildren();
    try {
      if (run === null) throw new Error(t("trainFirst"));
      const { answerer, data, tests, reverse, width, answerWidth } = run;
      const typed = $("s2sQuestion").value.trimEnd();
      if (typed === "") throw new Error(t("typeQuestion"));
      // padded to the data set's width, reversed as trained, answered; for attention, its
      // weights with the question the right way round (saiki.askSeq2seq)
      const format = {
        vocab: data.vocab,
        widths: { question: width, answer: answerWidth + 1 },
        reverse,
      };
      const reply = saiki.askSeq2seq(answerer, typed, format);
      const answer = reply.answer;
      status.answer = answer;
      const expected = tests.get(typed);
      $("s2sAnswer").textContent = `→ ${answer.trim()}` +
        (expected === undefined
          ? ""
          : t("testAnswer", expected, expected === answer.trim() ? "✓" : "✗"));
      if (reply.attention) {
        $("s2sAttention").innerHTML = saiki.attentionMapSvg(
          reply.attention,
          answer,
          typed.padEnd(width),
          {
            title: t("attentionTitle"),
            xTitle: t("question"),
            yTitle: t("answerAxis"),
            cellSize: Math.max(8, Math.min(24, Math.floor(460 / width))),
          },
        );
      }
    } catch (e) {
      $("s2sAskError").textContent = e.message;
    }
  }

  function randomQuestion() {
    if (run === null) return ask(); // says to train first
    const { data, question } = run;
    $("s2sQuestion").value = question(data.xTest, Math.floor(Math.random() * data.xTest.shape[0]))
      .trimEnd();
    ask();
  }

  function reset() {
    setRunning(false);
    run?.trainer.close().catch(() => {}); // its workers stop; a step under way is dropped
    run = null;
    Object.assign(status, {
      state: "ready",
      epoch: 0,
      loss: NaN,
      accuracy: NaN,
      history: [],
      answer: "",
    });
    $("s2sStats").textContent = "—";
    $("s2sInfo").textContent = $("s2sAnswer").textContent = "";
    $("s2sHistory").querySelector("tbody").replaceChildren();
    $("s2sAttention").replaceChildren();
    $("s2sQuestion").placeholder = $("s2sData").value === "date"
      ? "e.g. September 27, 1994 or 8/23/08"
      : "e.g. 123+45";
  }

  $("s2sTrain").onclick = train;
  $("s2sStop").onclick = () => running = false;
  $("s2sReset").onclick = reset;
  $("s2sAsk").onclick = ask;
  $("s2sRandom").onclick = randomQuestion;
  $("s2sQuestion").onkeydown = (e) => e.key === "Enter" && ask();
  for (const id of ["Data", "Model", "Reverse", "Wordvec", "Hidden", "Batch", "Lr"]) {
    $(`s2s${id}`).onchange = reset;
  }
  reset();
  return { stop: () => running = false };
}
