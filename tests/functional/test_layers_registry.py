"""Every spec of tests/fixtures/gen_layers.py (padding, pixel and channel shuffles,
unflatten, instance norm, distances, logsigmoid, softmin, max_pool2d_with_indices, and their
layers): gradient-checked in float64, compared with PyTorch's golden arrays, and run in
float32 and float64 to see that the dtype is kept through forward and backward. The
behaviour beyond the registry is tested beside each family: test_pad.py, test_rearrange.py,
test_instance_norm.py, test_distance.py, test_log_sigmoid.py, test_pooling.py.
"""

import numpy as np
import pytest
from fixtures.gen_layers import SPECS, check_matches_pytorch, gradcheck_passes, run_minicnn


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_gradcheck(spec):
    assert gradcheck_passes(spec)


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_matches_pytorch(spec, golden):
    """Forward and backward equal PyTorch's stored ones (float64, rtol 1e-7)."""
    check_matches_pytorch(spec, golden("layers"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_dtype_is_kept(spec, dtype):
    y, grads = run_minicnn(spec, dtype=dtype)
    assert y.dtype == dtype, f"output is {y.dtype}"
    assert all(gx.dtype == dtype for gx in grads), [gx.dtype for gx in grads]
