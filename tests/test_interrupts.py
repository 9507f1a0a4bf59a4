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
    "orig, argv, want",
    [
        (["python", "-m", "minicnn", "train", "lenet5"], ["-m", "train", "lenet5"], "python -m minicnn"),
        (["python", "-X", "dev", "-m", "minicnn"], ["-m"], "python -m minicnn"),
        (["python", "-m", "minicnn.bench", "--quick"], ["-m", "--quick"], "python -m minicnn.bench"),
        (["/venv/bin/python", "/venv/bin/minicnn", "train"], ["/venv/bin/minicnn", "train"], "minicnn"),
        # a worker of the bench, another program's package, a script's own arguments
        (["python", "-m", "minicnn.bench.worker", "torch"], ["-m", "torch"], None),
        (["python", "-m", "mypackage", "-m", "minicnn"], ["-m", "-m", "minicnn"], None),
        (["python", "-m", "pytest", "-m", "minicnn"], ["-m", "-m", "minicnn"], None),
        (["python", "train.py", "-m", "minicnn"], ["train.py", "-m", "minicnn"], None),
        (["python", "-c", "import minicnn"], ["-c"], None),
    ],
)
def test_command_is_read_off_the_command_line(monkeypatch, orig, argv, want):
    monkeypatch.setattr(sys, "orig_argv", orig)
    monkeypatch.setattr(sys, "argv", argv)
    assert interrupts.command() == want


def test_an_import_in_a_program_of_ones_own_leaves_ctrl_c_alone(monkeypatch):
    monkeypatch.setattr(sys, "orig_argv", ["python", "-m", "mypackage"])
    monkeypatch.setattr(sys, "argv", ["-m"])
    before = signal.getsignal(signal.SIGINT)
    interrupts.during_startup()
    assert signal.getsignal(signal.SIGINT) is before


def _as_command(monkeypatch):
    monkeypatch.setattr(sys, "orig_argv", ["python", "-m", "minicnn", "train", "lenet5"])
    monkeypatch.setattr(sys, "argv", ["-m", "train", "lenet5"])
    monkeypatch.setattr(interrupts, "_in_command", [False])  # what during_startup() sets, undone after


@pytest.fixture
def sigterm_kept():
    """SIGTERM's handler as it was before the test, put back after it."""
    before = signal.getsignal(signal.SIGTERM)
    yield before
    signal.signal(signal.SIGTERM, before)


def test_startup_takes_ctrl_c_until_the_command_starts(monkeypatch):
    _as_command(monkeypatch)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        interrupts.during_startup()
        assert signal.getsignal(signal.SIGINT) is interrupts._stop_quietly
        interrupts.command_started()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)


def test_an_ignored_ctrl_c_stays_ignored(monkeypatch):
    """Started with SIGINT ignored (a background job): neither call makes it deadly again."""
    _as_command(monkeypatch)
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        interrupts.during_startup()
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        interrupts.command_started()
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def test_a_started_command_takes_sigterm_as_ctrl_c(monkeypatch, sigterm_kept):
    """kill, timeout and job schedulers stop with SIGTERM: the command's Ctrl-C path runs
    (checkpoint kept, an --overwrite's old run put back) instead of an instant exit."""
    _as_command(monkeypatch)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        interrupts.during_startup()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # not during the imports
        interrupts.command_started()
        handler = signal.getsignal(signal.SIGTERM)
        with pytest.raises(KeyboardInterrupt):
            handler(signal.SIGTERM, None)
    finally:
        signal.signal(signal.SIGINT, before)


def test_a_program_that_imports_minicnn_keeps_its_sigterm(sigterm_kept):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    interrupts.command_started()
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_command_started_leaves_a_handler_it_did_not_set():
    def mine(signum, frame):
        pass

    before = signal.signal(signal.SIGINT, mine)
    try:
        interrupts.command_started()
        assert signal.getsignal(signal.SIGINT) is mine
    finally:
        signal.signal(signal.SIGINT, before)


def _sigint_at_its_default():
    """Run in the child before Python starts: SIGINT at its default action, as in a terminal.
    A suite started as a background job has SIGINT ignored, a child inherits that, and a
    Python that starts with SIGINT ignored leaves it so: the Ctrl-C below would do nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


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
        preexec_fn=_sigint_at_its_default,
    )
    assert done.returncode == 130
    assert done.stderr == "python -m minicnn: interrupted\n"
    assert done.stdout == ""


def test_ctrl_c_after_the_package_import_still_names_the_command(tmp_path):
    """Once runpy runs minicnn.bench's __main__, sys.argv[0] is its path: the line still says
    python -m minicnn.bench."""
    (tmp_path / "sitecustomize.py").write_text(
        textwrap.dedent(
            """
            import os, signal, sys

            class Interrupt:
                def find_spec(self, name, path=None, target=None):
                    if name == "minicnn.cli_common":  # imported by the module runpy runs
                        os.kill(os.getpid(), signal.SIGINT)
                    return None

            sys.meta_path.insert(0, Interrupt())
            """
        )
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]))
    done = subprocess.run(
        [sys.executable, "-m", "minicnn.bench", "--quick"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        preexec_fn=_sigint_at_its_default,
    )
    assert (done.returncode, done.stderr) == (130, "python -m minicnn.bench: interrupted\n")
