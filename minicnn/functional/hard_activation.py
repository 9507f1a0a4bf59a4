"""Hard activations: piecewise-linear stand-ins for tanh, the sigmoid and swish, and the
threshold that generalizes ReLU, as PyTorch defines them.

ReLU6 caps ReLU at 6 (MobileNetV2, Sandler et al. 2018, for low-precision arithmetic);
hardtanh is tanh's clipped line; hard sigmoid and hard swish (h-swish, MobileNetV3,
Howard et al. 2019) replace the sigmoid of the sigmoid and of SiLU by a clipped line, a
comparison and a multiply where the smooth ones need an exponential:

    hardtanh(x)    = min(max(x, a), b)          relu6(x) = hardtanh(x, 0, 6)
    hardsigmoid(x) = min(max(x + 3, 0), 6) / 6  hardswish(x) = x hardsigmoid(x)
    threshold(x)   = x if x > t else v          relu(x) = threshold(x, 0, 0)

At the kinks the gradient is PyTorch's: the flat side's. hardtanh's (relu6's) is 0 at
x = a and x = b, hardsigmoid's 0 at x = -3 and x = 3; hardswish's is 0 at x = -3 and 1 at
x = 3; threshold's is 0 at x = t (where y is v). A NaN input gives a NaN output and, as
PyTorch's comparisons give it, passes gy through hardtanh, relu6, hardswish and threshold,
and 0 through hardsigmoid. (PyTorch's own answer at NaN changes with where the NaN sits: the
vectorized part of its loop gives 0 through hardtanh and relu6 and NaN through hardswish,
the scalar rest passes gy; minicnn takes the scalar loop's answer everywhere.) An infinite x
meets a 0 factor, as in PyTorch: hardswish(-inf) is -inf * 0 = NaN, computed without NumPy's
warning.

``inplace`` is PyTorch's keyword, taken and ignored as relu's: the result is always a new
tensor (docs/ops/activations.md). Each op is written with array operations only: no kernel
tier of its own.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .checks import check_float, check_real, fill_value


class Hardtanh(Function):
    """y = min(max(x, a), b).   gx = gy where not (x <= a or x >= b): strictly inside, or NaN."""

    def forward(self, x, *, min_val, max_val):
        if self.needs_grad[0]:
            self.inside = ~((x <= min_val) | (x >= max_val))
        return backend.xp_of(x).clip(x, min_val, max_val)

    def backward(self, gy):
        return self.xp.where(self.inside, gy, 0).astype(gy.dtype, copy=False)


class Hardsigmoid(Function):
    """y = min(max(x + 3, 0), 6) / 6.   gx = gy / 6 where -3 < x < 3, else 0 (NaN included)."""

    def forward(self, x):
        if self.needs_grad[0]:
            self.inside = (x > -3) & (x < 3)
        return backend.xp_of(x).clip(x + 3, 0, 6) / 6

    def backward(self, gy):
        # NOTE: PyTorch's backward multiplies by 1/6 rounded to float32 in float64 too
        # (0.16666667163...); this is 1/6 itself, 3e-8 apart
        return self.xp.where(self.inside, gy / 6, 0).astype(gy.dtype, copy=False)


class Hardswish(Function):
    """y = x min(max(x + 3, 0), 6) / 6.
    gx = 0 for x <= -3,  gy (x/3 + 1/2) for -3 < x < 3,  gy for x >= 3 (and for NaN)."""

    def forward(self, x):
        self.x = x
        with np.errstate(invalid="ignore", over="ignore"):  # -inf * 0 = NaN, 1e38 * 6 = inf, as PyTorch
            return x * backend.xp_of(x).clip(x + 3, 0, 6) / 6

    def backward(self, gy):
        x, xp = self.x, self.xp
        with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 = NaN at x = -1.5, as PyTorch
            slope = gy * (x / 3 + 0.5)
        return xp.where(x <= -3, 0, xp.where(x < 3, slope, gy)).astype(gy.dtype, copy=False)


class Threshold(Function):
    """y = x if x > threshold else value.
    gx = gy where not x <= threshold (x > threshold, or NaN), else 0."""

    def forward(self, x, *, threshold, value):
        self.keep = ~(x <= threshold)
        return backend.xp_of(x).where(self.keep, x, value).astype(x.dtype, copy=False)

    def backward(self, gy):
        return self.xp.where(self.keep, gy, 0).astype(gy.dtype, copy=False)


def hardtanh(
    input: Tensor,
    min_val: float = -1.0,
    max_val: float = 1.0,
    inplace: bool = False,
    *,
    name: str = "hardtanh",
) -> Tensor:
    """y = min(max(x, min_val), max_val), as ``torch.nn.functional.hardtanh``; gradient 1 strictly
    between the two, 0 outside and at both. ``inplace``: as relu's, a new tensor either way.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.hardtanh(mc.tensor([-2.0, -0.5, 0.5, 2.0])).tolist()
    [-1.0, -0.5, 0.5, 1.0]
    """
    check_float(name, "input", input)
    check_real(name, "min_val", min_val)
    check_real(name, "max_val", max_val)
    for what, bound in (("min_val", min_val), ("max_val", max_val)):
        fill_value(name, bound, input.dtype, what)  # 1e300 beside float32 is refused, as PyTorch
    if min_val > max_val:
        raise ValueError(f"{name}: min_val cannot be greater than max_val, got {min_val} and {max_val}")
    # NOTE: Python floats: a NumPy float64 beside a float32 array would make it float64
    return Hardtanh.apply(input, min_val=float(min_val), max_val=float(max_val))


def relu6(input: Tensor, inplace: bool = False, *, name: str = "relu6") -> Tensor:
    """y = min(max(x, 0), 6), as ``torch.nn.functional.relu6``: hardtanh(x, 0, 6), gradient 0 at
    x = 0 and x = 6. ``inplace``: as relu's, a new tensor either way.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.relu6(mc.tensor([-1.0, 3.0, 8.0])).tolist()
    [0.0, 3.0, 6.0]
    """
    check_float(name, "input", input)
    return Hardtanh.apply(input, min_val=0.0, max_val=6.0)


def hardsigmoid(input: Tensor, inplace: bool = False, *, name: str = "hardsigmoid") -> Tensor:
    """y = min(max(x + 3, 0), 6) / 6, as ``torch.nn.functional.hardsigmoid``: 0 up to x = -3, 1
    from x = 3, the line x/6 + 1/2 between. ``inplace``: as relu's, a new tensor either way.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.hardsigmoid(mc.tensor([-4.0, 0.0, 1.5, 4.0])).tolist()
    [0.0, 0.5, 0.75, 1.0]
    """
    check_float(name, "input", input)
    return Hardsigmoid.apply(input)


def hardswish(input: Tensor, inplace: bool = False, *, name: str = "hardswish") -> Tensor:
    """y = x min(max(x + 3, 0), 6) / 6, as ``torch.nn.functional.hardswish``: MobileNetV3's
    h-swish, 0 up to x = -3 and x from x = 3. ``inplace``: as relu's, a new tensor either way.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.hardswish(mc.tensor([-4.0, -1.5, 0.0, 1.5, 4.0])).tolist()
    [-0.0, -0.375, 0.0, 1.125, 4.0]
    """
    check_float(name, "input", input)
    return Hardswish.apply(input)


def threshold(
    input: Tensor, threshold: float, value: float, inplace: bool = False, *, name: str = "threshold"
) -> Tensor:
    """y = x where x > threshold, else value, as ``torch.nn.functional.threshold``: at x ==
    threshold y is value and the gradient 0; ``threshold(x, 0, 0)`` is relu. Both numbers are
    taken in x's dtype (0.1 is float32's 0.1 beside float32, as PyTorch). ``inplace``: as relu's,
    a new tensor either way.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.threshold(mc.tensor([-1.0, 0.5, 1.0, 2.0]), 1.0, -5.0).tolist()
    [-5.0, -5.0, -5.0, 2.0]
    """
    check_float(name, "input", input)
    for what, number in (("threshold", threshold), ("value", value)):
        check_real(name, what, number)
        fill_value(name, number, input.dtype, what)  # 1e300 beside float32 is refused, as PyTorch
    return Threshold.apply(input, threshold=float(threshold), value=float(value))
