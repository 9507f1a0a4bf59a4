"""Ops that move elements without changing them: reshape, transpose, index, cat.

Each backward puts every gradient element back where its forward element came from.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .checks import as_int, type_name, wrap_dim, wrap_dims
from .indexing import getitem


class Reshape(Function):
    """y = x with a new shape.   gx = gy with x's shape."""

    def forward(self, x, *, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, gy):
        return gy.reshape(self.shape)


class Permute(Function):
    """y = x with axes reordered.   gx = gy with the inverse order."""

    def forward(self, x, *, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, gy):
        return gy.transpose(tuple(np.argsort(self.dims).tolist()))


class Cat(Function):
    """y = [x1, x2, ...] joined along dim.   gx_i = the slice of gy that came from x_i."""

    def forward(self, *xs, dim):
        xp = backend.xp_of(xs[0])
        self.dim = dim
        self.bounds = np.cumsum([x.shape[dim] for x in xs])[:-1].tolist()
        return xp.concatenate(xs, axis=dim)

    def backward(self, gy):
        parts = self.xp.split(gy, self.bounds, axis=self.dim)
        return tuple(p if need else None for p, need in zip(parts, self.needs_grad))


class Stack(Function):
    """y = x1, x2, ... stacked on a new axis dim.   gx_i = gy taken at index i of dim."""

    def forward(self, *xs, dim):
        self.dim = dim
        return backend.xp_of(xs[0]).stack(xs, axis=dim)

    def backward(self, gy):
        return tuple(
            self.xp.take(gy, i, axis=self.dim) if need else None for i, need in enumerate(self.needs_grad)
        )


class Expand(Function):
    """y = x broadcast to a larger shape (a view, as PyTorch's).   gx = gy summed over the
    broadcast axes (unbroadcast)."""

    def forward(self, x, *, shape):
        self.shape = x.shape
        xp = backend.xp_of(x)
        y = xp.broadcast_to(x, shape)
        # NOTE: a write through the view reaches x, as in PyTorch (e[0].add_(1)); NumPy's
        # broadcast is read-only, so the same strides are taken again on x, writeable. The
        # in-place methods refuse the writes whose elements would share memory (in_place.py).
        return xp.lib.stride_tricks.as_strided(x, y.shape, y.strides)

    def backward(self, gy):
        from .basic import unbroadcast

        return unbroadcast(gy, self.shape)


class Repeat(Function):
    """y = x tiled ``reps`` times along each axis.   gx = the sum of gy over the copies."""

    def forward(self, x, *, reps):
        self.shape = x.shape
        self.padded = (1,) * (len(reps) - x.ndim) + x.shape
        return backend.xp_of(x).tile(x.reshape(self.padded), reps)

    def backward(self, gy):
        if 0 in self.padded:  # x has no elements: its gradient has none either
            return backend.xp_of(gy).zeros(self.shape, dtype=gy.dtype)
        # gy axis i holds reps[i] copies of size padded[i] in a row: split each axis into
        # (copy, cell) and sum over the copies
        split = [n for pair in zip(gy.shape, self.padded) for n in (pair[0] // pair[1], pair[1])]
        return gy.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(self.shape)


def _dims(x, dims, name=None, what="sizes"):
    """Accept both f(x, 0, 1) and f(x, (0, 1)); with the op's ``name``, refuse f(x) with none
    given, as PyTorch does (a 0-d tensor's shape is given as ``()``)."""
    if name and not dims:
        raise TypeError(f"{name}: expected {what}, got none (for a 0-d tensor give ())")
    return tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims


def _ints(name, sizes, what="size"):
    """Refuse a size that is not an int (NumPy would take True as 1 and refuse 2.0 in its
    own words), naming its position."""
    if all(type(n) is int for n in sizes):  # (the common call: no conversion to try)
        return
    for i, n in enumerate(sizes):
        if as_int(n) is None:
            raise TypeError(f"{name}: expected {what}s that are ints, got {type_name(n)} {n!r} at index {i}")


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape (one entry may be -1): a view of x where its layout
    allows, a copy elsewhere (``view`` refuses those)."""
    shape = _shape("reshape", x, shape)
    try:
        return Reshape.apply(x, shape=shape)
    except ValueError:  # NOTE: checked where NumPy refuses, so the common call pays nothing
        raise ValueError(
            f"reshape: shape {tuple(shape)} is invalid for x of {x.numel()} elements, shape {x.shape}"
        ) from None


class View(Reshape):
    """y = x with a new shape, sharing x's memory.   gx = gy with x's shape."""

    def forward(self, x, *, shape):
        self.shape = x.shape
        y = x.view()
        # NOTE: setting a view's shape raises AttributeError where NumPy would have to copy,
        # the layouts PyTorch's view refuses too; reshape would copy silently
        y.shape = shape
        return y


def view(x: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape, sharing x's memory (writes to one reach the other),
    as PyTorch's; refused where x's layout (a transpose, a stepped slice) needs a copy."""
    shape = _shape("view", x, shape)
    try:
        return View.apply(x, shape=shape)
    except ValueError:
        raise ValueError(
            f"view: shape {tuple(shape)} is invalid for x of {x.numel()} elements, shape {x.shape}"
        ) from None
    except AttributeError:
        steps = tuple(s // x.data.itemsize for s in x.data.strides)
        raise RuntimeError(
            f"view: shape {tuple(shape)} cannot be viewed from x of shape {x.shape} and strides "
            f"{steps} (elements) without a copy; use .reshape(...) instead, which copies"
        ) from None


def _shape(name, x, shape):
    """reshape's and view's sizes: ints, at least 0, or -1 once (the size that makes up x's
    number of elements), as PyTorch takes them."""
    shape = tuple(_dims(x, shape, name))
    _ints(name, shape)
    for i, n in enumerate(shape):
        if n < -1:  # NOTE: NumPy takes any negative size as -1
            raise ValueError(
                f"{name}: invalid size {n} at index {i} of shape {shape}; expected sizes >= 0, "
                "or one -1 (inferred)"
            )
    if shape.count(-1) > 1:
        raise ValueError(f"{name}: only one size can be -1 (inferred), got shape {shape}")
    return shape


def permute(x: Tensor, *dims: Any) -> Tensor:
    """x with its axes in the order ``dims`` (``x.permute(0, 2, 3, 1)``, or one tuple): a view."""
    dims = tuple(wrap_dim("permute", d, x.ndim) for d in _dims(x, dims, "permute", "dims"))
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of {x.ndim} axes")
    return Permute.apply(x, dims=dims)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two axes (PyTorch's transpose; ``x.T`` reverses all axes)."""
    dims = list(range(x.ndim))
    dim0, dim1 = wrap_dim("transpose", dim0, x.ndim), wrap_dim("transpose", dim1, x.ndim)
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return Permute.apply(x, dims=tuple(dims))


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes start_dim..end_dim into one (nn.Flatten uses start_dim=1); where they are one
    axis, x itself, as PyTorch's (a 1-D x too; a 0-D x becomes shape (1,))."""
    start, end = wrap_dim("flatten", start_dim, x.ndim), wrap_dim("flatten", end_dim, x.ndim)
    if start > end:
        raise ValueError(f"flatten: start_dim ({start_dim}) cannot come after end_dim ({end_dim})")
    if x.ndim and start == end:
        return x
    # NOTE: the merged size named, not -1, which NumPy cannot infer beside an empty batch
    shape = x.shape[:start] + (math.prod(x.shape[start : end + 1]),) + x.shape[end + 1 :]
    return Reshape.apply(x, shape=shape)


def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    """x without its axes of size 1: all of them, or those of ``dim`` (an int or a tuple) that are."""
    dropped = range(x.ndim) if dim is None else wrap_dims("squeeze", dim, x.ndim)
    shape = tuple(n for i, n in enumerate(x.shape) if n != 1 or i not in dropped)
    return Reshape.apply(x, shape=shape)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """x with a new axis of size 1 at ``dim`` (from -(x.ndim + 1) to x.ndim, as in PyTorch)."""
    dim = wrap_dim("unsqueeze", dim, x.ndim + 1)
    return Reshape.apply(x, shape=x.shape[:dim] + (1,) + x.shape[dim:])


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing axis (Inception joins its branches on dim=1)."""
    tensors = _tensor_list("cat", tensors)
    if tensors and tensors[0].ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be joined along an axis; use stack")
    dim = wrap_dim("cat", dim, tensors[0].ndim) if tensors else dim
    _check_joinable("cat", tensors, dim, same_axis=False)
    return Cat.apply(*_one_dtype("cat", tensors), dim=dim)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    tensors = _tensor_list("stack", tensors)
    _check_joinable("stack", tensors, dim, same_axis=True)
    return Stack.apply(*_one_dtype("stack", tensors), dim=wrap_dim("stack", dim, tensors[0].ndim + 1))


def _tensor_list(name, tensors):
    """tensors as a list; a Tensor is refused, as PyTorch refuses it (it would be its rows)."""
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}: expected a list or tuple of tensors, got a Tensor of shape {tensors.shape}")
    return list(tensors)


def _one_dtype(name, tensors):
    """The tensors in one dtype, by the rule of two operands (promotion.py): the
    non-float ones take the float dtype, and two float dtypes are refused."""
    floats = {t.dtype for t in tensors if t.dtype.kind == "f"}
    if len(floats) > 1:
        raise TypeError(
            f"{name}: the tensors are {' and '.join(sorted(map(str, floats)))}; "
            "convert them to one (t.float() / t.double())"
        )
    if not floats:
        return tensors
    (dtype,) = floats
    return [t if t.dtype == dtype else Tensor(t.data.astype(dtype)) for t in tensors]


def _check_joinable(name, tensors, dim, same_axis):
    if not tensors:
        raise ValueError(f"{name}: expected a non-empty list of tensors")
    first = tensors[0].shape
    for t in tensors[1:]:
        ok = (
            t.shape == first
            if same_axis
            else (
                t.ndim == len(first)
                and all(a == b for i, (a, b) in enumerate(zip(t.shape, first)) if i != dim)
            )
        )
        if not ok:
            raise ValueError(f"{name}: shapes {[t.shape for t in tensors]} do not match outside dim {dim}")


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """x broadcast to ``sizes`` (-1 keeps an axis; new axes go in front), as PyTorch's."""
    sizes = _dims(x, sizes, "expand")
    _ints("expand", sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes for a {x.ndim}-D tensor of shape {x.shape}")
    for i, n in enumerate(sizes):
        if n < -1 or (n == -1 and i < lead):
            raise ValueError(
                f"expand: size {n} at position {i} for shape {x.shape} (-1 keeps an existing axis only)"
            )
    shape = tuple(n if n != -1 else x.shape[i - lead] for i, n in enumerate(sizes))
    for i, n in enumerate(x.shape):
        if n != 1 and n != shape[lead + i]:
            raise ValueError(
                f"expand: axis {i} of shape {x.shape} has size {n}, neither 1 nor {shape[lead + i]}"
            )
    return Expand.apply(x, shape=shape)


def repeat(x: Tensor, *reps: Any) -> Tensor:
    """x tiled ``reps`` times along each axis (at least x.ndim counts), as PyTorch's repeat."""
    reps = _dims(x, reps, "repeat", "counts")
    _ints("repeat", reps, "count")
    if any(n < 0 for n in reps):
        raise ValueError(f"repeat: counts must not be negative, got {tuple(reps)}")
    if len(reps) < x.ndim:
        raise ValueError(f"repeat: {len(reps)} counts for a {x.ndim}-D tensor; give at least {x.ndim}")
    return Repeat.apply(x, reps=tuple(reps))


def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size_or_sections`` along ``dim`` (the last may be smaller), or of the
    listed sizes, as PyTorch's; each is a slice, so the gradients flow back."""
    dim = wrap_dim("split", dim, x.ndim)
    n = x.shape[dim]
    if not isinstance(split_size_or_sections, (tuple, list)):
        _ints("split", (split_size_or_sections,), "split_size")
        size = operator.index(split_size_or_sections)
        if size < 0 or (size == 0 and n > 0):
            raise ValueError(f"split: split_size must be positive (0 only for an empty axis), got {size}")
        sizes = [min(size, n - start) for start in range(0, n, size)] if n else [0]  # empty: one piece
    else:
        sizes = list(split_size_or_sections)
        _ints("split", sizes, "split size")
        if any(size < 0 for size in sizes):
            raise ValueError(f"split: sizes must not be negative, got {sizes}")
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)}, not the size {n} of dim {dim}")
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * dim + (slice(start, start + size),)
        pieces.append(getitem(x, index))
        start += size
    return tuple(pieces)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``chunks`` pieces of ceil(n / chunks) along ``dim`` (fewer when they run out), as PyTorch's."""
    _ints("chunk", (chunks,), "chunk count")
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = x.shape[wrap_dim("chunk", dim, x.ndim)]
    if n == 0:  # PyTorch gives ``chunks`` empty pieces
        return split(x, [0] * chunks, dim)
    return split(x, -(-n // chunks), dim)


def one_image_too(op: Any = None, *, image_ndim: int = 3) -> Any:
    """Let an op on batches take one unbatched input, as PyTorch's convolutions, pools, unfold
    and fold do: an input of ``image_ndim`` dims as a batch of one, the batch axis taken off the
    result again (off each result, where the op gives two: a pool's values and indices).

    ``@one_image_too`` takes one (C, H, W) image; ``@one_image_too(image_ndim=2)`` takes
    fold's columns of one image, (C*kH*kW, L).
    """
    if op is None:  # called with image_ndim: give the decorator for that rank
        return functools.partial(one_image_too, image_ndim=image_ndim)

    @functools.wraps(op)
    def on_images(x: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(x, Tensor) and x.ndim == image_ndim:
            y = op(unsqueeze(x, 0), *args, **kwargs)
            return tuple(squeeze(t, 0) for t in y) if isinstance(y, tuple) else squeeze(y, 0)
        return op(x, *args, **kwargs)

    return on_images
