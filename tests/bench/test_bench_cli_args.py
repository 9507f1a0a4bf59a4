"""The bench's arguments and environment at its boundary: every refusal in one line, with
status 2, before any case runs; numbers checked as they are read, batch sizes against memory.
The runner is a stand-in wherever the cases themselves do not matter."""

import importlib
import os
import sys

import pytest
from bench_cli_helpers import SMALL, one_error_line

from minicnn.__main__ import main as cli_main
from minicnn.bench import __main__ as bench_main
from minicnn.cli_common import UsageError

memory_fit = importlib.import_module("minicnn.memory_fit")


@pytest.mark.parametrize("entry", [["bench"], []])
def test_a_bad_thread_variable_is_named_before_any_case_runs(entry, fake_run, capsys, monkeypatch):
    monkeypatch.setenv("MINICNN_COPY_THREADS", "many")
    run = cli_main if entry else bench_main.main
    assert run(entry + SMALL) == 2
    message = one_error_line(capsys.readouterr().err)
    assert message == "MINICNN_COPY_THREADS: expected a whole number, got 'many'" and fake_run == []


@pytest.mark.parametrize(
    "flag", ["--batch-size", "--batches", "--threads", "--rounds", "--pairs", "--repeats"]
)
def test_counts_below_one_or_not_integers_are_refused(flag, rng, fake_run, capsys):
    bad = int(rng.integers(-(10**6), 1))
    assert bench_main.main(SMALL + [flag, str(bad)]) == 2
    assert one_error_line(capsys.readouterr().err).startswith(
        f"argument {flag}: must be at least 1, got {bad}"
    )
    assert bench_main.main(SMALL + [flag, "2.5"]) == 2
    assert f"argument {flag}: expected an integer, got '2.5'" in one_error_line(capsys.readouterr().err)
    assert fake_run == []


def test_a_batch_that_cannot_fit_is_refused_before_running(rng, fake_run, capsys, monkeypatch):
    monkeypatch.setattr(memory_fit, "available_memory", lambda device="cpu": 10 * 2**20)
    batch = int(rng.integers(10**4, 10**9))  # lenet5 holds about 60 KB of activations per image
    argv = ["--quick", "--layers", "none", "--models", "lenet5", "--device", "cpu", "--batch-size"]
    assert bench_main.main(argv + [str(batch)]) == 2
    message = one_error_line(capsys.readouterr().err)
    assert message.startswith(f"--batch-size {batch} is too large for lenet5 on cpu: ")
    assert "of memory available; not run" in message and fake_run == []
    assert bench_main.main(argv + [str(int(rng.integers(1, 33)))]) == 0 and len(fake_run) == 1


def test_the_peak_memory_run_counts_in_the_batch_check(rng, monkeypatch):
    monkeypatch.setattr(memory_fit, "available_memory", lambda device="cpu": 10 * 2**20)
    batch = str(int(rng.integers(10**4, 10**6)))
    argv = ["--layers", "none", "--models", "none", "--kernels", "numpy", "--device", "cpu", "--batch-size"]
    with pytest.raises(UsageError, match="too large for resnet20 on cpu"):
        bench_main.options(argv + [batch])
    relu = ["--layers", "relu", "--models", "none", "--kernels", "numpy", "--device", "cpu", "--no-memory"]
    assert bench_main.options(relu + ["--batch-size", batch])["batch_size"] == int(batch)


def test_argparse_errors_are_one_line_with_status_2(fake_run, capsys):
    assert cli_main(["bench", "--no-such-flag"]) == 2
    assert one_error_line(capsys.readouterr().err).startswith("unrecognized arguments: --no-such-flag")
    assert bench_main.main(["--dtype", "float16"]) == 2
    assert "argument --dtype: invalid choice: 'float16'" in one_error_line(capsys.readouterr().err)
    assert bench_main.main(["--overwr"]) == 2  # a prefix is not --overwrite
    assert one_error_line(capsys.readouterr().err).startswith("unrecognized arguments: --overwr")
    assert fake_run == []


def test_bad_names_are_one_line_with_status_2(fake_run, capsys):
    assert bench_main.main(["--layers", "conv9x9"]) == 2
    assert one_error_line(capsys.readouterr().err).startswith("unknown layers conv9x9; known: ")
    assert fake_run == []


@pytest.mark.parametrize(
    "flags, says",
    [
        (["--threads", "2"], "--threads applies"),
        (["--threads", "2", "--rounds", "3"], "--threads and --rounds apply"),
        (["--pairs", "2"], "--pairs applies"),
    ],
)
def test_threads_and_rounds_without_compare_are_refused(flags, says, fake_run, capsys):
    assert cli_main(["bench"] + SMALL + flags) == 2
    assert one_error_line(capsys.readouterr().err) == f"{says} to --compare torch; add it, or leave them out"
    assert fake_run == []


@pytest.mark.parametrize("argv", [[], ["minicnn", "lenet5"], ["minicnn", "lenet5", "many", "float32"]])
def test_the_memory_child_refuses_bad_arguments_in_one_line(argv, capsys):
    from minicnn.bench import memory

    with pytest.raises(SystemExit) as stop:
        memory.main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "expected LIB MODEL BATCH DTYPE" in err


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--name", "mine"], "--name: for the files written under --out; add --out FOLDER, or leave it out"),
        (["--overwrite"], "--overwrite: for the files written under --out"),
        (["--modes", "infer"], "--modes applies to --compare torch; add it, or leave --modes out"),
        (
            ["--layers", "none", "--models", "none", "--no-memory"],
            "--layers and --models name nothing to time",
        ),
    ],
)
def test_flags_that_would_be_ignored_are_refused(argv, says, fake_run, capsys):
    assert bench_main.main(argv) == 2
    assert one_error_line(capsys.readouterr().err).startswith(says)
    assert fake_run == []


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--kernels", ""], "--kernels '' names no tiers; give a comma list of reference, numpy-simple, "),
        (["--kernels", ","], "--kernels ',' names no tiers"),
        (["--tiers", "none"], "--kernels 'none' names no tiers"),
        (["--compare", "torch", "--modes", ","], "--modes ',' names no modes; give a comma list of forward,"),
        (["--compare", "torch", "--modes", ""], "--modes '' names no modes"),
    ],
)
def test_a_list_of_tiers_or_modes_that_names_none_is_refused(argv, says, fake_run, capsys):
    """Not every case skipped in silence (or every mode timed): as empty --layers and --models are."""
    assert bench_main.main(["--quick", "--layers", "relu", "--models", "none", *argv]) == 2
    assert one_error_line(capsys.readouterr().err).startswith(says)
    assert fake_run == []


def test_a_junk_plot_backend_is_named_before_any_case_runs(tmp_path, fake_run, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "bogus")
    monkeypatch.delitem(sys.modules, "matplotlib")  # its import is where MPLBACKEND is read
    assert bench_main.main(SMALL + ["--out", str(tmp_path)]) == 2
    message = one_error_line(capsys.readouterr().err)
    assert message.startswith("MPLBACKEND='bogus' is not a backend matplotlib takes (")
    assert message.endswith("unset it (minicnn draws its pictures with agg)")
    assert fake_run == [] and os.listdir(tmp_path) == []
