"""Checkpoints and weights files whose numbers, keys or references would cost minutes or
gigabytes before any check are refused by name, in one line, before any arithmetic.

Files that would hang or fill memory if they were not refused are read by the command
line in a child process held to a time and memory limit (conftest's ``cli_error_line``), so a
regression fails its test and does not hold up CI; the rest are read in-process.
"""

import json
import re
import struct
import zipfile

import numpy as np
import pytest

import minicnn as mc
from minicnn import io, nn, optim
from minicnn.io import CheckpointError
from minicnn.weights import load_torchvision, read_safetensors

M61 = 2**61 - 1  # 1 + i * M61 hashes to 1 for every i


def _ckpt(path, tree, **arrays):
    """A file shaped as mc.save writes it: the structure ``tree`` beside ``arrays``, deflated."""
    arrays = {io.FORMAT_KEY: np.asarray(1), io.TREE_KEY: np.asarray(json.dumps(tree)), **arrays}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, array in arrays.items():
            with z.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, array)
    return path


def _safetensors(path, header, body):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)
    return path


# --- numbers before arithmetic ----------------------------------------------------------------


def test_a_shape_of_huge_ints_is_refused_before_its_product(tmp_path, cli_error_line, rng):
    n, digits = int(rng.integers(1000, 1200)), int(rng.integers(3900, 4200))
    big = 10 ** (digits - 1)  # math.prod of n of them ran for more than a minute
    _safetensors(
        tmp_path / "big.safetensors",
        {"w": {"dtype": "F32", "shape": [big] * n, "data_offsets": [0, 4]}},
        bytes(4),
    )
    line = cli_error_line(tmp_path, "convert-weights", "big.safetensors", "out.npz")
    assert line.endswith(
        f"big.safetensors: tensor 'w' has a shape that has {n} dimensions, more than the "
        "64 a NumPy array has; expected a list of sizes"
    )


@pytest.mark.parametrize(
    "shape, offsets, match",
    [
        (
            [10**3999] * 3,
            [0, 4],
            r"'w' has a shape that holds a value of 2\*\*63 or more; expected a list of sizes$",
        ),
        ([1] * 65, [0, 4], r"'w' has a shape that has 65 dimensions, more than the 64 a NumPy array has"),
        ([1 << 63], [0, 4], r"'w' has a shape that holds a value of 2\*\*63 or more"),
        ({}, [0, 4], r"'w' has a shape that is a dict; expected a list of sizes$"),
        ([1], [0, 1 << 63], r"'w' has data_offsets \[0, \d+\.\.\.\], not \[begin, end\] from 0 to"),
        (
            [1],
            [0, 10**3999],
            r"'w' has data_offsets \[0, an int of 13285 bits\], not \[begin, end\] from 0 to",
        ),
        ([1], [-(1 << 70), 4], r"'w' has data_offsets \[-\d+\.\.\., 4\], not \[begin, end\]"),
    ],
)
def test_safetensors_sizes_and_offsets_are_bounded_before_use(tmp_path, shape, offsets, match):
    path = _safetensors(
        tmp_path / "w.safetensors", {"w": {"dtype": "F32", "shape": shape, "data_offsets": offsets}}, bytes(4)
    )
    with pytest.raises(CheckpointError, match=r"^\S*w\.safetensors: tensor " + match):
        read_safetensors(path)


def test_an_npy_header_of_a_huge_size_is_refused_by_name(tmp_path):
    header = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({10**3999},), }}"
    header += " " * (-(len(header) + 11) % 64) + "\n"
    npy = b"\x93NUMPY\x02\x00" + struct.pack("<I", len(header)) + header.encode()
    with zipfile.ZipFile(tmp_path / "big.npz", "w") as z:
        z.writestr("w.npy", npy)
    with pytest.raises(
        CheckpointError, match=r"big\.npz: 'w\.npy' has a shape that holds a value of 2\*\*63 or more$"
    ):
        mc.load(tmp_path / "big.npz")


# --- keys -------------------------------------------------------------------------------------


def test_many_int_keys_of_one_hash_are_refused_before_the_dict_is_built(tmp_path, cli_error_line, rng):
    n = int(rng.integers(100_000, 120_000))  # a dict of them took minutes to build
    _ckpt(tmp_path / "collide.npz", {"dict": [[1 + i * M61, {"value": 0}] for i in range(n)]})
    line = cli_error_line(tmp_path, "eval", "collide.npz")
    assert line.endswith(
        f"'collide.npz' has a damaged structure entry: ValueError: a dict key {1 + M61} (int), "
        "where mc.save writes str keys and int keys within 2**31"
    )


@pytest.mark.parametrize(
    "key, shown", [(1.5, r"1\.5 \(float\)"), (True, r"True \(bool\)"), (-(2**31) - 1, r"-2147483649 \(int\)")]
)
def test_a_key_mc_save_never_writes_is_refused(tmp_path, key, shown):
    path = _ckpt(tmp_path / "key.npz", {"dict": [["ok", {"value": 1}], [key, {"value": 2}]]})
    with pytest.raises(
        CheckpointError, match=rf"key\.npz' has a damaged structure entry: ValueError: a dict key {shown},"
    ):
        mc.load(path)
    with pytest.raises(
        TypeError, match=r"mc\.save: dict keys must be str or int \(from -2\*\*31 to 2\*\*31 - 1\)"
    ):
        mc.save({"model": {key: 1}}, tmp_path / "out.npz")


@pytest.mark.parametrize(
    "array, requires_grad, says",
    [
        (
            np.arange(3),
            True,
            "a tensor of dtype int64 that requires grad, where only floating-point ones can",
        ),
        (np.zeros(3, np.complex64), True, "a tensor of dtype complex64 that requires grad, where only"),
        (np.arange(3.0), "yes", "a tensor whose requires_grad is 'yes', where mc.save writes true or false"),
        (np.array(["x"]), False, "a tensor of dtype <U1, where a tensor holds numbers"),
        (np.zeros(3, "M8[s]"), False, "a tensor of dtype datetime64\\[s\\], where a tensor holds numbers"),
    ],
)
def test_a_tensor_mc_tensor_would_refuse_is_refused(tmp_path, array, requires_grad, says):
    path = _ckpt(tmp_path / "t.npz", {"tensor": "a", "requires_grad": requires_grad}, a=array)
    with pytest.raises(CheckpointError, match=rf"t\.npz' has a damaged structure entry: ValueError: {says}"):
        mc.load(path)


def test_what_minicnn_writes_still_loads(tmp_path, rng):
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(net.parameters(), lr=0.01)
    net(mc.tensor(rng.standard_normal((5, 3)).astype(np.float32))).sum().backward()
    opt.step()
    w = rng.standard_normal(3)
    saved = {"model": net.state_dict(), "optimizer": opt.state_dict(), "same": [w, w, np.float64(2.5)] * 2}
    tensors = [mc.tensor(w, requires_grad=True), mc.tensor(np.arange(3)), mc.tensor([True]), mc.tensor([1j])]
    saved["tensors"] = tensors
    mc.save({**saved, -(2**31): 0, 2**31 - 1: 1}, tmp_path / "ckpt.npz")
    loaded = mc.load(tmp_path / "ckpt.npz")
    assert sorted(loaded["optimizer"]["state"]) == sorted(saved["optimizer"]["state"])
    assert all(np.array_equal(a, b) for a, b in zip(loaded["same"], saved["same"]))  # one array, six names
    assert loaded[-(2**31)] == 0 and loaded[2**31 - 1] == 1
    assert [(t.dtype, t.requires_grad) for t in loaded["tensors"]] == [
        (t.dtype, t.requires_grad) for t in tensors
    ]


# --- one array named many times -----------------------------------------------------------------


def test_an_array_named_many_times_is_refused_before_it_is_used(tmp_path, cli_error_line, rng):
    refs = int(rng.integers(1000, 1200))  # eval's np.shape of the list took 8 GiB
    big = np.zeros((1024, 1024))
    (tmp_path / "run").mkdir()
    _ckpt(
        tmp_path / "run" / "model.npz", {"dict": [["0.weight", {"list": [{"array": "big"}] * refs}]]}, big=big
    )
    line = cli_error_line(tmp_path, "eval", "run/model.npz", "--model", "lenet5")
    assert line.endswith(
        "'run/model.npz' has a damaged structure entry: ValueError: array 'big' is named a "
        "second time, where mc.save names each once"
    )


def test_a_scalar_named_many_times_is_refused_before_it_is_used(tmp_path, cli_error_line, rng):
    refs = int(rng.integers(3000, 3500))  # a resume's message of the epoch took 2.7 GB
    (tmp_path / "run").mkdir()
    tree = {
        "dict": [
            ["model", {"dict": []}],
            ["optimizer", {"dict": []}],
            ["epoch", {"list": [{"scalar": "s"}] * refs}],
        ]
    }
    _ckpt(tmp_path / "run" / "checkpoint.npz", tree, s=np.asarray("a" * 10**6))
    line = cli_error_line(tmp_path, "train", "lenet5", "--resume", "--out", "run")
    assert line.endswith(
        "'run/checkpoint.npz' has a damaged structure entry: ValueError: array 's' is named a "
        "second time, where mc.save names each once"
    )


@pytest.mark.parametrize("first, second", [("array", "scalar"), ("tensor", "array"), ("scalar", "scalar")])
def test_an_array_named_twice_in_any_way_is_refused(tmp_path, first, second):
    nodes = [{kind: "w"} for kind in (first, second)]
    path = _ckpt(tmp_path / "twice.npz", {"list": nodes}, w=np.asarray(1.0))
    with pytest.raises(
        CheckpointError, match=r"twice\.npz' has a damaged structure entry: ValueError: array 'w' is named"
    ):
        mc.load(path)


def test_the_epoch_of_a_checkpoint_is_shown_bounded(tmp_path, rng):
    from minicnn.checkpoint import read_checkpoint

    n = int(rng.integers(100, 200))
    tree = {
        "dict": [
            ["model", {"dict": []}],
            ["optimizer", {"dict": []}],
            ["epoch", {"list": [{"value": "e" * 1000}] * n}],
        ]
    }
    path = _ckpt(tmp_path / "checkpoint.npz", tree)
    with pytest.raises(
        CheckpointError, match=rf"checkpoint\.npz: its epoch is a list of {n} items; expected a count"
    ):
        read_checkpoint(path)


# --- which reader speaks ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["big.pt", "big.pth", "big.weights", "big.npz"])
def test_an_npz_over_the_read_limit_says_so_whatever_its_name(tmp_path, rng, name):
    with open(tmp_path / name, "wb") as f:  # np.savez would add .npz to the name
        np.savez(f, w=rng.standard_normal(int(rng.integers(20_000, 30_000))))
    io.set_read_limit(100_000)
    try:
        match = rf"^\S*{re.escape(name)}: its arrays, unpacked, would take .* more than the read limit"
        with pytest.raises(CheckpointError, match=match):
            load_torchvision(tmp_path / name)
    finally:
        io.set_read_limit(None)


@pytest.mark.parametrize("name", ["obj.dat", "obj.pth", "obj"])
def test_an_npz_of_an_object_array_says_so_whatever_its_name(tmp_path, name):
    with zipfile.ZipFile(tmp_path / name, "w") as z:
        with z.open("a.npy", "w") as f:
            np.lib.format.write_array(f, np.array([1, None], dtype=object), allow_pickle=True)
    with pytest.raises(
        CheckpointError, match=rf"load_torchvision: \S*{re.escape(name)}: 'a\.npy' has dtype object"
    ):
        load_torchvision(tmp_path / name)


def test_a_file_that_is_no_zip_is_still_told_by_its_name(tmp_path, rng):
    junk = rng.bytes(int(rng.integers(100, 200)))
    (tmp_path / "w.dat").write_bytes(b"junk" + junk)
    with pytest.raises(
        CheckpointError, match=r"w\.dat is not a weights file it reads, by its content or its name"
    ):
        load_torchvision(tmp_path / "w.dat")
    (tmp_path / "w.pth").write_bytes(b"junk" + junk)
    with pytest.raises(CheckpointError, match=r"w\.pth: not a zip-format \.pth file"):
        load_torchvision(tmp_path / "w.pth")
