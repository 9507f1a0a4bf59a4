"""python -m minicnn check --exercises COURSE.py: a lecturer's file, imported by the grader, adds
its exercises; the student's file still runs in the child process. A course file that does not
load, registers nothing or takes a name: one line, exit status 2, no traceback unless --debug."""

import json
import textwrap

import pytest

from minicnn import exercises
from minicnn.__main__ import main

pytestmark = pytest.mark.usefixtures("kept_registry")

HINT = "d(x^2)/dx = 2x: the factor 2 is missing"


def course(seed, name="l2_backward", register="exercises.register(L2)"):
    """A lecturer's file: the exercise ``name``, its cases drawn from ``seed``."""
    return textwrap.dedent(f"""
        import numpy as np

        import minicnn as mc
        from minicnn import exercises
        from minicnn.exercises import Case, Exercise, Mistake


        def make(rng, N, D):
            return rng.standard_normal(N), rng.standard_normal((N, D))


        def expected(gy, x):
            t = mc.tensor(x, requires_grad=True)
            (t * t).sum(axis=1).backward(mc.tensor(gy))
            return t.grad.numpy()


        L2 = Exercise(
            name={name!r},
            signature="(gy, x)",
            returns=("gx",),
            teaches="the gradient of a sum of squares",
            doc="gy (N,), x (N, D) -> gx (N, D), where y[n] = sum_j x[n, j]**2.",
            make=make,
            expected=expected,
            cases=[Case({seed}, dict(N=3, D=4)), Case({seed + 1}, dict(N=1, D=5))],
            mistakes=[Mistake({HINT!r}, lambda gy, x: x * gy[:, None])],
        )
        {register}
    """)


def line_of(text, start):
    """The number of the first line of ``text`` that starts with ``start``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start))


REGISTERED_AT, DEFINED_AT = line_of(course(0), "exercises.register"), line_of(course(0), "L2 = Exercise(")
RIGHT = "def l2_backward(gy, x):\n    return 2 * x * gy[:, None]\n"
WRONG = "def l2_backward(gy, x):\n    return x * gy[:, None]\n"


@pytest.fixture
def write(tmp_path):
    def write(text, name):
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def test_a_course_exercise_passes_and_fails_as_minicnns_do(write, capsys):
    lecturer, student = write(course(300), "my_course.py"), write(RIGHT, "mine.py")
    assert main(["check", "--exercises", lecturer, "l2_backward", student]) == 0
    assert capsys.readouterr().out == "l2_backward: passed (2 cases)\n"
    assert main(["check", "--exercises", lecturer, "l2_backward", student, "--seed", "9"]) == 0
    assert capsys.readouterr().out == "l2_backward: passed (2 cases, seed 9)\n"
    assert main(["check", "--exercises", lecturer, "l2_backward", write(WRONG, "wrong.py")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("l2_backward failed on case 1 of 2 (gy (3,), x (3, 4)):\n  12 of 12 elements of gx")
    assert out.endswith(f"\n  hint: {HINT}\n") and "Traceback" not in out


def test_all_with_json_grades_the_course_exercise_and_counts_minicnns_as_skipped(write, capsys):
    own = len(exercises.names())
    lecturer = write(course(310), "my_course.py")
    assert (
        main(["check", "--exercises", lecturer, "all", write(RIGHT, "mine.py"), "--json", "--seed", "4"]) == 0
    )
    out, err = capsys.readouterr()
    (line,) = out.splitlines()
    result = json.loads(line)
    assert result["exercise"] == "l2_backward" and result["passed"] and result["seed"] == 4
    assert result["cases_total"] == result["cases_passed"] == 2
    assert err == ""  # minicnn's own exercises, skipped, get no object: only the course's would
    assert main(["check", "--exercises", lecturer, "all", write(RIGHT, "mine.py")]) == 0
    skipped = f"skipped, as {result['file']} does not define them: minicnn's own {own} exercises"
    assert capsys.readouterr().out.endswith(f"; {skipped}\n")


def test_all_names_the_course_exercises_a_file_skips(write, capsys):
    first, second = write(course(320), "week1.py"), write(course(330, name="l2_again"), "week2.py")
    student = write(RIGHT, "mine.py")
    assert main(["check", "--exercises", first, "--exercises", second, "all", student]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"{student}: 1 of 1 exercises passed; skipped, as {student} does not define them: l2_again, "
        f"minicnn's own {len(exercises.names())} exercises"
    )


def test_all_with_json_gives_an_object_for_each_course_exercise_skipped(write, capsys):
    first, second = write(course(350), "week1.py"), write(course(360, name="l2_again"), "week2.py")
    student = write(RIGHT, "mine.py")
    assert main(["check", "--exercises", first, "--exercises", second, "all", student, "--json"]) == 0
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["exercise"], r["passed"], r["step"]) for r in results] == [
        ("l2_backward", True, None),
        ("l2_again", False, "skipped"),  # minicnn's own, skipped too, get none
    ]
    assert results[1]["skipped"] == "not defined" and results[1]["status"] is None


def test_list_shows_the_course_exercise_last_without_a_notebook(write, capsys):
    assert main(["check", "--exercises", write(course(340), "my_course.py"), "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == exercises.names() + ["l2_backward"]
    assert lines[-1].split()[1] == "-" and lines[-1].endswith("  the gradient of a sum of squares")


def test_the_course_exercises_hold_for_one_command(write, capsys):
    lecturer, student = write(course(350), "my_course.py"), write(RIGHT, "mine.py")
    assert main(["check", "--exercises", lecturer, "l2_backward", student]) == 0
    assert "l2_backward" not in exercises.names()
    assert main(["check", "l2_backward", student]) == 2
    assert "no exercise 'l2_backward'" in capsys.readouterr().err
    assert main(["check", "--exercises", lecturer, "l2_backward", student]) == 0  # loads again


def test_a_file_given_twice_is_loaded_once(write, capsys):
    lecturer = write(course(360), "my_course.py")
    argv = ["check", "--exercises", lecturer, "--exercises", lecturer, "l2_backward", write(RIGHT, "mine.py")]
    assert main(argv) == 0
    assert capsys.readouterr().out == "l2_backward: passed (2 cases)\n"


def _one_error_line(capsys):
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("python -m minicnn check: error: --exercises"), err
    return err[len("python -m minicnn check: error: ") : -1]


@pytest.mark.parametrize(
    "text, says",
    [
        (
            "import numpy as np\nx = 1 / 0\n",
            "{path} failed to load: ZeroDivisionError: division by zero; at line 2: x = 1 / 0",
        ),
        ("def f(:\n", "{path} failed to load: SyntaxError: "),
        ("import sys\nsys.exit(4)\n", "{path} called sys.exit(4) while loading"),
        (
            "import numpy as np\n",
            "{path} registers no exercise: call exercises.register(ex) for each exercise it defines",
        ),
        (
            course(370, register=""),
            "{path} registers no exercise (it defines l2_backward but does not register it): call",
        ),
        (
            course(380, name="col2im"),
            f"{{path}}, line {REGISTERED_AT}: exercises.register: the name 'col2im' is taken by minicnn's "
            "own exercise (notebook 02_convolution_im2col); give yours another name, or "
            "register(ex, replace=True)",
        ),
        (
            course(390).replace('"(gy, x)"', '"gy, x"'),
            f"{{path}}, line {REGISTERED_AT}: exercises.register: l2_backward: signature must be the "
            "parameters in parentheses",
        ),
        (
            course(400).replace("    doc=", "    # doc="),
            "{path} failed to load: TypeError: Exercise.__init__() missing 1 required positional argument: "
            f"'doc'; at line {DEFINED_AT}: L2 = Exercise(",
        ),
    ],
    ids=[
        "raises",
        "syntax",
        "exits",
        "no_exercise",
        "not_registered",
        "name_taken",
        "bad_signature",
        "no_doc",
    ],
)
def test_a_course_file_that_cannot_give_exercises_is_one_line_with_status_2(text, says, write, capsys):
    lecturer = write(text, "my_course.py")
    assert main(["check", "--exercises", lecturer, "l2_backward", write(RIGHT, "mine.py")]) == 2
    assert _one_error_line(capsys).startswith("--exercises " + says.format(path=lecturer))


def test_two_course_files_with_one_name_clash(write, capsys):
    first, second = write(course(410), "week1.py"), write(course(420), "week2.py")
    assert main(["check", "--exercises", first, "--exercises", second, "--list"]) == 2
    assert _one_error_line(capsys).startswith(
        f"--exercises {second}, line {REGISTERED_AT}: exercises.register: the name 'l2_backward' is "
        f"taken by the exercise registered from {first}; "
    )


@pytest.mark.parametrize(
    "name, says",
    [
        ("no_such.py", "--exercises: no such file '{path}'"),
        ("course.txt", "--exercises expects a Python file (.py)"),
    ],
)
def test_no_course_file_is_one_line_with_status_2(name, says, write, tmp_path, capsys):
    path = str(tmp_path / name) if name == "no_such.py" else write(course(430), name)
    assert main(["check", "--exercises", path, "--list"]) == 2
    assert _one_error_line(capsys).startswith(says.format(path=path))


def test_debug_shows_the_course_files_traceback(write, capsys):
    lecturer = write("import numpy as np\n\n\ndef make():\n    return 1 / 0\n\n\nmake()\n", "my_course.py")
    assert main(["check", "--exercises", lecturer, "--list", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and f'File "{lecturer}", line 5, in make' in err
    assert err.rstrip().endswith("ZeroDivisionError: division by zero; at line 5: return 1 / 0")


def test_a_course_exercise_whose_own_code_fails_is_status_2_not_the_students_fault(write, capsys):
    lecturer = write(course(440).replace("return t.grad.numpy()", "return t.grad.numpy()[5]"), "my_course.py")
    assert main(["check", "--exercises", lecturer, "l2_backward", write(RIGHT, "mine.py")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.startswith(
        "python -m minicnn check: error: l2_backward: its expected raised IndexError on case 1 of 2"
    )


def test_a_student_calling_the_course_files_answer_runs_library_code_and_fails(write, capsys):
    lecturer = write(course(450), "my_course.py")
    student = write(
        "import my_course\n\n\ndef l2_backward(gy, x):\n    return my_course.expected(gy, x)\n", "mine.py"
    )
    assert main(["check", "--exercises", lecturer, "l2_backward", student]) == 1
    assert capsys.readouterr().out.startswith("l2_backward called library code on case 1 of 2")
