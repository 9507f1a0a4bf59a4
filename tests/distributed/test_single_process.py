"""minicnn.distributed in one process (no mpiexec): defaults, sampler, SyncBatchNorm, DDP."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.distributed as dist
from minicnn import data, nn


def test_one_process_is_rank_0_of_1_and_collectives_keep_their_argument():
    assert dist.rank() == 0 and dist.world_size() == 1
    a = np.arange(4.0)
    assert dist.all_reduce(a) is a and a.tolist() == [0, 1, 2, 3]
    t = mc.tensor([1.0, 2.0])
    assert dist.broadcast(t) is t and t.tolist() == [1.0, 2.0]
    dist.barrier()


def test_collective_errors_name_what_was_wrong():
    with pytest.raises(ValueError, match="op must be one of"):
        dist.all_reduce(np.ones(2), op="mean")
    with pytest.raises(TypeError, match="expected a Tensor or an array, got list"):
        dist.all_reduce([1.0, 2.0])
    with pytest.raises(ValueError, match="C-contiguous"):
        dist.all_reduce(np.ones((4, 4))[:, ::2])
    with pytest.raises(ValueError, match="root must be a rank in 0..0, got 1"):
        dist.broadcast(np.ones(2), root=1)
    with pytest.raises(ValueError, match="backend must be one of"):
        dist.init("gloo")


@pytest.mark.parametrize(
    "n, replicas, drop_last", [(10, 3, False), (10, 3, True), (9, 3, False), (2, 4, False)]
)
def test_sampler_shards_cover_the_dataset_once_per_epoch(n, replicas, drop_last):
    shards = [
        list(dist.DistributedSampler(range(n), replicas, r, seed=5, drop_last=drop_last))
        for r in range(replicas)
    ]
    sizes = {len(s) for s in shards}
    assert len(sizes) == 1  # every rank the same number of steps
    seen = sorted(i for s in shards for i in s)
    if drop_last:
        assert len(seen) == n // replicas * replicas and len(set(seen)) == len(seen)
    else:
        assert set(seen) == set(range(n))  # padded by repeating, none missing
        assert len(seen) == -(-n // replicas) * replicas


def test_sampler_shuffles_per_epoch_alike_on_every_rank():
    a, b = (dist.DistributedSampler(range(20), 2, r, seed=1) for r in (0, 1))
    first = list(a) + list(b)
    a.set_epoch(1), b.set_epoch(1)
    second = list(a) + list(b)
    assert sorted(first) == sorted(second) == list(range(20)) and first != second
    assert list(dist.DistributedSampler(range(6), 2, 1, shuffle=False)) == [1, 3, 5]


def test_sampler_rejects_a_rank_outside_the_world():
    with pytest.raises(ValueError, match=r"invalid rank 2, rank should be in the interval"):
        dist.DistributedSampler(range(4), num_replicas=2, rank=2)


def _dataset(n=10):
    return data.TensorDataset(np.arange(n, dtype=np.float32).reshape(n, 1), np.arange(n))


def test_dataloader_takes_a_sampler_and_tells_it_the_epoch():
    ds = _dataset()
    sampler = dist.DistributedSampler(ds, 2, 1, seed=0)
    loader = data.DataLoader(ds, batch_size=2, sampler=sampler)
    assert len(loader) == 3
    epoch0 = np.concatenate([y.numpy() for _, y in loader])
    epoch1 = np.concatenate([y.numpy() for _, y in loader])
    assert sampler.epoch == 1
    sampler.set_epoch(0)
    assert epoch0.tolist() == list(sampler) and epoch0.tolist() != epoch1.tolist()
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        data.DataLoader(ds, sampler=sampler, shuffle=True)


def test_shard_loader_splits_the_global_batch():
    loader = data.DataLoader(_dataset(12), batch_size=4, shuffle=True, seed=7)
    shards = [dist.shard_loader(loader, 2, r) for r in (0, 1)]
    assert [s.batch_size for s in shards] == [2, 2] and len(shards[0]) == len(loader)
    ys = [np.concatenate([y.numpy() for _, y in s]) for s in shards]
    assert sorted(np.concatenate(ys).tolist()) == list(range(12))
    assert dist.shard_loader(shards[0]) is shards[0]
    with pytest.raises(ValueError, match="batch size 4 does not split evenly over 3 ranks"):
        dist.shard_loader(loader, 3, 0)
    for unsplittable in (
        data.DataLoader(_dataset(12), batch_sampler=[[0, 1], [2, 3]]),
        data.DataLoader(_dataset(12), batch_size=None),
    ):
        with pytest.raises(TypeError, match="shard_loader: expected a minicnn DataLoader with a batch_size"):
            dist.shard_loader(unsplittable, 2, 0)


def _bn_pair(cls, shape, seed=0):
    mc.manual_seed(seed)
    plain = cls(shape[1]).to(np.float64)
    sync = dist.SyncBatchNorm.convert_sync_batchnorm(plain)
    return plain, sync


@pytest.mark.parametrize("cls, shape", [(nn.BatchNorm2d, (4, 3, 5, 5)), (nn.BatchNorm1d, (6, 3))])
def test_sync_batchnorm_alone_is_batchnorm(cls, shape):
    mc.manual_seed(0)
    plain = cls(shape[1]).to(np.float64)
    plain.weight.data[...] = [0.5, 2.0, -1.0]
    sync = dist.SyncBatchNorm(shape[1]).to(np.float64)
    sync.load_state_dict(plain.state_dict())
    x = np.random.default_rng(0).standard_normal(shape) * 3 + 1
    gy = np.random.default_rng(1).standard_normal(shape)
    outs = []
    for m in (plain, sync):
        xt = mc.tensor(x, requires_grad=True)
        y = m(xt)
        y.backward(gy)
        outs.append(
            (
                y.numpy(),
                xt.grad.numpy(),
                m.weight.grad.numpy(),
                m.bias.grad.numpy(),
                m.running_mean.numpy(),
                m.running_var.numpy(),
            )
        )
    for a, b in zip(*outs):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
    sync.eval(), plain.eval()
    np.testing.assert_allclose(sync(mc.tensor(x)).numpy(), plain(mc.tensor(x)).numpy(), rtol=1e-12)


def test_sync_batchnorm_gradcheck():
    m = dist.SyncBatchNorm(3).to(np.float64)
    x = mc.tensor(np.random.default_rng(2).standard_normal((3, 3, 2, 2)), requires_grad=True)
    assert mc.gradcheck(m, [x])


def test_convert_sync_batchnorm_keeps_order_state_and_names():
    net = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(2, 2), nn.BatchNorm1d(2)
    )
    net[1].running_mean.data[...] = [3.0, 4.0]
    keys = list(net.state_dict())
    out = dist.SyncBatchNorm.convert_sync_batchnorm(net)
    assert out is net and isinstance(net[1], dist.SyncBatchNorm)
    assert isinstance(net[5], dist.SyncBatchNorm) and isinstance(net[2], nn.ReLU)
    assert list(net.state_dict()) == keys and net[1].running_mean.tolist() == [3.0, 4.0]


def test_sync_batchnorm_errors_name_the_layer():
    net = dist.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm2d(3)))
    with pytest.raises(
        ValueError,
        match=r"SyncBatchNorm at '0': x has 2 channel\(s\) but the "
        r"layer was built for num_features=3",
    ):
        net(mc.tensor(np.zeros((2, 2, 4, 4), dtype=np.float32)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        net(mc.tensor(np.zeros((1, 3, 1, 1), dtype=np.float32)))
    with pytest.raises(
        ValueError,
        match=r"expected \(N, C\) or \(N, C, \.\.\.\) up to 5-D input, "
        r"got 1-D",
    ):
        net(mc.tensor(np.zeros(3, dtype=np.float32)))


def test_ddp_in_one_process_passes_forward_through_and_leaves_gradients():
    mc.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 2))
    ddp = dist.DistributedDataParallel(net)
    assert ddp.module is net and list(ddp.state_dict()) == ["module.0.weight", "module.0.bias"]
    x = mc.tensor(np.ones((2, 3), dtype=np.float32))
    ddp(x).sum().backward()
    before = net[0].weight.grad.numpy().copy()
    ddp.sync_gradients()
    np.testing.assert_array_equal(net[0].weight.grad.numpy(), before)
    np.testing.assert_array_equal(ddp(x).numpy(), net(x).numpy())
    with pytest.raises(TypeError, match="expected a Module, got list"):
        dist.DistributedDataParallel([net])


def test_buckets_respect_the_cap_and_keep_dtypes_apart():
    from minicnn.distributed.ddp import _buckets

    arrays = [np.zeros(100), np.zeros(100), np.zeros(100, np.float32), np.zeros(300)]
    buckets = list(_buckets(arrays, cap_bytes=1600))
    assert [[a.size for a in b] for b in buckets] == [[100, 100], [300], [100]]
    assert all(len({a.dtype for a in b}) == 1 for b in buckets)


def _launcher_env(monkeypatch, **env):
    from minicnn.distributed import comm

    for pair in comm._LAUNCHER_VARS:
        for var in pair:
            monkeypatch.delenv(var, raising=False)
    for var in comm._LAUNCHER_SIZE_VARS:
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)


def test_launcher_variables_that_are_not_numbers_or_ranks_are_named_in_one_line(monkeypatch, capsys, rng):
    from minicnn.__main__ import main
    from minicnn.distributed.comm import _launched_size, launched_by

    size = int(rng.integers(2, 9))
    _launcher_env(monkeypatch, PMI_SIZE="\u00b2")  # a digit to str.isdigit, but not to int()
    assert launched_by() == (1, 0) and _launched_size() == 1
    _launcher_env(monkeypatch, OMPI_COMM_WORLD_SIZE=str(size), OMPI_COMM_WORLD_RANK=str(size - 1))
    assert launched_by() == (size, size - 1)
    for rank in (str(size), "-1", "\u00b2", "x"):
        _launcher_env(monkeypatch, PMI_SIZE=str(size), PMI_RANK=rank)
        with pytest.raises(
            ValueError, match=rf"PMI_RANK='.*' is not a rank of the PMI_SIZE={size} processes"
        ):
            launched_by()
        assert main(["summary", "lenet5"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("python -m minicnn summary: error: PMI_RANK="), err
    _launcher_env(monkeypatch, PMI_SIZE="0")
    with pytest.raises(ValueError, match=r"PMI_SIZE=0 is not a number of processes"):
        launched_by()


def test_shard_loader_without_a_seed_shuffles_every_rank_from_seed_0(rng):
    """Ranks seeded apart (e.g. for augmentation) draw different loader seeds; their shards
    must still come from one permutation: the sampler's seed 0, as PyTorch's."""
    n = int(rng.integers(6, 15)) * 2
    shards, seeds = [], []
    for r in (0, 1):
        mc.manual_seed(int(rng.integers(1000)) + r)
        shard = dist.shard_loader(data.DataLoader(_dataset(n), batch_size=2, shuffle=True), 2, r)
        shards.append([int(i) for _, y in shard for i in y.numpy()])
        seeds.append(shard.sampler.seed)
    assert sorted(shards[0] + shards[1]) == list(range(n))  # one permutation, split in two
    assert seeds == [0, 0]
    given = data.DataLoader(_dataset(n), batch_size=2, shuffle=True, seed=11)
    assert dist.shard_loader(given, 2, 1).sampler.seed == 11


def test_shard_loader_keeps_the_collate_fn():
    def collate(items):
        return np.stack([x for x, _ in items]) * 0 + 7, np.stack([y for _, y in items])

    loader = data.DataLoader(_dataset(8), batch_size=4, collate_fn=collate)
    x, _ = next(iter(dist.shard_loader(loader, 2, 0)))
    assert (x.numpy() == 7).all()


def _no_collectives(monkeypatch):
    from minicnn.distributed import comm

    def refuse(*args, **kwargs):
        raise AssertionError("a collective was made")

    monkeypatch.setattr(comm, "all_reduce", refuse)
    monkeypatch.setattr(comm, "broadcast", refuse)


def test_sync_batchnorm_without_running_stats_in_eval_uses_this_batch_and_no_collective(monkeypatch, rng):
    """PyTorch syncs only in training: in eval, no running statistics means the local batch's."""
    mc.manual_seed(0)
    sync = dist.SyncBatchNorm(3, track_running_stats=False).to(np.float64).eval()
    plain = nn.BatchNorm2d(3, track_running_stats=False).to(np.float64).eval()
    _no_collectives(monkeypatch)
    x = mc.tensor(rng.standard_normal((4, 3, 2, 2)) * 2 + 1)
    np.testing.assert_allclose(sync(x).numpy(), plain(x).numpy(), rtol=1e-12, atol=1e-12)
    assert abs(sync(x).numpy().mean(axis=(0, 2, 3))).max() < 1e-12  # normalized by x's own mean
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        sync(mc.tensor(np.zeros((1, 3, 1, 1))))  # the local check, as BatchNorm's


def test_ddp_broadcasts_buffers_before_forwards_that_follow_one_with_autograd(monkeypatch):
    """PyTorch's rule: a forward syncs the buffers when the forward before it recorded a graph
    (so the first no_grad forward after training does, the next one does not)."""
    calls = []
    ddp = dist.DistributedDataParallel(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
    monkeypatch.setattr(ddp, "sync_buffers", lambda: calls.append(1))
    x = mc.tensor(np.ones((3, 2), dtype=np.float32))
    seen = []
    for grad in (True, True, False, False, True, True):
        with mc.enable_grad() if grad else mc.no_grad():
            ddp(x)
        seen.append(len(calls))
    assert seen == [1, 2, 3, 3, 3, 4]
    ddp.broadcast_buffers = False
    ddp(x)
    assert len(calls) == 4


def _no_init(monkeypatch, size):
    from minicnn.distributed import comm

    _launcher_env(monkeypatch, PMI_SIZE=str(size), PMI_RANK="0")
    monkeypatch.setattr(comm, "_initialized", [False])


@pytest.mark.parametrize(
    "who, call",
    [
        ("all_reduce", lambda: dist.all_reduce(np.ones(2))),
        ("broadcast", lambda: dist.broadcast(np.ones(2), root=1)),
        ("barrier", dist.barrier),
        ("DistributedSampler", lambda: dist.DistributedSampler(range(4))),
        ("DistributedDataParallel", lambda: dist.DistributedDataParallel(nn.Linear(2, 2))),
        ("shard_loader", lambda: dist.shard_loader(data.DataLoader(_dataset(4), batch_size=2))),
        ("SyncBatchNorm", lambda: dist.SyncBatchNorm(2)(mc.tensor(np.ones((3, 2), dtype=np.float32)))),
    ],
)
def test_under_a_launcher_of_several_without_init_the_world_of_one_is_refused(monkeypatch, who, call):
    _no_init(monkeypatch, 3)
    with pytest.raises(RuntimeError) as caught:
        call()
    line = str(caught.value)
    assert "\n" not in line and "PMI_SIZE=3" in line
    assert line.endswith("call minicnn.distributed.init() first")
    assert line.startswith("all_reduce" if who == "SyncBatchNorm" else who)


def test_a_launcher_of_one_or_given_ranks_needs_no_init(monkeypatch):
    _no_init(monkeypatch, 1)
    assert dist.all_reduce(np.ones(2)).tolist() == [1, 1]
    dist.DistributedSampler(range(4))
    _no_init(monkeypatch, 2)
    assert list(dist.DistributedSampler(range(4), num_replicas=2, rank=1, shuffle=False)) == [1, 3]
    assert dist.shard_loader(data.DataLoader(_dataset(4), batch_size=2), 2, 0).batch_size == 1


def test_a_mismatched_collective_is_described_in_one_line_naming_both_ranks():
    from minicnn.distributed.comm import _KINDS, _compare, _note

    mine = _note(4, _KINDS.index("all_reduce"), 0, np.ones(1))
    same = _note(4, _KINDS.index("all_reduce"), 0, np.ones(1))
    other = _note(4, _KINDS.index("broadcast"), 0, np.ones(3, dtype=np.float32))
    _compare(mine, np.stack([same, same]))
    with pytest.raises(RuntimeError) as caught:
        _compare(mine, np.stack([same, other]))
    assert str(caught.value) == (
        "minicnn.distributed: collective #4 differs between ranks: rank 0 calls all_reduce(sum) "
        "of 1 float64, rank 2 calls broadcast(root=0) of 3 float32; every rank must make the "
        "same collectives in the same order"
    )
    barrier = _note(4, _KINDS.index("barrier"), 0, None)
    with pytest.raises(RuntimeError, match=r"rank 1 calls barrier;"):
        _compare(mine, barrier[None])


def test_distributed_fit_in_one_process_takes_the_plain_loaders_batches(tmp_path):
    """Without mpirun, fit(distributed=True) on a loader given a seed is the plain run, bit for
    bit: the sampler's permutation is the loader's. Only a transform's draws would differ."""
    gen = np.random.default_rng(5)
    train = data.TensorDataset(gen.random((24, 1, 6, 6)).astype(np.float32), gen.integers(0, 3, 24))
    weights = []
    for distributed in (False, True):
        mc.manual_seed(0)
        net = nn.Sequential(nn.Flatten(), nn.Linear(36, 3))
        opt = mc.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        loader = data.DataLoader(train, batch_size=8, shuffle=True, seed=4)
        mc.train.fit(net, loader, opt, epochs=2, progress=False, distributed=distributed)
        weights.append(np.concatenate([p.numpy().ravel() for p in net.parameters()]))
    np.testing.assert_array_equal(weights[0], weights[1])
