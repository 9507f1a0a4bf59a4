"""kl_div and KLDivLoss: PyTorch's values and gradients, for the input and the target, in every
reduction and with log_target both ways (tests/fixtures/gen_kl_div.py, torch 2.14), exact zeros,
NaN and infinities included; finite differences in float64; knowledge distillation's gradient;
the reductions' divisors, the warning of 'mean', the module and bad arguments. Losses have no
fast kernel, so there is no reference to compare one with."""

import warnings

import numpy as np
import pytest
from fixtures.gen_kl_div import CASES, name, sample

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

REDUCTIONS = ("none", "sum", "mean", "batchmean")


def _kl_div(*args, **kwargs):
    """F.kl_div, its 'mean' warning silenced (the warning has a test of its own)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="kl_div: reduction='mean'", category=UserWarning)
        return F.kl_div(*args, **kwargs)


def _same(got, want, rtol=1e-12, atol=0.0):
    """PyTorch's NaN where it has NaN, its infinities and the sign of each zero; the finite
    values to rounding."""
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    zero = want == 0
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))


def _run(case, dtype=np.float64, arrays=None):
    _, reduction, log_target = case
    a, b, gy = sample(case) if arrays is None else arrays
    x = mc.tensor(a.astype(dtype), requires_grad=True)
    t = mc.tensor(b.astype(dtype), requires_grad=True)
    y = _kl_div(x, t, reduction=reduction, log_target=log_target)
    y.backward(mc.tensor(gy.astype(dtype)))
    return y, x.grad, t.grad


@pytest.mark.parametrize("case", CASES, ids=name)
def test_matches_pytorch(case, golden):
    g, key = golden("kl_div"), name(case)
    stored = tuple(g[f"{key}.{k}"] for k in ("x", "t", "gy"))
    for want, got in zip(stored, sample(case)):
        # NOTE: to the last bit but one: NumPy's exp rounds differently with AVX-512 and without
        np.testing.assert_allclose(want, got, rtol=1e-15, err_msg="kl_div.npz is older than its cases")
    y, gx, gt = _run(case, arrays=stored)  # the inputs PyTorch saw
    assert y.dtype == gx.dtype == gt.dtype == np.float64
    _same(y.numpy(), g[f"{key}.y"])
    _same(gx.numpy(), g[f"{key}.gx"])
    _same(gt.numpy(), g[f"{key}.gt"])


@pytest.mark.parametrize("case", [c for c in CASES if c[0] != "edges"], ids=name)
def test_float32_keeps_its_dtype_and_matches_pytorch(case, golden):
    """(The edges' 1e-300 and 1e300 are no float32 numbers.)"""
    g, key = golden("kl_div"), name(case)
    y, gx, gt = _run(case, np.float32)
    assert y.dtype == gx.dtype == gt.dtype == np.float32
    for got, want in ((y, "y"), (gx, "gx"), (gt, "gt")):
        _same(got.numpy().astype(np.float64), g[f"{key}.{want}"], rtol=1e-4, atol=1e-5)


def _rows(rng, shape, log_target):
    """Log-probabilities, and a target of probabilities (or their logs) with no zero."""
    x = F.log_softmax(mc.tensor(rng.standard_normal(shape)), -1).detach()
    t = F.softmax(mc.tensor(rng.standard_normal(shape)), -1).detach()
    return x.requires_grad_(), (t.log() if log_target else t).requires_grad_()


@pytest.mark.parametrize("log_target", [False, True], ids=["probabilities", "log_target"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradients_of_input_and_target_match_finite_differences(reduction, log_target, rng):
    x, t = _rows(rng, (3, 4), log_target)
    assert mc.gradcheck(lambda a, b: _kl_div(a, b, reduction=reduction, log_target=log_target), [x, t])
    # broadcast: one target row for every input row, and one input row for every target row
    x, t = _rows(rng, (3, 4), log_target)
    assert mc.gradcheck(lambda a, b: _kl_div(a, b[1], reduction=reduction, log_target=log_target), [x, t])
    assert mc.gradcheck(lambda a, b: _kl_div(a[0], b, reduction=reduction, log_target=log_target), [x, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_exact_zeros_in_the_target_give_the_input_gradient_0_and_the_target_gradient_nan(reduction, rng):
    """At t = 0 the loss is 0 whatever x, so x's slope there is 0 and the finite differences
    agree; t's slope is NaN, as PyTorch's (its one-sided limit is -inf, and t < 0 has no log)."""
    x, t = _rows(rng, (3, 4), False)
    t.data[0, 1] = t.data[2, 3] = 0.0
    t.requires_grad_(False)
    assert mc.gradcheck(lambda a: _kl_div(a, t, reduction=reduction), [x])
    t.requires_grad_()
    loss = _kl_div(x, t, reduction=reduction)
    (loss * mc.tensor(rng.uniform(0.5, 1.0, loss.shape))).sum().backward()
    zero = t.numpy() == 0
    assert (x.grad.numpy()[zero] == 0).all() and (x.grad.numpy()[~zero] != 0).all()
    assert np.isnan(t.grad.numpy()[zero]).all() and np.isfinite(t.grad.numpy()[~zero]).all()
    assert (_kl_div(x, t, reduction="none").numpy()[zero] == 0).all()


def test_zero_target_against_an_input_of_minus_infinity_is_nan_as_pytorch():
    """0 (log 0 - (-inf)): PyTorch takes 0 log 0 as 0 but multiplies 0 by -inf, NaN."""
    x = mc.tensor([-np.inf, -np.inf, -1.0], dtype=mc.float64)
    t = mc.tensor([0.0, 0.5, 0.0], dtype=mc.float64)
    assert np.array_equal(F.kl_div(x, t, reduction="none").numpy(), [np.nan, np.inf, 0.0], equal_nan=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_log_target_is_the_same_loss_as_its_probabilities(reduction, rng):
    x, t = _rows(rng, (3, 4), True)
    p = t.detach().exp().requires_grad_()
    one = _kl_div(x, t, reduction=reduction, log_target=True)
    other = _kl_div(x, p, reduction=reduction)
    np.testing.assert_allclose(one.numpy(), other.numpy(), rtol=1e-12, atol=1e-15)
    w = rng.standard_normal(one.shape)
    (one * mc.tensor(w)).sum().backward()
    gx = x.grad.numpy()
    x.grad = None
    (other * mc.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx, x.grad.numpy(), rtol=1e-12)
    # d/d(log t) = t d/dt: the chain rule through t = e^(log t)
    np.testing.assert_allclose(t.grad.numpy(), p.grad.numpy() * p.numpy(), rtol=1e-10)


def test_reductions_sum_then_divide_by_their_counts(rng):
    x, t = _rows(rng, (3, 4), False)
    each = F.kl_div(x, t, reduction="none").numpy()
    total = F.kl_div(x, t, reduction="sum").item()
    assert each.shape == (3, 4) and total == each.sum()
    assert _kl_div(x, t).item() == total / 12
    assert F.kl_div(x, t, reduction="batchmean").item() == total / 3
    # the divergence of each row is non-negative, and 0 for a row against itself
    assert (each.sum(1) > 0).all()
    assert F.kl_div(x, x.detach().exp(), reduction="sum").item() == pytest.approx(0, abs=1e-15)


def test_batchmean_divides_by_the_inputs_first_dim_and_a_0d_inputs_not_at_all(rng):
    """As PyTorch: input.size(0), whatever shape the target broadcasts the loss to."""
    x, t = _rows(rng, (5,), False)[0], _rows(rng, (2, 5), False)[1]
    total = F.kl_div(x, t, reduction="sum").item()
    assert F.kl_div(x, t, reduction="batchmean").item() == total / 5
    x0, t0 = mc.tensor(-1.5, dtype=mc.float64), mc.tensor(0.25, dtype=mc.float64)
    assert F.kl_div(x0, t0, reduction="batchmean").item() == F.kl_div(x0, t0, reduction="sum").item()


@pytest.mark.parametrize("reduction", ["mean", "batchmean"])
def test_an_empty_batch_averages_to_nan_and_sums_to_zero_silently(reduction):
    x = mc.zeros(0, 3, dtype=mc.float64, requires_grad=True)
    t = mc.zeros(0, 3, dtype=mc.float64, requires_grad=True)
    with np.errstate(all="raise"):
        loss = _kl_div(x, t, reduction=reduction)
        loss.backward()
        assert np.isnan(loss.item()) and x.grad.shape == t.grad.shape == (0, 3)
        assert F.kl_div(x, t, reduction="sum").item() == 0.0


def test_mean_warns_that_batchmean_is_the_divergence_and_the_others_do_not(rng):
    x, t = _rows(rng, (2, 3), False)
    with pytest.warns(UserWarning, match=r"^kl_div: reduction='mean' divides by the number of elements"):
        F.kl_div(x, t)
    with pytest.warns(UserWarning, match=r"^KLDivLoss: reduction='mean'"):
        nn.KLDivLoss()(x, t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for reduction in ("none", "sum", "batchmean"):
            F.kl_div(x, t, reduction=reduction)
            nn.KLDivLoss(reduction=reduction, log_target=True)(x, t.log())


@pytest.mark.parametrize("T", [1.0, 4.0])
def test_distillation_loss_pulls_the_student_by_t_times_the_softened_difference(T, rng):
    """Hinton et al. 2015: L = T^2 KL(q || p) per sample, p = softmax(s / T), q = softmax(u / T);
    dL/ds = T (p - q) / N, the softened cross-entropy's gradient scaled back by T^2."""
    s = mc.tensor(rng.standard_normal((4, 6)) * 3, requires_grad=True)
    u = mc.tensor(rng.standard_normal((4, 6)) * 3)
    loss = F.kl_div(F.log_softmax(s / T, 1), F.softmax(u / T, 1), reduction="batchmean") * T * T
    loss.backward()
    p, q = F.softmax(s / T, 1).numpy(), F.softmax(u / T, 1).numpy()
    np.testing.assert_allclose(loss.item(), T * T * (q * (np.log(q) - np.log(p))).sum() / 4, rtol=1e-12)
    np.testing.assert_allclose(s.grad.numpy(), T * (p - q) / 4, rtol=1e-10, atol=1e-15)
    same = F.kl_div(F.log_softmax(u / T, 1), F.softmax(u / T, 1), reduction="batchmean")
    assert same.item() == pytest.approx(0, abs=1e-15)


def test_kldivloss_is_kl_div_with_its_settings(rng):
    x, t = _rows(rng, (3, 4), True)
    loss = nn.KLDivLoss(reduction="sum", log_target=True)
    assert loss(x, t).item() == F.kl_div(x, t, reduction="sum", log_target=True).item()
    assert mc.gradcheck(loss, [x, t])
    assert repr(nn.KLDivLoss(reduction="batchmean")) == "KLDivLoss()" and loss.state_dict() == {}


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: nn.KLDivLoss("batchmean"), TypeError, r"^KLDivLoss: reduction is given by keyword"),
        (lambda: nn.KLDivLoss(reduction="avg"), ValueError, r"^KLDivLoss: reduction must be one of"),
        (lambda: nn.KLDivLoss(log_target="False"), TypeError, r"^KLDivLoss: log_target must be True or"),
    ],
    ids=["positional", "reduction", "log_target"],
)
def test_kldivloss_refuses_bad_settings_when_made(make, error, match):
    with pytest.raises(error, match=match):
        make()


def _float(*shape, dtype=mc.float64):
    return mc.zeros(*shape, dtype=dtype)


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((_float(2, 3), _float(2, 3)), {"reduction": "elementwise_mean"}, ValueError, "reduction must be"),
        (
            (_float(2, 3), _float(4, 3)),
            {},
            ValueError,
            r"shapes \(2, 3\) and \(4, 3\) do not broadcast: sizes 2 and 4 at dim 0",
        ),
        ((mc.zeros(2, 3, dtype=mc.int64), _float(2, 3)), {}, TypeError, "input must be a floating-point"),
        ((_float(2, 3), mc.ones(2, 3, dtype=mc.int64)), {}, TypeError, "target must be a floating-point"),
        ((_float(2, 3), _float(2, 3, dtype=mc.float32)), {}, TypeError, "x is float64 but target is float32"),
        ((_float(2, 3), np.zeros((2, 3))), {}, TypeError, "target must be a minicnn Tensor"),
        ((_float(2, 3), _float(2, 3)), {"log_target": "False"}, TypeError, "log_target must be True or"),
        ((_float(2, 3), _float(2, 3)), {"log_target": 1}, TypeError, "log_target .* got int 1"),
    ],
    ids=[
        "reduction",
        "shapes",
        "int_input",
        "int_target",
        "dtypes",
        "array",
        "log_target_str",
        "log_target_1",
    ],
)
def test_bad_arguments_are_named_before_any_arithmetic(args, kwargs, error, match):
    with pytest.raises(error, match="^kl_div: " + match):
        F.kl_div(*args, **kwargs)


def test_the_reduction_is_given_by_name_where_pytorch_has_size_average():
    with pytest.raises(TypeError, match="positional"):
        F.kl_div(_float(2, 3), _float(2, 3), "sum")
