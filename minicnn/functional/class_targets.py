"""The arguments of cross_entropy and nll_loss, checked, and the shapes PyTorch takes brought
to the rows, (M, C), that the loss ops work on.

Each check raises before any arithmetic, naming the op, what it expected and what it got.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..tensor import Tensor
from .checks import check_float, check_same_dtype
from .shape import permute, reshape


def as_rows(x: Tensor) -> Tensor:
    """x as rows of C class scores: (N, C) as it is, (C,) as (1, C), and (N, C, d1, ..., dk)
    with the class axis moved last and the rest flattened, (N d1 ... dk, C)."""
    if x.ndim == 2:
        return x
    if x.ndim == 1:
        return reshape(x, 1, x.shape[0])
    rows = math.prod(x.shape[:1] + x.shape[2:])  # NOTE: named, not -1, which an empty batch cannot infer
    return reshape(permute(x, 0, *range(2, x.ndim), 1), rows, x.shape[1])


def rows_back(losses: Tensor, input: Tensor, reduction: str) -> Tensor:
    """The per-row losses of 'none' back in the input's shape less its class axis."""
    if reduction != "none" or input.ndim == 2:
        return losses
    return reshape(losses, target_shape(input))


def target_shape(input):
    """The shape of the class indices for ``input``: () for (C,), (N, d1, ..., dk) for (N, C, d1, ..., dk)."""
    return () if input.ndim == 1 else input.shape[:1] + input.shape[2:]


def check_class_input(name, input, what):
    """input must be a floating-point Tensor with a class axis."""
    check_float(name, "input", input)
    if input.ndim == 0:
        raise ValueError(
            f"{name}: expected {what} of shape (C,), (N, C) or (N, C, d1, ..., dk), got shape ()"
        )


def target_array(input, target):
    """The target as an array of input's array module (a Tensor's own array)."""
    t = target.data if isinstance(target, Tensor) else target
    return backend.xp_of(input.data).asarray(t)


def class_indices(name, input, t, ignore_index, what, other_targets):
    """t checked as class indices for ``input`` (C classes): int64 (or uint8, as PyTorch takes
    them) of input's shape less C, each in [0, C) or ignore_index."""
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class indices{other_targets}, got dtype {t.dtype}")
    if t.dtype not in (np.int64, np.uint8):  # NOTE: as PyTorch ("expected ... Long or Byte")
        raise TypeError(
            f"{name}: target must hold int64 class indices (or uint8, as PyTorch), got {t.dtype}; "
            f"convert it with .long()"
        )
    expected, c = target_shape(input), input.shape[0 if input.ndim == 1 else 1]
    if t.shape != expected:
        probabilities = " (a target of the input's shape holds probabilities, which are floats)"
        raise ValueError(
            f"{name}: target shape {t.shape} does not match {what} {input.shape}; expected {expected}"
            + (probabilities if t.shape == input.shape else "")
        )
    if t.size and 0 <= t.min() and t.max() < c:
        return t  # every class in range, the common case: no need to leave ignore_index out first
    kept = t[t != ignore_index]
    if kept.size and (int(kept.min()) < 0 or int(kept.max()) >= c):
        raise ValueError(
            f"{name}: target classes must lie in [0, {c}) (or be ignore_index={ignore_index}), "
            f"got min {int(kept.min())}, max {int(kept.max())}"
        )
    return t


def class_probabilities(name, input, target, t, ignore_index):
    """A floating-point target checked as class probabilities, of the input's shape and dtype,
    as a Tensor (one that wants a gradient gets it)."""
    if t.shape != input.shape:
        raise ValueError(
            f"{name}: a floating-point target holds class probabilities and must have the input's "
            f"shape {input.shape}, got {t.shape} (class indices are integers)"
        )
    if ignore_index >= 0:
        raise ValueError(
            f"{name}: ignore_index={ignore_index} names a class index, which probability targets do not "
            "have; leave it negative (the default -100), as PyTorch requires"
        )
    soft = target if isinstance(target, Tensor) else Tensor(t)
    check_float(name, "target", soft)
    check_same_dtype(name, input, target=soft)
    return soft


def class_weights(name, input, weight):
    """The class weights' array (or None), checked: (C,) constants of the input's dtype and device."""
    if weight is None:
        return None
    c = input.shape[0 if input.ndim == 1 else 1]
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}: weight must be a Tensor of class weights, got {type(weight).__name__}")
    check_float(name, "weight", weight)
    if backend.device_of(weight.data) != backend.device_of(input.data):
        raise ValueError(
            f"{name}: input is on {backend.device_of(input.data)} but weight on "
            f"{backend.device_of(weight.data)}; move the loss with .to(device)"
        )
    check_same_dtype(name, input, weight=weight)
    if weight.shape != (c,):
        raise ValueError(f"{name}: weight must hold one value per class, shape ({c},), got {weight.shape}")
    if weight.requires_grad:
        raise ValueError(f"{name}: class weights are constants; pass weight.detach()")
    return weight.data
