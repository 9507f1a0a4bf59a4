"""Winograd F(2x2, 3x3)'s transforms of the weight (winograd.py) as Numba loops, for
numba_winograd.py: the same numbers as winograd.py's NumPy, several times faster.

    U[4k + l, c, o] = (G g G^T)[k, l]     g = weight[o, c]     (the forward's, and gx's)

winograd.py transforms all O*C filters of a weight on every call, in NumPy GEMMs of three-
or four-value rows and transposed copies, on one thread; on wide layers at a small batch
that took most of a call. Here one filter index at a time goes through the transform with
the other index's filters all at once, so each line of it is one loop over a contiguous
run of values (``_g_run``), which the compiler turns into vector instructions. Each loop is
a plain Python function first (``_name_py``) and jitted second, as in numba_winograd.py.
"""

import numba
import numpy as np

from ..backend import Array
from .numba_threads import cores_shared_with_blas


def _g_run_py(a0, a1, a2, half, out0, out1, out2, out3):
    """(out0, out1, out2, out3) = G (a0, a1, a2) = (a0, (a0 + a1 + a2) / 2, (a0 - a1 + a2) / 2, a2)
    (winograd.G), over a run of values; ``half`` is 0.5 in their dtype."""
    for e in range(out0.shape[0]):
        out0[e] = a0[e]
        out1[e] = (a0[e] + a1[e] + a2[e]) * half
        out2[e] = (a0[e] - a1[e] + a2[e]) * half
        out3[e] = a2[e]


_g_run = numba.njit(cache=True, inline="always")(_g_run_py)


def _weight_tiles_py(weight, U):
    """U[4k + l, c, o] = (G g G^T)[k, l] for g = weight[o, c]: winograd.weight_tiles, in its
    order. Per input channel, all O filters at once: their taps copied out o last, then G^T
    along their rows and G down their columns, each line one loop over o (``_g_run``), as U's."""
    O, C = weight.shape[:2]
    half = weight.dtype.type(0.5)
    for c in numba.prange(C):
        g = np.empty((3, 3, O), dtype=weight.dtype)
        for o in range(O):
            for i in range(3):
                for m in range(3):
                    g[i, m, o] = weight[o, c, i, m]
        t = np.empty((3, 4, O), dtype=weight.dtype)
        for i in range(3):  # g G^T, a row at a time
            _g_run(g[i, 0], g[i, 1], g[i, 2], half, t[i, 0], t[i, 1], t[i, 2], t[i, 3])
        for l in range(4):  # G (g G^T), column l: rows l, 4 + l, 8 + l, 12 + l of U
            _g_run(t[0, l], t[1, l], t[2, l], half, U[l, c], U[4 + l, c], U[8 + l, c], U[12 + l, c])


_weight_tiles = numba.njit(cache=True, parallel=True)(_weight_tiles_py)


def weight_tiles(weight: Array) -> Array:
    """winograd.weight_tiles: U = G g G^T of every filter of weight (O, C, 3, 3), any layout,
    as (16, C, O), a new array."""
    O, C = weight.shape[:2]
    U = np.empty((16, C, O), dtype=weight.dtype)
    with cores_shared_with_blas():
        _weight_tiles(weight, U)
    return U
