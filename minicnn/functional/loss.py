"""Softmax, log-softmax and the losses.

Cross-entropy is log-softmax followed by picking the target's entry, but it is
written as one op because its gradient is so simple: softmax(x) - onehot(t).
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..tensor import Function, Tensor
from .checks import check_float, check_same_dtype


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
    """L = mean_i [ -(1-s) log p_i[t_i] - s/C sum_c log p_i[c] ],  p = softmax(x_i).

    gx = (p - q) / N, q the smoothed one-hot target ((1-s) onehot + s/C).
    """

    def forward(self, x, *, target, label_smoothing):
        xp = backend.xp_of(x)
        n, c = x.shape
        logp = _log_softmax(x, 1)
        q = xp.full(x.shape, label_smoothing / c, dtype=x.dtype)
        q[xp.arange(n), target] += 1 - label_smoothing
        self.p, self.q = xp.exp(logp), q
        # NOTE: a class with no weight in q adds nothing, even where its logit is -inf
        # (a masked class): 0 * log 0 would be NaN
        return xp.asarray(-(q * xp.where(q > 0, logp, 0)).sum() / n, dtype=x.dtype)

    def backward(self, gy):
        return (gy * (self.p - self.q) / self.p.shape[0]).astype(self.p.dtype)


class MSELoss(Function):
    """L = mean (x - y)^2.   gx = 2 (x - y) / n,  gy_target = -gx."""

    def forward(self, x, y):
        self.diff = x - y
        return (self.diff * self.diff).mean()

    def backward(self, g):
        gx = 2 * g * self.diff / self.diff.size
        return (gx if self.needs_grad[0] else None, -gx if self.needs_grad[1] else None)


def log_softmax(x: Tensor, dim: int = -1, *, name: str = "log_softmax") -> Tensor:
    """y = x - log sum e^x along ``dim`` (computed stably, not as the log of softmax)."""
    check_float(name, "x", x)
    return LogSoftmax.apply(x, dim=dim)


def softmax(x: Tensor, dim: int = -1, *, name: str = "softmax") -> Tensor:
    """y = e^x / sum e^x along ``dim``."""
    check_float(name, "x", x)
    return Softmax.apply(x, dim=dim)


def cross_entropy(
    input: Tensor, target: Any, label_smoothing: float = 0.0, *, name: str = "cross_entropy"
) -> Tensor:
    """Mean softmax cross-entropy of logits (N, C) against integer classes (N,)."""
    check_float(name, "input", input)
    t = target.data if isinstance(target, Tensor) else target
    t = backend.xp_of(input.data).asarray(t)
    if input.ndim != 2:
        raise ValueError(f"{name}: expected logits of shape (N, C), got {input.shape}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class indices, got dtype {t.dtype}")
    if t.shape != (input.shape[0],):
        raise ValueError(
            f"{name}: target shape {t.shape} does not match logits "
            f"{input.shape}; expected ({input.shape[0]},)"
        )
    if t.size and (int(t.min()) < 0 or int(t.max()) >= input.shape[1]):
        raise ValueError(
            f"{name}: target classes must lie in [0, {input.shape[1]}), "
            f"got min {int(t.min())}, max {int(t.max())}"
        )
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    return CrossEntropy.apply(input, target=t, label_smoothing=label_smoothing)


def mse_loss(input: Tensor, target: Tensor, *, name: str = "mse_loss") -> Tensor:
    """Mean squared error over all elements."""
    check_float(name, "input", input)
    check_float(name, "target", target)
    if input.shape != target.shape:
        raise ValueError(f"{name}: input {input.shape} and target {target.shape} differ")
    check_same_dtype(name, input, target=target)
    return MSELoss.apply(input, target)
