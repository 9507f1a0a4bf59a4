"""Weight initialisation, in place, with PyTorch's formulas.

Why the scale matters: a layer sums fan_in products, so with weights of
variance v its output variance is about fan_in * v times its input's. Keeping
that ratio near 1 (times a gain that undoes the nonlinearity's shrinking) keeps
signals and gradients from vanishing or exploding with depth:

    xavier (Glorot & Bengio 2010):  std = gain * sqrt(2 / (fan_in + fan_out))
    kaiming (He et al. 2015):       std = gain / sqrt(fan)  (fan_in or fan_out)

A uniform U(-b, b) has std b / sqrt(3), hence the sqrt(3) in the uniform versions.
Draws come from ``minicnn.manual_seed``'s generator unless ``generator`` (a
``numpy.random.Generator`` or an int seed) is given; they are made in float64 on
the CPU and cast to the tensor's dtype and device.
"""

import math
import warnings

import numpy as np

from .. import backend, in_place, rng
from ..functional.in_place_random import check_floating_draws
from ..tensor import Tensor

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "constant_",
    "zeros_",
    "ones_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "default_",
]


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps a signal's variance through ``nonlinearity`` (PyTorch's table).

    linear, conv*, sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);
    leaky_relu: sqrt(2 / (1 + slope^2)) with slope ``param`` (default 0.01);  selu: 3/4.
    """
    linear = (
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
    )
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = in_features * kernel area, fan_out = out_features * kernel area.

    Weights are laid out as PyTorch's: (out, in) for Linear, (out, in/groups, kh, kw) for conv.
    """
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than "
            f"2 dimensions, got shape {tuple(shape)}"
        )
    receptive_field = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, draw, name=None):
    """Write ``draw(shape)`` (float64 values) into the tensor's array in place; returns the tensor.
    A draw ``name``d (``uniform_``: a value of its own per element) is refused where elements
    share memory (an expand() view), and in an integer or bool tensor, as in PyTorch; a
    constant is written there."""
    array = tensor.data if isinstance(tensor, Tensor) else tensor
    if name is not None:  # (draws, cut to integers without a word; a constant fits any dtype)
        _check_draws(array, name)
    if array.size == 0:  # (silently, as PyTorch's uniform_ and normal_; kaiming's warn, below)
        return tensor
    in_place.refuse_read_only("nn.init" + (f".{name}" if name else ""), array, "the tensor")
    if name is not None:
        in_place.check_no_overlap(f"nn.init.{name}", array, "the tensor")
    values = np.asarray(draw(array.shape), dtype=np.float64)
    array[...] = backend.to_device(values.astype(array.dtype), backend.device_of(array))
    if isinstance(tensor, Tensor):
        tensor._changed_in_place()  # a graph that kept the old values now refuses its backward
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    g = rng.get_generator(generator)
    return _fill(tensor, lambda shape: g.uniform(a, b, size=shape), "uniform_")


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std^2)."""
    g = rng.get_generator(generator)
    return _fill(tensor, lambda shape: g.normal(mean, std, size=shape), "normal_")


def constant_(tensor, val):
    """Fill with ``val`` (a bias started at 0.1, a BatchNorm weight at 1), in place."""
    return _fill(tensor, lambda shape: np.full(shape, val, dtype=np.float64))


def zeros_(tensor):
    """Fill with 0, in place (``constant_(tensor, 0)``): a bias's usual start."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fill with 1, in place (``constant_(tensor, 1)``): a normalization's scale."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out))  (Glorot & Bengio 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    _check_draws(tensor, "xavier_uniform_")  # (after the fan's check, as in PyTorch)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    _check_draws(tensor, "xavier_normal_")  # (after the fan's check, as in PyTorch)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _check_draws(tensor, name):
    """Refuse an integer or bool tensor, naming the init called (draws would be cut to ints)."""
    check_floating_draws(tensor.data if isinstance(tensor, Tensor) else tensor, f"nn.init.{name}")


def _numel(tensor):
    return (tensor.data if isinstance(tensor, Tensor) else tensor).size


def _zero_elements(tensor):
    """A tensor with no elements, left as it is with PyTorch's warning (its kaiming_uniform_ and
    kaiming_normal_ give one; uniform_, normal_, constant_ and xavier's return in silence)."""
    warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
    return tensor


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-b, b), b = sqrt(3) * gain / sqrt(fan)  (He et al. 2015).

    ``a`` is the negative slope of the leaky ReLU that follows (nn.Linear and
    nn.Conv2d use a = sqrt(5), which gives b = 1 / sqrt(fan_in)).
    """
    if _numel(tensor) == 0:
        return _zero_elements(tensor)
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))
    _check_draws(tensor, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2), std = gain / sqrt(fan)  (He et al. 2015; ResNet uses mode='fan_out', relu)."""
    if _numel(tensor) == 0:
        return _zero_elements(tensor)
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))
    _check_draws(tensor, "kaiming_normal_")
    return normal_(tensor, 0.0, std, generator)


def default_(weight, bias=None):
    """PyTorch's default for Linear and Conv2d weights: kaiming_uniform_(a=sqrt(5)) on the
    weight, which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the bias."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)
