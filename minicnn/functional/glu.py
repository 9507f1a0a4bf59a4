"""The gated linear unit (Dauphin et al. 2017, "Language Modeling with Gated Convolutional
Networks"), as PyTorch's ``glu``: x is cut in two halves a and b along ``dim``, and b, through
the sigmoid, gates a elementwise:

    glu(x) = a * sigmoid(b),   (a, b) = the first and second halves of x along dim

so the output has half as many entries along dim. The gate is a soft mask in (0, 1) that the
layer before learns; the a half passes linearly, which is what keeps the gradient from
vanishing through a deep stack of them (the paper's argument against tanh gates). Written
with array operations only: no kernel tier of its own.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .activation import logistic
from .checks import check_float, wrap_dim


class GLU(Function):
    """y = a sigma(b), (a, b) the two halves of x along dim, sigma = 1 / (1 + e^-x).
    ga = gy sigma(b),  gb = gy a sigma(b) (1 - sigma(b)),  gx = (ga, gb) joined along dim."""

    def forward(self, x, *, dim):
        a, b = backend.xp_of(x).split(x, 2, axis=dim)
        self.a, self.s, self.dim = a, logistic(b), dim
        with np.errstate(invalid="ignore"):  # an infinite a gated by 0: NaN, as PyTorch
            return self.a * self.s

    def backward(self, gy):
        a, s = self.a, self.s
        with np.errstate(invalid="ignore", over="ignore"):  # (gy a past the dtype's range: inf, as PyTorch)
            ga = gy * s
            gb = gy * a * s * (1 - s)
        return self.xp.concatenate([ga, gb], axis=self.dim)


def glu(input: Tensor, dim: int = -1, *, name: str = "glu") -> Tensor:
    """y = a * sigmoid(b), a and b the first and second halves of ``input`` along ``dim``, as
    ``torch.nn.functional.glu``.

    Shapes: (*, 2n, *) -> (*, n, *), the 2n along dim, which must be of even size.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.glu(mc.tensor([[1.0, 2.0, 0.0, 100.0]])).tolist()
    [[0.5, 2.0]]
    """
    check_float(name, "input", input)
    if input.ndim == 0:
        raise ValueError(f"{name}: a 0-d tensor cannot be halved; glu needs a dimension of even size")
    axis = wrap_dim(name, dim, input.ndim)
    if input.shape[axis] % 2:
        raise ValueError(
            f"{name}: Halving dimension must be even, but dimension {axis} is size {input.shape[axis]}; "
            f"input {input.shape}"
        )
    return GLU.apply(input, dim=axis)
