/**
 * Seed 002: the book's 5.3–5.5 — the RNN and TimeRNN layers written with the ops (checked
 * against saiki's), the RNNLM (`SimpleRnnlm`) built from saiki's time layers, and its
 * training loop on the first 1,000 words of PTB (which ship with saiki: `ptbHead()`).
 * 002: RNN・TimeRNN を実装し、RNNLM を PTB の先頭 1,000 語で学習する。
 *
 *     deno run --allow-read=../shared examples/002_rnnlm_ptb.ts [--epochs=N] [--typo]
 *     deno run --allow-read=../shared examples/002_rnnlm_ptb.ts --fixture
 *
 * `--typo` builds the targets as the notebook does, `ts[(offset * time_idx) % data_size]` (its
 * printed perplexities come from that); by default the book's `ts[(offset + time_idx) % …]`.
 * `--fixture` replays `../shared/fixtures/dlfs2/train_simple_rnnlm.json` (the reference
 * trainer's initial parameters and per-iteration perplexities) and compares.
 *
 * @module
 */

import {
  abs,
  add,
  copy,
  div,
  fromJSON,
  IntTensor,
  matmul,
  max,
  mul,
  type Operand,
  ptbHead,
  randn,
  RNN as SaikiRNN,
  SGD,
  square,
  stack,
  sub,
  sum,
  tanh,
  type Tensor,
  TimeAffine,
  TimeEmbedding,
  TimeRNN as SaikiTimeRNN,
  TimeSoftmaxWithLoss,
  timestep,
  zeros,
  zerosLike,
} from "../mod.ts";

const flag = (name: string) => Deno.args.find((a) => a.startsWith(`--${name}`));
const typo = flag("typo") !== undefined, fixtureMode = flag("fixture") !== undefined;
const shared = new URL("../../shared/", import.meta.url);

// ## 5.3.1 RNN レイヤの実装
class RNN {
  params: Tensor[];
  grads: Tensor[];
  cache: Tensor[] = [];
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor) {
    this.params = [Wx, Wh, b];
    this.grads = [zerosLike(Wx), zerosLike(Wh), zerosLike(b)];
  }

  forward(x: Tensor, hPrev: Tensor): Tensor {
    const [Wx, Wh, b] = this.params;
    const t = add(add(matmul(hPrev, Wh), matmul(x, Wx)), b);
    const hNext = tanh(t);
    this.cache = [x, hPrev, hNext];
    return hNext;
  }

  backward(dhNext: Tensor): [Tensor, Tensor] {
    const [Wx, Wh] = this.params;
    const [x, hPrev, hNext] = this.cache;
    const dt = mul(dhNext, sub(1, square(hNext)));
    const db = sum(dt, 0);
    const dWh = matmul(hPrev, dt, { transA: true }); // h_prev.T @ dt
    const dhPrev = matmul(dt, Wh, { transB: true }); // dt @ Wh.T
    const dWx = matmul(x, dt, { transA: true });
    const dx = matmul(dt, Wx, { transB: true });
    [dWx, dWh, db].forEach((grad, i) => this.grads[i].copyFrom(grad)); // grads[i][...] = grad
    return [dx, dhPrev];
  }
}

// ## 5.3.2 Time RNN レイヤの実装
class TimeRNN {
  params: [Tensor, Tensor, Tensor];
  grads: Tensor[];
  layers: RNN[] = [];
  h: Tensor | null = null;
  dh: Tensor | number | null = null;
  constructor(Wx: Tensor, Wh: Tensor, b: Tensor, public stateful = false) {
    this.params = [Wx, Wh, b];
    this.grads = [zerosLike(Wx), zerosLike(Wh), zerosLike(b)];
  }

  setState(h: Tensor) {
    this.h = h;
  }

  resetState() {
    this.h = null;
  }

  forward(xs: Tensor): Tensor {
    const [N, T] = xs.shape, H = this.params[0].shape[1];
    this.layers = [];
    const hs: Tensor[] = []; // hs[:, t, :] = h, stacked at the end
    if (!this.stateful || this.h === null) this.h = zeros([N, H]);
    for (let t = 0; t < T; t++) {
      const layer = new RNN(...this.params);
      this.h = layer.forward(copy(timestep(xs, t)), this.h);
      hs.push(this.h);
      this.layers.push(layer);
    }
    return stack(hs, 1);
  }

  backward(dhs: Tensor): Tensor {
    const T = dhs.shape[1];
    const dxs: Tensor[] = new Array(T);
    let dh: Tensor | number = 0;
    const grads: (Tensor | number)[] = [0, 0, 0];
    for (let t = T - 1; t >= 0; t--) { // reversed(range(T))
      let dx: Tensor;
      [dx, dh] = this.layers[t].backward(add(timestep(dhs, t), dh)); // 合算した勾配
      dxs[t] = dx;
      this.layers[t].grads.forEach((grad, i) => grads[i] = add(grads[i], grad));
    }
    grads.forEach((grad, i) => this.grads[i].copyFrom(grad as Tensor));
    this.dh = dh;
    return stack(dxs, 1);
  }
}

// the two classes against saiki's RNN and TimeRNN: saiki のレイヤと比べる
const maxDiff = (a: Operand, b: Operand) => max(abs(sub(a, b)));
{
  const [N, T, D, H] = [4, 5, 3, 6];
  const Wx = div(randn([D, H]), Math.sqrt(D)), Wh = div(randn([H, H]), Math.sqrt(H));
  const b = randn([H]), xs = randn([N, T, D]), dhs = randn([N, T, H]);
  const cell = new RNN(Wx, Wh, b), x = copy(timestep(xs, 0)), h = randn([N, H]);
  const ref = new SaikiRNN(Wx, Wh, b);
  console.log("max |RNN h_next - saiki| =", maxDiff(cell.forward(x, h), ref.forward(x, h)));
  console.log("max |RNN dx - saiki| =", maxDiff(cell.backward(h)[0], ref.backward(h)[0]));
  const layer = new TimeRNN(Wx, Wh, b), timeRef = new SaikiTimeRNN(Wx, Wh, b);
  console.log("max |TimeRNN hs - saiki| =", maxDiff(layer.forward(xs), timeRef.forward(xs)));
  console.log("max |TimeRNN dxs - saiki| =", maxDiff(layer.backward(dhs), timeRef.backward(dhs)));
  const rel = maxDiff(layer.grads[1], timeRef.grads[1]) / max(abs(timeRef.grads[1]));
  console.log("max |TimeRNN dWh - saiki dWh| / max |saiki dWh| =", rel);
}

for (const i of [0, 1, 2, 3, 4].reverse()) console.log(i); // reversed(range(5))

// ## 5.5.1 RNNLM の実装
class SimpleRnnlm {
  embed: TimeEmbedding;
  rnnLayer: SaikiTimeRNN; // the book's common/time_layers (saiki's), as the notebook imports
  affine: TimeAffine;
  lossLayer = new TimeSoftmaxWithLoss();
  params: Tensor[]; // 全ての重みと勾配をリストにまとめる
  grads: Tensor[];

  constructor(V: number, D: number, H: number, init?: Tensor[]) {
    // 重みの初期化 (or the given ones)
    const [embedW, rnnWx, rnnWh, rnnB, affineW, affineB] = init ?? [
      div(randn([V, D]), 100),
      div(randn([D, H]), Math.sqrt(D)),
      div(randn([H, H]), Math.sqrt(H)),
      zeros([H]),
      div(randn([H, V]), Math.sqrt(H)),
      zeros([V]),
    ];
    // レイヤの作成
    this.embed = new TimeEmbedding(embedW);
    this.rnnLayer = new SaikiTimeRNN(rnnWx, rnnWh, rnnB, true);
    this.affine = new TimeAffine(affineW, affineB);
    const layers = [this.embed, this.rnnLayer, this.affine];
    this.params = layers.flatMap((layer) => layer.params);
    this.grads = layers.flatMap((layer) => layer.grads);
  }

  forward(xs: IntTensor, ts: IntTensor): number {
    const scores = this.affine.forward(this.rnnLayer.forward(this.embed.forward(xs)));
    return this.lossLayer.forward(scores, ts);
  }

  backward(dout = 1): void {
    const d = this.lossLayer.backward(dout);
    this.embed.backward(this.rnnLayer.backward(this.affine.backward(d)));
  }

  resetState(): void {
    this.rnnLayer.resetState();
  }
}

// ## 5.5.3 RNNLM の学習コード — ハイパーパラメータの設定
let batchSize = 10;
let wordvecSize = 100;
let hiddenSize = 100; // RNN の隠れ状態ベクトルの要素数
let timeSize = 5; // the notebook's and the book's ch05 (ch06 uses 35)
let lr = 0.1;
let maxEpoch = Number(flag("epochs=")?.slice(9) ?? 1000);

// 学習データの読み込み (データセットを小さくする): ptb.load_data('train')
let corpusSize = 1000;
let corpus: Int32Array, init: Tensor[] | undefined, reference: number[] = [];
if (fixtureMode) {
  const f = JSON.parse(
    await Deno.readTextFile(new URL("fixtures/dlfs2/train_simple_rnnlm.json", shared)),
  );
  ({ corpus_size: corpusSize, batch_size: batchSize, time_size: timeSize, lr } = f);
  ({ wordvec_size: wordvecSize, hidden_size: hiddenSize, max_epoch: maxEpoch } = f);
  corpus = Int32Array.from(f.corpus.data);
  init = f.params.map(fromJSON);
  reference = f.ppl_list;
} else {
  corpus = ptbHead().ids.subarray(0, corpusSize); // PTB's first words ship with saiki
}
const vocabSize = Math.max(...corpus) + 1;

const xs = corpus.subarray(0, -1); // 入力
const ts = corpus.subarray(1); // 出力 (教師ラベル)
const dataSize = xs.length;
console.log(`corpus size:${corpusSize}, vocablary_size:${vocabSize}`);
console.log(
  typo
    ? "batch_t[i, t] = ts[(offset * time_idx) % data_size]  (the notebook's typo, --typo)"
    : "batch_t[i, t] = ts[(offset + time_idx) % data_size]  (the book's; --typo for the notebook's)",
);

// 学習時に使用する変数
const maxIters = Math.floor(dataSize / (batchSize * timeSize));
let timeIdx = 0, totalLoss = 0, lossCount = 0;
const pplList: number[] = [], iterPpl: number[] = [];

// model の生成
const model = new SimpleRnnlm(vocabSize, wordvecSize, hiddenSize, init);
const optimizer = new SGD(lr);

// ミニバッチの各サンプルの読み込み開始位置を計算
const jump = Math.floor((corpusSize - 1) / batchSize);
const offsets = Array.from({ length: batchSize }, (_, i) => i * jump);

for (let epoch = 0; epoch < maxEpoch; epoch++) {
  for (let iter = 0; iter < maxIters; iter++) {
    // ミニバッチの取得: batch_x[i, t] is data[i * timeSize + t]
    const batchX = new IntTensor(new Int32Array(batchSize * timeSize), [batchSize, timeSize]);
    const batchT = new IntTensor(new Int32Array(batchSize * timeSize), [batchSize, timeSize]);
    for (let t = 0; t < timeSize; t++) {
      offsets.forEach((offset, i) => {
        batchX.data[i * timeSize + t] = xs[(offset + timeIdx) % dataSize];
        batchT.data[i * timeSize + t] = ts[(typo ? offset * timeIdx : offset + timeIdx) % dataSize];
      });
      timeIdx += 1;
    }
    // 勾配を求め、パラメータを更新
    const loss = model.forward(batchX, batchT);
    model.backward();
    optimizer.update(model.params, model.grads);
    totalLoss += loss;
    lossCount += 1;
    iterPpl.push(Math.exp(loss));
  }
  // epoch 毎にパープレキシティの評価
  const ppl = Math.exp(totalLoss / lossCount);
  console.log(`| epoch ${epoch + 1} | perplexity ${ppl.toFixed(2)}`);
  pplList.push(ppl);
  totalLoss = 0, lossCount = 0;
}

if (fixtureMode) { // the reference trainer's perplexity of every iteration
  const rel = iterPpl.map((p, i) => Math.abs(p - reference[i]) / reference[i]);
  iterPpl.forEach((p, i) =>
    console.log(
      `| iter ${i + 1} | perplexity ${p.toFixed(4)} | reference ${reference[i].toFixed(4)}`,
    )
  );
  console.log(`max relative difference from the reference's ppl_list = ${Math.max(...rel)}`);
}
