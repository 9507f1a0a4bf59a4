"""Exercises with diagnostic grading: write a forward or backward pass, and be told what is wrong.

    from minicnn import exercises
    exercises.names()                              # in course order
    exercises.check("col2im", my_col2im)           # prints "col2im: passed (6 cases)"

A failure raises ``ExerciseFailed`` (an AssertionError) naming the failing
case (shapes, stride, padding), the worst element's index, the expected and
the got value, and, when the answer equals a known mistake's, a hint naming
that mistake. From a shell: ``python -m minicnn check col2im mine.py``, which runs the
file in a child process of its own (``runner.py``) and gives the verdict itself.
Reference solutions, for instructors, are kept with the tests (tests/exercises/solutions.py in the
repository), not in the package.

An exercise of one's own is an ``Exercise`` (its cases, each a ``Case``; its right answer; its
known mistakes, each a ``Mistake``) given to ``register`` (``registry.py``), then checked as
these are, and from a shell with ``python -m minicnn check --exercises FILE.py``. The guide:
docs/writing-exercises.md.
"""

import re
import sys

from . import (
    autograd,
    conv,
    conv_later,
    deeper,
    finetuning,
    layers,
    lenet,
    optim,
    pooling,
    resnet,
    saliency,
    svm,
    variants,
)
from .calling import exempt_file, in_process
from .exercise import Case, Exercise, Mistake
from .grading import (
    CouldNotRun,
    ExerciseBroken,
    ExerciseFailed,
    NotImplementedYet,
    check_seed,
    grade,
    passed_words,
    quick_words,
    signature_of,
    signature_problem,
)
from .registry import _EXERCISES, register

__all__ = [
    "names",
    "check",
    "info",
    "stub_source",
    "register",
    "Exercise",
    "Case",
    "Mistake",
    "ExerciseFailed",
    "NotImplementedYet",
    "CouldNotRun",
    "ExerciseBroken",
]

COURSE = [
    "01_autograd_from_scratch",
    "02_convolution_im2col",
    "03_lenet5_mnist",
    "04_alexnet_tricks",
    "05_deeper_vgg_nin_googlenet",
    "06_resnet_and_batchnorm",
    "07_finetuning_and_deep_features",
    "08_visualizing_cnns",
    "09_cpu_vs_gpu",
    "10_dead_units_dropconnect_depth_and_cost",
]

_LISTED = (
    autograd.EXERCISES
    + conv.EXERCISES
    + conv_later.EXERCISES
    + pooling.EXERCISES
    + layers.EXERCISES[:1]
    + optim.EXERCISES
    + lenet.EXERCISES
    + layers.EXERCISES[1:]
    + resnet.EXERCISES
    + optim.LATER
    + deeper.EXERCISES
    + finetuning.EXERCISES
    + saliency.EXERCISES
    + variants.EXERCISES
    + svm.EXERCISES
)
for _ex in _LISTED:
    register(_ex)
del _ex


def _place(ex):
    """Where an exercise sits in the course: its notebook's place, and after them all where it has
    none of the course's."""
    return COURSE.index(ex.notebook) if ex.notebook in COURSE else len(COURSE)


def names():
    """The exercises' names in course order: by notebook, and within a notebook in the order
    registered; those without a course notebook (a lecturer's own) last, in the order registered."""
    return [ex.name for ex in sorted(_EXERCISES.values(), key=_place)]


def info(name):
    """The exercise ``name``: its signature, returns, notebook, what it teaches and its docstring."""
    if name not in _EXERCISES:
        raise KeyError(
            f"no exercise {name!r}{_did_you_mean(name)}; the exercises are: {', '.join(names())} "
            "(an exercise of your own: exercises.register(ex) first)"
        )
    return _EXERCISES[name]


def _did_you_mean(name):
    """' (did you mean col2im?)' where ``name`` is close to an exercise's name, else ''."""
    from ..cli_names import did_you_mean

    return did_you_mean(name, names())


def check(name, fn, quick=False, own_code=False, seed=None, hints=True):
    """Grade ``fn`` on every case of exercise ``name``; prints ``name: passed (k cases)``.

    Raises ExerciseFailed with the failing case, the worst element and a hint.
    ``quick=True`` skips an exercise's slow part (lenet5_forward_backward's training, which says
    on stderr what it does, epoch by epoch): the exercise then prints that its cases passed but
    not that it passed, as ``--quick`` does from a shell.
    ``own_code=True`` also fails ``fn`` when it calls minicnn's or PyTorch's code (as
    ``python -m minicnn check`` grades a submission). ``seed`` (a non-negative int, such as a
    student number) draws every case's numbers from it and the case's own seed, so that each
    student gets cases of their own; without it, the public cases. Each call of ``fn`` on one
    case has ``grading.CASE_SECONDS`` to finish; a call that writes into its arguments fails.
    ``hints=False``: a failure says what is wrong, and names no known mistake (for marked work).
    """
    ex = info(name)
    seed = check_seed(seed, "check")
    if not callable(fn):
        raise ExerciseFailed(f"{ex.name}: expected a function, got {type(fn).__name__}")
    problem = signature_problem(ex, signature_of(fn, ex.arg_names))
    if problem:
        raise ExerciseFailed(problem)
    # a student's function checked without the own-code rule: say now what the command refuses
    noticed: list | None = [] if not own_code and exempt_file(fn) else None
    run = in_process(ex, fn, own_code, noticed)
    cases, slow = grade(ex, run, quick=quick, seed=seed, progress=sys.stderr, hints=hints)
    if quick and ex.slow is not None:  # the cases passed, the training was not run
        print(quick_words(name, cases, seed, skipped_by="quick=True"))
    else:
        print(f"{name}: passed ({passed_words(cases, slow, seed)})")
    if noticed:
        print(
            f"  note: it runs library code, {noticed[0]}; python -m minicnn check (and "
            f"check(..., own_code=True)) fails it for that: write that part with NumPy"
        )


# NOTE: a stub's lines fit a notebook's code cell on the course site, 70 characters at 1280 px:
# a longer def or raise line is split as ruff lays it out; the docs are written to that width
STUB_WIDTH = 70


def stub_source(name, file=None):
    """The starting point a student fills in: NumPy imported, the signature, the docstring, a
    NotImplementedError. Stubs appended one after another make one file of them.

    ``file``: the file the stub is to be appended to (``>> mine.py``). Where it imports NumPy as
    ``np`` already, the stub leaves its own import out and starts with the blank lines that put
    its ``def`` two blank lines below the file's end.
    """
    ex = info(name)
    # the docstring's own "Return ..." says it already, with the shapes
    returns = "" if "return" in ex.doc.lower() else f"\n\n    Returns {', '.join(ex.returns)}."
    head = f"def {name}{ex.signature}:"
    if len(head) > STUB_WIDTH:
        head = f"def {name}(\n    {ex.signature[1:-1]}\n):"
    raises = f'    raise NotImplementedError("{name}: not implemented yet")'
    if len(raises) > STUB_WIDTH:
        raises = f'    raise NotImplementedError(\n        "{name}: not implemented yet"\n    )'
    return _stub_head(file) + f'{head}\n    """{ex.doc}{returns}\n    """\n{raises}\n'


def _stub_head(file):
    """'import numpy as np' and two blank lines; or, after a ``file`` that imports it, only the
    newlines that leave two blank lines after the file's last line."""
    try:
        with open(file, encoding="utf-8") as f:
            text = f.read()
    except (TypeError, OSError, UnicodeDecodeError):  # no file given, none there yet, unreadable
        text = ""
    if not re.search(r"^import numpy as np[ \t]*(#.*)?$", text, re.MULTILINE):
        return "import numpy as np\n\n\n"
    return "\n" * max(0, 3 - (len(text) - len(text.rstrip("\n"))))
