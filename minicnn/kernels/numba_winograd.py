"""Winograd F(2x2, 3x3) convolution (winograd.py) with its tile transforms as Numba loops.

The GEMMs, the weight transform and the choice of which convolutions take this
path are winograd.py's; only the three transforms between arrays and tiles are
loops here, one tile at a time, in place of winograd.py's xp additions (which pass
over memory once per stage, and once more to turn x channel-last):

    V[4k + l, tile, c]  = (B^T d B)[k, l]     d = x padded [n, c, 2i : 2i+4, 2j : 2j+4]
    y[n, o, 2i+a, 2j+b] = (A^T m A)[a, b] + bias[o]     m = M[:, tile, o]
    GY[4k + l, tile, o] = (A g A^T)[k, l]     g = gy[n, o, 2i : 2i+2, 2j : 2j+2]

Each 4-vector product with B^T, A^T or A is one small function of its entries
(``_bt``, ``_at``, ``_a``): a tile's transform is that function down its columns,
then along its rows. One row of tiles (n, i) per parallel iteration: rows of tiles
share no output. Each loop is a plain Python function first (``_name_py``) and
jitted second, as in numba_cpu.py. Convolutions that winograd.py sends to im2col.py
go to numba_im2col.py here: the same code with jitted copies.
"""

import numba
import numpy as np

from ..backend import Array, Pair, Shape
from . import numba_im2col, threads, winograd
from .numba_cpu import _cores_shared_with_blas
from .workspaces import workspace, zeroed


def _bt_py(d0, d1, d2, d3):
    """B^T d for a column d of 4."""
    return d0 - d2, d1 + d2, d2 - d1, d1 - d3


def _at_py(m0, m1, m2, m3):
    """A^T m for a column m of 4."""
    return m0 + m1 + m2, m1 - m2 - m3


def _a_py(g0, g1):
    """A g for a column g of 2."""
    return g0, g0 + g1, g0 - g1, -g1


# jitted first: the loops call them, jitted or plain
_bt = numba.njit(cache=True, inline="always")(_bt_py)
_at = numba.njit(cache=True, inline="always")(_at_py)
_a = numba.njit(cache=True, inline="always")(_a_py)


def _data_tiles_py(xpad, th, tw, V):
    """V[4k + l, (n*th + i)*tw + j, c] = (B^T d B)[k, l] for d = xpad[n, c, 2i : 2i+4, 2j : 2j+4].

    Per row of tiles, B^T goes down the columns first, read along x's rows and kept
    channel-last (t[k, w, c]); then along each tile's rows with the channels innermost,
    so the loads and V's 16 rows run over C contiguous values.
    """
    N, C, _, Wp = xpad.shape
    for q in numba.prange(N * th):
        n, h = q // th, 2 * (q % th)
        t = np.empty((4, Wp, C), dtype=xpad.dtype)
        for c in range(C):
            for w in range(Wp):
                col = _bt(xpad[n, c, h, w], xpad[n, c, h + 1, w], xpad[n, c, h + 2, w], xpad[n, c, h + 3, w])
                for k in range(4):
                    t[k, w, c] = col[k]
        for j in range(tw):
            p, w = q * tw + j, 2 * j
            for k in range(4):  # row k of B^T d, times B
                for c in range(C):
                    v = _bt(t[k, w, c], t[k, w + 1, c], t[k, w + 2, c], t[k, w + 3, c])
                    for l in range(4):
                        V[4 * k + l, p, c] = v[l]


def _output_tiles_py(M, bias, th, tw, y):
    """y[n, o, 2i + a, 2j + b] = (A^T m A)[a, b] + bias[o] for m = M[:, (n*th + i)*tw + j, o],
    the cells past an odd output size dropped.

    Per row of tiles, A^T goes down the columns with the channels innermost (the loads
    run over O contiguous values), kept as r[a, o, 2*tw]; then along the rows, one
    output row at a time.
    """
    N, O, OH, OW = y.shape
    for q in numba.prange(N * th):
        n, h = q // th, 2 * (q % th)
        r = np.empty((2, 4, tw, O), dtype=M.dtype)
        for j in range(tw):
            p = q * tw + j
            for l in range(4):
                for o in range(O):
                    col = _at(M[l, p, o], M[4 + l, p, o], M[8 + l, p, o], M[12 + l, p, o])
                    r[0, l, j, o] = col[0]
                    r[1, l, j, o] = col[1]
        for a in range(min(2, OH - h)):  # row a of A^T m, times A
            for o in range(O):
                for j in range(tw):
                    out = _at(r[a, 0, j, o], r[a, 1, j, o], r[a, 2, j, o], r[a, 3, j, o])
                    y[n, o, h + a, 2 * j] = out[0] + bias[o]
                    if 2 * j + 1 < OW:
                        y[n, o, h + a, 2 * j + 1] = out[1] + bias[o]


def _gy_tiles_py(gy, th, tw, GY):
    """GY[4k + l, (n*th + i)*tw + j, o] = (A g A^T)[k, l] for g = gy[n, o, 2i : 2i+2, 2j : 2j+2],
    zeros past an odd output size."""
    N, O, OH, OW = gy.shape
    zero = gy.dtype.type(0)
    for q in numba.prange(N * th):
        n, h = q // th, 2 * (q % th)
        for j in range(tw):
            p, w = q * tw + j, 2 * j
            for o in range(O):
                g00 = gy[n, o, h, w]
                g01 = gy[n, o, h, w + 1] if w + 1 < OW else zero
                g10 = gy[n, o, h + 1, w] if h + 1 < OH else zero
                g11 = gy[n, o, h + 1, w + 1] if h + 1 < OH and w + 1 < OW else zero
                c0, c1 = _a(g00, g10), _a(g01, g11)
                for k in range(4):  # row k of A g, times A^T
                    v = _a(c0[k], c1[k])
                    for l in range(4):
                        GY[4 * k + l, p, o] = v[l]


_data_tiles = numba.njit(cache=True, parallel=True)(_data_tiles_py)
_output_tiles = numba.njit(cache=True, parallel=True)(_output_tiles_py)
_gy_tiles = numba.njit(cache=True, parallel=True)(_gy_tiles_py)


# --- the transforms, as winograd.py's pipeline takes them -------------------


def data_tiles(x: Array, padding: Pair, th: int, tw: int) -> Array:
    """V = B^T d B of every 4x4 tile of x padded: (16, N*th*tw, C), a workspace.

    x is copied into a zero border deep enough for th x tw whole tiles (kept per
    shape, so only its interior is rewritten).
    """
    N, C, H, W = x.shape
    ph, pw = padding
    xpad = zeroed(("winograd x", x.shape, ph, pw), (N, C, 2 * th + 2, 2 * tw + 2), x.dtype, np)
    threads.copyto(xpad[:, :, ph : ph + H, pw : pw + W], x)
    V = workspace("winograd v", (16, N * th * tw, C), x.dtype, np)
    with _cores_shared_with_blas():
        _data_tiles(xpad, th, tw, V)
    return V


def output_tiles(M: Array, bias: Array | None, y_shape: Shape, th: int, tw: int) -> Array:
    """y (a new array) from the tiles M (16, N*th*tw, O): A^T m A per tile, plus the bias."""
    y = np.empty(y_shape, dtype=M.dtype)
    b = np.zeros(y_shape[1], dtype=M.dtype) if bias is None else np.ascontiguousarray(bias)
    with _cores_shared_with_blas():
        _output_tiles(M, b, th, tw, y)
    return y


def gy_tiles(gy: Array, th: int, tw: int) -> Array:
    """A g A^T of every 2x2 tile of gy: (16, N*th*tw, O), a workspace."""
    N, O = gy.shape[:2]
    GY = workspace("winograd gy", (16, N * th * tw, O), gy.dtype, np)
    with _cores_shared_with_blas():
        _gy_tiles(np.ascontiguousarray(gy), th, tw, GY)
    return GY


# --- the kernels ------------------------------------------------------------


def conv2d_forward(
    x: Array, weight: Array, bias: Array | None, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """winograd.conv2d_forward with jitted transforms."""
    if not winograd.applies(weight.shape, stride, dilation, groups):
        return numba_im2col.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
    return winograd.convolve(x, weight, bias, padding, data_tiles, output_tiles)


def conv2d_input_grad(
    gy: Array, weight: Array, x_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """winograd.conv2d_input_grad with jitted transforms."""
    if not winograd.applies(weight.shape, stride, dilation, groups) or max(padding) > 2:
        return numba_im2col.conv2d_input_grad(gy, weight, x_shape, stride, padding, dilation, groups)
    return winograd.convolve(
        gy, *winograd.input_grad_as_convolution(weight, padding), data_tiles, output_tiles
    )


def conv2d_weight_grad(
    gy: Array, x: Array, weight_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """winograd.conv2d_weight_grad with jitted transforms."""
    if not winograd.applies(weight_shape, stride, dilation, groups):
        return numba_im2col.conv2d_weight_grad(gy, x, weight_shape, stride, padding, dilation, groups)
    return winograd.weight_gradient(gy, x, padding, data_tiles, gy_tiles)
