"""Dilated max pooling: every fast tier equals the reference loop, picks included.

The xp code takes the dilated windows as one strided view; the Numba tier hands them to
it, so both are checked here, as the reference's twins, on distinct values, ties, NaNs
and windows of -inf.
"""

import numpy as np
import pytest
from kernel_checks import close

from minicnn import kernels
from minicnn.kernels import numba_cpu, reference, xp_pool

FAST = [
    "numpy",
    pytest.param("numba", marks=pytest.mark.numba),
    pytest.param("auto", marks=pytest.mark.numba),
]
DTYPES = [np.float64, np.float32]
# name: (x shape, kernel_size, stride, padding, ceil_mode, dilation)
POOL = {
    "k2_d2": ((1, 2, 6, 7), (2, 2), (2, 2), (0, 0), False, (2, 2)),
    "k3_s1_pad1_d2": ((2, 1, 7, 8), (3, 3), (1, 1), (1, 1), False, (2, 2)),
    "k3_s2_pad1_d2_ceil": ((1, 2, 8, 9), (3, 3), (2, 2), (1, 1), True, (2, 2)),
    "pairs_ceil_drop": ((2, 1, 5, 10), (2, 3), (3, 2), (1, 1), True, (2, 3)),
    "d3_wider_than_kernel": ((1, 2, 6, 6), (2, 2), (1, 1), (1, 1), False, (3, 3)),
    "d_one_axis": ((1, 1, 7, 9), (3, 2), (2, 1), (1, 1), True, (1, 4)),
    # the 2x2, stride 2 windows Numba tiles when they are not dilated
    "tiles_dilated": ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), False, (2, 2)),
}


def with_nans(rng, x):
    """x with a third of it NaN of either sign: many windows hold several."""
    x = x.copy()
    nan = rng.random(x.shape) < 1 / 3
    x[nan] = np.where(rng.random(int(nan.sum())) < 0.5, np.nan, -np.nan)
    return x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tier", FAST)
@pytest.mark.parametrize("name", sorted(POOL))
def test_dilated_max_pool_equals_the_reference(name, tier, dtype, rng, distinct):
    K = kernels.get(tier)
    shape, *window = POOL[name]
    x = distinct(rng, shape, dtype)
    y, argmax = K.max_pool2d_forward(x, *window)
    y_ref, argmax_ref = reference.max_pool2d_forward(x, *window)
    assert y.dtype == dtype and argmax.dtype == np.int64
    np.testing.assert_array_equal(y, y_ref)  # a maximum is picked, not computed
    np.testing.assert_array_equal(argmax, argmax_ref)
    gy = rng.standard_normal(y.shape).astype(dtype)
    close(
        K.max_pool2d_input_grad(gy, argmax, shape), reference.max_pool2d_input_grad(gy, argmax, shape), dtype
    )


@pytest.mark.parametrize("look_always", [False, True], ids=["numpy", "as_on_cupy"])
@pytest.mark.parametrize("tier", FAST)
@pytest.mark.parametrize("name", sorted(POOL))
def test_dilated_windows_pick_the_first_maximum_or_the_last_nan_as_the_reference(
    name, tier, look_always, rng, distinct, monkeypatch
):
    """Ties: the first maximum in row-major tap order; NaNs: the last NaN, as PyTorch's loop.
    Also where the xp code looks for NaNs without asking y first, as it does on CuPy."""
    if look_always:
        monkeypatch.setattr(xp_pool, "_may_hold_nan", lambda y: True)
    K = kernels.get(tier)
    shape, *window = POOL[name]
    nans = with_nans(rng, distinct(rng, shape))
    ties = rng.integers(0, 3, shape).astype(np.float64)
    for x in (nans, ties):
        y, argmax = K.max_pool2d_forward(x, *window)
        y_ref, argmax_ref = reference.max_pool2d_forward(x, *window)
        np.testing.assert_array_equal(y, y_ref)
        np.testing.assert_array_equal(argmax, argmax_ref)
        assert np.isnan(y_ref).any() == (x is nans)


@pytest.mark.parametrize("tier", FAST + ["reference"])
def test_a_dilated_window_of_minus_inf_points_at_its_first_tap_inside_the_image(tier):
    """5 rows, 2 taps 2 apart, stride 2, padding 1: the windows read rows (-1, 1), (1, 3) and
    (3, 5), and never row 4 (nor column 4). A window of -inf points at its first tap inside,
    row 1 of the first (row 0 without the dilation), as PyTorch's loop; a NaN wins each of
    the four windows that read it."""
    K = kernels.get(tier)
    x = np.full((1, 1, 5, 5), -np.inf)
    x[0, 0, 4, 4] = 1.0  # no window reads it
    x[0, 0, 3, 3] = np.nan
    y, argmax = K.max_pool2d_forward(x, (2, 2), (2, 2), (1, 1), False, (2, 2))
    inf, nan = -np.inf, np.nan
    np.testing.assert_array_equal(y.ravel(), [inf, inf, inf, inf, nan, nan, inf, nan, nan])
    np.testing.assert_array_equal(argmax.ravel(), [6, 6, 8, 6, 18, 18, 16, 18, 18])
    gx = K.max_pool2d_input_grad(np.ones(y.shape), argmax, x.shape)
    want = np.zeros(25)
    want[[6, 8, 16, 18]] = [3, 1, 1, 4]
    np.testing.assert_array_equal(gx.ravel(), want)


def test_numba_hands_dilated_windows_to_the_xp_code(rng, distinct):
    """The same arrays as the xp code's, bit for bit, and the undilated call of the same
    window the Numba loop's own (a different algorithm, equal to it on distinct values)."""
    x = distinct(rng, (2, 2, 8, 8))
    got = numba_cpu.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), False, (2, 2))
    want = xp_pool.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), False, (2, 2))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    y, _ = numba_cpu.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), False, (1, 1))
    np.testing.assert_array_equal(y, x.reshape(2, 2, 4, 2, 4, 2).max(axis=(3, 5)))


@pytest.mark.parametrize("tier", FAST + ["reference"])
def test_dilation_1_is_the_undilated_pool(tier, rng, distinct):
    """The default and an explicit dilation of 1 give the same windows."""
    K = kernels.get(tier)
    x = distinct(rng, (1, 2, 7, 6))
    window = ((3, 3), (2, 2), (1, 1), True)
    for got, want in zip(K.max_pool2d_forward(x, *window, (1, 1)), K.max_pool2d_forward(x, *window)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(POOL))
def test_dilated_pool_on_cupy_equals_numpy(name, rng, distinct):
    """The same xp lines on CuPy: the strided view, the picks and the scatter back."""
    import cupy as cp

    shape, *window = POOL[name]
    x = with_nans(rng, distinct(rng, shape))
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
