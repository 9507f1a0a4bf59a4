"""Binary cross-entropy, for yes/no targets y in [0, 1]: of probabilities p
(``binary_cross_entropy``) and, the stable form, of logits x with p = sigmoid(x)
(``binary_cross_entropy_with_logits``), as PyTorch's.

    l = -(y log p + (1 - y) log(1 - p))   = (1 - y) x + softplus(-x)   for p = sigmoid(x)

With logits the log of a sigmoid is never computed: softplus(-x) = log(1 + e^-x) is written
max(-x, 0) + log(1 + e^-|x|), whose exponential never overflows. ``pos_weight`` scales the
positive term (more weight on the rarer class): l = (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x).
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .activation import softplus_of
from .basic import unbroadcast
from .checks import check_float, check_same_dtype
from .loss import check_reduction
from .reduction import loss_grad, reduce_losses


class BCEWithLogits(Function):
    """With t the target (``y`` in the code) and w the weight (1 if none):
    l = w [(1 - t) x + a softplus(-x)],  a = 1 + (pos_weight - 1) t  (the positives' weight).
    gx = w (a sigmoid(x) - pos_weight t) gl,   gt = w ((pos_weight - 1) softplus(-x) - x) gl
    (pos_weight - 1 = da/dt), gl the gradient reaching each element's l (``loss_grad``),
    gt the target's.
    """

    def forward(self, x, y, *, weight, pos_weight, reduction):
        self.x, self.y, self.weight, self.pos_weight, self.reduction = x, y, weight, pos_weight, reduction
        self.softplus = softplus_of(-x)  # log(1 + e^-x)
        positive = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        losses = (1 - y) * x + positive * self.softplus
        if weight is not None:
            losses = losses * weight
        return reduce_losses(losses.astype(x.dtype), reduction)

    def backward(self, gy):
        xp, x, y, pw = self.xp, self.x, self.y, self.pos_weight
        gl = loss_grad(gy, self.reduction, x.shape)
        if self.weight is not None:
            gl = gl * self.weight
        sigmoid = xp.exp(-xp.logaddexp(0, -x))  # 1 / (1 + e^-x), without overflow
        if pw is None:
            gx, gt = (sigmoid - y) * gl, -x * gl
        else:
            gx = ((1 + (pw - 1) * y) * sigmoid - pw * y) * gl
            gt = ((pw - 1) * self.softplus - x) * gl
        return (
            unbroadcast(gx, x.shape).astype(x.dtype) if self.needs_grad[0] else None,
            unbroadcast(gt, y.shape).astype(y.dtype) if self.needs_grad[1] else None,
        )


class BCE(Function):
    """With t the target (``y`` in the code): l = -w (t log p + (1 - t) log(1 - p)), each log
    clamped at -100 as PyTorch's (so p = 0 or 1 gives a large loss, not inf).
    gp = w (p - t) / max(p (1 - p), 1e-12) gl,   gt = w (log(1 - p) - log p) gl   (gl the gradient
    reaching each element's l, ``loss_grad``; gt the target's; the logs not clamped here, as PyTorch: +-inf at
    p = 0 or 1).
    """

    def forward(self, p, y, *, weight, reduction):
        xp = backend.xp_of(p)
        self.p, self.y, self.weight, self.reduction = p, y, weight, reduction
        with np.errstate(divide="ignore"):  # log 0 = -inf, then clamped
            self.log_p = xp.maximum(xp.log(p), -100)
            self.log_q = xp.maximum(xp.log(1 - p), -100)
        losses = -(y * self.log_p + (1 - y) * self.log_q)
        if weight is not None:
            losses = losses * weight
        return reduce_losses(losses.astype(p.dtype), reduction)

    def backward(self, gy):
        xp, p, y = self.xp, self.p, self.y
        gl = loss_grad(gy, self.reduction, p.shape)
        if self.weight is not None:
            gl = gl * self.weight
        gp = (p - y) / xp.maximum(p * (1 - p), 1e-12) * gl
        with np.errstate(divide="ignore", invalid="ignore"):
            gt = (xp.log(1 - p) - xp.log(p)) * gl
        return (
            unbroadcast(gp, p.shape).astype(p.dtype) if self.needs_grad[0] else None,
            unbroadcast(gt, y.shape).astype(y.dtype) if self.needs_grad[1] else None,
        )


def _check(name, input, target, weight, reduction, pos_weight=None):
    check_float(name, "input", input)
    check_float(name, "target", target)
    if input.shape != target.shape:
        raise ValueError(f"{name}: target {target.shape} must have the input's shape {input.shape}")
    check_reduction(name, reduction)
    check_same_dtype(name, input, target=target)
    arrays = []
    for label, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is None:
            arrays.append(None)
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: {label} must be a Tensor, got {type(t).__name__}")
        check_float(name, label, t)
        check_same_dtype(name, input, **{label: t})
        try:
            fits = np.broadcast_shapes(t.shape, input.shape) == input.shape
        except ValueError:
            fits = False
        if not fits:  # a weight with more axes would make the loss larger than the input
            raise ValueError(f"{name}: {label} {t.shape} does not broadcast to the input's {input.shape}")
        if t.requires_grad:
            raise ValueError(f"{name}: {label} is a constant; pass {label}.detach()")
        arrays.append(t.data)
    return arrays


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
    name: str = "binary_cross_entropy_with_logits",
) -> Tensor:
    """The binary cross-entropy of logits ``input`` against targets in [0, 1] of the same
    shape, as ``torch.nn.functional.binary_cross_entropy_with_logits``: ``weight`` scales
    each element's loss, ``pos_weight`` (broadcast along the last axis: one per class) the
    positive term; ``reduction`` 'mean' (over all elements), 'sum' or 'none'."""
    w, pw = _check(name, input, target, weight, reduction, pos_weight)
    return BCEWithLogits.apply(input, target, weight=w, pos_weight=pw, reduction=reduction)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
    name: str = "binary_cross_entropy",
) -> Tensor:
    """The binary cross-entropy of probabilities ``input`` (e.g. after a sigmoid) against
    targets in [0, 1], as ``torch.nn.functional.binary_cross_entropy``; the logits form is
    the stable one."""
    w, _ = _check(name, input, target, weight, reduction)
    p = input.data
    if (~((p >= 0) & (p <= 1))).any():  # NaN fails both
        raise ValueError(
            f"{name}: input must hold probabilities in [0, 1] (for logits use "
            f"binary_cross_entropy_with_logits); got min {float(p.min())}, max {float(p.max())}"
        )
    return BCE.apply(input, target, weight=w, reduction=reduction)
