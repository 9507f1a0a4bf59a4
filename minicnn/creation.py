"""Tensor factories, as PyTorch's: zeros, ones, empty, full, eye, arange, linspace, rand,
randn, randint, randperm, the *_like ones, and from_numpy.

Floats are float32 unless a dtype is given (arange of integers and full of an int:
int64, as PyTorch); random draws come from minicnn's generator (rng.py), so
``mc.manual_seed`` repeats them.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import int_range, rng
from .tensor import Tensor, tensor


def _shape(shape: tuple) -> tuple:
    """Accept both f(2, 3) and f((2, 3))."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def zeros(*shape: Any, dtype: Any = "float32", device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``mc.zeros(2, 3)`` or ``mc.zeros((2, 3))``."""
    return tensor(np.zeros(_shape(shape), dtype=dtype), requires_grad=requires_grad, device=device)


def ones(*shape: Any, dtype: Any = "float32", device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ``mc.ones(2, 3)`` or ``mc.ones((2, 3))``."""
    return tensor(np.ones(_shape(shape), dtype=dtype), requires_grad=requires_grad, device=device)


def _check_fill_value(name: str, fill_value: Any, dtype: Any) -> None:
    """Refuse a fill_value that is no number, or an int beyond int64 for an integer dtype (None
    reads an int as int64), in one line naming ``name`` (``full``, ``new_full``)."""
    if not isinstance(fill_value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"{name}: fill_value must be a number, got {type(fill_value).__name__}")
    if dtype is None or np.dtype(dtype).kind == "i":
        int_range.refuse_ints_beyond_int64(np.asarray(fill_value), fill_value, name)


def full(
    size: Any, fill_value: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``: float32 for a float, int64 for an int,
    bool for a bool (unless ``dtype`` says otherwise)."""
    size = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    _check_fill_value("full", fill_value, dtype)
    if dtype is None:
        dtype = np.asarray(tensor(fill_value).data).dtype  # mc.tensor's rules for a number
    return tensor(np.full(size, fill_value, dtype=dtype), requires_grad=requires_grad, device=device)


def arange(
    start: Any = 0,
    end: Any = None,
    step: Any = 1,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """start, start + step, ... up to (not including) end; ``arange(n)`` is 0 .. n-1.
    int64 when all three are integers, else float32 (unless ``dtype`` says otherwise)."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"arange: the step {step} leads from {start} away from {end}")
    if dtype is None:
        integers = all(isinstance(v, (int, np.integer)) for v in (start, end, step))  # bool too
        dtype = np.int64 if integers else np.float32
    values = np.arange(start, end, step, dtype=np.float64 if np.dtype(dtype).kind == "f" else dtype)
    return tensor(values.astype(dtype), requires_grad=requires_grad, device=device)


def rand(
    *shape: Any,
    dtype: Any = "float32",
    device: str = "cpu",
    requires_grad: bool = False,
    generator: Any = None,
) -> Tensor:
    """Uniform draws from [0, 1)."""
    data = below_one(rng.get_generator(generator).random(_shape(shape)), _float_dtype("rand", dtype))
    return tensor(data, requires_grad=requires_grad, device=device)


def below_one(draws: np.ndarray, dtype: Any) -> np.ndarray:
    """float64 draws from [0, 1) as ``dtype``, still below 1: rounding to float32 takes the
    largest draws (from 1 - 2^-25) up to exactly 1.0."""
    data = draws.astype(dtype)
    return np.minimum(data, np.nextafter(data.dtype.type(1), data.dtype.type(0)))


def _float_dtype(name: str, dtype: Any) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{name}: draws are floats; dtype {dtype} is not a floating-point type")
    return dtype


def randn(
    *shape: Any,
    dtype: Any = "float32",
    device: str = "cpu",
    requires_grad: bool = False,
    seed: Any = None,
    generator: Any = None,
) -> Tensor:
    """Standard normal draws: from ``generator`` (as ``rand``), a new one seeded with ``seed``,
    or minicnn's default one."""
    draws = rng.get_generator(seed if generator is None else generator).standard_normal(_shape(shape))
    data = draws.astype(_float_dtype("randn", dtype))
    return tensor(data, requires_grad=requires_grad, device=device)


def zeros_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of t's shape, dtype and device (unless given)."""
    return zeros(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of t's shape, dtype and device (unless given)."""
    return ones(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory (a change to one shows in the other), as PyTorch's;
    ``mc.tensor`` copies instead."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: expected numbers, got an array of dtype {array.dtype}")
    if not array.dtype.isnative:
        raise TypeError(
            f"from_numpy: the array's byte order is not this machine's ({array.dtype}); use .astype"
        )
    if not array.flags.writeable:
        warnings.warn(
            "from_numpy: the array is read-only, so in-place writes to the tensor (an optimizer step) "
            "will fail; pass array.copy() to write",
            UserWarning,
            stacklevel=2,
        )
    return Tensor(array)


def empty(*shape: Any, dtype: Any = "float32", device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """A tensor to be written over: zeros here (PyTorch leaves whatever memory held)."""
    return zeros(*shape, dtype=dtype, device=device, requires_grad=requires_grad)


def eye(
    n: int, m: Any = None, dtype: Any = "float32", device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """The n x m identity matrix (m = n unless given)."""
    return tensor(np.eye(n, n if m is None else m, dtype=dtype), requires_grad=requires_grad, device=device)


def linspace(
    start: float,
    end: float,
    steps: int,
    dtype: Any = "float32",
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from start to end, both included."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    values = np.linspace(start, end, steps).astype(dtype)
    return tensor(values, requires_grad=requires_grad, device=device)


def randint(
    low: int,
    high: Any = None,
    size: Any = None,
    *,
    dtype: Any = "int64",
    device: str = "cpu",
    generator: Any = None,
) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        low, high, size = 0, low, high
    elif high is None:  # randint(10, size=(3,)): the one bound given is the high one
        low, high = 0, low
    if size is None:
        raise TypeError("randint: expected a size, as randint(high, size) or randint(low, high, size)")
    if high <= low:
        raise ValueError(f"randint: the range [{low}, {high}) is empty")
    draws = rng.get_generator(generator).integers(
        low, high, size=_shape((size,)) if np.ndim(size) else (size,)
    )
    return tensor(draws.astype(dtype), device=device)


def randperm(n: int, *, dtype: Any = "int64", device: str = "cpu", generator: Any = None) -> Tensor:
    """0 .. n-1 in a random order."""
    return tensor(rng.get_generator(generator).permutation(n).astype(dtype), device=device)


def full_like(
    t: Tensor, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """``fill_value`` in t's shape, dtype and device (unless given)."""
    return full(
        t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad
    )


def rand_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform draws from [0, 1) in t's shape, dtype and device (unless given)."""
    return rand(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def randn_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal draws in t's shape, dtype and device (unless given)."""
    return randn(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)
