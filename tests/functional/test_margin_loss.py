"""The margin and embedding losses: PyTorch's values and gradients in every reduction, exactly
at the hinges' kinks too (tests/fixtures/gen_margin_loss.py, torch 2.14), float32, finite
differences in float64 away from the kinks, and bad arguments. Losses have no fast kernel, so
there is no reference to compare one with."""

import math

import numpy as np
import pytest
from fixtures.gen_margin_loss import CASES, DIFFERENTIABLE, name, sample

import minicnn as mc
import minicnn.functional as F


def _run(loss, arrays, kw, reduction, gy, dtype=np.float64):
    """The loss of the arrays (floats as ``dtype``, requiring grad where PyTorch gives one),
    and the gradients of sum(y * gy), by input name."""
    given = {}
    for k, v in arrays.items():
        v = v.astype(dtype) if v.dtype.kind == "f" else v
        given[k] = mc.tensor(v, requires_grad=k in DIFFERENTIABLE[loss])
    if "weight" in given:
        kw = {**kw, "weight": given.pop("weight")}
    y = getattr(F, f"{loss}_loss")(*given.values(), **kw, reduction=reduction)
    y.backward(mc.tensor(gy.astype(dtype)))
    return y, {k: given[k].grad for k in DIFFERENTIABLE[loss]}


@pytest.mark.parametrize("case", CASES, ids=name)
def test_matches_pytorch(case, golden):
    g, key = golden("margin_loss"), name(case)
    arrays, kw = sample(case)
    for k, v in arrays.items():
        stored = g[f"{case[0]}_{case[1]}.{k}"]
        np.testing.assert_array_equal(stored, v, err_msg="margin_loss.npz is older than its cases; rerun gen")
    y, grads = _run(case[0], arrays, kw, case[2], g[f"{key}.gy"])
    assert y.dtype == np.float64 and y.shape == g[f"{key}.y"].shape
    np.testing.assert_allclose(y.numpy(), g[f"{key}.y"], rtol=1e-12, atol=1e-15)
    for k, gx in grads.items():
        assert gx.dtype == np.float64, k
        np.testing.assert_allclose(gx.numpy(), g[f"{key}.g{k}"], rtol=1e-12, atol=1e-15, err_msg=k)


@pytest.mark.parametrize("case", [c for c in CASES if "kink" not in c[1]], ids=name)
def test_float32_keeps_its_dtype_and_matches_pytorch(case, golden):
    g, key = golden("margin_loss"), name(case)
    arrays, kw = sample(case)
    y, grads = _run(case[0], arrays, kw, case[2], g[f"{key}.gy"], np.float32)
    assert y.dtype == np.float32 and all(gx.dtype == np.float32 for gx in grads.values())
    np.testing.assert_allclose(y.numpy(), g[f"{key}.y"], rtol=1e-4, atol=1e-5)
    for k, gx in grads.items():
        np.testing.assert_allclose(gx.numpy(), g[f"{key}.g{k}"], rtol=1e-4, atol=1e-5, err_msg=k)


def _hinge_args(case):
    """The hinges' arguments z of a kink draw, computed here from its inputs."""
    arrays, kw = sample(case)
    loss, margin = case[0], kw["margin"]
    if loss == "multi_margin":
        x, t = arrays["input"], arrays["target"]
        picked = x[np.arange(len(t)), t][:, None]
        z = margin - picked + x
        z[np.arange(len(t)), t] = 1.0  # the target's own term, left out
        return z
    if loss == "margin_ranking":
        return -arrays["target"] * (arrays["input1"] - arrays["input2"]) + margin
    if loss == "hinge_embedding":
        return np.where(arrays["target"] == -1, margin - arrays["input"], 1.0)
    if loss == "cosine_embedding":
        x1, x2 = arrays["input1"], arrays["input2"]
        m1, m2 = (x1 * x1).sum(1) + 1e-12, (x2 * x2).sum(1) + 1e-12
        return (x1 * x2).sum(1) / np.sqrt(m1 * m2) - margin
    a, p, n = arrays["anchor"], arrays["positive"], arrays["negative"]
    d = [np.linalg.norm(u - v, kw["p"], axis=1) for u, v in ((a, p), (a, n), (p, n))]
    return np.concatenate([margin + d[0] - d[1], d[1] - d[2] if kw["swap"] else [1.0]])


@pytest.mark.parametrize("case", [c for c in CASES if "kink" in c[1] and c[2] == "none"], ids=name)
def test_the_kink_draws_put_hinges_exactly_at_zero_where_pytorchs_slope_is_zero(case, golden):
    """So that the comparison above sees PyTorch's choice there (a slope of 1 would differ)."""
    z = _hinge_args(case)
    assert (z == 0).any() and (z != 0).any(), z


def test_multi_margin_at_the_kink_has_slope_zero_and_past_it_one_over_c(t):
    """Row 0: z = 1 - 2 + 1 = 0 for class 0 (no loss, no slope), z = -0.5 for class 2; row 1:
    all scores 0, each other class z = 1 > 0."""
    x = t([[1.0, 2.0, 0.5], [0.0, 0.0, 0.0]], grad=True)
    for p, slope in ((1, 1 / 3), (2, 2 / 3)):
        x.grad = None
        loss = F.multi_margin_loss(x, mc.tensor([1, 0]), p=p, reduction="none")
        loss.sum().backward()
        assert loss.tolist() == [0.0, 2 / 3]
        assert x.grad.tolist() == [[0.0, 0.0, 0.0], [-2 * slope, slope, slope]]


@pytest.mark.parametrize("p", [1, 2])
def test_the_hinge_loss_is_zero_once_the_true_class_leads_by_the_margin(p):
    x = mc.tensor([[3.0, 1.9, 0.0], [3.0, 2.1, 0.0]], dtype=mc.float64)
    each = F.multi_margin_loss(x, mc.tensor([0, 0]), p=p, reduction="none").numpy()
    assert each[0] == 0 and each[1] == pytest.approx(0.1**p / 3, rel=1e-12)


def _signs(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _away(rng, draw, hinges, gap=0.1):
    """Inputs drawn by ``draw(rng)`` until every hinge argument lies at least ``gap`` from 0."""
    for _ in range(200):
        arrays = draw(rng)
        if (np.abs(hinges(*arrays)) > gap).all():
            return [mc.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    raise AssertionError("no draw away from the kinks")


def _mm_hinges(x, t, margin=0.5):
    z = margin - x[np.arange(len(t)), t][:, None] + x
    z[np.arange(len(t)), t] = 1.0
    return z


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_gradients_match_finite_differences(p, reduction, rng):
    x, t = _away(rng, lambda r: (r.standard_normal((4, 5)), r.integers(0, 5, 4)), _mm_hinges)
    w = mc.tensor(rng.uniform(0.5, 2.0, 5))
    assert mc.gradcheck(lambda a: F.multi_margin_loss(a, t, p, 0.5, w, reduction=reduction), [x])
    x, t = _away(rng, lambda r: (r.standard_normal((1, 5)), r.integers(0, 5, 1)), _mm_hinges)
    assert mc.gradcheck(lambda a: F.multi_margin_loss(a[0], t[0], p, 0.5, reduction=reduction), [x])


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_soft_and_multilabel_gradients_match_finite_differences(reduction, rng):
    x = mc.tensor(2 * rng.standard_normal((3, 4)), requires_grad=True)
    y = mc.tensor(np.where(rng.random((3, 4)) < 0.5, -1.0, 1.0))
    assert mc.gradcheck(lambda a: F.soft_margin_loss(a, y, reduction=reduction), [x])
    t = mc.tensor(rng.random((3, 4)), requires_grad=True)
    w = mc.tensor(rng.uniform(0.5, 2.0, 4))
    assert mc.gradcheck(lambda a, b: F.multilabel_soft_margin_loss(a, b, w, reduction=reduction), [x, t])


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_pair_losses_gradients_match_finite_differences(reduction, rng):
    def pairs(r):
        return r.standard_normal((3, 1)), r.standard_normal((1, 4)), _signs(r, (3, 4))

    x1, x2, y = _away(rng, pairs, lambda a, b, c: -c * (a - b) + 0.3)
    assert mc.gradcheck(lambda a, b, c: F.margin_ranking_loss(a, b, c, 0.3, reduction=reduction), [x1, x2, y])

    def distances(r):
        return np.abs(2 * r.standard_normal((3, 4))), _signs(r, (3, 4))

    x, y = _away(rng, distances, lambda a, b: np.where(b == -1, 1.5 - a, 1.0))
    y.requires_grad_(False)
    assert mc.gradcheck(lambda a: F.hinge_embedding_loss(a, y, 1.5, reduction=reduction), [x])

    def cosines(r):
        return r.standard_normal((5, 3)), r.standard_normal((5, 3)), _signs(r, 5)

    def cos_minus_margin(a, b, c):
        return (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12)) - 0.2

    x1, x2, y = _away(rng, cosines, cos_minus_margin, gap=0.05)
    y.requires_grad_(False)
    assert mc.gradcheck(lambda a, b: F.cosine_embedding_loss(a, b, y, 0.2, reduction=reduction), [x1, x2])


@pytest.mark.parametrize("p", [1, 2, math.inf])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_gradients_match_finite_differences(p, swap, rng):
    def triplet_hinges(a, q, n):
        d = [np.linalg.norm(u - v + 1e-6, p, axis=-1) for u, v in ((a, q), (a, n), (q, n))]
        return np.concatenate([1.0 + d[0] - d[1], d[1] - d[2] if swap else []])

    a, q, n = _away(rng, lambda r: tuple(r.standard_normal((4, 3)) for _ in range(3)), triplet_hinges)
    assert mc.gradcheck(lambda *abc: F.triplet_margin_loss(*abc, p=p, swap=swap, reduction="none"), [a, q, n])


def test_soft_margin_stays_finite_where_pytorchs_exponential_overflows(t):
    """PyTorch computes log1p(exp(-y x)): inf past -y x of about 710, and a NaN slope; the
    stable form gives -y x itself and the slope -y."""
    x = t([800.0, -800.0, 800.0], grad=True)
    loss = F.soft_margin_loss(x, t([-1.0, 1.0, 1.0]), reduction="none")
    loss.sum().backward()
    assert loss.tolist() == [800.0, 800.0, 0.0] and x.grad.tolist() == [1.0, -1.0, -0.0]


@pytest.mark.parametrize("loss", ["multi_margin", "soft_margin", "margin_ranking", "cosine_embedding"])
def test_an_empty_batch_averages_to_nan_and_sums_to_zero_silently(loss):
    inputs = {
        "multi_margin": (mc.zeros(0, 3, dtype=mc.float64), mc.zeros(0, dtype=mc.int64)),
        "soft_margin": (mc.zeros(0, dtype=mc.float64), mc.zeros(0, dtype=mc.float64)),
        "margin_ranking": (mc.zeros(0, dtype=mc.float64),) * 3,
        "cosine_embedding": (mc.zeros(0, 3, dtype=mc.float64),) * 2 + (mc.zeros(0, dtype=mc.float64),),
    }[loss]
    inputs[0].requires_grad_()
    fn = getattr(F, f"{loss}_loss")
    with np.errstate(all="raise"):
        mean = fn(*inputs)
        mean.backward()
        assert np.isnan(mean.item()) and inputs[0].grad.shape == inputs[0].shape
        assert fn(*inputs, reduction="sum").item() == 0.0


def _f(*shape, dtype=mc.float64):
    return mc.zeros(*shape, dtype=dtype)


def _i(*values):
    return mc.tensor(list(values))


BAD = [
    ("multi_margin", (_f(2, 3), _i(0, 3)), {}, ValueError, r"out of range: .*\[0, 3\), got min 0, max 3"),
    ("multi_margin", (_f(2, 3), _i(-1, 0)), {}, ValueError, "target out of range"),
    ("multi_margin", (_f(2, 3), _i(0, 1, 1)), {}, ValueError, r"per sample, \(2,\), .* shape \(3,\)"),
    ("multi_margin", (_f(2, 3), mc.tensor([[0, 1]])), {}, ValueError, r"got shape \(1, 2\)"),
    ("multi_margin", (_f(2, 3, 4), _i(0, 1)), {}, ValueError, r"\(N, C\), got shape \(2, 3, 4\)"),
    ("multi_margin", (_f(2, 0), _i(0, 1)), {}, ValueError, "non-empty input"),
    ("multi_margin", (_f(2, 3), _i(0, 1)), {"p": 3}, ValueError, "only p == 1 and p == 2 supported, got p=3"),
    ("multi_margin", (_f(2, 3), _i(0, 1)), {"p": True}, ValueError, "only p == 1 and p == 2"),
    ("multi_margin", (_f(2, 3), _i(0, 1)), {"reduction": "avg"}, ValueError, "reduction must be one of"),
    ("multi_margin", (_f(2, 3), _i(0, 1)), {"margin": "1"}, TypeError, "margin must be a real number"),
    ("multi_margin", (_f(2, 3), _i(0, 1)), {"weight": _f(4)}, ValueError, "one value per class"),
    ("multi_margin", (_f(2, 3), _f(2)), {}, TypeError, "target must hold int64 class indices, got float64"),
    ("multi_margin", (_f(2, 3), mc.tensor([0, 1], dtype=mc.int32)), {}, TypeError, "int64 class indices"),
    ("multi_margin", (_i(0, 1), _i(0, 1)), {}, TypeError, "input must be a floating-point"),
    ("soft_margin", (_f(2, 3), _f(3)), {}, ValueError, r"target \(3,\) must have the input's shape \(2, 3\)"),
    ("soft_margin", (_f(2, 3), _f(2, 3, dtype=mc.float32)), {}, TypeError, "target is float32"),
    ("soft_margin", (_f(2), _f(2).requires_grad_()), {}, ValueError, "target is a constant"),
    ("soft_margin", (_f(2), _f(2)), {"reduction": "batchmean"}, ValueError, "reduction must be one of"),
    ("multilabel_soft_margin", (_f(()), _f(())), {}, ValueError, r"shape \(C,\) or \(N, C\)"),
    ("multilabel_soft_margin", (_f(2, 3), _f(3)), {}, ValueError, r"target \(3,\) must have the input's"),
    ("multilabel_soft_margin", (_f(2, 3), _f(2, 3)), {"weight": _f(4)}, ValueError, r"\(4,\) does not"),
    ("multilabel_soft_margin", (_f(2, 3), _f(2, 3)), {"reduction": "max"}, ValueError, "reduction must be"),
    ("margin_ranking", (_f(2, 3), _f(3), _f(3)), {}, ValueError, r"same number of dims, got input1 \(2, 3\)"),
    ("margin_ranking", (_f(2), _f(4), _f(2)), {}, ValueError, r"do not broadcast"),
    ("margin_ranking", (_f(2), _f(2), _i(1, 1)), {}, TypeError, "target must be a floating"),
    ("hinge_embedding", (_f(2, 3), _f(3)), {}, ValueError, r"target \(3,\) must have the input's shape"),
    ("hinge_embedding", (_f(2), mc.ones(2, dtype=mc.bool)), {}, TypeError, "labels 1 and -1 as numbers, got"),
    ("hinge_embedding", (_f(2), _f(2)), {"margin": None}, TypeError, "margin must be a real number"),
    ("cosine_embedding", (_f(2, 3), _f(2, 3), _f(2, 1)), {}, ValueError, "0-d or 1-D target, got shape"),
    ("cosine_embedding", (_f(2, 3), _f(3), _f(2)), {}, ValueError, r"1-d target expects 2-d inputs, got"),
    ("cosine_embedding", (_f(3), _f(3), _f(2)), {}, ValueError, r"1-d target expects 2-d inputs"),
    ("cosine_embedding", (_f(2, 3), _f(2, 3), _f(3)), {}, ValueError, r"do not broadcast"),
    ("cosine_embedding", (_f(2, 3), _f(2, 4), _f(2)), {}, ValueError, r"do not broadcast"),
    ("triplet_margin", (_f(2, 3), _f(3), _f(2, 3)), {}, ValueError, r"dims, got anchor \(2, 3\)"),
    ("triplet_margin", (_f(2, 3),) * 3, {"margin": 0}, ValueError, "margin must be greater than 0, got 0"),
    ("triplet_margin", (_f(2, 3),) * 3, {"p": 3}, ValueError, r"p must be 1, 2 or float\('inf'\), got 3"),
    ("triplet_margin", (_f(2, 3),) * 3, {"swap": 1}, TypeError, "swap must be True or False, got int 1"),
    ("triplet_margin", (_f(2), _f(2), _f(2, dtype=mc.float32)), {}, TypeError, "negative is float32"),
]


@pytest.mark.parametrize("loss, args, kwargs, error, match", BAD, ids=[b[0] for b in BAD])
def test_bad_arguments_are_named_before_any_arithmetic(loss, args, kwargs, error, match):
    with pytest.raises(error, match=f"^{loss}_loss: (.* )?{match}"):
        getattr(F, f"{loss}_loss")(*args, **kwargs)


@pytest.mark.parametrize("loss", ["multi_margin", "soft_margin", "triplet_margin"])
def test_the_reduction_is_given_by_name_where_pytorch_has_size_average(loss):
    args = {
        "multi_margin": (_f(2, 3), _i(0, 1)),
        "soft_margin": (_f(2), _f(2)),
        "triplet_margin": (_f(2),) * 3,
    }
    positional = {
        "multi_margin": (1, 1.0, None, "sum"),
        "soft_margin": ("sum",),
        "triplet_margin": (1, 2, 0, 0, 0),
    }
    with pytest.raises(TypeError, match="positional"):
        getattr(F, f"{loss}_loss")(*args[loss], *positional[loss])
