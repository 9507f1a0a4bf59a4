"""Normalization kernels of the xp tier (LRN, batch norm): vectorized code on ``xp``
(NumPy, and the same lines on CuPy).
"""

from .. import backend
from ..backend import Array

# --- local response normalization -------------------------------------------
# Shapes: x (N, C, M). A window sum over channels is `size` shifted slices of
# a zero-padded array added up: no Python loop over channels, and the terms
# are added in the same order as the reference loop.


def _channel_window_sum(a, before, after):
    """out_c = sum of a_c' for c' in c-before .. c+after (zero outside 0..C-1)."""
    xp = backend.xp_of(a)
    c = a.shape[1]
    padded = xp.pad(a, ((0, 0), (before, after), (0, 0)))
    out = padded[:, 0:c].copy()
    for offset in range(1, before + after + 1):
        out += padded[:, offset : offset + c]
    return out


def lrn_forward(x: Array, size: int, alpha: float, beta: float, k: float) -> tuple[Array, Array]:
    """y = x * s^-beta,  s = k + alpha/size * (window sum of x^2).   Returns (y, s)."""
    s = k + alpha / size * _channel_window_sum(x * x, size // 2, (size - 1) // 2)
    return x * s**-beta, s


def lrn_input_grad(gy: Array, x: Array, s: Array, size: int, alpha: float, beta: float) -> Array:
    """gx = gy s^-beta - (2 alpha beta/size) x * (transposed window sum of gy x s^(-beta-1))."""
    t = gy * x * s ** (-beta - 1)
    # NOTE: the backward window is the forward one mirrored (c in win(c') <=> c' in mirrored win(c))
    total = _channel_window_sum(t, (size - 1) // 2, size // 2)
    return gy * s**-beta - (2 * alpha * beta / size) * x * total


# --- batch normalization ----------------------------------------------------
# Shapes: x (N, C, M); per-channel reductions over axes (0, 2).


def batch_norm_stats(x: Array) -> tuple[Array, Array]:
    """Per-channel mean and biased variance (two passes: no cancellation from E[x^2] - E[x]^2)."""
    xp = backend.xp_of(x)
    # NOTE: summed in float64 whatever x's dtype, as the reference and PyTorch's CPU batch
    # norm do: a float32 sum over a channel of large values loses their low digits
    mean = x.mean(axis=(0, 2), dtype=xp.float64).astype(x.dtype, copy=False)
    d = x - mean[:, None]
    # NOTE: squared in place: a second activation-sized temporary is a fresh
    # allocation that the OS page-faults in, which costs more than the arithmetic
    d *= d
    return mean, d.mean(axis=(0, 2), dtype=xp.float64).astype(x.dtype, copy=False)


def batch_norm_invstd(var: Array, eps: float) -> Array:
    """invstd = 1 / sqrt(var + eps)."""
    return 1 / backend.xp_of(var).sqrt(var + eps)


def batch_norm_update_running(
    running_mean: Array, running_var: Array, mean: Array, var: Array, momentum: float, count: int
) -> None:
    """In place: r = (1 - momentum) r + momentum stat, with the unbiased variance var * count/(count - 1)."""
    # NOTE: in-place updates and one folded scalar: a handful of passes over C numbers,
    # which on a GPU cost a kernel launch each
    running_mean *= 1 - momentum
    running_mean += momentum * mean
    running_var *= 1 - momentum
    running_var += (momentum * count / (count - 1)) * var


def batch_norm_apply(x: Array, mean: Array, invstd: Array, weight: Array, bias: Array) -> tuple[Array, Array]:
    """xhat = (x - mean) * invstd,  y = weight * xhat + bias.   Returns (y, xhat)."""
    xhat = (x - mean[:, None]) * invstd[:, None]
    return weight[:, None] * xhat + bias[:, None], xhat


def batch_norm_grads(gy: Array, xhat: Array, invstd: Array, weight: Array) -> tuple[Array, Array, Array]:
    """Training mode's (gx, gweight, gbias): gweight = sum gy xhat, gbias = sum gy,
    gx = (weight*invstd)(gy - mean(gy) - xhat mean(gy xhat))."""
    count = gy.shape[0] * gy.shape[2]
    gbias = gy.sum(axis=(0, 2))
    gweight = (gy * xhat).sum(axis=(0, 2))
    mean_gy, mean_gy_xhat = (gbias / count)[:, None], (gweight / count)[:, None]
    gx = (weight * invstd)[:, None] * (gy - mean_gy - xhat * mean_gy_xhat)
    return gx, gweight, gbias
