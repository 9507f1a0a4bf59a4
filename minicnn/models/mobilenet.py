"""MobileNet v1: depthwise-separable convolutions, a small fast net for CPUs.

Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile
Vision Applications", 2017, Table 1 (the body: a full 3x3/2 conv with 32
filters, then 13 depthwise-separable layers, each a 3x3 depthwise conv with
groups = channels and a 1x1 pointwise conv, both followed by BN and ReLU),
Figure 3 (that layer) and Table 6 / Table 8 (1.0 MobileNet-224: 4.2M
parameters, 569M multiply-adds; 4,231,976 parameters here).
``width_mult`` is the paper's alpha, thinning every layer (section 4.2).

Five stride-2 layers take 224 to 7, and 32x32 (CIFAR) to 1x1; the average
pool is adaptive, so both sizes work. The last depthwise layer has stride 1
where Table 1 misprints "s2" (see LAYERS).

Initialisation: PyTorch's default (convs and the fc as nn.Conv2d and
nn.Linear start, batch norm weights 1 and biases 0); the paper gives no scheme.
"""

from .. import nn

# (output channels, stride) of the 13 depthwise-separable layers -- Table 1
LAYERS = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),  # Table 1 prints "Conv dw / s2" here; see the note below
)
# NOTE: Table 1 gives the 13th depthwise layer, on a 7x7x1024 input, "s2", yet the rows
# after it still read 7x7x1024 and end in a 7x7 average pool, so its stride must be 1, as
# here and in the MobileNet v1 of TensorFlow's slim models: a misprint in the paper
# (tensorflow/models#1997).


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, groups=1):
        super().__init__(
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride=stride,
                padding=kernel_size // 2,
                groups=groups,
                bias=False,
            ),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )


class DepthwiseSeparable(nn.Module):
    """3x3 depthwise (one filter per channel) then 1x1 pointwise: 9C + C*D weights, not 9CD."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.depthwise = ConvBNReLU(in_channels, in_channels, 3, stride, groups=in_channels)
        self.pointwise = ConvBNReLU(in_channels, out_channels, 1)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class MobileNetV1(nn.Module):
    def __init__(self, num_classes=1000, width_mult=1.0):
        super().__init__()
        if width_mult <= 0:
            raise ValueError(f"mobilenet_v1: width_mult must be positive, got {width_mult}")
        width = lambda c: max(8, int(c * width_mult))  # noqa: E731
        layers = [ConvBNReLU(3, width(32), 3, stride=2)]
        channels = width(32)
        for out, stride in LAYERS:
            layers.append(DepthwiseSeparable(channels, width(out), stride))
            channels = width(out)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        return self.fc(self.flatten(self.avgpool(self.features(x))))


def mobilenet_v1(width_mult=1.0, num_classes=1000):
    """MobileNet v1 (4.2M parameters at width 1.0); runs at 224x224 and at 32x32."""
    return MobileNetV1(num_classes, width_mult)
