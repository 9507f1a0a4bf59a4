"""F.instance_norm beyond the golden cases of tests/fixtures/gen_layers.py: the same numbers
as group norm with a group per channel and as the plain loops of
kernels/reference_sample_norm.py, the running statistics it updates, and bad input."""

import warnings

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn.kernels import reference_sample_norm as reference

RTOL = {np.float64: 1e-12, np.float32: 1e-5}  # same dtype, two implementations


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape, affine", [((2, 3, 4, 5), True), ((3, 2, 7), False), ((1, 4, 2, 2, 2), True)])
def test_equals_group_norm_per_channel_and_the_loops(shape, affine, dtype, rng):
    c = shape[1]
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    x[0, 0] = 1.5  # a constant plane: zero variance
    gy = rng.standard_normal(shape).astype(dtype)
    w, b = (
        (rng.uniform(0.5, 2.0, c).astype(dtype), rng.standard_normal(c).astype(dtype))
        if affine
        else (None, None)
    )
    results = []
    for op in (F.instance_norm, lambda t, weight, bias: F.group_norm(t, c, weight, bias)):
        xt, wt, bt = (None if a is None else mc.tensor(a, requires_grad=True) for a in (x, w, b))
        y = op(xt, weight=wt, bias=bt)
        y.backward(mc.tensor(gy))
        results.append([y.numpy(), xt.grad.numpy()] + ([wt.grad.numpy(), bt.grad.numpy()] if affine else []))
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)  # one code path
    ncm = lambda a: a.reshape(shape[0], c, -1)
    want = [reference.group_norm(ncm(x), c, w, b, 1e-5).reshape(shape)]
    gx, gw, gb = reference.group_norm_grads(ncm(gy), ncm(x), c, w, 1e-5)
    want += [gx.reshape(shape)] + ([gw, gb] if affine else [])
    for what, got, expected in zip(("y", "gx", "gw", "gb"), results[0], want):
        assert got.dtype == dtype, what
        scale = np.abs(expected).max()
        np.testing.assert_allclose(got, expected, rtol=RTOL[dtype], atol=RTOL[dtype] * scale, err_msg=what)


def test_running_statistics_move_toward_the_average_instance_statistics(rng):
    """r = (1 - m) r + m mean_n(stat_nc), the variance unbiased, as PyTorch's; in place, in the
    running arrays' own dtype, the Tensors of a module's buffers too."""
    rm, rv = mc.tensor(np.zeros(3, np.float32)), np.ones(3)
    want_m, want_v = np.zeros(3), np.ones(3)
    for _ in range(2):
        x = rng.standard_normal((4, 3, 5, 2)) * 2 + 1
        F.instance_norm(mc.tensor(x), rm, rv, momentum=0.3)
        planes = x.reshape(4, 3, -1)
        want_m = 0.7 * want_m + 0.3 * planes.mean(axis=2).mean(axis=0)
        want_v = 0.7 * want_v + 0.3 * planes.var(axis=2, ddof=1).mean(axis=0)
    assert rm.dtype == np.float32 and rv.dtype == np.float64
    np.testing.assert_allclose(rm.numpy(), want_m, rtol=1e-6)
    np.testing.assert_allclose(rv, want_v, rtol=1e-12)


def test_without_input_stats_the_running_ones_normalize_and_stay(rng):
    x = rng.standard_normal((2, 3, 4))
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2.0, 3)
    before = rm.copy(), rv.copy()
    y = F.instance_norm(mc.tensor(x), rm, rv, use_input_stats=False, eps=1e-3)
    np.testing.assert_allclose(y.numpy(), (x - rm[:, None]) / np.sqrt(rv[:, None] + 1e-3), rtol=1e-12)
    np.testing.assert_array_equal(rm, before[0])
    np.testing.assert_array_equal(rv, before[1])
    # one value per plane is fine here, and eps 0 too: nothing is estimated from the input
    assert F.instance_norm(
        mc.zeros(2, 3, 1, 1), mc.zeros(3), mc.ones(3), use_input_stats=False, eps=0
    ).shape == (2, 3, 1, 1)


def test_an_empty_input_leaves_the_running_statistics(rng):
    rm, rv = np.zeros(3), np.ones(3)
    assert F.instance_norm(mc.zeros(0, 3, 4), rm, rv).shape == (0, 3, 4)
    assert F.instance_norm(mc.zeros(2, 3, 0), rm, rv).shape == (2, 3, 0)
    assert rm.tolist() == [0, 0, 0] and rv.tolist() == [1, 1, 1]


def test_no_channels_give_an_empty_result_as_pytorchs(rng):
    x = mc.tensor(rng.standard_normal((2, 0, 3, 3)), requires_grad=True)
    y = F.instance_norm(x)
    y.sum().backward()
    assert y.shape == x.grad.shape == (2, 0, 3, 3)
    for use in (True, False):
        assert F.instance_norm(x, np.zeros(0), np.ones(0), use_input_stats=use).shape == (2, 0, 3, 3)


def test_an_empty_batch_with_an_affine_gives_an_empty_result(rng):
    """(PyTorch's fails inside with an IndexError here: it repeats weight and bias per sample.)"""
    x = mc.tensor(np.zeros((0, 3, 4)), requires_grad=True)
    y = F.instance_norm(x, weight=mc.tensor(rng.standard_normal(3)), bias=mc.zeros(3).double())
    y.sum().backward()
    assert y.shape == x.grad.shape == (0, 3, 4)


def test_infinite_and_huge_values_warn_of_nothing(rng):
    """An infinite value makes its plane NaN, and 1e200 squared overflows its variance to inf
    (its plane then 0, and 1e200 itself NaN), silently as in PyTorch; the other planes are
    untouched."""
    x = rng.standard_normal((2, 3, 4, 4))
    x[0, 1, 0, 0], x[1, 2, 0, 0] = np.inf, 1e200
    xt = mc.tensor(x, requires_grad=True)
    rm, rv = np.zeros(3), np.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.instance_norm(xt, rm, rv)
        y.backward(mc.tensor(rng.standard_normal(x.shape)))
    y = y.numpy()
    assert np.isnan(y[0, 1]).all() and np.isfinite(np.delete(y.reshape(6, -1), [1, 5], axis=0)).all()
    # PyTorch's running statistics: inf and NaN from the infinity, 3.1e197 and inf from 1e200
    assert rm[1] == np.inf and np.isnan(rv[1]) and rv[2] == np.inf
    np.testing.assert_allclose(rm[2], 0.1 * 1e200 / 32, rtol=1e-12)
    assert np.isfinite([rm[0], rv[0]]).all()


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda x: F.instance_norm(x[0, 0, 0]),
            ValueError,
            r"^instance_norm: expected an input of shape \(N, C, ...\)",
        ),
        (
            lambda x: F.instance_norm(x[:, :, :1, :1]),
            ValueError,
            r"Expected more than 1 spatial element when training, got input size \(2, 3, 1, 1\)",
        ),
        (lambda x: F.instance_norm(x[..., 0, 0]), ValueError, r"more than 1 spatial element"),
        (lambda x: F.instance_norm(x, mc.zeros(3)), ValueError, r"must either both be None or neither"),
        (
            lambda x: F.instance_norm(x, use_input_stats=False),
            ValueError,
            r"must be given when use_input_stats is False",
        ),
        (
            lambda x: F.instance_norm(x, mc.zeros(4), mc.ones(4)),
            ValueError,
            r"running_mean has shape \(4,\), expected \(3,\)",
        ),
        (lambda x: F.instance_norm(x, weight=mc.ones(4).double()), ValueError, r"weight has shape \(4,\)"),
        (lambda x: F.instance_norm(x, weight=mc.ones(3)), TypeError, r"x is float64 but weight is float32"),
        (lambda x: F.instance_norm(x, eps=0), ValueError, r"eps must be a positive number, got 0"),
        (lambda x: F.instance_norm(x.long()), TypeError, r"input must be a floating-point tensor"),
        (lambda x: F.instance_norm(x, use_input_stats=1), TypeError, r"use_input_stats must be True or"),
        (lambda x: F.instance_norm(x, use_input_stats=None), TypeError, r"got NoneType None"),
        (lambda x: F.instance_norm(x, use_input_stats=np.True_), TypeError, r"use_input_stats must be"),
        (
            lambda x: F.instance_norm(x, name="InstanceNorm2d at 'norm'", eps=-1),
            ValueError,
            r"^InstanceNorm2d at 'norm':",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line(call, error, message, rng):
    with pytest.raises(error, match=message):
        call(mc.tensor(rng.standard_normal((2, 3, 4, 5))))
