"""saiki's language models as a PyTorch module: what `deno task export RUN --to torch` writes.

    embed (nn.Embedding V×D) → dropout → rnn (L layers, batch_first) → dropout → out (nn.Linear H→V)

This is saiki's `LanguageModel` (and the book's `BetterRnnlm`) written with `torch.nn`: dropout
after the embedding, between the recurrent layers (the `dropout=` of `nn.LSTM` / `nn.RNN`) and
after the last one; with `tied=True` the output layer's weight is the embedding's
(`out.weight is embed.weight`, which needs wordvec_size == hidden_size). The recurrent layer:

    cell="lstm"  nn.LSTM(D, H, L, batch_first=True)
    cell="rnn"   nn.RNN(D, H, L, nonlinearity="tanh", batch_first=True)
    cell="gru"   BookGRU(D, H, L): the book's GRU, below, not nn.GRU (see there why)

State-dict keys (`model.state_dict()`; `l` = 0 … L−1), against saiki's parameters:

    embed.weight       (V, D)    embed_W as it is
    rnn.weight_ih_l{l} (G·H, in) Wxᵀ, gate blocks reordered   (in = D for l = 0, else H)
    rnn.weight_hh_l{l} (G·H, H)  Whᵀ, gate blocks reordered
    rnn.bias_ih_l{l}   (G·H)     b, gate blocks reordered
    rnn.bias_hh_l{l}   (G·H)     zeros on export (saiki has one bias); import adds the two
    out.weight         (V, H)    affine_Wᵀ; left out of the file when tied
    out.bias           (V)       affine_b

G is 4 for the LSTM, 1 for the RNN, 3 for the GRU. saiki packs an LSTM's gates f, g, i, o side
by side in the columns of Wx (D, 4H); PyTorch packs them i, f, g, o in the rows of
weight_ih (4H, D). The GRU keeps the book's order z, r, ĥ (also ONNX's).

The file `deno task export` writes also carries metadata (strings): `format` ("saiki-torch/1"),
`torch_config` (this class's keyword arguments as JSON) and `vocab` (the words by id, JSON), so

    model = RnnLM.from_safetensors("runs/NAME/torch.safetensors")

builds the right shape and loads it, and

    model = RnnLM(**config); model.load_state_dict(safetensors.torch.load_file(path))

works as for any module. `save_safetensors` writes a file in the same form, which
`deno task import-torch FILE --out runs/NAME` turns back into a saiki run folder.

The command line, `python3 examples/torch/rnnlm.py FILE [--words "the company"]`, loads an exported
file and prints the five likeliest next words after the given ones.
"""

from __future__ import annotations

import argparse
import json
import math

import torch
import torch.nn.functional as F
from torch import nn

FORMAT = "saiki-torch/1"
CELLS = ("lstm", "rnn", "gru")


class BookGRU(nn.Module):
    """The GRU as the book (and saiki) computes it, with nn.GRU's interface and parameter names.

    torch.nn.GRU applies the reset gate after the hidden-state product,
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) (ONNX's linear_before_reset = 1); the book
    applies it before: ĥ = tanh(x·Wxh + (r ⊙ h)·Whh + bh) (linear_before_reset = 0), and its
    update gate weighs the new state where PyTorch's weighs the old one. No setting of
    nn.GRU computes the book's cell, so this module computes it step by step:

        z = σ(W_iz x + b_iz + W_hz h + b_hz)            gate rows 0 … H−1
        r = σ(W_ir x + b_ir + W_hr h + b_hr)            rows H … 2H−1
        ĥ = tanh(W_ih x + b_ih + W_hh (r ⊙ h) + b_hh)   rows 2H … 3H−1 (b_hh outside the reset)
        h' = (1 − z) ⊙ h + z ⊙ ĥ

    Parameters per layer l, as nn.GRU names them: weight_ih_l{l} (3H, in), weight_hh_l{l}
    (3H, H), bias_ih_l{l} (3H), bias_hh_l{l} (3H), gate blocks z, r, ĥ. forward(x, h0) takes
    x (N, T, in) and h0 (L, N, H) or None and returns (outputs (N, T, H), h_n (L, N, H)), as
    nn.GRU(batch_first=True) does. Dropout (`dropout`) acts between layers, as nn.GRU's.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0, batch_first: bool = True):
        super().__init__()
        if not batch_first:
            raise ValueError("BookGRU takes batch_first=True only")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size
            G, H = 3 * hidden_size, hidden_size
            self.register_parameter(f"weight_ih_l{layer}", nn.Parameter(torch.empty(G, width)))
            self.register_parameter(f"weight_hh_l{layer}", nn.Parameter(torch.empty(G, H)))
            self.register_parameter(f"bias_ih_l{layer}", nn.Parameter(torch.empty(G)))
            self.register_parameter(f"bias_hh_l{layer}", nn.Parameter(torch.empty(G)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform in ±1/sqrt(H), as nn.GRU initialises."""
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None):
        N, T, _ = x.shape
        H = self.hidden_size
        if h0 is None:
            h0 = x.new_zeros(self.num_layers, N, H)
        finals = []
        for layer in range(self.num_layers):
            w_ih = getattr(self, f"weight_ih_l{layer}")
            w_hh = getattr(self, f"weight_hh_l{layer}")
            b_ih = getattr(self, f"bias_ih_l{layer}")
            b_hh = getattr(self, f"bias_hh_l{layer}")
            gx = F.linear(x, w_ih, b_ih)  # (N, T, 3H): the input's part of z, r, ĥ, every step
            h = h0[layer]
            outputs = []
            for t in range(T):
                # z, r = σ(W_i{z,r} x + b_i{z,r} + W_h{z,r} h + b_h{z,r})
                zr = torch.sigmoid(gx[:, t, : 2 * H] + F.linear(h, w_hh[: 2 * H], b_hh[: 2 * H]))
                z, r = zr[:, :H], zr[:, H:]
                # ĥ = tanh(W_iĥ x + b_iĥ + W_hĥ (r ⊙ h) + b_hĥ): the reset before the product
                reset = F.linear(r * h, w_hh[2 * H :], b_hh[2 * H :])
                h_hat = torch.tanh(gx[:, t, 2 * H :] + reset)
                h = (1 - z) * h + z * h_hat
                outputs.append(h)
            x = torch.stack(outputs, 1)
            finals.append(h)
            if layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, self.training)
        return x, torch.stack(finals)


def _tied_out_weight(module, state_dict, prefix, *_args):
    """A tied model's file has no out.weight (it is embed.weight): fill it in before loading."""
    if prefix + "out.weight" not in state_dict and prefix + "embed.weight" in state_dict:
        state_dict[prefix + "out.weight"] = state_dict[prefix + "embed.weight"]


class RnnLM(nn.Module):
    """saiki's LanguageModel: embedding → dropout → L recurrent layers → dropout → linear.

    forward(ids, state=None) takes word ids (N, T) and the recurrent state (None for zeros;
    (h, c) for an LSTM, h otherwise, each (L, N, H)) and returns (logits (N, T, V), state), the
    logits saiki's `model.predict(xs)` computes.
    """

    def __init__(self, cell: str = "lstm", vocab_size: int = 10000, wordvec_size: int = 100,
                 hidden_size: int = 100, num_layers: int = 1, dropout: float = 0.0,
                 tied: bool = False):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell is {cell!r}, expected one of {', '.join(CELLS)}")
        if tied and wordvec_size != hidden_size:
            raise ValueError(f"tied weights need wordvec_size == hidden_size, got "
                             f"{wordvec_size} and {hidden_size}")
        self.cell = cell
        self.vocab_size = vocab_size
        self.wordvec_size = wordvec_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.tied = tied
        D, H, L = wordvec_size, hidden_size, num_layers
        between = dropout if L > 1 else 0.0  # nn.LSTM warns about dropout with one layer
        self.embed = nn.Embedding(vocab_size, D)
        self.drop = nn.Dropout(dropout)
        if cell == "lstm":
            self.rnn = nn.LSTM(D, H, L, batch_first=True, dropout=between)
        elif cell == "rnn":
            self.rnn = nn.RNN(D, H, L, nonlinearity="tanh", batch_first=True, dropout=between)
        else:
            self.rnn = BookGRU(D, H, L, dropout=between)
        self.out = nn.Linear(H, vocab_size)
        if tied:
            self.out.weight = self.embed.weight
            self.register_load_state_dict_pre_hook(_tied_out_weight)

    def forward(self, ids: torch.Tensor, state=None):
        x = self.drop(self.embed(ids))
        hs, state = self.rnn(x, state)
        return self.out(self.drop(hs)), state

    def config(self) -> dict:
        """The keyword arguments that build this shape (the file's `torch_config`)."""
        return {
            "cell": self.cell,
            "vocab_size": self.vocab_size,
            "wordvec_size": self.wordvec_size,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
            "tied": self.tied,
        }

    def save_safetensors(self, path: str, vocab: list[str] | None = None,
                         extra: dict[str, str] | None = None) -> None:
        """Writes the state dict (out.weight left out when tied) with `format`, `torch_config`
        and, when given, `vocab` metadata: the form `deno task import-torch` reads. `extra`:
        more metadata entries (strings; import ignores them), under those three."""
        from safetensors.torch import save_file

        tensors = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        if self.tied:
            del tensors["out.weight"]
        metadata = dict(extra or {})
        metadata.update({"format": FORMAT, "torch_config": json.dumps(self.config())})
        if vocab is not None:
            metadata["vocab"] = json.dumps(vocab, ensure_ascii=False)
        save_file(tensors, path, metadata)

    @classmethod
    def from_safetensors(cls, path: str) -> RnnLM:
        """The model a file `deno task export --to torch` wrote, built from its `torch_config`
        and loaded (strictly: every key, every shape). The vocabulary: `read_vocab(path)`."""
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(path, "pt") as f:
            metadata = f.metadata() or {}
        if "torch_config" not in metadata:
            raise ValueError(f"{path}: no torch_config metadata; build RnnLM(...) with the sizes "
                             f"and call load_state_dict(load_file(path))")
        model = cls(**json.loads(metadata["torch_config"]))
        model.load_state_dict(load_file(path))
        return model


def fold_hidden_biases(model: RnnLM) -> None:
    """Gives every recurrent layer one trainable bias, as saiki's cells (and the book's) have.

    PyTorch's cells add two biases, bias_ih and bias_hh, where saiki has one, b (export writes b
    as bias_ih and zeros as bias_hh). Training both gives that bias two updates of the full
    gradient per step (twice saiki's learning rate for it) and counts its gradient twice in a
    global norm for clipping. This adds each bias_hh_l{l} into bias_ih_l{l} (in float32, as
    `deno task import-torch` sums them; nothing changes where bias_hh is zero, as in an export)
    and freezes bias_hh at zero (requires_grad False), in place. The model computes the same
    function; optimisers and DistributedDataParallel then see saiki's parameters only.
    """
    with torch.no_grad():
        for layer in range(model.num_layers):
            b_ih = getattr(model.rnn, f"bias_ih_l{layer}")
            b_hh = getattr(model.rnn, f"bias_hh_l{layer}")
            if bool((b_hh != 0).any()):
                b_ih.add_(b_hh)
                b_hh.zero_()
            b_hh.requires_grad_(False)


def read_vocab(path: str) -> list[str] | None:
    """The words by id an exported file carries (its `vocab` metadata), or None."""
    from safetensors import safe_open

    with safe_open(path, "pt") as f:
        vocab = (f.metadata() or {}).get("vocab")
    return None if vocab is None else json.loads(vocab)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="a file deno task export --to torch wrote")
    parser.add_argument("--words", default="the",
                        help="words to read, separated by spaces (default: %(default)s)")
    args = parser.parse_args()
    model = RnnLM.from_safetensors(args.file).eval()
    vocab = read_vocab(args.file)
    if vocab is None:
        raise SystemExit(f"{args.file}: no vocab metadata")
    index = {w: i for i, w in enumerate(vocab)}
    missing = [w for w in args.words.split() if w not in index]
    if missing:
        raise SystemExit(f"not in the vocabulary: {' '.join(missing)}")
    ids = torch.tensor([[index[w] for w in args.words.split()]])
    with torch.no_grad():
        logits, _ = model(ids)
    probs = torch.softmax(logits[0, -1], 0)
    top = torch.topk(probs, min(5, len(vocab)))
    print(f"{model.config()}")
    print(f"after {args.words!r}: " + ", ".join(
        f"{vocab[i]} {p:.3f}" for p, i in zip(top.values.tolist(), top.indices.tolist())))


if __name__ == "__main__":
    main()
