"""Losses as modules: CrossEntropyLoss (logits, not probabilities) and MSELoss."""

from .. import functional as F
from .module import Module

_REDUCTIONS = ("mean", "sum")


def _check_reduction(name, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


class CrossEntropyLoss(Module):
    """L = mean over the batch of -sum_c q_c log softmax(x)_c, q the (smoothed) one-hot target.

    Shapes: input (N, C) raw scores (logits), target (N,) integer classes.
    ``label_smoothing`` s mixes the one-hot target with the uniform one:
    q = (1 - s) onehot + s / C (Szegedy et al. 2016). ``reduction='sum'`` sums
    over the batch instead of averaging.
    """

    def __init__(self, label_smoothing=0.0, reduction="mean"):
        super().__init__()
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self.label_smoothing = label_smoothing
        self.reduction = _check_reduction("CrossEntropyLoss", reduction)

    def forward(self, input, target):
        loss = F.cross_entropy(input, target, label_smoothing=self.label_smoothing, name=self._label())
        return loss * input.shape[0] if self.reduction == "sum" else loss

    def extra_repr(self):
        return f"label_smoothing={self.label_smoothing}" if self.label_smoothing else ""


class MSELoss(Module):
    """L = mean over all elements of (input - target)^2 (``reduction='sum'``: the sum)."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = _check_reduction("MSELoss", reduction)

    def forward(self, input, target):
        loss = F.mse_loss(input, target, name=self._label())
        return loss * input.numel() if self.reduction == "sum" else loss
