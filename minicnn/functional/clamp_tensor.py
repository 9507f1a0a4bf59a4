"""``clamp`` with Tensors for bounds, as PyTorch's: x, min and max broadcast together, and
each gets the gradient where it is the output. (clamp() in basic.py checks the arguments and
comes here when a bound is a Tensor; numbers take its ``Clamp``.) A 0-d Tensor that needs no
gradient beside a number is read as a number, as PyTorch reads it.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..tensor import Function, Tensor
from . import basic
from .basic import unbroadcast
from .copying import cast
from .promotion import check_broadcast, refuse_float_mix, result_type


class ClampTensor(Function):
    """y = min(max(x, lo), hi), the three broadcast; a bound left out is None.
    As PyTorch: gx = gy where lo <= x <= hi, glo = gy where x < lo < hi, ghi = gy where
    x > hi or hi < lo (where lo > hi, y is hi), each summed back to its shape; NaN gives none."""

    def forward(self, x, lo, hi):
        xp = backend.xp_of(x)
        self.shapes = tuple(None if a is None else a.shape for a in (x, lo, hi))
        y = x if lo is None else xp.maximum(x, lo)  # NOTE: maximum and minimum keep NaN
        y = y if hi is None else xp.minimum(y, hi)
        need_x, need_lo, need_hi = self.needs_grad
        self.masks = (  # where each is the output (PyTorch's, ties included)
            (True if lo is None else x >= lo) & (True if hi is None else x <= hi) if need_x else None,
            (x < lo) & (True if hi is None else lo < hi) if need_lo else None,
            (x > hi) | (False if lo is None else hi < lo) if need_hi else None,
        )
        return y

    def backward(self, gy):
        zero = gy.dtype.type(0)
        return tuple(
            None if mask is None else unbroadcast(self.xp.where(mask, gy, zero), shape)
            for mask, shape in zip(self.masks, self.shapes)
        )


def read_mixed_bounds(name: str, min: Any, max: Any) -> tuple[Any, Any]:
    """(min, max), where a Tensor beside a number is read as a number if it is 0-d and needs no
    gradient, as PyTorch reads it; any other Tensor beside a number is refused (PyTorch takes
    either two Tensors or two numbers)."""
    if min is None or max is None or isinstance(min, Tensor) == isinstance(max, Tensor):
        return min, max
    t, side = (min, "min") if isinstance(min, Tensor) else (max, "max")
    if t.ndim or t.requires_grad:
        grad = " that requires grad" if t.requires_grad else ""
        raise TypeError(
            f"{name}: {side} is a Tensor of shape {t.shape}{grad} and the other bound a number; "
            "give both as Tensors or both as numbers, as PyTorch"
        )
    return min.item() if t is min else min, max.item() if t is max else max


def clamp_tensor(x: Tensor, min: Any, max: Any) -> Tensor:
    """clamp(x, min, max) where a bound is a Tensor (clamp() has checked that each is a number,
    a Tensor or None). The three meet in one dtype, ``result_type``'s of all three (a 0-d
    tensor counts where its category is higher); float tensors of two dtypes are refused
    first, except a 0-d one beside float tensors with dims, which takes their dtype."""
    min, max = read_mixed_bounds("clamp", min, max)
    if not isinstance(min, Tensor) and not isinstance(max, Tensor):
        return basic.clamp(x, min, max)
    given = [t for t in (x, min, max) if t is not None]
    check_broadcast("clamp", *[t.shape for t in given])
    refuse_float_mix("clamp", *given)
    dtype = result_type(*given)  # NOTE: of all three at once; pairwise, a 0-d x would count twice
    if (
        dtype.kind == "b" and min is not None and max is not None
    ):  # (PyTorch's clamp_min and clamp_max take it)
        raise TypeError("clamp: expected a number tensor among x, min and max, got three bools (as PyTorch)")
    x, min, max = (t if t is None or t.dtype == dtype else cast(t, dtype) for t in (x, min, max))
    return ClampTensor.apply(x, min, max)
