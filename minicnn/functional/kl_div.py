"""The Kullback-Leibler divergence of a target distribution t from a predicted one, as
``torch.nn.functional.kl_div``: the input x is log-probabilities (a log-softmax), the target
probabilities, or log-probabilities with ``log_target=True``. Per element,

    l = t (log t - x)              (t log t taken as 0 at t = 0, PyTorch's xlogy)
    l = e^t (t - x)                with log_target

and KL(t || p) of one row is the sum of its l. Knowledge distillation (Hinton, Vinyals and
Dean 2015) matches a student's softened softmax to a teacher's with it:
``kl_div(log_softmax(s / T, 1), softmax(u / T, 1), reduction="batchmean") * T * T``.

Input and target broadcast against each other, as in PyTorch. ``reduction`` is 'mean' (the
sum over all elements divided by their number: the divergence divided by the number of
classes too, which PyTorch warns of), 'batchmean' (divided by input.shape[0], the mean
divergence per sample; a 0-d input's sum), 'sum' or 'none'.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .basic import unbroadcast
from .checks import check_float, check_same_dtype, type_name
from .promotion import check_broadcast
from .reduction import loss_grad, reduce_losses

KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


class KLDiv(Function):
    """l = t (log t - x), 0 at t = 0;   with log_target l = e^t (t - x).
    gx = -t gl,  gt = (log t + 1 - x) gl;   with log_target gx = -e^t gl,  gt = e^t (t - x + 1) gl;
    gl the gradient reaching each l: g ('none', 'sum'), g / n ('mean'), g / N ('batchmean').
    As PyTorch's: gt is NaN at t = 0, where the loss is 0, and l is NaN where t = 0 and x = -inf."""

    def forward(self, x, t, *, reduction, log_target):
        xp = backend.xp_of(x)
        self.x, self.t, self.log_target = x, t, log_target
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if log_target:
                self.p = xp.exp(t)  # the target's probabilities
                losses = self.p * (t - x)
            else:
                # NOTE: 0 * log 0 is NaN in floating point; the limit t log t -> 0 is the term's value.
                # 0 * x is not made 0: at x = -inf it is NaN, as PyTorch's
                losses = xp.where(t == 0, 0, t * xp.log(t)) - t * x
        losses = losses.astype(x.dtype, copy=False)
        self.shape = losses.shape
        # 'batchmean' is a mean whose divisor is the input's first dim, whatever the target
        # broadcast it to
        self.reduction, self.divisor = reduction, None
        if reduction == "batchmean":
            self.reduction, self.divisor = "mean", x.shape[0] if x.ndim else 1
        return reduce_losses(losses, self.reduction, self.divisor)

    def backward(self, g):
        xp, x, t = self.xp, self.x, self.t
        gl = loss_grad(g, self.reduction, self.shape, self.divisor)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            gx = gt = None
            if self.log_target:
                if self.needs_grad[0]:
                    gx = -gl * self.p
                if self.needs_grad[1]:
                    # the product rule's two terms summed as PyTorch's, so a zero keeps its sign
                    gt = gl * (t - x) * self.p + gl * self.p
            else:
                if self.needs_grad[0]:
                    gx = -gl * t
                if self.needs_grad[1]:
                    # NOTE: PyTorch differentiates xlogy(t, t) by the product rule, log t + t / t,
                    # and t / t is 0 / 0 = NaN at t = 0: there the loss is 0 but its slope NaN
                    gt = gl * (xp.log(t) + t / t) - gl * x
        return (
            None if gx is None else unbroadcast(gx, x.shape).astype(x.dtype, copy=False),
            None if gt is None else unbroadcast(gt, t.shape).astype(t.dtype, copy=False),
        )


def check_kl_settings(name: str, reduction: str, log_target: bool) -> None:
    """The reduction by name, and log_target a bool: as PyTorch refuses ``log_target="False"``,
    which bool() would read as True."""
    if reduction not in KL_REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {KL_REDUCTIONS}, got {reduction!r}")
    if not isinstance(log_target, (bool, np.bool_)):
        got = f"{type_name(log_target)} {log_target!r}"
        raise TypeError(f"{name}: log_target must be True or False, got {got}")


def kl_div(
    input: Tensor,
    target: Tensor,
    *,
    reduction: str = "mean",
    log_target: bool = False,
    name: str = "kl_div",
) -> Tensor:
    """KL(target || exp(input)) per element, t (log t - input), reduced; as
    ``torch.nn.functional.kl_div`` (its deprecated size_average and reduce left out, so the
    reduction is given by name).

    Args:
        input: log-probabilities, e.g. ``F.log_softmax(logits, 1)``.
        target: probabilities, or log-probabilities with ``log_target=True`` (exact where
            probabilities would underflow to 0).
        reduction: 'mean' (over all elements; warns, as PyTorch), 'batchmean' (the sum
            divided by input.shape[0]: the KL divergence of each sample, averaged), 'sum'
            or 'none'.

    Shapes: input and target broadcast against each other; 'none' gives the broadcast
    shape, the others a 0-d tensor.

    >>> import minicnn as mc
    >>> import minicnn.functional as F
    >>> logp = F.log_softmax(mc.tensor([[0.0, 0.0]], dtype=mc.float64), 1)
    >>> target = mc.tensor([[1.0, 0.0]], dtype=mc.float64)
    >>> round(F.kl_div(logp, target, reduction="batchmean").item(), 6)
    0.693147
    """
    check_float(name, "input", input)
    check_float(name, "target", target)
    check_same_dtype(name, input, target=target)
    check_broadcast(name, input.shape, target.shape)
    check_kl_settings(name, reduction, log_target)
    if reduction == "mean":
        warnings.warn(
            f"{name}: reduction='mean' divides by the number of elements, not of samples (PyTorch "
            "warns too); reduction='batchmean' gives the KL divergence's mean per sample",
            UserWarning,
            stacklevel=2,
        )
    return KLDiv.apply(input, target, reduction=reduction, log_target=bool(log_target))
