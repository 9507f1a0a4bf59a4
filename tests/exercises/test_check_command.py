"""python -m minicnn check NAME FILE.py: exit 0 on a pass, 1 on a failure, 2 on bad arguments."""

import subprocess
import sys
import textwrap

import pytest

from minicnn.__main__ import main

WRONG_COL2IM = textwrap.dedent("""
    import numpy as np

    def col2im(cols, x_shape, kernel_size, stride, padding):
        return np.zeros(x_shape)
""")


@pytest.fixture
def student_file(tmp_path):
    def write(text):
        path = tmp_path / "mine.py"
        path.write_text(text)
        return str(path)

    return write


def test_pass_exits_0(capsys):
    assert main(["check", "col2im", "minicnn/exercises/solutions.py"]) == 0
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
            ["check", "col2imm", "minicnn/exercises/solutions.py"],
            "no exercise 'col2imm'; choose one of topo_sort",
        ),
        (["check", "col2im", "no/such/file.py"], "no such file 'no/such/file.py'"),
        (
            ["check", "col2im", "README.md"],
            "expected a Python file (.py) that defines 'col2im', got 'README.md'",
        ),
    ],
)
def test_bad_arguments_exit_2(argv, says, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"python -m minicnn check: error: {says}" + err.split(says, 1)[1]
    assert err.count("\n") == 1


def test_missing_function_exits_2(student_file, capsys):
    assert main(["check", "im2col", student_file(WRONG_COL2IM)]) == 2
    assert "defines no function 'im2col'" in capsys.readouterr().err


def test_a_file_that_fails_to_load_exits_2(student_file, capsys):
    assert main(["check", "im2col", student_file("def im2col(x:\n")]) == 2
    err = capsys.readouterr().err
    assert "failed to load: SyntaxError" in err and err.count("\n") == 1


def test_an_error_at_the_top_of_the_file_names_its_line_and_debug_shows_it(student_file, capsys):
    path = student_file("def im2col(x):\n    return x\n\n\ny = undefined_name + 1\n")
    assert main(["check", "im2col", path]) == 2
    assert (
        capsys.readouterr()
        .err.rstrip()
        .endswith(
            "failed to load: NameError: name 'undefined_name' is not defined (line 5: y = undefined_name + 1)"
        )
    )
    with pytest.raises(NameError):  # --debug: the student's own traceback
        main(["check", "im2col", path, "--debug"])


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


def test_the_reference_solutions_file_passes_as_a_submission(capsys):
    """Its functions are its own code: the library rule exempts the graded function's own file."""
    assert main(["check", "lenet5_forward_backward", "minicnn/exercises/solutions.py", "--quick"]) == 0
    assert capsys.readouterr().out.startswith("lenet5_forward_backward: passed (2 cases")


def test_a_function_imported_from_minicnn_is_refused(student_file, capsys):
    path = student_file("from minicnn.exercises.solutions import col2im\n")
    assert main(["check", "col2im", path]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"python -m minicnn check: error: {path} does not define 'col2im' itself: it comes from "
    )
    assert err.rstrip().endswith("solutions.py") and err.count("\n") == 1


@pytest.mark.parametrize(
    "body, called",
    [
        (
            "from minicnn.exercises import solutions\n    return solutions.sigmoid_backward(gy, y)",
            "sigmoid_backward (",
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


def test_sys_exit_while_loading_exits_2(student_file, capsys):
    path = student_file("import sys\nsys.exit(3)\n")
    assert main(["check", "sigmoid_backward", path]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"python -m minicnn check: error: {path} called sys.exit(3) while loading; nothing was graded\n"
    )


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
