"""A loss's ``reduction``, as PyTorch's: of the n losses l_1 ... l_n (one per sample, or per
element),

    'none'   L = l                          gl_i = g_i
    'sum'    L = sum_i l_i                  gl_i = g
    'mean'   L = (1/n) sum_i l_i            gl_i = g / n

with g the gradient reaching L and gl_i the one passed on to l_i. The mean of no losses is
0 / 0, NaN, silently as PyTorch's. A loss whose mean divides by another count gives it as
``divisor``: cross_entropy's and nll_loss's, the kept targets' total class weight (loss.py),
kl_div's 'batchmean', the batch size (kl_div.py).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from .reduce import mean, sum


def reduce_losses(losses: Any, reduction: str, divisor: Any = None) -> Any:
    """L from the array of losses l: l itself ('none'), their sum, or their mean, in l's dtype;
    the mean divides the sum by ``divisor`` where one is given, else by the number of losses."""
    if reduction == "none":
        return losses
    xp = backend.xp_of(losses)
    # NOTE: a sum, then one division: mean() and sum() = mean * n differ in the last digits.
    # An empty mean is 0 / 0, a mean over a divisor of 0 +-inf and a sum past the dtype's range
    # inf, silently as PyTorch
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        total = losses.sum()
        if reduction == "mean":
            total = total / (losses.size if divisor is None else divisor)
        return xp.asarray(total, dtype=losses.dtype)


def loss_grad(g: Any, reduction: str, shape: tuple, divisor: Any = None) -> Any:
    """gl, the gradient reaching each loss of ``shape`` (l's, before the reduction): g itself
    ('none'), g ('sum') or g / n ('mean', n the ``divisor`` or the number of losses),
    broadcast to the shape (a read-only view)."""
    xp = backend.xp_of(g)
    if reduction == "mean":
        n = math.prod(shape) if divisor is None else divisor
        g = g / max(n, 1)  # (no losses: nothing to divide, and nothing to pass on)
    return xp.broadcast_to(g, shape)


def reduce_tensor(losses: Tensor, reduction: str) -> Tensor:
    """``reduce_losses`` for losses composed of differentiable ops: mean's and sum's backward
    are the gl above."""
    return losses if reduction == "none" else mean(losses) if reduction == "mean" else sum(losses)
