"""CosineSimilarity and PairwiseDistance, as PyTorch's: thin Modules over ``F``."""

from __future__ import annotations

from .. import functional as F
from ..functional.checks import check_real
from ..functional.distance import check_p
from .module import Module


class CosineSimilarity(Module):
    """The cosine of the angle between x1's and x2's vectors along ``dim``, as
    ``F.cosine_similarity``: sum of (x1 / max(||x1||, eps)) (x2 / max(||x2||, eps)).
    Prints as ``CosineSimilarity()`` whatever its arguments, as PyTorch's.

    Shapes: x1, x2 broadcasting to (*, D, *) -> (*, *), D at ``dim``.
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        check_real("CosineSimilarity", "eps", eps)
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps, name=self._label())


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p over the last dim, as ``F.pairwise_distance`` (p 1, 2 or inf).
    Prints as ``PairwiseDistance()`` whatever its arguments, as PyTorch's.

    Shapes: x1, x2 broadcasting to (*, D) -> (*), or (*, 1) with ``keepdim``.

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> distance = nn.PairwiseDistance(p=1, eps=0.0)
    >>> distance(mc.tensor([[1.0, 2.0]]), mc.tensor([[0.0, 0.0]])).tolist()
    [3.0]
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        check_p("PairwiseDistance", p)
        check_real("PairwiseDistance", "eps", eps)
        self.norm, self.eps, self.keepdim = p, eps, keepdim  # PyTorch keeps p as .norm

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim, name=self._label())
