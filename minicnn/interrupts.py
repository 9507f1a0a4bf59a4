"""Ctrl-C while a command (``python -m minicnn ...``) is still starting up: one line, status 130.

The commands catch KeyboardInterrupt around the work they run (``__main__.py``), but
not while the package itself is being imported, before any command code runs: there
Python would print the traceback of whichever import it stopped. So the package calls
``during_startup()`` first thing, which, only in a process started as one of the
commands, takes Ctrl-C as that one line until the command calls ``command_started()``
and Python's own handler is back. A program of one's own that imports minicnn keeps
its Ctrl-C as it was.

From ``command_started()`` on, a command also takes SIGTERM (what ``kill``, ``timeout``
and job schedulers send) as a Ctrl-C: Python's default would end the process at once,
where a Ctrl-C leaves a training run as it should be left (its checkpoint kept, the run
that an ``--overwrite`` was replacing put back).
"""

import os
import signal
import sys
import threading

STATUS = 130  # 128 + SIGINT, as shells report a process stopped by Ctrl-C
COMMANDS = ("minicnn", "minicnn.bench")


def command() -> str | None:
    """How this process was started, when as one of the commands: "python -m minicnn",
    "python -m minicnn.bench" or "minicnn" (the installed script); else None.

    NOTE: while Python imports the package that ``-m`` runs, sys.argv[0] is "-m" and
    sys.argv the command's own arguments, so the module is the entry of sys.orig_argv
    just before them; an "-m minicnn" among a script's own arguments is not it.
    """
    argv, orig = sys.argv, getattr(sys, "orig_argv", [])
    if argv[:1] == ["-m"] and len(orig) >= len(argv) and orig[-len(argv)] in COMMANDS:
        return f"python -m {orig[-len(argv)]}"
    if argv and os.path.basename(argv[0]) == "minicnn":
        return "minicnn"
    return None


_started_as = ["minicnn"]  # the command's name, read while sys.argv still tells it
_in_command = [False]  # whether this process was started as one of the commands


def _stop_quietly(signum, frame):
    print(f"{_started_as[0]}: interrupted", file=sys.stderr)
    raise SystemExit(STATUS)


def during_startup() -> None:
    """Ctrl-C exits with one line and status 130, until command_started(): only in a command,
    and only where Ctrl-C has Python's own handler (one that was ignored stays ignored)."""
    name = command()
    if threading.current_thread() is not threading.main_thread() or name is None:
        return
    _started_as[0] = name  # NOTE: once runpy runs the module, sys.argv[0] no longer says "-m"
    _in_command[0] = True
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _stop_quietly)


def _stop_as_ctrl_c(signum, frame):
    raise KeyboardInterrupt


def command_started() -> None:
    """Give Ctrl-C back to Python's handler (a KeyboardInterrupt the command catches), if
    during_startup() took it, and take SIGTERM as a Ctrl-C where it has its default action."""
    if threading.current_thread() is threading.main_thread():
        if signal.getsignal(signal.SIGINT) is _stop_quietly:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if _in_command[0] and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _stop_as_ctrl_c)
