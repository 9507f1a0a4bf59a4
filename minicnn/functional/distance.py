"""Lengths and distances of vectors along a dim: normalize, cosine_similarity, pairwise_distance.

Each is written with the ops it is made of (a norm, a clamp, a division, a sum), PyTorch's
formulas, so its backward is theirs, composed by the engine. The clamp at ``eps`` keeps a zero
vector from dividing by zero; where it bites, the gradient is that of what was computed
(x / eps), which the finite differences of the tests see too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .basic import add, div, mul, sub
from .checks import check_float, check_real, check_same_dtype, type_name, wrap_dim, wrap_dims
from .clamping import clamp
from .promotion import check_broadcast
from .reduce import norm, sum
from .shape import expand

_NORMS = (1, 2, math.inf)  # the p that mc.norm implements


def check_p(name: str, p: Any) -> None:
    check_real(name, "p", p)
    if p not in _NORMS:
        raise ValueError(
            f"{name}: p must be 1, 2 or float('inf'), got {p!r} (other norms are not implemented)"
        )


def _check_pair(name: str, x1: Any, x2: Any) -> tuple[int, ...]:
    """Two floating-point Tensors of one dtype whose shapes broadcast; their common shape."""
    check_float(name, "x1", x1)
    check_float(name, "x2", x2)
    check_same_dtype(name, x1, x2=x2)
    check_broadcast(name, x1.shape, x2.shape)
    return tuple(int(n) for n in np.broadcast_shapes(x1.shape, x2.shape))


def normalize(
    input: Tensor,
    p: float = 2.0,
    dim: Any = 1,
    eps: float = 1e-12,
    out: None = None,
    *,
    name: str = "normalize",
) -> Tensor:
    """Each vector along ``dim`` divided by its p-norm, as ``torch.nn.functional.normalize``:

        y = x / max(||x||_p, eps),   ||x||_p over ``dim`` (an int or a tuple of ints),

    so every vector comes out of length 1, and a vector shorter than eps is divided by eps
    (a zero vector stays zero). p is 1, 2 or ``float("inf")``; ``out`` is not supported.

    Shapes: any -> the same.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.normalize(mc.tensor([[3.0, 4.0], [0.0, 0.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    """
    check_float(name, "input", input)
    check_p(name, p)
    check_real(name, "eps", eps)
    if out is not None:
        raise TypeError(f"{name}: out= is not supported; assign the result instead")
    wrap_dims(name, dim, input.ndim)
    return div(input, clamp(norm(input, p, dim, keepdim=True), min=eps))


def cosine_similarity(
    x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8, *, name: str = "cosine_similarity"
) -> Tensor:
    """The cosine of the angle between the vectors of x1 and x2 along ``dim``, as
    ``torch.nn.functional.cosine_similarity`` computes it:

        y = sum over dim of (x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps)),

    each vector normalized first, so that |y| <= 1 and no product of norms can overflow.
    x1 and x2 broadcast; ``dim`` counts in their common shape, and leaves the result. Where a
    norm is below eps the gradient here is that of x / eps; PyTorch's differs there, as it
    clamps the norm outside its graph.

    Shapes: x1, x2 broadcasting to (*, D, *) -> (*, *), D at ``dim``.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.cosine_similarity(mc.tensor([[1.0, 0.0], [1.0, 1.0]]), mc.tensor([1.0, 0.0])).tolist()
    [1.0, 0.7071067690849304]
    """
    shape = _check_pair(name, x1, x2)
    dim = wrap_dim(name, dim, len(shape))
    check_real(name, "eps", eps)
    if not eps >= 0:  # (NaN too, as PyTorch)
        raise ValueError(f"{name}: eps must be non-negative, got {eps!r}")
    x1, x2 = (x if tuple(x.shape) == shape else expand(x, shape) for x in (x1, x2))
    n1, n2 = (clamp(norm(x, 2, dim, keepdim=True), min=eps) for x in (x1, x2))
    return sum(mul(div(x1, n1), div(x2, n2)), dim)


def pairwise_distance(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    eps: float = 1e-6,
    keepdim: bool = False,
    *,
    name: str = "pairwise_distance",
) -> Tensor:
    """The p-norm distance between the vectors of x1 and x2 along their last dim, as
    ``torch.nn.functional.pairwise_distance``:

        y = ||x1 - x2 + eps||_p   over the last dim of their broadcast shape,

    eps added to every difference (PyTorch's choice: the 2-norm's gradient has no 0/0 where
    x1 = x2). p is 1, 2 or ``float("inf")``.

    Shapes: x1, x2 broadcasting to (*, D) -> (*), or (*, 1) with ``keepdim``.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.pairwise_distance(mc.tensor([[0.0, 0.0]]), mc.tensor([[3.0, 4.0]]), eps=0.0).tolist()
    [5.0]
    """
    shape = _check_pair(name, x1, x2)
    check_p(name, p)
    check_real(name, "eps", eps)
    if not isinstance(keepdim, bool):
        raise TypeError(f"{name}: keepdim must be True or False, got {type_name(keepdim)} {keepdim!r}")
    return norm(add(sub(x1, x2), eps), p, dim=-1 if shape else None, keepdim=keepdim)
