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


@pytest.mark.parametrize("n", [1, 2])
def test_col2im_result_is_never_its_workspace(n):
    """With one image and no padding the transposed sum is already contiguous: still a copy."""
    rng = np.random.default_rng(53)
    x_shape, geometry = (n, 2, 5, 5), ((1, 1), (0, 0), (1, 1))
    gx = im2col.col2im(rng.standard_normal((2, 3, 3, n, 3, 3)), x_shape, *geometry)
    kept = gx.copy()
    im2col.col2im(rng.standard_normal((2, 3, 3, n, 3, 3)), x_shape, *geometry)
    np.testing.assert_array_equal(gx, kept)


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
