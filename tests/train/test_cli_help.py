"""python -m minicnn: help, summary and the README's account of the commands; --debug's tracebacks."""

import os
import subprocess
import sys

import pytest
from cli_helpers import one_error_line

from minicnn import backend, models
from minicnn.__main__ import main


def test_summary_of_a_huge_input_prints_the_estimate_without_running(capsys):
    assert main(["summary", "resnet18", "--input", "3,30000,30000"]) == 2
    line = one_error_line(capsys, "summary")
    assert "would hold about" in line and "GB of activations" in line and "not run" in line


def test_summary_takes_the_registered_input_size(capsys):
    assert main(["summary", "alexnet"]) == 0
    assert "Input: (1, 3, 227, 227)" in capsys.readouterr().out


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
    """(bench's own parser: tests/bench/test_bench_cli_status.py)"""
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
