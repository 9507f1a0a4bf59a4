"""What the second core gives each library: one model's training step on one thread and on
two, in turn within one process, each library in a process of its own.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/second_thread.py \
        --model resnet20 --rounds 8 --calls 5 --out benchmarks/results/NAME.json

(--out never overwrites a file; a .png of the same name is drawn beside it where matplotlib
is installed.)

A fair record compares the two libraries on the same threads; two records, one on each
thread count, are taken minutes apart, and on a host with slow spells the two may fall in
different ones. Here each process switches between one thread and two from round to round
(one first in even rounds, two in odd ones), so a spell slows both sides of a round.
minicnn's side switches Numba's threads (``numba.set_num_threads``: its BLAS stays on one
thread and its GEMMs run inside the jitted loops, kernels/threads.py), PyTorch's side
``torch.set_num_threads``. The processes run one at a time: minicnn, PyTorch, PyTorch,
minicnn (``--pairs`` 2). Printed and written: each library's per-round medians, the median
of them on one thread and on two, and the median and range of the per-round ratios, one
thread's time over two's (the speed-up the second thread gave).
"""

import argparse
import contextlib
import json
import subprocess
import sys

import numpy as np
from kernel_records import median_ms, refuse_existing

from minicnn.bench import processes, system


def turns(library, model, batch, rounds, calls):
    """In this process: per-round medians (ms) of the step on 1 and on 2 threads."""
    if library == "torch":
        import torch

        from minicnn.bench.torch_cases import torch_model_step

        step = torch_model_step(model, batch, "float32", "cpu")

        def on(threads):
            torch.set_num_threads(threads)
            return contextlib.nullcontext()
    else:
        import numba

        from minicnn.bench.cases import model_step
        from minicnn.kernels import malloc

        malloc.keep_freed_memory()  # as the bench's workers do
        step = model_step(model, batch, "float32", "cpu")

        @contextlib.contextmanager
        def on(threads):
            found = numba.get_num_threads()
            numba.set_num_threads(threads)
            try:
                yield
            finally:
                numba.set_num_threads(found)

    step()
    medians = {"1": [], "2": []}
    for r in range(rounds):
        for threads in (1, 2) if r % 2 == 0 else (2, 1):
            with on(threads):
                step()  # untimed: the pool just resized
                medians[str(threads)].append(median_ms(step, calls))
    return medians


def summary(medians):
    one, two = np.array(medians["1"]), np.array(medians["2"])
    ratios = one / two
    return {
        "one_thread_ms": float(np.median(one)),
        "two_threads_ms": float(np.median(two)),
        "speedup": float(np.median(ratios)),
        "speedup_range": [float(ratios.min()), float(ratios.max())],
        "rounds": medians,
    }


def plot(record, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("second_thread.py: no plot drawn (matplotlib, the viz extra, is not installed)")
        return
    names = list(record["libraries"])
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for i, threads in enumerate(("one_thread_ms", "two_threads_ms")):
        values = [record["libraries"][n][threads] for n in names]
        ax.bar(np.arange(len(names)) + (i - 0.5) * 0.38, values, 0.38, label=threads[:-3].replace("_", " "))
    for j, n in enumerate(names):
        top = max(record["libraries"][n]["one_thread_ms"], record["libraries"][n]["two_threads_ms"])
        ax.text(j, top, f"x{record['libraries'][n]['speedup']:.2f} from the second", ha="center", va="bottom")
    ax.set_xticks(range(len(names)), names)
    tallest = max(max(s["one_thread_ms"], s["two_threads_ms"]) for s in record["libraries"].values())
    ax.set_ylim(0, 1.4 * tallest)  # room above the bars' labels for the legend
    ax.set_ylabel("training step, ms (median of rounds)")
    ax.margins(y=0.15)
    ax.set_title(f"{record['model']}, batch {record['batch']}: one thread and two", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="resnet20")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--calls", type=int, default=5)
    p.add_argument("--pairs", type=int, default=2)
    p.add_argument("--out")
    p.add_argument("--worker", choices=["minicnn", "torch"], help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        print(json.dumps(turns(a.worker, a.model, a.batch, a.rounds, a.calls)))
        return
    refuse_existing(a.out, "second_thread.py")
    env = processes.thread_env(2)
    pooled = {lib: {"1": [], "2": []} for lib in ("minicnn", "torch")}
    for pair in range(a.pairs):
        for lib in ("minicnn", "torch") if pair % 2 == 0 else ("torch", "minicnn"):
            cmd = [sys.executable, __file__, "--worker", lib, "--model", a.model]
            cmd += ["--batch", str(a.batch), "--rounds", str(a.rounds), "--calls", str(a.calls)]
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
            for threads, values in json.loads(out.splitlines()[-1]).items():
                pooled[lib][threads] += values
    record = {
        "model": a.model,
        "batch": a.batch,
        "rounds_per_process": a.rounds,
        "calls": a.calls,
        "pairs": a.pairs,
        "environment": system.environment(["cpu"]),
        "libraries": {lib: summary(m) for lib, m in pooled.items()},
    }
    for lib, s in record["libraries"].items():
        print(
            f"{lib:8s} one thread {s['one_thread_ms']:.1f} ms, two {s['two_threads_ms']:.1f} ms: "
            f"x{s['speedup']:.2f} from the second thread (rounds {s['speedup_range'][0]:.2f}-"
            f"{s['speedup_range'][1]:.2f})"
        )
    if a.out:
        with open(a.out, "x") as f:
            json.dump(record, f, indent=1)
        plot(record, a.out[: -len(".json")] + ".png" if a.out.endswith(".json") else a.out + ".png")


if __name__ == "__main__":
    main()
