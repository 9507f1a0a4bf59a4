"""SELU, CELU, Mish, Softsign, Hardshrink, Softshrink, Tanhshrink, Threshold, GLU, Softmax2d,
AlphaDropout and FeatureAlphaDropout: PyTorch's arguments, defaults and reprs, each the same
as its function, gradient-checked, and bad arguments refused at construction or naming the
layer. (Reprs with ``inplace``: tests/functional/test_inplace_keyword.py.)"""

import collections

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

PAIRS = [  # (layer, the function call it is)
    (nn.SELU(), F.selu),
    (nn.CELU(), F.celu),
    (nn.CELU(0.4), lambda x: F.celu(x, 0.4)),
    (nn.Mish(), F.mish),
    (nn.Softsign(), F.softsign),
    (nn.Hardshrink(), F.hardshrink),
    (nn.Hardshrink(1.5), lambda x: F.hardshrink(x, 1.5)),
    (nn.Softshrink(), F.softshrink),
    (nn.Softshrink(0.25), lambda x: F.softshrink(x, 0.25)),
    (nn.Tanhshrink(), F.tanhshrink),
    (nn.Threshold(0.3, -1.0), lambda x: F.threshold(x, 0.3, -1.0)),
    (nn.GLU(), F.glu),
    (nn.GLU(1), lambda x: F.glu(x, 1)),
    (nn.Softmax2d(), lambda x: F.softmax(x, dim=1)),
]


@pytest.mark.parametrize("layer, fn", PAIRS, ids=[repr(layer) for layer, _ in PAIRS])
def test_a_layer_is_its_function_and_keeps_float32(layer, fn, rng):
    x = mc.tensor((rng.standard_normal((2, 4, 3, 2)) * 2).astype(np.float32))
    y = layer(x)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), fn(x).numpy())


@pytest.mark.parametrize("layer, fn", PAIRS, ids=[repr(layer) for layer, _ in PAIRS])
def test_gradcheck(layer, fn, rng, t):
    x = rng.uniform(-3, 3, (2, 4, 2, 2))
    edges = np.array([-1.5, -0.5, -0.25, 0.0, 0.25, 0.3, 0.5, 1.5])
    x[np.abs(x[..., None] - edges).min(axis=-1) < 0.01] += 0.05
    assert mc.gradcheck(layer, [t(x, True)])


@pytest.mark.parametrize(
    "layer, text",  # torch 2.14's reprs
    [
        (nn.Mish(), "Mish()"),
        (nn.Softsign(), "Softsign()"),
        (nn.Hardshrink(), "Hardshrink(0.5)"),
        (nn.Hardshrink(1), "Hardshrink(1)"),
        (nn.Softshrink(), "Softshrink(0.5)"),
        (nn.Softshrink(lambd=2.0), "Softshrink(2.0)"),
        (nn.Tanhshrink(), "Tanhshrink()"),
        (nn.GLU(), "GLU(dim=-1)"),
        (nn.GLU(dim=1), "GLU(dim=1)"),
        (nn.Softmax2d(), "Softmax2d()"),
        (nn.FeatureAlphaDropout(0.1, inplace=True), "FeatureAlphaDropout(p=0.1, inplace=True)"),
    ],
    ids=str,
)
def test_repr_as_pytorch(layer, text):
    assert repr(layer) == text


def test_defaults_are_pytorchs():
    assert nn.CELU().alpha == 1.0 and nn.CELU().inplace is False and nn.SELU().inplace is False
    assert nn.Hardshrink().lambd == 0.5 and nn.Softshrink().lambd == 0.5 and nn.GLU().dim == -1
    assert (nn.AlphaDropout().p, nn.AlphaDropout().inplace) == (0.5, False)
    assert isinstance(nn.AlphaDropout(), nn.Dropout) and isinstance(nn.FeatureAlphaDropout(), nn.Dropout)
    assert (nn.Threshold(1, 2).threshold, nn.Threshold(1, 2).value, nn.Threshold(1, 2).inplace) == (
        1,
        2,
        False,
    )


def test_softmax2d_takes_the_softmax_over_channels_of_3d_and_4d_inputs(rng):
    for shape in ((3, 4, 5), (2, 3, 4, 5)):
        y = nn.Softmax2d()(mc.tensor(rng.standard_normal(shape))).numpy()
        np.testing.assert_allclose(y.sum(axis=-3), 1.0, rtol=1e-14)


@pytest.mark.parametrize("layer", [nn.AlphaDropout(0.3), nn.FeatureAlphaDropout(0.3)], ids=repr)
def test_alpha_dropout_layers_drop_in_training_and_pass_through_in_eval(layer, rng):
    x = mc.tensor(rng.standard_normal((4, 6, 3, 3)))
    mc.manual_seed(9)
    y = layer(x)
    fn = F.feature_alpha_dropout if isinstance(layer, nn.FeatureAlphaDropout) else F.alpha_dropout
    mc.manual_seed(9)
    np.testing.assert_array_equal(y.numpy(), fn(x, 0.3, True).numpy())
    assert not np.allclose(y.numpy(), x.numpy())
    layer.eval()
    assert layer(x) is x


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.CELU(0), ValueError, r"^CELU: alpha cannot be 0"),
        (lambda: nn.CELU("1"), TypeError, "^CELU: alpha must be a real number"),
        (lambda: nn.Softshrink(-0.5), ValueError, r"^Softshrink: lambda must be in range \[0, "),
        (lambda: nn.Hardshrink(None), TypeError, "^Hardshrink: lambd must be a real number"),
        (lambda: nn.Threshold(0.1), TypeError, "missing 1 required positional argument: 'value'"),
        (lambda: nn.Threshold("0", 1.0), TypeError, "^Threshold: threshold must be a real number"),
        (lambda: nn.GLU(1.5), TypeError, "^GLU: dim must be an int, got float 1.5"),
        (
            lambda: nn.AlphaDropout(1.5),
            ValueError,
            "^AlphaDropout: dropout probability has to be between 0 and 1",
        ),
        (lambda: nn.FeatureAlphaDropout(-1), ValueError, "^FeatureAlphaDropout: dropout probability"),
    ],
)
def test_bad_arguments_are_refused_at_construction(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    "layer, x, error, message",
    [
        (
            nn.Softmax2d(),
            mc.zeros(2, 3),
            ValueError,
            r"^Softmax2d at 'act': expected input to be 3D or 4D, got 2D instead$",
        ),
        (nn.Softmax2d(), mc.zeros(1, 2, 3, 4, 5), ValueError, "got 5D instead"),
        (nn.Softmax2d(), [[[1.0]]], TypeError, "^Softmax2d at 'act': input must be a minicnn Tensor"),
        (
            nn.GLU(),
            mc.zeros(2, 3),
            ValueError,
            r"^GLU at 'act': Halving dimension must be even, but dimension 1 is size 3",
        ),
        (
            nn.SELU(),
            mc.zeros(2, dtype=mc.int64),
            TypeError,
            "^SELU at 'act': input must be a floating-point tensor",
        ),
        (nn.Tanhshrink(), mc.zeros(2, dtype=bool), TypeError, "^Tanhshrink at 'act': input must be"),
        (
            nn.FeatureAlphaDropout(),
            mc.zeros(4),
            ValueError,
            "^FeatureAlphaDropout at 'act': Feature dropout requires",
        ),
    ],
)
def test_errors_in_forward_name_the_layer(layer, x, error, message):
    model = nn.Sequential(collections.OrderedDict(act=layer))
    with pytest.raises(error, match=message):
        model(x)
