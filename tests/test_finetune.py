"""extract_features, replace_head and freeze on models of the zoo."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import models, nn, optim
from minicnn.data import DataLoader, TensorDataset
from minicnn.finetune import extract_features, freeze, replace_head


def _loader(n=6, shape=(1, 28, 28), seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 1, (n,) + shape).astype(np.float32)
    labels = np.arange(n, dtype=np.int64) % 3
    return DataLoader(TensorDataset(images, labels), batch_size=4)


def test_extract_features_matches_forward_to_that_layer():
    mc.manual_seed(0)
    model = models.lenet5()  # Sequential: layer "10" is the ReLU after F6
    loader = _loader()
    features, labels = extract_features(model, loader, layer="10")
    assert features.shape == (6, 84) and labels.tolist() == [0, 1, 2, 0, 1, 2]
    x = mc.tensor(loader.dataset.images)
    with mc.no_grad():
        expected = model[10](
            model[9](
                model[8](model[7](model[6](model[5](model[4](model[3](model[2](model[1](model[0](x)))))))))
            )
        )
    np.testing.assert_allclose(features, expected.numpy(), rtol=1e-6, atol=1e-6)
    assert model.training  # mode restored


def test_extract_features_flattens_gap_output():
    mc.manual_seed(0)
    model = models.resnet20(num_classes=4)
    features, _ = extract_features(model, _loader(n=2, shape=(3, 16, 16)), layer="avgpool")
    assert features.shape == (2, 64)


def test_extract_features_unknown_layer_lists_the_names():
    with pytest.raises(ValueError, match="no module named 'avgpool'.*0, 1, 2"):
        extract_features(models.lenet5(), _loader(), layer="avgpool")


@pytest.mark.parametrize(
    "build, head, shape",
    [
        (lambda: models.lenet5(), "11", (5, 84)),
        (lambda: models.lenet5("1998"), "output", (5, 84)),
        (lambda: models.resnet20(), "fc", (5, 64)),
        (lambda: models.alexnet_small(), "classifier.6", (5, 1024)),
        (lambda: models.nin(), "features.20", (5, 192, 1, 1)),
    ],
)
def test_replace_head_gives_new_outputs(build, head, shape):
    mc.manual_seed(0)
    model = build()
    old = dict(model.named_parameters())
    layers = [name for name, _ in model.named_modules()]
    replace_head(model, 5)
    new = dict(model.named_parameters())
    assert [name for name, _ in model.named_modules()] == layers  # the head runs where the old one ran
    assert new[f"{head}.weight"].shape == shape
    assert new[f"{head}.weight"] is not old[f"{head}.weight"]
    assert list(new) == list(old)  # same names in the same order: the layout and the forward are kept


def test_replaced_head_predicts_new_classes():
    model = replace_head(models.lenet5(), 3)
    assert model(mc.randn(2, 1, 28, 28, seed=0)).shape == (2, 3)


def test_replace_head_rejects_bad_count():
    with pytest.raises(ValueError, match="positive int"):
        replace_head(models.lenet5(), 0)


def test_freeze_until_a_child_stops_only_those_gradients():
    mc.manual_seed(0)
    model = models.resnet20(num_classes=3)
    frozen = freeze(model, until="layer2")
    assert frozen == ["conv1", "bn1", "relu", "layer1", "layer2"]
    for name, p in model.named_parameters():
        assert p.requires_grad == name.startswith(("layer3", "fc")), name
    before = {n: p.numpy().copy() for n, p in model.named_parameters()}
    opt = optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    x, y = mc.randn(4, 3, 16, 16, seed=1), mc.tensor(np.array([0, 1, 2, 0]))
    mc.functional.cross_entropy(model(x), y).backward()
    opt.step()
    for name, p in model.named_parameters():
        changed = not np.array_equal(before[name], p.numpy())
        if name.startswith("layer1"):
            assert not changed and p.grad is None, name
        if name == "fc.weight":
            assert changed


def test_freeze_all_and_unknown_child():
    model = models.lenet5("1998")
    freeze(model)
    assert not any(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError, match="no top-level child 'layer3'.*c1"):
        freeze(models.lenet5("1998"), until="layer3")


def test_freeze_then_replace_head_trains_only_the_head():
    model = models.lenet5()
    freeze(model)
    replace_head(model, 2)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["11.weight", "11.bias"]


def test_replace_head_and_freeze_take_numpy_ints_and_child_positions():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    replace_head(model, np.int64(5))
    assert model[2].out_features == 5
    assert freeze(model, until=0) == ["0"]
    assert not model[0].weight.requires_grad and model[2].weight.requires_grad
