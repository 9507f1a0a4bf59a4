"""cublas_direct.product on the CPU: the arguments it gives cuBLAS, read back by a stand-in that
multiplies as cublas<t>gemmStridedBatched does (column-major matrices at raw addresses), must
give NumPy's product for every layout a training step hands it."""

import ctypes

import numpy as np
import pytest

from minicnn.kernels import cublas_direct

OP_N, OP_T = cublas_direct.OP_N, cublas_direct.OP_T


def _column_major(dtype, address, rows, cols, ld, stride, batch):
    """The ``batch`` column-major (rows, cols) matrices at ``address``, ``ld`` items between columns."""
    assert ld >= max(1, rows), "cuBLAS: the leading dimension is below the stored matrix's rows"
    item = np.dtype(dtype).itemsize
    span = stride * (batch - 1) + ld * (cols - 1) + rows
    buffer = np.frombuffer((ctypes.c_char * (span * item)).from_address(address), dtype=dtype)
    return np.lib.stride_tricks.as_strided(buffer, (batch, rows, cols), (stride * item, item, ld * item))


def _stand_in(dtype):
    """cublas<t>gemmStridedBatched without its handle: C_i = op(X_i) @ op(Y_i), column-major."""

    def gemm(op_x, op_y, m, n, k, x, ldx, sx, y, ldy, sy, c, ldc, sc, batch):
        X = _column_major(dtype, x, *((m, k) if op_x == OP_N else (k, m)), ldx, sx, batch)
        Y = _column_major(dtype, y, *((k, n) if op_y == OP_N else (n, k)), ldy, sy, batch)
        C = _column_major(dtype, c, m, n, ldc, sc, batch)
        op = {OP_N: lambda a: a, OP_T: lambda a: a.transpose(0, 2, 1)}
        C[...] = op[op_x](X) @ op[op_y](Y)

    return gemm


def _product(a, b, out=None):
    return cublas_direct.product(a, b, out, np, _stand_in(a.dtype), lambda array: array.ctypes.data)


def _arrays(seed, *shapes, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


CASES = {
    # name: (a, b) built from arrays drawn with the case's seed
    "contiguous": lambda: _arrays(0, (5, 7), (7, 3)),
    "a linear layer's w.T": lambda: (lambda x, w: (x, w.T))(*_arrays(1, (4, 6), (9, 6))),
    "its weight gradient gy.T @ x": lambda: (lambda gy, x: (gy.T, x))(*_arrays(2, (4, 9), (4, 6))),
    "groups of a convolution": lambda: _arrays(3, (4, 2, 9), (4, 9, 11)),
    "one matrix against a batch": lambda: _arrays(4, (3, 5), (6, 5, 2)),
    "a batch against one matrix": lambda: _arrays(5, (6, 3, 5), (5, 2)),
    "transposed batches": lambda: (lambda a, b: (a.transpose(0, 2, 1), b))(*_arrays(6, (3, 5, 4), (3, 5, 2))),
    "every other row in place, reversed columns copied": lambda: (lambda a, b: (a[::2], b[:, ::-1]))(
        *_arrays(7, (10, 4), (4, 3))
    ),
    "a batch running backwards, copied": lambda: (lambda a, b: (a[::-1], b))(
        *_arrays(11, (3, 4, 5), (3, 5, 2))
    ),
    "a row and a column": lambda: _arrays(8, (1, 5), (5, 1)),
    "a column of a wider array": lambda: (lambda a, b: (a[:, :3], b[:3, :]))(*_arrays(9, (4, 8), (5, 6))),
    "float32": lambda: _arrays(10, (6, 8), (8, 5), dtype=np.float32),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_arguments_given_to_cublas_make_numpys_product(name):
    a, b = CASES[name]()
    got = _product(a, b)
    tol = 1e-5 if a.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, np.matmul(a, b), rtol=tol, atol=tol)


def test_the_product_is_written_into_out_contiguous_or_not():
    a, b = _arrays(11, (3, 4, 5), (3, 5, 6))
    out = np.full((3, 4, 6), np.nan)
    assert _product(a, b, out) is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-12)
    wide = np.full((3, 4, 12), np.nan)
    strided_out = wide[:, :, ::2]
    assert _product(a, b, strided_out) is strided_out
    np.testing.assert_allclose(strided_out, a @ b, rtol=1e-12)
    assert np.isnan(wide[:, :, 1::2]).all(), "nothing written between out's columns"


@pytest.mark.parametrize(
    "a, b, message",
    [
        (np.zeros((2, 3)), np.zeros((4, 5)), "do not multiply"),
        (np.zeros((2, 3, 4)), np.zeros((3, 4, 5)), "do not multiply"),
        (np.zeros(3), np.zeros((3, 2)), "2-D or 3-D"),
        (np.zeros((2, 3), np.float32), np.zeros((3, 2)), "two float32 or two float64"),
        (np.zeros((2, 3), np.int64), np.zeros((3, 2), np.int64), "two float32 or two float64"),
    ],
)
def test_what_cannot_be_multiplied_is_refused_before_cublas_is_called(a, b, message):
    def gemm(*args):
        raise AssertionError("cuBLAS called")

    with pytest.raises(ValueError, match=message):
        cublas_direct.product(a, b, None, np, gemm, lambda array: array.ctypes.data)


def test_an_out_of_another_shape_is_refused():
    a, b = _arrays(12, (2, 3), (3, 4))
    with pytest.raises(ValueError, match=r"out is \(4, 2\)"):
        _product(a, b, np.zeros((4, 2)))


@pytest.mark.parametrize(
    "a_shape, b_shape", [((0, 3), (3, 4)), ((2, 3), (3, 0)), ((2, 0), (0, 4)), ((0, 2, 3), (3, 4))]
)
def test_an_empty_product_makes_no_call_and_sums_nothing_to_zero(a_shape, b_shape):
    def gemm(*args):
        raise AssertionError("cuBLAS called: it refuses these sizes")

    a, b = np.ones(a_shape), np.ones(b_shape)
    got = cublas_direct.product(a, b, None, np, gemm, lambda array: array.ctypes.data)
    np.testing.assert_array_equal(got, np.matmul(a, b))
