"""Network in Network for CIFAR-10.

Lin, Chen, Yan, "Network In Network", ICLR 2014, section 3 and Figure 2, with
the layer sizes of the authors' released CIFAR-10 model (whose second pool
averages, where this one takes the max after every block, as the paper's text
does): three mlpconv blocks,
each a spatial conv followed by two 1x1 convs (a small MLP shared across
positions), all with ReLU:
    5x5 192, 1x1 160, 1x1 96   -> max pool 3x3/2 -> dropout 0.5
    5x5 192, 1x1 192, 1x1 192  -> max pool 3x3/2 -> dropout 0.5
    3x3 192, 1x1 192, 1x1 classes
then global average pooling of each class map: no fully connected layer.
Sizes (32x32 input, ceil-mode pools as in Caffe): 32 -> 16 -> 8 -> 1.

Initialisation: every conv's weights He normal over the fan-in
(``kaiming_normal_``, ReLU gain), biases 0. That is minicnn's choice, not the
paper's, which gives no scheme (the note in ``NIN.__init__`` says why).
"""

from .. import nn


def _mlpconv(in_channels, widths, kernel_size, padding):
    a, b, c = widths
    return [
        nn.Conv2d(in_channels, a, kernel_size, padding=padding),
        nn.ReLU(),
        nn.Conv2d(a, b, 1),
        nn.ReLU(),
        nn.Conv2d(b, c, 1),
        nn.ReLU(),
    ]


class NIN(nn.Module):
    """``features`` (the three mlpconv blocks), ``avgpool`` (global), ``flatten``."""

    def __init__(self, num_classes=10, dropout=0.5, widths=((192, 160, 96), (192, 192, 192), (192, 192))):
        super().__init__()
        a, b, c = widths  # the paper's by default; narrower ones make quick tests
        self.features = nn.Sequential(
            *_mlpconv(3, a, 5, 2),
            nn.MaxPool2d(3, 2, ceil_mode=True),
            nn.Dropout(dropout),
            *_mlpconv(a[-1], b, 5, 2),
            nn.MaxPool2d(3, 2, ceil_mode=True),
            nn.Dropout(dropout),
            *_mlpconv(b[-1], tuple(c) + (num_classes,), 3, 1),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        # NOTE: nine ReLU layers and no FC: with the default (small) init the class maps
        # start near zero and half dead, so the He init keeps the signal alive
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.flatten(self.avgpool(self.features(x)))


def nin(num_classes=10):
    """NIN for 32x32 inputs (CIFAR-10)."""
    return NIN(num_classes)
