"""Tensor factories, as PyTorch's: zeros, ones, empty, full, eye, arange, linspace, rand,
randn, randint, randperm, the *_like ones, and from_numpy.

Floats are float32 unless a dtype is given (arange of integers and full of an int:
int64, as PyTorch); random draws come from minicnn's generator (rng.py), so
``mc.manual_seed`` repeats them.

Each checks its arguments before it allocates, in one line naming it (creation_args.py): a
size of ints (``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``; a float, a bool or a negative
one refused), a dtype that is one (``mc.float32``; a string refused, as PyTorch refuses it),
a size some memory could hold (else ``TensorTooLargeError``, a ``MemoryError`` and a
``RuntimeError``), and a fill value the dtype holds (NaN into int64 refused, as PyTorch's).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import creation_args, int_range, rng
from .creation_args import refuse_too_large
from .tensor import Tensor, tensor


def _sized(name: str, shape: tuple, size: Any, dtype: Any, device: Any, floats: bool = False):
    """The size (as ints) and dtype (float32 where None) of a factory's call, checked, and
    refused where no memory could hold the tensor."""
    shape = creation_args.size_of(name, shape, size)
    dtype = creation_args.dtype_of(name, dtype, np.float32)
    if floats and dtype.kind != "f":
        raise TypeError(f"{name}: draws are floats; dtype {dtype} is not a floating-point type")
    refuse_too_large(name, shape, dtype, device)
    return shape, dtype


def zeros(
    *shape: Any, size: Any = None, dtype: Any = None, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """A tensor of zeros: ``mc.zeros(2, 3)``, ``mc.zeros((2, 3))`` or ``mc.zeros(size=(2, 3))``."""
    shape, dtype = _sized("zeros", shape, size, dtype, device)
    return _leaf(np.zeros(shape, dtype=dtype), requires_grad, device)


def ones(
    *shape: Any, size: Any = None, dtype: Any = None, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """A tensor of ones: ``mc.ones(2, 3)``, ``mc.ones((2, 3))`` or ``mc.ones(size=(2, 3))``."""
    shape, dtype = _sized("ones", shape, size, dtype, device)
    return _leaf(np.ones(shape, dtype=dtype), requires_grad, device)


def full(
    size: Any, fill_value: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (a number, or a 0-d tensor's): float32 for
    a float, int64 for an int, bool for a bool, NumPy's numbers too (``np.float64(0.5)``:
    float32), as PyTorch's, unless ``dtype`` says otherwise. A value the dtype cannot hold is
    refused, as PyTorch refuses it: NaN, inf or 300 into an integer dtype, 1e40 into float32."""
    return _filled("full", size, fill_value, dtype, device, requires_grad)


def _filled(name: str, size: Any, fill_value: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    """``full``, with the name its messages give (``full_like``, ``x.new_full``)."""
    size = creation_args.size_of(name, (size,))
    if isinstance(fill_value, Tensor) and fill_value.ndim == 0:  # its number, as in PyTorch
        fill_value = fill_value.item()
    if not isinstance(fill_value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"{name}: fill_value must be a number, got {type(fill_value).__name__}")
    dtype = creation_args.dtype_of(name, dtype)
    huge = type(fill_value) is int and not -(2**63) <= fill_value < 2**63
    if huge and (dtype is None or dtype.kind in "iu"):
        int_range.refuse_ints_beyond_int64(np.asarray(fill_value), fill_value, name)
    if dtype is None:  # NOTE: by the number's kind, a NumPy one too (np.float64: float32), as PyTorch
        dtype = _FILL_DTYPES[next(k for k in _FILL_DTYPES if isinstance(fill_value, k))]
    int_range.refuse_unconvertible(name, fill_value, dtype, lambda i: "fill_value =", strict_floats=True)
    refuse_too_large(name, size, dtype, device)
    if dtype.kind in "iu":  # NOTE: -1 into uint8 is 255, as in PyTorch (NumPy's np.full refuses it)
        fill_value = np.asarray(fill_value).astype(dtype)
    return _leaf(np.full(size, fill_value, dtype=dtype), requires_grad, device)


# the dtype of full's fill value, by its kind (bool first: a bool is an int too)
_FILL_DTYPES = {
    (bool, np.bool_): np.dtype(np.bool_),
    (int, np.integer): np.dtype(np.int64),
    (float, np.floating): np.dtype(np.float32),
}


def _leaf(array: np.ndarray, requires_grad: bool, device: Any) -> Tensor:
    """A leaf holding ``array``, made by the factory and so handed over without ``tensor``'s
    copy where it stays on the CPU untracked, the common call."""
    if requires_grad is False and type(device) is str and device == "cpu":
        return Tensor(array)
    return tensor(array, requires_grad=requires_grad, device=device)


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
    # a 0-d tensor is its number, as in PyTorch (mc.arange(x.sum()))
    start, end, step = (v.item() if isinstance(v, Tensor) and v.ndim == 0 else v for v in (start, end, step))
    count = creation_args.arange_count(start, end, step)
    dtype = creation_args.dtype_of("arange", dtype)
    if dtype is None:
        integers = all(isinstance(v, (int, np.integer, np.bool_)) for v in (start, end, step))
        dtype = np.dtype(np.int64 if integers else np.float32)
    refuse_too_large("arange", (count,), dtype, device)
    # NOTE: counted in float64 or int64, then cast: an integer dtype wraps (-1 into uint8 is
    # 255, as in PyTorch), where NumPy's arange refuses a bound its dtype cannot hold
    wide = {"f": np.float64, "i": np.int64, "u": np.int64}.get(dtype.kind, dtype)
    values = np.arange(start, end, step, dtype=np.uint64 if dtype == np.uint64 else wide)
    return tensor(values.astype(dtype), requires_grad=requires_grad, device=device)


def rand(
    *shape: Any,
    size: Any = None,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
    generator: Any = None,
) -> Tensor:
    """Uniform draws from [0, 1): ``mc.rand(2, 3)``, ``mc.rand((2, 3))`` or ``mc.rand(size=(2, 3))``."""
    shape, dtype = _sized("rand", shape, size, dtype, device, floats=True)
    data = below_one(rng.get_generator(generator).random(shape), dtype)
    return tensor(data, requires_grad=requires_grad, device=device)


def below_one(draws: np.ndarray, dtype: Any) -> np.ndarray:
    """float64 draws from [0, 1) as ``dtype``, still below 1: rounding to float32 takes the
    largest draws (from 1 - 2^-25) up to exactly 1.0."""
    data = draws.astype(dtype)
    return np.minimum(data, np.nextafter(data.dtype.type(1), data.dtype.type(0)))


def randn(
    *shape: Any,
    size: Any = None,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
    seed: Any = None,
    generator: Any = None,
) -> Tensor:
    """Standard normal draws: from ``generator`` (as ``rand``), a new one seeded with ``seed``,
    or minicnn's default one."""
    shape, dtype = _sized("randn", shape, size, dtype, device, floats=True)
    data = rng.get_generator(seed if generator is None else generator).standard_normal(shape).astype(dtype)
    return tensor(data, requires_grad=requires_grad, device=device)


def zeros_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of t's shape, dtype and device (unless given)."""
    dtype, device = _like("zeros_like", t, dtype, device)
    return zeros(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of t's shape, dtype and device (unless given)."""
    dtype, device = _like("ones_like", t, dtype, device)
    return ones(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


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


def empty(
    *shape: Any, size: Any = None, dtype: Any = None, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """A tensor to be written over: zeros here (PyTorch leaves whatever memory held)."""
    shape, dtype = _sized("empty", shape, size, dtype, device)
    return _leaf(np.zeros(shape, dtype=dtype), requires_grad, device)


def eye(n: int, m: Any = None, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (m = n unless given)."""
    n = creation_args.an_int("eye", "n", n)
    m = n if m is None else creation_args.an_int("eye", "m", m)
    for what, v in (("n", n), ("m", m)):
        if v < 0:
            raise RuntimeError(f"eye: {what} must be >= 0, got {v}")
    dtype = creation_args.dtype_of("eye", dtype, np.float32)
    refuse_too_large("eye", (n, m), dtype, device)
    return tensor(np.eye(n, m, dtype=dtype), requires_grad=requires_grad, device=device)


def linspace(
    start: float,
    end: float,
    steps: int,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from start to end, both included. start and end are
    numbers (or 0-d tensors) that ``dtype`` holds, as PyTorch asks: 300 into uint8 is refused."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    start, end = (v.item() if isinstance(v, Tensor) and v.ndim == 0 else v for v in (start, end))
    dtype = creation_args.dtype_of("linspace", dtype, np.float32)
    for what, v in (("start", start), ("end", end)):
        if not isinstance(v, (int, float, np.integer, np.floating, np.bool_)):  # (bool: an int)
            raise TypeError(f"linspace: {what} must be a number, got {type(v).__name__} {v!r}")
        # as PyTorch: both ends must fit the dtype (300 into uint8 would wrap round to 44)
        int_range.refuse_unconvertible("linspace", v, dtype, lambda i, w=what: f"{w} =", strict_floats=True)
    refuse_too_large("linspace", (int(steps),), dtype, device)
    values = np.linspace(start, end, steps).astype(dtype)
    return tensor(values, requires_grad=requires_grad, device=device)


def randint(
    low: int,
    high: Any = None,
    size: Any = None,
    *,
    dtype: Any = None,
    device: str = "cpu",
    generator: Any = None,
) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or ``randint(low, high, size)``.
    Both bounds are ints, and the range must fit ``dtype`` (int64 where None), as PyTorch's; in
    a float dtype, within the integers it holds every one of (+-2^24 in float32)."""
    if size is None:
        low, high, size = 0, low, high
    elif high is None:  # randint(10, size=(3,)): the one bound given is the high one
        low, high = 0, low
    if size is None:
        raise TypeError("randint: expected a size, as randint(high, size) or randint(low, high, size)")
    low, high = creation_args.an_int("randint", "low", low), creation_args.an_int("randint", "high", high)
    if high <= low:
        raise ValueError(f"randint: the range [{low}, {high}) is empty")
    size = creation_args.size_of("randint", (size,))
    dtype = creation_args.dtype_of("randint", dtype, np.int64)
    _refuse_ints_beyond("randint", f"the range [{low}, {high})", low, high - 1, dtype)
    refuse_too_large("randint", size, dtype, device)
    return tensor(rng.get_generator(generator).integers(low, high, size=size).astype(dtype), device=device)


def randperm(n: int, *, dtype: Any = None, device: str = "cpu", generator: Any = None) -> Tensor:
    """0 .. n-1 in a random order (int64 unless ``dtype`` says otherwise)."""
    n = creation_args.an_int("randperm", "n", n)
    creation_args.refuse_negative("randperm", [n])
    dtype = creation_args.dtype_of("randperm", dtype, np.int64)
    _refuse_ints_beyond("randperm", f"n - 1 = {n - 1}", 0, n - 1, dtype)
    refuse_too_large("randperm", (n,), dtype, device)
    return tensor(rng.get_generator(generator).permutation(n).astype(dtype), device=device)


def _refuse_ints_beyond(name: str, what: str, low: int, high: int, dtype: np.dtype) -> None:
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


def full_like(
    t: Tensor, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """``fill_value`` in t's shape, dtype and device (unless given)."""
    dtype, device = _like("full_like", t, dtype, device)
    return _filled("full_like", t.shape, fill_value, dtype, device, requires_grad)


def _like(name: str, t: Any, dtype: Any, device: Any) -> tuple:
    """The dtype and device of a *_like factory: t's, unless given."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    dtype = creation_args.dtype_of(name, dtype, t.dtype)
    return dtype, t.device if device is None else device


def rand_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform draws from [0, 1) in t's shape, dtype and device (unless given)."""
    dtype, device = _like("rand_like", t, dtype, device)
    return rand(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal draws in t's shape, dtype and device (unless given)."""
    dtype, device = _like("randn_like", t, dtype, device)
    return randn(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)
