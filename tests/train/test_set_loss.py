"""A set's mean loss is the mean the loss gives the whole set in one batch, however the
batches are cut: with class indices, over the labels that are not ignore_index, weighted by
a class ``weight``; summed with reduction='sum'."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import data, nn, optim
from minicnn.evaluation import eval_sums, share
from minicnn.train import evaluate, fit, train_epoch

# NOTE: the first batch of 4 has one label ignored, the second three: means over 3 and 1 labels
LABELS = np.array([0, 1, -100, 2, -100, 1, -100, -100])


def problem(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((len(LABELS), 1, 2, 2)).astype(np.float32)
    mc.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    return x, model


LOSSES = {
    "cross_entropy": lambda: mc.nn.functional.cross_entropy,
    "CrossEntropyLoss": nn.CrossEntropyLoss,
    "weight": lambda: nn.CrossEntropyLoss(weight=mc.tensor([0.5, 2.0, 3.0])),
    "ignore_index=2": lambda: nn.CrossEntropyLoss(ignore_index=2),
    "sum": lambda: nn.CrossEntropyLoss(reduction="sum"),
    "sum_weight": lambda: nn.CrossEntropyLoss(weight=mc.tensor([0.5, 2.0, 3.0]), reduction="sum"),
    "label_smoothing": lambda: nn.CrossEntropyLoss(label_smoothing=0.1),
}


def whole_set_mean(loss, model, x, y):
    """The loss of the set in one batch, as a mean over what 'mean' would divide by."""
    with mc.no_grad():
        value = loss(model(mc.tensor(x)), mc.tensor(y)).item()
    if getattr(loss, "reduction", "mean") == "sum":
        kept = y[y != getattr(loss, "ignore_index", -100)]
        w = loss.weight.numpy() if loss.weight is not None else np.ones(3, np.float32)
        return value / w[kept].sum()
    return value


@pytest.mark.parametrize("name", list(LOSSES))
def test_evaluate_loss_is_the_whole_set_mean_for_any_batch_size(name):
    x, model = problem(seed=list(LOSSES).index(name) + 1)
    y = LABELS if name != "ignore_index=2" else np.where(LABELS == -100, 2, LABELS)
    loss = LOSSES[name]()
    expected = whole_set_mean(loss, model, x, y)
    for batch_size in (4, 3, 8):
        loader = data.DataLoader(data.TensorDataset(x, y), batch_size=batch_size)
        assert evaluate(model, loader, loss=loss)["loss"] == pytest.approx(expected, rel=1e-5)
        total, over, *_ = eval_sums(model, loader, loss)
        assert share(total, over) == pytest.approx(expected, rel=1e-5)


def test_training_loss_is_the_mean_over_the_labelled_images():
    """With lr=0 the weights stay, so the epoch's loss is the set's loss in one batch."""
    x, model = problem(seed=21)
    loader = data.DataLoader(data.TensorDataset(x, LABELS), batch_size=4)
    expected = evaluate(model, data.DataLoader(data.TensorDataset(x, LABELS), batch_size=8))["loss"]
    mean, _, images = train_epoch(model, loader, optim.SGD(model.parameters(), lr=0.0))
    assert mean == pytest.approx(expected, rel=1e-5) and images == len(LABELS)
    for distributed in (False, True):  # one process: the sums added over a world of one
        opt = optim.SGD(model.parameters(), lr=0.0)
        history = fit(model, loader, opt, 1, val_loader=loader, progress=False, distributed=distributed)
        assert history["train_loss"][0] == pytest.approx(expected, rel=1e-5)
        assert history["val_loss"][0] == pytest.approx(expected, rel=1e-5)


def test_a_batch_of_ignored_labels_only_is_left_out_of_the_mean():
    x, model = problem(seed=22)
    y = np.array([0, 1, 2, 1, -100, -100, -100, -100])
    expected = evaluate(model, data.DataLoader(data.TensorDataset(x[:4], y[:4]), batch_size=4))["loss"]
    result = evaluate(model, data.DataLoader(data.TensorDataset(x, y), batch_size=4))
    assert result["loss"] == pytest.approx(expected, rel=1e-6) and result["accuracy"] >= 0


def test_a_set_of_ignored_labels_only_has_no_mean_loss():
    x, model = problem(seed=23)
    y = np.full(len(LABELS), -100)
    result = evaluate(model, data.DataLoader(data.TensorDataset(x, y), batch_size=4))
    assert np.isnan(result["loss"]) and np.isnan(result["accuracy"])


def test_per_pixel_class_targets_are_counted_per_labelled_pixel():
    """(N, C, H, W) scores with (N, H, W) targets: the mean is over the labelled pixels."""
    rng = np.random.default_rng(24)
    x = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    y = rng.integers(0, 3, (4, 2, 2))
    y[0, :, 1] = y[1] = -100
    model = nn.Identity()
    expected = evaluate(model, data.DataLoader(data.TensorDataset(x, y), batch_size=4))["loss"]
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=2)
    assert evaluate(model, loader)["loss"] == pytest.approx(expected, rel=1e-6)


def test_other_targets_are_weighted_by_the_batch_size():
    rng = np.random.default_rng(25)
    x, y = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal((5, 3)).astype(np.float32)
    loss = mc.nn.functional.mse_loss
    expected = float(((x - y) ** 2).mean())
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=2)
    assert evaluate(nn.Identity(), loader, loss=loss)["loss"] == pytest.approx(expected, rel=1e-5)


def test_accuracy_and_confusion_leave_out_the_loss_ignore_index():
    # NOTE: a segmentation's border label 255 is ignored by the loss, so it is no class to hit
    x, model = problem(seed=31)
    y = np.where(LABELS == -100, 255, LABELS)
    loss = nn.CrossEntropyLoss(ignore_index=255)
    with mc.no_grad():
        predicted = model(mc.tensor(x)).numpy().argmax(1)
    kept = y != 255
    expected = (predicted[kept] == y[kept]).mean()
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=3)
    result = evaluate(model, loader, loss=loss, num_classes=3)
    assert result["accuracy"] == pytest.approx(expected)
    assert result["confusion"].sum() == kept.sum()
    _, _, right, labelled, items = eval_sums(model, loader, loss)
    assert (right, labelled, items) == ((predicted[kept] == y[kept]).sum(), kept.sum(), len(y))


class _Summing(nn.Module):
    """A loss that sums, but names it in a way neither minicnn's nor torch's losses do."""

    def __init__(self, reduction):
        super().__init__()
        self.reduction = reduction

    def forward(self, logits, y):
        return mc.nn.functional.cross_entropy(logits, y, reduction="sum")


@pytest.mark.parametrize("seed, reduction", [(41, "SUM"), (42, None), (43, "none")])
def test_a_loss_reduction_the_set_mean_cannot_be_rebuilt_from_is_refused(seed, reduction):
    x, model = problem(seed)
    loader = data.DataLoader(data.TensorDataset(x, np.abs(LABELS) % 3), batch_size=4)
    with pytest.raises(ValueError, match=rf"^evaluate/fit: the loss's reduction is {reduction!r}; expected"):
        evaluate(model, loader, loss=_Summing(reduction))


@pytest.mark.parametrize("seed, loss", [(44, lambda a, b: 1.0), (45, lambda a, b: a.sum(1))])
def test_a_loss_that_is_not_one_number_is_refused(seed, loss):
    x, model = problem(seed)
    loader = data.DataLoader(data.TensorDataset(x, np.abs(LABELS) % 3), batch_size=4)
    with pytest.raises(ValueError, match=r"^evaluate/fit: the loss must return a one-element Tensor"):
        evaluate(model, loader, loss=loss)


def test_a_weight_that_is_not_a_class_weight_is_not_read():
    class Scaled(nn.Module):
        weight = 0.5  # a factor, not one weight per class

        def forward(self, logits, y):
            return mc.nn.functional.cross_entropy(logits, y) * self.weight

    x, model = problem(seed=46)
    y = np.abs(LABELS) % 3
    expected = 0.5 * whole_set_mean(mc.nn.functional.cross_entropy, model, x, y)
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=3)
    assert evaluate(model, loader, loss=Scaled())["loss"] == pytest.approx(expected, rel=1e-5)


def test_a_set_whose_labels_are_all_ignored_has_no_accuracy_and_no_confusion():
    x, model = problem(seed=32)
    y = np.full(len(LABELS), -100)
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=3)
    result = evaluate(model, loader)
    assert np.isnan(result["accuracy"]) and np.isnan(result["loss"])
    assert result["confusion"] is None
