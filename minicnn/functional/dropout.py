"""Dropout (Srivastava, Hinton et al. 2014; AlexNet's fully connected layers).

Inverted dropout: during training each element is kept with probability
1 - p and the kept ones are scaled by 1/(1 - p), so the expected activation
is unchanged and evaluation is the identity (no rescaling at test time).
Random numbers come from the generator that ``mc.manual_seed`` resets.
"""

from __future__ import annotations

from .. import backend, rng
from ..tensor import Function, Tensor
from .checks import check_float, check_p


class Dropout(Function):
    """y = x * m / (1 - p), m ~ Bernoulli(1 - p) drawn once.   gx = gy * m / (1 - p) (the same m)."""

    def forward(self, x, *, keep):
        self.keep = keep  # mask already scaled by 1/(1 - p), in x's dtype
        return x * keep

    def backward(self, gy):
        return gy * self.keep


def _scaled_mask(x, p, shape):
    """A Bernoulli(1 - p) mask of ``shape`` times 1/(1 - p), on x's device and in x's dtype."""
    keep = rng.default_generator().random(shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)  # p = 1 drops everything (as PyTorch)
    mask = (keep * scale).astype(x.dtype)
    return backend.to_device(mask, x.device)


def dropout(
    x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *, name: str = "dropout"
) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1 - p) (training only).

    Identity (x itself) when ``training`` is False or p == 0. Shapes: any -> the same.
    ``inplace`` is PyTorch's keyword, taken so its code runs: x is never written into, so
    training gives a new tensor either way (docs/ops/dropout.md), as ``nn.Dropout`` does.
    """
    check_p(name, p)
    check_float(name, "x", x)
    if not training or p == 0:
        return x
    return Dropout.apply(x, keep=_scaled_mask(x, p, x.shape))


def dropout2d(
    x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *, name: str = "dropout2d"
) -> Tensor:
    """Zero whole channels: each (n, c) feature map is kept or dropped as one. ``inplace``: as
    dropout's, x is never written into.

    Neighbouring pixels of a feature map are strongly correlated, so dropping
    single pixels barely regularizes a conv layer (Tompson et al. 2015).
    Shapes: (N, C, H, W) -> the same.
    """
    check_p(name, p)
    check_float(name, "x", x)
    if x.ndim == 3:  # NOTE: PyTorch reads it as (N, C, L) and warns that this will change
        raise ValueError(
            f"{name}: expected (N, C, H, W), got shape {x.shape}; a 3-D input is ambiguous, an "
            "unbatched (C, H, W) or a batch of (C, L): add the missing axis with unsqueeze"
        )
    if x.ndim != 4:
        raise ValueError(f"{name}: expected (N, C, H, W) input, got shape {x.shape}")
    if not training or p == 0:
        return x
    return Dropout.apply(x, keep=_scaled_mask(x, p, x.shape[:-2] + (1, 1)))
