"""Every spec of tests/fixtures/gen_basic.py: gradient-checked in float64, compared with
PyTorch's golden arrays, and run in float32 and float64 to see that the dtype is kept
through forward and backward; and every value spec (no gradient: writes in place, division
that rounds) equal to PyTorch's values. The behaviour beyond the registry is tested beside
each family: test_basic.py (arithmetic, elementwise math, linear), test_loss.py,
test_reductions.py, test_shape_ops.py, test_in_place_methods.py, test_masked_fill.py.
"""

import numpy as np
import pytest
from fixtures.gen_basic import VALUE_SPECS, family, gradcheck_passes, library, run_minicnn

SPECS = family("arith", "elementwise", "linear", "loss", "reduce", "shape")


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_gradcheck(spec):
    assert gradcheck_passes(spec)


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_matches_pytorch(spec, golden):
    """Forward and backward equal PyTorch's stored ones (float64, rtol 1e-7)."""
    g = golden("basic")
    xs = [g[f"{spec.name}.x{i}"] for i in range(len(spec.draws))]
    for stored, fresh in zip(xs, spec.sample()):
        np.testing.assert_array_equal(
            stored,
            fresh,
            err_msg=(
                f"{spec.name}: basic.npz is older than its spec; run "
                "python tests/fixtures/make_golden.py basic"
            ),
        )
    y, grads = run_minicnn(spec, xs, weight=g[f"{spec.name}.w"])
    assert y.shape == g[f"{spec.name}.y"].shape, f"{spec.name}: output shape {y.shape}"
    np.testing.assert_allclose(y, g[f"{spec.name}.y"], rtol=1e-7, atol=1e-12, err_msg="output")
    for i, gx in enumerate(grads):
        np.testing.assert_allclose(
            gx, g[f"{spec.name}.g{i}"], rtol=1e-7, atol=1e-12, err_msg=f"gradient of input {i}"
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_dtype_is_kept(spec, dtype):
    """float32 stays float32 (Python scalars included), float64 stays float64."""
    y, grads = run_minicnn(spec, dtype=dtype)
    assert y.dtype == dtype, f"output is {y.dtype}"
    assert all(gx.dtype == dtype for gx in grads), [gx.dtype for gx in grads]


@pytest.mark.parametrize("spec", VALUE_SPECS, ids=str)
def test_values_match_pytorch(spec, golden):
    """Equal to PyTorch's: the dtype, every value, NaN and infinity where PyTorch has them,
    and the sign of each zero."""
    g = golden("basic")
    xs = [g[f"{spec.name}.x{i}"] for i in range(len(spec.draws))]
    for stored, fresh in zip(xs, spec.sample()):
        np.testing.assert_array_equal(
            stored, fresh, err_msg=f"{spec.name}: basic.npz is older than its spec; run make_golden.py basic"
        )
    y, want = spec.run(library("minicnn"), xs), g[f"{spec.name}.y"]
    assert y.dtype == want.dtype and y.shape == want.shape, (y.dtype, y.shape)
    np.testing.assert_array_equal(y, want)
    np.testing.assert_array_equal(np.signbit(y), np.signbit(want))
