"""Dropout, Dropout2d and DropConnect: statistics, scaling, the mask in backward, bad p."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import manual_seed, nn


def ones(*shape, grad=False):
    return mc.tensor(np.ones(shape), requires_grad=grad)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_kept_fraction_and_scale(p):
    manual_seed(0)
    y = F.dropout(ones(100_000), p).numpy()
    kept = y != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-15)


def test_backward_uses_the_forward_mask():
    manual_seed(1)
    x = mc.tensor(np.random.default_rng(0).standard_normal((50, 40)), requires_grad=True)
    y = F.dropout(x, 0.3)
    gy = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(gy)
    scale = y.numpy() / x.numpy()  # 0 or 1/(1-p), element by element
    np.testing.assert_allclose(x.grad.numpy(), gy * scale, rtol=1e-12)
    assert set(np.round(np.unique(scale), 12)) == {0.0, round(1 / 0.7, 12)}


def test_gradcheck_with_a_fixed_mask():
    x = mc.tensor(np.random.default_rng(2).standard_normal((4, 5)), requires_grad=True)

    def fn(x):
        manual_seed(3)  # the same mask on every finite-difference evaluation
        return F.dropout(x, 0.4)

    assert mc.gradcheck(fn, [x])


def test_identity_in_eval_or_p0_and_zeros_for_p1():
    x = mc.randn(3, 4, seed=0)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), 0)
    m = nn.Dropout(0.5)
    m.eval()
    np.testing.assert_array_equal(m(x).numpy(), x.numpy())


def test_seed_makes_masks_repeatable():
    manual_seed(5)
    a = F.dropout(ones(1000), 0.5).numpy()
    manual_seed(5)
    b = F.dropout(ones(1000), 0.5).numpy()
    c = F.dropout(ones(1000), 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


def test_dropout2d_zeroes_whole_channels():
    manual_seed(6)
    x = ones(16, 32, 5, 5, grad=True)
    y = nn.Dropout2d(0.5)(x)
    per_channel = y.numpy().reshape(16, 32, -1)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # each map all 0 or all 2
    assert set(np.unique(per_channel)) == {0.0, 2.0}
    assert 0.35 < (per_channel[:, :, 0] == 0).mean() < 0.65
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())


def test_dropconnect_drops_weights_not_activations():
    manual_seed(7)
    linear = nn.Linear(30, 20).double()
    layer = nn.DropConnect(linear, p=0.5)
    x = mc.tensor(np.eye(30), requires_grad=False)
    y = layer(x).numpy() - linear.bias.numpy()  # row i: column i of the thinned weight
    w = linear.weight.numpy()
    kept = y.T != 0
    assert 0.4 < kept.mean() < 0.6
    np.testing.assert_allclose(y.T[kept], 2 * w[kept], rtol=1e-12)
    layer.eval()
    np.testing.assert_allclose(layer(x).numpy(), linear(x).numpy(), rtol=1e-12)
    assert [n for n, _ in layer.named_parameters()] == ["linear.weight", "linear.bias"]


def test_dropconnect_gradient_reaches_only_kept_weights():
    linear = nn.Linear(6, 4).double()
    layer = nn.DropConnect(linear, p=0.5)
    x = mc.tensor(np.random.default_rng(0).standard_normal((3, 6)))
    manual_seed(8)  # the mask is the first draw after seeding
    layer(x).sum().backward()
    mask = np.random.default_rng(8).random((4, 6)) >= 0.5
    expected = np.broadcast_to(x.numpy().sum(0), (4, 6)) * mask * 2
    np.testing.assert_allclose(linear.weight.grad.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5"])
def test_bad_p(p):
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout(mc.randn(3), p)
    with pytest.raises(ValueError, match="Dropout2d: dropout probability"):
        nn.Dropout2d(p)


def test_bad_input():
    m = nn.Dropout(0.5)
    m.p = 2.0  # changed after construction: caught at the call
    with pytest.raises(ValueError, match=r"Dropout: dropout probability .* got 2\.0"):
        m(mc.randn(3))
    with pytest.raises(TypeError, match="floating-point.*int64"):
        F.dropout(mc.tensor(np.ones(3, dtype=np.int64)))
    with pytest.raises(ValueError, match=r"dropout2d: expected \(N, C, H, W\).*\(4, 5\)"):
        F.dropout2d(mc.randn(4, 5))
    # (C, H, W) or (N, C, L)? PyTorch reads the second and warns it will change: refused here
    with pytest.raises(ValueError, match=r"Dropout2d: expected \(N, C, H, W\), got shape \(4, 6, 5\); a 3-D"):
        nn.Dropout2d(0.5)(mc.ones(4, 6, 5))
    with pytest.raises(TypeError, match="DropConnect: expected a Linear"):
        nn.DropConnect(nn.ReLU())


DROPOUTS = {
    "dropout": lambda x, v: F.dropout(x, 0.5, training=v),
    "dropout1d": lambda x, v: F.dropout1d(x[0], 0.5, v),
    "dropout2d": lambda x, v: F.dropout2d(x, 0.5, training=v),
    "alpha_dropout": lambda x, v: F.alpha_dropout(x, 0.5, training=v),
    "feature_alpha_dropout": lambda x, v: F.feature_alpha_dropout(x, 0.5, v),
}


@pytest.mark.parametrize("name", DROPOUTS)
@pytest.mark.parametrize(
    "value, shown", [(1, "int 1"), (0, "int 0"), ("no", "str 'no'"), (np.True_, "numpy")]
)
def test_a_training_flag_that_is_no_bool_is_refused_as_pytorch_refuses_it(name, value, shown):
    """PyTorch: "dropout(): argument 'train' (position 3) must be bool, not int"; minicnn
    dropped units for training=1 and for "no"."""
    x = mc.tensor(np.random.default_rng(4508).normal(size=(2, 3, 4, 4)))
    with pytest.raises(TypeError, match=rf"^{name}: training must be a bool \(True or False\), got {shown}"):
        DROPOUTS[name](x, value)
    y = DROPOUTS[name](x, False)  # (False is taken: the identity)
    np.testing.assert_array_equal(y.numpy(), x.numpy()[0] if name == "dropout1d" else x.numpy())
