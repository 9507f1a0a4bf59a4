"""``x[index]`` and ``x[index] = value`` by PyTorch's rule, on NumPy's indexing.

PyTorch and NumPy differ on one point: an int is basic indexing in PyTorch (a select,
applied first), but counts as an advanced index in NumPy, which then moves the advanced
axes to the front when an int separates them from a list. ``x`` of shape (4, 5, 3):
``x[0, :, [0, 1]]`` is (5, 2) in PyTorch and (2, 5) in NumPy. So the index is split in
two: a basic part (ints, slices, None, a full slice where an array goes) that NumPy applies
as a view, then the advanced part (the arrays, a full slice elsewhere) on that view, where
NumPy's rule and PyTorch's agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..kernels.workspaces import new_zeros
from ..tensor import Function, Tensor
from .checks import as_int

_ALL = slice(None)


class GetItem(Function):
    """y = x[index]: ``x[basic]``, then ``advanced`` on that view.   gx = zeros with gy added
    at the indexed places."""

    def forward(self, x, *, basic=(), advanced=None):
        self.shape, self.dtype, self.basic, self.advanced = x.shape, x.dtype, basic, advanced
        y = x[basic + (Ellipsis,)]  # NOTE: the Ellipsis keeps even x[0, 0] a view, 0-d
        return y if advanced is None else y[advanced]

    def backward(self, gy):
        gx = new_zeros(self.shape, self.dtype, self.xp)
        view = gx[self.basic + (Ellipsis,)]  # writes into gx
        if self.advanced is None:
            view[...] = gy  # slices never repeat an element
        else:
            # NOTE: an integer array may name one element twice (x[[0, 0]]):
            # add.at sums both uses, where view[index] += gy would keep only one
            self.xp.add.at(view, self.advanced, gy)
        return gx


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]``, with PyTorch's meaning for every mix of ints, slices, None, ``...``,
    lists and int or bool tensors (see the module's docstring)."""
    basic, advanced = split_index("getitem", index, x.shape, backend.xp_of(x.data))
    return GetItem.apply(x, basic=basic, advanced=advanced)


def split_index(name: str, index: Any, shape: tuple, xp: Any) -> tuple[tuple, Any]:
    """``(basic, advanced)`` such that ``a[basic + (...,)][advanced]`` is PyTorch's
    ``a[index]`` for an array ``a`` of ``shape``; ``advanced`` is None where the index has
    no array. Bad indices raise an IndexError naming ``name``, before any indexing."""
    items = [_item(name, i, xp) for i in _as_tuple(index)]
    if sum(i is Ellipsis for i in items) > 1:
        raise IndexError(f"{name}: an index can only have a single ellipsis ('...'), got {index!r}")
    used = sum(_dims_used(i) for i in items)
    if used > len(shape):
        raise IndexError(f"{name}: too many indices for a tensor of dimension {len(shape)}: {used} given")
    basic: list = []  # the index of x, with a full slice for each axis an array indexes
    advanced: list = []  # the index of x[basic]: arrays, and a full slice on every other axis
    dim = 0  # the axis of x the next item indexes
    for i in items:
        if i is Ellipsis:
            basic += [_ALL] * (len(shape) - used)
            advanced += [_ALL] * (len(shape) - used)
            dim += len(shape) - used
        elif i is None or isinstance(i, slice):
            basic.append(i)
            advanced.append(_ALL)
            dim += i is not None
        elif isinstance(i, int):
            if not -shape[dim] <= i < shape[dim]:
                raise IndexError(
                    f"{name}: index {i} is out of bounds for dimension {dim} with size {shape[dim]}"
                )
            basic.append(i)
            dim += 1
        elif i.ndim == 0:  # a bool: a new axis of size 1, taken whole (True) or not at all
            basic.append(None)
            advanced.append(xp.zeros(int(bool(i)), dtype=np.int64))
        elif i.dtype == bool:
            sizes = tuple(shape[dim : dim + i.ndim])
            if i.shape != sizes:
                raise IndexError(
                    f"{name}: a mask of shape {i.shape} at dimension {dim} does not match the "
                    f"sizes {sizes} it indexes, of a tensor of shape {tuple(shape)}"
                )
            basic += [_ALL] * i.ndim
            advanced.append(i)
            dim += i.ndim
        else:
            _check_bounds(name, i, dim, shape[dim])
            basic.append(_ALL)
            advanced.append(i)
            dim += 1
    has_array = any(not isinstance(i, slice) for i in advanced)
    return tuple(basic), tuple(advanced) if has_array else None


def _as_tuple(index):
    """The index as a tuple of items. A short list holding a list, a tensor, a slice, None or
    ``...`` is a tuple too (``x[[[0, 1], [1, 2]]]`` is ``x[[0, 1], [1, 2]]``), as in PyTorch."""
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and len(index) < 32:
        if any(
            i is None or i is Ellipsis or isinstance(i, (list, tuple, slice, Tensor, np.ndarray))
            for i in index
        ):
            return tuple(index)
    return (index,)


def _item(name, i, xp):
    """One item of the index: None, ``...``, a slice, an int, or an int or bool array."""
    step = as_int(i.step) if isinstance(i, slice) else None
    if step is not None and step <= 0:  # NOTE: PyTorch's tensors have no negative strides to reverse with
        hint = "; to reverse an axis of n, index it with mc.arange(n - 1, -1, -1)" if step < 0 else ""
        raise ValueError(f"{name}: a slice's step must be greater than zero (as PyTorch), got {step}{hint}")
    if i is None or i is Ellipsis or isinstance(i, slice):
        return i
    if isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)):
        return int(i)
    a = i.data if isinstance(i, Tensor) else xp.asarray(i)
    if a.dtype.kind == "f" and a.size == 0:  # [] is an empty list of indices
        a = a.astype(np.int64)
    if a.dtype.kind not in "iub":
        raise IndexError(f"{name}: tensors used as indices must be integer or bool, got {a.dtype}")
    if a.ndim == 0 and a.dtype != bool:
        return int(a)  # a 0-d integer tensor is an int, as in PyTorch
    return a


def _dims_used(i):
    """How many axes of x the item indexes."""
    if i is None or i is Ellipsis:
        return 0
    if isinstance(i, (int, slice)):
        return 1
    return i.ndim if i.dtype == bool else 1


def _check_bounds(name, a, dim, n):
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < -n or hi >= n:
            bad = hi if hi >= n else lo
            raise IndexError(f"{name}: index {bad} is out of bounds for dimension {dim} with size {n}")
