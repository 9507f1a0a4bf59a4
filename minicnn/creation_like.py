"""The ``*_like`` factories, as PyTorch's: a new tensor of another's shape, and of its dtype and
device unless ``dtype=`` or ``device=`` says otherwise (``mc.zeros_like(x)``, ``mc.rand_like(x)``).

Each checks what it is given as its sibling in creation.py does, naming itself: ``t`` a Tensor, a
dtype that is one, a device minicnn has, a fill value or bounds the dtype holds.
"""

from __future__ import annotations

from typing import Any

from . import creation, creation_args
from .tensor import Tensor


def _like(name: str, t: Any, dtype: Any, device: Any) -> tuple:
    """The dtype and device of a *_like factory: t's, unless given."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    dtype = creation_args.dtype_of(name, dtype, t.dtype)
    return dtype, t.device if device is None else creation_args.device_of(name, device)


def zeros_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of t's shape, dtype and device (unless given)."""
    dtype, device = _like("zeros_like", t, dtype, device)
    return creation.zeros(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of t's shape, dtype and device (unless given)."""
    dtype, device = _like("ones_like", t, dtype, device)
    return creation.ones(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of t's shape, dtype and device (unless given) to be written over: zeros here, as
    ``mc.empty`` (PyTorch leaves whatever the memory held)."""
    dtype, device = _like("empty_like", t, dtype, device)
    return creation.empty(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(
    t: Tensor, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """``fill_value`` in t's shape, dtype and device (unless given)."""
    dtype, device = _like("full_like", t, dtype, device)
    return creation._filled("full_like", t.shape, fill_value, dtype, device, requires_grad)


def rand_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform draws from [0, 1) in t's shape, dtype and device (unless given)."""
    dtype, device = _like("rand_like", t, dtype, device)
    return creation.rand(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal draws in t's shape, dtype and device (unless given)."""
    dtype, device = _like("randn_like", t, dtype, device)
    return creation.randn(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


_RANDINT_LIKE = "randint_like(x, high) or randint_like(x, low, high)"


def randint_like(
    t: Tensor,
    *bounds: Any,
    low: Any = None,
    high: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    generator: Any = None,
) -> Tensor:
    """Integers drawn uniformly from [low, high) in t's shape, dtype and device (unless given):
    ``randint_like(x, high)`` or ``randint_like(x, low, high)`` (``high=`` and ``low=`` by
    keyword too), as PyTorch's. Each of the high - low integers is drawn with probability
    1 / (high - low). In a float tensor the values are whole numbers; the range is checked as
    ``mc.randint`` checks it: it must fit the dtype (``randint_like(uint8 tensor, 300)`` is
    refused), within the integers a float dtype holds every one of (+-2^24 in float32)."""
    dtype, device = _like("randint_like", t, dtype, device)
    low, high = creation_args.int_bounds("randint_like", _RANDINT_LIKE, bounds, low, high)
    return creation.drawn_ints("randint_like", low, high, t.shape, dtype, device, generator, requires_grad)
