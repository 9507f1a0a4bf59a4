"""Elementwise ops beyond the four operations: maximum, minimum, where, remainder, division
that rounds (``div``'s rounding modes, ``floor_divide``), and the step functions sign, floor, ceil
and round.

Where a derivative is undefined PyTorch picks a value, and minicnn picks the same one: a tie
of ``maximum(a, b)`` gives each side half of gy (the central difference there), and a step
function's gradient is 0 everywhere, at its jumps too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor, is_grad_enabled, tensor
from . import basic
from .basic import _binary, unbroadcast
from .checks import check_tensor
from .copying import cast
from .promotion import (
    as_tensor,
    check_broadcast,
    check_integer_divisor,
    check_one_tensor,
    lift_numbers,
    refuse_bool,
    refuse_bools,
    refuse_float_overflow,
    same_float_dtype,
)


class Maximum(Function):
    """y = max(a, b) elementwise.   ga = gy where a > b, gb = gy where b > a; at a tie (a == b)
    each gets gy / 2, and where either is NaN (y is NaN) both get gy, as PyTorch.

    ``Minimum`` is the same with the inequalities turned round."""

    pick = "maximum"

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        if any(self.needs_grad):  # NOTE: masks, not a and b: a later change to a or b cannot matter
            self.tie = a == b
            self.a_loses, self.b_loses = self.loses(a, b), self.loses(b, a)
        return getattr(backend.xp_of(a), self.pick)(a, b)

    @staticmethod
    def loses(a, b):
        return a < b

    def backward(self, gy):
        xp, zero = self.xp, gy.dtype.type(0)
        half = gy / 2
        share = [
            xp.where(self.tie, half, xp.where(loses, zero, gy)) for loses in (self.a_loses, self.b_loses)
        ]
        return tuple(
            unbroadcast(g, shape) if need else None
            for g, shape, need in zip(share, self.shapes, self.needs_grad)
        )


class Minimum(Maximum):
    """y = min(a, b) elementwise.   ga = gy where a < b, gb = gy where b < a; ties split gy evenly."""

    pick = "minimum"

    @staticmethod
    def loses(a, b):
        return a > b


class Remainder(Function):
    """y = a - floor(a / b) * b, the remainder with b's sign (Python's ``%``, torch.remainder).
    ga = gy, gb = -floor(a / b) * gy (a jump where a / b is an integer, undefined there)."""

    def forward(self, a, b):
        xp = backend.xp_of(a)
        self.shapes = a.shape, b.shape
        with np.errstate(divide="ignore", invalid="ignore"):  # x % 0.0 is NaN, as in PyTorch
            self.quotient = xp.floor_divide(a, b) if self.needs_grad[1] else None
        return remainder_of(xp, a, b)

    def backward(self, gy):
        sa, sb = self.shapes
        return (
            unbroadcast(gy, sa) if self.needs_grad[0] else None,
            unbroadcast(-self.quotient * gy, sb) if self.needs_grad[1] else None,
        )


def remainder_of(xp: Any, a: Any, b: Any) -> Any:
    """a % b with b's sign, as PyTorch computes it: C's fmod(a, b) (a's sign), plus b where the
    two signs differ. A zero keeps fmod's sign, a's: -2.0 % 2.0 is -0.0 (NumPy's remainder
    gives b's sign, 0.0), and 2.0 % -2.0 is 0.0."""
    with np.errstate(divide="ignore", invalid="ignore"):  # x % 0.0 is NaN, as in PyTorch
        if a.dtype.kind != "f":
            return xp.remainder(a, b)  # (integers have no -0, and NumPy's is PyTorch's there)
        mod = xp.fmod(a, b)
        return xp.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)


class FloorDiv(Function):
    """y = a / b rounded down (torch.div's rounding_mode='floor'; ``TruncDiv``: towards zero).
    ga = gb = 0: a step function of a and b, whose gradient PyTorch takes as 0, at jumps too."""

    mode = "floor"

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return rounded_quotient(backend.xp_of(a), a, b, self.mode)

    def backward(self, gy):
        return tuple(
            self.xp.zeros(shape, dtype=gy.dtype) if need else None
            for shape, need in zip(self.shapes, self.needs_grad)
        )


class TruncDiv(FloorDiv):
    """y = a / b rounded towards zero (rounding_mode='trunc').   ga = gb = 0."""

    mode = "trunc"


def rounded_quotient(xp: Any, a: Any, b: Any, rounding_mode: str) -> Any:
    """a / b rounded down ('floor': Python's ``//``) or towards zero ('trunc'), as torch.div:
    integers stay integers; a float divided by 0 is +-inf or NaN, as the true quotient. The
    smallest integer divided by -1 wraps round to itself, silently, as PyTorch's floor does."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if rounding_mode == "floor":
            return xp.floor_divide(a, b)
        if xp.result_type(a, b).kind == "f":
            return xp.trunc(xp.true_divide(a, b))
        q = xp.floor_divide(a, b)
        # NOTE: // rounds a negative quotient down; towards zero it is one more, unless exact
        return q + ((q * b != a) & ((a < 0) != (b < 0))).astype(q.dtype)


class Step(Function):
    """A step function: flat between its jumps.   gx = 0 everywhere (PyTorch's value at the
    jumps too, where the derivative is undefined). Subclasses give ``step(xp, x)``."""

    def forward(self, x, **params):
        return self.step(backend.xp_of(x), x, **params)

    def backward(self, gy):
        return self.xp.zeros_like(gy)


class Sign(Step):
    """y = -1, 0 or 1 as x < 0, x = 0 or x > 0 (0 for NaN and for -0.0, as PyTorch).   gx = 0."""

    @staticmethod
    def step(xp, x):
        # NOTE: not xp.sign, which keeps NaN and -0.0 where PyTorch gives 0
        return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


class Floor(Step):
    """y = the largest integer <= x.   gx = 0."""

    @staticmethod
    def step(xp, x):
        return xp.floor(x)


class Ceil(Step):
    """y = the smallest integer >= x.   gx = 0."""

    @staticmethod
    def step(xp, x):
        return xp.ceil(x)


class Round(Step):
    """y = x rounded to ``decimals`` places, halves to even (2.5 -> 2, as PyTorch).   gx = 0."""

    @staticmethod
    def step(xp, x, decimals=0):
        return xp.round(x, decimals)


def maximum(input: Tensor | Any, other: Tensor | Any) -> Tensor:
    """The larger of ``input`` and ``other`` elementwise, broadcasting as NumPy, NaN if either
    is NaN; ties share the gradient evenly, as ``torch.maximum``. (PyTorch takes two tensors;
    minicnn also takes a number on either side, as its ``+`` does, and refuses an int that an
    integer tensor cannot hold, as ``torch.clamp`` refuses ``clamp(int8_x, min=300)``.)

    >>> import minicnn as mc
    >>> mc.maximum(mc.tensor([1.0, 5.0]), mc.tensor([3.0, 2.0])).tolist()
    [3.0, 5.0]
    """
    check_one_tensor("maximum", input, other)
    refuse_float_overflow("maximum", other, input)  # (as torch.clamp(x, min=1e40): float32 cannot)
    refuse_float_overflow("maximum", input, other)
    return _binary(Maximum, input, other, ints="refuse")


def minimum(input: Tensor | Any, other: Tensor | Any) -> Tensor:
    """The smaller of ``input`` and ``other`` elementwise; ties share the gradient evenly."""
    check_one_tensor("minimum", input, other)
    refuse_float_overflow("minimum", other, input)
    refuse_float_overflow("minimum", input, other)
    return _binary(Minimum, input, other, ints="refuse")


def remainder(input: Tensor | Any, other: Tensor | Any) -> Tensor:
    """``input % other`` with the sign of ``other``, as Python's ``%`` and ``torch.remainder``
    (``-5 % 3 == 1``; C's fmod would give -2). Integer division by zero is refused.

    >>> import minicnn as mc
    >>> (mc.tensor([5, -5]) % 3).tolist()
    [2, 1]
    """
    check_one_tensor("remainder", input, other)
    input = input if isinstance(input, Tensor) else as_tensor(input, other, "remainder")
    other = as_tensor(other, input, "remainder")
    refuse_bools("remainder", input, other, either=False)
    check_integer_divisor("remainder", input, other.data)
    return _binary(Remainder, input, other)


def floor_divide(a: Tensor | Any, b: Tensor | Any) -> Tensor:
    """a // b, rounded towards minus infinity as Python's ``//`` (and torch's); both may be
    numbers, as ``add``'s. It has no gradient (a step function: zero almost everywhere,
    undefined at each jump), so it is refused where one would be recorded: apply it to
    ``x.detach()`` or under ``mc.no_grad()``."""
    a, b = lift_numbers("floor_divide", a, b)
    if not isinstance(a, Tensor):
        a = as_tensor(a, b, "floor_divide")
    b = as_tensor(b, a, "floor_divide")
    check_broadcast("floor_divide", a.shape, b.shape)
    refuse_bools("floor_divide", a, b, either=False)
    if is_grad_enabled() and (a.requires_grad or b.requires_grad):
        raise RuntimeError("floor division (//) has no gradient; use it on x.detach() or under mc.no_grad()")
    a, b = same_float_dtype("floor_divide", a, b, cast=cast)  # (a 0-d float64 as float32, as in +)
    check_integer_divisor("floor_divide", a, b.data)
    # NOTE: x // 0.0 is inf or NaN, and the smallest integer // -1 wraps round to itself,
    # silently, as in PyTorch
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return Tensor(backend.xp_of(a.data).floor_divide(a.data, b.data))


def div(input: Tensor | Any, other: Tensor | Any, *, rounding_mode: str | None = None) -> Tensor:
    """``input / other`` as ``torch.div``: true division (rounding_mode None, the ``/``
    operator), or the quotient rounded towards zero ('trunc') or down ('floor', Python's ``//``).
    Rounded, integers stay integers (dividing one by zero is refused) and the gradient is 0.
    Both may be plain numbers, as in PyTorch: ``div(6, 4)`` is 1.5 (float32), and rounded
    ``div(6, 4, rounding_mode="floor")`` is 1 (int64).

    >>> import minicnn as mc
    >>> a = mc.tensor([7, -7])
    >>> a.div(2, rounding_mode="trunc").tolist(), a.div(2, rounding_mode="floor").tolist()
    ([3, -3], [3, -4])
    """
    if rounding_mode is None:
        return basic.div(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
    input, other = lift_numbers("div", input, other)
    input = input if isinstance(input, Tensor) else as_tensor(input, other, "div")
    other = as_tensor(other, input, "div")
    check_integer_divisor("div", input, other.data)
    if input.dtype.kind == "b" and other.dtype.kind == "b":
        raise TypeError(f"div: rounding_mode={rounding_mode!r} does not divide two bool tensors (as PyTorch)")
    return _binary(FloorDiv if rounding_mode == "floor" else TruncDiv, input, other, name="div")


def _step(cls, name, x, **params):
    check_tensor(name, "input", x)
    if cls is not Sign:
        refuse_bool(name, x, "convert it with .long() or .float() first")
    if x.dtype.kind == "b" or (x.dtype.kind in "iu" and cls is not Sign):
        # integers are their own floor, ceil and round (and bools their own sign), as in PyTorch
        return Tensor(x.data.copy())
    return cls.apply(x, **params)


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element (NaN gives 0, as PyTorch); the gradient is 0."""
    return _step(Sign, "sign", input)


def floor(input: Tensor) -> Tensor:
    """Each element rounded down to an integer (the dtype is kept); the gradient is 0."""
    return _step(Floor, "floor", input)


def ceil(input: Tensor) -> Tensor:
    """Each element rounded up to an integer (the dtype is kept); the gradient is 0."""
    return _step(Ceil, "ceil", input)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # shadows the builtin, as torch.round
    """Each element rounded to ``decimals`` places (negative: to tens, hundreds ...), halves to
    the even neighbour, as ``torch.round``; the gradient is 0.

    >>> import minicnn as mc
    >>> mc.round(mc.tensor([0.5, 1.5, 2.5, -1.26]), decimals=0).tolist()
    [0.0, 2.0, 2.0, -1.0]
    """
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    if decimals and getattr(input, "dtype", np.dtype(float)).kind in "biu":
        raise TypeError(f"round: decimals={decimals} needs a floating-point tensor, got {input.dtype}")
    return _step(Round, "round", input, decimals=int(decimals))


class Where(Function):
    """y = a where cond, else b.   ga = gy where cond (summed back to a's shape), gb = gy elsewhere."""

    def forward(self, a, b, *, cond):
        self.cond, self.shapes = cond, (a.shape, b.shape)
        return backend.xp_of(a).where(cond, a, b)

    def backward(self, gy):
        zero = gy.dtype.type(0)
        xp = backend.xp_of(gy)
        return (
            unbroadcast(xp.where(self.cond, gy, zero), self.shapes[0]),
            unbroadcast(xp.where(self.cond, zero, gy), self.shapes[1]),
        )


def where(condition: Any, input: Tensor | Any, other: Tensor | Any) -> Tensor:
    """input where ``condition`` (a bool Tensor or array) holds, else other, broadcast
    together, as ``torch.where(condition, input, other)`` (by keyword too:
    ``mc.where(c, input=x, other=y)``); a number takes the other operand's dtype (a float
    beside an integer tensor: float32; an int it cannot hold, 256 beside uint8, or a float,
    1e40 beside float32, is refused, as PyTorch), two numbers the dtype ``mc.tensor`` gives
    them. A 0-d float tensor takes the dtype of a float tensor with dims, as in ``+``."""
    a, b = input, other
    cond = condition.data if isinstance(condition, Tensor) else condition
    if getattr(cond, "dtype", None) is None or cond.dtype != bool:
        raise TypeError(
            f"where: condition must be a bool tensor, got {getattr(cond, 'dtype', type(cond).__name__)}"
        )
    refuse_float_overflow("where", a, b)
    refuse_float_overflow("where", b, a)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        # two numbers: the first as a tensor would be (float32 or int64), on cond's device
        a = tensor(a, device="cuda" if backend.is_cupy_array(cond) else "cpu")
    a = a if isinstance(a, Tensor) else as_tensor(a, b, "where", ints="refuse")  # 256 beside uint8
    b = b if isinstance(b, Tensor) else as_tensor(b, a, "where", ints="refuse")
    check_broadcast("where", tuple(cond.shape), a.shape, b.shape)
    a, b = same_float_dtype("where", a, b, cast=cast)
    return Where.apply(a, b, cond=cond)
