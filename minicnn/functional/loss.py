"""Softmax, log-softmax and the classification losses (regression_loss.py holds MSE, L1 and Huber).

Cross-entropy is log-softmax followed by picking the target's entry, but it is
written as one op because its gradient is so simple: softmax(x) - onehot(t).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .checks import check_float, check_same_dtype, wrap_dim


def _log_softmax(x, axis):
    xp = backend.xp_of(x)
    # NOTE: subtract the max for stability; it cancels in the ratio
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class LogSoftmax(Function):
    """y = x - log sum exp x.   gx = gy - softmax(x) * sum(gy)."""

    def forward(self, x, *, dim):
        self.dim = dim
        self.y = _log_softmax(x, dim)
        return self.y

    def backward(self, gy):
        p = self.xp.exp(self.y)
        return gy - p * gy.sum(axis=self.dim, keepdims=True)


class Softmax(Function):
    """y = e^x / sum e^x.   gx = y * (gy - sum(gy * y))."""

    def forward(self, x, *, dim):
        self.dim = dim
        self.y = backend.xp_of(x).exp(_log_softmax(x, dim))
        return self.y

    def backward(self, gy):
        y = self.y
        return y * (gy - (gy * y).sum(axis=self.dim, keepdims=True))


class CrossEntropy(Function):
    """Per sample i:  l_i = -sum_c q_ic log p_ic,  p_i = softmax(x_i),
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
        self.kept = classes.size > 0
        if reduction == "none":
            return losses.astype(x.dtype)
        total = losses.sum()
        with np.errstate(invalid="ignore"):  # every sample ignored: 0 / 0, NaN as in PyTorch
            return xp.asarray(total / self.divisor if reduction == "mean" else total, dtype=x.dtype)

    def backward(self, gy):
        if self.reduction == "none":
            gl = gy[:, None]
        elif self.reduction == "sum" or not self.kept:  # every sample ignored: q = 0, gx = 0
            gl = gy
        else:
            gl = gy / self.divisor if self.divisor else gy * np.nan  # kept weights summing to 0: NaN
        q = self.q
        with np.errstate(invalid="ignore"):  # NaN times 0 where a class has no weight
            return (gl * (self.p * q.sum(axis=1, keepdims=True) - q)).astype(self.p.dtype)


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
        self.divisor = w[self.classes].sum()
        if reduction == "none":
            return losses
        total = losses.sum()
        with np.errstate(invalid="ignore"):  # every sample ignored: 0 / 0, NaN as in PyTorch
            return xp.asarray(total / self.divisor if reduction == "mean" else total, dtype=x.dtype)

    def backward(self, gy):
        xp = self.xp
        if self.reduction == "none":
            gl = gy[self.rows]
        elif self.reduction == "sum" or self.rows.size == 0:  # every sample ignored: gx = 0
            gl = gy
        else:
            gl = gy / self.divisor if self.divisor else gy * np.nan  # kept weights summing to 0: NaN
        gx = xp.zeros(self.shape, dtype=gy.dtype)
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
    """Softmax cross-entropy of logits (N, C) against integer classes (N,), as
    ``torch.nn.functional.cross_entropy``: ``weight`` (C,) scales each class's loss,
    samples whose target is ``ignore_index`` count for nothing, ``reduction`` is 'mean'
    (divided by the kept samples' total weight), 'sum' or 'none' (one loss per sample),
    and ``label_smoothing`` s mixes the one-hot target with the uniform one."""
    t, w = _class_targets(name, input, target, weight, ignore_index, reduction, "logits")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    return CrossEntropy.apply(
        input,
        target=t,
        weight=w,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )


def nll_loss(
    input: Tensor,
    target: Any,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    name: str = "nll_loss",
) -> Tensor:
    """The negative log-likelihood of log-probabilities (N, C), e.g. ``F.log_softmax(x, 1)``,
    against integer classes (N,): l_i = -w[t_i] input[i, t_i]; ``weight``, ``ignore_index``
    and ``reduction`` as in ``cross_entropy``, which is ``nll_loss(log_softmax(x, 1), t)``."""
    t, w = _class_targets(name, input, target, weight, ignore_index, reduction, "log-probabilities")
    return NLLLoss.apply(input, target=t, weight=w, ignore_index=ignore_index, reduction=reduction)


def _class_targets(name, input, target, weight, ignore_index, reduction, what):
    """The target as an integer array and the class weights' array (or None), checked: (N, C)
    scores, (N,) classes in [0, C) or ignore_index, (C,) constant weights of input's dtype."""
    check_float(name, "input", input)
    t = target.data if isinstance(target, Tensor) else target
    t = backend.xp_of(input.data).asarray(t)
    if input.ndim != 2:
        raise ValueError(f"{name}: expected {what} of shape (N, C), got {input.shape}")
    n, c = input.shape
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class indices, got dtype {t.dtype}")
    if t.shape != (n,):
        raise ValueError(
            f"{name}: target shape {t.shape} does not match {what} {input.shape}; expected ({n},)"
        )
    kept = t[t != ignore_index]
    if kept.size and (int(kept.min()) < 0 or int(kept.max()) >= c):
        raise ValueError(
            f"{name}: target classes must lie in [0, {c}) (or be ignore_index={ignore_index}), "
            f"got min {int(kept.min())}, max {int(kept.max())}"
        )
    check_reduction(name, reduction)
    if weight is None:
        return t, None
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
    return t, weight.data
