"""SELU, CELU, Mish and Softsign, as PyTorch's: thin Modules over the functions of
functional/smooth_activation.py (ELU, GELU, SiLU and Softplus are in activation.py)."""

from __future__ import annotations

from .. import functional as F
from ..functional.smooth_activation import check_alpha
from .module import Module


class SELU(Module):
    """y = lambda x for x > 0, lambda alpha (e^x - 1) otherwise, alpha = 1.6733, lambda = 1.0507
    (Klambauer et al. 2017): with weights of mean 0 and variance 1/n, outputs keep mean 0 and
    variance 1 (pair it with ``nn.AlphaDropout``).   Shapes: any -> the same. ``inplace`` as in
    ReLU: accepted, never used."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.selu(x, self.inplace, name=self._label())

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class CELU(Module):
    """y = x for x > 0, alpha (e^(x/alpha) - 1) otherwise (Barron 2017).   Shapes: any -> the
    same. ``inplace`` as in ReLU: accepted, never used."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        check_alpha("CELU", alpha)
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return F.celu(x, self.alpha, self.inplace, name=self._label())

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Mish(Module):
    """y = x tanh(softplus(x)) (Misra 2019).   Shapes: any -> the same. ``inplace`` as in ReLU:
    accepted, never used."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.mish(x, self.inplace, name=self._label())

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Softsign(Module):
    """y = x / (1 + |x|).   Shapes: any -> the same."""

    def forward(self, x):
        return F.softsign(x, name=self._label())
