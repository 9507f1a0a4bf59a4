"""python -m minicnn train --resume: what it carries on, what it says it changed, what it refuses."""

import json

import numpy as np
import pytest
from cli_helpers import DIGITS, _damaged_checkpoint, one_error_line

from minicnn import data, io, nn, optim
from minicnn.__main__ import main


def test_resume_without_a_checkpoint_exits_2(capsys, tmp_path):
    assert main(["train", "lenet5", "--resume", "--out", str(tmp_path)]) == 2
    assert "no checkpoint.npz" in one_error_line(capsys)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--optimizer", "sgd"], "--optimizer sgd differs from the checkpoint's adam"),
        (["--data", "mnist5k"], "--data mnist5k differs from the checkpoint's digits"),
        (["--seed", "1"], "--seed 1 differs from the checkpoint's 0"),
        (["--val-fraction", "0.2"], "--val-fraction 0.2 differs from the checkpoint's 0.1"),
    ],
)
def test_resume_refuses_what_would_change_the_run(capsys, one_epoch_run, args, message):
    before = (one_epoch_run / "checkpoint.npz").read_bytes()
    assert main(["train", "lenet5", "--resume", "--out", str(one_epoch_run), *args]) == 2
    line = one_error_line(capsys)
    assert message in line and "--overwrite" in line
    assert main(["train", "lenet1989", "--resume", "--out", str(one_epoch_run)]) == 2
    assert "the checkpoint is of model lenet5" in one_error_line(capsys)
    assert (one_epoch_run / "checkpoint.npz").read_bytes() == before


def test_a_resume_without_augmentation_says_so_as_the_flag_is_typed(capsys, one_epoch_run, tmp_path):
    """--no-augment, not "--augment False"; and augmentation does not change the schedule."""
    import shutil

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    argv = ["train", "lenet5", "--resume", "--epochs", "2", "--lr", "0.002", "--no-augment", "--quiet"]
    assert main([*argv, "--out", str(out)]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith("resuming")]
    assert said == [
        f"resuming {out}/ after epoch 1 of 2; --epochs 2 (was 1), --lr 0.002 (was 0.003): the learning-rate "
        "schedule is rebuilt for them; --no-augment (was --augment): from the next epoch on"
    ]


def test_resume_with_more_epochs_rebuilds_the_schedule_and_says_so(capsys, one_epoch_run, tmp_path):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    assert main(["train", "lenet5", "--resume", "--epochs", "2", "--quiet", "--out", str(out)]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith("resuming")]
    assert said == [
        (
            f"resuming {out}/ after epoch 1 of 2; --epochs 2 (was 1): the learning-rate "
            "schedule is rebuilt for them"
        )
    ]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and metrics["settings"]["epochs"] == 2
    assert metrics["resumed"] == [{"after_epoch": 1, "changes": {"epochs": [1, 2]}}]
    history = json.loads((out / "history.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2]
    # epoch 2 starts where a 2-epoch one-cycle schedule stands after one epoch
    from minicnn.cli_common import validation_split

    fit_set, _ = validation_split(data.digits("train", size=28), 0.1, seed=0)
    steps = -(-len(fit_set) // 64)
    probe = optim.Adam([nn.Parameter(np.zeros(1))], lr=3e-3)
    sched = optim.lr_scheduler.OneCycleLR(probe, max_lr=3e-3, total_steps=2 * steps)
    for _ in range(steps):
        probe.step()
        sched.step()
    assert history[1]["lr"] == pytest.approx(sched.get_last_lr()[0], rel=1e-12)
    assert main(["train", "lenet5", "--resume", "--epochs", "1", "--out", str(out)]) == 2
    assert "--epochs 1 is fewer than the 2 epochs" in one_error_line(capsys)


def test_a_diverging_resume_exits_1_and_keeps_the_finite_checkpoint(capsys, one_epoch_run, tmp_path):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    before = io.load(out / "checkpoint.npz")
    assert (
        main(["train", "lenet5", "--resume", "--epochs", "2", "--lr", "1e30", "--quiet", "--out", str(out)])
        == 1
    )
    line = one_error_line(capsys)  # and no NumPy overflow warnings
    assert line.startswith("python -m minicnn train: error: training diverged at step ")
    assert "in epoch 2" in line and line.endswith("the checkpoint of epoch 1 is kept")
    after = io.load(out / "checkpoint.npz")
    assert after["epoch"] == 1
    for name, value in before["model"].items():
        np.testing.assert_array_equal(after["model"][name], value)


def test_a_run_folders_name_reaches_the_terminal_escaped(one_epoch_run, tmp_path, capsys):
    import shutil

    out = tmp_path / "r\x1b[2Kun"
    shutil.copytree(one_epoch_run, out)
    assert main(["train", "lenet5", "--resume", "--quiet", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    shown = f"{tmp_path}/r\\x1b[2Kun/"
    assert captured.err.startswith(f"resuming {shown} after epoch 1 of 1 (all done")
    assert f"outputs in {shown}\n" in captured.out and "\x1b" not in captured.out + captured.err


def test_a_resume_of_the_default_folder_names_the_models_other_runs(
    one_epoch_run, tmp_path, monkeypatch, capsys
):
    import shutil

    monkeypatch.chdir(tmp_path)
    shutil.copytree(one_epoch_run, tmp_path / "runs" / "lenet5-digits")
    assert main(["train", "lenet5", "--resume"]) == 2
    assert one_error_line(capsys).endswith(
        "--resume: there is no checkpoint.npz in runs/lenet5-mnist5k/ to resume from; the default --out is "
        "named after --data, and runs/lenet5-digits/ holds one"
    )


def test_resuming_a_finished_run_with_settings_no_epoch_would_use_is_refused(one_epoch_run, tmp_path, capsys):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    before = (out / "metrics.json").read_bytes()
    assert main(["train", "lenet5", *DIGITS, "--resume", "--lr", "0.01", "--out", str(out)]) == 2
    assert one_error_line(capsys).endswith(
        f"--resume: the run in {out}/ has done all its 1 epochs, so --lr would change nothing; leave them "
        "out (the test split is evaluated again), or raise --epochs"
    )
    assert (out / "metrics.json").read_bytes() == before


def _with_settings(run, tmp_path, **settings):
    meta = json.loads(io.load(run / "checkpoint.npz")["meta"])
    meta["settings"].update(settings)
    for key in [key for key, value in settings.items() if value is None]:
        del meta["settings"][key]
    return _damaged_checkpoint(run, tmp_path, meta=json.dumps(meta))


def test_a_resume_that_changes_the_data_parallel_layout_is_refused(
    one_epoch_run, tmp_path, capsys, monkeypatch
):
    """The shuffling and each rank's shard follow --distributed and the number of ranks, as
    they follow --seed: a resume that changes either would make another run."""
    meta = json.loads(io.load(one_epoch_run / "checkpoint.npz")["meta"])
    assert (meta["settings"]["distributed"], meta["settings"]["ranks"]) == (False, 1)
    assert json.loads((one_epoch_run / "metrics.json").read_text())["settings"]["ranks"] == 1
    import shutil

    out = tmp_path / "run"
    shutil.copytree(one_epoch_run, out)
    before = (out / "checkpoint.npz").read_bytes()
    argv = ["train", "lenet5", "--resume", "--epochs", "2", "--out"]
    assert main([*argv, str(out), "--distributed"]) == 2
    assert one_error_line(capsys).endswith(
        "error: --resume: this run is --distributed over 1 rank, the checkpoint's was without --distributed "
        "(the batches' order and each rank's share of them follow it); resume it without --distributed and "
        "without mpirun, or start again with --overwrite"
    )
    assert (out / "checkpoint.npz").read_bytes() == before
    two = _with_settings(one_epoch_run, tmp_path / "two", distributed=True, ranks=2)
    assert main([*argv, str(two)]) == 2
    assert one_error_line(capsys).endswith(
        "error: --resume: this run is without --distributed, the checkpoint's was --distributed over 2 ranks "
        "(the batches' order and each rank's share of them follow it); resume it with --distributed under "
        "mpirun -n 2, or start again with --overwrite"
    )
    monkeypatch.setenv("PMI_SIZE", "3")  # rank 0 of 3, as mpirun -n 3 starts it: refused before joining
    monkeypatch.setenv("PMI_RANK", "0")
    assert main([*argv, str(two), "--distributed"]) == 2
    assert "this run is --distributed over 3 ranks, the checkpoint's was --distributed over 2 ranks" in (
        one_error_line(capsys)
    )


def test_a_checkpoint_recorded_before_the_layout_resumes_as_before(one_epoch_run, tmp_path):
    out = _with_settings(one_epoch_run, tmp_path, distributed=None, ranks=None)
    assert main(["train", "lenet5", "--resume", "--epochs", "2", "--quiet", "--out", str(out)]) == 0
    settings = json.loads(io.load(out / "checkpoint.npz")["meta"])["settings"]
    assert (settings["distributed"], settings["ranks"]) == (False, 1)


@pytest.mark.parametrize(
    "settings, says",
    [
        ({"ranks": 0}, "the checkpoint's ranks is 0, which must be at least 1"),
        ({"distributed": "yes"}, "the checkpoint's distributed is 'yes', which must be one of True, False"),
        ({"ranks": None}, "the checkpoint's settings lack 'ranks'"),
        ({"ranks": 4}, "the checkpoint's ranks is 4, which must be 1 without --distributed"),
    ],
)
def test_a_damaged_layout_is_named(settings, says, one_epoch_run, tmp_path, capsys):
    out = _with_settings(one_epoch_run, tmp_path, **settings)
    assert main(["train", "lenet5", "--resume", "--quiet", "--out", str(out)]) == 2
    assert one_error_line(capsys).endswith(f"error: --resume: {says}; start again with --overwrite")
