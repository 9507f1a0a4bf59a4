"""mm and bmm: torch's matrix products of fixed rank, the strict siblings of ``matmul``.

``matmul`` lifts vectors and broadcasts batches; ``mm`` takes two matrices and ``bmm`` two
equal batches of them, and refuse anything else, as PyTorch's. Once the shapes are checked
the product is matmul's, so each Function is ``MatMul`` under its own name (the name a
gradient error gives): the same forward, and the same backward, gA = gY B^T, gB = A^T gY.
"""

from __future__ import annotations

from ..tensor import Tensor
from .basic import MatMul
from .checks import check_tensor
from .promotion import refuse_bool


class Mm(MatMul):
    """Y = A B for matrices A (n, m) and B (m, p).   gA = gY B^T, gB = A^T gY (MatMul's)."""


class Bmm(MatMul):
    """Y[i] = A[i] B[i] for batches A (b, n, m) and B (b, m, p).   gA[i] = gY[i] B[i]^T,
    gB[i] = A[i]^T gY[i] (MatMul's)."""


def _check_operands(name: str, input: Tensor, mat2: Tensor, ndim: int, what: str) -> None:
    """Both Tensors of ``ndim`` dims, of one number dtype, with the summed axes equal."""
    for side, t in (("input", input), ("mat2", mat2)):
        check_tensor(name, side, t)
        if t.ndim != ndim:
            raise ValueError(
                f"{name}: {side} must be {what} ({ndim}-D), got shape {t.shape}; "
                "matmul (@) takes vectors and broadcasts batches"
            )
        refuse_bool(name, t, "convert with .float() or .long() first")
    if input.dtype != mat2.dtype:
        raise TypeError(
            f"{name}: input is {input.dtype} but mat2 is {mat2.dtype}; "
            "convert one of them (.float(), .double(), .long())"
        )
    if input.shape[-1] != mat2.shape[-2]:
        raise ValueError(
            f"{name}: shapes {input.shape} and {mat2.shape} cannot be multiplied "
            f"({input.shape[-1]} != {mat2.shape[-2]})"
        )


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The matrix product of ``input`` (n, m) and ``mat2`` (m, p), as ``torch.mm``: (n, p).

    Both must be 2-D and of one dtype; for vectors or batches use ``matmul`` (``@``) or ``bmm``.

    >>> import minicnn as mc
    >>> mc.mm(mc.tensor([[1.0, 2.0]]), mc.tensor([[3.0], [4.0]])).tolist()
    [[11.0]]
    """
    _check_operands("mm", input, mat2, 2, "a matrix")
    return Mm.apply(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """The matrix products of two batches, ``input`` (b, n, m) and ``mat2`` (b, m, p), one
    pair at a time, as ``torch.bmm``: (b, n, p), ``y[i] = input[i] @ mat2[i]``.

    Both must be 3-D, of one dtype and with the same b: unlike ``matmul``, a batch of 1 is not
    broadcast.
    """
    _check_operands("bmm", input, mat2, 3, "a batch of matrices")
    if input.shape[0] != mat2.shape[0]:
        raise ValueError(
            f"bmm: input holds {input.shape[0]} matrices but mat2 {mat2.shape[0]}; "
            f"shapes {input.shape} and {mat2.shape}"
        )
    return Bmm.apply(input, mat2)
