"""glu: PyTorch's numbers in float64 and float32 with inf and NaN in both halves, along each
dim; gradient checks; the shapes; bad arguments. (nn.GLU: tests/nn/test_activation2_modules.py.)"""

import numpy as np
import pytest
from fixtures.gen_activation2 import GLU

import minicnn as mc
import minicnn.functional as F

TOLERANCE = {"float64": dict(rtol=1e-7, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-7)}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(GLU))
def test_matches_pytorch_with_inf_and_nan(golden, name, dtype):
    g, key = golden("activation2"), f"{name}.{dtype}"
    _, dim = GLU[name]
    x = mc.tensor(g[f"{key}.x"], requires_grad=True)
    assert np.isinf(x.numpy()).any() and np.isnan(x.numpy()).any()
    y = F.glu(x, dim)
    y.backward(mc.tensor(g[f"{key}.gy"]))
    assert y.shape == g[f"{key}.y"].shape and y.dtype == dtype and x.grad.dtype == dtype
    np.testing.assert_allclose(y.numpy(), g[f"{key}.y"], **TOLERANCE[dtype], err_msg="y")
    np.testing.assert_allclose(x.grad.numpy(), g[f"{key}.gx"], **TOLERANCE[dtype], err_msg="gx")


@pytest.mark.parametrize(
    "shape, dim", [((3, 4), -1), ((4, 3), 0), ((2, 6, 3), 1), ((2, 2, 5), -2), ((8,), 0)]
)
def test_gradcheck(shape, dim, rng, t):
    assert mc.gradcheck(lambda x: F.glu(x, dim), [t(rng.standard_normal(shape) * 2, True)])


def test_it_is_the_first_half_gated_by_the_sigmoid_of_the_second(rng, t):
    x = t(rng.standard_normal((2, 6, 3)))
    a, b = x.numpy()[:, :3], x.numpy()[:, 3:]
    np.testing.assert_allclose(F.glu(x, 1).numpy(), a / (1 + np.exp(-b)), rtol=1e-15)
    assert F.glu(x, 1).shape == (2, 3, 3) and F.glu(t(np.zeros((2, 6, 4)))).shape == (2, 6, 2)


@pytest.mark.filterwarnings("error")
def test_a_gate_gradient_past_float32s_range_is_inf_without_a_warning():
    x = mc.tensor(np.array([3e38, 0.0], np.float32), requires_grad=True)
    F.glu(x).backward(mc.tensor(np.array([10.0], np.float32)))  # 10 * 3e38 / 4: inf, as PyTorch
    np.testing.assert_array_equal(x.grad.numpy(), np.array([5.0, np.inf], np.float32))


def test_an_empty_input_halves_too(t):
    assert F.glu(t(np.zeros((0, 4)))).shape == (0, 2)
    assert F.glu(t(np.zeros((3, 0)))).shape == (3, 0)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.glu(mc.zeros(2, 5)),
            ValueError,
            r"^glu: Halving dimension must be even, but dimension 1 is size 5; input \(2, 5\)$",
        ),
        (lambda: F.glu(mc.zeros(3, 4), 0), ValueError, "dimension 0 is size 3"),
        (lambda: F.glu(mc.tensor(1.0)), ValueError, "^glu: a 0-d tensor cannot be halved"),
        (
            lambda: F.glu(mc.zeros(2, 4), 2),
            IndexError,
            r"glu: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)",
        ),
        (lambda: F.glu(mc.zeros(2, 4), 1.0), TypeError, "glu: dim must be an int"),
        (lambda: F.glu(mc.zeros(2, 4, dtype=mc.int64)), TypeError, "glu: input must be a floating-point"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
