#!/usr/bin/env python3
"""Generates text with a saiki language model in ONNX Runtime: what `deno task generate` does,
served by another engine. The model is the file `deno task export runs/NAME --to onnx` writes.

    python3 examples/onnx/generate.py runs/NAME/model.onnx [--start you] [--length 100]
        [--temperature 1] [--top-k 0] [--skip "N,<unk>,$"] [--seed 1]

Needs onnxruntime and numpy (`pip install onnxruntime`), not saiki nor PyTorch. The model reads
one word at a time, `ids` (1, 1), and its final states `hn` (and `cn`) go back in as `h0` (and
`c0`) for the next word; the words come from the file's `vocab` metadata. With `--top-k 1`
(the likeliest word each step) the text is `deno task generate --top-k 1`'s, word for word;
otherwise the draws come from NumPy's generator, not saiki's, so the text differs.
"""

from __future__ import annotations

import argparse
import json
import sys

try:
    import numpy as np
    import onnxruntime as ort
except ImportError as e:
    sys.exit(f"error: {e.name} is not installed: pip install onnxruntime numpy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a file deno task export --to onnx wrote")
    parser.add_argument("--start", default="you", help="first word (default: %(default)s)")
    parser.add_argument("--length", type=int, default=100,
                        help="words to generate, start word included (default: %(default)s)")
    parser.add_argument("--temperature", type=float, default=1.0,
                        help="softmax temperature (default: %(default)s)")
    parser.add_argument("--top-k", type=int, default=0,
                        help="sample among the K likeliest words only, 0 = all (default: 0)")
    parser.add_argument("--skip", default="N,<unk>,$",
                        help="comma-separated words never emitted (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    args = parser.parse_args()
    if args.length < 1 or args.temperature <= 0 or args.top_k < 0:
        sys.exit("error: --length must be >= 1, --temperature > 0 and --top-k >= 0")

    try:
        session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types
        sys.exit(f"error: {args.model}: {str(e).splitlines()[0]}")
    metadata = session.get_modelmeta().custom_metadata_map
    if metadata.get("format") != "saiki-onnx/1" or "vocab" not in metadata:
        sys.exit(f"error: {args.model} is not a model deno task export --to onnx wrote "
                 f"with a vocabulary")
    inputs = {i.name: i for i in session.get_inputs()}
    if "h0" not in inputs:
        sys.exit(f"error: {args.model} has no h0 input: export it without --no-states")
    words = json.loads(metadata["vocab"])
    ids = {w: i for i, w in enumerate(words)}
    if args.start not in ids:
        sys.exit(f'error: --start "{args.start}" is not in the model\'s vocabulary')
    allowed = np.ones(len(words), dtype=bool)
    for w in filter(None, args.skip.split(",")):
        if w in ids:
            allowed[ids[w]] = False
    L, _, H = inputs["h0"].shape
    state = {name: np.zeros((L, 1, H), np.float32) for name in inputs if name != "ids"}
    rng = np.random.default_rng(args.seed)

    sampled = [ids[args.start]]
    while len(sampled) < args.length:
        feeds = {"ids": np.array([[sampled[-1]]], np.int64), **state}
        outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))
        state = {"h0": outputs["hn"], **({"c0": outputs["cn"]} if "cn" in outputs else {})}
        score = outputs["logits"][0, -1].astype(np.float64)
        # softmax over the allowed words, then the K likeliest (ties: the lower id, as saiki)
        score = np.where(allowed, score, -np.inf)
        p = np.exp((score - score.max()) / args.temperature)
        if 0 < args.top_k < len(words):
            keep = np.argsort(-p, kind="stable")[: args.top_k]
            mask = np.zeros_like(allowed)
            mask[keep] = True
            p = np.where(mask, p, 0.0)
        sampled.append(int(rng.choice(len(words), p=p / p.sum())))
    text = " ".join(words[i] for i in sampled)
    print(text.replace(" <eos> ", "\n").replace("<eos>", "\n"))


if __name__ == "__main__":
    main()
