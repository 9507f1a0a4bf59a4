"""The run folder: one command at a time, and --overwrite's folder aside touched only as made."""

import os

import pytest

from minicnn import run_folder


def _run(folder, seed):
    """A run's files, each holding bytes drawn from ``seed``."""
    folder.mkdir(exist_ok=True)
    for i, name in enumerate(run_folder.OUTPUTS):
        (folder / name).write_bytes(f"{seed}-{i}".encode())
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_link_put_in_place_of_the_folder_aside_is_never_followed(tmp_path):
    out, victim = tmp_path / "run", tmp_path / "victim"
    _run(out, seed=1)
    theirs = _run(victim, seed=2)
    aside = run_folder.set_aside(str(out))
    os.rename(aside, tmp_path / "moved")
    os.symlink(victim, aside)
    run_folder.remove_aside(aside)
    assert not run_folder.put_back(str(out), aside)
    assert {p.name: p.read_bytes() for p in victim.iterdir()} == theirs
    assert not any((out / name).exists() for name in run_folder.OUTPUTS)


def test_a_file_put_back_over_a_folder_made_since_stays_aside(tmp_path):
    out = tmp_path / "run"
    before = _run(out, seed=3)
    aside = run_folder.set_aside(str(out))
    (out / "model.npz").mkdir()
    assert run_folder.put_back(str(out), aside)
    assert (out / "checkpoint.npz").read_bytes() == before["checkpoint.npz"]
    assert (tmp_path / "run" / os.path.basename(aside) / "model.npz").read_bytes() == before["model.npz"]


def test_a_folder_held_by_one_command_is_refused_to_another_and_made_ones_go_when_empty(tmp_path):
    out = tmp_path / "new" / "run"
    with run_folder.held(str(out)) as made:
        assert made and out.is_dir()
        with pytest.raises(RuntimeError, match="another command is writing a run into this folder"):
            with run_folder.held(str(out)):
                pass
    assert not out.exists()
    with run_folder.held(str(out)):
        (out / "model.npz").write_bytes(b"kept")
    assert (out / "model.npz").read_bytes() == b"kept"


def test_an_out_that_is_a_link_to_a_folder_is_held_through_it(tmp_path):
    real, link = tmp_path / "scratch", tmp_path / "runs"
    real.mkdir()
    link.symlink_to(real)
    with run_folder.held(str(link)) as made:
        assert not made
        (link / "model.npz").write_bytes(b"x")
    assert (real / "model.npz").read_bytes() == b"x"


def test_a_file_system_without_locks_runs_unguarded(tmp_path, monkeypatch):
    import errno

    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(run_folder.fcntl, "flock", no_locks)
    with run_folder.held(str(tmp_path / "run")) as made:
        assert made


@pytest.mark.parametrize("moved", [0, 1, 3])
def test_a_stop_while_the_old_run_is_set_aside_puts_it_back(tmp_path, monkeypatch, moved):
    """Ctrl-C after ``moved`` of its files went aside: every file is back, and no folder aside stays."""
    out = tmp_path / "run"
    before = _run(out, seed=4 + moved)
    real, calls = os.replace, []

    def replace(src, dst, **kwargs):
        if kwargs.get("dst_dir_fd") is not None:
            calls.append(dst)
            if len(calls) > moved:
                raise KeyboardInterrupt
        return real(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        run_folder.set_aside(str(out))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
