"""Vectorized kernels written against ``xp`` (NumPy on CPU, CuPy on GPU).

The default tier: the same lines run on both array modules, so the CPU tests
cover the GPU path's logic.
"""
from .. import backend
from .sizes import conv_out_size
from .workspaces import padded, workspace

# --- convolution ------------------------------------------------------------
# Shapes: x (N, C, H, W), weight (O, C/groups, KH, KW), y (N, O, OH, OW);
# stride, padding, dilation are (height, width) pairs. The column matrix is
# laid out (C*KH*KW, N*OH*OW): one row per weight tap, so each group's
# convolution is one GEMM  W_g (O/G, Cg*KH*KW) @ cols_g (Cg*KH*KW, N*OH*OW)
# (measured about 2x faster than the transposed layout).

def _pad(x, top, bottom, left, right, value=0):
    """x inside a border of ``value`` (always a new, C-contiguous array)."""
    xp = backend.xp_of(x)
    N, C, H, W = x.shape
    out = xp.full((N, C, top + H + bottom, left + W + right), value, dtype=x.dtype)
    out[:, :, top:top + H, left:left + W] = x
    return out


def im2col(x, kernel_size, stride, padding, dilation):
    """The windows of x as columns: cols[(c, u, v), (n, i, j)] = x_padded[n, c, i*sh + u*dh, j*sw + v*dw].

    A strided view picks every window without copying (as_strided: the view's
    strides step through the padded array), then one copy writes it into the
    GEMM layout, in a workspace. Returns (cols of shape (C*KH*KW, N*OH*OW), (OH, OW));
    cols is valid until the next im2col of the same shape.
    """
    xp = backend.xp_of(x)
    N, C, H, W = x.shape
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    OH, OW = conv_out_size(H, KH, sh, ph, dh), conv_out_size(W, KW, sw, pw, dw)
    if KH == KW == 1 and sh == sw == 1 and ph == pw == 0:
        cols = workspace("cols", (C, N, H * W), x.dtype, xp)   # 1x1: the columns are x itself
        xp.copyto(cols, x.reshape(N, C, H * W).transpose(1, 0, 2))
        return cols.reshape(C, N * H * W), (OH, OW)
    xpad = padded(x, ph, pw)
    sN, sC, sH, sW = xpad.strides
    view = xp.lib.stride_tricks.as_strided(
        xpad, shape=(C, KH, KW, N, OH, OW),
        strides=(sC, sH * dh, sW * dw, sN, sH * sh, sW * sw))
    cols = workspace("cols", (C, KH, KW, N, OH, OW), x.dtype, xp)
    xp.copyto(cols, view)
    return cols.reshape(C * KH * KW, N * OH * OW), (OH, OW)


def col2im(cols, x_shape, stride, padding, dilation):
    """The adjoint of im2col: add every column entry back onto the input cell it was read from.

    cols has shape (C, KH, KW, N, OH, OW). For each tap (u, v) the cells read
    form one strided slice of the padded input, so the scatter is KH*KW slice
    additions. It must be ``+=``, not ``=``: neighbouring windows overlap (a
    3x3 window at stride 1 reads each pixel 9 times), and every one of those
    reads sends a gradient back to the same pixel. Within one slice no cell
    repeats, so each slice's ``+=`` is exact.
    """
    xp = backend.xp_of(cols)
    C, KH, KW, N, OH, OW = cols.shape
    _, _, H, W = x_shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    # NOTE: the sum is kept channel-major, (C, N, H, W) like the columns, so
    # each slice addition reads and writes in the same order; one transpose at
    # the end gives (N, C, H, W). Adding a transposed view 9 times was 7x slower.
    gxpad = workspace("col2im", (C, N, H + 2 * ph, W + 2 * pw), cols.dtype, xp)
    gxpad.fill(0)
    for u in range(KH):
        for v in range(KW):
            h0, w0 = u * dh, v * dw
            gxpad[:, :, h0:h0 + sh * (OH - 1) + 1:sh, w0:w0 + sw * (OW - 1) + 1:sw] += cols[:, u, v]
    return xp.ascontiguousarray(gxpad[:, :, ph:ph + H, pw:pw + W].transpose(1, 0, 2, 3))


def _per_group(a, b, out=None):
    """out[g] = a[g] @ b[g], one 2-D GEMM per group.

    A loop rather than one batched matmul: NumPy's batched matmul on a
    transposed operand was measured 2x slower than the 2-D GEMM, which BLAS
    takes in either orientation; depthwise convs loop over their C small GEMMs.
    """
    xp = backend.xp_of(a)
    if out is None:
        out = xp.empty((a.shape[0], a.shape[1], b.shape[2]), dtype=a.dtype)
    for g in range(a.shape[0]):
        xp.matmul(a[g], b[g], out=out[g])
    return out


def conv2d_forward(x, weight, bias, stride, padding, dilation, groups):
    """Y_g = W_g @ im2col(x)_g for each group g, plus the bias."""
    cols, (OH, OW) = im2col(x, weight.shape[2:], stride, padding, dilation)
    return _weight_times_columns(weight, cols, bias, x.shape[0], OH, OW, groups)


def _weight_times_columns(weight, cols, bias, N, OH, OW, groups):
    """W_g @ cols_g for each group, plus the bias, as an (N, O, OH, OW) array."""
    xp = backend.xp_of(cols)
    O, Cg, KH, KW = weight.shape
    gemm = workspace("gemm", (groups, O // groups, N * OH * OW), cols.dtype, xp)
    _per_group(weight.reshape(groups, O // groups, Cg * KH * KW),
               cols.reshape(groups, Cg * KH * KW, -1), out=gemm)
    # NOTE: one pass turns (O, N, OH, OW) into NCHW and adds the bias on the way
    y = xp.empty((N, O, OH, OW), dtype=cols.dtype)
    ynat = gemm.reshape(O, N, OH, OW).transpose(1, 0, 2, 3)
    if bias is None:
        xp.copyto(y, ynat)
    else:
        xp.add(ynat, bias.reshape(1, O, 1, 1), out=y)
    return y


def _gy_matrix(gy, groups):
    """gy (N, O, OH, OW) -> (G, O/G, N*OH*OW), the layout of Y_g in the forward GEMM (a workspace)."""
    xp = backend.xp_of(gy)
    N, O, OH, OW = gy.shape
    out = workspace("gy", (O, N, OH * OW), gy.dtype, xp)
    xp.copyto(out, gy.reshape(N, O, OH * OW).transpose(1, 0, 2))
    return out.reshape(groups, O // groups, N * OH * OW)


def input_grad_columns(gy, weight, groups):
    """dcols_g = W_g^T @ gY_g, shaped (C, KH, KW, N, OH, OW) for col2im (a workspace)."""
    xp = backend.xp_of(gy)
    N, O, OH, OW = gy.shape
    _, Cg, KH, KW = weight.shape
    w = weight.reshape(groups, O // groups, Cg * KH * KW)
    out = workspace("cols", (groups, Cg * KH * KW, N * OH * OW), gy.dtype, xp)   # as im2col's
    gcols = _per_group(w.transpose(0, 2, 1), _gy_matrix(gy, groups), out=out)
    return gcols.reshape(groups * Cg, KH, KW, N, OH, OW)


def flipped_transposed_weight(weight, groups):
    """W'[c, o, u, v] = W[o, c, KH-1-u, KW-1-v] within each group: (C, O/G, KH, KW)."""
    xp = backend.xp_of(weight)
    O, Cg, KH, KW = weight.shape
    w = weight.reshape(groups, O // groups, Cg, KH, KW)[:, :, :, ::-1, ::-1].transpose(0, 2, 1, 3, 4)
    return xp.ascontiguousarray(w).reshape(groups * Cg, O // groups, KH, KW)


def conv2d_backward_input(gy, weight, x_shape, stride, padding, dilation, groups):
    """gX = col2im(W^T @ gY), group by group; for a "same" convolution, a convolution of gy.

    At stride 1, x cell h gets gy[i] * W[u] for every i + u*d = h + p: that is
    the convolution of gy, padded by p' = d(K-1) - p, with the flipped kernel and
    in/out channels swapped. Its column matrix (built from gy, size O*K*K by
    N*H*W) is written once and read once by the GEMM, where col2im's columns are
    written by the GEMM and then read again by KH*KW scatter passes: measured
    1.5-1.8x faster on the 3x3 convolutions of ResNet-20 (batch 64, 2 cores).
    """
    full = full_padding(weight.shape, stride, padding, dilation, groups)
    if full is not None:
        return conv2d_forward(gy, flipped_transposed_weight(weight, groups), None, (1, 1),
                              full, dilation, groups)
    return col2im(input_grad_columns(gy, weight, groups), x_shape, stride, padding, dilation)


def conv2d_backward(gy, x, weight, x_shape, weight_shape, stride, padding, dilation, groups,
                    need_input=True, need_weight=True):
    """(gx, gW), each only when asked for (None otherwise).

    For a "same" convolution (stride 1, padding d(K-1)/2) both come from one column
    matrix, that of gy padded by d(K-1) - p:
        gx = W' @ cols(gy)              W' the flipped kernel, in and out channels swapped
        gW = flip(cols(gy) @ X^T)       X = x as a (C, N*H*W) matrix
    because gW[o,c,u,v] = sum_{n,h,w} x[n,c,h,w] gy[n, o, h + p - u d, w + p - v d], and
    that gy cell is row (o, K-1-u, K-1-v), column (n, h, w) of cols(gy). One im2col
    where computing the two gradients apart needs two (of gy, and again of x).
    """
    full = full_padding(weight_shape, stride, padding, dilation, groups)
    if full is None:
        return (conv2d_backward_input(gy, weight, x_shape, stride, padding, dilation, groups)
                if need_input else None,
                conv2d_backward_weight(gy, x, weight_shape, stride, padding, dilation, groups)
                if need_weight else None)
    xp = backend.xp_of(gy)
    (N, C, H, W), (O, Cg, KH, KW) = x_shape, weight_shape
    cols, _ = im2col(gy, (KH, KW), (1, 1), full, dilation)        # (O*KH*KW, N*H*W)
    gx = gw = None
    if need_input:
        gx = _weight_times_columns(flipped_transposed_weight(weight, groups), cols, None,
                                   N, H, W, groups)
    if need_weight:
        xmat = workspace("x", (C, N, H * W), x.dtype, xp)
        xp.copyto(xmat, x.reshape(N, C, H * W).transpose(1, 0, 2))
        r = _per_group(cols.reshape(groups, (O // groups) * KH * KW, N * H * W),
                       xmat.reshape(groups, Cg, N * H * W).transpose(0, 2, 1))
        r = r.reshape(groups, O // groups, KH, KW, Cg)[:, :, ::-1, ::-1].transpose(0, 1, 4, 2, 3)
        gw = xp.ascontiguousarray(r).reshape(weight_shape)
    return gx, gw


def full_padding(weight_shape, stride, padding, dilation, groups):
    """The padding d(K-1) - p that turns the input gradient into a convolution of gy, where
    that pays: "same" convolutions (stride 1, output as large as the input) with no more
    output than input channels per group. None for the others.

    NOTE: there gy's column matrix (O/G*K*K rows per group) is no larger than x's
    (Cg*K*K rows). A convolution without padding would need gy's columns over the whole
    input; a widening one (LeNet's first conv, 1 -> 6 channels) more rows; a stride
    above 1 zeros between gy's cells.
    """
    (O, Cg, KH, KW), (dh, dw), (ph, pw) = weight_shape, dilation, padding
    full = (dh * (KH - 1) - ph, dw * (KW - 1) - pw)
    if tuple(stride) == (1, 1) and full == (ph, pw) and O // groups <= Cg:
        return full
    return None


def conv2d_backward_weight(gy, x, weight_shape, stride, padding, dilation, groups):
    """gW_g = gY_g @ im2col(x)_g^T (the columns are rebuilt from x rather than kept)."""
    xp = backend.xp_of(x)
    O, Cg, KH, KW = weight_shape
    cols, _ = im2col(x, (KH, KW), stride, padding, dilation)
    cols = cols.reshape(groups, Cg * KH * KW, -1)
    # NOTE: computed as gW^T = cols @ gY^T: with the long N*OH*OW axis inner in both
    # operands OpenBLAS ran this 2x faster than gY @ cols^T
    gwt = _per_group(cols, _gy_matrix(gy, groups).transpose(0, 2, 1))
    return xp.ascontiguousarray(gwt.transpose(0, 2, 1)).reshape(weight_shape)


# --- pooling ----------------------------------------------------------------
# Shapes: x (N, C, H, W), y (N, C, OH, OW); kernel_size, stride, padding are
# pairs. x is padded on the top/left by the padding and on the bottom/right
# by whatever the last (ceil_mode) window needs, so every window is whole.

def _pool_geometry(x_shape, kernel_size, stride, padding, ceil_mode):
    """(OH, OW) and the bottom/right padding that makes every window fit."""
    _, _, H, W = x_shape
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    OH = conv_out_size(H, KH, sh, ph, 1, ceil_mode)
    OW = conv_out_size(W, KW, sw, pw, 1, ceil_mode)
    bottom = max((OH - 1) * sh + KH - H - ph, 0)
    right = max((OW - 1) * sw + KW - W - pw, 0)
    return OH, OW, bottom, right


def max_pool2d_forward(x, kernel_size, stride, padding, ceil_mode):
    """y = max over each window of the -inf-padded x.   Returns (y, argmax), argmax = h*W + w in x."""
    xp = backend.xp_of(x)
    N, C, H, W = x.shape
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    OH, OW, bottom, right = _pool_geometry(x.shape, kernel_size, stride, padding, ceil_mode)
    xpad = _pad(x, ph, bottom, pw, right, value=-xp.inf)
    sN, sC, sH, sW = xpad.strides
    windows = xp.lib.stride_tricks.as_strided(
        xpad, shape=(N, C, OH, OW, KH, KW), strides=(sN, sC, sH * sh, sW * sw, sH, sW))
    windows = windows.reshape(N, C, OH, OW, KH * KW)
    tap = windows.argmax(axis=-1)           # the first maximum, as PyTorch picks on ties
    y = xp.take_along_axis(windows, tap[..., None], axis=-1)[..., 0]
    h = (xp.arange(OH) * sh - ph)[:, None] + tap // KW
    w = (xp.arange(OW) * sw - pw)[None, :] + tap % KW
    return y, (h * W + w).astype(xp.int64)


def max_pool2d_backward(gy, argmax, x_shape):
    """gx = gy added at each window's argmax (one bincount: windows may share a maximum)."""
    xp = backend.xp_of(gy)
    N, C, H, W = x_shape
    plane = xp.arange(N * C).reshape(N, C, 1, 1) * (H * W)
    gx = xp.bincount((argmax + plane).ravel(), weights=gy.ravel(), minlength=N * C * H * W)
    return gx.astype(gy.dtype).reshape(x_shape)


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


def avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad):
    """y = (sum over each window of the zero-padded x) / divisor: KH*KW strided-slice additions."""
    xp = backend.xp_of(x)
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    OH, OW, bottom, right = _pool_geometry(x.shape, kernel_size, stride, padding, ceil_mode)
    xpad = _pad(x, ph, bottom, pw, right)
    total = xp.zeros(x.shape[:2] + (OH, OW), dtype=x.dtype)
    for u in range(KH):
        for v in range(KW):
            total += xpad[:, :, u:u + sh * (OH - 1) + 1:sh, v:v + sw * (OW - 1) + 1:sw]
    return total / _avg_divisors(xp, x.shape, kernel_size, stride, padding, OH, OW,
                                 count_include_pad, x.dtype)


def avg_pool2d_backward(gy, x_shape, kernel_size, stride, padding, ceil_mode, count_include_pad):
    """gx = each window's gy / divisor added over its cells: the forward's slices, as in col2im."""
    xp = backend.xp_of(gy)
    N, C, H, W = x_shape
    (KH, KW), (sh, sw), (ph, pw) = kernel_size, stride, padding
    _, _, OH, OW = gy.shape
    _, _, bottom, right = _pool_geometry(x_shape, kernel_size, stride, padding, ceil_mode)
    share = gy / _avg_divisors(xp, x_shape, kernel_size, stride, padding, OH, OW,
                               count_include_pad, gy.dtype)
    gxpad = xp.zeros((N, C, ph + H + bottom, pw + W + right), dtype=gy.dtype)
    for u in range(KH):
        for v in range(KW):
            # NOTE: += because overlapping windows (stride < kernel) share cells
            gxpad[:, :, u:u + sh * (OH - 1) + 1:sh, v:v + sw * (OW - 1) + 1:sw] += share
    return xp.ascontiguousarray(gxpad[:, :, ph:ph + H, pw:pw + W])


_adaptive_matrices = {}


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


def adaptive_avg_pool2d_forward(x, output_size):
    """y = A_h x A_w^T per channel: the windows are a product of row and column windows."""
    xp = backend.xp_of(x)
    _, _, H, W = x.shape
    a_h = _adaptive_matrix(xp, H, output_size[0], x.dtype)
    a_w = _adaptive_matrix(xp, W, output_size[1], x.dtype)
    return xp.ascontiguousarray(a_h @ x @ a_w.T)


def adaptive_avg_pool2d_backward(gy, x_shape):
    """gx = A_h^T gy A_w, the transpose of the forward map."""
    xp = backend.xp_of(gy)
    _, _, H, W = x_shape
    a_h = _adaptive_matrix(xp, H, gy.shape[2], gy.dtype)
    a_w = _adaptive_matrix(xp, W, gy.shape[3], gy.dtype)
    return xp.ascontiguousarray(a_h.T @ gy @ a_w)


# --- local response normalization -------------------------------------------
# Shapes: x (N, C, M). A window sum over channels is `size` shifted slices of
# a zero-padded array added up: no Python loop over channels, and the terms
# are added in the same order as the reference loop.

def _channel_window_sum(a, before, after):
    """out_c = sum of a_c' for c' in c-before .. c+after (zero outside 0..C-1)."""
    xp = backend.xp_of(a)
    c = a.shape[1]
    padded = xp.pad(a, ((0, 0), (before, after), (0, 0)))
    out = padded[:, 0:c].copy()
    for offset in range(1, before + after + 1):
        out += padded[:, offset:offset + c]
    return out


def lrn_forward(x, size, alpha, beta, k):
    """y = x * s^-beta,  s = k + alpha/size * (window sum of x^2).   Returns (y, s)."""
    s = k + alpha / size * _channel_window_sum(x * x, size // 2, (size - 1) // 2)
    return x * s ** -beta, s


def lrn_backward(gy, x, s, size, alpha, beta):
    """gx = gy s^-beta - (2 alpha beta/size) x * (transposed window sum of gy x s^(-beta-1))."""
    t = gy * x * s ** (-beta - 1)
    # NOTE: the backward window is the forward one mirrored (c in win(c') <=> c' in mirrored win(c))
    total = _channel_window_sum(t, (size - 1) // 2, size // 2)
    return gy * s ** -beta - (2 * alpha * beta / size) * x * total


# --- batch normalization ----------------------------------------------------
# Shapes: x (N, C, M); per-channel reductions over axes (0, 2).

def batch_norm_stats(x):
    """Per-channel mean and biased variance (two passes: no cancellation from E[x^2] - E[x]^2)."""
    mean = x.mean(axis=(0, 2))
    d = x - mean[:, None]
    return mean, (d * d).mean(axis=(0, 2))


def batch_norm_invstd(var, eps):
    """invstd = 1 / sqrt(var + eps)."""
    return 1 / backend.xp_of(var).sqrt(var + eps)


def batch_norm_update_running(running_mean, running_var, mean, var, momentum, count):
    """In place: r = (1 - momentum) r + momentum stat, with the unbiased variance var * count/(count - 1)."""
    # NOTE: in-place updates and one folded scalar: a handful of passes over C numbers,
    # which on a GPU cost a kernel launch each
    running_mean *= 1 - momentum
    running_mean += momentum * mean
    running_var *= 1 - momentum
    running_var += (momentum * count / (count - 1)) * var


def batch_norm_apply(x, mean, invstd, weight, bias):
    """xhat = (x - mean) * invstd,  y = weight * xhat + bias.   Returns (y, xhat)."""
    xhat = (x - mean[:, None]) * invstd[:, None]
    return weight[:, None] * xhat + bias[:, None], xhat


def batch_norm_backward(gy, xhat, invstd, weight):
    """gx = (weight*invstd)(gy - mean(gy) - xhat mean(gy xhat)); gweight = sum gy xhat, gbias = sum gy."""
    count = gy.shape[0] * gy.shape[2]
    gbias = gy.sum(axis=(0, 2))
    gweight = (gy * xhat).sum(axis=(0, 2))
    gx = (weight * invstd)[:, None] * (gy - (gbias / count)[:, None]
                                       - xhat * (gweight / count)[:, None])
    return gx, gweight, gbias
