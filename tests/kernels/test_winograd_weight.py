"""Winograd's transforms of the weight as jitted loops (kernels/numba_winograd_weight.py):
each equal to its plain Python twin, and to winograd.py's NumPy transform.

Same dtype, two kernels: float64 to 1e-10 and float32 to 1e-5, relative to the array's
largest value (kernel_checks.close).
"""

import numpy as np
import pytest
from kernel_checks import close

from minicnn.kernels import winograd

pytestmark = pytest.mark.numba


@pytest.fixture
def ww():
    pytest.importorskip("numba")
    from minicnn.kernels import numba_winograd_weight

    return numba_winograd_weight


def test_the_plain_python_transforms_equal_the_jitted_ones(ww):
    rng = np.random.default_rng(160)
    w = rng.standard_normal((5, 3, 3, 3))
    U_jit, U_py = np.empty((16, 3, 5)), np.empty((16, 3, 5))
    ww._weight_tiles(w, U_jit)
    ww._weight_tiles_py(w, U_py)
    np.testing.assert_allclose(U_py, U_jit, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["contiguous", "a strided view"])
def test_the_jitted_weight_transform_equals_numpys(ww, dtype, layout):
    """weight_tiles against winograd.weight_tiles, on a contiguous weight and on a view of
    one (in/out swapped and flipped, as a weight a user passes may be)."""
    w = np.random.default_rng(161).standard_normal((7, 5, 3, 3)).astype(dtype)
    if layout != "contiguous":
        w = w.swapaxes(0, 1)[:, :, ::-1, ::-1]
    close(ww.weight_tiles(w), winograd.weight_tiles(w), dtype)
