"""PyTorch's short names for ops minicnn has: square, reciprocal, and clamp_min, clamp_max
and clip, the clamps with one bound named (``x.clamp_min(0)``) or ``clamp`` under NumPy's
name. Each gives what its in-place twin writes (in_place_math.py: ``x.square_()``), where
that twin's dtype rule lets it write at all.

``square`` is ``pow(x, 2)``, as PyTorch's is (its grad_fn is ``Pow`` there too); ``clamp_min``,
``clamp_max`` and ``clip`` are ``clamp``, with its gradient and its dtype rules, naming
themselves in their errors. ``reciprocal`` is a Function of its own, PyTorch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .basic import pow
from .checks import check_tensor
from .clamping import clamp
from .promotion import floating


class Reciprocal(Function):
    """y = 1 / x.   gx = -gy / x^2, computed as gy * -(y * y), PyTorch's order (y is at hand)."""

    def forward(self, x):
        with np.errstate(divide="ignore", over="ignore"):  # 1 / 0 is inf, as in PyTorch
            self.y = backend.xp_of(x).reciprocal(x)
        return self.y

    def backward(self, gy):
        with np.errstate(over="ignore", invalid="ignore"):  # y = inf: gy * -inf (NaN for gy = 0)
            return gy * -(self.y * self.y)


def square(input: Tensor) -> Tensor:
    """y = x^2, elementwise, as ``torch.square``; gx = 2 x gy. It is ``pow(input, 2)``, as
    PyTorch's (the gradient is Pow's, 2 x^1 gy, the same numbers).

    An integer input stays in its dtype (uint8 wraps round: 200^2 is 64, as PyTorch's), a bool
    one gives int64 (``x.square_()`` of a bool x is refused: int64 does not fit in bool).

    >>> import minicnn as mc
    >>> mc.square(mc.tensor([-2.0, 0.5])).tolist()
    [4.0, 0.25]
    >>> mc.tensor([True, False]).square().tolist()
    [1, 0]
    """
    check_tensor("square", "input", input)
    return pow(input, 2)


def reciprocal(input: Tensor) -> Tensor:
    """y = 1 / x, elementwise, as ``torch.reciprocal``; gx = -gy / x^2.

    An integer or bool input gives float32, as PyTorch's (``x.reciprocal_()`` of one is
    refused: float32 does not fit in an integer x). 1 / 0 is inf, 1 / -0.0 is -inf.

    >>> import minicnn as mc
    >>> mc.reciprocal(mc.tensor([2.0, -0.5])).tolist()
    [0.5, -2.0]
    >>> mc.tensor([4, 0]).reciprocal().tolist()
    [0.25, inf]
    """
    check_tensor("reciprocal", "input", input)
    return Reciprocal.apply(floating(input, "reciprocal"))


def clamp_min(input: Tensor, min: Any) -> Tensor:
    """y = max(x, min), as ``torch.clamp_min``: ``clamp(input, min=min)``, its gradient (gy
    where x > min; with a Tensor bound, shared at a tie) and its dtype rules (an integer input
    and a float bound give float32, a bool input and an int bound int64).

    Args:
        input: Tensor.
        min: a number, or a Tensor broadcast with input.

    >>> import minicnn as mc
    >>> mc.clamp_min(mc.tensor([-1.0, 0.5, 2.0]), 0.0).tolist()
    [0.0, 0.5, 2.0]
    """
    return _one_bound("clamp_min", input, min, None)


def clamp_max(input: Tensor, max: Any) -> Tensor:
    """y = min(x, max), as ``torch.clamp_max``: ``clamp(input, max=max)``, with its gradient
    (gy where x < max; with a Tensor bound, shared at a tie) and its dtype rules.

    Args:
        input: Tensor.
        max: a number, or a Tensor broadcast with input.

    >>> import minicnn as mc
    >>> mc.clamp_max(mc.tensor([-1.0, 0.5, 2.0]), 1.0).tolist()
    [-1.0, 0.5, 1.0]
    """
    return _one_bound("clamp_max", input, None, max)


def clip(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Clip to [min, max]: ``clamp``'s other name, as ``torch.clip``, with its gradient and
    dtype rules; at least one bound is given.

    >>> import minicnn as mc
    >>> mc.clip(mc.tensor([-1.0, 0.5, 2.0]), 0.0, 1.0).tolist()
    [0.0, 0.5, 1.0]
    """
    check_tensor("clip", "input", input)
    return clamp(input, min, max, name="clip")


def _one_bound(name: str, input: Tensor, min: Any, max: Any) -> Tensor:
    check_tensor(name, "input", input)
    if min is None and max is None:  # (PyTorch: "received an invalid combination of arguments")
        side = "min" if name == "clamp_min" else "max"
        raise TypeError(f"{name}: {side} must be a number or a Tensor, got None")
    return clamp(input, min, max, name=name)
