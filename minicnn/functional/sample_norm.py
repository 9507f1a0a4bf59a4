"""Normalization within each sample: layer norm and group norm.

Layer normalization (Ba, Kiros and Hinton 2016) standardizes each sample over
its last dims: the features of one vector, or all of (C, H, W) of an image.
Group normalization (Wu and He 2018) standardizes each sample's channels in
groups of C/G, over the group's channels and all their positions: G = 1 is
layer norm over (C, H, W), G = C is instance norm. Neither looks across the
batch, so both compute the same in training and eval, take a batch of one,
and keep no running statistics.

Both are one core on a 2-D view of x: one row per set of values that share a
mean and a variance, standardized row by row (``standardize_rows``). The code
is xp code (NumPy, and the same lines on CuPy), with no kernel tier of its
own; ``kernels/reference_sample_norm.py`` holds the plain loops it is tested
against.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .. import backend
from ..backend import Array
from ..tensor import Function, Tensor
from .checks import check_float, check_same_dtype, check_tensor, positive_int
from .norm import as_ncm

# --- the core: standardize each row of a (R, K) array ------------------------
# BatchNorm's kernels (kernels/xp_norm.py) are this math turned sideways: a channel's
# values lie down axes (0, 2) of an (N, C, M) view, across the batch, where here a
# row's lie along axis 1, inside one sample. BatchNorm folds weight * invstd into one
# scale per channel, since its weight and its statistics share the channel axis; a
# layer norm's weight varies along the row, so it multiplies gy before the core
# (g = weight gy), and the core never sees it.


def as_rows(a: Array, ndim: int) -> Array:
    """a as (R, K): its leading dims as rows, its last ``ndim`` dims as each row's K values
    (sizes named, not -1: NumPy cannot infer a -1 beside an empty dim)."""
    split = a.ndim - ndim
    return a.reshape(math.prod(a.shape[:split]), math.prod(a.shape[split:]))


def as_group_rows(a: Array, num_groups: int) -> Array:
    """An (N, C, ...) array as (N * G, C/G * M): one row per sample's group of channels,
    which are adjacent in memory (channel-major within a sample)."""
    return a.reshape(a.shape[0] * num_groups, math.prod(a.shape[1:]) // num_groups)


def row_mean(a: Array) -> Array:
    """The mean of each row of a 2-D array, as an (R, 1) column in a's dtype."""
    xp = backend.xp_of(a)
    # NOTE: summed in float64 whatever a's dtype, as the reference batch norm: a float32
    # running sum of many values loses their low digits once it is large. max(K, 1): an
    # empty row's mean is 0, not NaN with a warning (what it feeds is empty too).
    total = a.sum(axis=1, keepdims=True, dtype=xp.float64)
    return (total / max(a.shape[1], 1)).astype(a.dtype, copy=False)


def standardize_rows(x: Array, eps: float) -> tuple[Array, Array]:
    """xhat = (x - mean) invstd,  invstd = 1 / sqrt(var + eps), mean and biased variance
    over each row of x (R, K), in two passes.   Returns (xhat, invstd), invstd (R, 1)."""
    xp = backend.xp_of(x)
    xhat = x - row_mean(x)
    invstd = 1 / xp.sqrt(row_mean(xhat * xhat) + eps)
    xhat *= invstd
    return xhat, invstd


def standardize_rows_grad(g: Array, xhat: Array, invstd: Array) -> Array:
    """gx = invstd (g - mean(g) - xhat mean(g xhat)), means over each row, g the gradient
    arriving at xhat: its components along the ones and along xhat removed (derived in
    docs/ops/batchnorm.md)."""
    return invstd * (g - row_mean(g) - xhat * row_mean(g * xhat))


# --- the two ops --------------------------------------------------------------


class LayerNorm(Function):
    """xhat = (x - mean) invstd, invstd = 1 / sqrt(var + eps), over the last ``ndim`` dims (the
    biased variance), y = weight xhat + bias.
    gx = invstd (g - mean(g) - xhat mean(g xhat)) over the same dims, g = weight gy;
    gW = sum of gy xhat over the leading dims,  gb = sum of gy over them."""

    def forward(self, x, weight, bias, *, ndim, eps):
        self.ndim = ndim
        xhat, invstd = standardize_rows(as_rows(x, ndim), eps)
        xhat = xhat.reshape(x.shape)
        self.xhat = xhat if self.needs_grad[0] or self.needs_grad[1] else None
        self.invstd = invstd if self.needs_grad[0] else None
        self.weight = weight if self.needs_grad[0] else None
        y = xhat if weight is None else xhat * weight  # weight has the last dims' shape: broadcast
        return y if bias is None else y + bias

    def backward(self, gy):
        gx = gW = gb = None
        if self.needs_grad[0]:
            g = gy if self.weight is None else gy * self.weight
            gx = standardize_rows_grad(as_rows(g, self.ndim), as_rows(self.xhat, self.ndim), self.invstd)
            gx = gx.reshape(gy.shape)
        lead = tuple(range(gy.ndim - self.ndim))
        if self.needs_grad[1]:
            gW = (gy * self.xhat).sum(axis=lead)
        if self.needs_grad[2]:
            gb = gy.sum(axis=lead)
        return gx, gW, gb


class GroupNorm(Function):
    """xhat = (x - mean) invstd, invstd = 1 / sqrt(var + eps), over each sample's groups of C/G
    channels and their positions (the biased variance), y = weight_c xhat + bias_c;
    gx = invstd (g - mean(g) - xhat mean(g xhat)) over each group, g = weight_c gy;
    gW_c = sum of gy xhat over N and positions,  gb_c = sum of gy."""

    def forward(self, x, weight, bias, *, num_groups, eps):
        self.num_groups = num_groups
        xhat, invstd = standardize_rows(as_group_rows(x, num_groups), eps)
        xhat = as_ncm(xhat.reshape(x.shape))  # the channels apart again, for the affine
        self.xhat = xhat if self.needs_grad[0] or self.needs_grad[1] else None
        self.invstd = invstd if self.needs_grad[0] else None
        self.weight = weight if self.needs_grad[0] else None
        y = xhat if weight is None else xhat * weight[:, None]
        y = y if bias is None else y + bias[:, None]
        return y.reshape(x.shape)

    def backward(self, gy):
        gy3 = as_ncm(gy)
        gx = gW = gb = None
        if self.needs_grad[0]:
            g = gy3 if self.weight is None else gy3 * self.weight[:, None]
            rows = (as_group_rows(a, self.num_groups) for a in (g, self.xhat))
            gx = standardize_rows_grad(*rows, self.invstd).reshape(gy.shape)
        if self.needs_grad[1]:
            gW = (gy3 * self.xhat).sum(axis=(0, 2))
        if self.needs_grad[2]:
            gb = gy3.sum(axis=(0, 2))
        return gx, gW, gb


# --- the checks, at the boundary ------------------------------------------------------


def normalized_dims(name: str, normalized_shape: Any) -> tuple[int, ...]:
    """normalized_shape (an int, or a list or tuple of ints such as a torch.Size) as a tuple."""
    dims = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else normalized_shape
    if not isinstance(dims, (tuple, list)) or not all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in dims
    ):
        raise TypeError(
            f"{name}: normalized_shape must be an int or a sequence of ints, got {normalized_shape!r}"
        )
    if not dims:
        raise ValueError(f"{name}: normalized_shape must name at least one dim, got {normalized_shape!r}")
    if min(dims) < 0:
        raise ValueError(f"{name}: normalized_shape must be non-negative, got {normalized_shape!r}")
    return tuple(int(d) for d in dims)


def check_eps(name: str, eps: Any) -> None:
    """eps must be a positive number: it is all that keeps a constant row from dividing by zero."""
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not float(eps) > 0:
        raise ValueError(f"{name}: eps must be a positive number, got {eps!r}")


def check_affine(name: str, x: Tensor, shape: tuple[int, ...], weight: Any, bias: Any, expected: str) -> None:
    """weight and bias, where given, are Tensors of ``shape`` and x's dtype."""
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None:
            check_tensor(name, what, t)
            if tuple(t.shape) != shape:
                raise ValueError(f"{name}: {what} has shape {tuple(t.shape)} but {expected}; x {x.shape}")
    check_same_dtype(name, x, weight=weight, bias=bias)


def check_layer_norm_input(
    name: str, x: Any, normalized_shape: Any, weight: Any, bias: Any, eps: Any
) -> tuple[int, ...]:
    """The boundary checks of layer norm, before any arithmetic; returns normalized_shape as a tuple."""
    check_float(name, "x", x)
    shape = normalized_dims(name, normalized_shape)
    if x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape) :]) != shape:
        dims = ", ".join(str(d) for d in shape)
        raise ValueError(
            f"{name}: normalized_shape {shape} must be x's last {len(shape)} dim(s): "
            f"expected x of shape (*, {dims}), got {tuple(x.shape)}"
        )
    check_affine(name, x, shape, weight, bias, f"normalized_shape is {shape}")
    check_eps(name, eps)
    return shape


def check_group_norm_input(name: str, x: Any, num_groups: Any, weight: Any, bias: Any, eps: Any) -> int:
    """The boundary checks of group norm, before any arithmetic; returns num_groups as an int."""
    check_float(name, "x", x)
    if x.ndim < 2:
        raise ValueError(f"{name}: expected an input of shape (N, C, ...), got shape {tuple(x.shape)}")
    num_groups = positive_int(name, "num_groups", num_groups)
    c = x.shape[1]
    if c % num_groups:
        raise ValueError(
            f"{name}: num_groups={num_groups} must divide the {c} channel(s) of x; x {tuple(x.shape)}"
        )
    check_affine(name, x, (c,), weight, bias, f"x has {c} channel(s), expected ({c},)")
    check_eps(name, eps)
    return num_groups


# --- the functions ------------------------------------------------------------------


def layer_norm(
    x: Tensor,
    normalized_shape: int | tuple[int, ...] | list[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    *,
    name: str = "layer_norm",
) -> Tensor:
    """Layer normalization over the last ``len(normalized_shape)`` dims (PyTorch's definition).

    Each set of values that shares the leading indices is standardized by its own mean
    and biased variance, then scaled and shifted element by element:
    y = (x - mean) / sqrt(var + eps) * weight + bias, mean = (1/K) sum x,
    var = (1/K) sum (x - mean)^2, K = prod(normalized_shape).

    Args:
        x: floating-point input whose last dims equal ``normalized_shape``.
        normalized_shape: an int (the last dim) or a sequence of ints (the last dims).
        weight, bias: optional Tensors of shape ``normalized_shape`` (1 and 0 when None).
        eps: added to the variance; must be positive.

    Shapes: x (*, *normalized_shape) -> y of the same shape.

    >>> import numpy as np, minicnn as mc, minicnn.functional as F
    >>> x = mc.tensor(np.array([[1.0, 3.0], [2.0, 2.0]]))
    >>> F.layer_norm(x, 2).numpy().round(3).tolist()
    [[-1.0, 1.0], [0.0, 0.0]]
    """
    shape = check_layer_norm_input(name, x, normalized_shape, weight, bias, eps)
    return LayerNorm.apply(x, weight, bias, ndim=len(shape), eps=float(eps))


def group_norm(
    x: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    *,
    name: str = "group_norm",
) -> Tensor:
    """Group normalization (Wu and He 2018): each sample's channels in ``num_groups`` groups
    of C/num_groups, each group standardized over its channels and all their positions,
    then scaled and shifted per channel (PyTorch's definition).

    y = (x - mean_g) / sqrt(var_g + eps) * weight_c + bias_c, mean_g and the biased var_g
    over the (C/G) * M values of sample n's group g (M = H*W, or the product of the dims
    after C). num_groups=1 is layer norm over (C, ...) with a per-channel affine;
    num_groups=C is instance norm.

    Args:
        x: floating-point input (N, C, ...), at least 2-D.
        num_groups: G, a positive int that divides C.
        weight, bias: optional Tensors of shape (C,) (1 and 0 when None).
        eps: added to the variance; must be positive.

    Shapes: x (N, C, *) -> y of the same shape.

    >>> import numpy as np, minicnn as mc, minicnn.functional as F
    >>> x = mc.tensor(np.array([[[1.0], [3.0], [5.0], [5.0]]]))  # (1, 4, 1): groups {1, 3}, {5, 5}
    >>> F.group_norm(x, 2).numpy().round(3).ravel().tolist()
    [-1.0, 1.0, 0.0, 0.0]
    """
    num_groups = check_group_norm_input(name, x, num_groups, weight, bias, eps)
    return GroupNorm.apply(x, weight, bias, num_groups=num_groups, eps=float(eps))
