"""safetensors files from elsewhere cannot reach outside their data or memory."""

import json
import struct

import numpy as np
import pytest

from minicnn.io import CheckpointError
from minicnn.weights import read_safetensors, write_safetensors


def _safetensors(path, header, body):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)


@pytest.mark.parametrize(
    "header, body, match",
    [
        (
            {
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
            },
            12,
            r"'b' at \[4, 12\] overlaps",
        ),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, 8, r"'a' at \[4, 8\] leaves a gap"),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, 8, r"cover 4 of the 8 bytes"),
        ({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, 8, r"\[0, 16\] outside the 8 bytes"),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}, 8, r"\[8, 4\] outside"),
        (
            {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}},
            8,
            r"\(3,\) F32, 12 bytes, but "
            r"data_offsets span 8",
        ),
        ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, 8, r"shape that holds a negative"),
        ({"a": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}}, 8, r"that is not an int"),
        ({"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, 8, r"dtype 'C64', which minicnn"),
        ({"a": {"dtype": ["F32"], "shape": [1], "data_offsets": [0, 8]}}, 8, r"dtype \['F32'\]"),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0]}}, 8, r"not \[begin, end\]"),
        ({"a": [1, 2]}, 8, r"described by a JSON list"),
        ([1, 2], 8, r"the header is a JSON list, not an object"),
        ({"__metadata__": 3}, 0, r"__metadata__ is not a JSON object"),
        (
            {"a": {"dtype": "F32", "shape": [0, 1 << 62, 1 << 62], "data_offsets": [0, 0]}},
            0,
            r"impossible shape \(0, 4611686018427387904, 4611686018427387904\): no array is that large",
        ),
    ],
)
def test_safetensors_headers_are_checked(tmp_path, header, body, match):
    path = tmp_path / "w.safetensors"
    _safetensors(path, header, bytes(body))
    with pytest.raises(CheckpointError, match=r"w\.safetensors: .*" + match):
        read_safetensors(path)


def test_safetensors_header_lengths_and_sizes_are_checked(tmp_path):
    path = tmp_path / "w.safetensors"
    path.write_bytes(struct.pack("<Q", 1 << 62) + b"{}")
    with pytest.raises(CheckpointError, match="header length 4611686018427387904 runs past the end"):
        read_safetensors(path)
    path.write_bytes(struct.pack("<Q", 2) + b"\xff\xfe")
    with pytest.raises(CheckpointError, match="the header is not JSON"):
        read_safetensors(path)
    path.write_bytes(struct.pack("<Q", 200_000) + b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(CheckpointError, match="the header is not JSON"):
        read_safetensors(path)
    write_safetensors({"w": np.ones(2000, np.float32)}, path)
    from minicnn import io

    io.set_read_limit(5000)  # the header's 64 bytes, as objects, fit
    try:
        with pytest.raises(CheckpointError, match="its tensors would take 7.8 KiB, more than the read limit"):
            read_safetensors(path)
    finally:
        io.set_read_limit(None)
    np.testing.assert_array_equal(read_safetensors(path)["w"], np.ones(2000))


def test_safetensors_zero_size_tensors_and_metadata_read(tmp_path):
    path = tmp_path / "w.safetensors"
    _safetensors(
        path,
        {
            "__metadata__": {"format": "pt"},
            "e": {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]},
            "a": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]},
            "z": {"dtype": "U8", "shape": [], "data_offsets": [8, 9]},
        },
        struct.pack("<q", -7) + b"\x05",
    )
    state = read_safetensors(path)
    assert state["e"].shape == (0, 4) and state["a"].tolist() == [-7] and state["z"] == 5


def test_bfloat16_safetensors_read_within_what_they_claim(tmp_path, rng, peak_memory):
    from minicnn import io

    sizes = [int(v) for v in rng.integers(1 << 18, 1 << 19, 3)]
    values = [rng.standard_normal(n).astype(np.float32) for n in sizes]
    bits = [(v.view(np.uint32) >> 16).astype("<u2") for v in values]  # bfloat16: the top halves
    header, offset = {}, 0
    for i, b in enumerate(bits):
        header[f"t{i}"] = {"dtype": "BF16", "shape": [b.size], "data_offsets": [offset, offset + b.nbytes]}
        offset += b.nbytes
    path = tmp_path / "bf16.safetensors"
    _safetensors(path, header, b"".join(b.tobytes() for b in bits))
    claimed = 4 * sum(sizes) + 2 * max(sizes)  # every float32, and the largest one's bfloat16 beside it
    state = []
    assert peak_memory(lambda: state.append(read_safetensors(path))) < claimed + (64 << 10)
    for i, b in enumerate(bits):
        np.testing.assert_array_equal(state[0][f"t{i}"], (b.astype(np.uint32) << 16).view(np.float32))
    io.set_read_limit(claimed - 1)
    try:
        with pytest.raises(CheckpointError, match=r"bf16\.safetensors: its tensors would take"):
            read_safetensors(path)
    finally:
        io.set_read_limit(None)


def test_a_safetensors_header_is_counted_as_the_objects_it_parses_to(tmp_path, rng):
    from minicnn import io

    n = int(rng.integers(2000, 4000))
    path = tmp_path / "meta.safetensors"
    _safetensors(path, {"__metadata__": {f"k{i}": "" for i in range(n)}}, b"")
    assert read_safetensors(path) == {}
    io.set_read_limit(16 * path.stat().st_size)
    try:
        with pytest.raises(CheckpointError, match=r"meta\.safetensors: its header, parsed, would take"):
            read_safetensors(path)
    finally:
        io.set_read_limit(None)
