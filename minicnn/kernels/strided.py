"""Column matrices of strided convolutions through a phase split (space-to-depth).

At stride s, output (i, j) of tap (u, v) reads padded input cell
(i*s + u*d, j*s + v*d). Split u*d = a*s + r (r < s): the cell is row i + a of
the rows whose index is r mod s. So x is first split into its s*s phases

    xs[c, r, q, n, hs, ws] = x_padded[n, c, hs*s + r, ws*s + q]

and every tap reads one phase at a shift (a, b), with stride 1: a plain slice.
Each phase grid is as wide as the output plus the largest shift, Ws = OW + b_max,
so the slice of OH rows, taken Ws cells at a time, is one contiguous run of
OH*Ws cells. The column matrix keeps that width: columns (n, i, j) for j < Ws,
where the last Ws - OW columns of each row are extra ("wide" columns; their
products are dropped, and the gradients feed zeros through them: 0 * inf is NaN, so a
non-finite cell of x can reach weight taps that never read it, docs/ops/conv2d.md).

Why: the direct im2col copies AlexNet's conv1 windows as runs of 55 cells that
step 4 apart, and its col2im adds into every 4th cell; here each tap is one run
of 55*57 cells, for 4% more GEMM columns (benchmarks/README.md has the timings).
"""

from .. import backend
from ..backend import Array, Pair, Shape
from .sizes import conv_out_size
from .workspaces import new_or_workspace, workspace, zeroed


def applies(kernel_size: Pair, stride: Pair) -> bool:
    """Whether a convolution takes this path: a stride above 1 and a window of more than one cell."""
    return tuple(stride) != (1, 1) and tuple(kernel_size) != (1, 1)


def _taps(k, s, d):
    """(phase, shift) of each of the k taps along one axis: u*d = shift*s + phase."""
    return [divmod(u * d, s)[::-1] for u in range(k)]


def geometry(
    x_shape: Shape, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> tuple[int, int, int, int]:
    """(OH, OW, Hs, Ws): the output size and each phase grid's (Hs rows, Ws columns).

    Hs has one row beyond the largest shift: the last tap's run of OH*Ws cells
    ends b_max cells into it.
    """
    _, _, H, W = x_shape
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    OH, OW = conv_out_size(H, KH, sh, ph, dh), conv_out_size(W, KW, sw, pw, dw)
    return OH, OW, OH + (KH - 1) * dh // sh + 1, OW + (KW - 1) * dw // sw


def _overlap(n, s, p, phase, grid):
    """Where phase ``phase`` of an axis of n cells (padded by p) meets the image:
    (first grid index, first image index, count)."""
    g0 = max(0, -((phase - p) // s))  # first grid cell at or past the padding
    x0 = g0 * s + phase - p
    count = min(grid - g0, max(0, -(-(n - x0) // s)))
    return g0, x0, count


def _phase_views(x_shape, kernel_size, stride, padding, dilation, Hs, Ws):
    """For each phase (r, q) some tap reads: (r, q, grid slices, image slices)."""
    _, _, H, W = x_shape
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    for r in sorted({p for p, _ in _taps(KH, sh, dh)}):
        g0, x0, nh = _overlap(H, sh, ph, r, Hs)
        for q in sorted({p for p, _ in _taps(KW, sw, dw)}):
            w0, y0, nw = _overlap(W, sw, pw, q, Ws)
            if nh > 0 and nw > 0:
                yield (
                    r,
                    q,
                    (slice(g0, g0 + nh), slice(w0, w0 + nw)),
                    (slice(x0, x0 + sh * (nh - 1) + 1, sh), slice(y0, y0 + sw * (nw - 1) + 1, sw)),
                )


def columns(
    x: Array, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> tuple[Array, tuple[int, int, int]]:
    """The wide column matrix (C*KH*KW, N*OH*Ws) of x (a new array) and (OH, OW, Ws).

    cols[(c, u, v), (n, i, j)] = x_padded[n, c, i*s + u*d, j*s + v*d] for j < OW.
    """
    return _columns_into(x, kernel_size, stride, padding, dilation, role=None)


def _columns_into(x, kernel_size, stride, padding, dilation, role="cols"):
    """``columns`` written into the workspace of ``role`` (the convolution kernels' private copy)."""
    xp = backend.xp_of(x)
    N, C, H, W = x.shape
    (KH, KW), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    OH, OW, Hs, Ws = geometry(x.shape, kernel_size, stride, padding, dilation)
    # NOTE: cells no phase view writes (padding, rows no window reaches) stay zero
    # because the buffer is kept per shape and geometry
    xs = zeroed(
        ("phases", x.shape, kernel_size, stride, padding, dilation), (C, sh, sw, N, Hs, Ws), x.dtype, xp
    )
    xc = x.transpose(1, 0, 2, 3)
    for r, q, grid, image in _phase_views(x.shape, kernel_size, stride, padding, dilation, Hs, Ws):
        xs[(slice(None), r, q, slice(None)) + grid] = xc[(slice(None), slice(None)) + image]
    flat = xs.reshape(C, sh, sw, N, Hs * Ws)
    cols = new_or_workspace(role, (C, KH, KW, N, OH * Ws), x.dtype, xp)
    for u, (r, a) in enumerate(_taps(KH, sh, dh)):
        for v, (q, b) in enumerate(_taps(KW, sw, dw)):
            start = a * Ws + b
            xp.copyto(cols[:, u, v], flat[:, r, q, :, start : start + OH * Ws])
    return cols.reshape(C * KH * KW, N * OH * Ws), (OH, OW, Ws)


def col2im(
    cols: Array, x_shape: Shape, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> Array:
    """The adjoint of ``columns``: add each wide column entry back onto the cell it was read from.

    cols has shape (C*KH*KW, N*OH*Ws); its extra columns must be zero (they are
    when they come from W^T @ gY with gY's extra columns zero). Each tap adds one
    contiguous run into its phase, then the phases are put back in place.
    """
    xp = backend.xp_of(cols)
    N, C, H, W = x_shape
    (KH, KW), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    OH, OW, Hs, Ws = geometry(x_shape, kernel_size, stride, padding, dilation)
    cols = cols.reshape(C, KH, KW, N, OH * Ws)
    gs = workspace("col2im", (C, sh, sw, N, Hs * Ws), cols.dtype, xp)
    gs.fill(0)
    for u, (r, a) in enumerate(_taps(KH, sh, dh)):
        for v, (q, b) in enumerate(_taps(KW, sw, dw)):
            start = a * Ws + b
            gs[:, r, q, :, start : start + OH * Ws] += cols[:, u, v]
    gs = gs.reshape(C, sh, sw, N, Hs, Ws)
    gx = xp.zeros(x_shape, dtype=cols.dtype)  # cells no window reads get no gradient
    gxc = gx.transpose(1, 0, 2, 3)
    for r, q, grid, image in _phase_views(x_shape, kernel_size, stride, padding, dilation, Hs, Ws):
        gxc[(slice(None), slice(None)) + image] = gs[(slice(None), r, q, slice(None)) + grid]
    return gx
