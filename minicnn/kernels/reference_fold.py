"""Plain loops for unfold and fold: the spec of xp_fold.py, in reference.py's manner.

unfold copies every window of x into a column, PyTorch's layout: one row per tap
(c, u, v), one column per window position (i, j), for each image n. fold is its
adjoint: it adds every column entry back onto the cell of x it was read from, so a
cell read by several windows gets the sum. Slow: use tiny inputs.

Shapes: x (N, C, H, W), columns (N, C*KH*KW, OH*OW); kernel_size, stride, padding and
dilation are (height, width) pairs.
"""

import numpy as np

from ..backend import Array, Pair
from .reference import _taps
from .sizes import conv_out_size


def unfold_forward(x: Array, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Array:
    """y[n, (c, u, v), (i, j)] = x[n, c, i*sh - ph + u*dh, j*sw - pw + v*dw], 0 where that is padding."""
    N, C, H, W = x.shape
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    OH, OW = conv_out_size(H, KH, sh, ph, dh), conv_out_size(W, KW, sw, pw, dw)
    y = np.zeros((N, C, KH, KW, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    for u, h in _taps(i, KH, sh, ph, dh, H):
                        for v, w in _taps(j, KW, sw, pw, dw, W):
                            y[n, c, u, v, i, j] = x[n, c, h, w]
    return y.reshape(N, C * KH * KW, OH * OW)


def fold_forward(
    cols: Array, output_size: Pair, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> Array:
    """y[n, c, h, w] = sum of cols[n, (c, u, v), (i, j)] over every (u, v, i, j) whose tap lands
    on (h, w); the taps that land in the padding are dropped."""
    N = cols.shape[0]
    (H, W), (KH, KW), (sh, sw), (ph, pw), (dh, dw) = output_size, kernel_size, stride, padding, dilation
    OH, OW = conv_out_size(H, KH, sh, ph, dh), conv_out_size(W, KW, sw, pw, dw)
    C = cols.shape[1] // (KH * KW)
    blocks = cols.reshape(N, C, KH, KW, OH, OW)
    y = np.zeros((N, C, H, W), dtype=cols.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    for u, h in _taps(i, KH, sh, ph, dh, H):
                        for v, w in _taps(j, KW, sw, pw, dw, W):
                            y[n, c, h, w] += blocks[n, c, u, v, i, j]
    return y
