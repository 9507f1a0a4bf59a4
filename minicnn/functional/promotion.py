"""PyTorch's dtype rules where two operands meet, which NumPy's promotion would break:

- a Python number takes the tensor's dtype (float32 + 0.5 stays float32; int32 + 1 stays
  int32), and a Python float beside an integer tensor becomes float32, PyTorch's default;
- an int the integer tensor's dtype cannot hold wraps round in +, -, *, comparisons and
  bitwise ops (uint8 + 300 is uint8 + 44, uint8 == 256 is uint8 == 0), is taken at its own
  value by true division (uint8 / 256 is x / 256.0 in float32), and is refused by where and
  a power's exponent, as PyTorch does each, and by maximum and minimum (PyTorch's take no
  number; its clamp refuses one); an int outside [-2**63, 2**64) is refused everywhere, and
  one only uint64 holds (2**63) beside a bool tensor (PyTorch promotes nothing to uint64);
- a float a float32 operand cannot hold (1e40) is inf in arithmetic and refused by where,
  maximum and minimum, as PyTorch's where and clamp refuse it; a NumPy scalar counts as the
  Python number it holds (mask + np.uint8(5) is int64; np.bool_ is a bool, which PyTorch 2.13
  reads as a float: its mask + np.bool_(True) is float32);
- a float and a non-float tensor meet in the float's dtype; two float dtypes are refused
  (NumPy's silent float64 would hand float64 gradients to a float32 parameter);
- integer exp, log, sqrt and true division give float32; integer division by zero is refused,
  and so is an integer tensor to a negative integer number (to a tensor of negative integer
  exponents it is 1, -1 or 0, PyTorch's integer power, where NumPy refuses);
- a 0-d tensor beside a tensor with dims does not raise its dtype unless it is of a higher
  category (bool < integer < float): int32 + mc.tensor(5) stays int32, uint8 * mc.tensor(2)
  stays uint8 (and wraps), where NumPy would give int64;
- two plain numbers, where PyTorch takes them (torch.add(1, 2), torch.div(6, 4)), meet as
  ``mc.tensor`` makes each: int64, float32 or bool;
- an operand that is not a Tensor, a number or an array of numbers (None, a string) is a
  TypeError naming the op, and so is a list or tuple, as in PyTorch (``t + [1, 2]``:
  ``t + mc.tensor([1, 2])`` says which dtype is meant); shapes that do not broadcast are a
  ValueError naming it;
- bools meet arithmetic as in PyTorch: a bool operand is refused by ``-`` and matmul, two bools
  by ``%``, ``//`` and ``**``, and one bool alone by negation and abs;
- in place (``x += y``, ``x.add_(y)``) the result is computed as out of place, with these rules,
  then written into x's dtype, which may narrow it (int32 += an int64 tensor) but not raise its
  category: a float result into an integer or bool x, or an integer one into a bool x, is
  refused (``int_t /= 2``), as PyTorch refuses it;
- a number an op takes as a scalar argument (a clamp bound, add's alpha, a fill value) is
  converted as PyTorch converts one: -1 is 255 in uint8, 300 is refused (``scalar_of``).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor, tensor
from .checks import fill_value


def as_tensor(value: Any, like: Tensor, name: str = "", *, ints: str = "wrap") -> Tensor:
    """A number or array as a constant Tensor of ``like``'s dtype and device; with the op's
    ``name``, anything else (None, a string) is refused first, in a line that names it.

    Beside an integer or bool tensor a Python float becomes float32, PyTorch's default
    float dtype (NumPy would make it float64): ``labels * 0.5`` is float32, as in PyTorch.
    Beside an integer tensor a Python int takes its dtype; one the dtype cannot hold wraps
    round (``ints="wrap"``: uint8 + 300 is uint8 + 44), is refused (``"refuse"``: where), or
    keeps its value as float32 (``"float"``: true division), as the op does in PyTorch.
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.generic):
        value = value.item()  # a NumPy scalar counts as the Python number it holds, as in PyTorch
    xp = backend.xp_of(like.data)
    array = xp.asarray(operand_array(name, value)) if name else xp.asarray(value)
    if like.dtype == bool and isinstance(value, int) and value >= 2**63:
        # NOTE: NumPy would give uint64, a dtype PyTorch promotes nothing to
        raise TypeError(
            f"{name}: a bool tensor and the int {value}, which only uint64 holds, have no common "
            f"dtype in PyTorch (it promotes nothing to uint64); use an int below 2**63"
        )
    if like.dtype.kind == "c" and array.dtype.kind in "fiubc" and not isinstance(value, np.ndarray):
        with np.errstate(over="ignore"):  # NOTE: 1e40 beside complex64 is inf, as beside float32
            array = array.astype(like.dtype)  # a number takes a complex tensor's dtype, as PyTorch
    elif array.dtype.kind == "c" and not isinstance(value, np.ndarray) and not backend.is_cupy_array(value):
        refuse_complex(name or "arithmetic", f"{like.dtype} tensor", f"the complex number {value!r}")
    elif array.dtype.kind in "fiub" and like.dtype.kind == "f":
        array = array.astype(like.dtype)  # keep float32 float32 when adding 0.5
    elif like.dtype.kind in "iu" and isinstance(value, (bool, int, np.integer)):
        if ints == "refuse":
            fill_value(name, value, like.dtype)  # 256 beside uint8: a ValueError naming both
        # NOTE: int32 + 1 stays int32; an int it cannot hold wraps, as in PyTorch, except in
        # true division, which divides by the number itself
        array = array.astype(np.float32 if ints == "float" else like.dtype)
    elif array.dtype.kind == "f" and not isinstance(value, np.ndarray) and not backend.is_cupy_array(value):
        array = array.astype(np.float32)  # a number or list (np.float64 is a Python float too)
    return Tensor(array)


def refuse_complex(name: str, one: str, other: str) -> None:
    """Refuse a complex operand beside a real tensor: minicnn computes complex tensors with numbers
    and complex tensors only (docs/api/creation.md), where PyTorch would promote the real tensor
    to complex, and carry gradients through complex values, which minicnn does not."""
    raise TypeError(
        f"{name}: a complex operand meets only numbers and complex tensors in minicnn, got {one} "
        f"and {other}; convert the real tensor with .to(np.complex64) first"
    )


def in_place_operand(
    name: str, x: Tensor, other: Any, what: str, instead: str, *, ints: str = "wrap"
) -> tuple[Any, np.dtype]:
    """(other's array, the dtype x op other is computed in) for an op written into x's array:
    other as ``as_tensor`` makes it beside x (uint8 += 300 adds 44), the dtype ``result_type``'s
    (true division's a float one: ``ints="float"``). A result x's dtype cannot take (float into
    an integer or bool x, integer into a bool x) is refused in one line naming the op, ``what``
    other is called and ``instead``, the way out, as PyTorch refuses it."""
    y = as_tensor(other, x, name, ints=ints)
    dtype = result_type(x, y)
    if ints == "float" and dtype.kind in "biu":
        dtype = np.dtype(np.float32)  # integers divide truly into PyTorch's default float dtype
    refuse_wider_result(name, x, what, _dtype_name(other), dtype, instead)
    return y.data, dtype


def refuse_wider_result(name: str, x: Tensor, what: str, got: str, dtype: Any, instead: str) -> None:
    """Refuse a result of ``dtype`` (x op other, other's dtype or type ``got``) that cannot be
    written into x's array in place: PyTorch casts a result down within its category (float64
    into float32, int64 into uint8) but never from float to integer or bool, or integer to bool."""
    if _CATEGORY[np.dtype(dtype).kind] > _CATEGORY[x.dtype.kind]:
        raise TypeError(
            f"{name}: x is {x.dtype} and {what} {got}, whose result cannot be written into x's "
            f"{x.dtype} array in place (PyTorch computes it in {dtype}); {instead}"
        )


def scalar_of(name: str, what: str, value: Any, dtype: Any) -> Any:
    """A number an op takes as a scalar (``what`` it is: a clamp bound, add's alpha) as a scalar
    of ``dtype``, converted as PyTorch converts one (``checks.fill_value``: -1 is 255 in uint8,
    2.7 is 2 in int32) and refused in one line naming the op where the dtype cannot hold it
    (300 in uint8, 1e40 in float32) or where it is outside [-2**63, 2**64)."""
    operand_array(name, value)
    return fill_value(name, value, dtype, what=what)


def refuse_float_overflow(name: str, value: Any, other: Any) -> None:
    """Refuse a float number that the float dtype it meets ``other`` in (other's, if a float
    tensor, else float32) cannot hold, as PyTorch's where and clamp convert a number: 1e40
    beside float32 is a ValueOverflowError (arithmetic takes it, as inf: ``x + 1e40``)."""
    if isinstance(value, (float, np.floating)):
        dtype = other.dtype if isinstance(other, Tensor) and other.dtype.kind == "f" else np.float32
        fill_value(name, float(value), dtype)


def operand_array(name: str, value: Any) -> Any:
    """value (a number, or an array or list of numbers) as an array, or a TypeError naming the
    op: NumPy would make None or a string an object array and answer with NaNs or its own error."""
    if backend.is_cupy_array(value):
        return value
    if isinstance(value, (list, tuple)):  # NOTE: PyTorch refuses these, so code written here runs there
        raise TypeError(
            f"{name}: expected a Tensor, a number or an array of numbers, got a {type(value).__name__}; "
            f"wrap it in mc.tensor(...) first"
        )
    if isinstance(value, numbers.Integral) and not -(2**63) <= int(value) < 2**64:  # NumPy: an object array
        raise ValueError(
            f"{name}: the int {value} is outside the range PyTorch takes a number in, [-2**63, 2**64)"
        )
    try:
        array = np.asarray(value)
    except ValueError:  # a ragged list
        array = None
    if array is None or array.dtype.kind not in "biufc":
        raise TypeError(
            f"{name}: expected a Tensor, a number or an array of numbers, got {_described(value)}"
        )
    return array


def _described(value: Any) -> str:
    kind = type(value).__name__
    return f"{kind} {value!r}" if isinstance(value, str) and len(value) < 20 else kind


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def result_type(*tensors: Tensor) -> np.dtype:
    """The dtype PyTorch computes the tensors in. A 0-d tensor beside one with dims counts only
    if its category (bool < integer < float) is higher: int32 and a 0-d int64 give int32
    (NumPy: int64), int32 and a 0-d float64 give float64. An integer and a float meet in the
    float's dtype (NumPy: int64 and float32 give float64)."""
    promoted = [
        np.result_type(*([d for d in group if d.kind == "f"] or group))
        for group in ([t.dtype for t in tensors if t.ndim], [t.dtype for t in tensors if not t.ndim])
        if group
    ]  # (those with dims first)
    return promoted[-1] if _CATEGORY[promoted[-1].kind] > _CATEGORY[promoted[0].kind] else promoted[0]


def refuse_float_mix(name: str, *tensors: Tensor) -> None:
    """Refuse float tensors of two dtypes among an op's operands, before any cast: a 0-d one
    takes the dtype of float tensors with dims (as ``same_float_dtype`` casts it), but those
    with dims, or with none such the 0-d ones, must agree."""
    floats = [t for t in tensors if t is not None and t.dtype.kind == "f"]
    deciding = sorted({str(t.dtype) for t in ([t for t in floats if t.ndim] or floats)})
    if len(deciding) > 1:
        raise TypeError(
            f"{name}: the tensors are {' and '.join(deciding)}; convert one of them (t.float() / t.double())"
        )


def in_dtype(x: Tensor, dtype: Any) -> Tensor:
    """x as dtype, for operands that carry no gradient (integers, bools, comparisons')."""
    return x if x.dtype == dtype else Tensor(x.data.astype(dtype))


def same_float_dtype(name, a, b, cast=None):
    """(a, b) ready for one op: a float and a non-float Tensor meet in the float's dtype
    (the non-float one carries no gradient); two float dtypes are a TypeError, as NumPy's
    silent promotion would hand float64 gradients to a float32 tensor, except where one is a
    0-d tensor beside a tensor of more dims: as in PyTorch, a scalar takes the other's dtype
    (``cast(t, dtype)``, the op that carries its gradient back in its own). Integers and bools
    meet in ``result_type``'s dtype (uint8 * mc.tensor(2) stays uint8, and wraps, as PyTorch)."""
    ka, kb = a.dtype.kind, b.dtype.kind
    if a.dtype == b.dtype:
        return a, b
    if (ka == "c") != (kb == "c"):
        refuse_complex(name, f"{a.dtype} tensor", f"{b.dtype} tensor")
    if ka == "c":  # (none needs a gradient) complex64 and complex128 meet in complex128, as PyTorch
        dtype = result_type(a, b)
        return in_dtype(a, dtype), in_dtype(b, dtype)
    if ka != "f" and kb != "f":
        dtype = result_type(a, b)
        return in_dtype(a, dtype), in_dtype(b, dtype)
    if ka == "f" and kb == "f" and cast is not None and (a.ndim == 0) != (b.ndim == 0):
        return (cast(a, b.dtype), b) if a.ndim == 0 else (a, cast(b, a.dtype))
    if ka == "f" and kb == "f":
        raise TypeError(
            f"{name}: the tensors are {a.dtype} and {b.dtype}; convert one of them (t.float() / t.double())"
        )
    if ka == "f":
        return a, Tensor(b.data.astype(a.dtype))
    return Tensor(a.data.astype(b.dtype)), b


def check_broadcast(name: str, *shapes: tuple) -> None:
    """Refuse shapes that do not broadcast together, naming the op and the first dim (from the
    right, as PyTorch counts) where two sizes differ and neither is 1."""
    try:
        np.broadcast_shapes(*shapes)
        return
    except ValueError:
        pass
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    for d in reversed(range(ndim)):
        sizes = {s[d] for s in padded} - {1}
        if len(sizes) > 1:
            a, b = sorted(sizes, key=[s[d] for s in padded].index)[:2]
            listed = " and ".join(str(tuple(s)) for s in shapes)
            raise ValueError(
                f"{name}: shapes {listed} do not broadcast: sizes {a} and {b} at dim {d} (neither is 1)"
            )


def floating(x: Tensor, name: str) -> Tensor:
    """x, or an integer x as float32: exp, log and sqrt of integers are PyTorch's float32. A
    complex x is refused, naming the op: its real part alone would be a wrong answer."""
    if x.dtype.kind == "c":
        raise TypeError(
            f"{name}: expected a real tensor, got {x.dtype} (minicnn computes complex tensors only in "
            "arithmetic with numbers and complex tensors)"
        )
    return x if x.dtype.kind == "f" else Tensor(x.data.astype(np.float32))


def check_integer_divisor(name: str, a: Tensor, divisor: Any) -> None:
    """Refuse an integer division by zero, which NumPy answers with 0 and a warning."""
    if a.dtype.kind in "iub" and a.data.size and getattr(divisor, "dtype", np.dtype(float)).kind in "iub":
        if not backend.xp_of(divisor).all(divisor):
            raise ZeroDivisionError(f"{name}: integer division by zero")


def is_bool(value: Any) -> bool:
    """True for a bool Tensor or array and for a bool scalar (Python's True, np.bool_)."""
    return isinstance(value, (bool, np.bool_)) or getattr(value, "dtype", None) == np.bool_


def refuse_bools(name: str, a: Any, b: Any, *, either: bool) -> None:
    """Refuse bool operands where PyTorch does, before they meet a number and become one
    (``f - True`` would be ``f - 1.0``): a bool on ``either`` side (subtraction, matmul), or
    two bools (%, //, **: PyTorch has no bool kernel for them)."""
    bools = is_bool(a) + is_bool(b)
    if bools == 2 or (either and bools):
        got = " and ".join(_dtype_name(v) for v in (a, b))
        if name in ("sub", "-=", "sub_()"):
            hint = "use a ^ b" if bools == 2 else "to invert a mask use ~mask"
            raise TypeError(f"{name}: expected no bool operand (PyTorch subtracts none), got {got}; {hint}")
        expected = "no bool operand" if either else "at most one bool operand"
        raise TypeError(f"{name}: expected {expected} (as PyTorch), got {got}; convert with .long() first")


def refuse_bool(name: str, x: Tensor, hint: str) -> None:
    """Refuse a bool tensor where PyTorch has no kernel for one (-x, abs, floor ...)."""
    if x.dtype == bool:
        raise TypeError(f"{name}: expected a number tensor, got bool (as PyTorch); {hint}")


def check_integer_power(name: str, base: Any, exponent: Any) -> None:
    """Refuse an integer or bool tensor raised to a negative integer number, as PyTorch does
    (NumPy would wrap -1 round to 255 in uint8). A tensor of exponents is not refused: its
    negative powers are 1, -1 or 0, by ``integer_power``."""
    integer = isinstance(exponent, (numbers.Integral, np.integer)) and not is_bool(exponent)
    if isinstance(base, Tensor) and base.dtype.kind in "biu" and integer and exponent < 0:
        raise ValueError(
            f"{name}: integers to negative integer powers are not allowed (as PyTorch), got {base.dtype} "
            f"** {exponent}; use a float exponent ({exponent}.0) or convert with .float()"
        )


def integer_power(xp: Any, a: Any, b: Any) -> Any:
    """a ** b elementwise for integer arrays of one dtype, as PyTorch computes it: where b < 0,
    1 ** b is 1, (-1) ** b is 1 or -1 as b is even or odd, and any other base gives 0 (1 / a
    rounded towards zero); NumPy refuses any negative b instead."""
    if a.dtype.kind == "u" or not (b < 0).any():
        return a**b
    y = a ** xp.maximum(b, 0)
    negative_power = xp.where(a == 1, 1, xp.where(a == -1, 1 - 2 * (b % 2), 0)).astype(y.dtype)
    return xp.where(b < 0, negative_power, y)


def _dtype_name(value: Any) -> str:
    return str(value.dtype) if hasattr(value, "dtype") else type(value).__name__


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


def scaled_alpha(name: str, alpha: Any, dtype: Any, *, subtract: bool = False) -> Any:
    """torch.add's and torch.sub's ``alpha`` as a scalar of the result's ``dtype``, so that
    ``alpha * b`` keeps it; PyTorch's rules: a real number (or complex, for a complex result),
    a float only for a floating-point or complex result, a bool only for a bool one, converted
    as ``scalar_of`` converts it (for sub, -alpha: PyTorch subtracts by adding -alpha, so int8
    takes alpha=128 and refuses alpha=-128). A 0-d
    tensor that needs no gradient counts as the number it holds, as in PyTorch."""
    if isinstance(alpha, Tensor) and not alpha.ndim and not alpha.requires_grad:
        alpha = alpha.item()  # (a bool, int or float: checked below as one)
    elif isinstance(alpha, Tensor):
        got = "one that requires grad" if alpha.requires_grad else f"shape {alpha.shape}"
        raise TypeError(f"{name}: alpha must be a number or a 0-d tensor that needs no gradient, got {got}")
    dtype = np.dtype(dtype)
    if isinstance(alpha, (complex, np.complexfloating)) and dtype.kind == "c":
        return scalar_of(name, "alpha", alpha, dtype)  # (a complex alpha for complex tensors, as PyTorch)
    if not _is_number(alpha):
        raise TypeError(f"{name}: alpha must be a real number, got {type(alpha).__name__}")
    if dtype.kind not in "fc" and not isinstance(alpha, (numbers.Integral, np.bool_)):
        kind = "a bool" if dtype.kind == "b" else "an integer"
        raise TypeError(f"{name}: alpha must not be a float for {kind} tensor ({dtype}), got {alpha}")
    if dtype.kind != "b" and isinstance(alpha, (bool, np.bool_)):
        raise TypeError(f"{name}: a bool alpha is for bool tensors only, got alpha={alpha} for {dtype}")
    if subtract and dtype.kind in "iu":
        negated = scalar_of(name, "-alpha", -alpha, dtype)
        return np.asarray(-int(negated)).astype(dtype)[()]  # (wraps: -(-128) is -128 in int8)
    return scalar_of(name, "alpha", alpha, dtype)  # uint8: -1 is 255, 300 is refused
