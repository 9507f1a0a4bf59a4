"""ResNet for ImageNet: residual learning, 18 to 152 layers.

He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016,
Table 1 (stage depths [2,2,2,2], [3,4,6,3], [3,4,6,3], [3,4,23,3], [3,8,36,3];
basic blocks of two 3x3 convs for 18/34, bottlenecks 1x1-3x3-1x1 with 4x
expansion for 50/101/152) and section 3.3 (projection shortcuts, option B,
where the shape changes). Layout and names are torchvision's (``conv1``,
``bn1``, ``relu``, ``maxpool``, ``layer1..4``, blocks with ``conv1, bn1, conv2,
bn2, (conv3, bn3), downsample.0/1``, ``avgpool``, ``fc``), which puts the
bottleneck's stride on its 3x3 conv (the paper's Caffe model put it on the
first 1x1). ResNet-18: 11,689,512 parameters; ResNet-50: 25,557,032.

Convolutions start He normal over the fan-out, torchvision's choice; the paper
initialises as He et al. 2015 ("Delving deep into rectifiers"), whose main
form is over the fan-in. ``zero_init_residual=True`` starts each block's last
BN weight at 0, so every block begins as the identity (Goyal et al. 2017).
"""

from .. import functional as F
from .. import nn


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """y = relu(bn2(conv2(relu(bn1(conv1 x)))) + shortcut(x))."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)

    def last_bn(self):
        return self.bn2


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 (carries the stride) -> 1x1 expand (x4), plus the shortcut."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)

    def last_bn(self):
        return self.bn3


class ResNet(nn.Module):
    """ResNet of Table 1: a 7x7/2 conv and a 3x3/2 max pool, four stages of ``block`` (``layers[i]``
    blocks of 64, 128, 256 and 512 widths, each stage after the first halving the map), global
    average pooling and one fc of ``num_classes``."""

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, (BasicBlock, Bottleneck)):
                    m.last_bn().weight.data[...] = 0

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            # option B: a 1x1 projection where the shape changes
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(F.flatten(self.avgpool(x), 1))  # in forward, as torchvision: no child


def resnet18(num_classes=1000, zero_init_residual=False):
    """ResNet-18: stages of 2, 2, 2, 2 basic blocks (11,689,512 parameters)."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, zero_init_residual)


def resnet34(num_classes=1000, zero_init_residual=False):
    """ResNet-34: stages of 3, 4, 6, 3 basic blocks (21,797,672 parameters)."""
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes, zero_init_residual)


def resnet50(num_classes=1000, zero_init_residual=False):
    """ResNet-50: stages of 3, 4, 6, 3 bottlenecks (25,557,032 parameters)."""
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, zero_init_residual)


def resnet101(num_classes=1000, zero_init_residual=False):
    """ResNet-101: stages of 3, 4, 23, 3 bottlenecks (44,549,160 parameters)."""
    return ResNet(Bottleneck, [3, 4, 23, 3], num_classes, zero_init_residual)


def resnet152(num_classes=1000, zero_init_residual=False):
    """ResNet-152: stages of 3, 8, 36, 3 bottlenecks (60,192,808 parameters)."""
    return ResNet(Bottleneck, [3, 8, 36, 3], num_classes, zero_init_residual)
