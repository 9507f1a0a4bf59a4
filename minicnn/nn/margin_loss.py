"""The margin and embedding losses as modules, thin wrappers over ``F`` as PyTorch's:
MultiMarginLoss (the multiclass SVM loss), SoftMarginLoss, MultiLabelSoftMarginLoss,
MarginRankingLoss, HingeEmbeddingLoss, CosineEmbeddingLoss and TripletMarginLoss. Each
checks its settings when made; the reduction is given by name (PyTorch's deprecated
size_average and reduce are left out)."""

from .. import functional as F
from ..functional.checks import check_real
from ..functional.embedding_loss import check_triplet_settings
from ..functional.loss import check_reduction
from ..functional.margin_loss import check_margin_settings
from .loss import keyword_reduction
from .module import Module


class MultiMarginLoss(Module):
    """The multiclass SVM loss of scores (N, C) or (C,) against class indices, as
    ``F.multi_margin_loss``: per sample w[y] / C * sum over i != y of
    max(0, margin - x[y] + x[i])^p, p 1 or 2; ``weight`` (C,) a buffer, as PyTorch's.

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> round(nn.MultiMarginLoss()(mc.tensor([[0.1, 0.2, 0.4, 0.8]]), mc.tensor([3])).item(), 4)
    0.325
    """

    def __init__(self, p=1, margin=1.0, weight=None, *, reduction="mean"):
        super().__init__()
        check_margin_settings("MultiMarginLoss", p, margin, reduction)
        self.register_buffer("weight", weight)
        self.p, self.margin, self.reduction = p, margin, reduction

    def forward(self, input, target):
        return F.multi_margin_loss(
            input, target, self.p, self.margin, self.weight, reduction=self.reduction, name=self._label()
        )


class SoftMarginLoss(Module):
    """log(1 + exp(-y x)) per element for labels y = +-1, reduced, as ``F.soft_margin_loss``."""

    def __init__(self, *size_average, reduction="mean"):
        super().__init__()
        keyword_reduction("SoftMarginLoss", size_average)
        check_reduction("SoftMarginLoss", reduction)
        self.reduction = reduction

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction, name=self._label())


class MultiLabelSoftMarginLoss(Module):
    """The mean over the C classes (the last dim) of the binary cross-entropy with logits, per
    sample, as ``F.multilabel_soft_margin_loss``; ``weight`` (C,) a buffer, as PyTorch's."""

    def __init__(self, weight=None, *, reduction="mean"):
        super().__init__()
        check_reduction("MultiLabelSoftMarginLoss", reduction)
        self.register_buffer("weight", weight)
        self.reduction = reduction

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(
            input, target, self.weight, reduction=self.reduction, name=self._label()
        )


def _check(name, margin, reduction):
    check_real(name, "margin", margin)
    check_reduction(name, reduction)


class MarginRankingLoss(Module):
    """max(0, -y (x1 - x2) + margin) for y = 1 (x1 should score higher) or -1, as
    ``F.margin_ranking_loss``."""

    def __init__(self, margin=0.0, *, reduction="mean"):
        super().__init__()
        _check("MarginRankingLoss", margin, reduction)
        self.margin, self.reduction = margin, reduction

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(
            input1, input2, target, self.margin, reduction=self.reduction, name=self._label()
        )


class HingeEmbeddingLoss(Module):
    """x where y = 1, max(0, margin - x) where y = -1, for distances x, as
    ``F.hinge_embedding_loss``."""

    def __init__(self, margin=1.0, *, reduction="mean"):
        super().__init__()
        _check("HingeEmbeddingLoss", margin, reduction)
        self.margin, self.reduction = margin, reduction

    def forward(self, input, target):
        return F.hinge_embedding_loss(
            input, target, self.margin, reduction=self.reduction, name=self._label()
        )


class CosineEmbeddingLoss(Module):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, as
    ``F.cosine_embedding_loss``."""

    def __init__(self, margin=0.0, *, reduction="mean"):
        super().__init__()
        _check("CosineEmbeddingLoss", margin, reduction)
        self.margin, self.reduction = margin, reduction

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(
            input1, input2, target, self.margin, reduction=self.reduction, name=self._label()
        )


class TripletMarginLoss(Module):
    """max(0, margin + d(a, p) - d(a, n)), d the p-norm distance ``F.pairwise_distance``, and
    with ``swap`` d(a, n) the smaller of d(a, n) and d(p, n), as ``F.triplet_margin_loss``.

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> a, p, n = mc.tensor([[0.0, 0.0]]), mc.tensor([[0.0, 1.0]]), mc.tensor([[1.5, 0.0]])
    >>> nn.TripletMarginLoss(margin=1.0, eps=0.0)(a, p, n).item()
    0.5
    """

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, *, reduction="mean"):
        super().__init__()
        check_triplet_settings("TripletMarginLoss", margin, p, eps, swap, reduction)
        self.margin, self.p, self.eps, self.swap, self.reduction = margin, p, eps, swap, reduction

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(
            anchor,
            positive,
            negative,
            self.margin,
            self.p,
            self.eps,
            self.swap,
            reduction=self.reduction,
            name=self._label(),
        )
