"""The in-place activations of ``torch.nn.functional``: relu_, elu_, leaky_relu_, hardtanh_,
selu_, celu_, threshold_ and rrelu_.

Each computes what its out-of-place twin computes (``relu_(x)`` what ``relu(x)`` does), writes
it into x's own array and returns x itself, under the rules of Tensor's in-place methods
(in_place_methods.py, ``clamp_`` and the others): minicnn records no in-place operation in a
graph (a backward may read the array that would be overwritten), so the write happens only
where no gradient would be recorded, under ``mc.no_grad()`` or on a tensor that needs none,
and is refused in one line elsewhere: on a leaf that requires grad, as PyTorch refuses it,
and on a node of a graph, where PyTorch would record it and minicnn names the out-of-place
call to write instead. The change is counted (in_place.py), so a node that kept x's array
refuses its backward afterwards.

The ``inplace=True`` keyword of ``F.relu`` and the others is another thing: taken and ignored,
a new tensor either way (docs/ops/activations.md).
"""

from __future__ import annotations

from collections.abc import Callable

from ..tensor import Tensor
from . import hard_activation
from .activation import leaky_relu, relu, rrelu
from .checks import check_float
from .hard_activation import hardtanh
from .in_place_methods import write_result
from .smooth_activation import celu, elu, selu


def _write(name: str, input: Tensor, op: Callable[[Tensor], Tensor]) -> Tensor:
    """x's array = op(x), in place, where the in-place rules allow it; x returned."""
    check_float(name, "input", input)
    return write_result(input, f"{name}()", f"x = F.{name[:-1]}(x, ...)", op)


def relu_(input: Tensor) -> Tensor:
    """x = max(x, 0) in place, as ``torch.nn.functional.relu_``: x itself returned.

    >>> import minicnn as mc, minicnn.functional as F
    >>> x = mc.tensor([-1.0, 2.0])
    >>> F.relu_(x) is x, x.tolist()
    (True, [0.0, 2.0])
    """
    return _write("relu_", input, lambda x: relu(x, name="relu_"))


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``elu`` in place (x for x > 0, alpha (e^x - 1) otherwise), as ``torch.nn.functional.elu_``."""
    return _write("elu_", input, lambda x: elu(x, alpha, name="elu_"))


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``leaky_relu`` in place, as ``torch.nn.functional.leaky_relu_``."""
    return _write("leaky_relu_", input, lambda x: leaky_relu(x, negative_slope, name="leaky_relu_"))


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``hardtanh`` in place (x clipped to [min_val, max_val]), as ``torch.nn.functional.hardtanh_``."""
    return _write("hardtanh_", input, lambda x: hardtanh(x, min_val, max_val, name="hardtanh_"))


def selu_(input: Tensor) -> Tensor:
    """``selu`` in place, as ``torch.nn.functional.selu_``."""
    return _write("selu_", input, lambda x: selu(x, name="selu_"))


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``celu`` in place, as ``torch.nn.functional.celu_``."""
    return _write("celu_", input, lambda x: celu(x, alpha, name="celu_"))


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """``threshold`` in place (x where x > threshold, else value), as
    ``torch.nn.functional.threshold_``."""
    # (hard_activation.threshold: the argument threshold hides the function's name here)
    op = hard_activation.threshold
    return _write("threshold_", input, lambda x: op(x, threshold, value, name="threshold_"))


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    """``rrelu`` in place, as ``torch.nn.functional.rrelu_``: in training each negative slope is
    drawn from U(lower, upper), in evaluation it is (lower + upper) / 2."""
    return _write("rrelu_", input, lambda x: rrelu(x, lower, upper, training, name="rrelu_"))
