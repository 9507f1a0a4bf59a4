"""``clamp``: x clipped to [min, max], as PyTorch's. The bounds are numbers (``Clamp``), or
Tensors that broadcast with x (``ClampTensor``), where each of the three gets the gradient where
it is the output. ``clamp()`` checks the arguments and picks one; a 0-d Tensor that needs no
gradient beside a number is read as a number, as PyTorch reads it.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .basic import unbroadcast
from .copying import cast
from .promotion import check_broadcast, floating, is_bool, refuse_float_mix, result_type, scalar_of


class Clamp(Function):
    """y = min(max(x, lo), hi).   gx = gy where lo < x < hi, else 0 (PyTorch 2.14's: relu's corner)."""

    def forward(self, x, *, min, max):
        xp = backend.xp_of(x)
        self.mask = xp.ones(x.shape, dtype=bool)
        if min is not None:
            self.mask &= x > min
        if max is not None:
            self.mask &= x < max
        if x.dtype.kind in "fiu":  # (an integer x meets integer bounds only: clamp() saw to it)
            # NOTE: a NumPy float64 bound would make a float32 x float64, an int64 one int16 int64
            min, max = (None if v is None else x.dtype.type(v) for v in (min, max))
        y = xp.clip(x, min, max)  # NOTE: at a tie of 0.0 and -0.0, x's sign, as PyTorch (NumPy: the bound's)
        return xp.where(y == x, x, y) if x.dtype.kind == "f" and 0 in (min, max) else y

    def backward(self, gy):
        return gy * self.mask


class ClampTensor(Function):
    """y = min(max(x, lo), hi), the three broadcast; a bound left out is None. Each gets the
    gradient where it is the output, with PyTorch's (2.14) rules for the corners:

        NaN in x, lo or hi     y is NaN          gx = gy (and the one bound's, if one),
                                                 but 0 where x < lo or x > hi (a NaN hi
                                                 beside x < lo, a NaN lo beside x > hi)
        lo > hi                y = hi            ghi = gy
        x < lo  (x > hi)       y = lo  (hi)      glo = gy  (ghi = gy)
        lo < x < hi            y = x             gx = gy
        x == lo < hi           a tie             gx = glo = gy / 2   (x == hi > lo alike)
        x == lo == hi          y = x             gx = gy

    each summed back to its shape. A tie is split as maximum's and minimum's are."""

    def forward(self, x, lo, hi):
        xp = backend.xp_of(x)
        self.shapes = tuple(None if a is None else a.shape for a in (x, lo, hi))
        y = x if lo is None else xp.maximum(x, lo)  # NOTE: maximum and minimum keep NaN
        y = y if hi is None else xp.minimum(y, hi)
        if any(self.needs_grad):
            self.shares = _shares(xp, x, lo, hi, y.dtype)
        return y

    def backward(self, gy):
        return tuple(
            None if share is None or not need else unbroadcast(gy * share, shape)
            for share, need, shape in zip(self.shares, self.needs_grad, self.shapes)
        )


def _shares(xp, x, lo, hi, dtype):
    """(x's, lo's, hi's) share of the gradient, each 0, 1/2 or 1 (None for a bound left out)."""
    no = xp.zeros(xp.broadcast_shapes(*(a.shape for a in (x, lo, hi) if a is not None)), dtype=bool)
    nan = no | xp.isnan(x)
    for b in (lo, hi):
        nan = nan if b is None else nan | xp.isnan(b)
    crossed = no if lo is None or hi is None else lo > hi  # (False where either is NaN)
    below, at_lo = (no, no) if lo is None else (x < lo, x == lo)
    above, at_hi = (no, no) if hi is None else (x > hi, x == hi)
    ok = ~nan & ~crossed
    both = at_lo & at_hi  # x == lo == hi: x's alone
    half_lo, half_hi = ok & at_lo & ~both, ok & at_hi & ~both
    inside = ok & ~below & ~above & ~at_lo & ~at_hi
    half = dtype.type(0.5)
    # NOTE: x < lo and x > hi are False where a NaN meets them: x outside its number bound
    # gets nothing though the other bound is NaN, as PyTorch's
    to_x = ((nan & ~below & ~above) | (ok & both) | inside).astype(dtype) + half * (half_lo | half_hi)
    # NOTE: with one bound, a NaN's gradient goes to x and to the bound, both whole, as
    # maximum's and minimum's do; with two, to x alone
    one = nan if lo is None or hi is None else no
    to_lo = None if lo is None else (one | (ok & below)).astype(dtype) + half * half_lo
    to_hi = None if hi is None else (one | crossed | (ok & above)).astype(dtype) + half * half_hi
    return to_x, to_lo, to_hi


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


def clamp_tensor(x: Tensor, min: Any, max: Any, name: str = "clamp") -> Tensor:
    """clamp(x, min, max) where a bound is a Tensor (clamp() has checked that each is a number,
    a Tensor or None). The three meet in one dtype, ``result_type``'s of all three (a 0-d
    tensor counts where its category is higher); float tensors of two dtypes are refused
    first, except a 0-d one beside float tensors with dims, which takes their dtype. ``name``:
    the op the errors name."""
    min, max = read_mixed_bounds(name, min, max)
    if not isinstance(min, Tensor) and not isinstance(max, Tensor):
        return clamp(x, min, max, name=name)
    given = [t for t in (x, min, max) if t is not None]
    check_broadcast(name, *[t.shape for t in given])
    refuse_float_mix(name, *given)
    dtype = result_type(*given)  # NOTE: of all three at once; pairwise, a 0-d x would count twice
    if (
        dtype.kind == "b" and min is not None and max is not None
    ):  # (PyTorch's clamp_min and clamp_max take it)
        raise TypeError(
            f"{name}: expected a number tensor among x, min and max, got three bools (as PyTorch)"
        )
    x, min, max = (t if t is None or t.dtype == dtype else cast(t, dtype) for t in (x, min, max))
    return ClampTensor.apply(x, min, max)


def clamp(x: Tensor, min: Any = None, max: Any = None, *, name: str = "clamp") -> Tensor:
    """Clip to [min, max]. With number bounds the gradient passes where x is strictly inside; with
    Tensor bounds (broadcast, as PyTorch's) each of the three gets it where it is the output, a
    tie split in half. A Tensor beside a number must be 0-d and need no gradient (it is read as
    the number); a NumPy array is refused (``mc.tensor(array)`` makes it a Tensor). ``name``:
    the op the errors name (``clamp_min``, ``clip``: shorthands.py)."""
    if min is None and max is None:
        raise ValueError(f"{name}: at least one of min and max must be given")
    for side, v in (("min", min), ("max", max)):
        if v is not None and not isinstance(v, (Tensor, numbers.Real, np.bool_)):
            raise TypeError(f"{name}: {side} must be a number or a Tensor, got {type(v).__name__}")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return clamp_tensor(x, min, max, name)
    if x.dtype == bool and all(v is None or is_bool(v) for v in (min, max)):
        raise TypeError(
            f"{name}: expected a number tensor or a number bound, got bool x and bool bounds (as PyTorch)"
        )
    if x.dtype.kind != "f" and any(isinstance(v, (float, np.floating)) for v in (min, max)):
        x = floating(x, name)  # an integer tensor clamped to a float bound: float32, as PyTorch
    elif x.dtype == bool:
        x = Tensor(x.data.astype(np.int64))  # a bool one to an int bound: int64, as PyTorch
    # as PyTorch: each bound in x's dtype, refused where it cannot hold it (uint8: -1 is 255)
    lo, hi = (
        None if v is None else scalar_of(name, side, v, x.dtype) for side, v in (("min", min), ("max", max))
    )
    return Clamp.apply(x, min=lo, max=hi)
