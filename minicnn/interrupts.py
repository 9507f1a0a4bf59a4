"""Ctrl-C in the commands (``python -m minicnn ...``): one line and exit status 130, always.

The commands catch KeyboardInterrupt around the work they run (``__main__.py``), but two
moments lie outside that:

- while the package itself is being imported, before any command code runs, Python
  would print the traceback of whichever import it stopped;
- a Ctrl-C that lands inside some libraries' imports (Numba's, SciPy's) makes Python
  kill itself with SIGINT as it exits, even though the command caught it and said so:
  the status then reads -2, not 130.

So ``during_startup()`` (called first thing by the package when this process is the
command) takes Ctrl-C as that one line until ``command_started()`` gives Python its own
handler back, and ``exit(code)`` leaves by ``os._exit`` after a Ctrl-C.
"""

import os
import signal
import sys
import threading

STATUS = 130  # 128 + SIGINT, as shells report a process stopped by Ctrl-C


def command() -> str | None:
    """ "python -m minicnn" (or "python -m minicnn.X") when that started this process, else None."""
    argv = getattr(sys, "orig_argv", [])
    for flag, name in zip(argv, argv[1:]):
        if flag == "-m" and name.split(".")[0] == "minicnn":
            return f"python -m {name}"
    return None


def _stop_quietly(signum, frame):
    print(f"{command()}: interrupted", file=sys.stderr)
    raise SystemExit(STATUS)


def during_startup() -> None:
    """Ctrl-C exits with one line and status 130, until command_started(); only in the command."""
    if command() and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _stop_quietly)


def command_started() -> None:
    """Give Ctrl-C back to Python (a KeyboardInterrupt the command catches), if it was taken."""
    if threading.current_thread() is threading.main_thread():
        if signal.getsignal(signal.SIGINT) is _stop_quietly:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def exit(code) -> None:
    """sys.exit(code); after a Ctrl-C, os._exit(130) once the output is flushed (see above)."""
    if code == STATUS:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(STATUS)
    sys.exit(code)
