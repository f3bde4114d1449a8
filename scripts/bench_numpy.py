"""Baseline for `deno task bench`: one training iteration of the chapter-6 LSTM language model
(V 10000, wordvec 100, hidden 100, batch 20 x time 35, SGD) written the NumPy way the book
writes it: a cell object per timestep, float32 arrays, np.dot for every product.

Run: python3 scripts/bench_numpy.py  (needs NumPy; prints seconds per iteration and tokens/s)
"""

import sys
import time

import numpy as np

V, D, H, N, T = 10000, 100, 100, 20, 35


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


class LSTMCell:
    def forward(self, x, h_prev, c_prev, Wx, Wh, b):
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


def iteration(params, xs, ts, state):
    embed_W, Wx, Wh, b, affine_W, affine_b = params
    # forward
    emb = embed_W[xs]  # (N, T, D)
    hs = np.empty((N, T, H), dtype="f")
    cells = []
    h, c = state
    for t in range(T):
        cell = LSTMCell()
        h, c = cell.forward(emb[:, t, :], h, c, Wx, Wh, b)
        hs[:, t, :] = h
        cells.append(cell)
    state[:] = [h, c]
    score = np.dot(hs.reshape(N * T, H), affine_W) + affine_b
    score -= score.max(axis=1, keepdims=True)
    ys = np.exp(score)
    ys /= ys.sum(axis=1, keepdims=True)
    tf = ts.reshape(N * T)
    loss = -np.sum(np.log(ys[np.arange(N * T), tf])) / (N * T)
    # backward
    ys[np.arange(N * T), tf] -= 1
    ys /= N * T
    d_affine_W = np.dot(hs.reshape(N * T, H).T, ys)
    d_affine_b = ys.sum(axis=0)
    dhs = np.dot(ys, affine_W.T).reshape(N, T, H)
    grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
    demb = np.empty((N, T, D), dtype="f")
    dh, dc = 0, 0
    for t in reversed(range(T)):
        dx, dh, dc = cells[t].backward(dhs[:, t, :] + dh, dc, Wx, Wh, grads)
        demb[:, t, :] = dx
    d_embed = np.zeros_like(embed_W)
    np.add.at(d_embed, xs.reshape(-1), demb.reshape(-1, D))
    all_grads = [d_embed, *grads, d_affine_W, d_affine_b]
    # clip to 0.25 and SGD with lr 20
    norm = np.sqrt(sum(np.sum(g ** 2) for g in all_grads))
    rate = 0.25 / (norm + 1e-6)
    for p, g in zip(params, all_grads):
        if rate < 1:
            g *= rate
        p -= 20 * g
    return loss


def main():
    rng = np.random.RandomState(0)
    params = [
        (rng.randn(V, D) / 100).astype("f"),
        (rng.randn(D, 4 * H) / np.sqrt(D)).astype("f"),
        (rng.randn(H, 4 * H) / np.sqrt(H)).astype("f"),
        np.zeros(4 * H, dtype="f"),
        (rng.randn(H, V) / np.sqrt(H)).astype("f"),
        np.zeros(V, dtype="f"),
    ]
    state = [np.zeros((N, H), dtype="f"), np.zeros((N, H), dtype="f")]
    xs = rng.randint(0, V, (N, T))
    ts = rng.randint(0, V, (N, T))
    iteration(params, xs, ts, state)
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    start = time.perf_counter()
    for _ in range(reps):
        iteration(params, xs, ts, state)
    s = (time.perf_counter() - start) / reps
    print(f"numpy {np.__version__}: lstm preset iteration {s * 1000:.1f} ms, {N * T / s:.0f} tokens/s")


if __name__ == "__main__":
    main()
