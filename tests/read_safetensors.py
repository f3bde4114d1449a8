#!/usr/bin/env python3
"""An independent safetensors reader: checks a file saiki wrote against expectations.

Usage: python3 tests/read_safetensors.py <file.safetensors> <expectations.json>

Python 3 + NumPy only; no saiki code and no `safetensors` package. It parses the layout as the
specification gives it (huggingface/safetensors README):

    8 bytes   N, unsigned 64-bit little-endian
    N bytes   UTF-8 JSON object {"name": {"dtype", "shape", "data_offsets": [begin, end]},
              ..., "__metadata__": {str: str}}, possibly padded with trailing spaces
    rest      data: little-endian, row-major, offsets relative to the end of the header,
              tensors packed without gaps

Expectations JSON:

    {"tensors": {"name": {"dtype": "F32" | "I32", "shape": [..],
                          "first": [values...], "last": [values...]}, ...},
     "metadata": {"key": "value", ...}}

Values compare exactly (float32 values written as JSON doubles are exact).

Exit codes: 0 and "ok N tensors" on success; 1 with a message on any mismatch; 2 for bad usage;
3 with "numpy missing" when NumPy cannot be imported.
"""

import hashlib
import json
import struct
import sys

try:
    import numpy as np
except ImportError:
    print("numpy missing", file=sys.stderr)
    sys.exit(3)

DTYPES = {"F32": ("<f4", 4), "I32": ("<i4", 4), "F64": ("<f8", 8)}


def fail(message):
    print(f"read_safetensors: {message}", file=sys.stderr)
    sys.exit(1)


def parse(raw):
    if len(raw) < 8:
        fail(f"file is {len(raw)} bytes, shorter than the 8-byte length field")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        fail(f"header length {n} exceeds the {len(raw) - 8} bytes after the length field")
    header_bytes = raw[8 : 8 + n]
    if not header_bytes.startswith(b"{"):
        fail("header does not start with '{'")
    try:
        header = json.loads(header_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        fail(f"header is not UTF-8 JSON: {e}")
    if not isinstance(header, dict):
        fail("header is not a JSON object")
    data = raw[8 + n :]
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        fail("__metadata__ is not a str -> str map")
    # saiki records the SHA-256 of the whole file (the header's JSON with this field blank,
    # then the data); older files, of the data section: check either independently
    recorded = metadata.pop("sha256", None)
    if recorded is not None:
        field = ('"sha256":"%s"' % recorded).encode()
        text = header_bytes.rstrip(b" ")
        if text.count(field) != 1:
            fail("the header's sha256 field is not where saiki writes it")
        actual = hashlib.sha256(text.replace(field, b'"sha256":""') + data).hexdigest()
        if actual != recorded:
            fail(f"file SHA-256 {actual}, header records {recorded}")
    legacy = metadata.pop("data_sha256", None)
    if legacy is not None and hashlib.sha256(data).hexdigest() != legacy:
        fail(f"data SHA-256 {hashlib.sha256(data).hexdigest()}, header records {legacy}")
    tensors = {}
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict):
            fail(f"{name}: entry is not an object")
        dtype = info.get("dtype")
        if dtype not in DTYPES:
            fail(f"{name}: unexpected dtype {dtype!r}")
        shape = info.get("shape")
        offsets = info.get("data_offsets")
        if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
        ):
            fail(f"{name}: bad shape {shape!r}")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
        ):
            fail(f"{name}: bad data_offsets {offsets!r}")
        begin, end = offsets
        code, size = DTYPES[dtype]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not 0 <= begin <= end <= len(data):
            fail(f"{name}: data_offsets {offsets} outside the data section of {len(data)} bytes")
        if end - begin != count * size:
            fail(f"{name}: data_offsets span {end - begin} bytes, shape {shape} needs {count * size}")
        values = np.frombuffer(data, dtype=code, count=count, offset=begin).reshape(shape)
        tensors[name] = (dtype, values)
        spans.append((begin, end, name))
    covered = 0
    for begin, end, name in sorted(spans):
        if begin != covered:
            fail(f"{name}: starts at {begin}, expected {covered} (a gap or an overlap)")
        covered = end
    if covered != len(data):
        fail(f"data section has {len(data) - covered} bytes not covered by any tensor")
    return n, tensors, metadata


def compare(tensors, metadata, expected):
    want = expected.get("tensors", {})
    if sorted(tensors) != sorted(want):
        fail(f"tensor names {sorted(tensors)}, expected {sorted(want)}")
    for name, spec in want.items():
        dtype, values = tensors[name]
        if dtype != spec["dtype"]:
            fail(f"{name}: dtype {dtype}, expected {spec['dtype']}")
        if list(values.shape) != spec["shape"]:
            fail(f"{name}: shape {list(values.shape)}, expected {spec['shape']}")
        flat = values.reshape(-1)
        first = spec.get("first", [])
        last = spec.get("last", [])
        got_first = [v.item() for v in flat[: len(first)]]
        got_last = [v.item() for v in flat[len(flat) - len(last) :]] if last else []
        if got_first != first:
            fail(f"{name}: first values {got_first}, expected {first}")
        if got_last != last:
            fail(f"{name}: last values {got_last}, expected {last}")
    if metadata != expected.get("metadata", {}):
        fail(f"metadata {metadata!r}, expected {expected.get('metadata', {})!r}")


def main(argv):
    if len(argv) != 3:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        raw = f.read()
    with open(argv[2], encoding="utf-8") as f:
        expected = json.load(f)
    n, tensors, metadata = parse(raw)
    if (8 + n) % 8 != 0:
        fail(f"data section starts at byte {8 + n}, not 8-aligned (saiki pads its headers)")
    compare(tensors, metadata, expected)
    print(f"ok {len(tensors)} tensors")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
