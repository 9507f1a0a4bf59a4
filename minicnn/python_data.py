"""Python numbers and nested lists read into an array, as ``mc.tensor`` reads them.

NumPy's words for a ragged list ("inhomogeneous shape after 1 dimensions") become PyTorch's,
naming the element: ``tensor: expected a sequence of length 2 at dim 1 (as data[0]), got
length 1 at data[1]``. A value the dtype asked for cannot hold is refused (int_range.py).
"""

from __future__ import annotations

import numbers
import reprlib
from typing import Any

import numpy as np

from . import int_range


def read(data: Any, dtype: Any, name: str = "tensor") -> np.ndarray:
    """``data`` (a Python number or nested lists and tuples) as an array of ``dtype``; where
    None, floats are float32 and ints int64, as PyTorch's defaults."""
    try:
        array = np.asarray(data)
    except ValueError:
        refuse_ragged(name, data)
        raise
    if array.dtype.kind not in "biufc":
        refuse_non_numbers(name, data)
    if dtype is None or np.dtype(dtype).kind in "iu":
        int_range.refuse_ints_beyond_int64(array, data, name)
    if dtype is None:
        dtype = {"f": np.float32, "i": np.int64, "u": np.int64}.get(array.dtype.kind, array.dtype)
    else:
        int_range.refuse_unconvertible(name, array, dtype, lambda i: f"data{_index(array, i)} =")
    with np.errstate(over="ignore"):  # NOTE: 1e40 into float32 is inf, as in PyTorch, unwarned
        return array.astype(dtype, copy=False)


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
