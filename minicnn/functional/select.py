"""Selection by index: gather, index_select, masked_fill, sort, argsort and topk.

Each output element is a copy of one input element, read at a place an index names, so every
backward is the one of ``x[index]`` (``GetItem`` in indexing.py): zeros of x's shape, with each
gy added at the place its element was read from. ``np.add.at`` adds, rather than writes, so
an element read twice (a repeated index) gets both gradients.
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np

from .. import backend
from ..tensor import Tensor
from .checks import check_bool_mask, check_device, check_tensor, fill_value, type_name, wrap_dim
from .copying import cast, to_device
from .indexing import GetItem
from .pointwise import Where
from .shape import reshape


class Gather(GetItem):
    """y = x at the cells an index names along dim (dim=1: y[i, j] = x[i, index[i, j]]).
    gx = zeros with gy added at those cells (a cell named twice gets both)."""


class IndexSelect(GetItem):
    """y = the slices of x at ``index`` along dim (repeats allowed).   gx = zeros with each
    slice of gy added at its index."""


class SortResult(NamedTuple):
    """What sort returns, as PyTorch's: values and the indices they came from."""

    values: Tensor
    indices: Tensor


class TopKResult(NamedTuple):
    """What topk returns, as PyTorch's: the k values and their indices."""

    values: Tensor
    indices: Tensor


def _cells(index, dim):
    """The advanced index that reads, for each position of ``index``, x at that position with
    its coordinate along ``dim`` replaced by the index's value: an arange along every other
    axis, shaped to broadcast against ``index`` (as ``np.ix_`` builds)."""
    xp = backend.xp_of(index)
    return tuple(
        index if d == dim else xp.arange(n).reshape([-1 if k == d else 1 for k in range(index.ndim)])
        for d, n in enumerate(index.shape)
    )


def _index_array(name, index, x):
    """The array of ``index``: an int64 (or int32) Tensor on x's device, as PyTorch takes."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}: index must be a minicnn Tensor of int64, got {type_name(index)}")
    if index.dtype.name not in ("int64", "int32"):
        raise TypeError(f"{name}: index must be int64 (or int32), got {index.dtype}")
    check_device(name, x, "index", index, "input")
    return index.data


def _check_bounds(name, index, n, dim):
    """Every index in [0, n): PyTorch counts no negative index from the end here."""
    bad = (index < 0) | (index >= n)
    if index.size and bool(bad.any()):
        value = int(index[bad].reshape(-1)[0])
        raise IndexError(f"{name}: index {value} is out of bounds for dim {dim} of size {n}")


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """The elements of ``input`` that ``index`` names along ``dim``, as ``torch.gather``:
    for dim=1, ``out[i][j] = input[i][index[i][j]]``. The output has index's shape; index has
    as many dims as input, and along every other dim it is no longer than input.

    >>> import minicnn as mc
    >>> scores = mc.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
    >>> mc.gather(scores, 1, mc.tensor([[1], [0]])).tolist()  # each row's score of its label
    [[0.699999988079071], [0.5]]
    """
    check_tensor("gather", "input", input)
    if sparse_grad:
        raise ValueError("gather: sparse_grad=True is not supported (minicnn has no sparse tensors)")
    idx = _index_array("gather", index, input)
    dim = wrap_dim("gather", dim, input.ndim)
    if max(idx.ndim, 1) != max(input.ndim, 1):
        raise ValueError(
            f"gather: index must have as many dims as input; input {input.shape}, index {idx.shape}"
        )
    too_long = [d for d in range(idx.ndim) if d != dim and idx.shape[d] > input.shape[d]]
    if too_long:
        raise ValueError(
            f"gather: index is longer than input along dim {too_long[0]}; "
            f"input {input.shape}, index {idx.shape}"
        )
    _check_bounds("gather", idx, input.shape[dim] if input.ndim else 1, dim)
    if input.ndim == 0:  # one element: read it once per index
        return reshape(Gather.apply(reshape(input, 1), advanced=(idx.reshape(-1),)), idx.shape)
    return Gather.apply(input, advanced=_cells(idx, dim))


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` at the positions ``index`` (0-d or 1-d) lists along ``dim``,
    repeats allowed, as ``torch.index_select``; ``dim`` keeps its place, now of len(index).

    >>> import minicnn as mc
    >>> mc.index_select(mc.tensor([[1, 2, 3], [4, 5, 6]]), 1, mc.tensor([2, 0])).tolist()
    [[3, 1], [6, 4]]
    """
    check_tensor("index_select", "input", input)
    idx = _index_array("index_select", index, input)
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 0-d or 1-d, got shape {idx.shape}")
    dim = wrap_dim("index_select", dim, input.ndim)
    _check_bounds("index_select", idx, input.shape[dim] if input.ndim else 1, dim)
    if input.ndim == 0:
        if idx.size != 1:
            raise ValueError(f"index_select: a 0-d input takes one index, got {idx.size}")
        return reshape(IndexSelect.apply(reshape(input, 1), advanced=(idx.reshape(-1),)), ())
    return IndexSelect.apply(input, advanced=(slice(None),) * dim + (idx.reshape(-1),))


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``input`` with ``value`` where the bool ``mask`` (broadcast against it) is True, as
    ``torch.masked_fill``: ``scores.masked_fill(~allowed, float("-inf"))`` before a softmax.
    ``value`` is a number or a 0-d tensor, in input's dtype; input's gradient is 0 where it
    was filled, and a value that requires grad gets the sum of gy there.

    >>> import minicnn as mc
    >>> x = mc.tensor([1.0, 2.0, 3.0])
    >>> x.masked_fill(x > 1.5, 0.0).tolist()
    [1.0, 0.0, 0.0]
    """
    check_tensor("masked_fill", "input", input)
    check_bool_mask("masked_fill", input, mask)
    try:
        np.broadcast_shapes(input.shape, mask.shape)
    except ValueError:
        raise ValueError(
            f"masked_fill: mask of shape {mask.shape} does not broadcast with input of shape {input.shape}"
        ) from None
    if isinstance(value, Tensor):
        if value.ndim:
            raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}")
        fill_value("masked_fill", value.item(), input.dtype)  # as PyTorch: 200 into int8 is refused
        value = value if value.dtype == input.dtype else cast(value, input.dtype)
        value = value if value.device == input.device else to_device(value, input.device)
    elif isinstance(value, (numbers.Number, np.bool_)):  # (NumPy's scalars too, as fill_'s)
        value = Tensor(backend.xp_of(input.data).asarray(fill_value("masked_fill", value, input.dtype)))
    else:
        raise TypeError(f"masked_fill: value must be a number or a 0-d tensor, got {type_name(value)}")
    return Where.apply(value, input, cond=mask.data)


def _order(data, dim, descending):
    """The indices that sort ``data`` along ``dim``, stably: equal values keep their order of
    position, ascending or descending; NaN counts as the largest value, as in PyTorch."""
    xp = backend.xp_of(data)
    if not descending:
        return xp.argsort(data, axis=dim, kind="stable")
    # NOTE: not argsort(-data), which breaks for bools and unsigned ints and keeps NaN last:
    # the reversed row sorted ascending, read backwards, is descending with ties in order
    backwards = xp.argsort(xp.flip(data, axis=dim), axis=dim, kind="stable")
    return (data.shape[dim] - 1) - xp.flip(backwards, axis=dim)


def _along(name, input, dim):
    check_tensor(name, "input", input)
    return wrap_dim(name, dim, input.ndim)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> SortResult:
    """``input`` sorted along ``dim``: (values, indices), as ``torch.sort``; the values'
    gradient goes back to the indices they came from. The sort is always stable (equal
    values keep their order, ``stable=True`` in PyTorch, which for ``stable=False`` promises
    no order of ties); NaN sorts as the largest value.

    >>> import minicnn as mc
    >>> values, indices = mc.sort(mc.tensor([3.0, 1.0, 2.0]), descending=True)
    >>> values.tolist(), indices.tolist()
    ([3.0, 2.0, 1.0], [0, 2, 1])
    """
    dim = _along("sort", input, dim)
    if input.ndim == 0:
        return SortResult(reshape(input, ()), Tensor(backend.xp_of(input.data).zeros((), dtype="int64")))
    order = _order(input.data, dim, descending).astype("int64", copy=False)
    return SortResult(Gather.apply(input, advanced=_cells(order, dim)), Tensor(order))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (``sort``'s second half, stable as it)."""
    dim = _along("argsort", input, dim)
    if input.ndim == 0:
        return Tensor(backend.xp_of(input.data).zeros((), dtype="int64"))
    return Tensor(_order(input.data, dim, descending).astype("int64", copy=False))


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopKResult:
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim``: (values,
    indices), as ``torch.topk``; the values' gradient goes back to those indices. They come
    sorted, largest (smallest) first, whatever ``sorted`` says (PyTorch leaves their order
    open with sorted=False). Among equal values the first in position is taken first, where
    PyTorch promises no order; NaN counts as the largest value.

    >>> import minicnn as mc
    >>> mc.topk(mc.tensor([1.0, 4.0, 3.0, 2.0]), 2).indices.tolist()
    [1, 2]
    """
    dim = _along("topk", input, dim)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"topk: k must be an int, got {k!r}")
    n = input.shape[dim] if input.ndim else 1
    if not 0 <= k <= n:
        raise ValueError(f"topk: k must be in [0, {n}] for dim {dim} of size {n}, got k={k}")
    if input.ndim == 0:  # the element itself, for k = 0 too, as PyTorch
        return TopKResult(*sort(input))
    order = _order(input.data, dim, largest)[(slice(None),) * dim + (slice(0, int(k)),)]
    order = order.astype("int64", copy=False)
    return TopKResult(Gather.apply(input, advanced=_cells(order, dim)), Tensor(order))
