"""The exercise of chapter 10's section 7, LeNet-5 against the classical methods: the multiclass
SVM (hinge) loss and its gradient, as a linear SVM's training minimises it.

The expected values come from minicnn's autograd through ``F.multi_margin_loss`` (p = 1,
PyTorch's definition, divided by the number of classes), so the exercise and the engine agree.
"""

import numpy as np

from .. import functional as F
from ..tensor import tensor
from .exercise import Case, Exercise, Mistake

NB = "10_dead_units_dropconnect_depth_and_cost"


def _make_svm(rng, N, C, margin, values="normal"):
    """scores (N, C), classes y (N,) and the margin. ``values``: "normal" scores; "ties", small
    integers with one other class of each row exactly at the hinge; "ahead", every row's class
    ahead of each other class by more than the margin (a loss of exactly 0)."""
    y = rng.integers(0, C, N)
    rows = np.arange(N)
    if values == "ties":
        scores = rng.integers(-2, 3, (N, C)).astype(np.float64)
        # NOTE: s_j = s_y - margin for one j != y per row, whatever the seed: integers and a whole
        # margin are exact, so margin - s_y + s_j is exactly 0 there, the hinge's kink
        others = (y + rng.integers(1, C, N)) % C
        scores[rows, others] = scores[rows, y] - margin
        return scores, y, margin
    scores = rng.standard_normal((N, C))
    if values == "ahead":
        best_other = np.where(np.arange(C) == y[:, None], -np.inf, scores).max(axis=1)
        scores[rows, y] = best_other + margin + rng.uniform(0.1, 1.0, N)
    return scores, y, margin


def _svm(scores, y, margin):
    """(loss, g) by minicnn's autograd: backward() through F.multi_margin_loss."""
    s = tensor(scores, requires_grad=True)
    loss = F.multi_margin_loss(s, tensor(y), p=1, margin=margin)
    loss.backward()
    return loss.numpy(), s.grad.numpy()


def _wrong(kink=False, every=False, p=1, sign=1.0, column=True, per_sample=True, per_class=True, own=None):
    """(loss, g) with one thing changed: the slope taken as 1 at the kink, or for every class; the
    squared hinge (p = 2); the margin's sign flipped; g's column of the class left at 0; not divided
    by N or by C; or the class's own term j = y_i counted, in the loss alone (``own="loss"``, a loop
    that does not skip j = y_i) or in the count on the class's column too (``own="count"``, a mask
    left at 1 there)."""

    def wrong(scores, y, margin):
        N, C = scores.shape
        rows = np.arange(N)
        z = sign * margin - scores[rows, y][:, None] + scores
        active = np.full(z.shape, True) if every else (z >= 0) if kink else (z > 0)
        active[rows, y] = False
        h = np.where(active, np.maximum(z, 0.0), 0.0)
        scale = (N if per_sample else 1) * (C if per_class else 1)
        loss = (h**p).sum() / scale
        g = np.where(active, p * h ** (p - 1), 0.0) / scale
        g[rows, y] = -g.sum(axis=1) if column else 0.0
        if own is not None:  # the term j = y_i is margin - s_y + s_y = margin, active where margin > 0
            loss += N * max(margin, 0.0) / scale
        if own == "count":
            g[rows, y] -= (margin > 0) / scale
        return loss, g

    return wrong


SVM = Exercise(
    name="multiclass_svm_loss_backward",
    signature="(scores, y, margin)",
    returns=("loss", "g"),
    notebook=NB,
    teaches="the multiclass hinge loss of a linear SVM: only the classes inside the margin get a gradient",
    doc="""scores (N, C); y (N,) int classes; margin a float. The
    multiclass SVM (hinge) loss of Weston and Watkins as PyTorch's
    multi_margin_loss defines it (p=1, reduction "mean"; CS231n's
    notes leave out 1/C):
        L = 1/N sum_i 1/C sum_{j != y_i}
            max(0, margin - scores[i, y_i] + scores[i, j]).
    Where margin - scores[i, y_i] + scores[i, j] is exactly 0, the
    hinge's slope is taken as 0 (as PyTorch).
    Return (loss, g): loss = L (a float), g = dL/dscores (N, C).""",
    make=_make_svm,
    expected=_svm,
    cases=[
        Case(1030, dict(N=4, C=5, margin=1.0)),
        Case(1031, dict(N=1, C=3, margin=1.0)),
        Case(1032, dict(N=6, C=2, margin=0.5)),
        Case(1033, dict(N=5, C=4, margin=1.0, values="ties")),
        Case(1034, dict(N=3, C=6, margin=1.0, values="ahead")),
        Case(1035, dict(N=8, C=10, margin=2.0)),
    ],
    mistakes=[
        Mistake(
            "the class's own term, j = y_i, was counted in the loss: it is margin - s_y + s_y = margin, "
            "so it adds margin / C to every sample's loss. The sum runs over j != y_i (in a loop, skip "
            "j == y[i])",
            _wrong(own="loss"),
        ),
        Mistake(
            "the class's own term, j = y_i, was counted in the loss and in g: it is margin - s_y + s_y "
            "= margin, so it adds margin / C to every sample's loss, and its 1 in the mask adds 1 to the "
            "count on the class's column. Set it to 0 (margins[np.arange(N), y] = 0) before summing and "
            "counting",
            _wrong(own="count"),
        ),
        Mistake(
            "at margin - s_y + s_j = 0 exactly the hinge's slope is 0 (PyTorch's convention): a term "
            "counts where it is > 0, not >= 0",
            _wrong(kink=True),
        ),
        Mistake(
            "every other class got a slope: the clipped margins max(0, ...) are all >= 0, so a mask "
            "margins >= 0 holds every class. Only the terms that are > 0 count: margins > 0",
            _wrong(every=True),
        ),
        Mistake(
            "the class's own column is missing: each active term holds -scores[i, y_i] too, so "
            "g[i, y_i] = -(the number of active terms of row i) / (N C)",
            _wrong(column=False),
        ),
        Mistake(
            "not divided by N: the loss is the MEAN over the samples, so every gradient is divided by N too",
            _wrong(per_sample=False),
        ),
        Mistake(
            "not divided by C: the loss is divided by the number of classes C, as PyTorch's "
            "multi_margin_loss defines it (CS231n's notes write the sum without 1/C); the gradient "
            "is divided by N C",
            _wrong(per_class=False),
        ),
        Mistake(
            "the margin's sign is flipped: a class j counts until the class's score leads it by the "
            "margin, max(0, margin - s_y + s_j), not max(0, s_j - s_y - margin)",
            _wrong(sign=-1.0),
        ),
        Mistake(
            "that is the squared hinge (p = 2): the loss sums max(0, margin - s_y + s_j) itself, whose "
            "slope is 1 on each active term, not 2 (margin - s_y + s_j)",
            _wrong(p=2),
        ),
    ],
)

EXERCISES = [SVM]
