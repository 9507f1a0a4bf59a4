"""GELU, SiLU, softplus and ELU beyond the registry (test_registry.py gradchecks them and compares
them with PyTorch on normal samples): PyTorch's numbers over their whole range in float64 and
float32, no overflow where PyTorch's formulas overflow, the modules, and bad arguments."""

import collections

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

OPS = {
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "softplus": F.softplus,
    "softplus_beta2_threshold5": lambda x: F.softplus(x, 2.0, 5.0),
    "softplus_beta_negative": lambda x: F.softplus(x, -1.0),
    "elu": F.elu,
    "elu_alpha05": lambda x: F.elu(x, 0.5),
}
# float64 against PyTorch's float64; float32 against PyTorch's float32, where both round
TOLERANCE = {"float64": dict(rtol=1e-7, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-6)}
QUIET = dict(over="raise", invalid="raise", divide="raise")  # underflow to 0 is the right answer


def test_every_golden_case_has_an_op(golden):
    cases = {k.split(".")[0] for k in golden("activation") if k.endswith(".float32.x")}
    assert cases == set(OPS)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_matches_pytorch_from_minus_1e4_to_1e4(golden, name, dtype):
    """Large |x| on both sides, 0 (ELU's slope alpha there), beta x = threshold (softplus keeps
    its log there): values and gradients equal PyTorch's, the dtype kept, and no warning."""
    g, key = golden("activation"), f"{name}.{dtype}"
    x = mc.tensor(g[f"{key}.x"], requires_grad=True)
    assert x.dtype == dtype and x.numpy().min() == -1e4 and 0 in x.numpy()
    with np.errstate(**QUIET):
        y = OPS[name](x)
        y.backward(mc.tensor(g[f"{key}.gy"]))
    assert y.dtype == dtype and x.grad.dtype == dtype
    np.testing.assert_allclose(y.numpy(), g[f"{key}.y"], **TOLERANCE[dtype], err_msg="y")
    np.testing.assert_allclose(x.grad.numpy(), g[f"{key}.gx"], **TOLERANCE[dtype], err_msg="gx")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_no_overflow_where_pytorchs_formulas_overflow(dtype):
    """x^3 in GELU's tanh form and e^(beta x) under a large threshold overflow in PyTorch (its
    gradient is NaN there, its softplus inf); here they are the limits: y = x, slope 1 or 0."""
    extremes = np.array([-np.finfo(dtype).max / 4, -1e30, 1e30, np.finfo(dtype).max / 4], dtype=dtype)
    x = mc.tensor(extremes, requires_grad=True)
    with np.errstate(**QUIET):
        y = F.gelu(x, approximate="tanh")
        y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), np.maximum(extremes, 0))
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 1, 1])
    x = mc.tensor(np.array([-100.0, 50.0, 100.0, 1e30], dtype=dtype), requires_grad=True)
    with np.errstate(**QUIET):
        y = F.softplus(x, 2.0, threshold=1e6)  # beta x never passes it: log(1 + e^(2x)) / 2 throughout
        y.sum().backward()
    np.testing.assert_allclose(y.numpy(), np.maximum(x.numpy(), 0), rtol=1e-7, atol=1e-30)
    np.testing.assert_allclose(x.grad.numpy(), [0, 1, 1, 1], atol=1e-30)
    for op in (F.gelu, F.silu, F.elu, F.softplus):
        x = mc.tensor(extremes, requires_grad=True)
        with np.errstate(**QUIET):
            op(x).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 1, 1], err_msg=str(op))


def test_gelu_keeps_its_tiny_left_tail(t):
    """x Phi(x) from erfc: at x = -10 it is -7.6e-23, where 1 + erf(x / sqrt 2) is 0 in float64."""
    y = F.gelu(t([-10.0, -30.0])).numpy()
    np.testing.assert_allclose(y, [-10 * 7.619853024160527e-24, -30 * 4.906713927148187e-198], rtol=1e-13)


@pytest.mark.parametrize("op", [F.gelu, F.silu, F.softplus, F.elu])
def test_nan_stays_nan(op):
    np.testing.assert_array_equal(op(mc.tensor(np.array([np.nan, 1.0]))).numpy()[0], np.nan)


def test_the_tanh_form_is_close_to_the_exact_one(rng, t):
    x = t(rng.uniform(-6, 6, 1000))
    exact, approx = F.gelu(x).numpy(), F.gelu(x, approximate="tanh").numpy()
    assert 1e-5 < np.abs(exact - approx).max() < 1e-3  # close, and not the same function


# --- modules --------------------------------------------------------------------------------


def test_modules_match_functional_and_keep_float32(rng):
    x = mc.tensor(rng.standard_normal((2, 3, 4)).astype(np.float32))
    pairs = [
        (nn.GELU(), F.gelu),
        (nn.GELU(approximate="tanh"), lambda x: F.gelu(x, approximate="tanh")),
        (nn.SiLU(), F.silu),
        (nn.Softplus(beta=0.5, threshold=2.0), lambda x: F.softplus(x, 0.5, 2.0)),
        (nn.ELU(alpha=0.3), lambda x: F.elu(x, 0.3)),
    ]
    for module, fn in pairs:
        y = module(x)
        assert y.dtype == np.float32, module
        np.testing.assert_array_equal(y.numpy(), fn(x).numpy())


def test_module_gradcheck(rng, t):
    x = t(rng.standard_normal((3, 4)) * 2, grad=True)
    x.data[np.abs(x.data) < 0.1] = 0.5  # ELU's second derivative jumps at 0
    for module in (nn.GELU(), nn.GELU("tanh"), nn.SiLU(), nn.Softplus(2.0, 30.0), nn.ELU(0.7)):
        assert mc.gradcheck(module, [x])


@pytest.mark.parametrize(
    "module, text",
    [
        (nn.GELU(), "GELU(approximate='none')"),
        (nn.GELU(approximate="tanh"), "GELU(approximate='tanh')"),
        (nn.SiLU(), "SiLU()"),
        (nn.SiLU(inplace=True), "SiLU(inplace=True)"),
        (nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
        (nn.Softplus(2, 10), "Softplus(beta=2, threshold=10)"),
        (nn.ELU(), "ELU(alpha=1.0)"),
        (nn.ELU(0.5, inplace=True), "ELU(alpha=0.5, inplace=True)"),
    ],
)
def test_reprs_are_pytorchs(module, text):
    assert repr(module) == text


def test_bad_arguments_name_the_layer_what_it_expected_and_what_it_got():
    with pytest.raises(ValueError, match=r"^GELU: approximate must be 'none' or 'tanh', got 'erf'$"):
        nn.GELU(approximate="erf")
    with pytest.raises(ValueError, match=r"^gelu: approximate must be 'none' or 'tanh', got None$"):
        F.gelu(mc.randn(2), approximate=None)
    with pytest.raises(TypeError, match=r"^Softplus: beta must be a real number, got '2'$"):
        nn.Softplus(beta="2")
    with pytest.raises(TypeError, match=r"^softplus: threshold must be a real number, got None$"):
        F.softplus(mc.randn(2), 1.0, None)
    with pytest.raises(TypeError, match=r"^ELU: alpha must be a real number, got True$"):
        nn.ELU(alpha=True)
    with pytest.raises(TypeError, match=r"^elu: alpha must be a real number"):
        F.elu(mc.randn(2), "1")
    with pytest.raises(TypeError):
        F.gelu(mc.randn(2), "tanh")  # keyword-only, as in PyTorch


@pytest.mark.parametrize(
    "layer", [nn.GELU(), nn.SiLU(), nn.Softplus(), nn.ELU()], ids=lambda m: type(m).__name__
)
def test_integer_input_is_refused_naming_the_layer(layer):
    model = nn.Sequential(collections.OrderedDict(act=layer))
    with pytest.raises(
        TypeError,
        match=rf"^{type(layer).__name__} at 'act': x must be a floating-point tensor, got dtype int64",
    ):
        model(mc.tensor(np.ones((2, 3), dtype=np.int64)))


@pytest.mark.parametrize("name", ["elu", "softplus"])
def test_a_numpy_float64_setting_keeps_float32_values_and_gradients(name, rng):
    x = mc.tensor(rng.standard_normal(6).astype(np.float32), requires_grad=True)
    setting = np.float64(rng.uniform(0.5, 2.0))  # a NumPy scalar, as np.linspace or a config hands out
    y = getattr(F, name)(x, setting)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == np.float32
