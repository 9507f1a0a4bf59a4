"""python -m minicnn train: the files a run writes, and what it says when the file system refuses them."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from cli_helpers import DIGITS, one_error_line

from minicnn import data, io, optim
from minicnn.__main__ import main


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "minicnn", *args], capture_output=True, check=False, text=True, timeout=300
    )


def test_train_writes_metrics_history_model_and_curves(tmp_path):
    out = tmp_path / "run"
    result = cli("train", "lenet5", "--data", "digits", "--epochs", "1", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("test accuracy: 0.")
    metrics = json.loads((out / "metrics.json").read_text())
    assert {
        "test_accuracy",
        "val_accuracy",
        "val_loss",
        "epochs",
        "seconds",
        "images_per_second",
        "model",
        "data",
        "settings",
        "resumed",
    } <= set(metrics)
    assert metrics["model"] == "lenet5" and metrics["epochs"] == 1
    assert metrics["settings"]["val_fraction"] == 0.1 and metrics["resumed"] == []
    assert float(last.split()[-1]) == pytest.approx(metrics["test_accuracy"], abs=1e-4)
    assert len(json.loads((out / "history.json").read_text())) == 1
    assert (out / "model.npz").stat().st_size > 10_000
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    again = cli("eval", str(out / "model.npz"), "--data", "digits")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == last


def test_validation_is_held_out_of_the_training_images(one_epoch_run):
    """val metrics come from a tenth of the training split, chosen by the seed, not the test set."""
    from minicnn.cli_common import validation_split

    train = data.digits("train", size=28)
    fit_set, val_set = validation_split(train, 0.1, seed=0)
    assert len(fit_set) + len(val_set) == len(train)
    assert len(val_set) == pytest.approx(0.1 * len(train), abs=10)
    assert not set(fit_set.indices) & set(val_set.indices)
    np.testing.assert_array_equal(validation_split(train, 0.1, seed=0)[1].indices, val_set.indices)
    assert not np.array_equal(validation_split(train, 0.1, seed=1)[1].indices, val_set.indices)
    history = json.loads((one_epoch_run / "history.json").read_text())
    metrics = json.loads((one_epoch_run / "metrics.json").read_text())
    assert metrics["val_accuracy"] == history[-1]["val_acc"] != metrics["test_accuracy"]


def test_a_new_run_keeps_a_file_made_in_its_folder_while_it_trained(tmp_path, monkeypatch, capsys):
    from minicnn import cli_train

    out = tmp_path / "run"
    real = cli_train.evaluate

    def someone_writes_metrics(*args, **kwargs):  # after training, before the outputs are written
        (out / "metrics.json").write_text("theirs")
        return real(*args, **kwargs)

    monkeypatch.setattr(cli_train, "evaluate", someone_writes_metrics)
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--out", str(out)]) == 1
    assert one_error_line(capsys).endswith(
        f"error: {out / 'metrics.json'} was made by another program while this run trained; it is kept, "
        "not replaced: move it away, then --resume writes the run's other files"
    )
    assert (out / "metrics.json").read_text() == "theirs"
    assert sorted(os.listdir(out)) == ["checkpoint.npz", "history.json", "metrics.json", "model.npz"]


def test_the_curves_are_written_all_or_nothing(tmp_path, monkeypatch):
    written = []
    real = io.write_atomic

    def record(path, write, who="write_atomic", overwrite=None):
        written.append((str(path), overwrite))
        return real(path, write, who, overwrite)

    monkeypatch.setattr(io, "write_atomic", record)
    out = tmp_path / "run"
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--out", str(out)]) == 0
    # a new run: the picture replaces nothing
    assert (str(out / "curves.png"), False) in written and (out / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_an_out_folder_the_file_system_refuses_is_named_before_training(tmp_path, capsys, monkeypatch):
    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "TemporaryFile", read_only)
    assert main(["train", "lenet5", *DIGITS, "--out", str(tmp_path / "run")]) == 2
    assert one_error_line(capsys).endswith(
        f"--out {tmp_path / 'run'}: cannot write into {str(tmp_path)!r}: Read-only file system"
    )


def test_a_folder_whose_file_system_makes_no_files_is_said_so_not_no_such_file(tmp_path, capsys, monkeypatch):
    """/proc answers a new file with ENOENT, though the folder is there."""
    import errno
    import tempfile

    def no_files(*args, **kwargs):
        raise OSError(errno.ENOENT, "No such file or directory")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_files)
    assert main(["train", "lenet5", *DIGITS, "--out", str(tmp_path / "run")]) == 2
    assert one_error_line(capsys).endswith(
        f"--out {tmp_path / 'run'}: cannot write into {str(tmp_path)!r}: no file can be made there "
        "(its file system is a view the kernel keeps, not storage)"
    )


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="no /proc file system here")
def test_an_out_folder_in_proc_is_refused_in_words(capsys):
    assert main(["train", "lenet5", *DIGITS, "--out", "/proc/minicnn-run"]) == 2
    line = one_error_line(capsys)
    assert "--out /proc/minicnn-run: cannot write into '/proc'" in line and "No such file" not in line


def test_a_new_run_that_writes_nothing_leaves_no_folder(tmp_path, capsys):
    """ "nothing was written" is true of the folder too: the one the run made goes again."""
    out = tmp_path / "new" / "run"
    assert main(["train", "lenet5", *DIGITS, "--lr", "1e300", "--out", str(out)]) == 1
    assert one_error_line(capsys).endswith(
        "Try a smaller learning rate or gradient clipping; nothing was written"
    )
    assert not out.exists() and (tmp_path / "new").exists()  # a parent made on the way stays


def test_metrics_give_the_images_over_the_whole_time(tmp_path, monkeypatch):
    """Not the mean of the epochs' rates: a slow first epoch weighs by its time."""
    import time

    from minicnn import train as train_module

    real, calls = train_module._train_pass, []

    def slow_first(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(train_module, "_train_pass", slow_first)
    out = tmp_path / "run"
    assert main(["train", "lenet5", *DIGITS, "--epochs", "2", "--quiet", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    rows = json.loads((out / "history.json").read_text())
    assert metrics["images_per_second"] < sum(r["images_per_second"] for r in rows) / len(rows)
    images = sum(r["images_per_second"] * r["seconds"] for r in rows)
    assert metrics["images_per_second"] == pytest.approx(images / sum(r["seconds"] for r in rows))


def test_without_matplotlib_the_curves_are_said_to_be_missing_not_left_stale(
    one_epoch_run, tmp_path, monkeypatch, capsys
):
    import shutil

    from minicnn import viz

    def no_matplotlib(history):
        raise ImportError('minicnn.viz needs matplotlib: pip install -e ".[viz]"')

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    monkeypatch.setattr(viz, "plot_history", no_matplotlib)
    assert main(["train", "lenet5", *DIGITS, "--resume", "--epochs", "2", "--quiet", "--out", str(out)]) == 0
    assert 'curves.png not drawn: it needs matplotlib (pip install -e ".[viz]")' in capsys.readouterr().out
    assert not (out / "curves.png").exists() and (out / "metrics.json").exists()


def test_a_junk_plot_backend_is_named_before_any_step(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "bogus")
    monkeypatch.delitem(sys.modules, "matplotlib")  # its import is where MPLBACKEND is read
    steps = []
    real_step = optim.Adam.step
    monkeypatch.setattr(optim.Adam, "step", lambda self, *a, **k: steps.append(1) or real_step(self, *a, **k))
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
    assert one_error_line(capsys).endswith(
        "error: MPLBACKEND='bogus' is not a backend matplotlib takes (Key backend: 'bogus' is not a valid "
        "value for backend), so no picture could be drawn; unset it (minicnn draws its pictures with agg)"
    )
    assert not steps and not (tmp_path / "run").exists()
    assert main(["summary", "lenet5"]) == 0  # a command that draws nothing is not refused


@pytest.mark.parametrize("failure", ["matplotlib", "full disk"])
def test_curves_that_cannot_be_drawn_lose_neither_the_result_nor_the_run(
    failure, tmp_path, monkeypatch, capsys
):
    import errno

    from minicnn import viz

    out = tmp_path / "run"
    if failure == "matplotlib":

        def broken(history):
            raise RuntimeError("the canvas broke")

        monkeypatch.setattr(viz, "plot_history", broken)
        then = ""
    else:  # the file system refuses the picture alone
        real_link = os.link

        def link(src, dst, *args, **kwargs):
            if str(dst).endswith("curves.png"):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_link(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, "link", link)
        then = "free some space, then "
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[-2:] == [f"outputs in {out}/", captured.out.splitlines()[-1]]
    assert captured.out.splitlines()[-1].startswith("test accuracy: 0.")
    why = (
        "the canvas broke"
        if failure == "matplotlib"
        else f"train: could not write {out}/curves.png: no space left on device"
    )
    assert captured.err.strip().splitlines()[-1] == (
        f"python -m minicnn train: error: curves.png not drawn: {why}; every other output is written; {then}"
        "--resume draws it (and evaluates the test split again)"
    )
    assert sorted(os.listdir(out)) == ["checkpoint.npz", "history.json", "metrics.json", "model.npz"]
    monkeypatch.undo()
    assert main(["train", "lenet5", *DIGITS, "--resume", "--quiet", "--out", str(out)]) == 0
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"


def _refused(monkeypatch, call, name, code, nth=1):
    """The file system refuses the ``nth`` write of ``name`` (os.link for a file new to the run,
    os.replace for one it replaces) with the errno ``code``."""
    real, seen = getattr(os, call), []

    def refuse(src, dst, *args, **kwargs):
        if str(dst).endswith(name):
            seen.append(dst)
            if len(seen) == nth:
                raise OSError(code, os.strerror(code))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, call, refuse)


@pytest.mark.parametrize(
    "code, fix",
    [
        ("ENOSPC", "free some space"),
        ("EROFS", "make the file system writable"),
        ("EACCES", "let yourself write into {out}/"),
        ("EFBIG", "raise the limit on a file's size (ulimit -f), or move {out}/ where larger files fit"),
    ],
)
def test_a_checkpoint_the_file_system_refuses_says_which_is_kept_and_how_to_resume(
    code, fix, tmp_path, monkeypatch, capsys
):
    import errno

    out = tmp_path / "run"
    number = getattr(errno, code)
    _refused(monkeypatch, "replace", "checkpoint.npz", number)  # epoch 2's replaces epoch 1's
    assert main(["train", "lenet5", *DIGITS, "--epochs", "2", "--out", str(out)]) == 1
    assert one_error_line(capsys).endswith(
        f"error: mc.save: could not write {out}/checkpoint.npz: {os.strerror(number).lower()}; "
        f"the checkpoint of epoch 1 is kept; {fix.format(out=out)}, then resume with --resume"
    )
    assert io.load(out / "checkpoint.npz")["epoch"] == 1 and os.listdir(out) == ["checkpoint.npz"]
    monkeypatch.undo()
    assert main(["train", "lenet5", *DIGITS, "--resume", "--quiet", "--out", str(out)]) == 0
    assert io.load(out / "checkpoint.npz")["epoch"] == 2


def test_a_first_checkpoint_the_file_system_refuses_says_there_is_none(tmp_path, monkeypatch, capsys):
    import errno

    out = tmp_path / "run"
    _refused(monkeypatch, "link", "checkpoint.npz", errno.ENOSPC)
    assert main(["train", "lenet5", *DIGITS, "--epochs", "2", "--out", str(out)]) == 1
    assert one_error_line(capsys).endswith(
        f"error: mc.save: could not write {out}/checkpoint.npz: no space left on device; no epoch had "
        "finished, so there is no checkpoint to resume; free some space, then train again"
    )
    assert not out.exists()


def test_outputs_the_file_system_refuses_say_that_every_epoch_is_kept(tmp_path, monkeypatch, capsys):
    import errno

    out = tmp_path / "run"
    _refused(monkeypatch, "link", "model.npz", errno.ENOSPC)
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--out", str(out)]) == 1
    assert one_error_line(capsys).endswith(
        f"error: mc.save: could not write {out}/model.npz: no space left on device; all 1 epochs are in "
        "checkpoint.npz; free some space, then --resume writes the test result and the other outputs"
    )
    assert os.listdir(out) == ["checkpoint.npz"]
    monkeypatch.undo()
    assert main(["train", "lenet5", *DIGITS, "--resume", "--quiet", "--out", str(out)]) == 0
    assert (out / "model.npz").exists() and (out / "metrics.json").exists()
