"""Depthwise convolution as Numba loops (MobileNet's 3x3 layers: groups = in = out channels).

Every channel is convolved with its own KH x KW filter, so a depthwise layer is C
independent plane convolutions. The xp tier turns it into C GEMMs of one row each
(W_c of shape (1, KH*KW) times that channel's columns), a Python call per channel
and a column matrix KH*KW times the input; here each plane is one loop nest over
the input itself, parallel over planes:

    y[n,c,i,j]  = b[c] + sum_{u,v} W[c,0,u,v] x[n, c, i*sh - ph + u*dh, j*sw - pw + v*dw]
    gx[n,c,h,w] = sum over the (i, j, u, v) whose tap lands on (h, w) of W[c,0,u,v] gy[n,c,i,j]
    gW[c,0,u,v] = sum_{n,i,j} gy[n,c,i,j] x[n, c, i*sh - ph + u*dh, j*sw - pw + v*dw]

(taps in the zero padding are skipped). The forward and input-gradient loops run
over (n, c) planes, which share no cell; the weight gradient runs over channels,
each summing its own filter over the batch. For each tap the range of output
columns that lands inside the image is worked out once, so the inner loop has no
branch and, at stride 1, runs over contiguous memory.

Any other convolution goes to the xp tier (im2col.py) unchanged. Each kernel is a
plain Python function first (``_name_py``) and jitted second, as in numba_cpu.py.
"""

import numba
import numpy as np

from . import im2col
from .sizes import conv_out_size


def applies(x_shape, weight_shape, groups):
    """A depthwise convolution with one filter per channel: weight (C, 1, KH, KW), groups = C."""
    return weight_shape[1] == 1 and groups == x_shape[1] == weight_shape[0]


def _cols_py(j_count, v_off, sw, width):
    """(first, one past the last) output column j whose input column j*sw + v_off is in [0, width)."""
    lo = max(0, -(v_off // sw))
    hi = min(j_count, (width - 1 - v_off) // sw + 1)
    return lo, hi


# jitted first: the loops call it, jitted or plain
_cols = numba.njit(cache=True)(_cols_py)


def _dw_forward_py(x, w, b, sh, sw, ph, pw, dh, dw, y):
    """y[p] = b[c] + the plane x[p] convolved with W[c], for every plane p = n*C + c."""
    P, H, W = x.shape
    C, KH, KW = w.shape
    OH, OW = y.shape[1], y.shape[2]
    for p in numba.prange(P):
        c = p % C
        for i in range(OH):
            for j in range(OW):
                y[p, i, j] = b[c]
            for u in range(KH):
                h = i * sh - ph + u * dh
                if h < 0 or h >= H:
                    continue
                yrow, xrow = y[p, i], x[p, h]
                for v in range(KW):
                    off = v * dw - pw
                    lo, hi = _cols(OW, off, sw, W)
                    wt = w[c, u, v]
                    if sw == 1:  # contiguous: the loop vectorizes
                        for j in range(lo, hi):
                            yrow[j] += wt * xrow[j + off]
                    else:
                        for j in range(lo, hi):
                            yrow[j] += wt * xrow[j * sw + off]


def _dw_backward_input_py(gy, w, sh, sw, ph, pw, dh, dw, gx):
    """gx[p] += W[c][u, v] gy[p, i, j] at every tap: the forward's loop, scattering."""
    P, H, W = gx.shape
    C, KH, KW = w.shape
    OH, OW = gy.shape[1], gy.shape[2]
    for p in numba.prange(P):
        c = p % C
        for i in range(OH):
            for u in range(KH):
                h = i * sh - ph + u * dh
                if h < 0 or h >= H:
                    continue
                gxrow, gyrow = gx[p, h], gy[p, i]
                for v in range(KW):
                    off = v * dw - pw
                    lo, hi = _cols(OW, off, sw, W)
                    wt = w[c, u, v]
                    if sw == 1:
                        for j in range(lo, hi):
                            gxrow[j + off] += wt * gyrow[j]
                    else:
                        for j in range(lo, hi):
                            gxrow[j * sw + off] += wt * gyrow[j]


def _dw_backward_weight_py(gy, x, sh, sw, ph, pw, dh, dw, gw):
    """gW[c, u, v] = sum over the batch and output cells of gy times the tap's input cell."""
    N, C, OH, OW = gy.shape
    H, W = x.shape[2], x.shape[3]
    KH, KW = gw.shape[1], gw.shape[2]
    for c in numba.prange(C):
        for u in range(KH):
            for v in range(KW):
                lo, hi = _cols(OW, v * dw - pw, sw, W)
                total = 0.0  # NOTE: float64, the sum runs over N*OH*OW terms
                for n in range(N):
                    for i in range(OH):
                        h = i * sh - ph + u * dh
                        if h < 0 or h >= H:
                            continue
                        for j in range(lo, hi):
                            total += gy[n, c, i, j] * x[n, c, h, j * sw + v * dw - pw]
                gw[c, u, v] = total


_dw_forward = numba.njit(cache=True, parallel=True)(_dw_forward_py)
_dw_backward_input = numba.njit(cache=True, parallel=True)(_dw_backward_input_py)
_dw_backward_weight = numba.njit(cache=True, parallel=True)(_dw_backward_weight_py)


def _out_size(x_shape, weight_shape, stride, padding, dilation):
    return (
        conv_out_size(x_shape[2], weight_shape[2], stride[0], padding[0], dilation[0]),
        conv_out_size(x_shape[3], weight_shape[3], stride[1], padding[1], dilation[1]),
    )


def _geometry(stride, padding, dilation):
    return stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]


def conv2d_forward(x, weight, bias, stride, padding, dilation, groups):
    """y = the depthwise convolution (see the module docstring); other convolutions: im2col.py."""
    if not applies(x.shape, weight.shape, groups):
        return im2col.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
    N, C, H, W = x.shape
    OH, OW = _out_size(x.shape, weight.shape, stride, padding, dilation)
    b = np.zeros(C, dtype=x.dtype) if bias is None else np.ascontiguousarray(bias)
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    _dw_forward(
        np.ascontiguousarray(x).reshape(N * C, H, W),
        np.ascontiguousarray(weight).reshape(C, *weight.shape[2:]),
        b,
        *_geometry(stride, padding, dilation),
        y.reshape(N * C, OH, OW),
    )
    return y


def conv2d_input_grad(gy, weight, x_shape, stride, padding, dilation, groups):
    """gx of a depthwise convolution (see the module docstring); other convolutions: im2col.py."""
    if not applies(x_shape, weight.shape, groups):
        return im2col.conv2d_input_grad(gy, weight, x_shape, stride, padding, dilation, groups)
    N, C, H, W = x_shape
    _, _, OH, OW = gy.shape
    gx = np.zeros(x_shape, dtype=gy.dtype)
    _dw_backward_input(
        np.ascontiguousarray(gy).reshape(N * C, OH, OW),
        np.ascontiguousarray(weight).reshape(C, *weight.shape[2:]),
        *_geometry(stride, padding, dilation),
        gx.reshape(N * C, H, W),
    )
    return gx


def conv2d_weight_grad(gy, x, weight_shape, stride, padding, dilation, groups):
    """gW of a depthwise convolution (see the module docstring); other convolutions: im2col.py."""
    if not applies(x.shape, weight_shape, groups):
        return im2col.conv2d_weight_grad(gy, x, weight_shape, stride, padding, dilation, groups)
    C = weight_shape[0]
    gw = np.empty(weight_shape, dtype=gy.dtype)
    _dw_backward_weight(
        np.ascontiguousarray(gy),
        np.ascontiguousarray(x),
        *_geometry(stride, padding, dilation),
        gw.reshape(C, *weight_shape[2:]),
    )
    return gw
