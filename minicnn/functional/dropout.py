"""Dropout (Srivastava, Hinton et al. 2014; AlexNet's fully connected layers).

Inverted dropout: during training each element is kept with probability
1 - p and the kept ones are scaled by 1/(1 - p), so the expected activation
is unchanged and evaluation is the identity (no rescaling at test time).
Random numbers come from the generator that ``mc.manual_seed`` resets.

Alpha dropout (Klambauer et al. 2017) is dropout for SELU networks, whose activations keep
mean 0 and variance 1: a zeroed unit would shift both, so a dropped one is set to SELU's
floor -alpha' (alpha' = lambda_01 alpha_01 = 1.7581, SELU's value at x -> -inf) instead, and
an affine map a (.) + b brings mean and variance back to what they were. With q = 1 - p the
keep probability and the input of mean 0 and variance 1, the two equations E[y] = 0 and
Var[y] = 1 give (the paper's section 4, in PyTorch's form)

    a = ((1 - p)(1 + alpha'^2 p))^(-1/2),   b = a alpha' p,
    y = a x + b  (kept),   y = -a alpha' + b = -a alpha' (1 - p)  (dropped).

Both dropouts are written with array operations only: no kernel tier of their own.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend, rng
from ..tensor import Function, Tensor
from .checks import check_flag, check_float, check_p
from .smooth_activation import SELU_ALPHA, SELU_SCALE


class Dropout(Function):
    """y = x * m / (1 - p), m ~ Bernoulli(1 - p) drawn once.   gx = gy * m / (1 - p) (the same m)."""

    def forward(self, x, *, keep):
        self.keep = keep  # mask already scaled by 1/(1 - p), in x's dtype
        return x * keep

    def backward(self, gy):
        return gy * self.keep


class AlphaDropout(Function):
    """y = a (x m - alpha' (1 - m)) + a alpha' p,  m ~ Bernoulli(1 - p) drawn once,
    a = ((1 - p)(1 + alpha'^2 p))^(-1/2), alpha' = 1.7581 (SELU's -min).   gx = gy a m."""

    def forward(self, x, *, keep, shift):
        self.keep = keep  # a m, in x's dtype; shift: a alpha' (p - 1 + m)
        with np.errstate(invalid="ignore"):  # a dropped inf: inf * 0 = NaN, as PyTorch
            return x * keep + shift

    def backward(self, gy):
        with np.errstate(invalid="ignore"):
            return gy * self.keep


# alpha' = lambda_01 alpha_01, SELU's limit at -inf (1.7580993408473766, PyTorch's digits exactly)
_SELU_FLOOR = SELU_SCALE * SELU_ALPHA


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
    check_flag(name, "training", training)  # (1 or "yes" was read by truthiness; PyTorch refuses it)
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
    check_flag(name, "training", training)
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


def dropout1d(
    x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *, name: str = "dropout1d"
) -> Tensor:
    """Zero whole channels of signals, as ``torch.nn.functional.dropout1d``: in training each
    (n, c) row of x (N, C, L), or each row c of one signal (C, L), is kept or dropped as one,

        y[n, c, l] = x[n, c, l] m[n, c] / (1 - p),  m[n, c] ~ Bernoulli(1 - p);  gx = gy m / (1 - p).

    For a batch it is ``dropout2d`` of ``x.unsqueeze(-1)``, each signal an image one column
    wide, with the same draws. Identity (x itself) when ``training`` is False or p == 0.
    ``inplace``: as dropout's, x is never written into.

    Shapes: (N, C, L) or (C, L) -> the same.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.dropout1d(mc.ones(2, 3), p=1.0).tolist()   # every channel dropped
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    check_p(name, p)
    check_flag(name, "training", training)
    check_float(name, "x", x)
    if x.ndim not in (2, 3):
        raise ValueError(f"{name}: expected (N, C, L) or unbatched (C, L) input, got shape {x.shape}")
    if not training or p == 0:
        return x
    return Dropout.apply(x, keep=_scaled_mask(x, p, x.shape[:-1] + (1,)))


def _alpha_dropout(name, x, p, training, feature):
    check_p(name, p)
    check_flag(name, "training", training)
    check_float(name, "x", x)
    if not training or p == 0 or x.data.size == 0:
        return x
    if feature and x.ndim < 2:
        raise ValueError(
            f"{name}: Feature dropout requires at least 2 dimensions in the input, got shape {x.shape}"
        )
    if p == 1:  # NOTE: a is infinite at p = 1; PyTorch gives x * 0 there, and so does minicnn
        keep = shift = np.zeros((), x.dtype)
    else:
        shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
        m = rng.default_generator().random(shape) >= p  # kept with probability 1 - p
        a = 1.0 / math.sqrt((1 - p) * (1 + _SELU_FLOOR**2 * p))
        keep, shift = (a * m).astype(x.dtype), (a * _SELU_FLOOR * (p - 1 + m)).astype(x.dtype)
    keep, shift = backend.to_device(keep, x.device), backend.to_device(shift, x.device)
    return AlphaDropout.apply(x, keep=keep, shift=shift)


def alpha_dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
    *,
    name: str = "alpha_dropout",
) -> Tensor:
    """Alpha dropout (Klambauer et al. 2017) for SELU networks, as ``torch.nn.functional.alpha_dropout``:
    in training each element is dropped with probability p to SELU's floor -alpha' = -1.7581,
    then y = a x_dropped + b with a = ((1 - p)(1 + alpha'^2 p))^(-1/2) and b = a alpha' p, so an
    input of mean 0 and variance 1 keeps both. The gradient is gy a where kept, 0 where dropped.

    Identity (input itself) when ``training`` is False (the default, as PyTorch's), p == 0 or
    the input is empty; p == 1 gives input * 0, as PyTorch. Shapes: any -> the same.
    ``inplace``: as dropout's, input is never written into.
    """
    return _alpha_dropout(name, input, p, training, feature=False)


def feature_alpha_dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
    *,
    name: str = "feature_alpha_dropout",
) -> Tensor:
    """Alpha dropout of whole channels, as ``torch.nn.functional.feature_alpha_dropout``: each
    (n, c) slice of input (N, C, *) is kept or dropped as one, dropped ones set to alpha
    dropout's constant -a alpha' (1 - p) (see ``alpha_dropout``). Needs at least 2 dimensions
    in training. Shapes: (N, C, *) -> the same. ``inplace``: as dropout's.
    """
    return _alpha_dropout(name, input, p, training, feature=True)
