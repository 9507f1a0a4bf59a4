"""``x.new_zeros``, ``new_ones``, ``new_empty``, ``new_full`` and ``new_tensor``: a new leaf
tensor with x's dtype and device unless ``dtype=`` or ``device=`` says otherwise, as PyTorch's.

Nothing of x's graph or ``requires_grad`` carries over (``requires_grad=`` sets it).
"""

from typing import Any

import numpy as np

from .. import backend, creation
from ..tensor import Tensor, tensor
from .shape import _dims, _ints


def _leaf(self: Tensor, array: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    """array on self's device in ``dtype`` (self's where None), then moved where ``device`` says."""
    xp = backend.xp_of(self.data)
    out = Tensor(xp.asarray(array, dtype=self.dtype if dtype is None else np.dtype(dtype)))
    out = out if device is None else out.to(device)
    return out.requires_grad_(requires_grad) if requires_grad else out


def _sizes(name: str, size: Any) -> None:
    """Refuse a size that is not an int, or one below 0, in one line naming the method."""
    _ints(name, size)
    if any(int(n) < 0 for n in size):
        raise RuntimeError(f"{name}: expected sizes >= 0, got a negative one in {list(map(int, size))}")


def _sized(name: str, fill: Any):
    """x.new_<name>(*size, dtype=None, device=None, requires_grad=False): size as ints or one tuple."""

    def method(self, *size, dtype=None, device=None, requires_grad=False):
        size = _dims(self, size, name)
        _sizes(name, size)
        return _leaf(self, fill(size), dtype, device, requires_grad)

    method.__name__ = method.__qualname__ = name
    value = {"new_zeros": "zeros", "new_ones": "ones", "new_empty": "zeros (not left unset)"}[name]
    method.__doc__ = f"A new leaf tensor of ``size`` holding {value}, in x's dtype and on x's device."
    return method


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` (a tuple or list, as PyTorch's) filled with ``fill_value``, cast to
    x's dtype (``new_full((2,), 3.7)`` on an int64 tensor holds 3s). ``fill_value`` is a
    number (or a 0-d Tensor), as ``mc.full``'s."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"new_full: size must be a tuple of ints, got {type(size).__name__}")
    _sizes("new_full", size)
    if isinstance(fill_value, Tensor) and fill_value.ndim == 0:
        fill_value = fill_value.item()
    target = self.dtype if dtype is None else np.dtype(dtype)
    creation._check_fill_value("new_full", fill_value, target)
    filled = creation.full(tuple(size), fill_value, dtype=target)
    return _leaf(self, filled.data, target, device, requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """A copy of ``data`` (a number, list, array or Tensor) as a new leaf in x's dtype, read
    as ``mc.tensor`` reads it (an int beyond int64 into an integer dtype is refused)."""
    data = data.detach().numpy() if isinstance(data, Tensor) else data
    target = self.dtype if dtype is None else np.dtype(dtype)
    return _leaf(self, tensor(data, dtype=target).data, target, device, requires_grad)


Tensor.new_zeros = _sized("new_zeros", np.zeros)
Tensor.new_ones = _sized("new_ones", np.ones)
Tensor.new_empty = _sized("new_empty", np.zeros)  # zeros, not garbage: a reader's first print is 0
Tensor.new_full, Tensor.new_tensor = new_full, new_tensor
