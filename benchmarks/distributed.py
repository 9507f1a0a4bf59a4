"""Data-parallel scaling on CPU: LeNet-5 training images/s with 1 and 2 processes.

    python benchmarks/distributed.py            # needs the dist extra (mpi4py, mpich)

Both runs take the same global batch (64 images, so 32 per rank with two) of
28x28 inputs and time STEPS SGD steps after a warm-up; every process gets one
BLAS thread, so "2 processes" means 2 cores. Scaling efficiency is
(images/s with 2) / (2 x images/s with 1). The time inside sync_gradients
(the all-reduce) is reported apart. Writes results/distributed_cpu.json.
"""

import json
import os
import platform
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH, WARMUP, STEPS = 64, 3, 30


def worker():
    import minicnn as mc
    import minicnn.distributed as dist
    import minicnn.functional as F
    from minicnn import models, optim

    dist.init()
    r, world = dist.rank(), dist.world_size()
    mc.manual_seed(0)
    model = dist.DistributedDataParallel(models.lenet5())
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    gen = np.random.default_rng(r)
    half = BATCH // world
    x = mc.tensor(gen.random((half, 1, 28, 28)).astype(np.float32))
    y = mc.tensor(gen.integers(0, 10, half))
    sync = 0.0
    for step in range(WARMUP + STEPS):
        if step == WARMUP:
            dist.barrier()
            began, sync = time.perf_counter(), 0.0
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        t0 = time.perf_counter()
        model.sync_gradients()
        sync += time.perf_counter() - t0
        opt.step()
    dist.barrier()
    seconds = time.perf_counter() - began
    if r == 0:
        print(
            "RESULT "
            + json.dumps(
                {
                    "processes": world,
                    "seconds": seconds,
                    "images_per_second": STEPS * BATCH / seconds,
                    "sync_seconds": sync,
                }
            ),
            flush=True,
        )


def run(n):
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    mpiexec = mpiexec if os.path.exists(mpiexec) else shutil.which("mpiexec")
    env = dict(
        os.environ,
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONPATH=os.path.dirname(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    out = subprocess.run(
        [mpiexec, "-n", str(n), sys.executable, __file__, "--worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])


def main():
    load = os.getloadavg()  # other work on the machine skews both runs
    runs = [run(1), run(2)]
    one, two = runs[0]["images_per_second"], runs[1]["images_per_second"]
    result = {
        "model": "lenet5 (modern)",
        "global_batch": BATCH,
        "steps": STEPS,
        "runs": runs,
        "speedup": two / one,
        "scaling_efficiency": two / (2 * one),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_before": load,
        },
    }
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    path = os.path.join(HERE, "results", "distributed_cpu.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    for r in runs:
        print(
            f"{r['processes']} process(es): {r['images_per_second']:8.1f} images/s "
            f"({r['sync_seconds'] / r['seconds']:.1%} of the time in sync_gradients)"
        )
    print(f"speed-up {two / one:.2f}x, scaling efficiency {two / (2 * one):.0%}; wrote {path}")


if __name__ == "__main__":
    worker() if "--worker" in sys.argv else main()
