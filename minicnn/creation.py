"""Tensor factories, as PyTorch's: zeros, ones, full, arange, rand, randn, the *_like ones,
and from_numpy.

Floats are float32 unless a dtype is given (arange of integers and full of an int:
int64, as PyTorch); random draws come from minicnn's generator (rng.py), so
``mc.manual_seed`` repeats them.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import rng
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


def full(
    size: Any, fill_value: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``: float32 for a float, int64 for an int,
    bool for a bool (unless ``dtype`` says otherwise)."""
    size = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    if not isinstance(fill_value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__}")
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
