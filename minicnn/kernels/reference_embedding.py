"""Plain loops for embedding: the spec of ``functional/embedding.py``, in reference.py's manner.

They are not a tier's kernels: embedding runs one xp code on every tier (a lookup and a
scatter-add, which NumPy and CuPy each do in one call), and the tests hold that code to these
loops. Each loop walks the ids one occurrence at a time, as a student would write it from
PyTorch's description. Slow: use tiny inputs.

Shapes: weight (num_embeddings, embedding_dim); ids any shape, integers in [0, num_embeddings);
y ids.shape + (embedding_dim,).
"""

import numpy as np

from ..backend import Array


def embedding_forward(weight: Array, ids: Array) -> Array:
    """y[i] = weight[ids[i]], a copy of the row, for each position i of ids."""
    y = np.zeros(ids.shape + weight.shape[1:], dtype=weight.dtype)
    for i in np.ndindex(*ids.shape):
        y[i] = weight[ids[i]]
    return y


def embedding_weight_grad(
    gy: Array, ids: Array, num_embeddings: int, padding_idx: int | None, scale_grad_by_freq: bool
) -> Array:
    """gW[k] = sum of gy[i] over the positions i where ids[i] == k, each divided by the number
    of those positions with ``scale_grad_by_freq``; row ``padding_idx`` gets nothing."""
    counts = [0] * num_embeddings
    for i in np.ndindex(*ids.shape):
        counts[int(ids[i])] += 1
    gW = np.zeros((num_embeddings,) + gy.shape[ids.ndim :], dtype=gy.dtype)
    for i in np.ndindex(*ids.shape):
        k = int(ids[i])
        if k == padding_idx:
            continue
        scale = gy.dtype.type(1.0 / counts[k]) if scale_grad_by_freq else gy.dtype.type(1)
        gW[k] += gy[i] * scale
    return gW


def embedding_renorm_(weight: Array, ids: Array, max_norm: float, norm_type: float) -> Array:
    """Each row that ids name once or more, whose norm_type-norm is over max_norm, scaled in place
    by max_norm / (norm + 1e-7) (PyTorch's embedding_renorm_); returns weight."""
    for k in sorted({int(k) for k in ids.reshape(-1)}):
        norm = float(np.linalg.norm(weight[k], ord=norm_type))
        if norm > max_norm:
            weight[k] *= weight.dtype.type(max_norm / (norm + 1e-7))
    return weight
