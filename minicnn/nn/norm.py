"""Normalization layers: LocalResponseNorm (AlexNet) and BatchNorm1d/2d."""
import numpy as np

from .. import functional as F
from ..functional.norm import check_batch_norm_input, check_lrn_input
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


class LocalResponseNorm(Module):
    """Local response normalization across channels, as ``F.local_response_norm``.

    AlexNet (section 3.3) used ``LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2)``
    after the ReLUs of conv1 and conv2.
    Shapes: (N, C, ...) -> the same.
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"LocalResponseNorm: size must be a positive int, got {size!r}")
        self.size, self.alpha, self.beta, self.k = int(size), alpha, beta, k

    def forward(self, x):
        self._check_input(x)
        check_lrn_input(self._label(), x, self.size)
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d, which differ only in the input ranks they take.

    Buffers ``running_mean`` (0), ``running_var`` (1) and ``num_batches_tracked``;
    parameters ``weight`` (1) and ``bias`` (0) when ``affine``. With
    ``momentum=None`` the running statistics are the cumulative average of all
    batches so far (factor 1/num_batches_tracked), as PyTorch.
    """

    ranks = ()          # accepted input ndims
    shapes = ""         # how to say them in an error

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) \
                or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        if eps <= 0:
            raise ValueError(f"{name}: eps must be positive, got {eps}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        c = self.num_features
        if affine:
            self.weight = Parameter(np.ones(c, dtype=np.float32))
            self.bias = Parameter(np.zeros(c, dtype=np.float32))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(c, dtype=np.float32)))
            self.register_buffer("running_var", Tensor(np.ones(c, dtype=np.float32)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), dtype=np.int64)))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.fill_(0)
            self.running_var.fill_(1)
            self.num_batches_tracked.fill_(0)

    def forward(self, x):
        self._check_input(x, self.weight)
        label = self._label()
        if x.ndim not in self.ranks:
            raise ValueError(f"{label}: expected {self.shapes} input, got {x.ndim}-D input of "
                             f"shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{label}: x has {x.shape[1]} channel(s) but the layer was built "
                             f"for num_features={self.num_features}; x {x.shape}")
        # batch statistics in training, and always when there are no running ones to use
        use_batch = self.training or self.running_mean is None
        check_batch_norm_input(label, x, self.running_mean, self.running_var, self.weight,
                               self.bias, use_batch)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked.item())
        # running stats are read in eval and updated in training; with none, neither
        mean, var = self.running_mean, self.running_var
        return F.batch_norm(x, mean, var, self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input, statistics per feature C.

    Shapes: (N, C) or (N, C, L) -> the same.
    """
    ranks, shapes = (2, 3), "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input, statistics per channel over N, H, W.

    Shapes: (N, C, H, W) -> the same.
    """
    ranks, shapes = (4,), "4-D (N, C, H, W)"
