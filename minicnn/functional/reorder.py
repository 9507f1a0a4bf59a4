"""Ops that reorder elements along axes: flip reverses them, roll rotates them.

Each output element is one input element, so each backward is the move undone: a flip
flipped again, a roll rolled back by the opposite shifts. A convolution's input gradient
is a correlation with the kernel turned 180 degrees, ``w.flip((2, 3))`` (docs/ops/conv2d.md).
"""

from __future__ import annotations

import operator
from typing import Any

from .. import backend
from ..tensor import Function, Tensor
from .checks import as_int, check_tensor, type_name, wrap_dim, wrap_dims


class Flip(Function):
    """y = x reversed along each axis in dims, y[..., i, ...] = x[..., n - 1 - i, ...].
    gx = gy reversed along the same axes (a flip undoes itself)."""

    def forward(self, x, *, dims):
        self.dims = dims
        return self.flipped(x, dims).copy()  # NOTE: a copy, as PyTorch's: a write to y must not reach x

    def backward(self, gy):
        return self.flipped(gy, self.dims)

    @staticmethod
    def flipped(a, dims):
        # NOTE: with no dims, a itself: NumPy's flip would turn a 0-d array into a scalar
        return backend.xp_of(a).flip(a, dims) if dims else a


class Roll(Function):
    """y = x shifted cyclically by shifts along dims, y[..., (i + s) mod n, ...] = x[..., i, ...]
    (dims None: along x flattened, the shape kept).   gx = gy rolled back, by -shifts."""

    def forward(self, x, *, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return backend.xp_of(x).roll(x, shifts, dims)

    def backward(self, gy):
        back = -self.shifts if self.dims is None else tuple(-s for s in self.shifts)
        return self.xp.roll(gy, back, self.dims)


def flip(input: Tensor, dims: tuple[int, ...] | list[int]) -> Tensor:
    """``input`` reversed along each dim in ``dims`` (a tuple or list; () reverses nothing), as
    ``torch.flip``; a copy, not a view. The method takes dims one by one too: ``x.flip(0, 1)``.

    >>> import minicnn as mc
    >>> mc.flip(mc.tensor([[1, 2, 3], [4, 5, 6]]), (1,)).tolist()
    [[3, 2, 1], [6, 5, 4]]
    """
    check_tensor("flip", "input", input)
    if not isinstance(dims, (tuple, list)):
        raise TypeError(
            f"flip: dims must be a tuple or list of ints, got {type_name(dims)} {dims!r} "
            "(the method takes them one by one: x.flip(0))"
        )
    dims = wrap_dims("flip", dims, input.ndim)  # (a 0-d tensor takes 0 and -1, as PyTorch)
    return Flip.apply(input, dims=dims if input.ndim else ())


def _int_tuple(what: str, value: Any) -> tuple[int, ...]:
    """roll's shifts or dims, an int or a tuple or list of ints, as a tuple of ints."""
    one = as_int(value)
    if one is not None:
        return (one,)
    if isinstance(value, (tuple, list)) and all(as_int(v) is not None for v in value):
        return tuple(operator.index(v) for v in value)
    raise TypeError(f"roll: {what} must be an int or a tuple of ints, got {type_name(value)} {value!r}")


def roll(input: Tensor, shifts: int | tuple[int, ...], dims: int | tuple[int, ...] | None = None) -> Tensor:
    """``input`` rotated by ``shifts`` along ``dims``, as ``torch.roll``: what is pushed past
    the end comes back at the start. Without dims (None or ()), the tensor is rolled as if
    flattened, its shape kept; with dims, one shift per dim (a dim named twice is rolled by
    the sum of its shifts).

    >>> import minicnn as mc
    >>> mc.roll(mc.tensor([[1, 2, 3], [4, 5, 6]]), 1).tolist()
    [[6, 1, 2], [3, 4, 5]]
    >>> mc.roll(mc.tensor([[1, 2, 3], [4, 5, 6]]), (1, -1), (0, 1)).tolist()
    [[5, 6, 4], [2, 3, 1]]
    """
    check_tensor("roll", "input", input)
    shifts = _int_tuple("shifts", shifts)
    if not shifts:
        raise ValueError("roll: shifts must hold at least one int, got ()")
    dims = None if dims is None else _int_tuple("dims", dims)
    if not dims:  # None or (), as PyTorch takes both
        if len(shifts) != 1:
            raise ValueError(f"roll: without dims the flattened tensor takes one shift, got shifts {shifts}")
        # NOTE: reduced modulo the size here, so that no shift is too large for NumPy's int64
        return Roll.apply(input, shifts=shifts[0] % max(input.numel(), 1), dims=None)
    if len(dims) != len(shifts):
        raise ValueError(f"roll: shifts {shifts} and dims {dims} must pair up, one shift per dim")
    if input.ndim == 0:
        raise IndexError(f"roll: dim {dims[0]} given, but a 0-d tensor has no dimensions")
    dims = tuple(wrap_dim("roll", d, input.ndim) for d in dims)
    # NOTE: one shift per dim, the dims in ascending order: CuPy's roll sorts the dims it is
    # given (pairing the shifts with them in the new order), and some versions refuse a dim
    # named twice, where NumPy and PyTorch add up its shifts
    total = {d: 0 for d in sorted(dims)}
    for s, d in zip(shifts, dims):
        total[d] += s
    return Roll.apply(
        input, shifts=tuple(s % max(input.shape[d], 1) for d, s in total.items()), dims=tuple(total)
    )
