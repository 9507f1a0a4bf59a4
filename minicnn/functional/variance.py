"""Variance and standard deviation over dims, as PyTorch's ``var`` and ``std``: the
correction (Bessel's n - 1 by default) and PyTorch's values where it leaves no degrees of
freedom."""

from __future__ import annotations

import math
import warnings
from builtins import max as builtins_max
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .checks import check_flag
from .reduce import _axes, _check_floating, _keep


class Var(Function):
    """y = sum (x - m)^2 / max(n - correction, 0) over axes, m the mean.
    gx = 2 (x - m) gy / (n - correction) (m's own share sums to zero). Where n <= correction,
    PyTorch's values: y is inf (NaN for a constant x), and gx, over the whole tensor (no dim,
    or a 0-d x), gy * inf (NaN where x = m); along dims, the formula's: +-inf at n = correction,
    finite past it, where n - correction < 0. No values (n = 0): NaN.

    With ``root`` (std): y = sqrt(v) for that variance v, and v's gradient gy / (2 y), 0 where
    y = 0, as PyTorch's std: a spread of zero (a constant row) has no direction to grow in,
    and 0 keeps the gradient of the rest finite where 1 / (2 * 0) times the zero deviations
    would be NaN.

    The sums are taken in float64 (a float16 x's squares overflow, a float32 one's lose
    digits), of x less one of its own values per slice, k: x - m = (x - k) - mean(x - k), and
    a constant slice gives exactly 0, where sum(x) / n need not equal x (0.7 * 3 / 3). The
    root is taken in float64 too, before the cast down: float32 values of 1e20 have a
    variance of 1e40, past float32's range, and a std of 1e20, within it."""

    def forward(self, x, *, axes, keepdim, correction, whole, root=False):
        xp = backend.xp_of(x)
        n = math.prod(x.shape[a] for a in axes)
        self.shape, self.axes, self.dof = x.shape, axes, x.dtype.type(n - correction)
        self.gy_times_inf = whole and n - correction <= 0
        wide = x.astype(np.float64)
        k = wide[tuple(slice(0, 1) if a in axes else slice(None) for a in range(x.ndim))] if n else 0
        with np.errstate(divide="ignore", invalid="ignore"):  # d = 0 (or n = 0): inf or NaN, as PyTorch
            shifted = wide - k
            self.deviation = shifted - shifted.sum(axis=axes, keepdims=True) / n
            if self.gy_times_inf:  # NOTE: PyTorch's test is x == m, true at x = m = inf too
                self.at_mean = (self.deviation == 0) | (wide == wide.sum(axis=axes, keepdims=True) / n)
            y = (self.deviation * self.deviation).sum(axis=axes, keepdims=True)
            y = y / builtins_max(n - correction, 0) if n else xp.full_like(y, np.nan)
        self.root = xp.sqrt(y) if root else None  # (float64, with x's axes, for backward)
        y = y if self.root is None else self.root
        with np.errstate(over="ignore"):  # a float32 variance past 3.4e38 is inf, silently as PyTorch
            return (y if keepdim else y.squeeze(axis=axes)).astype(x.dtype)

    def backward(self, gy):
        gy = _keep(gy, self.shape, self.axes)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.root is not None:  # std: the variance's gradient first (1 / (2 * 0) is replaced by 0)
                gy = self.xp.where(self.root == 0, 0, gy / (2 * self.root))
            if self.gy_times_inf:  # NOTE: PyTorch's rule with no dim: the sign is gy's, not x - m's
                return (gy * self.xp.where(self.at_mean, np.nan, np.inf)).astype(self.dof.dtype)
            return (2 * self.deviation * (gy / self.dof)).astype(self.dof.dtype)


def var(
    x: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> Tensor:
    """Variance over ``dim``: sum (x - mean)^2 / (n - correction), n the count reduced.

    PyTorch's arguments and default: correction=1, the unbiased estimate (Bessel's n - 1);
    correction=0, or ``unbiased=False``, divides by n, as batch normalization does. Where
    n <= correction it warns and divides by 0, as PyTorch: inf, or NaN (one value, n = 1).
    """
    return _variance("var", x, dim, unbiased, keepdim, correction)


def _variance(name, x, dim, unbiased, keepdim, correction, root=False):
    _check_floating(name, x)
    check_flag(name, "keepdim", keepdim)
    if isinstance(dim, bool) and unbiased is None:  # PyTorch's other form: var(x, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise ValueError(f"{name}: give unbiased or correction, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    axes = _axes(x.ndim, dim, name)
    n = math.prod(x.shape[a] for a in axes)
    # PyTorch's backward has a rule of its own for the whole tensor, given as no dim (or x 0-d)
    whole = dim is None or (isinstance(dim, (tuple, list)) and not dim) or x.ndim == 0
    if n - correction <= 0:
        warnings.warn(
            f"{name}: degrees of freedom n - correction = {n} - {correction} <= 0 (PyTorch warns too); "
            "the result is inf or NaN",
            UserWarning,
            stacklevel=3,
        )
    return Var.apply(x, axes=axes, keepdim=keepdim, correction=correction, whole=whole, root=root)


def std(
    x: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> Tensor:
    """Standard deviation: sqrt(sum (x - mean)^2 / (n - correction)), the square root of
    ``var`` (same arguments), taken before the cast to x's dtype (float32 values of 1e20 have
    a std of 1e20 though their variance overflows); its gradient is
    gy (x - mean) / ((n - correction) std), and 0 where the spread is 0, as in PyTorch."""
    return _variance("std", x, dim, unbiased, keepdim, correction, root=True)
