"""Tensor's in-place fills: ``zero_``, ``fill_``, ``copy_`` and ``masked_fill_``, under the rules
of Tensor's other in-place methods (in_place_methods.py): written only where no gradient would
be recorded, each change counted.

A number written as it is is converted as a fill value (``checks.fill_value``: -1 is 255 in
uint8, 300 is refused). One value written to every element goes into an expand() view, as in
PyTorch; ``copy_``'s values of their own per element are refused there, and ``masked_fill_``
writes with PyTorch's warning.
"""

import numbers

import numpy as np

from .. import backend
from ..tensor import Tensor, is_grad_enabled
from .checks import check_bool_mask, fill_value, type_name
from .in_place_methods import _check_fits, _check_in_place, refuse_grad_operand


def _write(self, name, value, shared=None):
    """self[...] = value in place, under the in-place rules; ``shared`` as ``_check_in_place``'s:
    None for one value (taken where elements share memory), "refuse" for values per element."""
    _check_in_place(self, name, shared=shared)
    self.data[...] = value
    self._changed_in_place()
    return self


def _check_one_value(name, value):
    """Refuse a value that is neither a 0-d tensor nor a number (a NumPy scalar, bool included,
    is one, as in PyTorch), in one line."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise ValueError(f"{name}: value must be a number or a 0-d tensor, got shape {value.shape}")
    elif not isinstance(value, (numbers.Number, np.bool_)):
        raise TypeError(f"{name}: value must be a number or a 0-d tensor, got {type_name(value)}")


def _zero_(self):
    """Write 0 into every element, in place."""
    return _write(self, "zero_()", 0)


def _fill_(self, value):
    """Write ``value`` into every element, as PyTorch's ``fill_``: a number converted as a fill
    value (``checks.fill_value``: -1 is 255 in uint8, 300 is refused), a 0-d tensor cast to x's
    dtype as ``copy_`` casts (one holding 300 is 44 in uint8). One that requires grad is refused
    outside no_grad, where PyTorch would record the fill (minicnn records no in-place op)."""
    _check_one_value("fill_()", value)
    if isinstance(value, Tensor):
        _refuse_grad_source("fill_()", "value", value)
        with np.errstate(over="ignore", invalid="ignore"):  # (wraps round, as PyTorch's cast)
            value = value.numpy().astype(self.dtype).item()
    else:
        value = fill_value("fill_()", value, self.dtype)
    return _write(self, "fill_()", value)


def _copy_(self, other):
    """Copy other's values into this tensor's array (cast to its dtype, moved to its device);
    an other that requires grad is refused outside no_grad, as ``fill_``'s value."""
    if isinstance(other, Tensor):
        _refuse_grad_source("copy_()", "other", other)
    src = other.data if isinstance(other, Tensor) else other
    values = backend.to_device(backend.xp_of(src).asarray(src), self.device)
    return _write(self, "copy_()", values, shared="refuse")


def _refuse_grad_source(name, what, value):
    """PyTorch records x.fill_(v) and x.copy_(v) where v requires grad (x then requires it);
    minicnn records no in-place op, and a silent write would cut v's gradient off."""
    if is_grad_enabled() and value.requires_grad:
        raise RuntimeError(
            f"{name}: {what} requires grad, and minicnn records no in-place operation; write "
            f"x = {what}.expand_as(x) for its gradient, or {name[:-2]} under mc.no_grad() for its values"
        )


def _masked_fill_(self, mask, value):
    """Write ``value`` where the bool ``mask`` (broadcast to x's shape) is True, in place, as
    PyTorch's ``masked_fill_`` (under the rules above): ``scores.masked_fill_(~allowed,
    float("-inf"))`` under no_grad. ``value`` is a number or a 0-d tensor, cast to x's dtype."""
    name = "masked_fill_()"
    check_bool_mask(name, self, mask, "x")
    _check_fits(name, self, mask.shape, "mask")
    _check_one_value(name, value)
    if isinstance(value, Tensor):
        refuse_grad_operand(name, "value", value, "x = x.masked_fill(mask, value)")
        value = value.item()
    value = fill_value(name, value, self.dtype)
    _check_in_place(self, name, "write x = x.masked_fill(mask, value)", shared="warn")
    backend.xp_of(self.data).copyto(self.data, value, where=mask.data)
    self._changed_in_place()
    return self


Tensor.zero_, Tensor.fill_, Tensor.copy_, Tensor.masked_fill_ = _zero_, _fill_, _copy_, _masked_fill_
