"""Tensor's in-place writes at an index: scatter_, scatter_add_, index_add_ and index_fill_.

Each writes what its out-of-place twin (index_writes.py) computes into x's own array and returns
x, under the rules of Tensor's other in-place methods (in_place_methods.py): only where no
gradient would be recorded (under ``mc.no_grad()``, or on a tensor that needs none), refused in
one line elsewhere, each change counted. The checks are the out-of-place ones, made before
anything is written: an index out of range leaves x as it was. As in PyTorch, src and source
have x's dtype; ``scatter_`` keeps the later of two values for one cell (in index's order),
``scatter_add_`` and ``index_add_`` sum them; ``index_fill_`` into an ``expand()`` view warns,
and the others refuse it (PyTorch: "more than one element of the written-to tensor refers to a
single memory location").

    one_hot = mc.zeros(4, 10).scatter_(1, labels[:, None], 1.0)      # labels (4,): int64
    counts = mc.zeros(10).scatter_add_(0, labels, mc.ones(4))         # labels counted
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..tensor import Tensor
from .checks import check_tensor
from .in_place_methods import _check_in_place, refuse_grad_operand
from .index_writes import (
    check_reduce,
    check_source,
    fill_tensor,
    index_slices,
    last_of_each,
    one_source,
    scatter_cells,
    scatter_reduced,
    src_array,
)
from .promotion import scalar_of


def _target(self: Tensor, name: str, instead: str, *, warn: bool = False) -> Any:
    """x's array, ready for the write (a 0-d one as a view of shape (1,)); ``warn``: a write
    into shared memory warns, naming the line that called x's method, instead of refused."""
    shared = "warn" if warn else "refuse"
    _check_in_place(self, name, f"write {instead}", shared=shared, stacklevel=5)  # (a frame deeper)
    return self.data if self.ndim else self.data.reshape(1)


def _values(self: Tensor, src: Tensor, block: tuple) -> Any:
    """src's elements that index reads, in its order, as an array of their own (src may be x)."""
    values = src.data[block].reshape(-1)
    return values.copy() if backend.xp_of(values).may_share_memory(values, self.data) else values


def _scatter_(
    self: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None, reduce: Any = None
) -> Tensor:
    """Write ``src`` (a tensor of x's dtype, or a number) at the cells ``index`` names along
    ``dim``, in place, as ``scatter``: ``x.scatter_(1, labels[:, None], 1.0)`` makes one-hot
    rows. A cell named twice keeps the later value in index's order; ``reduce='add'`` or
    ``'multiply'`` combines instead."""
    name, instead = "scatter_()", "x = x.scatter(dim, index, src)"
    check_tensor(name, "x", self)
    src = one_source(name, src, value)
    _, idx, at, block = scatter_cells(name, self, dim, index, src)
    src = src_array(name, self, src, idx)
    refuse_grad_operand(name, "src", src, instead)
    check_reduce(name, reduce)
    y = _target(self, name, instead)
    keep = None if reduce else last_of_each(at, y.shape)
    scatter_reduced(y, at, _values(self, src, block), reduce, keep)
    self._changed_in_place()
    return self


def _scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """Add each element of ``src`` at the cell ``index`` names along ``dim``, in place, as
    ``scatter_add`` (a cell named twice gets both)."""
    name, instead = "scatter_add_()", "x = x.scatter_add(dim, index, src)"
    check_tensor(name, "x", self)
    check_tensor(name, "src", src)
    _, idx, at, block = scatter_cells(name, self, dim, index, src)
    src = src_array(name, self, src, idx)
    refuse_grad_operand(name, "src", src, instead)
    scatter_reduced(_target(self, name, instead), at, _values(self, src, block), "add", None)
    self._changed_in_place()
    return self


def _index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """Add ``alpha * source``'s slices at the positions the 1-D ``index`` lists along ``dim``,
    in place, as ``index_add`` (repeats summed)."""
    name, instead = "index_add_()", "x = x.index_add(dim, index, source)"
    check_tensor(name, "x", self)
    dim, idx, at = index_slices(name, self, dim, index)
    check_source(name, self, dim, idx, source)
    refuse_grad_operand(name, "source", source, instead)
    alpha = scalar_of(name, "alpha", alpha, self.dtype)
    values = source.data.reshape(source.shape or (1,))
    values = alpha * values if alpha != 1 else values.copy()  # (an array of its own: source may be x)
    y = _target(self, name, instead)
    backend.xp_of(y).add.at(y, at, values)
    self._changed_in_place()
    return self


def _index_fill_(self: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """Write ``value`` (a number or a 0-d tensor, in x's dtype) into the slices at the
    positions ``index`` lists along ``dim``, in place, as ``index_fill`` (a negative index
    counts from the end)."""
    name, instead = "index_fill_()", "x = x.index_fill(dim, index, value)"
    check_tensor(name, "x", self)
    _, _, at = index_slices(name, self, dim, index, negative=True)
    refuse_grad_operand(name, "value", value, instead)
    value = fill_tensor(name, self, value)
    _target(self, name, instead, warn=True)[at] = value.data
    self._changed_in_place()
    return self


METHODS = {
    "scatter_": _scatter_,
    "scatter_add_": _scatter_add_,
    "index_add_": _index_add_,
    "index_fill_": _index_fill_,
}
for _name, _method in METHODS.items():
    setattr(Tensor, _name, _method)  # (by name: mypy cannot follow methods added to a class)
