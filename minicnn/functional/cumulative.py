"""Products and running sums: prod and cumsum, and the products of truth values, all and any.

The gradient of a product with respect to one factor is the product of all the others. The
quick way, y / x_i, divides by zero where a factor is 0, so ``Prod`` multiplies the running
products from both ends instead, which divides by nothing and is exact with any zeros.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .checks import check_flag, check_tensor, wrap_dim, wrap_dims
from .copying import cast
from .shape import reshape


def _integer_sum_dtype(x):
    """int64 for integers and bools, as PyTorch's prod and cumsum (NumPy's uint8 gives uint64)."""
    return "int64" if x.dtype.kind in "biu" else None


class Prod(Function):
    """y = x_1 x_2 ... x_n along ``dim``.
    gx_i = gy (x_1 ... x_{i-1}) (x_{i+1} ... x_n), the product of every factor but x_i: one
    zero gets gy times the product of the others and the rest 0; two zeros give 0 everywhere."""

    def forward(self, x, *, dim, keepdim):
        self.x, self.dim, self.keepdim = x, dim, keepdim
        return x.prod(axis=dim, keepdims=keepdim, dtype=_integer_sum_dtype(x))

    def backward(self, gy):
        xp = self.xp
        if self.x.shape[self.dim] == 0:  # an empty product is the constant 1
            return xp.zeros_like(self.x)
        x = xp.moveaxis(self.x, self.dim, -1)  # the factors along the last axis
        ones = xp.ones(x.shape[:-1] + (1,), dtype=x.dtype)
        # the running products before each factor, [1, x_1, x_1 x_2, ...], and after it
        before = xp.concatenate([ones, xp.cumprod(x[..., :-1], axis=-1)], axis=-1)
        after = xp.flip(xp.concatenate([ones, xp.cumprod(xp.flip(x, -1)[..., :-1], axis=-1)], axis=-1), -1)
        others = xp.moveaxis(before * after, -1, self.dim)
        return others * (gy if self.keepdim else xp.expand_dims(gy, self.dim))


class CumSum(Function):
    """y_i = x_1 + ... + x_i along ``dim``.   gx_i = gy_i + gy_{i+1} + ... + gy_n: x_i is a
    term of every y_j with j >= i, so its gradient is the running sum of gy from the far end."""

    def forward(self, x, *, dim):
        self.dim = dim
        return backend.xp_of(x).cumsum(x, axis=dim, dtype=_integer_sum_dtype(x))

    def backward(self, gy):
        xp, dim = self.xp, self.dim
        return xp.flip(xp.cumsum(xp.flip(gy, axis=dim), axis=dim), axis=dim)


def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The product of all elements, or along one ``dim`` (PyTorch's prod takes one int), in
    ``dtype`` when given; integers and bools multiply in int64, as PyTorch's. The gradient is
    right with zeros in the input (see ``Prod``).

    >>> import minicnn as mc
    >>> x = mc.tensor([[2.0, 0.0, 3.0], [1.0, 2.0, 4.0]], requires_grad=True)
    >>> y = x.prod(1)
    >>> y.tolist()
    [0.0, 8.0]
    >>> y.sum().backward()
    >>> x.grad.tolist()  # the lone zero's gradient is the product of the others
    [[0.0, 6.0, 0.0], [8.0, 4.0, 2.0]]
    """
    check_tensor("prod", "input", input)
    check_flag("prod", "keepdim", keepdim)
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, numbers.Integral)):
        raise TypeError(f"prod: dim must be one int, or None for all elements, got {dim!r}")
    if dim is None and keepdim:
        raise TypeError("prod: keepdim=True needs a dim (as PyTorch), one int")
    x = input if dtype is None else cast(input, dtype)
    if dim is None or x.ndim == 0:
        if dim is not None:
            wrap_dim("prod", int(dim), x.ndim)  # a 0-d tensor takes dims -1 and 0
        y = Prod.apply(reshape(x, -1), dim=0, keepdim=False)
        return reshape(y, (1,) * x.ndim) if keepdim else y
    return Prod.apply(x, dim=wrap_dim("prod", int(dim), x.ndim), keepdim=keepdim)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """The running sum along ``dim``: y_i = x_1 + ... + x_i, as ``torch.cumsum``, in ``dtype``
    when given; integers and bools add up in int64.

    >>> import minicnn as mc
    >>> mc.cumsum(mc.tensor([1, 2, 3, 4]), 0).tolist()
    [1, 3, 6, 10]
    """
    check_tensor("cumsum", "input", input)
    dim = wrap_dim("cumsum", dim, input.ndim)
    x = input if dtype is None else cast(input, dtype)
    if x.ndim == 0:
        return reshape(CumSum.apply(reshape(x, 1), dim=0), ())
    return CumSum.apply(x, dim=dim)


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # shadows the builtin, as torch.all
    """Whether every element is nonzero, over ``dim`` (an int, a tuple, or None for all; ``()``
    reduces none), as ``torch.all``: bool, or uint8 for a uint8 input, PyTorch's rule. No gradient.

    >>> import minicnn as mc
    >>> mc.tensor([[1, 0], [2, 3]], dtype=mc.uint8).all(1).tolist()
    [0, 1]
    """
    return _truth("all", input, dim, keepdim)


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # shadows the builtin, as torch.any
    """Whether some element is nonzero, over ``dim``, as ``all`` (uint8 for a uint8 input)."""
    return _truth("any", input, dim, keepdim)


def _truth(name, x, dim, keepdim):
    check_tensor(name, "input", x)
    check_flag(name, "keepdim", keepdim)
    axes = None if dim is None else wrap_dims(name, dim, x.ndim)
    y = getattr(x.data, name)(axis=axes if x.ndim else None, keepdims=keepdim)  # (0-d: dim 0 or -1)
    return Tensor(y.astype(np.uint8) if x.dtype == np.uint8 else y)
