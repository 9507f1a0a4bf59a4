"""Embedding, as PyTorch's: a table of learned vectors, one row per id, a thin Module over
``F.embedding``."""

import numpy as np

from .. import functional as F
from ..functional.checks import check_tensor
from ..functional.embedding import check_options, check_padding_idx
from ..tensor import no_grad
from . import init
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, read by integer ids:
    y = weight[input], as ``torch.nn.Embedding`` (the math is ``F.embedding``'s: the gradient adds
    one row of gy into gW per occurrence of an id, a scatter-add).

    ``padding_idx`` names a row that gets no gradient and starts at 0 (a padding token's vector
    stays 0); ``max_norm`` rescales in place, before each lookup, the rows it reads whose
    ``norm_type``-norm is larger; ``scale_grad_by_freq`` divides each id's gradient by its count
    in the batch. ``_weight`` gives the table itself (shared, not copied) and ``_freeze=True``
    keeps it from learning; ``Embedding.from_pretrained`` does both. ``sparse=True`` is refused:
    minicnn's gradients are dense.

    Shapes: input (*) ids -> y (*, embedding_dim); weight (num_embeddings, embedding_dim).
    Init (PyTorch's): weight ~ N(0, 1), its row padding_idx 0.

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> emb = nn.Embedding(10, 3, padding_idx=0)
    >>> emb
    Embedding(10, 3, padding_idx=0)
    >>> emb(mc.tensor([[0, 4, 4]])).shape
    (1, 3, 3)
    """

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
        _weight=None,
        _freeze=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        for what, n in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
                raise ValueError(f"Embedding: {what} must be a non-negative int, got {n!r}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = check_padding_idx("Embedding", padding_idx, self.num_embeddings)
        check_options("Embedding", max_norm, norm_type, sparse)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dtype = np.dtype(np.float32 if dtype is None else dtype)
            shape = (self.num_embeddings, self.embedding_dim)
            self.weight = Parameter(np.empty(shape, dtype=dtype), requires_grad=not _freeze)
            self.reset_parameters()
            if device is not None:
                self.to(device)
        else:  # (used as given: PyTorch leaves device and dtype aside here too)
            check_tensor("Embedding", "_weight", _weight)
            if _weight.shape != (self.num_embeddings, self.embedding_dim):
                raise ValueError(
                    f"Embedding: _weight has shape {_weight.shape}, but (num_embeddings, "
                    f"embedding_dim) is {(self.num_embeddings, self.embedding_dim)}"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze=True,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
    ):
        """An Embedding whose weight is ``embeddings`` (num_embeddings, embedding_dim), shared,
        not copied, as PyTorch's; ``freeze`` (the default) keeps it from learning
        (``weight.requires_grad`` False). The row padding_idx is left as given.

        >>> import minicnn as mc
        >>> from minicnn import nn
        >>> emb = nn.Embedding.from_pretrained(mc.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]]))
        >>> emb(mc.tensor([1])).tolist()
        [[4.0, 5.099999904632568, 6.300000190734863]]
        """
        check_tensor("Embedding.from_pretrained", "embeddings", embeddings)
        if embeddings.ndim != 2:
            raise ValueError(
                "Embedding.from_pretrained: embeddings must be 2-D (num_embeddings, embedding_dim), "
                f"got shape {embeddings.shape}"
            )
        rows, cols = embeddings.shape
        return cls(
            rows,
            cols,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=embeddings,
            _freeze=freeze,
        )

    def reset_parameters(self):
        """weight ~ N(0, 1), its row padding_idx 0, as when the layer was built."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input):
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
            name=self._label(),
        )

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return s
