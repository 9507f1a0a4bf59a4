"""The plain im2col + GEMM convolution, to read and step through: ``mc.use_kernels("numpy-simple")``.

The three formulas of functional/conv.py as written, on NumPy or CuPy arrays,
with im2col and col2im as a loop over the kernel's taps and nothing else: no
workspaces, no threads, no phase split, no convolution of gy. The other tiers
compute the same numbers faster (see im2col.py). Everything but convolution
comes from the xp tier.

Shapes: x (N, C, H, W), weight (O, C/G, KH, KW), gy (N, O, OH, OW); G groups.
"""

from .. import backend
from ..backend import Array, Pair, Shape
from .sizes import conv_out_size


def _taps(kernel_size, stride, dilation, OH, OW):
    """For each tap (u, v), the rows and columns of the padded x it reads: every stride-th
    one from u*dh (v*dw), one per output row (column)."""
    (KH, KW), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    for u in range(KH):
        for v in range(KW):
            yield (
                u,
                v,
                slice(u * dh, u * dh + sh * (OH - 1) + 1, sh),
                slice(v * dw, v * dw + sw * (OW - 1) + 1, sw),
            )


def im2col(x: Array, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> tuple[Array, Pair]:
    """cols[(c, u, v), (n, i, j)] = x_padded[n, c, i*sh + u*dh, j*sw + v*dw]: one slice of x per tap.

    Returns cols (C*KH*KW, N*OH*OW) and (OH, OW).
    """
    xp, (N, C, H, W), (ph, pw) = backend.xp_of(x), x.shape, padding
    OH, OW = (
        conv_out_size(n, k, s, p, d) for n, k, s, p, d in zip((H, W), kernel_size, stride, padding, dilation)
    )
    xpad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = xp.empty((C, *kernel_size, N, OH, OW), dtype=x.dtype)
    for u, v, rows, columns in _taps(kernel_size, stride, dilation, OH, OW):
        cols[:, u, v] = xpad[:, :, rows, columns].transpose(1, 0, 2, 3)
    return cols.reshape(-1, N * OH * OW), (OH, OW)


def col2im(cols: Array, x_shape: Shape, stride: Pair, padding: Pair, dilation: Pair) -> Array:
    """The adjoint of im2col: each column entry added back onto the cell it was read from.

    cols (C, KH, KW, N, OH, OW). ``+=``, not ``=``: overlapping windows read a cell
    several times, and each read sends it a gradient.
    """
    xp, (C, KH, KW, N, OH, OW), (_, _, H, W), (ph, pw) = backend.xp_of(cols), cols.shape, x_shape, padding
    gxpad = xp.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=cols.dtype)
    for u, v, rows, columns in _taps((KH, KW), stride, dilation, OH, OW):
        gxpad[:, :, rows, columns] += cols[:, u, v].transpose(1, 0, 2, 3)
    return xp.ascontiguousarray(gxpad[:, :, ph : ph + H, pw : pw + W])  # the padding's gradient dropped


def conv2d_forward(
    x: Array, weight: Array, bias: Array | None, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """Y_g = W_g @ im2col(x)_g + b."""
    xp, N, (O, Cg, KH, KW), G = backend.xp_of(x), x.shape[0], weight.shape, groups
    cols, (OH, OW) = im2col(x, (KH, KW), stride, padding, dilation)  # (C*KH*KW, N*OH*OW)
    y = xp.matmul(weight.reshape(G, O // G, Cg * KH * KW), cols.reshape(G, Cg * KH * KW, -1))
    y = y.reshape(O, N, OH, OW).transpose(1, 0, 2, 3)
    if bias is not None:
        y = y + bias.reshape(1, O, 1, 1)
    return xp.ascontiguousarray(y)


def _gy_matrix(gy, groups):
    """gy (N, O, OH, OW) -> gY (G, O/G, N*OH*OW), the layout of Y in the forward GEMM."""
    N, O, OH, OW = gy.shape
    return gy.transpose(1, 0, 2, 3).reshape(groups, O // groups, N * OH * OW)


def conv2d_input_grad(
    gy: Array, weight: Array, x_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """gX = col2im(W_g^T @ gY_g)."""
    xp, (N, O, OH, OW), (_, Cg, KH, KW), G = backend.xp_of(gy), gy.shape, weight.shape, groups
    w = weight.reshape(G, O // G, Cg * KH * KW)
    gcols = xp.matmul(w.transpose(0, 2, 1), _gy_matrix(gy, G))  # (G, Cg*KH*KW, N*OH*OW)
    return col2im(gcols.reshape(G * Cg, KH, KW, N, OH, OW), x_shape, stride, padding, dilation)


def conv2d_weight_grad(
    gy: Array, x: Array, weight_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """gW_g = gY_g @ im2col(x)_g^T."""
    xp, (_, Cg, KH, KW), G = backend.xp_of(gy), weight_shape, groups
    cols, _ = im2col(x, (KH, KW), stride, padding, dilation)
    gw = xp.matmul(_gy_matrix(gy, G), cols.reshape(G, Cg * KH * KW, -1).transpose(0, 2, 1))
    return gw.reshape(weight_shape)
