"""Depthwise convolution as Numba loops (MobileNet's 3x3 layers: groups = in = out channels).

Every channel is convolved with its own KH x KW filter, so a depthwise layer is C
independent plane convolutions:

    y[n,c,i,j]  = b[c] + sum_{u,v} W[c,0,u,v] x[n, c, i*sh - ph + u*dh, j*sw - pw + v*dw]
    gx[n,c,h,w] = sum over the (i, j, u, v) whose tap lands on (h, w) of W[c,0,u,v] gy[n,c,i,j]
    gW[c,0,u,v] = sum_{n,i,j} gy[n,c,i,j] x[n, c, i*sh - ph + u*dh, j*sw - pw + v*dw]

(taps in the zero padding are skipped). The xp tier turns a depthwise layer into C
GEMMs of one row each (W_c of shape (1, KH*KW) times that channel's columns): a
Python call per channel and a column matrix KH*KW times the input, for a layer
with only 2*KH*KW flops per output cell.

Here each image is first copied channels-last, (H, W, C), into a small buffer, so
that every sum above becomes, for one output cell (i, j) and one tap (u, v), a
loop over the channels: contiguous, independent per channel, and compiled to
vector instructions. The plane-by-plane loop nest (one plane per (n, c)) vectorizes
along rows instead, and MobileNet's planes on 32x32 images are 16x16 down to 1x1: their
rows are too short for vectors, and the loop overhead per row dominates.

The batch is cut into one chunk per Numba thread (the parallel loop); each chunk
keeps its own channels-last buffers, and for the weight gradient its own float64
sum, so no two threads write the same place and the result does not depend on
the order in which threads finish. (The weight gradient's float64 sums are added per
chunk, so its last bits may differ with the number of threads.)

Any other convolution goes on: the forward to ``numba_winograd.py`` (3x3
stride-1 layers; it sends the rest to numba_im2col.py), the gradients to
``numba_im2col.py`` (im2col.py's, with jitted copies).
Each kernel is a plain Python function first (``_name_py``) and jitted second, as
in numba_cpu.py.
"""

import numba
import numpy as np

from . import (
    numba_compiling,  # noqa: F401  # says so as a first run compiles the loops
    numba_im2col,
    numba_winograd,
)
from .sizes import conv_out_size


def applies(x_shape, weight_shape, groups):
    """A depthwise convolution with one filter per channel: weight (C, 1, KH, KW), groups = C."""
    return weight_shape[1] == 1 and groups == x_shape[1] == weight_shape[0]


def _channels_last_py(a, out):
    """out[h, w, c] = a[c, h, w]."""
    C, H, W = a.shape
    for c in range(C):
        for h in range(H):
            for w in range(W):
                out[h, w, c] = a[c, h, w]


def _channels_first_py(a, out):
    """out[c, h, w] = a[h, w, c]."""
    H, W, C = a.shape
    for c in range(C):
        for h in range(H):
            for w in range(W):
                out[c, h, w] = a[h, w, c]


# jitted first: the loops below call them, jitted or plain
_channels_last = numba.njit(cache=True)(_channels_last_py)
_channels_first = numba.njit(cache=True)(_channels_first_py)


def _depthwise_forward_py(x, wt, b, sh, sw, ph, pw, dh, dw, xt, yt, y):
    """y[n] = b + x[n] convolved with wt (KH, KW, C), channel by channel, for every image n.

    Geometry: sh, sw the strides, ph, pw the padding, dh, dw the dilation (height, width).
    xt (T, H, W, C) and yt (T, OH, OW, C): one channels-last buffer pair per chunk t.
    """
    N, C, H, W = x.shape
    KH, KW = wt.shape[0], wt.shape[1]
    OH, OW = y.shape[2], y.shape[3]
    T = xt.shape[0]
    for t in numba.prange(T):
        x_last, y_last = xt[t], yt[t]
        for n in range(t * N // T, (t + 1) * N // T):
            _channels_last(x[n], x_last)
            for i in range(OH):
                for j in range(OW):
                    acc = y_last[i, j]
                    acc[:] = b
                    for u in range(KH):
                        h = i * sh - ph + u * dh
                        if h < 0 or h >= H:
                            continue
                        for v in range(KW):
                            w = j * sw - pw + v * dw
                            if w < 0 or w >= W:
                                continue
                            for c in range(C):  # contiguous: the loop vectorizes
                                acc[c] += wt[u, v, c] * x_last[h, w, c]
            _channels_first(y_last, y[n])


def _depthwise_input_grad_py(gy, wt, sh, sw, ph, pw, dh, dw, gyt, gxt, gx):
    """gx[n, :, h, w] += wt[u, v, :] * gy[n, :, i, j] for every tap (u, v) of every output cell
    (i, j) whose input cell (h, w) is in the image: the forward's loop, scattering."""
    N, C, OH, OW = gy.shape
    H, W = gx.shape[2], gx.shape[3]
    KH, KW = wt.shape[0], wt.shape[1]
    T = gyt.shape[0]
    for t in numba.prange(T):
        gy_last, gx_last = gyt[t], gxt[t]
        for n in range(t * N // T, (t + 1) * N // T):
            _channels_last(gy[n], gy_last)
            gx_last[:] = 0
            for i in range(OH):
                for j in range(OW):
                    g = gy_last[i, j]
                    for u in range(KH):
                        h = i * sh - ph + u * dh
                        if h < 0 or h >= H:
                            continue
                        for v in range(KW):
                            w = j * sw - pw + v * dw
                            if w < 0 or w >= W:
                                continue
                            for c in range(C):
                                gx_last[h, w, c] += wt[u, v, c] * g[c]
            _channels_first(gx_last, gx[n])


def _depthwise_weight_grad_py(gy, x, sh, sw, ph, pw, dh, dw, gyt, xt, part):
    """part[t, u, v, c] = chunk t's sum over its images and output cells of gy times the tap's input.

    The float64 sums of the chunks are added by the caller: gW = part.sum(0).
    """
    N, C, OH, OW = gy.shape
    H, W = x.shape[2], x.shape[3]
    KH, KW = part.shape[1], part.shape[2]
    T = part.shape[0]
    for t in numba.prange(T):
        gy_last, x_last, sums = gyt[t], xt[t], part[t]
        for n in range(t * N // T, (t + 1) * N // T):
            _channels_last(gy[n], gy_last)
            _channels_last(x[n], x_last)
            for i in range(OH):
                for j in range(OW):
                    g = gy_last[i, j]
                    for u in range(KH):
                        h = i * sh - ph + u * dh
                        if h < 0 or h >= H:
                            continue
                        for v in range(KW):
                            w = j * sw - pw + v * dw
                            if w < 0 or w >= W:
                                continue
                            for c in range(C):
                                sums[u, v, c] += np.float64(g[c]) * x_last[h, w, c]


_depthwise_forward = numba.njit(cache=True, parallel=True)(_depthwise_forward_py)
_depthwise_input_grad = numba.njit(cache=True, parallel=True)(_depthwise_input_grad_py)
_depthwise_weight_grad = numba.njit(cache=True, parallel=True)(_depthwise_weight_grad_py)


def _out_size(x_shape, weight_shape, stride, padding, dilation):
    return (
        conv_out_size(x_shape[2], weight_shape[2], stride[0], padding[0], dilation[0]),
        conv_out_size(x_shape[3], weight_shape[3], stride[1], padding[1], dilation[1]),
    )


def _geometry(stride, padding, dilation):
    return stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]


def _filters_last(weight):
    """W (C, 1, KH, KW) as wt (KH, KW, C): each tap's C weights side by side."""
    return np.ascontiguousarray(weight[:, 0].transpose(1, 2, 0))


def conv2d_forward(x, weight, bias, stride, padding, dilation, groups):
    """y = the depthwise convolution (see the module docstring); others: numba_winograd.py."""
    if not applies(x.shape, weight.shape, groups):
        return numba_winograd.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
    N, C, H, W = x.shape
    OH, OW = _out_size(x.shape, weight.shape, stride, padding, dilation)
    b = np.zeros(C, dtype=x.dtype) if bias is None else np.ascontiguousarray(bias)
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    T = numba_im2col.parts(N)
    _depthwise_forward(
        np.ascontiguousarray(x),
        _filters_last(weight),
        b,
        *_geometry(stride, padding, dilation),
        np.empty((T, H, W, C), dtype=x.dtype),
        np.empty((T, OH, OW, C), dtype=x.dtype),
        y,
    )
    return y


def conv2d_input_grad(gy, weight, x_shape, stride, padding, dilation, groups):
    """gx of a depthwise convolution (see the module docstring); others: numba_im2col.py."""
    if not applies(x_shape, weight.shape, groups):
        return numba_im2col.conv2d_input_grad(gy, weight, x_shape, stride, padding, dilation, groups)
    N, C, H, W = x_shape
    OH, OW = gy.shape[2], gy.shape[3]
    gx = np.empty(x_shape, dtype=gy.dtype)
    T = numba_im2col.parts(N)
    _depthwise_input_grad(
        np.ascontiguousarray(gy),
        _filters_last(weight),
        *_geometry(stride, padding, dilation),
        np.empty((T, OH, OW, C), dtype=gy.dtype),
        np.empty((T, H, W, C), dtype=gy.dtype),
        gx,
    )
    return gx


def conv2d_weight_grad(gy, x, weight_shape, stride, padding, dilation, groups):
    """gW of a depthwise convolution (see the module docstring); others: numba_im2col.py."""
    if not applies(x.shape, weight_shape, groups):
        return numba_im2col.conv2d_weight_grad(gy, x, weight_shape, stride, padding, dilation, groups)
    N, C, H, W = x.shape
    OH, OW = gy.shape[2], gy.shape[3]
    KH, KW = weight_shape[2], weight_shape[3]
    T = numba_im2col.parts(N)
    part = np.zeros((T, KH, KW, C))  # NOTE: float64, each sum runs over N*OH*OW terms
    _depthwise_weight_grad(
        np.ascontiguousarray(gy),
        np.ascontiguousarray(x),
        *_geometry(stride, padding, dilation),
        np.empty((T, OH, OW, C), dtype=gy.dtype),
        np.empty((T, H, W, C), dtype=x.dtype),
        part,
    )
    gw = part.sum(axis=0).transpose(2, 0, 1).astype(gy.dtype, order="C")
    return gw.reshape(weight_shape)
