"""Calling a student's function, and what an error inside it becomes.

``invoke`` calls it and turns whatever goes wrong into a ``Stopped`` holding a record:
plain values (the kind, the error's type and text, the student's line, the traceback),
so that the child process of ``python -m minicnn check`` can send it as it is.
``failure`` turns a record into the ExerciseFailed that names the case, here or in the
parent. ``in_process`` is the notebook's way: the call in this process, on copies of
the arguments, with a SIGALRM time limit.

The "own code" rule (``own_code=True``, always on for ``python -m minicnn check``)
watches the call with a profile hook, on its thread and on the threads it starts, and
fails a function that runs minicnn's or PyTorch's code. It catches honest mistakes, such
as calling ``F.conv2d`` or minicnn's kernels; it is not a proctor: a file can switch the
hook off, or run the code on a thread it started at import or in another process.
"""

import contextlib
import copy
import os
import signal
import sys
import threading
import traceback

import numpy as np

from . import grading
from .grading import ExerciseFailed, NotImplementedYet, one_line

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_NUMPY = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
# the grader's own frames, left out of the student's line and traceback
_RUNNERS = {os.path.join(_HERE, f) for f in ("calling.py", "child.py", "grading.py", "runner.py")}


class Stopped(Exception):
    """The student's function did not return: ``record`` says why (see ``record_of``)."""

    def __init__(self, record):
        super().__init__(record.get("kind"))
        self.record = record


def exempt_file(fn):
    """The file whose code the own-code rule lets ``fn`` run: its own, unless that file is inside
    the minicnn package (then none: minicnn's code is the library's, wherever called)."""
    code = getattr(fn, "__code__", None)
    path = os.path.abspath(code.co_filename) if code is not None else ""
    return None if not path or path.startswith(_PACKAGE) else code.co_filename


def invoke(fn, args, own_code=False, noticed=None):
    """fn(*args); NotImplementedError, sys.exit, any other error or (with ``own_code``) a call
    into minicnn or PyTorch becomes Stopped. With ``noticed`` (a list) instead, such a call is
    appended to it, and the call goes on."""
    found: list = []
    try:
        if own_code or noticed is not None:
            with _watch_for_library_code(found, exempt_file(fn)):
                out = fn(*args)
        else:
            out = fn(*args)
    except (Exception, SystemExit) as err:  # the student's code: any error is reported with its case
        raise Stopped(record_of(err)) from None
    if found and own_code:
        raise Stopped({"kind": "library", "called": found[0]})
    if found:
        noticed.append(found[0])
    return out


def record_of(err, in_file=None):
    """What went wrong, in plain values: kind "not_implemented", "exit" (with the code) or "raised"
    (type, text, the line it came from, the traceback). ``in_file``: the line is the deepest in that
    file (loading it), else the deepest outside NumPy and the grader."""
    if isinstance(err, NotImplementedError) and in_file is None:
        return {"kind": "not_implemented"}
    if isinstance(err, SystemExit):
        return {"kind": "exit", "code": _safe(repr, err.code)}
    return {
        "kind": "raised",
        "type": type(err).__name__,
        "text": _safe(str, err),
        "line": None if isinstance(err, SyntaxError) else _student_line(err, in_file),  # it names it
        "traceback": _student_traceback(err),
    }


def _safe(show, value):
    try:
        return show(value)
    except Exception:  # a student's __str__ or __repr__ that raises
        return f"<a {type(value).__name__} that cannot be shown>"


def _frames(err):
    return [
        f
        for f in traceback.extract_tb(err.__traceback__)
        if os.path.abspath(f.filename) not in _RUNNERS and not f.filename.startswith("<frozen importlib")
    ]


def _student_line(err, in_file=None):
    """[file, line number, the line's code] of the deepest frame of the student's, or None."""
    if in_file is not None:
        frames = [f for f in _frames(err) if os.path.abspath(f.filename) == os.path.abspath(in_file)]
    else:
        frames = [f for f in _frames(err) if not os.path.abspath(f.filename).startswith(_NUMPY)]
    if not frames:
        return None
    return [frames[-1].filename, frames[-1].lineno, (frames[-1].line or "").strip()]


def _student_traceback(err):
    """The traceback from the student's code down, as Python prints it (for --debug)."""
    lines = traceback.format_list(_frames(err))
    try:
        lines += traceback.format_exception_only(type(err), err)
    except Exception:  # a __str__ that raises
        lines.append(f"{type(err).__name__}\n")
    return "Traceback (most recent call last):\n" + "".join(lines)


def failure(ex, where, record):
    """The ExerciseFailed that a record describes, naming the case (``where``). A record may come
    from the child, so each of its words is put on one line and cut short."""
    kind = record.get("kind") if isinstance(record, dict) else None
    if kind == "not_implemented":
        return NotImplementedYet(
            f"{ex.name}: not implemented yet: the function still raises NotImplementedError. "
            f"Write its body, then check again."
        )
    if kind == "exit":
        code = one_line(record.get("code"), 60)
        return ExerciseFailed(f"{ex.name} called sys.exit({code}) {where}: return the result instead")
    if kind == "library":
        return ExerciseFailed(
            f"{ex.name} called library code {where}: {one_line(record.get('called'), 200)}. Write it "
            f"yourself, with NumPy: the exercise is the code, and minicnn's or PyTorch's does not count"
        )
    if kind != "raised":
        return grading.CouldNotRun(
            f"{ex.name}: the process running it sent no answer the grader reads {where}"
        )
    line = record.get("line")
    at = ""
    if isinstance(line, list) and len(line) == 3:
        at = f"\n  at line {one_line(line[1], 12)} of {one_line(line[0], 200)}: {one_line(line[2], 200)}"
    err = ExerciseFailed(
        f"{ex.name} raised {one_line(record.get('type'), 60)} {where}: {one_line(record.get('text'))}{at}"
    )
    err.traceback = str(record.get("traceback") or "")
    return err


def too_long(ex, where, seconds):
    return (
        f"{ex.name} did not finish {where} within {seconds:g} s: an endless loop, or loops "
        f"over every element where the exercise wants whole-array operations"
    )


# --- in this process (a notebook) ----------------------------------------------------------------


def in_process(ex, fn, own_code=False, noticed=None):
    """``run(args, where)`` for ``grading.grade``: fn on copies of the arguments, in this process,
    within ``grading.CASE_SECONDS``; returns (outputs, the copies as the call left them).
    ``noticed`` (a list): the library code the first call runs, if any, is appended to it (the
    profile hook watches that call alone, so that a training is not slowed)."""
    calls = [0]

    def run(args, where):
        given = copy.deepcopy(args)
        calls[0] += 1
        watch = noticed if calls[0] == 1 else None
        try:
            with _time_limit(grading.CASE_SECONDS):
                return invoke(fn, given, own_code, watch), given
        except _TookTooLong:
            raise ExerciseFailed(too_long(ex, where, grading.CASE_SECONDS)) from None
        except Stopped as stop:
            raise failure(ex, where, stop.record) from None

    return run


class _TookTooLong(BaseException):
    """Not an Exception, so that a student's ``except Exception`` cannot swallow it (a bare
    ``except:`` can: only the child process of ``python -m minicnn check`` is sure to stop)."""


@contextlib.contextmanager
def _time_limit(seconds):
    """Raise _TookTooLong inside the block after ``seconds`` (a SIGALRM timer; where there is none,
    or off the main thread, no limit)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def alarm(signum, frame):
        raise _TookTooLong

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- the own-code rule ---------------------------------------------------------------------------


def _library_folders():
    """minicnn's folder, and PyTorch's where it is installed (found without importing it)."""
    if not hasattr(_library_folders, "found"):
        import importlib.util

        spec = importlib.util.find_spec("torch")
        torch = [os.path.abspath(p) + os.sep for p in (spec.submodule_search_locations or [])] if spec else []
        _library_folders.found = (_PACKAGE, *torch)
    return _library_folders.found


@contextlib.contextmanager
def _watch_for_library_code(found, own_file):
    """Append to ``found`` the first function of minicnn or PyTorch that runs inside the block,
    other than those of ``own_file`` (the graded function's own file, when outside minicnn).

    A profile hook sees every Python and C function called, on this thread and on every thread
    started inside the block (``threading.setprofile``). The exercises ask for the student's own
    NumPy: a function that hands the work to minicnn's kernels, or to PyTorch, has not written it.
    A thread started before the block (a pool made at import) is not watched, nor another process.
    """
    library = {own_file: False} if own_file else {}  # file name -> whether it is minicnn's or PyTorch's
    watching = [True]

    def hook(frame, event, arg):
        if not watching[0]:  # a thread the call started, still running after it: unwatched from here
            sys.setprofile(None)
            return
        if found:
            return
        if event == "call":
            name = frame.f_code.co_filename
            if name not in library:
                path = os.path.abspath(name)
                mine = path == os.path.join(_HERE, "calling.py")  # this module's frames (leaving the block)
                library[name] = not mine and path.startswith(_library_folders())
            if library[name]:
                found.append(f"{frame.f_code.co_name} ({os.path.abspath(name)})")
        elif event == "c_call":
            module = str(getattr(arg, "__module__", None) or "")
            if module.split(".")[0] in ("torch", "minicnn"):
                found.append(f"{module}.{getattr(arg, '__name__', '?')}")

    previous, previous_threads = sys.getprofile(), threading.getprofile()
    sys.setprofile(hook)
    threading.setprofile(hook)
    try:
        yield
    finally:
        watching[0] = False
        threading.setprofile(previous_threads)
        sys.setprofile(previous)
