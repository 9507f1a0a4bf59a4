"""PyTorch's dtype rules where two operands meet, which NumPy's promotion would break:

- a Python number takes the tensor's dtype (float32 + 0.5 stays float32; int32 + 1 stays
  int32), and a Python float beside an integer tensor becomes float32, PyTorch's default;
- a float and a non-float tensor meet in the float's dtype; two float dtypes are refused
  (NumPy's silent float64 would hand float64 gradients to a float32 parameter);
- integer exp, log, sqrt and true division give float32; integer division by zero is refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor


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
