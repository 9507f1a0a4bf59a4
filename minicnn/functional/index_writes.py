"""Writes at an index, out of place: scatter, scatter_add, index_add and index_fill, each a
differentiable op (the in-place ``scatter_`` ... ``index_fill_`` are in in_place_index.py and
share the checks here).

``scatter`` is ``gather`` run backwards: for dim=1, ``y[i][index[i][j]] = src[i][j]``. Where
index names one cell twice, PyTorch leaves open which value stays; minicnn keeps the later one
in index's order (row by row, the last column last), on every device. ``scatter_add`` sums
them instead, ``index_add`` adds whole slices of ``source`` at the positions a 1-D index
lists along ``dim`` (summing repeats), and ``index_fill`` writes one value into those slices.

The gradients, as PyTorch's: of ``scatter_add`` and ``index_add``, gy itself to x (each cell
of x is added to once), and to src (source) gy read back at the cells each element went to,
a ``gather`` (an ``index_select``, times alpha); of ``scatter``, gy with the written cells
zeroed to x and gy gathered at them to src; of ``index_fill``, gy with the filled slices zeroed
to x, and their sum to a value that requires grad.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor, is_grad_enabled
from .checks import check_device, check_tensor, fill_value, type_name, wrap_dim
from .copying import cast
from .promotion import scalar_of
from .select import _cells, _check_bounds, _index_array
from .shape import reshape


class Scatter(Function):
    """y = x with src written at the cells of ``at`` (a cell named twice keeps the later value).
    gx = gy with those cells zeroed; gsrc = gy read at the cell each element went to."""

    def forward(self, x, src, *, at, block, keep):
        self.at, self.block, self.src_shape = at, block, src.shape
        y = x.copy()
        y[tuple(c[keep] for c in at)] = src[block].reshape(-1)[keep]
        return y

    def backward(self, gy):
        gx = gsrc = None
        if self.needs_grad[0]:
            gx = gy.copy()
            gx[self.at] = 0
        if self.needs_grad[1]:
            gsrc = _read_at(gy, self.at, self.block, self.src_shape)
        return gx, gsrc


def _read_at(gy: Any, at: tuple, block: tuple, src_shape: tuple) -> Any:
    """gsrc of scatter and scatter_add: gy read at the cell of ``at`` each element of src's
    ``block`` went to (a gather); 0 for src's elements outside the block, which index never reads."""
    gsrc = backend.xp_of(gy).zeros(src_shape, dtype=gy.dtype)
    gsrc[block] = gy[at].reshape(gsrc[block].shape)
    return gsrc


class ScatterAdd(Function):
    """y = x with each element of src added at its cell of ``at``.   gx = gy; gsrc = gy read
    at the cell each element went to (a gather)."""

    def forward(self, x, src, *, at, block):
        self.at, self.block, self.src_shape = at, block, src.shape
        y = x.copy()
        backend.xp_of(y).add.at(y, at, src[block].reshape(-1))  # add.at sums a cell named twice
        return y

    def backward(self, gy):
        gsrc = _read_at(gy, self.at, self.block, self.src_shape) if self.needs_grad[1] else None
        return gy if self.needs_grad[0] else None, gsrc


class IndexAdd(Function):
    """y = x with alpha * source's slices added at the positions ``index`` lists along ``dim``.
    gx = gy; gsource = alpha * gy's slices at those positions (an index_select)."""

    def forward(self, x, source, *, at, alpha):
        self.at, self.alpha = at, alpha
        y = x.copy()
        backend.xp_of(y).add.at(y, at, source if alpha == 1 else alpha * source)
        return y

    def backward(self, gy):
        gsource = None
        if self.needs_grad[1]:
            gsource = gy[self.at] if self.alpha == 1 else self.alpha * gy[self.at]
        return gy if self.needs_grad[0] else None, gsource


class IndexFill(Function):
    """y = x with ``value`` written into the slices at ``at``.   gx = gy zeroed there; gvalue =
    the sum of gy over those slices (each counted once, however often index names it)."""

    def forward(self, x, value, *, at):
        self.at = at
        y = x.copy()
        y[at] = value
        return y

    def backward(self, gy):
        gx = gvalue = None
        if self.needs_grad[0]:
            gx = gy.copy()
            gx[self.at] = 0
        if self.needs_grad[1]:
            head, idx = self.at[:-1], self.at[-1]
            gvalue = self.xp.asarray(gy[head + (self.xp.unique(idx),)].sum(), dtype=gy.dtype)
        return gx, gvalue


# --- the checks, shared with the in-place ops ----------------------------------------------


def scatter_cells(name: str, x: Tensor, dim: Any, index: Any, src: Any) -> tuple[int, Any, tuple, tuple]:
    """(dim, the index array, the cells it names as one coordinate array per dim (index's
    elements in order, flattened), the block of src they read), after PyTorch's checks: an int64
    or int32 index of x's dims (src's too, if a Tensor), no longer than x along every other dim
    and than src along every dim, its values in [0, size). An empty index names no cell."""
    idx = _index_array(name, index, x)
    dim = wrap_dim(name, dim, x.ndim)
    ndim = max(x.ndim, 1)
    shapes = {"x": x.shape, **({"src": src.shape} if isinstance(src, Tensor) else {})}
    for what, shape in shapes.items():
        if max(idx.ndim, 1) != max(len(shape), 1):
            raise ValueError(
                f"{name}: index must have as many dims as {what}; {what} {shape}, index {idx.shape}"
            )
    x_shape = x.shape or (1,)
    idx_shape = idx.shape or (1,)
    src_shape = (src.shape or (1,)) if isinstance(src, Tensor) else idx_shape
    if idx.size and any(
        (d != dim and idx_shape[d] > x_shape[d]) or idx_shape[d] > src_shape[d] for d in range(ndim)
    ):
        raise ValueError(
            f"{name}: expected index {idx.shape} no larger than x {x.shape} apart from dim {dim} "
            f"and no larger than src {src_shape if isinstance(src, Tensor) else idx.shape}"
        )
    _check_bounds(name, idx, x_shape[dim], dim)
    idx = idx.reshape(idx_shape)
    at = tuple(c.reshape(-1) for c in backend.xp_of(idx).broadcast_arrays(*_cells(idx, dim)))
    block = tuple(slice(0, n) for n in idx_shape)
    return dim, idx, at, block


def last_of_each(at: tuple, shape: tuple) -> Any:
    """The positions (in index's order) of the last element that names each cell: the one a
    scatter keeps, on every device (NumPy's and CuPy's own order of writes is unspecified)."""
    xp = backend.xp_of(at[0])
    flat = xp.ravel_multi_index(at, shape) if at[0].size else at[0]
    _, first_from_end = xp.unique(flat[::-1], return_index=True)
    return flat.size - 1 - first_from_end


def src_array(name: str, x: Tensor, src: Any, idx: Any) -> Tensor:
    """scatter's src: a Tensor of x's dtype (as PyTorch), or a number as a constant tensor of
    index's shape, converted as a fill value (-1 is 255 in uint8, 300 refused)."""
    if isinstance(src, Tensor):
        if src.dtype != x.dtype:
            raise TypeError(f"{name}: expected src of x's dtype {x.dtype}, got {src.dtype} (as PyTorch)")
        check_device(name, x, "src", src)
        return src if src.ndim else reshape(src, (1,))
    if not isinstance(src, (numbers.Number, np.bool_)):
        raise TypeError(f"{name}: src must be a Tensor or a number, got {type_name(src)}")
    value = fill_value(name, src, x.dtype)
    return Tensor(backend.xp_of(x.data).full(idx.shape or (1,), value, dtype=x.dtype))


def index_slices(
    name: str, x: Tensor, dim: Any, index: Any, *, negative: bool = False
) -> tuple[int, Any, tuple]:
    """(dim, the 0-d or 1-d index as 1-d, the advanced index of its slices along dim), after
    PyTorch's checks; ``negative`` counts a negative index from the end (index_fill's)."""
    idx = _index_array(name, index, x)
    if idx.ndim > 1:
        raise ValueError(f"{name}: index must be 0-d or 1-d, got shape {idx.shape}")
    dim = wrap_dim(name, dim, x.ndim)
    n = x.shape[dim] if x.ndim else 1
    idx = idx.reshape(-1)
    if negative:
        bad = (idx < -n) | (idx >= n)
        if idx.size and bool(bad.any()):
            raise IndexError(f"{name}: index {int(idx[bad][0])} is out of bounds for dim {dim} of size {n}")
        idx = idx % n if n else idx
    else:
        _check_bounds(name, idx, n, dim)
    return dim, idx, (slice(None),) * dim + (idx,)


def check_source(name: str, x: Tensor, dim: int, idx: Any, source: Any) -> None:
    """index_add's source: of x's dtype and device, x's shape but len(index) along dim."""
    check_tensor(name, "source", source)
    if source.dtype != x.dtype:
        raise TypeError(f"{name}: expected source of x's dtype {x.dtype}, got {source.dtype} (as PyTorch)")
    check_device(name, x, "source", source)
    want = list(x.shape or (1,))
    want[dim] = idx.size
    if tuple(source.shape or (1,)) != tuple(want):
        raise ValueError(
            f"{name}: expected source of shape {tuple(want)} (x's, with len(index) = {idx.size} "
            f"along dim {dim}), got {source.shape}"
        )


def _flat(t: Tensor) -> Tensor:
    """A 0-d tensor as one of shape (1,): PyTorch scatters into a 0-d tensor as into (1,)."""
    return t if t.ndim else reshape(t, (1,))


def check_reduce(name: str, reduce: Any) -> None:
    """scatter's ``reduce``: None (write), 'add' or 'multiply'."""
    if reduce not in (None, "add", "multiply"):
        raise ValueError(f"{name}: reduce must be None, 'add' or 'multiply', got {reduce!r}")


def _refuse_reduce_gradient(name: str, reduce: Any, *tensors: Any) -> None:
    check_reduce(name, reduce)
    if reduce is not None and is_grad_enabled() and any(getattr(t, "requires_grad", False) for t in tensors):
        raise RuntimeError(
            f"{name}: reduce={reduce!r} has no gradient (in PyTorch neither); use scatter_add for a "
            "sum that has one, or detach the inputs"
        )


def scatter_reduced(y: Any, at: tuple, values: Any, reduce: str | None, keep: Any) -> None:
    """Write (reduce None), add or multiply ``values`` into y at the cells ``at``, in place."""
    xp = backend.xp_of(y)
    if reduce is None:
        y[tuple(c[keep] for c in at)] = values[keep]
    elif reduce == "add":
        xp.add.at(y, at, values)
    else:  # NOTE: CuPy has no multiply.at: one round per repeat, each cell's factors in index's order
        flat = xp.ravel_multi_index(at, y.shape) if values.size else at[0]
        left = xp.ones(flat.size, dtype=bool)
        while bool(left.any()):
            waiting = xp.flatnonzero(left)
            _, first = xp.unique(flat[waiting], return_index=True)
            now = waiting[first]
            y[tuple(c[now] for c in at)] *= values[now]
            left[now] = False


def scatter(
    input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None, reduce: str | None = None
) -> Tensor:
    """input with ``src`` written at the cells ``index`` names along ``dim``, as ``torch.scatter``:
    for dim=1, ``out[i][index[i][j]] = src[i][j]`` (``src`` a tensor of input's dtype; or a
    number, ``value``, written at every cell named). A cell named twice keeps the later value in
    index's order (PyTorch leaves it open). ``reduce='add'`` or ``'multiply'`` combines instead,
    without a gradient. gx = gy with the written cells zeroed; gsrc = gy gathered at them.

    >>> import minicnn as mc
    >>> mc.scatter(mc.zeros(2, 3), 1, mc.tensor([[2], [0]]), mc.tensor([[5.0], [7.0]])).tolist()
    [[0.0, 0.0, 5.0], [7.0, 0.0, 0.0]]
    """
    check_tensor("scatter", "input", input)
    src = one_source("scatter", src, value)
    dim, idx, at, block = scatter_cells("scatter", input, dim, index, src)
    src = src_array("scatter", input, src, idx)
    _refuse_reduce_gradient("scatter", reduce, input, src)
    x = _flat(input)
    if reduce is not None:
        y = x.data.copy()
        scatter_reduced(y, at, src.data[block].reshape(-1), reduce, None)
        return Tensor(y.reshape(input.shape))
    y = Scatter.apply(x, src, at=at, block=block, keep=last_of_each(at, x.shape))
    return y if input.ndim else reshape(y, ())


def one_source(name: str, src: Any, value: Any) -> Any:
    """scatter's src or value, whichever was given: exactly one, as PyTorch's two signatures."""
    if (src is None) == (value is None):
        raise TypeError(f"{name}: give exactly one of src (a Tensor or a number) and value (a number)")
    if value is not None and isinstance(value, Tensor):
        raise TypeError(f"{name}: value must be a number; a Tensor is src")
    return src if value is None else value


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """input with each element of ``src`` added at the cell ``index`` names along ``dim``, as
    ``torch.scatter_add`` (for dim=1, ``out[i][index[i][j]] += src[i][j]``; a cell named twice
    gets both). gx = gy; gsrc = gy gathered at the cells: ``gather(gy, dim, index)``.

    >>> import minicnn as mc
    >>> mc.scatter_add(mc.zeros(3), 0, mc.tensor([0, 2, 0]), mc.tensor([1.0, 2.0, 3.0])).tolist()
    [4.0, 0.0, 2.0]
    """
    check_tensor("scatter_add", "input", input)
    check_tensor("scatter_add", "src", src)
    _, idx, at, block = scatter_cells("scatter_add", input, dim, index, src)
    src = src_array("scatter_add", input, src, idx)
    y = ScatterAdd.apply(_flat(input), src, at=at, block=block)
    return y if input.ndim else reshape(y, ())


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """input with ``alpha * source``'s slices added at the positions the 1-D ``index`` lists
    along ``dim`` (repeats summed), as ``torch.index_add``: source has input's shape but
    len(index) along dim. gx = gy; gsource = alpha * index_select(gy, dim, index).

    >>> import minicnn as mc
    >>> mc.index_add(mc.zeros(2, 3), 1, mc.tensor([0, 0]), mc.ones(2, 2), alpha=2).tolist()
    [[4.0, 0.0, 0.0], [4.0, 0.0, 0.0]]
    """
    check_tensor("index_add", "input", input)
    dim, idx, at = index_slices("index_add", input, dim, index)
    check_source("index_add", input, dim, idx, source)
    alpha = scalar_of("index_add", "alpha", alpha, input.dtype)
    y = IndexAdd.apply(_flat(input), _flat(source), at=at, alpha=alpha)
    return y if input.ndim else reshape(y, ())


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """input with ``value`` (a number, or a 0-d tensor, whose gradient is the sum of gy over
    the filled cells) written into the slices at the positions ``index`` lists along ``dim``,
    as ``torch.index_fill``; a negative index counts from the end, as PyTorch's.
    gx = gy with the filled slices zeroed.

    >>> import minicnn as mc
    >>> mc.index_fill(mc.zeros(2, 3), 1, mc.tensor([0, -1]), 9.0).tolist()
    [[9.0, 0.0, 9.0], [9.0, 0.0, 9.0]]
    """
    check_tensor("index_fill", "input", input)
    _, _, at = index_slices("index_fill", input, dim, index, negative=True)
    value = fill_tensor("index_fill", input, value)
    y = IndexFill.apply(_flat(input), value, at=at)
    return y if input.ndim else reshape(y, ())


def fill_tensor(name: str, x: Tensor, value: Any) -> Tensor:
    """index_fill's value as a 0-d tensor of x's dtype and device: a number converted as a fill
    value, a 0-d tensor cast (its gradient carried back through the cast)."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise ValueError(f"{name}: value must be a number or a 0-d tensor, got shape {value.shape}")
        check_device(name, x, "value", value)
        return value if value.dtype == x.dtype else cast(value, x.dtype)
    if not isinstance(value, (numbers.Number, np.bool_)):
        raise TypeError(f"{name}: value must be a number or a 0-d tensor, got {type_name(value)}")
    return Tensor(backend.xp_of(x.data).asarray(fill_value(name, value, x.dtype)))
