"""PyTorch's dtype rules where two operands meet, which NumPy's promotion would break:

- a Python number takes the tensor's dtype (float32 + 0.5 stays float32; int32 + 1 stays
  int32), and a Python float beside an integer tensor becomes float32, PyTorch's default;
- a float and a non-float tensor meet in the float's dtype; two float dtypes are refused
  (NumPy's silent float64 would hand float64 gradients to a float32 parameter);
- integer exp, log, sqrt and true division give float32; integer division by zero is refused;
- two plain numbers, where PyTorch takes them (torch.add(1, 2), torch.div(6, 4)), meet as
  ``mc.tensor`` makes each: int64, float32 or bool.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor, tensor


def as_tensor(value: Any, like: Tensor) -> Tensor:
    """A number or array as a constant Tensor of ``like``'s dtype and device.

    Beside an integer or bool tensor a Python float becomes float32, PyTorch's default
    float dtype (NumPy would make it float64): ``labels * 0.5`` is float32, as in PyTorch.
    """
    if isinstance(value, Tensor):
        return value
    xp = backend.xp_of(like.data)
    array = xp.asarray(value)
    if array.dtype.kind in "fiub" and like.dtype.kind == "f":
        array = array.astype(like.dtype)  # keep float32 float32 when adding 0.5
    elif like.dtype.kind in "iu" and isinstance(value, (bool, int, np.integer)):
        array = array.astype(like.dtype)  # int32 + 1 stays int32 (uint8 wraps, as in PyTorch)
    elif array.dtype.kind == "f" and not isinstance(value, np.ndarray) and not backend.is_cupy_array(value):
        array = array.astype(np.float32)  # a number or list (np.float64 is a Python float too)
    return Tensor(array)


def same_float_dtype(name, a, b, cast=None):
    """(a, b) ready for one op: a float and a non-float Tensor meet in the float's dtype
    (the non-float one carries no gradient); two float dtypes are a TypeError, as NumPy's
    silent promotion would hand float64 gradients to a float32 tensor, except where one is a
    0-d tensor beside a tensor of more dims: as in PyTorch, a scalar takes the other's dtype
    (``cast(t, dtype)``, the op that carries its gradient back in its own)."""
    ka, kb = a.dtype.kind, b.dtype.kind
    if a.dtype == b.dtype or (ka != "f" and kb != "f"):
        return a, b
    if ka == "f" and kb == "f" and cast is not None and (a.ndim == 0) != (b.ndim == 0):
        return (cast(a, b.dtype), b) if a.ndim == 0 else (a, cast(b, a.dtype))
    if ka == "f" and kb == "f":
        raise TypeError(
            f"{name}: the tensors are {a.dtype} and {b.dtype}; convert one of them (t.float() / t.double())"
        )
    if ka == "f":
        return a, Tensor(b.data.astype(a.dtype))
    return Tensor(a.data.astype(b.dtype)), b


def floating(x: Tensor) -> Tensor:
    """x, or an integer x as float32: exp, log and sqrt of integers are PyTorch's float32."""
    return x if x.dtype.kind == "f" else Tensor(x.data.astype(np.float32))


def check_integer_divisor(name: str, a: Tensor, divisor: Any) -> None:
    """Refuse an integer division by zero, which NumPy answers with 0 and a warning."""
    if a.dtype.kind in "iub" and a.data.size and getattr(divisor, "dtype", np.dtype(float)).kind in "iub":
        if not backend.xp_of(divisor).all(divisor):
            raise ZeroDivisionError(f"{name}: integer division by zero")


def check_one_tensor(name: str, a: Any, b: Any) -> None:
    """Refuse two operands neither of which is a Tensor (the ops that take two numbers lift
    them first, with ``lift_numbers``)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(
            f"{name}: expected a Tensor on at least one side, got {type(a).__name__} and {type(b).__name__}"
        )


def lift_numbers(name: str, a: Any, b: Any) -> tuple[Any, Any]:
    """(a, b) with a Tensor on at least one side: two plain numbers, as torch.add(1, 2) and
    torch.div(6, 4) take them, become a 0-d tensor of mc.tensor's dtype (int64, float32 or
    bool) and a Python number, which then meet under the rules above (``add(1, 2.5)`` is
    float32, as PyTorch's). A NumPy scalar counts as the Python number it holds, as in PyTorch."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor) and _is_number(a) and _is_number(b):
        a, b = (v.item() if isinstance(v, np.generic) else v for v in (a, b))
        return tensor(a), b
    check_one_tensor(name, a, b)
    return a, b


def _is_number(value: Any) -> bool:
    return isinstance(value, (numbers.Real, np.bool_))


def scaled_alpha(name: str, alpha: Any, dtype: Any) -> Any:
    """torch.add's and torch.sub's ``alpha`` as a scalar of the result's ``dtype``, so that
    ``alpha * b`` keeps it; PyTorch's rules: a real number, a float only for a floating-point
    result, a bool only for a bool one."""
    if not _is_number(alpha):
        raise TypeError(f"{name}: alpha must be a real number, got {type(alpha).__name__}")
    dtype = np.dtype(dtype)
    if dtype.kind != "f" and not isinstance(alpha, (numbers.Integral, np.bool_)):
        kind = "a bool" if dtype.kind == "b" else "an integer"
        raise TypeError(f"{name}: alpha must not be a float for {kind} tensor ({dtype}), got {alpha}")
    if dtype.kind != "b" and isinstance(alpha, (bool, np.bool_)):
        raise TypeError(f"{name}: a bool alpha is for bool tensors only, got alpha={alpha} for {dtype}")
    return dtype.type(alpha)
