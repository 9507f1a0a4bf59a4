"""Convolution and pooling kernels: every fast tier equals the reference loops.

Same dtype, two kernels: float64 to 1e-10 and float32 to 1e-5, relative to
the array's largest value. Also: the shared size formula, the Numba kernels
as plain Python before jitting, and the xp code on CuPy arrays.
"""

import numpy as np
import pytest
from kernel_checks import close, conv_kernels_equal_reference

from minicnn import kernels
from minicnn.functional.checks import pair
from minicnn.kernels import im2col, reference, sizes, strided, xp_norm, xp_pool

FAST = [
    "numpy-simple",
    "numpy",
    pytest.param("numba", marks=pytest.mark.numba),
    pytest.param("auto", marks=pytest.mark.numba),
]
# --- registries -------------------------------------------------------------
# conv: (x shape, weight shape, stride, padding, dilation, groups)
CONV = {
    "3x3_pad": ((2, 3, 6, 5), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    "groups2_dilated": ((1, 4, 7, 7), (4, 2, 3, 2), (2, 1), (0, 2), (2, 1), 2),
    "depthwise": ((2, 4, 5, 6), (4, 1, 3, 3), (1, 2), (1, 1), (1, 1), 4),
    "5x5_stride4x3": ((1, 2, 9, 9), (2, 2, 5, 5), (4, 3), (2, 2), (1, 1), 1),
    # strided, through the phase split: AlexNet's conv1 shrunk, padding beyond the stride
    # with rows no window reaches, and a 1x1 (which keeps the direct im2col)
    "11x11_stride4": ((2, 3, 31, 29), (4, 3, 11, 11), (4, 4), (0, 0), (1, 1), 1),
    "3x3_stride3_pad2": ((1, 2, 11, 10), (3, 2, 3, 3), (3, 3), (2, 2), (1, 1), 1),
    "1x1_stride2": ((2, 4, 7, 6), (3, 4, 1, 1), (2, 2), (0, 0), (1, 1), 1),
    # "same" convolutions with no more output than input channels: gX as a convolution of gy
    "same_3x3": ((2, 4, 6, 5), (4, 4, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    "same_groups_dilated": ((2, 4, 8, 7), (4, 2, 3, 3), (1, 1), (2, 1), (2, 1), 2),
    "1x1": ((2, 5, 4, 4), (3, 5, 1, 1), (1, 1), (0, 0), (1, 1), 1),
    # stride 1 but through col2im: widening, padding beyond the kernel, no padding
    "stride1_widening_groups_dilated": ((2, 4, 8, 7), (6, 2, 3, 3), (1, 1), (2, 1), (2, 1), 2),
    "stride1_pad_beyond_kernel": ((1, 2, 5, 5), (3, 2, 2, 2), (1, 1), (2, 2), (1, 1), 1),
    "stride1_5x5_unpadded": ((1, 2, 9, 8), (3, 2, 5, 5), (1, 1), (0, 0), (1, 1), 1),
    "stride1_widening_groups": ((2, 4, 8, 7), (6, 2, 3, 3), (1, 1), (2, 1), (1, 1), 2),
}
# pool: (x shape, kernel_size, stride, padding, ceil_mode)
POOL = {
    "overlap": ((2, 3, 7, 7), (3, 3), (2, 2), (0, 0), False),
    "pad_ceil": ((1, 2, 6, 7), (3, 3), (2, 2), (1, 1), True),
    "pairs_ceil_drop": ((2, 1, 8, 9), (2, 3), (3, 2), (1, 0), True),
    "tiles": ((1, 2, 5, 5), (2, 2), (2, 2), (0, 0), False),
    "tiles_even": ((2, 3, 6, 8), (2, 2), (2, 2), (0, 0), False),
    "tiles_ceil": ((1, 2, 5, 7), (2, 2), (2, 2), (0, 0), True),  # partial windows: the general loop
}
ADAPTIVE = {
    "7x7_to_3": ((1, 2, 7, 7), (3, 3)),
    "6x9_to_5x2": ((2, 1, 6, 9), (5, 2)),
    "8x6_to_4x3": ((2, 2, 8, 6), (4, 3)),  # windows side by side
    "5x5_to_1": ((2, 3, 5, 5), (1, 1)),  # global
}
DTYPES = [np.float64, np.float32]


def conv_arrays(rng, name, dtype):
    xs, ws, *_ = CONV[name]
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in (xs, ws, ws[:1]))
    y = reference.conv2d_forward(x, w, b, *CONV[name][2:])
    return x, w, b, y, rng.standard_normal(y.shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tier", FAST)
@pytest.mark.parametrize("name", sorted(CONV))
def test_conv_tiers_equal_reference(name, tier, dtype, rng):
    K, params = kernels.get(tier), CONV[name][2:]
    x, w, b, _, gy = conv_arrays(rng, name, dtype)
    conv_kernels_equal_reference(K, x, w, b, gy, params, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tier", FAST + ["reference"])
@pytest.mark.parametrize("name", sorted(CONV))
def test_conv_gradients_in_either_order_alone_or_for_a_new_gy(name, tier, dtype, rng):
    """The xp tier's two gradient kernels share gy's layout: it must never leak into another
    gy, even one of the same shape, nor survive a convolution that reuses its workspace."""
    K, params = kernels.get(tier), CONV[name][2:]
    x, w, _, _, gy = conv_arrays(rng, name, dtype)
    want_gx = reference.conv2d_input_grad(gy, w, x.shape, *params)
    want_gw = reference.conv2d_weight_grad(gy, x, w.shape, *params)
    close(K.conv2d_input_grad(gy, w, x.shape, *params), want_gx, dtype)
    close(K.conv2d_weight_grad(gy, x, w.shape, *params), want_gw, dtype)
    close(K.conv2d_weight_grad(gy, x, w.shape, *params), want_gw, dtype)  # weight first
    close(K.conv2d_input_grad(gy, w, x.shape, *params), want_gx, dtype)
    other = (-2 * gy).astype(dtype)
    close(K.conv2d_weight_grad(other, x, w.shape, *params), -2 * want_gw, dtype)
    close(K.conv2d_input_grad(gy, w, x.shape, *params), want_gx, dtype)
    K.conv2d_forward(x, w, None, *params)  # reuses the workspaces
    close(K.conv2d_weight_grad(gy, x, w.shape, *params), want_gw, dtype)


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


def test_same_conv_input_gradient_is_a_convolution_without_col2im(monkeypatch, rng):
    x, w, _, _, gy = conv_arrays(rng, "same_3x3", np.float64)
    params = CONV["same_3x3"][2:]
    want = reference.conv2d_input_grad(gy, w, x.shape, *params)

    def no_col2im(*args):
        raise AssertionError("col2im called")

    monkeypatch.setattr(im2col, "col2im", no_col2im)
    close(im2col.conv2d_input_grad(gy, w, x.shape, *params), want, np.float64)
    close(
        im2col.conv2d_weight_grad(gy, x, w.shape, *params),
        reference.conv2d_weight_grad(gy, x, w.shape, *params),
        np.float64,
    )
    for x_shape, w_, stride, padding in (
        ((2, 4, 8, 7), w, (1, 1), (0, 0)),  # unpadded
        ((2, 2, 6, 5), w[:, :2], (1, 1), (1, 1)),
    ):  # widening
        with pytest.raises(AssertionError, match="col2im called"):
            im2col.conv2d_input_grad(gy, w_, x_shape, stride, padding, (1, 1), 1)


@pytest.mark.parametrize(
    "shape, groups", [((6, 4, 3, 2), 1), ((6, 2, 3, 3), 3), ((5, 3, 1, 1), 1), ((4, 2, 1, 1), 2)]
)
def test_flipped_transposed_weight(shape, groups, rng):
    """W'[c, o, u, v] = W[o, c, KH-1-u, KW-1-v] within each group; a 1x1 kernel's is a view of W."""
    w = rng.standard_normal(shape)
    O, Cg, KH, KW = shape
    want = np.empty((groups * Cg, O // groups, KH, KW))
    for g in range(groups):
        for o in range(O // groups):
            for c in range(Cg):
                want[g * Cg + c, o] = w[g * (O // groups) + o, c, ::-1, ::-1]
    got = im2col.flipped_transposed_weight(w, groups)
    np.testing.assert_array_equal(got, want)
    assert np.shares_memory(got, w) == (KH == KW == 1 and groups == 1)


def test_col2im_is_the_adjoint_of_im2col(rng):
    """<im2col(x), c> = <x, col2im(c)> for every x and c: the defining property of backward."""
    x = rng.standard_normal((2, 3, 7, 6))
    k, s, p, d = (3, 2), (2, 1), (1, 2), (2, 1)
    cols, (oh, ow) = im2col.im2col(x, k, s, p, d)
    c = rng.standard_normal(cols.shape)
    back = im2col.col2im(c.reshape(3, 3, 2, 2, oh, ow), x.shape, s, p, d)
    assert np.isclose((cols * c).sum(), (x * back).sum(), rtol=1e-12)


# (x shape, kernel_size, stride, padding, dilation)
PHASE_SPLIT = [
    ((2, 3, 31, 29), (11, 11), (4, 4), (0, 0), (1, 1)),
    ((1, 2, 11, 10), (3, 3), (3, 3), (2, 2), (1, 1)),
    ((2, 3, 9, 12), (3, 2), (2, 3), (1, 2), (2, 3)),
    ((1, 2, 8, 9), (5, 3), (1, 2), (2, 0), (1, 1)),
]


@pytest.mark.parametrize("x_shape, k, s, p, d", PHASE_SPLIT)
def test_phase_split_columns_are_im2col_plus_extra_columns(x_shape, k, s, p, d, rng):
    x = rng.standard_normal(x_shape)
    want, (oh, ow) = im2col.im2col(x, k, s, p, d)
    want = want.copy()
    cols, (oh2, ow2, width) = strided.columns(x, k, s, p, d)
    assert (oh2, ow2) == (oh, ow) and width >= ow
    wide = cols.reshape(-1, x_shape[0], oh, width)
    np.testing.assert_array_equal(wide[..., :ow].reshape(want.shape), want)


@pytest.mark.parametrize("x_shape, k, s, p, d", PHASE_SPLIT)
def test_phase_split_col2im_is_the_adjoint_of_its_columns(x_shape, k, s, p, d, rng):
    """<columns(x), c> = <x, col2im(c)>, with c zero in the extra columns (as W^T @ gY makes them)."""
    x = rng.standard_normal(x_shape)
    cols, (oh, ow, width) = strided.columns(x, k, s, p, d)
    cols = cols.copy()
    c = rng.standard_normal(cols.shape).reshape(-1, x_shape[0], oh, width)
    c[..., ow:] = 0
    back = strided.col2im(c.reshape(cols.shape), x_shape, k, s, p, d)
    assert back.shape == x_shape
    assert np.isclose((cols * c.reshape(cols.shape)).sum(), (x * back).sum(), rtol=1e-12)


def test_strided_convolutions_take_the_phase_split(monkeypatch, rng):
    x, w, _, _, gy = conv_arrays(rng, "11x11_stride4", np.float64)
    params = CONV["11x11_stride4"][2:]

    def refuse(*args, **kwargs):
        raise AssertionError("direct im2col called")

    monkeypatch.setattr(im2col, "_im2col_into", refuse)
    monkeypatch.setattr(im2col, "col2im", refuse)
    close(
        im2col.conv2d_forward(x, w, None, *params), reference.conv2d_forward(x, w, None, *params), np.float64
    )
    close(
        im2col.conv2d_input_grad(gy, w, x.shape, *params),
        reference.conv2d_input_grad(gy, w, x.shape, *params),
        np.float64,
    )
    close(
        im2col.conv2d_weight_grad(gy, x, w.shape, *params),
        reference.conv2d_weight_grad(gy, x, w.shape, *params),
        np.float64,
    )
    x1, w1, _, _, _ = conv_arrays(rng, "1x1_stride2", np.float64)
    with pytest.raises(AssertionError, match="direct im2col called"):
        im2col.conv2d_forward(x1, w1, None, *CONV["1x1_stride2"][2:])


# --- the shared size formula ------------------------------------------------


@pytest.mark.parametrize(
    "n, k, s, p, d, ceil_mode, expected",
    [
        (7, 3, 2, 0, 1, False, 3),
        (7, 3, 2, 0, 1, True, 3),
        (6, 3, 2, 1, 1, True, 4),
        (5, 2, 2, 1, 1, True, 3),  # ceil would give 4, but that window starts in the padding
        (8, 2, 3, 1, 1, True, 3),
        (11, 5, 4, 2, 1, True, 4),
        (9, 3, 1, 2, 2, False, 9),
        (227, 11, 4, 0, 1, False, 55),  # AlexNet conv1
        (5, 5, 1, 0, 1, False, 1),
        (4, 5, 1, 0, 1, False, 0),
    ],
)
def test_conv_out_size_as_pytorch(n, k, s, p, d, ceil_mode, expected):
    assert sizes.conv_out_size(n, k, s, p, d, ceil_mode) == expected


def test_pair():
    assert pair(3) == (3, 3) and pair((2, 5)) == (2, 5) and pair([1, 4]) == (1, 4)
    with pytest.raises(TypeError, match=r"stride must be an int or a pair of ints, got \(1, 2, 3\)"):
        pair((1, 2, 3), "stride")
    with pytest.raises(TypeError, match=r"got 1.5"):
        pair(1.5)


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


# --- Numba: the plain-Python twins, and what "auto" uses ---------------------


@pytest.mark.numba
def test_numba_kernels_as_plain_python_equal_jitted(rng, distinct):
    from minicnn.kernels import numba_cpu as nb
    from minicnn.kernels import numba_im2col

    # the window copy and col2im at stride 1: a padded image, a 5x3 kernel
    (N, C, H, W), (KH, KW), (ph, pw) = (2, 3, 6, 7), (5, 3), (2, 1)
    x = rng.standard_normal((N, C, H, W))
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    OH, OW = H + 2 * ph - KH + 1, W + 2 * pw - KW + 1
    geometry = ((1, 1), (ph, pw), (1, 1))
    want, _ = im2col.im2col(x, (KH, KW), *geometry)
    for windows in (numba_im2col._windows_py, numba_im2col._windows):
        cols = np.full((C, KH, KW, N, OH, OW), np.nan)
        windows(xpad, cols)
        np.testing.assert_array_equal(cols.reshape(want.shape), want)
    cols = rng.standard_normal((C, KH, KW, N, OH, OW))
    sums = []
    for col2im in (numba_im2col._col2im_py, numba_im2col._col2im):
        gxpad = np.zeros(xpad.shape)
        col2im(cols, gxpad)
        sums.append(gxpad[:, :, ph : ph + H, pw : pw + W])
    np.testing.assert_array_equal(sums[0], sums[1])
    close(sums[0], im2col.col2im(cols, x.shape, *geometry), np.float64)

    shape, k, s, p, ceil_mode = POOL["pad_ceil"]
    planes = distinct(rng, shape, np.float64).reshape(-1, *shape[2:])
    oh = sizes.conv_out_size(shape[2], k[0], s[0], p[0], 1, ceil_mode)
    ow = sizes.conv_out_size(shape[3], k[1], s[1], p[1], 1, ceil_mode)
    results = []
    for fwd, bwd, avg in (
        (nb._maxpool_fwd_py, nb._maxpool_bwd_py, nb._avgpool_bwd_py),
        (nb._maxpool_fwd, nb._maxpool_bwd, nb._avgpool_bwd),
    ):
        yp, arg = np.empty((planes.shape[0], oh, ow)), np.empty((planes.shape[0], oh, ow), np.int64)
        fwd(planes, *k, *s, *p, yp, arg)
        gmax, gavg = np.zeros_like(planes), np.zeros_like(planes)
        bwd(yp, arg, gmax.reshape(len(planes), -1))
        avg(yp, *k, *s, *p, False, gavg)
        results.append((yp, arg, gmax, gavg))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)

    # the 2x2 stride-2 loop, plain and jitted, against the general one, on an odd-sized
    # image (its last row and column lie in no window): NaN, -inf, ties and -0.0 included
    planes = distinct(rng, (3, 7, 9), np.float64)
    planes[0, 0, 1] = planes[1, 3, 2] = planes[1, 2, 3] = planes[2, 5, 5] = np.nan
    planes[2, :2, :2] = -np.inf
    planes[0, 2:4, 2:4] = [[-0.0, 0.0], [0.0, -1.0]]  # a tie of zeros: the first, -0.0, wins
    planes[0, 4:6, 4:6] = [[1.0, 2.0], [2.0, 2.0]]  # a tie of maxima: the first wins
    planes[1, 4:6, 4:6] = [[-1.0, 0.0], [-0.0, -2.0]]  # and its value is the first's, 0.0
    want_y, want_arg = np.empty((3, 3, 4)), np.empty((3, 3, 4), np.int64)
    nb._maxpool_fwd_py(planes, 2, 2, 2, 2, 0, 0, want_y, want_arg)
    for fwd in (nb._maxpool2x2_fwd_py, nb._maxpool2x2_fwd):
        yp, arg = np.empty((3, 3, 4)), np.empty((3, 3, 4), np.int64)
        fwd(planes, yp, arg)
        np.testing.assert_array_equal(yp, want_y)
        np.testing.assert_array_equal(np.signbit(yp), np.signbit(want_y))
        np.testing.assert_array_equal(arg, want_arg)


@pytest.mark.numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("width", [7, 16, 23, 39])
def test_maxpool2x2_blocks_and_the_windows_left_equal_the_general_loop(dtype, width):
    """numba_cpu._maxpool2x2_fwd's two loops, the blocks of windows and those left over (rows
    of 3, 8, 11 and 19 windows: no block, blocks only, and both), plain and jitted, give the
    general loop's maxima and argmax bit for bit, on cells drawn from zeros of both signs,
    ties, infinities and NaNs of both signs."""
    from minicnn.kernels import numba_cpu as nb

    rng = np.random.default_rng(width)
    values = np.array([0.0, -0.0, 1.0, 2.0, -1.0, np.inf, -np.inf, np.nan, -np.nan], dtype)
    odds = np.array([20, 20, 15, 15, 10, 6, 6, 4, 4]) / 100
    planes = rng.choice(values, size=(40, 6, width), p=odds)
    out = (40, 3, width // 2)
    want_y, want_arg = np.empty(out, dtype), np.empty(out, np.int64)
    with np.errstate(invalid="ignore"):  # the plain loops add +inf to -inf, looking for NaNs
        nb._maxpool_fwd_py(planes, 2, 2, 2, 2, 0, 0, want_y, want_arg)
    for fwd in (nb._maxpool2x2_fwd_py, nb._maxpool2x2_fwd):
        y, arg = np.empty(out, dtype), np.empty(out, np.int64)
        with np.errstate(invalid="ignore"):
            fwd(planes, y, arg)
        np.testing.assert_array_equal(arg, want_arg)
        assert y.tobytes() == want_y.tobytes()  # the winner's own bits: signs of zeros and NaNs


@pytest.mark.numba
@pytest.mark.parametrize(
    "name, jitted",
    [
        ("stride1_5x5_unpadded", True),
        ("3x3_pad", True),
        ("stride1_widening_groups", True),
        ("groups2_dilated", False),
        ("11x11_stride4", False),
    ],
)
def test_auto_copies_windows_with_the_jitted_loops_at_stride_1_only(name, jitted, monkeypatch, rng):
    """Every convolution that is neither depthwise nor Winograd's reaches numba_im2col.py; its
    loops copy at stride 1 and dilation 1, the rest keep im2col.py's copies."""
    from minicnn.kernels import numba_im2col

    calls = []
    for loop in ("_windows", "_col2im"):
        original = getattr(numba_im2col, loop)
        monkeypatch.setattr(
            numba_im2col, loop, lambda *a, loop=loop, original=original: calls.append(loop) or original(*a)
        )
    params = CONV[name][2:]
    x, w, b, _, gy = conv_arrays(rng, name, np.float64)
    strided_x = np.empty(x.shape[:-1] + (2 * x.shape[-1],))[..., ::2]  # not contiguous
    strided_x[...] = x
    x = strided_x
    conv_kernels_equal_reference(kernels.get("auto"), x, w, b, gy, params, np.float64)
    if not jitted:
        assert calls == []
    else:  # the forward twice (with and without bias): im2col's windows (3x3_pad too: its 3
        # channels are few taps, which Winograd leaves to numba_im2col); then gx by col2im
        # (these convolutions are not "same") and gW from x's windows (a kernel called on its
        # own keeps no columns: kernels/kept_columns.py)
        assert calls == ["_windows", "_windows", "_col2im", "_windows"]


@pytest.mark.numba
def test_auto_takes_from_each_fast_module_only_what_its_table_lists(auto_on_one_thread):
    import importlib

    auto = kernels.get("auto")
    lent = set()
    for module_name, names in kernels.AUTO.items():  # the first module listing a kernel wins
        module = importlib.import_module(f"minicnn.kernels.{module_name}")
        for name in set(names) - lent:
            assert getattr(auto, name) is getattr(module, name), name
            assert auto.which(name) == f"minicnn.kernels.{module_name}.{name}"
        lent.update(names)
    for name, xp_module in (
        ("avg_pool2d_forward", xp_pool),
        ("avg_pool2d_input_grad", xp_pool),
        ("batch_norm_invstd", xp_norm),
    ):
        assert name not in lent
        assert getattr(auto, name) is getattr(xp_module, name)


# --- the xp code on CuPy ----------------------------------------------------


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(CONV))
def test_conv_on_cupy_equals_numpy(name, rng):
    import cupy as cp

    x, w, b, _, gy = conv_arrays(rng, name, np.float64)
    params = CONV[name][2:]
    K = kernels.for_array(cp.asarray(x))
    close(
        cp.asnumpy(K.conv2d_forward(cp.asarray(x), cp.asarray(w), cp.asarray(b), *params)),
        im2col.conv2d_forward(x, w, b, *params),
        np.float64,
    )
    close(
        cp.asnumpy(K.conv2d_input_grad(cp.asarray(gy), cp.asarray(w), x.shape, *params)),
        im2col.conv2d_input_grad(gy, w, x.shape, *params),
        np.float64,
    )
    close(
        cp.asnumpy(K.conv2d_weight_grad(cp.asarray(gy), cp.asarray(x), w.shape, *params)),
        im2col.conv2d_weight_grad(gy, x, w.shape, *params),
        np.float64,
    )


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
