"""What the tensor factories read before they allocate: the size, the dtype, whether a
tensor of that size could fit in memory at all, and the values it is to hold (a fill value,
linspace's ends, the range of random integers) where the dtype cannot hold them.

Each refusal is one line naming the factory, raised before any array is made, with PyTorch's
error types: ``TypeError`` for a size that is not ints or a dtype that is not one,
``RuntimeError`` for a negative size, and ``TensorTooLargeError`` for a size no memory holds.
"""

from __future__ import annotations

import math
import operator
import os
from typing import Any

import numpy as np

from . import backend, int_range


class TensorTooLargeError(MemoryError, RuntimeError):
    """A tensor larger than the device's whole memory (RAM and swap on the CPU), refused before
    allocating. A ``MemoryError``, as Python and NumPy name a failed allocation, and a
    ``RuntimeError``, as PyTorch's allocator raises it, so ``except`` written for either catches it."""


def type_name(v: Any) -> str:
    """v's type as a user would write it: ``numpy.ndarray``, ``torch.Tensor``, ``list``."""
    module = type(v).__module__.split(".")[0]
    return ("" if module == "builtins" else module + ".") + type(v).__qualname__


def as_int(v: Any) -> int | None:
    """v as an int (a NumPy integer, a 0-d integer tensor), or None for a bool, a float or
    anything else that is not one integer."""
    if isinstance(v, (bool, np.bool_)):
        return None
    try:
        return operator.index(v)
    except (TypeError, ValueError):  # (ValueError: a tensor of more than one element)
        return None


def size_of(name: str, args: tuple, size: Any = None) -> tuple[int, ...]:
    """The size a factory was given, as ints: ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or
    ``f(size=(2, 3))``, as PyTorch's. Refused: no size at all (``f()``: for a 0-d tensor give
    ``()``), a size both ways, an entry that is not an int (a float, a bool, None), a negative one."""
    if size is None and args:  # NOTE: the common call, ints >= 0, taken without the checks below
        dims = args[0] if len(args) == 1 and type(args[0]) in (tuple, list) else args
        if all(type(n) is int and n >= 0 for n in dims):
            return tuple(dims)
    if size is not None:
        if args:
            raise TypeError(f"{name}: expected the size once, got {args} and size={size!r}")
        args = (size,)
    if not args:
        raise TypeError(f"{name}: expected a size, got none (for a 0-d tensor give ())")
    dims = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
    ints = [as_int(n) for n in dims]
    for i, (n, d) in enumerate(zip(dims, ints)):
        if d is None:
            raise TypeError(
                f"{name}: expected a size of ints, got {type_name(n)} {n!r} at index {i} of {tuple(dims)}"
            )
    refuse_negative(name, ints)
    return tuple(ints)  # type: ignore[arg-type]  # (None refused above)


def refuse_negative(name: str, ints: list) -> None:
    """Refuse a negative size, in PyTorch's words and type (NumPy says "negative dimensions are
    not allowed", a ValueError, without the size)."""
    for n in ints:
        if n < 0:
            raise RuntimeError(f"{name}: trying to create a tensor with negative dimension {n}: size {ints}")


def an_int(name: str, what: str, v: Any) -> int:
    """``v`` (an argument such as ``eye``'s n) as an int; a float, a bool or None refused."""
    n = as_int(v)
    if n is None:
        raise TypeError(f"{name}: {what} must be an int, got {type_name(v)} {v!r}")
    return n


def int_bounds(name: str, usage: str, bounds: tuple, low: Any, high: Any) -> tuple:
    """randint's and randint_like's (low, high), as PyTorch reads them from the bounds given by
    position and ``low=``/``high=``: one positional bound is the high one (low 0), or the low one
    beside ``high=``; a low without a high (``low=3``) is refused rather than read as the high
    bound, and so is a bound given both ways. ``usage`` shows the calls the messages suggest."""
    if len(bounds) > 2:
        raise TypeError(f"{name}: expected at most two bounds ({usage}), got {len(bounds)}")
    if len(bounds) == 2 and (low is not None or high is not None):
        raise TypeError(f"{name}: low and high are given twice, by position and by keyword; write {usage}")
    if len(bounds) == 2:
        return bounds
    if len(bounds) == 1 and low is not None:
        raise TypeError(f"{name}: low is given twice, by position and by keyword; write {usage}")
    if len(bounds) == 1:  # f(10): the high bound, or the low one of f(3, high=10)
        return (0, bounds[0]) if high is None else (bounds[0], high)
    if high is None:
        got = "no bounds" if low is None else f"low={low!r} alone"
        raise TypeError(f"{name}: expected a high bound, as {usage}; got {got}")
    return 0 if low is None else low, high


def names_dtype(text: str) -> bool:
    """True for a dtype's name ("float64"); False for "cpu", "cuda:0" or an unknown device:
    how ``x.to("float64")`` and ``model.to("cuda")`` tell a dtype from a device."""
    try:
        np.dtype(text)
        return True
    except TypeError:
        return False


def dtype_of(name: str, dtype: Any, default: Any = None) -> Any:
    """``dtype`` as a NumPy dtype (``default`` where None). minicnn's dtypes are NumPy's
    (``mc.float32 is np.dtype("float32")``), so those, NumPy's types (``np.float32``) and Python's
    ``float``/``int``/``bool`` (float64, int64, bool, as PyTorch reads them) are taken. A string is
    refused, as PyTorch refuses it: ``"float"`` is float64 to NumPy but float32 to PyTorch, so a
    name read either way would be a silent guess."""
    if dtype is None:
        return default if default is None else np.dtype(default)
    if isinstance(dtype, str):
        hint = f"mc.{dtype}" if dtype in _MC_NAMES else "mc.float32, mc.int64, ..."
        raise TypeError(f"{name}: dtype must be a dtype such as {hint}, not the string {dtype!r}")
    try:
        out = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{name}: dtype must be a dtype such as mc.float32, got {type_name(dtype)} {dtype!r}"
        ) from None
    if out.kind not in "biufc":
        raise TypeError(f"{name}: dtype must hold numbers (bool, int, float or complex), got {out}")
    return out


def complex_fill(name: str, value: Any, dtype: Any) -> tuple:
    """A complex fill value and the dtype it goes into, as PyTorch's ``full`` takes them:
    complex64 where no dtype is given (PyTorch's default complex dtype); into a real dtype its
    real part, refused (a RuntimeError, as PyTorch's "cannot be converted without overflow")
    unless the imaginary part is 0; into bool, whether it is nonzero."""
    value = complex(value)
    dtype = np.dtype(np.complex64) if dtype is None else dtype
    if dtype.kind == "c":
        part = np.finfo(dtype)  # (the real and imaginary parts' float type)
        if any(math.isfinite(v) and abs(v) > float(part.max) for v in (value.real, value.imag)):
            raise RuntimeError(
                f"{name}: fill_value = {value!r} cannot be converted to {dtype} without overflow; "
                f"its parts' largest is {float(part.max):.6g}"
            )
        return value, dtype
    if dtype.kind == "b":
        return value != 0, dtype
    if value.imag != 0:  # (NaN too)
        raise RuntimeError(
            f"{name}: fill_value = {value!r} cannot be converted to {dtype} without overflow: a "
            "real dtype holds no imaginary part; give a complex dtype (np.complex64), or the real part"
        )
    return value.real, dtype


def device_of(name: str, device: Any) -> Any:
    """``device`` checked, with the factory's name in the error (``zeros: unknown device 'gpu':
    expected 'cpu' or 'cuda'``): "cpu", "cuda", "cuda:N" or an ``mc.device``; None is the CPU,
    as PyTorch's default."""
    if device is None:
        return "cpu"
    if type(device) is not str or device != "cpu":  # NOTE: the common call parses nothing
        backend.normalize_device(device, name)
    return device


def refuse_bool(name: str, dtype: Any) -> None:
    """Refuse a bool dtype for a factory of counted values (arange, linspace, randperm), as
    PyTorch refuses it ("arange_cpu" not implemented for 'Bool'): a count has no bool steps."""
    if dtype is not None and dtype.kind == "b":
        raise NotImplementedError(
            f"{name}: not implemented for dtype bool, as in PyTorch: its values count up in steps a "
            "bool cannot hold; give an integer dtype (mc.int64) and compare, as (x > 0)"
        )


# minicnn's dtype names (minicnn/__init__.py), for the hint of a dtype given as a string
_MC_NAMES = {"float32", "float64", "int8", "int16", "int32", "int64", "uint8"}
_MC_NAMES |= {"double", "long", "short", "float", "int", "bool"}


def refuse_too_large(name: str, shape: tuple, dtype: Any, device: Any = "cpu") -> None:
    """Refuse a tensor of ``shape`` and ``dtype`` that needs more bytes than ``device`` has in
    all (RAM and swap on the CPU, the GPU's memory on CUDA), before NumPy tries. A tensor that
    would merely be large passes: what is free now changes, and NumPy's own MemoryError tells."""
    count = math.prod(map(int, shape))  # Python ints: no overflow
    need = count * np.dtype(dtype).itemsize
    if need < _SMALL:  # NOTE: the common call never reads the machine's memory
        return
    limit = _memory(str(device))
    if need > limit:
        raise TensorTooLargeError(
            f"{name}: a tensor of size {tuple(shape)} and dtype {np.dtype(dtype)} needs {need} bytes "
            f"({_human(need)}), more than all the memory of device {str(device)!r} ({_human(limit)})"
        )


_SMALL = 1 << 30
_INT64_MAX = (1 << 63) - 1
_limits: dict[str, int] = {}


def _memory(device: str) -> int:
    """All the memory ``device`` has, read once: beyond int64's count where it cannot be told."""
    if device not in _limits:
        _limits[device] = _read_memory(device) or _INT64_MAX
    return _limits[device]


def _read_memory(device: str) -> int | None:
    if device.startswith("cuda"):
        from .backend import cupy

        return int(cupy().cuda.runtime.memGetInfo()[1])
    try:
        with open("/proc/meminfo") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return sum(int(fields[k].split()[0]) * 1024 for k in ("MemTotal", "SwapTotal") if k in fields)
    except (OSError, ValueError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _human(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024:
            return f"{n:.3g} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n:.3g} EiB"


def arange_count(start: Any, end: Any, step: Any) -> int:
    """How many values ``arange(start, end, step)`` holds, ceil((end - start) / step), refusing a
    zero step, bounds a step leads away from, and a NaN or infinite bound (a ValueError, as minicnn's
    other checks of an argument's value; PyTorch says RuntimeError)."""
    for what, v in (("start", start), ("end", end), ("step", step)):
        if not isinstance(v, (int, float, np.integer, np.floating, np.bool_)):  # (bool: an int)
            raise TypeError(f"arange: {what} must be a number, got {type_name(v)} {v!r}")
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise ValueError(f"arange: expected finite start, end and step, got {start} -> {end} by {step}")
    if (end - start) * step < 0:
        raise ValueError(f"arange: the step {step} leads from {start} away from {end}")
    if all(isinstance(v, (int, np.integer, np.bool_)) for v in (start, end, step)):
        return -(-(int(end) - int(start)) // int(step))  # exact for ints of any size
    return max(math.ceil((end - start) / step), 0)


def spaced(name: str, start: Any, end: Any, steps: Any, dtype: Any, device: Any) -> tuple:
    """linspace's and logspace's dtype (float32 where None) and device, checked with their
    steps and their ends (numbers, a 0-d tensor read as its number before)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"{name}: steps must be a non-negative int, got {steps!r}")
    dtype = dtype_of(name, dtype, np.float32)
    if steps > 1:  # NOTE: PyTorch fills 0 or 1 value of bool without its counting kernel
        refuse_bool(name, dtype)
    for what, v in (("start", start), ("end", end)):
        if not isinstance(v, (int, float, np.integer, np.floating, np.bool_)):  # (bool: an int)
            raise TypeError(f"{name}: {what} must be a number, got {type(v).__name__} {v!r}")
        # as PyTorch: both ends must fit the dtype (300 into uint8 would wrap round to 44)
        int_range.refuse_unconvertible(name, v, dtype, lambda i, w=what: f"{w} =", strict_floats=True)
    device = device_of(name, device)
    refuse_too_large(name, (int(steps),), dtype, device)
    return dtype, device


def refuse_ints_beyond(name: str, what: str, low: int, high: int, dtype: np.dtype) -> None:
    """Refuse draws from [low, high] that ``dtype`` cannot hold, as PyTorch does ("to - 1 is
    out of bounds for unsigned char"), where NumPy would wrap 300 round to 44; in a float
    dtype, integers beyond those it holds every one of (2^24 in float32), which would round
    to their neighbours: a draw equal to high, or a permutation with repeats."""
    if dtype.kind in "biu" and high >= low:
        least, most = (0, 1) if dtype.kind == "b" else (int(np.iinfo(dtype).min), int(np.iinfo(dtype).max))
        if low < least or high > most:
            raise RuntimeError(f"{name}: {what} does not fit in {dtype}, which holds [{least}, {most}]")
    if dtype.kind == "f" and high >= low:
        most = 2 ** (np.finfo(dtype).nmant + 1)
        if low < -most or high > most:
            raise RuntimeError(
                f"{name}: {what} does not fit in {dtype}, which holds every integer only in "
                f"[-{most}, {most}]; give dtype=mc.int64 (or mc.float64)"
            )
