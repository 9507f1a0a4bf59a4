"""Margin losses for classification, as PyTorch's: the multiclass SVM hinge loss
(``multi_margin_loss``), its smooth two-class form (``soft_margin_loss``) and the
multi-label one (``multilabel_soft_margin_loss``). embedding_loss.py holds the losses on
pairs and triplets.

A hinge max(0, z) has no slope at z = 0; there PyTorch takes 0, and so does every loss here
(a term counts, in the loss and in its gradient, where z > 0). ``reduction`` is 'mean' (the
sum over the per-sample losses divided by their number; NaN for an empty batch), 'sum' or
'none'.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .activation import softplus_of
from .basic import add, mul, neg, sub
from .bce import _check as check_bce_args
from .checks import check_float, check_real, check_same_dtype
from .class_targets import class_weights, target_array
from .log_sigmoid import logsigmoid
from .loss import check_reduction
from .reduce import sum
from .reduction import loss_grad, reduce_losses, reduce_tensor
from .shape import reshape


class MultiMargin(Function):
    """Per row x of C scores with class y, z_i = margin - x[y] + x[i] and a_i = [z_i > 0]:
    l = w[y] / C * sum_{i != y} a_i z_i^p   (p = 1 or 2; w[y] = 1 without weights).
    gx[i] = gl w[y] / C * a_i p z_i^(p-1)  for i != y,   gx[y] = -sum_{i != y} gx[i]
    (each z_i holds +x[i] and -x[y]); a_i = 0 at z_i = 0, PyTorch's slope at the kink."""

    def forward(self, x, *, target, weight, p, margin, reduction):
        xp = backend.xp_of(x)
        c = x.shape[-1]
        rows = x.reshape(target.size, c)  # (C,) is one row
        self.at = xp.arange(target.size), target.reshape(-1)  # each row's target entry
        self.scale = xp.full(target.size, 1 / c, dtype=x.dtype) if weight is None else weight[self.at[1]] / c
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, z^2 past the range: as PyTorch
            z = margin - rows[self.at][:, None] + rows
            active = z > 0
            active[self.at] = False  # the target's own term, z = margin, is left out
            h = xp.where(active, z if p == 1 else z * z, 0)
            losses = (h.sum(1) * self.scale).astype(x.dtype, copy=False)
            self.slope = active.astype(x.dtype) if p == 1 else 2 * xp.where(active, z, 0)  # d h / d z
        self.shape, self.reduction = x.shape, reduction
        return reduce_losses(losses.reshape(target.shape), reduction)

    def backward(self, g):
        n = self.at[0].size
        gl = loss_grad(g.reshape(-1) if self.reduction == "none" else g, self.reduction, (n,))
        with np.errstate(invalid="ignore", over="ignore"):
            gz = self.slope * (gl * self.scale)[:, None]
            gx = gz.copy()
            gx[self.at] = 0 - gz.sum(1)  # (a row with no term: +0.0, PyTorch's zero)
        return gx.reshape(self.shape)


def multi_margin_loss(
    input: Tensor,
    target: Any,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
    name: str = "multi_margin_loss",
) -> Tensor:
    """The multiclass SVM (hinge) loss of scores against class indices, as
    ``torch.nn.functional.multi_margin_loss`` (its deprecated size_average and reduce left
    out, so the reduction is given by name). Per sample x with class y:

        l = w[y] / C * sum over i != y of max(0, margin - x[y] + x[i])^p

    zero once the true class's score leads every other by the margin. ``p`` is 1 (the
    hinge) or 2 (its square); ``weight`` w (C,) scales each class (all 1 by default).

    Shapes: input (N, C) with target (N,), or one sample (C,) with target () or (1,) (a 0-d
    input is one class, its loss 0, as PyTorch's); 'none' gives the losses in the target's
    shape, 'mean' their mean over the samples, 'sum' their sum.

    >>> import minicnn as mc, minicnn.functional as F
    >>> x, y = mc.tensor([[0.1, 0.2, 0.4, 0.8]]), mc.tensor([3])
    >>> round(F.multi_margin_loss(x, y).item(), 4)
    0.325
    """
    check_float(name, "input", input)
    if input.ndim > 2 or (input.ndim and input.shape[-1] == 0):  # (an empty batch is taken)
        raise ValueError(
            f"{name}: expected a non-empty input of shape (C,) or (N, C), got shape {input.shape}"
        )
    t = _class_targets(name, input, target_array(input, target))
    check_margin_settings(name, p, margin, reduction)
    if input.ndim == 0:  # one sample of one class
        input = reshape(input, 1)
    w = class_weights(name, input, weight)
    return MultiMargin.apply(input, target=t, weight=w, p=int(p), margin=float(margin), reduction=reduction)


def _class_targets(name, input, t):
    """t checked as one int64 class per sample of ``input``, each in [0, C)."""
    if t.dtype != np.int64:  # NOTE: PyTorch's "expected scalar type Long"; uint8 is refused too
        raise TypeError(
            f"{name}: target must hold int64 class indices, got {t.dtype}; convert it with .long()"
        )
    n, c = (input.shape[0], input.shape[1]) if input.ndim == 2 else (1, input.shape[0] if input.ndim else 1)
    if t.ndim > 1 or t.size != n:
        raise ValueError(
            f"{name}: target must be 1-D with one class per sample, ({n},), for input {input.shape}; "
            f"got shape {t.shape}"
        )
    if t.size and (int(t.min()) < 0 or int(t.max()) >= c):
        raise ValueError(
            f"{name}: target out of range: classes must lie in [0, {c}), "
            f"got min {int(t.min())}, max {int(t.max())}"
        )
    return t


def check_margin_settings(name: str, p: Any, margin: Any, reduction: str) -> None:
    """multi_margin_loss's settings, checked once by ``nn.MultiMarginLoss`` when made."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or p not in (1, 2):
        raise ValueError(f"{name}: only p == 1 and p == 2 supported, got p={p!r}")
    check_real(name, "margin", margin)
    check_reduction(name, reduction)


class SoftMargin(Function):
    """l = log(1 + e^(-y x)) for labels y = +-1, written max(-y x, 0) + log(1 + e^-|y x|)
    so that no exponential overflows (PyTorch's log1p(exp(-y x)) is inf past -y x of about 710).
    gx = -y sigmoid(-y x) gl."""

    def forward(self, x, y, *, reduction):
        xp = backend.xp_of(x)
        self.reduction = reduction
        with np.errstate(invalid="ignore", over="ignore"):  # NaN and inf in, NaN out, silently as PyTorch
            m = -y * x
            if self.needs_grad[0]:
                self.slope = -y * xp.exp(-xp.logaddexp(0, -m))  # -y / (1 + e^(y x))
            losses = softplus_of(m)
        return reduce_losses(losses.astype(x.dtype, copy=False), reduction)

    def backward(self, g):
        gl = loss_grad(g, self.reduction, self.slope.shape)
        with np.errstate(invalid="ignore", over="ignore"):
            return (gl * self.slope).astype(self.slope.dtype, copy=False), None


def soft_margin_loss(
    input: Tensor, target: Tensor, *, reduction: str = "mean", name: str = "soft_margin_loss"
) -> Tensor:
    """The two-class logistic loss of scores x against labels y = 1 or -1, as
    ``torch.nn.functional.soft_margin_loss``:

        l = log(1 + exp(-y x)),   per element, reduced as the other losses.

    The smooth hinge: close to max(0, -y x) far from 0, never exactly 0. The target is a
    constant, as in PyTorch (one that requires grad is refused).

    Shapes: input any, target the same shape and dtype; 'none' keeps it.

    >>> import minicnn as mc, minicnn.functional as F
    >>> x, y = mc.tensor([0.0, 2.0]), mc.tensor([1.0, -1.0])
    >>> round(F.soft_margin_loss(x, y, reduction="sum").item(), 4)
    2.8201
    """
    check_pair(name, input, target)
    if target.requires_grad:
        raise ValueError(f"{name}: target is a constant, as in PyTorch; pass target.detach()")
    check_reduction(name, reduction)
    return SoftMargin.apply(input, target, reduction=reduction)


def check_pair(name: str, input: Any, target: Any) -> None:
    """Input and target: floating-point Tensors of one shape and dtype."""
    check_float(name, "input", input)
    check_float(name, "target", target)
    if input.shape != target.shape:
        raise ValueError(f"{name}: target {target.shape} must have the input's shape {input.shape}")
    check_same_dtype(name, input, target=target)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
    name: str = "multilabel_soft_margin_loss",
) -> Tensor:
    """The multi-label logistic loss, as ``torch.nn.functional.multilabel_soft_margin_loss``:
    each of C classes a yes/no target t_c in {0, 1}, and per sample

        l = -1/C sum_c w_c (t_c log sigmoid(x_c) + (1 - t_c) log sigmoid(-x_c)),

    the mean over the classes of the binary cross-entropy with logits. It is composed so, in
    PyTorch's order: ``logsigmoid`` (its stable form) of x and of -x, the products and sum
    above per element, summed over the last dim, divided by C, then reduced. Written with two
    logsigmoids rather than ``binary_cross_entropy_with_logits``, x = -inf with t = 1 gives
    inf, not inf - inf, as PyTorch's. The target gets a gradient as PyTorch's; ``weight``
    (broadcasting to the input, usually (C,)) is a constant.

    Shapes: input (N, C) or (C,), any (*, C), the classes in the last dim; target the same
    shape; 'none' gives (*), one loss per sample.

    >>> import minicnn as mc, minicnn.functional as F
    >>> x, t = mc.tensor([[0.0, 0.0]]), mc.tensor([[1.0, 0.0]])
    >>> round(F.multilabel_soft_margin_loss(x, t).item(), 4)
    0.6931
    """
    check_float(name, "input", input)
    if input.ndim == 0:
        raise ValueError(f"{name}: expected input of shape (C,) or (N, C), the classes last; got shape ()")
    check_bce_args(name, input, target, weight, reduction)  # one shape and dtype; weight a constant
    with np.errstate(invalid="ignore"):  # t = 0 at x = -inf: 0 * -inf, NaN as PyTorch's, silently
        losses = neg(add(mul(target, logsigmoid(input)), mul(sub(1, target), logsigmoid(neg(input)))))
    if weight is not None:
        losses = mul(losses, weight)
    with np.errstate(invalid="ignore"):  # C = 0: 0 / 0, NaN as PyTorch
        return reduce_tensor(sum(losses, -1) / input.shape[-1], reduction)
