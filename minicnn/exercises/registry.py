"""The exercises by name: minicnn's own, and those a lecturer adds with ``register``.

    from minicnn import exercises
    from minicnn.exercises import Case, Exercise, Mistake

    exercises.register(Exercise(name="gap_backward", signature="(gy, x_shape)", ...))
    exercises.check("gap_backward", my_gap_backward)

``register`` checks what it can before any student's function runs (the name, the signature,
every field, that ``make``, ``expected`` and each mistake take what they will be given) and
refuses an exercise in one line naming the field. ``load_file`` imports a lecturer's file of
exercises for ``python -m minicnn check --exercises FILE``. docs/writing-exercises.md is the guide.
"""

import ast
import contextlib
import importlib.util
import inspect
import keyword
import os
import sys
import traceback

from .calling import record_of
from .exercise import Case, Exercise, Mistake
from .grading import one_line

_EXERCISES: dict = {}  # name -> Exercise, in the order registered (a replaced one keeps its place)
_MODULES: list = []  # the names in sys.modules of the files load_file imported
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
RESERVED = ("all",)  # python -m minicnn check all: every exercise the file defines


def register(ex, *, replace=False):
    """Add the exercise ``ex`` under ``ex.name``, for ``check``, ``info``, ``stub_source``, ``names``
    and ``python -m minicnn check``; returns ``ex``.

    A name already registered is refused, minicnn's own included, unless ``replace=True``: then
    ``ex`` takes that exercise's place (run a notebook cell that registers a second time, say).
    Registering the same object again changes nothing. An exercise whose fields cannot work
    (a signature that is not a list of names, a ``make`` that cannot take a case's parameters,
    no ``expected`` and no ``judge``, no cases) is refused with a ValueError naming the field.
    """
    if not isinstance(ex, Exercise):
        raise TypeError(
            f"exercises.register: expected an Exercise (from minicnn.exercises import Exercise), "
            f"got {type(ex).__name__}"
        )
    name = ex.name
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(
            f"exercises.register: name must be a Python function name (the student's function has it), "
            f"got {one_line(repr(name), 80)}"
        )
    if name in RESERVED:
        raise ValueError(f"exercises.register: {name!r} is taken by python -m minicnn check {name}")
    problem = _problem(ex)
    if problem:
        raise ValueError(f"exercises.register: {name}: {problem}")
    held = _EXERCISES.get(name)
    if held is not None and held is not ex and not replace:
        raise ValueError(
            f"exercises.register: the name {name!r} is taken by {origin(held)}; give yours another "
            f"name, or register(ex, replace=True) to put yours in its place"
        )
    _EXERCISES[name] = ex
    return ex


def origin(ex):
    """'minicnn's own exercise (notebook 02_convolution_im2col)', or 'the exercise registered from
    my_course.py': where an exercise comes from, as its ``make`` says."""
    where = getattr(getattr(ex.make, "__code__", None), "co_filename", "") or "?"
    if os.path.abspath(where).startswith(_PACKAGE):
        return "minicnn's own exercise" + (f" (notebook {ex.notebook})" if ex.notebook else "")
    return f"the exercise registered from {where}"


# --- what register refuses -----------------------------------------------------------------------


def _problem(ex):
    """A sentence naming the first field of ``ex`` that cannot work, or None."""
    params = _parameters(ex.signature)
    if isinstance(params, str):
        return params
    if (
        not isinstance(ex.returns, (tuple, list))
        or not ex.returns
        or not all(isinstance(r, str) and r.isidentifier() for r in ex.returns)
    ):
        return f'returns must be a tuple of the outputs\' names, such as ("gx",), got {ex.returns!r:.80}'
    for field, what in (("teaches", "one line on what writing it teaches"), ("doc", "the stub's docstring")):
        text = getattr(ex, field)
        if not isinstance(text, str) or not text.strip():
            return f"{field} must be {what}, got {text!r:.80}"
    if "\n" in ex.teaches.strip():
        return "teaches must be one line: check --list shows it on the exercise's line"
    if '"""' in ex.doc:
        return 'doc must not hold """: the stub puts it inside a """ docstring'
    if ex.notebook is not None and (not isinstance(ex.notebook, str) or not ex.notebook.strip()):
        return f"notebook must be a notebook's name or None, got {ex.notebook!r:.80}"
    if not isinstance(ex.cases, (list, tuple)) or not ex.cases:
        return f"cases must be a non-empty list of Case(seed, params), got {ex.cases!r:.80}"
    for k, case in enumerate(ex.cases, 1):
        if not isinstance(case, Case) or not isinstance(case.params, dict):
            return f"case {k} must be a Case(seed, params), params a dict; got {case!r:.80}"
        if isinstance(case.seed, bool) or not isinstance(case.seed, int) or case.seed < 0:
            return f"case {k}'s seed must be a non-negative int, got {case.seed!r:.40}"
    if not callable(ex.make):
        return f"make must be a function make(rng, **params) -> the arguments, got {ex.make!r:.80}"
    for k, case in enumerate(ex.cases, 1):
        why = _binds(ex.make, ("rng",), case.params)
        if why:
            return f"make cannot take case {k}'s parameters (rng, {_shown(case.params)}): {why}"
    if ex.expected is None and ex.judge is None:
        return "expected is None and so is judge: give expected(*args) -> the right outputs"
    for field, fn, args in (
        ("expected", ex.expected, params),
        ("judge", ex.judge, ("args", "got")),
        ("slow", ex.slow, ("run", "progress")),
        ("explain", ex.explain, ("args", "key")),
    ):
        if fn is None:
            continue
        why = "it is not a function" if not callable(fn) else _binds(fn, args)
        if why:
            return f"{field} must take ({', '.join(args)}): {why}"
    if not isinstance(ex.mistakes, (list, tuple)):
        return f"mistakes must be a list of Mistake(hint, compute), got {ex.mistakes!r:.80}"
    for k, mistake in enumerate(ex.mistakes, 1):
        if not isinstance(mistake, Mistake) or not isinstance(mistake.hint, str) or not mistake.hint.strip():
            return f"mistake {k} must be a Mistake(hint, compute) with a hint to show, got {mistake!r:.80}"
        why = "it is not a function" if not callable(mistake.compute) else _binds(mistake.compute, params)
        if why:
            return f"mistake {k}'s compute must take ({', '.join(params)}) as expected does: {why}"
    return None


def _parameters(signature):
    """The parameter names of a signature such as "(gy, x_shape)", or a sentence saying why it is
    not one: plain names only, as the grader passes every argument by position."""
    bad = f'signature must be the parameters in parentheses, such as "(gy, x_shape)", got {signature!r:.80}'
    if not isinstance(signature, str) or not signature.strip().startswith("("):
        return bad
    try:
        tree = ast.parse(f"def f{signature.strip()}: pass")
    except SyntaxError:
        return bad
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return bad
    a = tree.body[0].args
    plain = a.args and not (a.posonlyargs or a.vararg or a.kwonlyargs or a.kwarg or a.defaults)
    if not plain or any(p.annotation is not None for p in a.args):
        return (
            f"signature must be plain parameter names (no defaults, *args, annotations), as the grader "
            f'passes every argument by position, such as "(gy, x_shape)"; got {signature!r:.80}'
        )
    return tuple(p.arg for p in a.args)


def _binds(fn, args, kwargs=None):
    """Why ``fn`` cannot be called with those positional names (and keywords), or None."""
    try:
        sig = inspect.signature(fn)
    except (ValueError, TypeError):  # a builtin without one: the call will tell
        return None
    try:
        sig.bind(*args, **(kwargs or {}))
    except TypeError as err:
        return f"{getattr(fn, '__name__', 'it')}{sig}: {err}"
    return None


def _shown(params):
    return ", ".join(f"{key}={value!r:.20}" for key, value in params.items())


# --- a lecturer's file ---------------------------------------------------------------------------


@contextlib.contextmanager
def restoring():
    """Within: register freely, load files; after: the exercises as they were, and the files
    gone from sys.modules (tests, and the command line, whose --exercises hold for one command)."""
    saved, modules = dict(_EXERCISES), len(_MODULES)
    try:
        yield
    finally:
        _EXERCISES.clear()
        _EXERCISES.update(saved)
        while len(_MODULES) > modules:
            sys.modules.pop(_MODULES.pop(), None)


def load_file(path):
    """Import the lecturer's file ``path`` (trusted code, run in this process, as ``import``
    would), which registers its exercises; returns the names it registered. Raises ValueError,
    one line, where it does not load or registers nothing."""
    before = dict(_EXERCISES)
    stem = os.path.splitext(os.path.basename(path))[0]
    # its own name, as `import my_course` gives it (a module of it importing it gets this one)
    module_name = stem if stem.isidentifier() and stem not in sys.modules else "_minicnn_exercises_file"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"--exercises {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickle look a class's module up there
    _MODULES.append(module_name)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)  # its neighbours: helpers of its own
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as err:
        raise ValueError(_load_failure(path, err)) from err
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    added = [name for name, ex in _EXERCISES.items() if before.get(name) is not ex]
    if not added:
        unregistered = [str(v.name) for v in vars(module).values() if isinstance(v, Exercise)]
        them = "them" if len(unregistered) > 1 else "it"
        also = f" (it defines {', '.join(unregistered)} but does not register {them})" if unregistered else ""
        raise ValueError(
            f"--exercises {path} registers no exercise{also}: call exercises.register(ex) for each "
            f"exercise it defines"
        )
    return added


def _load_failure(path, err):
    """The line for a lecturer's file that raised, or called sys.exit, while loading."""
    record = record_of(err, in_file=path)
    if record["kind"] == "exit":
        return f"--exercises {path} called sys.exit({one_line(record['code'], 60)}) while loading"
    line = record.get("line")
    if _raised_by_register(err):  # its own words say what is wrong, and name the exercise
        return f"--exercises {path}" + (f", line {line[1]}" if line else "") + f": {one_line(record['text'])}"
    at = f"; at line {line[1]}: {one_line(line[2], 200)}" if line else ""
    return f"--exercises {path} failed to load: {record['type']}: {one_line(record['text'])}{at}"


def _raised_by_register(err):
    frames = traceback.extract_tb(err.__traceback__)
    return bool(frames) and frames[-1].name == "register" and frames[-1].filename == __file__
