"""minicnn's CUDA kernels on a GPU: cuBLAS called directly (also inside a captured graph)
against cupy.matmul, and the CuPy RawKernels of im2col, col2im, pooling, ReLU, LRN and batch
norm against the xp code. Skipped cleanly on machines without CuPy and a GPU; the same
comparisons on the CPU are in tests/kernels/test_cuda_kernels_on_cpu.py.
"""

import numpy as np
import pytest
from gpu_helpers import RTOL_ELEMENTWISE, rng_arrays

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cublas_called_directly_multiplies_as_cupy_also_inside_a_captured_graph(dtype):
    """kernels/cublas_direct.py on the layouts of a training step's products, against
    cupy.matmul: called as it is, and recorded into a CUDA graph and replayed."""
    import cupy as cp

    from minicnn.kernels import cublas_direct

    rng = np.random.default_rng(7)
    draw = lambda *shape: cp.asarray(rng.standard_normal(shape).astype(dtype))  # noqa: E731
    pairs = [
        (draw(5, 7), draw(7, 3)),
        (draw(4, 6), draw(9, 6).T),
        (draw(4, 9).T, draw(4, 6)),
        (draw(4, 2, 9), draw(4, 9, 11)),
        (draw(3, 5), draw(6, 5, 2)),
        (draw(10, 4)[::2], draw(4, 3)),  # every other row: read in place, a wider leading dimension
        (draw(3, 4), draw(4, 5)[:, ::-1]),  # reversed columns: copied, inside the capture too
    ]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    cublas_direct.prepare()
    for a, b in pairs:
        np.testing.assert_allclose(
            cp.asnumpy(cublas_direct.matmul(a, b)), cp.asnumpy(cp.matmul(a, b)), rtol=tol, atol=tol
        )
    stream = cp.cuda.Stream(non_blocking=True)
    outs = [cp.empty(cp.matmul(a, b).shape, dtype=dtype) for a, b in pairs]
    outs[0] = cp.empty(outs[0].shape[:-1] + (2 * outs[0].shape[-1],), dtype=dtype)[..., ::2]  # strided out
    cp.cuda.Device().synchronize()
    with stream:
        for (a, b), out in zip(pairs, outs):  # the copies' blocks, cached for this stream
            cublas_direct.matmul(a, b, out)
        stream.synchronize()
        stream.begin_capture()
        for (a, b), out in zip(pairs, outs):
            cublas_direct.matmul(a, b, out)
        recorded = stream.end_capture()
    for out in outs:  # what the warm-up wrote: only the replay may write the products again
        out.fill(np.nan)
    cp.cuda.Device().synchronize()
    recorded.launch(stream)
    stream.synchronize()
    for (a, b), out in zip(pairs, outs):
        np.testing.assert_allclose(cp.asnumpy(out), cp.asnumpy(cp.matmul(a, b)), rtol=tol, atol=tol)


# (stride, padding, dilation, kernel size) of col2im's and im2col's checks: strides with and
# without a division, paddings past the window, dilations, kernels not square
GEOMETRIES = [
    ((1, 1), (1, 1), (1, 1), (3, 3)),
    ((2, 2), (0, 1), (1, 1), (3, 3)),
    ((2, 1), (2, 1), (2, 1), (3, 2)),
    ((3, 2), (1, 0), (1, 2), (2, 3)),
    ((1, 1), (3, 2), (2, 3), (3, 3)),
]


def _geometry(stride, padding, dilation, kernel_size, H=9, W=8):
    KH, KW = kernel_size
    OH = (H + 2 * padding[0] - dilation[0] * (KH - 1) - 1) // stride[0] + 1
    OW = (W + 2 * padding[1] - dilation[1] * (KW - 1) - 1) // stride[1] + 1
    return (2, 4, H, W), (4, KH, KW, 2, OH, OW)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_cupy_im2col_and_col2im_kernels_match_the_xp_code(geometry):
    """Both copies equal the xp code's bit for bit: im2col copies, and col2im adds the same
    terms in the same order. x comes padded and as a transposed (non-contiguous) view too."""
    import cupy as cp

    from minicnn.kernels import cupy_gpu, im2col

    stride, padding, dilation, kernel_size = geometry
    x_shape, cols_shape = _geometry(*geometry)
    rng = np.random.default_rng(sum(map(sum, geometry)))
    cols = cp.asarray(rng.standard_normal(cols_shape).astype(np.float32))
    np.testing.assert_array_equal(
        cp.asnumpy(cupy_gpu.col2im(cols, x_shape, stride, padding, dilation)),
        cp.asnumpy(im2col.col2im(cols, x_shape, stride, padding, dilation)),
    )
    N, C, H, W = x_shape
    xpad = rng.standard_normal((N, C, H + 2 * padding[0], W + 2 * padding[1])).astype(np.float32)
    for x in (cp.asarray(xpad), cp.asarray(xpad.transpose(1, 0, 2, 3).copy()).transpose(1, 0, 2, 3)):
        got, want = (cp.full(cols_shape, cp.nan, dtype=cp.float32) for _ in range(2))
        cupy_gpu.copy_windows(x, got, stride, dilation)
        im2col.copy_windows(x, want, stride, dilation)
        np.testing.assert_array_equal(cp.asnumpy(got), cp.asnumpy(want))


def test_cupy_convolution_copies_fall_back_to_the_xp_code_beyond_the_grid(monkeypatch):
    """Where CUDA's grid cannot hold the images or channels, the xp code runs (same values)."""
    import cupy as cp

    from minicnn.kernels import cupy_gpu, im2col

    stride, padding, dilation, kernel_size = GEOMETRIES[2]
    x_shape, cols_shape = _geometry(*GEOMETRIES[2])
    cols = cp.asarray(rng_arrays([cols_shape], seed=7)[0])
    want = cp.asnumpy(cupy_gpu.col2im(cols, x_shape, stride, padding, dilation))
    calls = []
    monkeypatch.setattr(cupy_gpu, "GRID_MAX", 1)
    monkeypatch.setattr(im2col, "col2im", lambda *a, f=im2col.col2im: calls.append("col2im") or f(*a))
    np.testing.assert_array_equal(cp.asnumpy(cupy_gpu.col2im(cols, x_shape, stride, padding, dilation)), want)
    assert calls == ["col2im"]


def test_cupy_max_pool_backward_matches_the_xp_code():
    import cupy as cp

    from minicnn.kernels import cupy_gpu, xp_pool

    x = cp.asarray(np.random.default_rng(2).permutation(2 * 3 * 9 * 9).reshape(2, 3, 9, 9).astype(np.float32))
    _, argmax = xp_pool.max_pool2d_forward(x, (3, 3), (2, 2), (0, 0), False)
    gy = cp.asarray(rng_arrays([(2, 3, 4, 4)])[0])
    np.testing.assert_allclose(
        cp.asnumpy(cupy_gpu.max_pool2d_input_grad(gy, argmax, x.shape)),
        cp.asnumpy(xp_pool.max_pool2d_input_grad(gy, argmax, x.shape)),
        rtol=RTOL_ELEMENTWISE,
        atol=1e-6,
    )


def test_cupy_relu_input_grad_selects_as_the_xp_code():
    """gy where y is not 0, else +0.0: also where gy is inf or NaN at a dead unit, and -0.0 is
    never made from a negative gy (compared bit for bit)."""
    import cupy as cp

    from minicnn.kernels import cupy_gpu, xp_activation

    rng = np.random.default_rng(4)
    y = np.maximum(rng.standard_normal((3, 50)), 0).astype(np.float32)
    y[0, :3] = np.nan
    gy = rng.standard_normal((3, 50)).astype(np.float32)
    gy[1, :4] = [np.inf, -np.inf, np.nan, -0.0]
    y[1, :4] = 0
    got = cp.asnumpy(cupy_gpu.relu_input_grad(cp.asarray(gy), cp.asarray(y)))
    want = xp_activation.relu_input_grad(gy, y)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


def test_cuda_kernels_compile_here():
    """The RawKernels must compile on a GPU machine: a silent fallback to the xp code would
    leave the comparisons below comparing the xp code with itself."""
    from minicnn.kernels import cupy_compile, cupy_gpu, cupy_norm

    for source, name in (
        (cupy_gpu._IM2COL, "im2col_gather"),
        (cupy_gpu._COL2IM, "col2im_gather"),
        (cupy_gpu._MAXPOOL_BWD, "maxpool_bwd"),
        (cupy_norm._LRN_FWD, "lrn_fwd"),
        (cupy_norm._LRN_BWD, "lrn_bwd"),
        (cupy_norm._CHANNEL_SUMS, "channel_sums"),
    ):
        for dtype in (np.float32, np.float64):
            assert cupy_compile.kernel(source, name, dtype) is not None, (name, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cupy_lrn_and_batch_norm_kernels_match_the_xp_code(dtype):
    import cupy as cp

    from minicnn.kernels import cupy_norm, xp_norm

    rtol = 1e-5 if dtype == np.float32 else 1e-12
    rng = np.random.default_rng(3)
    x, gy = (rng.standard_normal((2, 7, 6)).astype(dtype) for _ in range(2))
    for size in (1, 4, 5, 9):
        y, s = cupy_norm.lrn_forward(cp.asarray(x), size, 0.3, 0.75, 2.0)
        y_np, s_np = xp_norm.lrn_forward(x, size, 0.3, 0.75, 2.0)
        np.testing.assert_allclose(cp.asnumpy(y), y_np, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(cp.asnumpy(s), s_np, rtol=rtol, atol=rtol)
        gx = cupy_norm.lrn_input_grad(cp.asarray(gy), cp.asarray(x), s, size, 0.3, 0.75)
        np.testing.assert_allclose(
            cp.asnumpy(gx),
            xp_norm.lrn_input_grad(gy, x, s_np, size, 0.3, 0.75),
            rtol=rtol,
            atol=rtol,
            err_msg=f"size {size}",
        )
    mean, invstd, w, b = (rng.standard_normal(7).astype(dtype) for _ in range(4))
    on_gpu = cupy_norm.batch_norm_apply(*(cp.asarray(a) for a in (x, mean, invstd, w, b)))
    for got, want in zip(on_gpu, xp_norm.batch_norm_apply(x, mean, invstd, w, b)):
        np.testing.assert_allclose(cp.asnumpy(got), want, rtol=rtol, atol=rtol)
    xhat = on_gpu[1]
    on_gpu = cupy_norm.batch_norm_grads(cp.asarray(gy), xhat, cp.asarray(invstd), cp.asarray(w))
    for got, want in zip(on_gpu, xp_norm.batch_norm_grads(gy, cp.asnumpy(xhat), invstd, w)):
        np.testing.assert_allclose(cp.asnumpy(got), want, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 7, 6), (37, 5, 300), (64, 3, 1024)])
def test_cupy_batch_norm_sums_match_the_xp_code(dtype, shape):
    """The per-channel sums split among threads (one block of them, several, and a last
    round that only some threads reach) against xp_norm's reductions; x off-centre, so the
    variance's second pass matters."""
    import cupy as cp

    from minicnn.kernels import cupy_norm, xp_norm

    rtol = 1e-5 if dtype == np.float32 else 1e-12
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 3 + 5).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    for got, want in zip(cupy_norm.batch_norm_stats(cp.asarray(x)), xp_norm.batch_norm_stats(x)):
        np.testing.assert_allclose(cp.asnumpy(got), want, rtol=rtol)
    invstd, w = rng.random(shape[1]).astype(dtype) + 0.5, rng.standard_normal(shape[1]).astype(dtype)
    xhat = ((x - x.mean(axis=(0, 2))[:, None]) * invstd[:, None]).astype(dtype)
    on_gpu = cupy_norm.batch_norm_grads(*(cp.asarray(a) for a in (gy, xhat, invstd, w)))
    for got, want in zip(on_gpu, xp_norm.batch_norm_grads(gy, xhat, invstd, w)):
        np.testing.assert_allclose(cp.asnumpy(got), want, rtol=rtol, atol=rtol * 10)
