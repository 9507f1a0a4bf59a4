"""python -m minicnn check NAME FILE.py: exit 0 on a pass, 1 on a wrong answer, 2 when the command
is used wrongly, 3 when the submission cannot be run; no traceback unless --debug (a function
defined twice, files named like a module: test_check_command_files.py)."""

import shutil
import subprocess
import sys

import pytest
from submission_files import SOLUTIONS, WRONG_COL2IM

from minicnn.__main__ import main


@pytest.fixture
def solutions_copy(tmp_path):
    """The reference solutions as a student's file."""
    path = tmp_path / "answers.py"
    shutil.copy(SOLUTIONS, path)
    return str(path)


def test_pass_exits_0(solutions_copy, capsys):
    assert main(["check", "col2im", solutions_copy]) == 0
    assert capsys.readouterr().out == "col2im: passed (6 cases)\n"


def test_failure_exits_1_with_the_message(student_file, capsys):
    assert main(["check", "col2im", student_file(WRONG_COL2IM)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("col2im failed on case 1 of 6 (cols (27, 18), x_shape (2, 3, 5, 5)")
    assert "Traceback" not in out


def test_stub_exits_1_not_implemented(student_file, capsys):
    from minicnn import exercises

    assert main(["check", "im2col", student_file(exercises.stub_source("im2col"))]) == 1
    assert "im2col: not implemented yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, says",
    [
        (
            ["check", "col2imm", "mine.py"],
            "no exercise 'col2imm' (did you mean col2im?); choose one of topo_sort",
        ),
        (["check", "col2imm"], "no exercise 'col2imm' (did you mean col2im?); choose one of topo_sort"),
        (
            ["check", "col2im"],
            "check needs the file that defines col2im: python -m minicnn check col2im FILE.py",
        ),
        (["check", "col2im", "no/such/file.py"], "no such file 'no/such/file.py'"),
        (
            ["check", "col2im", "README.md"],
            "expected a Python file (.py) that defines 'col2im', got 'README.md'",
        ),
        (["check", "all", "README.md"], "expected a Python file (.py) that defines the exercises' functions"),
        (["check", "col2im", "mine.py", "--seed", "-3"], "argument --seed: must be 0 or more, got -3"),
    ],
)
def test_the_command_used_wrongly_exits_2(argv, says, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m minicnn check: error: ") and says in err
    assert err.count("\n") == 1


def test_a_missing_function_exits_1_naming_the_functions_the_file_defines(student_file, capsys):
    assert main(["check", "im2col", student_file(WRONG_COL2IM)]) == 1
    assert (
        capsys.readouterr().out.rstrip().endswith("mine.py defines no function 'im2col'; it defines col2im")
    )
    renamed = student_file(WRONG_COL2IM.replace("def col2im", "def my_col2im") + "\nhelper = lambda: 0\n")
    assert main(["check", "col2im", renamed]) == 1
    assert capsys.readouterr().out.endswith("defines no function 'col2im'; it defines my_col2im, helper\n")
    assert main(["check", "all", renamed]) == 1
    assert "defines none of the exercises' functions; it defines my_col2im, helper" in capsys.readouterr().out
    assert main(["check", "col2im", student_file("import numpy as np\nx = 1\n")]) == 1
    assert capsys.readouterr().out.endswith("defines no function 'col2im'; it defines no functions\n")


@pytest.mark.parametrize(
    "text, says",
    [
        ("def im2col(x:\n", "failed to load: SyntaxError"),
        ("import no_such_module_here\n", "failed to load: ModuleNotFoundError: No module named"),
        ("import sys\nsys.exit(3)\n", "called sys.exit(3) while loading; nothing was graded"),
        ("import os\nos._exit(0)\n", "ended the grader's child process while loading (exit status 0)"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", "(killed by SIGSEGV)"),
    ],
)
def test_a_file_that_cannot_be_run_exits_3(text, says, student_file, capsys):
    assert main(["check", "im2col", student_file(text)]) == 3
    out = capsys.readouterr().out
    assert says in out and "Traceback" not in out


def test_an_error_at_the_top_of_the_file_names_its_line_and_debug_shows_the_traceback(student_file, capsys):
    path = student_file("def im2col(x):\n    return x\n\n\ny = undefined_name + 1\n")
    assert main(["check", "im2col", path]) == 3
    said = "failed to load: NameError: name 'undefined_name' is not defined; "
    said += "at line 5: y = undefined_name + 1"
    assert capsys.readouterr().out.rstrip().endswith(said)
    assert main(["check", "im2col", path, "--debug"]) == 3
    out = capsys.readouterr().out
    assert "traceback of the error in" in out and f'    File "{path}", line 5, in <module>' in out


def test_debug_shows_the_whole_traceback_of_an_error_inside_the_function(student_file, capsys):
    path = student_file(
        "def tanh_backward(gy, y):\n    return helper(gy, y)\n\n\n"
        "def helper(gy, y):\n    return gy * (1 - y * y) + undefined\n"
    )
    assert main(["check", "tanh_backward", path]) == 1
    out = capsys.readouterr().out
    assert "at line 6 of" in out and "Traceback" not in out
    assert main(["check", "tanh_backward", path, "--debug"]) == 1
    out = capsys.readouterr().out
    assert f'File "{path}", line 2, in tanh_backward' in out  # the caller's frame too
    assert f'File "{path}", line 6, in helper' in out
    assert "NameError: name 'undefined' is not defined" in out


def test_from_a_shell(student_file):
    """The real command: the failure message on stdout, status 1, no traceback anywhere."""
    done = subprocess.run(
        [sys.executable, "-m", "minicnn", "check", "col2im", student_file(WRONG_COL2IM)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "elements of gx differ" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_the_reference_solutions_pass_as_a_submission(solutions_copy, capsys):
    """With --quick, LeNet-5's cases pass and its training is skipped: no failure (exit status 0),
    but no pass in full either."""
    assert main(["check", "lenet5_forward_backward", solutions_copy, "--quick"]) == 0
    assert capsys.readouterr().out == (
        "lenet5_forward_backward: training skipped (--quick), so not passed in full; its 2 cases passed\n"
    )


def test_the_reference_solutions_are_not_installed_with_the_package():
    import importlib.util

    assert importlib.util.find_spec("minicnn.exercises.solutions") is None


def test_a_function_imported_from_minicnn_fails(student_file, capsys):
    path = student_file("from minicnn.kernels.im2col import col2im\n")
    assert main(["check", "col2im", path]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{path} does not define 'col2im' itself: it comes from ")
    assert out.rstrip().endswith("im2col.py") and out.count("\n") == 1


@pytest.mark.parametrize(
    "body, called",
    [
        (
            "from minicnn import backend\n    backend.xp_of(y)\n    return gy * y * (1 - y)",
            "backend.py)",
        ),
        (
            "import minicnn as mc\n    z = mc.tensor(np.log(y / (1 - y)), requires_grad=True)\n"
            "    (mc.functional.sigmoid(z) * mc.tensor(gy)).sum().backward()\n    return z.grad.numpy()",
            "tensor (",
        ),
    ],
)
def test_a_function_that_calls_minicnn_fails(body, called, student_file, capsys):
    path = student_file(f"import numpy as np\n\ndef sigmoid_backward(gy, y):\n    {body}\n")
    assert main(["check", "sigmoid_backward", path]) == 1
    out = capsys.readouterr().out
    assert out.startswith("sigmoid_backward called library code on case 1 of 3 (gy (5,), y (5,)): ")
    assert called in out and "Write it yourself, with NumPy" in out


def test_sys_exit_in_the_function_is_a_failure_not_a_pass(student_file, capsys):
    path = student_file("import sys\n\ndef sigmoid_backward(gy, y):\n    sys.exit(0)\n")
    assert main(["check", "sigmoid_backward", path]) == 1
    assert "sigmoid_backward called sys.exit(0) on case 1 of 3" in capsys.readouterr().out


def test_own_helpers_in_a_folder_named_torch_are_the_students_code(tmp_path, capsys):
    folder = tmp_path / "torch"
    folder.mkdir()
    (folder / "helpers.py").write_text("def local_gradient(y):\n    return y * (1 - y)\n")
    (folder / "mine.py").write_text(
        "from helpers import local_gradient\n\n\n"
        "def sigmoid_backward(gy, y):\n    return gy * local_gradient(y)\n"
    )
    assert main(["check", "sigmoid_backward", str(folder / "mine.py")]) == 0
    assert capsys.readouterr().out == "sigmoid_backward: passed (3 cases)\n"


def test_parameters_in_another_order_are_named(student_file, capsys):
    path = student_file("def conv2d_forward(x, w, b, padding, stride):\n    return x\n")
    assert main(["check", "conv2d_forward", path]) == 1
    assert (
        "conv2d_forward: your parameters (x, w, b, padding, stride) are the expected ones in another order; "
        "the grader passes them as (x, w, b, stride, padding)"
    ) in capsys.readouterr().out


def test_a_wrong_signature_is_named(student_file, capsys):
    path = student_file("def col2im(cols, x_shape):\n    return cols\n")
    assert main(["check", "col2im", path]) == 1
    assert "must take (cols, x_shape, kernel_size, stride, padding), but yours takes (cols, x_shape)" in (
        capsys.readouterr().out
    )


# --- finding the exercises --------------------------------------------------------------------------


def test_list_names_every_exercise_with_its_notebook_and_what_it_teaches(capsys):
    from minicnn import exercises

    assert main(["check", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == exercises.names()
    for line in lines:
        ex = exercises.info(line.split()[0])
        assert line.split()[1] == ex.notebook and line.endswith(f"  {ex.teaches}")


@pytest.mark.parametrize(
    "argv, says",
    [
        (["check"], "check needs an exercise and a file: python -m minicnn check NAME FILE.py"),
        (
            ["check", "col2im"],
            "check needs the file that defines col2im: python -m minicnn check col2im FILE.py",
        ),
        (["check", "--list", "col2im"], "--list takes no exercise or file"),
    ],
)
def test_check_without_its_arguments_says_how_to_list(argv, says, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1
    if "--list" not in argv:
        assert "(python -m minicnn check --list lists the exercises)" in err


def test_list_on_a_terminal_wraps_what_each_teaches_under_its_column(capsys, monkeypatch):
    import os
    import shutil
    import sys

    from minicnn import exercises

    columns = 120
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(shutil, "get_terminal_size", lambda: os.terminal_size((columns, 24)))
    assert main(["check", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= columns
    starts = [line for line in lines if not line.startswith(" ")]
    assert [line.split()[0] for line in starts] == exercises.names() and len(lines) > len(starts)
    indent = lines[0].index(exercises.info(exercises.names()[0]).teaches[:10])  # where the column starts
    assert all(line[:indent].isspace() and not line[indent].isspace() for line in lines if line not in starts)
