"""The plain im2col + GEMM convolution, to read and step through: ``mc.use_kernels("numpy-simple")``.

The three formulas of functional/conv.py as written, on NumPy or CuPy arrays,
with nothing else: no workspaces, no phase split, no convolution of gy. The
default tier computes the same numbers faster (see im2col.py). Everything but
convolution comes from the xp tier.

Shapes: x (N, C, H, W), weight (O, C/G, KH, KW), gy (N, O, OH, OW); G groups.
"""

from .. import backend
from ..backend import Array, Pair, Shape
from .im2col import col2im, im2col


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
