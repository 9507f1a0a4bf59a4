"""GoogLeNet (Inception v1), as in the paper and as in torchvision.

Szegedy et al., "Going Deeper with Convolutions", CVPR 2015, Table 1 (the
inception widths), Figure 2(b) (the module: 1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 |
3x3 max pool -> 1x1, joined on channels) and Figure 3 / section 5 (the stem
with LocalRespNorm; dropout 0.4 before the classifier; auxiliary classifiers
on inception 4a and 4d: 5x5/3 average pool, 1x1 conv 128, fc 1024, dropout
0.7, fc). No batch normalization in the paper. The paper's LRN uses Caffe's
convention (alpha divided by n), which is PyTorch's: size 5, alpha 1e-4,
beta 0.75. Max pools use ceil mode (Caffe's rounding), which gives the
paper's sizes 224 -> 112 -> 56 -> 28 -> 14 -> 7.

``variant="torchvision"`` is torchvision's GoogLeNet (ported from TensorFlow),
which departs from the paper in these: every conv is a BasicConv2d (conv
without bias + BatchNorm2d(eps=0.001) + ReLU); the stem has no LRN; the
"5x5" branch uses a 3x3 kernel, which torchvision's own source calls a known
bug (pytorch/vision#906); the max pool before inception 5a
(``maxpool4``) is 2x2/2, not 3x3/2; the final dropout is 0.2; the aux head
pools adaptively to 4x4; weights start from N(0, 0.01^2). 6,624,904
parameters without the aux heads. The paper variant keeps PyTorch's default
initialisation: the paper gives no scheme.

In training mode with ``aux_logits=True`` the net returns
``(logits, aux1, aux2)``; in eval mode the logits only. ``training_loss``
combines the three as the paper does (each auxiliary loss weighted 0.3), so a
trainer needs to know nothing of the heads. Top-level children
carry torchvision's names (``conv1`` ... ``inception5b``, ``aux1``, ``aux2``).
"""

from .. import functional as F
from .. import nn
from ..tensor import tensor as mc_tensor

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

# name: (in, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj)  -- Table 1
INCEPTION = {
    "3a": (192, 64, 96, 128, 16, 32, 32),
    "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64),
    "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64),
    "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128),
    "5a": (832, 256, 160, 320, 32, 128, 128),
    "5b": (832, 384, 192, 384, 48, 128, 128),
}


class BasicConv2d(nn.Module):
    """conv -> (BatchNorm2d(eps=0.001) in torchvision's variant) -> ReLU."""

    def __init__(self, in_channels, out_channels, kernel_size, batch_norm=True, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, bias=not batch_norm, **kwargs)
        if batch_norm:
            self.bn = nn.BatchNorm2d(out_channels, eps=0.001)
        self.batch_norm = batch_norm

    def forward(self, x):
        x = self.conv(x)
        if self.batch_norm:
            x = self.bn(x)
        return F.relu(x)


class Inception(nn.Module):
    """Four branches on the same input, joined on channels (Figure 2(b))."""

    def __init__(
        self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, batch_norm=True, kernel5=5
    ):
        super().__init__()
        bn = dict(batch_norm=batch_norm)
        self.branch1 = BasicConv2d(in_channels, ch1x1, 1, **bn)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, 1, **bn), BasicConv2d(ch3x3red, ch3x3, 3, padding=1, **bn)
        )
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, 1, **bn),
            BasicConv2d(ch5x5red, ch5x5, kernel5, padding=kernel5 // 2, **bn),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, 1, padding=1, ceil_mode=True), BasicConv2d(in_channels, pool_proj, 1, **bn)
        )

    def forward(self, x):
        return F.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class InceptionAux(nn.Module):
    """Auxiliary classifier: avg pool to 4x4, 1x1 conv 128, fc 1024, dropout 0.7, fc.

    The paper pools 5x5 with stride 3 (14x14 -> 4x4); torchvision pools
    adaptively to 4x4. ``width`` and ``hidden`` shrink the head for tests.
    """

    def __init__(
        self, in_channels, num_classes, batch_norm=True, adaptive=True, dropout=0.7, width=128, hidden=1024
    ):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(4) if adaptive else nn.AvgPool2d(5, 3)
        self.conv = BasicConv2d(in_channels, width, 1, batch_norm=batch_norm)
        self.fc1 = nn.Linear(width * 4 * 4, hidden)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = F.flatten(self.conv(self.pool(x)), 1)  # in forward, as torchvision: no child
        return self.fc2(self.dropout(F.relu(self.fc1(x))))


class GoogLeNet(nn.Module):
    def __init__(self, num_classes=1000, aux_logits=True, variant="paper", transform_input=False):
        super().__init__()
        if variant not in ("paper", "torchvision"):
            raise ValueError(f"googlenet: unknown variant {variant!r}; expected 'paper' or 'torchvision'")
        tv = variant == "torchvision"
        if transform_input and not tv:
            raise ValueError("googlenet: transform_input is torchvision's, for variant='torchvision' only")
        bn = dict(batch_norm=tv)
        self.variant, self.aux_logits, self.transform_input = variant, aux_logits, bool(transform_input)
        self.conv1 = BasicConv2d(3, 64, 7, stride=2, padding=3, **bn)
        self.maxpool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        if not tv:
            self.norm1 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)
        self.conv2 = BasicConv2d(64, 64, 1, **bn)
        self.conv3 = BasicConv2d(64, 192, 3, padding=1, **bn)
        if not tv:
            self.norm2 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)
        self.maxpool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        kernel5 = 3 if tv else 5
        for name in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"):
            setattr(self, f"inception{name}", Inception(*INCEPTION[name], kernel5=kernel5, **bn))
            if name == "3b":
                self.maxpool3 = nn.MaxPool2d(3, 2, ceil_mode=True)
            if name == "4e":
                self.maxpool4 = (
                    nn.MaxPool2d(2, 2, ceil_mode=True) if tv else nn.MaxPool2d(3, 2, ceil_mode=True)
                )
        if aux_logits:
            self.aux1 = InceptionAux(512, num_classes, adaptive=tv, **bn)
            self.aux2 = InceptionAux(528, num_classes, adaptive=tv, **bn)
        self.avgpool = nn.AdaptiveAvgPool2d(1) if tv else nn.AvgPool2d(7, 1)
        self.dropout = nn.Dropout(0.2 if tv else 0.4)
        self.fc = nn.Linear(1024, num_classes)
        if tv:  # torchvision's init; its truncation at +-2 never bites at a spread of 0.01
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.normal_(m.weight, 0.0, 0.01)

    def forward(self, x):
        if self.transform_input:
            x = _imagenet_to_half_range(x)
        x = self.conv1(x)
        x = self.maxpool1(x)
        if self.variant == "paper":
            x = self.norm1(x)
        x = self.conv3(self.conv2(x))
        if self.variant == "paper":
            x = self.norm2(x)
        x = self.maxpool2(x)
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux = self.aux_logits and self.training
        aux1 = self.aux1(x) if aux else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if aux else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = self.fc(self.dropout(F.flatten(self.avgpool(x), 1)))  # as torchvision: no flatten child
        return (x, aux1, aux2) if aux else x

    def training_loss(self, output, target, loss=F.cross_entropy):
        """The loss to minimize for ``output = self(x)``: with auxiliary heads,
        loss(logits) + 0.3 loss(aux1) + 0.3 loss(aux2) (section 5: "their loss is added to
        the total loss of the network with a discount weight (0.3)")."""
        if not isinstance(output, tuple):
            return loss(output, target)
        logits, *aux = output
        return loss(logits, target) + sum(loss(a, target) * 0.3 for a in aux)


def _imagenet_to_half_range(x):
    """torchvision's ``transform_input``: images normalised with ImageNet's mean and std,
    per channel c re-normalised to (pixel - 0.5) / 0.5, the input its GoogLeNet weights
    were trained on: x_c * std_c / 0.5 + (mean_c - 0.5) / 0.5."""
    scale = mc_tensor([s / 0.5 for s in IMAGENET_STD], dtype=x.dtype, device=x.device).reshape(1, 3, 1, 1)
    shift = mc_tensor([(m - 0.5) / 0.5 for m in IMAGENET_MEAN], dtype=x.dtype, device=x.device).reshape(
        1, 3, 1, 1
    )
    return x * scale + shift


def googlenet(aux_logits=True, variant="paper", num_classes=1000, transform_input=False):
    """GoogLeNet: "paper" (Table 1, LRN, no BN) or "torchvision" (BasicConv2d with BN).

    ``transform_input=True`` (torchvision variant only) takes ImageNet-normalised images
    to the input torchvision's pretrained weights expect, as ``torchvision.models.googlenet(
    weights=...)`` turns it on."""
    return GoogLeNet(
        num_classes=num_classes, aux_logits=aux_logits, variant=variant, transform_input=transform_input
    )
