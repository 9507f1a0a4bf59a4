"""Layer norm and group norm: gradients, PyTorch's numbers, how they relate, bad input."""

import warnings

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn.functional import sample_norm

# --- registry: op specs for gradcheck ---------------------------------------
# name -> (fn of the tensors, one draw per input: rng -> array). Each case draws from the
# test case's own generator (the rng fixture).


def normal(*shape):
    return lambda rng: rng.standard_normal(shape) * 1.5 + 0.2


def scale(*shape):
    """A weight away from zero, of either sign."""
    return lambda rng: rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def with_constant(*shape, at):
    """Normal values, but those at index ``at`` all equal (a row or group of zero variance)."""

    def draw(rng):
        x = normal(*shape)(rng)
        x[at] = 0.7
        return x

    return draw


def _ln(normalized_shape):
    return lambda x, *wb: F.layer_norm(x, normalized_shape, *wb)


def _gn(num_groups):
    return lambda x, *wb: F.group_norm(x, num_groups, *wb)


GRADCHECK = {
    "ln_2d_affine": (_ln(5), [normal(4, 5), scale(5), normal(5)]),
    "ln_2d_constant_row": (_ln((5,)), [with_constant(4, 5, at=1), scale(5), normal(5)]),
    "ln_4d_over_chw": (_ln((3, 2, 2)), [normal(2, 3, 2, 2), scale(3, 2, 2), normal(3, 2, 2)]),
    "ln_4d_over_hw_constant_row": (
        _ln([2, 3]),
        [with_constant(2, 3, 2, 3, at=(1, 2)), scale(2, 3), normal(2, 3)],
    ),
    "ln_3d_weight_only": (_ln(4), [normal(2, 3, 4), scale(4)]),
    "ln_plain": (_ln(4), [normal(3, 4)]),
    "gn_one_group": (_gn(1), [normal(2, 4, 2, 2), scale(4), normal(4)]),
    "gn_group_per_channel": (_gn(3), [normal(2, 3, 2, 2), scale(3), normal(3)]),
    "gn_group_per_channel_constant_channel": (
        _gn(3),
        [with_constant(2, 3, 4, at=(1, 0)), scale(3), normal(3)],
    ),
    "gn_two_groups_constant_group": (
        _gn(2),
        [with_constant(2, 4, 3, at=(1, slice(0, 2))), scale(4), normal(4)],
    ),
    "gn_2d": (_gn(2), [normal(3, 6), scale(6), normal(6)]),
    "gn_plain": (_gn(2), [normal(2, 4, 2, 2)]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name, rng, t):
    fn, draws = GRADCHECK[name]
    inputs = [t(draw(rng), grad=True) for draw in draws]
    assert mc.gradcheck(fn, inputs)


def test_a_constant_row_gives_zeros_and_a_finite_gradient(t):
    x = t(np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 6.0]]), grad=True)
    y = F.layer_norm(x, 3)
    y.backward(np.array([[1.0, -2.0, 0.5], [0.0, 0.0, 0.0]]))
    np.testing.assert_array_equal(y.numpy()[0], 0.0)
    # var = 0: gx = (gy - mean(gy)) / sqrt(eps), the mean of gy (-1/6) taken out
    np.testing.assert_allclose(x.grad.numpy()[0], (np.array([1.0, -2.0, 0.5]) + 1 / 6) / np.sqrt(1e-5))


def test_only_requested_gradients_are_computed(rng, t):
    x = t(rng.standard_normal((2, 4, 3)))
    w, b = t(rng.standard_normal(4), grad=True), t(rng.standard_normal(4))
    F.group_norm(x, 2, w, b).sum().backward()
    assert x.grad is None and b.grad is None and w.grad.shape == (4,)
    w2 = t(rng.standard_normal(3))
    x2 = t(rng.standard_normal((2, 3)), grad=True)
    F.layer_norm(x2, 3, w2).sum().backward()
    assert x2.grad.shape == (2, 3) and w2.grad is None


# --- against PyTorch --------------------------------------------------------
# tests/fixtures/gen_norm.py: name -> (normalized_shape or num_groups, weight, bias)

LN_GOLDEN = {
    "ln_2d": ((6,), True, True),
    "ln_4d_chw": ((3, 4, 5), True, True),
    "ln_3d_last": ((8,), True, False),
    "ln_noaffine": ((2, 4), False, False),
}
GN_GOLDEN = {
    "gn_4d": (3, True, True),
    "gn_one_group": (1, True, True),
    "gn_group_per_channel": (4, True, True),
    "gn_3d": (2, True, True),
    "gn_2d": (3, True, True),
    "gn_noaffine": (2, False, False),
}
# float64 as PyTorch's to its last digits; float32 against PyTorch's float64, as for BN's sums
TOLERANCES = {np.float64: dict(rtol=1e-7, atol=1e-12), np.float32: dict(rtol=5e-3, atol=5e-4)}


def _run_golden(g, name, op, arg, weight, bias, dtype, t):
    x = t(g[f"{name}_x"], True, dtype)
    w = t(g[f"{name}_w"], True, dtype) if weight else None
    b = t(g[f"{name}_b"], True, dtype) if bias else None
    y = op(x, arg, w, b, eps=1e-5)
    y.backward(g[f"{name}_gy"].astype(dtype))
    got = {"y": y, "gx": x.grad, "gw": w.grad if weight else None, "gb": b.grad if bias else None}
    for key, value in got.items():
        if value is not None:
            assert value.dtype == dtype, f"{key} is {value.dtype}"
            np.testing.assert_allclose(value.numpy(), g[f"{name}_{key}"], err_msg=key, **TOLERANCES[dtype])
    return got


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(LN_GOLDEN))
def test_layer_norm_matches_pytorch(golden, name, dtype, t):
    normalized_shape, weight, bias = LN_GOLDEN[name]
    _run_golden(golden("norm"), name, F.layer_norm, normalized_shape, weight, bias, dtype, t)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(GN_GOLDEN))
def test_group_norm_matches_pytorch(golden, name, dtype, t):
    num_groups, weight, bias = GN_GOLDEN[name]
    _run_golden(golden("norm"), name, F.group_norm, num_groups, weight, bias, dtype, t)


# --- what they are ----------------------------------------------------------


def test_one_group_is_layer_norm_over_chw(rng, t):
    """GroupNorm(1, C) = LayerNorm((C, H, W)) whose weight and bias are the per-channel ones
    broadcast over H and W: the same output and input gradient, and the LayerNorm's parameter
    gradients summed over H, W are the GroupNorm's."""
    x_, gy = rng.standard_normal((3, 4, 2, 5)) * 2 + 1, rng.standard_normal((3, 4, 2, 5))
    w_, b_ = rng.standard_normal(4), rng.standard_normal(4)
    xg, wg, bg = t(x_, True), t(w_, True), t(b_, True)
    xl = t(x_, True)
    wl, bl = (t(np.broadcast_to(a[:, None, None], (4, 2, 5)), True) for a in (w_, b_))
    yg, yl = F.group_norm(xg, 1, wg, bg), F.layer_norm(xl, (4, 2, 5), wl, bl)
    yg.backward(gy)
    yl.backward(gy)
    np.testing.assert_allclose(yg.numpy(), yl.numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(xg.grad.numpy(), xl.grad.numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(wg.grad.numpy(), wl.grad.numpy().sum(axis=(1, 2)), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(bg.grad.numpy(), bl.grad.numpy().sum(axis=(1, 2)), rtol=1e-12, atol=1e-13)


def test_a_group_per_channel_is_instance_norm(rng, t):
    """GroupNorm(C, C): each (sample, channel) plane standardized alone, then the channel's affine."""
    x_ = rng.standard_normal((2, 3, 4, 3)) * 3 - 1
    w_, b_ = rng.standard_normal(3), rng.standard_normal(3)
    want = np.empty_like(x_)
    for n in range(2):
        for c in range(3):
            plane = x_[n, c]
            mean = plane.sum() / plane.size
            var = ((plane - mean) ** 2).sum() / plane.size
            want[n, c] = (plane - mean) / np.sqrt(var + 1e-5) * w_[c] + b_[c]
    got = F.group_norm(t(x_), 3, t(w_), t(b_)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_each_sample_alone_gives_the_same_answer(rng, t):
    """No statistic crosses the batch: a sample's output does not depend on the others."""
    x = rng.standard_normal((4, 6, 3))
    whole_gn, whole_ln = F.group_norm(t(x), 3).numpy(), F.layer_norm(t(x), (6, 3)).numpy()
    for n in range(4):
        np.testing.assert_allclose(F.group_norm(t(x[n : n + 1]), 3).numpy()[0], whole_gn[n], rtol=1e-13)
        np.testing.assert_allclose(F.layer_norm(t(x[n : n + 1]), (6, 3)).numpy()[0], whole_ln[n], rtol=1e-13)


def test_float32_statistics_far_from_zero_are_float32_exact():
    """Rows of mean 1e4 and spread 0.5: summed in float64, the float32 mean and variance are
    the exact ones to float32's rounding (float32 sums drift further from them)."""
    x = (1e4 + 0.5 * np.random.default_rng(47).standard_normal((3, 4096))).astype(np.float32)
    exact = x.astype(np.float64)
    mean = sample_norm.row_mean(x)
    assert mean.dtype == np.float32
    np.testing.assert_allclose(mean[:, 0], exact.mean(axis=1), rtol=1e-7)
    _, invstd = sample_norm.standardize_rows(x, 1e-5)
    var = 1 / invstd.astype(np.float64) ** 2 - 1e-5
    np.testing.assert_allclose(var[:, 0], exact.var(axis=1), rtol=1e-6)


def test_non_contiguous_inputs_give_the_contiguous_answer(rng, t):
    gy = rng.standard_normal((2, 3, 4, 5))
    for op in (lambda x: F.layer_norm(x, (4, 5)), lambda x: F.group_norm(x, 3)):
        base = t(rng.standard_normal((3, 2, 5, 4)), True)
        view = base.permute(1, 0, 3, 2)  # (2, 3, 4, 5), not contiguous
        assert not view.data.flags.c_contiguous
        dense = t(np.ascontiguousarray(view.data), True)
        y_view, y_dense = op(view), op(dense)
        y_view.backward(gy)
        y_dense.backward(gy)
        np.testing.assert_allclose(y_view.numpy(), y_dense.numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(
            base.grad.numpy().transpose(1, 0, 3, 2), dense.grad.numpy(), rtol=1e-12, atol=1e-14
        )


def test_empty_inputs_give_empty_outputs_without_warnings(t):
    """An empty batch, or rows of no values, as PyTorch: empty outputs, zero parameter gradients."""
    cases = [
        (lambda x, w: F.layer_norm(x, 4, w), (0, 4), (4,)),
        (lambda x, w: F.layer_norm(x, (2, 0), w), (3, 2, 0), (2, 0)),
        (lambda x, w: F.group_norm(x, 2, w), (0, 4, 3), (4,)),
        (lambda x, w: F.group_norm(x, 2, w), (2, 4, 0), (4,)),
    ]
    for op, shape, w_shape in cases:
        x, w = t(np.zeros(shape), True), t(np.ones(w_shape), True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = op(x, w)
            y.backward(np.zeros(shape))
        assert y.shape == shape and x.grad.shape == shape
        np.testing.assert_array_equal(w.grad.numpy(), np.zeros(w_shape))


# --- bad input --------------------------------------------------------------


def test_layer_norm_refuses_bad_input():
    x = mc.randn(2, 3)
    with pytest.raises(
        ValueError,
        match=r"layer_norm: normalized_shape \(4,\) must be x's last 1 dim\(s\): "
        r"expected x of shape \(\*, 4\), got \(2, 3\)",
    ):
        F.layer_norm(x, 4)
    with pytest.raises(
        ValueError, match=r"normalized_shape \(2, 2, 3\) .* expected x of shape \(\*, 2, 2, 3\), got \(2, 3\)"
    ):
        F.layer_norm(x, (2, 2, 3))  # more dims than x has
    with pytest.raises(
        ValueError, match=r"layer_norm: weight has shape \(4,\) but normalized_shape is \(3,\); x \(2, 3\)"
    ):
        F.layer_norm(x, 3, mc.ones(4))
    with pytest.raises(
        ValueError, match=r"layer_norm: bias has shape \(1, 3\) but normalized_shape is \(3,\)"
    ):
        F.layer_norm(x, 3, mc.ones(3), mc.zeros(1, 3))
    with pytest.raises(ValueError, match="layer_norm: eps must be a positive number, got 0"):
        F.layer_norm(x, 3, eps=0)
    with pytest.raises(ValueError, match="layer_norm: eps must be a positive number, got -1e-05"):
        F.layer_norm(x, 3, eps=-1e-5)
    with pytest.raises(TypeError, match="layer_norm: x must be a floating-point tensor, got dtype int64"):
        F.layer_norm(mc.tensor(np.ones((2, 3), dtype=np.int64)), 3)
    with pytest.raises(TypeError, match="layer_norm: x is float32 but weight is float64"):
        F.layer_norm(x, 3, mc.ones(3, dtype=mc.float64))
    with pytest.raises(
        ValueError, match=r"layer_norm: normalized_shape must name at least one dim, got \(\)"
    ):
        F.layer_norm(x, ())
    with pytest.raises(TypeError, match="layer_norm: normalized_shape must be an int or a sequence of ints"):
        F.layer_norm(x, 3.0)
    with pytest.raises(TypeError, match="layer_norm: weight must be a minicnn Tensor, got numpy.ndarray"):
        F.layer_norm(x, 3, np.ones(3, dtype=np.float32))


def test_group_norm_refuses_bad_input():
    x = mc.randn(2, 6, 3)
    with pytest.raises(
        ValueError, match=r"group_norm: num_groups=4 must divide the 6 channel\(s\) of x; x \(2, 6, 3\)"
    ):
        F.group_norm(x, 4)
    with pytest.raises(
        ValueError,
        match=r"group_norm: weight has shape \(3,\) but x has 6 channel\(s\), expected \(6,\); x \(2, 6, 3\)",
    ):
        F.group_norm(x, 3, mc.ones(3))
    with pytest.raises(
        ValueError, match=r"group_norm: bias has shape \(6, 1\) but x has 6 channel\(s\), expected \(6,\)"
    ):
        F.group_norm(x, 3, mc.ones(6), mc.zeros(6, 1))
    with pytest.raises(ValueError, match="group_norm: eps must be a positive number, got 0.0"):
        F.group_norm(x, 3, eps=0.0)
    with pytest.raises(ValueError, match="group_norm: eps must be a positive number, got nan"):
        F.group_norm(x, 3, eps=float("nan"))
    with pytest.raises(TypeError, match="group_norm: x must be a floating-point tensor, got dtype int32"):
        F.group_norm(mc.tensor(np.ones((2, 6), dtype=np.int32)), 3)
    with pytest.raises(
        ValueError, match=r"group_norm: expected an input of shape \(N, C, ...\), got shape \(6,\)"
    ):
        F.group_norm(mc.randn(6), 3)
    with pytest.raises(ValueError, match="group_norm: num_groups must be a positive int, got 0"):
        F.group_norm(x, 0)
    with pytest.raises(TypeError, match="group_norm: x is float32 but bias is float64"):
        F.group_norm(x, 3, None, mc.zeros(6, dtype=mc.float64))


def test_bad_input_is_refused_before_any_arithmetic(monkeypatch):
    def arithmetic(*args):
        raise AssertionError("normalized before the checks")

    monkeypatch.setattr(sample_norm, "standardize_rows", arithmetic)
    with pytest.raises(ValueError, match="eps"):
        F.layer_norm(mc.randn(2, 3), 3, eps=0)
    with pytest.raises(ValueError, match="num_groups"):
        F.group_norm(mc.randn(2, 6, 3), 4)
    with pytest.raises(AssertionError, match="normalized before the checks"):
        F.group_norm(mc.randn(2, 6, 3), 3)  # good input reaches the arithmetic
