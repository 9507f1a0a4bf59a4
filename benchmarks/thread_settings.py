"""A training step under several thread settings, each in a process of its own, kernel by kernel.

    python benchmarks/thread_settings.py --threads 16 [--model resnet20] [--out F.json]

On a machine of many cores, which pool makes minicnn's step slow or fast: BLAS's
threads, Numba's loops, minicnn's copy threads (kernels/threads.py), or their spinning
against each other. Each setting starts from the bench's environment for --threads
(fair.thread_env: BLAS and OpenMP on all of them, Numba and the copies on half; minicnn
then gives BLAS half, kernels/threads.py; glibc's malloc thresholds set as the bench's
workers set them, kernels/malloc.py) and changes some variables; its process
times --steps training steps after two untimed ones and adds up the time inside each
kernel (kernels.KernelSet's functions, and the products of kernels/gemm.py, which the
convolution kernels call: their time is inside the convolutions' too). The settings run
in turn, --rounds times, so a drift of the machine's pace reaches them all alike; the
script prints each one's median step and where its time went.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SETTINGS = {
    "minicnn's default": "",
    "BLAS on every core": "MINICNN_BLAS_THREADS={all}",
    "BLAS on half the cores": "MINICNN_BLAS_THREADS={half}",
    "Numba on every core": "NUMBA_NUM_THREADS={all}",
    "idle threads sleep": "OMP_WAIT_POLICY=passive OPENBLAS_THREAD_TIMEOUT=4 NUMBA_THREADING_LAYER=workqueue",
    "a quarter each": "MINICNN_BLAS_THREADS={quarter} NUMBA_NUM_THREADS={quarter} "
    "MINICNN_COPY_THREADS={quarter}",
    "one thread": "MINICNN_BLAS_THREADS=1 NUMBA_NUM_THREADS=1 MINICNN_COPY_THREADS=1",
}


def child(model, batch, steps, tier):
    """In the child: time the steps, kernel by kernel; print one JSON line."""
    import numpy as np

    import minicnn as mc
    import minicnn.functional as F
    from minicnn import kernels, optim
    from minicnn.bench.cases import MODELS
    from minicnn.kernels import gemm, malloc

    malloc.keep_freed_memory()  # as the bench's workers: freed memory kept for the next step
    spent = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - began

        return wrapper

    with mc.use_kernels(tier):
        K = kernels.get(mc.backend.kernel_tier())
        for name, fn in list(K.choices.items()):
            setattr(K, name, timed(name, fn))
        gemm.matmul = timed("(GEMM, inside the above)", gemm.matmul)
        build, chw = MODELS[model][:2]
        mc.manual_seed(0)
        net = build()
        rng = np.random.default_rng(0)
        x = mc.tensor(rng.standard_normal((batch,) + chw).astype(np.float32))
        y = mc.tensor(rng.integers(0, 10, batch))
        opt = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        times = []
        for i in range(steps + 2):
            if i == 2:
                spent.clear()
            began = time.perf_counter()
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()
            times.append(time.perf_counter() - began)
    per_step = {k: v / steps * 1e3 for k, v in sorted(spent.items(), key=lambda kv: -kv[1])}
    figures = {"step_ms": [t * 1e3 for t in times[2:]], "kernels_ms": per_step, "malloc": malloc.describe()}
    print(json.dumps(figures))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--model", default="resnet20", help="a model of the bench (minicnn.bench.cases.MODELS)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--tier", default="auto", help="the kernel tier (mc.use_kernels)")
    p.add_argument("--only", help="comma-separated names of SETTINGS (default: all)")
    p.add_argument("--timeout", type=float, default=120, help="seconds a process may take")
    p.add_argument("--out", help="also write the figures to this JSON file")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        child(a.model, a.batch_size, a.steps, a.tier)
        return 0
    from kernel_records import refuse_existing

    from minicnn.bench import fair, system
    from minicnn.bench.cases import MODELS

    refuse_existing(a.out, "thread_settings.py")

    if a.model not in MODELS:
        raise SystemExit(f"thread_settings.py: no model {a.model!r}; models: {', '.join(sorted(MODELS))}")
    names = a.only.split(",") if a.only else list(SETTINGS)
    unknown = [n for n in names if n not in SETTINGS]
    if unknown:
        raise SystemExit(f"thread_settings.py: no setting {unknown}; settings: {', '.join(SETTINGS)}")
    counts = {"all": a.threads, "half": max(1, a.threads // 2), "quarter": max(1, a.threads // 4)}
    results = {n: {"env": SETTINGS[n].format(**counts), "step_ms": [], "kernels_ms": []} for n in names}
    command = [sys.executable, os.path.abspath(__file__), "--child", "--model", a.model]
    command += ["--batch-size", str(a.batch_size), "--steps", str(a.steps), "--tier", a.tier]
    for r in range(a.rounds):
        for n in names if r % 2 == 0 else names[::-1]:
            env = fair.thread_env(a.threads)
            env.update(w.split("=", 1) for w in results[n]["env"].split())
            try:
                done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=a.timeout)
            except subprocess.TimeoutExpired:
                print(f"{n}: over {a.timeout:.0f} s", flush=True)
                continue
            if done.returncode != 0:
                last = done.stderr.strip().splitlines()[-1:] or ["no message"]
                print(f"{n}: failed: {last[0]}", flush=True)
                continue
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            results[n]["step_ms"] += figures["step_ms"]
            results[n]["kernels_ms"].append(figures["kernels_ms"])
            results[n]["malloc"] = figures["malloc"]
            results[n]["median_step_ms"] = statistics.median(results[n]["step_ms"])
            print(f"{n} (round {r + 1}): step {statistics.median(figures['step_ms']):.0f} ms", flush=True)
            _write(a, system, results)  # after each process, so a run cut short keeps what it measured
    print(f"\n{a.model}, batch {a.batch_size}, {a.threads} threads (the bench's variables, then those shown)")
    for n, res in results.items():
        if not res["step_ms"]:
            continue
        last = res["kernels_ms"][-1]
        top = ", ".join(f"{k} {v:.0f}" for k, v in list(last.items())[:6])
        print(f"  {n:<20} {res['median_step_ms']:8.0f} ms   {res['env'] or '(as the bench)'}")
        print(f"      ms a step in: {top}")
    return 0


def _write(a, system, results):
    from minicnn import io

    if a.out:
        figures = {"machine": system.environment(["cpu"]), "threads": a.threads, "model": a.model}
        figures.update(batch=a.batch_size, settings=results)
        io.write_atomic(a.out, json.dumps(figures, indent=1).encode(), who="thread_settings.py")


if __name__ == "__main__":
    sys.exit(main())
