"""nn.Linear, the simple layers and the loss modules: golden values from PyTorch, gradient checks, errors."""

import math

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn


def linear_from(g, name, bias=True):
    w = g[f"{name}.weight"]
    lin = nn.Linear(w.shape[1], w.shape[0], bias=bias, dtype=np.float64)
    sd = {"weight": w, **({"bias": g[f"{name}.bias"]} if bias else {})}
    lin.load_state_dict(sd)
    return lin


@pytest.mark.parametrize("name, bias", [("linear2d", True), ("linear3d", True), ("linear_nobias", False)])
def test_linear_matches_pytorch_forward_and_backward(golden, name, bias, t):
    g = golden("nn")
    lin = linear_from(g, name, bias)
    x = t(g[f"{name}.x"], grad=True)
    y = lin(x)
    np.testing.assert_allclose(y.data, g[f"{name}.y"], rtol=1e-12, atol=1e-12)
    (y * t(g[f"{name}.gy"])).sum().backward()
    np.testing.assert_allclose(x.grad.data, g[f"{name}.gx"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(lin.weight.grad.data, g[f"{name}.gweight"], rtol=1e-12, atol=1e-12)
    if bias:
        np.testing.assert_allclose(lin.bias.grad.data, g[f"{name}.gbias"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(bias):
    mc.manual_seed(0)
    lin = nn.Linear(5, 3, bias=bias).double()
    x = mc.tensor(np.random.default_rng(1).standard_normal((4, 5)), requires_grad=True)
    assert mc.gradcheck(lin, [x])


def test_small_mlp_gradcheck():
    mc.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 5), nn.Sigmoid(), nn.Linear(5, 2)).double()
    x = mc.tensor(np.random.default_rng(2).standard_normal((3, 4)), requires_grad=True)
    assert mc.gradcheck(mlp, [x])


def test_linear_default_init_is_pytorchs():
    mc.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) reduces to this bound
    w, b = lin.weight.data, lin.bias.data
    assert w.dtype == np.float32 and w.shape == (300, 400) and b.shape == (300,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.01)  # U(-b, b): std b/sqrt(3)
    assert abs(w.mean()) < 3 * bound / math.sqrt(3) / math.sqrt(w.size)
    assert np.abs(w).max() > 0.99 * bound


def test_manual_seed_makes_construction_reproducible():
    mc.manual_seed(123)
    a = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    mc.manual_seed(123)
    b = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    c = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))  # the stream moved on
    for (k, va), vb, vc in zip(a.state_dict().items(), b.state_dict().values(), c.state_dict().values()):
        np.testing.assert_array_equal(va, vb, err_msg=k)
        assert not np.array_equal(va, vc)


def test_linear_rejects_bad_input_naming_the_layer_and_both_shapes():
    class LeNetHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(84, 10)

        def forward(self, x):
            return self.fc1(x)

    head = LeNetHead()
    with pytest.raises(ValueError) as err:
        head(mc.tensor(np.zeros((8, 100), dtype=np.float32)))
    assert str(err.value) == (
        "Linear at 'fc1': x has 100 features but weight expects 84; x (8, 100), weight (10, 84)"
    )
    not_float = "Linear at 'fc1': x must be a floating-point tensor, got dtype int64"
    with pytest.raises(TypeError, match=not_float):
        head(mc.tensor(np.zeros((8, 84), dtype=np.int64)))
    with pytest.raises(TypeError, match=r"Linear at 'fc1': x is float64 but weight is float32"):
        head(mc.tensor(np.zeros((8, 84))))
    with pytest.raises(
        TypeError,
        match=r"Linear at 'fc1': x must be a minicnn Tensor, got numpy.ndarray; wrap",
    ):
        head(np.zeros((8, 84), dtype=np.float32))
    with pytest.raises(ValueError, match="in_features must be a non-negative int"):
        nn.Linear(-1, 3)


def test_linear_error_hints_at_unflattened_images_and_a_missing_batch_dim():
    rng = np.random.default_rng(31)
    conv_then_fc = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(2 * 4 * 4, 3))
    with pytest.raises(ValueError) as err:
        conv_then_fc(mc.tensor(rng.standard_normal((5, 1, 6, 6)).astype(np.float32)))
    assert str(err.value) == (
        "Linear at '1': x has 4 features but weight expects 32; x (5, 2, 4, 4), weight (3, 32); "
        "each example's 2 x 4 x 4 = 32 values: flatten it first (nn.Flatten() or x.flatten(1))"
    )
    # one (C, H, W) image: conv takes it unbatched, as PyTorch's does, and Flatten() then
    # reads its 2 channels as 2 examples
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    one_image = mc.tensor(rng.standard_normal((1, 6, 6)).astype(np.float32))
    with pytest.raises(ValueError, match=r"x \(2, 16\), .*; x holds 32 values in all, .* use x\[None\]"):
        net(one_image)
    assert net(one_image[None]).shape == (1, 3)
    # sizes that fit neither slip get no hint
    with pytest.raises(ValueError, match=r"weight \(3, 32\)$"):
        net[2](mc.tensor(rng.standard_normal((5, 7)).astype(np.float32)))


def test_activation_layers_and_flatten_identity(t):
    x = t(np.linspace(-3, 3, 12).reshape(2, 3, 2))
    np.testing.assert_allclose(nn.ReLU()(x).data, np.maximum(x.data, 0))
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh(x.data))
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp(-x.data)))
    assert nn.Identity(54, unused="ok")(x) is x
    assert nn.Flatten()(x).shape == (2, 6)
    assert nn.Flatten(0)(x).shape == (12,)
    assert nn.Flatten(1, 1)(x).shape == (2, 3, 2)
    with pytest.raises(ValueError, match=r"Flatten: cannot flatten dims 1..-1 of x of shape \(5,\)"):
        nn.Flatten()(t(np.ones(5)))


def test_softmax_layers(t):
    x = t(np.random.default_rng(0).standard_normal((3, 4)))
    p = np.exp(x.data) / np.exp(x.data).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(nn.Softmax(dim=1)(x).data, p, rtol=1e-12)
    np.testing.assert_allclose(nn.LogSoftmax(dim=-1)(x).data, np.log(p), rtol=1e-12)
    with pytest.warns(UserWarning, match="implicit dimension"):
        np.testing.assert_allclose(nn.Softmax()(x).data, p, rtol=1e-12)  # 2-D: dim 1, as PyTorch
    assert repr(nn.LogSoftmax(dim=1)) == "LogSoftmax(dim=1)"


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_loss_matches_pytorch(golden, smoothing, t):
    g = golden("nn")
    x = t(g["ce.x"], grad=True)
    loss = nn.CrossEntropyLoss(label_smoothing=smoothing)(x, mc.tensor(g["ce.target"]))
    np.testing.assert_allclose(loss.data, g[f"ce.smooth{smoothing}.loss"], rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, g[f"ce.smooth{smoothing}.gx"], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_class_loss_modules_take_maps_and_probabilities_as_pytorch(golden, reduction, t):
    """The modules pass every setting on: PyTorch's values and input gradients (stored by
    tests/fixtures/gen_basic.py) for a segmentation map with weights, ignored positions and
    label smoothing, its NLL, and class-probability targets."""
    g = golden("basic")
    target = np.array([[[2, -100], [0, 3], [1, 1]], [[3, 0], [-100, 2], [0, 3]]])
    weight = mc.tensor(np.array([0.5, 2.0, 1.0, 3.0]))
    cases = {
        "cross_entropy_map_weight_ignore_smoothing": (
            nn.CrossEntropyLoss(weight, reduction=reduction, label_smoothing=0.15),
            lambda x: x,
            mc.tensor(target),
        ),
        "nll_loss_map_weight_ignore": (
            nn.NLLLoss(weight, reduction=reduction),
            nn.LogSoftmax(dim=1),
            mc.tensor(target),
        ),
        "cross_entropy_soft_map_weight_smoothing": (
            nn.CrossEntropyLoss(weight, reduction=reduction, label_smoothing=0.1),
            lambda x: x,
            None,
        ),
    }
    for name, (loss, before, y) in cases.items():
        key = f"{name}_{reduction}"
        x = t(g[f"{key}.x0"], grad=True)
        out = loss(before(x), mc.tensor(g[f"{key}.x1"]) if y is None else y)
        np.testing.assert_allclose(out.data, g[f"{key}.y"], rtol=1e-12, err_msg=key)
        (out * mc.tensor(g[f"{key}.w"])).sum().backward()
        np.testing.assert_allclose(x.grad.data, g[f"{key}.g0"], rtol=1e-10, atol=1e-14, err_msg=key)


def test_mse_loss_matches_pytorch(golden, t):
    g = golden("nn")
    a, b = t(g["mse.a"], grad=True), t(g["mse.b"], grad=True)
    loss = nn.MSELoss()(a, b)
    np.testing.assert_allclose(loss.data, g["mse.loss"], rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(a.grad.data, g["mse.ga"], rtol=1e-12)
    np.testing.assert_allclose(b.grad.data, g["mse.gb"], rtol=1e-12)


def test_losses_gradcheck_and_sum_reduction(t):
    rng = np.random.default_rng(3)
    x = t(rng.standard_normal((5, 4)), grad=True)
    target = mc.tensor(rng.integers(0, 4, 5))
    ce = nn.CrossEntropyLoss(label_smoothing=0.2)
    assert mc.gradcheck(lambda x: ce(x, target), [x])
    total = nn.CrossEntropyLoss(label_smoothing=0.2, reduction="sum")(x, target)
    np.testing.assert_allclose(total.data, 5 * ce(x, target).data, rtol=1e-12)
    y = t(rng.standard_normal((5, 4)))
    assert mc.gradcheck(lambda x: nn.MSELoss()(x, y), [x])
    np.testing.assert_allclose(nn.MSELoss(reduction="sum")(x, y).data, ((x.data - y.data) ** 2).sum())
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.CrossEntropyLoss(reduction="elementwise")
