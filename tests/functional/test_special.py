"""erfc (functional/special.py), which GELU's exact form is built on: against Python's math.erfc,
in both dtypes, from 0 out to where it underflows, and quiet for every input."""

import math

import numpy as np
import pytest

from minicnn.functional.special import erfc

# the pieces of Cody's approximation meet at |x| = 0.46875 and 4; erfc underflows past 27
_EDGES = [0.0, -0.0, 0.46875, -0.46875, 4.0, -4.0, 26.5, 27.5, -27.5, 1e300, -1e300, np.inf, -np.inf]


def _reference(x):
    return np.array([math.erfc(float(v)) for v in x.ravel()]).reshape(x.shape)


def test_float64_within_a_few_ulps_of_math_erfc(rng):
    x = np.concatenate([rng.uniform(-6, 6, 20_000), rng.uniform(-27, 27, 5_000), _EDGES])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = erfc(x)
    want = _reference(x)
    assert y.dtype == np.float64
    normal = want > np.finfo(np.float64).tiny  # relative error is meaningless among the subnormals
    ulps = np.abs(y[normal] - want[normal]) / np.spacing(want[normal])
    assert ulps.max() <= 8, f"{ulps.max()} ulps at x = {x[normal][np.argmax(ulps)]}"
    # among the subnormals (and 0 past the underflow) the same within 1e-320 in absolute terms
    np.testing.assert_allclose(y[~normal], want[~normal], rtol=0, atol=1e-320)


def test_float32_keeps_its_dtype_and_a_float32_accuracy(rng):
    x = rng.uniform(-9, 9, 20_000).astype(np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = erfc(x)
    assert y.dtype == np.float32
    want = _reference(x)
    kept = want > 1e-30
    np.testing.assert_allclose(y[kept], want[kept], rtol=2e-6)
    np.testing.assert_allclose(y[~kept], want[~kept], atol=1e-30)


@pytest.mark.parametrize("x, want", [(np.nan, np.nan), (0.0, 1.0), (np.inf, 0.0), (-np.inf, 2.0)])
def test_nan_zero_and_infinities(x, want):
    np.testing.assert_array_equal(erfc(np.array([x, x])), [want, want])


def test_a_zero_dimensional_array_stays_an_array():
    y = erfc(np.array(0.3))
    assert isinstance(y, np.ndarray) and y.shape == ()
    assert y == pytest.approx(math.erfc(0.3), rel=1e-15)
