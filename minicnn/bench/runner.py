"""Runs the cases for every tier and device asked for, and collects one result dict."""

import gc
import os
import sys

import numpy as np

from .. import backend
from . import cases, fair, system
from .timing import gemm_call, measure, measure_pair
from .worker import THREAD_VARS


def _sync(device):
    if device == "cuda":
        cp = backend.cupy()
        return cp.cuda.Device().synchronize
    return None


def _xp(device):
    return backend.get_xp(device)


def _log(msg):
    print(msg, file=sys.stderr, flush=True)


def _timings(fwd, fwdbwd, sync, opts, budget):
    kw = dict(sync=sync, warmup=opts["warmup"], repeats=opts["repeats"], budget_s=budget)
    return measure(fwd, **kw), measure(fwdbwd, **kw)


def run_layers(opts):
    rows = []
    for case in cases.LAYERS:
        if opts["layers"] is not None and case["name"] not in opts["layers"]:
            continue
        for device in opts["devices"]:
            for tier in opts["tiers"] if device == "cpu" else ["cuda"]:
                c = cases.TINY[case["name"]] if tier == "reference" else case
                _log(f"layer {c['name']} {tier} {device}")
                try:
                    with backend.use_kernels("auto" if tier == "cuda" else tier):
                        fwd, fwdbwd = cases.build_layer(c, opts["dtype"], device)
                        budget = opts["budget"] * (0.3 if tier == "reference" else 1)
                        if c["gemm"]:
                            # the ceiling is timed in turn with the layer, in the same state
                            gemm = gemm_call(*c["gemm"], dtype=opts["dtype"], xp=_xp(device))
                            tf = measure(
                                fwd,
                                sync=_sync(device),
                                warmup=opts["warmup"],
                                repeats=opts["repeats"],
                                budget_s=budget,
                            )
                            tfb, tg = measure_pair(
                                fwdbwd,
                                gemm,
                                sync=_sync(device),
                                warmup=opts["warmup"],
                                repeats=opts["repeats"],
                                budget_s=budget,
                            )
                        else:
                            tf, tfb = _timings(fwd, fwdbwd, _sync(device), opts, budget)
                except Exception as err:  # one broken case must not lose the others
                    _log(f"  failed: {type(err).__name__}: {err}")
                    rows.append(
                        {
                            "case": c["name"],
                            "tier": tier,
                            "device": device,
                            "error": f"{type(err).__name__}: {err}",
                        }
                    )
                    continue
                row = {
                    "case": c["name"],
                    "x": c["x"],
                    "tier": tier,
                    "device": device,
                    "forward": tf,
                    "forward_backward": tfb,
                    "flops": c["flops"],
                    "gemm_shape": c["gemm"],
                }
                row["gflops_forward"] = c["flops"] / tf["median"] / 1e9
                row["gflops_forward_backward"] = (
                    3 * c["flops"] / tfb["median"] / 1e9
                    if c["gemm"]
                    else 2 * c["flops"] / tfb["median"] / 1e9
                )
                if c["gemm"]:
                    m, k, n = c["gemm"]
                    row["gemm"] = tg
                    row["gemm_gflops"] = 2.0 * m * k * n / tg["median"] / 1e9
                    row["pct_of_gemm"] = 100 * row["gflops_forward_backward"] / row["gemm_gflops"]
                rows.append(row)
                gc.collect()
    return rows


def _graph(opts, device):
    """Whether a training step on ``device`` is timed as a CUDA graph's replay (--cuda-graph)."""
    return bool(opts.get("cuda_graph")) and device == "cuda"


def _model_row(name, tier, device, batch, modes, opts):
    batches = opts.get("batches", cases.BATCHES)
    row = {"case": name, "tier": tier, "device": device, "batch": batch, "batches": batches}
    budget = opts["budget"] * 2
    for mode in modes:
        with backend.use_kernels("auto" if tier == "cuda" else tier):
            if mode == "train":
                graph = _graph(opts, device)
                fn = cases.model_step(name, batch, opts["dtype"], device, graph=graph, batches=batches)
                if _graph(opts, device):
                    row["graph"] = True
            else:
                fn = cases.model_infer(name, batch, opts["dtype"], device, batches=batches)
            t = measure(
                fn,
                sync=_sync(device),
                warmup=opts["warmup"],
                repeats=opts["repeats"],
                budget_s=budget * (0.2 if tier == "reference" else 1),
                min_repeats=1 if tier == "reference" else 3,
            )
        del fn
        row[mode] = t
        row[mode + "_images_per_s"] = batch / t["median"]
        gc.collect()
    return row


def run_models(opts):
    rows = []
    for name in opts["models"]:
        modes = cases.MODELS[name][3]
        for device in opts["devices"]:
            for tier in opts["tiers"] if device == "cpu" else ["cuda"]:
                if tier == "reference":
                    if name not in cases.REFERENCE_MODELS:
                        continue
                    batch = cases.REFERENCE_MODELS[name]
                else:
                    batch = cases.model_batch(name, opts["batch_size"])
                _log(f"model {name} {tier} {device} batch {batch}")
                try:
                    rows.append(_model_row(name, tier, device, batch, modes, opts))
                except Exception as err:  # one broken case must not lose the others
                    _log(f"  failed: {type(err).__name__}: {err}")
                    rows.append(
                        {
                            "case": name,
                            "tier": tier,
                            "device": device,
                            "batch": batch,
                            "error": f"{type(err).__name__}: {err}",
                        }
                    )
    return rows


def run(opts):
    """Everything the options ask for, as one JSON-ready dict.

    With ``--compare torch`` every case is timed by fair.py (minicnn and PyTorch each in a
    worker process of its own, in alternating rounds); otherwise here, in this process, with
    NumPy's floating-point warnings off while it runs (random weights may overflow) and as they
    were after: a caller's settings are its own.
    """
    with np.errstate(all="ignore"):
        return _run(opts)


def _run(opts):
    result = {"options": {k: v for k, v in opts.items()}, "environment": system.environment(opts["devices"])}
    env = None
    if opts["compare"] == "torch":
        env = fair.thread_env(opts["threads"])
        before = os.getloadavg()
        result["layers"], result["models"], workers = fair.run(opts, log=_log)
        result["fair"] = {
            "threads": opts["threads"],
            "pairs": opts["pairs"],
            "rounds": opts["rounds"],
            "calls_per_round": opts["repeats"],
            "pause_s": fair.PAUSE_S,
            "thread_env": {k: env.get(k) for k in THREAD_VARS},  # None: left to minicnn's default
            "load_before": before,
            "load_after": os.getloadavg(),
            "workers": workers,
        }
        result["environment"]["torch"] = workers.get("torch", {}).get("version")
    else:
        result["layers"] = run_layers(opts) if opts["layers"] != [] else []
        result["models"] = run_models(opts)
    if opts["memory"] and "cpu" in opts["devices"]:
        _log("peak memory of a resnet20 training step (subprocesses)")
        batch = cases.model_batch("resnet20", opts["batch_size"])
        mem = {
            "model": "resnet20",
            "batch": batch,
            "minicnn": system.peak_memory("minicnn", "resnet20", batch, opts["dtype"], env=env),
        }
        if opts["compare"] == "torch":
            mem["torch"] = system.peak_memory("torch", "resnet20", batch, opts["dtype"], env=env)
            if mem["minicnn"] and mem["torch"] and mem["torch"]["step_peak_mb"] > 0:
                mem["ratio"] = mem["minicnn"]["step_peak_mb"] / mem["torch"]["step_peak_mb"]
        result["memory"] = mem
    return result
