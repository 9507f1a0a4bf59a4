"""var and std where the correction leaves no degrees of freedom (n <= correction): PyTorch
divides by 0, warns, and its gradient is the division's, by a rule for the whole tensor (no
dim) and another along dims; the cases are compared with torch 2.13's arrays
(tests/fixtures/gen_variance.py). Elsewhere the gradient is the finite differences'."""

import warnings

import numpy as np
import pytest
from fixtures.gen_variance import CASES, name, sample

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


def test_a_correction_of_n_along_a_dim_gives_inf_and_a_gradient_of_the_deviations_sign():
    a = np.random.default_rng(63).standard_normal((2, 3))
    x = mc.tensor(a, requires_grad=True)
    with pytest.warns(UserWarning, match=r"^var: degrees of freedom n - correction = 3 - 3 <= 0"):
        y = x.var(1, correction=3)
    assert y.tolist() == [np.inf, np.inf]
    y.sum().backward()
    # torch: 2 (x - mean) gy / 0, so +-inf by the sign of each deviation (NaN where it is 0)
    deviation = a - a.mean(1, keepdims=True)
    np.testing.assert_array_equal(x.grad.numpy(), np.where(deviation > 0, np.inf, -np.inf))
    x.grad = None
    with pytest.warns(UserWarning, match="^std: degrees of freedom"):
        s = x.std(1, correction=3)
    s.sum().backward()
    assert s.tolist() == [np.inf, np.inf] and np.isnan(x.grad.numpy()).all()  # 1 / (2 inf) times +-inf


def test_a_correction_past_n_along_a_dim_gives_a_finite_gradient_of_negative_divisor():
    """torch: 2 (x - mean) gy / (n - correction), with n - correction < 0 as it is."""
    rng = np.random.default_rng(65)
    a, gy = rng.standard_normal((2, 3)), rng.standard_normal(2)
    x = mc.tensor(a, requires_grad=True)
    with pytest.warns(UserWarning):
        y = x.var(1, correction=5)
    y.backward(gy)
    want = 2 * (a - a.mean(1, keepdims=True)) * gy[:, None] / (3 - 5)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)
    x.grad = None
    with pytest.warns(UserWarning):
        x.std(1, correction=5).backward(gy)  # gy / (2 inf) = 0 reaches var: zeros
    assert (x.grad.numpy() == 0).all()


def test_no_degrees_of_freedom_over_the_whole_tensor_gives_gy_times_inf():
    """torch, with no dim: gy * inf everywhere, the sign gy's whatever the deviation's."""
    rng = np.random.default_rng(66)
    a = rng.standard_normal((2, 3))
    for correction in (6, 8):
        x = mc.tensor(a, requires_grad=True)
        with pytest.warns(UserWarning):
            x.var(correction=correction).backward(np.float64(-0.5))
        np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), -np.inf))


def _same(got, want):
    """Equal to PyTorch's: NaN where it has NaN, inf of its sign, the sign of each zero, and the
    finite values to rounding."""
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    zero = want == 0
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))


@pytest.mark.parametrize("case", CASES, ids=name)
def test_no_degrees_of_freedom_matches_pytorch(case, golden):
    g, key = golden("variance"), name(case)
    op, shape, dim, correction, keepdim, _ = case
    a, gy = sample(case)
    np.testing.assert_array_equal(
        g[f"{key}.x"], a, err_msg="variance.npz is older than its cases; run make_golden.py variance"
    )
    x = mc.tensor(a, requires_grad=True)
    kwargs = {} if dim is None else {"dim": dim}
    with pytest.warns(UserWarning, match=rf"^{op}: degrees of freedom"):
        y = getattr(x, op)(correction=correction, keepdim=keepdim, **kwargs)
    y.backward(gy)
    _same(y.numpy(), g[f"{key}.y"])
    _same(x.grad.numpy(), g[f"{key}.gx"])


@pytest.mark.parametrize("case", CASES, ids=name)
def test_no_degrees_of_freedom_in_float32_has_pytorchs_infinities_and_nans(case, golden):
    g, key = golden("variance"), name(case)
    op, shape, dim, correction, keepdim, _ = case
    a, gy = sample(case)
    x = mc.tensor(a.astype(np.float32), requires_grad=True)
    kwargs = {} if dim is None else {"dim": dim}
    with pytest.warns(UserWarning):
        y = getattr(x, op)(correction=correction, keepdim=keepdim, **kwargs)
    y.backward(gy.astype(np.float32))
    for got, want in ((y.numpy(), g[f"{key}.y"]), (x.grad.numpy(), g[f"{key}.gx"])):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_an_empty_dim_is_the_whole_tensor_for_the_gradient_too():
    """As the forward (and PyTorch's forward): dim=() reduces everything. (torch 2.13's backward
    takes () as one element, 2 / (1 - correction), which is inf at the default correction.)"""
    a = np.random.default_rng(67).standard_normal((2, 3))
    for op, correction in (("var", 1), ("var", 7), ("std", 1), ("std", 7)):
        grads = []
        for kwargs in ({}, {"dim": ()}):
            x = mc.tensor(a, requires_grad=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                getattr(x, op)(correction=correction, **kwargs).backward()
            grads.append(x.grad.numpy())
        np.testing.assert_array_equal(*grads)


def test_a_constant_row_past_its_degrees_of_freedom_is_nan_with_nan_gradient():
    x = mc.tensor(np.full((2, 2), np.random.default_rng(64).standard_normal()), requires_grad=True)
    with pytest.warns(UserWarning):
        y = x.var(0, correction=2)
    y.sum().backward()
    assert np.isnan(y.numpy()).all() and np.isnan(x.grad.numpy()).all()  # 0 / 0


# The values below are PyTorch 2.13's for the same calls.


@pytest.mark.parametrize("value", [0.7, 0.1, -3.3])
def test_a_constant_slice_has_a_spread_of_exactly_zero_and_std_a_gradient_of_zero(value):
    x = mc.full((3, 2), value, dtype=np.float64, requires_grad=True)
    y = x.std(0)
    y.sum().backward()
    assert y.tolist() == [0.0, 0.0] and x.grad.tolist() == [[0.0, 0.0]] * 3
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert np.isnan(mc.full((2, 3), value, dtype=np.float64).var(1, correction=5).numpy()).all()


def test_float16_and_float32_are_summed_in_float64():
    assert mc.tensor(np.array([200, -200, 200, -200], np.float16)).var().item() == 53344.0
    tiny = mc.tensor(np.array([1e-20, 3e-20, 7e-20], np.float32), requires_grad=True)
    y = tiny.std()
    y.backward()
    assert y.dtype == np.float32 and tiny.grad.dtype == np.float32
    np.testing.assert_allclose(y.item(), np.std([1e-20, 3e-20, 7e-20], ddof=1), rtol=1e-6)
    np.testing.assert_allclose(tiny.grad.numpy(), [-0.4364358, -0.1091090, 0.5455447], rtol=1e-6)


def test_float32_std_is_finite_where_its_variance_overflows():
    """var([1e20, -1e20, 0]) = 1e40 is past float32's range (inf, in PyTorch too); its square
    root, taken before the cast down, is not (PyTorch 2.13's std: 1e20, gradient [0.5, -0.5, 0])."""
    x = mc.tensor(np.array([1e20, -1e20, 0.0], np.float32), requires_grad=True)
    y = x.std()
    y.backward()
    assert (y.dtype, y.item()) == (np.float32, float(np.float32(1e20)))
    assert x.var().item() == np.inf and x.grad.tolist() == [0.5, -0.5, 0.0]
    # along a dim, beside a row of ordinary values; float64's std and gy (x - m) / ((n - 1) s)
    rng = np.random.default_rng(51)
    rows = (rng.standard_normal((2, 4)) * np.array([[1e25], [1e-3]])).astype(np.float32)
    gy = rng.standard_normal(2).astype(np.float32)
    x = mc.tensor(rows, requires_grad=True)
    y = x.std(dim=1)
    y.backward(mc.tensor(gy))
    wide = rows.astype(np.float64)
    s = wide.std(axis=1, ddof=1)
    np.testing.assert_allclose(y.numpy(), s, rtol=1e-6)
    want = gy[:, None] * (wide - wide.mean(axis=1, keepdims=True)) / (3 * s[:, None])
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-5, atol=1e-7)
    # float16: a variance of 3.6e9 (its largest value: 65504), a std of 60000
    half = mc.tensor(np.array([6e4, -6e4, 0.0], np.float16), requires_grad=True)
    half.std().backward()
    assert half.grad.tolist() == [0.5, -0.5, 0.0]


def test_an_infinite_value_at_the_mean_with_no_degrees_of_freedom_has_a_nan_gradient():
    x = mc.tensor([np.inf], requires_grad=True)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        x.var().backward()
    assert np.isnan(x.grad.numpy()).all()


def test_no_values_give_nan_whatever_the_correction():
    for correction in (-1, 0, 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert np.isnan(mc.zeros(0).var(correction=correction).item())


def test_a_bool_in_dims_place_is_pytorchs_unbiased():
    x = mc.tensor([1.0, 2.0, 4.0])
    assert x.var(False).item() == pytest.approx(1.5555556) and x.var(True).item() == pytest.approx(2.3333333)
    assert mc.std(x, True).item() == pytest.approx(1.5275252)
