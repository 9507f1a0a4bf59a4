"""The pools on one image, an empty batch, an empty plane and an output size of 0, as PyTorch's."""

import numpy as np
import pytest
from pool_helpers import TIERS, pooled

import minicnn as mc
import minicnn.functional as F
from minicnn import nn


@pytest.mark.parametrize(
    "op",
    [
        lambda x: F.max_pool2d(x, 2),
        lambda x: F.avg_pool2d(x, 3, 2, 1),
        lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
        lambda x: F.adaptive_max_pool2d(x, (2, 3)),
        lambda x: F.conv2d(x, mc.tensor(np.random.default_rng(54).standard_normal((4, 3, 3, 3))), padding=1),
    ],
)
def test_one_image_is_pooled_and_convolved_as_a_batch_of_one_as_pytorch(op):
    image = mc.tensor(np.random.default_rng(55).standard_normal((3, 6, 7)), requires_grad=True)
    batch = mc.tensor(image.numpy()[None], requires_grad=True)
    y = op(image)
    np.testing.assert_array_equal(y.numpy(), op(batch).numpy()[0])
    weight = np.random.default_rng(56).standard_normal(y.shape)
    (y * mc.tensor(weight)).sum().backward()
    (op(batch) * mc.tensor(weight[None])).sum().backward()
    np.testing.assert_array_equal(image.grad.numpy(), batch.grad.numpy()[0])


def test_max_unpool2d_of_an_empty_batch_is_an_empty_batch_and_its_gradient_too():
    x = mc.randn(2, 3, 6, 6, seed=61)
    y, indices = F.max_pool2d(x, 2, return_indices=True)
    empty = mc.tensor(y.numpy()[:0], requires_grad=True)
    out = F.max_unpool2d(empty, mc.tensor(indices.numpy()[:0]), 2)
    assert out.shape == (0, 3, 6, 6)
    out.sum().backward()
    assert empty.grad.shape == (0, 3, 3, 3)


@pytest.mark.parametrize("name", ["adaptive_max_pool2d", "adaptive_avg_pool2d"])
def test_adaptive_pools_refuse_an_empty_plane_in_one_line(name):
    """As PyTorch's, whatever the output size: a window over nothing has no maximum nor mean."""
    for size in (2, 0):
        message = rf"^{name}: x (has an empty plane, shape|of shape) \(1, 1, 0, 4\)"
        with pytest.raises(ValueError, match=message):
            getattr(F, name)(mc.randn(1, 1, 0, 4, seed=62), size)


_NO_INDICES = mc.zeros(2, 3, 1, 1, dtype=mc.int64)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize(
    "call, shape",
    [  # PyTorch 2.13's shapes
        (lambda x: F.adaptive_max_pool2d(x, 0, return_indices=True), (2, 3, 0, 0)),
        (lambda x: F.adaptive_max_pool2d(x, (0, None), return_indices=True), (2, 3, 0, 4)),
        (lambda x: nn.AdaptiveMaxPool2d((2, 0))(x), (2, 3, 2, 0)),
        (lambda x: F.adaptive_max_pool2d(x[0], (0, 2)), (3, 0, 2)),
        (lambda x: F.adaptive_avg_pool2d(x, (None, 0)), (2, 3, 5, 0)),
        (lambda x: nn.AdaptiveAvgPool2d(0)(x), (2, 3, 0, 0)),
        # (H - 1)*stride - 2*padding + kernel_size = 0: no cell to write into
        (lambda x: F.max_unpool2d(x[:, :, :1, :1], _NO_INDICES, 2, 1, 1), (2, 3, 0, 0)),
        (lambda x: F.max_unpool2d(x[:, :, :1, :1], _NO_INDICES + 5, 2, 1, 1, (2, 3, 0, 0)), (2, 3, 0, 0)),
        (
            lambda x: nn.MaxUnpool2d(1, 1, (1, 0))(x[:, :, :2, :2], _NO_INDICES.expand(2, 3, 2, 2)),
            (2, 3, 0, 2),
        ),
    ],
)
def test_an_output_size_of_0_gives_an_empty_output_and_a_zero_gradient(call, shape, tier):
    """PyTorch's forward gives the empty output (empty int64 indices too, and an unpooling
    reads none of its indices, which point nowhere); its backward refuses the empty gradient,
    where minicnn gives x the gradient of a sum of nothing, 0."""
    x = mc.randn(2, 3, 5, 4, seed=63, dtype=mc.float64, requires_grad=True)
    with mc.use_kernels(tier):
        y, indices = pooled(call(x))
        assert y.shape == shape and y.dtype == np.float64 and y.requires_grad
        assert indices is None or (indices.shape == shape and indices.dtype == np.int64)
        (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3, 5, 4)))


_POOLS = {
    "max_pool2d": lambda x: F.max_pool2d(x, 2),
    "avg_pool2d": lambda x: F.avg_pool2d(x, 2, padding=1),
    "adaptive_avg_pool2d": lambda x: F.adaptive_avg_pool2d(x, 2),
    "adaptive_max_pool2d": lambda x: F.adaptive_max_pool2d(x, 2, return_indices=True),
    "max_unpool2d": lambda x: F.max_unpool2d(x, mc.zeros(*x.shape, dtype=mc.int64), 2),
}


@pytest.mark.parametrize(
    "name, shape, out",
    [  # PyTorch 2.13's output shapes, and (None) its refusals
        ("max_pool2d", (0, 3, 4, 4), (0, 3, 2, 2)),
        ("max_pool2d", (2, 0, 4, 4), None),
        ("max_pool2d", (0, 0, 4, 4), None),
        ("max_pool2d", (0, 4, 4), None),  # (one image of no channels)
        ("avg_pool2d", (0, 3, 4, 4), (0, 3, 3, 3)),
        ("avg_pool2d", (2, 0, 4, 4), None),
        ("avg_pool2d", (2, 3, 0, 4), None),  # (its padding would give a row of windows)
        ("avg_pool2d", (0, 4, 4), None),
        ("adaptive_avg_pool2d", (0, 3, 4, 4), (0, 3, 2, 2)),
        ("adaptive_avg_pool2d", (2, 0, 4, 4), (2, 0, 2, 2)),  # (only H and W are checked)
        ("adaptive_avg_pool2d", (0, 4, 4), (0, 2, 2)),
        ("adaptive_max_pool2d", (0, 3, 4, 4), (0, 3, 2, 2)),
        ("adaptive_max_pool2d", (2, 0, 4, 4), None),
        ("adaptive_max_pool2d", (0, 0, 4, 4), None),
        ("adaptive_max_pool2d", (0, 4, 4), (0, 2, 2)),  # (PyTorch checks dims 1 on, of one image too)
        ("max_unpool2d", (0, 3, 2, 2), (0, 3, 4, 4)),
        ("max_unpool2d", (2, 0, 2, 2), None),
        ("max_unpool2d", (0, 0, 2, 2), None),
        ("max_unpool2d", (0, 2, 2), (0, 4, 4)),
    ],
)
def test_pools_take_an_empty_batch_and_refuse_empty_channels_as_pytorch(name, shape, out):
    x = mc.zeros(*shape, requires_grad=True)
    if out is None:
        with pytest.raises(
            ValueError, match=rf"^{name}: x of shape \(.*\) is empty in dim [1-3]; expected sizes"
        ):
            _POOLS[name](x)
        return
    y, _ = pooled(_POOLS[name](x))
    assert y.shape == out
    y.sum().backward()
    assert x.grad.shape == shape
