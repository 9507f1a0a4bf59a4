"""adjust_hue and ColorJitter's hue: torchvision's numbers, what a turn of hue does to greys and
primaries, the parts' random order per image, and the numbers ColorJitter draws."""

import numpy as np
import pytest
from fixtures.gen_hue import FACTORS, JITTERS

from minicnn.data import transforms as T
from minicnn.data.transforms.color import PARTS, adjust

RED, GREEN, BLUE, CYAN = ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 1.0])


def _pixels(*colours, dtype=np.float64):
    return np.array(colours, dtype=dtype).T.reshape(1, 3, 1, len(colours))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_adjust_hue_is_torchvisions_to_the_last_bit(golden, dtype):
    g = golden("hue")
    x = g[f"x.{dtype}"]
    for k, factor in enumerate(FACTORS):
        y = T.adjust_hue(x, factor)
        assert y.dtype == dtype
        np.testing.assert_array_equal(y, g[f"hue.{dtype}"][k], err_msg=f"hue_factor {factor}")


def test_pixels_above_one_follow_torchvisions_formulas(golden):
    """Brightened, unclipped pixels: p, q and t are clipped to [0, 1], v is not."""
    g = golden("hue")
    y = T.adjust_hue(g["outside.x"], 0.3)
    np.testing.assert_array_equal(y, g["outside.y"])
    assert y.max() > 1


@pytest.mark.parametrize("factor", [-0.5, -0.2, 0.0, 0.3, 0.5])
def test_greys_have_no_hue_and_stay(factor):
    grey = _pixels([0, 0, 0], [1, 1, 1], [0.5, 0.5, 0.5], [0.13, 0.13, 0.13])
    np.testing.assert_array_equal(T.adjust_hue(grey, factor), grey)


def test_a_turn_of_hue_moves_the_primaries_round_the_wheel():
    x = _pixels(RED, GREEN, BLUE)
    np.testing.assert_allclose(T.adjust_hue(x, 1 / 3), _pixels(GREEN, BLUE, RED), atol=1e-14)
    np.testing.assert_allclose(T.adjust_hue(x, -1 / 3), _pixels(BLUE, RED, GREEN), atol=1e-14)
    np.testing.assert_array_equal(T.adjust_hue(_pixels(RED), 0.5), _pixels(CYAN))
    np.testing.assert_array_equal(T.adjust_hue(_pixels(RED), -0.5), _pixels(CYAN))
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, (4, 3, 5, 5))
    np.testing.assert_allclose(T.adjust_hue(x, 0.0), x, atol=1e-15)
    np.testing.assert_allclose(T.adjust_hue(T.adjust_hue(x, 0.2), -0.2), x, atol=1e-12)


def test_each_image_takes_its_own_factor():
    x = np.random.default_rng(6).uniform(0, 1, (3, 3, 4, 4)).astype(np.float32)
    factors = [-0.4, 0.1, 0.5]
    together = T.adjust_hue(x, factors)
    for i, f in enumerate(factors):
        np.testing.assert_array_equal(together[i : i + 1], T.adjust_hue(x[i : i + 1], f))


def test_one_channel_is_returned_as_it_is():
    grey = np.random.default_rng(7).uniform(-1, 2, (2, 1, 3, 3))
    y = T.adjust_hue(grey, 0.3)
    np.testing.assert_array_equal(y, grey)
    assert y is not grey


@pytest.mark.parametrize(
    "batch, factor, error, message",
    [
        (np.zeros((1, 3, 2, 2)), 0.6, ValueError, r"adjust_hue: hue_factor \(0.6\) is not in \[-0.5, 0.5\]"),
        (np.zeros((1, 3, 2, 2)), [0.1, -0.7], TypeError, r"one per image \(1\)"),
        (np.zeros((2, 3, 2, 2)), [0.1, -0.7], ValueError, r"is not in \[-0.5, 0.5\]"),
        (np.zeros((2, 3, 2, 2)), "0.1x", TypeError, "hue_factor must be a number"),
        (np.zeros((1, 2, 2, 2)), 0.1, ValueError, r"expected 1 or 3 channels, got batch \(1, 2, 2, 2\)"),
        (np.zeros((3, 2, 2)), 0.1, TypeError, r"expected a float array \(N, C, H, W\), got float64 array"),
        (np.zeros((1, 3, 2, 2), dtype=np.uint8), 0.1, TypeError, "got uint8 array"),
    ],
)
def test_adjust_hue_refuses_in_one_line(batch, factor, error, message):
    with pytest.raises(error, match=message):
        T.adjust_hue(batch, factor)


def test_the_four_parts_in_an_order_are_torchvisions(golden):
    """Brightness and hue to the last bit; contrast and saturation, whose grey is torchvision's
    0.2989 r + 0.587 g + 0.114 b, to float32 rounding."""
    g = golden("hue")
    x = g["x.float32"]
    for j, (order, factors) in enumerate(JITTERS):
        y = x
        for k in order:
            y = adjust(PARTS[k], y, np.full(len(x), factors[k]))
        if factors[1] == factors[2] == 1:
            np.testing.assert_array_equal(y, g["jitter.y"][j], err_msg=str(order))
        np.testing.assert_allclose(y, g["jitter.y"][j], rtol=0, atol=1e-6, err_msg=str(order))


def test_hue_draws_one_factor_per_image_in_its_range():
    x = np.random.default_rng(8).uniform(0, 1, (16, 3, 4, 4))
    y = T.ColorJitter(hue=0.3)(x, np.random.default_rng(9))
    factors = np.random.default_rng(9).uniform(-0.3, 0.3, size=16)
    np.testing.assert_array_equal(y, T.adjust_hue(x, factors))
    pair = T.ColorJitter(hue=(-0.5, -0.4))(x, np.random.default_rng(9))
    np.testing.assert_array_equal(pair, T.adjust_hue(x, np.random.default_rng(9).uniform(-0.5, -0.4, 16)))


def test_each_image_draws_its_own_order_of_the_parts():
    """Brightness x1.5 clips red at 1 before or after hue +0.1 mixes some of it into green: the
    two orders differ, and every image takes the one its permutation drew, after the factors."""
    x = np.tile(_pixels([0.8, 0.2, 0.1]), (64, 1, 4, 1))
    y = T.ColorJitter(brightness=(1.5, 1.5), hue=(0.1, 0.1))(x, np.random.default_rng(10))
    rng = np.random.default_rng(10)
    rng.uniform(1.5, 1.5, 64), rng.uniform(0.1, 0.1, 64)
    hue_first = rng.permuted(np.tile([0, 1], (64, 1)), axis=1)[:, 0] == 1
    bright_then_hue = T.adjust_hue(np.clip(1.5 * x, 0, 1), 0.1)
    hue_then_bright = np.clip(1.5 * T.adjust_hue(x, 0.1), 0, 1)
    assert not np.allclose(bright_then_hue[0], hue_then_bright[0])
    assert 10 < hue_first.sum() < 54
    np.testing.assert_allclose(y[hue_first], hue_then_bright[hue_first], atol=1e-15)
    np.testing.assert_allclose(y[~hue_first], bright_then_hue[~hue_first], atol=1e-15)


def test_all_four_parts_give_every_order_and_stay_in_range():
    x = np.random.default_rng(11).uniform(0, 1, (200, 3, 2, 2)).astype(np.float32)
    jitter = T.ColorJitter(0.4, 0.4, 0.4, 0.1)
    y = jitter(x, np.random.default_rng(12))
    assert y.dtype == np.float32 and 0 <= y.min() and y.max() <= 1
    rng = np.random.default_rng(12)
    [rng.uniform(0, 1, 200) for _ in PARTS]
    orders = rng.permuted(np.tile(np.arange(4), (200, 1)), axis=1)
    assert len({tuple(o) for o in orders}) == 24
    assert "hue=0.1" in repr(jitter)


def test_a_grey_batch_keeps_its_hue_and_draws_the_same_numbers():
    grey = np.random.default_rng(13).uniform(0, 1, (5, 1, 3, 3))
    rgb = np.repeat(grey, 3, axis=1)
    a, b = np.random.default_rng(14), np.random.default_rng(14)
    out = T.ColorJitter(hue=0.4)(grey, a)
    np.testing.assert_array_equal(out, grey)
    T.ColorJitter(hue=0.4)(rgb, b)
    assert a.random() == b.random()


def test_ranges_of_the_identity_leave_their_parts_out_and_draw_nothing():
    x = np.random.default_rng(15).uniform(-0.5, 1.5, (3, 3, 2, 2))  # normalized: no clipping either
    rng = np.random.default_rng(16)
    np.testing.assert_array_equal(T.ColorJitter(brightness=(1, 1), hue=(0, 0))(x, rng), x)
    np.testing.assert_array_equal(T.ColorJitter(hue=None)(x, rng), x)
    assert rng.random() == np.random.default_rng(16).random()


@pytest.mark.parametrize("hue", [0.6, -0.1, (-0.6, 0.1), (0.2, 0.1), (0.1, 0.51)])
def test_a_hue_outside_its_range_is_named(hue):
    with pytest.raises(ValueError, match=r"ColorJitter: hue must be in \[0, 0.5\] or a pair -0.5 <= lo"):
        T.ColorJitter(hue=hue)


def test_a_hue_that_is_no_number_is_named():
    with pytest.raises(TypeError, match="ColorJitter: hue should be a single number or a pair"):
        T.ColorJitter(hue="0.1")
