"""Reductions (sum, mean, max, min, logsumexp, norm): ties, infinities, the zero vector.

The registry specs of this family are checked in test_registry.py; empty inputs in
test_reduce_empty.py; the ops that move elements in test_shape_ops.py.
"""

import warnings

import numpy as np
import pytest

import minicnn as mc

# --- reductions -------------------------------------------------------------------


def test_axis_is_an_alias_of_dim():
    x = mc.randn(2, 3, 4, dtype=mc.float64, seed=0)
    for name in ("sum", "mean", "amax", "amin"):
        by_dim = getattr(x, name)(dim=(0, 2), keepdim=True)
        by_axis = getattr(x, name)(axis=(0, 2), keepdim=True)
        assert by_axis.shape == by_dim.shape == (1, 3, 1)
        np.testing.assert_array_equal(by_axis.numpy(), by_dim.numpy())


def test_amax_ties_share_the_gradient_evenly():
    x = mc.tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]]), requires_grad=True)
    x.amax(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [0.5, 0, 0.5]])


def test_max_along_a_dim_is_pytorchs_values_and_indices():
    """torch.max(x, dim): a (values, indices) pair that unpacks, as in _, pred = out.max(1);
    the gradient goes whole to the index returned: the first of tied maxima, or a NaN."""
    x = mc.tensor(np.array([[1.0, 3.0, 3.0], [np.nan, 0.0, 2.0]]), requires_grad=True)
    values, indices = x.max(1)
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    np.testing.assert_array_equal(values.numpy(), [3.0, np.nan])
    (values * mc.tensor([1.0, 2.0], dtype=mc.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [2, 0, 0]])
    low = mc.min(mc.tensor([[3.0, 1.0], [0.0, 5.0]]), dim=0, keepdim=True)
    assert low.values.shape == low.indices.shape == (1, 2) and low.indices.tolist() == [[1, 0]]
    assert mc.tensor([3.0, 7.0]).max().item() == 7.0  # over everything: the value alone
    with pytest.raises(TypeError, match=r"max: dim must be one int, got \(0, 1\); for several dims use amax"):
        x.max(dim=(0, 1))


def test_min_over_everything_is_a_scalar():
    x = mc.tensor(np.array([[4.0, -2.0], [3.0, 1.0]]), requires_grad=True)
    y = mc.min(x)
    assert y.shape == () and y.item() == -2.0
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1], [0, 0]])


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_of_everything_with_nans_gives_the_nans_the_gradient_as_pytorch(name):
    """torch.max(x) of a tensor holding NaN is NaN, and its NaNs share gy (PyTorch's values)."""
    x = mc.tensor([1.0, np.nan, 3.0, np.nan], dtype=mc.float64, requires_grad=True)
    y = getattr(x, name)()
    assert np.isnan(y.item())
    (y * 4).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 2, 0, 2])
    rows = mc.tensor([[1.0, np.nan], [3.0, 4.0]], dtype=mc.float64, requires_grad=True)
    rows.amax(1).sum().backward()  # along a dim, as torch.amax: the NaN row's gradient is NaN
    assert np.isnan(rows.grad.numpy()[0]).all() and rows.grad.numpy()[1].tolist() == [0, 1]


def test_mean_gradient_is_one_over_count():
    x = mc.tensor(np.zeros((2, 5)), requires_grad=True)
    x.mean(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 5), 0.2), rtol=1e-15)


# --- logsumexp and norm: infinities, the zero vector, ties ----------------------------

NAN, INF = np.nan, np.inf


def test_logsumexp_is_stable_and_follows_pytorch_at_infinities(t):
    assert mc.logsumexp(t([1000.0, 1000.0]), 0).item() == pytest.approx(1000.6931471805599, abs=1e-12)
    cases = [  # x, y, gradient of y
        ([-INF, -INF], -INF, [NAN, NAN]),
        ([INF, 1.0], INF, [NAN, 0.0]),
        ([-INF, 1.0], 1.0, [0.0, 1.0]),
    ]
    for values, y, grad in cases:
        x = t(values, grad=True)
        out = x.logsumexp(0)
        assert out.item() == y
        out.backward()
        np.testing.assert_array_equal(x.grad.numpy(), grad)
    assert mc.logsumexp(mc.zeros(2, 0), 1).tolist() == [-INF, -INF]
    ints = mc.logsumexp(mc.tensor([1, 2]), 0)
    assert ints.dtype == np.float32 and ints.item() == pytest.approx(2.3132617)
    assert mc.logsumexp(mc.tensor([[1.0, 2.0], [3.0, 4.0]]), (0, 1)).item() == pytest.approx(4.4401897)


@pytest.mark.parametrize(
    "p, y, grad",
    [
        (1, [7, 0], [[1, -1], [0, 0]]),
        (2, [5, 0], [[0.6, -0.8], [0, 0]]),  # the zero vector's gradient is 0
        ("fro", [5, 0], [[0.6, -0.8], [0, 0]]),
        (INF, [4, 0], [[0, -1], [0, 0]]),
    ],
)
def test_norm_values_and_gradients_at_the_zero_vector(t, p, y, grad):
    x = t([[3.0, -4.0], [0.0, 0.0]], grad=True)
    out = mc.norm(x, p=p, dim=1)
    np.testing.assert_allclose(out.numpy(), y, rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), grad, rtol=1e-15)


@pytest.mark.parametrize(
    "shape, dim", [((1, 4), 0), ((3, 1, 2), 1), ((2, 1, 1), (1, 2)), ((1,), None), ((), None)]
)
def test_a_2_norm_of_one_value_is_its_magnitude_even_past_the_squares_range(shape, dim, rng):
    """PyTorch's: over a dim of size 1 the 2-norm is |x|, not sqrt(x^2), which overflows past
    1.8e19 in float32; the gradient is sign(x). Several values square and overflow, silently."""
    x = (rng.choice([-1.0, 1.0], shape) * 1e20).astype(np.float32)
    xt = mc.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = mc.norm(xt, 2, dim)
        y.sum().backward()
        assert mc.norm(mc.tensor(np.full(2, 1e20, np.float32))).item() == np.inf
    np.testing.assert_array_equal(y.numpy(), np.abs(x).reshape(y.shape))
    np.testing.assert_array_equal(xt.grad.numpy(), np.sign(x))


def test_norm_inf_ties_share_the_gradient_and_bad_input_is_refused(t):
    x = t([3.0, -3.0, 1.0], grad=True)
    y = x.norm(INF)
    y.backward()
    assert y.item() == 3.0
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, -0.5, 0.0])
    assert t([[3.0, 4.0]]).norm().item() == 5.0 and t([[3.0, 4.0]]).norm(dim=(0, 1), keepdim=True).shape == (
        1,
        1,
    )
    assert mc.tensor([3.0, 4.0]).norm(dtype=mc.float64).dtype == np.float64
    with pytest.raises(TypeError, match="norm: expected a floating-point tensor, got int64"):
        mc.tensor([1, 2]).norm()
    with pytest.raises(ValueError, match=r"norm: p must be 1, 2, 'fro' or float\('inf'\), got 3"):
        mc.norm(mc.tensor([1.0, 2.0]), p=3)
    with pytest.raises(ValueError, match=r"norm: the inf norm \(a max\) of an empty dim has no value"):
        mc.norm(mc.zeros(2, 0), INF, dim=1)


KEEPDIM_CALLS = {
    "sum": lambda x, v: x.sum(1, keepdim=v),
    "mean": lambda x, v: mc.mean(x, 1, keepdim=v),
    "amax": lambda x, v: x.amax(1, keepdim=v),
    "amin": lambda x, v: x.amin(1, keepdim=v),
    "max": lambda x, v: x.max(1, keepdim=v),
    "min": lambda x, v: mc.min(x, 1, keepdim=v),
    "argmax": lambda x, v: x.argmax(1, keepdim=v),
    "argmin": lambda x, v: mc.argmin(x, 1, keepdim=v),
    "var": lambda x, v: x.var(1, keepdim=v),
    "std": lambda x, v: mc.std(x, 1, keepdim=v),
    "prod": lambda x, v: x.prod(1, keepdim=v),
    "all": lambda x, v: (x > 0).all(1, keepdim=v),
    "any": lambda x, v: (x > 0).any(1, keepdim=v),
    "logsumexp": lambda x, v: x.logsumexp(1, keepdim=v),
    "norm": lambda x, v: x.norm(2, 1, keepdim=v),
}


@pytest.mark.parametrize("name", KEEPDIM_CALLS)
@pytest.mark.parametrize(
    "value, shown", [(1, "int 1"), (0, "int 0"), ("yes", "str 'yes'"), (np.True_, "numpy")]
)
def test_a_keepdim_that_is_no_bool_is_refused_as_pytorch_refuses_it(name, value, shown):
    """PyTorch: "sum(): argument 'keepdim' must be bool, not int"; minicnn kept the dim for 1."""
    x = mc.tensor(np.random.default_rng(4507).normal(size=(2, 3)).astype(np.float32))
    with pytest.raises(TypeError, match=rf"^{name}: keepdim must be a bool \(True or False\), got {shown}"):
        KEEPDIM_CALLS[name](x, value)
    kept = KEEPDIM_CALLS[name](x, True)
    assert (kept.values if name in ("max", "min") else kept).shape == (2, 1)  # (True is taken)
