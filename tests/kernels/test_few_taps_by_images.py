"""Convolutions whose filters have few taps (C*KH*KW <= by_images.FEW_TAPS) run their
forward GEMM and their weight gradient image by image: equal to the reference loops,
and taken exactly where by_images.few_taps says.

Same dtype, two kernels: float64 to 1e-10 and float32 to 1e-5, relative to the
array's largest value (as tests/kernels/test_conv_tiers.py compares tiers).
"""

import numpy as np
import pytest
from kernel_checks import close

from minicnn.kernels import by_images, im2col, reference

# (seed, x shape, weight shape, stride, padding)
FEW = {
    "lenet5_conv1": (1, (2, 1, 16, 16), (6, 1, 5, 5), (1, 1), (2, 2)),
    "rgb_3x3": (2, (2, 3, 9, 8), (4, 3, 3, 3), (1, 1), (1, 1)),
    "1x1_widening_27_channels": (3, (2, 27, 5, 4), (40, 27, 1, 1), (1, 1), (0, 0)),
    "dilated_3x3": (4, (2, 2, 9, 9), (3, 2, 3, 3), (1, 1), (2, 2)),
}


def arrays(seed, x_shape, w_shape, stride, padding, dtype, dilation=(1, 1)):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    y = reference.conv2d_forward(x, w, None, stride, padding, dilation, 1)
    return x, w, b, rng.standard_normal(y.shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(FEW))
def test_few_taps_by_images_equal_the_reference(name, dtype, monkeypatch):
    seed, x_shape, w_shape, stride, padding = FEW[name]
    dilation = (2, 2) if name.startswith("dilated") else (1, 1)
    x, w, b, gy = arrays(seed, x_shape, w_shape, stride, padding, dtype, dilation)
    taken = _spy_both(monkeypatch)
    geometry = (stride, padding, dilation, 1)
    y = im2col.conv2d_forward(x, w, b, *geometry)
    gw = im2col.conv2d_weight_grad(gy, x, w.shape, *geometry)
    assert taken == ["forward", "weight_grad"]
    close(y, reference.conv2d_forward(x, w, b, *geometry), dtype)
    close(gw, reference.conv2d_weight_grad(gy, x, w.shape, *geometry), dtype)


def _spy_both(monkeypatch):
    """The names of the by-images functions, in the order they are called."""
    taken = []
    for name in ("forward", "weight_grad"):
        fn = getattr(by_images, name)

        def spied(*args, _fn=fn, _name=name):
            taken.append(_name)
            return _fn(*args)

        monkeypatch.setattr(by_images, name, spied)
    return taken


@pytest.mark.parametrize(
    "taps, groups, expected",
    [
        (25, 1, True),
        (by_images.FEW_TAPS, 1, True),
        (by_images.FEW_TAPS + 1, 1, False),
        (150, 1, False),
        (8, 2, False),
    ],
)
def test_few_taps_only_for_few_taps_and_one_group(taps, groups, expected):
    assert by_images.few_taps(np.zeros(1), taps, groups) is expected


def test_cupy_arrays_keep_the_one_gemm():
    """On CuPy each image would be a kernel launch: an array of the cupy module is never
    taken image by image."""
    cupy_like = type("ndarray", (), {"__module__": "cupy._core.core"})()
    assert by_images.few_taps(cupy_like, 9, 1) is False


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "seed, x_shape, w_shape, padding",
    [(7, (2, 3, 6, 5), (3, 3, 3, 3), (1, 1)), (8, (1, 32, 4, 5), (16, 32, 1, 1), (0, 0))],
)
def test_same_input_gradient_of_few_output_taps_by_images(
    seed, x_shape, w_shape, padding, dtype, monkeypatch
):
    """A "same" convolution's input gradient is the convolution of gy with the flipped,
    transposed kernel (O*KH*KW taps: 27, and 16 through a 1x1's transposed view): it goes
    image by image too, and equals the reference."""
    x, w, _, gy = arrays(seed, x_shape, w_shape, (1, 1), padding, dtype)
    taken = _spy_both(monkeypatch)
    geometry = ((1, 1), padding, (1, 1), 1)
    gx = im2col.conv2d_input_grad(gy, w, x.shape, *geometry)
    assert taken == ["forward"]
    close(gx, reference.conv2d_input_grad(gy, w, x.shape, *geometry), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_many_taps_and_strided_keep_the_one_gemm(dtype, monkeypatch):
    """LeNet-5's second convolution (150 taps) and a 3x3 one at stride 2 (the phase split's
    wide columns) go the one-GEMM way, and still equal the reference."""
    called = _spy_both(monkeypatch)
    for seed, x_shape, w_shape, stride, padding in [
        (5, (1, 6, 9, 9), (16, 6, 5, 5), (1, 1), (0, 0)),
        (6, (2, 3, 9, 9), (4, 3, 3, 3), (2, 2), (1, 1)),
    ]:
        x, w, b, gy = arrays(seed, x_shape, w_shape, stride, padding, dtype)
        geometry = (stride, padding, (1, 1), 1)
        close(im2col.conv2d_forward(x, w, b, *geometry), reference.conv2d_forward(x, w, b, *geometry), dtype)
        gw = im2col.conv2d_weight_grad(gy, x, w.shape, *geometry)
        close(gw, reference.conv2d_weight_grad(gy, x, w.shape, *geometry), dtype)
    assert called == []
