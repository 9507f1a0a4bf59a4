"""Winograd F(2x2, 3x3)'s transforms of the weight (winograd.py) as Numba loops, for
numba_winograd.py: the same numbers as winograd.py's NumPy, several times faster.

    U[4k + l, c, o] = (G g G^T)[k, l]     g = weight[o, c]              (the forward's, and gx's)
    gW[o, c]        = G^T s G            s[k, l] = S[4k + l, o, c]     (the weight gradient's)

winograd.py transforms all O*C filters of a weight on every call, in NumPy GEMMs of three-
or four-value rows, or products of O*C small matrices, which NumPy runs one at a time, on
one thread; on wide layers at a small batch that took most of a call. Here one filter index
at a time goes through the transform with the other index's filters all at once, so each
line of it is one loop over a contiguous run of values (``_g_run``, ``_gt_run``), which the
compiler turns into vector instructions. Each loop is a plain Python function first
(``_name_py``) and jitted second, as in numba_winograd.py.
"""

import numba
import numpy as np

from ..backend import Array
from . import numba_compiling  # noqa: F401  # says so as a first run compiles the loops


def _g_run_py(a0, a1, a2, half, out0, out1, out2, out3):
    """(out0, out1, out2, out3) = G (a0, a1, a2) = (a0, (a0 + a1 + a2) / 2, (a0 - a1 + a2) / 2, a2)
    (winograd.G), over a run of values; ``half`` is 0.5 in their dtype."""
    for e in range(out0.shape[0]):
        out0[e] = a0[e]
        out1[e] = (a0[e] + a1[e] + a2[e]) * half
        out2[e] = (a0[e] - a1[e] + a2[e]) * half
        out3[e] = a2[e]


_g_run = numba.njit(cache=True, inline="always")(_g_run_py)


def _gt_run_py(a0, a1, a2, a3, half, out0, out1, out2):
    """(out0, out1, out2) = G^T (a0, a1, a2, a3) = (a0 + a1/2 + a2/2, a1/2 - a2/2, a1/2 + a2/2 + a3),
    over a run of values, the terms added in G's order, as NumPy's matmul adds them."""
    for e in range(out0.shape[0]):
        out0[e] = a0[e] + a1[e] * half + a2[e] * half
        out1[e] = a1[e] * half - a2[e] * half
        out2[e] = a1[e] * half + a2[e] * half + a3[e]


_gt_run = numba.njit(cache=True, inline="always")(_gt_run_py)


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


def _weight_from_tiles_py(S, gw):
    """gw[o, c] = G^T s G for s[k, l] = S[4k + l, o, c]: winograd.weight_from_tiles, in its
    order. Per output channel, all C tiles at once: G^T down their columns, then G along their
    rows, each line one loop over c (``_gt_run``) as S's are; the 9 taps of each c written last."""
    _, O, C = S.shape
    half = S.dtype.type(0.5)
    for o in numba.prange(O):
        t = np.empty((3, 4, C), dtype=S.dtype)
        for l in range(4):  # G^T s, column l: rows l, 4 + l, 8 + l, 12 + l of S
            _gt_run(S[l, o], S[4 + l, o], S[8 + l, o], S[12 + l, o], half, t[0, l], t[1, l], t[2, l])
        q = np.empty((3, 3, C), dtype=S.dtype)
        for u in range(3):  # (G^T s) G, a row at a time
            _gt_run(t[u, 0], t[u, 1], t[u, 2], t[u, 3], half, q[u, 0], q[u, 1], q[u, 2])
        for c in range(C):
            for u in range(3):
                for v in range(3):
                    gw[o, c, u, v] = q[u, v, c]


_weight_tiles = numba.njit(cache=True, parallel=True)(_weight_tiles_py)
_weight_from_tiles = numba.njit(cache=True, parallel=True)(_weight_from_tiles_py)


def weight_tiles(weight: Array) -> Array:
    """winograd.weight_tiles: U = G g G^T of every filter of weight (O, C, 3, 3), any layout,
    as (16, C, O), a new array."""
    O, C = weight.shape[:2]
    U = np.empty((16, C, O), dtype=weight.dtype)
    _weight_tiles(weight, U)
    return U


def weight_from_tiles(S: Array) -> Array:
    """winograd.weight_from_tiles: gW = G^T s G of every 4x4 tile s = S[:, o, c] of S (16, O, C),
    any layout, as (O, C, 3, 3), a new array."""
    _, O, C = S.shape
    gw = np.empty((O, C, 3, 3), dtype=S.dtype)
    _weight_from_tiles(S, gw)
    return gw
