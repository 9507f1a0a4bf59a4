"""A max pool's indices, as PyTorch's, and max_unpool2d, which puts each value back at its index."""

import numpy as np
import pytest
from pool_helpers import TIERS

import minicnn as mc
import minicnn.functional as F


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize(
    "window", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3))]
)
def test_unpooling_the_pool_keeps_the_maxima_in_place_and_zeros_elsewhere(window, tier, rng, t, distinct):
    x = distinct(rng, (2, 3, 6, 9), spacing=0.05) + 100.0  # no maximum is 0
    with mc.use_kernels(tier):
        y, indices = F.max_pool2d(t(x), return_indices=True, **window)
        back = F.max_unpool2d(y, indices, output_size=x.shape[2:], **window).numpy()
    kept = back != 0
    np.testing.assert_array_equal(back[kept], x[kept])  # each maximum where it was
    planes = x.reshape(6, -1)
    want = np.zeros_like(planes)
    rows = np.arange(6)[:, None]
    want[rows, indices.numpy().reshape(6, -1)] = planes[rows, indices.numpy().reshape(6, -1)]
    np.testing.assert_array_equal(back, want.reshape(x.shape))
    # every window's maximum survives, and nothing else: as many cells as distinct indices
    assert kept.sum() == sum(len(np.unique(p)) for p in indices.numpy().reshape(6, -1))
    np.testing.assert_array_equal(np.sort(back[kept]), np.sort(np.unique(y.numpy())))


def test_indices_are_flat_positions_in_each_input_plane_as_pytorch(t):
    x = t(np.arange(32.0).reshape(1, 2, 4, 4)[:, :, ::-1, ::-1].copy())  # maxima top-left of windows
    y, indices = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(indices.numpy()[0, 0], [[0, 2], [8, 10]])
    np.testing.assert_array_equal(indices.numpy()[0, 1], [[0, 2], [8, 10]])  # per plane, not global
    np.testing.assert_array_equal(y.numpy().reshape(2, 4), x.numpy().reshape(2, 16)[:, [0, 2, 8, 10]])


def test_ties_go_to_the_first_maximum_and_the_gradient_with_them(t):
    x = t([[[[1.0, 3.0, 3.0], [3.0, 0.0, 3.0], [3.0, 3.0, 3.0]]]], True)
    y, indices = F.max_pool2d(x, 2, 1, return_indices=True)
    assert indices.numpy().ravel().tolist() == [1, 1, 3, 5]  # two windows share the first 3
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0, 2, 0], [1, 0, 1], [0, 0, 0]])
    ya, ia = F.adaptive_max_pool2d(x, (1, 2), return_indices=True)  # columns 0-1 and 1-2
    assert ia.numpy().ravel().tolist() == [1, 1] and ya.numpy().ravel().tolist() == [3.0, 3.0]


def test_indices_are_the_callers_own_and_do_not_move_the_gradient(rng, t, distinct):
    x = t(distinct(rng, (1, 2, 4, 4)), True)
    y, indices = F.max_pool2d(x, 2, return_indices=True)
    want = indices.numpy().copy()
    with mc.no_grad():
        indices.zero_()
    y.backward(np.ones(y.shape))
    grad_cells = np.flatnonzero(x.grad.numpy().reshape(2, 16)[0])
    np.testing.assert_array_equal(grad_cells, np.sort(want[0, 0].ravel()))


def test_unpool_indices_changed_after_the_forward_refuse_its_backward(rng, t):
    x = t(rng.standard_normal((1, 1, 2, 2)), True)
    indices = mc.tensor(np.array([[[[0, 3], [8, 15]]]]))
    y = F.max_unpool2d(x, indices, 2)
    with mc.no_grad():
        indices.add_(1)
    with pytest.raises(RuntimeError, match=r"input 1 of MaxUnpool2d was changed in place"):
        y.sum().backward()


def test_unpool_gradient_reads_gy_at_each_index_even_where_two_coincide(t):
    x = t([[[[2.0, 5.0]]]], True)
    y = F.max_unpool2d(x, mc.tensor(np.array([[[[1, 1]]]])), 1)
    assert y.numpy().ravel().tolist() == [0.0, 5.0]  # the last write stays
    y.backward(np.array([[[[10.0, 7.0]]]]))
    assert x.grad.numpy().ravel().tolist() == [7.0, 7.0]  # PyTorch's: both read gy there


def test_a_signal_sent_back_through_overlapping_pools_sums_in_the_backward_not_in_unpool(rng, t):
    """What the unpooling docs say of a deconvnet: at a switch that several windows share,
    max_unpool2d keeps one window's value and max pooling's backward adds them all."""
    plane = rng.uniform(0, 1, (5, 5))
    plane[2, 2] = 9.0  # the maximum of all four 3x3 windows at stride 2
    x = t(plane[None, None], True)
    y, indices = F.max_pool2d(x, 3, 2, return_indices=True)
    assert indices.numpy().ravel().tolist() == [12, 12, 12, 12]
    signal = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    unpooled = F.max_unpool2d(t(signal), indices, 3, 2)
    assert unpooled.numpy()[0, 0, 2, 2] == 4.0  # the last write
    y.backward(signal)
    assert x.grad.numpy()[0, 0, 2, 2] == 10.0  # the sum
    assert np.count_nonzero(x.grad.numpy()) == np.count_nonzero(unpooled.numpy()) == 1


def test_return_indices_under_no_grad_and_for_one_image(rng, t, distinct):
    x = t(distinct(rng, (3, 6, 7)))
    with mc.no_grad():
        y, indices = F.max_pool2d(x, 3, 2, return_indices=True)
    assert y.shape == indices.shape == (3, 2, 3) and indices.dtype == np.int64
    batch_y, batch_indices = F.max_pool2d(mc.tensor(x.numpy()[None]), 3, 2, return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), batch_indices.numpy()[0])
    ya, ia = F.adaptive_max_pool2d(x, 4, return_indices=True)
    assert ya.shape == ia.shape == (3, 4, 4)
    back = F.max_unpool2d(y, indices, 3, 2, output_size=(6, 7))
    assert back.shape == (3, 6, 7)
    np.testing.assert_array_equal(
        back.numpy(), F.max_unpool2d(batch_y, batch_indices, 3, 2, output_size=(6, 7)).numpy()[0]
    )
