"""Matrix products shared among Numba's threads, each part on BLAS's one thread.

Where minicnn holds BLAS to one thread beside its jitted loops (threads.py, "one pool"), a
product that BLAS would have shared among its own threads is cut here into one part per
Numba thread instead, each part a product of its own (``np.dot`` inside the loop):

    out[rows_p] = a[rows_p] @ b                    a band of a's rows per thread
    out = sum_p a[:, ks_p] @ b[ks_p]               a band of the inner axis per thread, the
                                                   parts summed: for a a transposed view
                                                   (gW = gY @ cols^T, Linear's gW = gY^T @ x),
                                                   where the inner axis is the longest (each
                                                   part writes a whole out of its own)
    out[n] = a @ b[n]                              a stack of matrices (an image each), split
                                                   by images

Each part is a contiguous block of its operands, as BLAS wants them, of at least ``MIN_ROWS``
rows (or values of the inner axis). Products under
``MIN_MULTIPLIES`` multiply-adds stay whole on NumPy's ``matmul``: handing out the parts
costs more than it saves. gemm.matmul sends NumPy's products here while BLAS is held to one
thread; every other product (CuPy's, the plain tiers', or with BLAS on its own threads) is
``xp.matmul`` as it was.
"""

import numba
import numpy as np

from . import numba_compiling  # noqa: F401  # says so as a first run compiles the loops

MIN_MULTIPLIES = 1 << 24
# Each part of a cut takes at least this many of a's rows (or of the inner axis): BLAS runs
# a product of a few rows far below its rate, so on many cores a short product takes fewer
# parts than there are threads.
MIN_ROWS = 8


def _rows_py(a, b, out, parts):
    """out[rows] = a[rows] @ b, a band of rows per parallel iteration."""
    M = a.shape[0]
    for p in numba.prange(parts):
        r0, r1 = M * p // parts, M * (p + 1) // parts
        np.dot(a[r0:r1], b, out[r0:r1])


def _inner_py(a_t, b, partial):
    """partial[p] = a[:, ks_p] @ b[ks_p] for a = a_t.T, a band ks_p of the inner axis per parallel
    iteration (a_t's rows, b's rows: both contiguous blocks)."""
    K, parts = a_t.shape[0], partial.shape[0]
    for p in numba.prange(parts):
        k0, k1 = K * p // parts, K * (p + 1) // parts
        np.dot(a_t[k0:k1].T, b[k0:k1], partial[p])


def _stack_py(a, b, out):
    """out[n] = a @ b[n] for each matrix n of the stack b, one per parallel iteration."""
    for n in numba.prange(b.shape[0]):
        np.dot(a, b[n], out[n])


_rows = numba.njit(cache=True, parallel=True)(_rows_py)
_inner = numba.njit(cache=True, parallel=True)(_inner_py)
_stack = numba.njit(cache=True, parallel=True)(_stack_py)


def splits(a, b) -> bool:
    """Whether a @ b is shared among the threads: two float arrays of one dtype, at least
    MIN_MULTIPLIES multiply-adds, more than one thread, and operands this file can cut into
    contiguous blocks (a 2-D a, C- or F-contiguous; b C- or F-contiguous, or a stack of
    C-contiguous matrices)."""
    if a.dtype != b.dtype or a.dtype not in (np.float32, np.float64) or a.ndim != 2 or b.ndim not in (2, 3):
        return False
    if numba.get_num_threads() < 2 or a.shape[0] * a.shape[1] * b.shape[-1] * b.shape[0] ** (b.ndim - 2) < (
        MIN_MULTIPLIES
    ):
        return False
    if b.ndim == 3:
        return a.flags.c_contiguous and b.flags.c_contiguous
    return (a.flags.c_contiguous or a.flags.f_contiguous) and (b.flags.c_contiguous or b.flags.f_contiguous)


def matmul(a, b, out=None):
    """a @ b, written into ``out`` when given (C-contiguous, of the result's shape and dtype),
    shared among Numba's threads where ``splits`` says so, else NumPy's matmul."""
    if not splits(a, b) or (out is not None and not out.flags.c_contiguous):
        return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
    threads = numba.get_num_threads()
    shape = (a.shape[0], b.shape[-1]) if b.ndim == 2 else (b.shape[0], a.shape[0], b.shape[2])
    if out is None:
        out = np.empty(shape, dtype=a.dtype)
    if b.ndim == 3:
        _stack(a, b, out)
    elif a.flags.c_contiguous and a.shape[0] >= 2 * MIN_ROWS:
        _rows(a, b, out, min(threads, a.shape[0] // MIN_ROWS))
    elif a.flags.f_contiguous and b.flags.c_contiguous and a.shape[1] >= max(2 * MIN_ROWS, *shape):
        partial = np.empty((min(threads, a.shape[1] // MIN_ROWS),) + shape, dtype=a.dtype)
        _inner(a.T, b, partial)
        np.sum(partial, axis=0, out=out)
    else:
        np.matmul(a, b, out=out)
    return out
