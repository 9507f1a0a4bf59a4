"""``x.new_zeros``, ``new_ones``, ``new_empty``, ``new_full`` and ``new_tensor``: a new leaf
tensor with x's dtype and device unless ``dtype=`` or ``device=`` says otherwise, as PyTorch's.

Nothing of x's graph or ``requires_grad`` carries over (``requires_grad=`` sets it).
"""

import numbers
from typing import Any

import numpy as np

from .. import backend, creation, creation_args, python_data
from ..tensor import Tensor, tensor


def _leaf(self: Tensor, array: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    """array on self's device in ``dtype`` (self's where None), then moved where ``device`` says."""
    xp = backend.xp_of(self.data)
    out = Tensor(xp.asarray(array, dtype=self.dtype if dtype is None else np.dtype(dtype)))
    out = out if device is None else out.to(device)
    return out.requires_grad_(requires_grad) if requires_grad else out


def _sized(name: str, fill: Any):
    """x.new_<name>(*size, dtype=None, device=None, requires_grad=False): size as ints, one
    tuple, or ``size=``; checked as ``mc.zeros`` checks it (creation_args.py)."""

    def method(self, *shape, size=None, dtype=None, device=None, requires_grad=False):
        size = creation_args.size_of(name, shape, size)
        dtype = creation_args.dtype_of(name, dtype, self.dtype)
        device = self.device if device is None else creation_args.device_of(name, device)
        creation_args.refuse_too_large(name, size, dtype, device)
        return _leaf(self, fill(size, dtype=dtype), dtype, device, requires_grad)

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
    size = creation_args.size_of("new_full", (size,))
    if isinstance(fill_value, Tensor) and fill_value.ndim == 0:
        fill_value = fill_value.item()
    target = creation_args.dtype_of("new_full", dtype, self.dtype)
    device = self.device if device is None else creation_args.device_of("new_full", device)
    creation_args.refuse_too_large("new_full", size, target, device)
    filled = creation._filled("new_full", size, fill_value, target, "cpu", False)  # (checks fill_value)
    return _leaf(self, filled.data, target, device, requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """A copy of ``data`` (a number, list, array or Tensor) as a new leaf in x's dtype, read
    as ``mc.tensor`` reads it (an int beyond int64 into an integer dtype is refused)."""
    data = data.detach().numpy() if isinstance(data, Tensor) else data
    target = creation_args.dtype_of("new_tensor", dtype, self.dtype)
    device = None if device is None else creation_args.device_of("new_tensor", device)
    if isinstance(data, (list, tuple, numbers.Number)):  # read here, so messages name new_tensor
        data = python_data.read(data, target, "new_tensor")
    return _leaf(self, tensor(data, dtype=target).data, target, device, requires_grad)


Tensor.new_zeros = _sized("new_zeros", np.zeros)
Tensor.new_ones = _sized("new_ones", np.ones)
Tensor.new_empty = _sized("new_empty", np.zeros)  # zeros, not garbage: a reader's first print is 0
Tensor.new_full, Tensor.new_tensor = new_full, new_tensor
