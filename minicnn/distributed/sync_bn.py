"""SyncBatchNorm: batch normalization whose statistics span the whole global batch.

With data parallelism each rank sees B/world images; a plain BatchNorm would
normalize with the statistics of that slice alone (the default, and often fine).
SyncBatchNorm all-reduces them, so the layer computes exactly what BatchNorm
computes on the global batch in one process, forward and backward.
"""

from ..backend import xp_of
from ..functional.norm import BatchNorm as BatchNormFn
from ..functional.norm import affine_or_identity, as_ncm, check_batch_norm_input
from ..nn.norm import BatchNorm
from . import comm


def global_stats(x3):
    """Mean, biased variance and count per channel of (N, C, M) arrays spread over all ranks.

    Each rank's (count, mean, M2 = sum of squared deviations) are combined as
    mean = sum n_r m_r / n,  M2 = sum M2_r + sum n_r (m_r - mean)^2 (Chan et al.),
    which has none of the cancellation of E[x^2] - E[x]^2 in float32.
    """
    xp, C = xp_of(x3), x3.shape[1]
    size, r = comm.world_size(), comm.rank()
    n_r = x3.shape[0] * x3.shape[2]
    # NOTE: an empty slice adds a count of 0 and zeros (its mean would be 0/0), as PyTorch's
    m_r = x3.mean(axis=(0, 2)) if n_r else xp.zeros(C, dtype=x3.dtype)
    d = x3 - m_r[:, None]
    # NOTE: an all-gather written as an all-reduce: each rank fills its own row, zeros elsewhere
    table = xp.zeros((size, 2 * C + 1), dtype=x3.dtype)
    table[r, :C], table[r, C : 2 * C], table[r, -1] = m_r, (d * d).sum(axis=(0, 2)), n_r
    comm.all_reduce(table, "sum")
    means, m2s, counts = table[:, :C], table[:, C : 2 * C], table[:, -1:]
    n = counts.sum()
    mean = (counts * means).sum(axis=0) / n
    m2 = m2s.sum(axis=0) + (counts * (means - mean) ** 2).sum(axis=0)
    return mean, m2 / n, int(round(float(n)))


class SyncBatchNormFn(BatchNormFn):
    """Batch norm in training whose statistics and gx span all ranks:
    mean, var over the global batch;  gx = (gamma/sigma)(gy - mean(gy) - xhat mean(gy xhat)),
    both means all-reduced over ranks;  ggamma = sum gy xhat, gbeta = sum gy over this rank's
    slice (DDP then averages them)."""

    def forward(self, x, weight, bias, *, name, **params):
        self.module_name, self.x_shape = name, x.shape
        return super().forward(x, weight, bias, **params)

    def statistics(self, x3):
        mean, var, n = global_stats(x3)
        if n <= 1:
            raise ValueError(
                f"{self.module_name}: Expected more than 1 value per channel when training, "
                f"got {n} over all ranks; x {self.x_shape} on this rank"
            )
        self.count = n
        return mean, var.astype(x3.dtype), n

    def backward(self, gy):
        xp, gy3 = self.xp, as_ncm(gy)
        C = gy3.shape[1]
        sums = xp.concatenate([gy3.sum(axis=(0, 2)), (gy3 * self.xhat).sum(axis=(0, 2))])
        gb, gw = sums[:C].copy(), sums[C:].copy()  # this rank's: DDP averages parameter grads
        comm.all_reduce(sums, "sum")  # the global batch's: for gx
        mean_gy, mean_gy_xhat = sums[:C] / self.count, sums[C:] / self.count
        gx = (self.weight * self.invstd)[:, None] * (
            gy3 - mean_gy[:, None] - self.xhat * mean_gy_xhat[:, None]
        )
        return (
            gx.reshape(gy.shape) if self.needs_grad[0] else None,
            gw if self.needs_grad[1] else None,
            gb if self.needs_grad[2] else None,
        )


class SyncBatchNorm(BatchNorm):
    """BatchNorm over (N, C, ...) input whose training statistics are those of the
    global batch, all ranks together; in eval mode it is a plain BatchNorm, as
    PyTorch's: the running statistics, or with ``track_running_stats=False`` this
    rank's own batch statistics, without synchronising.

    In training, one rank's slice may hold a single value per channel, or none
    (it adds a count of 0): only a global batch of at most one value per channel
    is refused. With one process it computes what BatchNorm1d/2d compute. Every
    rank must call it the same number of times per training step (each call
    all-reduces). Shapes: (N, C, ...) -> the same.
    """

    def forward(self, x):
        if not self.training:
            return super().forward(x)  # running or local statistics: nothing to synchronise
        self.check_rank(x)
        label = self._label()
        check_batch_norm_input(
            label, x, self.running_mean, self.running_var, self.weight, self.bias, True, count=False
        )
        weight, bias = affine_or_identity(x, self.weight, self.bias)
        running = {"running_mean": None, "running_var": None}
        if self.track_running_stats and self.running_mean is not None:
            running = {"running_mean": self.running_mean.data, "running_var": self.running_var.data}
        return SyncBatchNormFn.apply(
            x, weight, bias, name=label, training=True, momentum=self.next_momentum(), eps=self.eps, **running
        )

    @classmethod
    def convert_sync_batchnorm(cls, module):
        """Replace every BatchNorm1d/2d in ``module`` by a SyncBatchNorm holding the same
        parameters, buffers and mode; returns the module (a new one if it was a BatchNorm)."""
        if isinstance(module, BatchNorm) and not isinstance(module, SyncBatchNorm):
            sync = cls(
                module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats
            )
            for name in ("weight", "bias"):
                if getattr(module, name) is not None:
                    setattr(sync, name, getattr(module, name))
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                if getattr(module, name) is not None:
                    setattr(sync, name, getattr(module, name))
            sync.train(module.training)
            return sync
        for name, child in list(module._modules.items()):
            if child is not None:
                new = cls.convert_sync_batchnorm(child)
                if new is not child:
                    module.add_module(name, new)  # same key, same place in the order
        return module
