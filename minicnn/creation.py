"""Tensor factories, as PyTorch's: zeros, ones, empty, full, eye, arange, linspace, logspace,
rand, randn, randint, randperm, from_numpy and as_tensor (the *_like ones: creation_like.py).

Floats are float32 unless a dtype is given (arange of integers and full of an int:
int64, as PyTorch); random draws come from minicnn's generator (rng.py), so
``mc.manual_seed`` repeats them.

Each checks its arguments before it allocates, in one line naming it (creation_args.py): a
size of ints (``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``; a float, a bool or a negative
one refused), a dtype that is one (``mc.float32``; a string refused, as PyTorch refuses it),
a device minicnn has (``zeros: unknown device 'gpu'``), a size some memory could hold (else
``TensorTooLargeError``, a ``MemoryError`` and a ``RuntimeError``), and a fill value the dtype
holds (NaN into int64 refused, as PyTorch's).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import backend, creation_args, int_range, python_data, rng
from .creation_args import refuse_too_large
from .tensor import Tensor, tensor


def _sized(name: str, shape: tuple, size: Any, dtype: Any, device: Any, floats: bool = False):
    """The size (as ints) and dtype (float32 where None) of a factory's call, checked, and
    refused where no memory could hold the tensor."""
    shape = creation_args.size_of(name, shape, size)
    dtype = creation_args.dtype_of(name, dtype, np.float32)
    if floats and dtype.kind != "f":
        raise TypeError(f"{name}: draws are floats; dtype {dtype} is not a floating-point type")
    device = creation_args.device_of(name, device)
    refuse_too_large(name, shape, dtype, device)
    return shape, dtype, device


def zeros(
    *shape: Any, size: Any = None, dtype: Any = None, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """A tensor of zeros: ``mc.zeros(2, 3)``, ``mc.zeros((2, 3))`` or ``mc.zeros(size=(2, 3))``."""
    shape, dtype, device = _sized("zeros", shape, size, dtype, device)
    return _leaf(np.zeros(shape, dtype=dtype), requires_grad, device)


def ones(
    *shape: Any, size: Any = None, dtype: Any = None, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """A tensor of ones: ``mc.ones(2, 3)``, ``mc.ones((2, 3))`` or ``mc.ones(size=(2, 3))``."""
    shape, dtype, device = _sized("ones", shape, size, dtype, device)
    return _leaf(np.ones(shape, dtype=dtype), requires_grad, device)


def full(
    size: Any, fill_value: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (a number, or a 0-d tensor's): float32 for
    a float, int64 for an int, bool for a bool, NumPy's numbers too (``np.float64(0.5)``:
    float32; a complex, complex64), as PyTorch's, unless ``dtype`` says otherwise. A value the
    dtype cannot hold is refused, as PyTorch refuses it: NaN, inf or 300 into an integer dtype,
    1e40 into float32, 1+2j into any real one (1+0j is 1)."""
    return _filled("full", size, fill_value, dtype, device, requires_grad)


def _filled(name: str, size: Any, fill_value: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    """``full``, with the name its messages give (``full_like``, ``x.new_full``)."""
    size = creation_args.size_of(name, (size,))
    if isinstance(fill_value, Tensor) and fill_value.ndim == 0:  # its number, as in PyTorch
        fill_value = fill_value.item()
    if not isinstance(fill_value, (bool, int, float, complex, np.number, np.bool_)):
        raise TypeError(f"{name}: fill_value must be a number, got {type(fill_value).__name__}")
    dtype = creation_args.dtype_of(name, dtype)
    if isinstance(fill_value, (complex, np.complexfloating)):
        fill_value, dtype = creation_args.complex_fill(name, fill_value, dtype)
    huge = type(fill_value) is int and not -(2**63) <= fill_value < 2**63
    if huge and (dtype is None or dtype.kind in "iu"):
        int_range.refuse_ints_beyond_int64(np.asarray(fill_value), fill_value, name)
    if dtype is None:  # NOTE: by the number's kind, a NumPy one too (np.float64: float32), as PyTorch
        dtype = _FILL_DTYPES[next(k for k in _FILL_DTYPES if isinstance(fill_value, k))]
    int_range.refuse_unconvertible(name, fill_value, dtype, lambda i: "fill_value =", strict_floats=True)
    device = creation_args.device_of(name, device)
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


def _numbers(*values: Any) -> Any:
    """The values, each 0-d tensor among them as its number, as PyTorch reads a bound."""
    return (v.item() if isinstance(v, Tensor) and v.ndim == 0 else v for v in values)


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
    start, end, step = _numbers(start, end, step)  # (mc.arange(x.sum()))
    count = creation_args.arange_count(start, end, step)
    dtype = creation_args.dtype_of("arange", dtype)
    creation_args.refuse_bool("arange", dtype)
    if dtype is None:
        integers = all(isinstance(v, (int, np.integer, np.bool_)) for v in (start, end, step))
        dtype = np.dtype(np.int64 if integers else np.float32)
    device = creation_args.device_of("arange", device)
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
    shape, dtype, device = _sized("rand", shape, size, dtype, device, floats=True)
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
    shape, dtype, device = _sized("randn", shape, size, dtype, device, floats=True)
    data = rng.get_generator(seed if generator is None else generator).standard_normal(shape).astype(dtype)
    return tensor(data, requires_grad=requires_grad, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory (a change to one shows in the other), as PyTorch's;
    ``mc.tensor`` copies instead."""
    return _sharing("from_numpy", array)


def _sharing(name: str, array: Any) -> Tensor:
    """A tensor holding ``array`` itself, refused where it holds no numbers or is not in this
    machine's byte order, warned where it is read-only."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected numbers, got an array of dtype {array.dtype}")
    if not array.dtype.isnative:
        raise TypeError(f"{name}: the array's byte order is not this machine's ({array.dtype}); use .astype")
    if not array.flags.writeable:
        warnings.warn(
            f"{name}: the array is read-only, so in-place writes to the tensor (an optimizer step) "
            "will fail; pass array.copy() to write",
            UserWarning,
            stacklevel=3,
        )
    return Tensor(array)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, copied only where it must be, as PyTorch's: a NumPy array of
    ``dtype`` (or any, where None) on the CPU is shared, as ``from_numpy`` shares it; a Tensor
    of ``dtype`` on ``device`` is given back itself, and otherwise converted as ``x.to`` converts
    it (the gradient flows back); anything else (numbers, lists, an array to convert or move)
    is copied as ``mc.tensor`` copies it."""
    dtype = creation_args.dtype_of("as_tensor", dtype)
    if isinstance(data, Tensor):
        device = None if device is None else creation_args.device_of("as_tensor", device)
        return data.to(device=device, dtype=dtype)  # type: ignore[attr-defined]  # (tensor_methods.py)
    device = creation_args.device_of("as_tensor", device)
    on_cpu = backend.normalize_device(device) == "cpu"
    if isinstance(data, np.ndarray) and on_cpu and (dtype is None or dtype == data.dtype):
        return _sharing("as_tensor", data)
    if backend.is_cupy_array(data) and not on_cpu and (dtype is None or dtype == data.dtype):
        return Tensor(data)
    if isinstance(data, np.ndarray) and data.dtype.kind not in "biufc":
        raise TypeError(f"as_tensor: expected numbers, got an array of dtype {data.dtype}")
    if not isinstance(data, (np.ndarray, np.generic)) and not backend.is_cupy_array(data):
        data = python_data.read(data, dtype, "as_tensor")  # read here, so messages name as_tensor
    return tensor(data, dtype=dtype, device=device)


def empty(
    *shape: Any, size: Any = None, dtype: Any = None, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """A tensor to be written over: zeros here (PyTorch leaves whatever memory held)."""
    shape, dtype, device = _sized("empty", shape, size, dtype, device)
    return _leaf(np.zeros(shape, dtype=dtype), requires_grad, device)


def eye(n: int, m: Any = None, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (m = n unless given)."""
    n = creation_args.an_int("eye", "n", n)
    m = n if m is None else creation_args.an_int("eye", "m", m)
    for what, v in (("n", n), ("m", m)):
        if v < 0:
            raise RuntimeError(f"eye: {what} must be >= 0, got {v}")
    dtype = creation_args.dtype_of("eye", dtype, np.float32)
    device = creation_args.device_of("eye", device)
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
    """``steps`` evenly spaced values from start to end, both included, counted as PyTorch
    counts them: step = (end - start) / (steps - 1), x_i = start + i * step in the first half
    and end - (steps - 1 - i) * step in the second, so a NaN or infinite end gives PyTorch's
    NaNs (``linspace(0, inf, 5)`` is nan, inf, nan, nan, nan: inf * 0 and inf - inf), and one
    step gives start alone. start and end are numbers (or 0-d tensors) that ``dtype`` holds, as
    PyTorch asks: 300 into uint8 is refused."""
    start, end = _numbers(start, end)
    dtype, device = creation_args.spaced("linspace", start, end, steps, dtype, device)
    if steps == 1:  # NOTE: PyTorch fills in start, whatever end is (NaN too)
        values = np.full(1, start)
    else:
        values = exponents(start, end, steps, dtype, fused=True)
    return tensor(values.astype(dtype), requires_grad=requires_grad, device=device)


def logspace(
    start: float,
    end: float,
    steps: int,
    base: float = 10.0,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` values from base^start to base^end, evenly spaced in their exponents, both
    included: x_i = base^(start + i * (end - start) / (steps - 1)), as PyTorch's. start and end
    are checked as ``linspace``'s (numbers ``dtype`` holds) and the exponents counted in
    ``dtype`` as PyTorch counts them (an integer dtype cuts the ends toward zero first:
    ``logspace(0.5, 2.5, 3, dtype=mc.int64)`` is 1, 10, 100), each power taken in float64 and
    cast. Into an integer dtype a power wraps as PyTorch's (1000 into uint8 is 232), but one
    beyond int64, NaN or inf is refused (one value alone, base^start, must fit ``dtype``)."""
    start, end, base = _numbers(start, end, base)
    dtype, device = creation_args.spaced("logspace", start, end, steps, dtype, device)
    if not isinstance(base, (int, float, np.integer, np.floating, np.bool_)):
        raise TypeError(f"logspace: base must be a number, got {type(base).__name__} {base!r}")
    with np.errstate(over="ignore", invalid="ignore"):  # NOTE: inf and NaN as PyTorch's pow gives them
        if steps == 1:  # NOTE: PyTorch fills in base^start, from start as given, checked as full's
            values, holds = np.power(float(base), np.array([float(start)])), dtype
        else:
            values, holds = np.power(float(base), exponents(start, end, steps, dtype)), np.dtype(np.int64)
    if dtype.kind in "iu":
        int_range.refuse_unconvertible("logspace", values, holds, lambda i: f"base ** (exponent {i}) =")
        values = values.astype(np.int64)  # NOTE: then wraps into a narrower dtype, as PyTorch's cast
    return tensor(values.astype(dtype), requires_grad=requires_grad, device=device)


def exponents(start: Any, end: Any, steps: int, dtype: np.dtype, fused: bool = False) -> np.ndarray:
    """linspace's values and logspace's exponents, as PyTorch counts them: the ends in ``dtype``
    (an integer one cuts them toward zero; the step then in float64), the first half up from
    start, the second down from end, so both ends are exact; float64 or wider. ``fused``: each
    start + i * step rounded once, as the fused multiply-add of PyTorch's kernel (its integer
    one too, before the cut toward zero: -15.99... is -15, where a rounded product gives -16)."""
    kind = np.dtype(np.float64 if dtype.kind in "biu" else dtype)
    first, last = np.asarray(start).astype(dtype).astype(kind), np.asarray(end).astype(dtype).astype(kind)
    # NOTE: float32 times an index is exact in float64; float64's in long double, where it is
    # wider (x86), else rounded twice, which can move a value by one unit in the last place
    wide = np.dtype(_WIDER.get(kind, kind) if fused else kind)
    i = np.arange(steps).astype(wide)
    with np.errstate(invalid="ignore"):  # NOTE: inf * 0 and inf - inf are NaN, as in PyTorch
        step = ((last - first) / kind.type(max(steps - 1, 1))).astype(wide)
        first, last = first.astype(wide), last.astype(wide)
        values = np.where(i < steps // 2, first + step * i, last - step * (steps - 1 - i))
    return values.astype(np.result_type(kind, np.float64))


_WIDER = {np.dtype(np.float32): np.float64, np.dtype(np.float64): np.longdouble}


def randint(
    *args: Any,
    low: Any = None,
    high: Any = None,
    size: Any = None,
    dtype: Any = None,
    device: str = "cpu",
    generator: Any = None,
) -> Tensor:
    """Integers drawn uniformly from [low, high), each with probability 1 / (high - low):
    ``randint(high, size)`` or ``randint(low, high, size)`` (``low=``, ``high=`` and ``size=`` by
    keyword too), as PyTorch's; a low bound without a high one (``randint(low=3, size=(4,))``) is
    refused, not read as the high bound. Both bounds are ints, and the range must fit ``dtype``
    (int64 where None); in a float dtype, within the integers it holds every one of (+-2^24 in
    float32)."""
    if size is None and len(args) >= 2:  # randint(10, (3,)), randint(0, 10, (3,)): the size comes last
        args, size = args[:-1], args[-1]
        if low is not None or high is not None:  # (PyTorch's overloads have no such call either)
            kw = ", ".join(f"{k}={v!r}" for k, v in (("low", low), ("high", high)) if v is not None)
            raise TypeError(
                f"randint: the bounds are given by position before the size, and {kw} by keyword too; "
                f"write {_RANDINT}"
            )
    if size is None:
        raise TypeError(f"randint: expected a size, as {_RANDINT}")
    low, high = creation_args.int_bounds("randint", _RANDINT, args, low, high)
    size = creation_args.size_of("randint", (size,))
    return drawn_ints("randint", low, high, size, dtype, device, generator)


_RANDINT = "randint(high, size) or randint(low, high, size)"


def drawn_ints(
    name: str,
    low: Any,
    high: Any,
    size: tuple,
    dtype: Any,
    device: Any,
    generator: Any,
    requires_grad: bool = False,
) -> Tensor:
    """randint's draws of ``size``, with the name its messages give (``randint_like``)."""
    low, high = creation_args.an_int(name, "low", low), creation_args.an_int(name, "high", high)
    if high <= low:
        raise ValueError(f"{name}: the range [{low}, {high}) is empty")
    dtype = creation_args.dtype_of(name, dtype, np.int64)
    creation_args.refuse_ints_beyond(name, f"the range [{low}, {high})", low, high - 1, dtype)
    device = creation_args.device_of(name, device)
    refuse_too_large(name, size, dtype, device)
    draws = rng.get_generator(generator).integers(low, high, size=size).astype(dtype)
    return tensor(draws, requires_grad=requires_grad, device=device)


def randperm(n: int, *, dtype: Any = None, device: str = "cpu", generator: Any = None) -> Tensor:
    """0 .. n-1 in a random order (int64 unless ``dtype`` says otherwise)."""
    n = creation_args.an_int("randperm", "n", n)
    creation_args.refuse_negative("randperm", [n])
    dtype = creation_args.dtype_of("randperm", dtype, np.int64)
    creation_args.refuse_bool("randperm", dtype)
    creation_args.refuse_ints_beyond("randperm", f"n - 1 = {n - 1}", 0, n - 1, dtype)
    device = creation_args.device_of("randperm", device)
    refuse_too_large("randperm", (n,), dtype, device)
    return tensor(rng.get_generator(generator).permutation(n).astype(dtype), device=device)
