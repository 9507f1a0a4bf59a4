"""minicnn against PyTorch, each in a process of its own, timed in alternating rounds.

Timed in one process, the two libraries share thread pools that spin after each
call (OpenBLAS's, Numba's, PyTorch's OpenMP team) and the order of the blocks
decides who pays. Here each library runs in its own worker (worker.py), both
started with the same thread variables, and they are asked in turn, the side
that goes first changing from round to round:

    round r:  A times K calls, pause, B times K calls, pause      (r even)
              B times K calls, pause, A times K calls, pause      (r odd)

A process also carries a speed of its own: the same code in two fresh processes
ran a LeNet-5 step 12% faster in one than in the other, in every round, and which
one won changed from pair to pair (where its arrays land in memory is one
suspect). So a case is timed on several pairs of fresh processes, and the rounds
of all pairs are pooled. Each side's time is the median over rounds of its
per-round medians. Each round's ratio is A's median over B's, and the ratio reported
is the median of those, each taken between two turns a few seconds apart (pooled over
pairs, the two sides' median times may come from different pairs, and their ratio
from no pair at all). The spread of the per-round ratios (min, IQR, max) says how far
one round's machine state moved the comparison; each pair's own ratio is kept too.
"""

import contextlib
import json
import os
import time

import numpy as np

from . import system
from .processes import WorkerError, WorkerProcess, end_workers_on_sigterm, thread_env  # noqa: F401 -- as fair.*

PAUSE_S = 0.2  # after each turn: long enough for the spinning threads to go to sleep
MISSING_TORCH = (
    "minicnn.bench: --compare torch needs PyTorch, which is not installed: "
    'pip install -e ".[compare]" (or pip install torch)'
)


def torch_installed():
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def quantiles(values):
    v = np.sort(np.asarray(values, dtype=float))
    return {
        "median": float(np.median(v)),
        "q1": float(np.percentile(v, 25)),
        "q3": float(np.percentile(v, 75)),
        "min": float(v[0]),
        "max": float(v[-1]),
        "n": int(v.size),
    }


def summarize(rounds_a, rounds_b):
    """Per-round call times of both sides -> each side's median of medians, the ratio a/b (the
    median of the per-round ratios) and their spread."""
    med_a = [float(np.median(t)) for t in rounds_a]
    med_b = [float(np.median(t)) for t in rounds_b]
    a, b = quantiles(med_a), quantiles(med_b)
    ratios = [x / y for x, y in zip(med_a, med_b)]
    return {
        "a": a,
        "b": b,
        "ratio": float(np.median(ratios)),
        "ratio_rounds": quantiles(ratios),
        "round_medians_a": med_a,
        "round_medians_b": med_b,
    }


def alternate(
    a, b, rounds, calls, pause_s=PAUSE_S, sleep=time.sleep, load=os.getloadavg, cpu=None, b_first=False
):
    """Rounds of ``calls`` timed calls by each side, a first in even rounds and b first in odd
    ones (the other way round with ``b_first``), with a pause after each turn so that the
    threads of the side that just ran stop spinning. ``a`` and ``b`` have ``time(calls)``
    returning seconds per call. Returns summarize(...) plus the raw times of each side, the
    1-minute load per round and the share of CPU time the host took during each side's turns
    ("stolen": {"a": [...], "b": [...]}, None per turn where the machine does not say; ``cpu``
    defaults to system.cpu_times)."""
    cpu = cpu or system.cpu_times
    times_a, times_b, loads = [], [], []
    stolen: dict[str, list] = {"a": [], "b": []}
    for r in range(rounds):
        loads.append(load()[0])
        turns = (("a", a, times_a), ("b", b, times_b))
        for name, side, times in turns if (r % 2 == 0) != b_first else turns[::-1]:
            before = cpu()
            times.append(side.time(calls))
            stolen[name].append(system.stolen_share(before, cpu()))
            sleep(pause_s)
    return dict(summarize(times_a, times_b), times_a=times_a, times_b=times_b, load_1min=loads, stolen=stolen)


def compare_case(start_a, start_b, build, rounds, calls, pairs=1, pause_s=PAUSE_S, seen=None):
    """One case on ``pairs`` pairs of fresh workers: each pair is started (``start_a()``,
    ``start_b()``; a's first in even pairs, b's in odd ones), builds the case (each warms up,
    in the same order), alternates ``rounds`` rounds, the first led by the side started first,
    and is closed. "started_first" lists each pair's first side. Returns summarize(...) of
    all the pairs' rounds pooled, with "pair_ratios" (each pair's own ratio, the median of
    its rounds' ratios), the load per round and "faults_per_call" (each side's median over
    turns of its minor page faults a call, None where a worker does not count them;
    "faults_per_turn" has every turn's count) and "two_threads" (each side's
    system.two_threads_over_one after each of its turns). ``seen(a, b)``, if given, is called
    with each pair's workers before they close (to ask them what they ran with)."""
    times_a, times_b, loads, pair_ratios, started_first = [], [], [], [], []
    faults: dict[str, list] = {"a": [], "b": []}
    stolen: dict[str, list] = {"a": [], "b": []}
    two_threads: dict[str, list] = {"a": [], "b": []}
    for pair in range(pairs):
        # NOTE: the side started and built first alternates from pair to pair: with the same
        # code on both sides, the side started first came out slower in most pairs measured,
        # a bias that alternating cancels over an even number of pairs (benchmarks/README.md,
        # "The side started first")
        order = (("a", start_a), ("b", start_b)) if pair % 2 == 0 else (("b", start_b), ("a", start_a))
        started_first.append(order[0][0])
        workers = {}
        with contextlib.ExitStack() as closing:  # both close, whatever fails
            for name, start in order:
                workers[name] = start()
                closing.callback(workers[name].close)
            for name, _ in order:
                workers[name].request("build", **build)
            a, b = workers["a"], workers["b"]
            s = alternate(a, b, rounds, calls, pause_s, b_first=order[0][0] == "b")
            if seen is not None:
                seen(a, b)
        faults["a"] += getattr(a, "faults", [])
        faults["b"] += getattr(b, "faults", [])
        two_threads["a"] += getattr(a, "two_threads", [])
        two_threads["b"] += getattr(b, "two_threads", [])
        times_a += s["times_a"]
        times_b += s["times_b"]
        loads += s["load_1min"]
        for side in stolen:
            stolen[side] += s["stolen"][side]
        pair_ratios.append(s["ratio"])
    return dict(
        summarize(times_a, times_b),
        pair_ratios=pair_ratios,
        started_first=started_first,
        load_1min=loads,
        faults_per_call={side: _median_or_none(f) for side, f in faults.items()},
        faults_per_turn=faults,
        stolen=stolen,
        two_threads=two_threads,
    )


def _median_or_none(values):
    counted = [v for v in values if v is not None]
    return float(np.median(counted)) if counted else None


def run(opts, log=print):
    """Every layer and model case asked for, minicnn worker against torch worker.

    Returns (layer rows, model rows, {"minicnn": info, "torch": info}) in the shapes
    report.py prints.
    """
    from . import cases

    threads, dtype, rounds, calls = opts["threads"], opts["dtype"], opts["rounds"], opts["repeats"]
    pairs = opts.get("pairs", 1)
    modes = opts.get("modes") or ("forward", "forward_backward", "train", "infer")
    layers, models, info = [], [], {}

    def start(library):
        return lambda: WorkerProcess(library, threads)

    def seen(mc, pt):  # what the workers ran with, from the first pair
        if not info:
            info.update(minicnn=mc.request("info"), torch=pt.request("info"))

    def compare(build):
        return compare_case(start("minicnn"), start("torch"), build, rounds, calls, pairs, seen=seen)

    for device, tier in _runs(opts):
        for case in cases.LAYERS:
            if case["name"] not in opts["layers"]:
                continue
            row = {
                "case": case["name"],
                "x": case["x"],
                "tier": tier,
                "device": device,
                "flops": case["flops"],
                "gemm_shape": case["gemm"],
            }
            try:
                for mode in [m for m in ("forward", "forward_backward") if m in modes]:
                    log(f"layer {case['name']} {mode} {tier} {device}: minicnn and torch in turn")
                    build = {
                        "kind": "layer",
                        "case": case["name"],
                        "mode": mode,
                        "tier": tier,
                        "dtype": dtype,
                        "device": device,
                    }
                    _fill(row, mode, compare(build))
            except WorkerError as err:  # one broken case must not lose the others
                log(f"  failed: {err}")
                layers.append(dict(row, error=str(err)))
                continue
            if "forward" in row:
                row["gflops_forward"] = case["flops"] / row["forward"]["median"] / 1e9
            if "forward_backward" in row:
                row["gflops_forward_backward"] = (
                    (3 if case["gemm"] else 2) * case["flops"] / row["forward_backward"]["median"] / 1e9
                )
            layers.append(row)
        for name in opts["models"]:
            batch = cases.model_batch(name, opts["batch_size"])
            batches = opts.get("batches", cases.BATCHES)
            row = {"case": name, "tier": tier, "device": device, "batch": batch, "batches": batches}
            try:
                for mode in [m for m in cases.MODELS[name][3] if m in modes]:
                    log(f"model {name} {mode} {tier} {device} batch {batch}: minicnn and torch in turn")
                    build = {
                        "kind": "model",
                        "case": name,
                        "mode": mode,
                        "tier": tier,
                        "batch": batch,
                        "dtype": dtype,
                        "device": device,
                        "batches": batches,
                    }
                    if opts.get("cuda_graph") and device == "cuda" and mode == "train":
                        build["graph"] = row["graph"] = True  # minicnn's side: PyTorch's stays eager
                    _fill(row, mode, compare(build))
                    row[mode + "_images_per_s"] = batch / row[mode]["median"]
                    row["torch_" + mode + "_images_per_s"] = batch / row["torch_" + mode]["median"]
            except WorkerError as err:
                log(f"  failed: {err}")
                row["error"] = str(err)
            models.append(row)
    return layers, models, info


def _runs(opts):
    """(device, tier) pairs: each CPU tier asked for (the reference tier has no place here: it
    runs on shrunken cases only), and the GPU with its own kernels."""
    for device in opts["devices"]:
        if device == "cuda":
            yield device, "auto"
        else:
            yield from ((device, t) for t in opts["tiers"] if t != "reference")


def _fill(row, mode, s):
    row[mode], row["torch_" + mode] = s["a"], s["b"]
    row["ratio_" + mode], row["ratio_" + mode + "_rounds"] = s["ratio"], s["ratio_rounds"]
    row["ratio_" + mode + "_pairs"] = s["pair_ratios"]
    row["started_first_" + mode] = s.get("started_first")
    row["load_1min_" + mode] = s["load_1min"]
    row["stolen_" + mode] = s.get("stolen")
    row["two_threads_" + mode] = s.get("two_threads")
    row["round_medians_" + mode] = {"a": s.get("round_medians_a"), "b": s.get("round_medians_b")}
    faults = s.get("faults_per_call") or {}
    row["faults_" + mode], row["torch_faults_" + mode] = faults.get("a"), faults.get("b")


# --- the A/B scripts of benchmarks/ (ab_kernels.py, ab_env.py) share these -------------


def add_case_arguments(p):
    """The case and protocol flags of an A/B: --model or --layer, mode, batch, tier, threads, rounds."""
    from ..cli_common import positive_int

    p.add_argument("--model")
    p.add_argument("--layer")
    p.add_argument("--mode", default=None, help="train/infer (model), forward/forward_backward (layer)")
    p.add_argument("--batch", type=positive_int, default=None)
    p.add_argument(
        "--batches", type=positive_int, default=None, help="a model's batches, taken in turn (default 4)"
    )
    p.add_argument("--tier", default="auto")
    p.add_argument("--threads", type=positive_int, default=2)
    p.add_argument("--rounds", type=positive_int, default=9, help="alternating rounds per pair of processes")
    p.add_argument("--calls", type=positive_int, default=5)
    p.add_argument(
        "--pairs",
        type=positive_int,
        default=4,
        help="pairs of fresh processes (their rounds pooled; even: each side started first in half)",
    )
    p.add_argument("--out", help="write the summary as JSON")


def case_of(a):
    """The build request of an A/B's flags (mode defaults: train for a model, fwd+bwd for a layer)."""
    kind, case = ("model", a.model) if a.model else ("layer", a.layer)
    mode = a.mode or ("train" if kind == "model" else "forward_backward")
    build = {"kind": kind, "case": case, "mode": mode, "tier": a.tier, "batch": a.batch}
    if a.batches is not None:
        build["batches"] = a.batches
    return build


def spread_line(s):
    """'ratio 0.912 (rounds 0.85-1.02, IQR 0.88-0.95; pairs 0.90, 0.93); load 1.1-1.3; page
    faults a call 850 and 278; CPU time stolen 0-3%' of a compare_case summary (the faults
    where both sides counted, the stolen share where the machine says)."""
    r = s["ratio_rounds"]
    pairs = ", ".join(f"{x:.3f}" for x in s.get("pair_ratios", []))
    faults = s.get("faults_per_call") or {}
    counted = faults.get("a") is not None and faults.get("b") is not None
    stolen = system.stolen_range(s)
    return (
        f"ratio {s['ratio']:.3f} (rounds {r['min']:.3f}-{r['max']:.3f}, IQR {r['q1']:.3f}-{r['q3']:.3f}"
        f"{'; pairs ' + pairs if pairs else ''}); load {s['load_1min'][0]:.1f}-{max(s['load_1min']):.1f}"
        + (f"; page faults a call {faults['a']:.0f} and {faults['b']:.0f}" if counted else "")
        + (f"; CPU time stolen {stolen}" if stolen else "")
    )


def write_summary(path, s):
    """The summary as JSON at ``path``, all or nothing."""
    from .. import io

    io.write_atomic(path, json.dumps(s, indent=1).encode(), who="A/B")
