"""What the pooling tests share: the kernel tiers, and a pool's result as (y, indices)."""

import pytest

TIERS = ["reference", "numpy", pytest.param("numba", marks=pytest.mark.numba)]


def pooled(out):
    """(y, indices) of a pool's result, indices None where it gives y alone."""
    return out if isinstance(out, tuple) else (out, None)
