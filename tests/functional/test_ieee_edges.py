"""exp, log, sqrt, pow and sum where IEEE arithmetic gives inf or NaN: PyTorch's values, and no
NumPy RuntimeWarning, since those values are the right answers and not a fault to report.

The expected values follow from IEEE 754 (each checked against torch 2.13 when written):
e^100 overflows float32 to inf; log 0 = -inf and d/dx log x = 1/x is +-inf at +-0; the log
and square root of a negative number are NaN; 1/(2 sqrt 0) = inf; 0^-1 = inf and its
derivative -0^-2 = -inf; x ** 0.5 and x ** -0.5, as PyTorch's sqrt and rsqrt, are -0.0 and
-inf at -0.0 (their derivatives -inf), NaN at -inf; 2 * 3e38 and 3e38 + 3e38 overflow float32 to inf.
"""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

inf, nan = np.inf, np.nan

# name: (f, x, y, dy/dx), all float32
CASES = {
    "exp-overflow": (F.exp, 100.0, inf, inf),
    "exp-minus-inf": (F.exp, -inf, 0.0, 0.0),
    "log-zero": (F.log, 0.0, -inf, inf),
    "log-minus-zero": (F.log, -0.0, -inf, -inf),
    "log-negative": (F.log, -1.0, nan, -1.0),
    "log-minus-inf": (F.log, -inf, nan, -0.0),
    "log-inf": (F.log, inf, inf, 0.0),
    "sqrt-negative": (F.sqrt, -1.0, nan, nan),
    "sqrt-zero": (F.sqrt, 0.0, 0.0, inf),
    "square-overflow": (lambda x: x**2, 3e38, inf, inf),
    "reciprocal-of-zero": (lambda x: x**-1.0, 0.0, inf, -inf),
    "reciprocal-square-overflow": (lambda x: x**-1.0, 1e-30, 1e30, -inf),
    "root-of-negative": (lambda x: x**0.5, -1.0, nan, nan),
    # x ** 0.5 and x ** -0.5 are PyTorch's sqrt and rsqrt: 0.5 / sqrt(-0.0) = -inf, where
    # 0.5 * (-0.0) ** -0.5 would be inf, and sqrt(-inf) is NaN, where (-inf) ** -0.5 is 0
    "root-of-minus-zero": (lambda x: x**0.5, -0.0, -0.0, -inf),
    "root-of-minus-inf": (lambda x: x**0.5, -inf, nan, nan),
    "reciprocal-root-of-minus-zero": (lambda x: x**-0.5, -0.0, -inf, -inf),
    "reciprocal-root-of-minus-inf": (lambda x: F.pow(x, -0.5), -inf, nan, -0.0),
    "power-of-two-overflow": (lambda x: F.pow(mc.tensor(np.float32(2.0)), x), 1000.0, inf, inf),
    "div-by-zero": (lambda x: 1.0 / x, 0.0, inf, -inf),
    "sum-overflow": (lambda x: (x + mc.tensor(np.float32(0.0))).reshape(1).expand(2).sum(), 3e38, inf, 2.0),
    "sigmoid-huge": (F.sigmoid, -1e30, 0.0, 0.0),
    "tanh-huge": (F.tanh, 1e30, 1.0, 0.0),
}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", list(CASES))
def test_ieee_edge_values_are_pytorchs_without_a_warning(name):
    f, value, y_expected, g_expected = CASES[name]
    x = mc.tensor(np.float32(value), requires_grad=True)
    y = f(x)
    y.backward()
    assert y.dtype == mc.float32
    np.testing.assert_array_equal(y.numpy(), np.float32(y_expected))
    np.testing.assert_array_equal(x.grad.numpy(), np.float32(g_expected))
    if not np.isnan(g_expected):  # -0.0 and -inf: the sign too (a NaN's sign means nothing)
        assert np.signbit(x.grad.numpy()) == np.signbit(np.float32(g_expected))


@pytest.mark.filterwarnings("error")
def test_softmax_family_at_infinities_and_huge_values_warns_of_nothing():
    """Rows with inf, -inf and values near float32's limit: PyTorch's values, computed there
    by subtracting the row's max (so inf - inf is NaN in the row that holds +inf)."""
    x = mc.tensor(np.array([[-inf, 0.5, 1.5], [3e38, -3e38, 0.0], [inf, 0.0, 1.0]], np.float32))
    with mc.no_grad():
        p = F.softmax(x, dim=1).numpy()
        logp = F.log_softmax(x, dim=1).numpy()
        loss = F.cross_entropy(x[:2], mc.tensor(np.array([1, 0]))).numpy()
    np.testing.assert_allclose(p[0], [0.0, 1 / (1 + np.e), np.e / (1 + np.e)], rtol=1e-6)
    np.testing.assert_array_equal(p[1], [1.0, 0.0, 0.0])
    assert np.isnan(p[2]).all() and np.isnan(logp[2]).all()
    np.testing.assert_array_equal(logp[1], np.float32([0.0, -inf, -3e38]))
    np.testing.assert_allclose(loss, np.log1p(np.e) / 2, rtol=1e-6)  # row 1's loss is 0
