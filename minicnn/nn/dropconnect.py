"""A fully connected layer with DropConnect as Wan et al. 2013 train and evaluate it.

``nn.DropConnect`` (in dropout.py) wraps a Linear and draws one weight mask
per batch, evaluated with the mean weights. This layer follows the paper:
one mask per example in training, and at inference the moment-matched
Gaussian of each unit's input, sampled through the activation (the paper's
Algorithm 2). The activation is part of the layer because inference averages
a(u) over samples, which cannot be split from the linear part.
"""

import numpy as np

from .. import functional as F
from ..functional.checks import check_float, check_same_dtype
from ..functional.dropconnect import check_dropconnect_p, dropconnect_gaussian, dropconnect_linear
from . import init
from .module import Module
from .parameter import Parameter

_ACTIVATIONS = {
    "relu": (F.relu, lambda u: np.maximum(u, 0)),
    "tanh": (F.tanh, np.tanh),
    "identity": (lambda t: t, None),
}


class DropConnectLinear(Module):
    """r = a((M * W) x / (1 - p) + b) in training, M ~ Bernoulli(1 - p) per example and weight;
    r = mean over ``samples`` draws of a(u), u ~ N(W x + b, p/(1 - p) (W*W)(x*x)) in eval.

    Args:
        in_features, out_features: as Linear (same init, weight (out, in)).
        p: probability of dropping each weight, in [0, 1).
        activation: 'relu', 'tanh' or 'identity'.
        samples: Gaussian draws per unit at inference.
    Shapes: (N, in_features) -> (N, out_features).
    """

    def __init__(self, in_features, out_features, p=0.5, activation="relu", samples=1000):
        super().__init__()
        check_dropconnect_p("DropConnectLinear", p)
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"DropConnectLinear: activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}"
            )
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise ValueError(f"DropConnectLinear: samples must be a positive int, got {samples!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.p, self.activation, self.samples = p, activation, samples
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=np.float32))
        self.bias = Parameter(np.empty((self.out_features,), dtype=np.float32))
        self.reset_parameters()

    def reset_parameters(self):
        """Linear's init, drawn again: W, b ~ U(-1/sqrt(in_features), 1/sqrt(in_features))."""
        init.default_(self.weight, self.bias)

    def forward(self, x):
        check_float(self._label(), "x", x)
        check_same_dtype(self._label(), x, weight=self.weight, bias=self.bias)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"{self._label()}: expected x of shape (N, {self.in_features}), got {x.shape}")
        train_act, eval_act = _ACTIVATIONS[self.activation]
        if self.training:
            return train_act(dropconnect_linear(x, self.weight, self.bias, self.p))
        return dropconnect_gaussian(x, self.weight, self.bias, self.p, eval_act, self.samples)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, p={self.p}, "
            f"activation={self.activation}, samples={self.samples}"
        )
