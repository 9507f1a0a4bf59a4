"""relu6, hardtanh, hardsigmoid and hardswish and their layers: PyTorch's numbers in float64 and
float32 at and beside every kink, the gradient PyTorch takes at each kink, gradient checks
away from them, and bad arguments. (``inplace``: test_inplace_keyword.py.)"""

import functools
import warnings

import numpy as np
import pytest
from fixtures.gen_hard_activation import OPS

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

CALLS = {name: functools.partial(op, F) for name, op in OPS.items()}  # the generator's calls, on minicnn
TOLERANCE = {"float64": dict(rtol=1e-7, atol=1e-12), "float32": dict(rtol=1e-6, atol=1e-7)}


def test_every_golden_case_has_an_op(golden):
    assert {k.split(".")[0] for k in golden("hard_activation")} == set(OPS)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_matches_pytorch_at_and_beside_every_kink(golden, name, dtype):
    """Values and gradients equal PyTorch's, NaN included. (hardsigmoid's gradient: PyTorch
    multiplies by 1/6 rounded to float32 even in float64, 3e-8 from the 1/6 here.)"""
    g, key = golden("hard_activation"), f"{name}.{dtype}"
    x = mc.tensor(g[f"{key}.x"], requires_grad=True)
    assert x.dtype == dtype and {-3.0, 0.0, 3.0, 6.0} <= set(x.numpy().tolist())
    y = CALLS[name](x)
    y.backward(mc.tensor(g[f"{key}.gy"]))
    assert y.dtype == dtype and x.grad.dtype == dtype
    np.testing.assert_allclose(y.numpy(), g[f"{key}.y"], **TOLERANCE[dtype], err_msg="y")
    np.testing.assert_allclose(x.grad.numpy(), g[f"{key}.gx"], **TOLERANCE[dtype], err_msg="gx")


@pytest.mark.parametrize(
    "call, x, slope",
    [
        (F.relu6, [-1, 0, 3, 6, 7], [0, 0, 1, 0, 0]),
        (F.hardtanh, [-2, -1, 0, 1, 2], [0, 0, 1, 0, 0]),
        (lambda x: F.hardtanh(x, -0.5, 2.0), [-0.5, -0.25, 2.0, 2.5], [0, 1, 0, 0]),
        (lambda x: F.hardtanh(x, 1.0, 1.0), [0, 1, 2], [0, 0, 0]),
        (F.hardsigmoid, [-4, -3, 0, 3, 4], [0, 0, 1 / 6, 0, 0]),
        (F.hardswish, [-4, -3, 0, 1.5, 3, 4], [0, 0, 0.5, 1, 1, 1]),
        (F.relu6, [np.nan], [1]),
        (F.hardtanh, [np.nan], [1]),
        (F.hardsigmoid, [np.nan], [0]),
        (F.hardswish, [np.nan], [1]),
    ],
    ids=["relu6", "hardtanh", "hardtanh_bounds", "hardtanh_equal", "hardsigmoid", "hardswish"] + ["nan"] * 4,
)
def test_the_slope_at_the_kinks_is_pytorchs(call, x, slope, t):
    """The flat side's slope at each kink (hardswish: 0 at -3, 1 at 3), and at NaN what
    PyTorch's comparisons give: the gradient through, but 0 through hardsigmoid."""
    xt = t(x, True)
    call(xt).backward(np.ones(len(x)))
    np.testing.assert_array_equal(xt.grad.numpy(), slope)


def test_a_nan_gradient_stays_out_of_the_flat_parts(t):
    """Where the slope is 0 the gradient is 0, even for a NaN gy (PyTorch selects, it does not multiply)."""
    for call in (F.relu6, F.hardtanh, F.hardsigmoid, F.hardswish):
        x = t([-10.0, 10.0] if call is not F.hardswish else [-10.0, -5.0], True)
        call(x).backward(np.array([np.nan, np.nan]))
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0], err_msg=call.__name__)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_infinities_give_pytorchs_values_without_a_numpy_warning(dtype):
    """hardswish(-inf) is -inf * 0 = NaN and a float32 3e38 times 6 is inf, as in PyTorch; an
    infinite gy at x = -1.5, where hardswish's slope is 0, gives NaN there, and a float32 gy
    of 3e38 times the slope 1.47 at x = 2.9 gives inf. None of it warns."""
    x = mc.tensor(np.array([-np.inf, np.inf, 3e38, -1.5, 2.9], dtype=dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.hardswish(x)
        y.backward(mc.tensor(np.array([1.0, 1.0, 1.0, np.inf, 3e38], dtype=dtype)))
    np.testing.assert_array_equal(y.numpy()[:2], [np.nan, np.inf])
    np.testing.assert_allclose(y.numpy()[2], np.inf if dtype == np.float32 else 3e38, rtol=1e-15)
    np.testing.assert_array_equal(x.grad.numpy()[:4], [0.0, 1.0, 1.0, np.nan])
    top = np.inf if dtype == np.float32 else 3e38 * (2.9 / 3 + 0.5)
    np.testing.assert_allclose(x.grad.numpy()[4], top, rtol=1e-12)


def test_hardtanh_refuses_a_bound_its_dtype_cannot_hold_as_pytorch():
    """PyTorch converts the bounds to x's dtype and refuses an overflow: 1e300 beside float32,
    not beside float64 (and an infinite bound is a bound)."""
    with pytest.raises(ValueError, match=r"^hardtanh: max_val 1e\+300 cannot be written into a float32"):
        F.hardtanh(mc.zeros(2), -1.0, 1e300)
    with pytest.raises(ValueError, match=r"^hardtanh: min_val -1e\+40 cannot be written"):
        F.hardtanh(mc.zeros(2), -1e40, 1.0)
    assert F.hardtanh(mc.tensor([5.0, -5.0]).double(), -1.0, 1e300).tolist() == [5.0, -1.0]
    assert F.hardtanh(mc.tensor([5.0, -5.0]), -np.inf, np.inf).tolist() == [5.0, -5.0]


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradcheck_away_from_the_kinks(name, rng, t):
    x = rng.uniform(-8, 8, (4, 5))
    kinks = np.array([-3.0, -2.0, -1.0, 0.0, 0.5, 1.0, 3.0, 6.0])
    near = np.abs(x[..., None] - kinks).min(axis=-1) < 0.01
    x[near] += 0.05  # finite differences straddling a kink measure neither side
    assert mc.gradcheck(CALLS[name], [t(x, True)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_dtype_is_kept(dtype, rng):
    x = mc.tensor(rng.standard_normal((3, 4)).astype(dtype) * 4, requires_grad=True)
    for call in (F.relu6, F.hardtanh, lambda x: F.hardtanh(x, -2, 3), F.hardsigmoid, F.hardswish):
        x.grad = None
        y = call(x)
        y.sum().backward()
        assert y.dtype == dtype and x.grad.dtype == dtype


def test_hardswish_is_x_times_hardsigmoid_and_relu6_a_hardtanh(rng, t):
    x = t(rng.uniform(-8, 8, 50))
    np.testing.assert_allclose(F.hardswish(x).numpy(), x.numpy() * F.hardsigmoid(x).numpy(), rtol=1e-15)
    np.testing.assert_array_equal(F.relu6(x).numpy(), F.hardtanh(x, 0, 6).numpy())


# --- modules -------------------------------------------------------------------------------


def test_modules_match_the_functions_and_gradcheck(rng, t):
    x = t(rng.uniform(-8, 8, (2, 3, 4)), True)
    pairs = [
        (nn.ReLU6(), F.relu6),
        (nn.Hardtanh(), F.hardtanh),
        (nn.Hardtanh(-2.0, 3.0), lambda x: F.hardtanh(x, -2.0, 3.0)),
        (nn.Hardsigmoid(), F.hardsigmoid),
        (nn.Hardswish(), F.hardswish),
    ]
    for module, fn in pairs:
        np.testing.assert_array_equal(module(x).numpy(), fn(x).numpy(), err_msg=repr(module))
    assert isinstance(nn.ReLU6(), nn.Hardtanh) and (nn.ReLU6().min_val, nn.ReLU6().max_val) == (0.0, 6.0)


@pytest.mark.parametrize(
    "layer, text",  # torch 2.13's reprs
    [
        (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
        (nn.Hardtanh(0, 2, inplace=True), "Hardtanh(min_val=0, max_val=2, inplace=True)"),
        (nn.ReLU6(), "ReLU6()"),
        (nn.ReLU6(inplace=True), "ReLU6(inplace=True)"),
        (nn.Hardsigmoid(inplace=True), "Hardsigmoid()"),
        (nn.Hardswish(inplace=True), "Hardswish()"),
    ],
    ids=str,
)
def test_repr_as_pytorch(layer, text):
    assert repr(layer) == text


def test_hardtanhs_old_keywords_are_taken_with_pytorchs_warning():
    with pytest.warns(FutureWarning, match="`min_value` is deprecated and renamed to `min_val`"):
        layer = nn.Hardtanh(min_value=-2.0)
    assert (layer.min_val, layer.max_val) == (-2.0, 1.0)
    with pytest.warns(FutureWarning, match="`max_value` is deprecated"):
        assert nn.Hardtanh(max_value=3.0).max_val == 3.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Hardtanh(-2.0, 2.0)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.hardtanh(mc.zeros(2), 2.0, 1.0),
            ValueError,
            "hardtanh: min_val cannot be greater than max_val",
        ),
        (lambda: F.hardtanh(mc.zeros(2), "a"), TypeError, "hardtanh: min_val must be a real number"),
        (lambda: F.hardtanh(mc.zeros(2), -1.0, None), TypeError, "hardtanh: max_val must be a real number"),
        (
            lambda: nn.Hardtanh(1.0, 1.0),
            ValueError,
            r"Hardtanh: max_val \(1.0\) must be greater than min_val \(1.0\)",
        ),
        (lambda: nn.Hardtanh(2.0, 1.0), ValueError, r"max_val \(1.0\) must be greater than min_val \(2.0\)"),
        (lambda: F.relu6(mc.zeros(2, dtype=mc.int64)), TypeError, "relu6: input must be a floating-point"),
        (lambda: F.hardsigmoid(mc.zeros(2, dtype=mc.int64)), TypeError, "hardsigmoid: input must be"),
        (lambda: F.hardswish(np.zeros(2)), TypeError, "hardswish: input must be a minicnn Tensor"),
        (lambda: nn.Sequential(nn.Hardswish())(mc.zeros(2, dtype=bool)), TypeError, "Hardswish at '0': inp"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
