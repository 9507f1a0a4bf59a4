"""The exercise on chapter 5's GoogLeNet: what the 1x1 reductions save in an Inception module
(chapter 7's fine-tuning step is in finetuning.py, chapter 8's saliency map in saliency.py).

Expected values come from minicnn's ``summary``: the multiply-adds and output of real Inception
modules.
"""

from .. import functional as F
from .. import nn
from ..models.googlenet import INCEPTION, Inception
from ..rng import get_state, set_state
from ..summary import summary
from .exercise import Case, Exercise, Mistake

# --- the cost of an Inception module, with and without its 1x1 reductions ----------------------


class _NaiveInception(nn.Module):
    """Szegedy et al. 2015, Figure 2(a): 1x1, 3x3 and 5x5 convolutions and a 3x3 max pool, side by side."""

    def __init__(self, c_in, c1, c3, c5):
        super().__init__()
        self.branch1 = nn.Conv2d(c_in, c1, 1)
        self.branch2 = nn.Conv2d(c_in, c3, 3, padding=1)
        self.branch3 = nn.Conv2d(c_in, c5, 5, padding=2)
        self.branch4 = nn.MaxPool2d(3, 1, padding=1)

    def forward(self, x):
        branches = [F.relu(self.branch1(x)), F.relu(self.branch2(x)), F.relu(self.branch3(x))]
        return F.cat([*branches, self.branch4(x)], dim=1)


def _make_inception(rng, h, w, paper=None):
    """Table 1's module ``paper`` on its own input size, or widths drawn from the case's seed."""
    if paper is not None:
        return (INCEPTION[paper][0], h, w, *INCEPTION[paper][1:])
    c_in, c1, c3r, c3, c5r, c5, proj = (int(n) for n in rng.integers(1, 33, 7))
    return c_in, h, w, c1, c3r, c3, c5r, c5, proj


def _inception(c_in, h, w, c1, c3r, c3, c5r, c5, proj, pixel=True):
    """(macs, channels), each (naive, reduced), as mc.summary counts them for one image: on one pixel
    of input, times h * w (``pixel=False``: on the whole c_in x h x w input)."""
    state = get_state()  # building the layers draws weights: leave the caller's stream alone
    try:
        naive = _NaiveInception(c_in, c1, c3, c5)
        reduced = Inception(c_in, c1, c3r, c3, c5r, c5, proj, batch_norm=False)
    finally:
        set_state(state)
    # NOTE: every branch keeps h x w, and summary counts each output pixel alike: one pixel's count
    # times h * w is the whole input's, without a forward pass over billions of multiply-adds
    size, times = ((1, 1), h * w) if pixel else ((h, w), 1)
    a, b = summary(naive, (c_in, *size)), summary(reduced, (c_in, *size))
    return (a.total_macs * times, b.total_macs * times), (a.output.shape[1], b.output.shape[1])


def _counted(
    reduction_macs=True,
    pool_macs=True,
    convs_read_c_in=False,
    naive_proj=False,
    per_pixel=True,
    k2=True,
    bias=0,
    pools=(0, 0),
):
    """A wrong count: the reductions' or the pool projection's multiply-adds left out, the reduced
    3x3 and 5x5 reading all c_in channels, the naive pool given a projection, no h*w, k where k*k
    belongs, ``bias`` per output (1: biases counted), or ``pools`` (naive, reduced) multiply-adds per
    channel given to the max pool (9: one per value of its 3x3 window)."""

    def wrong(c_in, h, w, c1, c3r, c3, c5r, c5, proj):
        pixels = h * w if per_pixel else 1
        k3, k5 = (9, 25) if k2 else (3, 5)
        naive = c_in * (c1 + k3 * c3 + k5 * c5 + (proj if naive_proj else 0) + pools[0])
        naive += bias * (c1 + c3 + c5)
        r3, r5 = (c_in, c_in) if convs_read_c_in else (c3r, c5r)
        reduced = (
            c_in * c1
            + (c_in * (c3r + c5r) if reduction_macs else 0)
            + k3 * r3 * c3
            + k5 * r5 * c5
            + (c_in * proj if pool_macs else 0)
            + bias * (c1 + c3r + c3 + c5r + c5 + proj)
            + pools[1] * c_in
        )
        last = proj if naive_proj else c_in
        return (naive * pixels, reduced * pixels), (c1 + c3 + c5 + last, c1 + c3 + c5 + proj)

    return wrong


def _channels(naive_last):
    """The right multiply-adds, with the naive module's last branch giving ``naive_last(c_in, proj)``."""

    def wrong(c_in, h, w, c1, c3r, c3, c5r, c5, proj):
        macs, (_, reduced) = _counted()(c_in, h, w, c1, c3r, c3, c5r, c5, proj)
        return macs, (c1 + c3 + c5 + naive_last(c_in, proj), reduced)

    return wrong


def _int32(*args):
    """The right counts as int32 arithmetic leaves them: wrapped around past 2**31 - 1."""
    (naive, reduced), channels = _inception(*args)
    return tuple((n + 2**31) % 2**32 - 2**31 for n in (naive, reduced)), channels


def _swapped(macs=True, channels=False):
    """The right counts with naive and reduced swapped in ``macs``, in ``channels``, or in both."""

    def wrong(*args):
        (naive, reduced), (c_naive, c_reduced) = _inception(*args)
        macs_pair = (reduced, naive) if macs else (naive, reduced)
        return macs_pair, (c_reduced, c_naive) if channels else (c_naive, c_reduced)

    return wrong


def _flops(*args):
    macs, channels = _inception(*args)
    return tuple(2 * n for n in macs), channels


INCEPTION_COST = Exercise(
    name="inception_cost",
    signature="(c_in, h, w, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)",
    returns=("macs", "channels"),
    notebook="05_deeper_vgg_nin_googlenet",
    teaches=(
        "GoogLeNet's 1x1 reductions: the same four branches for a fraction of the multiply-adds, "
        "and fewer channels for the next module to read"
    ),
    doc="""An Inception module on a c_in x h x w input; every branch keeps
    h x w (stride 1, padding k // 2).
    Naive (Szegedy et al. 2015, Figure 2a): a 1x1 conv to c1, a 3x3
    conv to c3, a 5x5 conv to c5, all reading the c_in channels, and a
    3x3 max pool (stride 1), joined on channels.
    With reductions (Figure 2b): the 1x1 to c1; a 1x1 to c3_reduce,
    then the 3x3 to c3; a 1x1 to c5_reduce, then the 5x5 to c5; the
    3x3 max pool, then a 1x1 to pool_proj.
    A conv's multiply-adds: out_channels * in_channels * k * k * h * w
    (biases and pooling: none).
    Return (macs, channels), two pairs of ints:
    macs = (naive, reduced), the module's multiply-adds for one image;
    channels = (naive, reduced), its output's channels.""",
    make=_make_inception,
    expected=_inception,
    cases=[
        Case(1050, dict(h=28, w=28, paper="3a")),  # Table 1's widths on their own input size
        Case(1051, dict(h=5, w=7)),
        Case(1052, dict(h=1, w=1)),
        Case(1053, dict(h=14, w=14, paper="4e")),
        # 3a on a whole 224x224 image: past 2**31 multiply-adds, which int32 arithmetic wraps around
        Case(1054, dict(h=224, w=224, paper="3a")),
    ],
    mistakes=[
        Mistake(
            "the naive module's pooling branch is missing from its channels: max pooling keeps all "
            "c_in channels, and the module passes them on (c1 + c3 + c5 + c_in), which makes the next "
            "module dearer still",
            _channels(lambda c_in, proj: 0),
        ),
        Mistake(
            "the naive module (Figure 2a) has no 1x1 projection after its pooling: its pooling branch "
            "passes the c_in channels on, and costs no multiply-adds",
            _counted(naive_proj=True),
        ),
        *(
            Mistake(
                "the max pool was given multiply-adds: it takes the largest of each 3x3 window's 9 values, "
                "with no weights to multiply, and costs none; count the convolutions alone",
                _counted(pools=pools),
            )
            for pools in ((9, 9), (9, 0))
        ),
        Mistake(
            "the 1x1 reductions cost multiply-adds too: (c3_reduce + c5_reduce) * c_in per pixel",
            _counted(reduction_macs=False),
        ),
        Mistake(
            "the pooling branch's 1x1 projection (pool_proj * c_in per pixel) is left out of the "
            "reduced count",
            _counted(pool_macs=False),
        ),
        Mistake(
            "after the reductions, the 3x3 conv reads c3_reduce channels and the 5x5 reads c5_reduce, "
            "not c_in: reading fewer channels is what the reduction is for",
            _counted(convs_read_c_in=True),
        ),
        Mistake(
            "each weight is used once per output pixel: multiply-adds = weights * h * w",
            _counted(per_pixel=False),
        ),
        Mistake(
            "that is FLOPs (2 per multiply-add); count multiply-adds",
            _flops,
        ),
        Mistake(
            "a k x k kernel has k * k weights for each pair of channels: 9 for a 3x3, 25 for a 5x5",
            _counted(k2=False),
        ),
        Mistake(
            "the biases were counted: a conv's multiply-adds have no term for its bias", _counted(bias=1)
        ),
        Mistake(
            "the pairs were grouped by module: return (macs, channels), with macs = (naive, reduced) "
            "and channels = (naive, reduced)",
            lambda *args: tuple(zip(*_counted()(*args))),
        ),
        *(
            Mistake(
                "naive and reduced were swapped: each pair is (naive, reduced), the module without the "
                "1x1 reductions (Figure 2a) first, the one with them (Figure 2b) second",
                _swapped(macs, channels),
            )
            for macs, channels in ((True, False), (True, True), (False, True))
        ),
        Mistake("the count overflows 32-bit integers: compute in Python ints or int64", _int32),
    ],
)


EXERCISES = [INCEPTION_COST]
