"""Normalization layers: LocalResponseNorm (AlexNet), BatchNorm1d/2d (on ``_NormBase``, which
InstanceNorm1d/2d share), and LayerNorm and GroupNorm, which normalize within each sample and
so keep no running statistics."""

import numbers

import numpy as np

from .. import functional as F
from ..functional.checks import positive_int
from ..functional.sample_norm import check_eps, normalized_dims
from ..tensor import Tensor, no_grad
from .module import Module
from .parameter import Parameter


class LocalResponseNorm(Module):
    """Local response normalization across channels, as ``F.local_response_norm``.

    AlexNet (section 3.3) used n=5, alpha=1e-4 on the *sum* of squares, beta=0.75, k=2
    after the ReLUs of conv1 and conv2. This layer, like PyTorch's, divides alpha by
    ``size``, so AlexNet's is ``LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2)``.
    Shapes: (N, C, ...) -> the same.
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = positive_int("LocalResponseNorm", "size", size)
        self.alpha, self.beta, self.k = alpha, beta, k

    def forward(self, x):
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k, name=self._label())

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class _NormBase(Module):
    """What BatchNorm and InstanceNorm share, as PyTorch's ``_NormBase``: the checked
    hyperparameters, ``weight`` and ``bias`` when ``affine``, the running-statistics buffers
    when ``track_running_stats``, their resets, and the printing. Each subclass gives its own
    defaults (its ``__init__``) and its forward."""

    # PyTorch's version of this layer's state dict: 2 added num_batches_tracked, which a dict
    # saved before it lacks (load_state_dict then keeps the count as it is)
    _version = 2

    def __init__(
        self, num_features, eps, momentum, affine, track_running_stats, *, bias, device=None, dtype=None
    ):
        super().__init__()
        name = type(self).__name__
        self.num_features = positive_int(name, "num_features", num_features)
        check_eps(name, eps)
        if momentum is not None and (
            isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1
        ):
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum!r}")
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        c, dtype = self.num_features, np.dtype(np.float32 if dtype is None else dtype)
        if affine:
            self.weight = Parameter(np.empty(c, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(np.empty(c, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(c, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(c, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), dtype=np.int64)))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_running_stats(self):
        """Forget the batches seen: running_mean 0, running_var 1, num_batches_tracked 0
        (when they are kept)."""
        if self.track_running_stats:
            self.running_mean.fill_(0)
            self.running_var.fill_(1)
            self.num_batches_tracked.fill_(0)

    def reset_parameters(self):
        """Back to a new layer's state, as PyTorch's: the running statistics forgotten, and
        weight 1, bias 0 when ``affine``. A loop over a model's layers gives each its default
        initialisation, which is not a model's own scheme (ResNet's ``kaiming_normal_``, for
        one): to start a model again as built, build it again with the same seed.

        >>> from minicnn import nn
        >>> model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
        >>> _ = model[1].running_var.fill_(5.0)
        >>> for m in model.modules():
        ...     if hasattr(m, "reset_parameters"):
        ...         m.reset_parameters()
        >>> model[1].running_var.tolist()
        [1.0, 1.0, 1.0]
        """
        self.reset_running_stats()
        _ones_and_zeros(self.weight, self.bias)

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm(_NormBase):
    """The batch normalization layer of any rank: BatchNorm1d, BatchNorm2d and SyncBatchNorm
    differ only in the input ranks they take (and where Sync's statistics come from).

    Buffers ``running_mean`` (0), ``running_var`` (1) and ``num_batches_tracked``;
    parameters ``weight`` (1) and ``bias`` (0) when ``affine`` (``bias=False`` drops the
    bias, y = weight xhat, as PyTorch's keyword). With
    ``momentum=None`` the running statistics are the cumulative average of all
    batches so far (factor 1/num_batches_tracked), as PyTorch.
    """

    ranks: tuple[int, ...] = (2, 3, 4, 5)  # accepted input ndims
    shapes = "(N, C) or (N, C, ...) up to 5-D"  # how to say them in an error

    def __init__(
        self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, *, bias=True
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias=bias)

    def check_rank(self, x):
        """x must have one of this layer's ranks and ``num_features`` channels."""
        label = self._label()
        if not isinstance(x, Tensor):
            raise TypeError(f"{label}: expected a Tensor, got {type(x).__name__}")
        if x.ndim not in self.ranks:
            raise ValueError(
                f"{label}: expected {self.shapes} input, got {x.ndim}-D input of shape {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{label}: x has {x.shape[1]} channel(s) but the layer was built "
                f"for num_features={self.num_features}; x {x.shape}"
            )

    def uses_batch_stats(self):
        """Batch statistics in training, and always when there are no running ones to use."""
        return self.training or self.running_mean is None

    def next_momentum(self):
        """Count one more training batch; the factor of this batch in the running statistics
        (``momentum``, or 1/num_batches_tracked for the cumulative average when it is None)."""
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked.item())
        return momentum

    def forward(self, x):
        self.check_rank(x)
        # running stats are read in eval and updated in training; with none, neither
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.uses_batch_stats(),
            self.next_momentum(),
            self.eps,
            name=self._label(),
        )


class BatchNorm1d(BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input, statistics per feature C.

    Shapes: (N, C) or (N, C, L) -> the same.
    """

    ranks, shapes = (2, 3), "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(BatchNorm):
    """Batch normalization of (N, C, H, W) input, statistics per channel over N, H, W.

    Shapes: (N, C, H, W) -> the same.
    """

    ranks, shapes = (4,), "4-D (N, C, H, W)"


class LayerNorm(Module):
    """Layer normalization over the last dims, as ``F.layer_norm``: each sample's values over
    ``normalized_shape`` standardized by their own mean and biased variance, then
    y = xhat * weight + bias element by element (Ba, Kiros and Hinton 2016).

    Parameters ``weight`` (ones) and ``bias`` (zeros) of shape ``normalized_shape`` when
    ``elementwise_affine`` (``bias=False`` drops the bias); no buffers, and training and
    eval compute the same.
    Shapes: (*, *normalized_shape) -> the same.
    """

    def __init__(
        self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None
    ):
        super().__init__()
        self.normalized_shape = normalized_dims("LayerNorm", normalized_shape)
        check_eps("LayerNorm", eps)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        if elementwise_affine:
            self.weight = Parameter(np.empty(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(np.empty(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self):
        """weight 1 and bias 0, as when the layer was built."""
        _ones_and_zeros(self.weight, self.bias)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps, name=self._label())

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Group normalization, as ``F.group_norm``: each sample's channels in ``num_groups``
    groups, each standardized over its channels and positions, then y = xhat * weight_c + bias_c
    (Wu and He 2018). ``GroupNorm(1, C)`` is a layer norm over (C, H, W) with a per-channel
    affine, ``GroupNorm(C, C)`` an instance norm.

    Parameters ``weight`` (ones) and ``bias`` (zeros) of shape (num_channels,) when
    ``affine`` (``bias=False`` drops the bias); no buffers, and training and eval compute
    the same.
    Shapes: (N, num_channels, *) -> the same.
    """

    def __init__(
        self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True
    ):
        super().__init__()
        self.num_groups = positive_int("GroupNorm", "num_groups", num_groups)
        self.num_channels = positive_int("GroupNorm", "num_channels", num_channels)
        if self.num_channels % self.num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        check_eps("GroupNorm", eps)
        self.eps, self.affine = eps, affine
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        if affine:
            self.weight = Parameter(np.empty(self.num_channels, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(np.empty(self.num_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self):
        """weight 1 and bias 0, as when the layer was built."""
        _ones_and_zeros(self.weight, self.bias)

    def forward(self, x):
        label = self._label()
        if isinstance(x, Tensor) and x.ndim >= 2 and x.shape[1] != self.num_channels:
            raise ValueError(
                f"{label}: x has {x.shape[1]} channel(s) but the layer was built "
                f"for num_channels={self.num_channels}; x {tuple(x.shape)}"
            )
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps, name=label)

    def extra_repr(self):
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


def _ones_and_zeros(weight, bias):
    """A norm's affine at its start, y = xhat: weight 1, bias 0 (either may be None), filled in
    place as PyTorch's init.ones_ and zeros_ do (an empty LayerNorm(0) is no warning's matter)."""
    with no_grad():
        if weight is not None:
            weight.fill_(1)
        if bias is not None:
            bias.fill_(0)
