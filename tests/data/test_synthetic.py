import numpy as np
import pytest

from minicnn.data import SHAPES, SyntheticShapes


def test_shapes_dtypes_balance_and_names():
    ds = SyntheticShapes(203, size=24, seed=1)
    assert ds.images.shape == (203, 3, 24, 24) and ds.images.dtype == np.float32
    assert ds.labels.dtype == np.int64 and ds.classes == list(SHAPES) and len(SHAPES) == 10
    assert 0 <= ds.images.min() and ds.images.max() <= 1
    counts = np.bincount(ds.labels, minlength=10)
    assert counts.max() - counts.min() <= 1
    small = SyntheticShapes(12, seed=0, classes=["ring", "star", "dots"])
    assert small.classes == ["ring", "star", "dots"] and sorted(set(small.labels)) == [0, 1, 2]
    assert SyntheticShapes(6, classes=6).classes == list(SHAPES[:6])


def test_deterministic_from_seed():
    a, b, c = SyntheticShapes(30, seed=3), SyntheticShapes(30, seed=3), SyntheticShapes(30, seed=4)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.images, c.images)


def test_each_shape_fits_its_radius_and_has_its_own_outline():
    from minicnn.data.synthetic import _sdf

    v, u = np.mgrid[-1.5:1.5:301j, -1.5:1.5:301j]
    outside = np.hypot(u, v) > 1.05
    masks = {}
    for name in SHAPES:
        d = _sdf(name, u, v)
        assert (d[outside] > 0).all(), f"{name} reaches beyond its radius"
        masks[name] = d < 0
        assert masks[name].mean() > 0.06, f"{name} is too thin to see"
    for name in ("ring", "frame", "dots", "crescent"):
        assert _sdf(name, np.zeros(1), np.zeros(1))[0] > 0, f"{name} should be open at its centre"
    names = list(masks)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            overlap = (masks[a] & masks[b]).sum() / (masks[a] | masks[b]).sum()
            assert overlap < 0.8, f"{a} and {b} look alike (IoU {overlap:.2f})"


def test_linear_classifier_on_raw_pixels_stays_low():
    # Ridge regression onto one-hot labels: the best linear read-out of raw pixels.
    train, test = SyntheticShapes(3000, size=16, seed=10), SyntheticShapes(1000, size=16, seed=11)
    X, Xt = (d.images.reshape(len(d), -1).astype(np.float64) for d in (train, test))
    mean = X.mean(axis=0)
    X, Xt = X - mean, Xt - mean
    Y = np.eye(10)[train.labels]
    W = np.linalg.solve(X.T @ X + 10 * np.eye(X.shape[1]), X.T @ (Y - Y.mean(axis=0)))
    train_acc = (np.argmax(X @ W, axis=1) == train.labels).mean()
    test_acc = (np.argmax(Xt @ W, axis=1) == test.labels).mean()
    assert train_acc > test_acc  # the fit did learn something
    assert test_acc < 0.6


def test_bad_arguments():
    with pytest.raises(ValueError, match="classes must be 2..10 distinct names"):
        SyntheticShapes(10, classes=["circle", "hexagon"])
    with pytest.raises(ValueError, match="size >= 8"):
        SyntheticShapes(10, size=4)


# --- the hard preset --------------------------------------------------------------------------


def test_hard_preset_dtypes_range_balance_and_determinism():
    a = SyntheticShapes(203, size=24, seed=5, preset="hard")
    assert a.images.shape == (203, 3, 24, 24) and a.images.dtype == np.float32
    assert a.labels.dtype == np.int64 and a.preset == "hard"
    assert 0 <= a.images.min() and a.images.max() <= 1
    counts = np.bincount(a.labels, minlength=10)
    assert counts.max() - counts.min() <= 1
    b, c = (
        SyntheticShapes(203, size=24, seed=5, preset="hard"),
        SyntheticShapes(203, size=24, seed=6, preset="hard"),
    )
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.images, c.images)
    easy = SyntheticShapes(203, size=24, seed=5)
    np.testing.assert_array_equal(easy.labels, a.labels)  # the same labels, other pictures
    assert not np.allclose(easy.images, a.images, atol=0.1)


def test_hard_backgrounds_are_busier():
    # mean absolute difference between neighbouring pixels of 2x2 means (which damp the pixel
    # noise): texture, clutter and edges
    easy, hard = (SyntheticShapes(200, size=32, seed=2, preset=p).images for p in ("easy", "hard"))
    pooled = lambda x: x.reshape(200, 3, 16, 2, 16, 2).mean(axis=(3, 5))
    busy = lambda x: np.abs(np.diff(x, axis=-1)).mean() + np.abs(np.diff(x, axis=-2)).mean()
    assert busy(pooled(hard)) > 1.3 * busy(pooled(easy))


def _random_feature_probe(preset):
    """Test accuracy of ridge regression on a random, untrained conv layer's pooled ReLU features."""
    from numpy.lib.stride_tricks import sliding_window_view

    rng = np.random.default_rng(7)
    filters = rng.standard_normal((75, 64))

    def features(images):
        x = images - images.mean(axis=(1, 2, 3), keepdims=True)
        patches = sliding_window_view(x, (5, 5), axis=(2, 3)).transpose(0, 2, 3, 1, 4, 5)
        patches = patches.reshape(len(x), -1, 75).astype(np.float64)
        r = np.maximum((patches - patches.mean(axis=-1, keepdims=True)) @ filters, 0)
        return np.concatenate([r.mean(axis=1), r.max(axis=1)], axis=1)

    train = SyntheticShapes(1000, size=16, seed=20, preset=preset)
    test = SyntheticShapes(500, size=16, seed=21, preset=preset)
    X, Xt = features(train.images), features(test.images)
    mu, sd = X.mean(axis=0), X.std(axis=0) + 1e-8
    X, Xt = (X - mu) / sd, (Xt - mu) / sd
    Y = np.eye(10)[train.labels]
    W = np.linalg.solve(X.T @ X + 10 * np.eye(X.shape[1]), X.T @ (Y - Y.mean(axis=0)))
    return (np.argmax(Xt @ W, axis=1) == test.labels).mean()


def test_hard_preset_is_harder_for_a_fixed_feature_extractor():
    # Raw pixels are at chance on both presets (see above); a random conv layer with global
    # pooling is translation-invariant, and reads the easy shapes far better than the hard ones.
    easy, hard = _random_feature_probe("easy"), _random_feature_probe("hard")
    assert easy > 0.25 and easy > hard + 0.1


def test_bad_preset():
    with pytest.raises(ValueError, match="preset must be one of"):
        SyntheticShapes(10, preset="medium")


# --- CIFAR-10 when the files are there, else the hard shapes --------------------------------


def test_without_cifar_the_hard_shapes_are_used(monkeypatch):
    from minicnn.data import cifar10_or_shapes

    monkeypatch.delenv("MINICNN_CIFAR10", raising=False)
    train, test, said = cifar10_or_shapes(40, 20, size=16, seed=3)
    assert "SyntheticShapes, hard preset" in said and "MINICNN_CIFAR10 is not set" in said
    assert train.images.shape == (40, 3, 16, 16) and test.images.shape == (20, 3, 16, 16)
    assert train.classes == list(SHAPES) and cifar10_or_shapes(8, 4, 16, classes=4)[0].classes == list(
        SHAPES[:4]
    )
    with pytest.raises(ValueError, match="classes must be 2..10"):
        cifar10_or_shapes(8, 4, 16, classes=11)
    assert not np.array_equal(train.images[:20], test.images)  # two different draws
    again, _, _ = cifar10_or_shapes(40, 20, size=16, seed=3)
    np.testing.assert_array_equal(again.images, train.images)


def test_cifar_is_used_when_the_variable_points_at_it(tmp_path, monkeypatch):
    import pickle

    from minicnn.data import cifar10_or_shapes

    rng = np.random.default_rng(8)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {
            b"data": rng.integers(0, 256, (20, 3072), dtype=np.uint8),
            b"labels": (np.arange(20) % 10).tolist(),
        }
        (folder / name).write_bytes(pickle.dumps(batch))
    monkeypatch.setenv("MINICNN_CIFAR10", str(tmp_path))
    train, test, said = cifar10_or_shapes(30, 10, size=16, seed=0)
    assert said.startswith(f"CIFAR-10 from {tmp_path}")
    assert train.images.shape == (30, 3, 16, 16) and test.images.shape == (10, 3, 16, 16)
    assert np.bincount(train.labels, minlength=10).tolist() == [3] * 10
    assert np.bincount(test.labels, minlength=10).tolist() == [1] * 10
    five, five_test, said = cifar10_or_shapes(15, 10, size=16, seed=0, classes=5)
    assert five.classes == ["airplane", "automobile", "bird", "cat", "deer"] and "5 classes" in said
    assert np.bincount(five.labels).tolist() == [3] * 5 and np.bincount(five_test.labels).tolist() == [2] * 5
    full, _, _ = cifar10_or_shapes(30, 10, size=32, seed=0)  # unresized: CIFAR's own pixels
    pixels = (
        np.concatenate(
            [pickle.loads((folder / f"data_batch_{i}").read_bytes())[b"data"] for i in range(1, 6)]
        )
        .reshape(-1, 3, 32, 32)
        .astype(np.float32)
        / 255
    )
    assert all((np.abs(pixels - image).max(axis=(1, 2, 3)) == 0).any() for image in full.images)


def test_a_wrong_cifar_folder_falls_back_and_says_why(tmp_path, monkeypatch):
    from minicnn.data import cifar10_or_shapes

    monkeypatch.setenv("MINICNN_CIFAR10", str(tmp_path))
    with pytest.warns(UserWarning, match="using SyntheticShapes"):
        train, _, said = cifar10_or_shapes(20, 10, size=16)
    assert f"MINICNN_CIFAR10={tmp_path} gave no CIFAR-10" in said and len(train) == 20


def test_balanced_indices():
    from minicnn.data.natural import balanced_indices

    rng = np.random.default_rng(9)
    labels = rng.integers(0, 4, 400)
    idx = balanced_indices(labels, 10, np.random.default_rng(1))
    assert len(set(idx.tolist())) == 10
    counts = np.bincount(labels[idx], minlength=4)
    assert counts.max() - counts.min() <= 1
    with pytest.raises(ValueError, match="n must be 0..400"):
        balanced_indices(labels, 401, rng)
