"""Exercises on chapter 10's variants: the leaky ReLU's backward, DropConnect with a mask per example,
and what a depthwise-separable convolution saves.

Expected values come from minicnn's autograd (F.leaky_relu), its DropConnect
(``functional.dropconnect.dropconnect_linear`` given the case's mask) and its
``summary`` (the parameters and multiply-adds of real ``nn.Conv2d`` layers).
"""

import numpy as np

from .. import functional as F
from .. import nn
from ..functional.dropconnect import dropconnect_linear
from ..rng import get_state, set_state
from ..summary import summary
from ..tensor import tensor
from .autograd import NO_GY, autograd
from .exercise import Case, Exercise, Mistake

NB = "10_dead_units_dropconnect_depth_and_cost"

# --- leaky ReLU backward ------------------------------------------------------------------------


def _make_leaky(rng, shape, slope, values):
    x = rng.integers(-2, 3, shape).astype(np.float64) if values == "integers" else rng.standard_normal(shape)
    if values == "integers":  # some inputs exactly at the kink, x = 0, whatever the seed
        x.flat[::3] = 0.0
    return rng.standard_normal(shape), x, slope


def _leaky(gy, x, slope):
    return autograd(lambda t: F.leaky_relu(t, slope), gy, x)[0]


LEAKY = Exercise(
    name="leaky_relu_backward",
    signature="(gy, x, negative_slope)",
    returns=("gx",),
    notebook=NB,
    teaches="a leaky unit passes a * gy where its input is negative, so it can never die for good",
    doc="""y = x where x > 0, negative_slope * x elsewhere (x = 0
    included, as PyTorch); gy = dL/dy.
    Return gx = dL/dx, of x's shape.""",
    make=_make_leaky,
    expected=_leaky,
    cases=[
        Case(1000, dict(shape=(4, 6), slope=0.01, values="normal")),
        Case(1001, dict(shape=(2, 3, 4, 4), slope=0.2, values="normal")),
        Case(1002, dict(shape=(1, 10), slope=0.25, values="normal")),
        Case(1003, dict(shape=(3, 5), slope=0.1, values="integers")),
    ],
    mistakes=[
        Mistake(
            "the slope is on the wrong side: y = x for x > 0, so gx = gy there, and gx = "
            "negative_slope * gy where x <= 0",
            lambda gy, x, a: gy * np.where(x > 0, a, 1.0),
        ),
        Mistake(
            "the slope was forgotten: that is ReLU's backward, which passes nothing where x <= 0 "
            "(the dying ReLU); a leaky unit passes negative_slope * gy there",
            lambda gy, x, a: gy * (x > 0),
        ),
        Mistake(NO_GY, lambda gy, x, a: np.where(x > 0, 1.0, a)),
        Mistake(
            "at x = 0 the derivative is the negative slope (PyTorch's convention: x > 0 is the "
            "positive side, not x >= 0)",
            lambda gy, x, a: gy * np.where(x >= 0, 1.0, a),
        ),
        Mistake(
            "at x = 0 yours gives 0: the negative side is x <= 0, so there gx = negative_slope * gy "
            "(PyTorch's convention: only x > 0 is the positive side)",
            lambda gy, x, a: gy * np.where(x > 0, 1.0, np.where(x < 0, a, 0.0)),
        ),
        Mistake(
            "the negative side's derivative is the slope alone: d(a*x)/dx = a, so gx = negative_slope * "
            "gy where x <= 0, not negative_slope * x * gy",
            lambda gy, x, a: gy * np.where(x > 0, 1.0, a * x),
        ),
        Mistake(
            "the chain rule holds on the negative side too: gx = negative_slope * gy where x <= 0, "
            "not negative_slope alone",
            lambda gy, x, a: np.where(x > 0, gy, a),
        ),
    ],
)


# --- DropConnect's training forward ------------------------------------------------------------


def _make_dropconnect(rng, N, D, O, p, ties=False):
    x, w, b = rng.standard_normal((N, D)), rng.standard_normal((O, D)), rng.standard_normal(O)
    u = rng.random((N, O, D))
    if ties:  # some u exactly p: the keep rule's edge, which random draws never hit
        u.flat[::3] = p
    return x, w, b, p, u


def _dropconnect(x, w, b, p, u):
    return dropconnect_linear(tensor(x), tensor(w), tensor(b), p=p, mask=u >= p).numpy()


def _thinned(mask, scale, scale_bias=False):
    """y_n = (mask_n * w * scale) x_n + b (b scaled too if scale_bias): a forward with a chosen mask."""

    def wrong(x, w, b, p, u):
        return np.einsum("noi,ni->no", mask(u, p) * w * scale(p), x) + b * (scale(p) if scale_bias else 1)

    return wrong


DROPCONNECT = Exercise(
    name="dropconnect_forward",
    signature="(x, w, b, p, u)",
    returns=("y",),
    notebook=NB,
    teaches="DropConnect drops weights, with a fresh mask for every example (Wan et al. 2013)",
    doc="""x (N, D), w (O, D), b (O,); p: the probability of dropping a
    weight; u (N, O, D) uniform [0, 1).
    Example n keeps weight w[o, d] where u[n, o, d] >= p, scaled by
    1 / (1 - p); the bias is not dropped.
    Return y (N, O): y[n] = ((u[n] >= p) * w / (1 - p)) @ x[n] + b.""",
    make=_make_dropconnect,
    expected=_dropconnect,
    cases=[
        Case(1010, dict(N=4, D=6, O=3, p=0.5)),
        Case(1011, dict(N=1, D=5, O=4, p=0.3)),
        Case(1012, dict(N=8, D=3, O=5, p=0.8)),
        Case(1013, dict(N=3, D=7, O=2, p=0.0)),
        Case(1014, dict(N=3, D=4, O=3, p=0.25, ties=True)),
    ],
    mistakes=[
        Mistake(
            "every example used example 0's mask: Wan et al. draw one mask PER EXAMPLE, so example n "
            "sees (u[n] >= p) * w. One mask for the whole batch is nn.DropConnect's simplification",
            _thinned(lambda u, p: u[:1] >= p, lambda p: 1 / (1 - p)),
        ),
        Mistake(
            "every example used the last example's mask, as a mask left over from a loop over the "
            "examples would be: example n sees its own mask, (u[n] >= p) * w",
            _thinned(lambda u, p: u[-1:] >= p, lambda p: 1 / (1 - p)),
        ),
        Mistake(
            "the masks were averaged over the batch: every example then sees the same weights, each "
            "scaled by the share of masks that kept it. Wan et al. draw one mask PER EXAMPLE: "
            "example n sees (u[n] >= p) * w, each weight kept whole or dropped",
            _thinned(lambda u, p: (u >= p).mean(axis=0, keepdims=True), lambda p: 1 / (1 - p)),
        ),
        Mistake(
            "one mask for the whole batch, from u averaged over the examples: Wan et al. draw one "
            "mask PER EXAMPLE, so example n sees (u[n] >= p) * w, from its own u[n]",
            _thinned(lambda u, p: u.mean(axis=0, keepdims=True) >= p, lambda p: 1 / (1 - p)),
        ),
        Mistake(
            "the kept weights are not scaled: multiply them by 1 / (1 - p) so that the expected "
            "pre-activation is w @ x + b",
            _thinned(lambda u, p: u >= p, lambda p: 1.0),
        ),
        Mistake(
            "scaled by (1 - p) where it must be 1 / (1 - p): a weight kept with probability 1 - p "
            "is scaled up",
            _thinned(lambda u, p: u >= p, lambda p: 1 - p),
        ),
        Mistake(
            "keep and drop are swapped: p is the probability of DROPPING a weight, so it is kept "
            "where u >= p",
            _thinned(lambda u, p: u < p, lambda p: 1 / (1 - p)),
        ),
        Mistake(
            "the bias was scaled too: only the masked weights are scaled by 1 / (1 - p); b is added as it is",
            _thinned(lambda u, p: u >= p, lambda p: 1 / (1 - p), scale_bias=True),
        ),
        Mistake(
            "the weights with u exactly p were dropped: a weight is kept where u >= p, not u > p",
            _thinned(lambda u, p: u > p, lambda p: 1 / (1 - p)),
        ),
        Mistake(
            "scaled by 1 / p where it must be 1 / (1 - p): p is the probability of DROPPING a weight, "
            "so a weight is kept with probability 1 - p",
            _thinned(lambda u, p: u >= p, lambda p: 1 / p),
        ),
        Mistake(
            "the bias is missing: y[n] = ((u[n] >= p) * w / (1 - p)) @ x[n] + b; the bias is not "
            "dropped, but it is added",
            lambda x, w, b, p, u: _dropconnect(x, w, b, p, u) - b,
        ),
    ],
)


# --- the cost of a depthwise-separable convolution ----------------------------------------------


def _make_cost(rng, c_in, c_out, k, h, w):
    return c_in, c_out, k, h, w


def _cost(c_in, c_out, k, h, w):
    """(params, macs), each (standard, separable), as mc.summary counts them for one image."""
    state = get_state()  # building the layers draws weights: leave the caller's stream alone
    try:
        # NOTE: in a Sequential, as summary lists the modules below the root (a bare layer has no row)
        standard = nn.Sequential(nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False))
        separable = nn.Sequential(
            nn.Conv2d(c_in, c_in, k, padding=k // 2, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
        )
    finally:
        set_state(state)
    s, d = summary(standard, (c_in, h, w)), summary(separable, (c_in, h, w))
    return (s.total_params, d.total_params), (s.total_macs, d.total_macs)


def _counted(separable_weights, per_position=True, per_mac=1, bias=(0, 0)):
    """A wrong count: the separable pair's weights as given, optionally without h*w, 2 per MAC, biases."""

    def wrong(c_in, c_out, k, h, w):
        weights = (c_out * c_in * k * k, separable_weights(c_in, c_out, k))
        positions = h * w if per_position else 1
        params = (weights[0] + bias[0] * c_out, weights[1] + bias[1] * (c_in + c_out))
        return params, tuple(per_mac * n * positions for n in weights)

    return wrong


def _separable(c_in, c_out, k):
    return c_in * k * k + c_in * c_out


def _unpadded(c_in, c_out, k, h, w):
    """The multiply-adds counted on an output of (h - k + 1) x (w - k + 1), as if without padding."""
    params, _ = _cost(c_in, c_out, k, h, w)
    return params, tuple(n * (h - k + 1) * (w - k + 1) for n in params)


COST = Exercise(
    name="depthwise_separable_cost",
    signature="(c_in, c_out, k, h, w)",
    returns=("params", "macs"),
    notebook=NB,
    teaches=(
        "MobileNet's depthwise + pointwise pair costs about 1/c_out + 1/k^2 of the convolution it replaces"
    ),
    doc="""Standard: one k x k convolution from c_in to c_out channels,
    stride 1, padding k // 2, no bias, on an h x w input (so the
    output is h x w). Depthwise-separable (MobileNet): a k x k
    convolution with one filter per channel (groups = c_in), then a
    1x1 convolution from c_in to c_out, no biases.
    Return (params, macs), each a pair of ints (standard, separable);
    macs: multiply-adds for one image.""",
    make=_make_cost,
    expected=_cost,
    cases=[
        Case(1020, dict(c_in=3, c_out=16, k=3, h=8, w=8)),
        Case(1021, dict(c_in=8, c_out=8, k=5, h=7, w=9)),
        Case(1022, dict(c_in=16, c_out=32, k=1, h=4, w=4)),
        Case(1023, dict(c_in=512, c_out=512, k=3, h=14, w=14)),
    ],
    mistakes=[
        Mistake(
            "the pointwise part is missing: the depthwise k x k convolution only filters each channel "
            "on its own; the 1x1 convolution after it (c_in * c_out weights) mixes the channels",
            _counted(lambda c_in, c_out, k: c_in * k * k),
        ),
        Mistake(
            "the depthwise convolution has ONE k x k filter per channel (groups = c_in): c_in * k * k "
            "weights, not c_in * c_in * k * k",
            _counted(lambda c_in, c_out, k: c_in * (c_in * k * k + c_out)),
        ),
        Mistake(
            "biases were counted: these convolutions have none (bias=False; in MobileNet batch norm "
            "follows each)",
            _counted(_separable, bias=(1, 1)),
        ),
        Mistake(
            "each weight is used once per output position: multiply-adds = weights * h * w",
            _counted(_separable, per_position=False),
        ),
        Mistake("that is FLOPs (2 per multiply-add); count multiply-adds", _counted(_separable, per_mac=2)),
        Mistake(
            "the pointwise convolution is 1x1: c_in * c_out weights, not c_in * c_out * k * k",
            _counted(lambda c_in, c_out, k: c_in * k * k + c_in * c_out * k * k),
        ),
        Mistake(
            "padding k // 2 keeps the output h x w, so each weight is used h * w times, not "
            "(h - k + 1) * (w - k + 1)",
            _unpadded,
        ),
        Mistake(
            "return (params, macs), each a pair (standard, separable); yours is a pair per "
            "convolution, ((params, macs) of the standard, (params, macs) of the separable)",
            lambda c_in, c_out, k, h, w: tuple(zip(*_cost(c_in, c_out, k, h, w))),
        ),
    ],
)

EXERCISES = [LEAKY, DROPCONNECT, COST]
