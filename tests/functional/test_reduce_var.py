"""var and std where the correction leaves no degrees of freedom (n <= correction): PyTorch
divides by 0, warns, and its gradient is the division's (torch 2.13's values, written down
from running each case there); elsewhere the gradient is the finite differences'."""

import numpy as np
import pytest

import minicnn as mc


def test_var_and_std_gradients_match_finite_differences():
    x = mc.tensor(np.random.default_rng(61).standard_normal((3, 4)), requires_grad=True)
    for correction in (0, 1, 2):
        assert mc.gradcheck(lambda t, c=correction: t.var(1, correction=c), [x])
        assert mc.gradcheck(lambda t, c=correction: t.std((0, 1), keepdim=True, correction=c), [x])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_value_with_correction_1_is_nan_and_so_is_its_gradient(dtype):
    value = np.random.default_rng(62).standard_normal(1).astype(dtype)
    for fn in ("var", "std"):
        x = mc.tensor(value, requires_grad=True)
        with pytest.warns(UserWarning, match=rf"^{fn}: degrees of freedom n - correction = 1 - 1 <= 0"):
            y = getattr(x, fn)()
        y.backward()
        assert y.dtype == x.grad.dtype == np.dtype(dtype)
        assert np.isnan(y.item()) and np.isnan(x.grad.numpy()).all()


@pytest.mark.parametrize("correction", [3, 5])
def test_a_correction_past_n_gives_inf_and_the_gradient_of_a_division_by_zero(correction):
    a = np.random.default_rng(63).standard_normal((2, 3))
    x = mc.tensor(a, requires_grad=True)
    with pytest.warns(UserWarning, match=rf"^var: degrees of freedom n - correction = 3 - {correction} <= 0"):
        y = x.var(1, correction=correction)
    assert y.tolist() == [np.inf, np.inf]
    y.sum().backward()
    # torch: 2 (x - mean) gy / 0, so +-inf by the sign of each deviation (NaN where it is 0)
    deviation = a - a.mean(1, keepdims=True)
    np.testing.assert_array_equal(x.grad.numpy(), np.where(deviation > 0, np.inf, -np.inf))
    x.grad = None
    with pytest.warns(UserWarning, match="^std: degrees of freedom"):
        s = x.std(1, correction=correction)
    s.sum().backward()
    assert s.tolist() == [np.inf, np.inf] and np.isnan(x.grad.numpy()).all()  # 1 / (2 inf) times +-inf


def test_a_constant_row_past_its_degrees_of_freedom_is_nan_with_nan_gradient():
    x = mc.tensor(np.full((2, 2), np.random.default_rng(64).standard_normal()), requires_grad=True)
    with pytest.warns(UserWarning):
        y = x.var(0, correction=2)
    y.sum().backward()
    assert np.isnan(y.numpy()).all() and np.isnan(x.grad.numpy()).all()  # 0 / 0
