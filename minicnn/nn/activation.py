"""Activation layers: thin Modules over the functional activations (functional/activation.py,
functional/smooth_activation.py, functional/hard_activation.py; softmax and log-softmax in
functional/loss.py). SELU, CELU, Mish and Softsign are in smooth_activation.py, the shrinks in
shrink.py, GLU in glu.py."""

import warnings

import numpy as np

from .. import functional as F
from ..functional.checks import check_real, check_tensor, positive_int
from ..functional.loss import implicit_dim
from ..functional.smooth_activation import check_approximate
from . import init as nn_init
from .module import Module
from .parameter import Parameter


class ReLU(Module):
    """y = max(x, 0).

    ``inplace`` is accepted so PyTorch model code runs unchanged, but the op always
    makes a new array: backward needs the input's sign, and a graph-recording
    engine keeps the clear rule that ops never overwrite their inputs. ``F.relu(x,
    inplace=True)`` does the same, and so do the other layers and functions that take it.
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x, self.inplace, name=self._label())

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    """y = tanh x."""

    def forward(self, x):
        return F.tanh(x, name=self._label())


class Sigmoid(Module):
    """y = 1 / (1 + e^-x)."""

    def forward(self, x):
        return F.sigmoid(x, name=self._label())


class Softmax(Module):
    """y = e^x / sum e^x along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, dim=_softmax_dim(self, x), name=self._label())

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels at each position: y = e^x / sum_c e^x along dim -3, as PyTorch's.

    Shapes: (N, C, H, W) or (C, H, W) -> the same.
    """

    def forward(self, x):
        check_tensor(self._label(), "input", x)
        if x.ndim not in (3, 4):
            raise ValueError(f"{self._label()}: expected input to be 3D or 4D, got {x.ndim}D instead")
        return F.softmax(x, dim=-3, name=self._label())


class LogSoftmax(Module):
    """y = x - log sum e^x along ``dim`` (computed stably, not as log of softmax)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.log_softmax(x, dim=_softmax_dim(self, x), name=self._label())

    def extra_repr(self):
        return f"dim={self.dim}"


class LeakyReLU(Module):
    """y = x if x > 0 else negative_slope * x.   Shapes: any -> the same. ``inplace`` as in
    ReLU: accepted, never used."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope, self.inplace, name=self._label())

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """y = x if x > 0 else a x, with a learned: one value, or one per channel (dim 1).

    He et al. 2015 (the paper that also gave "He" initialization) start a at 0.25.
    Shapes: any (N, C, ...) -> the same; weight (num_parameters,).
    """

    def __init__(self, num_parameters=1, init=0.25):
        super().__init__()
        self.num_parameters = positive_int("PReLU", "num_parameters", num_parameters)
        self.init = init
        self.weight = Parameter(np.empty(self.num_parameters, dtype=np.float32))
        self.reset_parameters()

    def reset_parameters(self):
        """Every slope back to ``init``, as when the layer was built."""
        nn_init.constant_(self.weight, self.init)

    def forward(self, x):
        return F.prelu(x, self.weight, name=self._label())

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomized leaky ReLU: slope ~ U(lower, upper) per element in training,
    (lower + upper) / 2 in eval.   Shapes: any -> the same. ``inplace`` as in ReLU: accepted,
    never used."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        if not 0 <= lower <= upper:
            raise ValueError(f"RReLU: expected 0 <= lower <= upper, got lower={lower}, upper={upper}")
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, x):
        return F.rrelu(x, self.lower, self.upper, self.training, self.inplace, name=self._label())

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """y = x Phi(x), Phi the standard normal CDF; ``approximate='tanh'``: PyTorch's tanh form.
    Shapes: any -> the same."""

    def __init__(self, approximate="none"):
        super().__init__()
        check_approximate("GELU", approximate)
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, approximate=self.approximate, name=self._label())

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """y = x sigma(x) (swish).   Shapes: any -> the same. ``inplace`` as in ReLU: accepted,
    never used."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.silu(x, self.inplace, name=self._label())

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    """y = log(1 + e^(beta x)) / beta, and y = x where beta x > threshold.   Shapes: any -> the same."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        check_real("Softplus", "beta", beta)
        check_real("Softplus", "threshold", threshold)
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold, name=self._label())

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class ELU(Module):
    """y = x for x > 0, alpha (e^x - 1) otherwise.   Shapes: any -> the same. ``inplace`` as
    in ReLU: accepted, never used."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        check_real("ELU", "alpha", alpha)
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return F.elu(x, self.alpha, self.inplace, name=self._label())

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Hardtanh(Module):
    """y = min(max(x, min_val), max_val).   Shapes: any -> the same. ``inplace`` as in ReLU:
    accepted, never used. ``min_value`` and ``max_value``: PyTorch's old names of the two,
    taken with its FutureWarning."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        name = type(self).__name__
        for old, new, value in (("min_value", "min_val", min_value), ("max_value", "max_val", max_value)):
            if value is not None:
                warnings.warn(
                    f"{name}: keyword argument `{old}` is deprecated and renamed to `{new}`",
                    FutureWarning,
                    stacklevel=2,
                )
        min_val = min_val if min_value is None else min_value
        max_val = max_val if max_value is None else max_value
        check_real(name, "min_val", min_val)
        check_real(name, "max_val", max_val)
        if max_val <= min_val:  # (F.hardtanh takes them equal; the layer, as PyTorch's, does not)
            raise ValueError(f"{name}: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val, self.inplace, name=self._label())

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """y = min(max(x, 0), 6): Hardtanh(0.0, 6.0), as in PyTorch (MobileNetV2's activation).
    Shapes: any -> the same. ``inplace`` as in ReLU: accepted, never used."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Hardsigmoid(Module):
    """y = min(max(x + 3, 0), 6) / 6.   Shapes: any -> the same. ``inplace`` as in ReLU: accepted,
    never used (and, as in PyTorch, not shown in the repr)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.hardsigmoid(x, self.inplace, name=self._label())


class Hardswish(Module):
    """y = x min(max(x + 3, 0), 6) / 6 (MobileNetV3's h-swish).   Shapes: any -> the same.
    ``inplace`` as in ReLU: accepted, never used (and, as in PyTorch, not shown in the repr)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.hardswish(x, self.inplace, name=self._label())


class Threshold(Module):
    """y = x where x > threshold, else value.   Shapes: any -> the same. ``inplace`` as in ReLU:
    accepted, never used."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        check_real("Threshold", "threshold", threshold)
        check_real("Threshold", "value", value)
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, x):
        return F.threshold(x, self.threshold, self.value, self.inplace, name=self._label())

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


def _softmax_dim(layer, x):
    return implicit_dim(layer._label(), x, layer.dim)
