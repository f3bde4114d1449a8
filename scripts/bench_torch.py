"""PyTorch peer for `deno task bench`: one training iteration of the chapter-6 LSTM language
models (the `lstm` and `better` presets) written the PyTorch 2 way, float32 on the CPU:

  nn.Embedding -> nn.LSTM(batch_first=True) -> nn.Linear -> cross-entropy (mean over N*T),
  backward, clip_grad_norm_(0.25), plain SGD with lr 20; truncated BPTT (the hidden state is
  detached and carried from one iteration to the next).

  lstm preset:   V 10000, wordvec 100, hidden 100, one layer, batch 20 x time 35
  better preset: V 10000, 650/650, two layers, dropout 0.5 before, between and after the
                 LSTM layers, output weights tied to the embedding

Run: python3 scripts/bench_torch.py [--preset lstm|better] [--threads K] [--reps N] [--quick]
  [--json]
Prints seconds per iteration (the median of the timed ones, after two untimed) and tokens/s
(or JSON). Exits with code 3 and a message on stderr
when torch cannot be imported.
"""

import argparse
import json
import sys
import time

EXIT_NO_TORCH = 3

V, N, T = 10000, 20, 35


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", choices=["lstm", "better"], default="lstm")
    parser.add_argument("--threads", type=int, default=0,
                        help="intra-op threads (torch.set_num_threads); default: torch's own")
    parser.add_argument("--reps", type=int, default=0,
                        help="timed iterations (default: 10 lstm, 3 better; --quick: 3, 1)")
    parser.add_argument("--quick", action="store_true", help="fewer timed iterations")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        import torch
        from torch import nn
    except ImportError as e:
        print(f"torch not installed ({e})", file=sys.stderr)
        return EXIT_NO_TORCH

    torch.set_num_interop_threads(1)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    better = args.preset == "better"
    D = H = 650 if better else 100
    layers = 2 if better else 1
    drop = 0.5 if better else 0.0

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(V, D)
            self.drop = nn.Dropout(drop)
            self.lstm = nn.LSTM(D, H, num_layers=layers, dropout=drop if layers > 1 else 0.0,
                                batch_first=True)
            self.affine = nn.Linear(H, V)
            if better:
                self.affine.weight = self.embed.weight  # tied: (V, H) with D == H

        def forward(self, xs, state):
            h = self.drop(self.embed(xs))
            h, state = self.lstm(h, state)
            return self.affine(self.drop(h)), state

    model = Model()
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=20)
    loss_fn = nn.CrossEntropyLoss()  # mean over the N*T targets
    xs = torch.randint(0, V, (N, T))
    ts = torch.randint(0, V, (N, T))
    state = None

    def iteration():
        nonlocal state
        if state is not None:
            state = tuple(s.detach() for s in state)  # truncated BPTT: carry, do not backprop
        optimizer.zero_grad(set_to_none=True)
        score, state = model(xs, state)
        loss = loss_fn(score.reshape(N * T, V), ts.reshape(N * T))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        optimizer.step()
        return loss.item()

    reps = args.reps or ((3 if args.quick else 10) if not better else (1 if args.quick else 3))
    # the first iterations are slower (allocations, MKL's set-up): two untimed, then the median
    # of the timed ones, as saiki's side of the bench times its steps
    for _ in range(2):
        iteration()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        iteration()
        times.append(time.perf_counter() - start)
    times.sort()
    mid = len(times) // 2
    s = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    threads = torch.get_num_threads()
    if args.json:
        print(json.dumps({"torch": torch.__version__, "preset": args.preset, "threads": threads,
                          "reps": reps, "seconds": s, "tokensPerSec": N * T / s}))
    else:
        print(f"torch {torch.__version__} ({threads} threads): {args.preset} preset iteration "
              f"{s * 1000:.1f} ms, {N * T / s:.0f} tokens/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
