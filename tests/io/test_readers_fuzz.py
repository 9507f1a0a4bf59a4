"""Seeded mutations of small valid files of every format minicnn reads.

Each mutated file must either load, or fail with the format's documented error
(CheckpointError for checkpoints and weights, DataFileError for dataset files)
whose message is one line naming the file. Nothing else may escape: no
MemoryError, no raw zipfile/pickle/struct error, and no crash of the
interpreter, which a subset checks by reading its files in a child process.
"""

import gzip
import importlib.util
import io as pyio
import json
import os
import pathlib
import pickle
import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn
from minicnn.data import CIFAR10, DataFileError, ImageFolder, read_idx
from minicnn.io import CheckpointError
from minicnn.weights import load_torchvision, read_safetensors, write_safetensors

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES = 50  # mutations per format, in-process
IN_CHILD = 8  # of those, how many are read again in a child process
EXTREMES = [0, 1, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 40, (1 << 63) - 1, (1 << 64) - 1]


# --- valid files -------------------------------------------------------------------------------


def _npz(tmp_path):
    mc.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    mc.save({"model": net.state_dict(), "epoch": 3, "best": (0.5, None)}, tmp_path / "seed.npz")
    return (tmp_path / "seed.npz").read_bytes()


def _safetensors(tmp_path):
    path = tmp_path / "seed.safetensors"
    write_safetensors(
        {
            "a": np.arange(6, dtype=np.float32).reshape(2, 3),
            "b": np.array(7, dtype=np.int64),
            "c": np.ones(3, np.float16),
        },
        path,
    )
    return path.read_bytes()


def _idx():
    images = np.random.default_rng(1).integers(0, 256, (3, 5, 5), dtype=np.uint8)
    return (2051).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in images.shape) + images.tobytes()


def _cifar(protocol):
    data = np.random.default_rng(2).integers(0, 256, (2, 3072), dtype=np.uint8)
    return pickle.dumps({b"data": data, b"labels": [3, 4], b"batch_label": b"fuzz"}, protocol=protocol)


def _png():
    Image = pytest.importorskip("PIL.Image")
    out = pyio.BytesIO()
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (6, 6, 3), dtype=np.uint8)).save(out, "PNG")
    return out.getvalue()


# --- how each format is read, and where its file goes -------------------------------------------


def _place(kind, folder, data):
    """Write ``data`` where the reader of ``kind`` looks for it; the path the message must name."""
    name = {
        "npz": "ckpt.npz",
        "pth": "w.pth",
        "safetensors": "w.safetensors",
        "idx": "imgs-idx3-ubyte",
        "idx.gz": "imgs-idx3-ubyte.gz",
        "cifar2": "test_batch",
        "cifar4": "test_batch",
        "png": os.path.join("cat", "a.png"),
    }[kind]
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if kind == "idx.gz" else data)
    return path


READERS = {
    "npz": (lambda path: mc.load(path), CheckpointError),
    "pth": (lambda path: load_torchvision(path), CheckpointError),
    "safetensors": (lambda path: read_safetensors(path), CheckpointError),
    "idx": (lambda path: read_idx(str(path), 2051), DataFileError),
    "idx.gz": (lambda path: read_idx(str(path), 2051), DataFileError),
    "cifar2": (lambda path: CIFAR10(path.parent, train=False), DataFileError),
    "cifar4": (lambda path: CIFAR10(path.parent, train=False), DataFileError),
    "png": (lambda path: ImageFolder(path.parent.parent), DataFileError),
}


def _seed(kind, tmp_path):
    if kind == "npz":
        return _npz(tmp_path)
    if kind == "pth":
        return (ROOT / "tests" / "fixtures" / "tiny_state.pth").read_bytes()
    if kind == "safetensors":
        return _safetensors(tmp_path)
    if kind in ("idx", "idx.gz"):
        return _idx()
    if kind in ("cifar2", "cifar4"):
        return _cifar(int(kind[-1]))
    return _png()


# --- mutations --------------------------------------------------------------------------------


def _mutate_bytes(data, rng):
    data = bytearray(data)
    kind = int(rng.integers(6))
    if kind == 0 or not data:  # flip a few bytes
        for _ in range(int(rng.integers(1, 9))):
            if data:
                data[int(rng.integers(len(data)))] ^= int(rng.integers(1, 256))
    elif kind == 1:  # truncate
        del data[int(rng.integers(len(data))) :]
    elif kind == 2:  # insert bytes
        i = int(rng.integers(len(data) + 1))
        data[i:i] = rng.bytes(int(rng.integers(1, 64)))
    elif kind == 3:  # delete a range
        i = int(rng.integers(len(data)))
        del data[i : i + int(rng.integers(1, 64))]
    elif kind == 4:  # overwrite an integer field
        width = int(rng.choice([2, 4, 8]))
        value = int(rng.choice(EXTREMES)) & ((1 << (8 * width)) - 1)
        top = max(1, len(data) - width)
        i = int(rng.integers(min(top, 64) if rng.random() < 0.5 else top))  # headers come first
        data[i : i + width] = value.to_bytes(width, "little" if rng.random() < 0.5 else "big")
    else:  # edit a number written as text
        runs = list(re.finditer(rb"\d+", bytes(data)))
        if runs:
            run = runs[int(rng.integers(len(runs)))]
            data[run.start() : run.end()] = str(int(rng.choice(EXTREMES)) + int(rng.integers(-1, 2))).encode()
    return bytes(data)


def _mutate(kind, data, rng):
    """Raw mutation, or (for zip formats, half the time) a mutated member in a well-formed zip,
    so that the mutation reaches the .npy header or the pickle past the zip's CRC check."""
    if kind in ("npz", "pth") and rng.random() < 0.5:
        with zipfile.ZipFile(pyio.BytesIO(data)) as zf:
            members = [(info.filename, zf.read(info)) for info in zf.infolist()]
        target = int(rng.integers(len(members)))
        out = pyio.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            for i, (name, raw) in enumerate(members):
                zf.writestr(name, _mutate_bytes(raw, rng) if i == target else raw)
        return out.getvalue()
    return _mutate_bytes(data, rng)


def _cases(kind, tmp_path):
    seed = _seed(kind, tmp_path)
    start = 1000 * list(READERS).index(kind)
    return [_mutate(kind, seed, np.random.default_rng(start + i)) for i in range(CASES)]


# --- the checks -------------------------------------------------------------------------------


def _read(kind, path):
    """None when the file loads; else the documented error (anything else propagates)."""
    read, error = READERS[kind]
    try:
        read(path)
    except error as err:
        return err
    return None


@pytest.mark.parametrize("kind", list(READERS))
def test_mutated_files_load_or_raise_only_the_documented_error(tmp_path, kind):
    refused = 0
    for i, data in enumerate(_cases(kind, tmp_path)):
        path = _place(kind, tmp_path / f"case{i}", data)
        err = _read(kind, path)
        if err is not None:
            refused += 1
            message = str(err)
            assert "\n" not in message, f"case {i}: {message!r}"
            assert str(path.parent) in message or path.name in message, f"case {i}: {message!r}"
    assert refused >= CASES // 3  # the mutations do reach the checks


CHILD = """
import json, sys, traceback
sys.path.insert(0, sys.argv[2])
sys.path.insert(0, sys.argv[3])
from test_readers_fuzz import _read
for kind, path in json.load(open(sys.argv[1])):
    import pathlib
    _read(kind, pathlib.Path(path))
print("ok")
"""


def test_mutated_files_never_crash_the_interpreter(tmp_path):
    jobs = []
    have_pillow = importlib.util.find_spec("PIL") is not None
    for kind in READERS:
        if kind == "png" and not have_pillow:
            continue
        for i, data in enumerate(_cases(kind, tmp_path)[:IN_CHILD]):
            jobs.append((kind, str(_place(kind, tmp_path / kind / f"case{i}", data))))
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "jobs.json"), str(ROOT), str(ROOT / "tests" / "io")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # a negative return code is a signal (SIGSEGV, SIGBUS, SIGKILL from the OOM killer)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stderr[-3000:]}"
    assert proc.stdout.strip() == "ok"
