"""The bench's exit statuses and --debug, like the other commands': 2 for a usage error, 1 for
a failure while running (or a case that failed, after the rest is written), 130 for Ctrl-C;
a traceback only with --debug, wherever it is given. The runner is a stand-in wherever the
cases themselves do not matter."""

import json
import os
import subprocess
import sys

import pytest
from bench_cli_helpers import SMALL, fake_result, one_error_line

from minicnn.__main__ import main as cli_main
from minicnn.bench import __main__ as bench_main
from minicnn.bench import runner


def test_the_module_entry_names_itself(tmp_path):
    afile = tmp_path / "afile"
    afile.write_bytes(b"")
    done = subprocess.run(
        [sys.executable, "-m", "minicnn.bench", "--quick", "--out", str(afile)],
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"python -m minicnn.bench: error: --out {afile}: is a file, not a folder\n"


def test_debug_shows_the_traceback_of_a_usage_error_and_keeps_its_status(fake_run, capsys):
    assert bench_main.main(["--layers", "conv9x9", "--debug"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.rstrip().splitlines()[-1].startswith("minicnn.cli_common.UsageError: unknown layers conv9x9")


def test_a_failure_while_running_is_one_line_with_status_1(monkeypatch, capsys):
    def run(opts):
        raise KeyError("lost")

    monkeypatch.setattr(runner, "run", run)
    assert cli_main(["bench"] + SMALL) == 1
    assert one_error_line(capsys.readouterr().err) == "KeyError: 'lost' (--debug shows where)"
    assert cli_main(["bench"] + SMALL + ["--debug"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and err.rstrip().endswith("KeyError: 'lost'")


def test_ctrl_c_is_one_line_with_status_130(monkeypatch, capsys):
    def run(opts):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run", run)
    assert bench_main.main(SMALL) == 130
    assert capsys.readouterr().err == "python -m minicnn bench: interrupted\n"


def test_a_missing_numba_is_a_failure_of_the_machine(monkeypatch, fake_run, capsys):
    from minicnn import backend

    monkeypatch.setattr(backend, "numba_available", lambda: False)
    assert bench_main.main(SMALL[:-4] + ["--kernels", "numba", "--device", "cpu"]) == 1
    assert "tier numba needs Numba" in one_error_line(capsys.readouterr().err) and fake_run == []


def test_a_case_that_failed_makes_the_status_1_after_the_rest_is_written(tmp_path, monkeypatch, rng, capsys):
    result = fake_result(rng)
    result["models"][0] = {
        "case": "lenet5",
        "tier": "numpy",
        "device": "cpu",
        "batch": 2,
        "error": "MemoryError: x",
    }
    monkeypatch.setattr(runner, "run", lambda opts: result)
    assert cli_main(["bench"] + SMALL + ["--out", str(tmp_path), "--name", "r"]) == 1
    captured = capsys.readouterr()
    assert one_error_line(captured.err) == "1 of 2 cases failed (their rows above say why)"
    assert "failed: MemoryError: x" in captured.out
    assert json.loads((tmp_path / "r.json").read_text())["models"][0]["error"] == "MemoryError: x"


@pytest.mark.parametrize("before", [True, False], ids=["--debug bench", "bench --debug"])
def test_debug_before_bench_is_taken_as_after_it(before, fake_run, capsys):
    """python -m minicnn --debug bench ARGS is python -m minicnn bench --debug ARGS."""
    argv = ["bench", "--layers", "conv9x9"]
    assert cli_main(["--debug", *argv] if before else [*argv, "--debug"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.rstrip().splitlines()[-1].startswith("minicnn.cli_common.UsageError: unknown layers conv9x9")
    assert cli_main(["--debug", "bench", "--help"]) == 0
    assert "--quick" in capsys.readouterr().out and fake_run == []


def test_a_closed_output_pipe_ends_the_bench_quietly_with_its_files_written(tmp_path):
    """bench | head -0: what is printed goes nowhere, and the result is written all the same."""
    script = (
        "import sys\n"
        "from minicnn.bench import __main__ as bench, runner\n"
        "sys.path.insert(0, 'tests/bench')\n"
        "import numpy as np\n"
        "from bench_cli_helpers import fake_result\n"
        "runner.run = lambda opts: fake_result(np.random.default_rng(0))\n"
        f"sys.exit(bench.main({SMALL!r} + ['--out', {str(tmp_path)!r}, '--name', 'r']))\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line
    with os.fdopen(write, "w") as closed:
        done = subprocess.run(
            [sys.executable, "-c", script], stdout=closed, stderr=subprocess.PIPE, text=True, cwd=root
        )
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads((tmp_path / "r.json").read_text())["layers"][0]["case"] == "relu"
