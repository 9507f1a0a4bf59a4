"""GLU, as PyTorch's: a thin Module over functional/glu.py."""

from __future__ import annotations

from .. import functional as F
from ..functional.checks import as_int, type_name
from .module import Module


class GLU(Module):
    """y = a * sigmoid(b), a and b the two halves of the input along ``dim`` (Dauphin et al. 2017).

    Shapes: (*, 2n, *) -> (*, n, *), halved along dim.
    """

    def __init__(self, dim=-1):
        super().__init__()
        if as_int(dim) is None:
            raise TypeError(f"GLU: dim must be an int, got {type_name(dim)} {dim!r}")
        self.dim = dim

    def forward(self, x):
        return F.glu(x, self.dim, name=self._label())

    def extra_repr(self):
        return f"dim={self.dim}"
