"""Every spec of tests/fixtures/gen_basic.py: gradient-checked in float64, compared with
PyTorch's golden arrays, and run in float32 and float64 to see that the dtype is kept
through forward and backward. The behaviour beyond the registry is tested beside each
family: test_basic.py (arithmetic, elementwise math, linear), test_loss.py,
test_reduce_shape.py.
"""
import numpy as np
import pytest

from fixtures.gen_basic import check_dtype, check_golden, check_gradcheck, family

SPECS = family("arith", "elementwise", "linear", "loss", "reduce", "shape")


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_gradcheck(spec):
    check_gradcheck(spec)


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_matches_pytorch(spec, golden):
    check_golden(spec, golden("basic"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_dtype_is_kept(spec, dtype):
    check_dtype(spec, dtype)
