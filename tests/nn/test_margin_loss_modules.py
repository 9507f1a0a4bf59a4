"""The margin and embedding loss modules: each is its F function with the settings it holds
(tests/functional/test_margin_loss.py compares those with PyTorch), its weight a buffer as
PyTorch's, finite differences through the module, and bad settings refused when made, in the
module's own name."""

import math

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn


def _labels(rng, shape):
    return mc.tensor(np.where(rng.random(shape) < 0.5, -1.0, 1.0))


def _inputs(loss, rng):
    """Float64 inputs for ``loss`` (the module's class name), the first requiring grad, drawn
    away from the hinges' kinks by scale: scores and distances of a few units."""
    x = mc.tensor(3 * rng.standard_normal((4, 5)), requires_grad=True)
    return {
        "MultiMarginLoss": lambda: (x, mc.tensor(rng.integers(0, 5, 4))),
        "SoftMarginLoss": lambda: (x, _labels(rng, (4, 5))),
        "MultiLabelSoftMarginLoss": lambda: (x, mc.tensor(rng.random((4, 5)))),
        "MarginRankingLoss": lambda: (x, mc.tensor(rng.standard_normal((4, 5))), _labels(rng, (4, 5))),
        "HingeEmbeddingLoss": lambda: (x, _labels(rng, (4, 5))),
        "CosineEmbeddingLoss": lambda: (x, mc.tensor(rng.standard_normal((4, 5))), _labels(rng, 4)),
        "TripletMarginLoss": lambda: (
            x,
            mc.tensor(rng.standard_normal((4, 5))),
            mc.tensor(rng.standard_normal((4, 5))),
        ),
    }[loss]()


WEIGHT = mc.tensor([0.5, 1.0, 1.5, 2.0, 2.5], dtype=mc.float64)
MODULES = [
    (nn.MultiMarginLoss(2, 0.7, WEIGHT, reduction="sum"), F.multi_margin_loss, (2, 0.7, WEIGHT), "sum"),
    (nn.MultiMarginLoss(), F.multi_margin_loss, (1, 1.0, None), "mean"),
    (nn.SoftMarginLoss(reduction="none"), F.soft_margin_loss, (), "none"),
    (nn.MultiLabelSoftMarginLoss(WEIGHT, reduction="none"), F.multilabel_soft_margin_loss, (WEIGHT,), "none"),
    (nn.MarginRankingLoss(0.4), F.margin_ranking_loss, (0.4,), "mean"),
    (nn.HingeEmbeddingLoss(2.5, reduction="sum"), F.hinge_embedding_loss, (2.5,), "sum"),
    (nn.CosineEmbeddingLoss(-0.3, reduction="none"), F.cosine_embedding_loss, (-0.3,), "none"),
    (
        nn.TripletMarginLoss(0.5, 1, 0.0, True, reduction="none"),
        F.triplet_margin_loss,
        (0.5, 1, 0.0, True),
        "none",
    ),
    (nn.TripletMarginLoss(p=math.inf), F.triplet_margin_loss, (1.0, math.inf, 1e-6, False), "mean"),
]


@pytest.mark.parametrize(
    "module, fn, settings, reduction", MODULES, ids=lambda m: getattr(m, "__name__", None)
)
def test_each_module_is_its_function_with_the_settings_it_holds(module, fn, settings, reduction, rng):
    inputs = _inputs(type(module).__name__, rng)
    got = module(*inputs)
    want = fn(*inputs, *settings, reduction=reduction)
    assert got.shape == want.shape and np.array_equal(got.numpy(), want.numpy())
    assert mc.gradcheck(module, list(inputs))
    assert repr(module) == f"{type(module).__name__}()"


@pytest.mark.parametrize("make", [nn.MultiMarginLoss, nn.MultiLabelSoftMarginLoss])
def test_the_class_weights_are_a_buffer_that_moves_and_is_saved(make):
    loss = make(weight=mc.ones(3))
    assert list(loss.state_dict()) == ["weight"] and loss.double().weight.dtype == np.float64
    assert make().state_dict() == {}


def test_a_module_names_itself_in_errors_of_its_inputs():
    model = nn.Sequential()
    model.add_module("svm", nn.MultiMarginLoss())
    with pytest.raises(ValueError, match=r"^MultiMarginLoss at 'svm': target out of range"):
        model.svm(mc.zeros(2, 3), mc.tensor([0, 5]))


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: nn.MultiMarginLoss(p=3), ValueError, r"^MultiMarginLoss: only p == 1 and p == 2 supported"),
        (lambda: nn.MultiMarginLoss(margin="1"), TypeError, r"^MultiMarginLoss: margin must be a real"),
        (lambda: nn.MultiMarginLoss(reduction="avg"), ValueError, r"^MultiMarginLoss: reduction must be"),
        (lambda: nn.SoftMarginLoss("sum"), TypeError, r"^SoftMarginLoss: reduction is given by keyword"),
        (
            lambda: nn.MultiLabelSoftMarginLoss(reduction=None),
            ValueError,
            r"^MultiLabelSoftMarginLoss: reduction",
        ),
        (lambda: nn.MarginRankingLoss(None), TypeError, r"^MarginRankingLoss: margin must be a real"),
        (lambda: nn.HingeEmbeddingLoss(reduction="x"), ValueError, r"^HingeEmbeddingLoss: reduction must"),
        (lambda: nn.CosineEmbeddingLoss(True), TypeError, r"^CosineEmbeddingLoss: margin must be a real"),
        (
            lambda: nn.TripletMarginLoss(margin=-1.0),
            ValueError,
            r"^TripletMarginLoss: margin must be greater",
        ),
        (lambda: nn.TripletMarginLoss(p=0.5), ValueError, r"^TripletMarginLoss: p must be 1, 2 or"),
        (lambda: nn.TripletMarginLoss(swap="yes"), TypeError, r"^TripletMarginLoss: swap must be True or"),
    ],
)
def test_bad_settings_are_refused_when_made(make, error, match):
    with pytest.raises(error, match=match):
        make()
