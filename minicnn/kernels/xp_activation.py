"""Activation kernels of the xp tier: ReLU's forward and its backward mask, on ``xp`` (NumPy or CuPy)."""

import numpy as np

from .. import backend
from ..backend import Array
from . import threads


def relu_forward(x: Array) -> Array:
    """y = max(x, 0): NaN stays NaN, -0.0 becomes +0 (NumPy's maximum, as the tests check;
    CuPy's is not tested here). An array, 0-d included (a ufunc gives a 0-d input a scalar).

    NumPy runs a ufunc on one core; threads.elementwise(f, ...) is f(...) in slices over threads.
    """
    xp = backend.xp_of(x)
    return xp.asarray(threads.elementwise(xp.maximum, x, 0))


def relu_input_grad(gy: Array, y: Array) -> Array:
    """gx = gy where y = max(x, 0) is not 0, else +0.

    NOTE: ``y != 0`` rather than ``y > 0``: the two differ only where x is NaN, and there
    PyTorch passes the gradient through (its mask is y <= 0, false for NaN). Split over
    threads as the forward's maximum (threads.elementwise).
    """
    return threads.elementwise(_gy_where_y_nonzero, gy, y)


def _gy_where_y_nonzero(gy, y, out=None):
    """A selection made on the bits: each float ANDed with a word of all ones (keep gy) or
    all zeros (+0.0).

    NOTE: not gy * (y != 0), which gives NaN where gy is inf or NaN at a dead unit (and -0.0
    for a negative gy), where PyTorch gives 0; and not xp.where, which branches on a mask of
    random signs, several times slower than this (benchmarks/README.md, "ReLU's backward").
    """
    xp = backend.xp_of(gy)
    bits = np.dtype(f"u{gy.itemsize}")  # an unsigned integer as wide as gy's floats
    keep = xp.asarray(y != 0, dtype=bits)
    xp.negative(keep, out=keep)  # 1 -> all ones, 0 -> 0
    if out is None:
        out = xp.empty_like(gy)
    xp.bitwise_and(gy.view(bits), keep, out=out.view(bits))  # same width: a view of any layout
    return out
