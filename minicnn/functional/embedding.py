"""embedding: rows of a weight looked up by integer ids, as ``torch.nn.functional.embedding``.

A lookup is the linear layer ``y = onehot(ids) @ weight`` without the one-hot matrix: its
forward copies rows, and its backward ``gW = onehot(ids)^T @ gy`` adds each row of gy into
the row of gW its id names, a scatter-add (``xp.add.at``: ``np.add.at`` on NumPy,
``cupy.add.at`` on CuPy, the successor of ``cupyx.scatter_add``). ``add.at`` rather than
``gW[ids] += gy``: an id that occurs twice must get both rows, where ``+=`` keeps one.

One xp code serves every kernel tier; ``kernels/reference_embedding.py`` holds the same as
plain loops over the ids, which the tests hold this code to.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, in_place, inference
from ..kernels.workspaces import new_zeros
from ..tensor import Function, Tensor
from .checks import as_int, check_device, check_real, check_tensor, type_name


class Embedding(Function):
    """y[i] = weight[ids[i]].   gW[k] = sum of gy[i] over the i with ids[i] == k (a scatter-add,
    one row per occurrence), divided by k's count with scale_grad_by_freq; row padding_idx: 0."""

    def forward(self, weight, ids, *, padding_idx=None, scale_grad_by_freq=False):
        if self.needs_grad[0]:
            self.ids, self.shape = ids, weight.shape
            self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return backend.xp_of(weight).take(weight, ids, axis=0)  # a new array, ids.shape + (dim,)

    def backward(self, gy):
        xp, ids = self.xp, self.ids.reshape(-1)
        rows = gy.reshape(ids.size, self.shape[1])  # one row of gy per id occurrence
        if self.scale_grad_by_freq:
            counts = xp.bincount(ids, minlength=self.shape[0])
            # NOTE: 1/count in gy's dtype, then a product: PyTorch's scale of each row
            rows = rows * (1.0 / counts[ids]).astype(gy.dtype)[:, None]
        if self.padding_idx is not None:
            keep = ids != self.padding_idx
            ids, rows = ids[keep], rows[keep]
        gW = new_zeros(self.shape, gy.dtype, xp)
        xp.add.at(gW, ids, rows)
        return gW, None


def check_padding_idx(name: str, padding_idx: Any, num_embeddings: int) -> int | None:
    """padding_idx as a row in [0, num_embeddings), by PyTorch's rule: a negative one counts from
    the end (-1 the last row), and any outside [-num_embeddings, num_embeddings) is refused."""
    if padding_idx is None:
        return None
    p = as_int(padding_idx)
    if p is None:
        raise TypeError(f"{name}: padding_idx must be an int or None, got {type_name(padding_idx)}")
    if p != 0 and not -num_embeddings <= p < num_embeddings:
        raise ValueError(
            f"{name}: padding_idx must be within num_embeddings, in [{-num_embeddings}, "
            f"{num_embeddings}) for {num_embeddings} rows, got {p}"
        )
    return p + num_embeddings if p < 0 else p


def check_options(name: str, max_norm: Any, norm_type: Any, sparse: Any) -> None:
    """max_norm None or a real number, norm_type a real number, and no sparse gradient."""
    if max_norm is not None:
        check_real(name, "max_norm", max_norm)
    check_real(name, "norm_type", norm_type)
    if sparse:
        raise ValueError(f"{name}: sparse=True is not supported: minicnn's gradients are dense")


def _check_ids(name: str, input: Any, weight: Tensor) -> None:
    """input an int64 or int32 Tensor, weight a 2-D Tensor on its device, every id in
    [0, num_embeddings)."""
    check_tensor(name, "input", input)
    if input.dtype.name not in ("int64", "int32"):
        raise TypeError(f"{name}: input must hold int64 (or int32) ids, got {input.dtype}")
    check_tensor(name, "weight", weight)
    if weight.ndim != 2:
        raise ValueError(
            f"{name}: weight must be 2-D (num_embeddings, embedding_dim), got shape {weight.shape}"
        )
    check_device(name, input, "weight", weight, "input")
    ids, n = input.data, weight.shape[0]
    bad = (ids < 0) | (ids >= n)
    if ids.size and bool(bad.any()):
        raise IndexError(
            f"{name}: id {int(ids[bad].reshape(-1)[0])} is out of range: ids must be in [0, {n}) "
            f"for a weight of {n} rows"
        )


def renorm_(name: str, weight: Tensor, ids: Any, max_norm: float, norm_type: float) -> None:
    """Scale in place each row that ids name whose norm_type-norm exceeds max_norm, by
    max_norm / (norm + 1e-7) (PyTorch's embedding_renorm_), as a write under no_grad: no
    gradient flows through it, and the change is counted as every change in place is."""
    if weight.dtype.kind != "f":
        raise TypeError(f"{name}: max_norm needs a floating-point weight, got {weight.dtype}")
    inference.refuse_in_place(weight, name)
    in_place.refuse_read_only(name, weight.data, "weight")
    in_place.check_no_overlap(name, weight.data, "weight")
    xp, w = backend.xp_of(weight.data), weight.data
    used = xp.unique(ids)  # each row once, however often its id occurs
    if used.size and w.shape[1]:  # (a row of no elements has norm 0: nothing to scale)
        with np.errstate(invalid="ignore", over="ignore"):  # an infinite row: inf * 0, NaN as PyTorch's
            norms = xp.linalg.norm(w[used], ord=norm_type, axis=1).astype("float64")
            over = norms > max_norm
            scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)  # a product in w's dtype, as PyTorch's
            w[used[over]] *= scale[:, None]
    weight._changed_in_place()


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
    *,
    name: str = "embedding",
) -> Tensor:
    """The rows of ``weight`` that the integer ids of ``input`` name, as
    ``torch.nn.functional.embedding``:

        y[i] = weight[input[i]]                   for each position i of input (any shape)
        gW[k] = sum of gy[i] over the i with input[i] == k

    The gradient is a scatter-add: each occurrence of an id adds its row of gy into that id's
    row of gW (an id used twice gets both rows, a row no id names gets 0). It is the gradient of
    the linear layer y = onehot(input) @ weight, gW = onehot(input)^T @ gy, without the one-hot
    matrix.

    Args:
        input: int64 (or int32) Tensor of ids, each in [0, num_embeddings).
        weight: Tensor (num_embeddings, embedding_dim).
        padding_idx: a row that gets no gradient (ids still read it); a negative one counts from
            the end, PyTorch's rule.
        max_norm: before the lookup, each row the ids name whose norm_type-norm is over max_norm
            is scaled in place, under no_grad, by max_norm / (norm + 1e-7).
        norm_type: the p of that norm, 2.0 by default.
        scale_grad_by_freq: each id's gradient divided by its count in input,
            gW[k] = (sum of gy[i] over input[i] == k) / count(k).
        sparse: True is refused: minicnn's gradients are dense.

    Shapes: input (*) -> y (*, embedding_dim).

    >>> import minicnn as mc, minicnn.functional as F
    >>> weight = mc.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = F.embedding(mc.tensor([[1, 2], [1, 0]]), weight, padding_idx=0)
    >>> y.tolist()
    [[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [0.0, 0.0]]]
    >>> y.sum().backward()
    >>> weight.grad.tolist()  # row 1 read twice, row 2 once, the padding row none
    [[0.0, 0.0], [2.0, 2.0], [1.0, 1.0]]
    """
    _check_ids(name, input, weight)
    padding_idx = check_padding_idx(name, padding_idx, weight.shape[0])
    check_options(name, max_norm, norm_type, sparse)
    if max_norm is not None:
        renorm_(name, weight, input.data, float(max_norm), float(norm_type))
    return Embedding.apply(
        weight, input, padding_idx=padding_idx, scale_grad_by_freq=bool(scale_grad_by_freq)
    )
