import numpy as np
import pytest

from minicnn.data import transforms as T


def _batch(n=6, c=3, h=10, w=12, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, c, h, w)).astype(np.float32)


RANDOM = [
    T.RandomCrop(8, padding=2),
    T.RandomHorizontalFlip(),
    T.RandomTranslate(2),
    T.RandomResizedCrop((7, 9)),
    T.ColorJitter(0.4, 0.4, 0.4),
    T.PCALighting(0.1),
    T.Compose([T.RandomCrop(8), T.RandomHorizontalFlip()]),
]


@pytest.mark.parametrize("t", RANDOM, ids=lambda t: type(t).__name__)
def test_random_transforms_follow_the_seed_and_leave_input_alone(t):
    x = _batch()
    before = x.copy()
    a, b = t(x, np.random.default_rng(7)), t(x, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, t(x, np.random.default_rng(8)))
    np.testing.assert_array_equal(x, before)
    assert a.dtype == np.float32


@pytest.mark.parametrize(
    "t, shape",
    [
        (T.RandomCrop(8, padding=2), (6, 3, 8, 8)),
        (T.RandomCrop((4, 12)), (6, 3, 4, 12)),
        (T.CenterCrop(5), (6, 3, 5, 5)),
        (T.RandomTranslate(3), (6, 3, 10, 12)),
        (T.RandomResizedCrop(16), (6, 3, 16, 16)),
        (T.Resize((5, 20)), (6, 3, 5, 20)),
        (T.TenCrop((4, 6)), (10, 6, 3, 4, 6)),
        (T.Normalize([0.5] * 3, [0.2] * 3), (6, 3, 10, 12)),
    ],
)
def test_output_shapes(t, shape):
    assert t(_batch(), np.random.default_rng(0)).shape == shape


def test_crops_are_windows_of_the_padded_image():
    x = _batch(n=40)
    out = T.RandomCrop(8, padding=1)(x, np.random.default_rng(1))
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for n in range(40):
        hits = [
            (i, j)
            for i in range(5)
            for j in range(7)
            if np.array_equal(padded[n, :, i : i + 8, j : j + 8], out[n])
        ]
        assert hits, f"crop {n} is no window of its image"
    np.testing.assert_array_equal(T.CenterCrop((6, 8))(x), x[:, :, 2:8, 2:10])


def test_translate_shifts_content_and_fills_zeros():
    x = _batch(n=50) + 1  # no zero pixels of its own
    out = T.RandomTranslate(2)(x, np.random.default_rng(3))
    for n in range(50):
        rows = np.flatnonzero(out[n, 0].any(axis=1))
        cols = np.flatnonzero(out[n, 0].any(axis=0))
        dy = 0 if len(rows) == 10 else (rows[0] if rows[0] > 0 else -(10 - len(rows)))
        dx = 0 if len(cols) == 12 else (cols[0] if cols[0] > 0 else -(12 - len(cols)))
        src = x[n, :, max(0, -dy) : 10 - max(0, dy), max(0, -dx) : 12 - max(0, dx)]
        np.testing.assert_array_equal(out[n, :, rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], src)


def test_flip_probability_and_flip_twice_is_identity():
    x = _batch(n=400)
    always = T.RandomHorizontalFlip(p=1.0)
    np.testing.assert_array_equal(always(always(x)), x)
    np.testing.assert_array_equal(always(x), x[..., ::-1])
    out = T.RandomHorizontalFlip(0.5)(x, np.random.default_rng(0))
    flipped = np.array([np.array_equal(o, i[..., ::-1]) for o, i in zip(out, x)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, x)])
    assert np.all(flipped ^ kept) and 150 < flipped.sum() < 250


def test_normalize_per_channel():
    x = _batch()
    out = T.Normalize([0.1, 0.2, 0.3], [1, 2, 4])(x)
    expected = (x[:, 2].astype(np.float64) - 0.3) / 4
    np.testing.assert_allclose(out[:, 2], expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"Normalize: batch \(6, 1, 10, 12\) has 1 channel.*3"):
        T.Normalize([0.1, 0.2, 0.3], [1, 2, 4])(_batch(c=1))


def test_normalize_with_one_value_stands_for_every_channel_as_torchvision():
    x = _batch(seed=41)
    out = T.Normalize((0.5,), (0.25,))(x)
    np.testing.assert_allclose(out, (x.astype(np.float64) - 0.5) / 0.25, rtol=1e-5, atol=1e-5)
    out = T.Normalize(0.5, [1, 2, 4])(x)  # one mean, a std per channel
    np.testing.assert_allclose(out[:, 2], (x[:, 2].astype(np.float64) - 0.5) / 4, rtol=1e-5, atol=1e-5)
    with pytest.raises(
        ValueError, match=r"one value, or one per channel.*mean \[0.1, 0.2\], std \[1.0, 2.0, 4.0\]"
    ):
        T.Normalize([0.1, 0.2], [1, 2, 4])
    with pytest.raises(ValueError, match="one value, or one per channel"):
        T.Normalize([], [])
    x_before = x.copy()
    np.testing.assert_array_equal(T.Normalize(0.5, 0.25, inplace=True)(x), T.Normalize(0.5, 0.25)(x))
    np.testing.assert_array_equal(x, x_before)  # a new batch either way


def test_random_resized_crop_boxes_respect_scale_and_ratio():
    t = T.RandomResizedCrop(8, scale=(0.2, 0.6), ratio=(0.5, 2.0))
    top, left, h, w = t.boxes(2000, 40, 60, np.random.default_rng(0))
    assert np.all((top >= 0) & (left >= 0) & (top + h <= 40) & (left + w <= 60))
    area = h * w / (40 * 60)
    assert np.all((area > 0.18) & (area < 0.63)) and np.all((w / h > 0.45) & (w / h < 2.2))
    # Impossible requests fall back to the central crop at the nearest allowed ratio.
    top, left, h, w = T.RandomResizedCrop(8, scale=(1, 1), ratio=(3, 3)).boxes(
        3, 40, 60, np.random.default_rng(0)
    )
    assert h.tolist() == [20] * 3 and w.tolist() == [60] * 3 and top.tolist() == [10] * 3


LUMA = np.array([0.2989, 0.587, 0.114])  # torchvision's rgb_to_grayscale of a tensor


def test_color_jitter_range_and_its_three_parts():
    x = _batch(n=50)
    out = T.ColorJitter(0.5, 0.5, 0.5)(x, np.random.default_rng(0))
    assert out.min() >= 0 and out.max() <= 1 and not np.allclose(out, x)
    # Mid-range pixels never clip, so each part's invariant holds exactly.
    mid = (0.4 + 0.2 * x).astype(np.float64)
    luma = lambda a: np.tensordot(LUMA, a, axes=([0], [1]))
    bright = T.ColorJitter(brightness=0.6)(mid, np.random.default_rng(1))
    ratio = bright / mid  # one factor per image
    np.testing.assert_allclose(ratio, ratio[:, :1, :1, :1] * np.ones_like(ratio), rtol=1e-12)
    assert ratio[:, 0, 0, 0].std() > 0.1
    # the grey is kept where the weights sum to 1; torchvision's sum to 0.9999, so to 1e-4
    contrast = T.ColorJitter(contrast=0.9)(mid, np.random.default_rng(2))
    np.testing.assert_allclose(luma(contrast).mean(axis=(1, 2)), luma(mid).mean(axis=(1, 2)), rtol=1e-4)
    saturation = T.ColorJitter(saturation=1)(mid, np.random.default_rng(3))
    np.testing.assert_allclose(luma(saturation), luma(mid), rtol=1e-4)
    assert not np.allclose(saturation, mid)


def test_pca_lighting_fit_and_zero_mean_offsets():
    rng = np.random.default_rng(0)
    # Colours spread along one direction: the first component must find it.
    direction = np.array([0.6, 0.0, 0.8])
    images = 0.5 + rng.normal(0, 0.2, (50, 1, 4, 4)) * direction[None, :, None, None]
    t = T.PCALighting(0.1).fit(images + rng.normal(0, 0.01, images.shape))
    assert abs(abs(t.eigvec[:, 0] @ direction) - 1) < 1e-3 and t.eigval[0] > 10 * t.eigval[1]
    x = np.full((4000, 3, 2, 2), 0.5, np.float32)
    out = t(x, np.random.default_rng(1))
    offsets = out[:, :, 0, 0] - 0.5
    assert np.allclose(out, out[:, :, :1, :1])  # one colour offset per image
    assert np.all(np.abs(offsets.mean(axis=0)) < 4 * offsets.std(axis=0) / np.sqrt(4000))
    assert np.linalg.matrix_rank(offsets.astype(np.float64) - offsets.mean(0), tol=1e-3) == 1


def test_ten_crop_corners_centre_and_flips():
    x = _batch(h=10, w=12)
    out = T.TenCrop((4, 6))(x)
    np.testing.assert_array_equal(out[0], x[:, :, :4, :6])
    np.testing.assert_array_equal(out[3], x[:, :, 6:, 6:])
    np.testing.assert_array_equal(out[4], x[:, :, 3:7, 3:9])
    np.testing.assert_array_equal(out[5], x[:, :, :4, ::-1][:, :, :, :6])
    np.testing.assert_array_equal(out[9], out[4][..., ::-1])


@pytest.mark.parametrize(
    "t, x, err, msg",
    [
        (
            T.RandomCrop(20),
            _batch(),
            ValueError,
            r"RandomCrop: crop 20x20 is larger than the "
            r"\(padded\) image 10x12",
        ),
        (
            T.CenterCrop(4),
            _batch()[0],
            ValueError,
            r"CenterCrop: expected a batch \(N, C, H, W\), "
            r"got shape \(3, 10, 12\)",
        ),
        (T.RandomHorizontalFlip(), np.zeros((2, 3, 4, 4), np.uint8), TypeError, "dtype uint8"),
        (T.PCALighting(), _batch(c=1), ValueError, r"PCALighting: expected RGB.*\(6, 1, 10, 12\)"),
    ],
)
def test_bad_batches_get_clear_errors(t, x, err, msg):
    with pytest.raises(err, match=msg):
        t(x, np.random.default_rng(0))


def test_bad_arguments_at_construction():
    with pytest.raises(ValueError, match="p must be in"):
        T.RandomHorizontalFlip(1.5)
    with pytest.raises(ValueError, match="size must be a positive int"):
        T.RandomCrop(0)
    with pytest.raises(ValueError, match="std > 0"):
        T.Normalize([0.5], [0])


def test_resize_of_an_int_sets_the_shorter_side_as_torchvision():
    batch = np.random.default_rng(31).random((2, 3, 10, 14)).astype(np.float32)
    assert T.Resize(5)(batch).shape == (2, 3, 5, 7)
    assert T.Resize(5)(batch.transpose(0, 1, 3, 2).copy()).shape == (2, 3, 7, 5)
    assert T.Resize((4, 6))(batch).shape == (2, 3, 4, 6)


def test_color_jitter_takes_a_range_and_random_crop_names_its_padding():
    batch = np.random.default_rng(32).random((4, 3, 6, 6)).astype(np.float32)
    out = T.ColorJitter(brightness=(2.0, 2.0))(batch, np.random.default_rng(0))
    np.testing.assert_allclose(out, np.clip(batch * 2, 0, 1), rtol=1e-6)
    with pytest.raises(ValueError, match=r"ColorJitter: brightness must be >= 0 or a pair 0 <= lo <= hi"):
        T.ColorJitter(brightness=(1.2, 0.8))
    with pytest.raises(ValueError, match=r"RandomCrop: padding must be an int >= 0 .*got \(2, 2, 1\)"):
        T.RandomCrop(6, padding=(2, 2, 1))


@pytest.mark.parametrize(
    "padding, sides", [(2, (2, 2, 2, 2)), ((1, 3), (1, 3, 1, 3)), ((1, 2, 3, 0), (1, 2, 3, 0))]
)
def test_random_crop_pads_each_side_as_torchvision_names_them(padding, sides):
    x = np.random.default_rng(43).random((2, 3, 5, 6)).astype(np.float32)
    left, top, right, bottom = sides
    size = (5 + top + bottom, 6 + left + right)  # the one window: the whole padded image
    out = T.RandomCrop(size, padding=padding, fill=0.5)(x, np.random.default_rng(0))
    np.testing.assert_array_equal(out[:, :, top : top + 5, left : left + 6], x)
    border = np.ones(size, bool)
    border[top : top + 5, left : left + 6] = False
    assert np.all(out[:, :, border] == 0.5)


@pytest.mark.parametrize(
    "mode, row",
    [("edge", [1, 1, 2, 3, 3]), ("reflect", [2, 1, 2, 3, 2]), ("symmetric", [1, 1, 2, 3, 3])],
)
def test_random_crop_padding_modes_mirror_as_torchvision(mode, row):
    x = np.array([1.0, 2.0, 3.0], np.float32).reshape(1, 1, 1, 3)
    out = T.RandomCrop((1, 5), padding=(1, 0), padding_mode=mode)(x, np.random.default_rng(0))
    np.testing.assert_array_equal(out.ravel(), row)


def test_random_crop_pads_a_small_image_if_needed_by_the_shortfall_on_both_sides():
    x = np.random.default_rng(44).random((3, 1, 5, 6)).astype(np.float32)
    t = T.RandomCrop(8, pad_if_needed=True)
    out = t(x, np.random.default_rng(1))
    assert out.shape == (3, 1, 8, 8)
    # padded by 3 above and below, 2 left and right: the image sits inside every window it could
    np.testing.assert_array_equal(
        T.RandomCrop((11, 10), padding=(2, 3))(x, np.random.default_rng(1))[:, :, 3:8, 2:8], x
    )
    with pytest.raises(ValueError, match=r"RandomCrop: crop 8x8 is larger than the \(padded\) image 5x6"):
        T.RandomCrop(8)(x)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"padding": -1}, "padding must be an int >= 0"),
        ({"padding": 1.5}, "padding must be an int >= 0"),
        ({"padding": True}, "padding must be an int >= 0"),
        ({"padding_mode": "wrap"}, "padding_mode must be one of"),
        ({"fill": (0, 0, 0)}, "fill must be a number"),
    ],
)
def test_random_crop_refuses_what_it_would_not_pad_as_asked(kwargs, match):
    with pytest.raises(ValueError, match=f"RandomCrop: {match}"):
        T.RandomCrop(4, **kwargs)


def test_random_crop_reflect_padding_wider_than_the_image_is_named():
    x = np.zeros((1, 1, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"RandomCrop: reflect padding \(3, 3, 3, 3\) needs"):
        T.RandomCrop(4, padding=3, padding_mode="reflect")(x)


def test_a_channels_last_batch_is_named_not_flipped_across_its_colours():
    with pytest.raises(ValueError, match=r"RandomHorizontalFlip: expected channels first .*\(2, 8, 8, 3\)"):
        T.RandomHorizontalFlip(1.0)(np.zeros((2, 8, 8, 3), np.float32))


def test_a_channels_first_batch_whose_width_is_3_is_taken():
    batch = np.random.default_rng(33).random((2, 8, 32, 3)).astype(np.float32)  # 8 channels, 32 x 3
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(batch), batch[..., ::-1])


@pytest.mark.parametrize("t", [T.RandomCrop, T.CenterCrop, T.RandomResizedCrop, T.TenCrop])
def test_a_size_of_one_value_in_a_list_is_a_square_as_torchvision(t):
    assert t([4]).size == (4, 4) and t(np.int64(3)).size == (3, 3) and t((2, 5)).size == (2, 5)


def test_resize_of_one_value_in_a_list_sets_the_shorter_side_as_torchvision():
    batch = np.random.default_rng(45).random((2, 3, 10, 14)).astype(np.float32)
    assert T.Resize([5])(batch).shape == (2, 3, 5, 7)


@pytest.mark.parametrize("t", [T.RandomCrop, T.CenterCrop, T.Resize, T.RandomResizedCrop, T.TenCrop])
@pytest.mark.parametrize("size", [None, "ab", (4, 4, 4), (), True, 3.5, (0, 3), float("nan")])
def test_a_size_that_is_no_size_is_named_in_one_line(t, size):
    with pytest.raises(ValueError, match=rf"{t.__name__}: size must be a positive int, \(h, w\) or \(s,\)"):
        t(size)


def test_center_crop_pads_a_smaller_image_with_zeros_as_torchvision():
    x = np.arange(1, 7, dtype=np.float32).reshape(1, 1, 2, 3)
    # 2 rows short: one above, one below; 1 column short: none left, one right
    expected = [[0, 0, 0, 0], [1, 2, 3, 0], [4, 5, 6, 0], [0, 0, 0, 0]]
    np.testing.assert_array_equal(T.CenterCrop(4)(x)[0, 0], expected)
    # 3 rows short: one above, two below; the width is cropped as before
    np.testing.assert_array_equal(T.CenterCrop((5, 1))(x)[0, 0, :, 0], [0, 2, 5, 0, 0])


@pytest.mark.parametrize(
    "mode, fill, row",
    [
        # torchvision pads [1, 2, 3, 4] by 1 and then the padded row by the 4 still missing
        ("reflect", 0, [4, 3, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 2, 1]),
        ("symmetric", 0, [3, 2, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 3, 2]),
        ("constant", 0.5, [0.5] * 5 + [1, 2, 3, 4] + [0.5] * 5),
    ],
)
def test_random_crop_pads_if_needed_after_its_padding_as_torchvision_does(mode, fill, row):
    x = np.array([1, 2, 3, 4], np.float32).reshape(1, 1, 1, 4)
    t = T.RandomCrop((1, 10), padding=(1, 0), pad_if_needed=True, padding_mode=mode, fill=fill)
    windows = {tuple(t(x, np.random.default_rng(seed)).ravel()) for seed in range(40)}
    assert windows == {tuple(row[j : j + 10]) for j in range(5)}


@pytest.mark.parametrize("value", [(1, 2, 3), "0.5", [0.5, "1"], {"lo": 1}])
def test_color_jitter_refuses_what_is_not_a_number_or_a_pair_in_one_line(value):
    with pytest.raises(TypeError, match="ColorJitter: contrast should be a single number or a pair"):
        T.ColorJitter(contrast=value)


def test_color_jitter_of_none_leaves_that_part_out_as_torchvision_v2():
    x = _batch(seed=46)
    np.testing.assert_array_equal(T.ColorJitter(None, None, None)(x, np.random.default_rng(0)), x)
    a = T.ColorJitter(brightness=0.5, contrast=None)(x, np.random.default_rng(1))
    np.testing.assert_array_equal(a, T.ColorJitter(brightness=0.5)(x, np.random.default_rng(1)))


def test_other_arguments_of_the_wrong_kind_are_named_in_one_line():
    with pytest.raises(TypeError, match="RandomHorizontalFlip: p must be a number in"):
        T.RandomHorizontalFlip("0.5")
    with pytest.raises(TypeError, match="Compose: expected a list of transforms, got RandomCrop"):
        T.Compose(T.RandomCrop(4))
    with pytest.raises(ValueError, match=r"RandomResizedCrop: need 0 < scale\[0\].*got scale=None"):
        T.RandomResizedCrop(4, scale=None)


def test_saturation_leaves_a_grey_image_as_it_is_as_torchvision():
    grey = np.random.default_rng(47).uniform(-1, 2, (5, 1, 4, 4)).astype(np.float32)  # normalized
    np.testing.assert_array_equal(T.ColorJitter(saturation=0.8)(grey, np.random.default_rng(0)), grey)
    # the factor is drawn all the same: what follows draws the same numbers for 1 and 3 channels
    rng = np.random.default_rng(1)
    T.ColorJitter(saturation=0.8)(grey, rng)
    assert rng.random() == (lambda r: (r.uniform(0.2, 1.8, size=5), r.random())[1])(np.random.default_rng(1))
