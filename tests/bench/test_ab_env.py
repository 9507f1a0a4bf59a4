"""The A/B scripts (benchmarks/ab_*.py): each side's environment, the counts they take, what they
record."""

import json
import os
import sys

import pytest
from bench_scripts import load

from minicnn.bench import fair


def test_ab_env_gives_side_a_its_variables_and_records_what_each_process_saw(tmp_path):
    import subprocess

    script = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "ab_env.py")
    out = tmp_path / "ab.json"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    done = subprocess.run(
        [
            sys.executable,
            script,
            "--layer",
            "relu",
            "--tier",
            "numpy",
            "--threads",
            "1",
            "--rounds",
            "1",
            "--calls",
            "1",
            "--pairs",
            "1",
            "--a",
            "OMP_WAIT_POLICY=passive",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    s = json.loads(out.read_text())
    assert s["info_a"]["env"]["OMP_WAIT_POLICY"] == "passive"
    assert s["info_b"]["env"]["OMP_WAIT_POLICY"] is None
    assert s["info_a"]["env"]["OPENBLAS_NUM_THREADS"] == s["info_b"]["env"]["OPENBLAS_NUM_THREADS"] == "1"
    assert "A [OMP_WAIT_POLICY=passive]" in done.stdout
    assert s["machine"]["cores"] == os.cpu_count() and s["machine"]["cpu"]  # where it ran
    assert (s["pairs"], s["rounds"], s["calls"]) == (1, 1, 1)  # how long each side ran


def test_an_ab_of_a_model_takes_the_batches_asked_for_and_records_them(tmp_path):
    """--batches reaches both sides' model steps; without it the build leaves the number to
    the workers (cases.BATCHES), so a checkout from before the flag still answers."""
    import argparse
    import subprocess

    p = argparse.ArgumentParser()
    fair.add_case_arguments(p)
    assert "batches" not in fair.case_of(p.parse_args(["--model", "lenet5"]))
    assert fair.case_of(p.parse_args(["--model", "lenet5", "--batches", "3"]))["batches"] == 3
    script = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "ab_env.py")
    out = tmp_path / "ab.json"
    argv = ["--model", "lenet5", "--batch", "2", "--batches", "2", "--tier", "numpy", "--threads", "1"]
    argv += ["--rounds", "1", "--calls", "1", "--pairs", "1", "--a", "", "--out", str(out)]
    done = subprocess.run([sys.executable, script, *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["batches"] == 2


def test_ab_env_names_a_word_that_is_not_an_assignment():
    import subprocess

    script = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "ab_env.py")
    done = subprocess.run(
        [sys.executable, script, "--layer", "relu", "--a", "NUMBA_NUM_THREADS"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == "ab_env.py: expected NAME=VALUE, got 'NUMBA_NUM_THREADS'"


@pytest.mark.parametrize("flag", ["--pairs", "--rounds", "--calls", "--threads", "--batch", "--batches"])
def test_the_ab_scripts_refuse_counts_below_one_before_any_work(flag, capsys):
    import argparse

    p = argparse.ArgumentParser(prog="ab_env.py")
    fair.add_case_arguments(p)
    with pytest.raises(SystemExit) as stop:
        p.parse_args(["--model", "lenet5", flag, "0"])
    assert stop.value.code == 2
    assert f"argument {flag}: must be at least 1, got 0" in capsys.readouterr().err


def test_ab_env_makes_a_relative_pythonpath_absolute(tmp_path, monkeypatch):
    """The workers start in a directory of their own, where a relative folder names nothing."""
    ab_env = load("ab_env")
    monkeypatch.chdir(tmp_path)
    got = ab_env.parse_assignments(f"PYTHONPATH=old{os.pathsep}/abs/new OMP_WAIT_POLICY=passive")
    assert got == {"PYTHONPATH": f"{tmp_path / 'old'}{os.pathsep}/abs/new", "OMP_WAIT_POLICY": "passive"}


@pytest.mark.parametrize(
    "script, argv",
    [
        ("ab_env.py", ["--layer", "relu", "--a", ""]),
        ("ab_kernels.py", ["--layer", "relu", "--kernel", "numba_activation"]),
        ("thread_settings.py", ["--model", "lenet5"]),
        ("gpu_step.py", ["--model", "lenet5"]),
    ],
)
def test_the_scripts_refuse_an_existing_out_file_before_any_work(script, argv, tmp_path):
    """A record already written is kept: the script stops at once and names the file."""
    import subprocess

    out = tmp_path / "kept.json"
    out.write_text('{"kept": true}')
    path = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", script)
    done = subprocess.run(
        [sys.executable, path, *argv, "--out", str(out)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == f"{script}: {out} exists; name another file"
    assert out.read_text() == '{"kept": true}'
