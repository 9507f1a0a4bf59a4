"""--json for a gradebook, check all FILE.py, and --seed: per-student cases."""

import json
import textwrap

import numpy as np
import pytest

from minicnn import exercises
from minicnn.__main__ import main

RIGHT_AND_WRONG = textwrap.dedent("""
    import numpy as np

    print("hello from the file")

    def sigmoid_backward(gy, y):
        return gy * y * (1 - y)

    def tanh_backward(gy, y):
        return gy * (1 - y)  # wrong
""")


def _objects(out):
    return [json.loads(line) for line in out.splitlines()]


def test_json_is_one_object_per_exercise_and_nothing_else(student_file, capsys):
    path = student_file(RIGHT_AND_WRONG)
    assert main(["check", "tanh_backward", path, "--json"]) == 1
    (result,) = _objects(capsys.readouterr().out)
    assert result == {
        "exercise": "tanh_backward",
        "file": path,
        "seed": None,
        "passed": False,
        "status": 1,
        "cases_passed": 0,
        "cases_total": 3,
        "message": result["message"],
        "step": "case 1",
        "output": "hello from the file\n",
        "hints": True,
    }
    assert result["message"].startswith("tanh_backward failed on case 1 of 3 (gy (5,), y (5,)):")


def test_json_of_a_pass(student_file, capsys):
    assert main(["check", "sigmoid_backward", student_file(RIGHT_AND_WRONG), "--json", "--seed", "12"]) == 0
    (result,) = _objects(capsys.readouterr().out)
    assert result["passed"] and result["status"] == 0 and result["step"] is None and result["seed"] == 12
    assert (result["cases_passed"], result["cases_total"]) == (3, 3)
    assert result["message"] == "sigmoid_backward: passed (3 cases, seed 12)"


def test_json_of_a_file_that_does_not_load(student_file, capsys):
    assert main(["check", "all", student_file("def f(:\n"), "--json"]) == 3
    (result,) = _objects(capsys.readouterr().out)
    assert result["exercise"] is None and result["status"] == 3 and result["step"] == "load"
    assert "failed to load: SyntaxError" in result["message"]


def test_json_of_a_timeout_names_the_case(student_file, capsys, monkeypatch):
    from minicnn.exercises import grading

    monkeypatch.setattr(grading, "CASE_SECONDS", 1.5)
    path = student_file("def tanh_backward(gy, y):\n    while True:\n        pass\n")
    assert main(["check", "tanh_backward", path, "--json"]) == 3
    (result,) = _objects(capsys.readouterr().out)
    assert (result["status"], result["step"], result["cases_passed"]) == (3, "case 1", 0)


def test_check_all_grades_what_the_file_defines_and_says_what_it_skipped(student_file, capsys):
    path = student_file(RIGHT_AND_WRONG)
    assert main(["check", "all", path]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [f"output of {path}:", "    hello from the file", "sigmoid_backward: passed (3 cases)"]
    assert out[3].startswith("tanh_backward failed on case 1 of 3")
    # the many not defined are counted, not listed (--json lists each)
    others = len(exercises.names()) - 2
    assert out[-1] == (
        f"{path}: 1 of 2 exercises passed; skipped, as {path} does not define them: "
        f"{others} exercises (check --list lists them)"
    )


def test_check_all_with_json_keeps_stdout_for_the_objects(student_file, capsys):
    """One object per exercise graded, then one per exercise skipped, saying why; nothing else."""
    path = student_file(RIGHT_AND_WRONG)
    assert main(["check", "all", path, "--json"]) == 1
    captured = capsys.readouterr()
    results = _objects(captured.out)
    assert [(r["exercise"], r["passed"]) for r in results[:2]] == [
        ("sigmoid_backward", True),
        ("tanh_backward", False),
    ]
    skipped = results[2:]
    assert [r["exercise"] for r in skipped] == [n for n in exercises.names() if n not in RIGHT_AND_WRONG]
    assert skipped[0] == {
        "exercise": "topo_sort",
        "file": path,
        "seed": None,
        "passed": False,
        "status": None,
        "cases_passed": 0,
        "cases_total": 5,
        "message": f"topo_sort: skipped, as {path} does not define it",
        "step": "skipped",
        "output": "",
        "hints": True,
        "skipped": "not defined",
    }
    assert captured.err == ""


def test_check_all_exits_0_only_when_every_graded_exercise_passed(student_file, capsys):
    path = student_file(RIGHT_AND_WRONG.split("def tanh")[0])
    assert main(["check", "all", path]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"{path}: 1 of 1 exercises passed; skipped")


def test_check_all_goes_on_after_a_crash_with_a_fresh_process(student_file, capsys):
    path = student_file(
        textwrap.dedent("""
        import os

        def sigmoid_backward(gy, y):
            os._exit(1)

        def tanh_backward(gy, y):
            return gy * (1 - y * y)
    """)
    )
    assert main(["check", "all", path, "--json"]) == 3  # the worst of 3 and 0
    results = [r for r in _objects(capsys.readouterr().out) if r["step"] != "skipped"]
    assert [(r["exercise"], r["status"]) for r in results] == [("sigmoid_backward", 3), ("tanh_backward", 0)]


def test_check_all_of_a_file_that_defines_none(student_file, capsys):
    assert main(["check", "all", student_file("x = 1\n")]) == 1
    assert "defines none of the exercises' functions" in capsys.readouterr().out


def test_a_seed_changes_the_cases_and_none_keeps_the_public_ones(student_file, capsys):
    """A file that hard-codes the public case 1's answer passes it without a seed, fails with one."""
    rng = np.random.default_rng(10)  # the public case 1 of sigmoid_backward: seed 10, shape (5,)
    rng.standard_normal(5)  # the pre-activation, drawn first
    gy = rng.standard_normal(5)
    hard_coded = f"""
import numpy as np

def sigmoid_backward(gy, y):
    if gy.shape == (5,):
        assert np.array_equal(gy, np.array({gy.tolist()!r}))
    return gy * y * (1 - y)
"""
    path = student_file(hard_coded)
    assert main(["check", "sigmoid_backward", path]) == 0
    capsys.readouterr()
    assert main(["check", "sigmoid_backward", path, "--seed", "20231234"]) == 1
    assert "raised AssertionError on case 1 of 3" in capsys.readouterr().out


def test_json_says_what_became_of_the_training(tmp_path, capsys):
    import pathlib
    import shutil

    answers = tmp_path / "answers.py"
    shutil.copy(pathlib.Path(__file__).resolve().parent / "solutions.py", answers)
    assert main(["check", "lenet5_forward_backward", str(answers), "--quick", "--json"]) == 0
    (result,) = _objects(capsys.readouterr().out)
    assert result["training"] == "skipped" and (result["cases_passed"], result["cases_total"]) == (2, 2)
    # its cases passed, and nothing failed (status 0); but the training was not run: no pass
    assert (result["passed"], result["status"], result["step"]) == (False, 0, "training")
    assert result["message"] == (
        "lenet5_forward_backward: training skipped (--quick), so not passed in full; its 2 cases passed"
    )
    wrong = tmp_path / "wrong.py"
    wrong.write_text("def lenet5_forward_backward(params, x, labels):\n    return None, None\n")
    assert main(["check", "lenet5_forward_backward", str(wrong), "--json"]) == 1
    (result,) = _objects(capsys.readouterr().out)
    assert (result["training"], result["step"]) == ("not reached", "case 1")


# --- the seed, skipped exercises, --list, names mistyped -------------------------------------------


def test_a_failure_under_a_seed_names_the_seed(student_file, capsys):
    path = student_file(RIGHT_AND_WRONG)
    assert main(["check", "tanh_backward", path, "--seed", "5"]) == 1
    assert "tanh_backward failed on case 1 of 3, seed 5 (gy (5,), y (5,)):\n" in capsys.readouterr().out
    assert main(["check", "tanh_backward", path, "--seed", "5", "--json"]) == 1
    (result,) = _objects(capsys.readouterr().out)
    assert result["seed"] == 5 and result["message"].startswith(
        "tanh_backward failed on case 1 of 3, seed 5 ("
    )


def test_a_failure_in_a_notebook_under_a_seed_names_the_seed():
    with pytest.raises(
        exercises.ExerciseFailed, match=r"^tanh_backward failed on case 1 of 3, seed 31337 \("
    ):
        exercises.check("tanh_backward", lambda gy, y: gy * (1 - y), seed=31337)


def test_json_says_why_an_exercise_was_skipped(tmp_path, capsys):
    (tmp_path / "earlier.py").write_text("def tanh_backward(gy, y):\n    return gy * (1 - y * y)\n")
    path = tmp_path / "mine.py"
    path.write_text(
        "from earlier import tanh_backward\n\ndef sigmoid_backward(gy, y):\n    return gy * y * (1 - y)\n"
    )
    assert main(["check", "all", str(path), "--json"]) == 0
    results = {r["exercise"]: r for r in _objects(capsys.readouterr().out)}
    assert results["sigmoid_backward"]["passed"] and results["sigmoid_backward"]["step"] is None
    imported = results["tanh_backward"]
    assert (imported["passed"], imported["status"], imported["step"]) == (False, None, "skipped")
    assert imported["skipped"] == f"imported from {tmp_path / 'earlier.py'}"
    assert (
        imported["message"]
        == f"tanh_backward: skipped, as {path} does not define it (it comes from {tmp_path / 'earlier.py'})"
    )
    assert results["col2im"]["skipped"] == "not defined"
    assert set(results) == set(exercises.names())


def test_the_summary_names_the_exercises_a_file_imports_and_counts_the_rest(tmp_path, capsys):
    (tmp_path / "earlier.py").write_text("def tanh_backward(gy, y):\n    return gy * (1 - y * y)\n")
    path = tmp_path / "mine.py"
    path.write_text(
        "from earlier import tanh_backward\n\ndef sigmoid_backward(gy, y):\n    return gy * y * (1 - y)\n"
    )
    assert main(["check", "all", str(path)]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    others = len(exercises.names()) - 2
    assert last == (
        f"{path}: 1 of 1 exercises passed; skipped, as {path} does not define them: {others} exercises "
        f"(check --list lists them), tanh_backward (from {tmp_path / 'earlier.py'})"
    )


def test_a_file_given_where_the_exercise_goes_is_pointed_to_check_all(capsys):
    assert main(["check", "right.py"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "python -m minicnn check: error: no exercise 'right.py': the exercise comes first, then the file: "
        "python -m minicnn check all right.py (every exercise it defines)\n"
    )
    assert main(["check", "right.py", "col2im"]) == 2
    assert capsys.readouterr().err.endswith("then the file: python -m minicnn check col2im right.py\n")


def test_list_with_json_is_one_object_per_exercise(capsys):
    assert main(["check", "--list", "--json"]) == 0
    listed = _objects(capsys.readouterr().out)
    assert [r["exercise"] for r in listed] == exercises.names()
    assert listed[0] == {
        "exercise": "topo_sort",
        "signature": "(root, inputs)",
        "returns": ["order"],
        "notebook": "01_autograd_from_scratch",
        "teaches": "why backward() visits the graph in reverse topological order",
        "cases": 5,
        "training": False,
    }
    assert [r["exercise"] for r in listed if r["training"]] == ["lenet5_forward_backward"]


def test_a_mistyped_name_gets_the_nearest_exercise():
    with pytest.raises(KeyError, match=r"no exercise 'col2img' \(did you mean col2im\?\); the exercises are"):
        exercises.info("col2img")
    with pytest.raises(KeyError, match=r"^\"no exercise 'zzz'; the exercises are"):
        exercises.info("zzz")


def test_check_all_quick_counts_lenet_as_not_passed_in_full(tmp_path, capsys):
    """The status says whether anything failed: 0 for right answers under --quick, though the
    summary does not count LeNet-5 as passed; 1 as soon as one answer is wrong."""
    import pathlib
    import shutil

    answers = tmp_path / "answers.py"
    shutil.copy(pathlib.Path(__file__).resolve().parent / "solutions.py", answers)
    wrong = tmp_path / "wrong.py"
    wrong.write_text(answers.read_text() + "\n\ndef sigmoid_backward(gy, y):\n    return gy * y\n")
    assert main(["check", "all", str(wrong), "--quick"]) == 1
    capsys.readouterr()
    assert main(["check", "all", str(answers), "--quick"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    total = len(exercises.names())
    assert last == (
        f"{answers}: {total - 1} of {total} exercises passed (lenet5_forward_backward: training skipped "
        "by --quick, so not in full)"
    )
