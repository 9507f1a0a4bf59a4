"""Cross-entropy with class-probability targets (a mixup's or a teacher's): PyTorch's q, its
'mean' over predictions, the target's gradient, and what such targets refuse.

test_loss.py covers softmax and the losses of class indices.
"""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_class_probabilities_as_pytorch_worked_by_hand(reduction):
    """q = w ((1 - s) t + s / C), l = -sum_c q_c log p_c per prediction, and 'mean' divides
    by the number of predictions, not by the weights; the target gets -(1 - s) w log p."""
    rng = np.random.default_rng(33)
    x = rng.standard_normal((2, 3, 4))
    t = rng.dirichlet(np.ones(3), (2, 4)).transpose(0, 2, 1)  # probabilities along the class axis
    w, s = np.array([0.5, 2.0, 1.5]), 0.2
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    q = w[:, None] * ((1 - s) * t + s / 3)
    each = -(q * logp).sum(1)
    want = {"none": each, "sum": each.sum(), "mean": each.sum() / 8}[reduction]
    target = mc.tensor(t, requires_grad=True)
    got = F.cross_entropy(mc.tensor(x), target, mc.tensor(w), reduction=reduction, label_smoothing=s)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-13)
    got.sum().backward()
    per = {"none": 1.0, "sum": 1.0, "mean": 1 / 8}[reduction]
    np.testing.assert_allclose(target.grad.numpy(), -per * (1 - s) * w[:, None] * logp, rtol=1e-13)


def test_one_hot_probabilities_are_the_class_indices_without_weights():
    """Without class weights the two targets agree; with weights their 'mean's differ as in
    PyTorch (the weights' sum, or the count)."""
    rng = np.random.default_rng(34)
    x = mc.tensor(rng.standard_normal((6, 4)))
    t = rng.integers(0, 4, 6)
    onehot = mc.tensor(np.eye(4)[t])
    assert F.cross_entropy(x, onehot, label_smoothing=0.3).item() == pytest.approx(
        F.cross_entropy(x, mc.tensor(t), label_smoothing=0.3).item(), rel=1e-13
    )
    w = mc.tensor(rng.uniform(0.5, 2.0, 4))
    by_class = F.cross_entropy(x, mc.tensor(t), w).item()
    np.testing.assert_allclose(
        F.cross_entropy(x, onehot, w).item() * 6 / w.numpy()[t].sum(), by_class, rtol=1e-13
    )


def test_class_probability_targets_refuse_what_pytorch_refuses():
    x = mc.randn(2, 4, 3, seed=35)
    q = F.softmax(mc.randn(2, 4, 3, seed=36), dim=1)
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: a floating-point target holds class probabilities and must have the "
        r"input's shape \(2, 4, 3\), got \(2, 3\)",
    ):
        F.cross_entropy(x, mc.randn(2, 3, seed=37))
    with pytest.raises(ValueError, match="CrossEntropyLoss: ignore_index=0 names a class index"):
        mc.nn.CrossEntropyLoss(ignore_index=0)(x, q)
    assert F.cross_entropy(x, q, ignore_index=-1).item() == F.cross_entropy(x, q).item()  # negative: unused
    with pytest.raises(TypeError, match="cross_entropy: x is float32 but target is float64"):
        F.cross_entropy(x, q.double())
    with pytest.raises(
        ValueError,
        match=r"target shape \(2, 4, 3\) does not match logits \(2, 4, 3\); expected \(2, 3\) \(a target of "
        r"the input's shape holds probabilities, which are floats\)",
    ):
        F.cross_entropy(x, mc.tensor(np.zeros((2, 4, 3), dtype=np.int64)))


def test_class_probabilities_at_their_edges():
    # a masked class (logit -inf) with no probability adds nothing, as with class indices
    x = mc.tensor(np.array([[0.0, -np.inf, 1.0]]), requires_grad=True)
    loss = F.cross_entropy(x, mc.tensor(np.array([[1.0, 0.0, 0.0]])))
    loss.backward()
    np.testing.assert_allclose(loss.item(), np.log1p(np.e), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), [[1 / (1 + np.e) - 1, 0, np.e / (1 + np.e)]], rtol=1e-12)
    # no predictions: the mean is 0 / 0, NaN as in PyTorch, and the gradient is empty
    empty = mc.tensor(np.zeros((0, 3)), requires_grad=True)
    nothing = F.cross_entropy(empty, np.zeros((0, 3)))  # an array is taken as a constant target
    nothing.backward()
    assert np.isnan(nothing.item()) and empty.grad.shape == (0, 3)
    assert F.cross_entropy(empty, np.zeros((0, 3)), reduction="sum").item() == 0.0


@pytest.mark.parametrize(
    "shape, reduction, expected",
    [  # torch 2.13: the loss of probabilities is minus a sum, so a sum of nothing is -0.0
        ((0, 4), "sum", -0.0),
        ((0, 4), "mean", np.nan),
        ((2, 4, 0), "sum", -0.0),
        ((3, 4), "sum", -0.0),  # (a target of zeros: q = 0 everywhere)
        ((3, 4), "mean", -0.0),
        ((3, 4), "none", [-0.0, -0.0, -0.0]),
    ],
)
def test_a_soft_target_loss_of_nothing_is_minus_zero_as_pytorch(rng, shape, reduction, expected):
    x = mc.tensor(rng.standard_normal(shape), requires_grad=True)
    y = F.cross_entropy(x, mc.zeros(*shape, dtype=mc.float64), reduction=reduction)
    np.testing.assert_array_equal(y.numpy(), expected)
    assert np.isnan(expected).all() or np.array_equal(np.signbit(y.numpy()), np.signbit(expected))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(shape))  # q = 0: no gradient
    # class indices: PyTorch's nll sums weighted picks, a sum of nothing is 0.0
    hard = F.cross_entropy(mc.zeros(0, 4), mc.zeros(0, dtype=mc.int64), reduction="sum")
    assert hard.item() == 0.0 and not np.signbit(hard.item())
