"""AlexNet's two-GPU split: the explicit two-tower net equals the grouped one-device net."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.distributed as dist
from minicnn import nn
from minicnn.models.alexnet import AlexNet, _lrn


def small_alexnet():
    """The paper's layer pattern at toy size: conv3 and the FCs read both towers,
    conv2/4/5 are groups=2, LRN after conv1 and conv2. Input (3, 51, 51)."""
    features = nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2),
        nn.ReLU(),
        _lrn(),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(8, 12, 3, padding=1, groups=2),
        nn.ReLU(),
        _lrn(),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(12, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=1, groups=2),
        nn.ReLU(),
        nn.Conv2d(16, 12, 3, padding=1, groups=2),
        nn.ReLU(),
        nn.MaxPool2d(3, 2),
    )
    classifier = nn.Sequential(
        nn.Linear(12 * 2 * 2, 20),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(20, 20),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(20, 5),
    )
    return AlexNet(features, nn.Identity(), classifier)


def _run(model, x, gy):
    xt = mc.tensor(x, requires_grad=True)
    y = model(xt)
    y.backward(gy)
    return y.numpy(), xt.grad.numpy()


def test_two_towers_give_the_grouped_models_logits_and_gradients():
    mc.manual_seed(0)
    grouped = small_alexnet().to(np.float64).eval()  # eval: dropout draws no masks
    towers = dist.split_towers(grouped, ("cpu", "cpu"))
    x = np.random.default_rng(0).standard_normal((2, 3, 51, 51))
    gy = np.random.default_rng(1).standard_normal((2, 5))
    y_g, gx_g = _run(grouped, x, gy)
    y_t, gx_t = _run(towers, x, gy)
    np.testing.assert_allclose(y_t, y_g, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gx_t, gx_g, rtol=1e-10, atol=1e-10)
    weights, grads = towers.grouped_state_dict(), towers.grouped_grads()
    for name, p in grouped.named_parameters():
        np.testing.assert_array_equal(weights[name], p.numpy())
        np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=1e-10, atol=1e-10, err_msg=name)
    assert len(list(towers.parameters())) == 2 * len(grads) - 2  # fc8 alone is not split


def test_the_lrn_halo_is_what_makes_the_split_exact():
    mc.manual_seed(0)
    grouped = small_alexnet().to(np.float64).eval()
    towers = dist.split_towers(grouped, ("cpu", "cpu"))
    for stage in towers.stages:
        if stage.kind == "halo":
            stage.halo = (0, 0)  # each tower normalizes alone, as the paper's GPUs did
    x = mc.tensor(np.random.default_rng(0).standard_normal((1, 3, 51, 51)))
    assert np.abs(towers(x).numpy() - grouped(x).numpy()).max() > 1e-9


def test_split_leaves_the_model_and_the_random_stream_alone():
    mc.manual_seed(0)
    grouped = small_alexnet()
    before = {k: v.copy() for k, v in grouped.state_dict().items()}
    state = mc.rng.get_state()
    towers = dist.split_towers(grouped, ("cpu", "cpu"))
    assert mc.rng.get_state() == state  # building the halves drew no numbers
    for k, v in grouped.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    towers.stages[0].tower0.weight.data[...] = 0  # the towers hold copies
    assert np.abs(grouped.features[0].weight.numpy()).max() > 0


def test_split_errors():
    with pytest.raises(ValueError, match="expected two devices"):
        dist.split_towers(small_alexnet(), ("cpu",))
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        dist.split_towers(small_alexnet(), ("cpu", "tpu"))
    with pytest.raises(TypeError, match="expected an AlexNet-like model with 'features'"):
        dist.split_towers(nn.Sequential(nn.Linear(2, 2)), ("cpu", "cpu"))
    odd = small_alexnet()
    odd.features[0] = nn.Conv2d(3, 7, 3, stride=2)
    with pytest.raises(ValueError, match=r"Conv2d \(layer 0\) has 7 outputs, which do not split"):
        dist.split_towers(odd, ("cpu", "cpu"))
    bn = small_alexnet()
    bn.features[1] = nn.BatchNorm2d(8)
    with pytest.raises(ValueError, match=r"cannot split BatchNorm2d \(layer 1\) into towers"):
        dist.split_towers(bn, ("cpu", "cpu"))
