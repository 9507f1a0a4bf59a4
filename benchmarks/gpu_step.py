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
import sys
import time

import numpy as np
from kernel_records import refuse_existing

import minicnn as mc
import minicnn.functional as F
from minicnn import backend, io, optim
from minicnn.bench.cases import MODELS
from minicnn.bench.graph import capture, training_step
from minicnn.kernels import gemm


def parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="resnet20", choices=sorted(MODELS))
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--out", help="also write the figures to this JSON file")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    refuse_existing(args.out, "gpu_step.py")
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
    _write(args.out, figures)  # now, in case the capture below never ends
    with mc.no_grad():
        classes = net(x).shape[1]
    onehot = mc.tensor(np.eye(classes, dtype=np.float32)[labels], device="cuda")
    sync()  # the copy ran on the default stream; the capture's stream does not wait for it
    try:
        graph = graph_replay(
            backend.cupy(), training_step(net, opt, x, onehot), lambda: step_state(net, opt), args.steps
        )
    except Exception as err:  # noqa: BLE001 -- a failed capture is a finding to report
        graph = {"error": f"{type(err).__name__}: {' '.join(str(err).split())}"}
        print(f"CUDA graph: failed: {graph['error']}")
    else:
        print(
            f"CUDA graph: {graph['replay_ms']:.2f} ms a step replayed against {graph['eager_ms']:.2f} ms "
            f"issued op by op ({args.batch_size / graph['replay_ms'] * 1e3:.0f} against "
            f"{args.batch_size / graph['eager_ms'] * 1e3:.0f} img/s); after {args.steps} steps the "
            f"parameters and buffers differ by at most {graph['max_abs_difference']:.3g} "
            f"({'agree' if graph['agree'] else 'DO NOT AGREE'})"
        )
    figures["cuda_graph"] = graph
    _write(args.out, figures)
    return 0 if graph.get("agree") else 1


def _write(path, figures):
    """The figures so far, all or nothing (the second write replaces this run's first)."""
    if path:
        io.write_atomic(path, json.dumps(figures, indent=1).encode(), who="gpu_step.py")


def step_state(net, opt):
    """The arrays a training step writes in place: parameters, momentum buffers, and the
    module's buffers (batch norm's running statistics and step count)."""
    params = list(net.parameters())
    momentum = [opt.state[q]["momentum_buffer"] for q in params if "momentum_buffer" in opt.state.get(q, {})]
    return [q.data for q in params] + momentum + [b.data for b in net.buffers()]


TOLERANCE = 1e-5  # replays and ordinary steps run the same kernels: they agree to rounding


def graph_replay(cp, step, state, steps, warmup=3):
    """One training step recorded as a CUDA graph (minicnn.bench.graph.capture), replayed
    ``steps`` times.

    ``step()`` runs a step on fixed input tensors; ``state()`` lists the arrays it
    updates in place. Returns the milliseconds per replayed step and per ordinary
    step (each run back to back, timed to the last synchronize), the largest
    difference between the arrays after the replays and after as many ordinary
    steps from the same start, and whether that is within TOLERANCE.
    """
    replay = capture(step, cp, warmup)  # runs the warm-up steps; the capture itself runs nothing
    sync = cp.cuda.Device().synchronize
    sync()
    start = [a.copy() for a in state()]
    sync()  # the copies, on the default stream, before the replay changes the arrays

    def restart():
        for a, a0 in zip(state(), start):
            a[...] = a0

    replay()  # untimed: the first launch also uploads the graph
    sync()
    restart()

    def run(one):
        sync()
        began = time.perf_counter()
        for _ in range(steps):
            one()
        sync()
        return (time.perf_counter() - began) / steps * 1e3

    replay_ms = run(replay)
    replayed = [a.copy() for a in state()]
    replay = None  # no replay after this
    restart()
    with gemm.direct():  # the products as the graph makes them, so both run the same kernels
        eager_ms = run(step)
    difference = max(float(abs(a - b).max()) for a, b in zip(state(), replayed))
    return {
        "replay_ms": replay_ms,
        "eager_ms": eager_ms,
        "max_abs_difference": difference,
        "agree": difference <= TOLERANCE,
        "steps": steps,
    }


if __name__ == "__main__":
    sys.exit(main())
