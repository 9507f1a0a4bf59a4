"""Max, average and adaptive pooling kernels: every fast tier equals the reference loops.

Same dtype, two kernels: float64 to 1e-10 and float32 to 1e-5, relative to
the array's largest value (kernel_checks.close); maxima and argmax exactly, NaN
and -inf as PyTorch has them. Also: the xp code on CuPy arrays.
"""

import numpy as np
import pytest
from conv_pool_cases import ADAPTIVE, DTYPES, FAST, POOL
from kernel_checks import close

from minicnn import kernels
from minicnn.kernels import reference, xp_pool


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tier", FAST)
@pytest.mark.parametrize("name", sorted(POOL))
def test_pool_tiers_equal_reference(name, tier, dtype, rng, distinct):
    K = kernels.get(tier)
    shape, *window = POOL[name]
    x = distinct(rng, shape, dtype)
    y, argmax = K.max_pool2d_forward(x, *window)
    y_ref, argmax_ref = reference.max_pool2d_forward(x, *window)
    np.testing.assert_array_equal(y, y_ref)  # a maximum is picked, not computed
    np.testing.assert_array_equal(argmax, argmax_ref)
    gy = rng.standard_normal(y.shape).astype(dtype)
    close(
        K.max_pool2d_input_grad(gy, argmax, shape), reference.max_pool2d_input_grad(gy, argmax, shape), dtype
    )
    for count_include_pad in (True, False):
        close(
            K.avg_pool2d_forward(x, *window, count_include_pad),
            reference.avg_pool2d_forward(x, *window, count_include_pad),
            dtype,
        )
        close(
            K.avg_pool2d_input_grad(gy, shape, *window, count_include_pad),
            reference.avg_pool2d_input_grad(gy, shape, *window, count_include_pad),
            dtype,
        )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tier", FAST)
@pytest.mark.parametrize("name", sorted(ADAPTIVE))
def test_adaptive_tiers_equal_reference(name, tier, dtype, rng):
    K = kernels.get(tier)
    shape, out = ADAPTIVE[name]
    x = rng.standard_normal(shape).astype(dtype)
    close(K.adaptive_avg_pool2d_forward(x, out), reference.adaptive_avg_pool2d_forward(x, out), dtype)
    y, argmax = K.adaptive_max_pool2d_forward(x, out)
    y_ref, argmax_ref = reference.adaptive_max_pool2d_forward(x, out)
    np.testing.assert_array_equal(y, y_ref)  # a maximum is picked, not computed
    np.testing.assert_array_equal(argmax, argmax_ref)
    assert y.dtype == dtype and argmax.dtype == np.int64
    ties = rng.integers(0, 3, shape).astype(dtype)  # the first maximum in row-major order
    np.testing.assert_array_equal(
        K.adaptive_max_pool2d_forward(ties, out)[1], reference.adaptive_max_pool2d_forward(ties, out)[1]
    )
    gy = rng.standard_normal(shape[:2] + out).astype(dtype)
    close(
        K.adaptive_avg_pool2d_input_grad(gy, shape),
        reference.adaptive_avg_pool2d_input_grad(gy, shape),
        dtype,
    )


@pytest.mark.parametrize("tier", FAST + ["reference"])
def test_adaptive_max_pool_takes_nan_as_the_maximum_and_points_a_window_of_minus_inf_at_its_first_cell(tier):
    """As max_pool2d_forward: the last NaN of a window wins (PyTorch's), a window of -inf
    points at its first cell; 5 -> 2 windows overlap (rows 0-2 and 2-4), so one NaN can win
    two windows."""
    K = kernels.get(tier)
    x = np.full((1, 1, 5, 5), -np.inf)
    x[0, 0, 2, 3] = x[0, 0, 4, 4] = np.nan
    x[0, 0, 0, 4] = 1.0
    y, argmax = K.adaptive_max_pool2d_forward(x, (2, 2))
    np.testing.assert_array_equal(y.ravel(), [-np.inf, np.nan, -np.inf, np.nan])
    np.testing.assert_array_equal(argmax.ravel(), [0, 13, 10, 24])  # PyTorch 2.13's


def with_nans(rng, shape, distinct):
    """distinct values, a third of them NaN of either sign: many windows hold several."""
    x = distinct(rng, shape, np.float64)
    nan = rng.random(shape) < 1 / 3
    x[nan] = np.where(rng.random(int(nan.sum())) < 0.5, np.nan, -np.nan)
    return x


@pytest.mark.parametrize("look_always", [False, True], ids=["numpy", "as_on_cupy"])
@pytest.mark.parametrize("tier", FAST)
@pytest.mark.parametrize("name", sorted(POOL) + sorted(ADAPTIVE))
def test_max_pools_point_at_the_last_nan_of_a_window_on_every_tier(
    name, tier, look_always, rng, distinct, monkeypatch
):
    """As PyTorch's loop, which takes each NaN it meets, and the reference loops; also where
    the xp code looks for NaNs without asking y first, as it does on CuPy (no NaN included)."""
    if look_always:
        monkeypatch.setattr(xp_pool, "_may_hold_nan", lambda y: True)
    K = kernels.get(tier)
    adaptive = name in ADAPTIVE
    shape, *params = ADAPTIVE[name] if adaptive else POOL[name]
    forward = "adaptive_max_pool2d_forward" if adaptive else "max_pool2d_forward"
    nans, ties = with_nans(rng, shape, distinct), rng.integers(0, 3, shape).astype(np.float64)
    for x in (nans, ties):
        y, argmax = getattr(K, forward)(x, *params)
        y_ref, argmax_ref = getattr(reference, forward)(x, *params)
        np.testing.assert_array_equal(y, y_ref)
        np.testing.assert_array_equal(argmax, argmax_ref)
        assert np.isnan(y_ref).any() == (x is nans)


@pytest.mark.parametrize("tier", FAST)
@pytest.mark.parametrize("name", sorted(ADAPTIVE))
def test_adaptive_pooling_keeps_inf_and_nan_in_their_own_windows(name, tier, rng):
    """As PyTorch and the reference loops: an overflowed cell reaches only the outputs whose
    window holds it (a matrix product would multiply it by the zeros of every other window)."""
    K = kernels.get(tier)
    shape, out = ADAPTIVE[name]
    x = rng.standard_normal(shape)
    x[0, 0, 1, 2], x[-1, -1, -1, 0] = np.inf, np.nan
    y, want = K.adaptive_avg_pool2d_forward(x, out), reference.adaptive_avg_pool2d_forward(x, out)
    np.testing.assert_array_equal(np.isfinite(y), np.isfinite(want))
    np.testing.assert_allclose(y, want, rtol=1e-10, equal_nan=True)
    gy = rng.standard_normal(shape[:2] + out)
    gy[0, 0, 0, 0] = np.nan
    gx, want = (
        K.adaptive_avg_pool2d_input_grad(gy, shape),
        reference.adaptive_avg_pool2d_input_grad(gy, shape),
    )
    np.testing.assert_array_equal(np.isnan(gx), np.isnan(want))
    assert np.isnan(want).sum() < want.size  # the test means something: not all NaN
    np.testing.assert_allclose(gx, want, rtol=1e-10, equal_nan=True)


@pytest.mark.parametrize("tier", FAST + ["reference"])
def test_max_pool_takes_nan_as_the_maximum_and_points_a_window_of_minus_inf_at_its_first_cell(tier):
    """PyTorch's values: a NaN wins its window, the last of several; a window of -inf (padding
    counts as -inf) gives -inf, and its gradient goes to its first cell inside the image,
    never into the padding."""
    K = kernels.get(tier)
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = x[0, 0, 2, 3] = x[0, 0, 3, 2] = np.nan
    y, argmax = K.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), False)
    np.testing.assert_array_equal(y.ravel(), [np.nan, 7, 13, np.nan])
    np.testing.assert_array_equal(argmax.ravel(), [1, 7, 13, 14])
    x = np.full((1, 1, 4, 4), -np.inf)
    x[0, 0, 3, 3] = 1
    y, argmax = K.max_pool2d_forward(x, (3, 3), (2, 2), (1, 1), True)
    np.testing.assert_array_equal(y.ravel(), [-np.inf, -np.inf, -np.inf, -np.inf, 1, 1, -np.inf, 1, 1])
    np.testing.assert_array_equal(argmax.ravel(), [0, 1, 3, 4, 15, 15, 12, 15, 15])
    gx = K.max_pool2d_input_grad(np.ones(y.shape), argmax, x.shape)
    np.testing.assert_array_equal(gx.ravel(), [1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 4])
    x = np.array([[[[1.0, -np.inf], [np.inf, 2.0]]]])  # no NaN, though inf - inf is one
    y, argmax = K.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), False)
    assert (y.item(), argmax.item()) == (np.inf, 2)


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(POOL))
def test_pool_on_cupy_equals_numpy(name, rng, distinct):
    import cupy as cp

    shape, *window = POOL[name]
    x = distinct(rng, shape, np.float64)
    K = kernels.for_array(cp.asarray(x))
    y, argmax = K.max_pool2d_forward(cp.asarray(x), *window)
    y_np, argmax_np = xp_pool.max_pool2d_forward(x, *window)
    np.testing.assert_array_equal(cp.asnumpy(y), y_np)
    np.testing.assert_array_equal(cp.asnumpy(argmax), argmax_np)
    gy = rng.standard_normal(y_np.shape)
    close(
        cp.asnumpy(K.max_pool2d_input_grad(cp.asarray(gy), argmax, shape)),
        xp_pool.max_pool2d_input_grad(gy, argmax_np, shape),
        np.float64,
    )
    for cip in (True, False):
        close(
            cp.asnumpy(K.avg_pool2d_forward(cp.asarray(x), *window, cip)),
            xp_pool.avg_pool2d_forward(x, *window, cip),
            np.float64,
        )
        close(
            cp.asnumpy(K.avg_pool2d_input_grad(cp.asarray(gy), shape, *window, cip)),
            xp_pool.avg_pool2d_input_grad(gy, shape, *window, cip),
            np.float64,
        )
    out = (2, 3)
    close(
        cp.asnumpy(K.adaptive_avg_pool2d_forward(cp.asarray(x), out)),
        xp_pool.adaptive_avg_pool2d_forward(x, out),
        np.float64,
    )
    y, argmax = K.adaptive_max_pool2d_forward(cp.asarray(x), out)
    y_np, argmax_np = xp_pool.adaptive_max_pool2d_forward(x, out)
    np.testing.assert_array_equal(cp.asnumpy(y), y_np)
    np.testing.assert_array_equal(cp.asnumpy(argmax), argmax_np)
