"""mc.load's reader against crafted zips: read limits before inflating, refused members and special files."""

import os
import struct
import zipfile

import numpy as np
import pytest

import minicnn as mc
from minicnn import io


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
