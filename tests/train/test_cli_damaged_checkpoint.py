"""python -m minicnn train --resume from a damaged checkpoint: each bad entry named in one line, before
any step."""

import json

import numpy as np
import pytest
from cli_helpers import DIGITS, _damaged_checkpoint, one_error_line

from minicnn import io, optim
from minicnn.__main__ import main


@pytest.mark.parametrize(
    "changes, says",
    [
        ({"meta": "{not json"}, "its meta is not JSON (Expecting property name"),
        ({"meta": 5}, "its meta is an int, not JSON text"),
        ({"meta": "[]"}, "its meta is a JSON list, not an object"),
        (
            {"meta": json.dumps({"model": "lenet5", "settings": 5})},
            "its meta's 'settings' is an int, not a dict",
        ),
        ({"epoch": "abc"}, "its epoch is 'abc'; expected a count of epochs, 0 to 1000000"),
        ({"epoch": -5}, "its epoch is -5; expected a count of epochs, 0 to 1000000"),
        ({"epoch": 10**30}, "its epoch is 1000000000000000000000000000000; expected a count of epochs"),
        (
            {"history": json.dumps([{"epoch": 1, "train_loss": 1.0, "train_acc": 0.5, "seconds": 10**400}])},
            "its history does not load: row 1's seconds is 1000000000",
        ),
        ({"meta": "[" * 100_000 + "]" * 100_000}, "its meta is not JSON (its JSON is nested too deeply)"),
        ({"history": "{bad"}, "its history does not load: Expecting property name"),
        (
            {"history": json.dumps([{"epoch": 1, "train_loss": "x", "train_acc": 0.5}])},
            "its history does not load: row 1's train_loss is 'x'; expected a finite number (or NaN)",
        ),
        ({"optimizer": "x"}, "its optimizer state does not load: loaded state dict is not an optimizer's"),
        (
            {"optimizer": {"state": {}, "param_groups": [1]}},
            "its optimizer state does not load: loaded state dict's param_groups are not a list of groups",
        ),
    ],
)
def test_a_damaged_checkpoint_is_named_in_one_line(changes, says, one_epoch_run, tmp_path, capsys):
    out = _damaged_checkpoint(one_epoch_run, tmp_path, **changes)
    assert main(["train", "lenet5", *DIGITS, "--resume", "--out", str(out)]) == 2
    assert f"error: {out / 'checkpoint.npz'}: {says}" in one_error_line(capsys)


@pytest.mark.parametrize(
    "key, value, says",
    [
        ("batch_size", -3, "the checkpoint's batch_size is -3, which must be at least 1"),
        ("lr", "fast", "the checkpoint's lr is 'fast', which must be a number"),
        (
            "optimizer",
            "rmsprop",
            "the checkpoint's optimizer is 'rmsprop', which must be one of 'sgd', 'adam'",
        ),
        ("data", None, "the checkpoint's settings lack 'data'"),
    ],
)
def test_a_checkpoint_setting_is_checked_as_its_flag_would_be(
    key, value, says, one_epoch_run, tmp_path, capsys
):
    meta = io.load(one_epoch_run / "checkpoint.npz")["meta"]
    meta = json.loads(meta)
    if value is None:
        del meta["settings"][key]
    else:
        meta["settings"][key] = value
    out = _damaged_checkpoint(one_epoch_run, tmp_path, meta=json.dumps(meta))
    assert main(["train", "lenet5", "--resume", "--quiet", "--out", str(out)]) == 2
    assert one_error_line(capsys).endswith(f"error: --resume: {says}; start again with --overwrite")


def test_a_resume_shows_control_characters_of_the_checkpoint_as_escapes(one_epoch_run, tmp_path, capsys):
    """A checkpoint is a file one may be sent: its names reach the terminal escaped, not as
    sequences that rewrite the line (here, into a fake accuracy)."""
    fake = "\x1b[2K\x1b[32mtest accuracy: 0.9990\x1b[0m"
    meta = json.loads(io.load(one_epoch_run / "checkpoint.npz")["meta"])
    for key, says in (
        ("model", "--resume: the checkpoint is of model lenet5\\x1b[2K\\x1b[32mtest accuracy: 0.9990"),
        ("data", "--data mnist:/\\x1b[2K\\x1b[32mtest accuracy: 0.9990\\x1b[0m: no such folder"),
    ):
        changed = json.loads(json.dumps(meta))
        if key == "model":
            changed["model"] = "lenet5" + fake
        else:
            changed["settings"]["data"] = "mnist:/" + fake
        out = _damaged_checkpoint(one_epoch_run, tmp_path / key, meta=json.dumps(changed))
        assert main(["train", "lenet5", "--resume", "--quiet", "--out", str(out)]) == 2
        line = one_error_line(capsys)
        assert "\x1b" not in line and says in line


@pytest.mark.parametrize(
    "changes, part",
    [
        ({"random": json.dumps({"bit_generator": "MT19937"})}, "random state"),
    ],
)
def test_a_checkpoint_part_that_does_not_load_is_named(changes, part, one_epoch_run, tmp_path, capsys):
    out = _damaged_checkpoint(one_epoch_run, tmp_path, **changes)
    assert main(["train", "lenet5", *DIGITS, "--resume", "--epochs", "2", "--out", str(out)]) == 2
    assert f"error: resume: the checkpoint's {part} does not load: " in one_error_line(capsys)


def _with_momentum_of_shape(run, shape):
    state = io.load(run / "checkpoint.npz")["optimizer"]
    state["state"][0]["exp_avg"] = np.zeros(shape, dtype=np.float32)
    return state


def _with_nan_moments(run):
    state = io.load(run / "checkpoint.npz")["optimizer"]
    state["state"][0]["exp_avg_sq"] = np.full_like(state["state"][0]["exp_avg_sq"], np.nan)
    return state


def _with_a_nan_weight(run):
    weights = io.load(run / "checkpoint.npz")["model"]
    weights["0.weight"] = np.full_like(weights["0.weight"], np.nan)
    return weights


@pytest.mark.parametrize(
    "damage, says",
    [
        (
            lambda run: {"optimizer": _with_momentum_of_shape(run, (3,))},
            "the checkpoint's optimizer state does not load: loaded state dict's parameter 0's "
            "'exp_avg' has shape (3,), the parameter (6, 1, 5, 5)",
        ),
        (
            lambda run: {"optimizer": _with_momentum_of_shape(run, ())},
            "the checkpoint's optimizer state does not load: loaded state dict's parameter 0's "
            "'exp_avg' has shape (), the parameter (6, 1, 5, 5)",
        ),
        (
            lambda run: {"optimizer": _with_nan_moments(run)},
            "the checkpoint's optimizer state does not load: loaded state dict's parameter 0's "
            "'exp_avg_sq' holds NaN or infinite values",
        ),
        (lambda run: {"epoch": 5}, "the checkpoint says 5 epochs are done, its history holds 1"),
        (lambda run: {"model": _with_a_nan_weight(run)}, "the checkpoint's weight 0.weight holds NaN"),
    ],
    ids=["optimizer buffer", "0-d buffer", "NaN buffer", "epoch", "weights"],
)
def test_a_checkpoint_that_would_fail_midway_is_refused_before_any_step(
    damage, says, one_epoch_run, tmp_path, capsys
):
    """Not an error from deep in a step, or a divergence blamed on the learning rate."""
    out = _damaged_checkpoint(one_epoch_run, tmp_path, **damage(one_epoch_run))
    steps = []
    real_step = optim.Adam.step
    optim.Adam.step = lambda self, *a, **k: steps.append(1) or real_step(self, *a, **k)
    try:
        code = main(["train", "lenet5", *DIGITS, "--resume", "--epochs", "8", "--out", str(out)])
    finally:
        optim.Adam.step = real_step
    assert code == 2 and not steps
    assert f"error: resume: {says}" in one_error_line(capsys)
