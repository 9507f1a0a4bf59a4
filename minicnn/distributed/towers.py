"""Model parallelism as AlexNet did it: the network split in two towers, one per GPU.

Krizhevsky et al. (2012, section 3.2 and Figure 2) trained on two 3 GB GPUs by
putting half of each layer's kernels on each: conv2, conv4 and conv5 read only
the maps of their own GPU (in one process: ``groups=2``), while conv3 and the
fully connected layers read both, so activations cross between the GPUs there.

``split_towers(model, devices)`` turns the grouped one-device AlexNet into that
explicit two-tower module, its weights the grouped model's halves, each tower
on its own device, giving the same logits and gradients in eval mode (in
training, each tower's dropout draws its own masks, not the grouped model's).

One difference from the paper: its LRN normalized within each GPU's maps,
while the grouped model's LRN window (5 maps) runs across the middle of the
channels. To compute exactly what the grouped model computes, the towers trade
a halo of the 2 boundary maps before each LRN.

Devices are "cpu", "cuda" or "cuda:N". minicnn does not place arrays on a
chosen GPU yet: "cuda:0" and "cuda:1" both mean the current GPU, so on one
machine everything lands on the same device (the split is still exact).
"""

import copy

import numpy as np

from .. import nn, rng
from ..backend import normalize_device
from ..functional import cat
from ..nn.module import Module
from ..nn.parameter import Parameter

_PER_TOWER = (nn.ReLU, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.Dropout, nn.Flatten, nn.Identity)


class TowerPair(Module):
    """One layer in two halves: ``tower0`` on devices[0], ``tower1`` on devices[1].

    kind "each": each tower reads its own half; "gather": each reads both halves
    (the paper's cross-GPU connections); "halo": LRN with the neighbours' edge maps.
    Input and output are a pair of Tensors (or one whole Tensor before the split).
    """

    def __init__(self, kind, tower0, tower1, devices, halo=(0, 0)):
        super().__init__()
        self.kind, self.devices, self.halo = kind, tuple(devices), halo
        self.tower0, self.tower1 = tower0.to(devices[0]), tower1.to(devices[1])

    def forward(self, h):
        d0, d1 = self.devices
        if not isinstance(h, tuple):  # the input image: both towers read all of it
            return self.tower0(h.to(d0)), self.tower1(h.to(d1))
        h0, h1 = h
        if self.kind == "each":
            return self.tower0(h0), self.tower1(h1)
        if self.kind == "gather":
            return (self.tower0(cat([h0, h1.to(d0)], dim=1)), self.tower1(cat([h0.to(d1), h1], dim=1)))
        before, after = self.halo  # LRN at map c reads maps c - before .. c + after
        y0 = self.tower0(cat([h0, h1[:, :after].to(d0)], dim=1))
        y1 = self.tower1(cat([h0[:, h0.shape[1] - before :].to(d1), h1], dim=1))
        return y0[:, : h0.shape[1]], y1[:, y1.shape[1] - h1.shape[1] :]

    def extra_repr(self):
        return f"{self.kind}, devices={self.devices}"


class TwoTowerNet(Module):
    """``stages`` (TowerPairs), then ``head``, the last layer, on devices[0] reading both towers."""

    def __init__(self, stages, head, devices, names):
        super().__init__()
        self.stages = nn.ModuleList(stages)
        self.head = head.to(devices[0])
        self.devices = tuple(devices)
        self._grouped = names  # grouped model's parameter name -> its pieces in order

    def forward(self, x):
        h = x
        for stage in self.stages:
            h = stage(h)
        h0, h1 = h
        return self.head(cat([h0, h1.to(self.devices[0])], dim=1))

    def grouped_state_dict(self):
        """The parameters as the grouped model names and shapes them (halves joined), NumPy."""
        return {name: np.concatenate([p.numpy() for p in parts]) for name, parts in self._grouped.items()}

    def grouped_grads(self):
        """The gradients in the grouped model's layout (None where a part has none)."""
        return {
            name: None
            if any(p.grad is None for p in parts)
            else np.concatenate([p.grad.numpy() for p in parts])
            for name, parts in self._grouped.items()
        }


def _param(array):
    return Parameter(np.array(array, copy=True))


def _halves(layer, label):
    """Two copies of a Conv2d/Linear, each with half of the output rows; groups=2 convs
    also keep only their own group's inputs. Returns (kind, half0, half1)."""
    out = layer.weight.shape[0]
    if out % 2:
        raise ValueError(f"split_towers: {label} has {out} outputs, which do not split in two")
    if isinstance(layer, nn.Conv2d):
        if layer.groups not in (1, 2):
            raise ValueError(
                f"split_towers: {label} has groups={layer.groups}; a tower "
                "split takes groups=1 (reads both towers) or 2 (one each)"
            )
        kind = "each" if layer.groups == 2 else "gather"
        inputs = layer.weight.shape[1]  # in_channels // groups: the half, or all
        make = lambda: nn.Conv2d(
            inputs,
            out // 2,
            layer.kernel_size,
            layer.stride,  # noqa: E731
            layer.padding,
            layer.dilation,
            bias=layer.bias is not None,
            dtype=layer.weight.dtype,
        )
    else:
        kind = "gather"
        make = lambda: nn.Linear(
            layer.weight.shape[1],
            out // 2,  # noqa: E731
            bias=layer.bias is not None,
            dtype=layer.weight.dtype,
        )
    halves = []
    for t in (0, 1):
        half, rows = make(), slice(t * out // 2, (t + 1) * out // 2)
        half.weight = _param(layer.weight.numpy()[rows])
        if layer.bias is not None:
            half.bias = _param(layer.bias.numpy()[rows])
        halves.append(half)
    return kind, halves[0], halves[1]


def split_towers(model, devices=("cuda:0", "cuda:1")):
    """The two-tower version of a grouped AlexNet (``features``, ``avgpool``, ``classifier``,
    flattened between the last two): tower t holds the t-th half of every layer's kernels on devices[t].

    The result's ``grouped_state_dict()`` / ``grouped_grads()`` give its weights
    and gradients back in the grouped model's names and shapes. ``model`` is not
    changed (the towers hold copies) and the random generator is left as it was.
    """
    if len(devices) != 2:
        raise ValueError(f"split_towers: expected two devices, got {devices!r}")
    for d in devices:
        normalize_device(d)
    for part in ("features", "avgpool", "classifier"):
        if not hasattr(model, part):
            raise TypeError(
                f"split_towers: expected an AlexNet-like model with {part!r}, got {type(model).__name__}"
            )
    names = {id(p): n for n, p in model.named_parameters()}
    layers = list(model.features) + [model.avgpool, nn.Flatten()] + list(model.classifier)
    if not isinstance(layers[-1], nn.Linear):
        raise ValueError("split_towers: the classifier must end with a Linear layer")
    state = rng.get_state()  # building the halves draws initial weights: undo that
    stages, grouped = [], {}
    try:
        for i, layer in enumerate(layers[:-1]):
            label = f"{type(layer).__name__} (layer {i})"
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                kind, a, b = _halves(layer, label)
                for name in ("weight", "bias"):
                    if getattr(layer, name) is not None:
                        grouped[names[id(getattr(layer, name))]] = [getattr(a, name), getattr(b, name)]
            elif not stages:
                raise ValueError(
                    f"split_towers: the first layer must be a Conv2d or Linear "
                    f"(both towers read the whole input), got {label}"
                )
            elif isinstance(layer, nn.LocalResponseNorm):
                kind, a, b = "halo", _clone(layer), _clone(layer)
            elif isinstance(layer, _PER_TOWER):
                kind, a, b = "each", _clone(layer), _clone(layer)
            else:
                raise ValueError(f"split_towers: cannot split {label} into towers")
            halo = (layer.size // 2, (layer.size - 1) // 2) if kind == "halo" else (0, 0)
            stages.append(TowerPair(kind, a, b, devices, halo))
        last = layers[-1]
        head = nn.Linear(
            last.in_features, last.out_features, bias=last.bias is not None, dtype=last.weight.dtype
        )
        head.weight = _param(last.weight.numpy())
        grouped[names[id(last.weight)]] = [head.weight]
        if last.bias is not None:
            head.bias = _param(last.bias.numpy())
            grouped[names[id(last.bias)]] = [head.bias]
        net = TwoTowerNet(stages, head, devices, grouped)
    finally:
        rng.set_state(state)
    net.train(model.training)
    return net


def _clone(layer):
    """A parameter-free layer copied, so that the towers share no module."""
    return copy.deepcopy(layer)


def alexnet_two_tower(devices=("cuda:0", "cuda:1"), num_classes=1000):
    """The paper's AlexNet (``models.alexnet("paper")``) as two towers on ``devices``."""
    from ..models import alexnet

    return split_towers(alexnet("paper", num_classes=num_classes), devices)
