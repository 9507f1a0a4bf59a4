"""The grader: run a student's function on fixed cases and say what went wrong, in words.

An ``Exercise`` holds its cases (each drawn from its own seed), the expected
outputs (computed by minicnn's reference kernels or its autograd) and the
known mistakes, each a wrong variant computed here: when the student's output
equals a wrong variant's, the message names that mistake (``hints.py`` says when).

``grade`` never calls the student's function itself: it is handed ``run(args, where)``,
which calls it in this process (``calling.in_process``, a notebook's check) or in a
child process (``runner.Submission``, ``python -m minicnn check``) and gives back the
outputs and the arguments as the call left them. Cases, expected answers and the
verdict are always this module's.
"""

import copy
import inspect

import numpy as np

from . import hints as _hints
from .comparing import ATOL, RTOL, compare, one_line, parts, shown  # noqa: F401 -- RTOL, ATOL: the tolerance

# the time of one step: loading a submission, one case, one training batch. An endless loop
# ends here instead of never
CASE_SECONDS = 60


class ExerciseFailed(AssertionError):
    """An exercise's check failed; the message says which case, where and why."""

    step = None  # where grading stopped: "load", "signature", "case 2", "training"
    passed = 0  # the cases passed before it
    traceback = ""  # the student's traceback of an error inside the function, for --debug

    def _render_traceback_(self):
        """What a notebook shows (IPython asks for this): the student's own traceback, if their
        function raised, then the message; never the grader's frames, which bury it."""
        return [*self.traceback.splitlines(), f"{type(self).__name__}: {self}"]


class NotImplementedYet(ExerciseFailed):
    """The student's function still raises NotImplementedError (the stub)."""


class CouldNotRun(ExerciseFailed):
    """The submission could not be run: it did not load, its process ended, or a step ran out of time."""


class ExerciseBroken(ValueError):
    """The exercise's own code (``make``, ``expected``) failed: its author's to fix, not the student's."""


def case_rng(case, seed=None):
    """The generator a case draws its arguments from: its own seed, or, given a student's ``seed``,
    one drawn from both (so every student gets other numbers, and each case stays itself)."""
    return np.random.default_rng(case.seed if seed is None else [seed, case.seed])


def check_seed(seed, who):
    """None or a non-negative int: what ``case_rng`` takes; else a one-line error."""
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0):
        return None if seed is None else int(seed)
    raise ValueError(f"{who}: seed must be a non-negative int (a student number, say), got {seed!r:.60}")


SHOWN = 10  # a dict of at most this many entries, or an int array of at most this many, is shown whole


def describe(names, args):
    """'x (2, 3, 7, 5), w (4, 3, 3, 3), stride 2, padding 1': the case in words. Small inputs
    whose values matter to the student (a graph as a dict, a few labels) are shown whole."""
    parts = []
    for name, a in zip(names, args):
        if isinstance(a, np.ndarray):
            part = f"{name} {tuple(a.shape)}" + ("" if a.dtype == np.float64 else f" {a.dtype}")
            if a.dtype.kind in "iub" and a.size <= SHOWN:
                part += f" {a.tolist()}"
            parts.append(part)
        elif isinstance(a, dict):
            small = len(a) <= SHOWN and not any(isinstance(v, np.ndarray) for v in a.values())
            entries = f"({len(a)} entr{'y' if len(a) == 1 else 'ies'})"
            parts.append(f"{name} {a!r}" if small else f"{name} {entries}")
        else:
            parts.append(f"{name} {a!r}")
    return ", ".join(parts)


# --- the function's parameters ------------------------------------------------------------------

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def signature_of(fn, arg_names):
    """What ``signature_problem`` needs of ``fn``, in plain values (the child sends them):
    its signature's text (None where inspect cannot read one, as for some builtins), whether
    it takes ``arg_names`` positionally, and its positional parameters' names."""
    try:
        sig = inspect.signature(fn)
    except (ValueError, TypeError):
        return {"text": None}
    try:
        sig.bind(*arg_names)
        binds = True
    except TypeError:
        binds = False
    names = [p.name for p in sig.parameters.values() if p.kind in _POSITIONAL]
    return {"text": str(sig), "binds": binds, "params": names}


def signature_problem(ex, found):
    """A sentence when the parameters ``signature_of`` found cannot be the exercise's, else None."""
    if not isinstance(found, dict) or found.get("text") is None:
        return None  # builtins without a signature: let the call decide
    if not found.get("binds"):
        text = one_line(found["text"], 200)
        return f"{ex.name}: the function must take {ex.signature}, but yours takes {text}"
    # the expected parameters under their own names in another order is a mistake the cases
    # would report only as a wrong number (or an error far inside): say it plainly
    names = [str(n) for n in found.get("params", [])][: len(ex.arg_names)]
    if names != ex.arg_names and sorted(names) == sorted(ex.arg_names):
        return (
            f"{ex.name}: your parameters ({', '.join(names)}) are the expected ones in another order; "
            f"the grader passes them as {ex.signature}"
        )
    return None


# --- the arguments after the call ---------------------------------------------------------------


def _changed(before, after, label):
    """(label, how) of the first place where ``after`` differs from ``before``, else None. ``how``:
    None for an array (its values, shape or dtype); for a dict, a list, a tuple or a plain value,
    words on what changed (a key added, an item popped). Values of other kinds (an object of a
    class) are not compared: a copy of one is not equal to it."""
    if isinstance(before, np.ndarray):
        return None if _same(before, after) else (label, None)
    if isinstance(before, dict) and isinstance(after, dict):
        added, gone = [k for k in after if k not in before], [k for k in before if k not in after]
        if added or gone:
            said = [f"{shown(added, 80)} added"] if added else []
            return label, ", ".join(said + ([f"{shown(gone, 80)} taken out"] if gone else []))
        items = ((f"{label}[{key!r}]", value, after[key]) for key, value in before.items())
    elif isinstance(before, (list, tuple)) and type(after) is type(before) and len(after) == len(before):
        items = ((f"{label}[{i}]", value, after[i]) for i, value in enumerate(before))
    elif isinstance(before, (dict, list, tuple)):  # of another kind, or another length, after it
        return label, f"{shown(before, 80)} before the call, {shown(after, 80)} after"
    elif before is None or _plain(before):
        if type(after) is type(before) and _equal(before, after):
            return None
        return label, f"{shown(before, 80)} before the call, {shown(after, 80)} after"
    else:
        return None
    for inner, value, left in items:
        found = _changed(value, left, inner)
        if found is not None:
            return found
    return None


def _plain(value):
    return isinstance(value, (bool, int, float, complex, str, bytes, np.generic))


def _equal(a, b):
    return bool(a == b or (a != a and b != b))  # NaN is NaN


def _same(a, b):
    if not isinstance(b, np.ndarray) or a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def changed_argument(names, before, after):
    """(name, how) of the first argument the call changed, or of the array, dict entry or list item
    inside one (``how``: see ``_changed``); None where it changed none.

    ``before``: the arguments as the grader made them; ``after``: the copies the function was
    given, as the call left them.
    """
    after = list(after) if isinstance(after, (list, tuple)) else []
    if len(after) != len(before):
        return "its arguments", f"{len(before)} sent, {len(after)} came back"
    for name, value, left in zip(names, before, after):
        found = _changed(value, left, name)
        if found is not None:
            return found
    return None


def call_checked(ex, run, args, where):
    """The outputs of the student's function on ``args`` (through ``run``); a call that wrote into
    an argument fails, as the docstrings ask: the caller's arrays, dicts and lists are not the
    function's."""
    out, after = run(args, where)
    changed = changed_argument(ex.arg_names, args, after)
    if changed is None:
        return out
    label, how = changed
    if how is None:
        raise ExerciseFailed(
            f"{ex.name} changed its argument {label} {where}: return new arrays and leave the "
            f"arguments as they were (`a = a - b` makes a new array; `a -= b` and `a[...] = ...` "
            f"write into the caller's)"
        )
    raise ExerciseFailed(
        f"{ex.name} changed its argument {label} {where}: {how}. Leave the arguments as they were: "
        f"pop, append, remove, del or d[key] = ... on a list or dict it was given change the "
        f"caller's; copy it first (list(a), dict(d)), or read it without changing it"
    )


# --- grading ------------------------------------------------------------------------------------


def _mark(err, step, passed):
    if err.step is None:  # a step already named (by the runner, say) is the more exact
        err.step, err.passed = step, passed


def _case(ex, case, seed, which):
    """The arguments of one case and, unless ``judge`` decides, the right outputs as ``parts``;
    raises ExerciseBroken where the exercise's own code fails on it."""
    try:
        args = ex.make(case_rng(case, seed), **case.params)
    except Exception as err:  # the exercise's code, not the student's: its author needs the traceback
        raise ExerciseBroken(
            f"{ex.name}: its make raised {type(err).__name__} on {which}: {one_line(err, 300)}"
        ) from err
    if not isinstance(args, (tuple, list)) or len(args) != len(ex.arg_names):
        got = f"a {type(args).__name__}"
        if isinstance(args, (tuple, list)):
            got = f"{len(args)} argument{'s' if len(args) != 1 else ''}"
        raise ExerciseBroken(
            f"{ex.name}: its make returned {got} on {which}; the signature {ex.signature} takes "
            f"{len(ex.arg_names)}, as a tuple"
        )
    if ex.judge is not None:
        return args, None
    try:
        want, why = parts(ex, ex.expected(*copy.deepcopy(args)))
    except Exception as err:
        raise ExerciseBroken(
            f"{ex.name}: its expected raised {type(err).__name__} on {which}: {one_line(err, 300)}"
        ) from err
    if why:
        raise ExerciseBroken(f"{ex.name}: its expected answer on {which}: {why}")
    return args, want


def _verdict(ex, args, out, want, passed=(), hints=True):
    """None when ``out`` is right for ``args`` (``want``: the right outputs, or None where ``judge``
    decides), else a sentence, with a hint where one fits (``hints.py``) and ``hints`` asks for
    them. ``passed``: (args, want) of the cases passed before this one."""
    if ex.judge is not None:
        try:
            why = ex.judge(args, out)
        except (TypeError, ValueError, AttributeError):  # nodes a set cannot hold, say: not an order
            why = _not_of_the_kind(ex, out)
    else:
        try:
            why = _compared(ex, out, want)
        except Exception as err:  # noqa: BLE001 -- decided below: the answer's kind, or the grader's bug
            try:
                _compared(ex, _joined(ex, want), want)
            except Exception:
                raise ExerciseBroken(
                    f"{ex.name}: the grader cannot compare its own expected answer with itself: "
                    f"{type(err).__name__}: {one_line(err, 300)}"
                ) from err
            why = _not_of_the_kind(ex, out)
    if not why:
        return None
    why += _explained(ex, args, out, want)
    return f"{why}{_hints.hint(ex, args, out, want, passed)}" if hints else why


def _explained(ex, args, out, want):
    """'; ' and what ``ex.explain`` says the dict entry whose values differ should be (a parameter:
    frozen, or stepped), or ''. Said for every such miss, a known mistake or not."""
    if ex.explain is None or want is None:
        return ""
    got, _ = parts(ex, out)
    wrong = _hints.first_wrong(got, want) if got is not None else None
    if wrong is None or len(wrong[2]) < 2:
        return ""
    g, w, path = wrong
    if not (isinstance(g, np.ndarray) and isinstance(w, np.ndarray)) or (g.shape, g.dtype) != (
        w.shape,
        w.dtype,
    ):
        return ""  # compare named the shape or the dtype, not the values
    try:
        words = ex.explain(copy.deepcopy(args), path[-1])
    except Exception as err:
        raise ExerciseBroken(
            f"{ex.name}: its explain raised {type(err).__name__}: {one_line(err, 300)}"
        ) from err
    return f"; {words}" if words else ""


def _compared(ex, out, want):
    """Why ``out`` is not the right outputs ``want`` (as ``parts``), or None."""
    got, why = parts(ex, out)
    if got is not None:
        for (name, g), (_, w) in zip(got, want):
            why = compare(name, g, w)
            if why:
                return why
    return why


def _joined(ex, want):
    """The right outputs as the function returns them: one value, or a tuple of them."""
    return want[0][1] if len(ex.returns) == 1 else tuple(w for _, w in want)


def _not_of_the_kind(ex, out):
    return f"{', '.join(ex.returns)} is not of the kind the exercise asks for; got {shown(out)}"


def grade(ex, run, quick=False, seed=None, progress=None, hints=True):
    """Run every case through ``run(args, where) -> (outputs, the arguments after the call)``.

    Returns (cases passed, words on the slow part or None where it was skipped or there is none);
    raises ExerciseFailed, its ``step`` and ``passed`` saying where it stopped (ExerciseBroken
    where the exercise's own code fails). ``seed`` draws
    every case's arguments from it and the case's own seed (``case_rng``); None: the public cases.
    ``progress``: a stream the slow part says what it does on as it goes (None: it says nothing).
    ``hints=False``: a failure names no known mistake (for marked work).
    """
    passed = []  # (args, want) of each case passed: a known mistake must be right on them
    seeded = "" if seed is None else f", seed {seed}"
    for k, case in enumerate(ex.cases, 1):
        args, want = _case(ex, case, seed, f"case {k} of {len(ex.cases)}")
        where = f"on case {k} of {len(ex.cases)}{seeded} ({describe(ex.arg_names, args)})"
        try:
            why = _verdict(ex, args, call_checked(ex, run, args, where), want, passed, hints)
            if why:
                raise ExerciseFailed(f"{ex.name} failed {where}:\n  {why}")
        except ExerciseFailed as err:
            _mark(err, f"case {k}", k - 1)
            raise
        passed.append((args, want))
    if quick or ex.slow is None:
        return len(ex.cases), None
    try:
        return len(ex.cases), ex.slow(run, progress)
    except ExerciseFailed as err:
        _mark(err, "training", len(ex.cases))
        raise


def passed_words(cases, slow, seed=None):
    """'6 cases', '2 cases and training; 6 epochs, test accuracy 97.31%', with ', seed 7' where one
    was given: what a pass counts, cases apart from the rest."""
    words = f"{cases} case{'s' if cases != 1 else ''}"
    if slow is not None:
        words += f" and training; {slow}"
    return words + (f", seed {seed}" if seed is not None else "")


def quick_words(name, cases, seed=None, skipped_by="--quick"):
    """The verdict of an exercise whose cases passed and whose training was skipped: not a
    pass, in the same words from a shell (``--quick``) and a notebook (``quick=True``)."""
    return (
        f"{name}: training skipped ({skipped_by}), so not passed in full; its {cases} "
        f"case{'s' if cases != 1 else ''} passed" + (f", seed {seed}" if seed is not None else "")
    )
