"""Normalization across channels: local response normalization and batch norm.

LRN (AlexNet, Krizhevsky et al. 2012, section 3.3) divides each activation by
a power of the energy of its neighbours in nearby channels, a form of lateral
inhibition. Batch normalization (Ioffe & Szegedy 2015) standardizes each
channel over the batch, then rescales it with a learned gamma and beta.

Both run on any (N, C, ...) layout by viewing the input as (N, C, M), M the
flattened spatial size; the kernels work on that 3-D view (``kernels/xp_norm.py``,
with the jitted loops of ``kernels/numba_cpu.py`` under "auto", the default tier).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .. import backend, kernels
from ..tensor import Function, Tensor
from .checks import check_flag, check_float, check_same_dtype


def as_ncm(x):
    """An (N, C, ...) array viewed as (N, C, M), M the product of the other dims (named, not -1:
    NumPy cannot infer a -1 beside an empty batch)."""
    return x.reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]))


class LocalResponseNorm(Function):
    """y_c = x_c s_c^-beta,  s_c = k + alpha/size sum_{c' in win(c)} x_c'^2,
    win(c) = c - floor(size/2) .. c + floor((size - 1)/2), clipped to the channels (for an even
    size the window reaches one further back than forward).
    gx_c = gy_c s_c^-beta - (2 alpha beta/size) x_c sum_{c': c in win(c')} gy_c' x_c' s_c'^(-beta-1)."""

    def forward(self, x, *, size, alpha, beta, k):
        self.K = kernels.for_array(x)
        self.params = size, alpha, beta
        self.x = as_ncm(x)
        y, self.s = self.K.lrn_forward(self.x, size, alpha, beta, k)
        return y.reshape(x.shape)

    def backward(self, gy):
        gx = self.K.lrn_input_grad(as_ncm(gy), self.x, self.s, *self.params)
        return gx.reshape(gy.shape)


class BatchNorm(Function):
    """Training: xhat = (x - mean_B) invstd, invstd = 1 / sqrt(var_B + eps), y = weight xhat + bias
    (the paper's gamma and beta), the batch's mean and biased variance over N and the spatial
    dims, computed here;
    gx = weight invstd (gy - mean(gy) - xhat mean(gy xhat)),  gw = sum gy xhat,  gb = sum gy.
    Eval: mean and var are the running constants, so gx = weight invstd gy.

    ``running_mean`` / ``running_var`` (arrays or None) are read in eval and, in training,
    updated in place: r = (1 - momentum) r + momentum stat (the variance unbiased).
    """

    def forward(self, x, weight, bias, *, running_mean, running_var, training, momentum, eps):
        self.K, self.training, self.weight = kernels.for_array(x), training, weight
        x3 = as_ncm(x)
        if training:
            mean, var, count = self.statistics(x3)
            if running_mean is not None:
                self.K.batch_norm_update_running(running_mean, running_var, mean, var, momentum, count)
        else:
            mean = running_mean.astype(x.dtype, copy=False)
            var = running_var.astype(x.dtype, copy=False)
        self.invstd = self.K.batch_norm_invstd(var, eps)
        y, self.xhat = self.K.batch_norm_apply(x3, mean, self.invstd, weight, bias)
        return y.reshape(x.shape)

    def statistics(self, x3):
        """The batch's per-channel mean and biased variance, and how many values each spans."""
        mean, var = self.K.batch_norm_stats(x3)
        return mean, var, x3.shape[0] * x3.shape[2]

    def backward(self, gy):
        gy3 = as_ncm(gy)
        if self.training:
            gx, gw, gb = self.K.batch_norm_grads(gy3, self.xhat, self.invstd, self.weight)
        else:
            gx = (self.weight * self.invstd)[:, None] * gy3 if self.needs_grad[0] else None
            gw = (gy3 * self.xhat).sum(axis=(0, 2)) if self.needs_grad[1] else None
            gb = gy3.sum(axis=(0, 2)) if self.needs_grad[2] else None
        return (
            gx.reshape(gy.shape) if self.needs_grad[0] else None,
            gw if self.needs_grad[1] else None,
            gb if self.needs_grad[2] else None,
        )


def affine_or_identity(x: Tensor, weight: Tensor | None, bias: Tensor | None) -> tuple[Tensor, Tensor]:
    """BN's weight and bias, or without them (``affine=False``) ones and zeros: y = xhat."""
    xp, c = backend.xp_of(x.data), x.shape[1]
    return (
        weight if weight is not None else Tensor(xp.ones(c, dtype=x.dtype)),
        bias if bias is not None else Tensor(xp.zeros(c, dtype=x.dtype)),
    )


def check_lrn_input(name: str, x: Any, size: Any) -> None:
    """The boundary checks of LRN."""
    check_float(name, "x", x)
    if x.ndim < 3:
        raise ValueError(f"{name}: expected a 3-D or higher input (N, C, ...), got shape {x.shape}")
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise ValueError(f"{name}: size must be a positive int, got {size!r}")


def local_response_norm(
    x: Tensor,
    size: int,
    alpha: float = 1e-4,
    beta: float = 0.75,
    k: float = 1.0,
    *,
    name: str = "local_response_norm",
) -> Tensor:
    """Local response normalization across channels (PyTorch's definition).

    b_c = a_c / (k + alpha/size * sum_{c'} a_c'^2)^beta, the sum over channels
    c - size//2 .. c + (size-1)//2 that exist (zero padding). AlexNet's
    alpha=1e-4 multiplies the sum itself, so here it is alpha=5e-4 (size=5,
    beta=0.75, k=2).

    Shapes: x (N, C, ...) -> y of the same shape.
    """
    check_lrn_input(name, x, size)
    return LocalResponseNorm.apply(x, size=int(size), alpha=float(alpha), beta=float(beta), k=float(k))


def check_batch_norm_input(
    name: str,
    x: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any,
    bias: Any,
    training: bool,
    count: bool = True,
) -> None:
    """The boundary checks of batch norm, before any arithmetic; ``count=False`` leaves the
    "more than 1 value per channel" check to SyncBatchNorm, which counts the global batch."""
    check_flag(name, "training", training)  # (1 or "yes" was read by truthiness; PyTorch refuses it)
    check_float(name, "x", x)
    if x.ndim < 2:
        raise ValueError(f"{name}: expected an input of shape (N, C) or (N, C, ...), got {x.shape}")
    c = x.shape[1]
    for what, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(
                f"{name}: x has {c} channel(s) but {what} has shape {tuple(t.shape)}, "
                f"expected ({c},); x {x.shape}"
            )
    check_same_dtype(name, x, weight=weight, bias=bias)
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{name}: give both running_mean and running_var, or neither")
    if not training and (running_mean is None or running_var is None):
        raise ValueError(f"{name}: running_mean and running_var must be given in evaluation mode")
    if training and count and x.numel() // c <= 1:
        raise ValueError(
            f"{name}: Expected more than 1 value per channel when training, got input size {x.shape}"
        )


def batch_norm(
    x: Tensor,
    running_mean: Any,
    running_var: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    *,
    name: str = "batch_norm",
) -> Tensor:
    """Batch normalization over the channel dim 1 of (N, C) or (N, C, H, W) input.

    Training normalises with the batch's mean and biased variance and updates
    the running estimates in place: r = (1 - momentum) r + momentum * stat,
    with the unbiased variance (times n/(n-1), n = N*H*W) for running_var.
    Eval normalises with the running estimates. weight (gamma) and bias
    (beta) of shape (C,) default to 1 and 0. The running estimates may be
    Tensors (a module's buffers), arrays, or None (training only).

    Shapes: x (N, C) or (N, C, H, W) -> y of the same shape.

    >>> import numpy as np, minicnn as mc, minicnn.functional as F
    >>> x = mc.tensor(np.array([[1.0], [3.0]]))
    >>> F.batch_norm(x, None, None, training=True).numpy().round(3).tolist()
    [[-1.0], [1.0]]
    """
    check_batch_norm_input(name, x, running_mean, running_var, weight, bias, training)
    if training and not eps > 0:  # a channel of equal values would divide by zero
        raise ValueError(f"{name}: eps must be positive in training, got {eps}")
    weight, bias = affine_or_identity(x, weight, bias)
    running_mean, running_var = (t.data if isinstance(t, Tensor) else t for t in (running_mean, running_var))
    return BatchNorm.apply(
        x,
        weight,
        bias,
        running_mean=running_mean,
        running_var=running_var,
        training=training,
        momentum=momentum,
        eps=eps,
    )
