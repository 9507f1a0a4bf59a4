"""numba_gemm: products shared among Numba's threads equal NumPy's, by each of the three cuts
(rows, inner axis, a stack), jitted and as plain Python; small or uncuttable products stay whole."""

import numpy as np
import pytest

pytest.importorskip("numba")
from minicnn.kernels import gemm, numba_gemm, threads  # noqa: E402

TOL = {np.float64: 1e-10, np.float32: 1e-5}


@pytest.fixture
def two_threads(monkeypatch):
    """Every product cut, into two or three parts whatever the machine's cores."""
    monkeypatch.setattr(numba_gemm, "MIN_MULTIPLIES", 0)
    monkeypatch.setattr(numba_gemm, "MIN_ROWS", 2)
    monkeypatch.setattr(numba_gemm.numba, "get_num_threads", lambda: 3)


def close(got, want, dtype):
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype] * scale)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "seed, a_shape, a_order, b_shape, b_order",
    [
        (1, (64, 40), "C", (40, 12), "F"),  # Linear's forward: x @ W^T, by rows
        (2, (16, 15), "C", (15, 640), "C"),  # a convolution's W @ cols, by rows
        (3, (15, 640), "F", (640, 16), "C"),  # gW = gY @ cols^T written as cols^T's transpose: the inner axis
        (4, (7, 5), "F", (5, 9), "C"),  # a short inner axis, cut into 2 uneven parts
    ],
)
def test_each_cut_equals_numpys_product(two_threads, dtype, seed, a_shape, a_order, b_shape, b_order):
    rng = np.random.default_rng(seed)
    a = np.asarray(rng.standard_normal(a_shape), dtype=dtype, order=a_order)
    b = np.asarray(rng.standard_normal(b_shape), dtype=dtype, order=b_order)
    assert numba_gemm.splits(a, b)
    got = numba_gemm.matmul(a, b)
    assert got.dtype == dtype and got.shape == (a_shape[0], b_shape[1])
    close(got, a @ b, dtype)
    out = np.full(got.shape, np.nan, dtype=dtype)
    assert numba_gemm.matmul(a, b, out) is out
    close(out, a @ b, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_stack_is_cut_by_images(two_threads, dtype):
    rng = np.random.default_rng(5)
    w = rng.standard_normal((6, 4)).astype(dtype)
    x = rng.standard_normal((5, 4, 9)).astype(dtype)  # a pointwise convolution's images, (C, H*W) each
    y = np.empty((5, 6, 9), dtype=dtype)
    numba_gemm.matmul(w, x, y)
    close(y, np.matmul(w, x), dtype)


def test_the_plain_python_cuts_equal_the_jitted_ones():
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((8, 5)), rng.standard_normal((5, 7))
    out_py, out = np.empty((8, 7)), np.empty((8, 7))
    numba_gemm._rows_py(a, b, out_py, 3)
    numba_gemm._rows(a, b, out, 3)
    np.testing.assert_allclose(out_py, out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out, a @ b, rtol=1e-12, atol=1e-12)
    partial_py, partial = np.empty((2, 8, 7)), np.empty((2, 8, 7))
    numba_gemm._inner_py(np.ascontiguousarray(a.T), b, partial_py)
    numba_gemm._inner(np.ascontiguousarray(a.T), b, partial)
    np.testing.assert_allclose(partial_py, partial, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(partial.sum(axis=0), a @ b, rtol=1e-12, atol=1e-12)
    x = rng.standard_normal((3, 7, 4))
    y_py, y = np.empty((3, 8, 4)), np.empty((3, 8, 4))
    numba_gemm._stack_py(a @ b, x, y_py)
    numba_gemm._stack(a @ b, x, y)
    np.testing.assert_allclose(y_py, y, rtol=1e-12, atol=1e-12)


def test_small_mixed_or_uncuttable_products_stay_whole(monkeypatch):
    monkeypatch.setattr(numba_gemm.numba, "get_num_threads", lambda: 2)
    rng = np.random.default_rng(7)
    big = rng.standard_normal((256, 256))
    assert numba_gemm.splits(big, big)  # 16.7 million multiply-adds
    assert not numba_gemm.splits(big[:64], big)  # 4.2 million: under MIN_MULTIPLIES
    monkeypatch.setattr(numba_gemm, "MIN_MULTIPLIES", 0)
    assert not numba_gemm.splits(big, big.astype(np.float32))  # two dtypes
    assert not numba_gemm.splits(big[:, ::2], big[::2])  # a strided view: no contiguous block
    assert not numba_gemm.splits(big.astype(np.int64), big.astype(np.int64))  # BLAS has no integers
    assert not numba_gemm.splits(big.reshape(4, 64, 256), big)  # a stack on the left
    calls = []
    monkeypatch.setattr(numba_gemm, "_rows", lambda a, b, out, parts: calls.append(parts))
    monkeypatch.setattr(numba_gemm.numba, "get_num_threads", lambda: 16)
    numba_gemm.matmul(big[:32], big)  # 32 rows on 16 threads: parts of MIN_ROWS rows
    numba_gemm.matmul(big, big)
    assert calls == [32 // numba_gemm.MIN_ROWS, 16]
    # an inner axis shorter than out's sides: each part would write a whole out, so no cut
    wide = np.asfortranarray(rng.standard_normal((150, 16)))
    products = []
    monkeypatch.setattr(numba_gemm, "_inner", lambda a_t, b, partial: products.append(partial.shape))
    got = numba_gemm.matmul(wide, rng.standard_normal((16, 6400)))
    assert products == [] and got.shape == (150, 6400)
    gy_t = np.ascontiguousarray(rng.standard_normal((6400, 150))).T  # a gW-like product: long inner axis
    numba_gemm.matmul(gy_t, rng.standard_normal((6400, 16)))
    assert products == [(16, 150, 16)]
    monkeypatch.setattr(numba_gemm.numba, "get_num_threads", lambda: 1)
    assert not numba_gemm.splits(big, big)  # one thread: nothing to share


def test_gemm_sends_numpy_products_here_only_while_blas_is_held_to_one_thread(monkeypatch):
    calls = []
    monkeypatch.setattr(numba_gemm, "matmul", lambda a, b, out=None: calls.append(a.shape) or np.matmul(a, b))
    a = np.ones((3, 4))
    monkeypatch.setattr(threads, "_held_to_one", True)
    np.testing.assert_array_equal(gemm.matmul(a, a.T), np.full((3, 3), 4.0))
    monkeypatch.setattr(threads, "_held_to_one", False)
    np.testing.assert_array_equal(gemm.matmul(a, a.T), np.full((3, 3), 4.0))
    assert calls == [(3, 4)]
