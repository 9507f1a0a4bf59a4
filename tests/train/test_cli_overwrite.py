"""python -m minicnn train into a folder holding a run: refused without --resume or --overwrite; an
--overwrite stopped early puts the old run back."""

import json
import os
import subprocess
import sys

import pytest
from cli_helpers import DIGITS, one_error_line

from minicnn import io, optim
from minicnn.__main__ import main


def test_a_folder_holding_a_run_is_never_trained_over(capsys, one_epoch_run):
    before = (one_epoch_run / "checkpoint.npz").read_bytes()
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--out", str(one_epoch_run)]) == 2
    line = one_error_line(capsys)
    assert "already holds a run" in line and "--resume" in line and "--overwrite" in line
    assert main(["train", "lenet5", "--resume", "--overwrite", "--out", str(one_epoch_run)]) == 2
    one_error_line(capsys)
    assert (one_epoch_run / "checkpoint.npz").read_bytes() == before


def test_overwrite_replaces_the_run(one_epoch_run, tmp_path):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    (out / "curves.png").unlink()
    assert (
        main(["train", "lenet5", *DIGITS, "--epochs", "1", "--seed", "3", "--overwrite", "--out", str(out)])
        == 0
    )
    assert io.load(out / "checkpoint.npz")["epoch"] == 1
    assert json.loads((out / "metrics.json").read_text())["seed"] == 3
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # the old run is gone, all of it


@pytest.mark.parametrize("stop", [KeyboardInterrupt, MemoryError])
def test_overwrite_stopped_before_its_first_checkpoint_puts_the_old_run_back(
    stop, one_epoch_run, tmp_path, capsys, monkeypatch
):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = []

    def step(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the third step of the first epoch
            raise stop
        return real_step(self, *args, **kwargs)

    real_step = optim.Adam.step
    monkeypatch.setattr(optim.Adam, "step", step)
    code = main(["train", "lenet5", *DIGITS, "--epochs", "2", "--overwrite", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    if stop is KeyboardInterrupt:
        assert code == 130
        assert err == (
            f"python -m minicnn train: interrupted in epoch 1; no epoch had finished; the run that was in "
            f"{out}/ is back in place, unchanged"
        )
    else:
        assert code == 1 and err.startswith("python -m minicnn train: error: ")
        assert err.endswith(f"; the run that was in {out}/ is back in place, unchanged")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_folder_in_the_place_of_a_run_file_is_refused_not_removed(one_epoch_run, tmp_path, capsys):
    """--overwrite replaces a run's files; a folder named as one of them is the user's."""
    import shutil

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    (out / "model.npz").unlink()
    (out / "model.npz").mkdir()
    (out / "model.npz" / "notes.txt").write_text("mine")
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--overwrite", "--out", str(out)]) == 2
    assert one_error_line(capsys).endswith(
        f"error: {out}/model.npz is a folder, where a run keeps its file model.npz: move it away or "
        "choose another --out"
    )
    assert (out / "model.npz" / "notes.txt").read_text() == "mine"


def _ended_pid():
    """The id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


def _killed_overwrite(run, out, owner=None):
    """out as an --overwrite killed outright (SIGKILL) leaves it: the old run moved aside, in a
    folder marked with the id of the process that moved it."""
    import shutil

    shutil.copytree(run, out / ".replaced-k1ll3d")
    before = {p.name: p.read_bytes() for p in (out / ".replaced-k1ll3d").iterdir()}
    (out / ".replaced-k1ll3d" / ".owner").write_text(str(owner or _ended_pid()))
    return before


def test_a_run_set_aside_by_a_killed_overwrite_comes_back_at_the_next_command(
    one_epoch_run, tmp_path, capsys
):
    out = tmp_path / "run"
    before = _killed_overwrite(one_epoch_run, out)
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == (
        f"{out}/: an --overwrite run was stopped before its first epoch ended; the run it was "
        "replacing is back in place"
    )
    assert "already holds a run" in err[1]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_run_set_aside_by_an_overwrite_killed_after_its_first_checkpoint_goes(
    one_epoch_run, tmp_path, capsys
):
    """The new run had a checkpoint: it had replaced the old one, whose copy aside goes."""
    import shutil

    out = tmp_path / "run"
    _killed_overwrite(one_epoch_run, out)
    shutil.copy(one_epoch_run / "checkpoint.npz", out / "checkpoint.npz")
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--out", str(out)]) == 2
    assert "already holds a run (checkpoint.npz)" in one_error_line(capsys)
    assert [p.name for p in out.iterdir()] == ["checkpoint.npz"]


def test_only_folders_an_overwrite_set_aside_and_left_are_touched(one_epoch_run, tmp_path, capsys):
    """A link or a user's own folder named .replaced-*, or one whose mark is a link or a pipe,
    is left as it is (and a pipe is never opened: the command does not hang on it)."""
    import shutil

    out, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    shutil.copytree(one_epoch_run, elsewhere)
    out.mkdir()
    (out / "notes").mkdir()
    (out / "notes" / "mine.txt").write_text("mine")
    (out / ".replaced-link").symlink_to(elsewhere)
    (out / ".replaced-mine").mkdir()
    (out / ".replaced-mine" / "model.npz").write_text("not a run")
    for kind in ("pipe", "linked"):
        aside = out / f".replaced-{kind}"
        aside.mkdir()
        (aside / "checkpoint.npz").write_bytes(b"theirs")
        if kind == "pipe":
            os.mkfifo(aside / ".owner")
        else:
            (aside / ".owner").symlink_to(elsewhere / "metrics.json")
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--quiet", "--out", str(out)]) == 0
    assert (out / "notes" / "mine.txt").read_text() == "mine"
    assert sorted(p.name for p in elsewhere.iterdir()) == sorted(p.name for p in one_epoch_run.iterdir())
    assert (out / ".replaced-mine" / "model.npz").read_text() == "not a run"
    assert (out / ".replaced-pipe" / "checkpoint.npz").read_bytes() == b"theirs"
    assert "is back in place" not in capsys.readouterr().err


def test_a_second_command_into_a_folder_in_use_is_refused(one_epoch_run, tmp_path, capsys):
    """Two runs into one folder would mix their files; the second is refused while the first holds it."""
    import shutil

    from minicnn import run_folder

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with run_folder.held(str(out)):
        for extra in ([], ["--overwrite"], ["--resume"]):
            assert main(["train", "lenet5", *DIGITS, "--epochs", "2", "--out", str(out), *extra]) == 2
            assert one_error_line(capsys).endswith(
                f"error: {out}/: another command is writing a run into this folder; wait for it to end, "
                "or choose another --out"
            )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert main(["train", "lenet5", *DIGITS, "--epochs", "2", "--out", str(out), "--resume", "--quiet"]) == 0


def test_a_stop_right_after_the_first_checkpoint_keeps_the_new_run(
    one_epoch_run, tmp_path, monkeypatch, capsys
):
    """Stopped between the new run's first checkpoint and the old run's removal (while the
    epoch's line prints): the new checkpoint is what the stop line says is kept, so the old
    run goes rather than come back over it."""
    import shutil

    from minicnn.progress import Progress

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    old = (out / "checkpoint.npz").read_bytes()

    def line(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Progress, "line", staticmethod(line))
    args = ["train", "lenet5", *DIGITS, "--epochs", "2", "--seed", "5", "--overwrite", "--out", str(out)]
    assert main(args) == 130
    assert "the checkpoint of epoch 1 is kept" in capsys.readouterr().err
    assert (out / "checkpoint.npz").read_bytes() != old
    assert not [p for p in out.iterdir() if p.name.startswith(".replaced-")]


def test_put_back_returns_the_checkpoint_last(one_epoch_run, tmp_path, monkeypatch):
    """Killed while putting the old run back, the next command still sees a run stopped before
    its first epoch (no checkpoint.npz yet) and finishes putting it back."""
    from minicnn import run_folder

    out = tmp_path / "run"
    _killed_overwrite(one_epoch_run, out)
    moved, real = [], os.replace

    def replace(source, target, **dir_fds):
        moved.append(os.path.basename(target))
        real(source, target, **dir_fds)

    monkeypatch.setattr(run_folder.os, "replace", replace)
    run_folder.put_back(str(out), str(out / ".replaced-k1ll3d"))
    assert moved[-1] == "checkpoint.npz" and len(moved) == len(list(one_epoch_run.iterdir()))
    assert not (out / ".replaced-k1ll3d").exists()


def test_sigterm_during_an_overwrite_puts_the_old_run_back(one_epoch_run, tmp_path):
    """kill or timeout in the first epoch of an --overwrite: as a Ctrl-C, the old run is back."""
    import shutil

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # a command process (SIGTERM is taken only there) whose third optimizer step sends it SIGTERM
    script = f"""
import os, signal, sys
from minicnn import interrupts, optim
from minicnn.__main__ import main
interrupts._in_command[0] = True
real, calls = optim.Adam.step, []
def step(self, *a, **k):
    calls.append(1)
    if len(calls) == 3:
        os.kill(os.getpid(), signal.SIGTERM)
    return real(self, *a, **k)
optim.Adam.step = step
argv = ["train", "lenet5", "--data", "digits", "--quiet", "--epochs", "2", "--overwrite"]
sys.exit(main(argv + ["--out", {str(out)!r}]))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"python -m minicnn train: interrupted in epoch 1; no epoch had finished; the run that was in "
        f"{out}/ is back in place, unchanged"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_an_out_typed_with_a_slash_is_named_with_one(one_epoch_run, capsys):
    argv = ["train", "lenet5", "--data", "digits", "--quiet", "--out", f"{one_epoch_run}/"]
    assert main(argv) == 2
    assert one_error_line(capsys).endswith(
        f"error: {one_epoch_run}/ already holds a run (checkpoint.npz, model.npz, metrics.json, "
        "history.json, curves.png); add --resume to continue it or --overwrite to replace it"
    )
