"""Shrinkage: hardshrink, softshrink and tanhshrink, as PyTorch defines them.

The first two come from denoising by thresholding: set small values to 0 and keep large ones
(hard thresholding), or also pull them towards 0 by lambda (soft thresholding, Donoho 1995;
the proximal step of an L1 penalty, as in ISTA's sparse coding). Tanhshrink, x - tanh x, is a
smooth curve of the same shape: near 0 for |x| < 1 (x^3 / 3), x -+ 1 far out.

    hardshrink(x) = x if |x| > lambda else 0
    softshrink(x) = x - lambda if x > lambda, x + lambda if x < -lambda, else 0
                  = x - clip(x, -lambda, lambda)
    tanhshrink(x) = x - tanh x

At |x| == lambda both are 0 and their gradient is 0, the inside's, as PyTorch's. A NaN input
gives NaN and, as PyTorch's comparisons give it, passes gy through. Each is written with
array operations only: no kernel tier of its own.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .checks import check_float, check_real, fill_value


class Hardshrink(Function):
    """y = x where not -lambda <= x <= lambda (|x| > lambda, or NaN), else 0.   gx = gy there, else 0."""

    def forward(self, x, *, lambd):
        self.outside = ~((x >= -lambd) & (x <= lambd))
        return backend.xp_of(x).where(self.outside, x, 0).astype(x.dtype, copy=False)

    def backward(self, gy):
        return self.xp.where(self.outside, gy, 0).astype(gy.dtype, copy=False)


class Softshrink(Function):
    """y = x - clip(x, -lambda, lambda): x -+ lambda outside [-lambda, lambda], 0 inside.
    gx = gy where not -lambda <= x <= lambda (|x| > lambda, or NaN), else 0."""

    def forward(self, x, *, lambd):
        if self.needs_grad[0]:
            self.outside = ~((x >= -lambd) & (x <= lambd))
        return x - backend.xp_of(x).clip(x, -lambd, lambd)  # (inside: x - x, +0.0)

    def backward(self, gy):
        return self.xp.where(self.outside, gy, 0).astype(gy.dtype, copy=False)


class Tanhshrink(Function):
    """y = x - tanh x.   gx = gy (1 - (1 - tanh^2 x)) = gy tanh^2 x."""

    def forward(self, x):
        self.t = backend.xp_of(x).tanh(x)
        return x - self.t

    def backward(self, gy):
        return gy * (self.t * self.t)


def hardshrink(input: Tensor, lambd: float = 0.5, *, name: str = "hardshrink") -> Tensor:
    """y = x where |x| > lambd, else 0, as ``torch.nn.functional.hardshrink``: 0 at |x| == lambd,
    gradient 1 outside and 0 inside and at both edges. A negative lambd keeps every x, as
    PyTorch's.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.hardshrink(mc.tensor([-1.0, -0.5, 0.25, 0.75])).tolist()
    [-1.0, 0.0, 0.0, 0.75]
    """
    check_float(name, "input", input)
    check_real(name, "lambd", lambd)
    fill_value(name, lambd, input.dtype, "lambd")  # 1e300 beside float32 is refused, as PyTorch
    return Hardshrink.apply(input, lambd=float(lambd))  # a Python float: float32 stays float32


def softshrink(input: Tensor, lambd: float = 0.5, *, name: str = "softshrink") -> Tensor:
    """y = x - lambd for x > lambd, x + lambd for x < -lambd, 0 between (and at both edges), as
    ``torch.nn.functional.softshrink``: soft thresholding, each value moved lambd towards 0 and
    stopped there. lambd must lie in [0, the dtype's largest value], as PyTorch's.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.softshrink(mc.tensor([-1.0, -0.5, 0.25, 0.75])).tolist()
    [-0.5, 0.0, 0.0, 0.25]
    """
    check_float(name, "input", input)
    check_lambd(name, lambd, input.dtype)
    return Softshrink.apply(input, lambd=float(lambd))


def check_lambd(name: str, lambd: float, dtype: np.dtype) -> None:
    """Softshrink's lambd: a real number in [0, finfo(dtype).max] (PyTorch's range; NaN is not in it)."""
    check_real(name, "lambd", lambd)
    top = float(np.finfo(dtype).max)
    if not 0 <= lambd <= top:
        raise ValueError(
            f"{name}: lambda must be in range [0, {top:g}] for input dtype {dtype}, but found {lambd}"
        )


def tanhshrink(input: Tensor, *, name: str = "tanhshrink") -> Tensor:
    """y = x - tanh x, as ``torch.nn.functional.tanhshrink``: about x^3 / 3 near 0, x -+ 1 far out.

    >>> import minicnn as mc, minicnn.functional as F
    >>> [round(v, 4) for v in F.tanhshrink(mc.tensor([-2.0, 0.0, 0.5])).tolist()]
    [-1.036, 0.0, 0.0379]
    """
    check_float(name, "input", input)
    return Tanhshrink.apply(input)
