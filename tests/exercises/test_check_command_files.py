"""python -m minicnn check on the files a student may hand it: a function defined twice (a stub
appended after the answer), and a file or a neighbour named like a module."""

import json
import pathlib
import sys

import pytest
from submission_files import SOLUTIONS, WRONG_COL2IM

from minicnn.__main__ import main

# --- a function defined twice ---------------------------------------------------------------------------


def test_a_stub_appended_after_the_answer_is_named_next_to_not_implemented_yet(student_file, capsys):
    from minicnn import exercises

    answer = "def sigmoid_backward(gy, y):\n    return gy * y * (1 - y)\n"
    stub = exercises.stub_source("sigmoid_backward")
    path = student_file(f"import numpy as np\n\n\n{answer}\n\n{stub}")
    assert main(["check", "sigmoid_backward", path]) == 1
    assert capsys.readouterr().out == (
        "sigmoid_backward: not implemented yet: the function still raises NotImplementedError. Write its "
        f"body, then check again.\n  note: sigmoid_backward is defined twice in {path} (lines 4 and 11); "
        "the last one (line 11) is graded, and it is still a stub: delete it (or write your code there)\n"
    )
    assert main(["check", "sigmoid_backward", student_file(f"{stub}\n\n{answer}"), "--json"]) == 0
    message = json.loads(capsys.readouterr().out)["message"]
    assert message.startswith("sigmoid_backward: passed (3 cases)\n  note: sigmoid_backward is defined twice")
    second = f"{stub}\n\n".count("\n") + 1  # the answer's def: the line after the stub and two blank lines
    assert message.endswith(f"(lines 4 and {second}); the last one (line {second}) is graded")


def test_stubs_appended_with_the_file_named_import_numpy_once_and_keep_two_blank_lines(tmp_path):
    import ast

    from minicnn import exercises

    path = tmp_path / "mine.py"
    names = ("sigmoid_backward", "tanh_backward", "col2im")
    for name in names:  # as `python -c "print(exercises.stub_source(NAME, 'mine.py'))" >> mine.py`
        stub = exercises.stub_source(name, str(path))
        with open(path, "a", encoding="utf-8") as f:
            print(stub, file=f)
    text = path.read_text()
    assert text.count("import numpy as np") == 1 and text.startswith("import numpy as np\n\n\ndef ")
    assert [f.name for f in ast.parse(text).body if isinstance(f, ast.FunctionDef)] == list(names)
    assert "\n\n\n\n" not in text and text.count("\n\n\ndef ") == len(names)
    # a file of the student's own that ends without a newline, or imports numpy another way
    path.write_text("import numpy as np\nx = 1")
    assert exercises.stub_source("col2im", str(path)).startswith("\n\n\ndef col2im(")
    path.write_text("import numpy\n")
    assert exercises.stub_source("col2im", str(path)).startswith("import numpy as np\n\n\ndef col2im(")
    assert exercises.stub_source("col2im", str(tmp_path / "new.py")) == exercises.stub_source("col2im")


def test_three_definitions_are_counted(student_file, capsys):
    path = student_file(
        "def tanh_backward(gy, y):\n    return gy\n\n" * 2
        + "def tanh_backward(gy, y):\n    return gy * (1 - y * y)\n"
    )
    assert main(["check", "tanh_backward", path]) == 0
    assert capsys.readouterr().out == (
        f"tanh_backward: passed (3 cases)\n  note: tanh_backward is defined 3 times in {path} "
        "(lines 1, 4 and 7); the last one (line 7) is graded\n"
    )


# --- files named like a module ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, neighbour, says",
    [
        ("copy.py", None, "copy.py is named like Python's module 'copy', so Python would import it"),
        ("random.py", None, "rename it (my_random.py, say) and check again"),
        ("mine.py", "numpy.py", "numpy.py, beside {path}, is named like NumPy"),
        ("mine.py", "minicnn/__init__.py", "the folder minicnn, beside {path}, is named like minicnn"),
        ("mine.py", "graphlib.py", "graphlib.py, beside {path}, is named like Python's module 'graphlib'"),
    ],
)
def test_a_file_named_like_a_module_is_refused_in_one_line(name, neighbour, says, tmp_path, capsys):
    path = tmp_path / name
    path.write_text("import graphlib\n\n\n" + WRONG_COL2IM)  # graphlib: imported by the file alone
    if neighbour:
        (tmp_path / neighbour).parent.mkdir(exist_ok=True)
        (tmp_path / neighbour).write_text("raise ImportError('not the real module')\n")
    assert main(["check", "col2im", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("python -m minicnn check: error: ")
    assert says.format(path=path) in captured.err


def test_a_neighbour_named_like_a_module_nothing_imports_is_left_alone(student_file, capsys):

    assert "tabnanny" not in sys.modules  # a module of Python's that nothing here imports
    path = student_file(WRONG_COL2IM)
    pathlib.Path(path).with_name("tabnanny.py").write_text("x = 1\n")
    assert main(["check", "col2im", path]) == 1
    assert "elements of gx differ" in capsys.readouterr().out


def test_a_file_in_a_clone_beside_minicnn_itself_is_not_refused():
    from minicnn.exercises import source

    root = SOLUTIONS.parents[2]  # holds minicnn/, the package this process imported
    assert (root / "minicnn" / "__init__.py").is_file()
    assert source.shadowing(str(root / "mine.py"), None) is None


def test_a_numpy_py_in_the_current_folder_does_not_reach_the_child(
    student_file, tmp_path, monkeypatch, capsys
):
    """The child runs the file as ``python FILE.py`` does: its path starts at the file's folder,
    not at the folder the command was started from."""
    elsewhere = tmp_path / "started_here"
    elsewhere.mkdir()
    (elsewhere / "numpy.py").write_text("raise ImportError('the numpy.py of the current folder')\n")
    path = student_file(WRONG_COL2IM)
    monkeypatch.chdir(elsewhere)
    assert main(["check", "col2im", path]) == 1
    out = capsys.readouterr().out
    assert "elements of gx differ" in out and "Traceback" not in out


def test_a_child_that_fails_before_loading_the_file_says_so_in_one_line(student_file, monkeypatch, capsys):
    from minicnn.exercises import runner

    monkeypatch.setattr(
        runner,
        "_CHILD",
        "import sys; print('Traceback (most recent call last):'); "
        "print(\"AttributeError: module 'numpy' has no attribute 'random'\"); sys.exit(1)",
    )
    path = student_file(WRONG_COL2IM)
    assert main(["check", "col2im", path]) == 3
    assert capsys.readouterr().out == (
        f"the grader's child process ended before it loaded {path} (exit status 1: AttributeError: "
        "module 'numpy' has no attribute 'random'); nothing was graded\n"
    )
    assert main(["check", "col2im", path, "--debug"]) == 3
    out = capsys.readouterr().out
    assert "traceback of the error in" in out and "    Traceback (most recent call last):" in out
