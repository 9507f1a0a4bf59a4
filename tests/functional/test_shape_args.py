"""Sizes and dims that NumPy would take and PyTorch refuses: a size of -2 (NumPy's -1), a
dim named twice, a bool or float as a dim, keepdim without a dim, a Tensor for a list of
tensors. Each is refused in one line naming the op, what it expected and what it got."""

import numpy as np
import pytest

import minicnn as mc


def _x(seed, *shape):
    return mc.tensor(np.random.default_rng(seed).standard_normal(shape))


@pytest.mark.parametrize("op", ["reshape", "view"])
@pytest.mark.parametrize("shape, position", [((-2, 3), 0), ((3, -2), 1), ((-3, -1), 0)])
def test_a_negative_size_other_than_minus_one_is_refused(op, shape, position):
    x = _x(51, 2, 3)
    message = (
        rf"^{op}: invalid size {shape[position]} at index {position} of shape \({shape[0]}, {shape[1]}\); "
        r"expected sizes >= 0, or one -1 \(inferred\)$"
    )
    with pytest.raises(ValueError, match=message):
        getattr(x, op)(*shape)
    assert getattr(x, op)(-1, 3).shape == (2, 3) and getattr(x, op)((3, -1)).shape == (3, 2)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: x.reshape(-1, -1), ValueError, r"reshape: only one size can be -1 \(inferred\)"),
        (lambda x: x.reshape(2.0, 3), TypeError, r"reshape: expected sizes .* got float 2.0 at index 0"),
        (lambda x: x.view(6, True), TypeError, r"view: expected sizes .* got bool True at index 1"),
        (lambda x: x.reshape(), TypeError, r"reshape: expected sizes, got none \(for a 0-d"),
        (lambda x: x.repeat(), TypeError, r"repeat: expected counts, got none"),
        (lambda x: x.permute(), TypeError, r"permute: expected dims, got none"),
        (lambda x: x.expand(), TypeError, r"expand: expected sizes, got none"),
        (lambda x: x.expand(2.0, 3), TypeError, r"expand: expected sizes .* got float 2.0 at index 0"),
        (lambda x: x.repeat(-1, 1), ValueError, r"repeat: counts must not be negative, got \(-1, 1\)"),
        (lambda x: x.repeat(1, True), TypeError, r"repeat: expected counts .* got bool True at index 1"),
        (lambda x: x.split(2.0, 1), TypeError, r"split: expected split_sizes that are ints, got float 2.0"),
        (lambda x: x.split(True, 1), TypeError, r"split: expected split_sizes that are ints, got bool True"),
        (lambda x: x.split([True, 2], 1), TypeError, r"split: expected split sizes that are ints, got bool"),
        (lambda x: x.chunk(2.0), TypeError, r"chunk: expected chunk counts that are ints, got float 2.0"),
        (lambda x: mc.cat(x, 0), TypeError, r"cat: expected a list or tuple of tensors, got a Tensor"),
        (lambda x: mc.stack(x), TypeError, r"stack: expected a list or tuple of tensors, got a Tensor"),
    ],
)
def test_sizes_counts_and_lists_numpy_would_take_are_refused(call, error, message):
    with pytest.raises(error, match=f"^{message}"):
        call(_x(52, 2, 3))


def test_the_refused_shapes_have_accepted_neighbours():
    x = _x(53, 2, 3)
    assert x.reshape(np.int64(6)).shape == (6,) and mc.tensor(5.0).reshape(()).shape == ()
    assert x.repeat(0, 2).shape == (0, 6) and x.expand(-1, np.int64(3)).shape == (2, 3)
    assert [p.shape for p in x.split(np.int64(2), 1)] == [(2, 2), (2, 1)]
    assert mc.cat((x, x), 1).shape == (2, 6) and mc.cat(t for t in (x, x)).shape == (4, 3)


@pytest.mark.parametrize(
    "call, name, dims",
    [
        (lambda x: x.squeeze((0, 0)), "squeeze", r"\(0, 0\)"),
        (lambda x: x.squeeze((0, -3)), "squeeze", r"\(0, -3\)"),
        (lambda x: x.sum(dim=(0, -3)), "sum", r"\(0, -3\)"),
        (lambda x: x.mean((2, 0, 2)), "mean", r"\(2, 0, 2\)"),
        (lambda x: x.amax((0, 0)), "amax", r"\(0, 0\)"),
        (lambda x: x.var((1, -2)), "var", r"\(1, -2\)"),
        (lambda x: x.norm(dim=[0, 0]), "norm", r"\(0, 0\)"),
        (lambda x: x.logsumexp((0, 0)), "logsumexp", r"\(0, 0\)"),
    ],
)
def test_a_dim_named_twice_is_refused(call, name, dims):
    message = rf"^{name}: dim \d appears more than once in the dims given, {dims}$"
    with pytest.raises(ValueError, match=message):
        call(_x(54, 1, 3, 1))


def test_squeeze_of_distinct_dims_still_squeezes_each():
    x = _x(55, 1, 3, 1)
    assert x.squeeze((0, 2)).shape == (3,) and x.squeeze((0, 1)).shape == (3, 1)
    assert x.squeeze(()).shape == x.shape


@pytest.mark.parametrize("dim", [True, 1.0, np.float64(0)])
@pytest.mark.parametrize(
    "name, call",
    [
        ("sum", lambda x, d: x.sum(d)),
        ("squeeze", lambda x, d: x.squeeze(d)),
        ("unsqueeze", lambda x, d: x.unsqueeze(d)),
        ("transpose", lambda x, d: x.transpose(d, 0)),
        ("cumsum", lambda x, d: x.cumsum(d)),
        ("cat", lambda x, d: mc.cat([x, x], d)),
        ("all", lambda x, d: x.all(d)),
    ],
)
def test_a_bool_or_float_dim_is_refused_where_numpy_would_take_true_as_1(name, call, dim):
    with pytest.raises(TypeError, match=rf"^{name}: dim must be an int, got (bool|float|numpy.float64) "):
        call(_x(56, 2, 3), dim)


def test_an_integer_like_dim_is_still_a_dim():
    x = _x(57, 2, 3)
    np.testing.assert_allclose(x.sum(np.int64(1)).numpy(), x.numpy().sum(1))
    np.testing.assert_allclose(x.sum(mc.tensor(-1)).numpy(), x.numpy().sum(-1))
    assert x.unsqueeze(np.int32(0)).shape == (1, 2, 3)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x: x.max(keepdim=True), r"max: keepdim=True needs a dim \(as PyTorch\); use amax"),
        (lambda x: x.min(None, True), r"min: keepdim=True needs a dim \(as PyTorch\); use amin"),
        (lambda x: x.prod(keepdim=True), r"prod: keepdim=True needs a dim \(as PyTorch\), one int"),
    ],
)
def test_keepdim_without_a_dim_is_refused_where_pytorch_refuses_it(call, message):
    with pytest.raises(TypeError, match=f"^{message}"):
        call(_x(58, 2, 3))


def test_keepdim_with_dim_none_or_where_pytorch_takes_it_keeps_every_dim():
    x = _x(59, 2, 3)
    total = x.numpy().sum()
    np.testing.assert_allclose(x.sum(None, keepdim=True).numpy(), [[total]])
    np.testing.assert_allclose(x.mean(dim=None, keepdim=True).numpy(), [[total / 6]])
    np.testing.assert_allclose(x.sum(axis=(0, 1), keepdim=True).numpy(), [[total]])
    assert x.amax(keepdim=True).shape == x.var(keepdim=True).shape == x.norm(keepdim=True).shape == (1, 1)
    assert x.sum(keepdim=False).shape == ()
    assert x.sum(keepdim=True).shape == mc.mean(x, keepdim=True).shape == (1, 1)
