"""The three Tensor attributes a user may assign, each checked as PyTorch checks it.

``t.data`` and ``t.requires_grad`` are data descriptors with a ``__set__`` and no
``__get__``: an assignment runs the check, and a read finds the value in the instance's
``__dict__`` as for a plain attribute, so reading is not slowed. ``t.grad`` has a ``__get__``
too, for PyTorch's warning on reading the gradient of a computed tensor (it is read once
per parameter and step, not per op). The engine, which makes tensors by the million, reads
and writes the ``__dict__`` itself and skips the checks.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import backend, inference


class Data:
    """``t.data``, the array. Assigning a Tensor stores its array (``w.data = pretrained``, as
    in PyTorch); anything but an array is refused in one line, where storing it would break
    a later op far from the mistake."""

    def __set__(self, t: Any, value: Any) -> None:
        if type(value) is np.ndarray:  # the common case (``p.data -= lr * g`` sets it too)
            t.__dict__["data"] = value
            return
        from .tensor import Tensor

        if isinstance(value, Tensor):
            value = value.data
        if isinstance(value, np.generic):  # what NumPy gives for 0-d arithmetic
            value = np.asarray(value)
        if not isinstance(value, np.ndarray) and not backend.is_cupy_array(value):
            raise TypeError(f"Tensor.data must be an array or a Tensor, got {type(value).__name__}")
        t.__dict__["data"] = value


class Grad:
    """``t.grad``: None or a Tensor of t's shape, dtype and device; anything else is refused
    in one line, where an optimizer would otherwise broadcast it into the update. Reading it
    on a computed tensor without ``retain_grad()`` warns, as PyTorch does: backward never fills
    it there, and the None is most often a leaf mistaken for it (``h.grad`` for ``w.grad``)."""

    def __get__(self, t: Any, owner: Any = None) -> Any:
        if t is None:
            return self
        grad = t.__dict__["grad"]
        if grad is None and t._fn is not None and not t.retains_grad:
            warnings.warn(
                "The .grad of a tensor that is not a leaf (it was computed by an op) is read: "
                "backward() does not fill it; call .retain_grad() on it before backward() to "
                "keep its gradient, or read the .grad of the leaf you meant",
                UserWarning,
                stacklevel=2,
            )
        return grad

    def __set__(self, t: Any, value: Any) -> None:
        if value is None:  # zero_grad, on every parameter each step
            t.__dict__["grad"] = None
            return
        from .tensor import Tensor

        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.grad must be None or a Tensor, got {type(value).__name__}")
        for what, got, want in (
            ("shape", value.shape, t.shape),
            ("dtype", value.dtype, t.dtype),
            ("device", value.device, t.device),
        ):
            if got != want:
                raise RuntimeError(f"assigned grad has {what} {got}, the tensor has {want}")
        t.__dict__["grad"] = value


class RequiresGrad:
    """``t.requires_grad = flag``: True or False; only a floating-point tensor can require
    gradients, and only a leaf's flag can be switched off (a computed tensor's: ``detach()``);
    an inference tensor's is switched on only inside ``inference_mode``, as PyTorch's."""

    def __set__(self, t: Any, flag: Any) -> None:
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"Tensor.requires_grad must be True or False, got {flag!r}")
        if flag and t.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {t.data.dtype}")
        if flag:
            inference.refuse_requires_grad(t)
        if not flag and t._fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf tensors; to use a computed "
                "tensor without its graph, use t.detach()"
            )
        t.__dict__["requires_grad"] = bool(flag)
