"""Normalization across channels: local response normalization and batch norm.

LRN (AlexNet, Krizhevsky et al. 2012, section 3.3) divides each activation by
a power of the energy of its neighbours in nearby channels, a form of lateral
inhibition. Batch normalization (Ioffe & Szegedy 2015) standardizes each
channel over the batch, then rescales it with a learned gamma and beta.

Both run on any (N, C, ...) layout by viewing the input as (N, C, M), M the
flattened spatial size; the kernels work on that 3-D view.
"""
import numpy as np

from .. import backend, kernels
from ..tensor import Function, Tensor


def _as_ncm(x):
    return x.reshape(x.shape[0], x.shape[1], -1)


class LocalResponseNorm(Function):
    """y_c = x_c s_c^-beta,  s_c = k + alpha/n sum_{c' in win(c)} x_c'^2 (window of n channels).
    gx_c = gy_c s_c^-beta - (2 alpha beta/n) x_c sum_{c': c in win(c')} gy_c' x_c' s_c'^(-beta-1)."""

    def forward(self, x, size=5, alpha=1e-4, beta=0.75, k=1.0):
        K = kernels.for_array(x)
        self.params = size, alpha, beta
        self.x = _as_ncm(x)
        y, self.s = K.lrn_forward(self.x, size, alpha, beta, k)
        return y.reshape(x.shape)

    def backward(self, gy):
        K = kernels.for_array(gy)
        gx = K.lrn_backward(_as_ncm(gy), self.x, self.s, *self.params)
        return gx.reshape(gy.shape)


class BatchNorm(Function):
    """Training: xhat = (x - mean_B) / sqrt(var_B + eps), y = gamma xhat + beta (stats over N, H, W);
    gx = (gamma/sigma)(gy - mean(gy) - xhat mean(gy xhat)), ggamma = sum gy xhat, gbeta = sum gy.
    Eval: mean and var are the running constants, so gx = (gamma/sigma) gy."""

    def forward(self, x, weight, bias, mean=None, var=None, eps=1e-5, training=False):
        K = kernels.for_array(x)
        self.training = training
        self.invstd = K.batch_norm_invstd(var.astype(x.dtype, copy=False), eps)
        self.weight = weight
        y, self.xhat = K.batch_norm_apply(_as_ncm(x), mean.astype(x.dtype, copy=False), self.invstd,
                                          weight, bias)
        return y.reshape(x.shape)

    def backward(self, gy):
        K = kernels.for_array(gy)
        gy3 = _as_ncm(gy)
        if self.training:
            gx, gw, gb = K.batch_norm_backward(gy3, self.xhat, self.invstd, self.weight)
        else:
            gx = (self.weight * self.invstd)[:, None] * gy3
            gw = (gy3 * self.xhat).sum(axis=(0, 2)) if self.needs_grad[1] else None
            gb = gy3.sum(axis=(0, 2)) if self.needs_grad[2] else None
        return (gx.reshape(gy.shape) if self.needs_grad[0] else None,
                gw if self.needs_grad[1] else None,
                gb if self.needs_grad[2] else None)


def _check_float(name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {x.dtype}")


def check_lrn_input(name, x, size):
    """The boundary checks of LRN, shared by F.local_response_norm and nn.LocalResponseNorm."""
    _check_float(name, x)
    if x.ndim < 3:
        raise ValueError(f"{name}: expected a 3-D or higher input (N, C, ...), got shape {x.shape}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"{name}: size must be a positive int, got {size!r}")


def local_response_norm(x, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalization across channels (PyTorch's definition).

    b_c = a_c / (k + alpha/size * sum_{c'} a_c'^2)^beta, the sum over channels
    c - size//2 .. c + (size-1)//2 that exist (zero padding). AlexNet used
    size=5, alpha=1e-4, beta=0.75, k=2.

    Shapes: x (N, C, ...) -> y of the same shape.
    """
    check_lrn_input("local_response_norm", x, size)
    return LocalResponseNorm.apply(x, size=int(size), alpha=float(alpha), beta=float(beta),
                                   k=float(k))


def check_batch_norm_input(name, x, running_mean, running_var, weight, bias, training):
    """Validation shared by F.batch_norm and the BatchNorm modules, before any arithmetic."""
    _check_float(name, x)
    if x.ndim < 2:
        raise ValueError(f"{name}: expected an input of shape (N, C) or (N, C, ...), got {x.shape}")
    c = x.shape[1]
    for what, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"{name}: x has {c} channel(s) but {what} has shape {tuple(t.shape)}, "
                             f"expected ({c},); x {x.shape}")
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"{name}: x is {x.dtype} but {what} is {t.dtype}; convert one of them")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{name}: give both running_mean and running_var, or neither")
    if not training and (running_mean is None or running_var is None):
        raise ValueError(f"{name}: running_mean and running_var must be given in evaluation mode")
    if training and x.numel() // c <= 1:
        raise ValueError(f"{name}: Expected more than 1 value per channel when training, "
                         f"got input size {x.shape}")


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalization over the channel dim 1 of (N, C) or (N, C, H, W) input.

    Training normalises with the batch's mean and biased variance and updates
    the running estimates in place: r = (1 - momentum) r + momentum * stat,
    with the unbiased variance (times n/(n-1), n = N*H*W) for running_var.
    Eval normalises with the running estimates. weight (gamma) and bias
    (beta) of shape (C,) default to 1 and 0.

    Shapes: x (N, C) or (N, C, H, W) -> y of the same shape.
    """
    # running statistics may come as Tensors (buffers) or plain arrays; both are updated in place
    running_mean, running_var = (t if t is None or isinstance(t, Tensor) else Tensor(t)
                                 for t in (running_mean, running_var))
    check_batch_norm_input("batch_norm", x, running_mean, running_var, weight, bias, training)
    xp, c = backend.xp_of(x.data), x.shape[1]
    if weight is None:
        weight = Tensor(xp.ones(c, dtype=x.dtype))
    if bias is None:
        bias = Tensor(xp.zeros(c, dtype=x.dtype))
    if training:
        K = kernels.for_array(x.data)
        mean, var = K.batch_norm_stats(_as_ncm(x.data))
        if running_mean is not None:
            K.batch_norm_update_running(running_mean.data, running_var.data, mean, var, momentum,
                                        x.numel() // c)
    else:
        mean, var = running_mean.data, running_var.data
    return BatchNorm.apply(x, weight, bias, mean=mean, var=var, eps=eps, training=training)
