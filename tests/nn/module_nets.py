"""The small modules the nn.Module tests build on: Net, a Sequential, a BatchNorm-like Stats
and a Linear, whose names, buffers and state dict the tests spell out."""

import numpy as np

import minicnn as mc
from minicnn import nn


class Stats(nn.Module):
    """A stand-in for BatchNorm's bookkeeping: a parameter, float and int buffers, one not persistent."""

    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(np.ones(n, dtype=np.float32))
        self.register_buffer("running_mean", np.zeros(n, dtype=np.float32))
        self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        self.register_buffer("scratch", np.zeros(n, dtype=np.float32), persistent=False)

    def forward(self, x):
        return x * self.weight


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 5))
        self.bn = Stats(5)
        self.fc1 = nn.Linear(5, 3)

    def forward(self, x):
        return self.fc1(self.bn(self.features(x)))


def x64(*shape, seed=0):
    return mc.tensor(np.random.default_rng(seed).standard_normal(shape))
