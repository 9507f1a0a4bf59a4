"""How a failure shows what it found: the digits that differ near the tolerance, the float32
hint, the case in words, and an exercise printed as its signature, notebook and math."""

import re

import numpy as np
import pytest
import solutions
from failure_message import failure

from minicnn import exercises

# --- near the tolerance -------------------------------------------------------------------------


def test_a_miss_near_the_tolerance_shows_the_digits_that_differ_and_the_tolerance():
    def sigmoid_backward(gy, y):
        return gy * y * (1 - y) * (1 + 3e-6)  # off by 3e-6, relative: three times the tolerance

    message = failure("sigmoid_backward", sigmoid_backward)
    expected, got = re.search(r"expected (\S+), got (\S+) \(off by", message).groups()
    assert expected != got and len(expected.lstrip("-")) == len(got.lstrip("-"))
    assert float(got) / float(expected) - 1 == pytest.approx(3e-6, abs=2e-7)  # enough digits to see it
    assert re.search(
        r"\(off by \S+, relative error 3e-06; the tolerance here is 1e-08 \+ 1e-06 \* \|expected\| = \S+\)",
        message,
    )
    # float64 work, off by a factor: not float32's miss, which leans the way its rounding does
    assert "hint" not in message


def test_float32_values_returned_as_float64_get_the_float32_hint():
    """Summed in float32, then cast back: the misses are larger (cancellation), the hint the same."""

    def col2im(cols, x_shape, kernel_size, stride, padding):
        gx = solutions.col2im(cols.astype(np.float32), x_shape, kernel_size, stride, padding)
        return gx.astype(np.float64)

    message = failure("col2im", col2im)
    assert "elements of gx differ" in message and "compute in float64 throughout" in message.lower()


def test_a_large_miss_says_nothing_of_the_tolerance_or_float32():
    message = failure("tanh_backward", lambda gy, y: gy * (1 - y * y) * 1.01)
    assert "tolerance" not in message and "float32" not in message


def test_a_known_mistake_hint_comes_before_the_float32_one():
    import dataclasses

    from minicnn.exercises import calling, grading

    mistake = exercises.Mistake("the known mistake", lambda gy, y: gy * y * (1 - y) * (1 + 3e-6))
    ex = dataclasses.replace(exercises.info("sigmoid_backward"), mistakes=[mistake])
    with pytest.raises(exercises.ExerciseFailed) as info:
        grading.grade(ex, calling.in_process(ex, mistake.compute))
    assert str(info.value).endswith("\n  hint: the known mistake") and "float32" not in str(info.value)


@pytest.mark.parametrize(
    "expected, got, shown",
    [
        (-3.19598, 0.930167, ("-3.19598", "0.930167")),  # far apart: 6 digits
        (-0.020133024, -0.020132883, ("-0.02013302", "-0.02013288")),  # 6 digits would print them alike
        (5.0, 5.00001, ("5.0000000", "5.0000100")),  # trailing zeros kept: the same number of digits
        (0.0, 1e-9, ("0", "1e-09")),
    ],
)
def test_values_are_shown_with_the_digits_that_tell_them_apart(expected, got, shown):
    from minicnn.exercises.comparing import _apart

    assert _apart(expected, got) == shown


# --- the case, in words ---------------------------------------------------------------------------


def test_a_small_graph_is_shown_whole_and_a_large_one_counted():
    message = failure("topo_sort", lambda root, inputs: [root])
    assert "topo_sort failed on case 2 of 5 (root 'c', inputs {'c': ['b'], 'b': ['a'], 'a': []}):" in message
    message = failure(
        "topo_sort", lambda root, inputs: [] if len(inputs) > 10 else solutions.topo_sort(root, inputs)
    )
    assert "failed on case 5 of 5 (root 'n0', inputs (16 entries)):" in message


def test_a_dict_of_arrays_is_counted_not_shown():
    from minicnn.exercises.grading import describe

    assert describe(["params", "n"], [{"w": np.zeros(2)}, 3]) == "params (1 entry), n 3"
    assert describe(["labels"], [np.arange(12)]) == "labels (12,) int64"  # too many to show


# --- an exercise, printed -------------------------------------------------------------------------


def test_an_exercise_prints_as_its_signature_notebook_and_math():
    ex = exercises.info("col2im")
    assert repr(ex) == (
        "<Exercise col2im(cols, x_shape, kernel_size, stride, padding) -> gx, notebook 02_convolution_im2col>"
    )
    lines = str(ex).splitlines()
    assert lines[0] == "col2im(cols, x_shape, kernel_size, stride, padding) -> gx"
    assert lines[1] == "  notebook 02_convolution_im2col; 6 cases"
    assert lines[2] == f"  teaches: {ex.teaches}"
    assert lines[4].startswith("  cols (C*k*k, N*OH*OW) laid out as im2col's") and "0x" not in str(ex)
    assert "; 2 cases, then training" in str(exercises.info("lenet5_forward_backward"))


def test_a_notebook_shows_the_message_and_the_students_frames_not_the_graders():
    """IPython renders an exception through its _render_traceback_ where it has one."""

    def col2im(cols, x_shape, kernel_size, stride, padding):
        return np.zeros(x_shape)

    with pytest.raises(exercises.ExerciseFailed) as wrong:
        exercises.check("col2im", col2im)
    assert wrong.value._render_traceback_() == [f"ExerciseFailed: {wrong.value}"]

    def raising(cols, x_shape, kernel_size, stride, padding):
        return cols[99]

    with pytest.raises(exercises.ExerciseFailed) as raised:
        exercises.check("col2im", raising)
    lines = raised.value._render_traceback_()
    assert lines[-1] == f"ExerciseFailed: {raised.value}" and "IndexError" in lines[-1]
    shown = "\n".join(lines[:-1])
    assert "return cols[99]" in shown and "grading.py" not in shown and "calling.py" not in shown


def test_a_notebook_pass_that_runs_library_code_says_the_command_would_fail_it(capsys):
    import minicnn as mc
    import minicnn.functional as F

    def conv2d_forward(x, w, b, stride, padding):
        return F.conv2d(mc.tensor(x), mc.tensor(w), mc.tensor(b), stride=stride, padding=padding).numpy()

    exercises.check("conv2d_forward", conv2d_forward)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "conv2d_forward: passed (6 cases)"
    assert out[1].startswith("  note: it runs library code, ") and "python -m minicnn check" in out[1]
    with pytest.raises(exercises.ExerciseFailed, match="called library code"):
        exercises.check("conv2d_forward", conv2d_forward, own_code=True)

    def sigmoid_backward(gy, y):  # the student's own NumPy: no note
        return gy * y * (1 - y)

    capsys.readouterr()
    exercises.check("sigmoid_backward", sigmoid_backward)
    assert capsys.readouterr().out == "sigmoid_backward: passed (3 cases)\n"


def test_the_docs_name_the_exercises_whose_public_cases_catch_float32_work(capsys):
    """docs/exercises.md lists the exercises the reference solutions, computed in float32 throughout,
    fail on the public cases, and those they pass: both lists as the grader has them."""
    import contextlib
    import io
    import pathlib

    page = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "exercises.md").read_text()
    text = " ".join(page.split())
    fail = re.search(r"fail the public cases of (.*?), and pass those of", text).group(1)
    passing = re.search(r"and pass those of (.*?), and land on either side", text).group(1)
    either = re.search(r"float32 sums, on those of (.*?) \(under `--seed`", text).group(1)

    def named(words):
        return set(re.findall(r"`(\w+)`", words))

    def in_float32(fn):
        def cast(value):
            return (
                value.astype(np.float32)
                if isinstance(value, np.ndarray) and value.dtype == np.float64
                else value
            )

        def run(*args):
            args = [{k: cast(v) for k, v in a.items()} if isinstance(a, dict) else cast(a) for a in args]
            out = fn(*args)
            if isinstance(out, tuple):
                return tuple(
                    {k: v.astype(np.float64) for k, v in o.items()}
                    if isinstance(o, dict)
                    else o.astype(np.float64)
                    for o in out
                )
            return out.astype(np.float64)

        return run

    caught, passed = set(), set()
    for name in exercises.names():
        if exercises.info(name).returns[0] in ("order", "macs", "params", "r"):  # no floats to round
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
                exercises.check(name, in_float32(getattr(solutions, name)), quick=True)
            passed.add(name)
        except exercises.ExerciseFailed:
            caught.add(name)
    # an exercise whose float32 miss lies near the tolerance passes or fails with the BLAS kernel
    assert (named(fail), named(passing)) == (caught - named(either), passed - named(either))
