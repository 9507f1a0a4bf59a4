"""Activations: elementwise nonlinearities.

ReLU is AlexNet's choice: piecewise linear, so forward and backward are a
comparison and a mask, and it does not saturate for large inputs as tanh and
the sigmoid do (their gradients 1 - y^2 and y(1 - y) vanish there). Sine and
cosine sit beside tanh: periodic, they serve as activations too (SIREN, Sitzmann
et al. 2020) and make positional encodings (Vaswani et al. 2017).
"""

from __future__ import annotations

from .. import backend, kernels, rng
from ..tensor import Function, Tensor
from .basic import unbroadcast
from .checks import check_float, check_real, check_tensor
from .promotion import floating


class ReLU(Function):
    """y = max(x, 0).   gx = gy where not x <= 0 (x > 0, or NaN as in PyTorch), else 0."""

    def forward(self, x):
        # NOTE: y > 0 exactly where x > 0, so y is kept instead of a mask: the next
        # layer keeps y anyway, and the mask was one more array per ReLU
        self.K = kernels.for_array(x)
        self.y = self.K.relu_forward(x)
        return self.y

    def backward(self, gy):
        return self.K.relu_input_grad(gy, self.y)


class Tanh(Function):
    """y = tanh x.   gx = gy * (1 - y^2)."""

    def forward(self, x):
        self.y = backend.xp_of(x).tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)


class Sin(Function):
    """y = sin x.   gx = cos x * gy."""

    def forward(self, x):
        self.x = x
        return backend.xp_of(x).sin(x)

    def backward(self, gy):
        return self.xp.cos(self.x) * gy


class Cos(Function):
    """y = cos x.   gx = -sin x * gy."""

    def forward(self, x):
        self.x = x
        return backend.xp_of(x).cos(x)

    def backward(self, gy):
        return -self.xp.sin(self.x) * gy


class Sigmoid(Function):
    """y = 1 / (1 + e^-x).   gx = gy * y * (1 - y)."""

    def forward(self, x):
        self.y = logistic(x)
        return self.y

    def backward(self, gy):
        return gy * self.y * (1 - self.y)


def logistic(x):
    """1 / (1 + e^-x) on an array, in x's dtype (the sigmoid; SiLU and softplus use it too)."""
    xp = backend.xp_of(x)
    # NOTE: written with e^-|x| so neither branch overflows for large |x|
    e = xp.exp(-abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def softplus_of(z):
    """log(1 + e^z) on an array, in z's dtype (softplus, mish, and the logistic losses use it)."""
    xp = backend.xp_of(z)
    # NOTE: max(z, 0) + log(1 + e^-|z|): e^z alone overflows for z > 88 in float32
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-abs(z)))


def relu(x: Tensor, inplace: bool = False, *, name: str = "relu") -> Tensor:
    """y = max(x, 0). ``inplace`` is PyTorch's keyword, taken so its code runs, but ignored:
    the result is always a new tensor and x is left unchanged, so assign the result
    (``x = F.relu(x, inplace=True)``). A bare ``F.relu(x, inplace=True)``, which changes x in
    PyTorch, changes nothing here (docs/ops/activations.md); ``nn.ReLU(inplace=True)`` is
    called as ``x = relu(x)`` and works the same in both."""
    check_float(name, "x", x)
    return ReLU.apply(x)


def tanh(x: Tensor, *, name: str = "tanh") -> Tensor:
    """y = tanh x."""
    check_float(name, "x", x)
    return Tanh.apply(x)


def sin(input: Tensor) -> Tensor:
    """y = sin x, elementwise, as ``torch.sin``: an integer or bool tensor gives float32.

    >>> import minicnn as mc
    >>> mc.sin(mc.tensor([0.0, 1.5707964])).tolist()
    [0.0, 1.0]
    """
    check_tensor("sin", "input", input)
    return Sin.apply(floating(input, "sin"))


def cos(input: Tensor) -> Tensor:
    """y = cos x, elementwise, as ``torch.cos``: an integer or bool tensor gives float32."""
    check_tensor("cos", "input", input)
    return Cos.apply(floating(input, "cos"))


def sigmoid(x: Tensor, *, name: str = "sigmoid") -> Tensor:
    """y = 1 / (1 + e^-x)."""
    check_float(name, "x", x)
    return Sigmoid.apply(x)


# --- leaky ReLUs: a small slope for x < 0, so negative units still learn ----


class LeakyReLU(Function):
    """y = x if x > 0 else a x (a fixed; PReLU learns it; RReLU draws it).   gx = gy * (1 or a)."""

    def forward(self, x, *, negative_slope):
        self.slope = backend.xp_of(x).where(x > 0, 1, negative_slope).astype(x.dtype)
        return x * self.slope

    def backward(self, gy):
        return gy * self.slope


class PReLU(Function):
    """y = x if x > 0 else a_c x, one learned a per channel (dim 1) or one for all (He et al. 2015).
    gx = gy * (1 or a_c),  ga_c = sum over everything but the channel of gy * x where not x > 0."""

    def forward(self, x, weight):
        xp = backend.xp_of(x)
        self.x, self.weight_shape = x, weight.shape
        # weight (C,) lines up with dim 1 (dim 0 of 1-D input); (1,) broadcasts anyway
        shape = [1] * x.ndim
        if weight.size > 1:
            shape[1 if x.ndim > 1 else 0] = weight.size
        self.a = weight.reshape(shape)
        self.negative = ~(x > 0)  # NaN takes the slope's branch, as in LeakyReLU and PyTorch
        return xp.where(self.negative, self.a * x, x)

    def backward(self, gy):
        xp = self.xp
        gx = ga = None
        if self.needs_grad[0]:
            gx = xp.where(self.negative, self.a * gy, gy)
        if self.needs_grad[1]:
            g = gy * self.x * self.negative
            ga = unbroadcast(g, self.a.shape).reshape(self.weight_shape)
        return gx, ga


class RReLU(Function):
    """y = x if x > 0 else a x, a drawn per element beforehand.   gx = gy * (1 or a), the same a."""

    def forward(self, x, *, slopes):
        self.slope = backend.xp_of(x).where(x > 0, 1, slopes).astype(x.dtype)
        return x * self.slope

    def backward(self, gy):
        return gy * self.slope


def leaky_relu(
    x: Tensor, negative_slope: float = 0.01, inplace: bool = False, *, name: str = "leaky_relu"
) -> Tensor:
    """y = x if x > 0 else negative_slope * x. ``inplace``: as relu's, a new tensor either way."""
    check_float(name, "x", x)
    check_real(name, "negative_slope", negative_slope)
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def prelu(x: Tensor, weight: Tensor, *, name: str = "prelu") -> Tensor:
    """y = max(0, x) + weight * min(0, x); weight has 1 value or one per channel (dim 1)."""
    check_float(name, "x", x)
    check_float(name, "weight", weight)
    channels = x.shape[1] if x.ndim > 1 else (x.shape[0] if x.ndim == 1 else 1)
    if weight.ndim != 1 or weight.shape[0] not in (1, channels):
        raise ValueError(
            f"{name}: x has {channels} channel(s) but weight has {weight.shape[0]} "
            f"value(s); it must have 1 or one per channel; x {x.shape}, "
            f"weight {weight.shape}"
        )
    if weight.dtype != x.dtype:
        raise TypeError(
            f"{name}: x is {x.dtype} but weight is {weight.dtype}; convert one of them "
            "(x.float() / x.double(), model.float() / model.double())"
        )
    return PReLU.apply(x, weight)


def rrelu(
    x: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
    *,
    name: str = "rrelu",
) -> Tensor:
    """Randomized leaky ReLU (Xu et al. 2015): slope ~ U(lower, upper) per element when
    training, the mean (lower + upper) / 2 in evaluation. ``inplace``: as relu's, a new
    tensor either way."""
    check_float(name, "x", x)
    check_real(name, "lower", lower)
    check_real(name, "upper", upper)
    if not 0 <= lower <= upper:
        raise ValueError(f"{name}: expected 0 <= lower <= upper, got lower={lower}, upper={upper}")
    if not training:
        return LeakyReLU.apply(x, negative_slope=(lower + upper) / 2)
    slopes = rng.default_generator().uniform(lower, upper, x.shape)
    slopes = backend.to_device(slopes.astype(x.dtype), x.device)
    return RReLU.apply(x, slopes=slopes)
