"""Tensor's in-place elementwise math: relu_, sigmoid_, tanh_, exp_, log_, sqrt_, sin_, cos_,
reciprocal_, abs_, neg_, square_, sign_, floor_, ceil_, round_ and pow_, and the clamps
clamp_min_, clamp_max_ and clip_ (``clamp_``'s other names).

Each computes what its out-of-place twin computes (``x.exp_()`` what ``x.exp()`` does), writes
it into x's own array and returns x, under the rules of Tensor's other in-place methods
(in_place_methods.py): minicnn records no in-place operation in a graph, so the write happens
only where no gradient would be recorded, under ``mc.no_grad()`` or on a tensor that needs
none, and is refused in one line elsewhere; the change is counted (in_place.py), so a node
that kept x's array refuses its backward afterwards.

As PyTorch's, the result must fit x's dtype: exp, log, sqrt, sin, cos, sigmoid, tanh and the
reciprocal of an integer or bool x are float32, and ``square_`` of a bool x is int64, so
those are refused ("result type Float can't be cast to the desired output type Long", in
PyTorch's words); abs_, neg_, floor_, ceil_ and round_ take no bool x (PyTorch has no kernel
for one), sign_ takes it. ``relu_`` is ``F.relu_`` (in_place_activation.py), which takes
floating-point tensors only, as minicnn's ``relu`` does (PyTorch's also takes integers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import activation, basic, pointwise, shorthands
from .checks import check_tensor
from .in_place_activation import relu_
from .in_place_methods import _update, clamp_into, write_result
from .promotion import _CATEGORY


def refuse_result(name: str, x: Tensor, result: Any, instead: str) -> None:
    """Refuse a result of dtype ``result`` that x's dtype cannot take in place: float into an
    integer or bool x, integer into a bool x (PyTorch: "result type Float can't be cast to the
    desired output type Long"); ``instead`` the out-of-place call to write."""
    if _CATEGORY[np.dtype(result).kind] > _CATEGORY[x.dtype.kind]:
        raise TypeError(
            f"{name}: the result for x of {x.dtype} is {np.dtype(result)} (as PyTorch computes it), "
            f"which cannot be written into x's {x.dtype} array in place; write {instead}"
        )


def _float_op(
    short: str, op: Callable[[Tensor], Tensor], instead: str, doc: str
) -> Callable[[Tensor], Tensor]:
    """The in-place method ``short_`` of an op whose result is floating point (float32 for an
    integer or bool x, refused in place)."""
    name = f"{short}_()"

    def method(self: Tensor) -> Tensor:
        check_tensor(name, "x", self)
        refuse_result(name, self, np.float32 if self.dtype.kind != "f" else self.dtype, instead)
        return write_result(self, name, instead, op)

    method.__name__, method.__qualname__, method.__doc__ = f"{short}_", f"Tensor.{short}_", doc
    return method


def _number_op(
    short: str,
    op: Callable[[Tensor], Tensor],
    instead: str,
    doc: str,
    hint: str = "convert it with .long() first",
) -> Callable[[Tensor], Tensor]:
    """The in-place method ``short_`` of an op that keeps x's dtype and has no bool kernel."""
    name = f"{short}_()"

    def method(self: Tensor) -> Tensor:
        check_tensor(name, "x", self)
        if self.dtype == bool:
            raise TypeError(f"{name}: expected a number tensor, got bool (as PyTorch); {hint}")
        return write_result(self, name, instead, op)

    method.__name__, method.__qualname__, method.__doc__ = f"{short}_", f"Tensor.{short}_", doc
    return method


_ELEMENTWISE = {
    "sigmoid_": _float_op("sigmoid", activation.sigmoid, "x = x.sigmoid()", "x = 1 / (1 + e^-x) in place."),
    "tanh_": _float_op("tanh", activation.tanh, "x = x.tanh()", "x = tanh x in place."),
    "exp_": _float_op("exp", basic.exp, "x = x.exp()", "x = e^x in place."),
    "log_": _float_op("log", basic.log, "x = x.log()", "x = ln x in place (NaN below 0, -inf at 0)."),
    "sqrt_": _float_op("sqrt", basic.sqrt, "x = x.sqrt()", "x = sqrt(x) in place (NaN below 0)."),
    "sin_": _float_op("sin", activation.sin, "x = x.sin()", "x = sin x in place."),
    "cos_": _float_op("cos", activation.cos, "x = x.cos()", "x = cos x in place."),
    "reciprocal_": _float_op(
        "reciprocal",
        shorthands.reciprocal,
        "x = x.reciprocal()",
        "x = 1 / x in place (inf at 0, as PyTorch).",
    ),
    "abs_": _number_op("abs", basic.abs, "x = x.abs()", "x = |x| in place."),
    "neg_": _number_op("neg", basic.neg, "x = -x", "x = -x in place.", "to invert a mask use ~mask"),
    "floor_": _number_op("floor", pointwise.floor, "x = x.floor()", "Each element rounded down, in place."),
    "ceil_": _number_op("ceil", pointwise.ceil, "x = x.ceil()", "Each element rounded up, in place."),
}


def _round_(self: Tensor, *, decimals: int = 0) -> Tensor:
    """Each element rounded to ``decimals`` places, halves to even, in place, as ``round``:
    ``decimals`` other than 0 for a floating-point x only, as PyTorch's."""
    name = "round_()"
    check_tensor(name, "x", self)
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
        raise TypeError(f"{name}: decimals must be an int, got {decimals!r}")
    if self.dtype == bool or (decimals and self.dtype.kind != "f"):
        got = "bool" if self.dtype == bool else f"{self.dtype} with decimals={decimals}"
        raise TypeError(f"{name}: expected a floating-point tensor, got {got} (as PyTorch)")
    return write_result(self, name, "x = x.round()", lambda x: pointwise.round(x, decimals=decimals))


def _sign_(self: Tensor) -> Tensor:
    """Each element replaced by -1, 0 or 1 by its sign, in place (NaN gives 0; a bool x is kept)."""
    check_tensor("sign_()", "x", self)
    return write_result(self, "sign_()", "x = x.sign()", pointwise.sign)


def _square_(self: Tensor) -> Tensor:
    """x = x * x in place; a bool x is refused (PyTorch's square of one is int64)."""
    check_tensor("square_()", "x", self)
    refuse_result("square_()", self, np.int64 if self.dtype == bool else self.dtype, "x = x.square()")
    return write_result(self, "square_()", "x = x.square()", shorthands.square)


def _pow_(self: Tensor, exponent: Any) -> Tensor:
    """x = x ** exponent in place, as ``x **= exponent``: the exponent (a number or a Tensor
    broadcast to x's shape) taken as ``pow`` takes it, the result in x's dtype (an integer x
    to a float exponent refused, as PyTorch)."""
    return _update(self, "pow_()", "power", "**", exponent)


def _clamp_min_(self: Tensor, min: Any) -> Tensor:
    """x = max(x, min) in place, as ``clamp_(min=min)``: a number or a Tensor broadcast to x's shape."""
    return _one_bound(self, "clamp_min_()", "min", min)


def _clamp_max_(self: Tensor, max: Any) -> Tensor:
    """x = min(x, max) in place, as ``clamp_(max=max)``: a number or a Tensor broadcast to x's shape."""
    return _one_bound(self, "clamp_max_()", "max", max)


def _one_bound(self, name, side, bound):
    if bound is None:
        raise TypeError(f"{name}: {side} must be a number or a Tensor, got None")
    return clamp_into(self, name, bound if side == "min" else None, bound if side == "max" else None)


def _clip_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Clip to [min, max] in place: ``clamp_``'s other name, as PyTorch's."""
    if min is None and max is None:
        raise ValueError("clip_(): at least one of min and max must be given")
    return clamp_into(self, "clip_()", min, max)


METHODS = {
    "relu_": relu_,
    **_ELEMENTWISE,
    "round_": _round_,
    "sign_": _sign_,
    "square_": _square_,
    "pow_": _pow_,
    "clamp_min_": _clamp_min_,
    "clamp_max_": _clamp_max_,
    "clip_": _clip_,
}
for _name, _method in METHODS.items():
    setattr(Tensor, _name, _method)  # (by name: mypy cannot follow methods added to a class)
