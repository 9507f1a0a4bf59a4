"""Pooling: each channel summarised window by window.

Max pooling keeps the largest value of each window and sends the gradient
back to it alone; AlexNet overlaps its windows (3x3, stride 2). Average
pooling spreads each gradient evenly over its window. Adaptive pooling picks the
windows that give a requested output size; adaptive average pooling to output 1
is the global average pooling of Network in Network, GoogLeNet and ResNet.
``return_indices=True`` gives where each maximum was, for max unpooling (unpool.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, kernels
from ..kernels.sizes import conv_out_size, formula
from ..tensor import Function, Tensor
from .checks import (
    AXES,
    check_flag,
    check_max_pool_args,
    check_nchw,
    check_not_empty,
    check_output_size,
    check_pool_args,
)
from .shape import one_image_too


class MaxPool2d(Function):
    """y = max of each k x k window of x, its taps d apart (padding counts as -inf).
    gx: each gy routed back to its window's argmax (summed where windows share one).
    """

    def forward(self, x, *, kernel_size, stride, padding, dilation, ceil_mode, indices_out=None):
        self.K, self.x_shape = kernels.for_array(x), x.shape
        y, self.argmax = self.K.max_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, dilation)
        _hand_out(self.argmax, indices_out)
        return y

    def backward(self, gy):
        # NOTE: gy's routed to one argmax add up: inf + (-inf) is NaN, silently as in PyTorch
        with np.errstate(invalid="ignore", over="ignore"):
            return self.K.max_pool2d_input_grad(gy, self.argmax, self.x_shape)


class AvgPool2d(Function):
    """y = (sum of each window) / divisor, divisor = window cells counted as PyTorch does.
    gx: each gy / divisor added to every cell of its window.
    """

    def forward(self, x, *, kernel_size, stride, padding, ceil_mode, count_include_pad):
        self.K, self.x_shape = kernels.for_array(x), x.shape
        self.params = kernel_size, stride, padding, ceil_mode, count_include_pad
        return self.K.avg_pool2d_forward(x, *self.params)

    def backward(self, gy):
        return self.K.avg_pool2d_input_grad(gy, self.x_shape, *self.params)


class AdaptiveAvgPool2d(Function):
    """y[i, j] = mean of x over rows [floor(iH/OH), ceil((i+1)H/OH)) and the same for columns.
    gx: each gy / window size added to every cell of its window.
    """

    def forward(self, x, *, output_size):
        self.K, self.x_shape = kernels.for_array(x), x.shape
        return self.K.adaptive_avg_pool2d_forward(x, output_size)

    def backward(self, gy):
        return self.K.adaptive_avg_pool2d_input_grad(gy, self.x_shape)


class AdaptiveMaxPool2d(Function):
    """y[i, j] = max of x over the adaptive window (i, j), AdaptiveAvgPool2d's windows.
    gx: each gy routed back to its window's argmax, as MaxPool2d's (summed where windows overlap).
    """

    def forward(self, x, *, output_size, indices_out=None):
        self.K, self.x_shape = kernels.for_array(x), x.shape
        y, self.argmax = self.K.adaptive_max_pool2d_forward(x, output_size)
        _hand_out(self.argmax, indices_out)
        return y

    def backward(self, gy):
        return self.K.max_pool2d_input_grad(gy, self.argmax, self.x_shape)


class NoCells(Function):
    """y = an empty (N, C, OH, OW), OH or OW 0: a pool to an output size of 0, as PyTorch's.
    gx = 0, as y holds nothing of x (PyTorch's backward refuses the empty gy instead).
    """

    def forward(self, x, *, shape):
        self.x_shape = x.shape
        return backend.xp_of(x).zeros(shape, dtype=x.dtype)

    def backward(self, gy):
        return self.xp.zeros(self.x_shape, dtype=gy.dtype)


def _hand_out(argmax, indices_out):
    """return_indices: a copy of the argmax for the caller, so that no change to the indices
    it is given can reach the gradient routed by the one kept for backward."""
    if indices_out is not None:
        indices_out.append(Tensor(argmax.copy()))


def _check_pool_input(name, x, kernel_size, stride, padding, dilation, ceil_mode):
    """The checks before any arithmetic, for a 2-D pool (x (N, C, H, W)) or, given 1-tuples,
    a 1-D one (x (N, C, L)): the 1-D pools check their input with them, in their own words."""
    check_flag(name, "ceil_mode", ceil_mode)
    dims = len(kernel_size)
    check_nchw(name, x, dims)
    # (one image: (1, C, H, W) here, C checked too, as PyTorch)
    check_not_empty(name, x, tuple(range(1, dims + 2)))
    for axis, n, k, s, p, d in zip(AXES[dims], x.shape[2:], kernel_size, stride, padding, dilation):
        out = conv_out_size(n, k, s, p, d, ceil_mode)
        if out < 1:
            window = (
                f"{k}-wide window" if d == 1 else f"{k}-tap window (dilation {d}, spanning {d * (k - 1) + 1})"
            )
            raise ValueError(
                f"{name}: the {window} is larger than the padded input {axis} "
                f"{n} + 2*{p} = {n + 2 * p}: output {axis} "
                f"{formula(n, k, s, p, d, ceil_mode)}; x {x.shape}"
            )
        _check_window_holds_x(name, x, axis, n, k, s, p, d, out)


def _check_window_holds_x(name, x, axis, n, k, s, p, d, out):
    """Refuse a window whose taps all fall in the padding, which dilation allows (3 rows
    padded by 1 and read 4 apart: taps -1 and 3). Its maximum would be the padding's -inf
    and its index no cell of x: PyTorch's names a cell outside the window (the next row's,
    or one past x's plane), and its backward writes there.
    Only windows starting in the top (left) padding can miss x, the first ceil(p/s)."""
    for i in range(min(out, -(-p // s))):
        start = i * s - p
        u = (-start + d - 1) // d  # the first tap at or past 0
        if u >= k or start + u * d >= n:
            taps = ", ".join(str(start + v * d) for v in range(k))
            raise ValueError(
                f"{name}: window {i} along the {axis} reads padding only: its taps {taps} "
                f"(dilation {d}) all lie outside 0..{n - 1}, so no cell of x is its maximum; "
                f"x {x.shape}"
            )


@one_image_too
def max_pool2d(
    x: Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    *,
    name: str = "max_pool2d",
) -> Any:
    """Max over each window, as ``torch.nn.functional.max_pool2d``.

    Args:
        x: Tensor (N, C, H, W), or one image (C, H, W), as in PyTorch (so for every pool here).
        kernel_size: int or (kH, kW).
        stride: int or pair; None means kernel_size (windows side by side).
        padding: int or pair, at most half of kernel_size (whatever the dilation, as PyTorch);
            padded cells never win.
        dilation: int or pair, at least 1: the window's taps lie d cells apart, so a window
            of k taps spans d*(k-1) + 1 cells (PyTorch's; 1, the default, is adjacent cells).
            A window whose taps all fall in the padding is refused, as it holds no cell of x.
        ceil_mode: round the output size up (a last partial window), as PyTorch.
        return_indices: also return where each maximum was, for ``max_unpool2d``.
        name: the layer named in error messages.
    Returns:
        y, or (y, indices) with return_indices: int64 indices of y's shape, each the flat
        position h*W + w of its window's maximum in x's (H, W) plane, PyTorch's convention.
        On a tie the first maximum in row-major order, as PyTorch; of several NaNs the last,
        as PyTorch (its loop takes each NaN it meets).
    Shapes:
        y (N, C, H_out, W_out), H_out = floor((H + 2*padding - dilation*(kH - 1) - 1) / stride) + 1
        (ceil with ceil_mode, dropping a last window that starts in the right padding).
        y[n, c, i, j] = max over u < kH, v < kW of x[n, c, i*sH - pH + u*dH, j*sW - pW + v*dW].

    >>> import minicnn as mc, minicnn.functional as F
    >>> x = mc.tensor([[[[1.0, 2.0], [4.0, 3.0]]]], requires_grad=True)
    >>> y = F.max_pool2d(x, 2)
    >>> y.tolist()
    [[[[4.0]]]]
    >>> y.sum().backward()
    >>> x.grad.tolist()              # the gradient goes to the maximum alone
    [[[[0.0, 0.0], [1.0, 0.0]]]]
    >>> x = mc.arange(16.0).reshape(1, 1, 4, 4)
    >>> y, indices = F.max_pool2d(x, 2, dilation=2, return_indices=True)  # taps (0 or 2, 0 or 2)
    >>> y.tolist(), indices.tolist()
    ([[[[10.0]]]], [[[[10]]]])
    """
    # the arguments as checked: (height, width) pairs
    k, s, p, d = check_max_pool_args(name, kernel_size, stride, padding, dilation)
    _check_pool_input(name, x, k, s, p, d, ceil_mode)
    indices: list | None = [] if return_indices else None
    y = MaxPool2d.apply(
        x,
        kernel_size=k,
        stride=s,
        padding=p,
        dilation=d,
        ceil_mode=ceil_mode,
        indices_out=indices,
    )
    return y if indices is None else (y, indices[0])


def max_pool2d_with_indices(
    x: Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    *,
    name: str = "max_pool2d_with_indices",
) -> tuple[Tensor, Tensor]:
    """``max_pool2d(..., return_indices=True)``: (y, indices) always, ``return_indices`` taken
    and ignored, as PyTorch's alias."""
    return max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode, True, name=name)


@one_image_too
def avg_pool2d(
    x: Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    name: str = "avg_pool2d",
) -> Tensor:
    """Mean over each window, as ``torch.nn.functional.avg_pool2d``.

    Args:
        x: Tensor (N, C, H, W), or one image (C, H, W).
        kernel_size: int or (kH, kW).
        stride: int or pair; None means kernel_size (windows side by side).
        padding: zeros added on each side, an int or a pair, at most half of kernel_size.
        ceil_mode: round the output size up (a last partial window), as PyTorch.
        count_include_pad: divide by the window's cells inside the padded input (True) or
            inside x alone (False). A ceil_mode window is clipped at the padded edge either way.
        divisor_override: PyTorch's; only its default, None, is supported.
        name: the layer named in error messages.
    Shapes:
        y (N, C, H_out, W_out), H_out = floor((H + 2*padding - kH) / stride) + 1 (ceil as above).
    """
    if divisor_override is not None:
        raise ValueError(
            f"{name}: divisor_override={divisor_override!r} is not supported; each window is "
            "divided by its count (count_include_pad chooses which cells count)"
        )
    check_flag(name, "count_include_pad", count_include_pad)
    # the arguments as checked: (height, width) pairs
    k, s, p = check_pool_args(name, kernel_size, stride, padding)
    _check_pool_input(name, x, k, s, p, (1, 1), ceil_mode)
    return AvgPool2d.apply(
        x,
        kernel_size=k,
        stride=s,
        padding=p,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
    )


@one_image_too
def adaptive_avg_pool2d(x: Tensor, output_size: Any, *, name: str = "adaptive_avg_pool2d") -> Tensor:
    """Average pooling to a fixed output size, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Args:
        x: Tensor (N, C, H, W).
        output_size: int or (OH, OW); None in the pair keeps that input size. 1 is global
            average pooling; 0 gives an empty output, as PyTorch (its gradient is 0).
    Shapes:
        y (N, C, OH, OW); window i along H spans [floor(i*H/OH), ceil((i+1)*H/OH)).
    """
    size = _adaptive_size(name, x, output_size)
    if 0 in size:
        return NoCells.apply(x, shape=x.shape[:2] + size)
    return AdaptiveAvgPool2d.apply(x, output_size=size)


def adaptive_max_pool2d(
    x: Tensor, output_size: Any, return_indices: bool = False, *, name: str = "adaptive_max_pool2d"
) -> Any:
    """Max pooling to a fixed output size, as ``torch.nn.functional.adaptive_max_pool2d``.

    Args:
        x: Tensor (N, C, H, W), or one image (C, H, W).
        output_size: int or (OH, OW); None in the pair keeps that input size; 0 gives an
            empty output (and empty indices), as PyTorch (its gradient is 0).
        return_indices: also return where each maximum was (as ``max_pool2d``'s).
    Returns:
        y, or (y, indices) with return_indices: int64, h*W + w in x's (H, W) plane.
    Shapes:
        y (N, C, OH, OW); window i along H spans [floor(i*H/OH), ceil((i+1)*H/OH)),
        as adaptive_avg_pool2d's.

    >>> import minicnn as mc, minicnn.functional as F
    >>> x = mc.tensor([[[[1.0, 5.0, 2.0], [4.0, 0.0, 3.0]]]])
    >>> y, indices = F.adaptive_max_pool2d(x, (1, 2), return_indices=True)
    >>> y.tolist(), indices.tolist()   # windows: columns 0-1 and 1-2
    ([[[[5.0, 5.0]]]], [[[[1, 1]]]])
    """
    if isinstance(x, Tensor) and x.ndim == 4:  # NOTE: PyTorch's takes one image of 0 channels
        check_not_empty(name, x, (1, 2, 3))
    return _adaptive_max_pool2d(x, output_size, return_indices, name=name)


@one_image_too
def _adaptive_max_pool2d(x: Tensor, output_size: Any, return_indices: bool, *, name: str) -> Any:
    size = _adaptive_size(name, x, output_size)
    if 0 in size:
        y = NoCells.apply(x, shape=x.shape[:2] + size)
        return (y, Tensor(backend.xp_of(x.data).zeros(y.shape, dtype="int64"))) if return_indices else y
    indices: list | None = [] if return_indices else None
    y = AdaptiveMaxPool2d.apply(x, output_size=size, indices_out=indices)
    return y if indices is None else (y, indices[0])


def _adaptive_size(name, x, output_size, dims=2):
    """(OH, OW) for an adaptive pool of x, a None taking x's size, after checking x and it;
    with ``dims=1``, (OL,) for x (N, C, L)."""
    check_nchw(name, x, dims)
    size = check_output_size(name, output_size, dims)
    if 0 in x.shape[2:]:  # a window over nothing has no mean nor maximum, as PyTorch says
        raise ValueError(
            f"{name}: x has an empty plane, shape {x.shape}; expected "
            f"{'H and W' if dims == 2 else 'L'} of at least 1"
        )
    return tuple(n if o is None else o for n, o in zip(x.shape[2:], size))
