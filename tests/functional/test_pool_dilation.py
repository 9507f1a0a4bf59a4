"""max_pool2d and nn.MaxPool2d with dilation: gradients on every tier, sizes, the indices
max_unpool2d takes, and bad dilations refused in one line before any arithmetic. PyTorch's
numbers for the dilated cases are in pool.npz (max_dil*, unpool_dil*), checked by
test_pooling.py's test_matches_pytorch."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn
from minicnn.functional import pooling

TIERS = ["reference", "numpy", pytest.param("numba", marks=pytest.mark.numba)]

# name: (fn, x shape); the inputs have no ties
GRADCHECK = {
    "k2_d2": (lambda x: F.max_pool2d(x, 2, dilation=2), (1, 2, 6, 7)),
    "k3_s1_pad1_d2": (lambda x: F.max_pool2d(x, 3, 1, 1, 2), (2, 1, 6, 5)),
    "k3_s2_pad1_d2_ceil": (lambda x: F.max_pool2d(x, 3, 2, 1, 2, ceil_mode=True), (1, 2, 8, 7)),
    "pairs_ceil_drop": (lambda x: F.max_pool2d(x, (2, 3), (3, 2), (1, 1), (2, 3), True), (1, 1, 5, 10)),
    "d3_wider_than_kernel": (lambda x: F.max_pool2d(x, 2, 1, 1, 3), (1, 2, 5, 6)),
    "d_one_axis_indices": (
        lambda x: F.max_pool2d(x, (3, 2), (2, 1), 1, (1, 4), True, return_indices=True)[0],
        (2, 1, 7, 9),
    ),
    "module": (lambda x: nn.MaxPool2d(3, stride=2, padding=1, dilation=2)(x), (1, 2, 7, 7)),
    "one_image": (lambda x: F.max_pool2d(x, 2, 1, dilation=(2, 1)), (2, 5, 4)),
}


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name, tier, rng, t, distinct):
    fn, shape = GRADCHECK[name]
    with mc.use_kernels(tier):
        assert mc.gradcheck(fn, [t(distinct(rng, shape, spacing=0.05), True)])


@pytest.mark.parametrize(
    "n, k, s, p, d, ceil, out",
    [
        (6, 2, 2, 0, 2, False, 2),  # floor((6 - 2 - 1) / 2) + 1
        (7, 3, 1, 1, 2, False, 5),  # floor((7 + 2 - 4 - 1) / 1) + 1
        (8, 3, 2, 1, 2, False, 3),  # floor(5 / 2) + 1
        (8, 3, 2, 1, 2, True, 4),  # ceil(5 / 2) + 1: a last window starting at row 5
        (5, 2, 3, 1, 2, True, 2),  # ceil(4 / 3) + 1 = 3, but the third would start at row 5
        (4, 2, 1, 0, 3, False, 1),  # taps 0 and 3 only
    ],
)
def test_output_size_is_the_dilated_formula(n, k, s, p, d, ceil, out, rng, t, distinct):
    x = t(distinct(rng, (1, 1, n, 4)))
    y = F.max_pool2d(x, (k, 1), (s, 1), (p, 0), (d, 1), ceil)
    assert y.shape == (1, 1, out, 4)


def test_a_dilated_window_reads_its_taps_only(t):
    """Taps 2 apart: the window at (0, 0) reads rows and columns 0 and 2, not 1."""
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 9.0  # between the taps
    x[0, 0, 2, 0] = 5.0
    x = t(x, True)
    y, indices = F.max_pool2d(x, 2, dilation=2, return_indices=True)
    assert (y.item(), indices.item()) == (5.0, 6)
    y.backward(np.ones((1, 1, 1, 1)))
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0, 0, 0], [0, 0, 0], [1, 0, 0]])


def test_module_passes_its_dilation_and_prints_it_as_given(rng, t, distinct):
    x = t(distinct(rng, (2, 3, 9, 8), spacing=0.05))
    pool = nn.MaxPool2d(3, 2, 1, (2, 1), return_indices=True, ceil_mode=True)  # PyTorch's order
    assert repr(pool) == "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=(2, 1), ceil_mode=True)"
    y, indices = pool(x)
    want, want_indices = F.max_pool2d(x, 3, 2, 1, (2, 1), True, True)
    np.testing.assert_array_equal(y.numpy(), want.numpy())
    np.testing.assert_array_equal(indices.numpy(), want_indices.numpy())
    assert y.shape == (2, 3, 4, 5)  # rows: ceil((9 + 2 - 4 - 1) / 2) + 1; columns: ceil(7 / 2) + 1


@pytest.mark.parametrize("tier", TIERS)
def test_unpooling_a_dilated_pool_with_its_span_keeps_each_maximum_in_place(tier, rng, t, distinct):
    """The indices are flat positions in x's plane, dilation or not; max_unpool2d with the
    dilated window's span, d*(k-1) + 1, as its kernel_size gives x's size back."""
    x = distinct(rng, (2, 2, 7, 7), spacing=0.05) + 100.0  # no maximum is 0
    with mc.use_kernels(tier):
        y, indices = F.max_pool2d(t(x), 3, 2, 1, 2, return_indices=True)
        back = F.max_unpool2d(y, indices, 5, 2, 1).numpy()
    assert back.shape == x.shape
    kept = back != 0
    np.testing.assert_array_equal(back[kept], x[kept])
    assert kept.sum() == sum(len(np.unique(p)) for p in indices.numpy().reshape(4, -1))


def _x(*shape):
    return mc.tensor(np.zeros(shape))


# name: (call, error type, message pattern)
ERRORS = {
    "float": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, dilation=1.5),
        TypeError,
        r"max_pool2d: dilation must be an int or a pair of ints, got 1\.5$",
    ),
    "bool": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, dilation=True),
        TypeError,
        r"max_pool2d: dilation must be an int or a pair of ints, got True$",
    ),
    "three": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, dilation=(1, 2, 3)),
        TypeError,
        r"max_pool2d: dilation must be an int or a pair of ints, got \(1, 2, 3\)$",
    ),
    "one": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, dilation=(2,)),
        TypeError,
        r"max_pool2d: dilation must be an int or a pair of ints, got \(2,\)$",
    ),
    "zero_in_pair": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, dilation=(2, 0)),
        ValueError,
        r"max_pool2d: dilation must be at least 1, got \(2, 0\)$",
    ),
    "module_float": (
        lambda: nn.MaxPool2d(2, dilation=2.0),
        TypeError,
        r"MaxPool2d: dilation must be an int or a pair of ints, got 2\.0$",
    ),
    "module_zero": (
        lambda: nn.MaxPool2d(2, dilation=0),
        ValueError,
        r"MaxPool2d: dilation must be at least 1, got \(0, 0\)$",
    ),
    # PyTorch's limit is half of kernel_size, not of the dilated span
    "padding_over_half_of_the_kernel": (
        lambda: F.max_pool2d(_x(1, 1, 9, 9), 3, padding=2, dilation=3),
        ValueError,
        r"max_pool2d: padding should be at most half of kernel_size, got padding \(2, 2\) "
        r"for kernel_size \(3, 3\)$",
    ),
    "span_too_large": (
        lambda: F.max_pool2d(_x(1, 1, 4, 8), 3, dilation=(3, 1)),
        ValueError,
        r"max_pool2d: the 3-tap window \(dilation 3, spanning 7\) is larger than the padded "
        r"input height 4 \+ 2\*0 = 4: output height floor\(\(4 \+ 2\*0 - 3\*\(3-1\) - 1\) / 3\) "
        r"\+ 1 = 0; x \(1, 1, 4, 8\)$",
    ),
    # 3 columns padded by 1, taps 4 apart: window 0 reads columns -1 and 3, none of x's
    "padding_only": (
        lambda: F.max_pool2d(_x(1, 1, 4, 3), 2, 1, 1, 4),
        ValueError,
        r"max_pool2d: window 0 along the width reads padding only: its taps -1, 3 "
        r"\(dilation 4\) all lie outside 0\.\.2, so no cell of x is its maximum; x \(1, 1, 4, 3\)$",
    ),
    "padding_only_width_ceil": (
        lambda: nn.MaxPool2d((1, 2), 1, (0, 1), (1, 3), ceil_mode=True)(_x(1, 1, 2, 2)),
        ValueError,
        r"MaxPool2d: window 0 along the width reads padding only: its taps -1, 2 "
        r"\(dilation 3\) all lie outside 0\.\.1",
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_dilation(name, monkeypatch):
    """Each refused in one line, before the pool's arithmetic starts."""
    monkeypatch.setattr(pooling.MaxPool2d, "forward", lambda *a, **k: pytest.fail("pooled"))
    call, err, pattern = ERRORS[name]
    with pytest.raises(err, match=pattern):
        call()


def test_a_window_of_padding_only_is_told_apart_from_one_too_large(rng, t, distinct):
    """Taps 3 apart over 2 rows padded by 1: window 0 reads rows -1 and 2, padding only;
    unpadded, rows 0 and 3, a window larger than x; taps 2 apart, padded by 1, read x."""
    x = t(distinct(rng, (1, 1, 2, 5)))
    with pytest.raises(ValueError, match="reads padding only"):
        F.max_pool2d(x, 2, 1, 1, 3)
    with pytest.raises(ValueError, match="larger than the padded input height"):
        F.max_pool2d(x, 2, 1, 0, 3)  # rows 0 and 3: no window fits 2 rows
    assert F.max_pool2d(x, (1, 2), 1, (0, 1), (1, 2)).shape == (1, 1, 2, 5)
