"""``x[index] = value``: the value written into x's array in place, by PyTorch's rules.

The index is read as ``x[index]`` reads it (indexing.py); a number is converted as a fill
value (-1 is 255 in uint8, 300 is refused), and a value whose shape does not broadcast to
``x[index]``'s is refused in one line naming both shapes. As the other in-place methods
(in_place_methods.py), it writes only where no gradient would be recorded.
"""

import numbers

import numpy as np

from .. import backend, in_place
from ..tensor import Tensor, is_grad_enabled
from .checks import fill_value
from .in_place_methods import _check_in_place
from .indexing import split_index

NAME = "x[index] = value"


def _setitem(self, index, value):
    """``x[index] = value`` in place (``x[mask] = 0``), where no gradient is recorded: under
    ``no_grad``, or on a tensor that needs none. Refused where it would be (minicnn records
    no in-place operation): write ``mc.where(mask, value, x)`` instead, or, for a buffer
    filled row by row in a loop (an RNN's ``outputs[t] = h``), a list of rows and
    ``mc.stack(rows)``."""
    if is_grad_enabled() and isinstance(value, Tensor) and value.requires_grad:
        raise RuntimeError(
            "x[index] = value with a value that requires grad: minicnn records no in-place "
            "operations; collect the values in a list and join them instead (outputs[t] = h in "
            "a loop: hs.append(h), then outputs = mc.stack(hs)), or use mc.cat or mc.where"
        )
    # (shared memory is looked at in the view written into, below)
    _check_in_place(self, NAME, "write x = mc.where(mask, value, x) instead", shared=None)
    basic, advanced = split_index(NAME, index, self.shape, backend.xp_of(self.data))
    if isinstance(value, Tensor):
        value = value.data if value.device == self.device else backend.to_device(value.data, self.device)
    elif isinstance(value, (numbers.Number, np.bool_)):  # as PyTorch: -1 is 255 in uint8, 300 is refused
        _check_int64(value, self.dtype)
        value = fill_value(NAME, value, self.dtype)
    view = self.data[basic + (Ellipsis,)]  # a view: writing into it writes into self
    if advanced is None:  # (PyTorch's copy_ into x[index]; index_put_ only warns)
        in_place.check_no_overlap(NAME, view, "x[index]")
    else:
        in_place.warn_overlap(NAME, view, "x[index]")
    try:
        view[... if advanced is None else advanced] = value
    except ValueError:  # NOTE: NumPy checks the shapes before it writes anything
        got = _shape_of(value)
        if got is None:  # a ragged list: NumPy's own words
            raise
        target = view.shape if advanced is None else view[advanced].shape
        raise ValueError(
            f"{NAME}: value of shape {got} does not broadcast to the shape {tuple(target)} of "
            f"x[index] (x {self.shape})"
        ) from None
    self._changed_in_place()


def _shape_of(value):
    try:
        return tuple(np.shape(value))
    except ValueError:
        return None


def _check_int64(value, dtype):
    """Refuse an int outside int64, as PyTorch's ``x[index] = v`` does whatever x's dtype
    (it reads a Python int as an int64; ``fill_`` and ``masked_fill_`` take up to 2**64 - 1)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        if not -(2**63) <= int(value) < 2**63:
            hint = f"; write float({value})" if dtype.kind == "f" else ""
            raise ValueError(
                f"{NAME}: the int {value} is outside [-2**63, 2**63), the range of an int written "
                f"by index in PyTorch, whatever x's dtype{hint}"
            )


Tensor.__setitem__ = _setitem
