"""Continues a saiki run in PyTorch on several processes (DistributedDataParallel, gloo, CPU).

    deno task export runs/NAME --to torch        # → runs/NAME/torch.safetensors
    torchrun --nproc_per_node 2 examples/torch/continue_ddp.py runs/NAME [--iters K] [flags]
    python3 examples/torch/continue_ddp.py runs/NAME --nproc-per-node 2 [flags]  # checks first
    deno task import-torch runs/NAME/torch-ddp.safetensors --out runs/NAME-ddp
    deno task generate runs/NAME-ddp

What it reads. The model: the file `deno task export --to torch` wrote (`RnnLM.from_safetensors`,
examples/torch/rnnlm.py), its vocabulary from the file's `vocab` metadata. The run's position
and hyper-parameters: the saiki checkpoint beside it whose parameters the export holds
(checkpoint.safetensors, else best.safetensors — the one whose embed_W and affine_b equal the
export's embed.weight and out.bias), or `--checkpoint FILE`: its `train_config` (batch, time,
lr, clip, epochs, eval interval, corpus, corpus size, data dir, decay, seed), `trainer`
(timeIdx, epoch, iter, step and the report's running loss), `progress` (the lr after decays,
best validation perplexity, the epoch's loss) and the recurrent state of the whole batch
(`state.h1`, `state.c1`, … (N, H)). A file this script wrote carries the same metadata and the
recurrent state (`recurrent_state`: JSON with h and c as base64 float32 (L, N, H)), so a run
stopped and continued from its own output is the uninterrupted run, bit for bit. Without any of
these it starts at the corpus's beginning with the lstm preset's settings (batch 20, T 35,
lr 20, clip 0.25, 4 epochs) on PTB. Flags override: --iters, --epochs, --lr, --batch-size,
--time-size, --max-grad, --eval-interval, --data-dir, --corpus/--valid/--test, --out,
--save-every.

The data, as saiki's `loadRunData` reads it: PTB from --data-dir, the run's data dir,
SAIKI_DATA_DIR or the cache (~/.cache/saiki/ptb; no download here), each file checked against
the reference SHA-256, words split as the reference does (newline → <eos>), ids by first
occurrence in ptb.train.txt; or the run's --corpus text (newline → " <eos> ", the vocabulary
capped by its vocab size, <unk> added when it has valid/test texts); then the corpus-size cut
(the first N words, the vocabulary's first max(id) + 1 words, no valid/test). The vocabulary
built so must be the export's, word for word, and the ids' size and SHA-256 the checkpoint's
`corpus` record, or the run is refused: the ids mean the words they meant to saiki.

The batching is saiki's trainer's (lib/train/trainer.ts, the book's truncated BPTT): inputs
xs = corpus[:-1], targets ts = corpus[1:] (data size M = len − 1), jump = M // N, row i of a
batch reads xs and ts at (i·jump + timeIdx + t) mod M for t < T, and timeIdx grows by T every
iteration; the recurrent state carries from batch to batch (detached). An epoch is M // (N·T)
iterations. Without validation (the lstm preset) timeIdx and the state run on across epochs;
with it (valid data and decay, the better preset) each epoch reads from timeIdx 0, and the
state is reset around the end-of-epoch validation (batches of 10 × 35 from zeros, dropout
off, exp of the mean batch loss), where the best parameters are kept (written to
NAME.best.safetensors beside the output) and lr is divided by 4 when the validation perplexity
got worse; after the last epoch the test perplexity is taken with the best parameters. Loss: the
mean cross entropy over all N·T tokens; gradients clipped to a global L2 norm (scaled by
max_grad / (norm + 1e-6) when that is below 1: torch's clip_grad_norm_ and saiki's clipGrads
alike); SGD, p −= lr · g.

Distributed: rank r takes rows [r·N/W, (r+1)·N/W) of every batch — a contiguous block, as saiki
cuts a batch into shards — and keeps those rows' recurrent state. Each rank's loss is the mean
over its N/W·T tokens; DDP averages the ranks' gradients, and the mean of W equal shards' means
is the whole batch's mean, so the update is the whole batch's: N must be divisible by W (one
line says so otherwise). Each bias_hh is folded into bias_ih and frozen (`fold_hidden_biases`):
saiki's cells have one bias, and training PyTorch's two would step it twice. Losses and the
gradient norm reported are the whole batch's (the ranks' losses all-reduced each iteration).

What differs from saiki: float32 arithmetic in other orders (the same run agrees to about 1e-6
relative after a few iterations; tests/scripts/continue_ddp_test.ts measures it); dropout
masks come from torch's generator (seeded from the run's seed, the rank and the step), so a
run with dropout > 0 is a different sample of the same training, not saiki's bit for bit; SGD
only (other optimisers' slots are not carried over).

Written along the way, as saiki's checkpoints: the output at every epoch's end, every
--save-every N iterations, and at the end — by rank 0, to a temporary file renamed into place,
with the position and the whole batch's recurrent state (gathered from the ranks). A failure on
any rank (a write that fails, a loss that diverges, a bad setting) is settled among the ranks
before any exits, so its one line is printed once, by the rank that met it.

Progress (rank 0 only) is saiki's line: epoch, iteration, perplexity since the last report,
tokens per second of the whole batch (all ranks), ETA. --metrics FILE also writes saiki's
metrics.jsonl lines (train, epoch, valid, test). Errors are one line and exit 1 (2 for the
command line); started as `python3 continue_ddp.py … --nproc-per-node N` the checks run before
torchrun starts, so nothing else is printed; under torchrun itself, torchrun adds its own
failure report after that line.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rnnlm import FORMAT, RnnLM, fold_hidden_biases  # noqa: E402

CHECKPOINT_FORMAT = "saiki-lm/1"
EOS, UNK = "<eos>", "<unk>"
PTB_SHA256 = {
    "train": "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
    "valid": "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
    "test": "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
}
# the lstm preset's training settings (lib/train/config.ts): used when no checkpoint says more
LSTM_PRESET = {"batch": 20, "time": 35, "lr": 20.0, "optimizer": "sgd", "epochs": 4,
               "clip": 0.25, "decay": False, "evalInterval": 20, "corpusSize": 0, "seed": 1}
EVAL_BATCH, EVAL_TIME = 10, 35  # saiki's (and the reference's) validation batches


class Failure(Exception):
    """Something the user can fix: printed as one line; exit `code` (2: the command line)."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class Stopped(Exception):
    """A rank failed and said why; the others leave quietly with its exit code."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def agree(failure: Failure | None, rank: int, world: int) -> None:
    """Every rank calls this at the same point. If any failed, the first failing rank prints
    why and all raise Stopped, none before the line is out: torchrun stops the other ranks as
    soon as one exits with an error, which could cut rank 0 off before it said why."""
    first = torch.tensor([rank if failure is not None else world], dtype=torch.int64)
    dist.all_reduce(first, op=dist.ReduceOp.MIN)
    if int(first.item()) == world:
        return
    if failure is not None and rank == int(first.item()):
        print(f"continue_ddp.py: error: {failure}", file=sys.stderr, flush=True)
    code = torch.tensor([failure.code if failure is not None else 0], dtype=torch.int64)
    dist.all_reduce(code, op=dist.ReduceOp.MAX)  # also waits for the line to be printed
    raise Stopped(int(code.item()))


class Parser(argparse.ArgumentParser):
    """argparse that raises a Failure (one line) instead of printing the usage and exiting."""

    def error(self, message: str):
        raise Failure(f"{message} (--help lists the flags)", 2)


def count(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer >= minimum."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
        return value
    return parse


def nonnegative(text: str) -> float:
    """An argparse type: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text}")
    return value


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = Parser(prog="continue_ddp.py", description=__doc__.splitlines()[0],
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                    epilog="See the top of examples/torch/continue_ddp.py for what is the same as "
                           "saiki's trainer and what differs.")
    parser.add_argument("source", help="a run folder holding torch.safetensors, or the torch "
                                       "export file itself")
    parser.add_argument("--checkpoint", help="the saiki checkpoint whose position and settings "
                        "to continue from (default: the one beside the export that holds its "
                        "parameters)")
    parser.add_argument("--iters", type=count(1), help="stop after this many iterations")
    parser.add_argument("--epochs", type=count(1),
                        help="the run's epochs in all (as deno task train --resume --epochs)")
    parser.add_argument("--lr", type=nonnegative, help="learning rate [the run's, after decays]")
    parser.add_argument("--batch-size", type=count(1), help="rows per batch N, all ranks "
                        "together [the run's]; divisible by the number of ranks")
    parser.add_argument("--time-size", type=count(1), help="truncated BPTT length T [the run's]")
    parser.add_argument("--max-grad", type=nonnegative,
                        help="clip gradients to this global L2 norm, 0 = off [the run's clip]")
    parser.add_argument("--eval-interval", type=count(1),
                        help="report every N iterations [the run's]")
    parser.add_argument("--data-dir", help="folder holding ptb.{train,valid,test}.txt")
    parser.add_argument("--corpus", help="the training text of a --corpus run, if it moved")
    parser.add_argument("--valid", help="its validation text, if it moved")
    parser.add_argument("--test", help="its test text, if it moved")
    parser.add_argument("--out", help="the file to write (default: torch-ddp.safetensors beside "
                                      "the export)")
    parser.add_argument("--save-every", type=count(0), default=0,
                        help="also write the output every N iterations, 0 = epoch ends only "
                             "(as deno task train --save-every)")
    parser.add_argument("--metrics", help="also write saiki's metrics.jsonl lines to this file")
    parser.add_argument("--seed", type=int, help="seed of the dropout masks [the run's]")
    parser.add_argument("--nproc-per-node", type=count(1), default=None,
                        help="without torchrun: check everything, then start torchrun with "
                             "this many processes (default 1)")
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------------------------
# files


def first_line(e: BaseException) -> str:
    """An exception's message, its first line only (torch's messages run to many)."""
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def read_safetensors(path: str, names: list[str] | None = None):
    """(metadata, tensors) of a safetensors file; only `names` (those present) when given."""
    from safetensors import safe_open

    if not os.path.exists(path):
        raise Failure(f"{path}: no such file")
    if not os.path.isfile(path):
        raise Failure(f"{path} is not a file")
    try:
        with safe_open(path, "pt") as f:
            metadata = f.metadata() or {}
            keys = list(f.keys()) if names is None else [k for k in names if k in f.keys()]
            tensors = {k: f.get_tensor(k) for k in keys}
    except Exception as e:  # safetensors' own errors, OSError
        raise Failure(f"{path}: not a readable safetensors file ({first_line(e)})") from None
    return metadata, tensors


def parse_json(metadata: dict, key: str, where: str):
    """A JSON metadata entry, or a Failure naming the file and the key."""
    try:
        return json.loads(metadata[key])
    except (KeyError, ValueError):
        raise Failure(f'{where}: metadata "{key}" is missing or not valid JSON') from None


@dataclass
class Export:
    """A torch export: its file, the model it holds, its vocabulary and metadata."""
    path: str
    model: RnnLM
    vocab: list[str]
    metadata: dict


def read_export(source: str) -> Export:
    """The torch export `source` names (a run folder's torch.safetensors, or the file)."""
    path = source
    if os.path.isdir(source):
        path = os.path.join(source, "torch.safetensors")
        if not os.path.exists(path):
            raise Failure(f"{source} holds no torch.safetensors: export the run first "
                          f"(deno task export {source} --to torch)")
    elif not os.path.exists(source):
        raise Failure(f"{source}: no such file or folder")
    metadata, tensors = read_safetensors(path)
    fmt = metadata.get("format")
    if fmt == CHECKPOINT_FORMAT:
        raise Failure(f"{path} is a saiki checkpoint (format {fmt}), not a torch export: "
                      f"deno task export {os.path.dirname(path) or '.'} --to torch writes one")
    if fmt != FORMAT:
        raise Failure(f'{path}: metadata "format" is {json.dumps(fmt)}, expected "{FORMAT}" '
                      f"(a file deno task export --to torch or RnnLM.save_safetensors wrote)")
    config = parse_json(metadata, "torch_config", path)
    vocab = parse_json(metadata, "vocab", path)
    if not isinstance(vocab, list) or not all(isinstance(w, str) for w in vocab):
        raise Failure(f'{path}: metadata "vocab" is not a list of words')
    try:
        model = RnnLM(**config)
        model.load_state_dict(tensors)
    except (TypeError, ValueError, RuntimeError) as e:
        raise Failure(f"{path}: not RnnLM's state dict: {first_line(e)}") from None
    if len(vocab) != model.vocab_size:
        raise Failure(f'{path}: metadata "vocab" has {len(vocab)} words, the model '
                      f"{model.vocab_size}")
    return Export(path, model, vocab, metadata)


@dataclass
class Start:
    """Where the run continues from: its settings, position and recurrent state."""
    origin: str
    config: dict
    trainer: dict
    progress: dict
    corpus_id: str | None = None
    recurrent: list[tuple[np.ndarray, np.ndarray | None]] | None = None
    notes: list[str] = field(default_factory=list)


TRAINER_FIELDS = ("timeIdx", "epoch", "iter", "step", "totalLoss", "lossCount")


def start_from(metadata: dict, tensors: dict, where: str, export: Export) -> Start:
    """The run state a saiki checkpoint (or a file this script wrote) records."""
    config = parse_json(metadata, "train_config", where)
    trainer = parse_json(metadata, "trainer", where)
    progress = parse_json(metadata, "progress", where)
    if not isinstance(config, dict) or not isinstance(trainer, dict) or \
            not isinstance(progress, dict):
        raise Failure(f'{where}: metadata "train_config", "trainer" or "progress" is not an '
                      f"object")
    for key in TRAINER_FIELDS:
        value = trainer.get(key)
        if not isinstance(value, (int, float)) or value < 0:
            raise Failure(f'{where}: metadata "trainer": "{key}" is {json.dumps(value)}, '
                          f"expected a number >= 0")
    progress.setdefault("lr", config.get("lr", LSTM_PRESET["lr"]))
    progress.setdefault("bestValid", None)
    progress.setdefault("epochLoss", 0)
    progress.setdefault("epochCount", 0)
    for key, value in LSTM_PRESET.items():
        config.setdefault(key, value)
    m = export.model
    shape = {"model": m.cell, "layers": m.num_layers, "wordvec": m.wordvec_size,
             "hidden": m.hidden_size, "tie": m.tied}
    for key, value in shape.items():
        if config.get(key) != value:
            raise Failure(f"{where} trained another model: its {key} is "
                          f"{json.dumps(config.get(key))}, the export's {json.dumps(value)}")
    if "vocab" in metadata and parse_json(metadata, "vocab", where) != export.vocab:
        raise Failure(f"{where}: its vocabulary differs from {export.path}'s")
    recurrent = None
    if "recurrent_state" in metadata:  # a file this script wrote
        recurrent = decode_state(metadata, where, m)
    elif "state.h1" in tensors:
        recurrent = []
        for layer in range(m.num_layers):
            h = tensors.get(f"state.h{layer + 1}")
            c = tensors.get(f"state.c{layer + 1}")
            if h is None or (m.cell == "lstm" and c is None):
                raise Failure(f"{where}: the recurrent state of layer {layer + 1} is missing")
            recurrent.append((h.numpy(), None if m.cell != "lstm" else c.numpy()))
    return Start(where, config, {k: trainer[k] for k in TRAINER_FIELDS}, progress,
                 metadata.get("corpus"), recurrent)


def encode_state(state: list[torch.Tensor] | None) -> str:
    """The whole batch's recurrent state as metadata: JSON with h (and c) as base64 float32
    little-endian (L, N, H); "null" for zeros (before the first batch, after validation)."""
    if state is None:
        return "null"
    L, N, H = state[0].shape
    out = {"shape": [L, N, H]}
    for name, t in zip("hc", state):
        out[name] = base64.b64encode(t.numpy().astype("<f4").tobytes()).decode("ascii")
    return json.dumps(out)


def decode_state(metadata: dict, where: str, model: RnnLM) -> list | None:
    """What encode_state wrote, as start_from's [(h, c or None)] per layer, checked."""
    value = parse_json(metadata, "recurrent_state", where)
    if value is None:
        return None
    names = "hc" if model.cell == "lstm" else "h"
    L, H = model.num_layers, model.hidden_size
    shape = value.get("shape") if isinstance(value, dict) else None
    if not (isinstance(shape, list) and len(shape) == 3 and shape[0] == L and shape[2] == H and
            isinstance(shape[1], int) and shape[1] > 0) or \
            any(not isinstance(value.get(n), str) for n in names):
        raise Failure(f'{where}: metadata "recurrent_state" is not this model\'s state '
                      f"(expected shape [{L}, N, {H}] and {' and '.join(names)})")
    arrays = []
    for n in names:
        try:
            raw = base64.b64decode(value[n], validate=True)
        except ValueError:
            raise Failure(f'{where}: metadata "recurrent_state": {n} is not base64') from None
        if len(raw) != 4 * L * shape[1] * H:
            raise Failure(f'{where}: metadata "recurrent_state": {n} holds {len(raw)} bytes, '
                          f"expected {4 * L * shape[1] * H} for shape {shape}")
        arrays.append(np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape))
    return [(arrays[0][l], arrays[1][l] if len(arrays) > 1 else None) for l in range(L)]


def find_start(export: Export, checkpoint: str | None) -> Start:
    """The checkpoint the run continues from; see the module doc for the order."""
    wanted = ["embed_W", "affine_b"] + [f"state.{k}{i}" for k in "hc" for i in range(1, 65)]
    if checkpoint is not None:
        metadata, tensors = read_safetensors(checkpoint, wanted)
        if metadata.get("format") != CHECKPOINT_FORMAT:
            raise Failure(f'{checkpoint}: metadata "format" is {json.dumps(metadata.get("format"))}'
                          f', expected "{CHECKPOINT_FORMAT}" (a run\'s checkpoint.safetensors)')
        start = start_from(metadata, tensors, checkpoint, export)
        if not same_parameters(export, tensors):
            start.notes.append(f"the export's parameters are not {checkpoint}'s: continuing "
                               f"with the export's from that checkpoint's position")
        return start
    if "trainer" in export.metadata and "train_config" in export.metadata:
        start = start_from(export.metadata, {}, export.path, export)
        if "recurrent_state" not in export.metadata:
            start.notes.append(f"{export.path} carries no recurrent state: it starts from zeros")
        return start
    folder = os.path.dirname(export.path) or "."
    for name in ("checkpoint.safetensors", "best.safetensors"):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        metadata, tensors = read_safetensors(path, wanted)
        if metadata.get("format") == CHECKPOINT_FORMAT and "trainer" in metadata and \
                same_parameters(export, tensors):
            return start_from(metadata, tensors, path, export)
    config = dict(LSTM_PRESET)
    config.update({"model": export.model.cell, "layers": export.model.num_layers,
                   "wordvec": export.model.wordvec_size, "hidden": export.model.hidden_size,
                   "dropout": export.model.dropout, "tie": export.model.tied})
    trainer = {k: 0 for k in TRAINER_FIELDS}
    progress = {"bestValid": None, "lr": config["lr"], "epochLoss": 0, "epochCount": 0}
    start = Start("the beginning", config, trainer, progress)
    start.notes.append(f"no checkpoint beside {export.path} holds its parameters: starting at "
                       f"PTB's beginning with the lstm preset's settings (give --checkpoint)")
    return start


def same_parameters(export: Export, tensors: dict) -> bool:
    """Whether a checkpoint's embed_W and affine_b are the export's embed.weight and out.bias."""
    embed, bias = tensors.get("embed_W"), tensors.get("affine_b")
    return embed is not None and bias is not None and \
        torch.equal(embed, export.model.embed.weight.detach()) and \
        torch.equal(bias, export.model.out.bias.detach())


# ---------------------------------------------------------------------------------------------
# data, as lib/io/run_data.ts and lib/io/ptb.ts read it


def read_text(path: str, what: str) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise Failure(f"{what} {path}: cannot read the file ({e.strerror})") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Failure(f"{what} {path}: not UTF-8 (byte offset {e.start})") from None


def tokenize(text: str, reference: bool = False) -> list[str]:
    """saiki's tokenize: newlines → <eos> (glued, as the reference, or as a word of its own)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\n", EOS if reference else f" {EOS} ").split()


def first_occurrence(words: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for w in words:
        if w not in index:
            index[w] = len(index)
    return index


def capped_vocabulary(words: list[str], max_size: int | None) -> list[str]:
    """corpusFromText's vocabulary: by first occurrence; with max_size, the max_size − 1 most
    frequent words (ties by first occurrence) and <unk> where the first dropped word occurs."""
    index = first_occurrence(words)
    every = list(index)
    if max_size is None or len(every) <= max_size:
        return every
    counts = np.bincount(np.fromiter((index[w] for w in words), np.int64, len(words)),
                         minlength=len(every))
    unk = index.get(UNK)
    ranked = sorted((i for i in range(len(every)) if i != unk), key=lambda i: (-counts[i], i))
    keep = set(ranked[: max_size - 1])
    return list(first_occurrence([w if i in keep else UNK for i, w in enumerate(every)]))


def to_ids(words: list[str], vocab: list[str], where: str, strict: bool) -> np.ndarray:
    index = {w: i for i, w in enumerate(vocab)}
    unk = None if strict else index.get(UNK)
    ids = np.empty(len(words), np.int32)
    for i, w in enumerate(words):
        got = index.get(w, unk)
        if got is None:
            raise Failure(f'{where}: word "{w}" at token position {i} is not in the vocabulary')
        ids[i] = got
    return ids


def find_ptb(data_dir: str | None, config_dir: str | None) -> dict[str, str]:
    """The three PTB files: --data-dir, the run's data dir, SAIKI_DATA_DIR, then the cache."""
    names = {s: f"ptb.{s}.txt" for s in ("train", "valid", "test")}
    for folder, named in ((data_dir, "--data-dir"), (config_dir, "the run's dataDir"),
                          (os.environ.get("SAIKI_DATA_DIR") or None, "SAIKI_DATA_DIR")):
        if folder is None:
            continue
        paths = {s: os.path.join(folder, n) for s, n in names.items()}
        missing = [p for p in paths.values() if not os.path.isfile(p)]
        if not missing:
            return paths
        if named != "the run's dataDir":
            raise Failure(f"PTB: {missing[0]} is not there ({named} {folder} must hold "
                          f"ptb.train.txt, ptb.valid.txt and ptb.test.txt)")
    cache = os.environ.get("XDG_CACHE_HOME") or (
        os.path.join(os.environ["HOME"], ".cache") if os.environ.get("HOME") else None) or \
        os.environ.get("LOCALAPPDATA")
    if cache is not None:
        paths = {s: os.path.join(cache, "saiki", "ptb", n) for s, n in names.items()}
        if all(os.path.isfile(p) for p in paths.values()):
            return paths
    raise Failure("PTB: ptb.train.txt was not found (no --data-dir, no dataDir in the run, "
                  "SAIKI_DATA_DIR unset, nothing in the cache ~/.cache/saiki/ptb): give "
                  "--data-dir DIR with ptb.{train,valid,test}.txt")


def read_ptb(path: str, split: str) -> list[str]:
    with open(path, "rb") as f:
        data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != PTB_SHA256[split]:
        raise Failure(f"{path}: SHA-256 is {digest}, expected {PTB_SHA256[split]}: not the "
                      f"reference ptb.{split}.txt")
    return tokenize(data.decode("utf-8"), reference=True)


@dataclass
class Data:
    """The run's ids (valid and test where it has them), its words by id, where they came from."""
    train: np.ndarray
    valid: np.ndarray | None
    test: np.ndarray | None
    words: list[str]
    source: str


def load_data(config: dict, args: argparse.Namespace) -> Data:
    """The run's ids and vocabulary, as saiki's loadRunData makes them."""
    corpus = args.corpus or config.get("corpus")
    if corpus is not None:
        words = tokenize(read_text(corpus, "--corpus"))
        vocab = capped_vocabulary(words, config.get("vocabSize"))
        valid_path = args.valid or config.get("validCorpus")
        test_path = args.test or config.get("testCorpus")
        if (valid_path or test_path) and UNK not in vocab:
            vocab.append(UNK)
        train = to_ids(words, vocab, f"--corpus {corpus}", strict=False)
        held = [None if p is None else
                to_ids(tokenize(read_text(p, flag)), vocab, f"{flag} {p}", strict=False)
                for p, flag in ((valid_path, "--valid"), (test_path, "--test"))]
        data = Data(train, held[0], held[1], vocab, corpus)
    else:
        if args.data_dir is not None and not os.path.isdir(args.data_dir):
            raise Failure(f"--data-dir {args.data_dir} is not a folder")
        paths = find_ptb(args.data_dir, config.get("dataDir"))
        words = read_ptb(paths["train"], "train")
        vocab = list(first_occurrence(words))
        train = to_ids(words, vocab, paths["train"], strict=True)
        held = [to_ids(read_ptb(paths[s], s), vocab, paths[s], strict=True)
                for s in ("valid", "test")]
        data = Data(train, held[0], held[1], vocab, os.path.dirname(paths["train"]))
    size = int(config.get("corpusSize") or 0)
    if 0 < size < len(data.train):  # the reference's chapter-5 cut (run_data.ts `cut`)
        train = data.train[:size]
        data = Data(train, None, None, data.words[: int(train.max()) + 1],
                    f"{data.source}, first {size} words")
    return data


def corpus_id(ids: np.ndarray) -> str:
    """What saiki's checkpoints record of the training ids: their count and SHA-256."""
    digest = hashlib.sha256(ids.astype("<i4").tobytes()).hexdigest()[:16]
    return f"{len(ids):,} tokens, sha256 {digest}"


def check_vocab(data: Data, export: Export) -> None:
    if data.words == export.vocab:
        return
    at = next((i for i, (a, b) in enumerate(zip(data.words, export.vocab)) if a != b),
              min(len(data.words), len(export.vocab)))
    def word(ws: list[str]) -> str:
        return json.dumps(ws[at]) if at < len(ws) else "(none)"
    raise Failure(f"the vocabulary built from {data.source} ({len(data.words)} words) is not "
                  f"{export.path}'s ({len(export.vocab)}): id {at} is {word(data.words)} there, "
                  f"{word(export.vocab)} in the export; give the run's data (--data-dir, "
                  f"--corpus)")


# ---------------------------------------------------------------------------------------------
# the plan: everything checked before any process group starts


@dataclass
class Plan:
    """Everything a rank needs, checked: what make_plan returns."""
    export: Export
    start: Start
    data: Data
    config: dict
    trainer: dict
    progress: dict
    validates: bool
    max_iters: int
    stop_step: int | None
    out: str
    recurrent: list[tuple[np.ndarray, np.ndarray | None]] | None
    notes: list[str]
    metrics: str | None = None
    nothing_to_do: str | None = None
    save_every: int = 0


def js_number(x: float) -> str:
    """A number as JavaScript prints it (20, not 20.0), so lines read as saiki's do."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e21 else repr(float(x))


def make_plan(args: argparse.Namespace, world: int) -> Plan:
    export = read_export(args.source)
    start = find_start(export, args.checkpoint)
    config, trainer, progress = dict(start.config), dict(start.trainer), dict(start.progress)
    notes = list(start.notes)
    if config.get("optimizer", "sgd") != "sgd":
        raise Failure(f"{start.origin} trains with {config['optimizer']}; continue_ddp.py "
                      f"continues SGD runs (the book's) only")
    old_shape = (config["batch"], config["time"])
    for flag, key in (("batch_size", "batch"), ("time_size", "time"), ("max_grad", "clip"),
                      ("epochs", "epochs"), ("eval_interval", "evalInterval"), ("seed", "seed")):
        if getattr(args, flag) is not None:
            config[key] = getattr(args, flag)
    if args.data_dir is not None:
        config["dataDir"] = args.data_dir
    for flag, key in (("corpus", "corpus"), ("valid", "validCorpus"), ("test", "testCorpus")):
        if getattr(args, flag) is not None:
            config[key] = getattr(args, flag)
    lr = float(progress.get("lr", config["lr"]) if args.lr is None else args.lr)
    progress["lr"] = lr
    if args.lr is not None:
        config["lr"] = lr
    N, T = int(config["batch"]), int(config["time"])
    given = "--batch-size" if args.batch_size is not None else f"the run's batch size (from " \
                                                              f"{start.origin})"
    if N % world != 0 or N < world:
        raise Failure(f"{given} {N} does not split into {world} equal shards: each of the "
                      f"{world} ranks takes N/{world} rows of every batch, and DDP's average of "
                      f"the ranks' gradients is the whole batch's only for equal shards; give "
                      f"--batch-size divisible by {world}")
    out = args.out or os.path.join(os.path.dirname(export.path) or ".", "torch-ddp.safetensors")
    check_out(out, export.path, start.origin)
    try:
        data = load_data(config, args)
        check_vocab(data, export)
    except Failure as e:
        if start.origin != "the beginning":
            raise
        raise Failure(f"{e} (note: {start.notes[0]})") from None
    cid = corpus_id(data.train)
    if start.corpus_id is not None and start.corpus_id != cid:
        raise Failure(f"the training ids differ from the run's: {start.origin} trained on "
                      f"{start.corpus_id}, the data here gives {cid}; give the run's data")
    M = len(data.train) - 1
    max_iters = M // (N * T)
    if max_iters < 1:
        raise Failure(f"batch {N} x time {T} needs {N * T} tokens per batch, but the training "
                      f"data has {M} inputs; lower --batch-size or --time-size")
    validates = data.valid is not None and bool(config.get("decay") or config.get("validCorpus"))
    for name, ids in (("validation", data.valid), ("test", data.test)):
        if ids is not None and len(ids) < EVAL_BATCH * EVAL_TIME + 1:
            raise Failure(f"the {name} text has {len(ids)} tokens; perplexity is evaluated in "
                          f"batches of 10 x 35 and needs at least 351")
    recurrent = start.recurrent
    if (N, T) != tuple(old_shape):
        # the position in tokens read this epoch, in batches of the new shape; the state (N
        # rows of the old shape) cannot carry over
        done = trainer["iter"] * old_shape[0] * old_shape[1]
        trainer["iter"] = min(done // (N * T), max_iters)
        trainer.update(totalLoss=0, lossCount=0)
        recurrent = None
        notes.append(f"batch {N}x{T} instead of the run's {old_shape[0]}x{old_shape[1]}: the "
                     f"epoch goes on from its {done:,} tokens read, the recurrent state from "
                     f"zeros (not saiki's run any more)")
    if trainer["iter"] > max_iters:
        raise Failure(f'{start.origin}: metadata "trainer": "iter" is {trainer["iter"]}, more '
                      f"than the {max_iters} iterations of an epoch")
    if recurrent is not None and any(h.shape != (N, export.model.hidden_size)
                                     for h, _ in recurrent):
        raise Failure(f"{start.origin}: the recurrent state is not ({N}, "
                      f"{export.model.hidden_size}) per layer")
    stop_step = None if args.iters is None else int(trainer["step"]) + args.iters
    if args.metrics is not None and not os.path.isdir(os.path.dirname(os.path.abspath(
            args.metrics))):
        raise Failure(f"--metrics {args.metrics}: its folder does not exist")
    plan = Plan(export, start, data, config, trainer, progress, validates, max_iters, stop_step,
                out, recurrent, notes, args.metrics, save_every=args.save_every)
    if trainer["epoch"] >= int(config["epochs"]):
        plan.nothing_to_do = (
            f"{start.origin} has trained {trainer['epoch']} epochs"
            + (f", --epochs {config['epochs']} asks no more" if args.epochs is not None
               else ", all of its run")
            + f": nothing to do; to train on, give --epochs with more than {trainer['epoch']}")
    return plan


def check_out(out: str, export: str, origin: str) -> None:
    """The output may replace a torch export (the input one too: it is read by then), never a
    checkpoint or anything else."""
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise Failure(f"--out {out}: the folder {folder} does not exist")
    if not os.path.exists(out):
        return
    if os.path.abspath(out) == os.path.abspath(origin) != os.path.abspath(export):
        raise Failure(f"--out {out} is the checkpoint the run continues from: choose another file")
    try:
        metadata, _ = read_safetensors(out, [])
    except Failure:
        metadata = {}
    if not os.path.isfile(out) or metadata.get("format") != FORMAT:
        raise Failure(f"--out {out} exists and is not a torch export: choose another file "
                      f"(nothing was changed)")


# ---------------------------------------------------------------------------------------------
# training


def shard_rows(rows: int, shards: int) -> list[tuple[int, int]]:
    """saiki's shardRows: contiguous blocks, sizes differing by at most one, larger first."""
    base, extra = divmod(rows, shards)
    out, at = [], 0
    for s in range(shards):
        n = base + (1 if s < extra else 0)
        out.append((at, at + n))
        at += n
    return out


def exp(x: float) -> float:
    """e^x as JavaScript's Math.exp: infinity past the float range, not an OverflowError."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def format_duration(seconds: float) -> str:
    """saiki's formatDuration: 1h02m, 3m07s, 42s."""
    if not math.isfinite(seconds):
        return "?"
    s = round(seconds)
    h, m = s // 3600, (s % 3600) // 60
    return f"{h}h{m:02d}m" if h > 0 else f"{m}m{s % 60:02d}s" if m > 0 else f"{s}s"


class Trainer:
    """One rank's part of the run: saiki's RunLoop (lib/train/session.ts) on a DDP model."""

    def __init__(self, plan: Plan, rank: int, world: int):
        self.plan, self.rank, self.world = plan, rank, world
        self.config = plan.config
        self.state = plan.trainer
        self.progress = plan.progress
        model = plan.export.model
        fold_hidden_biases(model)
        self.model = model.train()
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.ddp = torch.nn.parallel.DistributedDataParallel(model)
        self.optimizer = torch.optim.SGD(self.params, lr=plan.progress["lr"])
        self.N, self.T = int(self.config["batch"]), int(self.config["time"])
        self.rows = (rank * self.N // world, (rank + 1) * self.N // world)
        train = plan.data.train.astype(np.int64)
        self.xs, self.ts = train[:-1], train[1:]
        self.hidden = self.initial_state(plan.recurrent)
        self.max_grad = float(self.config.get("clip") or 0) or math.inf
        self.best: dict | None = None
        self.metrics = open(plan.metrics, "w") if rank == 0 and plan.metrics else None
        self.stop_at_end = False
        self.saved_at: tuple | None = None
        self.start_time = time.perf_counter()
        self.start_step = int(self.state["step"])

    def log(self, line: str) -> None:
        if self.rank == 0:
            print(line, flush=True)

    def gathered_state(self) -> list[torch.Tensor] | None:
        """The whole batch's recurrent state, every rank's rows in order (a collective)."""
        if self.hidden is None:
            return None
        whole = []
        for part in (self.hidden if isinstance(self.hidden, tuple) else (self.hidden,)):
            parts = [torch.empty_like(part) for _ in range(self.world)]
            dist.all_gather(parts, part.contiguous())
            whole.append(torch.cat(parts, dim=1))
        return whole

    def save(self, path: str) -> None:
        """The parameters, the position and the recurrent state: rank 0 writes, and every rank
        learns whether it could, so none trains on alone. A position written already is not
        written again (an epoch's end that is also the run's)."""
        at = (path, self.state["step"], self.state["epoch"])
        if at == self.saved_at:
            return
        state = self.gathered_state()
        failure = None
        if self.rank == 0:
            try:
                save(self.model, path, self.plan, self.world, encode_state(state))
            except Failure as e:
                failure = e
        agree(failure, self.rank, self.world)
        self.saved_at = at

    def metric(self, **fields) -> None:
        if self.metrics is not None:
            self.metrics.write(json.dumps(fields) + "\n")
            self.metrics.flush()

    def initial_state(self, recurrent):
        """This rank's rows of the checkpoint's recurrent state, or None (zeros)."""
        if recurrent is None:
            return None
        r0, r1 = self.rows
        h = torch.stack([torch.from_numpy(np.ascontiguousarray(h[r0:r1])) for h, _ in recurrent])
        if self.model.cell != "lstm":
            return h
        c = torch.stack([torch.from_numpy(np.ascontiguousarray(c[r0:r1])) for _, c in recurrent])
        return (h, c)

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """This rank's rows of the next batch (saiki's getBatch); advances timeIdx by T."""
        M, jump = len(self.xs), len(self.xs) // self.N
        rows = np.arange(*self.rows)[:, None]
        at = (rows * jump + int(self.state["timeIdx"]) + np.arange(self.T)[None, :]) % M
        self.state["timeIdx"] = int(self.state["timeIdx"]) + self.T
        return torch.from_numpy(self.xs[at]), torch.from_numpy(self.ts[at])

    def step(self) -> tuple[float, float]:
        """One iteration: forward, backward (DDP averages the gradients), clip, SGD. Returns
        the whole batch's mean loss and the gradients' global norm before clipping."""
        x, t = self.batch()
        logits, hidden = self.ddp(x, self.hidden)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), t.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.hidden = tuple(h.detach() for h in hidden) if isinstance(hidden, tuple) \
            else hidden.detach()
        norm = torch.nn.utils.clip_grad_norm_(self.params, self.max_grad)
        self.optimizer.step()
        total = loss.detach().to(torch.float64)
        dist.all_reduce(total)  # the mean of equal shards' means: the whole batch's mean
        self.state["step"] = int(self.state["step"]) + 1
        return total.item() / self.world, float(norm)

    def evaluate(self, ids: np.ndarray) -> float:
        """Perplexity as saiki's trainer.evaluate: batches of 10 x 35 at offsets
        i·jump + k·35, the state carried from zeros, dropout off; rows split among the ranks."""
        L = len(ids)
        iters = (L - 1) // (EVAL_BATCH * EVAL_TIME)
        jump = (L - 1) // EVAL_BATCH
        shards = shard_rows(EVAL_BATCH, min(self.world, EVAL_BATCH))
        r0, r1 = shards[self.rank] if self.rank < len(shards) else (0, 0)  # > 10 ranks: idle
        ids64 = ids.astype(np.int64)
        total, hidden = 0.0, None
        self.model.eval()
        with torch.no_grad():
            for k in range(iters):
                if r1 == r0:
                    continue
                at = (k * EVAL_TIME + np.arange(r0, r1)[:, None] * jump +
                      np.arange(EVAL_TIME)[None, :])
                x = torch.from_numpy(ids64[at % L])
                t = torch.from_numpy(ids64[(at + 1) % L])
                logits, hidden = self.model(x, hidden)
                total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), t.reshape(-1),
                                         reduction="sum").item()
        self.model.train()
        summed = torch.tensor(total, dtype=torch.float64)
        dist.all_reduce(summed)
        return exp(summed.item() / (EVAL_BATCH * EVAL_TIME) / iters)

    def eta(self) -> float:
        """Seconds left, at this session's mean time per iteration."""
        step = int(self.state["step"])
        end = int(self.config["epochs"]) * self.plan.max_iters
        if self.plan.stop_step is not None:
            end = min(end, self.plan.stop_step)
        ahead = end - step
        spent = time.perf_counter() - self.start_time
        return spent / max(step - self.start_step, 1) * max(ahead, 0)

    def fit_epoch(self) -> bool:
        """The rest of one epoch (saiki's fit with maxEpoch 1). False when stopped in it."""
        st, plan = self.state, self.plan
        if plan.validates and st["iter"] == 0:
            st.update(timeIdx=0, totalLoss=0, lossCount=0)  # train_better_rnnlm: fit per epoch
        tokens, last = 0, time.perf_counter()
        interval = int(self.config["evalInterval"])
        while st["iter"] < plan.max_iters:
            loss, norm = self.step()
            st["totalLoss"] += loss
            st["lossCount"] += 1
            tokens += self.N * self.T
            iters = st["iter"]
            st["iter"] += 1
            if iters % interval == 0:
                now = time.perf_counter()
                ppl = exp(st["totalLoss"] / st["lossCount"])
                tok_s = tokens / max(now - last, 1e-9)
                self.report(iters + 1, ppl, tok_s, norm)
                st.update(totalLoss=0, lossCount=0)
                tokens, last = 0, now
            if not math.isfinite(exp(loss)):  # the loss, or its perplexity, beyond float range
                raise Failure(f"training diverged: the loss is {loss} at iteration {st['step']} "
                              f"(epoch {st['epoch'] + 1}, iter {iters + 1}); nothing was written "
                              f"(lower --lr or set --max-grad)")
            self.progress["epochLoss"] += loss
            self.progress["epochCount"] += 1
            if plan.stop_step is not None and st["step"] >= plan.stop_step:
                # at an epoch's last iteration the epoch's end comes first, as saiki's stop
                self.stop_at_end = st["iter"] == plan.max_iters
                if not self.stop_at_end:
                    return False
            if plan.save_every and st["step"] % plan.save_every == 0 and \
                    st["iter"] < plan.max_iters:  # an epoch's end writes it anyway
                self.save(plan.out)
                self.log(f"wrote {plan.out} (epoch {st['epoch'] + 1}, iteration {st['step']})")
        return True

    def report(self, iter_: int, ppl: float, tok_s: float, norm: float) -> None:
        if not math.isfinite(ppl):
            return
        elapsed = time.perf_counter() - self.start_time
        st = self.state
        self.metric(kind="train", step=st["step"], epoch=st["epoch"] + 1, iter=iter_, ppl=ppl,
                    lr=self.optimizer.param_groups[0]["lr"], grad_norm=norm,
                    tokens_per_sec=round(tok_s), elapsed=round(elapsed, 1))
        self.log(f"| epoch {st['epoch'] + 1} | iter {iter_} / {self.plan.max_iters} | time "
                 f"{int(elapsed)}[s] | perplexity {ppl:.2f} | {round(tok_s)} tok/s | ETA "
                 f"{format_duration(self.eta())}")

    def end_epoch(self) -> None:
        """saiki's endEpoch: the epoch's perplexity; validation, best kept, lr ÷ 4 if worse."""
        st, progress = self.state, self.progress
        st["iter"], st["epoch"] = 0, st["epoch"] + 1
        lr = self.optimizer.param_groups[0]["lr"]
        epoch_ppl = exp(progress["epochLoss"] / max(progress["epochCount"], 1))
        progress.update(epochLoss=0, epochCount=0)
        self.metric(kind="epoch", step=st["step"], epoch=st["epoch"], ppl=epoch_ppl)
        self.log(f"| epoch {st['epoch']} | perplexity {epoch_ppl:.2f} | lr {js_number(lr)}")
        if not self.plan.validates:
            return
        self.hidden = None  # as the reference: validate from zeros, train on from zeros
        ppl = self.evaluate(self.plan.data.valid)
        self.metric(kind="valid", step=st["step"], epoch=st["epoch"], ppl=ppl)
        self.log(f"| epoch {st['epoch']} | valid perplexity {ppl:.2f}")
        best = progress.get("bestValid")
        if best is None or ppl < best:
            progress["bestValid"] = ppl
            self.best = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            self.save(best_path(self.plan.out))
        elif self.config.get("decay"):
            lr /= 4
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            progress["lr"] = lr
            self.log(f"| valid perplexity got worse: lr ÷ 4 → {js_number(lr)}")

    def run(self) -> None:
        """saiki's TrainingSession.run: epochs until the run's last, or until --iters; then
        rank 0 writes the output, and a finished run takes its test perplexity."""
        plan, st = self.plan, self.state
        self.start_time = time.perf_counter()
        stopped = plan.stop_step is not None and st["step"] >= plan.stop_step
        while not stopped and st["epoch"] < int(self.config["epochs"]):
            stopped = not self.fit_epoch()
            if stopped:
                break
            self.end_epoch()
            self.save(plan.out)  # at every epoch's end, as saiki's checkpoint
            stopped = self.stop_at_end and st["epoch"] < int(self.config["epochs"])
        seconds = time.perf_counter() - self.start_time
        done = st["step"] - self.start_step
        tok_s = done * self.N * self.T / max(seconds, 1e-9)
        self.log(f"trained {done} iterations in {format_duration(seconds)} ({round(tok_s)} "
                 f"tok/s on {self.world} rank{'s' if self.world > 1 else ''})")
        self.save(plan.out)
        finished = st["epoch"] >= int(self.config["epochs"])
        if finished and plan.data.test is not None:
            if plan.validates and self.best is not None:
                self.model.load_state_dict(self.best)
                self.log(f"restored the best parameters (valid perplexity "
                         f"{self.progress['bestValid']:.2f})")
            ppl = self.evaluate(plan.data.test)
            self.metric(kind="test", step=st["step"], ppl=ppl)
            self.log(f"test perplexity: {ppl:.2f}")
        where = f"epoch {st['epoch'] + (0 if finished else 1)}, iteration {st['step']}"
        self.log(f"wrote {plan.out} ({where}); take it back to saiki: deno task import-torch "
                 f"{plan.out} --out runs/NAME")
        if plan.validates and self.best is not None:
            self.log(f"the best parameters: {best_path(plan.out)}")


def best_path(out: str) -> str:
    stem = out[: -len(".safetensors")] if out.endswith(".safetensors") else out
    return f"{stem}.best.safetensors"


def save(model: RnnLM, path: str, plan: Plan, world: int, state: str) -> None:
    """Rank 0's write: RnnLM.save_safetensors to a temporary file, renamed into place, with the
    run's settings and position in the metadata (so this script can continue from it)."""
    progress = dict(plan.progress)
    if progress.get("bestValid") is not None and not math.isfinite(progress["bestValid"]):
        progress["bestValid"] = None
    extra = {
        "train_config": json.dumps(plan.config),
        "trainer": json.dumps(plan.trainer),
        "progress": json.dumps(progress),
        "corpus": corpus_id(plan.data.train),
        "recurrent_state": state,
        "source": f"continue_ddp.py on {world} rank{'s' if world > 1 else ''} from "
                  f"{plan.export.path} ({plan.start.origin})",
    }
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        model.save_safetensors(tmp, plan.export.vocab, extra)
        os.replace(tmp, path)
    except OSError as e:
        raise Failure(f"{path}: cannot write it ({e.strerror})") from None
    except Exception as e:  # safetensors' own I/O error (SafetensorError)
        raise Failure(f"{path}: cannot write it ({first_line(e)})") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# ---------------------------------------------------------------------------------------------
# the two ways in: under torchrun (a rank), or plain python3 (check, then start torchrun)


def header(plan: Plan, world: int) -> list[str]:
    m, c, st = plan.export.model, plan.config, plan.trainer
    params = sum(p.numel() for p in m.parameters() if p.requires_grad)
    N = int(c["batch"])
    clip = float(c.get("clip") or 0)
    lines = [
        f"continue_ddp: {plan.export.path} | {m.cell} ×{m.num_layers} | V {m.vocab_size} "
        f"D {m.wordvec_size} H {m.hidden_size} | {params / 1e6:.2f}M params | "
        f"{len(plan.data.train):,} train tokens | batch {N}×{c['time']} = {world} rank"
        f"{'s' if world > 1 else ''} × {N // world} rows | {plan.max_iters} iters/epoch | "
        f"lr {js_number(plan.progress['lr'])} | clip {js_number(clip) if clip else 'off'}"
        f"{' | validation each epoch' if plan.validates else ''}",
        f"continuing from {plan.start.origin}: epoch {st['epoch'] + 1}, iteration {st['step']} "
        f"(iter {st['iter']} / {plan.max_iters}, timeIdx {st['timeIdx']}), until "
        + (f"iteration {plan.stop_step}" if plan.stop_step is not None else
           f"epoch {c['epochs']} ends"),
    ]
    return lines + [f"note: {n}" for n in plan.notes]


def worker(args: argparse.Namespace) -> int:
    """One rank under torchrun. A Failure is settled among the ranks (agree) before any leaves."""
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    dist.init_process_group("gloo")
    trainer = None
    try:
        try:
            plan, failure = None, None
            try:
                plan = make_plan(args, world)
            except Failure as e:
                failure = e
            agree(failure, rank, world)
            if plan.nothing_to_do is not None:
                if rank == 0:
                    print(plan.nothing_to_do, flush=True)
                return 0
            seed = int(plan.config.get("seed", 1))
            torch.manual_seed((seed * 1_000_003 + rank * 10_007 + int(plan.trainer["step"]))
                              % 2**62)
            trainer = Trainer(plan, rank, world)
            if rank == 0:
                for line in header(plan, world):
                    print(line, flush=True)
            dist.barrier()
            trainer.run()
            # every rank waits for the others (rank 0 writes the output last): a rank that
            # tears down gloo while another still talks to it can abort in gloo's threads
            dist.barrier()
        except Failure as e:  # one every rank meets at the same step (the loss is all-reduced)
            agree(e, rank, world)
    except Stopped as e:
        return e.code
    finally:
        del trainer  # the DDP module and its reducer go before their process group
        dist.destroy_process_group()
    return 0


def launcher(args: argparse.Namespace, argv: list[str]) -> int:
    """Without torchrun: every check first (errors in one line), then torchrun takes over."""
    nproc = args.nproc_per_node or 1
    plan = make_plan(args, nproc)
    if plan.nothing_to_do is not None:
        print(plan.nothing_to_do, flush=True)
        return 0
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc-per-node={nproc}", os.path.abspath(__file__), *argv]
    sys.stdout.flush()
    os.execv(sys.executable, command)
    return 0  # not reached


def main(argv: list[str]) -> int:
    try:
        args = parse_args(argv)
        if "RANK" in os.environ and "WORLD_SIZE" in os.environ:
            return worker(args)
        return launcher(args, argv)
    except Failure as e:
        print(f"continue_ddp.py: error: {e}", file=sys.stderr, flush=True)
        return e.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
