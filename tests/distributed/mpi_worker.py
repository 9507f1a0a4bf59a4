"""Scenarios run on every rank by ``mpiexec -n 2 python mpi_worker.py NAME`` (see test_mpi.py).

Rank 0 prints one line ``RESULT {json}`` for the test to check.
"""

import json
import os
import sys
import time

import numpy as np

import minicnn as mc
import minicnn.distributed as dist
import minicnn.functional as F
from minicnn import data, models, nn, optim
from minicnn.train import fit

B, STEPS = 8, 5


def flat_params(model):
    return np.concatenate([p.numpy().ravel() for p in model.parameters()])


def max_gap_between_ranks(array):
    """The largest difference between this rank's array and rank 0's, over all ranks."""
    theirs = dist.broadcast(array.copy(), root=0)
    gap = np.array([np.abs(array - theirs).max()])
    return float(dist.all_reduce(gap, "max")[0])


def lenet():
    return models.lenet5(num_classes=10)


def bn_net():
    return nn.Sequential(
        nn.Conv2d(3, 4, 3),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Conv2d(4, 4, 3),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 3),
    )


def train_steps(model, batches, lo, hi, wrap):
    """STEPS of SGD on images lo:hi of each batch; ``wrap`` makes it data-parallel."""
    net = dist.DistributedDataParallel(model) if wrap else model
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in batches:
        loss = F.cross_entropy(net(mc.tensor(x[lo:hi])), mc.tensor(y[lo:hi]))
        opt.zero_grad()
        loss.backward()
        if wrap:
            net.sync_gradients()
        opt.step()
    return model


def same_as_one_process(make, shape, classes, sync_bn):
    """Two ranks with B/2 each versus rank 0 alone with all B, from rank 0's start."""
    r = dist.rank()
    mc.manual_seed(100 + r)  # different starts: DDP must broadcast rank 0's
    model = make().to(np.float64)
    if sync_bn:
        model = dist.SyncBatchNorm.convert_sync_batchnorm(model)
    gen = np.random.default_rng(0)  # the same global batches on every rank
    batches = [(gen.standard_normal((B,) + shape), gen.integers(0, classes, B)) for _ in range(STEPS)]
    mc.manual_seed(100)
    alone = make().to(np.float64)  # rank 0's initial weights, plain BatchNorm
    before = flat_params(alone)
    half = B // dist.world_size()
    train_steps(model, batches, r * half, (r + 1) * half, wrap=True)
    result = {"ranks_gap": max_gap_between_ranks(flat_params(model))}
    if r == 0:
        train_steps(alone, batches, 0, B, wrap=False)
        result["gap_to_one_process"] = float(np.abs(flat_params(model) - flat_params(alone)).max())
        buffers = [(a.numpy(), b.numpy()) for a, b in zip(model.buffers(), alone.buffers())]
        result["buffer_gap"] = max([float(np.abs(a - b).max()) for a, b in buffers] or [0.0])
        result["moved"] = float(np.abs(flat_params(alone) - before).max())
    return result


def scenario_lenet():
    return same_as_one_process(lenet, (1, 28, 28), 10, sync_bn=False)


def scenario_syncbn():
    result = same_as_one_process(bn_net, (3, 8, 8), 3, sync_bn=True)
    plain = same_as_one_process(bn_net, (3, 8, 8), 3, sync_bn=False)
    if dist.rank() == 0:  # per-rank statistics of B/2 images: not the one-process result
        result["plain_bn_gap"] = plain["gap_to_one_process"]
    return result


def scenario_seeds():
    """Each rank its own data and seed; after every step the weights agree bit for bit."""
    r = dist.rank()
    mc.manual_seed(r)
    model = dist.DistributedDataParallel(bn_net().to(np.float64))  # per-rank BatchNorm
    gen = np.random.default_rng(1000 + r)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    gaps, data_gaps = [], []
    for _ in range(STEPS):
        x, y = gen.standard_normal((4, 3, 8, 8)), gen.integers(0, 3, 4)
        data_gaps.append(max_gap_between_ranks(x))
        loss = F.cross_entropy(model(mc.tensor(x)), mc.tensor(y))
        opt.zero_grad()
        loss.backward()
        model.sync_gradients()
        opt.step()
        # NOTE: weights only: per-rank BatchNorm buffers differ until the next forward
        # broadcasts rank 0's, as in PyTorch
        gaps.append(max_gap_between_ranks(flat_params(model)))
    return {"weight_gaps": gaps, "data_gaps": data_gaps}


def scenario_fit():
    """fit(distributed=True): shards, global metrics, identical weights, rank 0 writes."""
    r = dist.rank()
    gen = np.random.default_rng(0)
    train = data.TensorDataset(gen.random((64, 1, 28, 28)).astype(np.float32), gen.integers(0, 10, 64))
    out = os.path.join(sys.argv[2], f"rank{r}")
    mc.manual_seed(r)
    model = lenet()
    history = fit(
        model,
        data.DataLoader(train, batch_size=16, shuffle=True, seed=3),
        optim.SGD(model.parameters(), lr=0.05),
        epochs=2,
        val_loader=data.DataLoader(train, batch_size=32),
        out=out,
        progress=True,
        distributed=True,
    )
    row = history.last()
    result = {
        "weights_gap": max_gap_between_ranks(flat_params(model)),
        "val_acc_gap": max_gap_between_ranks(np.array([row["val_acc"]])),
        "train_loss_gap": max_gap_between_ranks(np.array([row["train_loss"]])),
        "wrote": os.path.exists(os.path.join(out, "checkpoint.npz")),
    }
    wrote = np.array([float(result["wrote"])] * 2)
    wrote[1 - min(r, 1)] = 0  # slot 0: rank 0 wrote, slot 1: another rank wrote
    dist.all_reduce(wrote, "max")
    result.update(rank0_wrote=bool(wrote[0]), others_wrote=bool(wrote[1]), world=dist.world_size())
    return result


def scenario_labelled():
    """fit(distributed=True)'s train accuracy counts labelled images alone, over all ranks."""
    gen = np.random.default_rng(1)
    images = gen.random((64, 1, 28, 28)).astype(np.float32)
    mc.manual_seed(0)
    model = lenet()
    with mc.no_grad():
        y = model(mc.tensor(images)).numpy().argmax(1)  # the model's guesses, half of them kept
    y = np.where(gen.random(64) < 0.5, y, (y + 1) % 10)
    y[[0, 2, 4, 6, 16, 18, 20, 22, 40, 42]] = -100  # ignore_index: no class; uneven between shards
    labelled = y >= 0
    history = fit(
        model,
        data.DataLoader(data.TensorDataset(images, y), batch_size=16),
        optim.SGD(model.parameters(), lr=0.0),  # weights fixed: the epoch's accuracy is the model's
        epochs=1,
        progress=False,
        distributed=True,
    )
    with mc.no_grad():
        guess = model(mc.tensor(images)).numpy().argmax(1)
    return {"train_acc": history.last()["train_acc"], "model_acc": float((guess == y)[labelled].mean())}


def scenario_interrupt():
    """Ctrl-C on every rank after epoch 1's checkpoint: each rank knows what rank 0 kept."""
    from minicnn.train import Interrupted

    def stop(epoch, row, model):
        raise KeyboardInterrupt

    gen = np.random.default_rng(0)
    train = data.TensorDataset(gen.random((32, 1, 28, 28)).astype(np.float32), gen.integers(0, 10, 32))
    model = lenet()
    try:
        fit(
            model,
            data.DataLoader(train, batch_size=16),
            optim.SGD(model.parameters(), lr=0.05),
            epochs=3,
            out=sys.argv[2],
            callbacks=(stop,),
            progress=False,
            distributed=True,
        )
    except Interrupted as caught:
        seen = np.array([caught.epoch, caught.kept], dtype=float)
    low, high = seen.copy(), seen.copy()
    dist.all_reduce(low, "min")
    dist.all_reduce(high, "max")
    return {"epoch": [low[0], high[0]], "kept": [low[1], high[1]]}


def scenario_fail():
    """Rank 1 dies before a collective that rank 0 waits in."""
    if dist.rank() == 1:
        raise RuntimeError("rank one failed on purpose")
    dist.all_reduce(np.ones(3))
    return {"unreachable": True}


def scenario_silent():
    """Rank ``sys.argv[2]`` never reaches the collective the other waits in (it sleeps far past
    the two-second timeout)."""
    if dist.rank() == int(sys.argv[2]):
        time.sleep(50)
    dist.all_reduce(np.ones(3))
    return {"unreachable": True}


if __name__ == "__main__":
    dist.init(timeout=2.0 if sys.argv[1] == "silent" else 300.0)
    result = globals()[f"scenario_{sys.argv[1]}"]()
    if dist.rank() == 0:
        print("RESULT " + json.dumps(result), flush=True)
