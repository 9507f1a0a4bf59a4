"""The single-channel forward and weight gradient equal the reference loops, jitted and as
plain Python, at every thread count, pass the gradient check through F.conv2d, and send
other convolutions on."""

import numpy as np
import pytest

pytest.importorskip("numba")

from kernel_checks import close

import minicnn as mc
from minicnn import functional as F
from minicnn import kernels
from minicnn.kernels import numba_depthwise, numba_direct, reference

pytestmark = pytest.mark.numba

# (x shape, weight shape, padding): LeNet-5's first layer, uneven kernels and paddings,
# a padding wider than the kernel, a 1x1 kernel, one image, a kernel as large as the image
CASES = {
    "lenet5": ((3, 1, 28, 28), (6, 1, 5, 5), (2, 2)),
    "uneven": ((2, 1, 7, 9), (4, 1, 3, 2), (1, 2)),
    "wide_padding": ((2, 1, 5, 4), (3, 1, 2, 3), (3, 0)),
    "one_by_one": ((3, 1, 4, 6), (2, 1, 1, 1), (0, 0)),
    "one_image": ((1, 1, 6, 6), (5, 1, 3, 3), (1, 1)),
    "whole_image": ((2, 1, 5, 5), (2, 1, 5, 5), (0, 0)),
}


def _inputs(seed, x_shape, w_shape, dtype):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    return x, w, b


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(CASES))
def test_forward_equals_the_reference(name, dtype):
    x_shape, w_shape, padding = CASES[name]
    x, w, b = _inputs(3 + list(CASES).index(name), x_shape, w_shape, dtype)
    params = ((1, 1), padding, (1, 1), 1)
    for bias in (b, None):
        want = reference.conv2d_forward(x, w, bias, *params)
        close(numba_direct.conv2d_forward(x, w, bias, *params), want, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(CASES))
def test_weight_grad_equals_the_reference(name, dtype):
    x_shape, w_shape, padding = CASES[name]
    x, w, _ = _inputs(53 + list(CASES).index(name), x_shape, w_shape, dtype)
    params = ((1, 1), padding, (1, 1), 1)
    gy = np.random.default_rng(59).standard_normal(reference.conv2d_forward(x, w, None, *params).shape)
    gy = gy.astype(dtype)
    want = reference.conv2d_weight_grad(gy, x, w_shape, *params)
    close(numba_direct.conv2d_weight_grad(gy, x, w_shape, *params), want, dtype)


def test_strided_views_nan_and_inf():
    """A view with strides, and NaN and infinities in x, give the reference's numbers
    (NaN where the reference has NaN)."""
    rng = np.random.default_rng(23)
    x = rng.standard_normal((3, 1, 8, 14))[..., ::2]
    assert not x.flags.c_contiguous
    x[0, 0, 2, 3], x[1, 0, 0, 0], x[2, 0, 7, 6] = np.nan, np.inf, -np.inf
    w = rng.standard_normal((2, 1, 3, 3))
    params = ((1, 1), (1, 1), (1, 1), 1)
    got = numba_direct.conv2d_forward(x, w, None, *params)
    want = reference.conv2d_forward(x, w, None, *params)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    assert np.isnan(want).sum() > 9  # the NaN, and inf - inf where both infinities meet
    close(np.nan_to_num(got), np.nan_to_num(want), np.float64)
    gy = rng.standard_normal(want.shape)[:, :, ::-1]  # a view with a negative stride
    gw = numba_direct.conv2d_weight_grad(gy, x, w.shape, *params)
    assert np.isnan(gw).all()  # every tap of every filter reads the NaN or both infinities
    x[...] = np.nan_to_num(x, posinf=0, neginf=0)
    close(
        numba_direct.conv2d_weight_grad(gy, x, w.shape, *params),
        reference.conv2d_weight_grad(gy, x, w.shape, *params),
        np.float64,
    )


@pytest.mark.parametrize("chunks", [1, 2, 3])
def test_the_plain_python_loop_equals_the_jitted_one(chunks):
    """The loop run as plain Python (prange is range) gives the jitted kernel's numbers,
    whatever the number of chunks the batch is cut into, from buffers full of NaN: it zeroes
    the border itself and writes every output cell."""
    x_shape, w_shape, (ph, pw) = CASES["uneven"]
    x, w, b = _inputs(11 + chunks, (4,) + x_shape[1:], w_shape, np.float64)
    y_jit = numba_direct.conv2d_forward(x, w, b, (1, 1), (ph, pw), (1, 1), 1)
    (H, W), (KH, KW) = x.shape[2:], w.shape[2:]
    Hp, Wp = H + 2 * ph, W + 2 * pw
    y_py = np.full_like(y_jit, np.nan)
    xflat, plane = np.full((chunks, Hp * Wp + KW - 1), np.nan), np.full((chunks, (Hp - KH + 1) * Wp), np.nan)
    numba_direct._forward_py_for(KW)(x, w, b, ph, pw, xflat, plane, y_py)
    np.testing.assert_allclose(y_py, y_jit, rtol=1e-12, atol=1e-12)
    close(y_py, reference.conv2d_forward(x, w, b, (1, 1), (ph, pw), (1, 1), 1), np.float64)


@pytest.mark.parametrize("name", list(CASES))
def test_the_buffers_conv2d_forward_allocates_are_large_enough(name, monkeypatch):
    """conv2d_forward with the plain Python loop in place of the jitted one, so that a read
    or write past the end of the buffers it allocates raises instead of reading memory."""
    x_shape, w_shape, padding = CASES[name]
    x, w, b = _inputs(41 + list(CASES).index(name), x_shape, w_shape, np.float64)
    monkeypatch.setattr(numba_direct, "_forward", numba_direct._forward_py_for)
    got = numba_direct.conv2d_forward(x, w, b, (1, 1), padding, (1, 1), 1)
    close(got, reference.conv2d_forward(x, w, b, (1, 1), padding, (1, 1), 1), np.float64)


@pytest.mark.parametrize("name", list(CASES))
def test_the_plain_python_shift_equals_the_jitted_one(name):
    """The shifted copies of the weight gradient, as plain Python and jitted, into buffers full
    of NaN (each copy zeroes its padding itself), equal x's padded image shifted by v; and the
    weight gradient with the plain loop in place of the jitted one, whose slices raise where
    a read or write leaves the buffer, equals the reference."""
    x_shape, w_shape, (ph, pw) = CASES[name]
    x, w, _ = _inputs(61 + list(CASES).index(name), x_shape, w_shape, np.float64)
    N, _, H, W = x.shape
    KW = w.shape[3]
    OW = W + 2 * pw - KW + 1
    xp = np.pad(x[:, 0], ((0, 0), (ph, ph), (pw, pw)))
    want = np.stack([xp[:, :, v : v + OW] for v in range(KW)], axis=1)
    for shift in (numba_direct._shifted_py, numba_direct._shifted):
        out = np.full((N, KW, H + 2 * ph, OW), np.nan)
        shift(x, ph, pw, out)
        np.testing.assert_array_equal(out, want)
    params = ((1, 1), (ph, pw), (1, 1), 1)
    gy = np.random.default_rng(67).standard_normal(reference.conv2d_forward(x, w, None, *params).shape)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(numba_direct, "_shifted", numba_direct._shifted_py)
        got = numba_direct.conv2d_weight_grad(gy, x, w.shape, *params)
    close(got, reference.conv2d_weight_grad(gy, x, w.shape, *params), np.float64)


def test_one_compiled_loop_per_kernel_width():
    """Each kernel width gets its own compiled loop, and a width asked for again reuses it:
    a 3-wide kernel after a 5-wide one is not summed over 5 taps."""
    rng = np.random.default_rng(29)
    x = rng.standard_normal((2, 1, 6, 7))
    params = ((1, 1), (1, 1), (1, 1), 1)
    for width in (5, 3, 5, 2):
        w = rng.standard_normal((2, 1, 3, width))
        want = reference.conv2d_forward(x, w, None, *params)
        close(numba_direct.conv2d_forward(x, w, None, *params), want, np.float64)
    assert numba_direct._forward(5) is numba_direct._forward(5)
    assert numba_direct._forward(3) is not numba_direct._forward(5)


def test_every_thread_count_gives_the_reference(monkeypatch):
    import numba

    x_shape, w_shape, padding = CASES["lenet5"]
    x, w, b = _inputs(17, (5,) + x_shape[1:], w_shape, np.float64)
    params = ((1, 1), padding, (1, 1), 1)
    want = reference.conv2d_forward(x, w, b, *params)
    gy = np.random.default_rng(19).standard_normal(want.shape)
    want_gw = reference.conv2d_weight_grad(gy, x, w.shape, *params)
    previous = numba.get_num_threads()
    try:
        for threads in sorted({1, 2, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            close(numba_direct.conv2d_forward(x, w, b, *params), want, np.float64)
            close(numba_direct.conv2d_weight_grad(gy, x, w.shape, *params), want_gw, np.float64)
    finally:
        numba.set_num_threads(previous)


def test_applies_to_single_channel_stride_one_convolutions_only():
    assert numba_direct.applies((2, 1, 28, 28), (1, 1), (1, 1), 1)
    assert not numba_direct.applies((2, 3, 28, 28), (1, 1), (1, 1), 1)
    assert not numba_direct.applies((2, 1, 28, 28), (2, 2), (1, 1), 1)
    assert not numba_direct.applies((2, 1, 28, 28), (1, 1), (1, 2), 1)


def test_other_convolutions_go_on_to_the_depthwise_module():
    """Several channels, strides and dilations: numba_depthwise's forward and weight gradient,
    to the bit."""
    rng = np.random.default_rng(31)
    for x_shape, w_shape, args in (
        ((2, 3, 6, 6), (4, 3, 3, 3), ((1, 1), (1, 1), (1, 1), 1)),
        ((2, 4, 6, 6), (4, 1, 3, 3), ((1, 1), (1, 1), (1, 1), 4)),
        ((2, 1, 7, 7), (3, 1, 3, 3), ((2, 2), (1, 1), (1, 1), 1)),
        ((2, 1, 7, 7), (3, 1, 3, 3), ((1, 1), (2, 2), (2, 2), 1)),
    ):
        x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
        y = numba_depthwise.conv2d_forward(x, w, None, *args)
        np.testing.assert_array_equal(numba_direct.conv2d_forward(x, w, None, *args), y)
        gy = rng.standard_normal(y.shape)
        np.testing.assert_array_equal(
            numba_direct.conv2d_weight_grad(gy, x, w.shape, *args),
            numba_depthwise.conv2d_weight_grad(gy, x, w.shape, *args),
        )


def test_gradcheck_through_conv2d():
    """F.conv2d on the "auto" tier, whose forward and weight gradient this module gives, passes
    the gradient check: they agree with each other and with im2col's input gradient."""
    rng = np.random.default_rng(37)
    x = mc.tensor(rng.standard_normal((2, 1, 5, 6)), requires_grad=True)
    w = mc.tensor(rng.standard_normal((3, 1, 3, 2)), requires_grad=True)
    b = mc.tensor(rng.standard_normal(3), requires_grad=True)
    with mc.use_kernels("auto"):
        assert kernels.which("conv2d_forward") == "minicnn.kernels.numba_direct.conv2d_forward"
        assert kernels.which("conv2d_weight_grad") == "minicnn.kernels.numba_direct.conv2d_weight_grad"
        assert mc.gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=(2, 1)), [x, w, b])
