"""Numba kernels for the loops NumPy does badly.

Each kernel is a plain Python function first (``_name_py``), so tests can run
it without compiling, and jitted second (``cache=True``; ``parallel=True``
where it pays). ``use_kernels("numba")`` uses them all, with numba_im2col.py's
convolution; ``"auto"`` only those listed in ``kernels.AUTO`` (the ones that beat the
xp tier).
"""

import numba
import numpy as np

from ..backend import Array, Pair, Shape
from . import (
    numba_compiling,  # noqa: F401  # says so as a first run compiles the loops
    xp_pool,
)
from .sizes import conv_out_size
from .workspaces import new_zeros

# --- pooling ----------------------------------------------------------------
# Shapes: x (N, C, H, W) viewed as N*C planes; one plane per parallel
# iteration, so the scatter-adds of backward never race.


def _maxpool_fwd_py(x, KH, KW, sh, sw, ph, pw, y, argmax):
    """y = max of each window (padding skipped, i.e. -inf); argmax = h*W + w of the first maximum
    (a NaN is the maximum, the last one in the window; a window of -inf points at its first
    cell), as reference.py.

    NOTE: the loop compares with ``>`` alone, which passes over NaN, and sums the window on
    the way: a NaN makes the sum NaN, and only then is the window read again, from its end,
    for its last NaN (an isnan test on every cell made the loop three times slower).
    """
    P, H, W = x.shape
    OH, OW = y.shape[1], y.shape[2]
    for p in numba.prange(P):
        for i in range(OH):
            h0, h1 = max(i * sh - ph, 0), min(i * sh - ph + KH, H)
            for j in range(OW):
                w0, w1 = max(j * sw - pw, 0), min(j * sw - pw + KW, W)
                best, where, total = -np.inf, h0 * W + w0, 0.0
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        total += x[p, h, w]
                        if x[p, h, w] > best:
                            best, where = x[p, h, w], h * W + w
                if total != total:  # a NaN, or +inf and -inf, in the window
                    for q in range((h1 - h0) * (w1 - w0) - 1, -1, -1):
                        h, w = h0 + q // (w1 - w0), w0 + q % (w1 - w0)
                        if x[p, h, w] != x[p, h, w]:
                            best, where = x[p, h, w], h * W + w
                            break
                y[p, i, j], argmax[p, i, j] = best, where


# _maxpool2x2_fwd's compiled first loop takes a row's windows this many at a time, in
# vector instructions (benchmarks/README.md, "Max pooling on 2x2 tiles")
VECTOR_WINDOWS = 8


def _maxpool2x2_fwd_py(x, y, argmax):
    """_maxpool_fwd_py for 2x2 windows at stride 2 without padding (LeNet's, VGG's), with the
    same results: the first maximum; a NaN wins, the last in the window.

    Each output row in two loops, the same choice written two ways. The first takes the row's
    windows in whole blocks of VECTOR_WINDOWS: the window's maximum (NaN if it holds one),
    then the first of its cells equal to it, or the NaN with none after it (``d == d``: d is
    not NaN), by selects, which the compiler turns into vector instructions. The second takes
    the few windows left (all of them in rows shorter than a block, as LeNet-5's 14 and 5)
    one at a time, where the compiler's selects would become branches on which cell wins:
    after a ReLU half the cells are zeros and that is a coin toss, mispredicted often. So it
    works out the first cell (a, b, c, d in row order) equal to the maximum as arithmetic on
    the comparisons,

        k = (1 - [a = max]) (1 + (1 - [b = max]) (2 - [c = max]))      [.] = 1 if true, else 0

    and reads the winner back at k, so that its own value is kept (a -0.0 stays -0.0). Only
    a window holding a NaN, which almost never happens, takes a branch to its last NaN.
    """
    P, OH, OW = y.shape
    W = x.shape[2]
    blocks = OW - OW % VECTOR_WINDOWS
    for p in numba.prange(P):
        for i in range(OH):
            for j in range(blocks):
                a, b = x[p, 2 * i, 2 * j], x[p, 2 * i, 2 * j + 1]
                c, d = x[p, 2 * i + 1, 2 * j], x[p, 2 * i + 1, 2 * j + 1]
                best = max(max(a, b), max(c, d))
                any_nan = (a != a) | (b != b) | (c != c) | (d != d)
                best = a + b + c + d if any_nan else best
                is_c = (c == best) | ((c != c) & (d == d))
                is_b = (b == best) | ((b != b) & (c == c) & (d == d))
                is_a = (a == best) | ((a != a) & (b == b) & (c == c) & (d == d))
                y[p, i, j] = a if is_a else (b if is_b else (c if is_c else d))
                argmax[p, i, j] = 2 * i * W + 2 * j + (0 if is_a else (1 if is_b else (W if is_c else W + 1)))
            for j in range(blocks, OW):
                a, b = x[p, 2 * i, 2 * j], x[p, 2 * i, 2 * j + 1]
                c, d = x[p, 2 * i + 1, 2 * j], x[p, 2 * i + 1, 2 * j + 1]
                if (a != a) | (b != b) | (c != c) | (d != d):
                    k = 3 if d != d else (2 if c != c else (1 if b != b else 0))
                else:
                    best = max(max(a, b), max(c, d))
                    a_max, b_max, c_max = np.int64(a == best), np.int64(b == best), np.int64(c == best)
                    k = (1 - a_max) * (1 + (1 - b_max) * (2 - c_max))
                row, col = k >> 1, k & 1
                y[p, i, j] = x[p, 2 * i + row, 2 * j + col]
                argmax[p, i, j] = (2 * i + row) * W + 2 * j + col


def _maxpool_bwd_py(gy, argmax, gx):
    """gx[p, argmax] += gy, window by window, into gx as (planes, H*W).

    NOTE: the index is made unsigned: argmax is never negative, and a signed index would
    cost Numba a wraparound check (and the split into row and column a division) per cell.
    """
    P, OH, OW = gy.shape
    for p in numba.prange(P):
        for i in range(OH):
            for j in range(OW):
                gx[p, np.uint64(argmax[p, i, j])] += gy[p, i, j]


def _avgpool_bwd_py(gy, KH, KW, sh, sw, ph, pw, count_include_pad, gx):
    """gx += gy / divisor over each window's cells (divisor: reference.avg_pool_divisor)."""
    P, OH, OW = gy.shape
    H, W = gx.shape[1], gx.shape[2]
    for p in numba.prange(P):
        for i in range(OH):
            h0 = i * sh - ph
            h1 = min(h0 + KH, H + ph)
            for j in range(OW):
                w0 = j * sw - pw
                w1 = min(w0 + KW, W + pw)
                if count_include_pad:
                    divisor = (h1 - h0) * (w1 - w0)
                else:
                    divisor = (min(h1, H) - max(h0, 0)) * (min(w1, W) - max(w0, 0))
                share = gy[p, i, j] / divisor
                for h in range(max(h0, 0), min(h1, H)):
                    for w in range(max(w0, 0), min(w1, W)):
                        gx[p, h, w] += share


_maxpool_fwd = numba.njit(cache=True, parallel=True)(_maxpool_fwd_py)
_maxpool2x2_fwd = numba.njit(cache=True, parallel=True)(_maxpool2x2_fwd_py)
_maxpool_bwd = numba.njit(cache=True, parallel=True)(_maxpool_bwd_py)
_avgpool_bwd = numba.njit(cache=True, parallel=True)(_avgpool_bwd_py)


def _planes(a):
    """(N, C, H, W) -> a contiguous (N*C, H, W) array."""
    return np.ascontiguousarray(a).reshape(-1, a.shape[2], a.shape[3])


def max_pool2d_forward(
    x: Array, kernel_size: Pair, stride: Pair, padding: Pair, ceil_mode: bool, dilation: Pair = (1, 1)
) -> tuple[Array, Array]:
    """y = max of each window.   Returns (y, argmax), argmax = h*W + w in x."""
    if tuple(dilation) != (1, 1):
        # NOTE: dilated windows go to the xp code (one strided view, its taps d apart): few
        # networks dilate a pool, and the loops here stay on windows of adjacent cells
        return xp_pool.max_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, dilation)
    N, C, H, W = x.shape
    OH = conv_out_size(H, kernel_size[0], stride[0], padding[0], 1, ceil_mode)
    OW = conv_out_size(W, kernel_size[1], stride[1], padding[1], 1, ceil_mode)
    y = np.empty((N * C, OH, OW), dtype=x.dtype)
    argmax = np.empty((N * C, OH, OW), dtype=np.int64)
    # whole 2x2 windows at stride 2 (no padding; floor, or ceil on even sizes)
    tiles = kernel_size == stride == (2, 2) and padding == (0, 0) and 2 * OH <= H and 2 * OW <= W
    if tiles:
        _maxpool2x2_fwd(_planes(x), y, argmax)
    else:
        _maxpool_fwd(_planes(x), *kernel_size, *stride, *padding, y, argmax)
    return y.reshape(N, C, OH, OW), argmax.reshape(N, C, OH, OW)


def max_pool2d_input_grad(gy: Array, argmax: Array, x_shape: Shape) -> Array:
    """gx = gy added at each window's argmax."""
    gx = new_zeros(x_shape, gy.dtype, np)
    _maxpool_bwd(_planes(gy), _planes(argmax), gx.reshape(-1, x_shape[2] * x_shape[3]))
    return gx


def avg_pool2d_input_grad(
    gy: Array,
    x_shape: Shape,
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
) -> Array:
    """gx = each window's gy / divisor added over its cells."""
    gx = new_zeros(x_shape, gy.dtype, np)
    _avgpool_bwd(
        _planes(gy),
        *kernel_size,
        *stride,
        *padding,
        bool(count_include_pad),
        gx.reshape(-1, x_shape[2], x_shape[3]),
    )
    return gx


# --- local response normalization -------------------------------------------
# Shapes: x (N, C, M), contiguous. Each window sum runs over whole rows of M
# values (unit stride), in the reference loop's order; images run in parallel.


def _neg_pow_py(s, beta):
    """s^-beta; for AlexNet's beta = 3/4 two square roots and a division, much cheaper than pow."""
    if beta == 0.75:
        r = np.sqrt(s)
        return 1.0 / (r * np.sqrt(r))
    return s**-beta


_neg_pow = numba.njit(cache=True, inline="always")(_neg_pow_py)


def _lrn_fwd_py(x, size, alpha, beta, k, y, s):
    """Fills s = k + alpha/size * window sum of x^2 and y = x * s^-beta."""
    n, c, m = x.shape
    for i in numba.prange(n):
        for ch in range(c):
            for j in range(m):
                s[i, ch, j] = 0.0
            for cc in range(max(ch - size // 2, 0), min(ch + (size - 1) // 2 + 1, c)):
                for j in range(m):
                    s[i, ch, j] += x[i, cc, j] * x[i, cc, j]
            for j in range(m):
                s[i, ch, j] = k + alpha / size * s[i, ch, j]
        # NOTE: a separate loop for the power keeps the window loops above simple
        # enough for LLVM to vectorize (fused, they were not)
        for ch in range(c):
            for j in range(m):
                y[i, ch, j] = x[i, ch, j] * _neg_pow(s[i, ch, j], beta)


def _lrn_bwd_py(gy, x, s, size, alpha, beta, p, t, gx):
    """t = gy x s^(-beta-1); gx = gy s^-beta - (2 alpha beta/size) x * mirrored window sum of t."""
    n, c, m = x.shape
    coef = 2.0 * alpha * beta / size
    for i in numba.prange(n):
        for ch in range(c):
            for j in range(m):
                p[i, ch, j] = _neg_pow(s[i, ch, j], beta)  # one power per element, reused
                t[i, ch, j] = gy[i, ch, j] * x[i, ch, j] * p[i, ch, j] / s[i, ch, j]
        for ch in range(c):
            for j in range(m):
                gx[i, ch, j] = 0.0
            for cc in range(max(ch - (size - 1) // 2, 0), min(ch + size // 2 + 1, c)):
                for j in range(m):
                    gx[i, ch, j] += t[i, cc, j]
            for j in range(m):
                gx[i, ch, j] = gy[i, ch, j] * p[i, ch, j] - coef * x[i, ch, j] * gx[i, ch, j]


_lrn_fwd = numba.njit(cache=True, parallel=True)(_lrn_fwd_py)
_lrn_bwd = numba.njit(cache=True, parallel=True)(_lrn_bwd_py)


def lrn_forward(x: Array, size: int, alpha: float, beta: float, k: float) -> tuple[Array, Array]:
    """y = x * s^-beta,  s = k + alpha/size * (window sum of x^2).   Returns (y, s)."""
    x = np.ascontiguousarray(x)
    y, s = np.empty_like(x), np.empty_like(x)
    _lrn_fwd(x, size, float(alpha), float(beta), float(k), y, s)
    return y, s


def lrn_input_grad(gy: Array, x: Array, s: Array, size: int, alpha: float, beta: float) -> Array:
    """gx = gy s^-beta - (2 alpha beta/size) x * (mirrored window sum of gy x s^(-beta-1))."""
    gy, x, s = (np.ascontiguousarray(a) for a in (gy, x, s))
    p, t, gx = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    _lrn_bwd(gy, x, s, size, float(alpha), float(beta), p, t, gx)
    return gx


# --- batch normalization ----------------------------------------------------
# Shapes: x (N, C, M), contiguous; one channel per parallel iteration, so the
# per-channel sums need no reduction across threads.


def _bn_stats_py(x, mean, var):
    n, c, m = x.shape
    for ch in numba.prange(c):
        total = 0.0
        for i in range(n):
            for j in range(m):
                total += x[i, ch, j]
        mu = total / (n * m)
        total = 0.0
        for i in range(n):
            for j in range(m):
                total += (x[i, ch, j] - mu) ** 2
        mean[ch], var[ch] = mu, total / (n * m)


def _bn_apply_py(x, mean, invstd, weight, bias, y, xhat):
    n, c, m = x.shape
    for i in numba.prange(n):
        for ch in range(c):
            for j in range(m):
                xhat[i, ch, j] = (x[i, ch, j] - mean[ch]) * invstd[ch]
                y[i, ch, j] = weight[ch] * xhat[i, ch, j] + bias[ch]


def _bn_bwd_py(gy, xhat, invstd, weight, gx, gweight, gbias):
    n, c, m = gy.shape
    for ch in numba.prange(c):
        sum_gy, sum_gy_xhat = 0.0, 0.0
        for i in range(n):
            for j in range(m):
                sum_gy += gy[i, ch, j]
                sum_gy_xhat += gy[i, ch, j] * xhat[i, ch, j]
        gweight[ch], gbias[ch] = sum_gy_xhat, sum_gy
        scale = weight[ch] * invstd[ch]
        for i in range(n):
            for j in range(m):
                gx[i, ch, j] = scale * (
                    gy[i, ch, j] - sum_gy / (n * m) - xhat[i, ch, j] * sum_gy_xhat / (n * m)
                )


# NOTE: a sum in a loop is a chain of dependent adds, which the compiler may not
# reorder unless allowed: "reassoc" lets it keep several partial sums in vector
# registers (without it the statistics barely beat NumPy's). It assumes nothing
# about NaN or infinity, so they still propagate. The kernels make one pass, or
# two, where the xp code makes four or five.
_SUMS = {"reassoc", "contract"}

_bn_stats = numba.njit(cache=True, parallel=True, fastmath=_SUMS)(_bn_stats_py)
_bn_apply = numba.njit(cache=True, parallel=True)(_bn_apply_py)
_bn_bwd = numba.njit(cache=True, parallel=True, fastmath=_SUMS)(_bn_bwd_py)


def batch_norm_stats(x: Array) -> tuple[Array, Array]:
    """Per-channel mean and biased variance, each channel's two passes fused in one loop."""
    x = np.ascontiguousarray(x)
    mean, var = np.empty(x.shape[1], x.dtype), np.empty(x.shape[1], x.dtype)
    _bn_stats(x, mean, var)
    return mean, var


def batch_norm_apply(x: Array, mean: Array, invstd: Array, weight: Array, bias: Array) -> tuple[Array, Array]:
    """xhat = (x - mean) * invstd,  y = weight * xhat + bias.   Returns (y, xhat)."""
    x = np.ascontiguousarray(x)
    y, xhat = np.empty_like(x), np.empty_like(x)
    _bn_apply(x, mean, invstd, weight, bias, y, xhat)
    return y, xhat


def batch_norm_grads(gy: Array, xhat: Array, invstd: Array, weight: Array) -> tuple[Array, Array, Array]:
    """Training mode's (gx, gweight, gbias): gweight = sum gy xhat, gbias = sum gy (one pass for
    both) and gx = (weight*invstd)(gy - mean(gy) - xhat mean(gy xhat)) (one more)."""
    gy, xhat = np.ascontiguousarray(gy), np.ascontiguousarray(xhat)
    gx = np.empty_like(gy)
    gweight, gbias = np.empty(gy.shape[1], gy.dtype), np.empty(gy.shape[1], gy.dtype)
    _bn_bwd(gy, xhat, invstd, weight, gx, gweight, gbias)
    return gx, gweight, gbias
