"""Pooling kernels of the xp tier: vectorized code on ``xp`` (NumPy, and the same lines on CuPy).

Shapes: x (N, C, H, W), y (N, C, OH, OW); kernel_size, stride, padding (and
max pooling's dilation) are pairs. x is padded on the top/left by the padding
and on the bottom/right by whatever the last (ceil_mode) window needs, so every
window is whole.
"""

import contextlib

import numpy as np

from .. import backend
from ..backend import Array, Pair, Shape
from .sizes import adaptive_windows, conv_out_size
from .workspaces import new_zeros


def _pad(x, top, bottom, left, right, value=0):
    """x inside a border of ``value`` (always a new, C-contiguous array)."""
    xp = backend.xp_of(x)
    N, C, H, W = x.shape
    out = xp.full((N, C, top + H + bottom, left + W + right), value, dtype=x.dtype)
    out[:, :, top : top + H, left : left + W] = x
    return out


def _pool_geometry(x_shape, kernel_size, stride, padding, ceil_mode, dilation=(1, 1)):
    """(OH, OW) and the bottom/right padding that makes every window fit (a window of K taps
    d apart spans d(K-1) + 1 cells)."""
    _, _, H, W = x_shape
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    OH = conv_out_size(H, KH, sh, ph, dh, ceil_mode)
    OW = conv_out_size(W, KW, sw, pw, dw, ceil_mode)
    bottom = max((OH - 1) * sh + dh * (KH - 1) + 1 - H - ph, 0)
    right = max((OW - 1) * sw + dw * (KW - 1) + 1 - W - pw, 0)
    return OH, OW, bottom, right


def max_pool2d_forward(
    x: Array, kernel_size: Pair, stride: Pair, padding: Pair, ceil_mode: bool, dilation: Pair = (1, 1)
) -> tuple[Array, Array]:
    """y = max over each window of the -inf-padded x.   Returns (y, argmax), argmax = h*W + w in x.

    The windows are one strided view of the padded x: a step of the stride from window to
    window and of the dilation from tap to tap, y[i, j] = max_{u,v} xpad[i*sh + u*dh, j*sw + v*dw].
    """
    xp = backend.xp_of(x)
    N, C, H, W = x.shape
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    OH, OW, bottom, right = _pool_geometry(x.shape, kernel_size, stride, padding, ceil_mode, dilation)
    xpad = _pad(x, ph, bottom, pw, right, value=-xp.inf)
    sN, sC, sH, sW = xpad.strides
    windows = xp.lib.stride_tricks.as_strided(
        xpad, shape=(N, C, OH, OW, KH, KW), strides=(sN, sC, sH * sh, sW * sw, sH * dh, sW * dw)
    )
    tap, y = _pick(windows.reshape(N, C, OH, OW, KH * KW), axis=-1)
    h = _tap_inside(xp, xp.arange(OH)[:, None] * sh - ph, tap // KW, dh)
    w = _tap_inside(xp, xp.arange(OW)[None, :] * sw - pw, tap % KW, dw)
    return y, (h * W + w).astype(xp.int64)


def _tap_inside(xp, start, u, d):
    """start + u*d, the row (column) of tap u of the windows starting at ``start``, moved to
    the window's first tap inside the image where it lies in the top (left) padding.

    NOTE: a tap in the padding is picked only in a window whose cells are all -inf, the
    padding's value, and then it is tap 0 (argmax takes the first of equals): PyTorch points
    that window at its first tap inside the image, where reference.py points too. Every tap
    at or past 0 is at or past that first one, so a maximum moves the padded ones alone.
    """
    first = start + (xp.maximum(-start, 0) + d - 1) // d * d
    return xp.maximum(start + u * d, first)


def max_pool2d_input_grad(gy: Array, argmax: Array, x_shape: Shape) -> Array:
    """gx = gy added at each window's argmax.

    ``add.at`` rather than ``gx[index] = gy``: overlapping windows (3x3 at stride 2) may
    share a maximum, which must receive the gy of every such window; an assignment with
    repeated indices keeps only one of them.
    """
    xp = backend.xp_of(gy)
    N, C, H, W = x_shape
    plane = xp.arange(N * C).reshape(N, C, 1, 1) * (H * W)
    gx = new_zeros((N * C * H * W,), gy.dtype, xp)
    xp.add.at(gx, (argmax + plane).ravel(), gy.ravel())
    return gx.reshape(x_shape)


def adaptive_max_pool2d_forward(x: Array, output_size: Pair) -> tuple[Array, Array]:
    """y = the max of each adaptive window.   Returns (y, argmax), argmax = h*W + w in x, as
    max_pool2d_forward's (max_pool2d_input_grad routes the gradient back).

    The max over a window of rows x columns is the max over its rows of each row's max over
    its columns: two passes, along W then along H. Each pass takes the first maximum, or the
    last NaN (``_pick``), so the window's pick is its first maximum in row-major order, or its
    last NaN, as the reference loop's.
    """
    xp = backend.xp_of(x)
    W = x.shape[3]
    row_cells = _window_cells(xp, x.shape[2], output_size[0])
    col_cells = _window_cells(xp, W, output_size[1])
    # pass 1: each row's maximum in every column window, (N, C, H, OW)
    tap, row_max = _pick(x[:, :, :, col_cells], axis=-1)
    best_w = col_cells[xp.arange(len(col_cells)), tap]
    # pass 2: the row of each row window holding the maximum, (N, C, OH, OW)
    tap, y = _pick(row_max[:, :, row_cells, :], axis=3)
    h = row_cells[xp.arange(len(row_cells))[:, None], tap]
    w = xp.take_along_axis(best_w, h, axis=2)
    return xp.ascontiguousarray(y), (h * W + w).astype(xp.int64)


def _pick(cells, axis):
    """(tap, y): the cell along ``axis`` that PyTorch's max pooling picks, and its value: the
    first maximum (argmax's), or in a window holding NaN its last NaN, as PyTorch's loop takes
    each NaN it meets (argmax, whose maximum is then NaN, takes the first on NumPy)."""
    xp = backend.xp_of(cells)
    tap = xp.expand_dims(cells.argmax(axis=axis), axis)
    y = xp.take_along_axis(cells, tap, axis=axis)
    if _may_hold_nan(y):
        last_nan = cells.shape[axis] - 1 - xp.flip(xp.isnan(cells), axis).argmax(axis=axis)
        tap = xp.where(xp.isnan(y), xp.expand_dims(last_nan, axis), tap)
        y = xp.take_along_axis(cells, tap, axis=axis)  # that NaN itself (its sign bit)
    return xp.squeeze(tap, axis), xp.squeeze(y, axis)


_window_cell_arrays: dict = {}


def _window_cells(xp, n, out):
    """cells[i]: the indices of adaptive window i (sizes.adaptive_windows), the shorter
    windows padded with their own last cell. A copy never changes the pick: it is the cell
    itself, read back through cells.

    Kept per size, as _adaptive_matrix is: on a GPU they are copies from the host.
    """
    key = (xp.__name__, n, out)
    if key not in _window_cell_arrays:
        bounds = adaptive_windows(n, out)
        start = xp.asarray([s for s, _ in bounds])
        last = xp.asarray([e - 1 for _, e in bounds])
        longest = max(e - s for s, e in bounds)
        _window_cell_arrays[key] = xp.minimum(start[:, None] + xp.arange(longest), last[:, None])
    return _window_cell_arrays[key]


def _avg_divisors(xp, x_shape, kernel_size, stride, padding, OH, OW, count_include_pad, dtype):
    """divisor[i, j] of every window, PyTorch's rule (see reference.avg_pool_divisor), as one array."""
    _, _, H, W = x_shape
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    h0, w0 = xp.arange(OH) * sh - ph, xp.arange(OW) * sw - pw
    h1, w1 = xp.minimum(h0 + KH, H + ph), xp.minimum(w0 + KW, W + pw)
    if not count_include_pad:
        h0, w0 = xp.maximum(h0, 0), xp.maximum(w0, 0)
        h1, w1 = xp.minimum(h1, H), xp.minimum(w1, W)
    return ((h1 - h0)[:, None] * (w1 - w0)[None, :]).astype(dtype)


def avg_pool2d_forward(
    x: Array, kernel_size: Pair, stride: Pair, padding: Pair, ceil_mode: bool, count_include_pad: bool
) -> Array:
    """y = (sum over each window of the zero-padded x) / divisor: KH*KW strided-slice additions."""
    xp = backend.xp_of(x)
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    OH, OW, bottom, right = _pool_geometry(x.shape, kernel_size, stride, padding, ceil_mode)
    xpad = _pad(x, ph, bottom, pw, right)
    total = new_zeros(x.shape[:2] + (OH, OW), x.dtype, xp)
    for u in range(KH):
        for v in range(KW):
            total += xpad[:, :, u : u + sh * (OH - 1) + 1 : sh, v : v + sw * (OW - 1) + 1 : sw]
    return total / _avg_divisors(
        xp, x.shape, kernel_size, stride, padding, OH, OW, count_include_pad, x.dtype
    )


def avg_pool2d_input_grad(
    gy: Array,
    x_shape: Shape,
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
) -> Array:
    """gx = each window's gy / divisor added over its cells: the forward's slices, as in col2im."""
    xp = backend.xp_of(gy)
    N, C, H, W = x_shape
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    _, _, OH, OW = gy.shape
    _, _, bottom, right = _pool_geometry(x_shape, kernel_size, stride, padding, ceil_mode)
    share = gy / _avg_divisors(xp, x_shape, kernel_size, stride, padding, OH, OW, count_include_pad, gy.dtype)
    gxpad = new_zeros((N, C, ph + H + bottom, pw + W + right), gy.dtype, xp)
    for u in range(KH):
        for v in range(KW):
            # NOTE: += because overlapping windows (stride < kernel) share cells
            gxpad[:, :, u : u + sh * (OH - 1) + 1 : sh, v : v + sw * (OW - 1) + 1 : sw] += share
    return xp.ascontiguousarray(gxpad[:, :, ph : ph + H, pw : pw + W])


def adaptive_avg_pool2d_forward(x: Array, output_size: Pair) -> Array:
    """y = the mean of each window. The windows are products of row and column windows, so
    y = A_h x A_w^T per channel, A's rows averaging one window each (``_adaptive_matrix``)."""
    xp = backend.xp_of(x)
    N, C, H, W = x.shape
    if tuple(output_size) == (1, 1):  # global pooling: one mean per channel
        return x.reshape(N, C, H * W).mean(axis=2).reshape(N, C, 1, 1)
    if _product_is_exact(x):
        a_h = _adaptive_matrix(xp, H, output_size[0], x.dtype)
        a_w = _adaptive_matrix(xp, W, output_size[1], x.dtype)
        return xp.ascontiguousarray(a_h @ x @ a_w.T)
    with _quiet(xp):  # a window of +inf and -inf is NaN, as in PyTorch
        return xp.ascontiguousarray(_axis_means(_axis_means(x, 2, output_size[0]), 3, output_size[1]))


def adaptive_avg_pool2d_input_grad(gy: Array, x_shape: Shape) -> Array:
    """gx = A_h^T gy A_w, the transpose of the forward map: each window's gy / |window| spread
    over its cells."""
    xp = backend.xp_of(gy)
    N, C, H, W = x_shape
    if gy.shape[2:] == (1, 1):
        return xp.ascontiguousarray(xp.broadcast_to(gy / (H * W), x_shape))
    if _product_is_exact(gy):
        a_h = _adaptive_matrix(xp, H, gy.shape[2], gy.dtype)
        a_w = _adaptive_matrix(xp, W, gy.shape[3], gy.dtype)
        return xp.ascontiguousarray(a_h.T @ gy @ a_w)
    return xp.ascontiguousarray(_axis_spread(_axis_spread(gy, 3, W), 2, H))


# NOTE: the matrix product multiplies every cell by the zeros of the other windows, and
# 0 * inf and 0 * NaN are NaN: one overflowed cell would make every output NaN, where
# PyTorch's stays in its own window. So arrays holding inf or NaN go window by window
# (slower on NumPy, a Python loop over the window's taps), and so does every
# CuPy array: asking whether a GPU array is finite waits for the GPU, which a recorded
# CUDA graph cannot do.


def _product_is_exact(a):
    return not backend.is_cupy_array(a) and bool(np.isfinite(a).all())


def _may_hold_nan(y):
    """Whether a max pool's y holds NaN, where the NaNs' last one must be looked for; asked on
    NumPy, assumed on CuPy for the same reason (the cost: a second pass over the windows)."""
    return backend.is_cupy_array(y) or bool(np.isnan(y).any())


def _quiet(xp):
    return np.errstate(invalid="ignore") if xp is np else contextlib.nullcontext()


_adaptive_matrices: dict = {}


def _adaptive_matrix(xp, n, out, dtype):
    """A (out, n): row i averages PyTorch's window [floor(i n/out), ceil((i+1) n/out)).

    Kept per size: building one is eight small array ops, each a kernel launch on a GPU.
    """
    key = (xp.__name__, n, out, xp.dtype(dtype).str)
    if key not in _adaptive_matrices:
        _adaptive_matrices[key] = _build_adaptive_matrix(xp, n, out, dtype)
    return _adaptive_matrices[key]


def _build_adaptive_matrix(xp, n, out, dtype):
    i = xp.arange(out)[:, None]
    start, end = (i * n) // out, -(-((i + 1) * n) // out)
    cells = xp.arange(n)[None, :]
    inside = (cells >= start) & (cells < end)
    return (inside / (end - start)).astype(dtype)


def _axis_means(x, axis, out):
    """The means of PyTorch's ``out`` adaptive windows along ``axis`` (sizes.adaptive_windows)."""
    xp = backend.xp_of(x)
    n = x.shape[axis]
    if n % out == 0:  # equal windows side by side: one reshape, one mean
        shape = x.shape[:axis] + (out, n // out) + x.shape[axis + 1 :]
        return x.reshape(shape).mean(axis=axis + 1)
    cut = [slice(None)] * x.ndim
    means = []
    for start, end in adaptive_windows(n, out):
        cut[axis] = slice(start, end)
        means.append(x[tuple(cut)].mean(axis=axis))
    return xp.stack(means, axis=axis)


def _axis_spread(g, axis, n):
    """The adjoint of _axis_means: each window's g / its size added onto its cells (windows
    overlap where n is not a multiple of out)."""
    xp = backend.xp_of(g)
    out = g.shape[axis]
    if n % out == 0:
        return xp.repeat(g / (n // out), n // out, axis=axis)
    shape = g.shape[:axis] + (n,) + g.shape[axis + 1 :]
    gx = xp.zeros(shape, dtype=g.dtype)
    cut, one = [slice(None)] * g.ndim, [slice(None)] * g.ndim
    for i, (start, end) in enumerate(adaptive_windows(n, out)):
        cut[axis], one[axis] = slice(start, end), slice(i, i + 1)
        gx[tuple(cut)] += g[tuple(one)] / (end - start)
    return gx
