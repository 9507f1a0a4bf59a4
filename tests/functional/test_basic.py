"""Arithmetic, elementwise math, activations and linear: behaviour beyond the registry
(whose specs test_registry.py checks against gradients, PyTorch and both dtypes)."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

# --- behaviour beyond the registry ------------------------------------------------


def test_numpy_array_on_the_left_gives_a_tensor():
    x = mc.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, mc.Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_only_requested_gradients_are_computed():
    a = mc.tensor(np.ones((2, 3)), requires_grad=True)
    b = mc.tensor(np.full((2, 3), 2.0))
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full((2, 3), 2.0))
    assert b.grad is None


def test_the_exponents_gradient_at_bases_without_a_real_log_follows_pytorch():
    """d(a**b)/db = a**b log(a): NaN where a < 0, 0 where a == 0 and b >= 0 (the limit),
    and y log(0) = inf * -inf = -inf where a == 0 and b < 0."""
    a = mc.tensor(np.array([-2.0, 0.0, 0.0, 2.0, 0.0]))
    b = mc.tensor(np.array([2.0, 2.0, 0.0, 3.0, -1.0]), requires_grad=True)
    with np.errstate(divide="ignore"):
        (a**b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [np.nan, 0.0, 0.0, 8 * np.log(2.0), -np.inf])


def test_clamp_passes_gradient_at_its_bounds():
    # PyTorch's rule: the bounds themselves are inside
    x = mc.tensor(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]), requires_grad=True)
    x.clamp(min=0.0, max=1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 1, 0])


def test_relu_and_abs_gradient_at_zero_is_zero():
    x = mc.tensor(np.array([0.0]), requires_grad=True)
    (F.relu(x) + x.abs()).sum().backward()
    assert x.grad.item() == 0.0


def test_sigmoid_does_not_overflow():
    x = mc.tensor(np.array([-1000.0, 1000.0]), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = F.sigmoid(x)
        y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [0.0, 1.0])


def test_clamp_without_bounds_raises():
    with pytest.raises(ValueError, match="clamp: at least one of min and max"):
        mc.tensor([1.0]).clamp()


def test_linear_shape_mismatch_names_both_shapes():
    x, w = mc.randn(2, 5), mc.randn(3, 4)
    with pytest.raises(
        ValueError,
        match=r"linear: x has 5 features but weight expects 4; "
        r"x \(2, 5\), weight \(3, 4\)",
    ):
        F.linear(x, w)
