"""python -m minicnn eval: the class count read from the weights, and bad weights or notes named in one
line."""

import json

import numpy as np
import pytest
from cli_helpers import _damaged_checkpoint, one_error_line

from minicnn import io, models
from minicnn.__main__ import main


def test_eval_reads_the_class_count_from_the_weights(capsys, one_epoch_run, tmp_path):
    assert main(["eval", str(one_epoch_run / "model.npz")]) == 0
    from_model = capsys.readouterr().out
    assert main(["eval", str(one_epoch_run / "checkpoint.npz")]) == 0  # the model inside it
    assert capsys.readouterr().out == from_model
    wide = models.lenet5(num_classes=12)  # more classes than digits' test labels
    io.save(wide.state_dict(), tmp_path / "wide.npz")
    assert main(["eval", str(tmp_path / "wide.npz"), "--model", "lenet5", "--data", "digits"]) == 0
    narrow = models.lenet5(num_classes=5)
    io.save(narrow.state_dict(), tmp_path / "narrow.npz")
    assert main(["eval", str(tmp_path / "narrow.npz"), "--model", "lenet5", "--data", "digits"]) == 2
    line = one_error_line(capsys, "eval")
    assert "test labels go up to 9, but the weights classify 5 classes" in line
    # a first layer of another width is not another class count: these are not LeNet-5's weights
    odd = models.lenet5().state_dict()
    odd["0.weight"] = odd["0.weight"][:3]
    io.save(odd, tmp_path / "odd.npz")
    assert main(["eval", str(tmp_path / "odd.npz"), "--model", "lenet5", "--data", "digits"]) == 2
    assert one_error_line(capsys, "eval").endswith(
        "these weights are not lenet5's: '0.weight' is (3, 1, 5, 5), lenet5 has (6, 1, 5, 5)"
    )


def test_eval_of_weights_holding_nan_is_one_line_not_a_nan_loss(capsys, one_epoch_run, tmp_path):
    weights = io.load(one_epoch_run / "model.npz")
    weights["3.weight"] = np.full_like(weights["3.weight"], np.inf)
    io.save(weights, tmp_path / "inf.npz")
    assert main(["eval", str(tmp_path / "inf.npz"), "--model", "lenet5", "--data", "digits"]) == 2
    assert one_error_line(capsys, "eval").endswith(
        "inf.npz: its '3.weight' holds NaN or infinite values: no image can be classified"
    )


def test_eval_of_float64_weights_beyond_float32_is_one_line(capsys, one_epoch_run, tmp_path):
    """Finite in the file, infinite in the float32 model: refused, not a NaN loss."""
    weights = io.load(one_epoch_run / "model.npz")
    weights["3.weight"] = np.full(weights["3.weight"].shape, 1e300)
    io.save(weights, tmp_path / "big.npz")
    assert main(["eval", str(tmp_path / "big.npz"), "--model", "lenet5", "--data", "digits"]) == 2
    assert one_error_line(capsys, "eval").endswith(
        "big.npz: its '3.weight' holds values beyond float32's range, which the model computes in: "
        "no image can be classified"
    )


@pytest.mark.parametrize("data", [5, ["digits"]])
def test_eval_of_a_checkpoint_whose_data_is_not_a_name_uses_the_flag_default(
    data, capsys, one_epoch_run, tmp_path
):
    meta = json.loads(io.load(one_epoch_run / "checkpoint.npz")["meta"])
    meta["settings"]["data"] = data
    out = _damaged_checkpoint(one_epoch_run, tmp_path, meta=json.dumps(meta))
    assert main(["eval", str(out / "checkpoint.npz"), "--data", "digits"]) == 0
    capsys.readouterr()
    assert main(["eval", str(out / "checkpoint.npz")]) == 0  # no data named: mnist5k, as for model.npz
    assert "test accuracy" in capsys.readouterr().out


def test_eval_names_metrics_nested_too_deeply(capsys, one_epoch_run, tmp_path):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    (out / "metrics.json").write_text("[" * 100_000 + "]" * 100_000)
    assert main(["eval", str(out / "model.npz")]) == 2
    assert "metrics.json (read for the model and data of" in (line := one_error_line(capsys, "eval"))
    assert "its JSON is nested too deeply; pass --model and --data instead" in line


def test_eval_of_a_broken_file_is_one_line(capsys, tmp_path):
    (tmp_path / "model.npz").write_bytes(b"PK\x03\x04 truncated")
    assert main(["eval", str(tmp_path / "model.npz"), "--model", "lenet5"]) == 2
    assert "not a readable checkpoint" in one_error_line(capsys, "eval")


def test_eval_reads_metrics_json_only_for_what_the_flags_leave_out(one_epoch_run, tmp_path, capsys):
    import os
    import shutil

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    (out / "metrics.json").unlink()
    os.mkfifo(out / "metrics.json")  # reading it would wait forever
    assert main(["eval", str(out / "model.npz"), "--model", "lenet5", "--data", "digits"]) == 0
    capsys.readouterr()
    assert main(["eval", str(out / "model.npz")]) == 2
    assert one_error_line(capsys, "eval").endswith(
        f"{out / 'metrics.json'}: is a FIFO (named pipe), not a regular file"
    )


@pytest.mark.parametrize(
    "text, says",
    [("{bad", "Expecting property name"), ("[1, 2]", "it holds a JSON list, not an object")],
)
def test_eval_names_a_bad_metrics_json(text, says, one_epoch_run, tmp_path, capsys):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    (out / "metrics.json").write_text(text)
    assert main(["eval", str(out / "model.npz")]) == 2
    line = one_error_line(capsys, "eval")
    assert f"{out / 'metrics.json'} (read for the model and data of {out / 'model.npz'}): " in line
    assert says in line and line.endswith("pass --model and --data instead")


def test_eval_of_a_file_that_holds_no_weights_is_one_line(tmp_path, capsys):
    io.save(5, tmp_path / "five.npz")
    assert main(["eval", str(tmp_path / "five.npz"), "--model", "lenet5", "--data", "digits"]) == 2
    assert one_error_line(capsys, "eval").endswith(
        f"{tmp_path / 'five.npz'}: holds an int, not a model's weights"
    )


def test_eval_says_which_data_it_used(one_epoch_run, tmp_path, capsys):
    import shutil

    shutil.copy(one_epoch_run / "model.npz", tmp_path / "lone.npz")
    assert main(["eval", str(tmp_path / "lone.npz"), "--model", "lenet5", "--data", "digits"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "data: digits"
    assert main(["eval", str(tmp_path / "lone.npz"), "--model", "lenet5"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("data: mnist5k (no")
