"""im2col.py's convolution with its two copies as jitted loops (stride 1, dilation 1).

The GEMMs, the workspaces and the choice of algorithm are im2col.py's; only the
copies between images and columns are loops here:

    cols[c, u, v, n, i, j]  = xpad[n, c, i + u, j + v]      the windows (im2col)
    gxpad[n, c, i + u, j + v] += cols[c, u, v, n, i, j]      their adjoint (col2im)

NumPy makes the first one copy through a six-axis strided view, and the second
KH*KW strided slice additions; both move rows of only OW values at a time (10 in
LeNet-5's second convolution), and pay NumPy's per-row overhead on each. The loops
run the same rows as vector moves. The index into the padded image never goes
below zero, so Numba needs no wraparound check there and the inner loop compiles to
vector loads and stores. Strided and dilated convolutions keep im2col.py's copies
(on NumPy the strided ones take the phase split, strided.py). One channel per
parallel iteration: channels share no cell, so no two threads add into the same
place. Each loop is a plain Python function first (``_name_py``) and jitted
second, as in numba_cpu.py.

``conv2d_grads`` (an optional kernel, kernels.OPTIONAL) gives both gradients of a
"same" convolution on larger maps together, an image at a time, with the same GEMMs.

Stride-1 convolutions with a filter larger than 1x1 run image by image in every kernel
(``by_images_here``): each thread takes a run of images, and for each builds that image's
columns, then its GEMMs, while the columns are still in its core's caches (``_forward``,
``_image_grads``), where im2col.py builds the whole batch's columns first and reads them back
from memory:

    y[n]     = W @ cols_n + b                       cols_n the windows of x[n], (C*KH*KW, OH*OW)
    gW      += gy[n] @ cols_n^T                     summed per run, the runs' sums added last
    gx[n]    = col2im(W^T @ gy[n])
"""

import numba
import numpy as np

from ..backend import Array, Pair, Shape
from . import (
    by_images,
    im2col,
    numba_compiling,  # noqa: F401  # says so as a first run compiles the loops
    threads,
)
from .workspaces import padded, workspace

# conv2d_grads' images at a time pay only from maps of MIN_PIXELS cells: on smaller ones,
# ResNet-20's 8x8, the per-image GEMMs are too small for BLAS to run them well. Large
# images are taken too: their columns leave the caches, yet each image's are read right
# after they are written, and only one image's are held where the pair of gradient kernels
# holds the whole batch's (measured per shape: benchmarks/README.md, "Both gradients").
MIN_PIXELS = 256


def _windows_py(xpad, cols):
    """cols[c, u, v, n, i, j] = xpad[n, c, i + u, j + v]: every stride-1 window, as columns."""
    C, KH, KW, N, OH, OW = cols.shape
    for c in numba.prange(C):
        for u in range(KH):
            for v in range(KW):
                for n in range(N):
                    for i in range(OH):
                        for j in range(OW):
                            cols[c, u, v, n, i, j] = xpad[n, c, i + u, j + v]


def _col2im_py(cols, gxpad):
    """gxpad[n, c, i + u, j + v] += cols[c, u, v, n, i, j]: each column entry back onto its cell.

    ``+=``: neighbouring windows overlap, and every read of a cell sends it a gradient.
    The (n, c) plane stays in cache while all KH*KW taps add into it.
    """
    C, KH, KW, N, OH, OW = cols.shape
    for c in numba.prange(C):
        for n in range(N):
            for u in range(KH):
                for v in range(KW):
                    for i in range(OH):
                        for j in range(OW):
                            gxpad[n, c, i + u, j + v] += cols[c, u, v, n, i, j]


def _image_windows_py(xpad, cols):
    """cols[c, u, v, i, j] = xpad[c, i + u, j + v]: _windows of one padded image, a serial loop.

    For conv2d_grads, which calls it once per image: a parallel loop's start costs as much
    as copying one image's columns.
    """
    C, KH, KW, OH, OW = cols.shape
    for c in range(C):
        for u in range(KH):
            for v in range(KW):
                for i in range(OH):
                    for j in range(OW):
                        cols[c, u, v, i, j] = xpad[c, i + u, j + v]


def _image_col2im_py(cols, gxpad):
    """gxpad[c, i + u, j + v] += cols[c, u, v, i, j]: _col2im of one padded image, a serial loop."""
    C, KH, KW, OH, OW = cols.shape
    for c in range(C):
        for u in range(KH):
            for v in range(KW):
                for i in range(OH):
                    for j in range(OW):
                        gxpad[c, i + u, j + v] += cols[c, u, v, i, j]


_windows = numba.njit(cache=True, parallel=True)(_windows_py)
_col2im = numba.njit(cache=True, parallel=True)(_col2im_py)
_image_windows = numba.njit(cache=True)(_image_windows_py)
_image_col2im = numba.njit(cache=True)(_image_col2im_py)


def _forward_py(xpad, w2, bias, parts, y):
    """y[n] = w2 @ cols_n + bias for each image n, cols_n the windows of xpad[n]: the images split
    into ``parts`` runs, one per parallel iteration, each GEMM on BLAS's one thread."""
    N, C = xpad.shape[:2]
    O, OH, OW = y.shape[1:]
    KH, KW = xpad.shape[2] - OH + 1, xpad.shape[3] - OW + 1
    for q in numba.prange(parts):
        cols = np.empty((C * KH * KW, OH * OW), dtype=xpad.dtype)
        for n in range(N * q // parts, N * (q + 1) // parts):
            _image_windows(xpad[n], cols.reshape(C, KH, KW, OH, OW))
            yn = y[n].reshape(O, OH * OW)
            np.dot(w2, cols, yn)
            for o in range(O):
                yn[o] += bias[o]


def _image_grads_py(gy, xpad, w2t, gxpad, sums):
    """For each image n of the q-th run (one run per parallel iteration, ``sums`` one slot a run):

    cols_n    = the windows of xpad[n]                        (C*KH*KW, OH*OW)
    sums[q]  += gy[n] @ cols_n^T
    gxpad[n]  = col2im(w2t @ gy[n])       where gxpad holds images (else no gx is made)
    """
    N, O, OH, OW = gy.shape
    C = xpad.shape[1]
    KH, KW = xpad.shape[2] - OH + 1, xpad.shape[3] - OW + 1
    for q in numba.prange(sums.shape[0]):
        cols = np.empty((C * KH * KW, OH * OW), dtype=xpad.dtype)
        gcols = np.empty((C * KH * KW, OH * OW), dtype=xpad.dtype)
        product = np.empty((O, C * KH * KW), dtype=xpad.dtype)
        for n in range(N * q // sums.shape[0], N * (q + 1) // sums.shape[0]):
            _image_windows(xpad[n], cols.reshape(C, KH, KW, OH, OW))
            gy_n = gy[n].reshape(O, OH * OW)
            np.dot(gy_n, cols.T, product)
            sums[q] += product
            if gxpad.shape[0] > 0:
                np.dot(w2t, gy_n, gcols)
                gxpad[n] = 0
                _image_col2im(gcols.reshape(C, KH, KW, OH, OW), gxpad[n])


_forward = numba.njit(cache=True, parallel=True)(_forward_py)
_image_grads = numba.njit(cache=True, parallel=True)(_image_grads_py)


def _plain(stride: Pair, dilation: Pair) -> bool:
    return tuple(stride) == tuple(dilation) == (1, 1)


def copy_windows(xpad: Array, cols: Array, stride: Pair, dilation: Pair) -> None:
    """im2col.copy_windows, as a jitted loop at stride 1 and dilation 1."""
    if not _plain(stride, dilation):
        im2col.copy_windows(xpad, cols, stride, dilation)
        return
    _windows(np.ascontiguousarray(xpad), cols)


def col2im(cols: Array, x_shape: Shape, stride: Pair, padding: Pair, dilation: Pair) -> Array:
    """im2col.col2im, as a jitted loop at stride 1 and dilation 1: a new (N, C, H, W) array.

    The sum goes into a zeroed padded image (a workspace), so every column entry has a
    cell; the border, the gradient of the padding, is dropped at the end.
    """
    if not _plain(stride, dilation):
        return im2col.col2im(cols, x_shape, stride, padding, dilation)
    N, C, H, W = x_shape
    (ph, pw) = padding
    gxpad = workspace("col2im", (N, C, H + 2 * ph, W + 2 * pw), cols.dtype, np)  # OH + KH - 1 rows
    gxpad.fill(0)
    _col2im(np.ascontiguousarray(cols), gxpad)
    gx = np.empty(x_shape, dtype=cols.dtype)  # a new array: gxpad is a workspace
    threads.copyto(gx, gxpad[:, :, ph : ph + H, pw : pw + W])
    return gx


# --- the kernels ------------------------------------------------------------


def by_images_here(weight_shape: Shape, stride: Pair, dilation: Pair, groups: int) -> bool:
    """Whether this module's kernels run a convolution image by image, columns and GEMMs each
    image in turn (``_forward``, ``_image_grads``): stride 1, dilation 1, one group and a filter
    larger than 1x1 (pointwise ones run on x itself, by_images.pointwise).

    NOTE: against im2col.py's columns of the whole batch, the forward took 0.3-0.7 of the
    time and the two gradients together 0.4-0.75 where the joint kernel of "same" convolutions
    does not apply, and 1.1-1.45 where it does, which keeps them (benchmarks/README.md,
    "Columns an image at a time").
    """
    return _plain(stride, dilation) and groups == 1 and weight_shape[2] * weight_shape[3] > 1


def conv2d_forward(
    x: Array, weight: Array, bias: Array | None, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """im2col.conv2d_forward with the windows copied by a jitted loop; image by image where
    ``by_images_here``, each image's columns read by its GEMM as they are made."""
    if not by_images_here(weight.shape, stride, dilation, groups):
        return im2col.conv2d_forward(x, weight, bias, stride, padding, dilation, groups, windows=copy_windows)
    N, C, H, W = x.shape
    O, _, KH, KW = weight.shape
    xpad = np.ascontiguousarray(padded(x, *padding))
    y = np.empty((N, O, xpad.shape[2] - KH + 1, xpad.shape[3] - KW + 1), dtype=x.dtype)
    b = np.zeros(O, dtype=x.dtype) if bias is None else np.ascontiguousarray(bias, dtype=x.dtype)
    _forward(xpad, np.ascontiguousarray(weight.reshape(O, C * KH * KW)), b, parts(N), y)
    return y


def _grads_by_images(gy: Array, x: Array, weight_shape: Shape, padding: Pair, weight: Array | None) -> tuple:
    """(gx, gW) by ``_image_grads``; gx None where no ``weight`` is given (gW alone)."""
    N, C, H, W = x.shape
    O, _, KH, KW = weight_shape
    (ph, pw) = padding
    xpad = np.ascontiguousarray(padded(x, ph, pw))
    if weight is None:  # gW alone: no images for gx, W^T unread
        gxpad = np.empty((0,) + xpad.shape[1:], dtype=gy.dtype)
        w2t = np.empty((C * KH * KW, O), dtype=gy.dtype)
    else:
        gxpad, w2t = np.empty(xpad.shape, dtype=gy.dtype), np.ascontiguousarray(weight.reshape(O, -1).T)
    sums = np.zeros((parts(N), O, C * KH * KW), dtype=gy.dtype)
    _image_grads(np.ascontiguousarray(gy), xpad, w2t, gxpad, sums)
    gw = sums.sum(axis=0).reshape(O, C, KH, KW)
    gx = None if weight is None else np.ascontiguousarray(gxpad[:, :, ph : ph + H, pw : pw + W])
    return gx, gw


def conv2d_input_grad(
    gy: Array, weight: Array, x_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """im2col.conv2d_input_grad with gy's windows copied and col2im's sum added by jitted loops."""
    return im2col.conv2d_input_grad(
        gy, weight, x_shape, stride, padding, dilation, groups, windows=copy_windows, scatter=col2im
    )


def conv2d_weight_grad(
    gy: Array, x: Array, weight_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """im2col.conv2d_weight_grad with the windows of x (or of gy) copied by a jitted loop; image
    by image where ``by_images_here``."""
    if by_images_here(weight_shape, stride, dilation, groups):
        return _grads_by_images(gy, x, weight_shape, padding, None)[1]
    return im2col.conv2d_weight_grad(
        gy, x, weight_shape, stride, padding, dilation, groups, windows=copy_windows
    )


def parts(N: int) -> int:
    """How many runs of images a batch of N is split into: one per Numba thread, at most one an
    image. Each parallel loop over images here and in numba_winograd.py and numba_depthwise.py
    gives each run to one iteration."""
    return max(1, min(N, numba.get_num_threads()))


def _grads_py(gpad, x, w_flipped, gx, sums):
    """For each image n of the q-th run (one run per parallel iteration, ``sums`` one slot a run):

        cols_n = the windows of gpad[n]          (O*KH*KW, H*W)
        gx[n]  = w_flipped @ cols_n
        sums[q] += cols_n @ x[n]^T

    each GEMM on BLAS's one thread, beside the other runs' (threads.py)."""
    N, C, H, W = x.shape
    parts, taps = sums.shape[0], sums.shape[1]
    O = gpad.shape[1]
    KH, KW = gpad.shape[2] - H + 1, gpad.shape[3] - W + 1
    for q in numba.prange(parts):
        cols = np.empty((taps, H * W), dtype=x.dtype)
        product = np.empty((taps, C), dtype=x.dtype)
        for n in range(N * q // parts, N * (q + 1) // parts):
            _image_windows(gpad[n], cols.reshape(O, KH, KW, H, W))
            np.dot(w_flipped, cols, gx[n].reshape(C, H * W))
            np.dot(cols, x[n].reshape(C, H * W).T, product)
            sums[q] += product


_grads = numba.njit(cache=True, parallel=True)(_grads_py)


def conv2d_grads(
    gy: Array,
    x: Array,
    weight: Array,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
) -> tuple[Array, Array] | None:
    """(gx, gW) of a "same" convolution (im2col.full_padding) together, an image at a time:

        cols_n = the columns of gy[n] padded by K - 1 - p       (O*KH*KW, H*W)
        gx[n]  = W' @ cols_n      W' the kernel flipped, in/out channels swapped: (C, O*KH*KW)
        gW'   += cols_n @ x[n]^T    summed over the images, then gW = gW' flipped back

    the same sums as im2col.py's two gradients, which build gy's columns for the whole
    batch (38 MB for a stage-1 layer of ResNet-20 at batch 64) and read them back from
    memory in both GEMMs; an image's columns are read right after they are written, from
    its core's caches. gx[n] and x[n] are (C, H*W) matrices as they lie in NCHW, so nothing
    is transposed either. Each thread takes a run of images with a columns buffer and a sum
    of gW' of its own (``_grads``); the runs' sums are added last.

    The other stride-1 convolutions with a filter larger than 1x1 (not "same", or on maps
    under MIN_PIXELS cells) take x's columns image by image instead (``by_images_here``):
    gW += gy[n] @ cols_n^T and gx[n] = col2im(W^T @ gy[n]), in ``_image_grads``.

    None for the rest (groups, strides, dilations), and for the pointwise convolutions whose
    two gradients im2col.py runs on x and gy themselves, with no copy
    (``by_images.pointwise_weight_grad``; this kernel copies each gy[n] into columns;
    benchmarks/few_taps.py, "both_grads"): the caller then runs the two gradient kernels.
    """
    full = im2col.full_padding(weight.shape, stride, padding, dilation, groups)
    N, C, H, W = x.shape
    if full is None or groups != 1 or not _plain(stride, dilation) or H * W < MIN_PIXELS:
        if by_images_here(weight.shape, stride, dilation, groups):
            return _grads_by_images(gy, x, weight.shape, padding, weight)
        return None
    if by_images.pointwise_weight_grad(x, weight.shape, stride, padding, groups):
        return None
    O, _, KH, KW = weight.shape
    gpad = np.ascontiguousarray(padded(gy, *full))
    gx = np.empty(x.shape, dtype=gy.dtype)
    w_flipped = np.ascontiguousarray(im2col.flipped_transposed_weight(weight, 1).reshape(C, O * KH * KW))
    sums = np.zeros((parts(N), O * KH * KW, C), dtype=gy.dtype)
    _grads(gpad, np.ascontiguousarray(x), w_flipped, gx, sums)
    gw = sums.sum(axis=0).reshape(O, KH, KW, C)[:, ::-1, ::-1].transpose(0, 3, 1, 2)
    return gx, np.ascontiguousarray(gw)
