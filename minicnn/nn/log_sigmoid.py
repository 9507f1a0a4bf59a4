"""LogSigmoid and Softmin, as PyTorch's: thin Modules over ``F.logsigmoid`` and ``F.softmin``."""

from __future__ import annotations

from .. import functional as F
from .module import Module


class LogSigmoid(Module):
    """y = log(1 / (1 + e^-x)) = min(x, 0) - log(1 + e^-|x|), elementwise (stable for any x).

    Shapes: any -> the same.
    """

    def forward(self, x):
        return F.logsigmoid(x, name=self._label())


class Softmin(Module):
    """y = softmax(-x) along ``dim``: e^(-x_i) / sum_j e^(-x_j), the most weight on the smallest.

    Shapes: any -> the same.
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmin(x, self.dim, name=self._label())

    def extra_repr(self):
        return f"dim={self.dim}"
