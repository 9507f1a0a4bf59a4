"""mc.save / mc.load: exact round trips, plain .npz files, clear errors, and atomic writes."""

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
from minicnn import atomic_write, io, nn, optim


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


def _npz_with(path, members, compression=zipfile.ZIP_STORED):
    """An .npz of raw members {name: bytes} (for files np.savez would never write)."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _npy_header(shape, descr="<f8"):
    out = __import__("io").BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": descr, "fortran_order": False, "shape": shape})
    return out.getvalue()


def test_an_npy_header_claiming_terabytes_is_a_checkpoint_error_not_a_memory_error(tmp_path):
    path = tmp_path / "huge.npz"
    _npz_with(path, {"w.npy": _npy_header((1 << 39,)) + b"\0" * 64})  # 4 TiB of float64
    with pytest.raises(
        io.CheckpointError,
        match=r"'w\.npy' claims shape \(549755813888,\) float64 = "
        r"4398046511104 bytes, but its entry holds 64",
    ):
        mc.load(path)
    _npz_with(path, {"w.npy": _npy_header((3,)) + b"\0" * 32})  # too long: 32 != 24
    with pytest.raises(io.CheckpointError, match="claims shape .* = 24 bytes, but its entry holds 32"):
        mc.load(path)


def test_the_read_limit_stops_zip_bombs_before_inflating(tmp_path, monkeypatch):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("w.npy", "w") as f:
            f.write(_npy_header((8 << 20,), "|u1"))
            for _ in range(8):
                f.write(bytes(1 << 20))
    assert path.stat().st_size < 100_000  # 8 MiB in a few KB
    io.set_read_limit(1 << 20)
    try:
        with pytest.raises(
            io.CheckpointError,
            match=r"bomb\.npz: its arrays, unpacked, would take "
            r"8\.0 MiB, more than the read limit of 1\.0 MiB",
        ):
            mc.load(path)
        with pytest.raises(io.CheckpointError, match="more than the read limit"):
            mc.weights.load_torchvision(path)
    finally:
        io.set_read_limit(None)
    assert mc.load(path)["w"].shape == (8 << 20,)
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", "1000")
    with pytest.raises(io.CheckpointError, match="read limit of 1000 bytes"):
        mc.load(path)


def test_the_read_limit_is_configurable_and_checked(monkeypatch):
    monkeypatch.delenv("MINICNN_MAX_READ_BYTES", raising=False)
    assert 0 < io.read_limit() <= 4 << 30
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", "12345")
    assert io.read_limit() == 12345
    io.set_read_limit(99)
    try:
        assert io.read_limit() == 99  # the call wins over the environment
    finally:
        io.set_read_limit(None)
    assert io.read_limit() == 12345
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", "lots")
    with pytest.raises(ValueError, match="MINICNN_MAX_READ_BYTES must be a positive number"):
        io.read_limit()
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="set_read_limit: nbytes must be a positive int"):
            io.set_read_limit(bad)


def test_object_arrays_and_foreign_members_are_refused(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(tmp_path / "pickled.npz", x=np.array([1, None], dtype=object))
    with pytest.raises(io.CheckpointError, match=r"'x\.npy' has dtype object"):
        mc.load(tmp_path / "pickled.npz")
    _npz_with(path, {"a.npy": _npy_header((1,)) + bytes(8), "notes.txt": b"hello"})
    with pytest.raises(io.CheckpointError, match=r"holds 'notes\.txt', which is not an \.npy array"):
        mc.load(path)


def test_special_files_are_refused_before_any_read(tmp_path):
    (tmp_path / "folder.npz").mkdir()
    with pytest.raises(io.CheckpointError, match=r"folder\.npz: is a folder, not a regular file"):
        mc.load(tmp_path / "folder.npz")
    if hasattr(os, "mkfifo"):  # a plain open() of a FIFO waits forever for a writer
        os.mkfifo(tmp_path / "fifo.npz")
        with pytest.raises(io.CheckpointError, match=r"fifo\.npz: is a FIFO \(named pipe\)"):
            mc.load(tmp_path / "fifo.npz")
        for suffix in (".pth", ".safetensors", ".npz"):
            os.mkfifo(tmp_path / f"w{suffix}")
            with pytest.raises(io.CheckpointError, match="is a FIFO"):
                mc.weights.load_torchvision(tmp_path / f"w{suffix}")


def test_a_damaged_structure_entry_is_a_checkpoint_error(tmp_path):
    for tree in ('{"dict": 3}', "[[[[", "[" * 100_000 + "]" * 100_000, '{"list": [{"array": "nope"}]}'):
        path = tmp_path / "bad.npz"
        np.savez(path, **{io.FORMAT_KEY: np.asarray(1), io.TREE_KEY: np.asarray(tree)})
        with pytest.raises(io.CheckpointError, match="damaged structure entry"):
            mc.load(path)


def _dead_pid():
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_next_save_removes_temporary_files_no_save_holds_locked(tmp_path, rng):
    fcntl = pytest.importorskip("fcntl")
    token = rng.bytes(8).hex()
    left = [
        tmp_path / f".ckpt.npz.minicnn-{_dead_pid()}.tmp",
        tmp_path / f".metrics.json.minicnn-{_dead_pid()}-{token}.tmp",
        tmp_path / f".other.npz.minicnn-{os.getpid()}-{token}.tmp",  # a pid alive here says nothing
    ]
    # a save in progress in another container or on another machine: its pid means nothing here
    writing = tmp_path / f".model.npz.minicnn-{_dead_pid()}-{token}.tmp"
    unrelated = tmp_path / ".notes.123.tmp"
    for p in (*left, writing, unrelated):
        p.write_bytes(rng.bytes(100))
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"kept")
    link = tmp_path / f".link.npz.minicnn-{_dead_pid()}-{token}.tmp"
    os.symlink(victim, link)
    fifo = tmp_path / f".fifo.npz.minicnn-{_dead_pid()}-{token}.tmp"
    os.mkfifo(fifo)
    with open(writing, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        mc.save({"a": 1}, tmp_path / "ckpt.npz")
    assert not any(p.exists() for p in left)
    assert writing.exists() and unrelated.exists() and victim.read_bytes() == b"kept"
    assert link.is_symlink() and fifo.exists()


def test_without_flock_a_temporary_file_is_left_over_when_its_process_is_gone(tmp_path, monkeypatch):
    dead = tmp_path / f".ckpt.npz.minicnn-{_dead_pid()}.tmp"
    alive = tmp_path / f".model.npz.minicnn-{os.getppid()}-0123456789abcdef.tmp"
    for p in (dead, alive):
        p.write_bytes(b"x" * 100)
    monkeypatch.setattr(atomic_write, "fcntl", None)
    mc.save({"a": 1}, tmp_path / "ckpt.npz")
    # POSIX only: on Windows, asking whether a pid is alive with os.kill would end the process
    assert dead.exists() == (os.name != "posix") and alive.exists()
    assert mc.load(tmp_path / "ckpt.npz") == {"a": 1}


def test_a_temporary_file_removed_before_its_save_locks_it_is_drawn_again(tmp_path, rng, monkeypatch):
    fcntl = pytest.importorskip("fcntl")
    real_flock, removed = fcntl.flock, []

    def cleaner_first(fd, how):  # another save finds the new file still unlocked and removes it
        if not removed:
            removed.extend(p.name for p in tmp_path.iterdir() if ".minicnn-" in p.name)
            for name in removed:
                os.remove(tmp_path / name)
        real_flock(fd, how)

    monkeypatch.setattr(fcntl, "flock", cleaner_first)
    w = rng.standard_normal(int(rng.integers(3, 30)))
    mc.save({"w": w}, tmp_path / "ckpt.npz")
    assert len(removed) == 1 and os.listdir(tmp_path) == ["ckpt.npz"]
    assert mc.load(tmp_path / "ckpt.npz")["w"].tolist() == w.tolist()


def test_saves_fsync_the_file_and_then_its_folder(tmp_path, monkeypatch):
    import stat

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(
        os, "fsync", lambda fd: (synced.append(stat.S_ISDIR(os.fstat(fd).st_mode)), real_fsync(fd))
    )
    mc.save({"a": 1}, tmp_path / "ckpt.npz")
    assert synced == ([False, True] if os.name == "posix" else [False])


def test_weights_writers_leave_no_temporary_file_on_error(tmp_path, monkeypatch):
    from minicnn import weights

    good = {"w": np.ones(3, np.float32)}
    weights.write_safetensors(good, tmp_path / "w.safetensors")
    np.savez(tmp_path / "w.npz", **good)
    before = sorted(os.listdir(tmp_path))

    def full_disk(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="disk full"):
        weights.write_safetensors({"w": np.zeros(3, np.float32)}, tmp_path / "w.safetensors")
    with pytest.raises(OSError, match="disk full"):
        weights.convert_weights(tmp_path / "w.npz", tmp_path / "w.safetensors")
    with pytest.raises(OSError, match="disk full"):
        weights.convert_weights(tmp_path / "w.safetensors", tmp_path / "c.npz")
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == before
    np.testing.assert_array_equal(weights.read_safetensors(tmp_path / "w.safetensors")["w"], np.ones(3))


def test_every_truncation_of_a_checkpoint_is_a_checkpoint_error(tmp_path):
    good = tmp_path / "good.npz"
    mc.save({"model": model().state_dict(), "epoch": 2}, good)
    data = good.read_bytes()
    bad = tmp_path / "bad.npz"
    for n in range(0, len(data), 7):
        bad.write_bytes(data[:n])
        with pytest.raises(io.CheckpointError, match="bad.npz"):
            mc.load(bad)


def test_a_failed_write_names_the_file_not_its_temporary_and_leaves_nothing(tmp_path):
    target = tmp_path / "model.npz"
    target.mkdir()  # a folder where the file should go
    with pytest.raises(OSError) as info:
        io.write_atomic(target, b"data", who="mc.save")
    assert str(info.value) == f"mc.save: could not write {target}: a folder is in the way"
    assert info.value.errno is not None and ".tmp" not in str(info.value)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def _made_meanwhile(path, content):
    """A ``write`` for write_atomic that, as it writes the temporary file, has someone else
    make ``path`` (after write_atomic looked, before it moves the temporary file into place)."""

    def write(f):
        if isinstance(content, str):
            os.symlink(content, path)
        else:
            path.write_bytes(content)
        f.write(b"new")

    return write


@pytest.mark.parametrize("no_hard_links", [False, True], ids=["link", "no hard links"])
def test_a_write_not_asked_to_overwrite_keeps_a_file_made_while_it_wrote(
    tmp_path, rng, monkeypatch, no_hard_links
):
    if no_hard_links:  # vfat says EPERM to link(): look, then rename
        import errno

        def refused(src, dst, **kw):
            raise PermissionError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(os, "link", refused)
    theirs = rng.bytes(int(rng.integers(1, 64)))
    path = tmp_path / "out.npz"
    with pytest.raises(atomic_write.NotReplaced) as info:
        io.write_atomic(path, _made_meanwhile(path, theirs), who="mc.save", overwrite=False)
    assert (
        str(info.value)
        == f"mc.save: {path} was made while this file was being written; it is kept, not replaced"
    )
    assert isinstance(info.value, FileExistsError) and info.value.path == str(path)
    assert path.read_bytes() == theirs
    assert os.listdir(tmp_path) == ["out.npz"]  # no temporary file left
    path.unlink()
    io.write_atomic(path, b"mine", overwrite=False)  # nothing there: written
    assert path.read_bytes() == b"mine" and os.listdir(tmp_path) == ["out.npz"]
    io.write_atomic(path, _made_meanwhile(tmp_path / "other", theirs), overwrite=True)
    assert path.read_bytes() == b"new"


def test_a_write_not_asked_to_overwrite_refuses_what_is_there_before_writing(tmp_path):
    path = tmp_path / "out.npz"
    os.symlink(tmp_path / "nowhere", path)  # a broken link is something there too
    called = []
    with pytest.raises(FileExistsError, match=r"^mc\.save: .*out\.npz exists; it is kept, not replaced"):
        mc.save({"a": 1}, path, overwrite=False)
    with pytest.raises(FileExistsError):
        io.write_atomic(path, called.append, overwrite=False)
    assert not called and os.readlink(path) == str(tmp_path / "nowhere")
    mc.save({"a": 1}, path)  # asked: the link itself is replaced, its target never made
    assert not os.path.islink(path) and mc.load(path) == {"a": 1}
    assert sorted(os.listdir(tmp_path)) == ["out.npz"]


def test_a_link_made_while_writing_is_kept_too(tmp_path):
    path = tmp_path / "out.npz"
    with pytest.raises(FileExistsError, match="was made while"):
        io.write_atomic(path, _made_meanwhile(path, str(tmp_path / "nowhere")), overwrite=False)
    assert os.readlink(path) == str(tmp_path / "nowhere") and not (tmp_path / "nowhere").exists()


def test_overwriting_sets_what_writes_that_leave_overwrite_out_do(tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(b"theirs")
    with atomic_write.overwriting(False):
        with pytest.raises(FileExistsError):
            io.write_arrays(path, {"w": np.zeros(2)})
        assert path.read_bytes() == b"theirs"
        io.write_atomic(path, b"asked", overwrite=True)  # a caller's own word wins
        assert path.read_bytes() == b"asked"
    io.write_arrays(path, {"w": np.zeros(2)})  # outside: replaced, as before
    assert mc.load(path)["w"].tolist() == [0, 0]


def test_bzip2_and_lzma_entries_are_refused_before_they_inflate(tmp_path, rng, lying_zip):
    head = _npy_header((int(rng.integers(2, 50)),), "<f4")
    claimed = len(head) + int(rng.integers(0, 1000))  # header and a few values, it says
    for method, name in ((zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "LZMA")):
        path = tmp_path / f"bomb_{name}.npz"
        lying_zip(path, {"w.npy": (head + bytes(int(rng.integers(4, 8)) << 20), claimed)}, method)
        assert path.stat().st_size < 20_000  # megabytes of zeros, said to be a few hundred bytes
        with pytest.raises(io.CheckpointError, match=rf"{path.name}: 'w\.npy' is compressed with {name}; "):
            mc.load(path)
        with pytest.raises(io.CheckpointError, match=rf"load_torchvision: .*compressed with {name}"):
            mc.weights.load_torchvision(path)


def test_a_deflated_entry_is_read_no_further_than_the_size_it_claims(tmp_path, rng, lying_zip, peak_memory):
    n = int(rng.integers(2, 50))
    head = _npy_header((n,), "<f4")
    big = int(rng.integers(16, 24)) << 20
    path = tmp_path / "bomb.npz"
    lying_zip(path, {"w.npy": (head + bytes(4 * n + big), len(head) + 4 * n)}, zipfile.ZIP_DEFLATED)

    def load():
        with pytest.raises(io.CheckpointError, match=r"bomb\.npz is not a readable checkpoint.*Bad CRC"):
            mc.load(path)

    assert peak_memory(load) < 4 << 20  # the rest was never inflated
    w = rng.standard_normal(int(rng.integers(2, 3) << 20))  # an honest entry: one buffer, no copy
    np.savez_compressed(tmp_path / "w.npz", w=w)
    assert peak_memory(lambda: mc.load(tmp_path / "w.npz")) < w.nbytes * 1.25
    np.testing.assert_array_equal(mc.load(tmp_path / "w.npz")["w"], w)


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


def test_a_link_where_the_temporary_file_goes_is_never_written_through(tmp_path, rng, monkeypatch):
    victim = tmp_path / "outside" / "victim.txt"
    victim.parent.mkdir()
    kept = rng.bytes(int(rng.integers(10, 100)))
    victim.write_bytes(kept)
    folder = tmp_path / "runs"
    folder.mkdir()
    target = folder / "ckpt.npz"
    os.symlink(victim, folder / f".ckpt.npz.minicnn-{os.getpid()}.tmp")  # where earlier saves wrote
    mc.save({"w": rng.standard_normal(5)}, target)
    assert victim.read_bytes() == kept
    import secrets

    drawn = iter(["0" * 16, "1" * 16])  # the first name drawn is taken by a link too
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(drawn))
    os.symlink(victim, folder / f".ckpt.npz.minicnn-{os.getpid()}-{'0' * 16}.tmp")
    w = rng.standard_normal(5)
    mc.save({"w": w}, target)
    assert victim.read_bytes() == kept
    assert not target.is_symlink() and mc.load(target)["w"].tolist() == w.tolist()
    assert sorted(p.name for p in folder.iterdir() if not p.is_symlink()) == ["ckpt.npz"]


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


def test_a_zip_of_many_empty_entries_is_refused_before_its_directory_is_parsed(tmp_path, rng, peak_memory):
    n = int(rng.integers(20_000, 30_000))
    for name in ("many.npz", "many.pth"):
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as zf:
            for i in range(n):
                zf.writestr(f"{i}.npy", b"")
        io.set_read_limit(2 * path.stat().st_size)  # the file fits, what zipfile would make of it not

        def read(path=path):
            with pytest.raises(
                io.CheckpointError, match=rf"{path.name}: its zip directory, parsed, would take"
            ):
                mc.weights.load_torchvision(path)

        try:
            assert peak_memory(read) < path.stat().st_size
        finally:
            io.set_read_limit(None)
    with pytest.raises(io.CheckpointError, match=r"many\.npz is not a readable checkpoint .*magic string"):
        mc.load(tmp_path / "many.npz")  # without a limit in the way, the entries themselves are refused


def test_the_zip64_end_record_counts_when_the_plain_one_understates_the_directory(tmp_path, rng):
    import struct

    n = int(rng.integers(1 << 16, (1 << 16) + 5000))  # more entries than the plain record holds
    path = tmp_path / "wide.npz"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(n):
            zf.writestr(str(i), b"")
    raw = bytearray(path.read_bytes())
    struct.pack_into("<L", raw, raw.rfind(b"PK\x05\x06") + 12, 46)  # one record, says the plain one
    path.write_bytes(bytes(raw))
    io.set_read_limit(2 * len(raw))
    try:
        with pytest.raises(io.CheckpointError, match=r"wide\.npz: its zip directory, parsed, would take"):
            mc.load(path)
    finally:
        io.set_read_limit(None)


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def _pth_bytes():
    with open(os.path.join(FIXTURES, "tiny_state.pth"), "rb") as f:  # torch.save's zip format
        return f.read()


def _safetensors_bytes(tmp_path):
    from minicnn.weights import write_safetensors

    write_safetensors({"w": np.ones((2, 3), np.float32)}, tmp_path / "made.safetensors")
    return (tmp_path / "made.safetensors").read_bytes()


@pytest.mark.parametrize("name", ["w.pth", "w.pt", "w.bin"])
def test_a_pth_file_is_told_by_its_content_and_pointed_to_convert_weights(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(_pth_bytes())
    with pytest.raises(io.ForeignWeights) as caught:
        mc.load(name)
    assert str(caught.value) == (
        f"mc.load: {name} is a PyTorch .pth file (a zip holding 'tiny_state/data.pkl'), not an .npz: "
        f"minicnn.weights.load_torchvision reads it, and python -m minicnn convert-weights {name} w.npz "
        "converts it"
    )
    assert isinstance(caught.value, io.CheckpointError)  # what mc.load documents


def test_a_safetensors_file_is_told_by_its_content_whatever_its_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = _safetensors_bytes(tmp_path)
    header = int.from_bytes(data[:8], "little")
    (tmp_path / "w.safetensors").write_bytes(data)
    with pytest.raises(
        io.ForeignWeights,
        match=re.escape(
            f"mc.load: w.safetensors is a safetensors file (a JSON header of {header} bytes), not an .npz: "
            "minicnn.weights.load_torchvision reads it, and python -m minicnn convert-weights w.safetensors "
            "w.npz converts it"
        ),
    ):
        mc.load("w.safetensors")
    # named as an .npz: convert-weights tells it by its content too, and writes beside it
    (tmp_path / "w.safetensors").rename(tmp_path / "w.npz")
    with pytest.raises(io.ForeignWeights) as caught:
        mc.load("w.npz")
    assert str(caught.value).endswith(
        "not an .npz: minicnn.weights.load_torchvision reads it, "
        "and python -m minicnn convert-weights w.npz w.npz.npz converts it"
    )
    assert caught.value.how == "python -m minicnn convert-weights w.npz w.npz.npz"
    from minicnn.__main__ import main

    assert main(["convert-weights", "w.npz", "w.npz.npz"]) == 0
    np.testing.assert_array_equal(mc.load("w.npz.npz")["w"], np.ones((2, 3), np.float32))


def test_the_command_given_converts_the_file(tmp_path, monkeypatch):
    import shlex

    from minicnn.__main__ import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "my weights.pth").write_bytes(_pth_bytes())
    (tmp_path / "my weights.npz").write_bytes(b"an earlier file of that name")
    with pytest.raises(io.ForeignWeights) as caught:
        mc.load("my weights.pth")
    argv = shlex.split(caught.value.how)
    assert argv[:4] == ["python", "-m", "minicnn", "convert-weights"]
    assert argv[4:] == ["my weights.pth", "my weights.pth.npz"]  # not over the file that is there
    assert main(argv[3:]) == 0
    assert list(mc.load("my weights.pth.npz")) == list(mc.weights.load_torchvision("my weights.pth"))


def test_a_pth_name_on_a_file_no_zip_is_pointed_to_convert_weights_for_its_reason(tmp_path):
    old = tmp_path / "old.pth"
    old.write_bytes(b"\x80\x02 a pickle, as torch.save wrote before PyTorch 1.6")
    with pytest.raises(
        io.ForeignWeights,
        match=re.escape(
            f"{old} is not an .npz (nor any zip), and its name says PyTorch's format: try python -m minicnn "
            f"convert-weights {old} {tmp_path / 'old.npz'}, which reads the .pth files of torch.save"
        ),
    ):
        mc.load(old)


def test_an_npz_that_is_damaged_is_not_taken_for_another_format(tmp_path):
    for name in ("garbage.npz", "garbage.bin"):
        (tmp_path / name).write_bytes(b"this is not a checkpoint at all")
        with pytest.raises(io.CheckpointError, match="not a readable checkpoint") as caught:
            mc.load(tmp_path / name)
        assert not isinstance(caught.value, io.ForeignWeights)
