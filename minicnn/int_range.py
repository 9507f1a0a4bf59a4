"""Python numbers a dtype cannot hold, refused where ``mc.tensor`` and ``mc.full`` read them, as
PyTorch refuses them: ints beyond int64, and values beyond the dtype asked for.

NumPy would wrap 2**63 round to int64's minimum, or turn ``[2**63, 1]`` into floats.
"""

import math

import numpy as np


def refuse_ints_beyond_int64(array, data, name="tensor"):
    """Refuse ``data`` (what ``array`` was made from) where it holds a Python int outside int64;
    ``name`` is the function the message names."""
    if _may_hold_a_huge_int(array):
        _refuse_huge_ints(data, name)


_INT64 = np.iinfo(np.int64)


def _may_hold_a_huge_int(array):
    """True where Python ints outside int64 may have gone in: NumPy makes them uint64 or
    object, or, beside smaller ints, float64 (``[2**63, 1]``)."""
    if array.dtype.kind in "uO":
        return True
    # NOTE: a comparison, not nanmax, which warns of an array of NaNs (mc.tensor(float("nan")))
    # (float16 holds nothing near 2^63: comparing would overflow 2^63 into it, with a warning)
    return array.dtype.kind == "f" and array.dtype.itemsize > 2 and bool((np.abs(array) >= 2.0**63).any())


def _refuse_huge_ints(data, name):
    """Refuse a Python int outside int64 (which NumPy would wrap round, or turn to float), as
    PyTorch refuses it, before any conversion; beside a float it is a float, as in PyTorch."""
    stack, huge = [data], []
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, (float, complex, np.inexact)):
            return
        elif isinstance(v, int) and not isinstance(v, bool) and not _INT64.min <= v <= _INT64.max:
            huge.append(v)
    if huge:
        raise ValueError(  # ValueError, as PyTorch's "Overflow when unpacking long"
            f"{name}: the int {huge[-1]} is outside int64's range [{_INT64.min}, {_INT64.max}]; "
            "give dtype=mc.float64 (or float32) for it as a float"
        )


def refuse_unconvertible(name, values, dtype, what, strict_floats=False):
    """Refuse a Python number (``values``, the array NumPy read it as) that ``dtype`` cannot
    hold, as PyTorch refuses it ("value cannot be converted to type int8_t without overflow"),
    where NumPy would warn and give -9223372036854775808 for NaN or wrap 300 round to 44.

    Into an integer dtype: NaN and inf, a float below the least or at max + 1 and above (a
    float is cut toward 0: 127.9 is int8's 127), an int outside the range (a negative int into
    uint8 wraps down to -255, as in PyTorch). Into a float dtype, where ``strict_floats``
    (``full``, as PyTorch's), a finite value beyond the largest: 1e40 into float32.
    ``what(i)`` names the i-th value (its flat index) in the message.
    """
    dtype = np.dtype(dtype)
    if type(values) in (int, float):  # NOTE: one Python number (a fill value): no arrays made
        if not _number_fits(values, dtype, strict_floats):
            _refuse(name, what(0), values, dtype)
        return
    array = np.asarray(values)
    if dtype.kind in "iu" and array.dtype.kind in "fiu" and not np.can_cast(array.dtype, dtype):
        info = np.iinfo(dtype)
        with np.errstate(invalid="ignore"):  # NaN compares False, and is refused by isfinite
            if array.dtype.kind == "f":
                bad = ~np.isfinite(array) | (array < info.min) | (array >= float(info.max) + 1)
            else:
                bad = (array > info.max) | (array < (-info.max if dtype.kind == "u" else info.min))
    elif dtype.kind == "f" and strict_floats and array.dtype.kind in "fiu":
        with np.errstate(invalid="ignore"):
            bad = np.isfinite(array) & (np.abs(array.astype(np.float64)) > np.finfo(dtype).max)
    else:
        return
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        _refuse(name, what(i), array.reshape(-1)[i].item(), dtype)


def _refuse(name, what, v, dtype):
    if dtype.kind == "f":
        holds = f"{dtype}'s largest is {float(np.finfo(dtype).max):.6g}"
    else:
        holds = f"{dtype} holds whole numbers in [{np.iinfo(dtype).min}, {np.iinfo(dtype).max}]"
    raise RuntimeError(f"{name}: {what} {v!r} cannot be converted to {dtype} without overflow; {holds}")


def _number_fits(v, dtype, strict_floats):
    """Whether ``dtype`` holds the Python int or float ``v``, by refuse_unconvertible's rules,
    told with Python's comparisons (exact between ints and floats)."""
    if dtype.kind in "iu":
        least, most = _bounds(dtype)
        if type(v) is float:
            return math.isfinite(v) and least <= v < most + 1
        return (-most if dtype.kind == "u" else least) <= v <= most
    if dtype.kind == "f" and strict_floats:
        return abs(v) <= _bounds(dtype)[1] or (type(v) is float and not math.isfinite(v))
    return True


_dtype_bounds: dict = {}


def _bounds(dtype):
    """(least, largest) of an integer or float dtype, as Python numbers, read once."""
    if dtype not in _dtype_bounds:
        info = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)
        _dtype_bounds[dtype] = (
            (int(info.min), int(info.max)) if dtype.kind in "iu" else (float(info.min), float(info.max))
        )
    return _dtype_bounds[dtype]
