"""Pointwise convolutions (1x1, stride 1, no padding) run image by image on x itself:
y[n] = W @ x[n], gx[n] = W^T @ gy[n] and, where H*W >= C, gW = sum_n gy[n] @ x[n]^T.
Equal to the reference loops, taken exactly where by_images.pointwise says, and with no
columns built.

Same dtype, two kernels: float64 to 1e-10 and float32 to 1e-5, relative to the
array's largest value (as tests/kernels/test_conv_tiers.py compares tiers).
"""

import numpy as np
import pytest
from kernel_checks import close, conv_kernels_equal_reference

import minicnn as mc
import minicnn.functional as F
from minicnn import kernels
from minicnn.kernels import by_images, im2col, reference

ONE, ZERO = (1, 1), (0, 0)
BY_IMAGES = ("forward", "weight_grad")  # of by_images
COLUMNS = ("_im2col_into", "_gy_matrix", "_shared_gy")  # of im2col

# (seed, x shape, weight shape): H*W >= POINTWISE_CELLS (16) everywhere
POINTWISE = {
    "widening": (1, (2, 8, 4, 5), (16, 8, 1, 1)),
    "narrowing": (2, (3, 12, 5, 4), (6, 12, 1, 1)),
    "square_map_4x4": (3, (2, 16, 4, 4), (16, 16, 1, 1)),
}


def arrays(seed, x_shape, w_shape, dtype):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    gy = rng.standard_normal((x_shape[0], w_shape[0]) + x_shape[2:]).astype(dtype)
    return x, w, b, gy


def spy(monkeypatch, names):
    """The names of by_images' and im2col's functions among ``names``, in the order called."""
    taken = []
    for name in names:
        module = by_images if name in BY_IMAGES else im2col
        fn = getattr(module, name)

        def spied(*args, _fn=fn, _name=name, **kwargs):
            taken.append(_name)
            return _fn(*args, **kwargs)

        monkeypatch.setattr(module, name, spied)
    return taken


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_pointwise_by_images_equals_the_reference(name, dtype, monkeypatch):
    seed, x_shape, w_shape = POINTWISE[name]
    x, w, b, gy = arrays(seed, x_shape, w_shape, dtype)
    taken = spy(monkeypatch, BY_IMAGES + COLUMNS)
    geometry = (ONE, ZERO, ONE, 1)
    y = im2col.conv2d_forward(x, w, b, *geometry)
    gx = im2col.conv2d_input_grad(gy, w, x.shape, *geometry)
    gw = im2col.conv2d_weight_grad(gy, x, w.shape, *geometry)
    # the weight gradient goes image by image only where H*W >= C (square_map_4x4: 16 >= 16)
    gw_by_images = x_shape[2] * x_shape[3] >= x_shape[1]
    assert taken[:2] == ["forward", "forward"]
    assert ("weight_grad" in taken) is gw_by_images
    assert ("_im2col_into" in taken) is not gw_by_images  # the one GEMM builds x's columns
    close(y, reference.conv2d_forward(x, w, b, *geometry), dtype)
    close(gx, reference.conv2d_input_grad(gy, w, x.shape, *geometry), dtype)
    close(gw, reference.conv2d_weight_grad(gy, x, w.shape, *geometry), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_weight_gradient_of_more_channels_than_cells_keeps_the_one_gemm(dtype, monkeypatch):
    """24 channels on a 4x4 map: each image's (O, C) product would outweigh the copies it
    spares, so the weight gradient builds the columns; forward and input gradient do not."""
    x, w, b, gy = arrays(4, (2, 24, 4, 4), (8, 24, 1, 1), dtype)
    geometry = (ONE, ZERO, ONE, 1)
    taken = spy(monkeypatch, BY_IMAGES + COLUMNS)
    gw = im2col.conv2d_weight_grad(gy, x, w.shape, *geometry)
    assert "weight_grad" not in taken and "_im2col_into" in taken
    close(gw, reference.conv2d_weight_grad(gy, x, w.shape, *geometry), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_strided_views_and_a_dilation_give_the_same_result(dtype):
    """x and gy as non-contiguous views (a transposed array, every other image), and a
    dilation, which a 1x1 filter ignores."""
    x, w, b, gy = arrays(5, (4, 6, 5, 4), (10, 6, 1, 1), dtype)
    xt = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
    geometry = (ONE, ZERO, (2, 3), 1)
    gy2 = np.repeat(gy, 2, axis=0)[::2]
    assert by_images.pointwise(xt, w.shape, ONE, ZERO, 1) and not gy2.flags.c_contiguous
    conv_kernels_equal_reference(im2col, xt, w, b, gy2, geometry, dtype)


@pytest.mark.parametrize(
    "x_shape, w_shape, stride, padding, groups, expected",
    [
        ((1, 8, 4, 4), (8, 8, 1, 1), ONE, ZERO, 1, True),
        ((1, 8, 3, 5), (8, 8, 1, 1), ONE, ZERO, 1, False),  # 15 cells
        ((1, 8, 2, 8), (8, 8, 1, 1), ONE, ZERO, 1, True),  # 16 cells
        ((1, 128, 4, 4), (256, 128, 1, 1), ONE, ZERO, 1, True),  # W: 5.3 times (C + O)*H*W
        ((1, 256, 2, 8), (256, 256, 1, 1), ONE, ZERO, 1, True),  # POINTWISE_WEIGHT_RATIO (8) exactly
        ((1, 257, 4, 4), (256, 257, 1, 1), ONE, ZERO, 1, False),
        ((1, 512, 4, 4), (512, 512, 1, 1), ONE, ZERO, 1, False),  # 16 times
        ((1, 512, 14, 14), (512, 512, 1, 1), ONE, ZERO, 1, True),
        ((1, 8, 8, 8), (8, 8, 1, 1), (2, 2), ZERO, 1, False),
        ((1, 8, 8, 8), (8, 8, 1, 1), ONE, (1, 1), 1, False),
        ((1, 8, 8, 8), (8, 8, 3, 3), ONE, ZERO, 1, False),
        ((1, 8, 8, 8), (8, 4, 1, 1), ONE, ZERO, 2, False),
    ],
)
def test_pointwise_only_for_1x1_stride_1_unpadded_one_group(
    x_shape, w_shape, stride, padding, groups, expected
):
    assert by_images.pointwise(np.zeros(x_shape), w_shape, stride, padding, groups) is expected


def test_cupy_arrays_keep_the_one_gemm():
    """On CuPy each image would be a GEMM of its own: an array of the cupy module is never
    taken image by image."""
    cupy_like = type("ndarray", (), {"__module__": "cupy._core.core", "shape": (1, 8, 8, 8)})()
    assert by_images.pointwise(cupy_like, (8, 8, 1, 1), ONE, ZERO, 1) is False


@pytest.mark.parametrize("tier", ["numpy", "numba", "auto"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_cpu_tier_equals_the_reference_on_a_pointwise_convolution(tier, dtype):
    if tier != "numpy":
        pytest.importorskip("numba")
    x, w, b, gy = arrays(6, (2, 12, 16, 16), (6, 12, 1, 1), dtype)  # a map the joint kernel takes
    conv_kernels_equal_reference(kernels.get(tier), x, w, b, gy, (ONE, ZERO, ONE, 1), dtype)


def test_gradcheck_through_conv2d(monkeypatch):
    rng = np.random.default_rng(7)
    x = mc.tensor(rng.standard_normal((2, 3, 4, 5)), requires_grad=True)
    w = mc.tensor(rng.standard_normal((5, 3, 1, 1)), requires_grad=True)
    b = mc.tensor(rng.standard_normal(5), requires_grad=True)
    taken = spy(monkeypatch, BY_IMAGES)
    with mc.use_kernels("numpy"):
        assert mc.gradcheck(lambda x, w, b: F.conv2d(x, w, b), [x, w, b])
    assert set(taken) == set(BY_IMAGES)


def test_the_joint_gradient_kernel_leaves_pointwise_convolutions_to_the_pair():
    """numba_im2col.conv2d_grads declines a 1x1 convolution whose two gradients im2col.py runs
    on x and gy themselves (a map it would otherwise take: 16x16, fewer output than input
    channels), and still takes a 3x3 one of the same map, and a 1x1 one of more channels
    than cells, whose weight gradient would build columns."""
    numba_im2col = pytest.importorskip("minicnn.kernels.numba_im2col")
    x, w, _, gy = arrays(8, (2, 12, 16, 16), (6, 12, 1, 1), np.float64)
    assert by_images.pointwise_weight_grad(x, w.shape, ONE, ZERO, 1)
    assert numba_im2col.conv2d_grads(gy, x, w, ONE, ZERO, ONE, 1) is None
    w3 = np.random.default_rng(9).standard_normal((6, 12, 3, 3))
    gx, gw = numba_im2col.conv2d_grads(gy, x, w3, ONE, (1, 1), ONE, 1)
    close(gx, reference.conv2d_input_grad(gy, w3, x.shape, ONE, (1, 1), ONE, 1), np.float64)
    close(gw, reference.conv2d_weight_grad(gy, x, w3.shape, ONE, (1, 1), ONE, 1), np.float64)
    x, w, _, gy = arrays(10, (1, 300, 16, 16), (6, 300, 1, 1), np.float64)  # 256 cells < 300 channels
    assert by_images.pointwise(x, w.shape, ONE, ZERO, 1) and not by_images.pointwise_weight_grad(
        x, w.shape, ONE, ZERO, 1
    )
    gx, gw = numba_im2col.conv2d_grads(gy, x, w, ONE, ZERO, ONE, 1)
    close(gx, reference.conv2d_input_grad(gy, w, x.shape, ONE, ZERO, ONE, 1), np.float64)
    close(gw, reference.conv2d_weight_grad(gy, x, w.shape, ONE, ZERO, ONE, 1), np.float64)


@pytest.mark.parametrize(
    "x_shape, w_shape, expected",
    [
        ((1, 16, 4, 4), (8, 16, 1, 1), True),  # 16 cells, 16 channels
        ((1, 17, 4, 4), (8, 17, 1, 1), False),
        ((1, 8, 3, 5), (8, 8, 1, 1), False),  # not pointwise at all: 15 cells
    ],
)
def test_pointwise_weight_gradient_only_from_as_many_cells_as_channels(x_shape, w_shape, expected):
    assert by_images.pointwise_weight_grad(np.zeros(x_shape), w_shape, ONE, ZERO, 1) is expected
