"""The log-sigmoid and softmin: two relatives of ops minicnn has, each in its stable form.

logsigmoid(x) = log(1 / (1 + e^-x)) = -softplus(-x) is the log-probability a logistic
output gives its class, the term of binary cross-entropy with logits; written as
min(x, 0) - log(1 + e^-|x|) no exponential overflows and no log meets a 0 that is only
rounding. softmin(x) = softmax(-x), the weights that favour the smallest entries.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .activation import logistic
from .basic import neg
from .checks import check_float, check_tensor
from .copying import cast
from .loss import Softmax, implicit_dim


class LogSigmoid(Function):
    """y = log sigmoid(x) = min(x, 0) - log(1 + e^-|x|).   gx = gy (1 - sigmoid(x)) = gy sigmoid(-x)."""

    def forward(self, x):
        xp = backend.xp_of(x)
        self.x = x
        # NOTE: e^-|x| <= 1, so neither branch overflows, and for x << 0 y is x itself, not log 0
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-abs(x)))

    def backward(self, gy):
        with np.errstate(invalid="ignore"):  # an infinite gy times a slope of 0: NaN, silently as PyTorch
            return gy * logistic(-self.x)


def logsigmoid(input: Tensor, *, name: str = "logsigmoid") -> Tensor:
    """y = log(1 / (1 + e^-x)), elementwise, as ``torch.nn.functional.logsigmoid``, computed as
    min(x, 0) - log(1 + e^-|x|): finite for every finite x (-1000 gives -1000, not -inf).

    Shapes: any -> the same.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.logsigmoid(mc.tensor([-1000.0, 0.0, 1000.0])).tolist()
    [-1000.0, -0.6931471824645996, 0.0]
    """
    check_float(name, "input", input)
    return LogSigmoid.apply(input)


def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *, name: str = "softmin"
) -> Tensor:
    """y = softmax(-x) along ``dim``, as ``torch.nn.functional.softmin``:
    y_i = e^(-x_i) / sum_j e^(-x_j), largest where x is smallest; gx = -(y (gy - sum(gy y))).
    ``dtype`` casts the input first; without ``dim``, PyTorch's legacy choice (dim 0 of a 0-,
    1- or 3-D input, else dim 1) with its warning. ``_stacklevel`` is taken and ignored.

    Shapes: any -> the same.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.softmin(mc.tensor([0.0, 0.0, 1000.0]), dim=0).tolist()
    [0.5, 0.5, 0.0]
    """
    if dtype is not None:
        check_tensor(name, "input", input)
        if np.dtype(dtype).kind != "f":  # refused before a cast of NaN to an integer could warn
            raise TypeError(f"{name}: dtype must be a floating-point dtype, got {np.dtype(dtype)}")
        with np.errstate(over="ignore"):  # float64 past float32's range: inf, silently as PyTorch
            input = cast(input, dtype)
    check_float(name, "input", input)
    return Softmax.apply(neg(input), dim=implicit_dim(name, input, dim))
