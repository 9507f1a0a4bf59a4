"""fit / evaluate / predict on tiny problems: learning, the arguments fit takes, losses of models with
more outputs, labels without an accuracy."""

import numpy as np
import pytest
from fit_helpers import blobs, loaders, small_net

import minicnn as mc
from minicnn import data, nn, optim
from minicnn.train import (
    NonFiniteLossError,
    evaluate,
    fit,
    predict,
)


def test_fit_learns_a_tiny_problem():
    train, val = loaders()
    model = small_net()
    history = fit(
        model,
        train,
        optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
        epochs=4,
        val_loader=val,
        progress=False,
    )
    assert len(history) == 4
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["val_acc"][-1] >= 0.95
    assert set(history.last()) >= {
        "train_loss",
        "train_acc",
        "val_loss",
        "val_acc",
        "seconds",
        "images_per_second",
        "lr",
    }


def test_evaluate_confusion_and_predict():
    train, val = loaders()
    model = small_net()
    fit(model, train, optim.Adam(model.parameters(), lr=0.01), epochs=3, progress=False)
    result = evaluate(model, val)
    assert result["confusion"].sum() == 120
    assert result["accuracy"] == pytest.approx(np.trace(result["confusion"]) / 120)
    pred = predict(model, val)
    assert pred.shape == (120,)
    assert np.mean(pred == blobs(120, seed=1).labels) == pytest.approx(result["accuracy"])


class WithAuxHead(nn.Module):
    """In training, (logits, aux logits) with its own training_loss, as GoogLeNet does."""

    def __init__(self):
        super().__init__()
        self.body = small_net()
        self.aux = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
        self.calls = 0

    def forward(self, x):
        logits = self.body(x)
        return (logits, self.aux(x)) if self.training else logits

    def training_loss(self, output, target, loss):
        self.calls += 1
        logits, aux = output
        return loss(logits, target) + 0.3 * loss(aux, target)


def test_models_with_auxiliary_outputs_give_their_own_training_loss():
    train, val = loaders()
    model = WithAuxHead()
    history = fit(
        model, train, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), 2, val_loader=val, progress=False
    )
    assert model.calls == 2 * len(train) and history["val_acc"][-1] > 0.8
    plain = WithAuxHead()
    plain.training_loss = None  # as a model without the method
    with pytest.raises(TypeError, match="returned a tuple of 2 in training; give it a training_loss"):
        fit(plain, train, optim.SGD(plain.parameters(), lr=0.1), 1, progress=False)


def test_googlenet_weights_its_auxiliary_losses_by_0_3():
    import minicnn.functional as F
    from minicnn import models

    rng = np.random.default_rng(3)
    net = models.googlenet(variant="torchvision", num_classes=3)
    outputs = tuple(mc.tensor(rng.standard_normal((2, 3)).astype(np.float32)) for _ in range(3))
    target = mc.tensor(np.array([0, 2]))
    expected = sum(w * F.cross_entropy(o, target).item() for w, o in zip((1, 0.3, 0.3), outputs))
    assert net.training_loss(outputs, target).item() == pytest.approx(expected, rel=1e-6)
    assert net.training_loss(outputs[0], target).item() == pytest.approx(
        F.cross_entropy(outputs[0], target).item()
    )


def test_real_valued_targets_train_without_an_accuracy():
    """A regression or BCE's float targets: no accuracy (NaN), no confusion, and no crash."""
    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, (40, 1, 4, 4)).astype(np.float32)
    y = (x[:, :, :2, :2].mean(axis=(1, 2, 3)) > 0).astype(np.float32)[:, None]
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=20)
    mc.manual_seed(11)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 1))
    loss = mc.nn.functional.binary_cross_entropy_with_logits
    history = fit(
        model, loader, optim.SGD(model.parameters(), lr=0.1), 2, val_loader=loader, loss=loss, progress=False
    )
    assert np.isnan(history["train_acc"]).all() and np.isnan(history["val_acc"]).all()
    assert history["val_loss"][1] < history["val_loss"][0]
    result = evaluate(model, loader, loss=loss)
    assert np.isnan(result["accuracy"]) and result["confusion"] is None


def test_labels_ignored_by_the_loss_are_not_counted_in_the_accuracy():
    x, y = np.zeros((4, 1, 2, 2), np.float32), np.array([0, -100, 0, -100])
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    with mc.no_grad():
        model[1].weight.zero_()
        model[1].bias.copy_(np.array([1.0, 0.0, 0.0], np.float32))  # predicts class 0
    result = evaluate(model, data.DataLoader(data.TensorDataset(x, y), batch_size=4))
    assert result["accuracy"] == 1.0 and result["confusion"].sum() == 2


def test_a_batch_with_every_label_ignored_is_named_not_blamed_on_the_learning_rate():
    x, y = np.random.default_rng(13).random((4, 1, 2, 2), np.float32), np.array([0, 1, -100, -100])
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=2)
    with pytest.raises(NonFiniteLossError) as err:
        fit(model, loader, optim.SGD(model.parameters(), lr=0.1), 1, progress=False)
    assert str(err.value).startswith("step 2 of 2 in epoch 1: the loss became nan: every label")
    assert "learning rate" not in str(err.value)


def test_reduce_on_plateau_steps_on_the_validation_loss():
    train, val = loaders(seed=4)
    model = small_net(seed=4)
    opt = optim.SGD(model.parameters(), lr=0.1)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    seen = []
    real = plateau.step
    plateau.step = lambda metrics: seen.append(metrics) or real(metrics)
    history = fit(model, train, opt, 2, val_loader=val, scheduler=plateau, progress=False)
    assert seen == history["val_loss"]
    with pytest.raises(
        ValueError, match='ReduceLROnPlateau steps on an epoch\'s loss: use scheduler_step="epoch"'
    ):
        fit(model, train, opt, 1, scheduler=plateau, scheduler_step="batch", progress=False)


@pytest.mark.parametrize("step", ["step", "Batch", None])
def test_a_scheduler_step_that_is_not_epoch_or_batch_is_refused(step):
    train, _ = loaders(seed=5)
    model = small_net(seed=5)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=rf'scheduler_step must be "epoch" or "batch", got {step!r}'):
        fit(model, train, opt, 1, scheduler=optim.lr_scheduler.StepLR(opt, 1), scheduler_step=step)


def test_an_empty_loader_is_named_not_a_zero_loss():
    model = small_net(seed=6)
    empty = data.DataLoader(blobs(20, seed=6), batch_size=64, drop_last=True)
    with pytest.raises(
        ValueError, match=r"train_epoch: the loader gave no batches \(20 items, batch_size 64, drop_last"
    ):
        fit(model, empty, optim.SGD(model.parameters(), lr=0.1), 1, progress=False)
    with pytest.raises(ValueError, match="evaluate: the loader gave no batches"):
        evaluate(model, empty)
    assert predict(model, np.zeros((0, 1, 4, 4), np.float32)).shape == (0,)


def test_predict_takes_a_dataset_and_both_leave_the_mode_as_it_was():
    model = small_net(seed=7).train()
    ds = blobs(30, seed=7)
    loader = data.DataLoader(ds, batch_size=30)
    np.testing.assert_array_equal(predict(model, ds), predict(model, loader))
    assert model.training
    evaluate(model, loader)
    assert model.training
    assert not predict(model.eval(), ds).size == 0 and not model.training


def _untouched(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize(
    "change, err, match",
    [
        ({"epochs": 2.0}, TypeError, "fit: epochs must be an int, got float 2.0"),
        ({"epochs": "3"}, TypeError, "fit: epochs must be an int, got str '3'"),
        ({"epochs": -1}, ValueError, "fit: epochs must be >= 0, got -1"),
        ({"clip_grad_norm": 0}, ValueError, "fit: clip_grad_norm must be > 0 .*got 0"),
        ({"clip_grad_norm": -1.0}, ValueError, "fit: clip_grad_norm must be > 0 .*got -1.0"),
        ({"clip_grad_norm": "1"}, TypeError, "fit: clip_grad_norm must be a number > 0 or None, got '1'"),
        ({"callbacks": lambda e, r, m: None}, TypeError, r"fit: callbacks must be a list of .*got function"),
        ({"callbacks": [print, 3]}, TypeError, "fit: every callback must be callable .*got 3"),
        ({"val_loader": "empty"}, ValueError, r"fit: val_loader gives no batches \(0 items, batch_size 8\)"),
        ({"val_loader": "dataset"}, TypeError, "fit: val_loader is a TensorDataset, not a loader of batches"),
        ({"train_loader": "dataset"}, TypeError, "fit: train_loader is a TensorDataset, not a loader"),
        ({"train_loader": 3}, TypeError, r"fit: train_loader must give batches \(x, y\).*got int"),
        ({"optimizer": None}, TypeError, "fit: optimizer must be an optimizer .*got NoneType"),
        ({"model": "net"}, TypeError, "fit: model must be an nn.Module, got str"),
        ({"scheduler": "other"}, ValueError, "fit: the scheduler was built on another optimizer than fit's"),
    ],
)
def test_fit_names_an_argument_that_cannot_work_before_any_step(change, err, match):
    model = small_net(seed=8)
    ds = blobs(24, seed=8)
    args = {
        "model": model,
        "train_loader": data.DataLoader(ds, batch_size=8),
        "optimizer": optim.SGD(model.parameters(), lr=0.5),
        "epochs": 1,
    }
    args.update(change)
    loaders = {"empty": data.DataLoader(data.Subset(ds, []), batch_size=8), "dataset": ds}
    for name in ("val_loader", "train_loader"):
        args[name] = loaders.get(args.get(name), args.get(name))
    if change.get("scheduler") == "other":
        args["scheduler"] = optim.lr_scheduler.StepLR(optim.SGD(small_net().parameters(), lr=1), 1)
    before = _untouched(model)
    with pytest.raises(err, match=match):
        fit(progress=False, **args)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_every_callback_is_called_after_each_epoch_and_a_true_one_stops_after_it():
    train, _ = loaders(seed=9)
    model = small_net(seed=9)
    calls = []
    first = lambda epoch, row, model: calls.append(("first", epoch, row["epoch"])) or epoch == 1
    second = lambda epoch, row, model: calls.append(("second", epoch, row["epoch"]))
    history = fit(
        model,
        train,
        optim.SGD(model.parameters(), lr=0.1),
        5,
        callbacks=iter([first, second]),
        progress=False,
    )
    assert len(history) == 2
    assert calls == [("first", 0, 1), ("second", 0, 1), ("first", 1, 2), ("second", 1, 2)]


@pytest.mark.parametrize("step", ["epoch", "batch"])
def test_the_history_records_the_rate_each_epoch_began_with(step):
    train, _ = loaders(seed=10)  # 240 images, batches of 32: 8 steps an epoch
    model = small_net(seed=10)
    opt = optim.SGD(model.parameters(), lr=1.0)
    schedule = optim.lr_scheduler.LambdaLR(opt, lambda k: 0.5**k)
    history = fit(model, train, opt, 3, scheduler=schedule, scheduler_step=step, progress=False)
    steps = 1 if step == "epoch" else len(train)
    assert history["lr"] == [0.5 ** (steps * e) for e in range(3)]
    assert opt.param_groups[0]["lr"] == 0.5 ** (steps * 3)


def test_clip_grad_norm_clips_each_steps_gradients_as_clip_grad_norm_does():
    ds = blobs(64, seed=11)
    trained = small_net(seed=11)
    fit(trained, data.DataLoader(ds, batch_size=16), optim.SGD(trained.parameters(), lr=0.5), 1,
        clip_grad_norm=0.05, progress=False)  # fmt: skip
    by_hand = small_net(seed=11)
    opt = optim.SGD(by_hand.parameters(), lr=0.5)
    for x, y in data.DataLoader(ds, batch_size=16):
        loss = mc.functional.cross_entropy(by_hand(x), y)
        opt.zero_grad()
        loss.backward()
        assert float(nn.utils.clip_grad_norm_(by_hand.parameters(), 0.05).item()) > 0.05  # it clipped
        opt.step()
    for (key, a), b in zip(trained.state_dict().items(), by_hand.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=key)


def test_evaluate_names_a_num_classes_too_small_for_the_labels():
    model = small_net(seed=13)
    loader = data.DataLoader(blobs(20, seed=13), batch_size=10)
    assert evaluate(model, loader, num_classes=4)["confusion"].shape == (4, 4)
    with pytest.raises(
        ValueError, match=r"evaluate: num_classes=1, but the .* class 1; .*needs num_classes >= 2"
    ):
        evaluate(model, loader, num_classes=1)
    for bad in (0, -2, 2.5, True):
        with pytest.raises(
            ValueError, match=f"evaluate: num_classes must be a positive int or None, got {bad}"
        ):
            evaluate(model, loader, num_classes=bad)
