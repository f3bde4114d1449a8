#!/usr/bin/env python3
"""Runs exported files in real PyTorch, for tests/models/torch_interop_test.ts.

Usage: python3 tests/torch_interop.py MANIFEST.json

MANIFEST is a list of jobs. An export job {"file", "chunks", "out", "resaved"}:

- builds examples/torch/rnnlm.py's RnnLM from the file's torch_config metadata and loads the
  file into it with model.load_state_dict(safetensors.torch.load_file(file)) (strict: every
  key and shape must fit);
- feeds it the word ids of each chunk in turn ((N, T) lists), carrying the recurrent state
  from one chunk to the next as saiki's stateful layers do, in eval mode (no dropout);
- writes `out` (safetensors): logits0, logits1, … (N, T, V) and the final state h (L, N, H)
  and, for an LSTM, c (L, N, H);
- writes `resaved`: the module's own state dict saved again (RnnLM.save_safetensors), which
  the test imports back into saiki, bit for bit.

A native job {"native": RnnLM's keyword arguments, "seed", "file", "chunks", "out"} builds a
model with PyTorch's own initialisation (both biases of every layer non-zero), saves it as
`file` (RnnLM.save_safetensors) for saiki to import, and writes `out` as above.

Prints one line per job; exit 1 with the job's file and the error when one fails, 3 when
torch or safetensors cannot be imported.
"""

import json
import sys
from pathlib import Path

try:
    import torch
    from safetensors.torch import load_file, save_file
except ImportError as e:
    print(f"missing: {e}", file=sys.stderr)
    sys.exit(3)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "torch"))
from rnnlm import RnnLM, read_vocab  # noqa: E402


def run(job):
    from safetensors import safe_open

    if "native" in job:
        config = job["native"]
        torch.manual_seed(job["seed"])
        model = RnnLM(**config)
        model.save_safetensors(job["file"])
    else:
        with safe_open(job["file"], "pt") as f:
            config = json.loads(f.metadata()["torch_config"])
        model = RnnLM(**config)
        model.load_state_dict(load_file(job["file"]))  # strict
    model.eval()
    if config["tied"]:
        assert model.out.weight is model.embed.weight, "tying lost on loading"
    outputs = {}
    state = None
    with torch.no_grad():
        for i, chunk in enumerate(job["chunks"]):
            logits, state = model(torch.tensor(chunk, dtype=torch.long), state)
            outputs[f"logits{i}"] = logits.contiguous()
    if config["cell"] == "lstm":
        outputs["h"], outputs["c"] = state[0].contiguous(), state[1].contiguous()
    else:
        outputs["h"] = state.contiguous()
    save_file(outputs, job["out"])
    if "resaved" in job:
        model.save_safetensors(job["resaved"], read_vocab(job["file"]))
    return f"{Path(job['file']).name}: {config} ok"


def main(argv):
    if len(argv) != 2:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    with open(argv[1], encoding="utf-8") as f:
        jobs = json.load(f)
    print(f"torch {torch.__version__}")
    for job in jobs:
        try:
            print(run(job))
        except Exception as e:  # one line naming the file, for the test's message
            print(f"{job['file']}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
