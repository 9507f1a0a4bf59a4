"""The rules every in-place method of Tensor follows (``_check_in_place``, ``_check_fits``,
``refuse_grad_operand``, ``write_back``), and the in-place arithmetic under them: ``+=`` and the
other augmented operators (``&=``, ``|=`` and ``^=`` too), ``add_``, ``sub_``, ``mul_``,
``div_`` and ``clamp_``. The others: ``zero_``, ``fill_``, ``copy_`` and ``masked_fill_`` in
in_place_fill.py, ``x[index] = value`` in setitem.py, the in-place math ``exp_`` ... ``clip_``
in in_place_math.py, ``lerp_``, ``addcmul_`` and ``addcdiv_`` in ternary.py, ``scatter_`` ...
``index_fill_`` in in_place_index.py and ``normal_``, ``uniform_``, ``bernoulli_`` ...
``random_`` in in_place_random.py.

As PyTorch's, each computes what the op computes out of place (a number beside x under the
rules of promotion.py: uint8 += 300 adds 44) and writes it into x's dtype, refusing a result
of a higher category (``int_t /= 2`` is float32) in one line; a number written as it is
(``fill_``, ``x[i] = v``, a clamp bound) is converted as a fill value: -1 is 255 in uint8, 300
is refused.

NOTE: minicnn records no in-place operation in a graph (an op's backward may read the array
it would overwrite), so each of these writes into the tensor's array only where no gradient
would be recorded: under ``no_grad`` (an optimizer step, an initialisation) or on a tensor
that needs none, and refuses in one line elsewhere. Each change is counted (the version
counter of in_place.py), so a node that kept the array refuses its backward afterwards.
"""

import numbers

import numpy as np

from .. import backend, in_place, inference
from ..tensor import Tensor, is_grad_enabled
from . import pointwise
from .checks import check_device
from .clamping import read_mixed_bounds
from .promotion import (
    check_integer_divisor,
    check_integer_power,
    in_place_operand,
    integer_power,
    refuse_bools,
    refuse_wider_result,
    result_type,
    scalar_of,
    scaled_alpha,
)


def _check_in_place(t, symbol, instead="compute a new tensor instead", shared="refuse", stacklevel=4):
    """Refuse to change t in place where a gradient is recorded: a leaf that requires grad
    (outside no_grad), or a node of a graph (an op's backward may read its array); an
    inference tensor outside inference_mode, as PyTorch; and read-only memory.

    ``shared`` says what a write into memory that several of t's elements share (an expand()
    view) gets, as in PyTorch: "refuse" for values computed per element, "warn" for a masked or
    indexed write (PyTorch takes it and warns that it will not), None where one value goes to
    every element or the caller looks at the view it writes into (``x[index] = v``).
    ``stacklevel``, the warning's: 4 names the line that called the method which called this."""
    inference.refuse_in_place(t, symbol)
    in_place.refuse_read_only(symbol, t.data)
    if is_grad_enabled() and t.requires_grad:
        if t.is_leaf:
            raise RuntimeError(
                f"a leaf Tensor that requires grad is used in an in-place operation ({symbol}); "
                f"update it under mc.no_grad(), as an optimizer step does"
            )
        raise RuntimeError(
            f"{symbol} on a Tensor inside an autograd graph: minicnn records no in-place "
            f"operations; {instead}"
        )
    if shared == "refuse":
        in_place.check_no_overlap(symbol, t.data)
    elif shared == "warn":
        in_place.warn_overlap(symbol, t.data, stacklevel=stacklevel)


def _check_fits(name, x, shape, what="other"):
    """Refuse an other of ``shape`` that does not broadcast to x's own shape: an in-place
    result has x's shape (x += y of shape (2, 3) cannot grow an x of shape (3,))."""
    try:
        fits = np.broadcast_shapes(x.shape, shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: {what} of shape {shape} does not broadcast to x's shape {x.shape}")


def write_result(self, name, instead, op):
    """x's array = op(x) in place, x returned (``relu_``, ``exp_``): op records nothing, as x needs
    no gradient here or none is recorded; ``instead``, the out-of-place call a refusal suggests."""
    _check_in_place(self, name, f"write {instead}")
    return write_back(self, op(self).data)


def write_back(self, y):
    """The array y (computed in a dtype that may be wider than x's) cast into x's array, the change
    counted; x returned. Silently: float64 past float32's range is inf there, a wider int wraps."""
    with np.errstate(over="ignore", invalid="ignore"):
        backend.xp_of(self.data).copyto(self.data, y, casting="unsafe")
    self._changed_in_place()
    return self


def refuse_grad_operand(name, what, t, instead):
    """Refuse an operand ``what`` that requires grad where a gradient is recorded (PyTorch would
    record the in-place op; minicnn records none, and a silent write would cut t's gradient
    off); ``instead`` is the out-of-place call the message suggests. A number passes."""
    if is_grad_enabled() and isinstance(t, Tensor) and t.requires_grad:
        raise RuntimeError(
            f"{name}: {what} requires grad, and minicnn records no in-place operation; write {instead}"
        )


def _in_place(symbol, ufunc):
    """x op= y writing into x's array, as PyTorch does where no gradient is recorded: under
    ``no_grad`` (a hand-written SGD step, ``w -= lr * w.grad``) or on a tensor that needs none.

    NOTE: minicnn records no in-place operations in a graph (an op's backward may read the
    array it would overwrite), so where a gradient would be recorded it refuses in one line.
    """

    def method(self, other):
        if is_grad_enabled() and isinstance(other, Tensor) and other.requires_grad:
            return NotImplemented  # Python falls back to x = x op y, which records the op
        return _combine(self, symbol, ufunc, other, "y", f"write x = x {symbol[:-1]} y")

    return method


def _combine(self, name, ufunc, other, what, instead, alpha=None, rounding_mode=None):
    """self = self ufunc (alpha * other), written into self's array, as PyTorch's in-place ops:
    other taken as out of place (an int wraps round into an integer x's dtype, is taken at its
    value by true division and refused by a power where the dtype cannot hold it), the result
    computed in the dtype it has out of place and cast to x's (int32 += an int64 tensor), and
    refused where that would raise its category (``in_place_operand``) or grow x's shape.
    ``what`` other is called in the errors, ``instead`` the way out they suggest."""
    _check_in_place(self, name, instead)
    check_device(name, self, what, other)
    bool_power = ufunc == "power" and self.dtype == bool and isinstance(other, (bool, np.bool_))
    if (ufunc in ("subtract", "floor_divide", "remainder", "power") or rounding_mode) and not bool_power:
        refuse_bools(name, self, other, either=ufunc == "subtract")  # (before a bool becomes a number)
    if ufunc == "power":
        check_integer_power(name, self, other)
    # an int x's dtype cannot hold: true division takes it as it is, a power refuses it, all else wraps it
    ints = "wrap" if rounding_mode else {"true_divide": "float", "power": "refuse"}.get(ufunc, "wrap")
    with np.errstate(over="ignore"):  # 1e40 beside float32 is inf, as in PyTorch
        value, dtype = in_place_operand(name, self, other, what, instead, ints=ints)
    if ufunc.startswith("bitwise") and dtype.kind not in "biu":
        got = getattr(other, "dtype", type(other).__name__)
        raise TypeError(f"{name}: expected bool or integer operands, got {self.dtype} and {what} {got}")
    _check_fits(name, self, tuple(value.shape), what)
    if ufunc in ("floor_divide", "remainder") or rounding_mode:
        check_integer_divisor(name, self, value)  # (uint8 //= 256 divides by 0, as PyTorch)
    alpha = None if alpha is None else scaled_alpha(name, alpha, dtype, subtract=ufunc == "subtract")
    xp = backend.xp_of(self.data)
    a = self.data if self.dtype == dtype else self.data.astype(dtype)
    b = value if value.dtype == dtype else value.astype(dtype)
    # NOTE: x //= 0.0 is inf, and the smallest integer //= -1 wraps, silently, as x // y
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        b = b if alpha is None or alpha == 1 else b * alpha
        if bool_power:  # x ** True is x, x ** False is 1, as out of place
            y = a if other else xp.ones_like(a)
        elif rounding_mode is not None:
            y = pointwise.rounded_quotient(xp, a, b, rounding_mode)
        elif ufunc == "power" and dtype.kind in "iu":
            y = integer_power(xp, a, b)  # a negative integer exponent gives 1, -1 or 0, as x ** y
        elif ufunc == "remainder":
            y = pointwise.remainder_of(xp, a, b)  # -2.0 %= 2.0 is -0.0, as x % y
        else:
            y = getattr(xp, ufunc)(a, b, out=a if a is self.data else None)
        if y is not self.data:  # a wider result cast down (int64 into int32; 1e300 is inf in float32)
            xp.copyto(self.data, y, casting="unsafe")
    self._changed_in_place()
    return self


Tensor.__iadd__ = _in_place("+=", "add")
Tensor.__isub__ = _in_place("-=", "subtract")
Tensor.__imul__ = _in_place("*=", "multiply")
Tensor.__itruediv__ = _in_place("/=", "true_divide")
Tensor.__ipow__ = _in_place("**=", "power")
Tensor.__ifloordiv__ = _in_place("//=", "floor_divide")
Tensor.__imod__ = _in_place("%=", "remainder")
Tensor.__iand__ = _in_place("&=", "bitwise_and")
Tensor.__ior__ = _in_place("|=", "bitwise_or")
Tensor.__ixor__ = _in_place("^=", "bitwise_xor")


def _update(self, name, ufunc, symbol, other, alpha=None, rounding_mode=None):
    """self = self op (alpha * other), written into self's array, as PyTorch's ``add_`` and the
    like (``_combine``: other broadcast to self's shape, the result in self's dtype, refused
    where it has a higher category). A rounding_mode makes the division div's rounded one."""
    refuse_grad_operand(name, "other", other, f"x = x {symbol} other")
    instead = f"write x = x {symbol} other"
    if rounding_mode is not None:
        instead = f"write x = x.div(other, rounding_mode={rounding_mode!r})"
    return _combine(self, name, ufunc, other, "other", instead, alpha, rounding_mode)


def _add_(self, other, *, alpha=1):
    """self += alpha * other in place, as PyTorch's ``add_`` (under the rules above)."""
    return _update(self, "add_()", "add", "+", other, alpha)


def _sub_(self, other, *, alpha=1):
    """self -= alpha * other in place, as PyTorch's ``sub_``."""
    return _update(self, "sub_()", "subtract", "-", other, alpha)


def _mul_(self, other):
    """self *= other in place."""
    return _update(self, "mul_()", "multiply", "*", other)


def _div_(self, other, *, rounding_mode=None):
    """self /= other in place (true division: a float tensor only, as in PyTorch); with
    rounding_mode 'trunc' or 'floor' the quotient rounded as ``div``'s, which an integer
    tensor takes too (``x.div_(2, rounding_mode="floor")`` is ``x //= 2``)."""
    if rounding_mode not in (None, "trunc", "floor"):
        raise ValueError(f"div_(): rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
    return _update(self, "div_()", "true_divide", "/", other, rounding_mode=rounding_mode)


def _clamp_(self, min=None, max=None):
    """Clip to [min, max] in place, as ``clamp`` (under the rules above); an integer tensor
    takes integer bounds only, as PyTorch's. The bounds are numbers or Tensors, as clamp's."""
    if min is None and max is None:
        raise ValueError("clamp_(): at least one of min and max must be given")
    return clamp_into(self, "clamp_()", min, max)


def clamp_into(self, name, min, max):
    """``_clamp_`` under another ``name`` for the errors (``clip_``, ``clamp_min_``)."""
    min, max = read_mixed_bounds(name, min, max)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensors_(self, name, min, max)
    if self.dtype.kind != "f" and any(isinstance(v, (float, np.floating)) for v in (min, max)):
        raise TypeError(
            f"{name}: x is {self.dtype}, and a float bound cannot clamp it in place; "
            "x = x.clamp(...) gives a float32 result"
        )
    if self.dtype == bool:  # PyTorch: no bool kernel, and an integer result does not fit a bool x
        raise TypeError(f"{name}: expected a number tensor x for number bounds, got bool (as PyTorch)")
    for v in (min, max):
        if v is not None and not isinstance(v, numbers.Real):
            raise TypeError(f"{name}: min and max must be numbers or Tensors, got {type(v).__name__}")
    _check_in_place(self, name, "write x = x.clamp(min, max)")
    # NOTE: bounds in x's dtype (a NumPy float64 bound would not fit the float32 output),
    # converted as PyTorch converts them: -1 is 255 in uint8, 300 is refused
    lo, hi = (
        None if v is None else scalar_of(name, side, v, self.dtype)
        for side, v in (("min", min), ("max", max))
    )
    xp = backend.xp_of(self.data)
    y = xp.clip(self.data, lo, hi)
    # NOTE: at a tie of 0.0 and -0.0, x's sign, as PyTorch (NumPy's clip takes the bound's)
    xp.copyto(self.data, y, where=(y != self.data) if self.dtype.kind == "f" and 0 in (lo, hi) else True)
    self._changed_in_place()
    return self


def _clamp_tensors_(self, name, min, max):
    """y = min(max(x, lo), hi) written into x's array, as ``clamp`` with Tensor bounds
    (clamping.py): lo > hi gives hi, NaN in x or a bound gives NaN. As PyTorch's, the
    bounds broadcast to x's shape, the three meet in ``result_type``'s dtype (a 0-d int64 bound
    holding 300 is 44 beside uint8) and the result takes x's dtype (a float one refused for an
    integer or bool x)."""
    bounds = [(side, b) for side, b in (("min", min), ("max", max)) if b is not None]
    for side, b in bounds:  # (both Tensors: read_mixed_bounds saw to it)
        refuse_grad_operand(name, side, b, "x = x.clamp(min, max)")
        check_device(name, self, side, b)
        _check_fits(name, self, b.shape, side)
        dtype = result_type(self, b)  # PyTorch: "result type Float can't be cast to ... Long"
        refuse_wider_result(name, self, side, str(b.dtype), dtype, "x = x.clamp(min, max) gives a new tensor")
    if self.dtype == bool and len(bounds) == 2:  # (PyTorch's clamp_min_ and clamp_max_ take it)
        raise TypeError(f"{name}: expected a number tensor x for two bounds, got bool (as PyTorch)")
    _check_in_place(self, name, "write x = x.clamp(min, max)")
    xp, dtype = backend.xp_of(self.data), result_type(self, *[b for _, b in bounds])
    y = self.data.astype(dtype, copy=False)  # NOTE: maximum and minimum keep NaN, as clamp's
    for side, b in bounds:
        y = (xp.maximum if side == "min" else xp.minimum)(y, b.data.astype(dtype, copy=False))
    return write_back(self, y)


Tensor.add_, Tensor.sub_, Tensor.mul_, Tensor.div_, Tensor.clamp_ = _add_, _sub_, _mul_, _div_, _clamp_
