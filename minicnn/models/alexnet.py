"""AlexNet, as in the paper and as in torchvision, plus a CIFAR-scale version.

Krizhevsky, Sutskever, Hinton, "ImageNet Classification with Deep Convolutional
Neural Networks", NIPS 2012, section 3 and Figure 2:
    conv1 96 11x11/4 -> ReLU -> LRN -> max pool 3x3/2 (overlapping)
    conv2 256 5x5 (two towers: groups=2) -> ReLU -> LRN -> max pool 3x3/2
    conv3 384 3x3 (reads both towers), conv4 384 3x3 (groups=2),
    conv5 256 3x3 (groups=2) -> max pool 3x3/2
    fc6 4096, fc7 4096 (ReLU, dropout 0.5 each), fc8 1000
    60,965,224 parameters. The input is 227x227: the paper's "224" does not fit
    (224 - 11) / 4 + 1 with conv1's stride.
LRN (section 3.3): b = a / (k + alpha * sum of a^2 over n neighbouring maps)^beta
with k=2, n=5, alpha=1e-4, beta=0.75. PyTorch's LocalResponseNorm divides alpha
by n (as Caffe does), so the paper's net passes alpha = n * 1e-4 = 5e-4.

Initialisation (section 5): weights from N(0, 0.01^2); biases 1 in conv2, conv4,
conv5, fc6 and fc7, 0 in conv1, conv3 and fc8.

``variant="torchvision"`` is torchvision's single-tower AlexNet (64-192-384-256-256,
no LRN, AdaptiveAvgPool2d(6), dropout before fc6 and fc7): 61,100,840 parameters,
with its names (``features.N``, ``avgpool``, ``classifier.N``).
"""

from .. import functional as F
from .. import nn

LRN_SIZE, LRN_ALPHA, LRN_BETA, LRN_K = 5, 1e-4, 0.75, 2.0


class AlexNet(nn.Module):
    """``features`` (convs and pools), ``avgpool``, ``classifier`` (the FC layers)."""

    def __init__(self, features, avgpool, classifier):
        super().__init__()
        self.features = features
        self.avgpool = avgpool
        self.classifier = classifier

    def forward(self, x):
        return self.classifier(F.flatten(self.avgpool(self.features(x)), 1))  # as torchvision: no child


def _lrn():
    # NOTE: the paper's alpha is not divided by n; LocalResponseNorm divides it.
    return nn.LocalResponseNorm(LRN_SIZE, alpha=LRN_SIZE * LRN_ALPHA, beta=LRN_BETA, k=LRN_K)


def _paper(num_classes):
    features = nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4),
        nn.ReLU(),
        _lrn(),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2),
        nn.ReLU(),
        _lrn(),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=2),
        nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=2),
        nn.ReLU(),
        nn.MaxPool2d(3, 2),
    )
    classifier = nn.Sequential(
        nn.Linear(256 * 6 * 6, 4096),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(4096, num_classes),
    )
    return _paper_init(AlexNet(features, nn.Identity(), classifier))


def _paper_init(net):
    """Section 5: every weight drawn from N(0, 0.01^2); the biases of conv2, conv4, conv5 and
    the two hidden fully connected layers set to 1, the others to 0."""
    convs = [m for m in net.features if isinstance(m, nn.Conv2d)]
    fcs = [m for m in net.classifier if isinstance(m, nn.Linear)]
    for m in convs + fcs:
        nn.init.normal_(m.weight, 0.0, 0.01)
    # NOTE: the paper's reason for the ones: the ReLUs then start with positive inputs,
    # which "accelerates the early stages of learning"
    for m in (convs[1], convs[3], convs[4], fcs[0], fcs[1]):
        nn.init.ones_(m.bias)
    for m in (convs[0], convs[2], fcs[2]):
        nn.init.zeros_(m.bias)
    return net


def _torchvision(num_classes, dropout=0.5):
    features = nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(3, 2),
    )
    classifier = nn.Sequential(
        nn.Dropout(dropout),
        nn.Linear(256 * 6 * 6, 4096),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Linear(4096, num_classes),
    )
    return AlexNet(features, nn.AdaptiveAvgPool2d(6), classifier)


def alexnet(variant="paper", num_classes=1000):
    """AlexNet: "paper" (227x227, two towers as groups=2, LRN) or "torchvision" (224x224)."""
    if variant == "paper":
        return _paper(num_classes)
    if variant == "torchvision":
        return _torchvision(num_classes)
    raise ValueError(f"alexnet: unknown variant {variant!r}; expected 'paper' or 'torchvision'")


def alexnet_small(num_classes=10):
    """AlexNet's ideas at CIFAR scale (32x32): ReLU, LRN, overlapping pools, dropout.

    32 -> conv 5x5 -> 32 -> pool 3/2 -> 15 -> conv 5x5 -> 15 -> pool -> 7 -> three
    3x3 convs -> 7 -> pool -> 3; then FC 2304 -> 1024 -> 1024 -> classes.
    """
    features = nn.Sequential(
        nn.Conv2d(3, 64, 5, padding=2),
        nn.ReLU(),
        _lrn(),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2),
        nn.ReLU(),
        _lrn(),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(3, 2),
    )
    classifier = nn.Sequential(
        nn.Dropout(0.5),
        nn.Linear(256 * 3 * 3, 1024),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(1024, 1024),
        nn.ReLU(),
        nn.Linear(1024, num_classes),
    )
    return AlexNet(features, nn.Identity(), classifier)
