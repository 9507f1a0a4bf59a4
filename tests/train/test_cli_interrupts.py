"""python -m minicnn train stopped by Ctrl-C, SIGINT or a closed pipe: what is kept, what is said, how
it resumes."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
from cli_helpers import DIGITS

from minicnn import io
from minicnn.__main__ import main


def test_an_interrupted_run_resumes_to_the_same_weights(capsys, monkeypatch, tmp_path):
    from minicnn import progress

    args = ["train", "lenet5", "--data", "digits", "--epochs", "2", "--no-augment"]
    assert main(args + ["--quiet", "--out", str(tmp_path / "whole")]) == 0
    line = progress.Progress.line

    def stop_after_epoch_1(desc, row, enabled=True, stream=None):
        line(desc, row, enabled, stream)
        if row["epoch"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(progress.Progress, "line", staticmethod(stop_after_epoch_1))
    assert main(args + ["--out", str(tmp_path / "cut")]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        "python -m minicnn train: interrupted in epoch 2; the checkpoint of epoch 1 "
        "is kept; resume with --resume"
    )
    monkeypatch.undo()
    assert main(["train", "lenet5", "--resume", "--quiet", "--out", str(tmp_path / "cut")]) == 0
    whole, cut = io.load(tmp_path / "whole" / "model.npz"), io.load(tmp_path / "cut" / "model.npz")
    for name in whole:
        np.testing.assert_array_equal(whole[name], cut[name], err_msg=name)


def test_ctrl_c_after_the_last_epoch_says_the_run_is_whole(capsys, monkeypatch, tmp_path):
    from minicnn import progress

    line = progress.Progress.line

    def stop_after_epoch_1(desc, row, enabled=True, stream=None):
        line(desc, row, enabled, stream)
        raise KeyboardInterrupt

    monkeypatch.setattr(progress.Progress, "line", staticmethod(stop_after_epoch_1))
    args = ["train", "lenet5", "--data", "digits", "--epochs", "1", "--no-augment", "--out", str(tmp_path)]
    assert main(args) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "python -m minicnn train: interrupted after the last epoch; the checkpoint of epoch 1 is kept"
    )
    assert io.load(tmp_path / "checkpoint.npz")["epoch"] == 1


def test_ctrl_c_keeps_the_last_checkpoint_and_exits_130(tmp_path):
    out = tmp_path / "run"
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "minicnn",
            "train",
            "lenet5",
            "--data",
            "digits",
            "--epochs",
            "4",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in p.stderr:
        if line.startswith("epoch 1/4"):
            p.send_signal(signal.SIGINT)
            break
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130
    # NOTE: on a busy machine more epochs may end before the signal lands: the message must
    # still name the checkpoint on disk, whichever it is
    kept = io.load(out / "checkpoint.npz")["epoch"]
    assert 1 <= kept < 4
    assert err.strip() == (
        f"python -m minicnn train: interrupted in epoch {kept + 1}; the checkpoint of "
        f"epoch {kept} is kept; resume with --resume"
    )


def test_a_stop_while_the_outputs_are_written_says_what_a_resume_does(tmp_path, monkeypatch, capsys):
    from minicnn import cli_train

    def stopped(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_train, "write_outputs", stopped)
    out = tmp_path / "run"
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--quiet", "--out", str(out)]) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "python -m minicnn train: interrupted after the last epoch; the checkpoint of epoch 1 is kept; "
        "--resume writes the test result and the other outputs"
    )
    monkeypatch.undo()
    assert main(["train", "lenet5", *DIGITS, "--resume", "--quiet", "--out", str(out)]) == 0
    assert (out / "metrics.json").exists() and (out / "model.npz").exists()


def _closed_pipe():
    """The writing end of a pipe whose reader has gone, as `| head` leaves it."""
    read, write = os.pipe()
    os.close(read)
    return os.fdopen(write, "w")


def test_a_closed_output_pipe_neither_fails_nor_stops_a_run(tmp_path):
    """train ... 2>&1 | head -0: the progress lines and the result go nowhere; the run goes on to
    its end and writes every file, and the command ends as it would have."""
    out = tmp_path / "run"
    with _closed_pipe() as closed:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "minicnn",
                "train",
                "lenet5",
                "--data",
                "digits",
                "--epochs",
                "2",
                "--out",
                str(out),
            ],
            stdout=closed,
            stderr=closed,
            timeout=300,
        )
    assert done.returncode == 0
    assert sorted(os.listdir(out)) == sorted(
        ["checkpoint.npz", "curves.png", "history.json", "metrics.json", "model.npz"]
    )
    assert io.load(out / "checkpoint.npz")["epoch"] == 2
    assert json.loads((out / "metrics.json").read_text())["test_accuracy"] > 0.5


def test_a_listing_cut_short_by_its_reader_is_not_an_error():
    """summary --list | head -1"""
    with _closed_pipe() as closed:
        done = subprocess.run(
            [sys.executable, "-m", "minicnn", "summary", "--list"],
            stdout=closed,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    assert (done.returncode, done.stderr) == (0, "")
