"""Scenarios run on every rank by ``mpiexec -n 2 python mpi_worker.py NAME`` (see test_mpi.py).

Rank 0 prints one line ``RESULT {json}`` for the test to check.
"""

import copy
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


def scenario_bn_fit():
    """fit(distributed=True) with per-rank BatchNorm, validation and ReduceLROnPlateau: every
    rank ends with rank 0's weights and buffers and sees the same val_loss at every epoch."""
    from minicnn.train import evaluate

    r = dist.rank()
    gen = np.random.default_rng(2)
    x, y = gen.standard_normal((47, 3, 8, 8)).astype(np.float32), gen.integers(0, 3, 47)
    mc.manual_seed(r)
    model = bn_net()
    opt = optim.SGD(model.parameters(), lr=0.1)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, threshold=0.05)
    val = data.DataLoader(data.TensorDataset(x[32:], y[32:]), batch_size=4)  # 15: 8 and 7 per rank
    history = fit(
        model,
        data.DataLoader(data.TensorDataset(x[:32], y[:32]), batch_size=8, shuffle=True, seed=1),
        opt,
        epochs=3,
        val_loader=val,
        scheduler=plateau,
        progress=False,
        distributed=True,
    )
    rows = history.epochs
    alone = evaluate(model, val)  # this rank, the whole validation set, the final model
    return {
        "weights_gap": max_gap_between_ranks(flat_params(model)),
        "buffers_gap": max_gap_between_ranks(np.concatenate([b.numpy().ravel() for b in model.buffers()])),
        "val_loss_gap": max_gap_between_ranks(np.array([row["val_loss"] for row in rows])),
        "lrs": [row["lr"] for row in rows] + [opt.param_groups[0]["lr"]],
        "lr_gap": max_gap_between_ranks(np.array([opt.param_groups[0]["lr"]])),
        "val_vs_one_process": abs(rows[-1]["val_loss"] - alone["loss"]),
        "val_acc_vs_one_process": abs(rows[-1]["val_acc"] - alone["accuracy"]),
    }


class Heads(nn.Module):
    """Head a used on every rank, b on rank 0 only, c on none."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(4, 3), nn.Linear(4, 3), nn.Linear(4, 3)

    def forward(self, x):
        return self.a(x) + self.b(x) if dist.rank() == 0 else self.a(x)


def scenario_unused():
    """sync_gradients as PyTorch's DDP with find_unused_parameters=True: a parameter no rank used
    keeps grad None (the optimizer leaves it alone); one used on some ranks gets the average."""
    r = dist.rank()
    mc.manual_seed(0)
    net = Heads().to(np.float64)
    ddp = dist.DistributedDataParallel(net)
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    x = np.random.default_rng(10 + r).standard_normal((2, 4))
    ddp(mc.tensor(x)).sum().backward()
    own_b = net.b.weight.grad.numpy().copy() if r == 0 else np.zeros((3, 4))
    ddp.sync_gradients()
    c_before = net.c.weight.numpy().copy()
    opt.step()
    none = np.array([float(net.c.weight.grad is None and net.c.bias.grad is None)])
    return {
        "c_grad_none_on_every_rank": float(dist.all_reduce(none, "min")[0]) == 1.0,
        "c_moved": float(np.abs(net.c.weight.numpy() - c_before).max()),
        "b_gap_between_ranks": max_gap_between_ranks(net.b.weight.grad.numpy()),
        "b_vs_half_rank0": float(np.abs(net.b.weight.grad.numpy() - dist.broadcast(own_b) / 2).max()),
    }


def scenario_syncbn_small():
    """SyncBatchNorm on slices of 1 and 1, or 3 and none, is BatchNorm on the global batch; a global
    batch of one value per channel is refused on every rank."""
    r = dist.rank()
    result = {}
    for sizes in ([1, 1], [3, 0], [1, 0]):
        mc.manual_seed(0)
        plain = nn.BatchNorm1d(4).to(np.float64)
        sync = dist.SyncBatchNorm.convert_sync_batchnorm(copy.deepcopy(plain))
        gen = np.random.default_rng(sum(sizes))
        x, gy = gen.standard_normal((sum(sizes), 4)) * 2 + 1, gen.standard_normal((sum(sizes), 4))
        lo, hi = sum(sizes[:r]), sum(sizes[: r + 1])
        xr = mc.tensor(x[lo:hi], requires_grad=True)
        try:
            out = sync(xr)
        except ValueError as err:
            result[str(sizes)] = str(err)
            continue
        out.backward(gy[lo:hi])
        whole = mc.tensor(x, requires_grad=True)
        want = plain(whole)
        want.backward(gy)
        y, gx = np.zeros_like(x), np.zeros_like(x)
        y[lo:hi], gx[lo:hi] = out.numpy(), xr.grad.numpy()
        gw = sync.weight.grad.numpy().copy()  # this rank's slice: DDP adds them (and divides)
        for a in (y, gx, gw):
            dist.all_reduce(a)
        gaps = [
            np.abs(y - want.numpy()).max(),
            np.abs(gx - whole.grad.numpy()).max(),
            np.abs(gw - plain.weight.grad.numpy()).max(),
            np.abs(sync.running_mean.numpy() - plain.running_mean.numpy()).max(),
            np.abs(sync.running_var.numpy() - plain.running_var.numpy()).max(),
        ]
        result[str(sizes)] = float(dist.all_reduce(np.array([max(gaps)]), "max")[0])
    return result


def scenario_model_mismatch():
    """DistributedDataParallel refuses, on every rank, ranks that hold different models."""
    r = dist.rank()
    said = {}
    for case, net in (
        ("shape", nn.Sequential(nn.Linear(4, 8 if r else 6), nn.Linear(8 if r else 6, 2))),
        ("count", nn.Sequential(nn.Linear(4, 2), *([nn.BatchNorm1d(2)] if r else []))),
    ):
        try:
            dist.DistributedDataParallel(net)
            said[case] = None
        except ValueError as err:
            said[case] = str(err)
        refused = dist.all_reduce(np.array([float(said[case] is not None)]), "min")
        said[case + "_on_every_rank"] = bool(refused[0])
    return said


def scenario_collective_mismatch():
    """Rank 0 alone makes an extra all_reduce: rank 0 names both ranks' collectives."""
    if dist.rank() == 0:
        dist.all_reduce(np.ones(1))
    dist.all_reduce(np.ones(3))
    return {"unreachable": True}


if __name__ == "__main__":
    dist.init(timeout=2.0 if sys.argv[1] == "silent" else 300.0)
    result = globals()[f"scenario_{sys.argv[1]}"]()
    if dist.rank() == 0:
        print("RESULT " + json.dumps(result), flush=True)
