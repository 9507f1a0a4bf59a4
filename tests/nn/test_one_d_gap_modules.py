"""Dropout1d, MaxUnpool1d and the 1-D padding layers: PyTorch's arguments, reprs, unbatched input,
numbers (tests/fixtures/gen_gaps.py, torch 2.14) and one-line errors naming the layer."""

import numpy as np
import pytest
from fixtures.gen_gaps import PADS

import minicnn as mc
import minicnn.functional as F
from minicnn import nn


def test_they_print_as_pytorchs():
    assert repr(nn.ZeroPad1d(2)) == "ZeroPad1d((2, 2))"
    assert repr(nn.ZeroPad1d([1, 2])) == "ZeroPad1d((1, 2))"
    assert repr(nn.ConstantPad1d(2, 3.5)) == "ConstantPad1d(padding=(2, 2), value=3.5)"
    assert repr(nn.ConstantPad1d((1, 2), 3)) == "ConstantPad1d(padding=(1, 2), value=3)"
    assert repr(nn.ReflectionPad1d((1, 0))) == "ReflectionPad1d((1, 0))"
    assert repr(nn.ReplicationPad1d(1)) == "ReplicationPad1d((1, 1))"
    assert repr(nn.CircularPad1d(3)) == "CircularPad1d((3, 3))"
    assert repr(nn.Dropout1d()) == "Dropout1d(p=0.5, inplace=False)"
    assert repr(nn.Dropout1d(0.2, True)) == "Dropout1d(p=0.2, inplace=True)"
    assert repr(nn.MaxUnpool1d(2)) == "MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))"
    assert repr(nn.MaxUnpool1d(3, 2, 1)) == "MaxUnpool1d(kernel_size=(3,), stride=(2,), padding=(1,))"
    assert (
        repr(nn.MaxUnpool1d((4,), stride=(1,))) == "MaxUnpool1d(kernel_size=(4,), stride=(1,), padding=(0,))"
    )


def test_they_keep_pytorch_s_attributes_and_hold_nothing():
    assert nn.ZeroPad1d(2).padding == (2, 2) and nn.ZeroPad1d(2).value == 0.0
    assert nn.ConstantPad1d((0, 1), -1).value == -1 and isinstance(nn.ZeroPad1d(1), nn.ConstantPad1d)
    assert not isinstance(nn.ZeroPad1d(1), nn.ConstantPad2d)
    unpool = nn.MaxUnpool1d(3, padding=1)
    assert (unpool.kernel_size, unpool.stride, unpool.padding) == ((3,), (3,), (1,))
    drop = nn.Dropout1d(0.3)
    assert (drop.p, drop.inplace) == (0.3, False) and isinstance(drop, nn.Dropout)
    for layer in (unpool, drop, nn.CircularPad1d(1), nn.ConstantPad1d(1, 2.0)):
        assert not list(layer.parameters()) and not list(layer.buffers()) and layer.state_dict() == {}


@pytest.mark.parametrize("name", list(PADS))
def test_the_padding_layers_match_pytorch(golden, name):
    g = golden("gaps")
    layer, shape, args = PADS[name]
    x = mc.tensor(g[f"pad/{name}/x"], requires_grad=True)
    assert x.shape == shape, "gaps.npz is stale: rerun gen_gaps.py"
    y = getattr(nn, layer)(*args)(x)
    y.backward(mc.tensor(g[f"pad/{name}/gy"]))
    np.testing.assert_array_equal(y.numpy(), g[f"pad/{name}/y"])
    np.testing.assert_allclose(x.grad.numpy(), g[f"pad/{name}/gx"], rtol=1e-15, atol=0)


@pytest.mark.parametrize(
    "layer, mode",
    [
        (nn.ZeroPad1d((1, 2)), "constant"),
        (nn.ConstantPad1d((1, 2), -2.0), "constant"),
        (nn.ReflectionPad1d((1, 2)), "reflect"),
        (nn.ReplicationPad1d((1, 2)), "replicate"),
        (nn.CircularPad1d((1, 2)), "circular"),
    ],
)
def test_each_pads_the_last_dim_of_a_batch_or_of_one_signal(rng, layer, mode):
    value = getattr(layer, "value", None)
    for shape in ((2, 3, 5), (3, 5)):
        x = mc.tensor(rng.standard_normal(shape), requires_grad=True)
        y = layer(x)
        assert y.shape == shape[:-1] + (8,)
        np.testing.assert_array_equal(y.numpy(), F.pad(x, (1, 2), mode, value).numpy())
        assert mc.gradcheck(layer, [x])


def test_max_unpool1d_layer_undoes_max_pool1d_of_a_batch_or_of_one_signal(rng):
    pool, unpool = nn.MaxPool1d(2, return_indices=True), nn.MaxUnpool1d(2)
    x = mc.tensor(rng.permutation(30).reshape(2, 3, 5).astype(np.float32))
    y, indices = pool(x)
    out = unpool(y, indices, output_size=(5,))
    assert out.shape == (2, 3, 5)
    np.testing.assert_array_equal(out.numpy(), F.max_unpool1d(y, indices, 2, output_size=(5,)).numpy())
    y1, indices1 = pool(x[1])
    np.testing.assert_array_equal(unpool(y1, indices1).numpy(), unpool(y, indices).numpy()[1])


def test_dropout1d_layer_drops_channels_in_training_only(rng):
    layer = nn.Dropout1d(0.5)
    x = mc.tensor(rng.standard_normal((4, 8, 6)) + 5.0)
    mc.manual_seed(2)
    y = layer(x)
    mc.manual_seed(2)
    np.testing.assert_array_equal(y.numpy(), F.dropout1d(x, 0.5).numpy())
    assert ((y.numpy() == 0).all(-1) | (y.numpy() != 0).all(-1)).all()
    assert layer(x[0]).shape == (8, 6)
    layer.eval()
    assert layer(x) is x


@pytest.mark.parametrize(
    "build, error, says",
    [
        (
            lambda: nn.ZeroPad1d((1, 2, 3)),
            TypeError,
            r"^ZeroPad1d: padding must be an int or 2 ints \(left, right\), got \(1, 2, 3\)$",
        ),
        (lambda: nn.ReflectionPad1d(1.5), TypeError, r"^ReflectionPad1d: padding must be an int or 2 ints"),
        (lambda: nn.CircularPad1d((True, 1)), TypeError, r"^CircularPad1d: padding must be an int or 2 ints"),
        (lambda: nn.ConstantPad1d(1, "zero"), TypeError, r"^ConstantPad1d: value must be a real number"),
        (lambda: nn.ConstantPad1d(1), TypeError, r"value"),
        (lambda: nn.MaxUnpool1d(0), ValueError, r"^MaxUnpool1d: kernel_size and stride must be positive"),
        (lambda: nn.MaxUnpool1d(2, padding=-1), ValueError, r"^MaxUnpool1d: .* padding \(-1,\)$"),
        (
            lambda: nn.MaxUnpool1d((2, 2)),
            TypeError,
            r"^MaxUnpool1d: kernel_size must be an int or a tuple of one int",
        ),
        (lambda: nn.Dropout1d(1.5), ValueError, r"^Dropout1d: dropout probability has to be between 0 and 1"),
    ],
)
def test_bad_arguments_are_refused_at_construction(build, error, says):
    with pytest.raises(error, match=says):
        build()


@pytest.mark.parametrize(
    "layer, x, error, says",
    [
        (
            nn.ReflectionPad1d(2),
            mc.zeros(5),
            NotImplementedError,
            r"mode 'reflect' takes 2 amounts for a 2-D or 3-D input",
        ),
        (
            nn.ReplicationPad1d(2),
            mc.zeros(1, 2, 3, 4),
            NotImplementedError,
            r"mode 'replicate' takes 2 amounts",
        ),
        (nn.CircularPad1d(1), mc.zeros(5), ValueError, r"expected 2D or 3D input \(got 1D input\)$"),
        (nn.CircularPad1d(1), mc.zeros(1, 2, 3, 4), ValueError, r"expected 2D or 3D input \(got 4D input\)$"),
        (nn.ReflectionPad1d(3), mc.zeros(1, 3), ValueError, r"reflect needs amounts below the dim's size 3"),
        (
            nn.CircularPad1d(4),
            mc.zeros(1, 3),
            ValueError,
            r"circular needs amounts of at most the dim's size 3",
        ),
        (
            nn.Dropout1d(),
            mc.zeros(1, 2, 3, 4),
            ValueError,
            r"expected \(N, C, L\) or unbatched \(C, L\) input",
        ),
        (nn.Dropout1d(), mc.zeros(2, 3, dtype=mc.int64), TypeError, r"x must be a floating-point tensor"),
    ],
)
def test_bad_input_is_refused_naming_the_layer(layer, x, error, says):
    model = nn.Sequential(layer)
    with pytest.raises(error, match=rf"^{type(layer).__name__} at '0': " + says) as e:
        model(x)
    assert "\n" not in str(e.value)


def test_max_unpool1d_layer_refuses_bad_indices_naming_itself():
    model = nn.Sequential(nn.MaxUnpool1d(2))
    with pytest.raises(IndexError, match=r"^MaxUnpool1d at '0': index 9 is outside the output of length 4"):
        model[0](mc.zeros(1, 1, 2), mc.tensor([[[0, 9]]]))
