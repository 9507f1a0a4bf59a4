"""numba_winograd leaves convolutions of few 2x2 output tiles (``few_tiles``: under MIN_TILES,
or under TILES_PER_CHANNEL for each channel of the weight's wider side) to numba_im2col: below
the bound each kernel's result is exactly numba_im2col's and Winograd's pipeline is not
entered; at the bound Winograd runs, and gives numba_im2col's result to Winograd's rounding.

Same dtype, two kernels: float64 to 1e-10 and float32 to 1e-5 (kernel_checks.close).
"""

import numpy as np
import pytest
from kernel_checks import close

pytestmark = pytest.mark.numba

ONE = ((1, 1), (1, 1), (1, 1), 1)  # stride, padding 1, dilation, groups


@pytest.fixture
def nw():
    from minicnn.kernels import numba_winograd

    # the figures these tests are written for (numba_winograd.few_tiles cites their measurements)
    assert numba_winograd.MIN_TILES == 256 and numba_winograd.TILES_PER_CHANNEL == 2
    return numba_winograd


@pytest.fixture
def ni():
    from minicnn.kernels import numba_im2col

    return numba_im2col


@pytest.mark.parametrize(
    "out_shape, weight_shape, few",
    [
        ((4, 16, 16, 16), (16, 16, 3, 3), False),  # 4 x 8 x 8 = 256 tiles: MIN_TILES
        ((3, 16, 16, 16), (16, 16, 3, 3), True),  # 192
        ((4, 16, 15, 15), (16, 16, 3, 3), False),  # odd sizes round up: 4 x 8 x 8
        ((4, 16, 14, 14), (16, 16, 3, 3), True),  # 4 x 7 x 7 = 196
        ((128, 512, 4, 4), (512, 512, 3, 3), True),  # 512 tiles, under two per channel
        ((256, 512, 4, 4), (512, 512, 3, 3), False),  # 1024
        ((4, 150, 16, 16), (150, 4, 3, 3), True),  # 256 tiles, under 2 x 150: the wider side is O ...
        ((4, 4, 16, 16), (4, 150, 3, 3), True),  # ... or C
        ((5, 150, 16, 16), (150, 4, 3, 3), False),  # 320 tiles
    ],
)
def test_few_tiles_is_under_min_tiles_or_one_per_channel_of_the_wider_side(nw, out_shape, weight_shape, few):
    assert nw.few_tiles(out_shape, weight_shape) is few


def arrays(seed, x_shape, out_channels, dtype):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((out_channels, x_shape[1], 3, 3)).astype(dtype)
    b = rng.standard_normal(out_channels).astype(dtype)
    gy = rng.standard_normal((x_shape[0], out_channels) + x_shape[2:]).astype(dtype)  # "same"
    return x, w, b, gy


def spy_on_winograd(nw, monkeypatch):
    """Record each entry into Winograd's pipelines: the convolution (forward and gx) and gW's."""
    entered = []
    convolve, weight_gradient = nw.convolve, nw.weight_gradient
    monkeypatch.setattr(nw, "convolve", lambda *a: entered.append("convolve") or convolve(*a))
    monkeypatch.setattr(
        nw, "weight_gradient", lambda *a: entered.append("weight_gradient") or weight_gradient(*a)
    )
    return entered


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "seed, x_shape, out_channels, by_winograd",
    [
        (1, (3, 8, 16, 16), 8, False),  # 192 tiles
        (2, (4, 8, 16, 16), 8, True),  # 256
        (3, (4, 4, 16, 16), 150, False),  # 256 tiles, 150 output channels
        (4, (5, 4, 16, 16), 150, True),  # 320
    ],
)
def test_forward_and_input_gradient(nw, ni, seed, x_shape, out_channels, by_winograd, dtype, monkeypatch):
    x, w, b, gy = arrays(seed, x_shape, out_channels, dtype)
    entered = spy_on_winograd(nw, monkeypatch)
    y, gx = nw.conv2d_forward(x, w, b, *ONE), nw.conv2d_input_grad(gy, w, x.shape, *ONE)
    want_y, want_gx = ni.conv2d_forward(x, w, b, *ONE), ni.conv2d_input_grad(gy, w, x.shape, *ONE)
    if by_winograd:
        assert entered == ["convolve", "convolve"]
        close(y, want_y, dtype)
        close(gx, want_gx, dtype)
    else:
        assert entered == []
        np.testing.assert_array_equal(y, want_y)
        np.testing.assert_array_equal(gx, want_gx)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "seed, x_shape, by_winograd",
    [
        (5, (3, 8, 16, 16), False),  # 192 tiles: numba_im2col's joint kernel (16 x 16 maps)
        (6, (4, 8, 16, 16), True),  # 256: both by Winograd
        (7, (15, 8, 8, 8), False),  # 240 tiles: numba_im2col's, image by image (8 x 8 maps)
        (8, (16, 8, 8, 8), True),  # 256: both by Winograd
    ],
)
def test_joint_gradients_and_weight_gradient(nw, ni, seed, x_shape, by_winograd, dtype, monkeypatch):
    x, w, _, gy = arrays(seed, x_shape, 8, dtype)
    entered = spy_on_winograd(nw, monkeypatch)
    grads, gw = nw.conv2d_grads(gy, x, w, *ONE), nw.conv2d_weight_grad(gy, x, w.shape, *ONE)
    want = (ni.conv2d_input_grad(gy, w, x.shape, *ONE), ni.conv2d_weight_grad(gy, x, w.shape, *ONE))
    if by_winograd:
        # gx's convolution, then gW's by Winograd in conv2d_grads and alone
        assert sorted(entered) == ["convolve", "weight_gradient", "weight_gradient"]
        for got, expected in zip(grads + (gw,), want + want[1:]):
            close(got, expected, dtype)
    else:
        assert entered == []
        # numba_im2col's: the "same" joint kernel on 16 x 16, x's columns image by image on 8 x 8
        for got, expected in zip(grads, ni.conv2d_grads(gy, x, w, *ONE)):
            np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(gw, want[1])
