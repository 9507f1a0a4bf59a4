"""What a failure says: the case, the worst element, expected and got, shapes, dtypes, errors
(near the tolerance, the case in words, an exercise printed: test_messages_shown.py)."""

import numpy as np
import pytest
import solutions
from failure_message import failure

from minicnn import exercises
from minicnn.tensor import tensor


def test_names_the_case_and_the_worst_element():
    def conv2d_forward(x, w, b, stride, padding):
        y = solutions.conv2d_forward(x, w, b, stride, padding)
        if stride == 2:
            y[0, 1, 2, 1] += 1.0  # one wrong element, only on strided cases
        return y

    message = failure("conv2d_forward", conv2d_forward)
    assert "case 2 of 6 (x (2, 3, 7, 5), w (4, 3, 3, 3), b (4,), stride 2, padding 1)" in message
    assert "1 of 96 elements of y differ; the worst is y[0, 1, 2, 1]" in message
    rng = np.random.default_rng(101)  # the case's own seed: the expected value is known
    x, w, b = rng.standard_normal((2, 3, 7, 5)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    want = solutions.conv2d_forward(x, w, b, 2, 1)[0, 1, 2, 1]
    assert f"expected {want:.6g}, got {want + 1:.6g}" in message
    assert "hint" not in message


def test_wrong_shape_is_said_in_words():
    message = failure("im2col", lambda x, k, s, p: solutions.im2col(x, k, s, p).T)
    assert "cols has shape (18, 27); expected (27, 18)" in message


def test_wrong_dtype_is_said_in_words():
    message = failure("col2im", lambda *args: solutions.col2im(*args).astype(np.float32))
    assert "gx has dtype float32; expected float64" in message
    message = failure("col2im", lambda *args: solutions.col2im(*args).astype(np.int64))
    assert "gx has dtype int64" in message


def test_wrong_number_of_outputs():
    message = failure("conv2d_backward", lambda gy, x, w, s, p: solutions.conv2d_backward(gy, x, w, s, p)[:2])
    assert "expected a tuple (gx, gw, gb), got a tuple of length 2" in message


def test_none_returned():
    def col2im(cols, x_shape, kernel_size, stride, padding):
        gx = np.zeros(x_shape)
        gx += 0  # forgot the return

    assert "gx is None; expected an array of shape (2, 3, 5, 5)" in failure("col2im", col2im)


def test_an_error_inside_the_function_is_reported_with_its_case_and_line():
    def max_pool2d_backward(gy, x, kernel_size, stride):
        gx = np.zeros_like(x)
        gx[0, 0, x.shape[2], 0] = gy[0, 0, 0, 0]  # off by one
        return gx

    message = failure("max_pool2d_backward", max_pool2d_backward)
    assert message.startswith("max_pool2d_backward raised IndexError on case 1 of 6 (gy (2, 3, 3, 3)")
    assert "gx[0, 0, x.shape[2], 0] = gy[0, 0, 0, 0]" in message
    assert "Traceback" not in message


def test_a_wrong_signature_is_reported():
    message = failure("col2im", lambda cols, x_shape: None)
    assert "must take (cols, x_shape, kernel_size, stride, padding)" in message


def test_a_function_that_writes_into_an_argument_fails_naming_it():
    """The caller's arrays are not the function's: the docstrings say so, and the grader checks."""

    def softmax_cross_entropy_backward(logits, labels):
        out = solutions.softmax_cross_entropy_backward(logits, labels)
        logits[:] = 0
        return out

    message = failure("softmax_cross_entropy_backward", softmax_cross_entropy_backward)
    assert message.startswith(
        "softmax_cross_entropy_backward changed its argument logits on case 1 of 5 (logits (4, 10), "
        "labels (4,) int64 [6, 0, 5, 0]): return new arrays and leave the arguments as they were"
    )


@pytest.mark.parametrize(
    "name, fn, changed",
    [
        (
            "sgd_momentum_step",
            lambda param, grad, buf, lr, momentum, weight_decay: _sgd_in_place(
                param, grad, buf, lr, momentum
            ),
            "param",
        ),
        ("leaky_relu_backward", lambda gy, x, a: _leaky_in_place(gy, x, a), "gy"),
        (
            "lenet5_forward_backward",
            lambda params, x, labels: _lenet_in_place(params, x, labels),
            "params['conv1.bias']",
        ),
    ],
)
def test_in_place_changes_are_caught(name, fn, changed):
    assert f"{name} changed its argument {changed} on case 1 of" in failure(name, fn)


def _sgd_in_place(param, grad, buf, lr, momentum):
    buf = grad.copy() if buf is None else momentum * buf + grad
    param -= lr * buf
    return param, buf


def _leaky_in_place(gy, x, a):
    gy[x <= 0] *= a
    return gy


def _lenet_in_place(params, x, labels):
    out = solutions.lenet5_forward_backward(params, x, labels)
    params["conv1.bias"] += 1
    return out


def test_topo_sort_messages():
    message = failure("topo_sort", lambda root, inputs: [root] + [n for n in inputs if n != root])
    assert "case 4 of 5" in message and "['unused'] should not be listed" in message
    message = failure("topo_sort", lambda root, inputs: [root, root] if len(inputs) == 1 else [])
    assert "'x' appears 2 times" in message


def test_an_endless_loop_ends_at_the_time_limit_even_inside_except_exception(monkeypatch):
    from minicnn.exercises import grading

    monkeypatch.setattr(grading, "CASE_SECONDS", 0.3)

    def sigmoid_backward(gy, y):
        while True:
            try:
                pass
            except Exception:  # a student's catch-all must not swallow the time limit
                pass

    message = failure("sigmoid_backward", sigmoid_backward)
    assert message.startswith("sigmoid_backward did not finish on case 1 of 3 (gy (5,), y (5,)) within 0.3 s")


def test_own_code_never_lets_a_function_of_the_minicnn_package_run():
    """The rule lets a function run its own file's code, but never a file of the minicnn package."""
    from minicnn.kernels.reference import relu_input_grad  # (gy, y), as sigmoid_backward

    with pytest.raises(
        exercises.ExerciseFailed, match=r"sigmoid_backward called library code on case 1 of 3 .*reference\.py"
    ):
        exercises.check("sigmoid_backward", relu_input_grad, own_code=True)
    exercises.check("col2im", solutions.col2im, own_code=True)  # the reference solutions: plain NumPy


def test_own_code_is_off_by_default_and_on_when_asked():
    import minicnn as mc

    def sigmoid_backward(gy, y):
        mc.tensor(y)  # any call into minicnn
        return gy * y * (1 - y)

    exercises.check("sigmoid_backward", sigmoid_backward)
    with pytest.raises(exercises.ExerciseFailed, match="called library code on case 1 of 3"):
        exercises.check("sigmoid_backward", sigmoid_backward, own_code=True)


@pytest.mark.parametrize(
    "name, fn, says",
    [
        (
            "sigmoid_backward",
            lambda gy, y: tensor(gy * y * (1 - y)),
            "gx is a minicnn Tensor; return a NumPy array",
        ),
        (
            "sigmoid_backward",
            lambda gy, y: np.array([object()] * len(y)),
            "gx is an array of Python objects (dtype object); return a NumPy array of float64",
        ),
        (
            "sigmoid_backward",
            lambda gy, y: (gy * y * (1 - y)).tolist(),
            "gx is a Python list; return a NumPy array of float64",
        ),
        (
            "tanh_backward",
            lambda gy, y: (gy * (1 - y * y)).astype(complex),
            "gx has the complex dtype complex128; expected float64: the answer is real",
        ),
        (
            "topo_sort",
            lambda root, inputs: [[root]],
            "['x'] is not a node of the graph (the nodes are the names in inputs)",
        ),
        (
            "conv2d_macs",
            lambda *a: float(solutions.conv2d_macs(*a)),
            "macs must be an int, like 96; got the float 96.0",
        ),
        (
            "depthwise_separable_cost",
            lambda *a: [tuple(float(v) for v in pair) for pair in solutions.depthwise_separable_cost(*a)],
            "params[0] must be an int, like 432; got the float 432.0",
        ),
    ],
)
def test_a_wrong_kind_of_answer_is_named(name, fn, says):
    assert failure(name, fn).endswith(says)


def test_the_student_line_is_found_in_a_folder_named_numpy(tmp_path):
    folder = tmp_path / "numpy_course"
    folder.mkdir()
    (folder / "mine.py").write_text(
        "def sigmoid_backward(gy, y):\n    return gy * y * (1 - y) + undefined_name\n"
    )
    import importlib.util

    spec = importlib.util.spec_from_file_location("mine_in_numpy_folder", folder / "mine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    message = failure("sigmoid_backward", module.sigmoid_backward)
    assert f"at line 2 of {folder / 'mine.py'}: return gy * y * (1 - y) + undefined_name" in message


def test_a_seed_gives_other_cases_and_no_seed_the_public_ones(capsys):
    """The same function passes either way; the cases it was given differ."""
    seen = []

    def sigmoid_backward(gy, y):
        seen.append(gy.copy())
        return gy * y * (1 - y)

    exercises.check("sigmoid_backward", sigmoid_backward)
    exercises.check("sigmoid_backward", sigmoid_backward, seed=4021)
    exercises.check("sigmoid_backward", sigmoid_backward, seed=4022)
    public, first, second = seen[0:3], seen[3:6], seen[6:9]
    rng = np.random.default_rng(10)  # case 1's own seed: the pre-activation, then gy
    rng.standard_normal(5)
    assert np.array_equal(public[0], rng.standard_normal(5))
    assert all(a.shape == b.shape and not np.array_equal(a, b) for a, b in zip(public, first))
    assert not any(np.array_equal(a, b) for a, b in zip(first, second))
    assert capsys.readouterr().out.splitlines()[1] == "sigmoid_backward: passed (3 cases, seed 4021)"


@pytest.mark.parametrize("seed", [-1, 2.5, "7", True])
def test_a_bad_seed_is_refused_in_one_line(seed):
    with pytest.raises(
        ValueError, match=r"^check: seed must be a non-negative int \(a student number, say\), got "
    ):
        exercises.check("sigmoid_backward", solutions.sigmoid_backward, seed=seed)
