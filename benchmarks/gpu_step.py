"""Where the time of a training step goes on the GPU: device or Python.

    python benchmarks/gpu_step.py [--model resnet20] [--batch-size 256]

Times one SGD step phase by phase (forward, backward, update, each ended by a
device synchronize), then the host time to issue a whole step without waiting
and how long the GPU still runs after the last call returns. When the drain
is near zero, the GPU is waiting for Python: the step costs one kernel launch
per array operation, and fewer operations (fused kernels) make it faster,
not a faster GPU.

Then the same step recorded once as a CUDA graph (CuPy's stream capture) and
replayed: what a step costs when Python issues one launch for all of it, and
whether the replays land on the parameters that as many ordinary steps reach
from the same start. The loss there is the cross-entropy written out (log-softmax
times one-hot targets): ``F.cross_entropy`` checks its targets' range on the host,
which a capture cannot wait for. With ``--out``, the figures go to a JSON file as
well. Needs CuPy and a GPU.
"""

import argparse
import json
import time

import numpy as np

import minicnn as mc
import minicnn.functional as F
from minicnn import backend, optim
from minicnn.bench.cases import MODELS


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="resnet20", choices=sorted(MODELS))
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--out", help="also write the figures to this JSON file")
    args = p.parse_args()
    sync = backend.cupy().cuda.Device().synchronize
    build, chw = MODELS[args.model][:2]  # the bench's models and input sizes
    net = build().to("cuda")
    rng = np.random.default_rng(0)
    x = mc.tensor(rng.standard_normal((args.batch_size,) + chw).astype(np.float32), device="cuda")
    labels = rng.integers(0, 10, args.batch_size)
    y = mc.tensor(labels, device="cuda")
    opt = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def phases():
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        sync()
        t1 = time.perf_counter()
        loss.backward()
        sync()
        t2 = time.perf_counter()
        opt.step()
        sync()
        return t1 - t0, t2 - t1, time.perf_counter() - t2

    for _ in range(3):
        phases()
    forward, backward, update = np.median([phases() for _ in range(args.steps)], axis=0) * 1e3
    total = forward + backward + update
    print(
        f"{args.model}, batch {args.batch_size}, cuda: forward {forward:.2f} ms, backward "
        f"{backward:.2f} ms, update {update:.2f} ms; {total:.2f} ms a step, "
        f"{args.batch_size / total * 1e3:.0f} img/s"
    )
    began = time.perf_counter()
    for _ in range(args.steps):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    issued = time.perf_counter()
    sync()
    drained = time.perf_counter()
    print(
        f"issuing a step: {(issued - began) / args.steps * 1e3:.2f} ms of host time; "
        f"the GPU finished {(drained - issued) * 1e3:.2f} ms after the last call returned"
    )
    figures = {
        "model": args.model,
        "batch": args.batch_size,
        "phases_ms": {"forward": forward, "backward": backward, "update": update},
        "host_ms_per_step": (issued - began) / args.steps * 1e3,
        "drain_ms": (drained - issued) * 1e3,
    }
    onehot = mc.tensor(np.eye(10, dtype=np.float32)[labels], device="cuda")

    def step():
        opt.zero_grad()
        loss = -(F.log_softmax(net(x), dim=1) * onehot).sum() * (1.0 / args.batch_size)
        loss.backward()
        opt.step()

    def state():  # what a step writes in place: the parameters and the momentum buffers
        params = [q.data for q in net.parameters()]
        return params + [opt.state[q]["momentum_buffer"] for q in net.parameters() if q in opt.state]

    try:
        graph = graph_replay(backend.cupy(), step, state, args.steps)
    except Exception as err:  # noqa: BLE001 -- a failed capture is a finding to report
        graph = {"error": f"{type(err).__name__}: {' '.join(str(err).split())}"}
        print(f"CUDA graph: failed: {graph['error']}")
    else:
        print(
            f"CUDA graph: {graph['replay_ms']:.2f} ms a step replayed against {graph['eager_ms']:.2f} ms "
            f"issued op by op ({args.batch_size / graph['replay_ms'] * 1e3:.0f} against "
            f"{args.batch_size / graph['eager_ms'] * 1e3:.0f} img/s); after {args.steps} steps the "
            f"parameters differ by at most {graph['max_abs_difference']:.3g}"
        )
    figures["cuda_graph"] = graph
    if args.out:
        with open(args.out, "w") as f:
            json.dump(figures, f, indent=1)


def graph_replay(cp, step, state, steps, warmup=3):
    """One training step recorded as a CUDA graph, then replayed ``steps`` times.

    ``step()`` runs a step on fixed input tensors; ``state()`` lists the arrays it
    updates in place. Returns the milliseconds per replayed step and per ordinary
    step (each run back to back, timed to the last synchronize) and the largest
    difference between the arrays after the replays and after as many ordinary
    steps from the same start.

    NOTE: the graph keeps the addresses of every array the step touched, its
    temporaries too, so those blocks come from a memory pool of its own that
    nothing else allocates from while it lives; warm-up steps on the capture
    stream compile every kernel and fill that pool, since CuPy's pool keeps
    freed blocks per stream. A capture records launches without running them.
    """
    stream = cp.cuda.Stream(non_blocking=True)
    pool = cp.cuda.MemoryPool()
    with cp.cuda.using_allocator(pool.malloc), stream:
        for _ in range(warmup):
            step()
        stream.synchronize()
        start = [a.copy() for a in state()]
        stream.begin_capture()
        try:
            step()
        finally:
            graph = stream.end_capture()

        def run(one):
            stream.synchronize()
            began = time.perf_counter()
            for _ in range(steps):
                one()
            stream.synchronize()
            return (time.perf_counter() - began) / steps * 1e3

        replay_ms = run(lambda: graph.launch(stream))
        replayed = [a.copy() for a in state()]
        for a, a0 in zip(state(), start):
            a[...] = a0
        eager_ms = run(step)
        difference = max(float(abs(a - b).max()) for a, b in zip(state(), replayed))
    return {"replay_ms": replay_ms, "eager_ms": eager_ms, "max_abs_difference": difference, "steps": steps}


if __name__ == "__main__":
    main()
