"""Softmax, log-softmax and the classification losses (regression_loss.py holds MSE, L1 and Huber).

Cross-entropy is log-softmax followed by picking the target's entry, but it is
written as one op because its gradient is so simple: softmax(x) - onehot(t). The ops work
on rows, (M, C); ``cross_entropy`` and ``nll_loss`` bring the other shapes PyTorch takes,
(C,) and (N, C, d1, ..., dk), to rows by moving the class axis last and flattening the rest.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .checks import check_float, wrap_dim
from .class_targets import (
    as_rows,
    check_class_input,
    class_indices,
    class_probabilities,
    class_weights,
    rows_back,
    target_array,
)
from .reduction import loss_grad, reduce_losses


def _log_softmax(x, axis):
    xp = backend.xp_of(x)
    if not x.size:  # an empty dim, as PyTorch: an empty result (NumPy's max has no identity)
        return x.copy()
    # NOTE: subtract the max for stability; it cancels in the ratio. An inf max gives
    # inf - inf = NaN, and x - max past the dtype's range -inf, silently as in PyTorch
    with np.errstate(invalid="ignore", over="ignore"):
        shifted = x - x.max(axis=axis, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def _softmax_axis(x, dim):
    """The NumPy axis of a softmax over ``dim``: None for a 0-d x (its one value, dim 0 or -1
    as PyTorch takes them; NumPy has no axis 0 there)."""
    return dim if x.ndim else None


class LogSoftmax(Function):
    """y = x - log sum exp x.   gx = gy - softmax(x) * sum(gy)."""

    def forward(self, x, *, dim):
        self.dim = _softmax_axis(x, dim)
        self.y = _log_softmax(x, self.dim)
        return self.y

    def backward(self, gy):
        p = self.xp.exp(self.y)
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf in gy's sums: NaN, as PyTorch
            return gy - p * gy.sum(axis=self.dim, keepdims=True)


class Softmax(Function):
    """y = e^x / sum e^x.   gx = y * (gy - sum(gy * y))."""

    def forward(self, x, *, dim):
        self.dim = _softmax_axis(x, dim)
        self.y = backend.xp_of(x).exp(_log_softmax(x, self.dim))
        return self.y

    def backward(self, gy):
        y = self.y
        with np.errstate(invalid="ignore", over="ignore"):  # an infinite gy beside a y of 0: NaN, as PyTorch
            return y * (gy - (gy * y).sum(axis=self.dim, keepdims=True))


def _gl_of_total(gy, reduction, divisor):
    """gl, the gradient reaching each kept target's loss of CrossEntropy and NLLLoss from their
    'sum' or 'mean' (an ignored target's gets none: its callers pass 0 there, as PyTorch).

    NOTE: not reduction.loss_grad's: the mean divides by the kept targets' class weight, and
    where kept weights sum to 0 it divides by that 0, as PyTorch: +-inf, which each target's
    weight carries on (as +-inf, or NaN where the weight is 0)."""
    if reduction == "sum":
        return gy
    with np.errstate(divide="ignore", invalid="ignore"):
        return gy / divisor


def _smoothed_mean_of_no_weight(logp, w, rows, classes, losses, s):
    """CrossEntropy's 'mean' with label smoothing s where the kept targets' weights sum to 0.

    NOTE: PyTorch divides its two terms, the targets' (1-s) A and the smoothing's, by that 0
    separately: A = 0 (each kept weight 0) makes the loss 0 / 0 = NaN even where the
    smoothing's sum is not 0 (only negative weights make it +-inf)."""
    xp = backend.xp_of(logp)
    with np.errstate(divide="ignore", invalid="ignore"):
        nll = (1 - s) * -(w[classes] * logp[rows, classes]).sum()
        total = nll / w[classes].sum() + (losses.sum() - nll) / w[classes].sum()
    return xp.asarray(total, dtype=losses.dtype)


class CrossEntropy(Function):
    """Per row i (a sample, or one position of a map):  l_i = -sum_c q_ic log p_ic,  p_i = softmax(x_i),
    q_ic = (1-s) w[t_i] onehot(t_i)_c + (s/C) w[c]   (0 for a sample whose target is ignored),
    w the class weights (all 1 by default), s the label smoothing. Reduced as PyTorch:
    'none' gives l, 'sum' sum_i l_i, 'mean' sum_i l_i / sum_i w[t_i] (over the kept samples).

    gx_i = gl_i (p_i Q_i - q_i),  Q_i = sum_c q_ic  (= 1 without weights: p - q),
    gl_i the gradient reaching l_i: gy_i ('none'), gy ('sum') or gy / divisor ('mean'), gy the
    gradient of this op's output (1 where the loss is what backward() starts from).
    """

    def forward(self, x, *, target, weight, ignore_index, reduction, label_smoothing):
        xp = backend.xp_of(x)
        n, c = x.shape
        w = xp.ones(c, dtype=x.dtype) if weight is None else weight
        kept = target != ignore_index
        rows, classes = xp.arange(n)[kept], target[kept]
        logp = _log_softmax(x, 1)
        q = xp.zeros(x.shape, dtype=x.dtype)
        q[kept] = (label_smoothing / c) * w
        q[rows, classes] += (1 - label_smoothing) * w[classes]
        self.p, self.q, self.reduction = xp.exp(logp), q, reduction
        # NOTE: a class with no weight in q adds nothing, even where its logit is -inf
        # (a masked class): 0 * log 0 would be NaN
        losses = (q * xp.where(q != 0, -logp, 0)).sum(axis=1)
        self.divisor = w[classes].sum()  # for 'mean'; 0 when every sample is ignored: NaN
        self.kept = kept
        if reduction == "mean" and not self.divisor and label_smoothing:
            return _smoothed_mean_of_no_weight(logp, w, rows, classes, losses, label_smoothing)
        return reduce_losses(losses, reduction, self.divisor)

    def backward(self, gy):
        gl = gy[:, None] if self.reduction == "none" else _gl_of_total(gy, self.reduction, self.divisor)
        if self.reduction == "mean" and not self.divisor:
            # NOTE: kept weights summing to 0: PyTorch's 1 / 0 meets its opposite in the log_softmax
            # backward, NaN at each target and +-inf beside it (NaN throughout with smoothing);
            # minicnn gives NaN throughout
            gl = gy * np.nan
        # an ignored sample's row gets 0 whatever reaches it (a NaN mean's, an infinite gy), as
        # PyTorch: its q is 0, but NaN or inf times 0 is NaN
        gl = self.xp.where(self.kept[:, None], gl, 0)
        q = self.q
        with np.errstate(invalid="ignore"):  # NaN or inf times 0 where a class has no weight
            return (gl * (self.p * q.sum(axis=1, keepdims=True) - q)).astype(self.p.dtype)


class SoftCrossEntropy(Function):
    """Per row i of class probabilities t_i (a mixup or a teacher's target):  l_i =
    -sum_c q_ic log p_ic,  p_i = softmax(x_i),  q_ic = w[c] ((1-s) t_ic + s/C). Reduced as
    PyTorch: 'none' gives l, 'sum' sum_i l_i, 'mean' sum_i l_i / M over all M rows (not over
    the weights, as with class indices).

    gx_i = gl_i (p_i Q_i - q_i),  Q_i = sum_c q_ic: CrossEntropy's gradient with this q.
    gt_ic = -gl_i (1-s) w[c] log p_ic: the target gets a gradient too, as in PyTorch.
    """

    def forward(self, x, t, *, weight, reduction, label_smoothing):
        xp = backend.xp_of(x)
        m, c = x.shape
        q = (1 - label_smoothing) * t + label_smoothing / c
        if weight is not None:
            q = q * weight
        logp = _log_softmax(x, 1)
        self.p, self.q, self.reduction, self.rows = xp.exp(logp), q, reduction, m
        if self.needs_grad[1]:
            self.dl_dt = -(1 - label_smoothing) * (logp if weight is None else weight * logp)
        # NOTE: as in CrossEntropy, a class with q = 0 adds nothing even at a logit of -inf
        # (PyTorch's 0 * -inf gives NaN there); minus the sum, as PyTorch: a loss of nothing
        # (no rows, or q = 0) is -0.0
        sums = (q * xp.where(q != 0, logp, 0)).sum(axis=1)
        return -reduce_losses(sums, reduction)

    def backward(self, gy):
        gl = loss_grad(gy, self.reduction, (self.rows,))[:, None]  # (one per row, beside its C classes)
        gx = gl * (self.p * self.q.sum(axis=1, keepdims=True) - self.q) if self.needs_grad[0] else None
        gt = gl * self.dl_dt if self.needs_grad[1] else None
        return gx, gt


class NLLLoss(Function):
    """l_i = -w[t_i] x[i, t_i]  (0 for an ignored sample), reduced as CrossEntropy.
    gx[i, t_i] = -w[t_i] gl_i, zero elsewhere: the loss reads one entry per row."""

    def forward(self, x, *, target, weight, ignore_index, reduction):
        xp = backend.xp_of(x)
        n, c = x.shape
        w = xp.ones(c, dtype=x.dtype) if weight is None else weight
        kept = target != ignore_index
        self.rows, self.classes = xp.arange(n)[kept], target[kept]
        self.scale = -w[self.classes]  # d l_i / d x[i, t_i]
        self.shape, self.reduction = x.shape, reduction
        losses = xp.zeros(n, dtype=x.dtype)
        losses[self.rows] = self.scale * x[self.rows, self.classes]
        losses += 0.0  # -w * 0 is -0.0; PyTorch prints 0
        self.divisor = w[self.classes].sum()  # for 'mean'; 0 when every sample is ignored: NaN
        return reduce_losses(losses, reduction, self.divisor)

    def backward(self, gy):
        if self.reduction == "none":
            gl = gy[self.rows]
        else:
            gl = _gl_of_total(gy, self.reduction, self.divisor)
        gx = self.xp.zeros(self.shape, dtype=gy.dtype)
        with np.errstate(invalid="ignore"):  # NaN times a zero weight
            gx[self.rows, self.classes] = self.scale * gl
        return gx


_REDUCTIONS = ("mean", "sum", "none")


def check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def log_softmax(x: Tensor, dim: int | None = None, *, name: str = "log_softmax") -> Tensor:
    """y = x - log sum e^x along ``dim`` (computed stably, not as the log of softmax)."""
    check_float(name, "x", x)
    return LogSoftmax.apply(x, dim=implicit_dim(name, x, dim))


def softmax(x: Tensor, dim: int | None = None, *, name: str = "softmax") -> Tensor:
    """y = e^x / sum e^x along ``dim``."""
    check_float(name, "x", x)
    return Softmax.apply(x, dim=implicit_dim(name, x, dim))


def implicit_dim(name: str, x: Tensor, dim: int | None) -> int:
    """``dim``, or where none is given PyTorch's legacy choice, with its warning: dim 0 of a
    0-, 1- or 3-D x, else dim 1 (the classes of an (N, C) or (N, C, H, W) batch)."""
    if dim is not None:
        return wrap_dim(name, dim, x.ndim)
    warnings.warn(
        f"{name}: implicit dimension choice is deprecated (as in PyTorch); pass dim= explicitly",
        UserWarning,
        stacklevel=3,
    )
    return 0 if x.ndim in (0, 1, 3) else 1


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    name: str = "cross_entropy",
) -> Tensor:
    """Softmax cross-entropy of logits, as ``torch.nn.functional.cross_entropy``.

    Shapes: input (N, C), (C,) for one sample, or (N, C, d1, ..., dk) for a prediction per
    pixel or position (a segmentation map, a sequence); target either integer classes of the
    input's shape less C, (N,), () or (N, d1, ..., dk), or floating-point class probabilities
    of the input's own shape. Per prediction, with p = softmax over C and s the label smoothing:

        l = -sum_c q_c log p_c,   q_c = (1-s) w[t] [c = t] + (s/C) w[c]   (class t)
                                  q_c = w[c] ((1-s) t_c + s/C)           (probabilities t_c)

    ``weight`` w (C,) scales each class (all 1 by default). With classes, a prediction whose
    target is ``ignore_index`` has q = 0 and 'mean' divides the sum of l by the kept
    predictions' total weight sum w[t]; with probabilities ``ignore_index`` must stay negative
    (PyTorch's rule) and 'mean' divides by the number of predictions, N d1 ... dk. 'sum' sums,
    'none' gives l in the target's shape (less C). Other shapes become (N d1 ... dk, C) rows
    (class axis last, the rest flattened) before the one op, whose backward is p sum(q) - q.
    """
    check_class_input(name, input, "logits")
    t = target_array(input, target)
    probabilities = t.dtype.kind == "f"
    if probabilities:
        target = class_probabilities(name, input, target, t, ignore_index)
    else:
        t = class_indices(name, input, t, ignore_index, "logits", " or floating-point class probabilities")
    check_reduction(name, reduction)
    w = class_weights(name, input, weight)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if probabilities:
        losses = SoftCrossEntropy.apply(
            as_rows(input), as_rows(target), weight=w, reduction=reduction, label_smoothing=label_smoothing
        )
    else:
        losses = CrossEntropy.apply(
            as_rows(input),
            target=t.reshape(-1),
            weight=w,
            ignore_index=ignore_index,
            reduction=reduction,
            label_smoothing=label_smoothing,
        )
    return rows_back(losses, input, reduction)


def nll_loss(
    input: Tensor,
    target: Any,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    name: str = "nll_loss",
) -> Tensor:
    """The negative log-likelihood of log-probabilities, e.g. ``F.log_softmax(x, 1)``, as
    ``torch.nn.functional.nll_loss``: l = -w[t] input[t] per prediction (0 where t is
    ``ignore_index``), ``weight``, ``reduction`` and the shapes as in ``cross_entropy`` with
    class indices (input (N, C), (C,) or (N, C, d1, ..., dk)); ``cross_entropy`` is
    ``nll_loss(log_softmax(x, 1), t)``. Class probabilities are refused, as in PyTorch."""
    check_class_input(name, input, "log-probabilities")
    t = class_indices(
        name,
        input,
        target_array(input, target),
        ignore_index,
        "log-probabilities",
        " (class probabilities are for cross_entropy)",
    )
    check_reduction(name, reduction)
    w = class_weights(name, input, weight)
    losses = NLLLoss.apply(
        as_rows(input), target=t.reshape(-1), weight=w, ignore_index=ignore_index, reduction=reduction
    )
    return rows_back(losses, input, reduction)
