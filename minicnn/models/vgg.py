"""VGG: depth from stacks of 3x3 convolutions.

Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015, Table 1 (configurations A, B, D, E = VGG-11, -13, -16,
-19; numbers are conv widths, "M" a 2x2/2 max pool) and Table 2 (VGG-16:
138M parameters). Layout and names are torchvision's: ``features.N``, an
``avgpool`` AdaptiveAvgPool2d(7) (a no-op at 224x224), ``classifier.N`` with
dropout 0.5 after fc6 and fc7. The ``_bn`` variants put a BatchNorm2d after
each conv (not in the paper; torchvision's). VGG-16: 138,357,544 parameters.

``vgg11_bn_cifar`` keeps configuration A with BN for 32x32 inputs: five pools
leave 512 x 1 x 1, and the classifier is 512 -> 512 -> classes.
"""

from .. import functional as F
from .. import nn

CONFIGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [
        64,
        64,
        "M",
        128,
        128,
        "M",
        256,
        256,
        256,
        256,
        "M",
        512,
        512,
        512,
        512,
        "M",
        512,
        512,
        512,
        512,
        "M",
    ],
}


def make_features(config, batch_norm=False, in_channels=3):
    layers = []
    for v in config:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
            continue
        layers.append(nn.Conv2d(in_channels, v, 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU())
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG with torchvision's initialisation: convs He-normal over their fan-out with zero
    bias, linear layers N(0, 0.01) with zero bias, batch norm 1 and 0. (With PyTorch's
    default init, VGG-16's features come out about thirty times smaller than with this one.)"""

    def __init__(self, features, avgpool, classifier):
        super().__init__()
        self.features = features
        self.avgpool = avgpool
        self.classifier = classifier
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(F.flatten(self.avgpool(self.features(x)), 1))  # as torchvision: no child


def _vgg(config, batch_norm, num_classes, dropout=0.5):
    classifier = nn.Sequential(
        nn.Linear(512 * 7 * 7, 4096),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(4096, num_classes),
    )
    return VGG(make_features(CONFIGS[config], batch_norm), nn.AdaptiveAvgPool2d(7), classifier)


def vgg11(num_classes=1000):
    """Configuration A: 8 convs + 3 FC."""
    return _vgg("A", False, num_classes)


def vgg13(num_classes=1000):
    """Configuration B: 10 convs + 3 FC."""
    return _vgg("B", False, num_classes)


def vgg16(num_classes=1000):
    """Configuration D: 13 convs + 3 FC (138,357,544 parameters)."""
    return _vgg("D", False, num_classes)


def vgg19(num_classes=1000):
    """Configuration E: 16 convs + 3 FC."""
    return _vgg("E", False, num_classes)


def vgg11_bn(num_classes=1000):
    """Configuration A (VGG-11) with a BatchNorm2d after each conv (132,868,840 parameters)."""
    return _vgg("A", True, num_classes)


def vgg13_bn(num_classes=1000):
    """Configuration B (VGG-13) with a BatchNorm2d after each conv (133,053,736 parameters)."""
    return _vgg("B", True, num_classes)


def vgg16_bn(num_classes=1000):
    """Configuration D (VGG-16) with a BatchNorm2d after each conv (138,365,992 parameters)."""
    return _vgg("D", True, num_classes)


def vgg19_bn(num_classes=1000):
    """Configuration E (VGG-19) with a BatchNorm2d after each conv (143,678,248 parameters)."""
    return _vgg("E", True, num_classes)


def vgg11_bn_cifar(num_classes=10, dropout=0.5):
    """Configuration A with BN for 32x32 inputs; classifier on the 512 final features."""
    classifier = nn.Sequential(
        nn.Linear(512, 512), nn.ReLU(), nn.Dropout(dropout), nn.Linear(512, num_classes)
    )
    return VGG(make_features(CONFIGS["A"], batch_norm=True), nn.Identity(), classifier)
