"""Activations: elementwise nonlinearities.

ReLU is AlexNet's choice: piecewise linear, so forward and backward are a
comparison and a mask, and it does not saturate for large inputs as tanh and
the sigmoid do (their gradients 1 - y^2 and y(1 - y) vanish there).
"""
from .. import backend
from ..tensor import Function


class ReLU(Function):
    """y = max(x, 0).   gx = gy where x > 0, else 0."""

    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask


class Tanh(Function):
    """y = tanh x.   gx = gy * (1 - y^2)."""

    def forward(self, x):
        self.y = backend.xp_of(x).tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)


class Sigmoid(Function):
    """y = 1 / (1 + e^-x).   gx = gy * y * (1 - y)."""

    def forward(self, x):
        xp = backend.xp_of(x)
        # NOTE: written with e^-|x| so neither branch overflows for large |x|
        e = xp.exp(-abs(x))
        self.y = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)
        return self.y

    def backward(self, gy):
        return gy * self.y * (1 - self.y)


def relu(x):
    return ReLU.apply(x)


def tanh(x):
    return Tanh.apply(x)


def sigmoid(x):
    return Sigmoid.apply(x)
