"""Atomic writes: temporaries, fsync, links, and files made meanwhile kept unless overwriting was asked."""

import os

import numpy as np
import pytest

import minicnn as mc
from minicnn import atomic_write, io


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
        tmp_path / f".minicnn-{_dead_pid()}-{token}.tmp",  # as saves name them now
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


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_the_weights_writers_keep_a_file_unless_asked_to_overwrite(tmp_path, rng, suffix):
    from minicnn.weights import convert_weights, write_safetensors

    w = rng.standard_normal(3)
    src = tmp_path / "src.npz"
    io.write_arrays(src, {"w": w})
    dst = tmp_path / f"w{suffix}"
    writers = [lambda overwrite: convert_weights(src, dst, overwrite=overwrite)]
    writers.append(
        (lambda overwrite: io.write_arrays(dst, {"w": w}, overwrite=overwrite))
        if suffix == ".npz"
        else (lambda overwrite: write_safetensors({"w": w}, dst, overwrite=overwrite))
    )
    for write in writers:
        dst.write_bytes(b"theirs")
        with pytest.raises(FileExistsError):
            write(False)
        assert dst.read_bytes() == b"theirs"
        write(True)
        assert dst.read_bytes() != b"theirs"


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
    os.symlink(victim, folder / f".minicnn-{os.getpid()}-{'0' * 16}.tmp")
    w = rng.standard_normal(5)
    mc.save({"w": w}, target)
    assert victim.read_bytes() == kept
    assert not target.is_symlink() and mc.load(target)["w"].tolist() == w.tolist()
    assert sorted(p.name for p in folder.iterdir() if not p.is_symlink()) == ["ckpt.npz"]


def test_a_name_as_long_as_the_file_system_takes_is_saved(tmp_path, rng, monkeypatch):
    """The temporary name does not grow with the file's: a name near NAME_MAX saves."""
    limit = os.pathconf(tmp_path, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
    name = "b" * int(rng.integers(limit - 40, limit - 3)) + ".npz"
    made, real = [], atomic_write._create_temp

    def recorded(folder, base):
        tmp, fd = real(folder, base)
        made.append(os.path.basename(tmp))
        return tmp, fd

    monkeypatch.setattr(atomic_write, "_create_temp", recorded)
    w = rng.standard_normal(int(rng.integers(2, 20)))
    mc.save({"w": w}, tmp_path / name)
    assert os.listdir(tmp_path) == [name] and mc.load(tmp_path / name)["w"].tolist() == w.tolist()
    import re

    assert len(made) == 1 and re.fullmatch(rf"\.minicnn-{os.getpid()}-[0-9a-f]{{16}}\.tmp", made[0]), made
    assert atomic_write.name_problem(tmp_path / name) is None


def test_a_name_no_file_system_takes_is_told_by_its_name(tmp_path, rng):
    limit = os.pathconf(tmp_path, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
    extra = int(rng.integers(1, 50))
    name = "é" * ((limit + extra) // 2 + 1)  # two bytes a letter: the limit is of bytes
    size = len(name.encode())
    assert atomic_write.name_problem(tmp_path / "not yet" / name) == (
        f"its name is {size} bytes long, and this file system takes at most {limit}"
    )
    assert atomic_write.name_problem(tmp_path / "a\0b.npz") == "a file name cannot hold a NUL character"
    assert atomic_write.name_problem(tmp_path / ("é" * (limit // 2))) is None
