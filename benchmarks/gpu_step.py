"""Where the time of a training step goes on the GPU: device or Python.

    python benchmarks/gpu_step.py [--model resnet20] [--batch-size 256]

Times one SGD step phase by phase (forward, backward, update, each ended by a
device synchronize), then the host time to issue a whole step without waiting
and how long the GPU still runs after the last call returns. When the drain
is near zero, the GPU is waiting for Python: the step costs one kernel launch
per array operation, and fewer operations (fused kernels) make it faster,
not a faster GPU. Needs CuPy and a GPU.
"""

import argparse
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
    args = p.parse_args()
    sync = backend.cupy().cuda.Device().synchronize
    build, chw = MODELS[args.model][:2]  # the bench's models and input sizes
    net = build().to("cuda")
    rng = np.random.default_rng(0)
    x = mc.tensor(rng.standard_normal((args.batch_size,) + chw).astype(np.float32), device="cuda")
    y = mc.tensor(rng.integers(0, 10, args.batch_size), device="cuda")
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


if __name__ == "__main__":
    main()
