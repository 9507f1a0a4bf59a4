"""Padding layers, as PyTorch's: ZeroPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d
and CircularPad2d, each ``F.pad`` of its mode on the last two dims (W, then H).

Reflection padding before a convolution keeps the border free of the artificial edge that
zeros make (style transfer and image-to-image nets use it); circular padding suits inputs
that wrap round, such as a panorama or a torus.
"""

from __future__ import annotations

import numbers
from typing import Any

from .. import functional as F
from ..functional.checks import check_real
from ..tensor import Tensor
from .module import Module


def _quadruple(name: str, padding: Any) -> tuple[int, int, int, int]:
    """An int for all four sides, or (left, right, top, bottom) as ints (negative ones crop)."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        return (int(padding),) * 4
    if (
        isinstance(padding, (tuple, list))
        and len(padding) == 4
        and all(isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in padding)
    ):
        return tuple(int(p) for p in padding)  # type: ignore[return-value]
    raise TypeError(f"{name}: padding must be an int or 4 ints (left, right, top, bottom), got {padding!r}")


class _Pad2d(Module):
    """F.pad(x, padding, mode) with padding = (left, right, top, bottom)."""

    mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _quadruple(type(self).__name__, padding)

    def forward(self, x):
        return F.pad(x, self.padding, self.mode, name=self._label())

    def extra_repr(self):
        return f"{self.padding}"


class ConstantPad2d(_Pad2d):
    """Pad the last two dims with ``value``: y[..., i, j] = x[..., i - top, j - left] inside,
    ``value`` outside (a negative amount crops).

    Shapes: (*, H, W) -> (*, H + top + bottom, W + left + right).
    """

    def __init__(self, padding, value):
        super().__init__(padding)
        check_real(type(self).__name__, "value", value)
        self.value = value

    def forward(self, x):
        return F.pad(x, self.padding, "constant", self.value, name=self._label())

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros, the padding of ``Conv2d(padding=...)`` as a layer.

    Shapes: (*, H, W) -> (*, H + top + bottom, W + left + right).

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> nn.ZeroPad2d((1, 0, 0, 1))(mc.ones(1, 1, 1, 2)).tolist()
    [[[[0.0, 1.0, 1.0], [0.0, 0.0, 0.0]]]]
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad2d(_Pad2d):
    """Pad H and W with the mirror image of the input, the edge pixel not repeated:
    ``[1, 2, 3]`` padded by 2 on the left is ``[3, 2, 1, 2, 3]``. Each amount must be smaller
    than its dim.

    Shapes: (N, C, H, W) or (C, H, W) -> H + top + bottom, W + left + right.

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> nn.ReflectionPad2d((2, 0, 0, 0))(mc.tensor([[[1.0, 2.0, 3.0]]])).tolist()
    [[[3.0, 2.0, 1.0, 2.0, 3.0]]]
    """

    mode = "reflect"


class ReplicationPad2d(_Pad2d):
    """Pad H and W by repeating the edge pixels: ``[1, 2, 3]`` padded by 2 on the left is
    ``[1, 1, 1, 2, 3]``.

    Shapes: (N, C, H, W) or (C, H, W) -> H + top + bottom, W + left + right.
    """

    mode = "replicate"


class CircularPad2d(_Pad2d):
    """Pad H and W with the other end of the input, as if it wrapped round: ``[1, 2, 3]``
    padded by 2 on the left is ``[2, 3, 1, 2, 3]``. Each amount must be at most its dim.

    Shapes: (N, C, H, W) or (C, H, W) -> H + top + bottom, W + left + right.
    """

    mode = "circular"

    def forward(self, x):
        if isinstance(x, Tensor) and x.ndim not in (3, 4):
            raise ValueError(f"{self._label()}: expected 3D or 4D input (got {x.ndim}D input)")
        return super().forward(x)
