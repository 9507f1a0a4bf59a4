"""Exercises on convolutions of later chapters: the 1x1 convolution (Network in Network,
GoogLeNet) and what a convolution costs in multiply-adds.

Expected values come from minicnn's plain-loop reference convolution and ``conv_out_size``.
"""

import numpy as np

from ..kernels.sizes import conv_out_size
from .conv import CONV_CASES, _conv
from .exercise import Case, Exercise, Mistake

# --- 1x1 convolution (Network in Network, GoogLeNet's reductions) ------------------------------


def _make_conv1x1(rng, N, C, H, W, O):
    return rng.standard_normal((N, C, H, W)), rng.standard_normal((O, C, 1, 1)), rng.standard_normal(O)


def _reshaped_without_transpose(x, w, b):
    N, C, H, W = x.shape
    O = w.shape[0]
    return (w.reshape(O, C) @ x.reshape(C, -1)).reshape(N, O, H, W) + b[None, :, None, None]


def _product_not_transposed_back(x, w, b):
    N, C, H, W = x.shape
    O = w.shape[0]
    y = w.reshape(O, C) @ x.transpose(1, 0, 2, 3).reshape(C, -1)  # (O, N*H*W), columns (n, h, w)
    return y.reshape(N, O, H, W) + b[None, :, None, None]


CONV1X1 = Exercise(
    name="conv1x1_forward",
    signature="(x, w, b)",
    returns=("y",),
    notebook="05_deeper_vgg_nin_googlenet",
    teaches="a 1x1 convolution is one matrix product over the channels at every pixel (NIN, Inception)",
    doc="""x (N, C, H, W), w (O, C, 1, 1), b (O,) -> y (N, O, H, W).
    y[n, o, h, w] = b[o] + sum_c w[o, c, 0, 0] x[n, c, h, w]. Write it as one matrix product.""",
    make=_make_conv1x1,
    expected=lambda x, w, b: _conv(x, w, b, 1, 0),
    cases=[
        Case(150, dict(N=1, C=3, H=4, W=5, O=2)),
        Case(151, dict(N=2, C=3, H=4, W=4, O=5)),
        Case(152, dict(N=3, C=8, H=2, W=3, O=4)),
    ],
    mistakes=[
        Mistake(
            "x.reshape(C, N*H*W) mixes images and channels when N > 1 (it happens to work for a "
            "batch of 1): move C to the front first, x.transpose(1, 0, 2, 3).reshape(C, -1), and "
            "transpose the product back",
            _reshaped_without_transpose,
        ),
        Mistake(
            "the product w @ x_mat has shape (O, N*H*W), its columns ordered (n, h, w): reshape it "
            "to (O, N, H, W), then transpose to (N, O, H, W). Reshaping it straight to (N, O, H, W) "
            "mixes images and channels when N > 1",
            _product_not_transposed_back,
        ),
        Mistake(
            "the bias is missing: add b[o] to every output of channel o, b[None, :, None, None]",
            lambda x, w, b: _conv(x, w, None, 1, 0),
        ),
    ],
)


# --- the cost of a convolution ------------------------------------------------------------------


def _make_macs(rng, N, C, H, W, O, k, s, p):
    return (N, C, H, W), (O, C, k, k), s, p


def _macs(x_shape, w_shape, s, p):
    N, C, H, W = x_shape
    O, _, KH, KW = w_shape
    return N * O * conv_out_size(H, KH, s, p) * conv_out_size(W, KW, s, p) * C * KH * KW


def _macs_with_output(size):
    """The count with the output's height and width from ``size(n, k, s, p)``, a wrong formula."""

    def wrong(x_shape, w_shape, s, p):
        N, C, H, W = x_shape
        O, _, KH, KW = w_shape
        return N * O * size(H, KH, s, p) * size(W, KW, s, p) * C * KH * KW

    return wrong


def _short_of(factor):
    """The count divided by ``factor(C, k)``: a factor left out; where that is None the mistake
    does not apply (raises, which the grader takes as not this mistake)."""

    def wrong(x_shape, w_shape, s, p):
        return _macs(x_shape, w_shape, s, p) // factor(x_shape[1], w_shape[2])

    return wrong


MACS = Exercise(
    name="conv2d_macs",
    signature="(x_shape, w_shape, stride, padding)",
    returns=("macs",),
    notebook="09_cpu_vs_gpu",
    teaches="a convolution's cost in multiply-adds, the figure that predicts its time",
    doc="""The number of multiply-adds of conv2d_forward (an int), bias not counted:
    every one of the N*O*OH*OW outputs is a sum of C*k*k products.""",
    make=_make_macs,
    expected=_macs,
    # a batch of 1 without padding first, then a batch, then padding: each case adds one term of the
    # count, so that a count that is off by a factor the case explains by a known mistake is told
    # apart from a coincidence (hints.py: a mistake must give the right count on the cases passed)
    cases=[CONV_CASES[2], CONV_CASES[0], CONV_CASES[1], *CONV_CASES[3:]]
    + [Case(160, dict(zip("NCHWOksp", (8, 64, 56, 56, 64, 3, 1, 1))))],
    mistakes=[
        Mistake(
            "the padding is left out of the output size: OH = (H + 2*padding - k)//stride + 1",
            _macs_with_output(lambda n, k, s, p: (n - k) // s + 1),
        ),
        Mistake(
            "the stride is left out of the output size: OH = (H + 2*padding - k)//stride + 1",
            _macs_with_output(lambda n, k, s, p: n + 2 * p - k + 1),
        ),
        Mistake(
            "the count is for one image: multiply by the batch size N",
            lambda xs, ws, s, p: _macs((1,) + tuple(xs[1:]), ws, s, p),
        ),
        Mistake(
            "the output size is OH = (H + 2*padding - k)//stride + 1, not the input's H",
            lambda xs, ws, s, p: xs[0] * ws[0] * xs[2] * xs[3] * int(np.prod(ws[1:])),
        ),
        # NOTE: where C == k a missing C and a missing k give the same count: one hint names both
        Mistake(
            "each output sums over all C input channels as well as the k*k taps",
            _short_of(lambda C, k: C if C != k else None),
        ),
        Mistake(
            "k where k*k belongs: each output is a sum over a k x k window of every channel, C*k*k products",
            _short_of(lambda C, k: k if C != k else None),
        ),
        Mistake(
            "each output is a sum of C*k*k products (every channel, a k x k window): a factor C or k "
            "is missing",
            _short_of(lambda C, k: C if C == k else None),
        ),
        Mistake(
            "the bias is an addition, not a multiply-add: each output counts C*k*k, without the bias",
            lambda xs, ws, s, p: _macs(xs, ws, s, p) // int(np.prod(ws[1:])) * (int(np.prod(ws[1:])) + 1),
        ),
        Mistake(
            "the output size rounds down, OH = (H + 2*padding - k)//stride + 1: a window that would "
            "run past the padded input is not taken",
            _macs_with_output(lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1),
        ),
        Mistake(
            "that is FLOPs (2 per multiply-add); count multiply-adds",
            lambda xs, ws, s, p: 2 * _macs(xs, ws, s, p),
        ),
    ],
)

EXERCISES = [CONV1X1, MACS]
