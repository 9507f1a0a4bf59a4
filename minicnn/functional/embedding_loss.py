"""Margin losses on pairs and triplets, for learning embeddings and rankings, as PyTorch's:
``margin_ranking_loss`` (which of two scores is larger), ``hinge_embedding_loss`` (a
distance against similar / dissimilar labels), ``cosine_embedding_loss`` (the angle between
two vectors) and ``triplet_margin_loss`` (an anchor nearer its positive than its negative).

As in margin_loss.py, each hinge max(0, z) counts where z > 0 and has slope 0 at z = 0,
PyTorch's value there; ``reduction`` is 'mean', 'sum' or 'none'.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .basic import add, sub, unbroadcast
from .checks import check_float, check_real, check_same_dtype, check_tensor, type_name
from .clamping import clamp
from .distance import check_p, pairwise_distance
from .loss import check_reduction
from .pointwise import minimum
from .promotion import check_broadcast
from .reduction import loss_grad, reduce_losses, reduce_tensor


class MarginRanking(Function):
    """l = max(0, z),  z = -y (x1 - x2) + margin: x1 should score above x2 by the margin where
    y = 1, below it where y = -1. With a = [z > 0] (0 at the kink, PyTorch's slope there):
    gx1 = -y a gl,   gx2 = y a gl,   gy = -(x1 - x2) a gl."""

    def forward(self, x1, x2, y, *, margin, reduction):
        xp = backend.xp_of(x1)
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: NaN, silently as PyTorch
            self.d, self.y, self.reduction = x1 - x2, y, reduction
            z = -y * self.d + margin
        self.active = z > 0
        self.shapes = x1.shape, x2.shape, y.shape
        return reduce_losses(xp.maximum(z, 0).astype(x1.dtype, copy=False), reduction)  # (NaN stays)

    def backward(self, g):
        ga = loss_grad(g, self.reduction, self.active.shape) * self.active
        with np.errstate(invalid="ignore", over="ignore"):
            grads = (-self.y * ga, self.y * ga, -self.d * ga)
        return tuple(
            unbroadcast(gi, shape) if wanted else None
            for gi, shape, wanted in zip(grads, self.shapes, self.needs_grad)
        )


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    *,
    reduction: str = "mean",
    name: str = "margin_ranking_loss",
) -> Tensor:
    """The ranking hinge of two scores against y = 1 (input1 should be larger) or -1
    (input2 should), as ``torch.nn.functional.margin_ranking_loss``:

        l = max(0, -y (input1 - input2) + margin).

    Shapes: three tensors of one number of dims that broadcast, (N,) or () each usually;
    'none' gives their broadcast shape. All three get a gradient, as in PyTorch.

    >>> import minicnn as mc, minicnn.functional as F
    >>> x1, x2, y = mc.tensor([2.0, 0.5]), mc.tensor([1.0, 1.0]), mc.tensor([1.0, 1.0])
    >>> F.margin_ranking_loss(x1, x2, y, margin=0.5).item()
    0.5
    """
    tensors = {"input1": input1, "input2": input2, "target": target}
    for what, t in tensors.items():
        check_float(name, what, t)
    check_same_dtype(name, input1, input2=input2, target=target)
    _same_ndim(name, tensors)
    check_broadcast(name, input1.shape, input2.shape, target.shape)
    check_real(name, "margin", margin)
    check_reduction(name, reduction)
    return MarginRanking.apply(input1, input2, target, margin=float(margin), reduction=reduction)


def check_labels(name: str, target: Any) -> None:
    """A target of labels, only compared with 1 and -1: a Tensor of integers or floats."""
    check_tensor(name, "target", target)
    if target.dtype.kind not in "iuf":
        raise TypeError(f"{name}: target must hold the labels 1 and -1 as numbers, got dtype {target.dtype}")


def _same_ndim(name, tensors):
    """PyTorch's rule for the pair and triplet losses: one number of dims, whatever broadcasts."""
    if len({t.ndim for t in tensors.values()}) > 1:
        sizes = ", ".join(f"{what} {t.shape}" for what, t in tensors.items())
        raise ValueError(f"{name}: all input tensors should have the same number of dims, got {sizes}")


class HingeEmbedding(Function):
    """l = x where y = 1,  max(0, margin - x) where y = -1  (x a distance; a y of neither
    value gets both terms, as PyTorch's). gx = gl [y != -1] - gl [y != 1] [margin - x > 0]
    (0 at the kink); y, a label, gets no gradient."""

    def forward(self, x, y, *, margin, reduction):
        xp = backend.xp_of(x)
        hinge = margin - x
        self.push = (y != 1) & (hinge > 0)  # where the margin term pushes x up
        self.pull = y != -1  # where x itself is the loss
        self.reduction = reduction
        with np.errstate(invalid="ignore"):  # both terms of a y of neither value: inf - inf is NaN
            losses = xp.where(y != 1, xp.maximum(hinge, 0), 0) + xp.where(self.pull, x, 0)
        return reduce_losses(losses.astype(x.dtype, copy=False), reduction)

    def backward(self, g):
        gl = loss_grad(g, self.reduction, self.pull.shape)
        return (gl * self.pull - gl * self.push).astype(gl.dtype, copy=False), None


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    *,
    reduction: str = "mean",
    name: str = "hinge_embedding_loss",
) -> Tensor:
    """The hinge on a distance x against y = 1 (similar: x itself is the loss) or -1
    (dissimilar: the loss is max(0, margin - x), zero once x exceeds the margin), as
    ``torch.nn.functional.hinge_embedding_loss``. x is usually ``F.pairwise_distance`` of
    two embeddings. The target gets no gradient, as in PyTorch.

    Shapes: input any, target (integers or floats) the same shape; 'none' keeps it.

    >>> import minicnn as mc, minicnn.functional as F
    >>> distance, y = mc.tensor([0.25, 0.5, 2.0]), mc.tensor([1, -1, -1])
    >>> F.hinge_embedding_loss(distance, y, reduction="none").tolist()
    [0.25, 0.5, 0.0]
    """
    check_float(name, "input", input)
    check_labels(name, target)
    if input.shape != target.shape:
        raise ValueError(f"{name}: target {target.shape} must have the input's shape {input.shape}")
    check_real(name, "margin", margin)
    check_reduction(name, reduction)
    return HingeEmbedding.apply(input, target, margin=float(margin), reduction=reduction)


class CosineEmbedding(Function):
    """Along the last dim, m_k = sum x_k^2 + eps (eps = 1e-12, PyTorch's) and
    cos = sum x1 x2 / sqrt(m_1 m_2);   l = 1 - cos where y = 1,  max(0, cos - margin) where
    y = -1,  0 for any other y.   gcos = -gl [y = 1] + gl [y = -1] [cos > margin] (0 at the
    kink);   gx1 = gcos (x2 / sqrt(m_1 m_2) - cos x1 / m_1),  gx2 the same with 1 and 2 swapped.
    m_k sums x_k over its own last dim: where x1 (*, 1) broadcasts against x2 (*, D), the first
    term sums over the D products x1 x2 it enters, the second not."""

    def forward(self, x1, x2, y, *, margin, reduction):
        xp = backend.xp_of(x1)
        # NOTE: sums kept (*, 1), so that they broadcast against x1 and x2 in backward
        with np.errstate(invalid="ignore", over="ignore"):  # inf and NaN in, NaN out, silently as PyTorch
            m1, m2 = (x1 * x1).sum(-1, keepdims=True) + 1e-12, (x2 * x2).sum(-1, keepdims=True) + 1e-12
            self.denom = xp.sqrt(m1 * m2)
            self.cos_k = (x1 * x2).sum(-1, keepdims=True) / self.denom
        self.cos = self.cos_k[..., 0]
        self.x1, self.x2, self.m1, self.m2, self.reduction = x1, x2, m1, m2, reduction
        far = (y == -1) & (self.cos - margin > 0)
        self.slope = far.astype(x1.dtype) - (y == 1)  # d l / d cos
        losses = xp.where(y == 1, 1 - self.cos, 0) + xp.where(y == -1, xp.maximum(self.cos - margin, 0), 0)
        return reduce_losses(losses.astype(x1.dtype, copy=False), reduction)

    def backward(self, g):
        gcos = loss_grad(g, self.reduction, self.slope.shape) * self.slope
        gcos = unbroadcast(gcos, self.cos.shape)[..., None]  # (a target (N,) beside one pair)
        x1, x2 = self.x1, self.x2
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            gx1 = self._grad(gcos, x1, x2, self.m1) if self.needs_grad[0] else None
            gx2 = self._grad(gcos, x2, x1, self.m2) if self.needs_grad[1] else None
        return gx1, gx2, None

    def _grad(self, gcos, a, b, m_a):
        """a's gradient, gcos (b / sqrt(m_1 m_2) - cos a / m_a), each term summed back to a's shape
        on its own: the product a b broadcasts along the last dim, a's norm m_a does not."""
        full = np.broadcast_shapes(a.shape, b.shape)
        through_product = self.xp.broadcast_to(gcos * b / self.denom, full)
        return unbroadcast(through_product, a.shape) - unbroadcast(gcos * self.cos_k * a / m_a, a.shape)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    *,
    reduction: str = "mean",
    name: str = "cosine_embedding_loss",
) -> Tensor:
    """The cosine loss of two embeddings against y = 1 (they should point the same way) or
    -1 (they should not, past the margin), as ``torch.nn.functional.cosine_embedding_loss``:

        l = 1 - cos(x1, x2)                where y = 1
        l = max(0, cos(x1, x2) - margin)   where y = -1

    cos over the last dim, with 1e-12 added to each squared norm (a zero vector gives cos 0).
    The target gets no gradient, as in PyTorch.

    Shapes: input1, input2 (N, D) with target (N,), or (D,) with a 0-d target; input1 and
    input2 broadcast (one of them (1, D)); 'none' gives (N,) or ().

    >>> import minicnn as mc, minicnn.functional as F
    >>> x1, x2, y = mc.tensor([[1.0, 0.0]]), mc.tensor([[1.0, 1.0]]), mc.tensor([1.0])
    >>> F.cosine_embedding_loss(x1, x2, y).item()
    0.2928932309150696
    """
    for what, t in (("input1", input1), ("input2", input2)):
        check_float(name, what, t)
    check_labels(name, target)
    if target.ndim > 1:
        raise ValueError(
            f"{name}: expected a 0-d or 1-D target, got shape {target.shape} (multi-target is not supported)"
        )
    if input1.ndim != target.ndim + 1 or input2.ndim != target.ndim + 1:
        raise ValueError(
            f"{name}: a {target.ndim}-d target expects {target.ndim + 1}-d inputs, got input1 "
            f"{input1.shape} and input2 {input2.shape}"
        )
    check_same_dtype(name, input1, input2=input2)
    check_broadcast(name, input1.shape, input2.shape)
    check_broadcast(name, np.broadcast_shapes(input1.shape, input2.shape)[:-1], target.shape)
    check_real(name, "margin", margin)
    check_reduction(name, reduction)
    return CosineEmbedding.apply(input1, input2, target, margin=float(margin), reduction=reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    *,
    reduction: str = "mean",
    name: str = "triplet_margin_loss",
) -> Tensor:
    """The triplet loss (Schroff et al. 2015, FaceNet; Balntas et al. 2016 for ``swap``), as
    ``torch.nn.functional.triplet_margin_loss``: an anchor should lie nearer its positive
    than its negative by the margin,

        l = max(0, margin + d(a, p) - d(a, n)),   d(u, v) = ||u - v + eps||_p over the last dim,

    and with ``swap`` d(a, n) is min(d(a, n), d(p, n)), the harder of the two negatives. It is
    composed of ``pairwise_distance``, ``mc.minimum`` (a tie shares the gradient) and
    ``clamp(min=0)``, PyTorch's clamp_min (slope 0 at the kink, and where a NaN distance makes
    the argument NaN: relu would pass the gradient there), whose backwards make its gradient.

    Shapes: three tensors (N, D) or (D,) of one number of dims that broadcast; 'none' gives
    (N,) or (). p is 1, 2 or ``float("inf")``; the margin must be positive.

    >>> import minicnn as mc, minicnn.functional as F
    >>> a, p, n = mc.tensor([[0.0, 0.0]]), mc.tensor([[0.0, 1.0]]), mc.tensor([[1.5, 0.0]])
    >>> F.triplet_margin_loss(a, p, n, eps=0.0).item()
    0.5
    """
    tensors = {"anchor": anchor, "positive": positive, "negative": negative}
    for what, t in tensors.items():
        check_float(name, what, t)
    check_same_dtype(name, anchor, positive=positive, negative=negative)
    _same_ndim(name, tensors)
    check_broadcast(name, anchor.shape, positive.shape, negative.shape)
    check_triplet_settings(name, margin, p, eps, swap, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps, name=name)
    d_neg = pairwise_distance(anchor, negative, p, eps, name=name)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps, name=name))
    return reduce_tensor(clamp(sub(add(d_pos, margin), d_neg), min=0.0), reduction)


def check_triplet_settings(name: str, margin: Any, p: Any, eps: Any, swap: Any, reduction: str) -> None:
    """triplet_margin_loss's settings, checked once by ``nn.TripletMarginLoss`` when made."""
    check_real(name, "margin", margin)
    if not margin > 0:
        raise ValueError(f"{name}: margin must be greater than 0, got {margin}")
    check_p(name, p)
    check_real(name, "eps", eps)
    if not isinstance(swap, bool):
        raise TypeError(f"{name}: swap must be True or False, got {type_name(swap)} {swap!r}")
    check_reduction(name, reduction)
