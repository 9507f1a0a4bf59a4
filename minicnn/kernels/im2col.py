"""Convolution kernels of the xp tier: vectorized code on ``xp`` (NumPy on CPU, CuPy on GPU).

The "numpy" tier (with xp_pool.py, xp_norm.py and xp_activation.py), and what
"auto" and the CUDA chain fall back to. The same lines run on both array
modules, so the CPU tests cover the GPU path's logic, except for the few routes
taken on one device only, each a condition in one place: the phase split
(``_strided``) and the per-image GEMMs (by_images.py) on NumPy, kept columns
(kept_columns.py) on NumPy, one batched matmul for groups on CuPy (``_per_group``).
"""

import threading
from contextlib import contextmanager

from .. import backend
from ..backend import Array, Pair, Shape
from . import by_images, gemm, kept_columns, strided, threads
from .sizes import conv_out_size
from .workspaces import handed_out, new_or_workspace, padded, workspace

# --- convolution ------------------------------------------------------------
# Shapes: x (N, C, H, W), weight (O, C/groups, KH, KW), y (N, O, OH, OW);
# stride, padding, dilation are (height, width) pairs. The column matrix is
# laid out (C*KH*KW, N*OH*OW): one row per weight tap, so each group's
# convolution is one GEMM  W_g (O/G, Cg*KH*KW) @ cols_g (Cg*KH*KW, N*OH*OW)
# (BLAS ran it faster than the transposed layout). A strided convolution
# on NumPy takes its columns from strided.py's phase split instead: the same
# rows, with a few extra ("wide") columns per output row.


def im2col(x: Array, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> tuple[Array, Pair]:
    """The windows of x as columns: cols[(c, u, v), (n, i, j)] = x_padded[n, c, i*sh + u*dh, j*sw + v*dw].

    Returns (cols of shape (C*KH*KW, N*OH*OW), (OH, OW)); cols is a new array, the
    caller's to keep (``copy_windows`` writes it).
    """
    return _im2col_into(x, kernel_size, stride, padding, dilation, role=None)


def copy_windows(xpad: Array, cols: Array, stride: Pair, dilation: Pair) -> None:
    """cols[c, u, v, n, i, j] = xpad[n, c, i*sh + u*dh, j*sw + v*dw] for cols (C, KH, KW, N, OH, OW).

    A strided view picks every window without copying (as_strided: the view's
    strides step through the padded array), then one copy writes it into the
    GEMM layout. (numba_im2col.py has the same copy as a jitted loop.)
    """
    xp = backend.xp_of(xpad)
    (sh, sw), (dh, dw) = stride, dilation
    sN, sC, sH, sW = xpad.strides
    view = xp.lib.stride_tricks.as_strided(
        xpad, shape=cols.shape, strides=(sC, sH * dh, sW * dw, sN, sH * sh, sW * sw)
    )
    threads.copyto(cols, view, xp)


def _im2col_into(x, kernel_size, stride, padding, dilation, role="cols", windows=copy_windows):
    """im2col written into the workspace of ``role`` (a new array for None): the
    convolution kernels' private copy, valid until their next call. ``windows``
    copies the windows of the padded x into the columns (``copy_windows``' arguments)."""
    xp = backend.xp_of(x)
    N, C, H, W = x.shape
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    OH, OW = conv_out_size(H, KH, sh, ph, dh), conv_out_size(W, KW, sw, pw, dw)
    if KH == KW == 1 and sh == sw == 1 and ph == pw == 0:
        cols = new_or_workspace(role, (C, N, H * W), x.dtype, xp)  # 1x1: the columns are x itself
        threads.copyto(cols, x.reshape(N, C, H * W).transpose(1, 0, 2), xp)
        return cols.reshape(C, N * H * W), (OH, OW)
    cols = new_or_workspace(role, (C, KH, KW, N, OH, OW), x.dtype, xp)
    windows(padded(x, ph, pw), cols, stride, dilation)
    return cols.reshape(C * KH * KW, N * OH * OW), (OH, OW)


def col2im(cols: Array, x_shape: Shape, stride: Pair, padding: Pair, dilation: Pair) -> Array:
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
    # the end gives (N, C, H, W), where adding into a transposed view strides
    # through memory KH*KW times.
    gxpad = workspace("col2im", (C, N, H + 2 * ph, W + 2 * pw), cols.dtype, xp)
    gxpad.fill(0)
    for u in range(KH):
        for v in range(KW):
            h0, w0 = u * dh, v * dw
            gxpad[:, :, h0 : h0 + sh * (OH - 1) + 1 : sh, w0 : w0 + sw * (OW - 1) + 1 : sw] += cols[:, u, v]
    gx = xp.empty((N, C, H, W), dtype=cols.dtype)  # a new array: the sum is a workspace
    threads.copyto(gx, gxpad[:, :, ph : ph + H, pw : pw + W].transpose(1, 0, 2, 3), xp)
    return gx


def _per_group(a, b, out=None):
    """out[g] = a[g] @ b[g], one 2-D GEMM per group.

    A loop rather than one batched matmul: NumPy's batched matmul on a
    transposed operand does not reach BLAS's 2-D GEMM, which takes either
    orientation; depthwise convs loop over their C small GEMMs. On CuPy each
    GEMM is a kernel launch, so there the groups go to one batched matmul (a
    depthwise conv of 1,024 channels: one launch instead of 1,024).
    """
    xp = backend.xp_of(a)
    if out is None:
        out = xp.empty((a.shape[0], a.shape[1], b.shape[2]), dtype=a.dtype)
    if a.shape[0] > 1 and backend.is_cupy_array(a):
        return gemm.matmul(a, b, out=out)
    for g in range(a.shape[0]):
        gemm.matmul(a[g], b[g], out=out[g])
    return out


def _strided(x, kernel_size, stride):
    """Whether a convolution takes its columns from the phase split (strided.py).

    NOTE: not on CuPy, where each copy is a kernel launch: the direct im2col is one
    copy, the phase split 1 + KH*KW of them.
    """
    return strided.applies(kernel_size, stride) and not backend.is_cupy_array(x)


def conv2d_forward(
    x: Array,
    weight: Array,
    bias: Array | None,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
    *,
    windows=copy_windows,
) -> Array:
    """Y_g = W_g @ im2col(x)_g for each group g, plus the bias. (``windows``: see ``_im2col_into``.)"""
    if by_images.pointwise(x, weight.shape, stride, padding, groups):
        N, C, H, W = x.shape
        return by_images.forward(weight, x.reshape(N, C, H * W), bias, H, W)
    if _strided(x, weight.shape[2:], stride):
        cols, (OH, OW, width) = strided._columns_into(x, weight.shape[2:], stride, padding, dilation)
    else:
        kept_role = _kept_role(x, weight.shape, stride, padding, dilation, groups)
        role = kept_role or "cols"
        cols, (OH, OW) = _im2col_into(x, weight.shape[2:], stride, padding, dilation, role, windows)
        if kept_role:
            kept_columns.remember(x, kept_role, cols)
        width = OW
    return _weight_times_columns(weight, cols, bias, x.shape[0], OH, OW, groups, width)


def _kept_role(x, weight_shape, stride, padding, dilation, groups):
    """The workspace role in which the forward keeps x's columns for the weight gradient:
    None unless its caller asked (kept_columns.keeping), and where that gradient reads other
    columns (gy's, for a "same" convolution)."""
    if full_padding(weight_shape, stride, padding, dilation, groups) is not None:
        return None
    return kept_columns.role(x, weight_shape[2:], stride, padding, dilation)


def conv2d_input_grad(
    gy: Array,
    weight: Array,
    x_shape: Shape,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
    *,
    windows=copy_windows,
    scatter=None,
) -> Array:
    """gX = col2im(W_g^T @ gY_g) for each group, computed by one of three algorithms:

    - a "same" convolution (``full_padding``): gX is itself a convolution, of gy
      padded by d(K-1) - p with the flipped kernel, in and out channels swapped:
      gX = W' @ cols(gy). At stride 1, x cell h gets gy[i] W[u] for every
      i + u d = h + p. cols(gy) is written once and read once by the GEMM, where
      col2im's columns are written by the GEMM and read again by KH*KW scatters.
    - a strided convolution (on NumPy): the phase split's col2im (strided.py), whose
      scatter adds whole contiguous runs instead of every s-th cell;
    - otherwise col2im(W^T @ gY) as written.

    ``windows`` and ``scatter`` (col2im's arguments; this module's when None) copy
    the windows into columns and add the columns back.

    A pointwise convolution (``by_images.pointwise``) takes none of them: gx[n] = W^T @ gy[n], its
    input gradient is a pointwise convolution of gy by the transposed weight.
    """
    if by_images.pointwise(gy, weight.shape, stride, padding, groups):
        N, O, H, W = gy.shape
        w_t = weight.reshape(O, -1).T  # W^T, (C, O)
        return by_images.forward(w_t, gy.reshape(N, O, H * W), None, H, W)
    full = full_padding(weight.shape, stride, padding, dilation, groups)
    if full is not None:
        N, _, H, W = x_shape
        cols = _shared_gy(
            gy,
            ("cols", full, dilation, weight.shape[2:]),
            "cols",
            lambda: _im2col_into(gy, weight.shape[2:], (1, 1), full, dilation, windows=windows)[0],
        )
        return _weight_times_columns(flipped_transposed_weight(weight, groups), cols, None, N, H, W, groups)
    gcols = _input_grad_columns(gy, weight, x_shape, stride, padding, dilation, groups)
    if _strided(gy, weight.shape[2:], stride):
        return strided.col2im(gcols, x_shape, weight.shape[2:], stride, padding, dilation)
    return (scatter or col2im)(gcols, x_shape, stride, padding, dilation)


def conv2d_weight_grad(
    gy: Array,
    x: Array,
    weight_shape: Shape,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
    *,
    windows=copy_windows,
) -> Array:
    """gW_g = gY_g @ im2col(x)_g^T (the forward's columns where it kept them, kept_columns.py,
    else rebuilt from x).

    For a "same" convolution it reuses the input gradient's cols(gy) instead:
        gW = flip(cols(gy) @ X^T)       X = x as a (C, N*H*W) matrix
    because gW[o,c,u,v] = sum_{n,h,w} x[n,c,h,w] gy[n, o, h + p - u d, w + p - v d],
    and that gy cell is row (o, K-1-u, K-1-v), column (n, h, w) of cols(gy).
    """
    xp = backend.xp_of(x)
    (N, C, H, W), (O, Cg, KH, KW) = x.shape, weight_shape
    if by_images.pointwise_weight_grad(x, weight_shape, stride, padding, groups):
        return by_images.weight_grad(gy, x.reshape(N, C, H * W), weight_shape)
    full = full_padding(weight_shape, stride, padding, dilation, groups)
    if full is not None:
        cols = _shared_gy(
            gy,
            ("cols", full, dilation, (KH, KW)),
            "cols",
            lambda: _im2col_into(gy, (KH, KW), (1, 1), full, dilation, windows=windows)[0],
        )
        xmat = workspace("x", (C, N, H * W), x.dtype, xp)
        threads.copyto(xmat, x.reshape(N, C, H * W).transpose(1, 0, 2), xp)
        r = _per_group(
            cols.reshape(groups, (O // groups) * KH * KW, N * H * W),
            xmat.reshape(groups, Cg, N * H * W).transpose(0, 2, 1),
        )
        r = r.reshape(groups, O // groups, KH, KW, Cg)[:, :, ::-1, ::-1].transpose(0, 1, 4, 2, 3)
        return xp.ascontiguousarray(r).reshape(weight_shape)
    if _strided(x, (KH, KW), stride):
        cols, _ = strided._columns_into(x, (KH, KW), stride, padding, dilation)
    else:
        # the forward's columns where it kept them (kept_columns.py), else built again
        cols = kept_columns.recall(x, (KH, KW), stride, padding, dilation)
        if cols is None:
            cols, _ = _im2col_into(x, (KH, KW), stride, padding, dilation, windows=windows)
        if by_images.few_taps(x, Cg * KH * KW, groups):
            return by_images.weight_grad(gy, by_images.columns_per_image(cols, N), weight_shape)
    gym = _gy_matrix(gy, x.shape, weight_shape, stride, padding, dilation, groups)
    cols = cols.reshape(groups, Cg * KH * KW, -1)
    # NOTE: computed as gW^T = cols @ gY^T: with the long N*OH*OW axis inner in both
    # operands OpenBLAS runs it faster than gY @ cols^T
    gwt = _per_group(cols, gym.transpose(0, 2, 1))
    return xp.ascontiguousarray(gwt.transpose(0, 2, 1)).reshape(weight_shape)


def full_padding(
    weight_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Pair | None:
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


# --- the helpers of the GEMMs -----------------------------------------------

# Both gradients of a convolution read gy rearranged the same way: as the GEMM
# operand gY, or as its own column matrix for a "same" convolution. Within one
# backward (``sharing``, as Conv2d.backward runs its two kernels), whichever runs
# first builds it (in a workspace) and the other reuses it: one entry, used only for
# the very same gy array and geometry, and only while no other call has handed that
# workspace out again. Kernels never write into gy; a caller may, between two
# backwards, which is why the entry lasts one backward only.
_shared = [None]
_sharing = threading.local()  # the gy of the backward running on this thread


@contextmanager
def sharing(gy):
    """Within the block, the gradient kernels may share what they build from this gy array;
    outside it each call builds its own."""
    _sharing.gy = gy
    try:
        yield
    finally:
        _sharing.gy = None
        _shared[0] = None  # nor is gy held past its backward


def _shared_gy(gy, key, role, build):
    """build() of gy, or the entry the other gradient kernel left for this gy and key."""
    if getattr(_sharing, "gy", None) is not gy:
        return build()
    entry = _shared[0]
    if entry is not None and entry[0] is gy and entry[1] == key and entry[2] == handed_out(role):
        return entry[3]
    value = build()
    _shared[0] = (gy, key, handed_out(role), value)
    return value


def _gy_matrix(gy, x_shape, weight_shape, stride, padding, dilation, groups):
    """gy (N, O, OH, OW) -> (G, O/G, N*OH*width), the layout of Y_g in the forward GEMM
    (a workspace, shared by the two gradient kernels).

    width is OW, or the phase split's wider rows, whose extra columns are zeros.
    """
    width = gy.shape[3]
    if _strided(gy, weight_shape[2:], stride):
        width = strided.geometry(x_shape, weight_shape[2:], stride, padding, dilation)[3]

    def build():
        xp = backend.xp_of(gy)
        N, O, OH, OW = gy.shape
        out = workspace("gy", (O, N, OH, width), gy.dtype, xp)
        if width == OW:
            threads.copyto(out.reshape(O, N, OH * OW), gy.reshape(N, O, OH * OW).transpose(1, 0, 2), xp)
        else:
            out[..., OW:] = 0
            xp.copyto(out[..., :OW], gy.transpose(1, 0, 2, 3))
        return out.reshape(groups, O // groups, N * OH * width)

    return _shared_gy(gy, ("matrix", width, groups), "gy", build)


def _input_grad_columns(gy, weight, x_shape, stride, padding, dilation, groups):
    """dcols_g = W_g^T @ gY_g, shaped (C, KH, KW, N, OH, width) for col2im (a workspace)."""
    xp = backend.xp_of(gy)
    N, O, OH, OW = gy.shape
    _, Cg, KH, KW = weight.shape
    gym = _gy_matrix(gy, x_shape, weight.shape, stride, padding, dilation, groups)
    w = weight.reshape(groups, O // groups, Cg * KH * KW)
    out = workspace("cols", (groups, Cg * KH * KW, gym.shape[2]), gy.dtype, xp)  # as im2col's
    gcols = _per_group(w.transpose(0, 2, 1), gym, out=out)
    return gcols.reshape(groups * Cg, KH, KW, N, OH, -1)


def flipped_transposed_weight(weight: Array, groups: int) -> Array:
    """W'[c, o, u, v] = W[o, c, KH-1-u, KW-1-v] within each group: (C, O/G, KH, KW)."""
    xp = backend.xp_of(weight)
    O, Cg, KH, KW = weight.shape
    if KH == KW == 1 and groups == 1:
        # a 1x1 kernel has nothing to flip: W^T as a view, which the GEMM reads transposed
        return weight.reshape(O, Cg).T.reshape(Cg, O, 1, 1)
    w = weight.reshape(groups, O // groups, Cg, KH, KW)[:, :, :, ::-1, ::-1].transpose(0, 2, 1, 3, 4)
    return xp.ascontiguousarray(w).reshape(groups * Cg, O // groups, KH, KW)


def _weight_times_columns(weight, cols, bias, N, OH, OW, groups, width=None):
    """W_g @ cols_g for each group, plus the bias, as a new (N, O, OH, OW) array.

    ``width``: columns per output row in cols (more than OW for wide columns, whose
    extra products are dropped here).
    """
    xp = backend.xp_of(cols)
    O, Cg, KH, KW = weight.shape
    width = OW if width is None else width
    if width == OW and by_images.few_taps(cols, Cg * KH * KW, groups):
        return by_images.forward(weight, by_images.columns_per_image(cols, N), bias, OH, OW)
    products = workspace("gemm", (groups, O // groups, N * OH * width), cols.dtype, xp)
    w = weight.reshape(groups, O // groups, Cg * KH * KW)
    _per_group(w, cols.reshape(groups, Cg * KH * KW, -1), out=products)
    y = xp.empty((N, O, OH, OW), dtype=cols.dtype)
    ynat = products.reshape(O, N, OH, width)[..., :OW].transpose(1, 0, 2, 3)
    if bias is None:
        threads.copyto(y, ynat, xp)
    elif width == OW:
        # NOTE: one pass turns (O, N, OH, OW) into NCHW and adds the bias on the way
        b = bias.reshape(1, O, 1, 1)
        threads.split(lambda part, src: xp.add(src, b, out=part), y, ynat)
    else:
        # from wide columns a strided add is slower than a copy followed by a contiguous add
        threads.copyto(y, ynat, xp)
        y += bias.reshape(1, O, 1, 1)
    return y
