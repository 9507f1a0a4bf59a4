"""Softmax, log-softmax, cross-entropy and NLL of class indices (with label smoothing and
maps), and MSE; test_loss_probabilities.py holds cross-entropy of class probabilities.

The registry specs are checked in test_registry.py; these tests cover
numerical stability, the shapes the losses take, and the errors bad targets get.
"""

import warnings

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


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
@pytest.mark.parametrize("shape, dim", [((2, 0), 1), ((0, 3), 0), ((0, 3), 1), ((2, 0, 4), 1)])
def test_softmax_over_an_empty_dim_is_empty_as_pytorch(fn, shape, dim):
    x = mc.zeros(*shape, requires_grad=True)
    y = fn(x, dim=dim)
    assert y.shape == shape
    y.backward(mc.zeros(*shape))
    assert x.grad.shape == shape


@pytest.mark.parametrize("value, y, log_y, gx", [(1.5, 1.0, 0.0, 0.0), (np.inf, np.nan, np.nan, np.nan)])
def test_softmax_of_a_0d_tensor_is_pytorchs(value, y, log_y, gx):
    """A 0-d x is one value along dim 0 (or -1): softmax 1 and log-softmax 0, gradient
    1 * (2 - 2 * 1) = 0, NaN for an infinity (inf - inf), as PyTorch's, without NumPy's warning."""
    x = mc.tensor(np.float64(value), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.softmax(x, dim=0)
        out.backward(mc.tensor(2.0))
        np.testing.assert_array_equal(F.log_softmax(x, dim=-1).numpy(), log_y)
    assert out.shape == () and x.grad.shape == ()
    np.testing.assert_array_equal(out.numpy(), y)
    np.testing.assert_array_equal(x.grad.numpy(), gx)


def test_softmax_of_infinities_and_their_gradients_warn_of_nothing(rng):
    x = rng.standard_normal((3, 4))
    x[0, 1], x[1] = np.inf, -np.inf
    xt = mc.tensor(x, requires_grad=True)
    gy = rng.standard_normal((3, 4))
    gy[2, 0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.softmax(xt, dim=1)
        y.backward(mc.tensor(gy))
        F.log_softmax(xt, dim=1).backward(mc.tensor(gy))
    assert np.isnan(y.numpy()[:2]).all() and np.isfinite(y.numpy()[2]).all()


def test_cross_entropy_is_mean_negative_log_softmax_of_target():
    x = mc.randn(5, 4, dtype=mc.float64, seed=3)
    t = np.array([0, 3, 1, 1, 2])
    expected = -F.log_softmax(x, dim=1).numpy()[np.arange(5), t].mean()
    assert F.cross_entropy(x, mc.tensor(t)).item() == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_accepts_numpy_and_uint8_targets():
    x = mc.randn(3, 4, dtype=mc.float64, seed=1)
    t = np.array([1, 0, 3])
    a = F.cross_entropy(x, t).item()
    b = F.cross_entropy(x, mc.tensor(t.astype(np.uint8))).item()
    assert a == b


@pytest.mark.parametrize("dtype", ["int32", "int16", "int8", "uint16", "uint32", "uint64"])
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_indices_other_than_int64_or_uint8_are_refused_as_pytorch(name, dtype):
    """torch 2.13: "expected target dtype to be Long or Byte, but got Int"."""
    rng = np.random.default_rng(41)
    x = mc.tensor(rng.standard_normal((3, 4)))
    t = rng.integers(0, 4, 3).astype(dtype)
    message = (
        rf"^{name}: target must hold int64 class indices \(or uint8, as PyTorch\), got {dtype}; convert it"
    )
    for target in (t, mc.tensor(t)):
        with pytest.raises(TypeError, match=message):
            getattr(F, name)(x, target)
    assert np.isfinite(getattr(F, name)(x, mc.tensor(t).long()).item())


def test_targets_that_are_neither_classes_nor_probabilities_raise_naming_the_dtype():
    x = mc.randn(2, 3)
    with pytest.raises(
        TypeError,
        match="cross_entropy: target must hold integer class indices or floating-point class "
        "probabilities, got dtype bool",
    ):
        F.cross_entropy(x, mc.tensor([True, False]))
    # nll_loss takes classes only, as PyTorch's
    with pytest.raises(
        TypeError,
        match=r"nll_loss: target must hold integer class indices \(class probabilities are for "
        r"cross_entropy\), got dtype float32",
    ):
        F.nll_loss(x, mc.tensor([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]]))


@pytest.mark.parametrize("bad, seen", [([0, 3], "min 0, max 3"), ([-1, 2], "min -1, max 2")])
def test_cross_entropy_out_of_range_classes_raise(bad, seen):
    with pytest.raises(ValueError, match=rf"target classes must lie in \[0, 3\) .*, got {seen}"):
        F.cross_entropy(mc.randn(2, 3), mc.tensor(bad))


def test_an_ignore_index_beyond_the_classes_is_left_out_before_the_range_is_checked():
    x = mc.tensor(np.random.default_rng(54).standard_normal((3, 3)))
    with pytest.raises(ValueError, match=r"must lie in \[0, 3\) \(or be ignore_index=9\), got min 0, max 3"):
        F.cross_entropy(x, mc.tensor([9, 0, 3]), ignore_index=9)
    kept = F.cross_entropy(x, mc.tensor([9, 0, 2]), ignore_index=9, reduction="sum")
    assert kept.item() == F.cross_entropy(x[1:], mc.tensor([0, 2]), reduction="sum").item()


def test_cross_entropy_checks_shapes_and_smoothing():
    x = mc.randn(2, 3)
    with pytest.raises(ValueError, match=r"target shape \(3,\) does not match logits \(2, 3\)"):
        F.cross_entropy(x, mc.tensor([0, 1, 2]))
    with pytest.raises(
        ValueError, match=r"target shape \(2,\) does not match logits \(2, 3, 1\); expected \(2, 1\)"
    ):
        F.cross_entropy(mc.randn(2, 3, 1), mc.tensor([0, 1]))
    with pytest.raises(
        ValueError,
        match=r"expected logits of shape \(C,\), \(N, C\) or \(N, C, d1, ..., dk\), got shape \(\)",
    ):
        F.cross_entropy(mc.tensor(1.0), mc.tensor(0))
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


def test_cross_entropy_weight_ignore_index_and_reduction_as_pytorch():
    """PyTorch's rules, worked by hand: 'none' gives one loss per sample (0 where ignored),
    'mean' divides the sum by the kept samples' total class weight."""
    rng = np.random.default_rng(21)
    x = rng.standard_normal((4, 3))
    target = np.array([2, -100, 0, 2])
    w = np.array([1.0, 3.0, 0.5])
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    per_sample = np.array([-w[2] * logp[0, 2], 0.0, -w[0] * logp[2, 0], -w[2] * logp[3, 2]])
    none = F.cross_entropy(mc.tensor(x), mc.tensor(target), mc.tensor(w), reduction="none")
    np.testing.assert_allclose(none.numpy(), per_sample, rtol=1e-12)
    assert none.numpy()[1] == 0.0 and not np.signbit(none.numpy()[1])
    mean = F.cross_entropy(mc.tensor(x), mc.tensor(target), weight=mc.tensor(w))
    np.testing.assert_allclose(mean.item(), per_sample.sum() / (0.5 + 1.0 + 0.5), rtol=1e-12)
    every = mc.tensor(np.full(4, 7))
    logits = mc.tensor(x, requires_grad=True)
    nothing = F.cross_entropy(logits, every, ignore_index=7)
    nothing.backward()
    assert np.isnan(nothing.item()) and not logits.grad.numpy().any()  # NaN loss, zero gradient
    with pytest.raises(TypeError, match="weight must be a Tensor of class weights, got float"):
        F.cross_entropy(mc.tensor(x), mc.tensor(target), 0.1)  # label_smoothing is a keyword
    assert F.cross_entropy(mc.tensor(x), every, ignore_index=7, reduction="sum").item() == 0.0
    loss = mc.nn.CrossEntropyLoss(mc.tensor(w), ignore_index=-100, reduction="sum")
    assert list(loss.state_dict()) == ["weight"]  # a buffer, as PyTorch's
    np.testing.assert_allclose(loss(mc.tensor(x), mc.tensor(target)).item(), per_sample.sum(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"weight must hold one value per class, shape \(3,\), got \(2,\)"):
        F.cross_entropy(mc.tensor(x), mc.tensor(target), mc.tensor(np.array([1.0, 2.0])))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(mc.tensor(x), mc.tensor(target), reduction="avg")


def test_mse_loss_sums_exactly_and_keeps_elements_with_none():
    rng = np.random.default_rng(22)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    squares = (a - b) ** 2
    assert F.mse_loss(mc.tensor(a), mc.tensor(b), reduction="sum").item() == squares.sum()  # not mean * n
    np.testing.assert_array_equal(F.mse_loss(mc.tensor(a), mc.tensor(b), reduction="none").numpy(), squares)
    assert F.mse_loss(mc.zeros(0), mc.zeros(0), reduction="sum").item() == 0.0


def test_softmax_without_dim_takes_pytorchs_legacy_choice_and_warns():
    x = mc.randn(2, 3, 4, 5, seed=23)  # 4-D: dim 1, the channels
    with pytest.warns(UserWarning, match="softmax: implicit dimension choice is deprecated"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.numpy().sum(axis=1), 1.0, rtol=1e-6)
    with pytest.warns(UserWarning, match="log_softmax: implicit dimension"):
        z = F.log_softmax(mc.randn(3, 4, seed=24))  # 2-D: dim 1
    np.testing.assert_allclose(np.exp(z.numpy()).sum(axis=1), 1.0, rtol=1e-6)


def test_cross_entropy_with_a_negative_class_weight_as_pytorch():
    """A class weight may be negative (PyTorch does not refuse it): every nonzero q counts."""
    x = np.array([[0.3, -1.2, 2.0]])
    w = np.array([1.0, -1.0, 0.5])
    logp = x - np.log(np.exp(x).sum())
    q = (0.2 / 3 * w)[None, :]
    q[0, 1] += 0.8 * w[1]
    want = -(q * logp).sum() / w[1]
    got = F.cross_entropy(mc.tensor(x), mc.tensor([1]), mc.tensor(w), label_smoothing=0.2)
    np.testing.assert_allclose(got.item(), want, rtol=1e-12)


def test_nll_of_log_softmax_is_cross_entropy_and_the_binary_losses_modules():
    rng = np.random.default_rng(25)
    x = mc.tensor(rng.standard_normal((5, 4)))
    t = mc.tensor([0, 3, -100, 1, 2])
    w = mc.tensor(rng.uniform(0.5, 2.0, 4))
    np.testing.assert_allclose(
        mc.nn.NLLLoss(w)(F.log_softmax(x, 1), t).item(), F.cross_entropy(x, t, w).item(), rtol=1e-12
    )
    y = mc.tensor((rng.random((5, 4)) > 0.5).astype(np.float64))
    logits = mc.nn.BCEWithLogitsLoss(pos_weight=mc.tensor(np.full(4, 2.0)))
    assert list(logits.state_dict()) == ["pos_weight"]  # buffers, as PyTorch's
    # pos_weight 2 doubles the positive term: -(2 y log p + (1 - y) log(1 - p))
    p = 1 / (1 + np.exp(-x.numpy()))
    want = -(2 * y.numpy() * np.log(p) + (1 - y.numpy()) * np.log(1 - p)).mean()
    np.testing.assert_allclose(logits(x, y).item(), want, rtol=1e-12)
    np.testing.assert_allclose(mc.nn.BCELoss()(x.sigmoid(), y).item(), mc.nn.BCEWithLogitsLoss()(x, y).item())
    with pytest.raises(ValueError, match=r"BCELoss: input must hold probabilities in \[0, 1\]"):
        mc.nn.BCELoss()(x, y)
    with pytest.raises(ValueError, match=r"target \(5, 3\) must have the input's shape \(5, 4\)"):
        F.binary_cross_entropy_with_logits(x, mc.zeros(5, 3, dtype=mc.float64))
    with pytest.raises(ValueError, match=r"pos_weight \(3,\) does not broadcast to the input's \(5, 4\)"):
        F.binary_cross_entropy_with_logits(x, y, pos_weight=mc.tensor(np.ones(3)))
    with pytest.raises(
        ValueError, match=r"target shape \(5,\) does not match log-probabilities \(5,\); expected \(\)"
    ):
        F.nll_loss(mc.randn(5, seed=1), t)  # one sample of 5 classes takes a 0-d class
    # large logits stay finite: log(1 + e^-x) is never formed as the log of a sigmoid
    big = mc.tensor(np.array([800.0, -800.0]))
    assert F.binary_cross_entropy_with_logits(big, mc.tensor(np.array([0.0, 1.0]))).item() == 800.0


def test_binary_and_class_losses_at_their_edges_as_pytorch():
    zeros = mc.tensor(np.zeros((4, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"weight \(2, 4, 3\) does not broadcast to the input's \(4, 3\)"):
        F.binary_cross_entropy_with_logits(zeros, mc.tensor(np.zeros((4, 3))), mc.tensor(np.ones((2, 4, 3))))
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\].*got min nan"):
        F.binary_cross_entropy(mc.tensor([np.nan, 0.5]), mc.tensor([0.0, 1.0]))
    # the target's gradient uses the logs unclamped, as PyTorch: +-inf at p = 0 and 1
    p = mc.tensor(np.array([0.0, 0.5, 1.0]))
    y = mc.tensor(np.full(3, 0.3), requires_grad=True)
    F.binary_cross_entropy(p, y, reduction="sum").backward()
    assert y.grad.tolist() == [np.inf, 0.0, -np.inf]
    # kept samples whose class weights sum to 0: NaN loss and NaN gradient there, as PyTorch
    logp = mc.tensor(np.log(0.5) * np.ones((2, 2)), requires_grad=True)
    loss = F.nll_loss(logp, mc.tensor([0, 0]), mc.tensor(np.array([0.0, 1.0])))
    loss.backward()
    assert (
        np.isnan(loss.item())
        and np.isnan(logp.grad.numpy()[:, 0]).all()
        and not logp.grad.numpy()[:, 1].any()
    )
    empty = mc.tensor(np.zeros(0), requires_grad=True)
    F.binary_cross_entropy_with_logits(empty, mc.tensor(np.zeros(0))).backward()  # no division warning
    assert empty.grad.shape == (0,)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss], ids=["cross_entropy", "nll_loss"])
def test_a_map_is_its_positions_as_rows(loss, reduction):
    """(N, C, H, W) scores and (N, H, W) classes are the (N H W, C) rows of the class axis
    moved last, weights, ignored positions and the weighted mean included; 'none' keeps the
    map's shape."""
    rng = np.random.default_rng(31)
    x = rng.standard_normal((2, 4, 3, 5))
    t = rng.integers(0, 4, (2, 3, 5))
    t[0, 1, ::2] = t[1, 2, 0] = 255
    w = mc.tensor(rng.uniform(0.5, 2.0, 4))
    settings = dict(ignore_index=255, reduction=reduction)
    if loss is F.cross_entropy:
        settings["label_smoothing"] = 0.1
    got = loss(mc.tensor(x), mc.tensor(t), w, **settings)
    rows = loss(mc.tensor(x.transpose(0, 2, 3, 1).reshape(-1, 4)), mc.tensor(t.reshape(-1)), w, **settings)
    assert got.shape == ((2, 3, 5) if reduction == "none" else ())
    np.testing.assert_allclose(got.numpy(), rows.numpy().reshape(got.shape), rtol=1e-13)


def test_one_sample_takes_a_0d_class_and_ignoring_it_gives_nan_as_pytorch():
    rng = np.random.default_rng(32)
    x = rng.standard_normal(5)
    one = F.cross_entropy(mc.tensor(x), mc.tensor(np.int64(2)), reduction="none")
    assert one.shape == ()
    np.testing.assert_allclose(one.item(), np.log(np.exp(x).sum()) - x[2], rtol=1e-13)
    ignored = mc.tensor(np.int64(-100))
    assert np.isnan(F.cross_entropy(mc.tensor(x), ignored).item())  # 0 / 0
    assert F.cross_entropy(mc.tensor(x), ignored, reduction="none").item() == 0.0
    with pytest.raises(ValueError, match=r"target shape \(1,\) does not match logits \(5,\); expected \(\)"):
        F.cross_entropy(mc.tensor(x), mc.tensor([2]))


@pytest.mark.parametrize("smoothing", [0.2, 1.0])
def test_a_smoothed_mean_over_kept_weights_of_zero_is_nan_as_pytorch(smoothing):
    """torch 2.14 divides the targets' term and the smoothing's by the kept weights' sum
    separately: 0 / 0 in the first makes the loss NaN (not the smoothing's x / 0 = inf),
    without NumPy's division warning."""
    x = mc.tensor(np.random.default_rng(61).standard_normal((3, 4)))
    w = mc.tensor(np.array([0.0, 1.0, 2.0, 3.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, [0, -100, 0], weight=w, label_smoothing=smoothing)
    assert np.isnan(loss.item())
    assert F.cross_entropy(x, [0, -100, 0], weight=w, label_smoothing=smoothing, reduction="sum").item() > 0


@pytest.mark.parametrize(
    "loss, settings, kept_row",
    [  # torch 2.14: cross-entropy's NaN reaches every class through the softmax, nll's the target only
        (F.cross_entropy, dict(label_smoothing=0.2), [np.nan] * 4),
        (F.cross_entropy, {}, [np.nan] * 4),
        (F.nll_loss, {}, [np.nan, 0.0, 0.0, 0.0]),
    ],
)
def test_a_nan_mean_leaves_ignored_rows_gradient_zero_as_pytorch(loss, settings, kept_row):
    """Kept weights summing to 0: the mean is 0 / 0 and its NaN goes back to the kept rows only;
    an ignored row's gradient stays 0, as it does under an infinite gy of 'none'."""
    rng = np.random.default_rng(62)
    w = mc.tensor(np.array([0.0, 1.0, 2.0, 3.0]))
    x = mc.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss(x, [0, -100, 0], weight=w, **settings).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [kept_row, [0.0] * 4, kept_row])
    x = mc.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        each = loss(x, [0, -100, 2], weight=w, reduction="none", **settings)
        each.backward(mc.tensor(np.array([1.0, np.inf, 1.0])))
    np.testing.assert_array_equal(x.grad.numpy()[1], 0.0)
    assert np.isfinite(x.grad.numpy()).all()


def test_nll_mean_over_kept_weights_summing_to_0_divides_by_it_as_pytorch():
    """Weights of opposite signs summing to 0: torch 2.14's gradient is -w[t] g / 0, +-inf at
    each target (NaN where w[t] is 0), not NaN throughout; the loss +-inf."""
    x = mc.tensor(np.random.default_rng(9301).standard_normal((3, 4)), requires_grad=True)
    w = mc.tensor(np.array([1.0, -1.0, 0.0, 2.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.nll_loss(x, [0, 1, 2], weight=w)
        loss.backward()
    assert np.isinf(loss.item())
    want = np.zeros((3, 4))
    want[0, 0], want[1, 1], want[2, 2] = -np.inf, np.inf, np.nan
    np.testing.assert_array_equal(x.grad.numpy(), want)
