"""L1, smooth L1 and Huber (and MSE beside them) beyond the registry (test_registry.py gradchecks
them away from their kinks and compares them with PyTorch): PyTorch's values and slopes exactly
at the kinks, the reductions, float32, the modules and bad arguments."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

KINK_LOSSES = {
    "l1": nn.L1Loss(reduction="none"),
    "smooth_l1": nn.SmoothL1Loss(reduction="none", beta=0.5),
    "smooth_l1_beta0": nn.SmoothL1Loss(reduction="none", beta=0.0),
    "huber": nn.HuberLoss(reduction="none", delta=0.5),
}


@pytest.mark.parametrize("name", sorted(KINK_LOSSES))
def test_at_the_kinks_as_pytorch(golden, name, t):
    """d = input - target exactly -0.5, 0, 0.5 (beta, delta) and NaN: PyTorch's values and
    slopes, bit for bit: 0 for |d| at 0 (its sign), +-1 (+-delta) at |d| = beta from either
    side, the L1 loss for beta = 0, and NaN passed on by smooth L1 and Huber but not by L1."""
    g = golden("nn")
    assert np.array_equal(
        g["kinks.input"] - g["kinks.target"], [-2, -0.5, -0.25, 0, 0.25, 0.5, 2, np.nan], True
    )
    x, target = t(g["kinks.input"], grad=True), t(g["kinks.target"], grad=True)
    loss = KINK_LOSSES[name](x, target)
    loss.backward(mc.tensor(g["kinks.gy"]))
    np.testing.assert_array_equal(loss.numpy(), g[f"kinks.{name}.loss"])
    np.testing.assert_array_equal(x.grad.numpy(), g[f"kinks.{name}.ginput"])
    np.testing.assert_array_equal(target.grad.numpy(), g[f"kinks.{name}.gtarget"])


@pytest.mark.parametrize("loss", [F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.mse_loss])
def test_reductions_sum_then_divide_and_keep_elements_with_none(loss, rng, t):
    a, b = rng.standard_normal((3, 5)) * 2, rng.standard_normal((3, 5))
    each = loss(t(a), t(b), reduction="none").numpy()
    assert each.shape == (3, 5) and (each > 0).all()
    assert loss(t(a), t(b), reduction="sum").item() == each.sum()  # not mean * n
    assert loss(t(a), t(b)).item() == each.sum() / 15
    x = t(a, grad=True)
    loss(x, t(b), reduction="sum").backward()
    summed = x.grad.numpy()
    x.grad = None
    loss(x, t(b)).backward()
    np.testing.assert_allclose(x.grad.numpy(), summed / 15, rtol=1e-15)


@pytest.mark.parametrize("loss", [F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.mse_loss])
def test_empty_input_mean_is_nan_and_sum_is_zero_silently(loss):
    x = mc.zeros(0, dtype=mc.float64, requires_grad=True)
    with np.errstate(all="raise"):
        mean = loss(x, mc.zeros(0, dtype=mc.float64))
        mean.backward()
        assert np.isnan(mean.item()) and x.grad.shape == (0,)
        assert loss(x, mc.zeros(0, dtype=mc.float64), reduction="sum").item() == 0.0


def test_huber_is_delta_times_smooth_l1_with_beta_delta(rng, t):
    a, b = t(rng.standard_normal((4, 6)) * 3), t(rng.standard_normal((4, 6)))
    for delta in (0.3, 1.0, 2.5):
        huber = F.huber_loss(a, b, reduction="none", delta=delta).numpy()
        smooth = F.smooth_l1_loss(a, b, reduction="none", beta=delta).numpy()
        np.testing.assert_allclose(huber, delta * smooth, rtol=1e-14)
    np.testing.assert_array_equal(
        F.smooth_l1_loss(a, b, beta=0.0).numpy(), F.l1_loss(a, b).numpy()
    )  # beta = 0: the L1 loss itself


def test_no_overflow_on_the_linear_side(t):
    """The square of a |d| past beta is never needed: 1e200 gives a loss of 1e200, quietly."""
    x, zero = t([1e200, -1e300], grad=True), t([0.0, 0.0])
    with np.errstate(over="raise", invalid="raise"):
        np.testing.assert_allclose(F.smooth_l1_loss(x, zero, reduction="none").numpy(), [1e200, 1e300])
        np.testing.assert_allclose(F.huber_loss(x, zero, reduction="none", delta=2.0).numpy(), [2e200, 2e300])
        F.huber_loss(x, zero, reduction="sum", delta=2.0).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -2.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "module", [nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss, nn.MSELoss], ids=lambda m: m.__name__
)
def test_float32_stays_float32_and_agrees_with_float64(module, reduction, rng):
    a, b = rng.standard_normal((4, 5)) * 2, rng.standard_normal((4, 5))
    results = {}
    for dtype in (np.float32, np.float64):
        x, y = mc.tensor(a.astype(dtype), requires_grad=True), mc.tensor(b.astype(dtype), requires_grad=True)
        loss = module(reduction=reduction)(x, y)
        loss.backward(mc.tensor(np.ones(loss.shape, dtype=dtype)))
        assert loss.dtype == dtype and x.grad.dtype == dtype and y.grad.dtype == dtype
        results[dtype] = loss.numpy(), x.grad.numpy(), y.grad.numpy()
    for got, want in zip(results[np.float32], results[np.float64]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_modules_pass_their_settings_and_gradcheck(rng, t):
    a = rng.standard_normal((3, 4)) * 2
    b = a - np.where(rng.random((3, 4)) < 0.5, -1, 1) * rng.uniform(0.2, 0.6, (3, 4))  # |d| off 0, 0.7
    a[0] += 3  # and some |d| past every threshold below
    x, y = t(a, grad=True), t(b, grad=True)
    for module, fn in [
        (nn.L1Loss(reduction="sum"), lambda x, y: F.l1_loss(x, y, reduction="sum")),
        (nn.SmoothL1Loss(beta=0.7), lambda x, y: F.smooth_l1_loss(x, y, beta=0.7)),
        (nn.HuberLoss("none", delta=0.7), lambda x, y: F.huber_loss(x, y, reduction="none", delta=0.7)),
    ]:
        np.testing.assert_array_equal(module(x, y).numpy(), fn(x, y).numpy())
        assert mc.gradcheck(module, [x, y])


@pytest.mark.parametrize(
    "module, text",
    [
        (nn.L1Loss(), "L1Loss()"),
        (nn.SmoothL1Loss(beta=0.5), "SmoothL1Loss()"),
        (nn.HuberLoss("sum"), "HuberLoss()"),
    ],
)
def test_reprs_are_pytorchs(module, text):
    assert repr(module) == text


def test_bad_arguments_name_the_loss_what_it_expected_and_what_it_got():
    a, b = mc.randn(2, 3), mc.randn(3, 2)
    with pytest.raises(ValueError, match=r"^l1_loss: input \(2, 3\) and target \(3, 2\) differ$"):
        F.l1_loss(a, b)
    with pytest.raises(ValueError, match=r"^SmoothL1Loss: input \(2, 3\) and target \(3, 2\) differ$"):
        nn.SmoothL1Loss()(a, b)
    with pytest.raises(TypeError, match=r"^huber_loss: x is float32 but target is float64"):
        F.huber_loss(a, mc.randn(2, 3, dtype=mc.float64))
    with pytest.raises(TypeError, match=r"^L1Loss: target must be a floating-point tensor, got dtype int64$"):
        nn.L1Loss()(a, mc.tensor(np.ones((2, 3), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"^HuberLoss: reduction must be one of .*, got 'avg'$"):
        nn.HuberLoss(reduction="avg")
    with pytest.raises(ValueError, match=r"^smooth_l1_loss: reduction must be one of"):
        F.smooth_l1_loss(a, a, reduction="elementwise")
    with pytest.raises(
        ValueError, match=r"^SmoothL1Loss: beta must be non-negative \(0 is the L1 loss\), got -1.0$"
    ):
        nn.SmoothL1Loss(beta=-1.0)
    with pytest.raises(ValueError, match=r"^smooth_l1_loss: beta must be non-negative .*, got nan$"):
        F.smooth_l1_loss(a, a, beta=float("nan"))
    with pytest.raises(ValueError, match=r"^HuberLoss: delta must be positive, got 0$"):
        nn.HuberLoss(delta=0)
    with pytest.raises(ValueError, match=r"^huber_loss: delta must be positive, got -0.5$"):
        F.huber_loss(a, a, delta=-0.5)
    with pytest.raises(TypeError, match=r"^SmoothL1Loss: beta must be a real number, got '1'$"):
        nn.SmoothL1Loss(beta="1")


@pytest.mark.parametrize("name, setting", [("smooth_l1_loss", "beta"), ("huber_loss", "delta")])
def test_a_numpy_float64_setting_keeps_float32_values_and_gradients(name, setting, rng):
    x = mc.tensor(rng.standard_normal(6).astype(np.float32), requires_grad=True)
    y = mc.tensor(rng.standard_normal(6).astype(np.float32))
    for reduction in ("none", "mean"):
        x.grad = None
        out = getattr(F, name)(x, y, reduction=reduction, **{setting: np.float64(rng.uniform(0.5, 2.0))})
        out.sum().backward()
        assert out.dtype == x.grad.dtype == np.float32, reduction


@pytest.mark.parametrize("module", [nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss])
def test_a_positional_reduction_is_refused_where_pytorch_reads_it_as_size_average(module):
    name = module.__name__
    said = rf"^{name}: reduction is given by keyword \({name}\(reduction='sum'\)\); PyTorch reads"
    with pytest.raises(TypeError, match=said):
        module("sum")
    assert module(reduction="sum").reduction == "sum"
    assert nn.HuberLoss("sum", 0.5).delta == 0.5  # PyTorch's HuberLoss takes both by position


def test_huber_loss_takes_reduction_and_delta_by_position_as_pytorch(rng):
    x, y = (mc.tensor(rng.standard_normal(5)) for _ in range(2))
    by_position = F.huber_loss(x, y, "sum", 0.5).item()
    assert by_position == F.huber_loss(x, y, reduction="sum", delta=0.5).item()
