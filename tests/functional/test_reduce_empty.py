"""A largest or smallest value over nothing is refused in one line, as PyTorch refuses it."""

import warnings

import numpy as np
import pytest

import minicnn as mc


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: x.max(1), IndexError, r"^max: dim 1 of x, shape \(2, 0\), has size 0: nothing to reduce$"),
        (lambda x: x.min(dim=-1), IndexError, r"^min: dim 1 of x, shape \(2, 0\), has size 0"),
        (lambda x: x.amax(1), IndexError, r"^amax: dim 1 of x, shape \(2, 0\), has size 0"),
        (lambda x: x.amin((0, 1)), IndexError, r"^amin: dim 1 of x"),
        (lambda x: x.argmax(1), IndexError, r"^argmax: dim 1 of x"),
        (lambda x: x.argmin(1), IndexError, r"^argmin: dim 1 of x"),
        (lambda x: x.max(), RuntimeError, r"^max: x of shape \(2, 0\) holds no values"),
        (lambda x: x.argmax(), RuntimeError, r"^argmax: x of shape \(2, 0\) holds no values"),
        (lambda x: x.amax(), RuntimeError, r"^amax: x of shape \(2, 0\) holds no values"),
    ],
)
def test_a_largest_or_smallest_of_nothing_is_refused_in_one_line(call, error, message):
    with pytest.raises(error, match=message):
        call(mc.zeros(2, 0))


def test_reducing_a_dim_of_nonzero_size_of_an_empty_tensor_gives_an_empty_result():
    x = mc.zeros(2, 0)
    assert x.amax(0).shape == (0,) and x.max(0).indices.shape == (0,) and x.argmin(0).shape == (0,)


@pytest.mark.parametrize(
    "call, shape",
    [
        (lambda x: x.mean(0), (3,)),
        (lambda x: x.mean(), ()),
        (lambda x: x.mean((0, 1), keepdim=True), (1, 1)),
        (lambda x: mc.mean(x, 0, out=mc.zeros(0)), (3,)),
    ],
)
def test_a_mean_of_nothing_is_nan_without_numpys_warning_as_pytorch(call, shape):
    x = mc.zeros(0, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy warns "Mean of empty slice"; PyTorch says nothing
        y = call(x)
    assert y.shape == shape and np.isnan(y.numpy()).all() and y.dtype == mc.float32


def test_a_mean_of_nothing_has_an_empty_gradient_without_warning():
    x = mc.zeros(0, 3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.mean(0).sum().backward()
    assert x.grad.shape == (0, 3)
