"""The arguments of ``python -m minicnn check`` (cli_check.py runs the command)."""

from .cli_common import non_negative_int


def add_parser(sub, parents=()):
    c = sub.add_parser(
        "check",
        parents=list(parents),
        help="grade an exercise: the function NAME in FILE.py (or all that FILE.py defines)",
    )
    c.add_argument(
        "name",
        nargs="?",
        help="the exercise, e.g. col2im (--list lists them), or all: every exercise whose function "
        "FILE.py defines",
    )
    c.add_argument("file", nargs="?", help="the Python file that defines it")
    c.add_argument(
        "--list",
        action="store_true",
        help="list the exercises, one a line: its name, its notebook and what it teaches",
    )
    c.add_argument(
        "--exercises",
        action="append",
        metavar="COURSE.py",
        help="a lecturer's file of exercises, imported here (trusted code) where it registers them "
        "with exercises.register; may be given more than once",
    )
    c.add_argument(
        "--quick",
        action="store_true",
        help="skip the slow part (LeNet-5's training, which then does not pass in full)",
    )
    c.add_argument(
        "--no-hints",
        dest="hints",
        action="store_false",
        help="name no known mistake in a failure, for marked work (what is wrong is still said)",
    )
    c.add_argument(
        "--seed",
        type=non_negative_int,
        metavar="N",
        help="draw every case's numbers from N (a student number, say) and the case's own seed "
        "(default: the public cases)",
    )
    c.add_argument(
        "--json",
        action="store_true",
        help="one JSON object a line per exercise on stdout (exercise, file, seed, passed, status, "
        "cases_passed, cases_total, message, step, output, hints), one for each exercise check all "
        "skips, and nothing else there; LeNet-5's training says what it does on stderr. With "
        "--list: one object per exercise",
    )
