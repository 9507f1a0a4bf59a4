"""Softmax, log-softmax, cross-entropy (with label smoothing) and MSE.

The registry specs are checked in test_registry.py; these tests cover
numerical stability and the errors bad targets get.
"""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F


def test_softmax_of_huge_logits_is_finite_and_sums_to_one():
    x = mc.tensor(np.array([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 1000.0]]))
    p = F.softmax(x, dim=1).numpy()
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), [1.0, 1.0], rtol=1e-15)
    assert np.isfinite(F.log_softmax(x, dim=1).numpy()).all()


def test_cross_entropy_is_mean_negative_log_softmax_of_target():
    x = mc.randn(5, 4, dtype="float64", seed=3)
    t = np.array([0, 3, 1, 1, 2])
    expected = -F.log_softmax(x, dim=1).numpy()[np.arange(5), t].mean()
    assert F.cross_entropy(x, mc.tensor(t)).item() == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_accepts_numpy_and_int32_targets():
    x = mc.randn(3, 4, dtype="float64", seed=1)
    t = np.array([1, 0, 3])
    a = F.cross_entropy(x, t).item()
    b = F.cross_entropy(x, mc.tensor(t.astype(np.int32))).item()
    assert a == b


def test_cross_entropy_float_targets_raise_naming_the_dtype():
    x = mc.randn(2, 3)
    with pytest.raises(
        TypeError, match="cross_entropy: target must hold integer class indices, got dtype float32"
    ):
        F.cross_entropy(x, mc.tensor([0.0, 1.0]))


@pytest.mark.parametrize("bad, seen", [([0, 3], "min 0, max 3"), ([-1, 2], "min -1, max 2")])
def test_cross_entropy_out_of_range_classes_raise(bad, seen):
    with pytest.raises(ValueError, match=rf"target classes must lie in \[0, 3\), got {seen}"):
        F.cross_entropy(mc.randn(2, 3), mc.tensor(bad))


def test_cross_entropy_checks_shapes_and_smoothing():
    x = mc.randn(2, 3)
    with pytest.raises(ValueError, match=r"target shape \(3,\) does not match logits \(2, 3\)"):
        F.cross_entropy(x, mc.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"expected logits of shape \(N, C\), got \(2, 3, 1\)"):
        F.cross_entropy(mc.randn(2, 3, 1), mc.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        F.cross_entropy(x, mc.tensor([0, 1]), label_smoothing=1.5)


def test_mse_loss_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"mse_loss: input \(2, 3\) and target \(3, 2\) differ"):
        F.mse_loss(mc.randn(2, 3), mc.randn(3, 2))


def test_cross_entropy_with_a_masked_class_is_finite_as_pytorchs():
    """A logit of -inf (a class masked out) has probability 0 and adds nothing to the loss:
    PyTorch gives log(1 + e) here, and the gradient softmax - onehot."""
    x = mc.tensor(np.array([[0.0, -np.inf, 1.0]]), requires_grad=True)
    loss = F.cross_entropy(x, np.array([0]))
    loss.backward()
    np.testing.assert_allclose(loss.item(), np.log1p(np.e), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), [[1 / (1 + np.e) - 1, 0, np.e / (1 + np.e)]], rtol=1e-12)
    # with smoothing the masked class has weight s/C in q: the loss is inf, as PyTorch's
    assert F.cross_entropy(x, np.array([0]), label_smoothing=0.1).item() == np.inf
