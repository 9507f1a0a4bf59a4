"""An answer of the wrong kind (arrays where names belong, keys that do not sort, a float where a
count belongs, a repr of megabytes or of terminal escapes) is that exercise's failure, said in a
line of bounded length with its control characters escaped; never the grader's own error."""

import dataclasses

import numpy as np
import pytest
import solutions
from failure_message import failure as message_of

from minicnn import exercises
from minicnn.__main__ import main
from minicnn.exercises import calling, grading


def failure(name, fn):
    return message_of(name, fn, quick=True)


# --- what crashed the comparison ------------------------------------------------------------------


def _with_key_zero(params, x, labels):
    logits, grads = solutions.lenet5_forward_backward(params, x, labels)
    return logits, {0: np.zeros(1), **grads}


class _Unreadable(list):
    """A list whose items cannot be read: iterating raises."""

    def __iter__(self):
        raise RuntimeError("not today")


@pytest.mark.parametrize(
    "name, fn, says",
    [
        (
            "topo_sort",
            lambda root, inputs: [np.array([1.0, 2.0])],
            "array([1., 2.]) is not a node of the graph (the nodes are the names in inputs)",
        ),
        (
            "lenet5_forward_backward",
            _with_key_zero,
            "grads should have the keys ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', "
            "'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias']; "
            "[0] should not be there",
        ),
        (
            "depthwise_separable_cost",
            lambda *a: (np.array(5), np.array([[1, 2], [3, 4]])),
            "params: expected [432, 75], got array(5)",
        ),
        (
            "depthwise_separable_cost",
            lambda *a: (np.array([[1, 2], [3, 4]]), (1, 2)),
            "params: expected [432, 75], got array([[1, 2], [3, 4]])",
        ),
        (
            "depthwise_separable_cost",
            lambda *a: (_Unreadable(), _Unreadable()),
            "params, macs is not of the kind the exercise asks for; got ([], [])",
        ),
    ],
)
def test_a_wrong_kind_of_answer_fails_that_exercise(name, fn, says):
    assert failure(name, fn).endswith(says)


def test_check_all_goes_on_past_a_wrong_kind_of_answer(student_file, capsys):
    path = student_file("""
        import numpy as np

        def topo_sort(root, inputs):
            return [np.array([1.0, 2.0])]

        def depthwise_separable_cost(c_in, c_out, k, h, w):
            return np.array(5), np.array([[1, 2], [3, 4]])

        def sigmoid_backward(gy, y):
            return gy * y * (1 - y)
    """)
    assert main(["check", "all", path]) == 1
    out = capsys.readouterr().out
    assert "  array([1., 2.]) is not a node of the graph" in out
    assert "  params: expected [432, 75], got array(5)" in out
    assert "\nsigmoid_backward: passed (3 cases)\n" in out
    assert f"{path}: 1 of 3 exercises passed" in out


def test_an_expected_answer_the_grader_cannot_compare_is_the_exercises_fault():
    """Where the right answer cannot be compared even with itself, the student is not blamed."""

    class Opaque:
        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("no array here")

    ex = dataclasses.replace(exercises.info("sigmoid_backward"), expected=lambda gy, y: Opaque())
    with pytest.raises(exercises.ExerciseBroken, match="cannot compare its own expected answer with itself"):
        grading.grade(ex, calling.in_process(ex, solutions.sigmoid_backward))


# --- the topological order: judged in linear time -----------------------------------------------


def test_an_order_longer_than_the_graph_is_refused_at_once():
    """Judged by its first entries (the names counted once, not each in the whole list)."""
    message = failure("topo_sort", lambda root, inputs: [f"n{i}" for i in range(5_000)])
    assert message.endswith(
        "'n0' is not a node of the graph (the nodes are the names in inputs); the order has 5000 "
        "entries, the graph 1 node"
    )
    message = failure("topo_sort", lambda root, inputs: [root] * 300_000)
    assert "'x' appears 300000 times: a node reached along several paths is listed once" in message


# --- bounded, escaped -----------------------------------------------------------------------------


def test_a_long_answer_is_quoted_short():
    message = failure("depthwise_separable_cost", lambda *a: (["x" * 70] * 200_000, (0, 0)))
    assert len(message) < 400 and message.endswith("...")
    message = failure("topo_sort", lambda root, inputs: [str(i) * 10_000 for i in range(1)])
    assert len(message) < 400


class _Escapes:
    def __repr__(self):
        return "\x1b[1A\x1b[2Kconv2d_macs: passed (5 cases)\x1b[8m"


@pytest.mark.parametrize("name", ["conv2d_macs", "topo_sort"])
def test_terminal_escapes_in_an_answer_are_shown_as_escapes(name):
    message = failure(name, lambda *a: _Escapes() if name == "conv2d_macs" else [_Escapes()])
    assert "\x1b" not in message
    assert "\\x1b[1A\\x1b[2Kconv2d_macs: passed (5 cases)\\x1b[8m" in message


def test_terminal_escapes_in_an_answer_from_the_child_are_escaped_too(student_file, capsys):
    path = student_file("""
        class Node:
            def __repr__(self):
                return "\\x1b[2J\\x1b[Htopo_sort: passed (5 cases)\\x1b[8m"

        def topo_sort(root, inputs):
            return [Node()]
    """)
    assert main(["check", "topo_sort", path]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\n  \\x1b[2J\\x1b[Htopo_sort: passed (5 cases)\\x1b[8m is not a node of the graph" in out


# --- the kind named -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, fn, says",
    [
        (
            "sigmoid_backward",
            lambda gy, y: (g * v * (1 - v) for g, v in zip(gy, y)),
            "gx is a generator, not an array; return a NumPy array of float64",
        ),
        (
            "tanh_backward",
            lambda gy, y: map(float, gy * (1 - y * y)),
            "gx is a map, not an array; return a NumPy array of float64",
        ),
        (
            "leaky_relu_backward",
            lambda gy, x, negative_slope: x > 0,
            "gx has dtype bool (True and False, as a comparison gives); expected float64",
        ),
    ],
)
def test_the_type_of_a_wrong_kind_of_answer_is_named(name, fn, says):
    assert failure(name, fn).endswith(says)


def test_a_float32_answer_gets_a_hint_of_its_own_not_of_a_miss():
    """The dtype is what the message names: no miss is shown, so the hint speaks of none."""
    message = failure("tanh_backward", lambda gy, y: (gy * (1 - y * y)).astype(np.float32))
    assert "gx has dtype float32; expected float64 like the inputs" in message
    assert "a miss this small" not in message
    assert message.endswith(
        "hint: float64 keeps about 16 significant digits, float32 about 7, and the grader compares "
        "with float64's. Compute in float64 throughout, as the inputs are: look for np.float32, "
        "dtype=np.float32 or .astype(np.float32)"
    )


def test_an_object_of_the_students_file_is_named_after_the_file(student_file, capsys):
    path = student_file("""
        class Everything:
            pass

        def conv2d_macs(x_shape, w_shape, stride, padding):
            return Everything()

        def sigmoid_backward(gy, y):
            return Everything()
    """)
    assert main(["check", "all", path]) == 1
    out = capsys.readouterr().out
    assert "_exercise_file" not in out
    assert "  macs: expected 96, got <mine.Everything object at 0x" in out
    assert "  gx is an Everything (from mine), not an array; return a NumPy array of float64" in out


# --- a count is an int ------------------------------------------------------------------------------


def _cost(kind):
    return lambda *a: tuple(tuple(kind(v) for v in pair) for pair in solutions.depthwise_separable_cost(*a))


@pytest.mark.parametrize(
    "name, fn",
    [
        ("conv2d_macs", lambda *a: np.int64(solutions.conv2d_macs(*a))),
        ("conv2d_macs", lambda *a: np.array(solutions.conv2d_macs(*a))),
        ("conv2d_macs", lambda *a: np.array(solutions.conv2d_macs(*a), dtype=np.int32)),
        ("depthwise_separable_cost", _cost(np.int64)),
        ("depthwise_separable_cost", _cost(np.array)),
        ("depthwise_separable_cost", lambda *a: tuple(map(np.array, solutions.depthwise_separable_cost(*a)))),
    ],
)
def test_a_count_as_a_numpy_integer_passes(name, fn, capsys):
    exercises.check(name, fn)
    assert capsys.readouterr().out.startswith(f"{name}: passed")


@pytest.mark.parametrize(
    "name, fn, says",
    [
        ("conv2d_macs", lambda *a: float(solutions.conv2d_macs(*a)), "got the float 96.0"),
        ("conv2d_macs", lambda *a: np.float64(solutions.conv2d_macs(*a)), "got the float64 96.0"),
        (
            "conv2d_macs",
            lambda *a: np.array(float(solutions.conv2d_macs(*a))),
            "got a 0-d float64 array, 96.0",
        ),
        ("depthwise_separable_cost", _cost(float), "got the float 432.0"),
        ("depthwise_separable_cost", _cost(lambda v: np.array(float(v))), "got a 0-d float64 array, 432.0"),
    ],
)
def test_a_count_as_a_float_is_refused_alike(name, fn, says):
    like = "macs must be an int, like 96" if name == "conv2d_macs" else "params[0] must be an int, like 432"
    assert failure(name, fn).endswith(f"{like}; {says}")
