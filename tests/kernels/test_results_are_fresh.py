"""A kernel's result is the caller's: no later call, of any shape, overwrites it."""

import numpy as np
import pytest

from minicnn.kernels import im2col, strided

GEOMETRY = ((3, 3), (1, 1), (1, 1), (1, 1))


def test_im2col_result_survives_later_calls_of_other_shapes():
    rng = np.random.default_rng(51)
    x = rng.standard_normal((2, 3, 6, 6))
    cols, _ = im2col.im2col(x, *GEOMETRY)
    kept = cols.copy()
    for shape in [(2, 3, 6, 6), (1, 2, 5, 5), (4, 3, 8, 8)]:
        im2col.im2col(rng.standard_normal(shape), *GEOMETRY)
    im2col.conv2d_forward(
        rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3)), None, (1, 1), (1, 1), (1, 1), 1
    )
    np.testing.assert_array_equal(cols, kept)


def test_1x1_im2col_result_is_fresh_too():
    rng = np.random.default_rng(52)
    cols, _ = im2col.im2col(rng.standard_normal((2, 3, 4, 4)), (1, 1), (1, 1), (0, 0), (1, 1))
    kept = cols.copy()
    im2col.im2col(rng.standard_normal((2, 3, 4, 4)), (1, 1), (1, 1), (0, 0), (1, 1))
    np.testing.assert_array_equal(cols, kept)


def _col2im_modules():
    yield im2col
    pytest.importorskip("numba")
    from minicnn.kernels import numba_im2col

    yield numba_im2col


@pytest.mark.parametrize("n, padding", [(1, (0, 0)), (2, (0, 0)), (1, (1, 0))])
def test_col2im_result_is_never_its_workspace(n, padding):
    """With no padding (or one image and no padding along the rows) the sum cut from its
    padded workspace is already contiguous: still a copy."""
    rng = np.random.default_rng(53)
    x_shape = (n, 1 if padding[0] else 2, 5, 5)
    geometry = ((1, 1), padding, (1, 1))
    oh = 5 + 2 * padding[0] - 3 + 1
    for module in _col2im_modules():
        cols = (x_shape[1], 3, 3, n, oh, 3)
        gx = module.col2im(rng.standard_normal(cols), x_shape, *geometry)
        kept = gx.copy()
        module.col2im(rng.standard_normal(cols), x_shape, *geometry)
        np.testing.assert_array_equal(gx, kept, err_msg=module.__name__)


def test_strided_columns_result_survives_later_calls():
    rng = np.random.default_rng(54)
    args = ((3, 3), (2, 2), (1, 1), (1, 1))
    cols, _ = strided.columns(rng.standard_normal((2, 3, 9, 9)), *args)
    kept = cols.copy()
    strided.columns(rng.standard_normal((2, 3, 9, 9)), *args)
    im2col.conv2d_forward(
        rng.standard_normal((2, 3, 9, 9)), rng.standard_normal((4, 3, 3, 3)), None, *args[1:], 1
    )
    np.testing.assert_array_equal(cols, kept)


def test_new_zeros_is_zero_where_freed_memory_held_other_values():
    """new_zeros takes memory with malloc (empty), which hands back blocks just freed."""
    from minicnn.kernels.workspaces import new_zeros

    for _ in range(3):
        junk = np.full((64, 6, 28, 28), np.nan, dtype=np.float32)
        del junk
        out = new_zeros((64, 6, 28, 28), np.float32, np)
        assert out.dtype == np.float32 and out.shape == (64, 6, 28, 28)
        assert not np.any(out)
    assert not np.shares_memory(new_zeros((3,), np.float64, np), new_zeros((3,), np.float64, np))


@pytest.mark.parametrize("module", ["xp_pool", "numba_cpu"])
def test_pool_gradients_start_from_zero_after_freed_junk(module):
    """The pooling gradients add into a new_zeros array: no value of freed memory gets in."""
    if module == "numba_cpu":
        pytest.importorskip("numba")
    import importlib

    from minicnn.kernels import reference

    K = importlib.import_module(f"minicnn.kernels.{module}")
    rng = np.random.default_rng(55)
    x = rng.standard_normal((8, 6, 28, 28)).astype(np.float32)
    y, argmax = K.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), False)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    _, rarg = reference.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), False)
    want = reference.max_pool2d_input_grad(gy, rarg, x.shape)
    for _ in range(2):
        junk = np.full(x.shape, np.nan, dtype=np.float32)
        del junk
        np.testing.assert_array_equal(K.max_pool2d_input_grad(gy, argmax, x.shape), want)
        args = ((2, 2), (2, 2), (0, 0), False, True)
        np.testing.assert_allclose(
            K.avg_pool2d_input_grad(gy, x.shape, *args),
            reference.avg_pool2d_input_grad(gy, x.shape, *args),
            rtol=1e-6,
        )
