"""A BatchNorm frozen with ``.eval()`` inside a model in train mode (fine-tuning's advice,
finetune.freeze) stays frozen through evaluation, prediction, feature extraction and fit."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn
from minicnn.data import DataLoader, TensorDataset
from minicnn.evaluation import eval_sums, evaluate, predict
from minicnn.finetune import extract_features
from minicnn.nn.modes import eval_mode
from minicnn.train import fit


def _model_and_loader(seed):
    mc.manual_seed(seed)
    layers = nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)
    model = nn.Sequential(*layers)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((16, 1, 8, 8)).astype(np.float32)
    y = np.arange(16) % 3
    return model, DataLoader(TensorDataset(mc.tensor(x), mc.tensor(y)), batch_size=8)


def _frozen(model):
    model[1].eval()
    return [m.training for m in model.modules()]


@pytest.mark.parametrize(
    "run",
    [
        lambda model, loader: evaluate(model, loader),
        lambda model, loader: eval_sums(model, loader),
        lambda model, loader: predict(model, loader),
        lambda model, loader: extract_features(model, loader, "2"),
    ],
    ids=["evaluate", "eval_sums", "predict", "extract_features"],
)
def test_each_module_gets_its_own_mode_back(run):
    model, loader = _model_and_loader(1)
    flags = _frozen(model)
    assert flags == [True, True, False, True, True, True]
    run(model, loader)
    assert [m.training for m in model.modules()] == flags


def test_the_modes_come_back_after_an_error():
    model, _ = _model_and_loader(2)
    flags = _frozen(model)
    with pytest.raises(RuntimeError, match="inside"):
        with eval_mode(model):
            assert not any(m.training for m in model.modules())
            raise RuntimeError("inside")
    assert [m.training for m in model.modules()] == flags


def test_fit_trains_around_a_frozen_batchnorm():
    model, loader = _model_and_loader(3)
    flags = _frozen(model)
    stats = model[1].running_mean.numpy().copy(), model[1].running_var.numpy().copy()
    weight = model[0].weight.numpy().copy()
    fit(model, loader, mc.optim.SGD(model.parameters(), lr=0.1), epochs=2, val_loader=loader, progress=False)
    assert [m.training for m in model.modules()] == flags
    np.testing.assert_array_equal(model[1].running_mean.numpy(), stats[0])
    np.testing.assert_array_equal(model[1].running_var.numpy(), stats[1])
    assert not np.array_equal(model[0].weight.numpy(), weight)  # the rest trained


def test_fit_puts_a_model_left_in_eval_mode_into_train_mode():
    model, loader = _model_and_loader(4)
    model.eval()
    stats = model[1].running_mean.numpy().copy()
    fit(model, loader, mc.optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)
    assert all(m.training for m in model.modules())
    assert not np.array_equal(model[1].running_mean.numpy(), stats)
