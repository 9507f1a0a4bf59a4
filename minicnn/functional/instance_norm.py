"""Instance normalization (Ulyanov, Vedaldi and Lempitsky 2016): each (sample, channel) plane
standardized by its own mean and variance, the normalization of style transfer.

It is group norm with one channel per group, so the op is ``sample_norm.GroupNorm`` (the
same rows, the same ``standardize_rows`` and its gradient) with num_groups = C, plus what
group norm has not: optional running statistics, as PyTorch keeps them. With
``use_input_stats=False`` (a module in eval mode that tracks them) the running statistics
replace the plane's, which is batch norm's eval formula, so that path is ``F.batch_norm``'s.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .checks import check_float, type_name
from .norm import batch_norm
from .sample_norm import GroupNorm, as_group_rows, check_affine, check_eps, row_mean


class InstanceNorm(GroupNorm):
    """xhat = (x - mean_nc) invstd_nc over the positions of sample n's channel c (the biased
    variance), y = weight_c xhat + bias_c; the gradients are GroupNorm's with G = C.
    With running statistics, forward also updates them in place from the instances' ones:
    r = (1 - momentum) r + momentum mean_n(stat_nc), the variance unbiased (times M/(M-1))."""

    def forward(self, x, weight, bias, *, running_mean, running_var, momentum, eps):
        # NOTE: inf - inf and an overflowing square give NaN and inf, silently as in PyTorch
        with np.errstate(invalid="ignore", over="ignore"):
            # NOTE: an empty input has nothing to teach them (PyTorch's empty batch makes them NaN)
            if running_mean is not None and x.size:
                update_running(x, running_mean, running_var, momentum)
            # (no channels: one group of nothing, as group_norm's rows need a group)
            return super().forward(x, weight, bias, num_groups=max(x.shape[1], 1), eps=eps)

    def backward(self, gy):
        with np.errstate(invalid="ignore", over="ignore"):
            return super().backward(gy)


def update_running(x: Any, running_mean: Any, running_var: Any, momentum: float) -> None:
    """Move the running statistics toward the batch's average instance statistics, in place."""
    n, c, m = x.shape[0], x.shape[1], math.prod(x.shape[2:])
    rows = as_group_rows(x, c)  # (N C, M): one row per instance
    mean = row_mean(rows)
    var = row_mean((rows - mean) ** 2) * (m / (m - 1))  # m > 1: checked at the boundary
    for running, stat in ((running_mean, mean), (running_var, var)):
        running *= 1 - momentum
        running += (momentum * stat.reshape(n, c).mean(axis=0)).astype(running.dtype, copy=False)


def check_instance_norm_input(
    name: str,
    x: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any,
    bias: Any,
    use_input_stats: bool,
    eps: Any,
) -> None:
    """The boundary checks of instance norm, before any arithmetic."""
    check_float(name, "input", x)
    if not isinstance(use_input_stats, bool):
        got = f"{type_name(use_input_stats)} {use_input_stats!r}"
        raise TypeError(f"{name}: use_input_stats must be True or False, got {got}")
    if x.ndim < 2:
        raise ValueError(f"{name}: expected an input of shape (N, C, ...), got shape {tuple(x.shape)}")
    c = x.shape[1]
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{name}: running_mean and running_var must either both be None or neither be None")
    if not use_input_stats and running_mean is None:
        raise ValueError(f"{name}: running_mean and running_var must be given when use_input_stats is False")
    for what, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(
                f"{name}: input has {c} channel(s) but {what} has shape {tuple(t.shape)}, expected ({c},); "
                f"input {tuple(x.shape)}"
            )
    check_affine(name, x, (c,), weight, bias, f"input has {c} channel(s), expected ({c},)")
    if use_input_stats:
        if math.prod(x.shape[2:]) == 1:
            raise ValueError(
                f"{name}: Expected more than 1 spatial element when training, got input size {tuple(x.shape)}"
            )
        check_eps(name, eps)


def instance_norm(
    input: Tensor,
    running_mean: Any = None,
    running_var: Any = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
    *,
    name: str = "instance_norm",
) -> Tensor:
    """Instance normalization, as ``torch.nn.functional.instance_norm``: every channel of every
    sample standardized over its own positions, then scaled and shifted per channel,

        y = (x - mean_nc) / sqrt(var_nc + eps) * weight_c + bias_c,

    mean_nc and the biased var_nc over the M = H*W (or the product of the dims after C)
    values of sample n's channel c. This is ``group_norm(x, C, weight, bias, eps)``.

    With running statistics (arrays or Tensors of shape (C,), a module's buffers), each call
    with ``use_input_stats`` also updates them in place, r = (1 - momentum) r + momentum s,
    s the batch's average of the instances' mean and unbiased variance (var_nc M/(M-1)).
    With ``use_input_stats=False`` the running statistics take the place of mean_nc and
    var_nc: y = (x - running_mean_c) / sqrt(running_var_c + eps) * weight_c + bias_c.

    Args:
        input: floating-point (N, C, ...), more than one position per plane when the
            input's own statistics are used.
        running_mean, running_var: both or neither; needed when use_input_stats is False.
        weight, bias: optional Tensors of shape (C,) (1 and 0 when None).
        use_input_stats: normalize by each plane's statistics (True) or by the running ones.
        momentum: the weight of this batch in the running statistics.
        eps: added to the variance; must be positive when the input's statistics are used.

    Shapes: (N, C, *) -> the same.

    >>> import numpy as np, minicnn as mc, minicnn.functional as F
    >>> x = mc.tensor(np.array([[[1.0, 3.0], [5.0, 5.0]]]))  # (1, 2, 2): planes {1, 3}, {5, 5}
    >>> F.instance_norm(x).numpy().round(3).tolist()
    [[[-1.0, 1.0], [0.0, 0.0]]]
    """
    check_instance_norm_input(name, input, running_mean, running_var, weight, bias, use_input_stats, eps)
    if not use_input_stats:  # the running statistics as constants: batch norm in eval
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps, name=name)
    running_mean, running_var = (t.data if isinstance(t, Tensor) else t for t in (running_mean, running_var))
    return InstanceNorm.apply(
        input,
        weight,
        bias,
        running_mean=running_mean,
        running_var=running_var,
        momentum=float(momentum),
        eps=float(eps),
    )
