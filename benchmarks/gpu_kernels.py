"""Which GPU kernels one training step runs, and how long each takes (with Nsight Compute).

A step replayed as a CUDA graph issues no Python; what it still takes is the GPU's own
work. To see how that divides among kernels, Nsight Compute times each kernel of one
step, issued as the graph records it (the loss written out, the products by
kernels/cublas_direct.py), after warm-up steps it does not profile:

    ncu --profile-from-start off --clock-control none --metrics gpu__time_duration.sum \\
        --csv --print-units base python benchmarks/gpu_kernels.py profile > kernels.csv
    python benchmarks/gpu_kernels.py summary kernels.csv [--json kernels.json]

``summary`` adds up the durations by kernel name and prints the largest, with their
share of the step and how many launches each made. Nsight Compute runs each kernel
alone, so the sum is the kernels' own time, without the gaps between them.

Where Nsight Compute is missing (or slow: it replays every kernel), PyTorch's profiler
records the kernels of any library in its process through CUPTI, as they run:

    python benchmarks/gpu_kernels.py table [--json kernels.json]

times two steps of minicnn's graph replay and two of PyTorch's eager step (its
defaults) and prints the same table for each.
"""

import argparse
import csv
import json
import sys

METRIC = "gpu__time_duration.sum"


def _step(model, batch):
    """minicnn's SGD step of ``model`` on one fixed batch (graph.training_step), on cuda."""
    import numpy as np

    import minicnn as mc
    from minicnn import optim
    from minicnn.bench.cases import MODELS
    from minicnn.bench.graph import training_step

    build, chw = MODELS[model][:2]
    net = build().to("cuda")
    rng = np.random.default_rng(0)
    x = mc.tensor(rng.standard_normal((batch,) + chw).astype(np.float32), device="cuda")
    with mc.no_grad():
        classes = net(x).shape[1]
    onehot = mc.tensor(np.eye(classes, dtype=np.float32)[rng.integers(0, classes, batch)], device="cuda")
    return training_step(net, optim.SGD(net.parameters(), lr=0.01, momentum=0.9), x, onehot)


def profile(model, batch, warmup):
    """Run ``warmup`` steps, then one between cudaProfilerStart and cudaProfilerStop."""
    from minicnn import backend
    from minicnn.kernels import cublas_direct, gemm

    cp = backend.cupy()
    step = _step(model, batch)
    cublas_direct.prepare(cp)
    with gemm.direct():
        for _ in range(warmup):
            step()
        cp.cuda.Device().synchronize()
        cp.cuda.profiler.start()
        step()
        cp.cuda.Device().synchronize()
        cp.cuda.profiler.stop()


def from_profiler(events, steps):
    """{kernel name: (nanoseconds a step, launches a step)} from PyTorch's profiler's
    ``key_averages()`` of ``steps`` steps (events with ``key``, ``count`` and the device
    time in microseconds, ``device_time_total`` or, in older versions, ``cuda_time_total``)."""
    kernels = {}
    for e in events:
        us = getattr(e, "device_time_total", None)
        if us is None:
            us = e.cuda_time_total
        if us > 0:
            kernels[e.key] = (us * 1e3 / steps, round(e.count / steps))
    if not kernels:
        raise ValueError("the profiler recorded no kernel time (was CUDA activity profiled?)")
    return kernels


def table(model, batch, warmup, steps=2):
    """Both libraries' kernels a step, recorded by PyTorch's profiler: {library: kernels}."""
    import torch

    from minicnn import backend
    from minicnn.bench import torch_cases
    from minicnn.bench.graph import capture

    cp = backend.cupy()
    out = {}
    for library, fn in (
        ("minicnn (CUDA graph)", capture(_step(model, batch), cp, warmup)),
        ("torch (eager)", torch_cases.torch_model_step(model, batch, "float32", "cuda")),
    ):
        for _ in range(warmup):
            fn()
        cp.cuda.Device().synchronize()
        torch.cuda.synchronize()
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
            for _ in range(steps):
                fn()
            cp.cuda.Device().synchronize()
            torch.cuda.synchronize()
        out[library] = from_profiler(prof.key_averages(), steps)
    return out


def read(lines):
    """{kernel name: (total nanoseconds, launches)} from Nsight Compute's --csv output, whose
    rows follow a header line starting with "ID"; other lines (the program's own output,
    Nsight Compute's ==PROF== messages) are skipped."""
    lines = list(lines)
    start = next((i for i, line in enumerate(lines) if line.startswith('"ID"')), None)
    if start is None:
        raise ValueError('no Nsight Compute CSV rows found (a header line starting with "ID")')
    kernels = {}
    for row in csv.DictReader(line for line in lines[start:] if line.startswith('"')):
        if row.get("Metric Name") != METRIC:
            continue
        if row.get("Metric Unit") not in ("nsecond", "ns"):
            raise ValueError(
                f"expected durations in nanoseconds (--print-units base), got {row.get('Metric Unit')!r}"
            )
        name = row["Kernel Name"]
        total, launches = kernels.get(name, (0.0, 0))
        kernels[name] = (total + float(row["Metric Value"].replace(",", "")), launches + 1)
    if not kernels:
        raise ValueError(f"no {METRIC} rows: was Nsight Compute run with --metrics {METRIC}?")
    return kernels


def summary(kernels, top=25):
    """Lines of the largest kernels by total time, and the step's total."""
    total = sum(t for t, _ in kernels.values())
    launches = sum(n for _, n in kernels.values())
    out = [f"{launches} kernel launches, {total / 1e6:.2f} ms of GPU time in all"]
    for name, (t, n) in sorted(kernels.items(), key=lambda kv: -kv[1][0])[:top]:
        shown = name if len(name) <= 70 else name[:67] + "..."
        out.append(f"  {t / 1e6:8.3f} ms {t / total:6.1%} {n:5d} launch{'es' if n != 1 else ''}  {shown}")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("profile", help="the step to run under Nsight Compute")
    run.add_argument("--model", default="resnet20")
    run.add_argument("--batch-size", type=int, default=256)
    run.add_argument("--warmup", type=int, default=3)
    both = sub.add_parser("table", help="both libraries' kernels, by PyTorch's profiler")
    both.add_argument("--model", default="resnet20")
    both.add_argument("--batch-size", type=int, default=256)
    both.add_argument("--warmup", type=int, default=3)
    both.add_argument("--json", help="also write {library: {kernel: [ms, launches]}} to this file")
    read_out = sub.add_parser("summary", help="add up Nsight Compute's CSV by kernel")
    read_out.add_argument("csv", help="the file Nsight Compute's --csv output went to")
    read_out.add_argument("--json", help="also write {kernel: [ms, launches]} to this file")
    a = p.parse_args(argv)
    if a.command == "profile":
        try:
            profile(a.model, a.batch_size, a.warmup)
        except RuntimeError as err:  # no GPU here: the one line that says so
            print(f"gpu_kernels.py profile: {err}", file=sys.stderr)
            return 1
        return 0
    if a.command == "table":
        try:
            tables = table(a.model, a.batch_size, a.warmup)
        except RuntimeError as err:  # no GPU here: the one line that says so
            print(f"gpu_kernels.py table: {err}", file=sys.stderr)
            return 1
        for library, kernels in tables.items():
            print(f"{library}, {a.model}, batch {a.batch_size}: " + "\n".join(summary(kernels)))
        _write_json(a.json, tables)
        return 0
    with open(a.csv) as f:
        kernels = read(f.read().splitlines())
    print("\n".join(summary(kernels)))
    _write_json(a.json, {"kernels": kernels})
    return 0


def _write_json(path, tables):
    """{name: {kernel: [ms, launches]}} to ``path`` (nothing when path is None)."""
    if path:
        with open(path, "w") as f:
            ms = {name: {k: [t / 1e6, n] for k, (t, n) in ks.items()} for name, ks in tables.items()}
            json.dump(ms, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
