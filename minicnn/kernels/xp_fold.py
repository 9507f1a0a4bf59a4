"""Unfold and fold of the xp tier: im2col.py's window copy and col2im, in PyTorch's layout.

``F.unfold`` is im2col made public. im2col.py lays its columns out for the convolution's
GEMM, cols[(c, u, v), (n, i, j)]; PyTorch's unfold puts the batch first,
y[n, (c, u, v), (i, j)]. The same window copy writes y through a view of it in the
columns' axis order, so no second copy is made. ``F.fold`` is col2im, im2col's adjoint:
each entry added back onto the cell it was read from, summed where windows overlap.

Shapes: x (N, C, H, W), columns (N, C*KH*KW, OH*OW); kernel_size, stride, padding and
dilation are (height, width) pairs.
"""

from .. import backend
from ..backend import Array, Pair
from . import im2col
from .sizes import conv_out_size
from .workspaces import padded


def _blocks(size: Pair, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Pair:
    """(OH, OW): the window positions along each axis, the convolution's output size."""
    OH, OW = (conv_out_size(*a) for a in zip(size, kernel_size, stride, padding, dilation))
    return OH, OW


def unfold_forward(x: Array, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Array:
    """y[n, (c, u, v), (i, j)] = x_padded[n, c, i*sh + u*dh, j*sw + v*dw]: y (N, C*KH*KW, OH*OW)."""
    xp = backend.xp_of(x)
    (N, C, H, W), (KH, KW) = x.shape, kernel_size
    OH, OW = _blocks((H, W), kernel_size, stride, padding, dilation)
    y = xp.empty((N, C, KH, KW, OH, OW), dtype=x.dtype)
    im2col.copy_windows(padded(x, *padding), y.transpose(1, 2, 3, 0, 4, 5), stride, dilation)
    return y.reshape(N, C * KH * KW, OH * OW)


def fold_forward(
    cols: Array, output_size: Pair, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> Array:
    """y[n, c, h, w] = sum of cols[n, (c, u, v), (i, j)] over the taps that read cell (h, w):
    col2im, y (N, C, H, W) for (H, W) = output_size."""
    (N, CK, _), (KH, KW) = cols.shape, kernel_size
    OH, OW = _blocks(output_size, kernel_size, stride, padding, dilation)
    C = CK // (KH * KW)
    view = cols.reshape(N, C, KH, KW, OH, OW).transpose(1, 2, 3, 0, 4, 5)  # col2im's axis order
    return im2col.col2im(view, (N, C, *output_size), stride, padding, dilation)
