"""Losses as modules: CrossEntropyLoss (logits, not probabilities), NLLLoss (log-probabilities),
BCEWithLogitsLoss and BCELoss (yes/no targets); MSELoss, L1Loss, SmoothL1Loss and HuberLoss
(regression); KLDivLoss (log-probabilities against a distribution)."""

from .. import functional as F
from ..functional.kl_div import check_kl_settings
from ..functional.loss import check_reduction
from ..functional.regression_loss import check_huber_delta, check_smooth_l1_beta
from .module import Module


def keyword_reduction(name, positional):
    """PyTorch's MSELoss, L1Loss, SmoothL1Loss and KLDivLoss take size_average and reduce (deprecated)
    first: ``nn.L1Loss("sum")`` is a size_average there, so here a positional is refused."""
    if positional:
        raise TypeError(
            f"{name}: reduction is given by keyword ({name}(reduction={positional[0]!r})); PyTorch "
            "reads a first positional argument as the old size_average, not as the reduction"
        )


class CrossEntropyLoss(Module):
    """L = the mean over the predictions of -sum_c q_c log softmax(x)_c, q the (smoothed) target.

    Shapes: input (N, C) raw scores (logits), (C,) for one sample, or (N, C, d1, ..., dk) for
    a prediction per pixel or position; target integer classes of the input's shape less C
    ((N,), () or (N, d1, ..., dk)), or class probabilities (floats) of the input's shape,
    e.g. a mixup target. As PyTorch's: ``weight`` w (C,) scales each class's loss, targets
    equal to ``ignore_index`` count for nothing (class indices only), ``reduction`` is
    'mean', 'sum' or 'none' (the loss of each prediction), and ``label_smoothing`` s mixes
    the target with the uniform one (Szegedy et al. 2016):
    q = w[t] (1 - s) onehot(t) + w s / C for a class t, q = w ((1 - s) t + s / C) for
    probabilities t. 'mean' divides by the predictions' total weight sum w[t] for classes,
    by their number (N d1 ... dk) for probabilities. See ``F.cross_entropy``.
    """

    def __init__(self, weight=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__()
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        check_reduction("CrossEntropyLoss", reduction)
        self.register_buffer("weight", weight)  # as PyTorch: saved, and moved by .to()
        self.ignore_index, self.reduction, self.label_smoothing = ignore_index, reduction, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
            name=self._label(),
        )

    def extra_repr(self):
        return f"label_smoothing={self.label_smoothing}" if self.label_smoothing else ""


class MSELoss(Module):
    """L = the mean over all elements of (input - target)^2 (``reduction='sum'``: the sum,
    ``'none'``: the squares themselves)."""

    def __init__(self, *size_average, reduction="mean"):
        super().__init__()
        keyword_reduction("MSELoss", size_average)
        check_reduction("MSELoss", reduction)
        self.reduction = reduction

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction, name=self._label())


class L1Loss(Module):
    """L = the mean over all elements of |input - target| (``reduction='sum'``: the sum,
    ``'none'``: the absolute errors themselves)."""

    def __init__(self, *size_average, reduction="mean"):
        super().__init__()
        keyword_reduction("L1Loss", size_average)
        check_reduction("L1Loss", reduction)
        self.reduction = reduction

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction, name=self._label())


class SmoothL1Loss(Module):
    """L = the mean of d^2 / (2 beta) where |d| < beta, else |d| - beta / 2, d = input - target
    (Girshick 2015, Fast R-CNN's box regression); ``beta=0`` is the L1 loss."""

    def __init__(self, *size_average, reduction="mean", beta=1.0):
        super().__init__()
        keyword_reduction("SmoothL1Loss", size_average)
        check_reduction("SmoothL1Loss", reduction)
        check_smooth_l1_beta("SmoothL1Loss", beta)
        self.reduction, self.beta = reduction, beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta, name=self._label())


class HuberLoss(Module):
    """L = the mean of d^2 / 2 where |d| < delta, else delta (|d| - delta / 2), d = input - target
    (Huber 1964): ``SmoothL1Loss(beta=delta)`` times delta."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__()
        check_reduction("HuberLoss", reduction)
        check_huber_delta("HuberLoss", delta)
        self.reduction, self.delta = reduction, delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta, name=self._label())


class KLDivLoss(Module):
    """L = KL(target || exp(input)) summed over the elements, t (log t - input) each (0 where
    t = 0), for log-probabilities ``input`` and probabilities ``target`` (log-probabilities with
    ``log_target=True``: e^t (t - input) each); ``reduction='batchmean'`` divides by the batch
    size (the mean divergence per sample), 'mean' by the number of elements (PyTorch warns of it).
    See ``F.kl_div``."""

    def __init__(self, *size_average, reduction="mean", log_target=False):
        super().__init__()
        keyword_reduction("KLDivLoss", size_average)
        check_kl_settings("KLDivLoss", reduction, log_target)
        self.reduction, self.log_target = reduction, bool(log_target)

    def forward(self, input, target):
        return F.kl_div(
            input, target, reduction=self.reduction, log_target=self.log_target, name=self._label()
        )


class NLLLoss(Module):
    """L = the weighted mean over the predictions of -w[t] input[t], for log-probabilities
    (N, C), (C,) or (N, C, d1, ..., dk) and integer classes of that shape less C
    (``nn.LogSoftmax(dim=1)`` before it: together they are CrossEntropyLoss)."""

    def __init__(self, weight=None, *, ignore_index=-100, reduction="mean"):
        super().__init__()
        check_reduction("NLLLoss", reduction)
        self.register_buffer("weight", weight)
        self.ignore_index, self.reduction = ignore_index, reduction

    def forward(self, input, target):
        return F.nll_loss(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            name=self._label(),
        )


class BCEWithLogitsLoss(Module):
    """L = the mean of (1 - y) x + (1 + (pos_weight - 1) y) log(1 + e^-x): binary cross-entropy
    of logits x (no sigmoid before it) against targets y in [0, 1] of x's shape."""

    def __init__(self, weight=None, *, reduction="mean", pos_weight=None):
        super().__init__()
        check_reduction("BCEWithLogitsLoss", reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)
        self.reduction = reduction

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(
            input,
            target,
            self.weight,
            reduction=self.reduction,
            pos_weight=self.pos_weight,
            name=self._label(),
        )


class BCELoss(Module):
    """L = the mean of -(y log p + (1 - y) log(1 - p)) for probabilities p (after a sigmoid);
    BCEWithLogitsLoss on the logits is the stable form."""

    def __init__(self, weight=None, *, reduction="mean"):
        super().__init__()
        check_reduction("BCELoss", reduction)
        self.register_buffer("weight", weight)
        self.reduction = reduction

    def forward(self, input, target):
        return F.binary_cross_entropy(
            input, target, self.weight, reduction=self.reduction, name=self._label()
        )
