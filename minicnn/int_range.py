"""Python ints beyond int64, refused where ``mc.tensor`` reads them, as PyTorch refuses them.

NumPy would wrap 2**63 round to int64's minimum, or turn ``[2**63, 1]`` into floats.
"""

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
    return array.dtype.kind == "f" and bool((np.abs(array) >= 2.0**63).any())


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
