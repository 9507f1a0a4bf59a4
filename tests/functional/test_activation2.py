"""selu, celu, mish, softsign, the shrinks and threshold: PyTorch's numbers in float64 and
float32 at and beside every edge (+-lambda, the threshold), at +-inf and NaN, the gradient
PyTorch takes at each edge, gradient checks away from them, SELU's constants, and bad
arguments. (GLU: test_glu.py; the in-place ones: test_in_place_activation.py; ``inplace``:
test_inplace_keyword.py; the layers: tests/nn/test_activation2_modules.py.)"""

import functools
import math

import numpy as np
import pytest
from fixtures.gen_activation2 import OPS

import minicnn as mc
import minicnn.functional as F
from minicnn.functional.smooth_activation import SELU_ALPHA, SELU_SCALE

CALLS = {name: functools.partial(op, F) for name, op in OPS.items()}  # the generator's calls, on minicnn
# NOTE: PyTorch's softsign and tanhshrink are compositions (x / (|x| + 1), x - tanh x) whose
# autograd gradient cancels (1/d - x sign(x)/d^2, 1 - (1 - tanh^2)): near 0 for tanhshrink and
# far out for softsign its float32 gradient is off by up to 2e-2 relative, in values below
# 2e-6; here the gradient is the derivative written out. The atol covers that difference.
TOLERANCE = {"float64": dict(rtol=1e-7, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-7)}


def test_every_golden_case_has_an_op(golden):
    names = {k.split(".")[0] for k in golden("activation2") if k.endswith(".gx") and not k.startswith("glu")}
    assert names == set(OPS)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_matches_pytorch_at_the_edges_and_at_inf_and_nan(golden, name, dtype):
    """Values and gradients equal PyTorch's over -inf, -1e4 ... 1e4, inf and NaN, the edges
    included, in the input's dtype, without a NumPy warning."""
    g, key = golden("activation2"), f"{name}.{dtype}"
    x = mc.tensor(g[f"{key}.x"], requires_grad=True)
    assert x.dtype == dtype and {-0.5, 0.5, 1.0}.issubset(x.numpy().tolist()) and np.isnan(x.numpy()).any()
    y = CALLS[name](x)
    y.backward(mc.tensor(g[f"{key}.gy"]))
    assert y.dtype == dtype and x.grad.dtype == dtype
    np.testing.assert_allclose(y.numpy(), g[f"{key}.y"], **TOLERANCE[dtype], err_msg="y")
    np.testing.assert_allclose(x.grad.numpy(), g[f"{key}.gx"], **TOLERANCE[dtype], err_msg="gx")


inf, nan = np.inf, np.nan


@pytest.mark.parametrize(
    "call, x, y, slope",
    [
        (F.hardshrink, [-0.5, 0.5, -0.6, 0.6, nan], [0, 0, -0.6, 0.6, nan], [0, 0, 1, 1, 1]),
        (lambda x: F.hardshrink(x, 2.0), [-2, 2, -2.5, 3], [0, 0, -2.5, 3], [0, 0, 1, 1]),
        (F.softshrink, [-0.5, 0.5, -0.75, 0.75, nan], [0, 0, -0.25, 0.25, nan], [0, 0, 1, 1, 1]),
        (lambda x: F.softshrink(x, 0.0), [0.0, -1.0, inf], [0, -1, inf], [0, 1, 1]),
        (lambda x: F.threshold(x, 0.25, -3.0), [0.25, 0.5, 0.0, nan], [-3, 0.5, -3, nan], [0, 1, 0, 1]),
        (lambda x: F.threshold(x, -inf, 0.0), [-inf, -1e300], [0, -1e300], [0, 1]),
        (F.selu, [0.0, nan], [0, nan], [SELU_SCALE * SELU_ALPHA, SELU_SCALE]),
        (F.celu, [0.0, nan], [0, nan], [1, 1]),
        (F.mish, [-inf, inf, nan], [nan, inf, nan], [nan, nan, nan]),
        (F.softsign, [-inf, inf, nan], [nan, nan, nan], [nan, nan, nan]),
        (F.softsign, [1e200, -1e200], [1, -1], [0, 0]),  # (1 + |x|)^2 overflows: gy / inf
        (F.tanhshrink, [-inf, inf, nan], [-inf, inf, nan], [1, 1, nan]),
    ],
    ids=["hardshrink", "hardshrink_2", "softshrink", "softshrink_0", "threshold", "threshold_inf"]
    + ["selu", "celu", "mish", "softsign", "softsign_huge", "tanhshrink"],
)
def test_values_and_slopes_at_the_edges_are_pytorchs(call, x, y, slope, t):
    """At |x| == lambda the shrinks give 0 and slope 0, at x == threshold the value and slope 0,
    NaN passes gy through each comparison, as PyTorch's; SELU's and CELU's slope at 0 is the
    negative side's; at +-inf mish's x * 0 and softsign's inf / inf are NaN, as PyTorch's."""
    xt = t(x, True)
    with np.errstate(all="raise"):
        out = call(xt)
        out.backward(np.ones(len(x)))
    np.testing.assert_allclose(out.numpy(), y, rtol=1e-15, atol=0)
    np.testing.assert_allclose(xt.grad.numpy(), slope, rtol=1e-15, atol=0)


def test_a_threshold_or_lambda_is_taken_in_the_inputs_dtype():
    """0.1 is float32's 0.1 beside a float32 x, as PyTorch converts it: x == 0.1 there is at the edge."""
    x = mc.tensor(np.float32([0.1, 0.1]), requires_grad=True)
    y = F.threshold(x, 0.1, 7.0) + F.hardshrink(x, 0.1) + F.softshrink(x, 0.1)
    y.backward(np.ones(2, np.float32))
    assert y.dtype == np.float32 and y.tolist() == [7.0, 7.0] and x.grad.tolist() == [0.0, 0.0]


def test_a_nan_gradient_stays_out_of_the_flat_parts(t):
    """Where the slope is 0 the gradient is 0 even for a NaN gy: the backward selects."""
    for call in (F.hardshrink, F.softshrink, lambda x: F.threshold(x, 1.0, 0.0)):
        x = t([0.25, -0.25], True)
        call(x).backward(np.array([nan, nan]))
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradcheck_away_from_the_edges(name, rng, t):
    x = rng.uniform(-4, 4, (4, 5))
    edges = np.array([-1.0, -0.5, 0.0, 0.1, 0.5, 1.0])
    x[np.abs(x[..., None] - edges).min(axis=-1) < 0.01] += (
        0.05  # differences across an edge measure neither side
    )
    assert mc.gradcheck(CALLS[name], [t(x, True)])


def test_mish_derivative_is_written_out(t, rng):
    """mish'(x) = tanh(sp) + x sigma(x) sech^2(sp), sp = softplus(x): against that formula in float64."""
    x = rng.uniform(-6, 6, 50)
    t_sp = np.tanh(np.log1p(np.exp(x)))
    want = t_sp + x / (1 + np.exp(-x)) * (1 - t_sp**2)
    xt = t(x, True)
    F.mish(xt).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), want, rtol=1e-13)


def test_selu_constants_are_the_papers_fixed_point():
    """Klambauer et al. 2017: for z ~ N(0, 1), E[selu(z)] = 0 and E[selu(z)^2] = 1 (section 3);
    alpha_01's closed form, -sqrt(2/pi) / (erfc(1/sqrt 2) e^(1/2) - 1), gives PyTorch's digits."""
    alpha = -math.sqrt(2 / math.pi) / (math.erfc(1 / math.sqrt(2)) * math.exp(0.5) - 1)
    assert alpha == pytest.approx(SELU_ALPHA, rel=1e-15)
    assert (SELU_ALPHA, SELU_SCALE) == (1.6732632423543772, 1.0507009873554805)
    z = np.linspace(-40, 40, 800_001)  # the normal density is 0 in float64 past |z| = 39
    density = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    y = F.selu(mc.tensor(z)).numpy()
    dz = z[1] - z[0]
    assert abs(np.sum(y * density) * dz) < 1e-9
    assert np.sum(y * y * density) * dz == pytest.approx(1.0, abs=1e-9)


def test_celu_is_elu_with_its_input_scaled(rng, t):
    """celu(x, alpha) = alpha elu(x / alpha, 1) for alpha > 0 (slope 1 at 0 for every alpha)."""
    x = t(rng.uniform(-5, 5, 40))
    for alpha in (0.3, 1.0, 2.5):
        np.testing.assert_allclose(
            F.celu(x, alpha).numpy(), alpha * F.elu(x * (1 / alpha)).numpy(), rtol=1e-14, atol=1e-15
        )
    np.testing.assert_array_equal(F.celu(x).numpy(), F.elu(x).numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_dtype_is_kept(dtype, rng):
    x = mc.tensor((rng.standard_normal((3, 4)) * 3).astype(dtype), requires_grad=True)
    for call in CALLS.values():
        x.grad = None
        y = call(x)
        y.sum().backward()
        assert y.dtype == dtype and x.grad.dtype == dtype


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.softshrink(mc.zeros(2), -0.5),
            ValueError,
            r"^softshrink: lambda must be in range \[0, 3.40282e\+38\] for input dtype float32, "
            r"but found -0.5$",
        ),
        (
            lambda: F.softshrink(mc.zeros(2), nan),
            ValueError,
            "softshrink: lambda must be in range .* found nan",
        ),
        (lambda: F.softshrink(mc.zeros(2), 1e39), ValueError, "softshrink: lambda must be in range"),
        (lambda: F.softshrink(mc.zeros(2), "1"), TypeError, "softshrink: lambd must be a real number"),
        (
            lambda: F.hardshrink(mc.zeros(2), 1e300),
            ValueError,
            "hardshrink: lambd 1e\\+300 cannot be written into a float32",
        ),
        (lambda: F.celu(mc.zeros(2), 0.0), ValueError, r"^celu: alpha cannot be 0 for CELU"),
        (lambda: F.celu(mc.zeros(2), None), TypeError, "celu: alpha must be a real number"),
        (
            lambda: F.threshold(mc.zeros(2), 0.5, 1e300),
            ValueError,
            "threshold: value 1e\\+300 cannot be written into a float32",
        ),
        (lambda: F.threshold(mc.zeros(2), -1e40, 0.0), ValueError, "threshold: threshold -1e\\+40 cannot be"),
        (lambda: F.threshold(mc.zeros(2), "a", 0.0), TypeError, "threshold: threshold must be a real number"),
        (lambda: F.threshold(mc.zeros(2)), TypeError, "missing 2 required positional arguments"),
        (
            lambda: F.selu(mc.zeros(2, dtype=mc.int64)),
            TypeError,
            "selu: input must be a floating-point tensor",
        ),
        (lambda: F.mish(np.zeros(2)), TypeError, "mish: input must be a minicnn Tensor"),
        (lambda: F.softsign(mc.zeros(2, dtype=bool)), TypeError, "softsign: input must be a floating-point"),
        (lambda: F.tanhshrink([1.0]), TypeError, "tanhshrink: input must be a minicnn Tensor"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_large_thresholds_fit_float64(t):
    """The range checks are the dtype's: 1e300 is a threshold, a value and a lambda in float64."""
    x = t([1e301, -1e301, 0.0])
    assert F.threshold(x, 1e300, 1e300).tolist() == [1e301, 1e300, 1e300]
    assert F.hardshrink(x, 1e300).tolist() == [1e301, -1e301, 0.0]
    assert F.softshrink(x, 1e300).tolist() == [1e301 - 1e300, -1e301 + 1e300, 0.0]
