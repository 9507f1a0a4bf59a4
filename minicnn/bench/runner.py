"""Runs the cases for every tier and device asked for, and collects one result dict."""
import gc
import sys

import numpy as np

from .. import backend
from . import cases, system
from .timing import gemm_call, measure, measure_pair


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


def run_layers(opts, torch_twin):
    rows, cache = [], {}      # torch timings, measured once
    for case in cases.LAYERS:
        if opts["layers"] is not None and case["name"] not in opts["layers"]:
            continue
        for device in opts["devices"]:
            for tier in (opts["tiers"] if device == "cpu" else ["cuda"]):
                c = cases.TINY[case["name"]] if tier == "reference" else case
                _log(f"layer {c['name']} {tier} {device}")
                try:
                    with backend.use_kernels("auto" if tier == "cuda" else tier):
                        fwd, fwdbwd = cases.build_layer(c, opts["dtype"], device)
                        budget = opts["budget"] * (0.3 if tier == "reference" else 1)
                        if c["gemm"]:
                            # the ceiling is timed in turn with the layer, in the same state
                            gemm = gemm_call(*c["gemm"], dtype=opts["dtype"], xp=_xp(device))
                            tf = measure(fwd, sync=_sync(device), warmup=opts["warmup"],
                                         repeats=opts["repeats"], budget_s=budget)
                            tfb, tg = measure_pair(fwdbwd, gemm, sync=_sync(device),
                                                   warmup=opts["warmup"],
                                                   repeats=opts["repeats"], budget_s=budget)
                        else:
                            tf, tfb = _timings(fwd, fwdbwd, _sync(device), opts, budget)
                except Exception as err:       # one broken case must not lose the others
                    _log(f"  failed: {type(err).__name__}: {err}")
                    rows.append({"case": c["name"], "tier": tier, "device": device,
                                 "error": f"{type(err).__name__}: {err}"})
                    continue
                row = {"case": c["name"], "x": c["x"], "tier": tier, "device": device,
                       "forward": tf, "forward_backward": tfb, "flops": c["flops"],
                       "gemm_shape": c["gemm"]}
                row["gflops_forward"] = c["flops"] / tf["median"] / 1e9
                row["gflops_forward_backward"] = 3 * c["flops"] / tfb["median"] / 1e9 if c["gemm"] \
                    else 2 * c["flops"] / tfb["median"] / 1e9
                if c["gemm"]:
                    m, k, n = c["gemm"]
                    row["gemm"] = tg
                    row["gemm_gflops"] = 2.0 * m * k * n / tg["median"] / 1e9
                    row["pct_of_gemm"] = 100 * row["gflops_forward_backward"] / row["gemm_gflops"]
                if torch_twin is not None and tier != "reference":
                    key = ("torch", c["name"], device)       # once per device, not per tier
                    if key not in cache:
                        tfwd, tfb2 = torch_twin.build_layer(c, opts["dtype"], device)
                        cache[key] = _timings(tfwd, tfb2, torch_twin.sync_for(device), opts,
                                                 opts["budget"])
                    t1, t2 = cache[key]
                    row["torch_forward"], row["torch_forward_backward"] = t1, t2
                    row["ratio_forward"] = tf["median"] / t1["median"]
                    row["ratio_forward_backward"] = tfb["median"] / t2["median"]
                rows.append(row)
                gc.collect()
    return rows


_torch_models = {}


def _model_row(name, tier, device, batch, modes, opts, torch_twin):
    row = {"case": name, "tier": tier, "device": device, "batch": batch}
    budget = opts["budget"] * 2
    for mode in modes:
        with backend.use_kernels("auto" if tier == "cuda" else tier):
            build = cases.model_step if mode == "train" else cases.model_infer
            fn = build(name, batch, opts["dtype"], device)
            t = measure(fn, sync=_sync(device), warmup=opts["warmup"], repeats=opts["repeats"],
                        budget_s=budget * (0.2 if tier == "reference" else 1),
                        min_repeats=1 if tier == "reference" else 3)
        del fn
        row[mode] = t
        row[mode + "_images_per_s"] = batch / t["median"]
        if torch_twin is not None and tier != "reference":
            key = (name, device, batch, mode)               # once per device, not per tier
            if key not in _torch_models:
                build = torch_twin.torch_model_step if mode == "train" else torch_twin.torch_model_infer
                fn = build(name, batch, opts["dtype"], device)
                _torch_models[key] = measure(fn, sync=torch_twin.sync_for(device),
                                             warmup=opts["warmup"], repeats=opts["repeats"],
                                             budget_s=budget)
            tt = _torch_models[key]
            row["torch_" + mode] = tt
            row["torch_" + mode + "_images_per_s"] = batch / tt["median"]
            row["ratio_" + mode] = t["median"] / tt["median"]
        gc.collect()
    return row


def run_models(opts, torch_twin):
    rows = []
    _torch_models.clear()
    for name in opts["models"]:
        modes = cases.MODELS[name][3]
        for device in opts["devices"]:
            for tier in (opts["tiers"] if device == "cpu" else ["cuda"]):
                if tier == "reference":
                    if name not in cases.REFERENCE_MODELS:
                        continue
                    batch = cases.REFERENCE_MODELS[name]
                else:
                    batch = cases.model_batch(name, opts["batch_size"])
                _log(f"model {name} {tier} {device} batch {batch}")
                try:
                    rows.append(_model_row(name, tier, device, batch, modes, opts, torch_twin))
                except Exception as err:       # one broken case must not lose the others
                    _log(f"  failed: {type(err).__name__}: {err}")
                    rows.append({"case": name, "tier": tier, "device": device, "batch": batch,
                                 "error": f"{type(err).__name__}: {err}"})
    return rows


def run(opts):
    """Everything the options ask for, as one JSON-ready dict."""
    torch_twin = None
    if opts["compare"] == "torch":
        try:
            from . import twin as torch_twin
        except ImportError:
            _log("--compare torch: PyTorch is not installed; timing minicnn alone")
    result = {"options": {k: v for k, v in opts.items()},
              "environment": system.environment(opts["devices"])}
    if torch_twin is not None:
        result["environment"].update(system.torch_environment(torch_twin.torch))
    np.seterr(all="ignore")
    result["layers"] = run_layers(opts, torch_twin) if opts["layers"] != [] else []
    result["models"] = run_models(opts, torch_twin)
    if opts["memory"] and "cpu" in opts["devices"]:
        _log("peak memory of a resnet20 training step (subprocesses)")
        batch = cases.model_batch("resnet20", opts["batch_size"])
        mem = {"model": "resnet20", "batch": batch,
               "minicnn": system.peak_memory("minicnn", "resnet20", batch, opts["dtype"])}
        if torch_twin is not None:
            mem["torch"] = system.peak_memory("torch", "resnet20", batch, opts["dtype"])
            if mem["minicnn"] and mem["torch"] and mem["torch"]["step_peak_mb"] > 0:
                mem["ratio"] = mem["minicnn"]["step_peak_mb"] / mem["torch"]["step_peak_mb"]
        result["memory"] = mem
    return result
