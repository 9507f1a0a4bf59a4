"""Copies: clone, cast to another dtype, move to another device. Each is one Function whose
gradient is gy taken back the same way (cast back, copied back)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor


class Clone(Function):
    """y = a copy of x (its own array, x's dtype).   gx = gy."""

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


class Cast(Function):
    """y = x as another dtype.   gx = gy cast back."""

    def forward(self, x, *, dtype):
        self.dtype = x.dtype
        return x.astype(dtype)

    def backward(self, gy):
        return gy.astype(self.dtype)


class ToDevice(Function):
    """y = x copied to another device.   gx = gy copied back."""

    def forward(self, x, *, device):
        self.device = backend.device_of(x)
        return backend.to_device(x, device)

    def backward(self, gy):
        return backend.to_device(gy, self.device)


def cast(x: Tensor, dtype: Any) -> Tensor:
    """x as ``dtype``; the gradient flows back through a float dtype, none to an integer one
    (``x.long()`` leaves the graph, as in PyTorch: integers carry no gradient)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "biu":
        return Tensor(x.data.astype(dtype))
    return Cast.apply(x, dtype=dtype)


def to_device(x: Tensor, device: str) -> Tensor:
    """A copy of x on ``device`` ("cpu", "cuda", "cuda:1"); the gradient is copied back (``x.to``)."""
    return ToDevice.apply(x, device=device)


def clone(x: Tensor) -> Tensor:
    """A copy with its own array; the gradient flows back unchanged."""
    return Clone.apply(x)
