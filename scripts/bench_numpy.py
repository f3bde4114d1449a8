"""Baseline for `deno task bench`: one training iteration of the chapter-6 LSTM language models
written the NumPy way the book writes them: a cell object per timestep, float32 arrays, np.dot
for every product, clipping to 0.25 and SGD with lr 20.

  lstm preset:   Rnnlm, V 10000, wordvec 100, hidden 100, batch 20 x time 35
  better preset: BetterRnnlm, V 10000, 650/650, two LSTM layers, dropout 0.5, tied weights

and of the chapter 7-8 sequence-to-sequence models, in the reference's own code (the module
`bench_numpy_seq2seq.py` beside this file): forward, backward, clipping to 5 and Adam, on a batch
of 128 random questions.

  addition-seq2seq: Seq2seq, V 13, 16/128, questions 7 -> answers 5
  addition-peeky:   PeekySeq2seq, the same sizes
  date-attention:   AttentionSeq2seq, V 59, 16/256, questions 29 -> answers 11

Run: python3 scripts/bench_numpy.py [--preset lstm|better|addition-seq2seq|addition-peeky|date-attention]
  [--reps N] [--json]
(needs NumPy; prints seconds per iteration and tokens/s, or questions/s for the seq2seq models)
"""

import argparse
import json
import sys
import time

import numpy as np

V, N, T = 10000, 20, 35


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


class LSTMCell:
    def forward(self, x, h_prev, c_prev, Wx, Wh, b):
        H = Wh.shape[0]
        A = np.dot(x, Wx) + np.dot(h_prev, Wh) + b
        f, g, i, o = A[:, :H], A[:, H:2 * H], A[:, 2 * H:3 * H], A[:, 3 * H:]
        f, g, i, o = sigmoid(f), np.tanh(g), sigmoid(i), sigmoid(o)
        c_next = f * c_prev + g * i
        h_next = o * np.tanh(c_next)
        self.cache = (x, h_prev, c_prev, i, f, g, o, c_next)
        return h_next, c_next

    def backward(self, dh_next, dc_next, Wx, Wh, grads):
        x, h_prev, c_prev, i, f, g, o, c_next = self.cache
        tanh_c = np.tanh(c_next)
        ds = dc_next + (dh_next * o) * (1 - tanh_c ** 2)
        dc_prev = ds * f
        di, df, do, dg = ds * g, ds * c_prev, dh_next * tanh_c, ds * i
        di *= i * (1 - i)
        df *= f * (1 - f)
        do *= o * (1 - o)
        dg *= 1 - g ** 2
        dA = np.hstack((df, dg, di, do))
        grads[0] += np.dot(x.T, dA)
        grads[1] += np.dot(h_prev.T, dA)
        grads[2] += dA.sum(axis=0)
        return np.dot(dA, Wx.T), np.dot(dA, Wh.T), dc_prev


class TimeLSTM:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        H = Wh.shape[0]
        self.h = np.zeros((N, H), dtype="f")
        self.c = np.zeros((N, H), dtype="f")

    def forward(self, xs):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        hs = np.empty((N, T, H), dtype="f")
        self.cells = []
        for t in range(T):
            cell = LSTMCell()
            self.h, self.c = cell.forward(xs[:, t, :], self.h, self.c, Wx, Wh, b)
            hs[:, t, :] = self.h
            self.cells.append(cell)
        return hs

    def backward(self, dhs):
        Wx, Wh, b = self.params
        D = Wx.shape[0]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        dxs = np.empty((N, T, D), dtype="f")
        dh, dc = 0, 0
        for t in reversed(range(T)):
            dx, dh, dc = self.cells[t].backward(dhs[:, t, :] + dh, dc, Wx, Wh, self.grads)
            dxs[:, t, :] = dx
        return dxs


class TimeDropout:
    def __init__(self, ratio, rng):
        self.ratio, self.rng = ratio, rng

    def forward(self, xs):
        self.mask = (self.rng.rand(*xs.shape) > self.ratio).astype("f") / (1 - self.ratio)
        return xs * self.mask

    def backward(self, dout):
        return dout * self.mask


def build(preset, rng):
    D = H = 100 if preset == "lstm" else 650
    layers = 1 if preset == "lstm" else 2
    embed_W = (rng.randn(V, D) / 100).astype("f")
    lstms = []
    for layer in range(layers):
        d_in = D if layer == 0 else H
        lstms.append(TimeLSTM((rng.randn(d_in, 4 * H) / np.sqrt(d_in)).astype("f"),
                              (rng.randn(H, 4 * H) / np.sqrt(H)).astype("f"),
                              np.zeros(4 * H, dtype="f")))
    tied = preset == "better"
    affine_W = None if tied else (rng.randn(H, V) / np.sqrt(H)).astype("f")
    affine_b = np.zeros(V, dtype="f")
    drops = [TimeDropout(0.5, rng) for _ in range(layers + 1)] if preset == "better" else []
    return embed_W, lstms, affine_W, affine_b, drops


def iteration(model, xs, ts):
    embed_W, lstms, affine_W, affine_b, drops = model
    W = embed_W.T if affine_W is None else affine_W
    # forward
    h = embed_W[xs]  # (N, T, D)
    if drops:
        h = drops[0].forward(h)
    for i, lstm in enumerate(lstms):
        h = lstm.forward(h)
        if drops:
            h = drops[i + 1].forward(h)
    H = h.shape[2]
    hs = h.reshape(N * T, H)
    score = np.dot(hs, W) + affine_b
    score -= score.max(axis=1, keepdims=True)
    ys = np.exp(score)
    ys /= ys.sum(axis=1, keepdims=True)
    tf = ts.reshape(N * T)
    loss = -np.sum(np.log(ys[np.arange(N * T), tf])) / (N * T)
    # backward
    ys[np.arange(N * T), tf] -= 1
    ys /= N * T
    dW = np.dot(hs.T, ys)
    d_affine_b = ys.sum(axis=0)
    dh = np.dot(ys, W.T).reshape(N, T, H)
    for i in reversed(range(len(lstms))):
        if drops:
            dh = drops[i + 1].backward(dh)
        dh = lstms[i].backward(dh)
    if drops:
        dh = drops[0].backward(dh)
    d_embed = np.zeros_like(embed_W)
    np.add.at(d_embed, xs.reshape(-1), dh.reshape(-1, dh.shape[2]))
    params, grads = [embed_W], [d_embed]
    if affine_W is not None:
        params.append(affine_W)
        grads.append(dW)
    else:
        d_embed += dW.T  # tied: the output layer's gradient joins the embedding's
    for lstm in lstms:
        params += lstm.params
        grads += lstm.grads
    params.append(affine_b)
    grads.append(d_affine_b)
    # clip to 0.25 and SGD with lr 20
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    rate = 0.25 / (norm + 1e-6)
    for p, g in zip(params, grads):
        if rate < 1:
            g *= rate
        p -= 20 * g
    return loss


def seq2seq_main(args):
    sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
    import bench_numpy_seq2seq as s2s
    reps = args.reps or (8 if args.preset == "date-attention" else 100)
    model, optimizer, xs, ts = s2s.setup(args.preset)
    s2s.iteration(model, optimizer, xs, ts)
    start = time.perf_counter()
    for _ in range(reps):
        s2s.iteration(model, optimizer, xs, ts)
    s = (time.perf_counter() - start) / reps
    if args.json:
        print(json.dumps({"numpy": np.__version__, "preset": args.preset, "seconds": s,
                          "questionsPerSec": s2s.BATCH / s}))
    else:
        print(f"numpy {np.__version__}: {args.preset} iteration {s * 1000:.1f} ms, "
              f"{s2s.BATCH / s:.0f} questions/s")


SEQ2SEQ = ["addition-seq2seq", "addition-peeky", "date-attention"]


def median_seconds(fn, reps, warmup=2):
    """Seconds per call of fn: the median of reps timed calls after warmup untimed ones (as
    saiki's side of the bench times its steps)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    mid = len(times) // 2
    return times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", choices=["lstm", "better"] + SEQ2SEQ, default="lstm")
    parser.add_argument("--reps", type=int, default=0,
                        help="timed iterations (default: 10 lstm, 3 better, 100 addition-*, 8 date-attention)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.preset in SEQ2SEQ:
        return seq2seq_main(args)
    reps = args.reps or (10 if args.preset == "lstm" else 3)
    rng = np.random.RandomState(0)
    model = build(args.preset, rng)
    xs = rng.randint(0, V, (N, T))
    ts = rng.randint(0, V, (N, T))
    s = median_seconds(lambda: iteration(model, xs, ts), reps)
    if args.json:
        print(json.dumps({"numpy": np.__version__, "preset": args.preset, "seconds": s, "tokensPerSec": N * T / s}))
    else:
        print(f"numpy {np.__version__}: {args.preset} preset iteration {s * 1000:.1f} ms, {N * T / s:.0f} tokens/s")


if __name__ == "__main__":
    sys.exit(main())
