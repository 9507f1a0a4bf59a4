"""mc.gradcheck itself: it passes correct backward passes and catches wrong ones, saying where."""

import re

import numpy as np
import pytest

import minicnn as mc
from minicnn import Function
from minicnn.gradcheck import GradcheckError


class ScaleMul(Function):
    """y = a * b.   ga = gy * b, gb = gy * a, except that gb is off by one at flat index 4."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        gb = gy * self.a
        gb.reshape(-1)[4] += 1.0
        return gy * self.b, gb


class Square(Function):
    """y = x^2.   gx = 2 x gy (or a wrong x gy when ``bug``)."""

    bug = False

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return gy * self.x * (1 if self.bug else 2)


class BuggySquare(Square):
    bug = True


def leaf(*shape, seed=0):
    return mc.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_correct_backward_passes():
    assert mc.gradcheck(Square.apply, [leaf(3, 2)])
    assert mc.gradcheck(Square.apply, [leaf(3, 2)], mode="random")


def test_wrong_backward_is_caught_naming_input_index_and_both_values():
    a, b = leaf(2, 3, seed=1), leaf(2, 3, seed=2)
    with pytest.raises(GradcheckError) as info:
        mc.gradcheck(ScaleMul.apply, [a, b])
    message = str(info.value)
    assert "input 1 of shape (2, 3)" in message and "1 of 6 elements differ" in message
    assert "worst at index (1, 1)" in message  # flat index 4 of a (2, 3) array
    found = re.search(r"backward (\S+), finite difference (\S+), relative error", message)
    backward, numeric = float(found[1].rstrip(",")), float(found[2].rstrip(","))
    assert backward - numeric == pytest.approx(1.0, abs=1e-6)


def test_wrong_backward_is_caught_in_random_direction_mode():
    with pytest.raises(
        GradcheckError,
        match=r"gradcheck failed for input 0 of shape \(4, 3\) along "
        r"random direction 0: backward \S+, finite difference",
    ):
        mc.gradcheck(BuggySquare.apply, [leaf(4, 3)], mode="random")


def test_raise_exception_false_returns_false():
    assert mc.gradcheck(BuggySquare.apply, [leaf(3)], raise_exception=False) is False


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)


def test_float32_input_is_refused():
    x = mc.tensor(np.ones(3, np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="gradcheck: input 0 is float32; finite differences need float64"):
        mc.gradcheck(Square.apply, [x])


def test_inputs_without_requires_grad_are_not_checked():
    x, c = leaf(3), mc.tensor(np.ones(3, np.float32))  # a float32 constant is fine
    assert mc.gradcheck(lambda a, k: a * a * k.double(), [x, c])


def test_no_output_depending_on_a_checked_input_is_an_error():
    with pytest.raises(GradcheckError, match="no output depends on an input that requires grad"):
        mc.gradcheck(lambda a: a.detach() * 2, [leaf(2)])


def test_tuple_outputs_are_all_checked():
    assert mc.gradcheck(lambda a: (a * 2, Square.apply(a)), [leaf(3)])
    with pytest.raises(GradcheckError):
        mc.gradcheck(lambda a: (a * 2, BuggySquare.apply(a)), [leaf(3)])


def test_callers_gradients_and_data_are_left_as_they_were():
    x = leaf(3)
    before = x.numpy().copy()
    x.grad = mc.tensor(np.full(3, 7.0))
    mc.gradcheck(Square.apply, [x])
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 7.0, 7.0])
    np.testing.assert_array_equal(x.numpy(), before)


class TinyModule:
    """Enough of nn.Module for gradcheck: callable, with named_parameters."""

    def __init__(self, square):
        self.weight = leaf(3, seed=7)
        self.square = square

    def named_parameters(self):
        return [("weight", self.weight)]

    def __call__(self, x):
        return self.square.apply(self.weight) * x


def test_module_parameters_are_checked_by_name():
    x = mc.tensor(np.arange(1.0, 4.0))
    assert mc.gradcheck(TinyModule(Square), [x])
    with pytest.raises(GradcheckError, match=r"gradcheck failed for parameter 'weight' of shape \(3,\)"):
        mc.gradcheck(TinyModule(BuggySquare), [x])


def test_float32_module_parameter_is_refused_with_its_name():
    module = TinyModule(Square)
    module.weight = mc.tensor(np.ones(3, np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="gradcheck: parameter 'weight' is float32"):
        mc.gradcheck(module, [mc.tensor(np.ones(3))])


@pytest.mark.parametrize("layout", ["C", "F", "transposed", "sliced"])
def test_non_contiguous_inputs_are_perturbed_in_place(layout):
    a = np.random.default_rng(31).standard_normal((4, 6))
    data = {
        "C": np.ascontiguousarray(a),
        "F": np.asfortranarray(a),
        "transposed": a.T,
        "sliced": a[::2, 1::2],
    }[layout]
    x = mc.Tensor(data, requires_grad=True)  # the array itself, not a contiguous copy
    assert mc.gradcheck(lambda t: (t * t).sum(), [x])
    assert mc.gradcheck(lambda t: (t * t).sum(), [mc.tensor(data, requires_grad=True)])
    np.testing.assert_array_equal(x.data, data)  # and restored afterwards
    with pytest.raises(GradcheckError):
        mc.gradcheck(BuggySquare.apply, [x])
