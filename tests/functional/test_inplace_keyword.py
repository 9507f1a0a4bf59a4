"""``inplace``, PyTorch's keyword of the activations and dropouts that take it: accepted by
F.* where PyTorch puts it (keyword or position) and by the layers, which pass it on, and shown
in the layers' reprs as PyTorch shows it. minicnn never writes into x (it records no in-place
operation in a graph): ``inplace=True`` gives the same new tensor as ``inplace=False``, as
docs/ops/activations.md says. Functions whose PyTorch twin has no ``inplace`` refuse it."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

# name: (F with inplace as a keyword, F with every argument by position as PyTorch orders them,
#        the layer with inplace, x's shape)
CASES = {
    "relu": (
        lambda x, inplace: F.relu(x, inplace=inplace),
        lambda x: F.relu(x, True),
        lambda inplace: nn.ReLU(inplace),
        (3, 4),
    ),
    "leaky_relu": (
        lambda x, inplace: F.leaky_relu(x, 0.2, inplace=inplace),
        lambda x: F.leaky_relu(x, 0.2, True),
        lambda inplace: nn.LeakyReLU(0.2, inplace),
        (3, 4),
    ),
    "rrelu_eval": (
        lambda x, inplace: F.rrelu(x, 0.1, 0.3, inplace=inplace),
        lambda x: F.rrelu(x, 0.1, 0.3, False, True),
        lambda inplace: nn.RReLU(0.1, 0.3, inplace).eval(),
        (3, 4),
    ),
    "rrelu_training": (
        lambda x, inplace: F.rrelu(x, 0.1, 0.3, True, inplace=inplace),
        lambda x: F.rrelu(x, 0.1, 0.3, True, True),
        lambda inplace: nn.RReLU(0.1, 0.3, inplace),
        (3, 4),
    ),
    "elu": (
        lambda x, inplace: F.elu(x, 0.5, inplace=inplace),
        lambda x: F.elu(x, 0.5, True),
        lambda inplace: nn.ELU(0.5, inplace),
        (3, 4),
    ),
    "silu": (
        lambda x, inplace: F.silu(x, inplace=inplace),
        lambda x: F.silu(x, True),
        lambda inplace: nn.SiLU(inplace),
        (3, 4),
    ),
    "relu6": (
        lambda x, inplace: F.relu6(x, inplace=inplace),
        lambda x: F.relu6(x, True),
        lambda inplace: nn.ReLU6(inplace),
        (3, 4),
    ),
    "hardtanh": (
        lambda x, inplace: F.hardtanh(x, -0.5, 0.7, inplace=inplace),
        lambda x: F.hardtanh(x, -0.5, 0.7, True),
        lambda inplace: nn.Hardtanh(-0.5, 0.7, inplace),
        (3, 4),
    ),
    "hardsigmoid": (
        lambda x, inplace: F.hardsigmoid(x, inplace=inplace),
        lambda x: F.hardsigmoid(x, True),
        lambda inplace: nn.Hardsigmoid(inplace),
        (3, 4),
    ),
    "hardswish": (
        lambda x, inplace: F.hardswish(x, inplace=inplace),
        lambda x: F.hardswish(x, True),
        lambda inplace: nn.Hardswish(inplace),
        (3, 4),
    ),
    "selu": (
        lambda x, inplace: F.selu(x, inplace=inplace),
        lambda x: F.selu(x, True),
        lambda inplace: nn.SELU(inplace),
        (3, 4),
    ),
    "celu": (
        lambda x, inplace: F.celu(x, 0.5, inplace=inplace),
        lambda x: F.celu(x, 0.5, True),
        lambda inplace: nn.CELU(0.5, inplace),
        (3, 4),
    ),
    "mish": (
        lambda x, inplace: F.mish(x, inplace=inplace),
        lambda x: F.mish(x, True),
        lambda inplace: nn.Mish(inplace),
        (3, 4),
    ),
    "threshold": (
        lambda x, inplace: F.threshold(x, 0.1, -2.0, inplace=inplace),
        lambda x: F.threshold(x, 0.1, -2.0, True),
        lambda inplace: nn.Threshold(0.1, -2.0, inplace),
        (3, 4),
    ),
    "alpha_dropout": (
        lambda x, inplace: F.alpha_dropout(x, 0.3, True, inplace=inplace),
        lambda x: F.alpha_dropout(x, 0.3, True, True),
        lambda inplace: nn.AlphaDropout(0.3, inplace),
        (3, 4),
    ),
    "feature_alpha_dropout": (
        lambda x, inplace: F.feature_alpha_dropout(x, 0.3, True, inplace=inplace),
        lambda x: F.feature_alpha_dropout(x, 0.3, True, True),
        lambda inplace: nn.FeatureAlphaDropout(0.3, inplace),
        (4, 5, 2, 2),
    ),
    "dropout": (
        lambda x, inplace: F.dropout(x, 0.3, True, inplace=inplace),
        lambda x: F.dropout(x, 0.3, True, True),
        lambda inplace: nn.Dropout(0.3, inplace),
        (3, 4),
    ),
    "dropout2d": (
        lambda x, inplace: F.dropout2d(x, 0.3, inplace=inplace),
        lambda x: F.dropout2d(x, 0.3, True, True),
        lambda inplace: nn.Dropout2d(0.3, inplace),
        (4, 5, 2, 2),
    ),
}
SEED = 11  # the draws of rrelu and the dropouts, the same for every call compared


def _away_from_kink(rng, shape):
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.05, 0.3, x)


def _call(fn, *args):
    mc.manual_seed(SEED)
    return fn(*args)


@pytest.mark.parametrize("name", CASES)
def test_inplace_false_and_true_give_a_new_tensor_and_leave_x_as_it_was(name, rng):
    keyword, positional, _, shape = CASES[name]
    values = _away_from_kink(rng, shape)
    x = mc.tensor(values)
    want = _call(keyword, x, False).numpy()
    for y in (_call(keyword, x, True), _call(positional, x)):
        assert y is not x and not np.shares_memory(y.data, x.data)
        np.testing.assert_array_equal(y.numpy(), want)
        np.testing.assert_array_equal(x.numpy(), values)


@pytest.mark.parametrize("name", CASES)
def test_inplace_true_keeps_the_gradient_on_a_leaf_and_inside_a_graph(name, rng):
    """PyTorch refuses inplace=True on a leaf that requires grad; minicnn, which computes out of
    place, gives the gradient that inplace=False gives, on a leaf and on a node of a graph."""
    keyword, _, _, shape = CASES[name]
    values, gy = _away_from_kink(rng, shape), rng.standard_normal(shape)
    grads = []
    for inplace in (False, True):
        for through in (lambda t: t, lambda t: t * 1.0):  # the leaf itself, then a node made from it
            x = mc.tensor(values, requires_grad=True)
            _call(keyword, through(x), inplace).backward(gy)
            grads.append(x.grad.numpy())
            np.testing.assert_array_equal(x.numpy(), values)
    for g in grads[1:]:
        np.testing.assert_array_equal(g, grads[0])


@pytest.mark.parametrize("name", CASES)
def test_a_layer_passes_inplace_on_and_agrees_with_the_function(name, rng):
    keyword, _, layer, shape = CASES[name]
    values = _away_from_kink(rng, shape)
    for inplace in (False, True):
        module = layer(inplace)
        assert module.inplace is inplace
        x = mc.tensor(values)
        np.testing.assert_array_equal(_call(module, x).numpy(), _call(keyword, x, inplace).numpy())
        np.testing.assert_array_equal(x.numpy(), values)


@pytest.mark.parametrize("fn", [F.dropout, F.dropout2d, F.alpha_dropout, F.feature_alpha_dropout])
def test_dropout_that_is_the_identity_returns_x_itself_with_either_inplace(fn, rng):
    x = mc.tensor(rng.standard_normal((2, 3, 2, 2)))
    for inplace in (False, True):
        assert fn(x, 0.5, False, inplace) is x and fn(x, 0.0, True, inplace) is x


@pytest.mark.parametrize(
    "call",
    [
        lambda x: F.gelu(x, inplace=True),
        lambda x: F.softplus(x, inplace=True),
        lambda x: F.tanh(x, inplace=True),
        lambda x: F.sigmoid(x, inplace=True),
        lambda x: F.prelu(x, mc.tensor([0.25]), inplace=True),
        lambda x: F.softsign(x, inplace=True),
        lambda x: F.softshrink(x, inplace=True),
        lambda x: F.hardshrink(x, inplace=True),
        lambda x: F.tanhshrink(x, inplace=True),
        lambda x: F.glu(x.repeat(1, 2), inplace=True),
    ],
    ids=[
        "gelu",
        "softplus",
        "tanh",
        "sigmoid",
        "prelu",
        "softsign",
        "softshrink",
        "hardshrink",
        "tanhshrink",
        "glu",
    ],
)
def test_a_function_whose_pytorch_twin_has_no_inplace_refuses_it(call, rng):
    with pytest.raises(TypeError, match="unexpected keyword argument 'inplace'"):
        call(mc.tensor(rng.standard_normal((2, 3)).astype(np.float32)))


@pytest.mark.parametrize(
    "layer, text",  # torch 2.13's reprs (2.14's for the SELU to FeatureAlphaDropout ones)
    [
        (nn.ReLU(), "ReLU()"),
        (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
        (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
        (nn.LeakyReLU(0.1, inplace=True), "LeakyReLU(negative_slope=0.1, inplace=True)"),
        (nn.RReLU(), "RReLU(lower=0.125, upper=0.3333333333333333)"),
        (nn.RReLU(inplace=True), "RReLU(lower=0.125, upper=0.3333333333333333, inplace=True)"),
        (nn.SiLU(inplace=True), "SiLU(inplace=True)"),
        (nn.ReLU6(inplace=True), "ReLU6(inplace=True)"),
        (nn.Hardtanh(inplace=True), "Hardtanh(min_val=-1.0, max_val=1.0, inplace=True)"),
        (nn.Hardsigmoid(inplace=True), "Hardsigmoid()"),
        (nn.Hardswish(inplace=True), "Hardswish()"),
        (nn.ELU(0.5, inplace=True), "ELU(alpha=0.5, inplace=True)"),
        (nn.SELU(), "SELU()"),
        (nn.SELU(inplace=True), "SELU(inplace=True)"),
        (nn.CELU(), "CELU(alpha=1.0)"),
        (nn.CELU(0.5, inplace=True), "CELU(alpha=0.5, inplace=True)"),
        (nn.Mish(inplace=True), "Mish(inplace=True)"),
        (nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
        (nn.Threshold(0.1, 20.0, True), "Threshold(threshold=0.1, value=20.0, inplace=True)"),
        (nn.AlphaDropout(), "AlphaDropout(p=0.5, inplace=False)"),
        (nn.AlphaDropout(0.2, True), "AlphaDropout(p=0.2, inplace=True)"),
        (nn.FeatureAlphaDropout(), "FeatureAlphaDropout(p=0.5, inplace=False)"),
        (nn.Dropout(), "Dropout(p=0.5, inplace=False)"),
        (nn.Dropout(0.1, inplace=True), "Dropout(p=0.1, inplace=True)"),
        (nn.Dropout2d(), "Dropout2d(p=0.5, inplace=False)"),
        (nn.Dropout2d(0.1, inplace=True), "Dropout2d(p=0.1, inplace=True)"),
    ],
    ids=str,
)
def test_a_layers_repr_shows_inplace_as_pytorchs(layer, text):
    assert repr(layer) == text
