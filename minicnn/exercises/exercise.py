"""What an exercise is: the function a student writes (name, signature, docstring), the cases it
is graded on, the right answer and the known mistakes. grading.py grades one; registry.py lists
them; docs/writing-exercises.md describes every field."""

import dataclasses
import inspect
from collections.abc import Callable


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


@dataclasses.dataclass(repr=False)
class Exercise:
    """An exercise: the function a student writes, the cases it is graded on, the right answer and
    the known mistakes. ``exercises.register(ex)`` makes it one that ``exercises.check`` and
    ``python -m minicnn check`` grade; docs/writing-exercises.md describes every field."""

    name: str  # the student's function's name
    signature: str  # its parameters: "(x, w, b, stride, padding)"
    returns: tuple  # names of the outputs, e.g. ("gx", "gw", "gb"); one name: one array
    teaches: str  # one line: what writing it teaches
    doc: str  # the stub's docstring: the math the student implements
    make: Callable  # make(rng, **params) -> tuple of arguments
    expected: Callable | None  # expected(*args) -> outputs; None where ``judge`` decides
    cases: list
    mistakes: list = dataclasses.field(default_factory=list)
    judge: Callable | None = None  # judge(args, got) -> None or a reason: replaces comparing outputs
    # slow(run, progress) -> words on what it achieved; raises ExerciseFailed (LeNet-5's training).
    # progress: a stream to say what it does on, or None
    slow: Callable | None = None
    notebook: str | None = dataclasses.field(default=None, kw_only=True)  # the course notebook, if any
    # explain(args, key) -> what a dict output's entry ``key`` should be, said after its values differ
    explain: Callable | None = dataclasses.field(default=None, kw_only=True)

    @property
    def arg_names(self):
        return [a.strip().split("=")[0] for a in self.signature.strip("()").split(",")]

    def __repr__(self):
        returns = ", ".join(self.returns)
        notebook = f", notebook {self.notebook}" if self.notebook else ""
        return f"<Exercise {self.name}{self.signature} -> {returns}{notebook}>"

    def __str__(self):
        """What ``print(exercises.info(name))`` shows: the signature, the notebook, what it teaches
        and the math of its docstring."""
        count = f"{len(self.cases)} case{'s' if len(self.cases) != 1 else ''}"
        training = ", then training" if self.slow is not None else ""
        return "\n".join(
            [
                f"{self.name}{self.signature} -> {', '.join(self.returns)}",
                f"  {f'notebook {self.notebook}; ' if self.notebook else ''}{count}{training}",
                f"  teaches: {self.teaches}",
                "",
                *("  " + line if line else "" for line in inspect.cleandoc(self.doc).splitlines()),
            ]
        )
