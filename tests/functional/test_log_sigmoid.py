"""logsigmoid and softmin beyond the golden cases of tests/fixtures/gen_layers.py: the stable
form at large |x| in both dtypes, softmin as softmax(-x), its dtype and implicit dim."""

import warnings

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

# PyTorch's values in float64 (from its log_sigmoid kernel)
EDGES = {
    -1000.0: -1000.0,
    -50.0: -50.0,
    -1.0: -1.3132616875182228,
    0.0: -0.6931471805599453,
    50.0: -1.9287498479639178e-22,
    1000.0: 0.0,
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logsigmoid_is_finite_and_exact_at_large_magnitudes(dtype):
    x = mc.tensor(np.array(list(EDGES), dtype=dtype), requires_grad=True)
    y = F.logsigmoid(x)
    assert y.dtype == dtype
    np.testing.assert_allclose(
        y.numpy(), np.array(list(EDGES.values()), dtype=dtype), rtol=1e-6 if dtype == np.float32 else 1e-15
    )
    y.sum().backward()
    # the slope is 1 - sigmoid(x): 1 far left, 0 far right, 1/2 at 0, never NaN
    np.testing.assert_allclose(x.grad.numpy()[[0, 3, 5]], [1.0, 0.5, 0.0])


def test_softmin_is_softmax_of_minus_x(rng):
    x = mc.tensor(rng.standard_normal((3, 4, 2)))
    for dim in (0, 1, -1):
        np.testing.assert_array_equal(F.softmin(x, dim).numpy(), F.softmax(-x, dim).numpy())
    assert F.softmin(x.float(), 1, dtype=np.float64).dtype == np.float64
    assert F.softmin(mc.tensor([0.0, 0.0, 1000.0]), dim=0).tolist() == [0.5, 0.5, 0.0]


def test_softmin_without_dim_warns_and_takes_pytorchs_choice(rng):
    x = mc.tensor(rng.standard_normal((3, 4)))
    with pytest.warns(UserWarning, match=r"softmin: implicit dimension choice is deprecated"):
        y = F.softmin(x)
    np.testing.assert_array_equal(y.numpy(), F.softmin(x, 1).numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.softmin(x, 0)


@pytest.mark.parametrize("dim", [0, -1, None])
def test_softmin_of_a_0d_tensor_is_one(dim):
    """PyTorch's: a 0-d x is one value, weight 1, gradient -0.0 (the implicit dim is 0)."""
    x = mc.tensor(np.float64(-3.5), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if dim is None else "error")
        y = F.softmin(x, dim)
    y.backward(mc.tensor(2.0))
    assert y.shape == () and y.item() == 1.0
    assert x.grad.item() == 0.0 and np.signbit(x.grad.numpy())


def test_softmin_refuses_an_integer_dtype_before_casting(rng):
    """PyTorch's softmax has no integer kernels; the dtype is refused before a cast of NaN
    to int64 could warn. A float64 past float32's range cast to float32 is inf, silently."""
    x = rng.standard_normal(4)
    x[0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match=r"^softmin: dtype must be a floating-point dtype, got int64"):
            F.softmin(mc.tensor(x), 0, dtype=mc.int64)
        x[0] = 1e300
        y = F.softmin(mc.tensor(x), 0, dtype=mc.float32)
    assert y.dtype == np.float32 and y.numpy()[0] == 0.0


def test_logsigmoids_gradient_of_an_infinite_gy_on_a_flat_part_is_nan_silently():
    """gy sigmoid(-x) with sigmoid(-1000) = 0 and gy = inf: NaN, as PyTorch's, without a warning."""
    x = mc.tensor([1000.0, 0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.logsigmoid(x).backward(mc.tensor([np.inf, 1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [np.nan, 0.5])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.logsigmoid(mc.tensor([1, 2])),
            TypeError,
            r"^logsigmoid: input must be a floating-point tensor",
        ),
        (lambda: F.logsigmoid(np.zeros(2)), TypeError, r"input must be a minicnn Tensor"),
        (
            lambda: F.softmin(mc.tensor([1, 2]), 0),
            TypeError,
            r"^softmin: input must be a floating-point tensor",
        ),
        (lambda: F.softmin(mc.zeros(2, 3), 2), IndexError, r"dimension out of range"),
    ],
)
def test_bad_input_is_refused_in_one_line(call, error, message):
    with pytest.raises(error, match=message):
        call()
