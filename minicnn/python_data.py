"""Python numbers and nested lists read into an array, as ``mc.tensor`` reads them.

NumPy's words for a ragged list ("inhomogeneous shape after 1 dimensions") become PyTorch's,
naming the element: ``tensor: expected a sequence of length 2 at dim 1 (as data[0]), got
length 1 at data[1]``. A value the dtype asked for cannot hold is refused (int_range.py).
"""

from __future__ import annotations

import numbers
import reprlib
from functools import reduce
from itertools import chain
from typing import Any

import numpy as np

from . import int_range


def read(data: Any, dtype: Any, name: str = "tensor") -> np.ndarray:
    """``data`` (a Python number or nested lists and tuples) as an array of ``dtype``; where
    None, floats are float32, complex numbers complex64 and ints int64, as PyTorch's defaults,
    and a NumPy number keeps its dtype, promoted with the others' as PyTorch's
    (``[np.float64(1.5), 2.0]``: float64; ``[np.float64(1.5), 1j]``: complex128)."""
    try:
        array = np.asarray(data)
    except ValueError:
        refuse_ragged(name, data)
        raise
    if array.dtype.kind not in "biufc":
        refuse_non_numbers(name, data)
    types = None  # the elements' types, where NumPy's dtype leaves PyTorch's in doubt
    if dtype is None and isinstance(data, (list, tuple)) and array.dtype not in _PYTHON_MADE:
        types = set(map(type, _elements(data, array.ndim)))
    python_numbers = types is not None and types <= _PYTHON_NUMBERS
    no_ints = types is not None and types <= _NO_INTS  # (no int beyond int64 to look for)
    if (dtype is None or np.dtype(dtype).kind in "iu") and not no_ints:
        int_range.refuse_ints_beyond_int64(array, data, name)
    if types is not None and not python_numbers:  # NumPy numbers, or arrays, among the elements
        dtype = reduce(_promote, {_dtype_of(v) for v in _elements(data, array.ndim)})
    if dtype is None:
        dtype = _DEFAULTS.get(array.dtype.kind, array.dtype)
    else:
        int_range.refuse_unconvertible(name, array, dtype, lambda i: f"data{_index(array, i)} =")
    with np.errstate(over="ignore"):  # NOTE: 1e40 into float32 is inf, as in PyTorch, unwarned
        return array.astype(dtype, copy=False)


# PyTorch's default dtypes for Python numbers, by the kind NumPy read them as
_DEFAULTS = {"f": np.float32, "c": np.complex64, "i": np.int64, "u": np.int64}


def _elements(data: Any, ndim: int) -> Any:
    """The numbers of nested lists ``ndim`` deep (or the arrays and tensors there)."""
    for _ in range(ndim - 1):
        data = chain.from_iterable(data)
    return data


# NOTE: the dtypes Python numbers alone give NumPy, where a NumPy number among them changes
# nothing PyTorch would give. Not float64 nor complex128: as PyTorch, np.float64(1.5) beside 2.0
# is float64 (a Python float alone, float32) and beside 1j complex128 (a Python complex alone,
# complex64), so the elements' types are read; any other dtype came from NumPy's numbers, each
# element's dtype then promoted as PyTorch promotes (``[np.float32(1), 2]`` float32, where
# NumPy says float64)
_PYTHON_MADE = {np.dtype(t) for t in (np.bool_, np.int64, np.uint64, object)}
_PYTHON_NUMBERS = {bool, int, float, complex}
_NO_INTS = {bool, float, complex}
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _dtype_of(v: Any) -> np.dtype:
    """An element's dtype, as PyTorch counts it in a list (a Python complex: complex64, PyTorch's
    default complex dtype; anything else was refused before)."""
    if hasattr(v, "dtype"):  # a NumPy number or array, a Tensor
        return np.dtype(v.dtype)
    for kind, dtype in _PYTHON_DTYPES:
        if isinstance(v, kind):
            return dtype
    return np.dtype(np.complex64)


_PYTHON_DTYPES = ((bool, np.dtype(np.bool_)), (int, np.dtype(np.int64)), (float, np.dtype(np.float32)))


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promoteTypes: within a category (ints, floats) or between floats and complex,
    NumPy's; across, the higher category's dtype (int64 beside float16 is float16)."""
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca == cb or min(ca, cb) >= 2:
        return np.promote_types(a, b)
    return a if ca > cb else b


def _index(array: np.ndarray, flat: int) -> str:
    return "".join(f"[{i}]" for i in np.unravel_index(flat, array.shape)) if array.ndim else ""


def _is_sequence(v: Any) -> bool:
    return isinstance(v, (list, tuple)) or (hasattr(v, "shape") and len(v.shape) > 0)


def refuse_ragged(name: str, data: Any) -> None:
    """Refuse nested lists whose lengths differ, or that hold a list where a number is due, or
    the other way round, naming the first such element. The shape is that of the first element
    at each depth, as PyTorch reads it: ``[[1, 2], [3]]`` expects length 2 at dim 1."""
    shape, v = [], data
    while _is_sequence(v):
        shape.append(len(v))
        if not len(v):
            break
        v = v[0]
    stack: list[tuple[Any, tuple[int, ...]]] = [(data, ())]
    while stack:
        v, at = stack.pop()
        dim, where, first = len(at), "data" + "".join(f"[{i}]" for i in at), "data" + "[0]" * len(at)
        if dim < len(shape):
            if not _is_sequence(v):
                raise TypeError(
                    f"{name}: expected a sequence of length {shape[dim]} at dim {dim} (as {first}), "
                    f"got {type(v).__name__} {reprlib.repr(v)} at {where}"
                )
            if len(v) != shape[dim]:
                raise ValueError(
                    f"{name}: expected a sequence of length {shape[dim]} at dim {dim} (as {first}), "
                    f"got length {len(v)} at {where}"
                )
            stack.extend((v[i], (*at, i)) for i in reversed(range(len(v))))
        elif _is_sequence(v):
            raise TypeError(
                f"{name}: expected a number at dim {dim} (as {first}), got {type(v).__name__} "
                f"{reprlib.repr(v)} at {where}"
            )


def refuse_non_numbers(name: str, data: Any) -> None:
    """Refuse data holding something other than a number (a string, None), naming it."""
    stack: list[tuple[Any, tuple[int, ...]]] = [(data, ())]
    while stack:
        v, at = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend((v[i], (*at, i)) for i in reversed(range(len(v))))
        elif not isinstance(v, (numbers.Number, np.generic)) or isinstance(v, (np.str_, np.bytes_)):
            where = "data" + "".join(f"[{i}]" for i in at)
            raise TypeError(
                f"{name}: expected numbers (bool, int, float or complex), got {type(v).__name__} "
                f"{reprlib.repr(v)} at {where}"
            )
