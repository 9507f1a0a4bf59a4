"""mc.save / mc.load: exact round trips, plain .npz files, clear errors, names a file could give back."""

import collections
import json
import math
import os
import re
import struct
import zipfile

import numpy as np
import pytest

import minicnn as mc
from minicnn import io, nn, optim


def model():
    mc.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def assert_same(a, b, path="obj"):
    """Equal values and equal types all the way down (tuples stay tuples, int keys stay ints)."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            assert_same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b), path
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), path
    else:
        assert a == b, path


def test_state_dict_round_trip_and_the_file_is_a_plain_npz(tmp_path):
    net = model()
    path = tmp_path / "weights.npz"
    mc.save(net.state_dict(), path)
    loaded = mc.load(path)
    assert_same(net.state_dict(), loaded)
    with np.load(path, allow_pickle=False) as f:  # readable without minicnn, and without pickle
        assert "0.weight" in f.files and f["2.bias"].shape == (2,)
    twin = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    twin.load_state_dict(loaded)
    x = mc.tensor(np.ones((1, 3), dtype=np.float32))
    np.testing.assert_array_equal(twin(x).data, net(x).data)


def test_nested_checkpoint_with_optimizer_state_round_trips_exactly(tmp_path):
    net = model()
    opt = optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.99))
    net(mc.tensor(np.ones((2, 3), dtype=np.float32))).sum().backward()
    opt.step()
    ckpt = {
        "model": net.state_dict(),
        "optimizer": opt.state_dict(),  # int keys, tuples, bools, floats
        "epoch": 3,
        "best": float("nan"),
        "history": {"loss": [2.5, 1.25], "tag": "run-1", "done": False, "note": None, "inf": math.inf},
        "counts": np.int64(7),  # a NumPy scalar stays one
        "pair": (1, "two", [3.0]),
        "": np.zeros((0, 2), dtype=np.float32),  # empty names and empty arrays
        "flags": np.array([True, False]),
    }
    mc.save(ckpt, tmp_path / "ckpt.npz")
    loaded = mc.load(tmp_path / "ckpt.npz")
    assert_same(ckpt, loaded)
    assert isinstance(loaded["model"], collections.OrderedDict)
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.99)
    assert sorted(loaded["optimizer"]["state"]) == [0, 1, 2, 3]


def test_awkward_names_do_not_collide(tmp_path):
    obj = {
        "a/b": np.ones(1),
        "a": {"b": np.zeros(1)},
        "file": np.ones(2),
        "allow_pickle": np.ones(3),
        "__minicnn_tree__": np.ones(4),
        5: np.ones(5),
        "5": np.zeros(5),
    }
    mc.save(obj, tmp_path / "x.npz")
    assert_same(obj, mc.load(tmp_path / "x.npz"))


def test_tensors_are_stored_as_tensors(tmp_path):
    obj = {"w": mc.tensor(np.arange(3.0), requires_grad=True)}
    mc.save(obj, tmp_path / "t.npz")
    back = mc.load(tmp_path / "t.npz")["w"]
    assert isinstance(back, mc.Tensor) and back.requires_grad and back.data.tolist() == [0.0, 1.0, 2.0]


def test_map_location_cpu_keeps_the_object_and_bad_locations_are_refused_before_reading(tmp_path):
    rng = np.random.default_rng(47)
    obj = collections.OrderedDict(
        model={"w": rng.standard_normal((2, 3))}, t=mc.tensor(rng.standard_normal(2), requires_grad=True)
    )
    obj["pair"] = (np.arange(3), [1.5, "x"])
    mc.save(obj, tmp_path / "c.npz")
    for where in ("cpu", mc.device("cpu")):
        back = mc.load(tmp_path / "c.npz", map_location=where)
        t = back.pop("t")
        assert isinstance(t, mc.Tensor) and t.requires_grad and t.device == "cpu"
        assert t.data.tolist() == obj["t"].data.tolist()
        assert_same(back, collections.OrderedDict((k, v) for k, v in obj.items() if k != "t"))
    with pytest.raises(
        TypeError, match=r"^mc.load: map_location must be 'cpu', 'cuda' or an mc.device, got dict"
    ):
        mc.load(tmp_path / "c.npz", map_location={"cuda:0": "cpu"})
    with pytest.raises(ValueError, match=r"^mc.load: map_location: unknown device 'mps'"):
        mc.load(tmp_path / "nothing.npz", map_location="mps")  # said before the missing file
    if not mc.cuda_available():
        with pytest.raises(RuntimeError, match="needs CuPy"):
            mc.load(tmp_path / "nothing.npz", map_location="cuda")


def test_a_plain_npz_of_arrays_loads_as_a_flat_dict(tmp_path):
    np.savez(tmp_path / "converted.npz", **{"fc.weight": np.ones((2, 2)), "fc.bias": np.zeros(2)})
    loaded = mc.load(tmp_path / "converted.npz")
    assert sorted(loaded) == ["fc.bias", "fc.weight"]


def test_unstorable_objects_are_refused_before_touching_the_file(tmp_path):
    path = tmp_path / "ckpt.npz"
    mc.save({"epoch": 1}, path)
    with pytest.raises(TypeError, match=r"cannot store a Sequential at model; .*state_dict\(\)"):
        mc.save({"model": model()}, path)
    with pytest.raises(TypeError, match="dict keys must be str or int"):
        mc.save({(1, 2): 3}, path)
    with pytest.raises(TypeError, match="dtype object"):
        mc.save({"x": np.array([1, "a"], dtype=object)}, path)
    assert mc.load(path) == {"epoch": 1}
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_missing_and_corrupt_files_get_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        mc.load(tmp_path / "nope.npz")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a checkpoint at all")
    with pytest.raises(io.CheckpointError, match="not a readable checkpoint"):
        mc.load(garbage)
    good = tmp_path / "good.npz"
    mc.save(model().state_dict(), good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(io.CheckpointError, match="truncated"):
        mc.load(truncated)
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(io.CheckpointError, match="single .npy array"):
        mc.load(tmp_path / "single.npy")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mc.save({"a": 1}, tmp_path / "no" / "such" / "folder.npz")


def test_a_flipped_byte_is_caught(tmp_path):
    path = tmp_path / "ckpt.npz"
    mc.save({"w": np.arange(1000.0)}, path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("w.npy")
    data[info.header_offset + 200] ^= 0xFF  # inside the array's bytes: the CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(io.CheckpointError):
        mc.load(path)


def test_newer_format_versions_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "FORMAT_VERSION", 99)
    mc.save({"a": 1}, tmp_path / "future.npz")
    monkeypatch.setattr(io, "FORMAT_VERSION", 1)
    with pytest.raises(io.CheckpointError, match="format 99"):
        mc.load(tmp_path / "future.npz")


def test_a_failed_rename_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    mc.save({"epoch": 1, "w": np.ones(3)}, path)

    def no_rename(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError, match="disk full"):
        mc.save({"epoch": 2, "w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert_same(mc.load(path), {"epoch": 1, "w": np.ones(3)})
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # the temporary file is gone too


def test_a_write_that_dies_midway_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    mc.save({"epoch": 1, "w": np.ones(3)}, path)
    real_write = np.lib.format.write_array
    written = []

    def dies_on_second_array(fp, array, **kwargs):
        written.append(array)
        if len(written) == 2:
            raise KeyboardInterrupt  # even an interrupt, not just an error
        return real_write(fp, array, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", dies_on_second_array)
    with pytest.raises(KeyboardInterrupt):
        mc.save({"epoch": 2, "w": np.zeros(3), "v": np.zeros(2)}, path)
    monkeypatch.undo()
    assert_same(mc.load(path), {"epoch": 1, "w": np.ones(3)})
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_a_damaged_structure_entry_is_a_checkpoint_error(tmp_path):
    for tree in ('{"dict": 3}', "[[[[", "[" * 100_000 + "]" * 100_000, '{"list": [{"array": "nope"}]}'):
        path = tmp_path / "bad.npz"
        np.savez(path, **{io.FORMAT_KEY: np.asarray(1), io.TREE_KEY: np.asarray(tree)})
        with pytest.raises(io.CheckpointError, match="damaged structure entry"):
            mc.load(path)


def test_every_truncation_of_a_checkpoint_is_a_checkpoint_error(tmp_path):
    good = tmp_path / "good.npz"
    mc.save({"model": model().state_dict(), "epoch": 2}, good)
    data = good.read_bytes()
    bad = tmp_path / "bad.npz"
    for n in range(0, len(data), 7):
        bad.write_bytes(data[:n])
        with pytest.raises(io.CheckpointError, match="bad.npz"):
            mc.load(bad)


def test_the_structure_entry_is_counted_as_the_objects_it_decodes_to(tmp_path, rng):
    n = int(rng.integers(20_000, 30_000))
    tree = '{"list":[' + ",".join(['{"list":[]}'] * n) + "]}"  # 12 characters, two lists each
    path = tmp_path / "tree.npz"
    np.savez(path, **{io.FORMAT_KEY: np.asarray(1), io.TREE_KEY: np.asarray(tree)})
    assert path.stat().st_size < 2 * 4 * len(tree)  # it fits the limit below as read
    io.set_read_limit(4 * 4 * len(tree))
    try:
        with pytest.raises(
            io.CheckpointError, match=r"tree\.npz: its arrays and structure, decoded, would take .* more than"
        ):
            mc.load(path)
        w = rng.standard_normal((64, 64))
        mc.save({"model": {"w": w}, "epoch": 3, "history": "[]"}, tmp_path / "ckpt.npz")
        assert mc.load(tmp_path / "ckpt.npz")["model"]["w"].tolist() == w.tolist()  # a real one still loads
    finally:
        io.set_read_limit(None)
    assert len(mc.load(path)) == n


def test_names_a_file_could_not_give_back_are_refused_before_writing(tmp_path, rng):
    w = rng.standard_normal(3)
    path = tmp_path / "w.npz"
    bad = {
        "a\0b": "holds a NUL character",
        "../../x": r"would unpack outside the folder \(a '\.\.' part or a leading '/'\)",
        "/etc/x": "would unpack outside the folder",
        "a\\..\\b": "would unpack outside the folder",
        io.FORMAT_KEY: "is a name the file format keeps for itself",
        io.TREE_KEY: "is a name the file format keeps for itself",
    }
    for key, why in bad.items():
        with pytest.raises(ValueError, match=rf"write_arrays: key {re.escape(repr(key))} {why}"):
            io.write_arrays(path, {"ok": w, key: w})
    for key in (1, (1, 2)):
        with pytest.raises(
            TypeError, match=rf"write_arrays: key {re.escape(repr(key))} is of type \w+, not str"
        ):
            io.write_arrays(path, {"ok": w, key: w})
    with pytest.raises(ValueError, match=r"mc\.save: key 'model/\.\./\.\./x' would unpack outside"):
        mc.save({"model": {"../../x": w}}, path)
    with pytest.raises(ValueError, match=r"mc\.save: key 'a\\x00b' holds a NUL character"):
        mc.save({"a\0b": w}, path)
    assert os.listdir(tmp_path) == []
    io.write_arrays(path, {"a..b": w, "..x/y": w})  # dots inside a name are only dots
    assert sorted(mc.load(path)) == ["..x/y", "a..b"]


def test_a_scalar_is_counted_as_the_str_it_becomes(tmp_path, rng):
    chars = int(rng.integers(200_000, 300_000))
    text = "\U00010000" * chars  # 4 bytes a character in numpy and in Python alike
    path = tmp_path / "scalar.npz"
    mc.save({"s": np.str_(text), "w": rng.standard_normal(3)}, path)
    assert mc.load(path)["s"] == text
    io.set_read_limit(path.stat().st_size + 4 * chars // 2)  # the file, but not the str made of it
    try:
        with pytest.raises(io.CheckpointError, match=r"scalar\.npz: its arrays and structure, decoded,"):
            mc.load(path)
    finally:
        io.set_read_limit(None)


def test_a_key_utf8_cannot_encode_is_refused_by_name_before_writing(tmp_path, rng):
    w = rng.standard_normal(int(rng.integers(2, 9)))
    key = "fc." + chr(int(rng.integers(0xD800, 0xE000)))  # a lone surrogate
    shown = re.escape(repr(key)[1:-1])  # as the message quotes it: fc.\udXXX
    why = "holds a character that UTF-8 cannot encode"
    with pytest.raises(ValueError, match=rf"write_arrays: key '{shown}' {why}"):
        io.write_arrays(tmp_path / "w.npz", {key: w})
    with pytest.raises(ValueError, match=rf"mc\.save: key 'model/{shown}' {why}"):
        mc.save({"model": {key: w}}, tmp_path / "c.npz")
    with pytest.raises(ValueError, match=rf"write_safetensors: key '{shown}' {why}"):
        mc.weights.write_safetensors({key: w}, tmp_path / "w.safetensors")
    safetensors = tmp_path / "w.safetensors"  # as another writer may make it: JSON escapes the character
    header = json.dumps({key: {"dtype": "F64", "shape": [len(w)], "data_offsets": [0, 8 * len(w)]}}).encode()
    safetensors.write_bytes(struct.pack("<Q", len(header)) + header + w.astype("<f8").tobytes())
    with pytest.raises(ValueError, match=rf"convert_weights: .*w\.safetensors: key '{shown}' {why}"):
        mc.weights.convert_weights(safetensors, tmp_path / "w.npz")
    assert os.listdir(tmp_path) == ["w.safetensors"]
