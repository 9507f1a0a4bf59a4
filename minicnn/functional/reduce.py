"""Reductions over dims: sum, mean, max, min.

The gradient of a reduction spreads gy back over the elements that were
reduced: all of them equally for sum (mean divides by their count), only the
largest one(s) for max.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Function, Tensor
from .checks import wrap_dim


def _axes(ndim, dim, name="reduce"):
    if dim is None:
        return tuple(range(ndim))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    axes = tuple(sorted(wrap_dim(name, d, ndim) for d in dims))
    return axes if ndim else ()


def _keep(gy, shape, axes):
    """gy with the reduced axes put back as size 1, ready to broadcast over x."""
    kept = list(shape)
    for a in axes:
        kept[a] = 1
    return gy.reshape(kept)


class Sum(Function):
    """y = sum of x over axes.   gx = gy broadcast back over those axes."""

    def forward(self, x, *, axes, keepdim):
        self.shape, self.axes = x.shape, axes
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(self, gy):
        return self.xp.broadcast_to(_keep(gy, self.shape, self.axes), self.shape).copy()


class Mean(Function):
    """y = sum of x over axes / n.   gx = gy / n broadcast back."""

    def forward(self, x, *, axes, keepdim):
        self.shape, self.axes = x.shape, axes
        self.n = 1
        for a in axes:
            self.n *= x.shape[a]
        return x.mean(axis=axes, keepdims=keepdim)

    def backward(self, gy):
        g = _keep(gy, self.shape, self.axes) / self.n
        return self.xp.broadcast_to(g, self.shape).astype(gy.dtype)


class Max(Function):
    """y = max of x over axes.   gx = gy shared equally by the elements equal to the max."""

    reduce = "max"

    def forward(self, x, *, axes, keepdim):
        self.x, self.axes = x, axes
        y = getattr(x, self.reduce)(axis=axes, keepdims=True)
        self.y = y
        return y if keepdim else y.reshape([n for i, n in enumerate(y.shape) if i not in axes])

    def backward(self, gy):
        # NOTE: ties split the gradient evenly (PyTorch's amax rule), so the
        # sum of gx still equals gy and finite differences agree off the ties
        hit = self.x == self.y
        count = hit.sum(axis=self.axes, keepdims=True)
        return (hit * (_keep(gy, self.x.shape, self.axes) / count)).astype(gy.dtype)


class Min(Max):
    """y = min of x over axes.   gx = gy shared equally by the elements equal to the min."""

    reduce = "min"


def _reduce(cls, x, dim, keepdim, axis):
    dim = axis if dim is None else dim
    return cls.apply(x, axes=_axes(x.ndim, dim, cls.__name__.lower()), keepdim=keepdim)


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, axis: Any = None) -> Tensor:
    """Sum over ``dim`` (an int, a tuple, or None for all); ``axis`` is accepted too.
    (Shadows the builtin inside this module, as ``torch.sum`` does.)"""
    return _reduce(Sum, x, dim, keepdim, axis)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, axis: Any = None) -> Tensor:
    """Mean over ``dim`` (an int, a tuple, or None for all); ``axis`` is accepted too."""
    return _reduce(Mean, x, dim, keepdim, axis)


def max(x: Tensor, dim: Any = None, keepdim: bool = False, axis: Any = None) -> Tensor:
    """Largest value over ``dim``.

    Unlike ``torch.max(x, dim)``, this returns the values only, not a
    (values, indices) pair; use ``x.argmax(dim)`` for the indices.
    """
    return _reduce(Max, x, dim, keepdim, axis)


def min(x: Tensor, dim: Any = None, keepdim: bool = False, axis: Any = None) -> Tensor:
    """Smallest value over ``dim``; values only, as ``max``."""
    return _reduce(Min, x, dim, keepdim, axis)
