"""What the minicnn.viz tests share: how far a picture is from blank, and a model whose
class activation map is known by hand (PlusDetector, with planted() to draw its pattern)."""

import io

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np

from minicnn import nn


def png_std(fig):
    """Pixel standard deviation of the figure saved as PNG (0 for a blank canvas)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=60)
    plt.close(fig)
    buffer.seek(0)
    pixels = matplotlib.image.imread(buffer, format="png")[..., :3]
    return float(pixels.std())


NON_BLANK = 0.03


class PlusDetector(nn.Module):
    """conv (channel 0 fires on a 3x3 plus, channel 1 is constant) -> pool -> GAP -> fc."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(2, 2)
        plus = np.array([[-1, 1, -1], [1, 1, 1], [-1, 1, -1]], dtype=np.float32)
        self.conv.weight.data[...] = 0
        self.conv.weight.data[0, 0] = plus
        self.conv.bias.data[...] = [-4.5, 0.1]  # only a whole plus (sum 5) passes the ReLU
        self.fc.weight.data[...] = [[2.0, 0.0], [0.0, 1.0]]
        self.fc.bias.data[...] = 0

    def forward(self, x):
        return self.fc(self.flatten(self.avgpool(self.pool(self.relu(self.conv(x))))))


def planted(row, col, size=16):
    """One image of zeros, size x size, with a 3x3 plus of ones centred at (row, col)."""
    x = np.zeros((1, 1, size, size), dtype=np.float32)
    x[0, 0, row - 1 : row + 2, col] = 1
    x[0, 0, row, col - 1 : col + 2] = 1
    return x
