"""Regression losses: a penalty on each difference d = input - target, then reduced.

    mse        l = d^2
    l1         l = |d|
    smooth_l1  l = d^2 / (2 beta) where |d| < beta, else |d| - beta / 2   (Fast R-CNN's box loss)
    huber      l = d^2 / 2 where |d| < delta, else delta (|d| - delta / 2)  (Huber 1964)

Smooth L1 and Huber are quadratic near 0 and linear beyond the threshold, so a large
error pulls with a bounded force (gradient +-1, or +-delta) instead of 2 d; they agree
at beta = delta = 1, and in general huber = delta * smooth_l1 with beta = delta.
``reduction`` is 'mean' (the sum over all elements divided by their number), 'sum' or
'none' (l itself), as in PyTorch; the target gets the gradient -gx.
"""

from __future__ import annotations

from .. import backend
from ..tensor import Function, Tensor
from .checks import check_float, check_real, check_same_dtype
from .loss import check_reduction
from .reduction import loss_grad, reduce_losses


class _ElementwiseLoss(Function):
    """What the four share: the reduction forward, gl (the gradient of each l) backward."""

    def reduce(self, losses, reduction):
        self.reduction = reduction
        return reduce_losses(losses, reduction)

    def gradients(self, g, slope):
        """gx = slope * gl and g_target = -gx, gl = g / n for 'mean', else g."""
        gl = loss_grad(g, self.reduction, slope.shape)
        gx = (gl * slope).astype(slope.dtype, copy=False)
        return (gx if self.needs_grad[0] else None, -gx if self.needs_grad[1] else None)


class MSELoss(_ElementwiseLoss):
    """l = d^2, d = x - y.   gx = 2 d gl,  g_target = -gx."""

    def forward(self, x, y, *, reduction):
        self.d = x - y
        return self.reduce(self.d * self.d, reduction)

    def backward(self, g):
        return self.gradients(g, 2 * self.d)


class L1Loss(_ElementwiseLoss):
    """l = |d|.   gx = sign(d) gl (0 at d = 0 and at NaN, as PyTorch's gradient of abs),  g_target = -gx."""

    def forward(self, x, y, *, reduction):
        d = x - y
        self.sign = (d > 0).astype(d.dtype) - (d < 0)  # NOTE: not xp.sign: sign(NaN) is NaN
        return self.reduce(backend.xp_of(d).abs(d), reduction)

    def backward(self, g):
        return self.gradients(g, self.sign)


class SmoothL1Loss(_ElementwiseLoss):
    """l = d^2 / (2 beta) where |d| < beta, else |d| - beta / 2   (beta > 0).
    gx = gl * (d / beta where |d| < beta, else sign d): +-1 at |d| = beta from either side."""

    def forward(self, x, y, *, reduction, beta):
        xp = backend.xp_of(x)
        self.d, self.beta = x - y, beta
        z = xp.abs(self.d)
        q = xp.minimum(z, beta)  # NOTE: the square of the linear side's |d| is never used, and may overflow
        return self.reduce(xp.where(z < beta, 0.5 * q * q / beta, z - 0.5 * beta), reduction)

    def backward(self, g):
        xp, d, beta = self.xp, self.d, self.beta
        # PyTorch's order: d <= -beta, then d >= beta, then d / beta (NaN reaches the last)
        return self.gradients(g, xp.where(d <= -beta, -1.0, xp.where(d >= beta, 1.0, d / beta)))


class HuberLoss(_ElementwiseLoss):
    """l = d^2 / 2 where |d| < delta, else delta (|d| - delta / 2).
    gx = gl * (d where |d| < delta, else delta sign d): +-delta at |d| = delta from either side."""

    def forward(self, x, y, *, reduction, delta):
        xp = backend.xp_of(x)
        self.d, self.delta = x - y, delta
        z = xp.abs(self.d)
        q = xp.minimum(z, delta)
        return self.reduce(xp.where(z < delta, 0.5 * q * q, delta * (z - 0.5 * delta)), reduction)

    def backward(self, g):
        xp, d, delta = self.xp, self.d, self.delta
        return self.gradients(g, xp.where(d <= -delta, -delta, xp.where(d >= delta, delta, d)))


def _check(name: str, input: Tensor, target: Tensor, reduction: str) -> None:
    check_float(name, "input", input)
    check_float(name, "target", target)
    if input.shape != target.shape:
        raise ValueError(f"{name}: input {input.shape} and target {target.shape} differ")
    check_same_dtype(name, input, target=target)
    check_reduction(name, reduction)


def mse_loss(input: Tensor, target: Tensor, *, reduction: str = "mean", name: str = "mse_loss") -> Tensor:
    """Squared error (input - target)^2, averaged over all elements ('mean'), summed ('sum')
    or kept elementwise ('none')."""
    _check(name, input, target, reduction)
    return MSELoss.apply(input, target, reduction=reduction)


def l1_loss(input: Tensor, target: Tensor, *, reduction: str = "mean", name: str = "l1_loss") -> Tensor:
    """Absolute error |input - target|, reduced as ``mse_loss``."""
    _check(name, input, target, reduction)
    return L1Loss.apply(input, target, reduction=reduction)


def smooth_l1_loss(
    input: Tensor, target: Tensor, *, reduction: str = "mean", beta: float = 1.0, name: str = "smooth_l1_loss"
) -> Tensor:
    """Squared error / (2 beta) where |input - target| < beta, else the absolute error less
    beta / 2; reduced as ``mse_loss``. ``beta=0`` is ``l1_loss``, as in PyTorch."""
    _check(name, input, target, reduction)
    check_smooth_l1_beta(name, beta)
    if beta == 0:
        return L1Loss.apply(input, target, reduction=reduction)
    # NOTE: a Python float: a NumPy float64 beside float32 arrays would make them float64
    return SmoothL1Loss.apply(input, target, reduction=reduction, beta=float(beta))


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0, *, name: str = "huber_loss"
) -> Tensor:
    """Squared error / 2 where |input - target| < delta, else delta (|input - target| - delta / 2);
    reduced as ``mse_loss``.

    >>> import minicnn as mc
    >>> import minicnn.functional as F
    >>> F.huber_loss(mc.tensor([0.5, 3.0]), mc.tensor([0.0, 0.0]), reduction="none").tolist()
    [0.125, 2.5]
    """
    _check(name, input, target, reduction)
    check_huber_delta(name, delta)
    return HuberLoss.apply(input, target, reduction=reduction, delta=float(delta))  # as smooth_l1's


def check_smooth_l1_beta(name: str, beta: float) -> None:
    check_real(name, "beta", beta)
    if not beta >= 0:
        raise ValueError(f"{name}: beta must be non-negative (0 is the L1 loss), got {beta}")


def check_huber_delta(name: str, delta: float) -> None:
    check_real(name, "delta", delta)
    if not delta > 0:
        raise ValueError(f"{name}: delta must be positive, got {delta}")
