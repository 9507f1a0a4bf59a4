"""The grader: run a student's function on fixed cases and say what went wrong, in words.

An ``Exercise`` holds its cases (each drawn from its own seed), the expected
outputs (computed by minicnn's reference kernels or its autograd) and the
known mistakes, each a wrong variant computed here: when the student's output
equals a wrong variant's, the message names that mistake.
"""

import contextlib
import copy
import dataclasses
import inspect
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable

import numpy as np

# float64 results computed in another order agree to about 1e-13; a real bug is far larger.
RTOL, ATOL = 1e-6, 1e-8
# one call of the student's function on one case; an endless loop ends here instead of never
CASE_SECONDS = 60

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_NUMPY = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_HERE = os.path.abspath(__file__)
_own_code_only = [None]  # grade(own_code=True) sets the graded function's file for its calls


class ExerciseFailed(AssertionError):
    """An exercise's check failed; the message says which case, where and why."""


class NotImplementedYet(ExerciseFailed):
    """The student's function still raises NotImplementedError (the stub)."""


@dataclasses.dataclass
class Case:
    """One graded input: ``make(rng, **params)`` builds the arguments from ``seed``."""

    seed: int
    params: dict


@dataclasses.dataclass
class Mistake:
    """A known wrong answer: ``compute(*args)`` gives what that mistake returns."""

    hint: str
    compute: Callable


@dataclasses.dataclass
class Exercise:
    name: str
    signature: str  # "(x, w, b, stride, padding)"
    returns: tuple  # names of the outputs, e.g. ("gx", "gw", "gb"); one name: one array
    teaches: str  # one line: what writing it teaches
    notebook: str  # the course notebook it belongs to
    doc: str  # the stub's docstring: the math the student implements
    make: Callable  # make(rng, **params) -> tuple of arguments
    expected: Callable | None  # expected(*args) -> outputs; None where ``judge`` decides
    cases: list
    mistakes: list = dataclasses.field(default_factory=list)
    judge: Callable | None = None  # judge(args, got) -> None or a reason: replaces comparing outputs
    slow: Callable | None = None  # slow(fn) -> number of extra checks passed; raises ExerciseFailed

    @property
    def arg_names(self):
        return [a.strip().split("=")[0] for a in self.signature.strip("()").split(",")]


def describe(names, args):
    """'x (2, 3, 7, 5), w (4, 3, 3, 3), stride 2, padding 1': the case in words."""
    parts = []
    for name, a in zip(names, args):
        if isinstance(a, np.ndarray):
            parts.append(f"{name} {tuple(a.shape)}" + ("" if a.dtype == np.float64 else f" {a.dtype}"))
        elif isinstance(a, dict):
            parts.append(f"{name} ({len(a)} entries)")
        else:
            parts.append(f"{name} {a!r}")
    return ", ".join(parts)


def _student_line(err):
    """'at line 12 of mine.py: y[n] = ...': the deepest frame outside NumPy and this module."""
    frames = [
        f
        for f in traceback.extract_tb(err.__traceback__)
        if not os.path.abspath(f.filename).startswith(_NUMPY) and os.path.abspath(f.filename) != _HERE
    ]
    if not frames:
        return ""
    f = frames[-1]
    return f"\n  at line {f.lineno} of {f.filename}: {(f.line or '').strip()}"


class _TookTooLong(BaseException):
    """Not an Exception, so that a student's ``except Exception`` cannot swallow it."""


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
    other than those of ``own_file`` (the graded function's own file).

    A profile hook sees every Python and C function called. The exercises ask for the student's
    own NumPy: a function that hands the work to minicnn's kernels or solutions, or to PyTorch,
    has not written it.
    """

    library = {own_file: False}  # file name -> whether it is minicnn's or PyTorch's

    def hook(frame, event, arg):
        if found:
            return
        if event == "call":
            name = frame.f_code.co_filename
            if name not in library:
                path = os.path.abspath(name)
                mine = path == _HERE  # this module's own frames (the context manager leaving)
                library[name] = not mine and path.startswith(_library_folders())
            if library[name]:
                found.append(f"{frame.f_code.co_name} ({os.path.abspath(name)})")
        elif event == "c_call":
            module = str(getattr(arg, "__module__", None) or "")
            if module.split(".")[0] in ("torch", "minicnn"):
                found.append(f"{module}.{getattr(arg, '__name__', '?')}")

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        yield
    finally:
        sys.setprofile(previous)


def call(ex, fn, args, where):
    """fn(*args) on copies of args; a NotImplementedError, any other error, sys.exit, a call that
    runs past CASE_SECONDS or (when grading own code) one into minicnn or PyTorch becomes ExerciseFailed."""
    args, found = copy.deepcopy(args), []
    try:
        with _time_limit(CASE_SECONDS):
            if _own_code_only[0] is not None:
                with _watch_for_library_code(found, _own_code_only[0]):
                    out = fn(*args)
            else:
                out = fn(*args)
    except NotImplementedError:
        raise NotImplementedYet(
            f"{ex.name}: not implemented yet: the function still raises NotImplementedError. "
            f"Write its body, then check again."
        ) from None
    except _TookTooLong:
        raise ExerciseFailed(
            f"{ex.name} did not finish {where} within {CASE_SECONDS} s: an endless loop, or loops "
            f"over every element where the exercise wants whole-array operations"
        ) from None
    except SystemExit as err:
        raise ExerciseFailed(
            f"{ex.name} called sys.exit({err.code!r}) {where}: return the result instead"
        ) from None
    except Exception as err:  # the student's code: any error is reported with its case
        raise ExerciseFailed(
            f"{ex.name} raised {type(err).__name__} {where}: {err}{_student_line(err)}"
        ) from None
    if found:
        raise ExerciseFailed(
            f"{ex.name} called library code {where}: {found[0]}. Write it yourself, with NumPy: "
            f"the exercise is the code, and minicnn's or PyTorch's does not count"
        )
    return out


def parts(ex, out):
    """The outputs as a list of (name, value), or a sentence saying why they cannot be read."""
    if len(ex.returns) == 1:
        return [(ex.returns[0], out)], None
    if not isinstance(out, (tuple, list)) or len(out) != len(ex.returns):
        got = f"a {type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
        return None, f"expected a tuple ({', '.join(ex.returns)}), got {got}"
    return list(zip(ex.returns, out)), None


def compare(name, got, want):
    """None when got equals want (shape, dtype kind and values); else a sentence saying how not."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{name} should be a dict with keys {sorted(want)}, got {type(got).__name__}"
        if set(got) != set(want):
            return f"{name} has keys {sorted(got)}; expected {sorted(want)}"
        for key in want:
            why = compare(f"{name}[{key!r}]", got[key], want[key])
            if why:
                return why
        return None
    if isinstance(want, (list, tuple)) and not isinstance(want, np.ndarray):
        got_list = list(got) if isinstance(got, (list, tuple, np.ndarray)) else None
        if got_list != list(want):
            return f"{name}: expected {list(want)}, got {got!r}"
        for i, (g, w) in enumerate(zip(got_list, want)):
            why = _not_an_int(f"{name}[{i}]", g, w)
            if why:
                return why
        return None
    if isinstance(want, (int, np.integer)) and not isinstance(want, bool):
        if not isinstance(got, (int, np.integer)) or int(got) != int(want):
            return _not_an_int(name, got, want) or f"{name}: expected {int(want)}, got {got!r}"
        return None
    if got is None:
        return f"{name} is None; expected an array of shape {np.shape(want)}"
    if type(got).__module__.split(".")[0] in ("minicnn", "torch"):
        return f"{name} is a {type(got).__module__.split('.')[0]} {type(got).__name__}; return a NumPy array"
    if isinstance(got, (list, tuple)):
        return f"{name} is a Python {type(got).__name__}; return a NumPy array of {np.asarray(want).dtype}"
    try:
        g = np.asarray(got)
    except Exception:  # a ragged list, an object NumPy cannot read
        return f"{name} is a {type(got).__name__} that NumPy cannot read as an array"
    w = np.asarray(want)
    if g.dtype.kind == "O":
        return f"{name} is an array of Python objects (dtype object); return a NumPy array of {w.dtype}"
    if g.shape != w.shape:
        return f"{name} has shape {g.shape}; expected {w.shape}"
    if g.dtype.kind not in "fc":
        return f"{name} has dtype {g.dtype}; expected {w.dtype} (an integer array rounds every value)"
    if g.dtype.kind == "c" and w.dtype.kind != "c":
        return f"{name} has the complex dtype {g.dtype}; expected {w.dtype}: the answer is real"
    if g.dtype.itemsize < w.dtype.itemsize:
        return f"{name} has dtype {g.dtype}; expected {w.dtype} like the inputs (keep the inputs' dtype)"
    bad = ~np.isclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True)
    if not bad.any():
        return None
    excess = np.abs(g - w) - (ATOL + RTOL * np.abs(w))
    excess = np.where(np.isnan(excess), np.inf, excess)
    idx = np.unravel_index(int(np.argmax(excess)), w.shape) if w.ndim else ()
    at = f"{name}[{', '.join(str(int(i)) for i in idx)}]" if w.ndim else name
    return (
        f"{int(bad.sum())} of {bad.size} elements of {name} differ; the worst is {at}: "
        f"expected {float(w[idx]):.6g}, got {float(g[idx]):.6g}"
    )


def _not_an_int(name, got, want):
    """A sentence when ``want`` is an int and ``got`` is a number of another type (1458.0), else None."""
    is_int = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)  # noqa: E731
    if is_int(want) and not is_int(got) and isinstance(got, (float, complex, np.number, bool)):
        return f"{name} must be an int, like {int(want)}; got the {type(got).__name__} {got!r}"
    return None


def _matches(out, wrong, ex):
    got, _ = parts(ex, out)
    bad, _ = parts(ex, wrong)
    return (
        got is not None
        and bad is not None
        and all(compare(n, g, b) is None for (n, g), (_, b) in zip(got, bad))
    )


def hint_for(ex, args, out):
    """The hint of the first known mistake whose wrong answer equals the student's, or ''."""
    for mistake in ex.mistakes:
        try:
            with np.errstate(all="ignore"):
                wrong = mistake.compute(*copy.deepcopy(args))
        except Exception:  # this variant does not apply to this case (e.g. shapes)
            continue
        if _matches(out, wrong, ex):
            return f"\n  hint: {mistake.hint}"
    return ""


def grade(ex, fn, quick=False, own_code=False):
    """Run every case; returns the number of cases passed or raises ExerciseFailed.

    ``own_code=True`` (``python -m minicnn check``) also fails a function that calls minicnn's
    or PyTorch's code while it runs, other than the code of its own file.
    """
    code = getattr(fn, "__code__", None)
    _own_code_only[0] = (code.co_filename if code is not None else "") if own_code else None
    try:
        return _grade(ex, fn, quick)
    finally:
        _own_code_only[0] = None


def _check_order(ex, fn):
    """The expected parameters under their own names in another order is a mistake the
    cases would report only as a wrong number (or an error far inside): say it plainly."""
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = [p.name for p in inspect.signature(fn).parameters.values() if p.kind in positional]
    names = names[: len(ex.arg_names)]
    if names != ex.arg_names and sorted(names) == sorted(ex.arg_names):
        raise ExerciseFailed(
            f"{ex.name}: your parameters ({', '.join(names)}) are the expected ones in another order; "
            f"the grader passes them as {ex.signature}"
        )


def _grade(ex, fn, quick):
    if not callable(fn):
        raise ExerciseFailed(f"{ex.name}: expected a function, got {type(fn).__name__}")
    try:
        inspect.signature(fn).bind(*ex.arg_names)
    except TypeError:
        raise ExerciseFailed(
            f"{ex.name}: the function must take {ex.signature}, but yours takes {inspect.signature(fn)}"
        ) from None
    except ValueError:  # builtins without a signature: let the call decide
        pass
    else:
        _check_order(ex, fn)
    for k, case in enumerate(ex.cases, 1):
        args = ex.make(np.random.default_rng(case.seed), **case.params)
        where = f"on case {k} of {len(ex.cases)} ({describe(ex.arg_names, args)})"
        out = call(ex, fn, args, where)
        if ex.judge is not None:
            why = ex.judge(args, out)
        else:
            got, why = parts(ex, out)
            if got is not None:
                want, _ = parts(ex, ex.expected(*copy.deepcopy(args)))
                why = next(filter(None, (compare(n, g, w) for (n, g), (_, w) in zip(got, want))), None)
        if why:
            raise ExerciseFailed(f"{ex.name} failed {where}:\n  {why}{hint_for(ex, args, out)}")
    extra = 0 if quick or ex.slow is None else ex.slow(fn)
    return len(ex.cases) + extra
