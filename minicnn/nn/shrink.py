"""Hardshrink, Softshrink and Tanhshrink, as PyTorch's: thin Modules over functional/shrink.py."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..functional.checks import check_real
from ..functional.shrink import check_lambd
from .module import Module


class Hardshrink(Module):
    """y = x where |x| > lambd, else 0.   Shapes: any -> the same."""

    def __init__(self, lambd=0.5):
        super().__init__()
        check_real("Hardshrink", "lambd", lambd)
        self.lambd = lambd

    def forward(self, x):
        return F.hardshrink(x, self.lambd, name=self._label())

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Module):
    """y = x - lambd for x > lambd, x + lambd for x < -lambd, 0 between.   Shapes: any -> the
    same. lambd must not be negative (checked here; PyTorch checks it at the first call)."""

    def __init__(self, lambd=0.5):
        super().__init__()
        check_lambd("Softshrink", lambd, np.dtype(np.float64))
        self.lambd = lambd

    def forward(self, x):
        return F.softshrink(x, self.lambd, name=self._label())

    def extra_repr(self):
        return str(self.lambd)


class Tanhshrink(Module):
    """y = x - tanh x.   Shapes: any -> the same."""

    def forward(self, x):
        return F.tanhshrink(x, name=self._label())
