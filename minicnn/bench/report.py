"""The bench's outputs: one printed table, a JSON file and a PNG plot."""

import json
import math
import os
import statistics

from .. import io
from . import system


def _ms(t):
    if not t:
        return "-"
    return f"{t['median'] * 1e3:8.2f} [{t['q1'] * 1e3:.2f}-{t['q3'] * 1e3:.2f}]"


def _num(v, fmt="{:.2f}"):
    return "-" if v is None else fmt.format(v)


def _ratio(row, mode):
    """'1.29' or, from alternating rounds, '1.29 [1.20-1.35]' (the per-round ratios' min-max)."""
    r, spread = row.get("ratio_" + mode), row.get("ratio_" + mode + "_rounds")
    if r is None or spread is None:
        return _num(r)
    return f"{r:.2f} [{spread['min']:.2f}-{spread['max']:.2f}]"


def environment_lines(env):
    load = env.get("load_average")
    lines = [
        f"CPU: {env['cpu']} ({env['cpu_count']} cores, {env.get('memory_gb')} GB)   "
        f"GPU: {env.get('gpu') or 'none'}   load average {_num(load[0] if load else None)}",
        f"Python {env['python']}  NumPy {env['numpy']}  Numba {env.get('numba')}  "
        f"CuPy {env.get('cupy')}  PyTorch {env.get('torch', '-')}",
    ]
    for lib in env["blas"]:
        if "note" in lib:
            lines.append(f"BLAS: {lib['note']}")
        else:
            lines.append(
                f"BLAS: {lib['internal_api']} {lib['version']} kernel {lib['architecture']}, "
                f"{lib['num_threads']} threads ({lib['user_api']})"
            )
    lines.append(f"OpenBLAS env: {env['openblas_env']}")
    lines.append(f"Memory: {env['allocation']}")
    return lines


def _count(n, noun):
    """'1 pair', '3 pairs'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def fair_lines(fair):
    """How --compare torch was timed, and each worker's threads and BLAS."""
    if not fair:
        return []
    lines = [
        f"--compare torch: each library in a process of its own, {_count(fair.get('pairs', 1), 'pair')} "
        f"of fresh processes per case, each {_count(fair['rounds'], 'alternating round')} of "
        f"{_count(fair['calls_per_round'], 'call')}, {fair['threads']} threads each "
        f"({', '.join(f'{k}={v}' for k, v in fair['thread_env'].items())}); load average "
        f"{fair['load_before'][0]:.2f} before, {fair['load_after'][0]:.2f} after"
    ]
    for name, w in fair.get("workers", {}).items():
        blas = "; ".join(
            f"{b.get('internal_api')} {b.get('architecture') or ''} {b.get('num_threads')} threads"
            for b in w.get("blas", [])
            if "note" not in b
        )
        extra = (
            f"numba threads {w.get('numba_threads')}, tier {w.get('tier')}"
            if name == "minicnn"
            else f"torch threads {w.get('threads')} (interop {w.get('interop_threads')}), "
            f"CPU capability {w.get('cpu_capability')}"
        )
        malloc = w.get("malloc", "malloc not recorded")
        lines.append(f"  {name} {w.get('version')}: {extra}; thread pools: {blas}; {malloc}")
    return lines


def layer_table(rows):
    head = (
        f"{'layer':16} {'tier':12} {'dev':4} {'fwd ms [IQR]':24} {'fwd+bwd ms [IQR]':24} "
        f"{'GF/s':>7} {'%GEMM':>6} {'torch f+b ms':>12} {'x torch':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        name = r["case"] + ("*" if r["tier"] == "reference" else "")
        if "error" in r:
            lines.append(f"{name:16} {r['tier']:12} {r['device']:4} failed: {r['error']}")
            continue
        torch = r.get("torch_forward_backward")
        torch_ms = torch["median"] * 1e3 if torch else None
        lines.append(
            f"{name:16} {r['tier']:12} {r['device']:4} {_ms(r.get('forward')):24} "
            f"{_ms(r.get('forward_backward')):24} "
            f"{_num(r.get('gflops_forward_backward'), '{:.1f}'):>7} "
            f"{_num(r.get('pct_of_gemm'), '{:.0f}'):>6} "
            f"{_num(torch_ms):>12} "
            f"{_ratio(r, 'forward_backward'):>8}"
        )
    return lines


def model_table(rows):
    head = (
        f"{'model':15} {'tier':12} {'dev':4} {'batch':>5} {'train img/s':>11} {'infer img/s':>11} "
        f"{'torch train':>11} {'torch infer':>11} {'x torch train':>13} {'x torch infer':>13}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(
                f"{r['case']:15} {r['tier']:12} {r['device']:4} {r['batch']:5d} failed: {r['error']}"
            )
            continue
        lines.append(
            f"{r['case']:15} {r['tier']:12} {r['device']:4} {r['batch']:5d} "
            f"{_num(r.get('train_images_per_s'), '{:.1f}'):>11} "
            f"{_num(r.get('infer_images_per_s'), '{:.1f}'):>11} "
            f"{_num(r.get('torch_train_images_per_s'), '{:.1f}'):>11} "
            f"{_num(r.get('torch_infer_images_per_s'), '{:.1f}'):>11} "
            f"{_ratio(r, 'train'):>13} {_ratio(r, 'infer'):>13}"
        )
    return lines


def fault_lines(rows):
    """Minor page faults a timed call of each side (fwd+bwd for a layer, a training step for a
    model), where both workers counted them: memory the allocator took fresh from the OS,
    zeroed page by page (worker.minor_faults)."""
    cells = []
    for r in rows:
        for mode in ("forward_backward", "train"):
            ours, theirs = r.get("faults_" + mode), r.get("torch_faults_" + mode)
            if ours is not None and theirs is not None:
                cells.append(f"{r['case']} {mode.replace('_', '+')} {ours:.0f} against {theirs:.0f}")
    return ["Minor page faults a call, minicnn against PyTorch: " + "; ".join(cells)] if cells else []


def stolen_lines(rows):
    """The share of CPU time the host took during the timed turns (least-most over the turns
    of both sides), where the machine is a virtual one that says (system.cpu_times): a
    side whose cores were taken away for part of a turn ran slower for it."""
    cells = []
    for r in rows:
        for mode in ("forward", "forward_backward", "train", "infer"):
            shares = system.stolen_range({"stolen": r.get("stolen_" + mode)})
            if shares and r.get("ratio_" + mode) is not None:
                cells.append(f"{r['case']} {mode.replace('_', '+')} {shares}")
    return ["CPU time stolen by the host during the turns: " + "; ".join(cells)] if cells else []


CLEAR = "where neither side's two threads slowed each other"


def _apart_ratio(sides, medians):
    """', ratio 1.02 over the 9 rounds where neither side's two threads slowed each other' (the
    median of those rounds' ratios; the one reported stays that of all rounds), or '' where
    the rounds' times were not kept."""
    a, b = (medians or {}).get("a"), (medians or {}).get("b")
    if not a or not b or len(sides.get("a", [])) != len(a) or len(sides.get("b", [])) != len(b):
        return ""
    apart = system.clear_round_ratios(a, b, sides["a"], sides["b"])
    if not apart:
        return f", no round {CLEAR}"
    rounds = "the one round" if len(apart) == 1 else f"the {len(apart)} rounds"
    return f", ratio {statistics.median(apart):.2f} over {rounds} {CLEAR}"


def _probes(sides):
    """Both sides' system.two_threads_over_one, turn by turn, where a turn had one."""
    return [v for side in ("a", "b") for v in (sides or {}).get(side, []) if v is not None]


def _shared(shares):
    """How many of the readings say the two threads slowed each other."""
    return sum(v > system.SHARED_ABOVE for v in shares)


def _shared_turns(sides):
    """'3/30': the turns whose two threads slowed each other, of those probed; or None."""
    shares = _probes(sides)
    return f"{_shared(shares)}/{len(shares)}" if shares else None


def two_threads_lines(rows):
    """After each turn, each worker timed a GEMM on two BLAS threads and on one
    (system.two_threads_over_one): per case, the range over the turns of both sides, and how
    many turns found the two threads slowing each other."""
    cells = []
    for r in rows:
        for mode in ("forward", "forward_backward", "train", "infer"):
            sides = r.get("two_threads_" + mode) or {}
            shares = _probes(sides)
            if shares:
                cells.append(
                    f"{r['case']} {mode.replace('_', '+')} {min(shares):.2f}-{max(shares):.2f}, "
                    f"{_shared(shares)} of {len(shares)} turns above {system.SHARED_ABOVE}"
                    + _apart_ratio(sides, r.get("round_medians_" + mode))
                )
    if not cells:
        return []
    return [
        "A GEMM's time on two threads over one, after each turn (about 0.55 where the two run at full "
        "speed together, towards 1 where they slow each other): " + "; ".join(cells)
    ]


def memory_lines(mem):
    if not mem:
        return []

    def mb(side):
        return "-" if not mem.get(side) else f"{mem[side]['step_peak_mb']:.0f} MB"

    return [
        f"Peak memory, {mem['model']} training step, batch {mem['batch']}: minicnn {mb('minicnn')}, "
        f"PyTorch {mb('torch')}, ratio {_num(mem.get('ratio'))}"
    ]


def batches_lines(rows):
    """How many batches the models' steps took in turn (rows from before the option: none)."""
    counts = sorted({r["batches"] for r in rows if "batches" in r})
    if not counts:
        return []
    if counts == [1]:
        return ["each model case ran on one batch, repeated"]
    return [f"each model case ran on {' or '.join(map(str, counts))} different batches, taken in turn"]


def text(result):
    """The whole report as printed: environment, layers, models, memory."""
    lines = environment_lines(result["environment"]) + fair_lines(result.get("fair")) + [""]
    if result["layers"]:
        lines += layer_table(result["layers"]) + [""]
    if result["models"]:
        lines += model_table(result["models"]) + batches_lines(result["models"]) + [""]
    lines += fault_lines(result["layers"] + result["models"])
    lines += stolen_lines(result["layers"] + result["models"])
    lines += two_threads_lines(result["layers"] + result["models"])
    lines += memory_lines(result.get("memory"))
    if any(r.get("graph") and "train" in r for r in result["models"]):
        said = "cuda training steps: minicnn's replay a CUDA graph recorded once, on its first batch"
        compared = any("torch_train" in r for r in result["models"])
        lines.append(said + ("; PyTorch's run eager." if compared else "."))
    if any(r["tier"] == "reference" for r in result["layers"]):
        lines.append("* reference tier (plain loops) on a shrunken shape: see the JSON for its x.")
    lines.append(
        "x torch: minicnn time / PyTorch time in this run (lower is better; with "
        "alternating rounds, the median of the per-round ratios and [their min-max], over every "
        "round of every pair of processes; times and images/s come from medians of per-round "
        "medians); "
        "GF/s of fwd+bwd; %GEMM: of this machine's GEMM rate for the conv's shape as minicnn "
        "multiplies (kernels/gemm.py: with BLAS held to one thread, cut among the loops' threads), "
        "timed in turn with the layer; above 100 where the layer's algorithm needs fewer products."
    )
    return "\n".join(lines)


def paths(out_dir, stem):
    """(<out_dir>/<stem>.json, <out_dir>/<stem>.png): the files ``write`` makes."""
    return os.path.join(out_dir, stem + ".json"), os.path.join(out_dir, stem + ".png")


def write(result, out_dir, stem, overwrite=True):
    """<out_dir>/<stem>.json and <stem>.png, each written whole or not at all (io.write_atomic);
    returns their paths, None for a plot not drawn (no matplotlib, or nothing timed).
    ``overwrite=False`` replaces neither, even one made while the benchmark ran (FileExistsError)."""
    os.makedirs(out_dir, exist_ok=True)
    json_path, png_path = paths(out_dir, stem)
    text = json.dumps(result, indent=1, default=str).encode()
    io.write_atomic(json_path, text, who="--out", overwrite=overwrite)
    if plot(result, png_path, overwrite):
        return json_path, png_path
    if overwrite and os.path.exists(png_path):  # a plot of another run must not sit beside this JSON
        os.remove(png_path)
    return json_path, None


def _series(rows, key):
    """{"tier/device": {case: ms}} of the rows timed in ``key`` (or inference), PyTorch's
    too; reference rows (shrunken shapes) and failed ones are left out."""
    series = {}
    for r in rows:
        t = r.get(key) or r.get("infer")
        if t is None or r["tier"] == "reference":
            continue
        series.setdefault(f"{r['tier']}/{r['device']}", {})[r["case"]] = t["median"] * 1e3
        tt = r.get("torch_" + key) or r.get("torch_infer")
        if tt is not None:
            series.setdefault(f"torch/{r['device']}", {})[r["case"]] = tt["median"] * 1e3
    return series


def plot(result, path, overwrite=True):
    """Bars: each layer's fwd+bwd ms and each model's training-step ms, per tier (and torch),
    a panel for each that has a case timed; False (no file) without matplotlib or any."""
    panels = []  # NOTE: an empty panel would be drawn with a legend of nothing, and warn
    for title, rows, key, label in (
        ("layers", result["layers"], "forward_backward", "fwd+bwd ms (log)"),
        (
            "models (training step; inference where no training is timed)",
            result["models"],
            "train",
            "training step ms (log)",
        ),
    ):
        series = _series(rows, key)
        if series:
            panels.append((title, rows, series, label))
    ratios = _ratio_bars(result)
    if not panels and not ratios:
        return False
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    count = len(panels) + bool(ratios)
    fig, axes = plt.subplots(1, count, figsize=(7 * count, 5), squeeze=False)
    axes = axes[0]
    for ax, (title, rows, series, label) in zip(axes, panels):
        names = sorted({c for s in series.values() for c in s}, key=[r["case"] for r in rows].index)
        width = 0.8 / len(series)
        for i, (tier, values) in enumerate(series.items()):
            xs = [j + i * width for j, n in enumerate(names) if n in values]
            ax.bar(xs, [values[n] for n in names if n in values], width, label=tier)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(names))])
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
        ax.set_yscale("log")
        # bars on a log axis start at its bottom: a decade below the smallest keeps their
        # heights comparable instead of starting at the smallest bar's top
        smallest = min(v for values in series.values() for v in values.values())
        largest = max(v for values in series.values() for v in values.values())
        if smallest > 0:
            # and half a decade above the largest leaves the legend room over the bars
            ax.set_ylim(bottom=10 ** math.floor(math.log10(smallest)), top=3 * largest)
        ax.set_ylabel(label)
        ax.set_title(title)
        ax.legend(fontsize=8)
    if ratios:
        ax = axes[-1]
        names, mid, lo, hi = zip(*ratios)
        ax.bar(
            range(len(names)),
            mid,
            yerr=[[m - a for m, a in zip(mid, lo)], [b - m for m, b in zip(mid, hi)]],
            capsize=4,
        )
        ax.axhline(1.0, color="k", linestyle="--", linewidth=1)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("minicnn time / PyTorch time")
        ax.set_title("x torch: median of per-round ratios, bars from min to max round")
    try:
        fig.tight_layout()
        io.write_atomic(
            path, lambda f: fig.savefig(f, format="png", dpi=90), who="--out", overwrite=overwrite
        )
    finally:
        plt.close(fig)
    return True


def _ratio_bars(result):
    """(label, ratio, lowest round, highest round) of each row timed in alternating rounds; the
    label ends with the range of CPU time the host stole in the turns and the turns whose two
    threads slowed each other, where recorded."""
    bars = []
    for rows, mode in ((result["layers"], "forward_backward"), (result["models"], "train")):
        for r in rows:
            spread = r.get("ratio_" + mode + "_rounds") or r.get("ratio_infer_rounds")
            if spread is None:
                continue
            key = mode if ("ratio_" + mode) in r else "infer"
            label = f"{r['case']} {'fwd+bwd' if key == 'forward_backward' else key} ({r['tier']})"
            stolen = system.stolen_range({"stolen": r.get("stolen_" + key)})
            label += f"\nstolen {stolen}" if stolen else ""
            shared = _shared_turns(r.get("two_threads_" + key))
            label += f", slowed {shared}" if shared else ""
            bars.append((label, r["ratio_" + key], spread["min"], spread["max"]))
    return bars
