"""Smooth activations: GELU, SiLU, softplus and ELU, as PyTorch defines them.

Each is ReLU-like for large x (y -> x) but has a derivative everywhere, and each
gets close to y = 0 for x << 0 without a kink at 0: GELU (Hendrycks and Gimpel
2016) weights x by the normal CDF, SiLU (also "swish", Elfwing et al. 2017;
Ramachandran et al. 2017) by the logistic sigmoid, softplus is the smooth
max(x, 0), and ELU (Clevert et al. 2016) bends to -alpha for x < 0.
"""

from __future__ import annotations

import math

from .. import backend
from ..tensor import Function, Tensor
from .activation import logistic
from .checks import check_float, check_real
from .special import erfc

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_KAPPA = 0.044715  # the cubic term of GELU's tanh approximation


class GELU(Function):
    """y = x Phi(x), Phi the standard normal CDF = erfc(-x / sqrt 2) / 2.
    gx = gy (Phi(x) + x phi(x)),  phi(x) = e^(-x^2/2) / sqrt(2 pi) the normal density."""

    def forward(self, x):
        # NOTE: erfc(-x / sqrt 2) / 2, not (1 + erf(x / sqrt 2)) / 2: no cancellation for x << 0
        self.x, self.cdf = x, 0.5 * erfc(x * -math.sqrt(0.5))
        return x * self.cdf

    def backward(self, gy):
        x = self.xp.clip(self.x, -40, 40)  # NOTE: phi is 0 past |x| = 39; the clip keeps x^2 finite
        pdf = self.xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return gy * (self.cdf + x * pdf)


class GELUTanh(Function):
    """y = x (1 + tanh u) / 2,  u = sqrt(2/pi) (x + 0.044715 x^3)   (GELU's approximation).
    gx = gy ((1 + tanh u) / 2 + x (1 - tanh^2 u) u' / 2),  u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2)."""

    def forward(self, x):
        xp = backend.xp_of(x)
        # NOTE: tanh u is +-1 exactly once |x| >= 10 (u >= 43), in float32 and float64 alike:
        # clipping x inside u changes no value and keeps x^3 from overflowing
        self.x = c = xp.clip(x, -10, 10)
        self.t = xp.tanh(_SQRT_2_OVER_PI * (c + _KAPPA * (c * c * c)))
        return 0.5 * x * (1 + self.t)

    def backward(self, gy):
        x, t = self.x, self.t
        du = _SQRT_2_OVER_PI * (1 + 3 * _KAPPA * x * x)
        return gy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)


class SiLU(Function):
    """y = x sigma(x),  sigma(x) = 1 / (1 + e^-x).   gx = gy sigma(x) (1 + x (1 - sigma(x)))."""

    def forward(self, x):
        self.x, self.s = x, logistic(x)
        return x * self.s

    def backward(self, gy):
        s = self.s
        return gy * s * (1 + self.x * (1 - s))


class Softplus(Function):
    """y = log(1 + e^(b x)) / b, or x where b x > threshold.
    gx = gy sigma(b x), or gy where b x > threshold (sigma the logistic sigmoid)."""

    def forward(self, x, *, beta, threshold):
        xp = backend.xp_of(x)
        z = x * beta
        self.linear, self.s = z > threshold, logistic(z)
        # NOTE: log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): e^z alone overflows for a large threshold
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-abs(z)))) / beta
        return xp.where(self.linear, x, soft).astype(x.dtype, copy=False)

    def backward(self, gy):
        return self.xp.where(self.linear, gy, gy * self.s)


class ELU(Function):
    """y = x if x > 0 else alpha (e^x - 1).   gx = gy if x > 0 else gy alpha e^x
    (alpha at x = 0, and NaN takes the linear branch, as in PyTorch)."""

    def forward(self, x, *, alpha):
        xp = backend.xp_of(x)
        self.negative, self.alpha = x <= 0, alpha
        self.e = xp.exp(xp.minimum(x, 0))  # NOTE: min(x, 0): e^x of the positive side could overflow
        y = xp.where(self.negative, alpha * xp.expm1(xp.minimum(x, 0)), x)
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        return self.xp.where(self.negative, gy * (self.alpha * self.e), gy)


def check_approximate(name: str, approximate: object) -> None:
    """GELU's ``approximate``: 'none' (the exact CDF) or 'tanh', as in PyTorch."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"{name}: approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu(x: Tensor, *, approximate: str = "none", name: str = "gelu") -> Tensor:
    """y = x Phi(x), Phi the standard normal CDF; ``approximate='tanh'`` uses
    x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2 instead, as PyTorch's ``F.gelu``.

    >>> import minicnn as mc
    >>> import minicnn.functional as F
    >>> x = mc.tensor([-1.0, 0.0, 1.0])
    >>> [round(v, 4) for v in F.gelu(x).tolist()]
    [-0.1587, 0.0, 0.8413]
    >>> [round(v, 4) for v in F.gelu(x, approximate="tanh").tolist()]
    [-0.1588, 0.0, 0.8412]
    """
    check_float(name, "x", x)
    check_approximate(name, approximate)
    return (GELU if approximate == "none" else GELUTanh).apply(x)


def silu(x: Tensor, inplace: bool = False, *, name: str = "silu") -> Tensor:
    """y = x sigma(x) = x / (1 + e^-x) (swish with beta = 1). ``inplace``: as relu's, a new
    tensor either way."""
    check_float(name, "x", x)
    return SiLU.apply(x)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0, *, name: str = "softplus") -> Tensor:
    """y = log(1 + e^(beta x)) / beta, and y = x where beta x > threshold (as PyTorch)."""
    check_float(name, "x", x)
    check_real(name, "beta", beta)
    check_real(name, "threshold", threshold)
    # NOTE: Python floats: a NumPy float64 beside a float32 array would make it float64
    return Softplus.apply(x, beta=float(beta), threshold=float(threshold))


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False, *, name: str = "elu") -> Tensor:
    """y = x for x > 0, alpha (e^x - 1) otherwise. ``inplace``: as relu's, a new tensor
    either way."""
    check_float(name, "x", x)
    check_real(name, "alpha", alpha)
    return ELU.apply(x, alpha=float(alpha))  # a Python float, as softplus's
