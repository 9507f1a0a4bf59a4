"""Padding layers, as PyTorch's: ZeroPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d
and CircularPad2d, each ``F.pad`` of its mode on the last two dims (W, then H), and their 1-D
twins ZeroPad1d ... CircularPad1d, the same on the last dim alone (a signal's L).

Reflection padding before a convolution keeps the border free of the artificial edge that
zeros make (style transfer and image-to-image nets use it); circular padding suits inputs
that wrap round, such as a panorama or a torus.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..functional.checks import check_real, ints
from ..tensor import Tensor
from .module import Module

_SIDES = {2: "2 ints (left, right)", 4: "4 ints (left, right, top, bottom)"}


def _amounts(name: str, padding: Any, n: int) -> tuple[int, ...]:
    """An int for all n sides, or n ints: (left, right, top, bottom), or (left, right) for the
    1-D layers (negative ones crop)."""
    return ints(padding, n, f"{name}: padding", _SIDES[n])


class _PadNd(Module):
    """F.pad(x, padding, mode) with padding = (left, right, top, bottom), or (left, right)
    where ``_sides`` is 2 (the 1-D layers)."""

    mode = "constant"
    _sides = 4

    def __init__(self, padding):
        super().__init__()
        self.padding = _amounts(type(self).__name__, padding, self._sides)

    def forward(self, x):
        return F.pad(x, self.padding, self.mode, name=self._label())

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    """F.pad(x, padding, "constant", value)."""

    def __init__(self, padding, value):
        super().__init__(padding)
        check_real(type(self).__name__, "value", value)
        self.value = value

    def forward(self, x):
        return F.pad(x, self.padding, "constant", self.value, name=self._label())

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _CircularPadNd(_PadNd):
    """F.pad(x, padding, "circular") of a batch or one sample only, as PyTorch's layers."""

    mode = "circular"

    def forward(self, x):
        ranks = (self._sides // 2 + 1, self._sides // 2 + 2)
        if isinstance(x, Tensor) and x.ndim not in ranks:
            raise ValueError(
                f"{self._label()}: expected {ranks[0]}D or {ranks[1]}D input (got {x.ndim}D input)"
            )
        return super().forward(x)


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``: y[..., i, j] = x[..., i - top, j - left] inside,
    ``value`` outside (a negative amount crops).

    Shapes: (*, H, W) -> (*, H + top + bottom, W + left + right).
    """


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


class ReflectionPad2d(_PadNd):
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


class ReplicationPad2d(_PadNd):
    """Pad H and W by repeating the edge pixels: ``[1, 2, 3]`` padded by 2 on the left is
    ``[1, 1, 1, 2, 3]``.

    Shapes: (N, C, H, W) or (C, H, W) -> H + top + bottom, W + left + right.
    """

    mode = "replicate"


class CircularPad2d(_CircularPadNd):
    """Pad H and W with the other end of the input, as if it wrapped round: ``[1, 2, 3]``
    padded by 2 on the left is ``[2, 3, 1, 2, 3]``. Each amount must be at most its dim.

    Shapes: (N, C, H, W) or (C, H, W) -> H + top + bottom, W + left + right.
    """


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``: y[..., i] = x[..., i - left] inside, ``value`` outside
    (a negative amount crops). ``padding``: an int for both ends, or (left, right).

    Shapes: (*, L) -> (*, L + left + right).

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> nn.ConstantPad1d((1, 2), 3.5)(mc.ones(1, 2)).tolist()
    [[3.5, 1.0, 1.0, 3.5, 3.5]]
    """

    _sides = 2


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros, the padding of ``Conv1d(padding=...)`` as a layer.

    Shapes: (*, L) -> (*, L + left + right).
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pad L with the mirror image of the signal, the edge value not repeated: ``[1, 2, 3]``
    padded by 2 on the left is ``[3, 2, 1, 2, 3]``. Each amount must be smaller than L.

    Shapes: (N, C, L) or (C, L) -> (N, C, L + left + right).

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> nn.ReflectionPad1d((2, 1))(mc.tensor([[1.0, 2.0, 3.0]])).tolist()
    [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    """

    mode = "reflect"
    _sides = 2


class ReplicationPad1d(_PadNd):
    """Pad L by repeating the edge values: ``[1, 2, 3]`` padded by 2 on the left is
    ``[1, 1, 1, 2, 3]``.

    Shapes: (N, C, L) or (C, L) -> (N, C, L + left + right).
    """

    mode = "replicate"
    _sides = 2


class CircularPad1d(_CircularPadNd):
    """Pad L with the other end of the signal, as if it wrapped round: ``[1, 2, 3]`` padded by
    2 on the left is ``[2, 3, 1, 2, 3]``. Each amount must be at most L.

    Shapes: (N, C, L) or (C, L) -> (N, C, L + left + right).
    """

    _sides = 2
