"""Plain-loop kernels: the spec.

Each function is the loop a student would write from the paper's formula,
one output element at a time. Slow (use tiny inputs) and obvious; every
faster tier is tested against these.
"""

import numpy as np

from ..backend import Array, Pair, Shape
from .sizes import adaptive_windows, conv_out_size

# --- convolution ------------------------------------------------------------
# Shapes: x (N, C, H, W), weight (O, C/groups, KH, KW), y (N, O, OH, OW).
# stride, padding and dilation are (height, width) pairs. Output channel o
# sees only the input channels of its group, g = o // (O/groups).


def _taps(i, k, s, p, d, n):
    """(tap, input index) of output position i's window along one axis, padding skipped."""
    return [(u, i * s - p + u * d) for u in range(k) if 0 <= i * s - p + u * d < n]


def conv2d_forward(
    x: Array, weight: Array, bias: Array | None, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """y[n,o,i,j] = b[o] + sum_{c,u,v} W[o,c,u,v] x[n, g*Cg + c, i*sh - ph + u*dh, j*sw - pw + v*dw]."""
    N, C, H, W = x.shape
    O, Cg, KH, KW = weight.shape
    OH = conv_out_size(H, KH, stride[0], padding[0], dilation[0])
    OW = conv_out_size(W, KW, stride[1], padding[1], dilation[1])
    y = np.zeros((N, O, OH, OW), dtype=x.dtype)
    for n in range(N):
        for o in range(O):
            g = o // (O // groups)
            for i in range(OH):
                for j in range(OW):
                    total = 0.0 if bias is None else bias[o]
                    for c in range(Cg):
                        for u, h in _taps(i, KH, stride[0], padding[0], dilation[0], H):
                            for v, w in _taps(j, KW, stride[1], padding[1], dilation[1], W):
                                total += weight[o, c, u, v] * x[n, g * Cg + c, h, w]
                    y[n, o, i, j] = total
    return y


def conv2d_input_grad(
    gy: Array, weight: Array, x_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """gx[n, g*Cg + c, h, w] = sum of W[o,c,u,v] gy[n,o,i,j] over every (o, i, j, u, v)
    whose tap lands on (h, w)."""
    N, C, H, W = x_shape
    O, Cg, KH, KW = weight.shape
    _, _, OH, OW = gy.shape
    gx = np.zeros(x_shape, dtype=gy.dtype)
    for n in range(N):
        for o in range(O):
            g = o // (O // groups)
            for i in range(OH):
                for j in range(OW):
                    for c in range(Cg):
                        for u, h in _taps(i, KH, stride[0], padding[0], dilation[0], H):
                            for v, w in _taps(j, KW, stride[1], padding[1], dilation[1], W):
                                gx[n, g * Cg + c, h, w] += weight[o, c, u, v] * gy[n, o, i, j]
    return gx


def conv2d_weight_grad(
    gy: Array, x: Array, weight_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """gW[o,c,u,v] = sum_{n,i,j} gy[n,o,i,j] x[n, g*Cg + c, i*sh - ph + u*dh, j*sw - pw + v*dw]."""
    N, C, H, W = x.shape
    O, Cg, KH, KW = weight_shape
    _, _, OH, OW = gy.shape
    gw = np.zeros(weight_shape, dtype=gy.dtype)
    for n in range(N):
        for o in range(O):
            g = o // (O // groups)
            for i in range(OH):
                for j in range(OW):
                    for c in range(Cg):
                        for u, h in _taps(i, KH, stride[0], padding[0], dilation[0], H):
                            for v, w in _taps(j, KW, stride[1], padding[1], dilation[1], W):
                                gw[o, c, u, v] += gy[n, o, i, j] * x[n, g * Cg + c, h, w]
    return gw


# --- pooling ----------------------------------------------------------------
# Shapes: x (N, C, H, W), y (N, C, OH, OW); kernel_size, stride, padding (and
# max pooling's dilation) are pairs. Each channel is pooled on its own.


def max_pool2d_forward(
    x: Array, kernel_size: Pair, stride: Pair, padding: Pair, ceil_mode: bool, dilation: Pair = (1, 1)
) -> tuple[Array, Array]:
    """y[n,c,i,j] = max over u < KH, v < KW of x[n, c, i*sh - ph + u*dh, j*sw - pw + v*dw];
    taps in the padding count as -inf. OH = floor((H + 2ph - dh(KH-1) - 1) / sh) + 1 (ceil
    with ceil_mode, sizes.conv_out_size).

    Returns (y, argmax): argmax[n,c,i,j] = h*W + w of the (first) maximum, for backward.
    As PyTorch's loop: a NaN in the window is its maximum (each NaN met is taken, so the last
    one wins), and a window of -inf points at its first tap inside the image. (A window of
    padding alone, possible with dilation, is refused before any kernel runs.)
    """
    N, C, H, W = x.shape
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    OH = conv_out_size(H, KH, sh, ph, dh, ceil_mode)
    OW = conv_out_size(W, KW, sw, pw, dw, ceil_mode)
    y = np.zeros((N, C, OH, OW), dtype=x.dtype)
    argmax = np.zeros((N, C, OH, OW), dtype=np.int64)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    rows, cols = _taps(i, KH, sh, ph, dh, H), _taps(j, KW, sw, pw, dw, W)
                    best, where = -np.inf, rows[0][1] * W + cols[0][1]
                    for _, h in rows:
                        for _, w in cols:
                            v = x[n, c, h, w]
                            if v > best or np.isnan(v):
                                best, where = v, h * W + w
                    y[n, c, i, j], argmax[n, c, i, j] = best, where
    return y, argmax


def max_pool2d_input_grad(gy: Array, argmax: Array, x_shape: Shape) -> Array:
    """gx[n,c,h,w] = sum of gy[n,c,i,j] over the windows whose maximum was x[n,c,h,w]."""
    N, C, H, W = x_shape
    _, _, OH, OW = gy.shape
    gx = np.zeros(x_shape, dtype=gy.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    h, w = divmod(int(argmax[n, c, i, j]), W)
                    gx[n, c, h, w] += gy[n, c, i, j]
    return gx


def avg_pool_divisor(
    i: int, j: int, H: int, W: int, kernel_size: Pair, stride: Pair, padding: Pair, count_include_pad: bool
) -> int:
    """PyTorch's divisor of window (i, j): its cells inside the padded input (count_include_pad)
    or inside the input itself; ceil_mode's last window is clipped at the padded edge."""
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    h0, w0 = i * sh - ph, j * sw - pw
    h1, w1 = min(h0 + KH, H + ph), min(w0 + KW, W + pw)
    if count_include_pad:
        return (h1 - h0) * (w1 - w0)
    return (min(h1, H) - max(h0, 0)) * (min(w1, W) - max(w0, 0))


def avg_pool2d_forward(
    x: Array, kernel_size: Pair, stride: Pair, padding: Pair, ceil_mode: bool, count_include_pad: bool
) -> Array:
    """y[n,c,i,j] = (sum of the window's cells inside x) / divisor(i, j); padding adds zeros."""
    N, C, H, W = x.shape
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    OH = conv_out_size(H, KH, sh, ph, 1, ceil_mode)
    OW = conv_out_size(W, KW, sw, pw, 1, ceil_mode)
    y = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    total = 0.0
                    for _, h in _taps(i, KH, sh, ph, 1, H):
                        for _, w in _taps(j, KW, sw, pw, 1, W):
                            total += x[n, c, h, w]
                    y[n, c, i, j] = total / avg_pool_divisor(
                        i, j, H, W, kernel_size, stride, padding, count_include_pad
                    )
    return y


def avg_pool2d_input_grad(
    gy: Array,
    x_shape: Shape,
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
) -> Array:
    """gx[n,c,h,w] = sum of gy[n,c,i,j] / divisor(i, j) over the windows that contain (h, w)."""
    N, C, H, W = x_shape
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    _, _, OH, OW = gy.shape
    gx = np.zeros(x_shape, dtype=gy.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    share = gy[n, c, i, j] / avg_pool_divisor(
                        i, j, H, W, kernel_size, stride, padding, count_include_pad
                    )
                    for _, h in _taps(i, KH, sh, ph, 1, H):
                        for _, w in _taps(j, KW, sw, pw, 1, W):
                            gx[n, c, h, w] += share
    return gx


def adaptive_avg_pool2d_forward(x: Array, output_size: Pair) -> Array:
    """y[n,c,i,j] = mean of x[n, c, h0(i):h1(i), w0(j):w1(j)] over the adaptive windows."""
    N, C, H, W = x.shape
    rows, cols = adaptive_windows(H, output_size[0]), adaptive_windows(W, output_size[1])
    y = np.zeros((N, C) + tuple(output_size), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i, (h0, h1) in enumerate(rows):
                for j, (w0, w1) in enumerate(cols):
                    total = 0.0
                    for h in range(h0, h1):
                        for w in range(w0, w1):
                            total += x[n, c, h, w]
                    y[n, c, i, j] = total / ((h1 - h0) * (w1 - w0))
    return y


def adaptive_avg_pool2d_input_grad(gy: Array, x_shape: Shape) -> Array:
    """gx[n,c,h,w] = sum of gy[n,c,i,j] / |window(i, j)| over the windows that contain (h, w)."""
    N, C, H, W = x_shape
    rows, cols = adaptive_windows(H, gy.shape[2]), adaptive_windows(W, gy.shape[3])
    gx = np.zeros(x_shape, dtype=gy.dtype)
    for n in range(N):
        for c in range(C):
            for i, (h0, h1) in enumerate(rows):
                for j, (w0, w1) in enumerate(cols):
                    gx[n, c, h0:h1, w0:w1] += gy[n, c, i, j] / ((h1 - h0) * (w1 - w0))
    return gx


def adaptive_max_pool2d_forward(x: Array, output_size: Pair) -> tuple[Array, Array]:
    """y[n,c,i,j] = max of x[n, c, h0(i):h1(i), w0(j):w1(j)] over the adaptive windows.

    Returns (y, argmax) as max_pool2d_forward does: h*W + w of the first maximum in
    row-major order, a NaN as the maximum (the last), a window of -inf at its first cell.
    """
    N, C, H, W = x.shape
    rows, cols = adaptive_windows(H, output_size[0]), adaptive_windows(W, output_size[1])
    y = np.zeros((N, C) + tuple(output_size), dtype=x.dtype)
    argmax = np.zeros((N, C) + tuple(output_size), dtype=np.int64)
    for n in range(N):
        for c in range(C):
            for i, (h0, h1) in enumerate(rows):
                for j, (w0, w1) in enumerate(cols):
                    best, where = -np.inf, h0 * W + w0
                    for h in range(h0, h1):
                        for w in range(w0, w1):
                            v = x[n, c, h, w]
                            if v > best or np.isnan(v):
                                best, where = v, h * W + w
                    y[n, c, i, j], argmax[n, c, i, j] = best, where
    return y, argmax


# --- local response normalization -------------------------------------------
# Shapes: x (N, C, M), M the flattened spatial size. Channel c's window is
# c - size//2 .. c + (size-1)//2 (PyTorch's padding), clipped to 0..C-1.


def lrn_forward(x: Array, size: int, alpha: float, beta: float, k: float) -> tuple[Array, Array]:
    """y_c = x_c * s_c^-beta,  s_c = k + alpha/size * sum_{c' in win(c)} x_c'^2.   Returns (y, s)."""
    n, c, m = x.shape
    s = np.empty_like(x)
    for i in range(n):
        for ch in range(c):
            for j in range(m):
                total = 0.0
                for cc in range(max(ch - size // 2, 0), min(ch + (size - 1) // 2 + 1, c)):
                    total += x[i, cc, j] * x[i, cc, j]
                s[i, ch, j] = k + alpha / size * total
    return x * s**-beta, s


def lrn_input_grad(gy: Array, x: Array, s: Array, size: int, alpha: float, beta: float) -> Array:
    """gx_c = gy_c s_c^-beta - (2 alpha beta/size) x_c sum_{c': c in win(c')} gy_c' x_c' s_c'^(-beta-1)."""
    n, c, m = x.shape
    gx = np.empty_like(x)
    for i in range(n):
        for ch in range(c):
            for j in range(m):
                total = 0.0
                # c is in win(c') exactly when c' runs from c - (size-1)//2 to c + size//2
                for cc in range(max(ch - (size - 1) // 2, 0), min(ch + size // 2 + 1, c)):
                    total += gy[i, cc, j] * x[i, cc, j] * s[i, cc, j] ** (-beta - 1)
                gx[i, ch, j] = (
                    gy[i, ch, j] * s[i, ch, j] ** -beta - 2 * alpha * beta / size * x[i, ch, j] * total
                )
    return gx


# --- batch normalization ----------------------------------------------------
# Shapes: x (N, C, M); statistics are per channel, over N and M (Ioffe & Szegedy 2015).


def batch_norm_stats(x: Array) -> tuple[Array, Array]:
    """mean_c = (1/NM) sum x,  var_c = (1/NM) sum (x - mean_c)^2 (biased, used to normalise)."""
    n, c, m = x.shape
    mean = np.zeros(c, dtype=x.dtype)
    var = np.zeros(c, dtype=x.dtype)
    for ch in range(c):
        # NOTE: float64 sums, whatever x's dtype: a float32 running sum of N*M values loses
        # their low digits once it is large (a mean of 1e4 left the variance wrong by 2%)
        total = np.float64(0.0)
        for i in range(n):
            for j in range(m):
                total += x[i, ch, j]
        mean[ch] = total / (n * m)
        total = np.float64(0.0)
        for i in range(n):
            for j in range(m):
                total += (x[i, ch, j] - mean[ch]) ** 2
        var[ch] = total / (n * m)
    return mean, var


def batch_norm_invstd(var: Array, eps: float) -> Array:
    """invstd_c = 1 / sqrt(var_c + eps)."""
    invstd = np.empty_like(var)
    for ch in range(var.shape[0]):
        invstd[ch] = 1 / np.sqrt(var[ch] + eps)
    return invstd


def batch_norm_update_running(
    running_mean: Array, running_var: Array, mean: Array, var: Array, momentum: float, count: int
) -> None:
    """In place: r = (1 - momentum) r + momentum stat, with the unbiased variance var * count/(count - 1)."""
    for ch in range(mean.shape[0]):
        running_mean[ch] = (1 - momentum) * running_mean[ch] + momentum * mean[ch]
        running_var[ch] = (1 - momentum) * running_var[ch] + momentum * var[ch] * count / (count - 1)


def batch_norm_apply(x: Array, mean: Array, invstd: Array, weight: Array, bias: Array) -> tuple[Array, Array]:
    """xhat = (x - mean) * invstd,  y = weight * xhat + bias, per channel.   Returns (y, xhat)."""
    n, c, m = x.shape
    y, xhat = np.empty_like(x), np.empty_like(x)
    for i in range(n):
        for ch in range(c):
            for j in range(m):
                xhat[i, ch, j] = (x[i, ch, j] - mean[ch]) * invstd[ch]
                y[i, ch, j] = weight[ch] * xhat[i, ch, j] + bias[ch]
    return y, xhat


def batch_norm_grads(gy: Array, xhat: Array, invstd: Array, weight: Array) -> tuple[Array, Array, Array]:
    """Training mode's (gx, gweight, gbias), per channel: gweight = sum(gy xhat), gbias = sum(gy),
    gx = (weight*invstd) (gy - mean(gy) - xhat mean(gy xhat))."""
    n, c, m = gy.shape
    gx = np.empty_like(gy)
    gweight = np.zeros(c, dtype=gy.dtype)
    gbias = np.zeros(c, dtype=gy.dtype)
    for ch in range(c):
        # NOTE: np.float64, not 0.0: a Python float takes the dtype of the float32 it is added to
        sum_gy, sum_gy_xhat = np.float64(0.0), np.float64(0.0)
        for i in range(n):
            for j in range(m):
                sum_gy += gy[i, ch, j]
                sum_gy_xhat += gy[i, ch, j] * xhat[i, ch, j]
        gweight[ch], gbias[ch] = sum_gy_xhat, sum_gy
        for i in range(n):
            for j in range(m):
                gx[i, ch, j] = (
                    weight[ch]
                    * invstd[ch]
                    * (gy[i, ch, j] - sum_gy / (n * m) - xhat[i, ch, j] * sum_gy_xhat / (n * m))
                )
    return gx, gweight, gbias


# --- activations ------------------------------------------------------------


def relu_forward(x: Array) -> Array:
    """y[i] = x[i] where x[i] > 0 or is NaN, else +0 (-0.0 included): NumPy's maximum(x, 0)."""
    y = np.zeros_like(x)
    for i in range(x.size):
        if not x.flat[i] <= 0:
            y.flat[i] = x.flat[i]
    return y


def relu_input_grad(gy: Array, y: Array) -> Array:
    """gx[i] = gy[i] where y[i] = max(x[i], 0) is not 0 (NaN included), else 0."""
    gx = np.zeros_like(gy)
    for i in range(gy.size):
        if y.flat[i] != 0:
            gx.flat[i] = gy.flat[i]
    return gx
