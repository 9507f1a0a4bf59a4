"""What the in-process kernel scripts (few_taps.py, joint_grads.py) share: the timing of a
round, the summary of two ways' rounds, and the JSON record, never written over a file."""

import json
import os
import time

import numpy as np

from minicnn.bench import system


def median_ms(fn, calls):
    """The median of ``calls`` timed calls of fn(), in milliseconds."""
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def compare(times_a, times_b, name_a, name_b):
    """Per-round medians of two ways, summed up: both medians, and the median and range of the
    per-round ratios (b / a)."""
    ratios = np.array(times_b) / np.array(times_a)
    return {
        f"{name_a}_ms": float(np.median(times_a)),
        f"{name_b}_ms": float(np.median(times_b)),
        "ratio": float(np.median(ratios)),
        "ratio_range": [float(ratios.min()), float(ratios.max())],
    }


def refuse_existing(path, script):
    """Stop before any timing if the record would go over an existing file."""
    if path and os.path.exists(path):
        raise SystemExit(f"{script}: {path} exists; name another file")


def write(path, rounds, calls, results):
    """The record: the machine, NumPy, the BLAS threads, the rounds and the results."""
    record = {
        "machine": {"cpu": system.cpu_name(), "cores": os.cpu_count(), "blas": system.blas_info()},
        "numpy": np.__version__,
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "rounds": rounds,
        "calls": calls,
        "results": results,
    }
    with open(path, "x") as f:
        json.dump(record, f, indent=1)
