"""Exercises on layers: the softmax cross-entropy gradient, dropout, LRN, class activation maps.

Expected values come from minicnn's autograd (F.cross_entropy) and its
reference tier (LRN, convolution for the CAM).
"""

import numpy as np

from .. import functional as F
from ..kernels import reference as ref
from ..tensor import tensor
from .exercise import Case, Exercise, Mistake

# --- softmax cross-entropy ---------------------------------------------------------------------


def _make_ce(rng, N, K, scale=1.0, far=0.0):
    if not far:
        return rng.standard_normal((N, K)) * scale, rng.integers(0, K, N)
    # NOTE: every row holds two logits within 2 of +far and two within 2 of -far, around a row
    # offset of +far or -far, so that with far - 4 > 709 exp overflows, whatever the seed, unless
    # each row's own maximum is subtracted: not its mean (a logit lies far - 4 or more above it),
    # nor the batch's maximum (the rows far below it underflow, and 0/0 is nan)
    z = rng.uniform(-2, 2, (N, K))
    for n in range(N):
        cols = rng.permutation(K)
        z[n, cols[:2]] += far
        z[n, cols[2:4]] -= far
    z += np.where(np.arange(N) % 2 == 0, far, -far)[:, None]
    return z, rng.integers(0, K, N)


def _ce_grad(logits, labels):
    t = tensor(logits, requires_grad=True)
    F.cross_entropy(t, labels).backward()
    return t.grad.numpy()


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _naive_softmax_grad(logits, labels, shift=None):
    """The gradient with exp taken of the logits less ``shift(logits)`` (None: of the logits)."""
    e = np.exp(logits if shift is None else logits - shift(logits))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def _softmax_over_the_batch(logits, labels):
    e = np.exp(logits - logits.max(axis=0, keepdims=True))
    p = e / e.sum(axis=0, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def _every_row_at_every_label(logits, labels):
    p = _softmax(logits)
    p[:, labels] -= 1
    return p / len(labels)


CROSS_ENTROPY = Exercise(
    name="softmax_cross_entropy_backward",
    signature="(logits, labels)",
    returns=("glogits",),
    notebook="03_lenet5_mnist",
    teaches="the gradient that starts every backward pass: (softmax - one-hot) / N",
    doc="""logits (N, K), labels (N,) ints. L = mean over the batch of
    -log softmax(logits[n])[labels[n]].
    Return dL/dlogits (N, K).""",
    make=_make_ce,
    expected=_ce_grad,
    cases=[
        Case(300, dict(N=4, K=10, scale=1.0)),
        Case(301, dict(N=1, K=3, scale=1.0)),
        Case(302, dict(N=6, K=5, scale=400.0)),
        Case(303, dict(N=3, K=7, scale=0.01)),
        Case(304, dict(N=4, K=6, far=1000.0)),
    ],
    mistakes=[
        Mistake(
            "not divided by the batch size: the loss is the MEAN over the batch, so each row's "
            "gradient is (softmax - one-hot) / N",
            lambda z, y: _ce_grad(z, y) * len(y),
        ),
        Mistake(
            "divided by the number of classes K where it must be the batch size N: the loss is the "
            "mean over the N examples (the rows), so each row's gradient is (softmax - one-hot) / N",
            lambda z, y: _ce_grad(z, y) * len(y) / z.shape[1],
        ),
        Mistake(
            "divided by N * K, as a mean over every entry of the (N, K) array would: the loss is the "
            "mean over the N examples of each row's own sum, so each row's gradient is "
            "(softmax - one-hot) / N",
            lambda z, y: _ce_grad(z, y) / z.shape[1],
        ),
        Mistake(
            "the one-hot target is not subtracted: dL/dz = (softmax(z) - onehot(label)) / N",
            lambda z, y: _softmax(z) / len(y),
        ),
        Mistake(
            "exp overflowed: subtract each row's maximum from the logits before exp (softmax does "
            "not change, and exp never sees a large number)",
            _naive_softmax_grad,
        ),
        Mistake(
            "exp overflowed: subtracting each row's mean does not stop it, as a logit can lie far "
            "above its row's mean. Subtract each row's maximum: the largest exp is then exp(0) = 1",
            lambda z, y: _naive_softmax_grad(z, y, lambda z: z.mean(axis=1, keepdims=True)),
        ),
        Mistake(
            "one maximum for the whole batch: a row whose logits all lie far below it underflows "
            "(exp gives 0 for each, and 0/0 = nan). Subtract each row's own maximum, "
            "logits.max(axis=1, keepdims=True)",
            lambda z, y: _naive_softmax_grad(z, y, lambda z: z.max()),
        ),
        Mistake(
            "the sign is flipped: the loss falls as the label's logit rises, so dL/dz = "
            "(softmax(z) - onehot(label)) / N, negative at the label",
            lambda z, y: -_ce_grad(z, y),
        ),
        Mistake(
            "the softmax is taken over axis 0 (the batch): each ROW is one example's distribution "
            "over the classes, so take max, exp and sum over axis=1 (keepdims=True)",
            _softmax_over_the_batch,
        ),
        Mistake(
            "p[:, labels] -= 1 subtracts 1 in every row, in each column any label names: the one-hot "
            "of row n has its 1 at labels[n] alone, p[np.arange(N), labels] -= 1",
            _every_row_at_every_label,
        ),
    ],
)


# --- inverted dropout ---------------------------------------------------------------------------


def _make_dropout(rng, shape, p, ties=False):
    u = rng.random(shape)
    if ties:  # some u exactly p: the keep rule's edge, which random draws never hit
        u.flat[::3] = p
    return rng.standard_normal(shape), p, u


DROPOUT = Exercise(
    name="inverted_dropout",
    signature="(x, p, u)",
    returns=("y",),
    notebook="04_alexnet_tricks",
    teaches="dropout at training time, scaled so that evaluation needs no change (inverted dropout)",
    doc="""x: the activations; p: the probability of dropping a unit; u:
    uniform [0, 1) numbers of x's shape.
    A unit is kept where u >= p. Return y: kept units scaled by
    1 / (1 - p), dropped units 0.""",
    make=_make_dropout,
    expected=lambda x, p, u: np.where(u >= p, x / (1 - p), 0.0),
    cases=[
        Case(400, dict(shape=(4, 6), p=0.5)),
        Case(401, dict(shape=(2, 3, 4, 4), p=0.2)),
        Case(402, dict(shape=(1, 10), p=0.0)),
        Case(403, dict(shape=(5, 5), p=0.9)),
        Case(404, dict(shape=(3, 7), p=0.5, ties=True)),
    ],
    mistakes=[
        Mistake(
            "the kept units are not scaled: inverted dropout multiplies them by 1 / (1 - p) so "
            "that the expected activation is unchanged and evaluation needs no rescaling",
            lambda x, p, u: np.where(u >= p, x, 0.0),
        ),
        Mistake(
            "scaled by (1 - p) where it must be 1 / (1 - p): a unit kept with probability 1 - p is scaled up",
            lambda x, p, u: np.where(u >= p, x * (1 - p), 0.0),
        ),
        Mistake(
            "keep and drop are swapped: p is the probability of DROPPING a unit, so a unit is kept "
            "where u >= p",
            lambda x, p, u: np.where(u < p, x / (1 - p), 0.0),
        ),
        Mistake(
            "the units with u exactly p were dropped: a unit is kept where u >= p, not u > p",
            lambda x, p, u: np.where(u > p, x / (1 - p), 0.0),
        ),
        Mistake(
            "scaled by 1 / p where it must be 1 / (1 - p): p is the probability of DROPPING a unit, "
            "so a unit is kept with probability 1 - p",
            lambda x, p, u: np.where(u >= p, x / p, 0.0),
        ),
    ],
)


# --- local response normalization ----------------------------------------------------------------


def _make_lrn(rng, N, C, H, W, size):
    return rng.standard_normal((N, C, H, W)), rng.standard_normal((N, C, H, W)), size, 0.1, 0.75, 2.0


def _lrn(gy, x, size, alpha, beta, k):
    ncm = (x.shape[0], x.shape[1], -1)
    _, s = ref.lrn_forward(x.reshape(ncm), size, alpha, beta, k)
    return ref.lrn_input_grad(gy.reshape(ncm), x.reshape(ncm), s, size, alpha, beta).reshape(x.shape)


def _lrn_s_constant(gy, x, size, alpha, beta, k):
    _, s = ref.lrn_forward(x.reshape(x.shape[0], x.shape[1], -1), size, alpha, beta, k)
    return gy * s.reshape(x.shape) ** -beta


def _lrn_variant(two=2.0, per_size=True, own_only=False, mirrored=True):
    """LRN's backward with the 2 of d(x^2)/dx replaced by ``two``, alpha not divided by size (in the
    forward too), the second term from channel c's own window alone, or summed over the forward's
    window of c where the windows that contain c belong (they differ where size is even)."""

    def wrong(gy, x, size, alpha, beta, k):
        C, a = x.shape[1], alpha / size if per_size else alpha
        ahead, behind = (size - 1) // 2, size // 2  # the forward's window: c - behind .. c + ahead
        s = np.empty_like(x)
        for c in range(C):
            s[:, c] = k + a * (x[:, max(c - behind, 0) : c + ahead + 1] ** 2).sum(axis=1)
        gx, t = gy * s**-beta, gy * x * s ** (-beta - 1)
        for c in range(C):
            lo, hi = (max(c - ahead, 0), c + behind + 1) if mirrored else (max(c - behind, 0), c + ahead + 1)
            gx[:, c] -= two * a * beta * x[:, c] * (t[:, c] if own_only else t[:, lo:hi].sum(axis=1))
        return gx

    return wrong


LRN = Exercise(
    name="lrn_backward",
    signature="(gy, x, size, alpha, beta, k)",
    returns=("gx",),
    notebook="04_alexnet_tricks",
    teaches="a gradient that crosses channels: each x_c also appears in its neighbours' denominators",
    doc="""y_c = x_c / s_c^beta,  s_c = k + alpha/size * sum of x_c'^2
    over the channels c' = c - size//2 .. c + (size-1)//2 that exist
    (PyTorch's window). x, gy (N, C, H, W); return gx.""",
    make=_make_lrn,
    expected=_lrn,
    cases=[
        Case(500, dict(N=2, C=5, H=3, W=3, size=5)),
        Case(501, dict(N=1, C=4, H=2, W=3, size=3)),
        Case(502, dict(N=2, C=7, H=1, W=2, size=4)),
        Case(503, dict(N=1, C=3, H=2, W=2, size=5)),
    ],
    mistakes=[
        Mistake(
            "s_c was treated as a constant: it depends on x_c and on the neighbouring channels' "
            "x, so gx has a second term, -(2 alpha beta/size) x_c sum_c' gy_c' x_c' "
            "s_c'^(-beta-1) over the windows that contain c",
            _lrn_s_constant,
        ),
        Mistake(
            "the 2 of d(x^2)/dx = 2x is missing: the second term is -(2 alpha beta/size) x_c sum_c' "
            "gy_c' x_c' s_c'^(-beta-1)",
            _lrn_variant(two=1.0),
        ),
        Mistake(
            "alpha is divided by size: s_c = k + alpha/size * sum x^2, as PyTorch's LocalResponseNorm "
            "(the AlexNet paper writes alpha alone)",
            _lrn_variant(per_size=False),
        ),
        Mistake(
            "x_c is in its neighbours' denominators too: the second term sums gy_c' x_c' "
            "s_c'^(-beta-1) over every channel c' whose window holds c, not over c' = c alone",
            _lrn_variant(own_only=True),
        ),
        Mistake(
            "the channels whose windows hold c are c' = c - (size-1)//2 .. c + size//2: the forward's "
            "window mirrored, which differs from it where size is even",
            _lrn_variant(mirrored=False),
        ),
    ],
)


# --- class activation maps ---------------------------------------------------------------------


def _make_cam(rng, N, K, H, W, classes):
    return rng.standard_normal((N, K, H, W)), rng.standard_normal((classes, K)), rng.integers(0, classes, N)


def _cam(features, weight, labels):
    """A 1x1 convolution of the features with the classifier's weights, the label's map kept."""
    maps = ref.conv2d_forward(features, weight[:, :, None, None], None, (1, 1), (0, 0), (1, 1), 1)
    return maps[np.arange(len(labels)), labels]


def _cam_normalised(features, weight, labels):
    cam = _cam(features, weight, labels)
    lo, hi = cam.min(axis=(1, 2), keepdims=True), cam.max(axis=(1, 2), keepdims=True)
    return (cam - lo) / (hi - lo)


CAM = Exercise(
    name="class_activation_map",
    signature="(features, weight, labels)",
    returns=("cam",),
    notebook="08_visualizing_cnns",
    teaches="where a GAP network finds its evidence: the classifier's weights applied at every pixel",
    doc="""features (N, K, H, W): the last conv layer's maps;
    weight (classes, K): the linear layer after global average
    pooling; labels (N,).
    cam[n, h, w] = sum_k weight[labels[n], k] features[n, k, h, w].""",
    make=_make_cam,
    expected=_cam,
    cases=[
        Case(800, dict(N=1, K=4, H=3, W=3, classes=3)),
        Case(801, dict(N=3, K=8, H=5, W=4, classes=10)),
        Case(802, dict(N=4, K=2, H=2, W=6, classes=4)),
    ],
    mistakes=[
        Mistake(
            "every image used the first image's class: take weight[labels[n]] for image n",
            lambda f, w, y: _cam(f, w, np.full_like(y, y[0])),
        ),
        Mistake("return the raw weighted sum; normalise to [0, 1] only to plot it", _cam_normalised),
        Mistake(
            "no ReLU: the map is the raw weighted sum, negative where a pixel's evidence is against "
            "the class (Grad-CAM adds a ReLU; CAM does not)",
            lambda f, w, y: np.maximum(_cam(f, w, y), 0),
        ),
        Mistake(
            "the K maps are summed, not averaged: cam = sum_k weight[label, k] features[k]",
            lambda f, w, y: _cam(f, w, y) / f.shape[1],
        ),
    ],
)

EXERCISES = [CROSS_ENTROPY, DROPOUT, LRN, CAM]
