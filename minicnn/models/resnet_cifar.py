"""ResNet for CIFAR-10: 6n+2 layers, up to 1202.

He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016,
section 4.2 and its table of widths: a 3x3 conv with 16 filters, then three
stages of n basic blocks (2n layers each) on 32x32, 16x16 and 8x8 maps with
16, 32 and 64 filters, global average pooling and a 10-way fc: 6n+2 weighted
layers (n = 3, 5, 7, 9, 18, 200 -> ResNet-20, 32, 44, 56, 110, 1202).
Shortcuts are option A: identity, and where the map halves, stride-2
subsampling with the new channels zero-padded, so no shortcut has
parameters. ResNet-20: 0.27M parameters (269,722 here). Convolutions start He
normal over the fan-out, as minicnn's ImageNet ResNets (torchvision's rule;
the paper's is He et al. 2015's, over the fan-in).

``plain=True`` drops the shortcuts: the plain nets of Figure 6, whose training
error rises with depth (the degradation problem).
"""

from .. import backend, nn
from .. import functional as F
from ..tensor import Tensor


class ShortcutA(nn.Module):
    """Option A shortcut: x[:, :, ::2, ::2] with (planes - in) zero channels split on both sides."""

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.stride, self.pad = stride, planes - in_planes

    def forward(self, x):
        x = x[:, :, :: self.stride, :: self.stride]
        if self.pad == 0:
            return x
        n, _, h, w = x.shape
        xp = backend.xp_of(x.data)
        before, after = self.pad // 2, self.pad - self.pad // 2
        zeros = [Tensor(xp.zeros((n, c, h, w), dtype=x.dtype)) for c in (before, after)]
        return F.cat([zeros[0], x, zeros[1]], dim=1)

    def extra_repr(self):
        return f"stride={self.stride}, zero channels={self.pad}"


class BasicBlockA(nn.Module):
    """Two 3x3 conv-BN layers; the shortcut (option A) is added before the last ReLU."""

    def __init__(self, in_planes, planes, stride=1, plain=False):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.plain = plain
        if not plain:
            self.shortcut = (
                ShortcutA(in_planes, planes, stride)
                if (stride != 1 or in_planes != planes)
                else nn.Identity()
            )

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        if not self.plain:
            out = out + self.shortcut(x)
        return self.relu(out)


class CifarResNet(nn.Module):
    """ResNet of section 4.2, n basic blocks in each stage: 6n+2 layers on 32x32 inputs, shortcuts of
    option A (none with ``plain=True``)."""

    def __init__(self, n, num_classes=10, plain=False):
        super().__init__()
        self.depth = 6 * n + 2
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        planes, layers = 16, []
        for stage, width in enumerate((16, 32, 64)):
            stride = 1 if stage == 0 else 2
            blocks = [BasicBlockA(planes, width, stride, plain)]
            blocks += [BasicBlockA(width, width, 1, plain) for _ in range(n - 1)]
            layers.append(nn.Sequential(*blocks))
            planes = width
        self.layer1, self.layer2, self.layer3 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.flatten(self.avgpool(x)))


def resnet20(num_classes=10, plain=False):
    """ResNet-20, n = 3 (269,722 parameters); ``plain=True`` for no shortcuts."""
    return CifarResNet(3, num_classes, plain)


def resnet32(num_classes=10, plain=False):
    """ResNet-32, n = 5 (464,154 parameters); ``plain=True`` for no shortcuts."""
    return CifarResNet(5, num_classes, plain)


def resnet44(num_classes=10, plain=False):
    """ResNet-44, n = 7 (658,586 parameters); ``plain=True`` for no shortcuts."""
    return CifarResNet(7, num_classes, plain)


def resnet56(num_classes=10, plain=False):
    """ResNet-56, n = 9 (853,018 parameters); ``plain=True`` for no shortcuts."""
    return CifarResNet(9, num_classes, plain)


def resnet110(num_classes=10, plain=False):
    """ResNet-110, n = 18 (1,727,962 parameters); ``plain=True`` for no shortcuts."""
    return CifarResNet(18, num_classes, plain)


def resnet1202(num_classes=10, plain=False):
    """ResNet-1202, n = 200 (19,421,274 parameters), the paper's deepest; ``plain=True`` for no
    shortcuts."""
    return CifarResNet(200, num_classes, plain)
