"""The pointwise ops of three tensors that optimizers are written with: lerp, addcmul and
addcdiv, out of place (differentiable) and in place (``lerp_``, ``addcmul_``, ``addcdiv_``).

PyTorch's Adam keeps its running averages with them, under no_grad:

    exp_avg.lerp_(grad, 1 - beta1)                                  # m = m + (1 - b1)(g - m)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)    # v = b2 v + (1 - b2) g^2
    param.addcdiv_(exp_avg, denom, value=-step_size)                # p = p - lr m / denom

The in-place ones follow the rules of Tensor's other in-place methods (in_place_methods.py):
written only where no gradient would be recorded, refused in one line elsewhere, each change
counted; the operands broadcast to x's shape (never x to theirs), the result is computed in
the dtype the three meet in and written into x's, refused where that would raise x's category
(a float result into an integer x), as PyTorch's.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .basic import unbroadcast
from .checks import check_tensor, type_name
from .copying import cast
from .in_place_methods import _check_fits, _check_in_place, refuse_grad_operand, write_back
from .promotion import (
    check_broadcast,
    in_dtype,
    refuse_float_mix,
    refuse_wider_result,
    result_type,
    scalar_of,
)


def lerp_of(xp: Any, a: Any, b: Any, w: Any) -> Any:
    """a + w (b - a), as PyTorch computes it: from b's side where |w| >= 0.5 (b - (b - a)(1 - w)),
    so that w = 1 gives b exactly."""
    diff = b - a
    return xp.where(xp.abs(w) < 0.5, a + w * diff, b - diff * (1 - w))


class Lerp(Function):
    """y = a + w (b - a).   ga = gy (1 - w), gb = gy w, gw = gy (b - a), each summed back to its shape."""

    def forward(self, a, b, w):
        self.shapes = a.shape, b.shape, w.shape
        self.w = w if self.needs_grad[0] or self.needs_grad[1] else None
        self.diff = b - a if self.needs_grad[2] else None
        return lerp_of(backend.xp_of(a), a, b, w)

    def backward(self, gy):
        sa, sb, sw = self.shapes
        return (
            unbroadcast(gy * (1 - self.w), sa) if self.needs_grad[0] else None,
            unbroadcast(gy * self.w, sb) if self.needs_grad[1] else None,
            unbroadcast(gy * self.diff, sw) if self.needs_grad[2] else None,
        )


class Addcmul(Function):
    """y = x + v a b.   gx = gy, ga = v gy b, gb = v gy a."""

    def forward(self, x, a, b, *, value):
        self.shapes, self.value = (x.shape, a.shape, b.shape), value
        self.a = a if self.needs_grad[2] else None
        self.b = b if self.needs_grad[1] else None
        return x + value * a * b

    def backward(self, gy):
        sx, sa, sb = self.shapes
        return (
            unbroadcast(gy, sx) if self.needs_grad[0] else None,
            unbroadcast(gy * self.value * self.b, sa) if self.needs_grad[1] else None,
            unbroadcast(gy * self.value * self.a, sb) if self.needs_grad[2] else None,
        )


class Addcdiv(Function):
    """y = x + v a / b.   gx = gy, ga = v gy / b, gb = -v gy a / b^2."""

    def forward(self, x, a, b, *, value):
        self.shapes, self.value = (x.shape, a.shape, b.shape), value
        self.a = a if self.needs_grad[2] else None
        self.b = b if self.needs_grad[1] or self.needs_grad[2] else None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # x / 0: inf, as PyTorch
            return x + value * a / b

    def backward(self, gy):
        sx, sa, sb = self.shapes
        v, b = self.value, self.b
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return (
                unbroadcast(gy, sx) if self.needs_grad[0] else None,
                unbroadcast(gy * v / b, sa) if self.needs_grad[1] else None,
                unbroadcast(-gy * v * self.a / b / b, sb)
                if self.needs_grad[2]
                else None,  # (b twice, as Div)
            )


def _tensors(name: str, **given: Any) -> None:
    for what, t in given.items():
        check_tensor(name, what, t)
    devices = {t.device for t in given.values()}
    if len(devices) > 1:
        listed = ", ".join(f"{what} on {t.device}" for what, t in given.items())
        raise TypeError(
            f"{name}: the tensors are on different devices ({listed}); move them with .to(device)"
        )


def _value(name: str, value: Any, dtype: Any) -> Any:
    """addcmul's and addcdiv's ``value`` as a scalar of the result's dtype, converted as PyTorch
    converts a number (a float truncated for an integer result, 300 refused in uint8); a 0-d
    tensor that needs no gradient counts as the number it holds."""
    if isinstance(value, Tensor) and not value.ndim and not value.requires_grad:
        value = value.item()
    if isinstance(value, Tensor) or not isinstance(value, (numbers.Real, np.bool_)):
        got = "a Tensor that requires grad or has dims" if isinstance(value, Tensor) else type_name(value)
        raise TypeError(f"{name}: value must be a number, got {got}")
    return scalar_of(name, "value", value, dtype)


def _check_lerp_dtypes(name: str, input: Tensor, end: Tensor, weight: Any) -> None:
    """As PyTorch: a floating-point input, end of its dtype, weight a number or a tensor of it."""
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point input, got {input.dtype} (as PyTorch)")
    others = [("end", end)] + ([("weight", weight)] if isinstance(weight, Tensor) else [])
    for what, t in others:
        if t.dtype != input.dtype:
            raise TypeError(
                f"{name}: expected {what} of input's dtype {input.dtype}, got {t.dtype} (as PyTorch)"
            )
    if not isinstance(weight, (Tensor, numbers.Real, np.bool_)):
        raise TypeError(f"{name}: weight must be a number or a Tensor, got {type_name(weight)}")


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """input + weight (end - input), the straight line from input to end, as ``torch.lerp``:
    ``weight`` a number or a tensor, all three broadcast together, of one floating dtype.
    gi = gy (1 - w), ge = gy w, gw = gy (end - input); where |w| >= 0.5 it is computed as
    end - (end - input)(1 - w), PyTorch's order, so that w = 1 gives end exactly.

    >>> import minicnn as mc
    >>> mc.lerp(mc.tensor([0.0, 10.0]), mc.tensor([1.0, 20.0]), 0.25).tolist()
    [0.25, 12.5]
    """
    _tensors("lerp", input=input, end=end, **({"weight": weight} if isinstance(weight, Tensor) else {}))
    _check_lerp_dtypes("lerp", input, end, weight)
    if not isinstance(weight, Tensor):
        weight = Tensor(backend.xp_of(input.data).asarray(scalar_of("lerp", "weight", weight, input.dtype)))
    check_broadcast("lerp", input.shape, end.shape, weight.shape)
    return Lerp.apply(input, end, weight)


def _in_one_dtype(name: str, *tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors in the dtype they meet in (``result_type``'s, a float one carrying its
    gradient back through the cast); float tensors of two dtypes refused, as in ``+``."""
    refuse_float_mix(name, *tensors)
    dtype = result_type(*tensors)
    if dtype.kind == "b":
        raise TypeError(f"{name}: expected number tensors, got bool ones (as PyTorch)")
    return tuple(
        t if t.dtype == dtype else cast(t, dtype) if dtype.kind == "f" else in_dtype(t, dtype)
        for t in tensors
    )


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """input + value * tensor1 * tensor2, as ``torch.addcmul``: the three broadcast together and
    meet in one dtype (float tensors of two dtypes refused, as minicnn's ``+`` refuses them).
    gi = gy, g1 = value gy tensor2, g2 = value gy tensor1.

    >>> import minicnn as mc
    >>> x, t1, t2 = mc.tensor([1.0, 1.0]), mc.tensor([2.0, 3.0]), mc.tensor([4.0, 5.0])
    >>> mc.addcmul(x, t1, t2, value=0.5).tolist()
    [5.0, 8.5]
    """
    _tensors("addcmul", input=input, tensor1=tensor1, tensor2=tensor2)
    check_broadcast("addcmul", input.shape, tensor1.shape, tensor2.shape)
    x, a, b = _in_one_dtype("addcmul", input, tensor1, tensor2)
    return Addcmul.apply(x, a, b, value=_value("addcmul", value, x.dtype))


def _refuse_integer_division(name: str, tensor1: Tensor, tensor2: Tensor) -> None:
    if tensor1.dtype.kind in "biu" and tensor2.dtype.kind in "biu":
        raise TypeError(
            f"{name}: tensor1 and tensor2 are {tensor1.dtype} and {tensor2.dtype}, and PyTorch no longer "
            "divides integers in addcdiv; convert one with .float() for true division"
        )


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """input + value * tensor1 / tensor2, as ``torch.addcdiv`` (two integer tensors refused, as
    PyTorch); broadcast and dtypes as ``addcmul``'s. gi = gy, g1 = value gy / tensor2,
    g2 = -value gy tensor1 / tensor2^2.

    >>> import minicnn as mc
    >>> mc.addcdiv(mc.tensor([1.0]), mc.tensor([3.0]), mc.tensor([2.0]), value=-1).tolist()
    [-0.5]
    """
    _tensors("addcdiv", input=input, tensor1=tensor1, tensor2=tensor2)
    _refuse_integer_division("addcdiv", tensor1, tensor2)
    check_broadcast("addcdiv", input.shape, tensor1.shape, tensor2.shape)
    x, a, b = _in_one_dtype("addcdiv", input, tensor1, tensor2)
    return Addcdiv.apply(x, a, b, value=_value("addcdiv", value, x.dtype))


# --- in place -----------------------------------------------------------------------------


def _operands(name: str, self: Tensor, instead: str, **given: Any) -> None:
    """The checks before an in-place write, once ``_tensors`` has found Tensors on x's device:
    none that requires grad where a gradient is recorded, each broadcasting to x's own shape."""
    for what, t in given.items():
        refuse_grad_operand(name, what, t, instead)
        _check_fits(name, self, t.shape, what)


def _lerp_(self: Tensor, end: Tensor, weight: Any) -> Tensor:
    """x = x + weight (end - x) in place, as ``lerp`` (Adam's ``exp_avg.lerp_(grad, 1 - beta1)``):
    end, and weight if a tensor, of x's dtype and broadcast to x's shape."""
    name, instead = "lerp_()", "x = x.lerp(end, weight)"
    tensors = {"end": end, **({"weight": weight} if isinstance(weight, Tensor) else {})}
    _tensors(name, x=self, **tensors)
    _operands(name, self, instead, **tensors)
    _check_lerp_dtypes(name, self, end, weight)
    w = weight.data if isinstance(weight, Tensor) else scalar_of(name, "weight", weight, self.dtype)
    _check_in_place(self, name, f"write {instead}")
    return write_back(self, lerp_of(backend.xp_of(self.data), self.data, end.data, w))


def _combined(self, name, instead, tensor1, tensor2, value):
    """(the dtype x, tensor1 and tensor2 meet in, value in it), refused where x cannot take it;
    after ``_tensors``."""
    _operands(name, self, instead, tensor1=tensor1, tensor2=tensor2)
    dtype = result_type(self, tensor1, tensor2)
    if dtype.kind == "b":
        raise TypeError(f"{name}: expected number tensors, got bool ones (as PyTorch)")
    refuse_wider_result(
        name, self, "tensor1", f"{tensor1.dtype} (tensor2 {tensor2.dtype})", dtype, f"write {instead}"
    )
    value = _value(name, value, dtype)
    _check_in_place(self, name, f"write {instead}")
    return dtype, value


def _addcmul_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """x = x + value * tensor1 * tensor2 in place, as ``addcmul`` (Adam's
    ``exp_avg_sq.addcmul_(grad, grad, value=1 - beta2)``)."""
    name, instead = "addcmul_()", "x = x.addcmul(tensor1, tensor2, value=value)"
    _tensors(name, x=self, tensor1=tensor1, tensor2=tensor2)
    dtype, v = _combined(self, name, instead, tensor1, tensor2, value)
    x, a, b = (t.data.astype(dtype, copy=False) for t in (self, tensor1, tensor2))
    with np.errstate(over="ignore", invalid="ignore"):  # (inf * 0 is NaN, as PyTorch)
        return write_back(self, x + v * a * b)


def _addcdiv_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """x = x + value * tensor1 / tensor2 in place, as ``addcdiv`` (Adam's step,
    ``param.addcdiv_(exp_avg, denom, value=-step_size)``)."""
    name, instead = "addcdiv_()", "x = x.addcdiv(tensor1, tensor2, value=value)"
    _tensors(name, x=self, tensor1=tensor1, tensor2=tensor2)
    _refuse_integer_division(name, tensor1, tensor2)
    dtype, v = _combined(self, name, instead, tensor1, tensor2, value)
    x, a, b = (t.data.astype(dtype, copy=False) for t in (self, tensor1, tensor2))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # x / 0 is inf, as PyTorch
        return write_back(self, x + v * a / b)


# (set by name: mypy cannot follow methods added to a class after it is built; the
# out-of-place lerp, addcmul and addcdiv are attached in tensor_methods.py, with the others)
for _name, _method in {"lerp_": _lerp_, "addcmul_": _addcmul_, "addcdiv_": _addcdiv_}.items():
    setattr(Tensor, _name, _method)
