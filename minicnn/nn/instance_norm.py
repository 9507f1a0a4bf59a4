"""InstanceNorm1d and InstanceNorm2d: each (sample, channel) row or plane standardized alone,
as ``F.instance_norm`` (Ulyanov, Vedaldi and Lempitsky 2016, the normalization of style
transfer and of many image-to-image generators).

As PyTorch's, and unlike BatchNorm, it is affine-free and keeps no running statistics unless
asked: with ``track_running_stats=False`` (the default) training and eval compute the same,
from each plane. With running statistics, training updates them and eval uses them.
"""

from __future__ import annotations

import warnings

from .. import functional as F
from ..tensor import Tensor
from .norm import _NormBase


class _InstanceNorm(_NormBase):
    """What InstanceNorm1d and 2d share, as PyTorch's ``_InstanceNorm``: PyTorch's defaults
    (no affine, no running statistics) and a forward that also takes one unbatched input of
    ``image_ndim`` dims, (C, L) or (C, H, W), as a batch of one."""

    image_ndim: int  # the dims of one unbatched input, (C, L) or (C, H, W)

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=False,
        track_running_stats=False,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, bias=bias, device=device, dtype=dtype
        )

    def forward(self, x):
        label, d = self._label(), self.image_ndim
        if not isinstance(x, Tensor):
            raise TypeError(f"{label}: expected a Tensor, got {type(x).__name__}")
        if x.ndim not in (d, d + 1):
            raise ValueError(
                f"{label}: expected {d}D or {d + 1}D input (got {x.ndim}D input), shape {x.shape}"
            )
        channel_dim = x.ndim - d
        if x.shape[channel_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"{label}: expected input's size at dim={channel_dim} to match num_features "
                    f"({self.num_features}), but got: {x.shape[channel_dim]}; x {x.shape}"
                )
            warnings.warn(
                f"{label}: input's size at dim={channel_dim} does not match num_features "
                f"({self.num_features}); it is not used, as affine=False",
                UserWarning,
                stacklevel=2,
            )
        one_image = x.ndim == d
        y = F.instance_norm(
            F.unsqueeze(x, 0) if one_image else x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
            name=label,
        )
        return F.squeeze(y, 0) if one_image else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or (C, L) input:
    y = (x - mean_nc) / sqrt(var_nc + eps) * weight_c + bias_c, the statistics over each
    row's L values. Parameters, buffers and their use as InstanceNorm2d's.

    Shapes: (N, C, L) -> the same; (C, L) -> the same.

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> x = mc.tensor([[[1.0, 3.0], [5.0, 5.0]]])  # (1, 2, 2)
    >>> nn.InstanceNorm1d(2)(x).numpy().round(3).ravel().tolist()
    [-1.0, 1.0, 0.0, 0.0]
    """

    image_ndim = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or (C, H, W) input:
    y = (x - mean_nc) / sqrt(var_nc + eps) * weight_c + bias_c, the statistics over each
    plane's H*W values (``GroupNorm(C, C)`` computes the same in training).

    Parameters ``weight`` (1) and ``bias`` (0) of shape (num_features,) when ``affine``
    (``bias=False`` drops the bias). Buffers ``running_mean`` (0), ``running_var`` (1) and
    ``num_batches_tracked`` when ``track_running_stats``: training moves the running ones by
    ``momentum`` toward the batch's average instance statistics, and eval normalizes with
    them. As in PyTorch, ``num_batches_tracked`` stays 0 and ``momentum=None`` leaves the
    running statistics where they are (PyTorch passes momentum 0 then).
    With ``affine=False`` a channel count other than num_features is only warned of, as
    in PyTorch (nothing depends on it unless running statistics are kept).

    Shapes: (N, C, H, W) -> the same; (C, H, W) -> the same.

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> x = mc.tensor([[[[1.0, 3.0]], [[5.0, 5.0]]]])  # (1, 2, 1, 2)
    >>> nn.InstanceNorm2d(2)(x).numpy().round(3).ravel().tolist()
    [-1.0, 1.0, 0.0, 0.0]
    """

    image_ndim = 3
