"""Smooth activations: GELU, SiLU, mish, softplus, ELU and its relatives SELU and CELU, and
softsign, as PyTorch defines them.

Each but softsign is ReLU-like for large x (y -> x) but has a derivative everywhere, and
each gets close to a constant for x << 0 without a kink at 0: GELU (Hendrycks and Gimpel
2016) weights x by the normal CDF, SiLU (also "swish", Elfwing et al. 2017; Ramachandran
et al. 2017) by the logistic sigmoid, mish (Misra 2019) by tanh(softplus(x)), softplus is
the smooth max(x, 0), and ELU (Clevert et al. 2016) bends to -alpha for x < 0; SELU
(Klambauer et al. 2017) scales ELU so that activations keep mean 0 and variance 1 layer
after layer, and CELU (Barron 2017) rescales ELU's input so that its slope is 1 at 0 for
every alpha. Softsign (x / (1 + |x|)) is a sigmoid-shaped curve from -1 to 1, as tanh, that
approaches its limits polynomially rather than exponentially.

Each is written with array operations only (the same lines run on NumPy and CuPy): no
kernel tier of its own, so no fast kernel to compare with a reference.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .activation import logistic, softplus_of
from .checks import check_float, check_real
from .special import erfc

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_KAPPA = 0.044715  # the cubic term of GELU's tanh approximation

# SELU's alpha_01 and lambda_01 (Klambauer et al. 2017, "Self-Normalizing Neural Networks",
# section 3): for weights of mean 0 and variance 1/n, a layer maps its inputs' mean and
# variance (mu, nu) to its outputs'; these two make (0, 1) that map's fixed point (solve
# E[selu(z)] = 0 and E[selu(z)^2] = 1 for z ~ N(0, 1)), and an attracting one. The paper
# gives them in closed form, alpha_01 = -sqrt(2/pi) / (erfc(1/sqrt 2) e^(1/2) - 1); these are
# PyTorch's digits (tests/functional/test_activation2.py checks both properties).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


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
        soft = softplus_of(z) / beta
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


class SELU(Function):
    """y = lambda x if x > 0 else lambda alpha (e^x - 1), alpha = 1.6733, lambda = 1.0507 (SELU_ALPHA,
    SELU_SCALE).   gx = gy lambda if x > 0 else gy lambda alpha e^x (NaN: the linear branch, as ELU)."""

    def forward(self, x):
        xp = backend.xp_of(x)
        neg = xp.minimum(x, 0)  # NOTE: e^x of the positive side could overflow
        self.negative, self.e = x <= 0, xp.exp(neg)
        y = xp.where(self.negative, (SELU_SCALE * SELU_ALPHA) * xp.expm1(neg), SELU_SCALE * x)
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        return self.xp.where(self.negative, gy * ((SELU_SCALE * SELU_ALPHA) * self.e), gy * SELU_SCALE)


class CELU(Function):
    """y = x if x > 0 else alpha (e^(x/alpha) - 1)   (ELU with its input scaled by 1/alpha, so
    its slope at 0 is 1 for every alpha).   gx = gy if x > 0 else gy e^(x/alpha)."""

    def forward(self, x, *, alpha):
        xp = backend.xp_of(x)
        self.negative = x <= 0
        z = xp.minimum(x, 0) / alpha  # NOTE: alpha < 0 makes z >= 0: e^z may overflow to inf, as PyTorch
        with np.errstate(over="ignore"):
            self.e = xp.exp(z)
            y = xp.where(self.negative, alpha * xp.expm1(z), x)
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        with np.errstate(invalid="ignore"):  # a gy of 0 times an e of inf: NaN, as PyTorch
            return self.xp.where(self.negative, gy * self.e, gy)


class Mish(Function):
    """y = x tanh(softplus(x)),  softplus(x) = log(1 + e^x).
    gx = gy (t + x sigma(x) (1 - t^2)),  t = tanh(softplus(x)), sigma = 1 / (1 + e^-x):
    the product rule, with d softplus/dx = sigma(x) and d tanh(s)/ds = 1 - tanh^2(s)."""

    def forward(self, x):
        self.x = x
        self.t = backend.xp_of(x).tanh(softplus_of(x))
        with np.errstate(invalid="ignore"):  # mish(-inf) = -inf * 0 = NaN, as PyTorch
            return x * self.t

    def backward(self, gy):
        x, t = self.x, self.t
        with np.errstate(invalid="ignore"):  # at x = +-inf, inf * 0 = NaN, as PyTorch
            return gy * (t + x * logistic(x) * (1 - t * t))


class Softsign(Function):
    """y = x / (1 + |x|).   gx = gy / (1 + |x|)^2."""

    def forward(self, x):
        self.d = 1 + abs(x)
        with np.errstate(invalid="ignore"):  # inf / inf = NaN at x = +-inf, as PyTorch's x / (|x| + 1)
            self.y = x / self.d
        return self.y

    def backward(self, gy):
        d = self.d
        # NOTE: where y is NaN (x = +-inf, or NaN) the gradient is too, as PyTorch's; a d past
        # sqrt of the dtype's largest value squares to inf, and gy / inf is 0, silently as PyTorch
        with np.errstate(over="ignore"):
            return self.xp.where(self.xp.isnan(self.y), self.y, gy / (d * d))


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


def selu(input: Tensor, inplace: bool = False, *, name: str = "selu") -> Tensor:
    """y = lambda x for x > 0, lambda alpha (e^x - 1) otherwise, alpha = 1.6732632423543772 and
    lambda = 1.0507009873554805, as ``torch.nn.functional.selu`` (Klambauer et al. 2017): with
    weights of mean 0 and variance 1/n (``nn.init.kaiming_normal_(w, nonlinearity="linear")``,
    LeCun's), a layer's outputs keep mean 0 and variance 1. ``inplace``: as relu's, a new tensor
    either way.

    >>> import minicnn as mc, minicnn.functional as F
    >>> [round(v, 4) for v in F.selu(mc.tensor([-1.0, 0.0, 1.0])).tolist()]
    [-1.1113, 0.0, 1.0507]
    """
    check_float(name, "input", input)
    return SELU.apply(input)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False, *, name: str = "celu") -> Tensor:
    """y = x for x > 0, alpha (e^(x/alpha) - 1) otherwise, as ``torch.nn.functional.celu``
    (Barron 2017): ELU whose slope is 1 on both sides of 0 for every alpha. ``inplace``: as
    relu's, a new tensor either way.

    >>> import minicnn as mc, minicnn.functional as F
    >>> [round(v, 4) for v in F.celu(mc.tensor([-1.0, 0.0, 1.0]), alpha=0.5).tolist()]
    [-0.4323, 0.0, 1.0]
    """
    check_float(name, "input", input)
    check_alpha(name, alpha)
    return CELU.apply(input, alpha=float(alpha))  # a Python float, as softplus's


def check_alpha(name: str, alpha: object) -> None:
    """CELU's alpha: a real number other than 0 (it divides x), as PyTorch's."""
    check_real(name, "alpha", alpha)
    if alpha == 0:
        raise ValueError(f"{name}: alpha cannot be 0 for CELU (x / alpha)")


def mish(input: Tensor, inplace: bool = False, *, name: str = "mish") -> Tensor:
    """y = x tanh(softplus(x)) = x tanh(log(1 + e^x)), as ``torch.nn.functional.mish`` (Misra
    2019): smooth, unbounded above, and dipping to -0.31 near x = -1.19 before it rises to 0.
    ``inplace``: as relu's, a new tensor either way.

    >>> import minicnn as mc, minicnn.functional as F
    >>> [round(v, 4) for v in F.mish(mc.tensor([-1.0, 0.0, 1.0])).tolist()]
    [-0.3034, 0.0, 0.8651]
    """
    check_float(name, "input", input)
    return Mish.apply(input)


def softsign(input: Tensor, *, name: str = "softsign") -> Tensor:
    """y = x / (1 + |x|), as ``torch.nn.functional.softsign``: from -1 to 1 as tanh, but
    reaching its limits as 1/x rather than as e^-2x. As PyTorch's, it is NaN at x = +-inf
    (inf / inf), and so is its gradient.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.softsign(mc.tensor([-3.0, 0.0, 1.0])).tolist()
    [-0.75, 0.0, 0.5]
    """
    check_float(name, "input", input)
    return Softsign.apply(input)
