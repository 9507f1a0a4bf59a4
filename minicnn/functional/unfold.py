"""Unfold and fold: im2col and col2im made public, as ``torch.nn.functional.unfold`` and ``fold``.

``F.unfold`` copies every window of x into a column: the column matrix a convolution
multiplies its weight by (docs/ops/conv2d.md), with the batch axis first. ``F.fold``
adds columns back onto an image, summing where windows overlap. Each is the other's
adjoint (for every x and c, <unfold(x), c> = <x, fold(c)>), so each one's gradient is the
other, and a convolution is an unfold, a matrix product and a reshape:

    unfold:  y[n, (c, u, v), (i, j)] = x_p[n, c, i*sh + u*dh, j*sw + v*dw]      gx = fold(gy)
    fold:    y[n, c, h, w] = sum of x[n, (c, u, v), (i, j)] over the taps reading (h, w)
                                                                          gx = unfold(gy)
    F.conv2d(x, W) == (W.reshape(O, -1) @ F.unfold(x, (kH, kW))).reshape(N, O, OH, OW)

x_p is x inside ``padding`` zeros; (u, v) runs over the kernel's taps, (i, j) over the
window positions, OH * OW of them: OH = floor((H + 2*ph - dh*(kH - 1) - 1) / sh) + 1.
The kernels: xp_fold.py (the window copy and col2im of im2col.py) and, in the reference
tier, reference_fold.py's loops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import kernels
from ..kernels.sizes import conv_out_size, formula
from ..tensor import Function, Tensor
from .checks import check_float, pair
from .shape import one_image_too


class Unfold(Function):
    """y[n, (c, u, v), (i, j)] = x_p[n, c, i*sh + u*dh, j*sw + v*dw], x_p: x in ``padding`` zeros.
    gx = fold(gy): each column entry's gradient added back onto the cell it was read from
    (summed over the windows that read it; the padding's gradient dropped)."""

    def forward(self, x, *, kernel_size, stride, padding, dilation):
        self.K = kernels.for_array(x)
        self.size, self.geometry = x.shape[2:], (kernel_size, stride, padding, dilation)
        return self.K.unfold_forward(x, kernel_size, stride, padding, dilation)

    def backward(self, gy):
        with np.errstate(invalid="ignore", over="ignore"):  # sums meeting inf - inf: NaN, as PyTorch
            return self.K.fold_forward(gy, self.size, *self.geometry)


class Fold(Function):
    """y[n, c, h, w] = sum of x[n, (c, u, v), (i, j)] over the (u, v, i, j) whose tap reads (h, w).
    gx = unfold(gy): each column entry's gradient is that of the cell it was added onto."""

    def forward(self, x, *, output_size, kernel_size, stride, padding, dilation):
        self.K = kernels.for_array(x)
        self.geometry = kernel_size, stride, padding, dilation
        # NOTE: overlapping windows sum; one that overflows, or meets inf - inf, gives inf or
        # NaN silently, as in PyTorch
        with np.errstate(invalid="ignore", over="ignore"):
            return self.K.fold_forward(x, output_size, kernel_size, stride, padding, dilation)

    def backward(self, gy):
        return self.K.unfold_forward(gy, *self.geometry)


def check_fold_args(name: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> tuple:
    """PyTorch's checks of the four hyperparameters, in its order; returns them as pairs."""
    kernel_size = pair(kernel_size, f"{name}: kernel_size")
    dilation, padding = pair(dilation, f"{name}: dilation"), pair(padding, f"{name}: padding")
    stride = pair(stride, f"{name}: stride")
    if min(kernel_size) < 1:
        raise ValueError(f"{name}: kernel_size must be positive, got {kernel_size}")
    if min(dilation) < 1:
        raise ValueError(f"{name}: dilation must be positive, got {dilation}")
    if min(padding) < 0:
        raise ValueError(f"{name}: padding must be non-negative, got {padding}")
    if min(stride) < 1:
        raise ValueError(f"{name}: stride must be positive, got {stride}")
    return kernel_size, dilation, padding, stride


def _window_positions(name, size, kernel_size, dilation, padding, stride, what):
    """(OH, OW), or the size formula of the axis where the window does not fit."""
    positions = []
    for axis, n, k, d, p, s in zip(("height", "width"), size, kernel_size, dilation, padding, stride):
        if conv_out_size(n, k, s, p, d) < 1:
            raise ValueError(
                f"{name}: the {k}-tap window (dilation {d}, spanning {d * (k - 1) + 1}) does not fit "
                f"the padded {what} {axis} {n} + 2*{p} = {n + 2 * p}: {formula(n, k, s, p, d)} "
                f"window positions; kernel_size {kernel_size}, dilation {dilation}, padding {padding}, "
                f"stride {stride}"
            )
        positions.append(conv_out_size(n, k, s, p, d))
    return tuple(positions)


def unfold(
    input: Tensor,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
    *,
    name: str = "unfold",
) -> Tensor:
    """Every window of a batch of images as a column, as ``torch.nn.functional.unfold``: im2col.

    Args:
        input: (N, C, H, W), or one image (C, H, W) (then y has no N either); N may be 0.
        kernel_size, dilation, padding, stride: an int or a (height, width) pair, as in
            F.conv2d (PyTorch's order here: dilation before padding and stride).
        name: the layer named in error messages.
    Shapes:
        y (N, C*kH*kW, L), L = OH*OW window positions,
        OH = floor((H + 2*padding - dilation*(kH - 1) - 1) / stride) + 1, same for OW.
        Row c*kH*kW + u*kW + v of y holds tap (u, v) of channel c; column i*OW + j, window (i, j).

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.unfold(mc.zeros(2, 3, 5, 5), 3).shape
    (2, 27, 9)
    >>> F.unfold(mc.arange(9.0).reshape(1, 1, 3, 3), 2).numpy()[0].tolist()
    [[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]
    """
    check_float(name, "input", input)
    kernel_size, dilation, padding, stride = check_fold_args(name, kernel_size, dilation, padding, stride)
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise ValueError(
            f"{name}: expected input of shape (N, C, H, W) or (C, H, W), only N may be 0, "
            f"got shape {input.shape}"
        )
    _window_positions(name, input.shape[-2:], kernel_size, dilation, padding, stride, "input")
    return _unfold_batch(input, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)


def fold(
    input: Tensor,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
    *,
    name: str = "fold",
) -> Tensor:
    """Columns added back onto images, as ``torch.nn.functional.fold``: col2im, unfold's adjoint.

    Each column entry lands on the cell its tap reads in unfold, and entries landing on
    one cell (overlapping windows) are summed, so fold(unfold(x)) is x times the number of
    windows that read each cell, not x; entries landing in the padding are dropped.

    Args:
        input: (N, C*kH*kW, L), or one image's columns (C*kH*kW, L); N may be 0.
        output_size: (H, W) of the images, an int or a pair.
        kernel_size, dilation, padding, stride: as in F.unfold, which must give L window
            positions on an (H, W) image.
        name: the layer named in error messages.
    Shapes:
        y (N, C, H, W).

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.fold(mc.ones(1, 4, 4), (3, 3), 2).numpy()[0, 0].tolist()
    [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    check_float(name, "input", input)
    output_size = pair(output_size, f"{name}: output_size")
    kernel_size, dilation, padding, stride = check_fold_args(name, kernel_size, dilation, padding, stride)
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise ValueError(
            f"{name}: expected input of shape (N, C*kH*kW, L) or (C*kH*kW, L), only N may be 0, "
            f"got shape {input.shape}"
        )
    taps, (rows, length) = kernel_size[0] * kernel_size[1], input.shape[-2:]
    if rows % taps:
        raise ValueError(
            f"{name}: input has {rows} rows (dim {input.ndim - 2}), not a multiple of the "
            f"{taps} taps of kernel_size {kernel_size}; input {input.shape}"
        )
    if min(output_size) < 1:
        raise ValueError(f"{name}: output_size must be positive, got {output_size}")
    OH, OW = _window_positions(name, output_size, kernel_size, dilation, padding, stride, "output")
    if length != OH * OW:
        raise ValueError(
            f"{name}: input has {length} columns (dim {input.ndim - 1}), but output_size "
            f"{output_size} with kernel_size {kernel_size}, dilation {dilation}, padding {padding}, "
            f"stride {stride} has {OH} x {OW} = {OH * OW} window positions; input {input.shape}"
        )
    return _fold_batch(
        input,
        output_size=output_size,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
    )


# NOTE: one image is made a batch of one only here, after the checks, so that their errors
# give the shape and the dims of the input as it was passed
@one_image_too
def _unfold_batch(x: Tensor, **geometry: Any) -> Tensor:
    return Unfold.apply(x, **geometry)


@one_image_too(image_ndim=2)
def _fold_batch(x: Tensor, **geometry: Any) -> Tensor:
    return Fold.apply(x, **geometry)
