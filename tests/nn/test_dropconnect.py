"""DropConnect as Wan et al. 2013: a weight mask per example, moment-matched Gaussian inference."""

import math

import numpy as np
import pytest

import minicnn as mc
from minicnn.functional.dropconnect import dropconnect_gaussian, dropconnect_linear, dropconnect_moments
from minicnn.nn.dropconnect import DropConnectLinear


def test_forward_is_each_example_through_its_own_thinned_weights():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((3, 5)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    mask = rng.random((3, 4, 5)) >= 0.5
    y = dropconnect_linear(mc.tensor(x), mc.tensor(w), mc.tensor(b), p=0.5, mask=mask).numpy()
    expected = np.stack([(mask[n] * w / 0.5) @ x[n] + b for n in range(3)])
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    x = mc.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    w = mc.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    b = mc.tensor(rng.standard_normal(4), requires_grad=True)
    mask = rng.random((3, 4, 5)) >= 0.3
    assert mc.gradcheck(lambda a, v, c: dropconnect_linear(a, v, c, p=0.3, mask=mask), [x, w, b])


def test_masks_differ_between_examples_of_one_batch():
    mc.manual_seed(2)
    w = mc.tensor(np.random.default_rng(2).standard_normal((6, 8)))
    x = mc.tensor(np.ones((2, 8)))  # two identical examples
    y = dropconnect_linear(x, w, None, p=0.5).numpy()
    assert not np.allclose(y[0], y[1])


def test_moments_match_the_masks_they_summarise():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 30)), rng.standard_normal((3, 30)), rng.standard_normal(3)
    p = 0.4
    mean, var = dropconnect_moments(mc.tensor(x), mc.tensor(w), mc.tensor(b), p)
    masks = rng.random((20000, 3, 30)) >= p
    draws = np.einsum("koi,ni->kno", masks * w / (1 - p), x) + b  # (draws, N, out)
    np.testing.assert_allclose(draws.mean(0), mean, atol=0.05 * np.sqrt(var).max())
    np.testing.assert_allclose(draws.var(0), var, rtol=0.05)


def _rectified_gaussian_mean(mean, var):
    """E[max(u, 0)] for u ~ N(m, s^2) = m Phi(m/s) + s phi(m/s)."""
    std = np.sqrt(var)
    z = mean / std
    cdf = 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2)))
    return mean * cdf + std * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def test_gaussian_inference_estimates_the_rectified_mean():
    rng = np.random.default_rng(4)
    x, w = mc.tensor(rng.standard_normal((2, 10))), mc.tensor(rng.standard_normal((3, 10)))
    mean, var = dropconnect_moments(x, w, None, 0.5)
    est = dropconnect_gaussian(
        x, w, None, 0.5, lambda u: np.maximum(u, 0), samples=200000, generator=5
    ).numpy()
    np.testing.assert_allclose(est, _rectified_gaussian_mean(mean, var), atol=0.01 * np.sqrt(var).max())


def test_layer_trains_stochastically_and_evaluates_by_sampling():
    mc.manual_seed(6)
    layer = DropConnectLinear(8, 4, p=0.5, samples=100000)
    x = mc.tensor(np.random.default_rng(6).standard_normal((5, 8)).astype(np.float32))
    a, b = layer(x).numpy(), layer(x).numpy()
    assert a.shape == (5, 4) and (a >= 0).all() and not np.allclose(a, b)
    layer.eval()
    with mc.no_grad():
        out = layer(x).numpy()
    mean, var = dropconnect_moments(x, layer.weight, layer.bias, 0.5)
    assert out.shape == (5, 4)
    np.testing.assert_allclose(out, _rectified_gaussian_mean(mean, var), atol=0.01 * np.sqrt(var).max())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"p": 1.0}, r"\[0, 1\)"),
        ({"p": -0.1}, r"\[0, 1\)"),
        ({"activation": "gelu"}, "activation"),
        ({"samples": 0}, "samples"),
    ],
)
def test_bad_arguments_are_refused_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DropConnectLinear(4, 3, **kwargs)


def test_wrong_input_width_names_the_layer():
    layer = DropConnectLinear(4, 3)
    with pytest.raises(ValueError, match=r"DropConnectLinear: expected x of shape \(N, 4\)"):
        layer(mc.tensor(np.zeros((2, 5), dtype=np.float32)))


def test_layer_is_exported_from_nn():
    from minicnn import nn

    assert nn.DropConnectLinear is DropConnectLinear
    assert "DropConnectLinear(in_features=4, out_features=3, p=0.5" in repr(nn.DropConnectLinear(4, 3))


def test_input_of_another_dtype_names_the_layer():
    layer = DropConnectLinear(4, 3)  # float32 weights
    with pytest.raises(TypeError, match="DropConnectLinear: x is float64 but weight is float32"):
        layer(mc.tensor(np.zeros((2, 4))))
    with pytest.raises(
        TypeError,
        match="DropConnectLinear: x must be a minicnn Tensor, got numpy.ndarray; wrap",
    ):
        layer(np.zeros((2, 4), dtype=np.float32))
