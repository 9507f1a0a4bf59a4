"""Gradient clipping and flattening parameters into one vector."""

import numpy as np

from .. import backend, in_place
from ..functional import cat
from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _as_list(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    total = || (||g_1||, ||g_2||, ...) ||  (the norm of all gradients as one vector);
    each g becomes g * min(1, max_norm / (total + 1e-6)), as PyTorch computes it.
    The gradients are replaced by new arrays; whoever holds an old one keeps it.
    Returns the total norm before clipping, as a 0-d Tensor.
    """
    params = [p for p in _as_list(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not params:
        return Tensor(np.asarray(0.0, dtype=np.float32))
    grads = [p.grad.data for p in params]
    # each gradient's norm, then the norm of those norms (PyTorch's order, which matters for
    # the orders that are not p-norms: inf is the largest |g|, -inf the smallest, 0 counts)
    norms = [
        float(backend.xp_of(g).linalg.norm(g.ravel().astype(np.float64), ord=norm_type)) if g.size else 0.0
        for g in grads
    ]
    total = float(np.linalg.norm(np.asarray(norms), ord=norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients "
            f"is {total}, so they cannot be clipped; pass error_if_nonfinite=False "
            "to clip anyway"
        )
    coef = min(max_norm / (total + 1e-6), 1.0)
    for p, g in zip(params, grads):
        p.grad = Tensor(g * g.dtype.type(coef))
    return Tensor(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters, clip_value):
    """Clip every gradient element to [-clip_value, clip_value] (new arrays, as above)."""
    for p in _as_list(parameters):
        if p.grad is not None:
            p.grad = Tensor(backend.xp_of(p.grad.data).clip(p.grad.data, -clip_value, clip_value))


def parameters_to_vector(parameters):
    """All parameters flattened and joined into one 1-D Tensor (gradients flow back)."""
    return cat([p.reshape(-1) for p in _as_list(parameters)])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of a 1-D ``vec`` into the parameters, in place."""
    data = vec.data if isinstance(vec, Tensor) else vec
    params = _as_list(parameters)
    total = sum(p.numel() for p in params)
    if data.ndim != 1 or data.size != total:
        raise ValueError(
            f"vector_to_parameters: vec has shape {tuple(data.shape)}, the parameters hold {total} elements"
        )
    for i, p in enumerate(params):  # before any copy: no half-loaded model
        in_place.refuse_read_only("vector_to_parameters", p.data, f"parameter {i}")
    offset = 0
    for p in params:
        n = p.numel()
        p.data[...] = data[offset : offset + n].reshape(p.shape)
        p._changed_in_place()
        offset += n
