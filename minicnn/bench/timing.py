"""Timing: medians of repeated calls after warm-up, with their spread, and the GEMM ceiling."""

import time

import numpy as np


def _quantiles(times):
    t = np.sort(np.asarray(times))
    return {
        "median": float(np.median(t)),
        "q1": float(np.percentile(t, 25)),
        "q3": float(np.percentile(t, 75)),
        "min": float(t[0]),
        "max": float(t[-1]),
        "n": int(t.size),
    }


def _timed_rounds(fns, sync, warmup, repeats, min_repeats, budget_s):
    """Seconds of each call of each function, called in turn in every round: one list per function."""
    sync = sync or (lambda: None)
    for _ in range(warmup):
        for fn in fns:
            fn()
    sync()
    times, spent = [[] for _ in fns], 0.0
    for i in range(repeats):
        for fn, t in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            sync()
            t.append(time.perf_counter() - t0)
            spent += t[-1]
        if i + 1 >= min_repeats and spent > budget_s:
            break
    return times


def measure(fn, sync=None, warmup=1, repeats=5, min_repeats=3, budget_s=2.0):
    """Seconds per call of ``fn``: warm-up calls first (JIT compiles, caches fill), then up to
    ``repeats`` timed calls, stopping after ``min_repeats`` once ``budget_s`` is spent.

    ``sync`` (e.g. a CUDA synchronize) runs before each clock read, so GPU work is counted.
    Returns {"median", "q1", "q3", "min", "max", "n"} in seconds.
    """
    return _quantiles(_timed_rounds([fn], sync, warmup, repeats, min_repeats, budget_s)[0])


def measure_pair(fn_a, fn_b, sync=None, warmup=1, repeats=5, min_repeats=3, budget_s=2.0):
    """``measure`` for two functions called in turn, a, b, a, b, ...: both see the
    machine in the same state.

    NOTE: on a shared machine the speed drifts over seconds (one GEMM shape ran at
    74 GFLOP/s in one run of the bench and 146 in another); timed minutes apart, a
    layer's share of the GEMM rate moved by a third, timed in turn it does not.
    Returns (quantiles of fn_a, quantiles of fn_b).
    """
    times_a, times_b = _timed_rounds([fn_a, fn_b], sync, warmup, repeats, min_repeats, budget_s)
    return _quantiles(times_a), _quantiles(times_b)


def gemm_call(m, k, n, dtype="float32", xp=np):
    """A closure computing this machine's (m, k) @ (k, n) GEMM, the ceiling of an im2col
    convolution, into a reused output buffer (so its time is BLAS alone, not page faults).

    The product goes through minicnn's own ``gemm.matmul``, as the convolutions' do: where
    minicnn holds BLAS to one thread beside its Numba loops, that cuts it among the loops'
    threads (numba_gemm.py), so the ceiling is every core's, as the layer's time is, and not
    one BLAS thread's."""
    from ..kernels import gemm

    rng = np.random.default_rng(0)
    a = xp.asarray(rng.standard_normal((m, k)).astype(dtype))
    b = xp.asarray(rng.standard_normal((k, n)).astype(dtype))
    out = xp.empty((m, n), dtype=dtype)
    return lambda: gemm.matmul(a, b, out=out)
