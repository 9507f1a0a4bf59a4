"""The Numba depthwise convolution equals the reference loops, jitted and as plain Python,
passes the gradient check through F.conv2d, and sends other convolutions on."""

import numpy as np
import pytest

pytest.importorskip("numba")

from kernel_checks import conv_kernels_equal_reference

import minicnn as mc
from minicnn import functional as F
from minicnn import kernels
from minicnn.kernels import numba_depthwise, numba_im2col, numba_winograd, reference

pytestmark = pytest.mark.numba

# (x shape, kernel (KH, KW), stride, padding, dilation)
CASES = {
    "3x3_same": ((2, 4, 6, 5), (3, 3), (1, 1), (1, 1), (1, 1)),
    "3x3_stride2": ((2, 3, 7, 8), (3, 3), (2, 2), (1, 1), (1, 1)),
    "mixed_stride_dilated": ((1, 2, 9, 8), (3, 2), (1, 2), (2, 0), (2, 1)),
    "pad_beyond_kernel": ((1, 3, 5, 6), (2, 2), (3, 1), (0, 3), (1, 2)),
    "one_pixel": ((3, 5, 1, 1), (3, 3), (1, 1), (1, 1), (1, 1)),
}


def _inputs(seed, x_shape, k, dtype):
    rng = np.random.default_rng(seed)
    C = x_shape[1]
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((C, 1) + k).astype(dtype)
    b = rng.standard_normal(C).astype(dtype)
    return rng, x, w, b


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(CASES))
def test_depthwise_equals_the_reference(name, dtype):
    x_shape, k, s, p, d = CASES[name]
    rng, x, w, b = _inputs(7, x_shape, k, dtype)
    params = (s, p, d, x_shape[1])
    gy = rng.standard_normal(reference.conv2d_forward(x, w, b, *params).shape).astype(dtype)
    conv_kernels_equal_reference(numba_depthwise, x, w, b, gy, params, dtype)


@pytest.mark.parametrize("chunks", [1, 2, 3])
def test_the_plain_python_loops_equal_the_jitted_ones(chunks):
    """The loops run as plain Python (prange is range) give the jitted kernels' numbers,
    whatever the number of chunks the batch is cut into."""
    x_shape, k, s, p, d = CASES["mixed_stride_dilated"]
    rng, x, w, b = _inputs(11 + chunks, (3,) + x_shape[1:], k, np.float64)
    N, C, H, W = x.shape
    geometry = (s[0], s[1], p[0], p[1], d[0], d[1])
    wt = numba_depthwise._filters_last(w)
    y_jit = numba_depthwise.conv2d_forward(x, w, b, s, p, d, C)
    OH, OW = y_jit.shape[2:]
    y_py = np.empty_like(y_jit)
    numba_depthwise._depthwise_forward_py(
        x, wt, b, *geometry, np.empty((chunks, H, W, C)), np.empty((chunks, OH, OW, C)), y_py
    )
    np.testing.assert_array_equal(y_py, y_jit)
    gy = rng.standard_normal(y_jit.shape)
    gx_jit = numba_depthwise.conv2d_input_grad(gy, w, x.shape, s, p, d, C)
    gw_jit = numba_depthwise.conv2d_weight_grad(gy, x, w.shape, s, p, d, C)
    gx_py, part = np.empty_like(x), np.zeros((chunks,) + k + (C,))
    numba_depthwise._depthwise_input_grad_py(
        gy, wt, *geometry, np.empty((chunks, OH, OW, C)), np.empty((chunks, H, W, C)), gx_py
    )
    numba_depthwise._depthwise_weight_grad_py(
        gy, x, *geometry, np.empty((chunks, OH, OW, C)), np.empty((chunks, H, W, C)), part
    )
    gw_py = part.sum(axis=0).transpose(2, 0, 1).reshape(w.shape)
    np.testing.assert_allclose(gx_py, gx_jit, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gw_py, gw_jit, rtol=1e-12, atol=1e-12)


def test_channels_last_round_trip():
    a = np.random.default_rng(13).standard_normal((3, 4, 5))
    last = np.empty((4, 5, 3))
    numba_depthwise._channels_last_py(a, last)
    np.testing.assert_array_equal(last, a.transpose(1, 2, 0))
    back = np.empty_like(a)
    numba_depthwise._channels_first(last, back)
    np.testing.assert_array_equal(back, a)


def test_gradcheck_through_conv2d():
    """F.conv2d on the "auto" tier (the tier that takes this module) passes the gradient check."""
    rng = np.random.default_rng(5)
    x = mc.tensor(rng.standard_normal((2, 3, 5, 6)), requires_grad=True)
    w = mc.tensor(rng.standard_normal((3, 1, 3, 3)), requires_grad=True)
    b = mc.tensor(rng.standard_normal(3), requires_grad=True)
    with mc.use_kernels("auto"):
        # numba_direct.py's weight gradient, which sends every convolution of more than one
        # input channel here
        assert kernels.which("conv2d_weight_grad") == "minicnn.kernels.numba_direct.conv2d_weight_grad"
        assert mc.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, groups=3), [x, w, b])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_channel_and_strided_views(dtype):
    """A single channel, and inputs that are views with strides (not contiguous), give the
    reference's numbers; the weight gradient comes back C-contiguous."""
    rng = np.random.default_rng(19)
    x = rng.standard_normal((3, 1, 6, 7)).astype(dtype)
    w = rng.standard_normal((1, 1, 3, 3)).astype(dtype)
    params = ((1, 1), (1, 1), (1, 1), 1)
    gy = rng.standard_normal(reference.conv2d_forward(x, w, None, *params).shape).astype(dtype)
    conv_kernels_equal_reference(numba_depthwise, x, w, None, gy, params, dtype)

    wide = rng.standard_normal((2, 8, 7, 6)).astype(dtype)
    x = wide[:, ::2].transpose(0, 1, 3, 2)  # (2, 4, 6, 7), strided
    w = rng.standard_normal((4, 1, 3, 3)).astype(dtype)
    params = ((2, 1), (1, 1), (1, 1), 4)
    y_shape = reference.conv2d_forward(x, w, None, *params).shape
    gy = rng.standard_normal(y_shape[:3] + (2 * y_shape[3],)).astype(dtype)[..., ::2]
    assert not (x.flags.c_contiguous or gy.flags.c_contiguous)
    conv_kernels_equal_reference(numba_depthwise, x, w, None, gy, params, dtype)
    assert numba_depthwise.conv2d_weight_grad(gy, x, w.shape, *params).flags.c_contiguous


def test_applies_to_one_filter_per_channel_only():
    assert numba_depthwise.applies((2, 8, 5, 5), (8, 1, 3, 3), 8)
    assert not numba_depthwise.applies((2, 8, 5, 5), (16, 1, 3, 3), 8)  # channel multiplier 2
    assert not numba_depthwise.applies((2, 8, 5, 5), (8, 4, 3, 3), 2)
    assert not numba_depthwise.applies((2, 8, 5, 5), (8, 8, 3, 3), 1)


def test_other_convolutions_go_on_to_winograd_and_im2col():
    """The forward of any other convolution is numba_winograd's (which itself sends all but
    3x3 stride-1 layers to numba_im2col.py); the gradients are numba_im2col's."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 4, 6, 6))
    for w, args in (
        (rng.standard_normal((6, 2, 3, 3)), ((1, 1), (1, 1), (1, 1), 2)),
        (rng.standard_normal((5, 4, 3, 3)), ((1, 1), (1, 1), (1, 1), 1)),
    ):
        y = numba_depthwise.conv2d_forward(x, w, None, *args)
        np.testing.assert_array_equal(y, numba_winograd.conv2d_forward(x, w, None, *args))
        gy = rng.standard_normal(y.shape)
        np.testing.assert_array_equal(
            numba_depthwise.conv2d_input_grad(gy, w, x.shape, *args),
            numba_im2col.conv2d_input_grad(gy, w, x.shape, *args),
        )
        np.testing.assert_array_equal(
            numba_depthwise.conv2d_weight_grad(gy, x, w.shape, *args),
            numba_im2col.conv2d_weight_grad(gy, x, w.shape, *args),
        )


def test_auto_takes_the_depthwise_kernels():
    """The input gradient directly; the forward and the weight gradient through numba_direct.py,
    which sends every convolution of more than one input channel here."""
    auto = kernels.get("auto")
    assert auto.which("conv2d_input_grad") == "minicnn.kernels.numba_depthwise.conv2d_input_grad"
    for name in ("conv2d_forward", "conv2d_weight_grad"):
        assert auto.which(name) == f"minicnn.kernels.numba_direct.{name}"


def test_every_thread_count_gives_the_reference(monkeypatch):
    """The batch is cut into one chunk per Numba thread; with as many threads as Numba has,
    the parallel loops still equal the reference."""
    import numba

    x_shape, k, s, p, d = CASES["3x3_stride2"]
    rng, x, w, b = _inputs(17, (5,) + x_shape[1:], k, np.float64)
    params = (s, p, d, x.shape[1])
    gy = rng.standard_normal(reference.conv2d_forward(x, w, b, *params).shape)
    previous = numba.get_num_threads()
    try:
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            assert numba_im2col.parts(x.shape[0]) == min(threads, x.shape[0])
            conv_kernels_equal_reference(numba_depthwise, x, w, b, gy, params, np.float64)
    finally:
        numba.set_num_threads(previous)
