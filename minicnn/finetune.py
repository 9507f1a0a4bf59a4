"""Reusing a trained network: deep features, a new head, frozen layers.

    features, labels = extract_features(backbone, loader, layer="avgpool")
    replace_head(model, num_classes=5)          # a fresh last layer for the new task
    freeze(model, until="layer3")               # train only what comes after layer3

These work on every model of the zoo: the head is the last ``Linear``
(``fc``, ``classifier.6``, LeNet's ``output``) or, for NIN, which has none,
its last 1x1 ``Conv2d`` (one map per class before global average pooling).
"""

import numbers

import numpy as np

from . import nn
from .data.dataset import as_labels
from .nn.modes import eval_mode
from .tensor import no_grad


def _module_names(model):
    return [name for name, _ in model.named_modules() if name]


def extract_features(model, loader, layer="avgpool"):
    """The output of ``layer`` for every batch of ``loader``, flattened per image.

    A forward hook captures the layer's output (eval mode, no graph); the rest
    of the forward pass still runs. Returns (features (N, D) float32 array,
    labels (N,) array: int64 class indices, or float32 targets, as the DataLoader gives them).
    """
    modules = dict(model.named_modules())
    if layer not in modules or not layer:
        raise ValueError(
            f"extract_features: the model has no module named {layer!r}; "
            f"its modules are {', '.join(_module_names(model))}"
        )
    captured = []
    handle = modules[layer].register_forward_hook(lambda m, i, o: captured.append(o.numpy()))
    features, labels = [], []
    try:
        with eval_mode(model), no_grad():
            for x, y in loader:
                model(x)
                out = captured.pop()
                features.append(out.reshape(len(out), -1))
                labels.append(y.numpy() if hasattr(y, "numpy") else np.asarray(y))
    finally:
        handle.remove()
    return np.concatenate(features), as_labels(np.concatenate(labels), "extract_features")


def _head(model):
    """(parent module, attribute name, layer) of the model's last Linear, else its last Conv2d."""
    found = {}
    for name, module in model.named_modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)) and name:
            found[type(module).__name__] = name
    name = found.get("Linear") or found.get("Conv2d")
    if name is None:
        raise ValueError(f"replace_head: {type(model).__name__} has no Linear or Conv2d layer")
    parent_name, _, attr = name.rpartition(".")
    parent = model.get_submodule(parent_name)
    return parent, attr, parent._modules[attr]


def replace_head(model, num_classes):
    """Swap the last classifying layer for a freshly initialised one with ``num_classes`` outputs.

    Linear(in, old) -> Linear(in, num_classes); NIN's last Conv2d(in, old, k)
    -> Conv2d(in, num_classes, k) with the same stride and padding.
    The new layer's parameters require gradients. Returns the model.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"replace_head: num_classes must be a positive int, got {num_classes!r}")
    num_classes = int(num_classes)
    parent, attr, old = _head(model)
    if isinstance(old, nn.Linear):
        new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
    else:
        new = nn.Conv2d(
            old.in_channels,
            num_classes,
            old.kernel_size,
            stride=old.stride,
            padding=old.padding,
            bias=old.bias is not None,
        )
    new.to(old.weight.device, old.weight.dtype)
    setattr(parent, attr, new)  # same slot: a Sequential keeps its order
    return model


def freeze(model, until=None):
    """Stop gradients for the top-level children up to and including ``until`` (all if None).

    ``freeze(resnet, until="layer3")`` freezes conv1, bn1, layer1..layer3 and
    leaves layer4 and fc trainable. BatchNorm layers still update their running
    statistics in train mode; call ``.eval()`` on them to keep those fixed too (``fit``,
    ``evaluate`` and ``predict`` give each module its own mode back, so they stay frozen).
    Returns the names of the frozen children.
    """
    children = [name for name, _ in model.named_children()]
    if isinstance(until, int) and not isinstance(until, bool):
        until = str(until)  # a Sequential's children are named "0", "1", ...
    if until is not None and until not in children:
        raise ValueError(
            f"freeze: {type(model).__name__} has no top-level child {until!r}; "
            f"its children are {', '.join(children)}"
        )
    frozen = []
    for name, child in model.named_children():
        child.requires_grad_(False)
        frozen.append(name)
        if name == until:
            break
    return frozen
