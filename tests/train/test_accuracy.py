"""The main job on a reduced budget: LeNet-5 on the bundled MNIST digits."""

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_lenet5_reaches_93_percent_in_3_epochs(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "minicnn", "train", "lenet5", "--epochs", "3", "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"] == "mnist5k" and metrics["epochs"] == 3
    assert metrics["test_accuracy"] >= 0.93, metrics
