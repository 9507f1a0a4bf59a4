"""python -m minicnn: train writes its outputs; bad arguments exit 2 with one line."""
import json
import subprocess
import sys

import pytest

from minicnn.__main__ import main


def cli(*args):
    return subprocess.run([sys.executable, "-m", "minicnn", *args], capture_output=True,
                          text=True, timeout=300)


def test_train_writes_metrics_history_model_and_curves(tmp_path):
    out = tmp_path / "run"
    result = cli("train", "lenet5", "--data", "digits", "--epochs", "1", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("test accuracy: 0.")
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"test_accuracy", "epochs", "seconds", "images_per_second", "model", "data"} <= set(metrics)
    assert metrics["model"] == "lenet5" and metrics["epochs"] == 1
    assert float(last.split()[-1]) == pytest.approx(metrics["test_accuracy"], abs=1e-4)
    assert len(json.loads((out / "history.json").read_text())) == 1
    assert (out / "model.npz").stat().st_size > 10_000
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    again = cli("eval", str(out / "model.npz"), "--data", "digits")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == last


@pytest.mark.parametrize("args, message", [
    (["train", "lenet6"], "unknown model 'lenet6'"),
    (["train", "lenet5", "--data", "imagenet"], "unknown data 'imagenet'"),
    (["train", "lenet5", "--data", "mnist:/no/such/folder"], "no such folder"),
    (["train", "resnet20", "--data", "digits"], "cannot take this data's images"),
    (["eval", "/no/such/model.npz"], "no such file"),
    (["summary", "nonet"], "unknown model 'nonet'"),
])
def test_bad_arguments_exit_2_with_one_line(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("python -m minicnn")


def test_summary_prints_a_table(capsys):
    assert main(["summary", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert "61,706" in out or "61706" in out
