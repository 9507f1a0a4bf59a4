"""Ctrl-C in the commands: one line and status 130, from the first import on."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from minicnn import interrupts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize(
    "argv, want",
    [
        (["python", "-m", "minicnn", "train", "lenet5"], "python -m minicnn"),
        (["python", "-m", "minicnn.bench", "--quick"], "python -m minicnn.bench"),
        (["python", "-m", "pytest", "tests"], None),
        (["python", "train.py", "-m", "minicnnx"], None),
        (["python", "-c", "import minicnn"], None),
    ],
)
def test_command_is_read_off_the_command_line(monkeypatch, argv, want):
    monkeypatch.setattr(sys, "orig_argv", argv)
    assert interrupts.command() == want


def test_an_import_in_a_program_of_ones_own_leaves_ctrl_c_alone(monkeypatch):
    monkeypatch.setattr(sys, "orig_argv", ["python", "-m", "mypackage"])
    before = signal.getsignal(signal.SIGINT)
    interrupts.during_startup()
    assert signal.getsignal(signal.SIGINT) is before


def test_startup_takes_ctrl_c_until_the_command_starts(monkeypatch):
    monkeypatch.setattr(sys, "orig_argv", ["python", "-m", "minicnn", "train", "lenet5"])
    before = signal.getsignal(signal.SIGINT)
    try:
        interrupts.during_startup()
        assert signal.getsignal(signal.SIGINT) is interrupts._stop_quietly
        interrupts.command_started()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)


def test_command_started_leaves_a_handler_it_did_not_set():
    def mine(signum, frame):
        pass

    before = signal.signal(signal.SIGINT, mine)
    try:
        interrupts.command_started()
        assert signal.getsignal(signal.SIGINT) is mine
    finally:
        signal.signal(signal.SIGINT, before)


def test_exit_after_ctrl_c_leaves_by_os_exit_with_130(monkeypatch):
    left = []

    def fake_exit(code):
        left.append(code)
        raise RuntimeError("left")

    monkeypatch.setattr(os, "_exit", fake_exit)
    with pytest.raises(RuntimeError, match="left"):
        interrupts.exit(130)
    assert left == [130]
    for code in (0, 1, 2):
        with pytest.raises(SystemExit) as done:
            interrupts.exit(code)
        assert done.value.code == code


def test_ctrl_c_while_the_package_imports_is_one_line_and_130(tmp_path):
    """A Ctrl-C sent the moment minicnn.backend starts importing (inside the package's own
    import, before any command code): no traceback, one line, status 130."""
    (tmp_path / "sitecustomize.py").write_text(
        textwrap.dedent(
            """
            import os, signal, sys

            class Interrupt:
                def find_spec(self, name, path=None, target=None):
                    if name == "minicnn.backend":
                        os.kill(os.getpid(), signal.SIGINT)
                    return None

            sys.meta_path.insert(0, Interrupt())
            """
        )
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]))
    done = subprocess.run(
        [sys.executable, "-m", "minicnn", "summary", "lenet5"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 130
    assert done.stderr == "python -m minicnn: interrupted\n"
    assert done.stdout == ""
