"""The exercise on chapter 7's fine-tuning: which parameters one SGD step moves when the layers up to
``until`` are frozen, weight decay included.

Expected values come from minicnn's ``finetune.freeze`` and ``optim.SGD``, on parameters of a model
built to the case's names.
"""

import numpy as np

from .. import nn, optim
from ..finetune import freeze
from ..tensor import tensor
from .exercise import Case, Exercise, Mistake

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


def _sgd(p, g, lr, weight_decay):
    return p - lr * (g + weight_decay * p)


def _stepped(frozen, decay_frozen=False, step=_sgd):
    """One SGD step with ``frozen(names, until)`` -> the frozen names, each other parameter moved by
    ``step(p, g, lr, weight_decay)``; frozen ones decayed (with no gradient) if asked."""

    def wrong(params, grads, until, lr, weight_decay):
        still, new = frozen(list(params), until), {}
        for name, p in params.items():
            g = np.zeros_like(p) if name in still else grads[name]
            moves = name not in still or decay_frozen
            new[name] = step(p, g, lr, weight_decay) if moves else p.copy()
        return new

    return wrong


def _layer(name):
    return name.split(".")[0]


def _up_to(names, until, including=True):
    layers = list(dict.fromkeys(_layer(n) for n in names))
    last = layers.index(until) + (1 if including else 0)
    return set(layers[:last])


def _frozen(names, until):
    return _frozen_up_to(names, until)


def _frozen_up_to(names, until, including=True):
    return {n for n in names if _layer(n) in _up_to(names, until, including)}


FINETUNE = Exercise(
    name="finetune_sgd_step",
    signature="(params, grads, until, lr, weight_decay)",
    returns=("new_params",),
    notebook="07_finetuning_and_deep_features",
    teaches=(
        "a frozen layer does not move at all, not even by weight decay; the layers after it take "
        "their SGD step"
    ),
    doc="""params, grads: dicts name -> array in the network's order, as
    model.named_parameters() lists them; grads holds every parameter's
    gradient from a backward pass through the whole network.
    A parameter's layer is its name up to the first "." ("conv1" of
    "conv1.weight", "10" of "10.bias", "layer1" of
    "layer1.0.conv1.weight"). Freeze every layer up to and including
    the layer until, as minicnn.finetune.freeze(model, until) does: a
    frozen parameter has no gradient, and SGD leaves it as it is.
    until is always the layer of some parameter in params (freeze on a
    model also takes a layer without parameters, such as a ReLU, which
    params do not list). Every other parameter takes one step of SGD:
    p - lr * (g + weight_decay * p).
    Return new_params: a new dict with every parameter, the
    frozen ones included.""",
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
            _stepped(_frozen, step=lambda p, g, lr, weight_decay: p - lr * g),
        ),
        Mistake(
            "weight decay has the wrong sign: it pulls each weight toward 0, "
            "p - lr * (g + weight_decay * p); with - weight_decay * p it pushes the weights away from 0",
            _stepped(_frozen, step=lambda p, g, lr, weight_decay: p - lr * (g - weight_decay * p)),
        ),
        Mistake(
            "weight decay was added outside the learning rate: lr scales it too, p - lr * (g + weight_decay "
            "* p), so each step shrinks p by lr * weight_decay * p, not by weight_decay * p",
            _stepped(_frozen, step=lambda p, g, lr, weight_decay: p - lr * g - weight_decay * p),
        ),
        *(
            Mistake(
                "the wrong end of the network was frozen: freeze(model, until) freezes the first layers, "
                "up to and including until, and the layers after until take their SGD step",
                _stepped(
                    lambda names, until, including=including: (
                        set(names) - _frozen_up_to(names, until, including)
                    )
                ),
            )
            for including in (True, False)
        ),
    ],
    explain=_should,
)


EXERCISES = [FINETUNE]
