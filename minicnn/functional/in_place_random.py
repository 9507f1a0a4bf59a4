"""Tensor's random refills in place: normal_, uniform_, bernoulli_, exponential_ and random_.

Each draws from minicnn's generator (``mc.manual_seed(s)`` repeats the draws; a
``generator=`` of its own, an int seed or a NumPy Generator, leaves it untouched) on the CPU,
casts the draws to x's dtype and copies them to x's device, so a seed gives the same numbers
on NumPy and CuPy. The numbers are not PyTorch's (another generator), their distributions are.
The write follows the rules of Tensor's other in-place methods (in_place_methods.py): only
where no gradient would be recorded (``mc.no_grad()``, or a tensor that needs none), each
change counted.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend, rng
from ..creation import below_one
from ..tensor import Tensor
from .checks import ValueOverflowError, check_tensor, type_name
from .in_place_methods import _check_fits, _check_in_place


def _refill(self: Tensor, name: str, draw: Callable[[], np.ndarray]) -> Tensor:
    """Write ``draw()``, CPU draws of x's shape, into x's array in x's dtype, under the in-place
    rules; drawn once those pass, so a refused call leaves the generator where it was."""
    _check_in_place(self, name)
    self.data[...] = backend.to_device(draw().astype(self.dtype), self.device)
    self._changed_in_place()
    return self


def check_floating_draws(x: Any, name: str) -> None:
    """normal_ and uniform_ draw floats (Tensor's and nn.init's, xavier's and kaiming's too): an
    integer or bool x (a Tensor or an array) is refused, as PyTorch refuses it
    (NotImplementedError: "normal_kernel_cpu" not implemented for 'Long'), where the draws
    would be cut to integers without a word."""
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"{name}: not implemented for dtype {x.dtype}, as in PyTorch: expected a floating-point tensor"
        )


def _normal_(self: Tensor, mean: Any = 0.0, std: Any = 1.0, *, generator: Any = None) -> Tensor:
    """Refill with draws from N(mean, std^2), from minicnn's generator (mc.manual_seed
    repeats them), as PyTorch's; on a parameter, under mc.no_grad()."""
    check_floating_draws(self, "normal_")
    return _refill(self, "normal_", lambda: rng.get_generator(generator).normal(mean, std, self.shape))


def _uniform_(self: Tensor, from_: Any = 0.0, to: Any = 1.0, *, generator: Any = None) -> Tensor:
    """Refill with draws from U[from_, to), as PyTorch's ``uniform_``."""
    check_floating_draws(self, "uniform_")
    # NOTE: float32 rounding can lift the largest draws to ``to`` itself; keep them below
    return _refill(
        self,
        "uniform_",
        lambda: from_ + (to - from_) * below_one(rng.get_generator(generator).random(self.shape), self.dtype),
    )


def _bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Refill with draws of 1 (with probability p) or 0, as PyTorch's ``bernoulli_``: p a number
    in [0, 1], or a floating-point tensor of them broadcast to x's shape; x of any dtype."""
    name = "bernoulli_()"
    check_tensor(name, "x", self)
    if isinstance(p, Tensor):
        if p.dtype.kind != "f":
            raise TypeError(f"{name}: expected a floating-point p, got {p.dtype} (as PyTorch)")
        _check_fits(name, self, p.shape, "p")
        probs = np.asarray(backend.to_device(p.data, "cpu"), dtype=np.float64)
    elif isinstance(p, numbers.Real) and not isinstance(p, bool):
        probs = np.float64(p)
    else:
        raise TypeError(f"{name}: p must be a number or a Tensor, got {type_name(p)}")
    if not bool(((probs >= 0) & (probs <= 1)).all()):  # (NaN fails too)
        got = (
            f"p={p}"
            if not isinstance(p, Tensor)
            else f"values outside it in p, e.g. {probs[~((probs >= 0) & (probs <= 1))].flat[0]}"
        )
        raise ValueError(f"{name}: expected p in [0, 1], got {got}")
    return _refill(self, name, lambda: rng.get_generator(generator).random(self.shape) < probs)


def _exponential_(self: Tensor, lambd: Any = 1.0, *, generator: Any = None) -> Tensor:
    """Refill with draws from the exponential distribution of rate ``lambd`` (density
    lambd e^(-lambd x), mean 1 / lambd), as PyTorch's ``exponential_``: a floating-point x only."""
    name = "exponential_()"
    check_tensor(name, "x", self)
    if self.dtype.kind != "f":  # NOTE: PyTorch's is a RuntimeError here, not normal_'s NotImplementedError
        raise RuntimeError(
            f"{name}: expected a floating-point tensor (a continuous distribution), got {self.dtype}"
        )
    if isinstance(lambd, bool) or not isinstance(lambd, numbers.Real):
        raise TypeError(f"{name}: lambd must be a number, got {type_name(lambd)}")
    if not float(lambd) > 0:
        raise ValueError(f"{name}: expected lambd > 0, got lambd={lambd}")
    return _refill(
        self, name, lambda: rng.get_generator(generator).standard_exponential(self.shape) / float(lambd)
    )


def _top(dtype: np.dtype) -> int:
    """The largest integer ``random_()`` draws for ``dtype``: every integer below it is exact."""
    if dtype.kind == "b":
        return 1
    if dtype.kind == "f":
        return 2 ** (np.finfo(dtype).nmant + 1)  # 2^24 for float32, 2^53 for float64
    return int(np.iinfo(dtype).max)


def _bounds(name: str, dtype: np.dtype, bounds: tuple, to: Any) -> tuple[int, int]:
    """[low, high], both drawn, from random_'s arguments, after PyTorch's checks."""
    if len(bounds) > 2 or (to is not None and len(bounds) > 1):
        raise TypeError(
            f"{name}: expected random_(), random_(to) or random_(from, to), got {len(bounds)} "
            f"bounds and to={to}"
        )
    if to is not None:
        low, high = (bounds[0] if bounds else 0), to
    elif len(bounds) == 2:
        low, high = bounds
    else:
        low, high = 0, (bounds[0] if bounds else None)
    for what, v in (("from", low), ("to", high)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Integral)):
            raise TypeError(f"{name}: {what} must be an int, got {type_name(v)} {v!r}")
    if high is not None and low >= high:
        raise ValueError(f"{name}: expected 'from' to be less than 'to', got from={low} >= to={high}")
    top = _top(dtype)
    high = top if high is None else int(high) - 1
    low = int(low)
    if dtype.kind == "f":
        if not (-top <= low and high <= top):
            bits = top.bit_length() - 1
            warnings.warn(
                f"{name}: the range [{low}, {high}] is beyond [-2**{bits}, 2**{bits}], where {dtype} "
                "holds every integer (as PyTorch warns); draws are rounded",
                UserWarning,
                stacklevel=3,
            )
    else:
        least = 0 if dtype.kind in "bu" else int(np.iinfo(dtype).min)
        for what, v in (("from", low), ("to - 1", high)):
            if not least <= v <= top:  # (a RuntimeError, as PyTorch's, and a ValueError)
                raise ValueOverflowError(
                    f"{name}: {what} = {v} is out of bounds for {dtype}, [{least}, {top}]"
                )
    return low, high


def _random_(self: Tensor, *bounds: Any, to: Any = None, generator: Any = None) -> Tensor:
    """Refill with integers drawn uniformly, as PyTorch's ``random_``: ``random_(to)`` from
    [0, to), ``random_(from, to)`` from [from, to) (``to=None``: up to the top below), and
    ``random_()`` from [0, top]: the dtype's largest value, 1 for bool, 2^24 for float32 and
    2^53 for float64 (the integers they hold exactly)."""
    name = "random_()"
    check_tensor(name, "x", self)
    low, high = _bounds(name, self.dtype, bounds, to)
    draw = lambda: rng.get_generator(generator).integers(
        low, high, size=self.shape, dtype=np.int64, endpoint=True
    )
    return _refill(self, name, draw)


_METHODS = {
    "normal_": _normal_,
    "uniform_": _uniform_,
    "bernoulli_": _bernoulli_,
    "exponential_": _exponential_,
    "random_": _random_,
}
for _name, _method in _METHODS.items():
    setattr(Tensor, _name, _method)  # (by name: mypy cannot follow methods added to a class)
