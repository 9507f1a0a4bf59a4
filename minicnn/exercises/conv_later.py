"""Exercises on convolutions of later chapters: the receptive field of a stack (VGG), the 1x1
convolution (Network in Network, GoogLeNet) and what a convolution costs in multiply-adds.

Expected values come from minicnn's plain-loop reference convolution and ``conv_out_size``; the
receptive field's from its recurrence, which tests/exercises/test_receptive_field.py measures on
minicnn's autograd for every case.
"""

import numpy as np

from ..kernels.sizes import conv_out_size
from .conv import CONV_CASES, _conv
from .exercise import Case, Exercise, Mistake

# --- the receptive field of a stack of layers (VGG's 3x3 stacks) --------------------------------

# (kernel_size, stride) of each layer from the input up, a pooling window entered as a conv's
VGG16 = [(3, 1), (3, 1), (2, 2)] * 2 + [(3, 1), (3, 1), (3, 1), (2, 2)] * 3  # Table 1, D: 13 convs, 5 pools
ALEXNET = [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)]  # conv1 to pool5
LENET5 = [(5, 1), (2, 2), (5, 1), (2, 2)]  # C1, S2, C3, S4


def _make_receptive(rng, layers=None, depth=None):
    """The case's stack, or ``depth`` layers drawn from the seed: kernels 1 to 7 and strides 1 to 3,
    so that a stride may pass its kernel (a 1x1 conv of stride 2, as ResNet's projection shortcut)."""
    if layers is None:
        layers = zip(rng.integers(1, 8, depth), rng.integers(1, 4, depth))
    return ([(int(k), int(s)) for k, s in layers],)


def _receptive(layers, jump_first=False, jump=lambda j, s: j * s, r0=1):
    """(r, j) by the recurrence; the options give the known mistakes: the jump updated before r
    (``jump_first``), the jumps combined another way (``jump``), r started elsewhere (``r0``)."""
    r, j = r0, 1
    for k, s in layers:
        if jump_first:
            j = jump(j, s)
        r += (k - 1) * j
        if not jump_first:
            j = jump(j, s)
    return r, j


def _strides_product(layers):
    return int(np.prod([s for _, s in layers], dtype=np.int64))


def _top_down_from_the_input(layers):
    """r = s * r + (k - s), the recurrence that runs from the last layer down (a field in units of
    layer l, r_l, becomes one in units of layer l - 1), run over the layers from the input up."""
    r = 1
    for k, s in layers:
        r = s * r + (k - s)
    return r, _strides_product(layers)


RECEPTIVE = Exercise(
    name="receptive_field",
    signature="(layers)",
    returns=("r", "j"),
    notebook="05_deeper_vgg_nin_googlenet",
    teaches=(
        "VGG's argument: two stacked 3x3 convolutions see 5x5 and three see 7x7; each stride "
        "multiplies what the layers after it add"
    ),
    doc="""layers: a list of (kernel_size, stride) pairs of ints, one per
    layer from the input up; a convolution and a pooling window alike
    (each output unit reads k neighbouring units of the layer below
    it, and neighbouring outputs are s units of it apart). Padding
    moves a field, not its size, for a unit whose field lies inside
    the image (at the border, part of it falls on the padding).
    Return (r, j), two ints, along one axis (a square kernel's
    field is r x r):
    r, the receptive field of one unit of the last layer: how many
    input pixels it spans;
    j, the jump: how many input pixels apart neighbouring units of
    the last layer are.
    The input is its own layer 0, r_0 = 1 and j_0 = 1; layer
    l adds k_l - 1 units of layer l - 1, which are j_{l-1}
    input pixels apart:
        r_l = r_{l-1} + (k_l - 1) * j_{l-1},    j_l = j_{l-1} * s_l,
    so that r = 1 + sum_l (k_l - 1) * s_1 * ... * s_{l-1} and
    j = s_1 * ... * s_L (Araujo, Norris and Sim 2019, "Computing
    receptive fields of convolutional neural networks", Distill).
    No layers: r = 1, j = 1. No dilation either, as none of the
    chapter's nets use it: a k x k kernel dilated by d spans
    d * (k - 1) + 1 pixels, and enters as a kernel of that size.""",
    make=_make_receptive,
    expected=_receptive,
    # stride 1 first, where a jump carried by multiplying stays 1 wherever it is updated (one carried
    # by adding, j + s, is 2 after the first layer and is caught there); then a stride-2 pool last,
    # then layers after a stride: each case tells one more known mistake from the right answer
    cases=[
        Case(170, dict(layers=[(3, 1), (3, 1)])),  # VGG: two 3x3 convs see 5x5
        Case(171, dict(layers=[(3, 1)] * 3)),  # and three see 7x7
        Case(172, dict(layers=VGG16[:3])),  # VGG-16's first stage, with its 2x2 max pool of stride 2
        Case(173, dict(layers=VGG16)),
        Case(174, dict(layers=ALEXNET)),
        Case(175, dict(layers=LENET5)),
        Case(176, dict(depth=5)),
        Case(177, dict(layers=[])),  # the input itself: one pixel, one pixel apart
    ],
    mistakes=[
        Mistake(
            "the jump was updated before r: layer l's k - 1 extra units are units of the layer below "
            "it, j_{l-1} input pixels apart; its own stride spaces its outputs, which only the layers "
            "after it read. Add (k - 1) * j first, then j *= s",
            lambda layers: _receptive(layers, jump_first=True),
        ),
        Mistake(
            "r is not the sum of the kernel sizes: neighbouring windows overlap, and each layer adds "
            "k - 1 units (two 3x3 layers see 5x5, not 6x6), times the jump, to r_0 = 1",
            lambda layers: (sum(k for k, _ in layers), _strides_product(layers)),
        ),
        Mistake(
            "the jump is missing from r: 1 + sum of (k - 1) holds only while every stride is 1. After "
            "a layer of stride s, each unit is s units of the layer below apart, so the layers after "
            "it add (k - 1) * j, j the product of the strides before them",
            lambda layers: (1 + sum(k - 1 for k, _ in layers), _strides_product(layers)),
        ),
        Mistake(
            "the strides were added: the jump is their product, j *= s. A layer of stride s puts its "
            "units s units of the layer below apart, and those are j input pixels apart",
            lambda layers: _receptive(layers, jump=lambda j, s: j + s),
        ),
        Mistake(
            "j is the sum of the strides: the jump is their product, j *= s. A layer of stride s puts "
            "its units s units of the layer below apart, and those are j input pixels apart",
            lambda layers: (_receptive(layers)[0], sum(s for _, s in layers)),
        ),
        Mistake(
            "r starts at 1, not 0: with no layers, one input pixel sees itself (r_0 = 1); each layer "
            "then adds (k - 1) * j",
            lambda layers: _receptive(layers, r0=0),
        ),
        Mistake(
            "the top-down recurrence r = s*r + (k - s) was run from the input up: it turns a field in "
            "units of layer l into one in units of layer l - 1, so it runs from the last layer down, "
            "from r = 1: iterate reversed(layers), or go bottom-up with r += (k - 1) * j",
            _top_down_from_the_input,
        ),
        Mistake(
            "the pair is (r, j) in that order: the receptive field first, then the jump",
            lambda layers: _receptive(layers)[::-1],
        ),
        Mistake(
            "the jump is the previous layer's stride alone: j is the product of every stride so far, "
            "j *= s. Two layers of stride 2 put the units of the second 4 input pixels apart",
            lambda layers: _receptive(layers, jump=lambda j, s: s),
        ),
    ],
)


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
    y[n, o, h, w] = b[o] + sum_c w[o, c, 0, 0] x[n, c, h, w]. Write it
    as one matrix product.""",
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
    doc="""The number of multiply-adds of conv2d_forward (an int),
    bias not counted:
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

EXERCISES = [RECEPTIVE, CONV1X1, MACS]
