"""The argument checks the ops share: each raises, naming the layer, what it expected and what it got.

``F.*`` runs them on every call, before any arithmetic; a Module runs the
hyperparameter ones once, in its constructor, and passes its own name to
``F.*`` (``name=``) so that an error names the layer, not the function.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..creation_args import as_int, type_name  # noqa: F401 (shared with the factories)
from ..tensor import Tensor


def pair(v: Any, name: str = "value") -> tuple[int, int]:
    """An int or a pair of ints -> a (height, width) tuple of ints."""
    h, w = ints(v, 2, name)
    return h, w


def ints(v: Any, dims: int, name: str = "value", expected: str | None = None) -> tuple[int, ...]:
    """An int or ``dims`` ints -> a tuple of ``dims`` ints: (height, width) for the 2-D layers,
    (length,) for the 1-D ones, which take an int or a 1-tuple, as PyTorch's. ``expected``
    names the ints in the error where "a pair of ints" would not say what they are."""
    if type(v) is int:  # (every conv and pool call: no test against the number ABCs for these)
        return (v,) * dims
    if type(v) is tuple and len(v) == dims and all(type(a) is int for a in v):
        return v
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return (int(v),) * dims
    if (
        isinstance(v, (tuple, list))
        and len(v) == dims
        and all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in v)
    ):
        return tuple(int(a) for a in v)
    raise TypeError(f"{name} must be an int or {expected or _INTS[dims]}, got {v!r}")


# how a message names a tuple of the spatial dims' ints, a batch's and one sample's shapes,
# and the spatial axes
_INTS = {1: "a tuple of one int", 2: "a pair of ints"}
LAYOUTS = {1: ("(N, C, L)", "(C, L)"), 2: ("(N, C, H, W)", "(C, H, W)")}
AXES = {1: ("length",), 2: ("height", "width")}


def positive_int(name: str, what: str, n: Any) -> int:
    """n as an int, or a ValueError when it is not a positive integer."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{name}: {what} must be a positive int, got {n!r}")
    return int(n)


def check_real(name: str, what: str, v: Any) -> None:
    """v must be a real number (a hyperparameter such as alpha or beta; bool is not one)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name}: {what} must be a real number, got {v!r}")


def check_tensor(name: str, what: str, t: Any) -> None:
    """t must be a minicnn Tensor (an array is not: in minicnn ``t.data`` is the array itself)."""
    if not isinstance(t, Tensor):
        hint = ""
        if hasattr(t, "__array__") or isinstance(t, (list, tuple)):
            hint = "; wrap it with mc.tensor(...) (a minicnn Tensor's .data is an array)"
        raise TypeError(f"{name}: {what} must be a minicnn Tensor, got {type_name(t)}{hint}")


def check_device(name: str, x: Tensor, what: str, t: Any, x_name: str = "x") -> None:
    """Refuse a Tensor operand ``what`` on another device than x (called ``x_name``), in one
    line, the same for every op; a number passes."""
    if isinstance(t, Tensor) and t.device != x.device:
        raise TypeError(
            f"{name}: {x_name} is on {x.device} but {what} on {t.device}; move one with .to(device)"
        )


def check_bool_mask(name: str, x: Tensor, mask: Any, what: str = "input") -> None:
    """mask must be a bool Tensor on x's device (``masked_fill`` and ``masked_fill_``)."""
    if not isinstance(mask, Tensor) or mask.dtype != bool:
        got = mask.dtype if isinstance(mask, Tensor) else type_name(mask)
        raise TypeError(f"{name}: mask must be a bool Tensor, got {got}")
    check_device(name, x, "mask", mask, what)


class ValueOverflowError(ValueError, RuntimeError):
    """A number an op takes as a scalar (a fill or pad value, a clamp bound, add's alpha) that the
    tensor's dtype cannot hold. A ``RuntimeError``, as PyTorch's "value cannot be converted to
    type float without overflow", and a ``ValueError``, as minicnn's other checks of an
    argument's value, so ``except`` written for either catches it."""


def fill_value(name: str, value: Any, dtype: Any, what: str = "value") -> Any:
    """A number as a scalar of ``dtype``, converted as PyTorch converts a fill value (or any
    number an op takes as a scalar, ``what`` it is: a clamp bound, add's alpha): floats
    into an integer dtype truncate towards 0, integers into an unsigned one wrap (-1 is 255
    in uint8), and a value the dtype cannot hold (inf or NaN in an integer, 1e40 in float32,
    300 in uint8, a complex number in a real dtype) is a ValueOverflowError (a ValueError and a
    RuntimeError) naming it, never a silent overflow. Into a complex dtype any number goes, each
    part held as a float of its precision (1e40 is refused by complex64, as by float32)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        v = complex(value)
        top = float(np.finfo(dtype).max)
        ok = all(not math.isfinite(part) or abs(part) <= top for part in (v.real, v.imag))
    elif isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        ok = False
    elif dtype.kind == "b":
        return dtype.type(bool(value))
    elif dtype.kind == "f":
        v = float(value)
        ok = not math.isfinite(v) or abs(v) <= float(np.finfo(dtype).max)
    elif isinstance(value, numbers.Integral):  # includes bool
        v, top = int(value), int(np.iinfo(dtype).max)
        ok = (v <= top and -v <= top) if dtype.kind == "u" else np.iinfo(dtype).min <= v <= top
        v = v % (top + 1) if dtype.kind == "u" else v  # NOTE: two's complement, as PyTorch wraps it
    else:
        v = float(value)
        ok = math.isfinite(v) and np.iinfo(dtype).min <= math.trunc(v) <= np.iinfo(dtype).max
        ok = ok and not (dtype.kind == "u" and v < 0)
        v = math.trunc(v) if ok else v
    if not ok:
        into = f"an {dtype}" if dtype.name.startswith("int") else f"a {dtype}"
        raise ValueOverflowError(
            f"{name}: {what} {value!r} cannot be written into {into} tensor without overflow"
        )
    return dtype.type(v)


def check_float(name: str, what: str, t: Any) -> None:
    """t must be a floating-point Tensor."""
    check_tensor(name, what, t)
    if t.dtype.kind != "f":
        raise TypeError(f"{name}: {what} must be a floating-point tensor, got dtype {t.dtype}")
    if t.dtype.itemsize not in (4, 8):  # the kernels are written and tested for these two
        raise TypeError(
            f"{name}: {what} must be float32 or float64, got {t.dtype} (convert with .float() or .double())"
        )


def check_same_dtype(name: str, x: Tensor, **others: Tensor | None) -> None:
    """Every given tensor has x's dtype (NumPy would promote silently, and backward then fail)."""
    for what, t in others.items():
        if t is not None and t.dtype != x.dtype:
            raise TypeError(
                f"{name}: x is {x.dtype} but {what} is {t.dtype}; convert one of them "
                "(x.float() / x.double(), model.float() / model.double())"
            )


def check_nchw(name: str, x: Any, dims: int = 2) -> None:
    """x must be a floating-point (N, C, H, W) Tensor, or (N, C, L) with ``dims=1`` (one
    sample, (C, H, W) or (C, L), is made a batch of one before this check, by
    ``shape.one_image_too``)."""
    check_float(name, "x", x)
    if x.ndim != dims + 2:
        batched, one = LAYOUTS[dims]
        raise ValueError(f"{name}: expected x of shape {batched} or {one}, got shape {x.shape}")


def check_not_empty(name: str, x: Any, dims: Any) -> None:
    """Refuse x with a size of 0 in one of ``dims``, as PyTorch's pools do: they take an empty
    batch, not an empty channel or plane (NumPy would give an empty result)."""
    for d in dims:
        if x.shape[d] == 0:
            raise ValueError(
                f"{name}: x of shape {x.shape} is empty in dim {d}; expected sizes of at least 1 "
                f"in dims {dims[0]} to {dims[-1]} (PyTorch's takes a size of 0 in dim 0 only)"
            )


def check_conv_args(
    name: str, stride: Any, padding: Any, dilation: Any, groups: Any, dims: int = 2
) -> tuple[tuple[int, ...], tuple[int, ...] | str, tuple[int, ...]]:
    """Validate a convolution's hyperparameters; returns (stride, padding, dilation) as pairs,
    or as 1-tuples with ``dims=1`` (the 1-D layers).

    padding may also be PyTorch's "valid" (none) or "same" (the output as large
    as the input, stride 1 only); those two come back as the string.
    """
    stride, dilation = ints(stride, dims, f"{name}: stride"), ints(dilation, dims, f"{name}: dilation")
    if min(stride) <= 0:
        raise ValueError(f"{name}: stride must be positive, got {stride}")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(
                f"{name}: padding must be an int, {_INTS[dims]}, 'same' or 'valid', got {padding!r}"
            )
        if padding == "same" and stride != (1,) * dims:
            raise ValueError(
                f"{name}: padding='same' keeps the input's size, which a stride cannot; got stride {stride}"
            )
    else:
        padding = ints(padding, dims, f"{name}: padding")
        if min(padding) < 0:
            raise ValueError(f"{name}: padding must be non-negative, got {padding}")
    if min(dilation) < 1:
        raise ValueError(f"{name}: dilation must be at least 1, got {dilation}")
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    return stride, padding, dilation


def check_conv_transpose_args(
    name: str, stride: Any, padding: Any, output_padding: Any, dilation: Any, groups: Any, dims: int = 2
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Validate a transposed convolution's hyperparameters; returns (stride, padding,
    output_padding, dilation) as pairs (1-tuples with ``dims=1``). padding is a number of
    cells (no "same" or "valid", as in PyTorch), and output_padding must be smaller than the
    stride or the dilation (PyTorch's rule: it picks one of the s output sizes a stride s
    makes ambiguous)."""
    padding = ints(padding, dims, f"{name}: padding")
    output_padding = ints(output_padding, dims, f"{name}: output_padding")
    stride, padding, dilation = check_conv_args(name, stride, padding, dilation, groups, dims)
    assert not isinstance(padding, str)  # ints() above took no word
    for op, s, d in zip(output_padding, stride, dilation):
        if op < 0 or (op >= s and op >= d):
            raise ValueError(
                f"{name}: output_padding must be non-negative and smaller than either stride or "
                f"dilation, got output_padding {output_padding}, stride {stride}, dilation {dilation}"
            )
    return stride, padding, output_padding, dilation


def check_flag(name: str, what: str, v: Any) -> None:
    """A flag PyTorch takes as a bool alone (pooling's ceil_mode and count_include_pad, the
    reductions' keepdim, dropout's and batch_norm's training): 1, 'yes' or np.True_ refused, as
    PyTorch refuses them ("argument 'ceil_mode' must be bool, not int")."""
    if type(v) is not bool:
        raise TypeError(f"{name}: {what} must be a bool (True or False), got {type_name(v)} {v!r}")


def check_pool_args(
    name: str, kernel_size: Any, stride: Any, padding: Any, dims: int = 2
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Validate a pooling's hyperparameters; returns (kernel_size, stride, padding) as pairs
    (1-tuples with ``dims=1``)."""
    kernel_size = ints(kernel_size, dims, f"{name}: kernel_size")
    stride = kernel_size if stride is None else ints(stride, dims, f"{name}: stride")
    padding = ints(padding, dims, f"{name}: padding")
    if min(kernel_size) <= 0:
        raise ValueError(f"{name}: kernel_size must be positive, got {kernel_size}")
    if min(stride) <= 0:
        raise ValueError(f"{name}: stride must be positive, got {stride}")
    if min(padding) < 0:
        raise ValueError(f"{name}: padding must be non-negative, got {padding}")
    if any(p > k // 2 for p, k in zip(padding, kernel_size)):
        # NOTE: PyTorch's rule; more padding would allow windows of padding alone
        raise ValueError(
            f"{name}: padding should be at most half of kernel_size, got padding "
            f"{padding} for kernel_size {kernel_size}"
        )
    return kernel_size, stride, padding


def check_max_pool_args(
    name: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any, dims: int = 2
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """``check_pool_args``, and max pooling's dilation (a window's taps d cells apart, as
    PyTorch's): returns (kernel_size, stride, padding, dilation) as pairs (1-tuples with
    ``dims=1``). The padding limit stays half of kernel_size, not of the dilated span, as in
    PyTorch."""
    kernel_size, stride, padding = check_pool_args(name, kernel_size, stride, padding, dims)
    dilation = ints(dilation, dims, f"{name}: dilation")
    if min(dilation) < 1:
        raise ValueError(f"{name}: dilation must be at least 1, got {dilation}")
    return kernel_size, stride, padding, dilation


def check_output_size(name: str, output_size: Any, dims: int = 2) -> tuple[int | None, ...]:
    """An int or pair (None keeps that input size) -> a pair of non-negative ints or None
    (0 makes an empty output, as in PyTorch). With ``dims=1``: an int or a 1-tuple, no None,
    as PyTorch's 1-D adaptive pools take it."""
    size = (output_size,) * dims if not isinstance(output_size, (tuple, list)) else output_size
    if len(size) != dims or not all(
        (s is None and dims > 1) or (isinstance(s, numbers.Integral) and not isinstance(s, bool))
        for s in size
    ):
        raise TypeError(f"{name}: output_size must be an int or {_INTS[dims]}, got {output_size!r}")
    if any(s is not None and s < 0 for s in size):
        raise ValueError(f"{name}: output_size must be non-negative, got {output_size!r}")
    return tuple(None if s is None else int(s) for s in size)


def check_p(name: str, p: Any) -> None:
    """p must be a probability (dropout)."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= float(p) <= 1:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p!r}")


def wrap_dim(name: str, dim: Any, ndim: int) -> int:
    """dim in 0..ndim-1 (a negative one counts from the end), or PyTorch's IndexError: a
    dimension past the end is an error, not a wrap-around to another axis. A 0-d tensor
    takes dims -1 and 0, as in PyTorch. A bool or a float is no dim (NumPy would take True
    as 1), a TypeError as in PyTorch."""
    index = as_int(dim)
    if index is None:
        raise TypeError(f"{name}: dim must be an int, got {type_name(dim)} {dim!r}")
    dim = index
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{name}: dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def wrap_dims(name: str, dims: Any, ndim: int) -> tuple[int, ...]:
    """Each of ``dims`` (an int, or a tuple or list of them) as ``wrap_dim`` gives it, in the
    order given; a dim named twice (0 and -ndim are one) is refused, as PyTorch refuses it."""
    given = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    wrapped = tuple(wrap_dim(name, d, ndim) for d in given)
    for i, d in enumerate(wrapped):
        if d in wrapped[:i]:
            raise ValueError(f"{name}: dim {d} appears more than once in the dims given, {given}")
    return wrapped
