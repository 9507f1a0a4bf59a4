"""``python -m minicnn check NAME FILE.py``: grade the function NAME that the student's FILE.py
defines; ``check all FILE.py`` grades every exercise whose function the file defines; ``check
--list`` lists the exercises. ``--exercises COURSE.py`` adds a lecturer's exercises: that file is
trusted code, imported by this process, where it registers them (docs/writing-exercises.md).

The file runs in a child process of its own (``exercises/runner.py``), as ``python FILE.py``
would run it; this process builds the cases, keeps the time and gives the verdict, so nothing
the file does (print a "passed" line, exit with status 0, patch the grader) changes it. What
the file prints is shown under a line "output of FILE:", each line indented.

Exit status: 0 nothing failed (every exercise graded passed, or with --quick LeNet-5's cases
did, its training not run); 1 a wrong answer, not implemented yet, or the
function missing; 2 the command was used wrongly (an unknown exercise, no such file, a file
named like a module it would hide: ``exercises/source.py``; an --exercises file that does not
load or registers nothing, an exercise whose own code fails); 3 the submission could not be run
(it did not load, its process ended, a step ran out of time).
With several exercises, the worst of theirs. ``--json``: one JSON object a line per exercise
on stdout (and, with ``all``, one per exercise skipped, saying why), and nothing else there.
``--no-hints``: a failure names no known mistake (for marked work). With ``--quick``, LeNet-5's
training is skipped, and it does not pass in full. The function must be the student's own NumPy
code: one that calls minicnn's or PyTorch's code while it is graded fails.

This file runs the command; ``cli_check_report.py`` says each result and gives the exit
status, ``cli_check_parser.py`` declares the arguments.
"""

import json
import os
import shutil
import sys
import textwrap

from .cli_check_report import PASSED, Report
from .cli_common import UsageError, check_input_file


def check_command(args):
    from .exercises import registry

    with registry.restoring():  # a lecturer's exercises hold for this command alone
        args.course, loaded = [], []
        for path in args.exercises or ():
            if not any(os.path.exists(path) and os.path.samefile(path, p) for p in loaded):  # given twice
                args.course += _load_exercises(path)
                loaded.append(path)
        return _check(args)


def _load_exercises(path):
    """Import the lecturer's file ``path`` (trusted code, in this process), which registers its
    exercises; returns their names. A UsageError (one line, exit status 2) where it cannot."""
    from .exercises import registry

    try:
        check_input_file(path)
    except UsageError as err:
        raise UsageError(f"--exercises: {err}") from None
    if not path.endswith(".py"):
        raise UsageError(f"--exercises expects a Python file (.py) that registers exercises, got {path!r}")
    try:
        return registry.load_file(path)
    except ValueError as err:
        raise UsageError(str(err)) from err


def _check(args):
    if args.list:
        if args.name is not None or args.file is not None:
            raise UsageError("--list takes no exercise or file: python -m minicnn check --list")
        return _list(args.json)
    from . import exercises
    from .exercises import source
    from .exercises.runner import Submission

    names = exercises.names()
    if args.name is not None and args.name.endswith(".py") and args.name not in names:
        raise UsageError(_file_for_a_name(args.name, args.file, names))
    if args.name is not None and args.name != "all" and args.name not in names:
        raise UsageError(
            f"no exercise {args.name!r}{exercises._did_you_mean(args.name)}; choose one of "
            f"{', '.join(names)}, or all (python -m minicnn check --list says what each is)"
        )
    if args.name is None or args.file is None:
        what = f"the file that defines {args.name}" if args.name else "an exercise and a file"
        raise UsageError(
            f"check needs {what}: python -m minicnn check {args.name or 'NAME'} FILE.py "
            "(python -m minicnn check --list lists the exercises)"
        )
    tree = None
    if args.file.endswith(".py") and os.path.isfile(args.file):
        tree = source.syntax_tree(args.file)
        shadowed = source.shadowing(args.file, tree)
        if shadowed:
            raise UsageError(shadowed)
    check_input_file(args.file)
    if not args.file.endswith(".py"):
        what = "the exercises' functions" if args.name == "all" else repr(args.name)
        raise UsageError(f"expected a Python file (.py) that defines {what}, got {args.file!r}")
    if not hasattr(os, "killpg"):
        raise UsageError(
            "check runs the submission in a child process whose process group it can kill, which "
            "needs Linux or macOS; on Windows, grade in a notebook with exercises.check, or in WSL"
        )
    report = Report(args)
    submission = Submission(args.file)
    try:
        try:
            loaded = submission.start()
        except exercises.CouldNotRun as err:
            return report.failed(None if args.name == "all" else args.name, err, submission.take_output())
        if args.name == "all":
            wanted = [n for n in names if n in loaded["defined"]]
            report.skipped, report.others = _skipped(names, loaded, args.course)
            if not wanted:
                err = exercises.ExerciseFailed(
                    f"{args.file} defines none of the exercises' functions{_its_functions(loaded)}"
                )
                return report.failed(None, err, submission.take_output())
        else:
            wanted = [args.name]
        for name in wanted:
            if submission.ended:  # the last one timed out or crashed: a fresh child for the next
                submission.close()
                submission = Submission(args.file)
                try:
                    loaded = submission.start()
                except exercises.CouldNotRun as err:
                    report.failed(name, err, submission.take_output())
                    continue
            lines = source.definitions(tree).get(name, [])
            try:
                cases, slow = _grade(submission, loaded, name, args)
            except exercises.ExerciseFailed as err:
                stub = isinstance(err, exercises.NotImplementedYet)
                note = source.defined_again(name, lines, args.file, stub)
                report.failed(name, err, submission.take_output(), note)
            else:
                note = source.defined_again(name, lines, args.file)
                report.passed(name, cases, slow, submission.take_output(), note)
    finally:
        submission.close()
    return report.finish()


def _file_for_a_name(given, then, names):
    """A file given where the exercise's name goes: the command it was likely meant as."""
    meant = f"{then} {given}" if then in (*names, "all") else f"all {given} (every exercise it defines)"
    return f"no exercise {given!r}: the exercise comes first, then the file: python -m minicnn check {meant}"


def _skipped(names, loaded, course):
    """The exercises ``check all`` skips, as the file does not define them: (name, why) of each (why:
    where it comes from, if imported, else ''); with --exercises, the course's alone, and the
    number of minicnn's own."""
    from .exercises.grading import one_line

    missing = [n for n in names if n not in loaded["defined"]]
    named = [n for n in missing if n in course] if course else missing
    found = [
        (n, f"from {one_line(loaded['elsewhere'][n], 200)}" if n in loaded["elsewhere"] else "")
        for n in named
    ]
    return found, len(missing) - len(named)


def _list(as_json=False):
    """``check --list``: every exercise on a line of its own, with its notebook and what it teaches;
    with --json, one JSON object a line (exercise, signature, returns, notebook, teaches, cases,
    training)."""
    from . import exercises

    found = [exercises.info(name) for name in exercises.names()]
    if as_json:
        for ex in found:
            record = {"exercise": ex.name, "signature": ex.signature, "returns": list(ex.returns)}
            record.update(notebook=ex.notebook, teaches=ex.teaches, cases=len(ex.cases))
            print(json.dumps({**record, "training": ex.slow is not None}))
        return PASSED
    width = max(len(ex.name) for ex in found)
    notebooks = max(len(ex.notebook or "-") for ex in found)
    indent = width + notebooks + 4
    # on a terminal, what it teaches wraps under its own column; piped, each stays one line
    columns = shutil.get_terminal_size().columns if sys.stdout.isatty() else 0
    for ex in found:  # "-": an exercise of no course notebook (a lecturer's own)
        lines = textwrap.wrap(ex.teaches, columns - indent) if columns - indent >= 30 else [ex.teaches]
        print(f"{ex.name:<{width}}  {ex.notebook or '-':<{notebooks}}  {lines[0]}")
        for more in lines[1:]:
            print(" " * indent + more)
    return PASSED


def _grade(submission, loaded, name, args):
    """(cases passed, words on the training or None) of exercise ``name``; raises ExerciseFailed."""
    from .exercises import grading, info

    ex = info(name)
    if name not in loaded["defined"]:
        elsewhere = loaded["elsewhere"].get(name)
        if elsewhere is not None:
            where = f"from {grading.one_line(elsewhere, 200)}" if elsewhere else "from elsewhere"
            raise grading.ExerciseFailed(f"{args.file} does not define {name!r} itself: it comes {where}")
        raise grading.ExerciseFailed(f"{args.file} defines no function {name!r}{_its_functions(loaded)}")
    problem = grading.signature_problem(ex, loaded["defined"][name])
    if problem:
        err = grading.ExerciseFailed(problem)
        err.step = "signature"
        raise err
    return grading.grade(
        ex, submission.runner(ex), quick=args.quick, seed=args.seed, progress=sys.stderr, hints=args.hints
    )


def _its_functions(loaded, most=10):
    """'; it defines my_col2im, helper' (the functions the child found in the file), or
    '; it defines no functions'."""
    from .exercises.grading import one_line

    found = loaded.get("functions")
    found = [one_line(f, 60) for f in found if isinstance(f, str)] if isinstance(found, list) else []
    if not found:
        return "; it defines no functions"
    more = f" and {len(found) - most} more" if len(found) > most else ""
    return f"; it defines {', '.join(found[:most])}{more}"
