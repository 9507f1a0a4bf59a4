"""The CUDA kernels of the cuda tier, their C++ run on the CPU (cuda_on_cpu.py), against the
xp code and the reference loops: their index arithmetic and order of additions checked where
no GPU is. The same comparisons on a GPU are in tests/test_gpu_cupy_kernels.py.

The copies are compared bit for bit (im2col copies; col2im adds the same terms in the same
order); sums taken in another order to 1e-5 (float32) and 1e-12 (float64).
"""

import sys

import numpy as np
import pytest
from cuda_on_cpu import compiler, cupy_on_numpy, elementwise, kernel
from kernel_checks import close

from minicnn.kernels import cupy_gpu, cupy_norm, im2col, reference, xp_activation, xp_norm, xp_pool

DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 1e-5, np.float64: 1e-12}

# (stride, padding, dilation, kernel size): strides with and without a division, paddings past
# the window, dilations, kernels not square
GEOMETRIES = {
    "plain": ((1, 1), (1, 1), (1, 1), (3, 3)),
    "strided": ((2, 2), (0, 1), (1, 1), (3, 3)),
    "dilated": ((2, 1), (2, 1), (2, 1), (3, 2)),
    "wide_stride": ((3, 2), (1, 0), (1, 2), (2, 3)),
    "padding_past_the_window": ((1, 1), (3, 2), (2, 3), (3, 3)),
}


@pytest.fixture
def on_cpu(monkeypatch):
    """cupy_gpu and cupy_norm with their kernels run on the CPU and ``cupy`` made of NumPy."""
    if compiler() is None:
        pytest.skip("needs a C++ compiler (c++ or g++)")
    monkeypatch.setitem(sys.modules, "cupy", cupy_on_numpy())
    for module in (cupy_gpu, cupy_norm):
        monkeypatch.setattr(module, "kernel", kernel)
        monkeypatch.setattr(module, "elementwise", elementwise)


def _shapes(stride, padding, dilation, kernel_size, N=2, C=4, H=9, W=8):
    KH, KW = kernel_size
    OH = (H + 2 * padding[0] - dilation[0] * (KH - 1) - 1) // stride[0] + 1
    OW = (W + 2 * padding[1] - dilation[1] * (KW - 1) - 1) // stride[1] + 1
    return (N, C, H, W), (C, KH, KW, N, OH, OW)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_im2col_and_col2im_kernels_equal_the_xp_copies(name, dtype, on_cpu):
    stride, padding, dilation, kernel_size = GEOMETRIES[name]
    x_shape, cols_shape = _shapes(*GEOMETRIES[name])
    rng = np.random.default_rng(len(name))
    cols = rng.standard_normal(cols_shape).astype(dtype)
    np.testing.assert_array_equal(
        cupy_gpu.col2im(cols, x_shape, stride, padding, dilation),
        im2col.col2im(cols, x_shape, stride, padding, dilation),
    )
    N, C, H, W = x_shape
    xpad = rng.standard_normal((N, C, H + 2 * padding[0], W + 2 * padding[1])).astype(dtype)
    transposed = xpad.transpose(1, 0, 2, 3).copy().transpose(1, 0, 2, 3)  # not contiguous
    for x in (xpad, transposed):
        got, want = np.full(cols_shape, np.nan, dtype), np.full(cols_shape, np.nan, dtype)
        cupy_gpu.copy_windows(x, got, stride, dilation)
        im2col.copy_windows(x, want, stride, dilation)
        np.testing.assert_array_equal(got, want)


# (x shape, weight shape, padding): a "same" convolution (its input gradient the convolution of
# gy, whose columns both gradients share) and a widening one (col2im after W^T gY)
CONVOLUTIONS = {
    "same": ((2, 4, 7, 6), (3, 4, 3, 3), (1, 1)),
    "widening": ((2, 2, 6, 5), (5, 2, 3, 2), (1, 0)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CONVOLUTIONS))
def test_convolution_through_the_kernels_equals_the_reference(name, dtype, on_cpu):
    x_shape, w_shape, padding = CONVOLUTIONS[name]
    rng = np.random.default_rng(10 + len(name))
    x, w = rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype)
    params = ((1, 1), padding, (1, 1), 1)
    y = cupy_gpu.conv2d_forward(x, w, None, *params)
    close(y, reference.conv2d_forward(x, w, None, *params), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    with im2col.sharing(gy):  # as Conv2d.backward runs the two
        gx = cupy_gpu.conv2d_input_grad(gy, w, x.shape, *params)
        gw = cupy_gpu.conv2d_weight_grad(gy, x, w.shape, *params)
    close(gx, reference.conv2d_input_grad(gy, w, x.shape, *params), dtype)
    close(gw, reference.conv2d_weight_grad(gy, x, w.shape, *params), dtype)


def test_beyond_the_grid_the_xp_code_runs(on_cpu, monkeypatch):
    """Where CUDA's grid cannot hold the images or channels, col2im is the xp code's."""
    stride, padding, dilation, _ = GEOMETRIES["dilated"]
    x_shape, cols_shape = _shapes(*GEOMETRIES["dilated"])
    cols = np.random.default_rng(20).standard_normal(cols_shape)
    want = im2col.col2im(cols, x_shape, stride, padding, dilation)
    calls, xp_col2im = [], im2col.col2im
    monkeypatch.setattr(cupy_gpu, "kernel", lambda *a: calls.append(a[1]) or kernel(*a))
    monkeypatch.setattr(im2col, "col2im", lambda *a: calls.append("xp") or xp_col2im(*a))
    np.testing.assert_array_equal(cupy_gpu.col2im(cols, x_shape, stride, padding, dilation), want)
    assert calls == ["col2im_gather"]
    monkeypatch.setattr(cupy_gpu, "GRID_MAX", 1)
    np.testing.assert_array_equal(cupy_gpu.col2im(cols, x_shape, stride, padding, dilation), want)
    assert calls[-1] == "xp"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 7, 6), (37, 5, 300), (64, 3, 1024)])
def test_batch_norm_sums_equal_the_xp_code(shape, dtype, on_cpu):
    """One block of threads per channel, several, and a last round only some threads reach;
    x off-centre, so the variance's second pass matters."""
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 3 + 5).astype(dtype)
    for got, want in zip(cupy_norm.batch_norm_stats(x), xp_norm.batch_norm_stats(x)):
        np.testing.assert_allclose(got, want, rtol=RTOL[dtype])
    gy, xhat = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    gbias, gweight = cupy_norm._channel_sums(cupy_norm.SUM_AND_PRODUCT, gy, xhat)
    np.testing.assert_allclose(gbias, gy.sum(axis=(0, 2)), rtol=RTOL[dtype], atol=RTOL[dtype] * 10)
    np.testing.assert_allclose(gweight, (gy * xhat).sum(axis=(0, 2)), rtol=RTOL[dtype], atol=RTOL[dtype] * 10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_lrn_kernels_equal_the_xp_code(dtype, on_cpu):
    rng = np.random.default_rng(30)
    x, gy = (rng.standard_normal((2, 7, 6)).astype(dtype) for _ in range(2))
    for size in (1, 4, 5, 9):
        y, s = cupy_norm.lrn_forward(x, size, 0.3, 0.75, 2.0)
        y_xp, s_xp = xp_norm.lrn_forward(x, size, 0.3, 0.75, 2.0)
        np.testing.assert_allclose(y, y_xp, rtol=RTOL[dtype])
        np.testing.assert_allclose(s, s_xp, rtol=RTOL[dtype])
        np.testing.assert_allclose(
            cupy_norm.lrn_input_grad(gy, x, s, size, 0.3, 0.75),
            xp_norm.lrn_input_grad(gy, x, s_xp, size, 0.3, 0.75),
            rtol=RTOL[dtype],
            atol=RTOL[dtype],
        )


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_pool_backward_kernel_equals_the_xp_code(dtype, on_cpu):
    """Overlapping 3x3 windows at stride 2, where two windows may share a maximum."""
    rng = np.random.default_rng(40)
    x = rng.permutation(2 * 3 * 9 * 9).reshape(2, 3, 9, 9).astype(dtype)
    _, argmax = xp_pool.max_pool2d_forward(x, (3, 3), (2, 2), (0, 0), False)
    gy = rng.standard_normal((2, 3, 4, 4)).astype(dtype)
    np.testing.assert_allclose(
        cupy_gpu.max_pool2d_input_grad(gy, argmax, x.shape),
        xp_pool.max_pool2d_input_grad(gy, argmax, x.shape),
        rtol=RTOL[dtype],
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_backward_kernel_selects_as_the_xp_code(dtype, on_cpu):
    """gy where y is not 0, else +0.0: also where gy is inf or NaN at a dead unit, and no -0.0
    from a negative gy (bit for bit)."""
    rng = np.random.default_rng(50)
    y = np.maximum(rng.standard_normal((3, 50)), 0).astype(dtype)
    y[0, :3] = np.nan
    gy = rng.standard_normal((3, 50)).astype(dtype)
    gy[1, :4] = [np.inf, -np.inf, np.nan, -0.0]
    y[1, :4] = 0
    bits = f"u{np.dtype(dtype).itemsize}"
    np.testing.assert_array_equal(
        cupy_gpu.relu_input_grad(gy, y).view(bits), xp_activation.relu_input_grad(gy, y).view(bits)
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_elementwise_kernels_equal_the_xp_code(dtype, on_cpu):
    """The normalisation, its backward (per-channel vectors broadcast against (N, C, M)),
    1/sqrt(var + eps) and the running statistics updated in place."""
    rng = np.random.default_rng(60)
    x, gy = (rng.standard_normal((3, 5, 7)).astype(dtype) for _ in range(2))
    mean, w, b = (rng.standard_normal(5).astype(dtype) for _ in range(3))
    var = rng.random(5).astype(dtype) + 0.5
    invstd = cupy_norm.batch_norm_invstd(var, 1e-5)
    np.testing.assert_allclose(invstd, xp_norm.batch_norm_invstd(var, 1e-5), rtol=RTOL[dtype])
    got = cupy_norm.batch_norm_apply(x, mean, invstd, w, b)
    for g, want in zip(got, xp_norm.batch_norm_apply(x, mean, invstd, w, b)):
        np.testing.assert_allclose(g, want, rtol=RTOL[dtype], atol=RTOL[dtype])
    xhat = got[1]
    for g, want in zip(
        cupy_norm.batch_norm_grads(gy, xhat, invstd, w), xp_norm.batch_norm_grads(gy, xhat, invstd, w)
    ):
        np.testing.assert_allclose(g, want, rtol=RTOL[dtype], atol=RTOL[dtype] * 10)
    start = [rng.standard_normal(5).astype(dtype), rng.random(5).astype(dtype) + 0.5]
    running, expected = [a.copy() for a in start], [a.copy() for a in start]
    cupy_norm.batch_norm_update_running(*running, mean, var, 0.1, 21)
    xp_norm.batch_norm_update_running(*expected, mean, var, 0.1, 21)
    for g, want, old in zip(running, expected, start):
        np.testing.assert_allclose(g, want, rtol=RTOL[dtype])
        assert not np.allclose(g, old)  # changed in place
