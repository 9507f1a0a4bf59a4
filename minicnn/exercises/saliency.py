"""The exercise on chapter 8's saliency map (Simonyan et al. 2014): the gradient of one class score
with respect to the input, from one's own backward pass through a two-layer network. Expected values
come from minicnn's autograd."""

import numpy as np

from .. import functional as F
from ..tensor import tensor
from .exercise import Case, Exercise, Mistake


def _make_saliency(rng, N, C, H, W, D, K, kinks=False):
    x = rng.standard_normal((N, C, H, W))
    w1, b1 = rng.standard_normal((D, C * H * W)), rng.standard_normal(D)
    w2, b2 = rng.standard_normal((K, D)), rng.standard_normal(K)
    if kinks:
        # NOTE: hidden units at the ReLU's kink, exactly, whatever the seed: with x[0] = 0, image 0's
        # pre-activations are b1, every other one 0. At 0 the gradient is 0 (PyTorch's convention,
        # pre > 0); a mask pre >= 0 would let those units' rows of w1 through
        x[0] = 0.0
        b1[::2] = 0.0
    return x, w1, b1, w2, b2, rng.integers(0, K, N)


def _input_grad(x, w1, b1, w2, b2, labels, of="score", relu=True):
    """d(of)/dx by minicnn's backward: of the labels' scores or softmax probabilities ("prob"), or of
    the summed or mean cross-entropy."""
    t = tensor(x, requires_grad=True)
    h = F.linear(t.reshape(len(x), -1), tensor(w1), tensor(b1))
    scores = F.linear(F.relu(h) if relu else h, tensor(w2), tensor(b2))
    if of in ("score", "prob"):
        (F.softmax(scores, dim=1) if of == "prob" else scores)[np.arange(len(x)), labels].sum().backward()
    else:
        F.cross_entropy(scores, tensor(labels), reduction=of).backward()
    return t.grad.numpy()


def _saliency(*args, reduce=lambda g: np.abs(g).max(axis=1), **kw):
    return reduce(_input_grad(*args, **kw))


def _by_hand(x, w1, b1, w2, b2, labels, mask):
    """The map by NumPy, the ReLU's derivative taken as ``mask(pre)``."""
    pre = x.reshape(len(x), -1) @ w1.T + b1
    return np.abs(((w2[labels] * mask(pre)) @ w1).reshape(x.shape)).max(axis=1)


def _normalised(by_image=True):
    """The right map divided by its largest value: each image's own, or the whole batch's."""

    def wrong(*args):
        s = _saliency(*args)
        return s / (s.max(axis=(1, 2), keepdims=True) if by_image else s.max())

    return wrong


def _predicted(x, w1, b1, w2, b2):
    return (np.maximum(x.reshape(len(x), -1) @ w1.T + b1, 0) @ w2.T + b2).argmax(axis=1)


LOSS_NOT_SCORE = (
    "that is the gradient of the cross-entropy loss: the saliency map differentiates the class score "
    "before the softmax, scores[n, labels[n]], for each image on its own; its gradient with respect to "
    "h is w2[labels[n]]"
)

SALIENCY = Exercise(
    name="saliency_map",
    signature="(x, w1, b1, w2, b2, labels)",
    returns=("saliency",),
    notebook="08_visualizing_cnns",
    teaches=(
        "a saliency map: the gradient of one class score with respect to the input, its largest "
        "magnitude over the channels"
    ),
    doc="""x (N, C, H, W); a two-layer network on each flattened image:
    h = relu(x.reshape(N, -1) @ w1.T + b1), scores = h @ w2.T + b2,
    with w1 (D, C*H*W), b1 (D,), w2 (K, D), b2 (K,); labels (N,) ints.
    saliency[n, i, j]
        = max over c of |d scores[n, labels[n]] / d x[n, c, i, j]|:
    the class score before the softmax (Simonyan et al. 2014,
    section 3.1). Write the backward pass yourself; relu's derivative
    is 1 where its input is > 0 and 0 elsewhere, at exactly 0 too
    (PyTorch's convention).
    Return saliency (N, H, W).""",
    make=_make_saliency,
    expected=_saliency,
    cases=[
        Case(1070, dict(N=1, C=1, H=4, W=4, D=6, K=3)),
        Case(1071, dict(N=3, C=3, H=4, W=5, D=8, K=4)),
        Case(1072, dict(N=4, C=2, H=3, W=3, D=5, K=10)),
        Case(1073, dict(N=2, C=3, H=2, W=6, D=20, K=2)),
        Case(1074, dict(N=3, C=2, H=3, W=4, D=8, K=5, kinks=True)),
    ],
    mistakes=[
        Mistake(
            "the ReLU was left out of the backward pass: the gradient reaches x only through the hidden "
            "units whose input x @ w1.T + b1 is > 0 (multiply by that mask before the @ w1)",
            lambda *args: _saliency(*args, relu=False),
        ),
        Mistake(
            "the magnitude was not taken: saliency is the max over channels of |gradient|; a large "
            "negative derivative counts as much as a positive one",
            lambda *args: _saliency(*args, reduce=lambda g: g.max(axis=1)),
        ),
        Mistake(
            "|max over channels| is not max over channels of |.|: take np.abs of the gradient first, "
            "then the max over the channel axis",
            lambda *args: _saliency(*args, reduce=lambda g: np.abs(g.max(axis=1))),
        ),
        Mistake(
            "|sum over channels| is not max over channels of |.|: summed first, a positive and a negative "
            "derivative cancel; take np.abs of the gradient first, then the max over the channel axis",
            lambda *args: _saliency(*args, reduce=lambda g: np.abs(g.sum(axis=1))),
        ),
        Mistake(
            "the gradient was squared: saliency is its magnitude, max over c of |d score / d x|, not "
            "its square",
            lambda *args: _saliency(*args, reduce=lambda g: (g * g).max(axis=1)),
        ),
        *(
            Mistake(
                "the map was normalised: return the magnitudes of the gradient as they are; divide by the "
                "max only to plot it",
                _normalised(by_image),
            )
            for by_image in (True, False)
        ),
        Mistake(
            "at 0 a ReLU's gradient is 0: pass the gradient where x @ w1.T + b1 is > 0, not >= 0 "
            "(PyTorch's convention)",
            lambda *args: _by_hand(*args, mask=lambda pre: pre >= 0),
        ),
        Mistake(
            "the channels were summed: Simonyan et al. take the MAX of |gradient| over the channels",
            lambda *args: _saliency(*args, reduce=lambda g: np.abs(g).sum(axis=1)),
        ),
        Mistake(
            "the channels were averaged: Simonyan et al. take the MAX of |gradient| over the channels",
            lambda *args: _saliency(*args, reduce=lambda g: np.abs(g).mean(axis=1)),
        ),
        *(Mistake(LOSS_NOT_SCORE, lambda *args, of=of: _saliency(*args, of=of)) for of in ("sum", "mean")),
        Mistake(
            "every image used the first image's class: differentiate scores[n, labels[n]] for image n",
            lambda x, w1, b1, w2, b2, y: _saliency(x, w1, b1, w2, b2, np.full_like(y, y[0])),
        ),
        Mistake(
            "that is the gradient of the softmax probability p[n, labels[n]]: differentiate the class score "
            "before the softmax, scores[n, labels[n]]; its gradient with respect to h is w2[labels[n]]",
            lambda *args: _saliency(*args, of="prob"),
        ),
        Mistake(
            "each image used its predicted class (the argmax of its scores): differentiate the score of "
            "labels[n], the class the case asks for",
            lambda x, w1, b1, w2, b2, y: _saliency(x, w1, b1, w2, b2, _predicted(x, w1, b1, w2, b2)),
        ),
    ],
)

EXERCISES = [SALIENCY]
