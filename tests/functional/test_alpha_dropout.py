"""alpha_dropout and feature_alpha_dropout (Klambauer et al. 2017): an input of mean 0 and
variance 1 keeps both, each element (or each channel) dropped with probability p to one
value, kept ones mapped by one affine map, the same draws in backward; the identity outside
training; bad arguments. The draws are minicnn's own, from ``mc.manual_seed``: the statistics
are checked, not PyTorch's random numbers."""

import math

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

FLOOR = 1.0507009873554805 * 1.6732632423543772  # SELU's -min, lambda_01 alpha_01


def affine(p):
    """(a, b) of alpha dropout at p, from the paper: a = ((1 - p)(1 + alpha'^2 p))^(-1/2), b = a alpha' p."""
    a = ((1 - p) * (1 + FLOOR**2 * p)) ** -0.5
    return a, a * FLOOR * p


@pytest.mark.parametrize("p", [0.05, 0.2, 0.5, 0.8])
def test_an_input_of_mean_0_and_variance_1_keeps_both(p, rng):
    """The point of alpha dropout: mean 0 and variance 1 come out, for normal inputs and for a
    SELU layer's outputs (skewed, with mean 0 and variance 1 too); plain inverted dropout
    keeps the mean but raises the variance to 1 / (1 - p)."""
    z = rng.standard_normal(400_000)
    for x in (z, F.selu(mc.tensor(z)).numpy()):
        assert abs(x.mean()) < 0.01 and abs(x.var() - 1) < 0.01
        mc.manual_seed(int(rng.integers(2**31)))
        y = F.alpha_dropout(mc.tensor(x), p, training=True).numpy()
        assert abs(y.mean()) < 0.01 and abs(y.var() - 1) < 0.015, (y.mean(), y.var())
    assert F.dropout(mc.tensor(z), p).numpy().var() > 1 / (1 - p) - 0.02


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_dropped_elements_take_one_value_and_kept_ones_one_affine_map(p, rng):
    x = rng.standard_normal(100_000)
    mc.manual_seed(7)
    y = F.alpha_dropout(mc.tensor(x), p, True).numpy()
    a, b = affine(p)
    dropped = np.isclose(y, -a * FLOOR + b, rtol=1e-13, atol=1e-15)
    assert abs(dropped.mean() - p) < 0.01
    np.testing.assert_allclose(y[~dropped], a * x[~dropped] + b, rtol=1e-13, atol=1e-15)
    assert -a * FLOOR + b == pytest.approx(-a * FLOOR * (1 - p), rel=1e-14)


def test_backward_uses_the_forward_draws(rng):
    x = mc.tensor(rng.standard_normal((60, 50)), requires_grad=True)
    mc.manual_seed(3)
    y = F.alpha_dropout(x, 0.3, True)
    gy = rng.standard_normal(y.shape)
    y.backward(gy)
    a, b = affine(0.3)
    kept = np.isclose(y.numpy(), a * x.numpy() + b, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, a * gy, 0.0), rtol=1e-15)


@pytest.mark.parametrize("fn", [F.alpha_dropout, F.feature_alpha_dropout])
def test_gradcheck_with_fixed_draws(fn, rng, t):
    def call(x):
        mc.manual_seed(11)  # the same draws on every finite-difference evaluation
        return fn(x, 0.4, True)

    assert mc.gradcheck(call, [t(rng.standard_normal((3, 4, 2)), True)])


def test_feature_alpha_dropout_keeps_or_drops_whole_channels(rng):
    x = rng.standard_normal((40, 50, 3, 2))
    mc.manual_seed(5)
    y = F.feature_alpha_dropout(mc.tensor(x), 0.5, True).numpy()
    a, b = affine(0.5)
    kept = np.isclose(y, a * x + b, rtol=1e-13, atol=1e-15)
    per_map = kept.reshape(40, 50, -1)
    assert (per_map.all(-1) | ~per_map.any(-1)).all()  # each (n, c) map all kept or all dropped
    np.testing.assert_allclose(y[~kept], -a * FLOOR + b, rtol=1e-13)
    assert abs(per_map.all(-1).mean() - 0.5) < 0.05
    two_d = F.feature_alpha_dropout(mc.tensor(rng.standard_normal((8, 30))), 0.5, True)
    assert two_d.shape == (8, 30)  # (N, C): each element is a channel of its own


@pytest.mark.parametrize("fn", [F.alpha_dropout, F.feature_alpha_dropout])
def test_the_identity_outside_training_at_p_0_and_empty_and_x_times_0_at_p_1(fn, t):
    x = t([[1.0, -2.0], [np.inf, np.nan]])
    assert fn(x) is x  # training=False is the default, as PyTorch's
    assert fn(x, 0.5, False) is x and fn(x, 0.0, True) is x
    empty = t(np.zeros((0, 3)))
    assert fn(empty, 0.5, True) is empty
    with np.errstate(all="raise"):
        y = fn(x, 1.0, True)  # PyTorch: x * 0, the formula's a being infinite at p = 1
    np.testing.assert_array_equal(y.numpy(), [[0.0, 0.0], [np.nan, np.nan]])


def test_a_dropped_infinity_is_nan_and_float32_is_kept(rng):
    """inf * 0 + b: NaN, silently, as PyTorch's x * noise + b."""
    x = mc.tensor(np.full(200, np.inf, np.float32), requires_grad=True)
    mc.manual_seed(2)
    with np.errstate(all="raise"):
        y = F.alpha_dropout(x, 0.5, True)
        y.backward(np.ones(200, np.float32))
    assert y.dtype == x.grad.dtype == np.float32
    assert set(np.isnan(y.numpy())) == {True, False} and np.isinf(y.numpy()[~np.isnan(y.numpy())]).all()
    a = ((1 - 0.5) * (1 + FLOOR**2 * 0.5)) ** -0.5
    assert set(np.round(x.grad.numpy().tolist(), 6)) == {0.0, round(a, 6)}
    assert math.isclose(a, 0.8864, rel_tol=1e-4)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda x: F.alpha_dropout(x, 1.5, True),
            r"^alpha_dropout: dropout probability has to be between 0 and 1, but got 1.5$",
        ),
        (lambda x: F.alpha_dropout(x, -0.1), "alpha_dropout: dropout probability has to be between 0 and 1"),
        (lambda x: F.feature_alpha_dropout(x, True), "feature_alpha_dropout: dropout probability"),
        (
            lambda x: F.feature_alpha_dropout(x[0], 0.5, True),
            r"^feature_alpha_dropout: Feature dropout requires at least 2 dimensions in the input, "
            r"got shape \(3,\)$",
        ),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call(mc.zeros(2, 3))


def test_integer_input_is_refused():
    with pytest.raises(TypeError, match="alpha_dropout: x must be a floating-point tensor"):
        F.alpha_dropout(mc.zeros(2, dtype=mc.int64), 0.5, True)
