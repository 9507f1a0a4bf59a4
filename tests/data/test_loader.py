import numpy as np
import pytest

import minicnn as mc
from minicnn import Tensor, data, rng
from minicnn.data import DataLoader, Dataset, Subset, TensorDataset
from minicnn.data import transforms as T


def _ds(n=10):
    x = np.arange(n, dtype=np.float64)[:, None, None, None] * np.ones((1, 1, 2, 2))
    return TensorDataset(x, np.arange(n))


class ItemOnly(Dataset):
    """A dataset without in-memory arrays: the loader must fetch item by item."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.full((1, 2, 2), float(i)), i


def test_batches_types_and_len():
    loader = DataLoader(_ds(), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    x, y = batches[0]
    assert isinstance(x, Tensor) and x.dtype == np.float32 and x.shape == (4, 1, 2, 2)
    assert y.dtype == np.int64 and y.data.tolist() == [0, 1, 2, 3]
    assert batches[-1][1].data.tolist() == [8, 9]


def test_drop_last():
    loader = DataLoader(_ds(), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(y) for _, y in loader] == [4, 4]
    assert len(DataLoader(_ds(8), batch_size=4, drop_last=True)) == 2


def _order(loader):
    return np.concatenate([y.data for _, y in loader]).tolist()


def test_shuffle_is_reproducible_from_seed_and_differs_by_epoch():
    a, b = DataLoader(_ds(), 3, shuffle=True, seed=5), DataLoader(_ds(), 3, shuffle=True, seed=5)
    first, second = _order(a), _order(a)
    assert sorted(first) == list(range(10)) and first != list(range(10))
    assert first != second  # epochs 0 and 1 differ
    assert [_order(b), _order(b)] == [first, second]  # same seed, same run
    b.set_epoch(1)
    assert _order(b) == second
    assert _order(DataLoader(_ds(), 3, shuffle=True, seed=6)) != first


def test_transform_uses_the_epoch_generator():
    flip = T.RandomHorizontalFlip()
    data = TensorDataset(np.random.default_rng(0).uniform(size=(16, 1, 2, 3)), np.zeros(16, int))
    run = lambda loader: np.concatenate([x.data for x, _ in loader])
    a = DataLoader(data, 8, seed=1, transform=flip)
    b = DataLoader(data, 8, seed=1, transform=flip)
    first = run(a)
    np.testing.assert_array_equal(first, run(b))
    assert not np.array_equal(first, run(a))
    assert not np.array_equal(first, data.images.astype(np.float32))


def test_item_only_datasets_and_subsets():
    loader = DataLoader(ItemOnly(), batch_size=3)
    batches = list(loader)
    assert len(batches) == 3 and batches[0][0].shape == (3, 1, 2, 2)
    assert batches[2][1].data.tolist() == [6] and batches[1][0].data[1, 0, 0, 0] == 4
    sub = Subset(ItemOnly(), [6, 0])
    assert sub.images is None and _order(DataLoader(sub, 2)) == [6, 0]
    assert _order(DataLoader(Subset(_ds(), [9, 3, 1]), 2)) == [9, 3, 1]


class RealTargets(Dataset):
    """Item by item, real-valued targets: a regression's, or soft labels."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return np.full((1, 2, 2), float(i)), np.array([0.5 * i + 0.25, 1.0 - 0.1 * i])


def test_real_valued_targets_keep_their_values_as_float32():
    (_, y0), (_, y1) = DataLoader(RealTargets(), batch_size=2)
    assert y0.dtype == np.float32 and y0.shape == (2, 2)
    np.testing.assert_allclose(
        np.concatenate([y0.data, y1.data]), [[0.25, 1.0], [0.75, 0.9], [1.25, 0.8], [1.75, 0.7]]
    )


def test_a_list_of_pairs_is_a_dataset_too():
    """As PyTorch's DataLoader: anything with len and [i] -> (x, y), Tensors or arrays."""
    pairs = [(Tensor(np.full((1, 2), float(i))), i % 2) for i in range(5)]
    x, y = next(iter(DataLoader(pairs, batch_size=3)))
    assert x.shape == (3, 1, 2) and x.dtype == np.float32 and y.data.tolist() == [0, 1, 0]
    assert y.dtype == np.int64 and len(DataLoader(pairs, batch_size=3)) == 2


def test_labels_that_are_not_numbers_are_refused_in_one_line():
    pairs = [(np.zeros(2), "cat"), (np.zeros(2), "dog")]
    with pytest.raises(TypeError, match="DataLoader: labels must be numbers .* got dtype <U3"):
        next(iter(DataLoader(pairs, batch_size=2)))


def test_ten_crop_batches_have_the_crop_axis_first():
    data = TensorDataset(np.zeros((5, 3, 8, 8)), np.zeros(5, int))
    x, y = next(iter(DataLoader(data, 4, transform=T.TenCrop(6))))
    assert x.shape == (10, 4, 3, 6, 6) and y.shape == (4,)


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size must be a positive integer or None .*got 0"):
        DataLoader(_ds(), batch_size=0)
    with pytest.raises(TypeError, match="transform must be callable"):
        DataLoader(_ds(), transform="flip")


def test_a_dataset_that_makes_its_own_items_is_asked_for_them():
    """One with .images/.labels but its own __getitem__ (a layout change, a scaling): the
    loader calls it rather than gathering the raw arrays."""

    class ChannelsLast(data.Dataset):
        def __init__(self, images, labels):
            self.images, self.labels = images, labels

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, i):
            return self.images[i].transpose(2, 0, 1) / 255, self.labels[i]

    raw = np.random.default_rng(21).integers(0, 256, (6, 4, 5, 3)).astype(np.uint8)
    x, y = next(iter(data.DataLoader(ChannelsLast(raw, np.arange(6)), batch_size=6)))
    assert x.shape == (6, 3, 4, 5) and x.numpy().max() <= 1.0
    sub = data.Subset(ChannelsLast(raw, np.arange(6)), [1, 2])
    assert next(iter(data.DataLoader(sub, batch_size=2)))[0].shape == (2, 3, 4, 5)


def test_manual_seed_repeats_an_unseeded_loaders_order():
    ds = data.TensorDataset(np.zeros((12, 1, 2, 2), np.float32), np.arange(12))
    orders = []
    for _ in range(2):
        mc.manual_seed(22)
        orders.append([y.tolist() for _, y in data.DataLoader(ds, batch_size=4, shuffle=True)])
    assert orders[0] == orders[1] and orders[0] != [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    state = rng.get_state()
    data.DataLoader(ds, batch_size=4)  # a fixed order draws nothing from the generator
    assert rng.get_state() == state


def test_a_transform_of_the_batch_alone_is_called_without_the_generator():
    ds = data.TensorDataset(np.ones((4, 1, 2, 2), np.float32), np.arange(4))
    x, _ = next(iter(data.DataLoader(ds, batch_size=4, transform=lambda batch: batch * 3)))
    assert x.numpy().max() == 3.0
    composed = T.Compose([T.RandomHorizontalFlip(), lambda batch: batch - 1])
    assert composed(np.ones((2, 1, 2, 2), np.float32), np.random.default_rng(23)).max() == 0.0


def test_items_that_are_not_pairs_are_named():
    with pytest.raises(TypeError, match=r"DataLoader: dataset\[0\] must be a pair \(x, y\), got 3 values"):
        next(iter(data.DataLoader([(np.zeros((1, 2, 2)), 0, "extra")], batch_size=1)))
    with pytest.raises(TypeError, match="positional argument"):
        data.TensorDataset(np.zeros((2, 1, 2, 2)), np.arange(2), np.ones(2))  # classes is named


def test_a_numpy_function_of_one_input_is_a_transform():
    ds = data.TensorDataset(np.zeros((2, 1, 2, 2), np.float32), np.arange(2))
    x, _ = next(iter(data.DataLoader(ds, batch_size=2, transform=np.cos)))
    assert x.numpy().min() == 1.0


@pytest.mark.parametrize("size", [2.0, True, "4", -1])
def test_a_batch_size_that_is_not_an_int_is_named(size):
    with pytest.raises(
        ValueError, match=f"DataLoader: batch_size must be a positive integer or None .*got {size!r}"
    ):
        data.DataLoader(data.TensorDataset(np.zeros((2, 1, 2, 2)), np.arange(2)), size)


def test_pytorchs_loader_arguments_run_its_code_with_the_same_batches(monkeypatch):
    from minicnn import backend

    monkeypatch.setattr(backend, "_said", set())
    plain = [y.numpy().tolist() for _, y in DataLoader(_ds(), batch_size=4, shuffle=True, seed=3)]
    with pytest.warns(UserWarning, match=r"num_workers=2 loads in this process all the same") as said:
        loader = DataLoader(_ds(), batch_size=4, shuffle=True, seed=3, num_workers=2, pin_memory=True)
        DataLoader(_ds(), batch_size=4, num_workers=4)  # said once
    assert len(said) == 1
    assert [y.numpy().tolist() for _, y in loader] == plain
    with pytest.raises(ValueError, match=r"DataLoader: num_workers must be an integer >= 0, got -1"):
        DataLoader(_ds(), num_workers=-1)


def test_a_loaders_generator_gives_its_seed_as_pytorchs_generator_does():
    by_int = DataLoader(_ds(), batch_size=4, shuffle=True, generator=7)
    by_generator = DataLoader(_ds(), batch_size=4, shuffle=True, generator=np.random.default_rng(7))
    assert by_int.seed == by_generator.seed
    assert [y.numpy().tolist() for _, y in by_int] == [y.numpy().tolist() for _, y in by_generator]
    with pytest.raises(ValueError, match="DataLoader: give seed or generator, not both"):
        DataLoader(_ds(), seed=1, generator=1)


def test_collate_fn_makes_each_batch_from_the_items():
    def reversed_pairs(items):
        xs, ys = zip(*items)
        return np.stack(xs[::-1]), np.array(ys[::-1])

    batches = [y.numpy().tolist() for _, y in DataLoader(_ds(6), batch_size=3, collate_fn=reversed_pairs)]
    assert batches == [[2, 1, 0], [5, 4, 3]]
    with pytest.raises(TypeError, match=r"DataLoader: collate_fn must return a pair \(x, y\), got list"):
        next(iter(DataLoader(_ds(6), batch_size=3, collate_fn=lambda items: [1, 2, 3])))


def test_a_sampler_without_len_is_batched_as_pytorch_batches_it():
    """PyTorch iterates a sampler that is an iterator; only len(loader) needs its len."""
    loader = DataLoader(_ds(), batch_size=2, sampler=iter([3, 1, 2]))
    assert [y.numpy().tolist() for _, y in loader] == [[3, 1], [2]]
    with pytest.raises(TypeError, match=r"DataLoader: len\(loader\) needs len\(sampler\)"):
        len(DataLoader(_ds(), batch_size=2, sampler=iter([3, 1, 2])))
    dropped = DataLoader(_ds(), batch_size=2, drop_last=True, sampler=(i for i in [4, 5, 6]))
    assert [y.numpy().tolist() for _, y in dropped] == [[4, 5]]


class EpochBatches:
    """A batch sampler that hands out the epoch it was told, as DistributedSampler does."""

    def __init__(self):
        self.epoch = None

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __len__(self):
        return 2

    def __iter__(self):
        return iter([[self.epoch, 9], [5]])


def test_batch_sampler_gives_each_batch_its_indices():
    loader = DataLoader(_ds(), batch_sampler=[[3, 1], [2]])
    assert len(loader) == 2 and loader.batch_size is None
    x, y = next(iter(loader))
    assert x.shape == (2, 1, 2, 2) and y.numpy().tolist() == [3, 1]
    assert [y.numpy().tolist() for _, y in DataLoader(ItemOnly(), batch_sampler=[[6], [0, 2, 4]])] == [
        [6],
        [0, 2, 4],
    ]
    told = DataLoader(_ds(), batch_sampler=EpochBatches())
    told.set_epoch(4)
    assert [y.numpy().tolist() for _, y in told] == [[4, 9], [5]]
    with pytest.raises(ValueError, match=r"DataLoader: batch_sampler gave an empty batch \(batch 1\)"):
        list(DataLoader(_ds(), batch_sampler=[[1], []]))


@pytest.mark.parametrize(
    "kwargs", [{"batch_size": 2}, {"shuffle": True}, {"sampler": [0, 1]}, {"drop_last": True}]
)
def test_batch_sampler_is_refused_beside_what_it_replaces_as_in_pytorch(kwargs):
    with pytest.raises(
        ValueError,
        match="DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
        "sampler, and drop_last",
    ):
        DataLoader(_ds(), batch_sampler=[[0, 1]], **kwargs)


def test_batch_size_none_gives_the_items_unbatched_as_pytorch():
    items = list(DataLoader(_ds(4), batch_size=None))
    assert len(DataLoader(_ds(4), batch_size=None)) == 4 and len(items) == 4
    x, y = items[2]
    assert x.shape == (1, 2, 2) and x.dtype == np.float32 and x.numpy()[0, 0, 0] == 2.0
    assert y.shape == () and y.dtype == np.int64 and y.item() == 2
    order = [y.item() for _, y in DataLoader(_ds(), batch_size=None, shuffle=True, seed=24)]
    assert sorted(order) == list(range(10)) and order != list(range(10))
    # items that are whole batches already: each one is a batch as it stands
    batches = [(np.full((3, 1, 2, 2), float(k)), np.arange(3) + k) for k in range(2)]
    (x0, y0), (x1, y1) = DataLoader(batches, batch_size=None)
    assert x1.shape == (3, 1, 2, 2) and y1.numpy().tolist() == [1, 2, 3]
    pairs = DataLoader(_ds(3), batch_size=None, collate_fn=lambda item: (item[0] * 2, item[1] + 10))
    assert [(x.numpy().max(), y.item()) for x, y in pairs] == [(0, 10), (2, 11), (4, 12)]
    with pytest.raises(ValueError, match="DataLoader: batch_size=None option disables auto-batching and is"):
        DataLoader(_ds(), batch_size=None, drop_last=True)


@pytest.mark.parametrize("dataset", [5, iter([(np.zeros(2), 0)]), None])
def test_a_dataset_without_len_and_items_is_refused_when_the_loader_is_built(dataset):
    with pytest.raises(TypeError, match=r"DataLoader: dataset must have len\(dataset\) and dataset\[i\]"):
        DataLoader(dataset, batch_size=2)


@pytest.mark.parametrize("extra", [(True,), (True, 0), (False, 0, None, [0, 1])])
def test_a_fourth_positional_argument_is_refused_naming_the_keywords(extra):
    """PyTorch's 4th positional is sampler, minicnn's was drop_last: only the first three are
    positional, so DataLoader(ds, 2, False, sampler) cannot silently mean another thing."""
    rng = np.random.default_rng(31)
    ds = data.TensorDataset(rng.random((4, 1, 2, 2), np.float32), np.arange(4))
    with pytest.raises(TypeError) as err:
        data.DataLoader(ds, 2, False, *extra)
    assert str(err.value) == (
        f"DataLoader: only dataset, batch_size and shuffle are positional, got {len(extra)} more; "
        "name the rest (drop_last=, seed=, transform=, sampler=, batch_sampler=, generator=, "
        "collate_fn=, num_workers=, pin_memory=), as PyTorch's order differs"
    )
    loader = data.DataLoader(ds, 2, True, drop_last=True, seed=0, sampler=None)
    assert len(loader) == 2 and loader.drop_last and loader.seed == 0
