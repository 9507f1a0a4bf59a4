"""Power-average pooling: the p-norm of each window, y = (sum over the window of x^p)^(1/p).

p = 1 is sum pooling (of non-negative x), p = 2 the root of the window's energy, and as p
grows the norm tends to the window's maximum (of |x|): one knob between average and max
pooling. It is composed of ops minicnn has, in PyTorch's order, so it has no kernel of its
own (each op's kernels are checked where the op is defined):

    out = avg_pool(x^p)                              each window's mean of x^p
    y   = (sign(out) * relu(|out|) * kH*kW)^(1/p)    the mean times the window's size: the sum

sign(out) * relu(|out|) is out again, but its backward is 0 where out = 0, where the 1/p
power's slope is infinite: a window whose sum is 0 gets gradient 0, as PyTorch's.
``NonZeroSlope`` is that step in one Function, with the same values and gradients; written
as three ops its backward would multiply the infinite slope by sign(0) = 0 and warn of the
NaN that relu's backward then drops, at every window of zeros (common after a ReLU). There
is no padding. With ceil_mode a last window cut short by x's end is averaged over its cells
inside x and still multiplied by the whole kH*kW, as in PyTorch. p = inf gives the max of
|x| over each window and p = -inf the min (PyTorch's max_pool(|x|) and -max_pool(-|x|)).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .basic import abs, mul, neg, pow
from .checks import check_pool_args, check_real
from .one_d import _image, _signal
from .pooling import _check_pool_input, avg_pool2d, max_pool2d
from .shape import one_image_too


class NonZeroSlope(Function):
    """y = out, a -0.0 made +0: PyTorch's sign(out) * relu(|out|).
    gx = gy where out != 0, 0 where out = 0: that product's gradient, sign(out)^2 * gy; where
    out is NaN, gy * 0 (PyTorch's sign(NaN) is 0), so 0 unless gy itself is NaN or infinite.
    """

    def forward(self, out):
        xp = backend.xp_of(out)
        self.kept = out != 0
        self.unit = (~xp.isnan(out)).astype(out.dtype)  # sign(out)^2 where out != 0
        return xp.where(self.kept, out, out.dtype.type(0))

    def backward(self, gy):
        with np.errstate(invalid="ignore"):  # an infinite gy at a NaN window: NaN, as PyTorch
            return self.xp.where(self.kept, gy * self.unit, gy.dtype.type(0))


def check_norm_type(name: str, norm_type: Any) -> float:
    """p as a float: a real number other than 0 (the LPPool layers check it once, when made)."""
    check_real(name, "norm_type", norm_type)
    if norm_type == 0:
        raise ValueError(f"{name}: norm_type must be a non-zero value, but got {norm_type}")
    return float(norm_type)


@one_image_too
def lp_pool2d(
    x: Tensor,
    norm_type: float,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    ceil_mode: bool = False,
    *,
    name: str = "lp_pool2d",
) -> Tensor:
    """The p-norm of each window, as ``torch.nn.functional.lp_pool2d``.

    Args:
        x: Tensor (N, C, H, W), or one image (C, H, W).
        norm_type: p, any non-zero number; inf gives each window's max of |x|, -inf its min.
        kernel_size: int or (kH, kW).
        stride: int or pair; None means kernel_size (windows side by side).
        ceil_mode: round the output size up (a last partial window), as PyTorch.
        name: the layer named in error messages.
    Shapes:
        y (N, C, H_out, W_out), H_out = floor((H - kH) / stride) + 1 (ceil with ceil_mode);
        y[n, c, i, j] = (sum over u < kH, v < kW of x[n, c, i*sH + u, j*sW + v]^p)^(1/p).

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.lp_pool2d(mc.tensor([[[[3.0, 4.0], [0.0, 0.0]]]]), 2, 2).tolist()   # sqrt(9 + 16)
    [[[[5.0]]]]
    """
    p = check_norm_type(name, norm_type)
    kernel, step, _ = check_pool_args(name, kernel_size, stride, 0)
    _check_pool_input(name, x, kernel, step, (0, 0), (1, 1), ceil_mode)
    if math.isinf(p):  # the limit of the norm: the largest |x| (p = inf) or the smallest
        if p > 0:
            return max_pool2d(abs(x), kernel, step, 0, 1, ceil_mode, name=name)
        return neg(max_pool2d(neg(abs(x)), kernel, step, 0, 1, ceil_mode, name=name))
    out = avg_pool2d(pow(x, p), kernel, step, 0, ceil_mode, name=name)
    # sign(out) * relu(|out|): out, with gradient 0 where out = 0 (the module docstring)
    return pow(mul(NonZeroSlope.apply(out), kernel[0] * kernel[1]), 1.0 / p)


@one_image_too(image_ndim=2)
def lp_pool1d(
    x: Tensor,
    norm_type: float,
    kernel_size: Any,
    stride: Any = None,
    ceil_mode: bool = False,
    *,
    name: str = "lp_pool1d",
) -> Tensor:
    """The p-norm of each window of a signal, as ``torch.nn.functional.lp_pool1d``:
    ``lp_pool2d`` of x (N, C, 1, L), the signal as an image one row high, with a (1, k) window.

    Args:
        x: Tensor (N, C, L), or one signal (C, L).
        norm_type: p, any non-zero number, inf and -inf included.
        kernel_size, stride: int or 1-tuple; stride None means kernel_size.
        ceil_mode: round the output length up (a last partial window), as PyTorch.
        name: the layer named in error messages.
    Shapes:
        y (N, C, L_out), L_out = floor((L - k) / stride) + 1 (ceil with ceil_mode);
        y[n, c, i] = (sum over u < k of x[n, c, i*stride + u]^p)^(1/p).

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.lp_pool1d(mc.tensor([[[3.0, 4.0, 1.0, 1.0]]]), 1, 2).tolist()   # sums of pairs
    [[[7.0, 2.0]]]
    """
    check_norm_type(name, norm_type)
    (k,), (s,), _ = check_pool_args(name, kernel_size, stride, 0, dims=1)
    _check_pool_input(name, x, (k,), (s,), (0,), (1,), ceil_mode)
    return _signal(lp_pool2d(_image(x), norm_type, (1, k), (1, s), ceil_mode, name=name))
