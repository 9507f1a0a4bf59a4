"""The forward and weight gradient of a convolution of single-channel images (LeNet-5's
first layer on MNIST), without im2col's columns.

With one input channel, im2col's column matrix has only KH*KW rows (25 for a 5x5 kernel):
the GEMM multiplies (O x 25) by (25 x OH*OW) per image, and copying the windows into
columns costs about as much as that small GEMM. Here each output plane is summed tap by
tap from the padded image itself (stride 1, no dilation, one group):

    y[n,o,i,j] = b[o] + sum_{u,v} W[o,0,u,v] xp[n, i+u, j+v]      (xp: x with its zero padding)

One flat loop per kernel row. In a padded image stored row after row, Wp = W + 2 pw cells
wide, output cell (i, j) sits at q = i*Wp + j, and its tap (u, v) reads xp at
q + u*Wp + v. So one loop over q from 0 to OH*Wp visits every output cell of the plane,
each reading its taps at the same offsets, plus Wp - OW cells per row beyond the right
edge, which are computed and dropped. A long loop over contiguous cells is what the
compiler turns into vector instructions; a loop over one output row (28 cells in LeNet-5)
would be too short for them to pay. (A padded tap multiplies a zero: an infinite weight
gives NaN there, as in im2col's GEMM, where the reference loops skip the padding.)

The KW taps of a kernel row are summed in the innermost loop, which is compiled with KW
fixed (one compiled copy per kernel width): the compiler unrolls it, keeps each cell's
running sum in a register across the row's taps, and vectorizes the loop over q around it.

The batch is cut into one chunk per Numba thread, each with its own padded image and
output plane, as in numba_depthwise.py.

The weight gradient sums, for each tap (u, v), gy times the padded image shifted by (u, v):

    gW[o,0,u,v] = sum_{n,i,j} gy[n,o,i,j] xp[n, i+u, j+v]

im2col's columns hold all KH*KW shifted images (25 copies of each image for a 5x5 kernel,
5 MB for LeNet-5's first layer at batch 64). Here only the KW column shifts are copied,

    S[n, v, r, j] = xp[n, r, j+v]        r < Hp, j < OW   (the image shifted left by v)

and a row shift is an offset: rows u .. u+OH-1 of S[n, v], flattened, are OH*OW contiguous
cells that line up with gy[n, o] flattened. So for each kernel row u

    gW[:, 0, u, :] = sum_n  gy[n] @ S[n, :, u:u+OH, :]^T       (O x OH*OW) @ (OH*OW x KW)

one GEMM per image (rows v of S[n] lie Hp*OW cells apart, a stride BLAS takes as it is),
summed over the images. The first layer's input needs no gradient. Where it does, the input
gradient stays im2col's, and on "same" maps of 256 cells and more numba_im2col's joint kernel
(conv2d_grads) takes both gradients, so this one is not called.

Other convolutions go on to numba_depthwise.py (and from there to Winograd and im2col).
"""

from typing import Any

import numba
import numpy as np

from . import (
    numba_compiling,  # noqa: F401  # says so as a first run compiles the loops
    numba_depthwise,
    numba_im2col,
)
from .sizes import conv_out_size
from .workspaces import workspace


def applies(x_shape, stride, dilation, groups):
    """One input channel, one group, stride 1 and no dilation."""
    return x_shape[1] == 1 and groups == 1 and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1)


def _pad_flat_py(image, ph, pw, flat):
    """flat[(h + ph)*Wp + w + pw] = image[h, w]: the padded image as one row of cells.

    Only the image's cells are written: the border (and the tail past the last row) is
    zeroed once per chunk by the caller and never written.
    """
    H, W = image.shape
    Wp = W + 2 * pw
    for h in range(H):
        start = (h + ph) * Wp + pw
        for w in range(W):
            flat[start + w] = image[h, w]


_pad_flat = numba.njit(cache=True)(_pad_flat_py)


def _forward_py_for(KW):
    """The forward loop, with the kernel width KW a constant of the function."""

    def _forward_py(x, weight, b, ph, pw, xflat, plane, y):
        """y[n, o] = b[o] + the sum over taps (u, v) of W[o, 0, u, v] times xp[n] shifted by (u, v).

        xflat (T, Hp*Wp + KW - 1): one zeroed padded image per chunk t; plane (T, OH*Wp): its
        output plane, as wide as the padded image.
        """
        N, _, H, W = x.shape
        O, _, KH, _ = weight.shape
        OH, OW = y.shape[2], y.shape[3]
        Wp = W + 2 * pw
        L = OH * Wp
        T = xflat.shape[0]
        for t in numba.prange(T):
            xp, out = xflat[t], plane[t]
            xp[:] = 0
            for n in range(t * N // T, (t + 1) * N // T):
                _pad_flat(x[n, 0], ph, pw, xp)
                for o in range(O):
                    out[:] = b[o]
                    for u in range(KH):
                        w_row = weight[o, 0, u]
                        # a slice, so that row[q + v] has no negative index to wrap around, a
                        # check per cell that would keep the loop from vectorizing
                        row = xp[u * Wp : u * Wp + L + KW - 1]
                        for q in range(L):
                            s = out[q]
                            for v in range(KW):
                                s += w_row[v] * row[q + v]
                            out[q] = s
                    for i in range(OH):
                        y[n, o, i, :] = out[i * Wp : i * Wp + OW]

    return _forward_py


_forwards: dict[int, Any] = {}  # kernel width -> the jitted forward


def _forward(KW):
    """The jitted forward for kernels KW wide, compiled once per width (and cached on disk)."""
    if KW not in _forwards:
        _forwards[KW] = numba.njit(cache=True, parallel=True)(_forward_py_for(KW))
    return _forwards[KW]


def _shifted_py(x, ph, pw, out):
    """out[n, v, r, j] = xp[n, r, j + v]: each padded image shifted left by v = 0 .. KW-1 and
    cut to the output's OW columns (xp: x[n, 0] with ph rows and pw columns of zeros)."""
    N, _, H, W = x.shape
    KW, OW = out.shape[1], out.shape[3]
    for n in numba.prange(N):
        for v in range(KW):
            plane = out[n, v]
            plane[:] = 0
            # the columns j that read the image itself, not its padding: 0 <= j + v - pw < W
            j0, j1 = max(0, pw - v), min(OW, W + pw - v)
            if j0 < j1:
                for h in range(H):
                    plane[ph + h, j0:j1] = x[n, 0, h, j0 + v - pw : j1 + v - pw]


_shifted = numba.njit(cache=True, parallel=True)(_shifted_py)


def conv2d_forward(x, weight, bias, stride, padding, dilation, groups):
    """y = the direct sum above for single-channel images; others: numba_depthwise.py."""
    if not applies(x.shape, stride, dilation, groups):
        return numba_depthwise.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
    N = x.shape[0]
    O, _, KH, KW = weight.shape
    b = np.zeros(O, dtype=x.dtype) if bias is None else np.ascontiguousarray(bias)
    Hp, Wp = x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]
    OH, OW = conv_out_size(x.shape[2], KH, 1, padding[0]), conv_out_size(x.shape[3], KW, 1, padding[1])
    y = np.empty((N, O, OH, OW), dtype=x.dtype)
    T = numba_im2col.parts(N)
    _forward(KW)(
        np.ascontiguousarray(x),
        np.ascontiguousarray(weight),
        b,
        padding[0],
        padding[1],
        np.empty((T, Hp * Wp + KW - 1), dtype=x.dtype),  # KW - 1 cells past the last row
        np.empty((T, OH * Wp), dtype=x.dtype),
        y,
    )
    return y


def conv2d_weight_grad(gy, x, weight_shape, stride, padding, dilation, groups):
    """gW by the shifted copies above for single-channel images; others: numba_depthwise.py."""
    if not applies(x.shape, stride, dilation, groups):
        return numba_depthwise.conv2d_weight_grad(gy, x, weight_shape, stride, padding, dilation, groups)
    N, O, OH, OW = gy.shape
    _, _, KH, KW = weight_shape
    Hp = x.shape[2] + 2 * padding[0]
    # the shared column workspace: a fresh array each step would be page-faulted in anew
    shifted = workspace("cols", (N, KW, Hp, OW), gy.dtype, np)
    _shifted(np.ascontiguousarray(x), padding[0], padding[1], shifted)
    rows = shifted.reshape(N, KW, Hp * OW)
    g = np.ascontiguousarray(gy).reshape(N, O, OH * OW)
    gw = np.empty((O, KH, KW), dtype=gy.dtype)
    for u in range(KH):
        # image n's rows u .. u + OH - 1 of its KW shifted copies, a (KW, OH*OW) matrix
        gw[:, u, :] = np.matmul(g, rows[:, :, u * OW : (u + OH) * OW].transpose(0, 2, 1)).sum(axis=0)
    return gw.reshape(weight_shape)
