"""DropConnect as Wan, Zeiler, Zhang, LeCun and Fergus define it (ICML 2013).

Training: every example n of the batch gets its own Bernoulli(1 - p) mask
M_n over the weights, so each example sees a differently thinned layer:

    u_n = (M_n * W) x_n / (1 - p) + b        (the mask scaled as in inverted dropout)

Inference (the paper's Algorithm 2): u_n is a sum of many independent masked
terms, so it is close to a Gaussian with the same two moments,

    mean = W x_n + b,    var = p / (1 - p) * (W * W)(x_n * x_n),

and the layer's output E[a(u_n)] is estimated from ``samples`` draws of that
Gaussian through the activation a. (The paper keeps unscaled masks and writes
mean = (1 - p) W v; scaling the mask moves that factor into training.)
"""

import numpy as np

from .. import backend, rng
from ..tensor import Function, Tensor


class DropConnectLinear(Function):
    """u_n = (S_n * W) x_n + b, with S_n = M_n / (1 - p): each example's 0/1 mask already
    scaled (dropconnect_linear scales it), so the 1/(1 - p) of the module docstring's
    formulas sits inside S_n.

    gx_n = (S_n * W)^T gy_n,   gW = sum_n S_n * (gy_n x_n^T),   gb = sum_n gy_n.
    Shapes: x (N, in), W (out, in), b (out,), mask (N, out, in) -> (N, out).
    """

    def forward(self, x, weight, bias=None, mask=None):
        xp = backend.xp_of(x)
        self.x, self.mask, self.thinned = x, mask, mask * weight  # (N, out, in)
        y = xp.einsum("noi,ni->no", self.thinned, x)  # one small matrix-vector product per example
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        xp = self.xp
        gx = xp.einsum("noi,no->ni", self.thinned, gy) if self.needs_grad[0] else None
        gw = None
        if self.needs_grad[1]:
            gw = xp.einsum("noi,no,ni->oi", self.mask, gy, self.x)
        if len(self.needs_grad) > 2:
            return gx, gw, (gy.sum(axis=0) if self.needs_grad[2] else None)
        return gx, gw


def check_dropconnect_p(name, p):
    """DropConnect needs 0 <= p < 1: with every weight dropped the moments are undefined."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
        raise ValueError(f"{name}: drop probability has to be in [0, 1), but got {p!r}")


def _check(name, x, weight, p):
    check_dropconnect_p(name, p)
    if not isinstance(x, Tensor) or x.ndim != 2:
        shape = x.shape if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{name}: expected x of shape (N, in_features), got {shape}")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"{name}: x has {x.shape[1]} features but weight expects {weight.shape[1]}; "
            f"x {x.shape}, weight {weight.shape}"
        )


def dropconnect_linear(x, weight, bias=None, p=0.5, mask=None):
    """Training-mode DropConnect: a fresh weight mask per example (or the ``mask`` given).

    Args:
        x: (N, in_features). weight: (out_features, in_features). bias: (out_features,) or None.
        p: probability of dropping a weight.
        mask: optional (N, out, in) array of kept (1) and dropped (0) weights; drawn when None.
    Returns (N, out_features), before the activation.
    """
    _check("dropconnect_linear", x, weight, p)
    xp = backend.xp_of(x.data)
    shape = (x.shape[0],) + tuple(weight.shape)
    if mask is None:
        # NOTE: float32 draws: one number per example and weight makes the draws the layer's main cost
        mask = backend.to_device(rng.default_generator().random(shape, dtype=np.float32) >= p, x.device)
    if tuple(mask.shape) != shape:
        raise ValueError(f"dropconnect_linear: mask must have shape {shape}, got {tuple(mask.shape)}")
    mask = xp.asarray(mask).astype(x.dtype)
    mask *= 1.0 / (1.0 - p)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return DropConnectLinear.apply(*inputs, mask=mask)


def dropconnect_moments(x, weight, bias=None, p=0.5):
    """(mean, var) of u = (M * W) x / (1 - p) + b over the masks M: arrays of shape (N, out)."""
    _check("dropconnect_moments", x, weight, p)
    x_, w = x.data, weight.data
    mean = x_ @ w.T
    if bias is not None:
        mean = mean + bias.data
    var = (p / (1.0 - p)) * ((x_ * x_) @ (w * w).T)
    return mean, var


def dropconnect_gaussian(
    x, weight, bias=None, p=0.5, activation=None, samples=1000, generator=None, chunk=2**22
):
    """Inference by moment matching: E[activation(u)], u ~ N(mean, var), from ``samples`` draws.

    ``activation`` maps an array to an array (e.g. ``lambda u: np.maximum(u, 0)``); None is the
    identity, for which the estimate tends to the mean. Returns a Tensor (N, out), no graph.
    """
    mean, var = dropconnect_moments(x, weight, bias, p)
    xp = backend.xp_of(mean)
    g = rng.get_generator(generator)
    std = xp.sqrt(var)
    act = activation or (lambda u: u)
    draw_dtype = np.float32 if mean.dtype == np.float32 else np.float64
    total = xp.zeros_like(mean)
    step = max(1, chunk // max(1, mean.size))  # bounds the temporary draws' memory
    for start in range(0, samples, step):
        k = min(step, samples - start)
        z = xp.asarray(g.standard_normal((k,) + mean.shape, dtype=draw_dtype))
        total += act(mean + std * z).sum(axis=0)
    return Tensor(total / samples)
