"""Numba's convolution and pooling loops: the plain-Python twins equal the jitted ones and the
general loops bit for bit, and what the "auto" tier takes from each fast module."""

import numpy as np
import pytest
from conv_pool_cases import CONV, POOL, conv_arrays
from kernel_checks import close, conv_kernels_equal_reference

from minicnn import kernels
from minicnn.kernels import im2col, sizes, xp_norm, xp_pool


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
    "name, loops",
    [
        # image by image: the forward twice (with and without bias), then gx alone by col2im of
        # the whole batch (only a joint call runs gx image by image), gW image by image
        ("stride1_5x5_unpadded", ["_forward", "_forward", "_col2im", "_image_grads"]),
        # the same (its 3 channels are few taps, which Winograd leaves to numba_im2col)
        ("3x3_pad", ["_forward", "_forward", "_col2im", "_image_grads"]),
        # two groups: im2col's steps with the jitted copies; gW from x's windows (a kernel called
        # on its own keeps no columns: kernels/kept_columns.py)
        ("stride1_widening_groups", ["_windows", "_windows", "_col2im", "_windows"]),
        ("groups2_dilated", []),
        ("11x11_stride4", []),
    ],
)
def test_auto_copies_windows_with_the_jitted_loops_at_stride_1_only(name, loops, monkeypatch, rng):
    """Every convolution that is neither depthwise nor Winograd's reaches numba_im2col.py; its
    loops copy at stride 1 and dilation 1 (image by image for one group and a filter larger
    than 1x1), the rest keep im2col.py's copies."""
    from minicnn.kernels import numba_im2col

    calls = []
    for loop in ("_windows", "_col2im", "_forward", "_image_grads"):
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
    assert calls == loops


@pytest.mark.numba
def test_auto_takes_from_each_fast_module_only_what_its_table_lists():
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
