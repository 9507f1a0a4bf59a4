"""Class indices as one-hot rows, as ``torch.nn.functional.one_hot``: the targets of a loss
that compares a vector per class, such as a mean squared error on a network's outputs.
No gradient: the indices are integers, and so is the result.
"""

from __future__ import annotations

import numbers
from typing import Any

from .. import backend
from ..tensor import Tensor
from .checks import check_tensor


def one_hot(tensor: Tensor, num_classes: Any = -1) -> Tensor:
    """y[..., k] = 1 where tensor[...] == k, else 0: int64 of shape tensor.shape + (num_classes,).

    ``num_classes=-1`` takes the largest index + 1. As PyTorch, the indices must be int64, at
    least 0 and less than num_classes.

    >>> import minicnn as mc
    >>> import minicnn.functional as F
    >>> F.one_hot(mc.tensor([0, 2, 1]), 3).tolist()
    [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    """
    check_tensor("one_hot", "tensor", tensor)
    if tensor.dtype != "int64":
        raise TypeError(
            f"one_hot: expected int64 class indices, got {tensor.dtype}; convert them with .long()"
        )
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < -1:
        raise ValueError(f"one_hot: num_classes must be an int >= 0, or -1 to infer it, got {num_classes!r}")
    xp = backend.xp_of(tensor.data)
    labels = tensor.data
    if num_classes == -1:
        if labels.size == 0:
            raise ValueError(
                "one_hot: cannot infer the number of classes of an empty tensor; give num_classes"
            )
        num_classes = int(labels.max()) + 1
    if labels.size and int(labels.min()) < 0:
        raise ValueError(f"one_hot: class indices must be >= 0, got {int(labels.min())}")
    if labels.size and int(labels.max()) >= num_classes:
        raise ValueError(
            f"one_hot: class index {int(labels.max())} is not less than num_classes={num_classes}"
        )
    return Tensor((labels[..., None] == xp.arange(num_classes)).astype("int64"))
