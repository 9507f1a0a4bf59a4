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
        for b in names[i + 1:]:
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
    assert train_acc > test_acc                              # the fit did learn something
    assert test_acc < 0.6


def test_bad_arguments():
    with pytest.raises(ValueError, match="classes must be 2..10 distinct names"):
        SyntheticShapes(10, classes=["circle", "hexagon"])
    with pytest.raises(ValueError, match="size >= 8"):
        SyntheticShapes(10, size=4)
