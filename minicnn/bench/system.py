"""What the numbers were measured on: BLAS, threads, versions, CPU and GPU, memory."""

import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

from .. import backend, cuda
from ..kernels import malloc

ALLOCATION = (
    "NumPy/CuPy default allocators; the im2col column matrix, GEMM output and col2im "
    "scratch are workspaces, one flat buffer per role grown to the largest layer and "
    "reused from step to step (kernels/workspaces.py), so a step does not page-fault "
    "fresh 8-75 MB buffers; in training, x's columns kept for the weight gradient take "
    "one more per layer geometry, at most 8 (kernels/kept_columns.py)"
)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gb():
    """Total RAM in GB (from /proc/meminfo; None where there is none)."""
    try:
        with open("/proc/meminfo") as f:
            return round(int(f.readline().split()[1]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        return None


def cpu_times(path="/proc/stat"):
    """(stolen, total): the CPU time of all CPUs since boot, in ticks, and the part of it
    stolen: where this machine is a virtual one, the time its CPUs were ready to run while
    the host ran something else (the 8th field of /proc/stat's "cpu" line). None where
    there is no /proc/stat."""
    try:
        with open(path) as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(ticks) < 8:
        return None
    return ticks[7], sum(ticks)


def stolen_share(before, after):
    """The share of the CPU time between two cpu_times() readings that the host took, or None."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def stolen_range(s):
    """'3-12%': the least and most share of CPU time the host took in any turn of a summary
    (either side), or None where the machine did not say."""
    shares = [v for side in (s.get("stolen") or {}).values() for v in side if v is not None]
    return f"{100 * min(shares):.0f}-{100 * max(shares):.0f}%" if shares else None


def blas_info():
    """The BLAS libraries NumPy loaded: name, version, kernel (internal_api/architecture), threads."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "threadpoolctl not installed: pip install threadpoolctl"}]
    keep = ("user_api", "internal_api", "version", "architecture", "num_threads", "filepath")
    return [{k: lib.get(k) for k in keep} for lib in threadpool_info()]


# above this, two_threads_over_one says the two threads slowed each other
SHARED_ABOVE = 0.7


def clear_round_ratios(medians_a, medians_b, probes_a, probes_b):
    """The per-round ratios a/b of the rounds whose probes (two_threads_over_one after each
    side's turn) both read at most SHARED_ABOVE: the rounds clear of the host's slow spells.
    A round whose probe read nothing is not counted as clear."""
    return [
        x / y
        for x, y, pa, pb in zip(medians_a, medians_b, probes_a, probes_b)
        if pa is not None and pb is not None and max(pa, pb) <= SHARED_ABOVE
    ]


def two_threads_over_one(n=256, calls=3):
    """An n x n float32 GEMM's time on two BLAS threads over its time on one (best of ``calls``
    each), or None without threadpoolctl or with fewer than two cores.

    About 0.55 where the two threads run at full speed together; towards 1 where they slow
    each other. On the 2-core virtual machine of benchmarks/README.md it gave 0.54-0.61
    between the host's slow spells and 0.76-0.95 in them, where each virtual CPU alone ran at
    full speed but a cache line passed between the two cost many times more (a GEMM's threads
    pass each other such lines; benchmarks/README.md, "Writing what another core has just
    read").
    """
    if (os.cpu_count() or 1) < 2:
        return None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    a = np.ones((n, n), np.float32)

    def best():
        a @ a  # wakes the threads
        runs = []
        for _ in range(calls):
            t0 = time.perf_counter()
            a @ a
            runs.append(time.perf_counter() - t0)
        return min(runs)

    with threadpool_limits(2, user_api="blas"):
        two = best()
    with threadpool_limits(1, user_api="blas"):
        one = best()
    return two / one


def environment(devices):
    """A dict describing the machine and the libraries."""
    env = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "memory_gb": memory_gb(),
        "load_average": os.getloadavg(),
        "blas": blas_info(),
        "allocation": ALLOCATION + "; " + malloc.describe(),
        "openblas_env": {
            k: os.environ.get(k)
            for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
        },
    }
    try:
        import numba

        env["numba"] = numba.__version__
    except ImportError:
        env["numba"] = None
    env["cupy"] = env["gpu"] = None
    if "cuda" in devices:
        env["cupy"] = backend.cupy().__version__
        env["gpu"] = cuda.get_device_name(0)
    return env


def peak_memory(library, model, batch, dtype="float32", timeout=600, env=None):
    """Peak resident-memory growth (MB) of two training steps, measured in a fresh process
    (started with ``env``, e.g. the fair bench's thread variables).

    The child records its RSS after building the model and the batch, runs two steps
    (the second reuses what the first allocated), and reports its high-water mark minus
    that RSS. Returns None when the child fails (e.g. torch missing).
    """
    cmd = [sys.executable, "-m", "minicnn.bench.memory", library, model, str(batch), dtype]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True, env=env)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        return None
