"""``python -m minicnn check NAME FILE.py``: grade the function NAME defined in the student's FILE.py.

Exit status 0 on a pass, 1 on a failure (the grader's message, no traceback),
2 when the file, the function or the exercise does not exist. Loading FILE.py
runs its top-level code, as ``python FILE.py`` would: it is the student's own file.
The function must be the student's own NumPy code: one that calls minicnn's or
PyTorch's code while it is graded fails (``exercises.check(..., own_code=True)``).
"""

import importlib.util
import os
import sys

from .cli_common import UsageError, check_input_file


def _load(path, debug=False):
    spec = importlib.util.spec_from_file_location("_exercise_file", path)
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)  # so the file can import its neighbours, as when run directly
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # the student's file: report its error in one line, with its place
        if debug:
            raise  # --debug: the student's own traceback
        raise UsageError(f"{path} failed to load: {type(err).__name__}: {err}{_where(err, path)}") from None
    except SystemExit as err:  # sys.exit() at the top of the file: nothing was graded
        raise UsageError(f"{path} called sys.exit({err.code!r}) while loading; nothing was graded") from None
    finally:
        sys.path.remove(folder)
    return module


def _where(err, path):
    """' (line 5: y = undefined_name + 1)': the line of the student's file the error came from."""
    import traceback

    if isinstance(err, SyntaxError) and err.lineno:  # its message names the line already
        return ""
    ours = [
        f
        for f in traceback.extract_tb(err.__traceback__)
        if os.path.abspath(f.filename) == os.path.abspath(path)
    ]
    if not ours:
        return ""
    return f" (line {ours[-1].lineno}: {(ours[-1].line or '').strip()})"


def check_command(args):
    from . import exercises

    if args.name not in exercises.names():
        raise UsageError(f"no exercise {args.name!r}; choose one of {', '.join(exercises.names())}")
    check_input_file(args.file)
    if not args.file.endswith(".py"):
        raise UsageError(f"expected a Python file (.py) that defines {args.name!r}, got {args.file!r}")
    fn = getattr(_load(args.file, debug=getattr(args, "debug", False)), args.name, None)
    if not callable(fn):
        raise UsageError(f"{args.file} defines no function {args.name!r}")
    defined_in = getattr(getattr(fn, "__code__", None), "co_filename", None)
    if defined_in is None or not os.path.samefile(defined_in, args.file):
        where = f"from {defined_in}" if defined_in else "from elsewhere"
        raise UsageError(f"{args.file} does not define {args.name!r} itself: it comes {where}")
    try:
        exercises.check(args.name, fn, quick=args.quick, own_code=True)
    except exercises.ExerciseFailed as err:
        print(err)
        return 1
    return 0


def add_parser(sub, parents=()):
    c = sub.add_parser("check", parents=list(parents), help="grade an exercise: the function NAME in FILE.py")
    c.add_argument(
        "name",
        help="the exercise, e.g. col2im (python -c 'from minicnn import exercises; "
        "print(exercises.names())')",
    )
    c.add_argument("file", help="the Python file that defines it")
    c.add_argument("--quick", action="store_true", help="skip the slow part (LeNet-5's training)")
