"""Activations: gradients, PyTorch's numbers, the random slopes of RReLU, modules, bad input;
and sin and cos, which sit beside tanh."""

import collections

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn


def away_from_kink(rng, shape):
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.05, 0.3, x)  # finite differences never straddle 0


# --- registry: op -> (fn, input shapes) --------------------------------------

GRADCHECK = {
    "relu": (F.relu, [(3, 4)]),
    "tanh": (F.tanh, [(3, 4)]),
    "sigmoid": (F.sigmoid, [(3, 4)]),
    "sin": (F.sin, [(3, 4)]),
    "cos": (F.cos, [(3, 4)]),
    "leaky_relu": (F.leaky_relu, [(3, 4)]),
    "leaky_relu_0.2": (lambda x: F.leaky_relu(x, 0.2), [(2, 3, 2)]),
    "prelu_1": (F.prelu, [(2, 3, 2, 2), (1,)]),
    "prelu_c": (F.prelu, [(2, 3, 2, 2), (3,)]),
    "prelu_2d": (F.prelu, [(4, 5), (5,)]),
    "rrelu_eval": (lambda x: F.rrelu(x, 0.1, 0.3), [(3, 4)]),
    "softmax_module": (nn.Softmax(dim=1), [(3, 4)]),
    "log_softmax_module": (nn.LogSoftmax(dim=0), [(3, 4)]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name, rng, t):
    fn, shapes = GRADCHECK[name]
    assert mc.gradcheck(fn, [t(away_from_kink(rng, s), grad=True) for s in shapes])


def test_gradcheck_prelu_module_and_rrelu_training(rng, t):
    assert mc.gradcheck(nn.PReLU(3).double(), [t(away_from_kink(rng, (2, 3, 4)), grad=True)])
    x = t(away_from_kink(rng, (3, 5)), grad=True)

    def rrelu_train(x):
        mc.manual_seed(0)  # the same slopes on every evaluation
        return F.rrelu(x, training=True)

    assert mc.gradcheck(rrelu_train, [x])


# --- against PyTorch --------------------------------------------------------


@pytest.mark.parametrize("name, slope", [("leaky_default", None), ("leaky_02", 0.2)])
def test_leaky_relu_matches_pytorch(golden, name, slope, t):
    g = golden("activation")
    x = t(g[f"{name}_x"], grad=True)
    y = F.leaky_relu(x) if slope is None else F.leaky_relu(x, slope)
    y.backward(g[f"{name}_gy"])
    np.testing.assert_allclose(y.numpy(), g[f"{name}_y"], rtol=1e-7)
    np.testing.assert_allclose(x.grad.numpy(), g[f"{name}_gx"], rtol=1e-7)


@pytest.mark.parametrize("name", ["prelu_1", "prelu_c", "prelu_2d"])
def test_prelu_matches_pytorch(golden, name, t):
    g = golden("activation")
    x, w = t(g[f"{name}_x"], grad=True), t(g[f"{name}_w"], grad=True)
    y = F.prelu(x, w)
    y.backward(g[f"{name}_gy"])
    np.testing.assert_allclose(y.numpy(), g[f"{name}_y"], rtol=1e-7)
    np.testing.assert_allclose(x.grad.numpy(), g[f"{name}_gx"], rtol=1e-7)
    np.testing.assert_allclose(w.grad.numpy(), g[f"{name}_gw"], rtol=1e-7)


def test_rrelu_eval_matches_pytorch(golden, t):
    g = golden("activation")
    x = t(g["rrelu_eval_x"], grad=True)
    m = nn.RReLU(0.1, 0.3)
    m.eval()
    y = m(x)
    y.backward(g["rrelu_eval_gy"])
    np.testing.assert_allclose(y.numpy(), g["rrelu_eval_y"], rtol=1e-7)
    np.testing.assert_allclose(x.grad.numpy(), g["rrelu_eval_gx"], rtol=1e-7)


# --- semantics --------------------------------------------------------------


def test_rrelu_slopes_in_training(t):
    mc.manual_seed(1)
    x = t(-np.ones(20_000), grad=True)
    y = nn.RReLU(0.1, 0.3)(x)  # modules start in training mode
    slopes = -y.numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert abs(slopes.mean() - 0.2) < 0.005 and slopes.std() > 0.05  # spread, not one value
    y.backward(np.ones(20_000))
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-15)  # the same slopes backward
    positive = F.rrelu(t(np.ones(5)), training=True).numpy()
    np.testing.assert_array_equal(positive, 1)


def test_rrelu_eval_uses_the_mean_slope(t):
    y = F.rrelu(t([-2.0, 3.0]), lower=0.1, upper=0.3, training=False).numpy()
    np.testing.assert_allclose(y, [-0.4, 3.0], rtol=1e-15)


def test_prelu_module_defaults_and_learning():
    m = nn.PReLU()
    assert m.weight.shape == (1,) and m.weight.dtype == np.float32
    np.testing.assert_allclose(m.weight.numpy(), 0.25)
    m3 = nn.PReLU(3, init=0.1)
    y = m3(mc.tensor(-np.ones((2, 3, 2), dtype=np.float32)))
    np.testing.assert_allclose(y.numpy(), -0.1, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(m3.weight.grad.numpy(), [-4, -4, -4])


def test_activation_modules_match_functional():
    x = mc.randn(2, 3, 4, seed=3)
    pairs = [
        (nn.ReLU(), F.relu),
        (nn.Tanh(), F.tanh),
        (nn.Sigmoid(), F.sigmoid),
        (nn.LeakyReLU(0.3), lambda x: F.leaky_relu(x, 0.3)),
        (nn.Softmax(dim=2), lambda x: F.softmax(x, 2)),
        (nn.LogSoftmax(dim=1), lambda x: F.log_softmax(x, 1)),
    ]
    for module, fn in pairs:
        np.testing.assert_array_equal(module(x).numpy(), fn(x).numpy())
    assert repr(nn.LeakyReLU(0.3)) == "LeakyReLU(negative_slope=0.3)"


# --- bad input --------------------------------------------------------------


def test_bad_input():
    ints = mc.tensor(np.ones((2, 3), dtype=np.int64))
    with pytest.raises(TypeError, match="leaky_relu: .*int64"):
        F.leaky_relu(ints)
    with pytest.raises(TypeError, match=r"LeakyReLU: x must be a floating-point tensor, got dtype int64"):
        nn.LeakyReLU()(ints)
    with pytest.raises(
        ValueError,
        match=r"prelu: x has 3 channel\(s\) but weight has 4 value\(s\); "
        r".*x \(2, 3\), weight \(4,\)",
    ):
        F.prelu(mc.randn(2, 3), mc.randn(4))
    with pytest.raises(ValueError, match=r"PReLU at 'act': x has 3 channel\(s\) but weight has 4 value"):
        nn.Sequential(collections.OrderedDict(act=nn.PReLU(4)))(mc.randn(2, 3))
    with pytest.raises(ValueError, match="RReLU: expected 0 <= lower <= upper"):
        nn.RReLU(0.5, 0.1)
    with pytest.raises(ValueError, match="num_parameters must be a positive int"):
        nn.PReLU(0)


@pytest.mark.parametrize(
    "op, want",
    [
        (F.relu, [1, 1, 0, 0]),
        (lambda t: F.leaky_relu(t, 0.1), [0.1, 1, 0.1, 0.1]),
        (lambda t: F.prelu(t, mc.tensor(np.array([0.25]))), [0.25, 1, 0.25, 0.25]),
        (mc.Tensor.abs, [0, 1, -1, 0]),
    ],
)
def test_gradient_at_nan_and_zero_is_pytorchs(op, want):
    """At x = [nan, 1, -1, 0] PyTorch gives these gradients (its masks are x <= 0 and x > 0,
    both false for NaN, and sign(nan) = 0)."""
    x = mc.tensor(np.array([np.nan, 1.0, -1.0, 0.0]), requires_grad=True)
    op(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), want)


# --- sin and cos ---------------------------------------------------------------


@pytest.mark.parametrize("op", ["sin", "cos"])
@pytest.mark.parametrize(
    "dtype, want", [("int64", "float32"), ("uint8", "float32"), ("bool", "float32"), ("float16", "float16")]
)
def test_sin_and_cos_of_integers_are_float32_as_pytorchs(op, dtype, want, rng):
    """torch.sin of an integer or bool tensor is float32 (PyTorch's default float dtype); a
    float dtype is kept, float16 too."""
    a = rng.integers(0, 8, (2, 3)).astype(dtype)
    for y in (getattr(mc, op)(mc.tensor(a)), getattr(F, op)(mc.tensor(a)), getattr(mc.tensor(a), op)()):
        assert y.dtype == want
        np.testing.assert_allclose(
            y.numpy(), getattr(np, op)(a.astype(want)), rtol=1e-3 if dtype == "float16" else 1e-6
        )


@pytest.mark.parametrize("op", ["sin", "cos"])
def test_sin_and_cos_gradients_read_as_the_math(op, rng):
    """d sin x = cos x dx, d cos x = -sin x dx, in float32 for float32."""
    a = rng.standard_normal((3, 4)).astype(np.float32)
    x = mc.tensor(a, requires_grad=True)
    y = getattr(x, op)()
    assert type(y.grad_fn).__name__ == op.capitalize()
    y.sum().backward()
    want = np.cos(a) if op == "sin" else -np.sin(a)
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("op", ["sin", "cos"])
@pytest.mark.parametrize("value, got", [([1.0], "list"), (1.0, "float"), (np.ones(2), r"numpy\.ndarray")])
def test_sin_and_cos_refuse_what_is_not_a_tensor_as_pytorch(op, value, got):
    with pytest.raises(TypeError, match=rf"^{op}: input must be a minicnn Tensor, got {got}"):
        getattr(mc, op)(value)
