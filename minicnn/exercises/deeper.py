"""Exercises on chapters 5 and 7: what GoogLeNet's 1x1 reductions save in an Inception module, and
which parameters a fine-tuning step with frozen layers moves (chapter 8's saliency map is in
saliency.py).

Expected values come from minicnn's ``summary`` (the multiply-adds and output of real Inception
modules), and its ``finetune.freeze`` and ``optim.SGD`` (on parameters of a model built to the
case's names).
"""

import numpy as np

from .. import functional as F
from .. import nn, optim
from ..finetune import freeze
from ..models.googlenet import INCEPTION, Inception
from ..rng import get_state, set_state
from ..summary import summary
from ..tensor import tensor
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
):
    """A wrong count: the reductions' or the pool projection's multiply-adds left out, the reduced
    3x3 and 5x5 reading all c_in channels, the naive pool given a projection, no h*w, k where k*k
    belongs, or ``bias`` per output (1: biases counted)."""

    def wrong(c_in, h, w, c1, c3r, c3, c5r, c5, proj):
        pixels = h * w if per_pixel else 1
        k3, k5 = (9, 25) if k2 else (3, 5)
        naive = c_in * (c1 + k3 * c3 + k5 * c5 + (proj if naive_proj else 0)) + bias * (c1 + c3 + c5)
        r3, r5 = (c_in, c_in) if convs_read_c_in else (c3r, c5r)
        reduced = (
            c_in * c1
            + (c_in * (c3r + c5r) if reduction_macs else 0)
            + k3 * r3 * c3
            + k5 * r5 * c5
            + (c_in * proj if pool_macs else 0)
            + bias * (c1 + c3r + c3 + c5r + c5 + proj)
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
    doc="""An Inception module on a c_in x h x w input; every branch keeps h x w (stride 1, padding k // 2).
    Naive (Szegedy et al. 2015, Figure 2a): a 1x1 conv to c1, a 3x3 conv to c3, a 5x5 conv to c5, all
    reading the c_in channels, and a 3x3 max pool (stride 1), joined on channels.
    With reductions (Figure 2b): the 1x1 to c1; a 1x1 to c3_reduce, then the 3x3 to c3; a 1x1 to
    c5_reduce, then the 5x5 to c5; the 3x3 max pool, then a 1x1 to pool_proj.
    A conv's multiply-adds: out_channels * in_channels * k * k * h * w (biases and pooling: none).
    Return (macs, channels), two pairs of ints: macs = (naive, reduced), the module's multiply-adds for
    one image; channels = (naive, reduced), its output's channels.""",
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
        Mistake("the count overflows 32-bit integers: compute in Python ints or int64", _int32),
    ],
)


# --- one SGD step of fine-tuning, the layers up to ``until`` frozen -----------------------------

# each case's layers in the network's order: (name, the weight's shape as "conv" or "linear")
_LENET = [("conv1", "conv"), ("conv2", "conv"), ("fc1", "linear"), ("fc2", "linear"), ("fc3", "linear")]
# a Sequential's children, named by their index; the ReLUs and poolings between them have no parameters
_SEQUENTIAL = [
    ("0", "conv"),
    ("1", "conv"),
    ("4", "conv"),
    ("7", "linear"),
    ("10", "linear"),
    ("12", "linear"),
]
_RESNET = [("conv1", "conv"), ("bn1", "norm"), ("layer1.0.conv1", "conv"), ("layer1.0.bn1", "norm")]
_RESNET += [("layer2.0.conv1", "conv"), ("fc", "linear")]


def _make_finetune(rng, layers, until, lr, weight_decay):
    params = {}
    for name, kind in layers:
        a, b = (int(n) for n in rng.integers(1, 5, 2))
        shape = {"conv": (a, b, 3, 3), "linear": (a, b), "norm": (a,)}[kind]
        params[f"{name}.weight"] = rng.standard_normal(shape)
        params[f"{name}.bias"] = rng.standard_normal(shape[:1])
    grads = {name: rng.standard_normal(p.shape) for name, p in params.items()}
    return params, grads, until, lr, weight_decay


def _frozen_model(params, until):
    """A model with the case's parameters (copies), named as in params, after freeze(model, until)."""
    model = nn.Module()
    for name, value in params.items():
        *path, attr = name.split(".")
        module = model
        for part in path:
            if part not in module._modules:
                setattr(module, part, nn.Module())
            module = module._modules[part]
        setattr(module, attr, nn.Parameter(tensor(value.copy())))
    freeze(model, until)
    return model


def _finetune(params, grads, until, lr, weight_decay):
    """freeze(model, until) on a model with the case's parameters, then one step of optim.SGD on all of
    them: a frozen parameter has no gradient, and SGD skips it."""
    named = dict(_frozen_model(params, until).named_parameters())
    for name, p in named.items():
        if p.requires_grad:
            p.grad = tensor(grads[name].copy())
    optim.SGD(list(named.values()), lr=lr, weight_decay=weight_decay).step()
    return {name: p.data.copy() for name, p in named.items()}


def _should(args, key):
    """What the parameter ``key`` should do, frozen or stepped, as freeze on the case's model says."""
    params, _, until, _, _ = args
    layer = _layer(key)
    if not dict(_frozen_model(params, until).named_parameters())[key].requires_grad:
        return f"{key} should not change: it is frozen (layer {layer!r} is at or before until, {until!r})"
    return f"{key} should take the SGD step (layer {layer!r} comes after until, {until!r})"


def _stepped(frozen, decay_frozen=False, decay=True):
    """One SGD step with ``frozen(names, until)`` -> the frozen names; frozen ones decayed if asked,
    no weight decay at all if ``decay`` is False."""

    def wrong(params, grads, until, lr, weight_decay):
        still, weight_decay = frozen(list(params), until), weight_decay if decay else 0.0
        new = {}
        for name, p in params.items():
            g = np.zeros_like(p) if name in still else grads[name]
            moves = name not in still or decay_frozen
            new[name] = p - lr * (g + weight_decay * p) if moves else p.copy()
        return new

    return wrong


def _layer(name):
    return name.split(".")[0]


def _up_to(names, until, including=True):
    layers = list(dict.fromkeys(_layer(n) for n in names))
    last = layers.index(until) + (1 if including else 0)
    return set(layers[:last])


def _frozen(names, until):
    return {n for n in names if _layer(n) in _up_to(names, until)}


FINETUNE = Exercise(
    name="finetune_sgd_step",
    signature="(params, grads, until, lr, weight_decay)",
    returns=("new_params",),
    notebook="07_finetuning_and_deep_features",
    teaches=(
        "a frozen layer does not move at all, not even by weight decay; the layers after it take "
        "their SGD step"
    ),
    doc="""params, grads: dicts name -> array in the network's order, as model.named_parameters() lists
    them; grads holds every parameter's gradient from a backward pass through the whole network.
    A parameter's layer is its name up to the first "." ("conv1" of "conv1.weight", "10" of "10.bias",
    "layer1" of "layer1.0.conv1.weight"). Freeze every layer up to and including the layer until, as
    minicnn.finetune.freeze(model, until) does: a frozen parameter has no gradient, and SGD leaves it
    as it is. until is always the layer of some parameter in params (freeze on a model also takes a
    layer without parameters, such as a ReLU, which params do not list). Every other parameter takes
    one step of SGD: p - lr * (g + weight_decay * p).
    Return new_params: a new dict with every parameter, the frozen ones included.""",
    make=_make_finetune,
    expected=_finetune,
    cases=[
        Case(1060, dict(layers=_LENET, until="conv2", lr=0.1, weight_decay=0.0)),
        Case(1061, dict(layers=_LENET, until="fc1", lr=0.05, weight_decay=0.01)),
        Case(1062, dict(layers=_SEQUENTIAL, until="1", lr=0.1, weight_decay=0.001)),
        Case(1063, dict(layers=_RESNET, until="layer1", lr=0.01, weight_decay=0.0005)),
        Case(1064, dict(layers=_LENET, until="fc3", lr=0.1, weight_decay=0.01)),
    ],
    mistakes=[
        Mistake(
            "the layer until itself was trained: freeze(model, until) freezes the layers up to AND "
            "including until",
            _stepped(lambda names, until: {n for n in names if _layer(n) in _up_to(names, until, False)}),
        ),
        Mistake(
            "every parameter took its step: the layers up to and including until are frozen, and "
            "stay as they are",
            _stepped(lambda names, until: set()),
        ),
        Mistake(
            "weight decay moved the frozen parameters: a frozen parameter has no gradient, and SGD "
            "skips it, weight decay included (p - lr * weight_decay * p shrinks it)",
            _stepped(_frozen, decay_frozen=True),
        ),
        Mistake(
            "only the first parameter of until was frozen: its bias (every parameter whose layer is "
            "until) is frozen with it",
            _stepped(lambda names, until: set(names[: 1 + [_layer(n) for n in names].index(until)])),
        ),
        Mistake(
            'a name was matched with startswith: "10.weight".startswith("1") is True, but layer 10 comes '
            'after layer 1. Compare the layer, the name up to the first ".", with ==',
            _stepped(lambda names, until: {n for n in names if n.startswith(tuple(_up_to(names, until)))}),
        ),
        Mistake(
            "only the layer until was frozen: every layer before it is frozen too, up to and including until",
            _stepped(lambda names, until: {n for n in names if _layer(n) == until}),
        ),
        Mistake(
            "weight decay was left out of the step: p - lr * (g + weight_decay * p) for every parameter "
            "that is not frozen",
            _stepped(_frozen, decay=False),
        ),
    ],
    explain=_should,
)


EXERCISES = [INCEPTION_COST, FINETUNE]
