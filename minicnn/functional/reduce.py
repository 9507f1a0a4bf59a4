"""Reductions over dims: sum, mean, amax, amin, max and min as PyTorch has them, argmax and
argmin, logsumexp and norm (var and std: variance.py).

The gradient of a reduction spreads gy back over the elements that were
reduced: all of them equally for sum (mean divides by their count), only the
largest one(s) for amax, the one whose index it returns for max(x, dim).
"""

from __future__ import annotations

import math
import operator
from typing import Any, NamedTuple

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from . import basic, copying, pointwise
from .checks import check_flag, check_tensor, wrap_dim, wrap_dims


def _axes(ndim, dim, name="reduce"):
    """The sorted axes a reduction sums over; None, and as in PyTorch an empty tuple, mean all
    (NumPy's ``axis=()`` would reduce nothing)."""
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    if dim is None or not dims:
        return tuple(range(ndim))
    axes = tuple(sorted(wrap_dims(name, dims, ndim)))
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
        # integers and bools sum in int64, as PyTorch's (NumPy's uint8 sum is uint64); a float sum
        # past the dtype's range is inf (inf - inf NaN), silently as PyTorch's
        with np.errstate(over="ignore", invalid="ignore"):
            return x.sum(axis=axes, keepdims=keepdim, dtype="int64" if x.dtype.kind in "biu" else None)

    def backward(self, gy):
        return self.xp.broadcast_to(_keep(gy, self.shape, self.axes), self.shape).copy()


class Mean(Function):
    """y = sum of x over axes / n.   gx = gy / n broadcast back."""

    def forward(self, x, *, axes, keepdim):
        self.shape, self.axes = x.shape, axes
        self.n = 1
        for a in axes:
            self.n *= x.shape[a]
        if self.n == 0:  # NOTE: 0 / 0, NaN, as PyTorch, without NumPy's "Mean of empty slice" warning
            return backend.xp_of(x).full(x.sum(axis=axes, keepdims=keepdim).shape, np.nan, dtype=x.dtype)
        return x.mean(axis=axes, keepdims=keepdim)

    def backward(self, gy):
        if self.n == 0:  # x holds nothing: its gradient is empty
            return self.xp.zeros(self.shape, dtype=gy.dtype)
        g = _keep(gy, self.shape, self.axes) / self.n
        return self.xp.broadcast_to(g, self.shape).astype(gy.dtype)


class Max(Function):
    """y = max of x over axes.   gx = gy shared equally by the elements equal to the max."""

    reduce = "max"

    def forward(self, x, *, axes, keepdim, whole=False):
        self.x, self.axes, self.whole = x, axes, whole
        y = getattr(x, self.reduce)(axis=axes, keepdims=True)
        self.y = y
        return y if keepdim else y.reshape([n for i, n in enumerate(y.shape) if i not in axes])

    def backward(self, gy):
        # NOTE: ties split the gradient evenly (PyTorch's amax rule), so the
        # sum of gx still equals gy and finite differences agree off the ties
        hit = self.x == self.y
        if self.whole and backend.xp_of(self.y).isnan(self.y).all():
            hit = backend.xp_of(self.x).isnan(self.x)  # max() of all is a NaN: as PyTorch, its NaNs share gy
        count = hit.sum(axis=self.axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):  # a NaN max has no ties: NaN, as PyTorch
            return (hit * (_keep(gy, self.x.shape, self.axes) / count)).astype(gy.dtype)


class Min(Max):
    """y = min of x over axes.   gx = gy shared equally by the elements equal to the min."""

    reduce = "min"


def _reduce(cls, x, dim, keepdim, axis, name=None):
    name = name or cls.__name__.lower()
    check_flag(name, "keepdim", keepdim)  # (1 or "yes" was read by truthiness; PyTorch refuses it)
    dim = axis if dim is None else dim
    axes = _axes(x.ndim, dim, name)
    if cls in (Max, Min):
        check_not_empty(name, x, axes, whole=dim is None)
    return cls.apply(x, axes=axes, keepdim=keepdim)


def check_not_empty(name, x, axes, whole=False):
    """A largest or smallest value of nothing does not exist (a sum of nothing is 0): refuse a
    reduction over a dim of size 0, in PyTorch's terms, before NumPy's own error."""
    empty = [a for a in axes if x.shape[a] == 0]
    if whole and x.ndim and empty:
        raise RuntimeError(
            f"{name}: x of shape {tuple(x.shape)} holds no values; give a dim of nonzero size to reduce"
        )
    if empty:
        raise IndexError(
            f"{name}: dim {empty[0]} of x, shape {tuple(x.shape)}, has size 0: nothing to reduce"
        )


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, axis: Any = None) -> Tensor:
    """Sum over ``dim`` (an int, a tuple, or None for all); ``axis`` is accepted too. With
    keepdim=True and no dim every dim is kept, of size 1 (PyTorch asks for ``dim=None`` to be
    written out there). (Shadows the builtin inside this module, as ``torch.sum`` does.)"""
    return _reduce(Sum, x, dim, keepdim, axis)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, axis: Any = None) -> Tensor:
    """Mean over ``dim`` (an int, a tuple, or None for all); ``axis`` is accepted too; keepdim
    as ``sum``'s. Floats only, as in PyTorch: ``(pred == y).float().mean()`` for an accuracy."""
    _check_floating("mean", x)
    return _reduce(Mean, x, dim, keepdim, axis)


def _check_floating(name: str, x: Tensor) -> None:
    if x.dtype.kind != "f":
        raise TypeError(
            f"{name}: expected a floating-point tensor, got {x.dtype} (NumPy would pick float64); "
            f"convert it first, e.g. x.float().{name}()"
        )


def amax(x: Tensor, dim: Any = None, keepdim: bool = False, axis: Any = None) -> Tensor:
    """Largest value over ``dim`` (an int, a tuple, or None for all); ties share the gradient."""
    return _reduce(Max, x, dim, keepdim, axis, "amax")


def amin(x: Tensor, dim: Any = None, keepdim: bool = False, axis: Any = None) -> Tensor:
    """Smallest value over ``dim``; ties share the gradient, as ``amax``."""
    return _reduce(Min, x, dim, keepdim, axis, "amin")


class MaxResult(NamedTuple):
    """What max(x, dim) returns, as PyTorch's: it unpacks, as in _, pred = out.max(1)."""

    values: Tensor
    indices: Tensor


class MinResult(NamedTuple):
    """What min(x, dim) returns."""

    values: Tensor
    indices: Tensor


class ValueAt(Function):
    """y = x at ``index`` along ``dim`` (index: x's shape with dim of size 1).
    gx = gy at that index and 0 elsewhere: the whole gradient goes where the index points."""

    def forward(self, x, *, dim, index, keepdim):
        self.shape, self.dim, self.index = x.shape, dim, index
        y = backend.xp_of(x).take_along_axis(x, index, axis=dim)
        return y if keepdim else y.squeeze(axis=dim)

    def backward(self, gy):
        xp = backend.xp_of(gy)
        cells = xp.arange(self.shape[self.dim]).reshape(
            [-1 if i == self.dim else 1 for i in range(len(self.shape))]
        )
        gy = gy.reshape(self.index.shape)  # dim back as size 1 (a no-op with keepdim)
        return ((cells == self.index) * gy).astype(gy.dtype)


def _along(pick, result, name, x, dim, keepdim, axis):
    check_tensor(name, "x", x)
    check_flag(name, "keepdim", keepdim)
    dim = axis if dim is None else dim
    if dim is None:  # over everything, as torch.max(x): the value alone
        if keepdim:
            raise TypeError(f"{name}: keepdim=True needs a dim (as PyTorch); use a{name} to keep every dim")
        cls = Max if pick == "argmax" else Min
        check_not_empty(name, x, tuple(range(x.ndim)), whole=True)
        return cls.apply(x, axes=tuple(range(x.ndim)), keepdim=keepdim, whole=True)
    if isinstance(dim, (tuple, list, bool)):
        raise TypeError(f"{name}: dim must be one int, got {dim!r}; for several dims use a{name}")
    dim = wrap_dim(name, operator.index(dim), x.ndim)
    if x.ndim:
        check_not_empty(name, x, (dim,))
    if x.ndim == 0:  # as PyTorch: the value itself, at index 0
        return result(copying.clone(x), Tensor(backend.xp_of(x.data).zeros((), dtype="int64")))
    # the first largest (smallest) value, or the first NaN, as PyTorch's CPU kernels pick
    index = backend.xp_of(x.data).expand_dims(getattr(x.data, pick)(axis=dim), dim)
    values = ValueAt.apply(x, dim=dim, index=index, keepdim=keepdim)
    return result(values, Tensor(index if keepdim else index.squeeze(axis=dim)))


def max(x: Tensor, dim: Any = None, keepdim: bool = False, axis: Any = None) -> Any:
    """The largest value: of everything (a Tensor), or along one ``dim`` as PyTorch's
    ``torch.max(x, dim)``, a pair (values, indices) whose gradient goes to those indices;
    given a Tensor in place of ``dim``, the elementwise ``maximum`` of the two, as torch.max(a, b).

    >>> import minicnn as mc
    >>> _, pred = mc.tensor([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1]]).max(1)
    >>> pred.tolist()
    [1, 0]
    """
    if isinstance(dim, Tensor):
        return pointwise.maximum(x, dim)
    return _along("argmax", MaxResult, "max", x, dim, keepdim, axis)


def min(x: Tensor, dim: Any = None, keepdim: bool = False, axis: Any = None) -> Any:
    """The smallest value: of everything, or along one ``dim`` a pair (values, indices); given
    a Tensor in place of ``dim``, the elementwise ``minimum`` of the two."""
    if isinstance(dim, Tensor):
        return pointwise.minimum(x, dim)
    return _along("argmin", MinResult, "min", x, dim, keepdim, axis)


def gives_pair(args, kwargs):
    """Whether max(*args, **kwargs) (or min) gives a pair (values, indices): a dim is given, and
    it is no Tensor (max(a, b) is maximum); out= is then a pair too (out_arg.py)."""
    dim = args[1] if len(args) > 1 else kwargs.get("dim", kwargs.get("axis"))
    return dim is not None and not isinstance(dim, Tensor)


def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Index of the largest value along ``dim`` (one int), or in the flattened tensor (no
    dim), as ``torch.argmax``: the first one where several tie, int64, with no gradient.

    >>> import minicnn as mc
    >>> mc.argmax(mc.tensor([[0.1, 0.9], [0.8, 0.2]]), dim=1).tolist()
    [1, 0]
    """
    return _arg("argmax", input, dim, keepdim)


def argmin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest value along ``dim``, or in the flattened tensor, as ``torch.argmin``."""
    return _arg("argmin", input, dim, keepdim)


def _arg(name, x, dim, keepdim):
    check_tensor(name, "input", x)
    check_flag(name, "keepdim", keepdim)
    if x.dtype == np.bool_:  # (NumPy would take it: the first True)
        raise TypeError(
            f"{name}: expected a number tensor, got bool, as PyTorch; x.int().{name}() for the first True"
        )
    dim = None if dim is None else wrap_dim(name, dim, x.ndim)
    check_not_empty(name, x, range(x.ndim) if dim is None else (dim,), whole=dim is None)
    return Tensor(getattr(x.data, name)(axis=dim, keepdims=keepdim).astype(np.int64, copy=False))


class LogSumExp(Function):
    """y = log sum_k exp(x_k), computed as m + log sum_k exp(x_k - m) with m = max_k x_k.
    gx = gy exp(x - y): the softmax of x over the reduced axes."""

    def forward(self, x, *, axes, keepdim):
        xp = backend.xp_of(x)
        kept = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
        # NOTE: the max subtracted for stability: exp(1000) overflows, exp(1000 - 1000) does
        # not; an infinite max is taken as 0, where x - m would be inf - inf = NaN (PyTorch's rule)
        m = x.max(axis=axes, keepdims=True) if x.size else xp.zeros(kept, dtype=x.dtype)
        m = xp.where(xp.isinf(m), x.dtype.type(0), m)
        with np.errstate(divide="ignore"):  # log(0) = -inf: every x_k is -inf, or there are none
            self.y = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        self.x, self.axes = x, axes
        return self.y if keepdim else self.y.reshape([n for i, n in enumerate(kept) if i not in axes])

    def backward(self, gy):
        with np.errstate(invalid="ignore"):  # -inf - (-inf): NaN, as PyTorch
            return self.xp.exp(self.x - self.y) * _keep(gy, self.x.shape, self.axes)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``dim`` (an int or a tuple), computed without overflow by
    subtracting the max first, as ``torch.logsumexp``; integers give float32.

    >>> import minicnn as mc
    >>> round(mc.logsumexp(mc.tensor([1000.0, 1000.0]), 0).item(), 4)  # exp(1000) alone overflows
    1000.6932
    """
    check_tensor("logsumexp", "input", input)
    check_flag("logsumexp", "keepdim", keepdim)
    x = basic.floating(input, "logsumexp")
    return LogSumExp.apply(x, axes=_axes(x.ndim, dim, "logsumexp"), keepdim=keepdim)


class Norm(Function):
    """y = ||x||_p over axes: sum |x| (p = 1), sqrt(sum x^2) (p = 2), max |x| (p = inf).
    gx = gy sign(x) (p = 1); gy x / y, and 0 where y = 0 (p = 2); gy sign(x) shared among the
    elements with |x| = y (p = inf, as amax shares it). At the zero vector every gx is 0,
    PyTorch's choice among the subgradients there."""

    def forward(self, x, *, p, axes, keepdim):
        xp = backend.xp_of(x)
        if p == 1:
            y = xp.abs(x).sum(axis=axes, keepdims=True)
        elif p == 2 and math.prod(x.shape[a] for a in axes) == 1:
            # NOTE: one value per norm is |x|, as PyTorch takes it, not sqrt(x^2), which
            # overflows past 1.8e19 in float32 (and 1.3e154 in float64)
            y = xp.abs(x)  # (its reduced dims are of size 1 already: keepdims' shape)
        elif p == 2:
            with np.errstate(over="ignore"):  # a square past the dtype's range: inf, as PyTorch
                y = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            y = xp.abs(x).max(axis=axes, keepdims=True)
        self.x, self.y, self.p, self.axes = x, y, p, axes
        return y if keepdim else y.reshape([n for i, n in enumerate(y.shape) if i not in axes])

    def backward(self, gy):
        xp, x, y = self.xp, self.x, self.y
        g = _keep(gy, x.shape, self.axes)
        sign = (x > 0).astype(x.dtype) - (x < 0)  # 0 at 0 and at NaN, as PyTorch's sign
        if self.p == 1:
            return g * sign
        if self.p == 2:
            with np.errstate(divide="ignore", invalid="ignore"):  # x / 0 at the zero vector, replaced by 0
                return xp.where(y == 0, gy.dtype.type(0), x / y * g)
        hit = (xp.abs(x) == y) | xp.isnan(x)
        return (sign * hit * (g / hit.sum(axis=self.axes, keepdims=True))).astype(gy.dtype)


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """The vector p-norm (sum |x|^p)^(1/p) over ``dim`` (an int, a tuple, or None for all
    elements), as ``torch.norm``: p = 1 (sum of |x|), 2 or "fro" (the default: the square root of the sum of
    squares, over all the given dims at once) or ``float("inf")`` (the largest |x|). Other p
    are not implemented. At the zero vector the gradient is 0, as in PyTorch.

    >>> import minicnn as mc
    >>> mc.norm(mc.tensor([[3.0, -4.0], [0.0, 0.0]]), dim=1).tolist()
    [5.0, 0.0]
    """
    check_tensor("norm", "input", input)
    _check_floating("norm", input)
    check_flag("norm", "keepdim", keepdim)
    if isinstance(p, bool) or p not in ("fro", 1, 2, math.inf):
        raise ValueError(
            f"norm: p must be 1, 2, 'fro' or float('inf'), got {p!r} (other norms are not implemented)"
        )
    x = input if dtype is None else copying.cast(input, dtype)
    axes = _axes(x.ndim, dim, "norm")
    if p == math.inf and any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"norm: the inf norm (a max) of an empty dim has no value; x has shape {x.shape}")
    return Norm.apply(x, p=2 if p == "fro" else p, axes=axes, keepdim=keepdim)
