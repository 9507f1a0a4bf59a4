"""PyTorch twins of minicnn's models, for ``--compare torch`` (torch_cases.py trains them).

PyTorch is imported here only, and only when asked for: it is never a minicnn
dependency. A model's twin is a plain torch.nn model read off the minicnn model,
which serves as its description:
    a layer of LAYERS (Conv2d, ...)      -> its torch.nn counterpart, same hyperparameters
    a chain of children (CHAINS)         -> tnn.Sequential of their twins, in that order
    a residual or branching block        -> a torch.nn class of this file, written in torch
The twin keeps PyTorch's own initialisation: only the speed is compared.
A module none of these describe gets no twin: a one-line error names it and its place.
"""

from collections import OrderedDict

import torch
import torch.nn as tnn

from .. import nn
from ..models.alexnet import AlexNet
from ..models.googlenet import BasicConv2d, GoogLeNet, Inception, InceptionAux
from ..models.mobilenet import DepthwiseSeparable, MobileNetV1
from ..models.nin import NIN
from ..models.resnet import BasicBlock, Bottleneck, ResNet
from ..models.resnet_cifar import BasicBlockA, CifarResNet, ShortcutA
from ..models.vgg import VGG

# --- layers -------------------------------------------------------------------


def _bias(affine, bias):
    """bias=False for an affine layer without a bias, else nothing: PyTorch's LayerNorm takes
    the argument from 2.1 on and its GroupNorm only lately, and the usual layer must build on all."""
    return {"bias": False} if affine and bias is None else {}


def _batch_norm(m):
    return dict(eps=m.eps, momentum=m.momentum, affine=m.affine, track_running_stats=m.track_running_stats)


# minicnn layer -> its torch.nn twin, the same hyperparameters by name. Keyed by exact type:
# a subclass may compute something else (Dropout2d is a Dropout), so it needs its own entry.
# In-place flags are left out: minicnn's layers never overwrite their input, nor do the twins.
LAYERS = {
    nn.Conv2d: lambda m: tnn.Conv2d(
        m.in_channels,
        m.out_channels,
        m.kernel_size,
        stride=m.stride,
        padding=m.padding,
        dilation=m.dilation,
        groups=m.groups,
        bias=m.bias is not None,
        padding_mode=m.padding_mode,
    ),
    nn.ConvTranspose2d: lambda m: tnn.ConvTranspose2d(
        m.in_channels,
        m.out_channels,
        m.kernel_size,
        stride=m.stride,
        padding=m.padding,
        output_padding=m.output_padding,
        groups=m.groups,
        bias=m.bias is not None,
        dilation=m.dilation,
    ),
    nn.Linear: lambda m: tnn.Linear(m.in_features, m.out_features, bias=m.bias is not None),
    nn.Embedding: lambda m: tnn.Embedding(
        m.num_embeddings,
        m.embedding_dim,
        padding_idx=m.padding_idx,
        max_norm=m.max_norm,
        norm_type=m.norm_type,
        scale_grad_by_freq=m.scale_grad_by_freq,
    ),
    nn.BatchNorm1d: lambda m: tnn.BatchNorm1d(m.num_features, **_batch_norm(m)),
    nn.BatchNorm2d: lambda m: tnn.BatchNorm2d(m.num_features, **_batch_norm(m)),
    nn.LayerNorm: lambda m: tnn.LayerNorm(
        m.normalized_shape,
        eps=m.eps,
        elementwise_affine=m.elementwise_affine,
        **_bias(m.elementwise_affine, m.bias),
    ),
    nn.GroupNorm: lambda m: tnn.GroupNorm(
        m.num_groups, m.num_channels, eps=m.eps, affine=m.affine, **_bias(m.affine, m.bias)
    ),
    nn.InstanceNorm1d: lambda m: tnn.InstanceNorm1d(
        m.num_features, **_batch_norm(m), **_bias(m.affine, m.bias)
    ),
    nn.InstanceNorm2d: lambda m: tnn.InstanceNorm2d(
        m.num_features, **_batch_norm(m), **_bias(m.affine, m.bias)
    ),
    nn.LocalResponseNorm: lambda m: tnn.LocalResponseNorm(m.size, alpha=m.alpha, beta=m.beta, k=m.k),
    nn.MaxPool2d: lambda m: tnn.MaxPool2d(
        m.kernel_size,
        stride=m.stride,
        padding=m.padding,
        dilation=m.dilation,
        return_indices=m.return_indices,
        ceil_mode=m.ceil_mode,
    ),
    nn.AvgPool2d: lambda m: tnn.AvgPool2d(
        m.kernel_size,
        stride=m.stride,
        padding=m.padding,
        ceil_mode=m.ceil_mode,
        count_include_pad=m.count_include_pad,
    ),
    nn.AdaptiveAvgPool2d: lambda m: tnn.AdaptiveAvgPool2d(m.output_size),
    nn.AdaptiveMaxPool2d: lambda m: tnn.AdaptiveMaxPool2d(m.output_size, return_indices=m.return_indices),
    # NOTE: its forward takes (x, indices), so it serves a block of BLOCKS, not a Sequential
    nn.MaxUnpool2d: lambda m: tnn.MaxUnpool2d(m.kernel_size, stride=m.stride, padding=m.padding),
    nn.Unfold: lambda m: tnn.Unfold(m.kernel_size, dilation=m.dilation, padding=m.padding, stride=m.stride),
    nn.Fold: lambda m: tnn.Fold(
        m.output_size, m.kernel_size, dilation=m.dilation, padding=m.padding, stride=m.stride
    ),
    nn.Upsample: lambda m: tnn.Upsample(
        m.size,
        m.scale_factor,
        mode=m.mode,
        align_corners=m.align_corners,
        recompute_scale_factor=m.recompute_scale_factor,
    ),
    nn.UpsamplingNearest2d: lambda m: tnn.UpsamplingNearest2d(m.size, m.scale_factor),
    nn.UpsamplingBilinear2d: lambda m: tnn.UpsamplingBilinear2d(m.size, m.scale_factor),
    nn.Dropout: lambda m: tnn.Dropout(m.p),
    nn.Dropout2d: lambda m: tnn.Dropout2d(m.p),
    nn.AlphaDropout: lambda m: tnn.AlphaDropout(m.p),
    nn.FeatureAlphaDropout: lambda m: tnn.FeatureAlphaDropout(m.p),
    nn.Flatten: lambda m: tnn.Flatten(m.start_dim, m.end_dim),
    nn.Unflatten: lambda m: tnn.Unflatten(m.dim, m.unflattened_size),
    nn.PixelShuffle: lambda m: tnn.PixelShuffle(m.upscale_factor),
    nn.PixelUnshuffle: lambda m: tnn.PixelUnshuffle(m.downscale_factor),
    nn.ChannelShuffle: lambda m: tnn.ChannelShuffle(m.groups),
    nn.ZeroPad2d: lambda m: tnn.ZeroPad2d(m.padding),
    nn.ConstantPad2d: lambda m: tnn.ConstantPad2d(m.padding, m.value),
    nn.ReflectionPad2d: lambda m: tnn.ReflectionPad2d(m.padding),
    nn.ReplicationPad2d: lambda m: tnn.ReplicationPad2d(m.padding),
    nn.CircularPad2d: lambda m: tnn.CircularPad2d(m.padding),
    nn.CosineSimilarity: lambda m: tnn.CosineSimilarity(m.dim, m.eps),
    nn.PairwiseDistance: lambda m: tnn.PairwiseDistance(m.norm, m.eps, m.keepdim),
    nn.Identity: lambda m: tnn.Identity(),
    nn.ReLU: lambda m: tnn.ReLU(),
    nn.LeakyReLU: lambda m: tnn.LeakyReLU(m.negative_slope),
    nn.PReLU: lambda m: tnn.PReLU(m.num_parameters),  # init: the twin keeps PyTorch's own
    nn.RReLU: lambda m: tnn.RReLU(m.lower, m.upper),
    nn.GELU: lambda m: tnn.GELU(approximate=m.approximate),
    nn.SiLU: lambda m: tnn.SiLU(),
    nn.Softplus: lambda m: tnn.Softplus(m.beta, m.threshold),
    nn.ELU: lambda m: tnn.ELU(m.alpha),
    nn.ReLU6: lambda m: tnn.ReLU6(),
    nn.Hardtanh: lambda m: tnn.Hardtanh(m.min_val, m.max_val),
    nn.Hardsigmoid: lambda m: tnn.Hardsigmoid(),
    nn.Hardswish: lambda m: tnn.Hardswish(),
    nn.SELU: lambda m: tnn.SELU(),
    nn.CELU: lambda m: tnn.CELU(m.alpha),
    nn.Mish: lambda m: tnn.Mish(),
    nn.Softsign: lambda m: tnn.Softsign(),
    nn.Hardshrink: lambda m: tnn.Hardshrink(m.lambd),
    nn.Softshrink: lambda m: tnn.Softshrink(m.lambd),
    nn.Tanhshrink: lambda m: tnn.Tanhshrink(),
    nn.Threshold: lambda m: tnn.Threshold(m.threshold, m.value),
    nn.GLU: lambda m: tnn.GLU(m.dim),
    nn.Softmax2d: lambda m: tnn.Softmax2d(),
    nn.Tanh: lambda m: tnn.Tanh(),
    nn.Sigmoid: lambda m: tnn.Sigmoid(),
    nn.LogSigmoid: lambda m: tnn.LogSigmoid(),
    nn.Softmin: lambda m: tnn.Softmin(m.dim),
    nn.Softmax: lambda m: tnn.Softmax(m.dim),
    nn.LogSoftmax: lambda m: tnn.LogSoftmax(m.dim),
}


def _layer(m):
    """The torch.nn twin of a minicnn layer, or None when m is not a layer of LAYERS."""
    make = LAYERS.get(type(m))
    if make is None:
        return None
    try:
        return make(m)
    except TypeError as err:  # an argument this PyTorch lacks (LayerNorm's bias before 2.1)
        raise TypeError(
            f"minicnn.bench: PyTorch {torch.__version__} cannot build the twin of {m._label()}: {err}"
        ) from None


# --- blocks that are not chains ---------------------------------------------


class TorchShortcutA(tnn.Module):
    """Option A shortcut of the CIFAR ResNets: subsample, zero channels on both sides."""

    def __init__(self, m):
        super().__init__()
        self.stride, self.pad = m.stride, m.pad

    def forward(self, x):
        x = x[:, :, :: self.stride, :: self.stride]
        return tnn.functional.pad(x, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))


class TorchBasicBlockA(tnn.Module):
    """relu(bn2(conv2(relu(bn1(conv1 x)))) + shortcut(x)); no shortcut when plain."""

    def __init__(self, m):
        super().__init__()
        for name in ("conv1", "bn1", "relu", "conv2", "bn2"):
            setattr(self, name, to_torch(getattr(m, name)))
        self.shortcut = None if m.plain else to_torch(m.shortcut)

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return self.relu(out)


class TorchResidual(tnn.Module):
    """torchvision's BasicBlock and Bottleneck: relu(body(x) + downsample(x) or x)."""

    def __init__(self, m, names):
        super().__init__()
        layers = []
        for name in names:
            layers.append((name, to_torch(getattr(m, name))))
            if name.startswith("bn") and name != names[-1]:
                layers.append((name.replace("bn", "relu"), tnn.ReLU()))
        self.body = tnn.Sequential(OrderedDict(layers))
        self.downsample = None if m.downsample is None else to_torch(m.downsample)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return torch.relu(self.body(x) + identity)


class TorchInception(tnn.Module):
    """Four branches on the same input, joined on channels."""

    def __init__(self, m):
        super().__init__()
        for name in ("branch1", "branch2", "branch3", "branch4"):
            setattr(self, name, to_torch(getattr(m, name)))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


def _sequential(m, names, relu_after=()):
    """tnn.Sequential of m's children ``names`` (those m has), a ReLU after each in relu_after."""
    layers = []
    for name in names:
        child = getattr(m, name, None)
        if child is not None:
            layers.append((name, to_torch(child)))
            if name in relu_after:
                layers.append((name + "_relu", tnn.ReLU()))
        elif name == "flatten":  # the nets that flatten in forward, as torchvision's
            layers.append((name, tnn.Flatten()))
    return tnn.Sequential(OrderedDict(layers))


_GOOGLENET = (
    "conv1",
    "maxpool1",
    "norm1",
    "conv2",
    "conv3",
    "norm2",
    "maxpool2",
    "inception3a",
    "inception3b",
    "maxpool3",
    "inception4a",
    "inception4b",
    "inception4c",
    "inception4d",
    "inception4e",
    "maxpool4",
    "inception5a",
    "inception5b",
    "avgpool",
    "flatten",
    "dropout",
    "fc",
)

# minicnn block -> how its twin is built; a tuple is a chain of children, in the order
# its forward calls them (a child the block lacks, e.g. GoogLeNet's LRN, is skipped, and a
# "flatten" it does in forward becomes the twin's Flatten)
CHAINS = {
    CifarResNet: ("conv1", "bn1", "relu", "layer1", "layer2", "layer3", "avgpool", "flatten", "fc"),
    ResNet: (
        "conv1",
        "bn1",
        "relu",
        "maxpool",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "avgpool",
        "flatten",
        "fc",
    ),
    MobileNetV1: ("features", "avgpool", "flatten", "fc"),
    DepthwiseSeparable: ("depthwise", "pointwise"),
    NIN: ("features", "avgpool", "flatten"),
    VGG: ("features", "avgpool", "flatten", "classifier"),
    AlexNet: ("features", "avgpool", "flatten", "classifier"),
    GoogLeNet: _GOOGLENET,
}
BLOCKS = {
    ShortcutA: TorchShortcutA,
    BasicBlockA: TorchBasicBlockA,
    BasicBlock: lambda m: TorchResidual(m, ("conv1", "bn1", "conv2", "bn2")),
    Bottleneck: lambda m: TorchResidual(m, ("conv1", "bn1", "conv2", "bn2", "conv3", "bn3")),
    Inception: TorchInception,
    BasicConv2d: lambda m: _sequential(m, ("conv", "bn"), relu_after=("bn" if m.batch_norm else "conv",)),
    InceptionAux: lambda m: _sequential(
        m, ("pool", "conv", "flatten", "fc1", "dropout", "fc2"), relu_after=("fc1",)
    ),
}


def to_torch(m):
    """The torch.nn twin of a minicnn module (same layers and hyperparameters, own init)."""
    layer = _layer(m)
    if layer is not None:
        return layer
    if type(m) in BLOCKS:
        return BLOCKS[type(m)](m)
    if type(m) in CHAINS:
        return _sequential(m, CHAINS[type(m)])
    if isinstance(m, nn.Sequential) and type(m).forward is nn.Sequential.forward:
        return tnn.Sequential(OrderedDict((n, to_torch(c)) for n, c in m.named_children()))
    raise TypeError(
        f"minicnn.bench: no PyTorch twin for {m._label()}; "
        "add its class to LAYERS, CHAINS or BLOCKS in minicnn/bench/twin.py"
    )
